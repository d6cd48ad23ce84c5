"""The runtime of node programs: the register, its memories, the messages, the run.

:class:`AppRuntime` opens EPR sockets on an entanglement network, adds programs, keeps
every qubit's memory decay up to date lazily, carries classical messages with the
fibre delay, chooses the state backend and plays the programs on the network's
timeline (see :mod:`qinet.apps.sdk` for the whole picture). :class:`AppRunResult` is the
record of a run.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike

from qinet.apps.context import NodeContext, ProgramResult
from qinet.apps.durations import INSTANTANEOUS, OperationTimes
from qinet.apps.program import Event, EventQueue, Program, Qubit, is_clifford
from qinet.apps.register import QubitRegister
from qinet.apps.sockets import EprSocket, SocketRecord
from qinet.errors import ConfigError, ProtocolError
from qinet.kernel.ports import ClassicalChannel
from qinet.kernel.timeline import Timeline
from qinet.network.manager import DemandRoute, EntanglementNetwork
from qinet.network.policy import NodeOperations
from qinet.physical.memories import QuantumMemory
from qinet.quantum.states import weights_to_density_matrix
from qinet.quantum.tableau_register import TableauRegister
from qinet.rng import RngTree
from qinet.units import s_to_ps

_PERFECT = QuantumMemory(t1_s=float("inf"), t2_s=float("inf"))
_IDEAL = NodeOperations()

BACKENDS: tuple[str, ...] = ("auto", "stabilizer", "density-matrix")
"""The state backends of :class:`AppRuntime` (see :mod:`qinet.apps.sdk`)."""


@dataclass(frozen=True, slots=True)
class AppRunResult:
    """The run of every program of a runtime.

    Attributes:
        programs: one result per program, in the order they were added.
        sockets: one record per EPR socket, in the order they were opened.
        elapsed_ps: the clock when the run ended.
        backend: the state backend the run used (``"stabilizer"`` or
            ``"density-matrix"``).
    """

    programs: tuple[ProgramResult, ...]
    sockets: tuple[SocketRecord, ...]
    elapsed_ps: int
    backend: str = "density-matrix"


class AppRuntime:
    """Runs node programs on a network's timeline.

    Give it an :class:`~qinet.network.EntanglementNetwork` that has not started (the
    sockets add their demands to it), or, for programs that only talk classically, a
    graph whose edges carry ``delay_ps`` and a timeline.

    Args:
        network: the entanglement network (its graph, timeline and memories are used).
        graph: the graph, when there is no network.
        timeline: the clock, when there is no network.
        rng: the random tree (each program takes its own stream).
        stop_when_done: stop the timeline when the last program returns (off when the
            timeline has other work to run to its end).
        backend: the state backend, one of :data:`BACKENDS` (see :mod:`qinet.apps.sdk`);
            ``"auto"`` is settled when the run starts
            (:attr:`state_backend`).
        operation_times: the durations of local operations per node (a node not named:
            :data:`~qinet.apps.durations.INSTANTANEOUS`).

    Raises:
        ConfigError: no network and no graph or timeline, or an unknown ``backend``.
    """

    def __init__(self, network: EntanglementNetwork | None = None, *,
                 graph: nx.Graph[str] | None = None, timeline: Timeline | None = None,
                 rng: RngTree, stop_when_done: bool = True, backend: str = "auto",
                 operation_times: dict[str, OperationTimes] | None = None) -> None:
        if backend not in BACKENDS:
            raise ConfigError("backend", f"unknown state backend {backend!r}; use one of "
                              f"{list(BACKENDS)}")
        self.backend = backend
        self.state_backend = "density-matrix" if backend == "auto" else backend
        self.tableau: TableauRegister | None = None
        self.network = network
        self.stop_when_done = stop_when_done
        if network is not None:
            graph, timeline = network.graph, network.timeline
        if graph is None or timeline is None:
            raise ConfigError("network", "give a network, or a graph and a timeline")
        self.graph = graph
        self.timeline = timeline
        self.rng = rng
        self.register: QubitRegister | TableauRegister = QubitRegister()
        self.sockets: list[EprSocket] = []
        # the sockets joining each two nodes: a program's pair() finds its own at once
        self._sockets_between: dict[frozenset[str], list[EprSocket]] = {}
        self.contexts: list[NodeContext] = []
        self._programs: list[tuple[NodeContext, Program, dict[str, Any]]] = []
        self._memory_of: dict[int, QuantumMemory] = {}
        self._touched_ps: dict[int, int] = {}
        self._channels: dict[tuple[str, str, str], ClassicalChannel] = {}
        self._inboxes: dict[tuple[str, str, str], EventQueue] = {}
        self._running = 0
        self._times: dict[str, OperationTimes] = {}
        self._free_ps: dict[str, int] = {}
        for node, times in (operation_times or {}).items():
            self.set_operation_times(node, times)

    def _node(self, name: str, field_name: str) -> str:
        if name not in self.graph:
            raise ConfigError(field_name, f"no node named {name!r} in the network")
        return name

    def connect(self, a: str, b: str, *, pairs: int, min_fidelity: float = 0.0) -> EprSocket:
        """Open an EPR socket between ``a`` and ``b`` for ``pairs`` pairs.

        Several sockets may join the same two nodes (each is its own network demand); a
        program then names its socket (:meth:`program`'s ``sockets``).

        Raises:
            ConfigError: no network, a node not in it, the same node twice, or a bad
                count or fidelity.
        """
        if self.network is None:
            raise ConfigError("network", "EPR sockets need an entanglement network")
        self._node(a, "between[0]")
        self._node(b, "between[1]")
        if a == b:
            raise ConfigError("between", f"a socket joins two different nodes, got {a} twice")
        if pairs < 1:
            raise ConfigError("pairs", f"must be at least 1, got {pairs}")
        if not 0.0 <= min_fidelity <= 1.0:
            raise ConfigError("min_fidelity", f"must be in [0, 1], got {min_fidelity}")
        route = self.network.add_demand(a, b, pairs=pairs, keep_pairs=False)
        socket = EprSocket(self, route, pairs=pairs, min_fidelity=min_fidelity)
        self.sockets.append(socket)
        self._sockets_between.setdefault(frozenset((a, b)), []).append(socket)
        return socket

    def top_up(self, between: tuple[str, str], pairs: int) -> DemandRoute:
        """A further network demand for ``pairs`` between the two nodes, during the run
        (a socket replacing the pairs it threw away).

        Links with users before it were started with the network and are woken (their
        memory pairs may be parked for want of demand); a link new to the run starts.

        Raises:
            ConfigError: no network.
        """
        if self.network is None:
            raise ConfigError("network", "EPR sockets need an entanglement network")
        schedulers = self.network.schedulers
        running = {key for key, scheduler in schedulers.items() if scheduler.users}
        route = self.network.add_demand(*between, pairs=pairs, keep_pairs=False)
        for x, y in itertools.pairwise(route.path):
            key = frozenset((x, y))
            if key in running:
                schedulers[key].resume()
            else:
                self.network.links[key].start()
        return route

    def socket(self, node: str, peer: str) -> EprSocket:
        """The one socket between ``node`` and ``peer``.

        Raises:
            ProtocolError: none, or several (a program then names its own).
        """
        found = self._sockets_between.get(frozenset((node, peer)), [])
        if len(found) != 1:
            raise ProtocolError(
                f"no EPR socket between {node} and {peer}: open one with AppRuntime.connect"
                if not found else f"{len(found)} EPR sockets join {node} and {peer}: give "
                                  f"the program its own with program(..., sockets=...)")
        return found[0]

    def program(self, node: str, program: Program, *, sockets: tuple[EprSocket, ...] = (),
                port: str = "", **options: Any) -> NodeContext:
        """Run ``program(ctx, **options)`` at ``node`` when the run starts.

        Args:
            node: where it runs.
            program: the generator function.
            sockets: the sockets its :meth:`NodeContext.pair` uses (by default, the one
                socket between the node and the peer).
            port: its classical messages go to, and come from, programs of the same
                port only (so two applications between the same nodes keep apart).
            options: passed to ``program``.
        """
        ctx = NodeContext(self, self._node(node, "node"),
                          getattr(program, "__name__", "program"), sockets=sockets, port=port)
        self.contexts.append(ctx)
        self._programs.append((ctx, program, options))
        return ctx

    # -- the register's qubits and their memories ---------------------------------

    def operations(self, node: str) -> NodeOperations:
        """The node's gate and read-out noise (the network's, or none)."""
        if self.network is None:
            return _IDEAL
        return self.network.operations.get(node, _IDEAL)

    def set_operation_times(self, node: str, times: OperationTimes) -> None:
        """Give ``node``'s local operations the durations ``times``.

        Raises:
            ConfigError: no such node (field ``operation_times``).
        """
        self._times[self._node(node, "operation_times")] = times

    def operation_times(self, node: str) -> OperationTimes:
        """The durations of ``node``'s local operations."""
        return self._times.get(node, INSTANTANEOUS)

    def node_free_ps(self, node: str) -> int:
        """When ``node`` ends its last local operation (0: it has made none)."""
        return self._free_ps.get(node, 0)

    def occupy_node(self, node: str, until_ps: int) -> None:
        """``node`` is busy with an operation until ``until_ps``."""
        self._free_ps[node] = until_ps

    def _memory(self, node: str) -> QuantumMemory:
        if self.network is None:
            return _PERFECT
        return self.network.memories.get(node, _PERFECT)

    def _track(self, ids: tuple[int, ...], nodes: tuple[str, ...],
               at_ps: int | None = None) -> tuple[Qubit, ...]:
        now = self.timeline.now_ps if at_ps is None else at_ps
        for q, node in zip(ids, nodes, strict=True):
            self._memory_of[q] = self._memory(node)
            self._touched_ps[q] = now
        return tuple(Qubit(q, node) for q, node in zip(ids, nodes, strict=True))

    def add_state(self, rho: ArrayLike, nodes: tuple[str, ...]) -> tuple[Qubit, ...]:
        """New qubits at ``nodes`` in the joint state ``rho``, decaying from now.

        Raises:
            ProtocolError: on the stabilizer backend, a ``rho`` that is not a pure
                stabilizer state.
        """
        if isinstance(self.register, QubitRegister):
            return self._track(self.register.add(rho), nodes)
        values, vectors = np.linalg.eigh(np.asarray(rho, dtype=np.complex128))
        if values[-1] < 1.0 - 1e-9:
            raise ProtocolError("the stabilizer backend takes pure stabilizer states only; "
                                "give a pair's Bell weights to add_bell")
        return self._track(self.register.add_pure(vectors[:, -1]), nodes)

    def add_bell(self, weights: ArrayLike, nodes: tuple[str, str]) -> tuple[Qubit, ...]:
        """A new pair at ``nodes`` in the Bell-diagonal state of ``weights`` (Φ+, Ψ+, Ψ-,
        Φ-), decaying from now: its density matrix, or on the stabilizer backend ``Φ+``
        and the sampled Pauli of the weights."""
        if self.tableau is not None:
            return self._track(self.tableau.add_bell(weights), nodes)
        return self.add_state(weights_to_density_matrix(weights), nodes)

    def add_pure(self, psi: ArrayLike, node: str, *,
                 at_ps: int | None = None) -> tuple[Qubit, ...]:
        """New qubits at ``node`` in the pure state ``psi``, decaying from now (or from
        ``at_ps``, a program's time ahead of the timeline)."""
        ids = self.register.add_pure(psi)
        return self._track(ids, (node,) * len(ids), at_ps)

    def catch_up(self, ids: tuple[int, ...], *, at_ps: int | None = None) -> None:
        """Apply each qubit's memory decay up to now (or up to ``at_ps``); a qubit
        already decayed past that time is left as it is."""
        now = self.timeline.now_ps if at_ps is None else at_ps
        for q in ids:
            if q not in self.register:
                raise ProtocolError(f"qubit {q} is no longer held (measured or discarded)")
            waited = now - self._touched_ps[q]
            if waited > 0:
                memory = self._memory_of[q]
                self.register.decay(q, waited * 1e-12, t1_s=memory.t1_s, t2_s=memory.t2_s)
                self._touched_ps[q] = now

    # -- classical messages ----------------------------------------------------------

    def delay_ps(self, a: str, b: str) -> int:
        """One-way classical delay between ``a`` and ``b``: the shortest sum of link delays."""
        try:
            return int(nx.shortest_path_length(self.graph, a, b, weight="delay_ps"))
        except nx.NetworkXNoPath:
            raise ProtocolError(f"no classical path joins {a} and {b}") from None

    def inbox(self, sender: str, receiver: str, port: str = "") -> EventQueue:
        """Messages from ``sender`` at ``receiver`` on ``port``, in arrival order."""
        return self._inboxes.setdefault((sender, receiver, port), EventQueue())

    def channel(self, sender: str, receiver: str, port: str = "") -> ClassicalChannel:
        """The channel from ``sender`` to ``receiver`` on ``port``."""
        key = (sender, self._node(receiver, "peer"), port)
        channel = self._channels.get(key)
        if channel is None:
            channel = self._channels[key] = ClassicalChannel(
                self.timeline, delay_ps=self.delay_ps(sender, receiver),
                receiver=self.inbox(sender, receiver, port).put,
                name=f"{sender}->{receiver}:{port}")
        return channel

    # -- running -----------------------------------------------------------------------

    def _step(self, ctx: NodeContext, gen: Generator[Event, Any, Any], value: Any) -> None:
        try:
            event = gen.send(value)
        except StopIteration as stop:
            ctx.value, ctx.finished_ps = stop.value, ctx.now_ps
            self._running -= 1
            if not self._running and self.stop_when_done:
                self.timeline.stop()
            return
        if not isinstance(event, Event):
            raise ProtocolError(f"program {ctx.name} at {ctx.node} yielded {event!r}; "
                                f"yield ctx.pair(), ctx.recv() or ctx.wait()")
        if event.done:  # resume at once, through the timeline (no deep recursion)
            self.timeline.schedule_at(max(ctx.clock_ps, self.timeline.now_ps), self._step,
                                      ctx, gen, event.value)
        else:
            event.subscribe(lambda v: self._resume(ctx, gen, v))

    def _resume(self, ctx: NodeContext, gen: Generator[Event, Any, Any], value: Any) -> None:
        """Go on with ``gen`` now, or when its node's last operation ends if later."""
        if ctx.clock_ps > self.timeline.now_ps:
            self.timeline.schedule_at(ctx.clock_ps, self._step, ctx, gen, value)
        else:
            self._step(ctx, gen, value)

    @property
    def running(self) -> int:
        """Programs that have not returned yet."""
        return self._running

    def start(self, *, start_network: bool = True) -> None:
        """Start the network (if any, unless ``start_network`` is off: its owner starts
        it) and every program.

        Side Effects:
            Schedules the programs' first steps at the present time.
        """
        self._settle_backend()
        if self.network is not None and start_network:
            self.network.start()
        for ctx, program, options in self._programs:
            gen = program(ctx, **options)
            self._running += 1
            ctx.started_ps = self.timeline.now_ps
            self.timeline.schedule_after(0, self._step, ctx, gen, None)

    def _settle_backend(self) -> None:
        """Choose the state backend before anything runs (see :mod:`qinet.apps.sdk`)."""
        if self.backend == "auto":
            declared = bool(self._programs) and all(
                is_clifford(program) for _, program, _ in self._programs)
            self.state_backend = "stabilizer" if declared else "density-matrix"
        if self.state_backend == "stabilizer" and self.tableau is None:
            if len(self.register):
                raise ProtocolError("the stabilizer backend starts from an empty register; "
                                    "add no qubits before the run starts")
            self.tableau = TableauRegister(self.rng.generator("apps/stabilizer"))
            self.register = self.tableau

    def result(self) -> AppRunResult:
        """Every program's and socket's record so far."""
        return AppRunResult(tuple(ctx.result() for ctx in self.contexts),
                            tuple(s.record() for s in self.sockets),
                            self.timeline.now_ps, self.state_backend)

    def run(self, *, until_s: float | None = None) -> AppRunResult:
        """Start, then run until every program returned, nothing is left to happen, or
        ``until_s`` of simulated time.

        The network may stop the timeline when its demands are served; the run goes on
        while a program still waits (a message in flight).
        """
        self.start()
        return self.resume(until_s=until_s)

    def resume(self, *, until_s: float | None = None) -> AppRunResult:
        """Run a started runtime on (see :meth:`run`)."""
        until_ps = None if until_s is None else s_to_ps(until_s)
        while self._running and self.timeline.pending:
            self.timeline.run(until_ps=until_ps)
            if until_ps is not None and self.timeline.now_ps >= until_ps:
                break
        return self.result()
