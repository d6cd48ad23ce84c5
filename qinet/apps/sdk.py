"""Node programs: Python generators that run on the simulated network, on its clock.

A program is a generator function ``program(ctx, **options)`` run at one node. It acts
on the node's qubits through its :class:`NodeContext` (local gates and measurements take
the node's :class:`~qinet.apps.durations.OperationTimes`, none by default) and waits by
yielding an :class:`Event`:

* ``yield ctx.pair(peer)``: the next entangled pair shared with ``peer`` (an
  :class:`EprSocket` opened with :meth:`AppRuntime.connect`), as the node's
  :class:`Qubit` half; it arrives when the network delivers it (both path ends know
  it), and both ends get the pairs in the same order;
* ``yield ctx.recv(peer)``: the next classical message from ``peer``; messages sent with
  :meth:`NodeContext.send` arrive after the fibre delay of the shortest path between the
  nodes (sum of the links' one-way delays), in sending order;
* ``yield ctx.wait(seconds)``: simulated time passing.

Every qubit in the register decays with its node's memory (T1, T2, the network's
:class:`~qinet.physical.memories.QuantumMemory` of that node) from the moment it is
made or delivered; the decay is applied exactly and lazily, up to the present, before
any operation touches the qubit. So a pair's half waiting for a correction message
decoheres for the message's flight. The pair's qubits leave the network's link memories
at delivery (the network frees them) and live on in the node's application register.

Local operations take the node's durations (:mod:`qinet.apps.durations`: one at a time
per node; the program's clock :attr:`NodeContext.now_ps` moves to each one's end, its
messages leave then, and every qubit the node holds decays meanwhile). They carry the
node's noise as the network's repeaters do
(:class:`~qinet.network.policy.NodeOperations`, a scenario node's ``gate_error`` and
``measurement_error``): a two-qubit gate is followed by two-qubit depolarising of
probability ``gate_depolarizing``, and a measurement reports the wrong bit with
probability ``measurement_error`` (the state collapses on the true outcome).

The run is on the one timeline of the network, seeded from the runtime's random tree:
same network, programs and seed give the same outcomes.

State backends (``AppRuntime(..., backend=...)``, one of :data:`BACKENDS`):

* ``"density-matrix"``: the register holds exact density matrices
  (:class:`~qinet.apps.register.QubitRegister`); any gate, a few dozen qubits at once;
* ``"stabilizer"``: the register is one stabilizer state on stim
  (:class:`~qinet.quantum.tableau_register.TableauRegister`), for Clifford programs
  with Pauli noise over thousands of qubits. Each noise source enters as a sampled Pauli
  channel: a delivered pair as ``Φ+`` then the Pauli of its Bell weights (exact for the
  Bell-diagonal pairs of the network's Bell-diagonal backend; a density-matrix pair enters
  as its Bell twirl), memory decay as its Pauli twirl (exact for dephasing; amplitude
  damping loses its pull towards ``|0>``), gate depolarising as drawn Paulis. A run is
  one shot, as on hardware: statistics come from many seeded runs. A non-Clifford gate
  or state is refused (:class:`~qinet.errors.ProtocolError`), :meth:`NodeContext.state`
  is refused, and :meth:`NodeContext.fidelity` (stabilizer targets only) is the
  fidelity of the sampled trajectory, whose mean over runs is the ensemble's;
* ``"auto"`` (the default): decided before the run, from the programs alone:
  ``"stabilizer"`` when every program was declared Clifford with :func:`clifford`,
  ``"density-matrix"`` otherwise. A declared program that then applies a non-Clifford
  gate is refused, never moved to the other backend halfway.

Examples:
    Two programs, one message: ``bob`` gets ``alice``'s bit after the fibre delay.

    >>> import networkx as nx
    >>> from qinet.kernel.timeline import Timeline
    >>> from qinet.rng import RngTree
    >>> graph = nx.Graph(); graph.add_edge("alice", "bob", delay_ps=5_000_000)
    >>> runtime = AppRuntime(graph=graph, timeline=Timeline(), rng=RngTree(1))
    >>> def alice(ctx):
    ...     q = ctx.new_qubit()
    ...     ctx.apply("x", q)
    ...     ctx.send("bob", ctx.measure(q))
    ...     yield from ()
    >>> def bob(ctx):
    ...     bit = yield ctx.recv("alice")
    ...     return bit, ctx.now_ps
    >>> _ = runtime.program("alice", alice); _ = runtime.program("bob", bob)
    >>> runtime.run().programs[1].value
    (1, 5000000)
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike

from qinet.apps.durations import INSTANTANEOUS, OperationTimes
from qinet.apps.register import GATES, ROTATIONS, QubitRegister
from qinet.errors import ConfigError, ProtocolError
from qinet.kernel.ports import ClassicalChannel
from qinet.kernel.timeline import Timeline
from qinet.network.manager import DemandRoute, EntanglementNetwork
from qinet.network.policy import NodeOperations
from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend
from qinet.quantum.states import weights_to_density_matrix
from qinet.quantum.tableau_register import TableauRegister
from qinet.rng import RngTree
from qinet.units import s_to_ps

Program = Callable[..., Generator["Event", Any, Any]]
"""A node program: a generator function of ``(ctx, **options)`` yielding events."""

_PERFECT = QuantumMemory(t1_s=float("inf"), t2_s=float("inf"))
_IDEAL = NodeOperations()

_CLIFFORD_MARK = "__qinet_clifford__"
BACKENDS: tuple[str, ...] = ("auto", "stabilizer", "density-matrix")
"""The state backends of :class:`AppRuntime` (see the module docstring)."""


def clifford(program: Program) -> Program:
    """Declare ``program`` Clifford: it applies only Clifford gates (H, S, CNOT, CZ,
    Paulis, quarter-turn rotations) and makes only stabilizer states, so ``"auto"`` may
    run it on the stabilizer backend. Returns ``program`` itself, marked.

    Examples:
        >>> @clifford
        ... def bell_check(ctx):
        ...     yield from ()
        >>> is_clifford(bell_check), is_clifford(lambda ctx: iter(()))
        (True, False)
    """
    setattr(program, _CLIFFORD_MARK, True)  # an attribute mypy cannot see on a Callable
    return program


def is_clifford(program: Program) -> bool:
    """Whether ``program`` was declared with :func:`clifford`."""
    return bool(getattr(program, _CLIFFORD_MARK, False))


@dataclass(frozen=True, slots=True)
class Qubit:
    """A qubit held at ``node``.

    Attributes:
        id: its id in the runtime's register.
        node: the node that holds it (only that node's program may act on it).
        pair: index of the entangled pair it came with on its socket (-1: made locally).
        delivered_ps: when that pair was delivered (-1: made locally).
    """

    id: int
    node: str
    pair: int = -1
    delivered_ps: int = -1


class Event:
    """Something a program waits for; it carries a value once it has happened."""

    __slots__ = ("_callbacks", "done", "value")

    def __init__(self) -> None:
        self.done = False
        self.value: Any = None
        self._callbacks: list[Callable[[Any], None]] = []

    def succeed(self, value: Any = None) -> None:
        """The event happens now with ``value``; waiting programs resume."""
        if self.done:
            raise ProtocolError("an event happened twice")
        self.done, self.value = True, value
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(value)

    def subscribe(self, callback: Callable[[Any], None]) -> None:
        """Call ``callback(value)`` when the event happens (now, if it has)."""
        if self.done:
            callback(self.value)
        else:
            self._callbacks.append(callback)


class _Queue:
    """Items that arrive over time, taken in order by events."""

    __slots__ = ("items", "waiters")

    def __init__(self) -> None:
        self.items: deque[Any] = deque()
        self.waiters: deque[Event] = deque()

    def put(self, item: Any) -> None:
        if self.waiters:
            self.waiters.popleft().succeed(item)
        else:
            self.items.append(item)

    def get(self) -> Event:
        event = Event()
        if self.items:
            event.succeed(self.items.popleft())
        else:
            self.waiters.append(event)
        return event


@dataclass(frozen=True, slots=True)
class SocketRecord:
    """What one EPR socket got from the network.

    Attributes:
        between: its two nodes (the first holds qubit 0 of every pair).
        path: the network path that serves it.
        requested: pairs asked for (kept pairs, at or above the minimum fidelity).
        delivered: pairs the network delivered to it (kept and discarded).
        discarded: of these, pairs thrown away below the socket's minimum fidelity
            (each replaced by a further pair).
        fidelity_mean: mean fidelity to Φ+ at delivery of the pairs kept (NaN: none).
        min_fidelity: the socket's minimum fidelity.
        delivered_fidelity_mean: mean fidelity to Φ+ at delivery of every pair
            delivered, discarded ones included (NaN: none).
    """

    between: tuple[str, str]
    path: tuple[str, ...]
    requested: int
    delivered: int
    discarded: int
    fidelity_mean: float
    min_fidelity: float = 0.0
    delivered_fidelity_mean: float = float("nan")

    @property
    def kept(self) -> int:
        """Pairs kept: delivered and not discarded."""
        return self.delivered - self.discarded

    @property
    def accepted_fraction(self) -> float:
        """Kept over delivered (NaN: none delivered): ``P(F >= F_min)`` of the pairs'
        fidelity distribution, in the mean."""
        return self.kept / self.delivered if self.delivered else float("nan")


class EprSocket:
    """Entangled pairs between two nodes, served by one network demand.

    The socket keeps ``pairs`` pairs at or above ``min_fidelity`` at delivery (the
    network knows each pair's state from its classical record: link heralds, swap
    outcomes, storage times). A pair below it is thrown away and counted in
    :attr:`discarded`, and replaced: the socket asks the network for ``pairs``, and
    when that demand has delivered them all with some thrown away, it asks for the
    missing number with a further demand between the same nodes (started at once, on
    links already running), and so on until ``pairs`` are kept.

    Cost of the threshold: deliveries are accepted independently with probability
    ``p = P(F >= F_min)``, so the ``n``-th kept pair waits for a negative binomial
    number of deliveries, ``n / p`` in the mean, and a half already held waits a
    geometric number of further deliveries (mean ``1/p``) for the next, decaying in its
    node's memory all the while. Both costs show in the programs' simulated time and in
    their qubits' fidelity, as they are played on the timeline.
    """

    def __init__(self, runtime: AppRuntime, route: DemandRoute, *, pairs: int,
                 min_fidelity: float) -> None:
        self.runtime = runtime
        self.route = route
        self.between = route.between
        self.requested = pairs
        self.min_fidelity = min_fidelity
        self.delivered = self.discarded = 0
        self._fidelities: list[float] = []
        self._delivered_fidelity_sum = 0.0
        self.queues = {route.between[0]: _Queue(), route.between[1]: _Queue()}
        self.routes = [route]
        self._listen(route)

    def _listen(self, route: DemandRoute) -> None:
        # one pair at a time: the sink sees each pair at its delivery
        route.log.resolve_every = 1
        route.log.sink = self.offer

    @property
    def full(self) -> bool:
        """Whether the socket has kept every pair it asked for."""
        return len(self._fidelities) >= self.requested

    def offer(self, states: Any, backend: QuantumBackend) -> None:
        """Pairs delivered now (a batch of ``backend``'s states): keep each one at or
        above the minimum fidelity, until the socket is full.

        Side Effects:
            Puts each kept pair's halves in the register and in the two nodes' queues.
        """
        if self.full:
            return
        arrays = np.asarray(states)
        tableau = self.runtime.tableau
        rhos = arrays if arrays.ndim == 3 or tableau is not None else (
            weights_to_density_matrix(backend.bell_weights(states)))
        fidelities = np.asarray(backend.fidelity(states), dtype=float)
        now = self.runtime.timeline.now_ps
        a, b = self.between
        # the stabilizer register takes each pair as its Bell weights (its Bell twirl)
        pairs = rhos if tableau is None else backend.bell_weights(states)
        for pair, fidelity in zip(pairs, fidelities, strict=True):
            if self.full:
                break
            self.delivered += 1
            self._delivered_fidelity_sum += float(fidelity)
            if fidelity < self.min_fidelity:
                self.discarded += 1
                continue
            self._fidelities.append(float(fidelity))
            index = len(self._fidelities) - 1
            qa, qb = (self.runtime.add_state(pair, (a, b)) if tableau is None
                      else self.runtime.add_bell(pair, (a, b)))
            self.queues[a].put(Qubit(qa.id, a, index, now))
            self.queues[b].put(Qubit(qb.id, b, index, now))
        last = self.routes[-1].log
        if not self.full and last.target_pairs is not None \
                and last.delivered >= last.target_pairs:
            # its last demand is served and pairs were thrown away: ask for the rest
            self.routes.append(self.runtime.top_up(
                self.between, self.requested - len(self._fidelities)))
            self._listen(self.routes[-1])

    def record(self) -> SocketRecord:
        """The socket's counts so far."""
        fid = self._fidelities
        nan = float("nan")
        return SocketRecord(self.between, tuple(self.route.path), self.requested,
                            self.delivered, self.discarded,
                            float(np.mean(fid)) if fid else nan, self.min_fidelity,
                            self._delivered_fidelity_sum / self.delivered
                            if self.delivered else nan)


@dataclass(frozen=True, slots=True)
class ProgramResult:
    """What one node program did.

    Attributes:
        node: where it ran.
        name: the program function's name.
        value: what the generator returned (``None`` if it did not finish).
        finished: whether it returned before the run ended.
        outcomes: its measurement outcomes, in order.
        pairs_used: entangled pairs it received.
        messages_sent: classical messages it sent.
        started_ps: when it started; finished_ps: when it returned (-1: did not).
        records: what it stored with :meth:`NodeContext.record`, key by key, in order.
    """

    node: str
    name: str
    value: Any
    finished: bool
    outcomes: tuple[int, ...]
    pairs_used: int
    messages_sent: int
    started_ps: int
    finished_ps: int
    records: dict[str, tuple[Any, ...]] = field(default_factory=dict)


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


class NodeContext:
    """What a program at ``node`` can do: its qubits, its sockets, its messages, time."""

    def __init__(self, runtime: AppRuntime, node: str, name: str, *,
                 sockets: tuple[EprSocket, ...] = (), port: str = "") -> None:
        self._runtime = runtime
        self.node = node
        self.name = name
        self.port = port
        self._sockets = {frozenset(s.between): s for s in sockets}
        self._operations = runtime.operations(node)
        # the program's own clock: ahead of the timeline while its node is busy
        self._clock_ps = runtime.timeline.now_ps
        self.rng = runtime.rng.generator(f"apps/{len(runtime.contexts)}/{node}/{name}")
        self.outcomes: list[int] = []
        self.pairs_used = 0
        self.messages_sent = 0
        self.records: dict[str, list[Any]] = {}
        self.value: Any = None
        self.finished_ps = -1
        self.started_ps = runtime.timeline.now_ps

    @property
    def now_ps(self) -> int:
        """The program's time in picoseconds: the timeline's, or the end of the node's
        last operation of this program if that is later."""
        now = self._runtime.timeline.now_ps
        return now if now >= self._clock_ps else self._clock_ps

    @property
    def now_s(self) -> float:
        """The program's time in seconds (see :attr:`now_ps`)."""
        return self.now_ps * 1e-12

    @property
    def clock_ps(self) -> int:
        """The end of this program's last local operation (its resumptions wait for it)."""
        return self._clock_ps

    def _occupy(self, duration_s: float) -> int:
        """Hold the node for ``duration_s`` from when the program and the node are both
        free; returns the end, the program's new clock."""
        if duration_s <= 0.0:
            return self.now_ps
        start = max(self.now_ps, self._runtime.node_free_ps(self.node))
        end = start + s_to_ps(duration_s)
        self._runtime.occupy_node(self.node, end)
        self._clock_ps = end
        return end

    def _own(self, qubits: tuple[Qubit, ...], duration_s: float = 0.0) -> tuple[int, ...]:
        for q in qubits:
            if q.node != self.node:
                raise ProtocolError(f"{self.node} cannot act on a qubit held at {q.node}")
        ids = tuple(q.id for q in qubits)
        # the operation acts at the end of its duration, on qubits decayed up to then
        self._runtime.catch_up(ids, at_ps=self._occupy(duration_s))
        return ids

    def new_qubit(self, state: ArrayLike | None = None) -> Qubit:
        """A fresh qubit at this node, in ``|0>`` or the pure ``state`` (2 amplitudes)."""
        psi = np.array([1.0, 0.0]) if state is None else np.asarray(state)
        if psi.shape != (2,):
            raise ProtocolError(f"a qubit state has 2 amplitudes, got shape {psi.shape}")
        (q,) = self._runtime.add_pure(psi, self.node, at_ps=self.now_ps)
        return q

    def new_qubits(self, state: ArrayLike) -> tuple[Qubit, ...]:
        """Fresh qubits at this node in the joint pure ``state`` (``2^n`` amplitudes, the
        first qubit the most significant)."""
        return self._runtime.add_pure(np.asarray(state), self.node, at_ps=self.now_ps)

    def apply(self, gate: str | ArrayLike, *qubits: Qubit, angle: float | None = None) -> None:
        """Apply ``gate`` to ``qubits`` of this node.

        ``gate`` is a name of :data:`~qinet.apps.register.GATES` (``"h"``, ``"cnot"``
        with the first qubit the control, ...), a rotation ``"rx"``, ``"ry"``, ``"rz"``
        with ``angle`` in radians, or a unitary matrix.
        """
        if isinstance(gate, str):
            name = gate.lower()
            if name in ROTATIONS:
                if angle is None:
                    raise ProtocolError(f"gate {gate!r} needs an angle")
                op = ROTATIONS[name](angle)
            elif name in GATES:
                op = GATES[name]
            else:
                raise ProtocolError(f"unknown gate {gate!r}; use one of "
                                    f"{sorted(GATES) + sorted(ROTATIONS)} or a matrix")
        else:
            op = np.asarray(gate, dtype=np.complex128)
        ids = self._own(qubits, self._runtime.operation_times(self.node).duration_s(
            len(qubits)))
        register = self._runtime.register
        tableau = self._runtime.tableau
        if tableau is None:
            register.apply(op, *ids)
        else:
            tableau.apply(op, *ids, label=f"gate {gate!r} at {self.node}" if isinstance(
                gate, str) else f"the gate matrix applied at {self.node}")
        if len(ids) > 1:  # the node's two-qubit gate noise, as the network's repeaters
            register.depolarize(self._operations.gate_depolarizing, *ids)

    def measure(self, qubit: Qubit, basis: str = "z") -> int:
        """Measure ``qubit`` in ``basis`` (z, x or y; 0 is the +1 eigenstate); it is gone."""
        (q,) = self._own((qubit,),
                         self._runtime.operation_times(self.node).measurement_s)
        outcome = self._runtime.register.measure(q, rng=self.rng, basis=basis)
        flip = self._operations.measurement_error
        if flip > 0 and self.rng.random() < flip:  # the read-out reports the wrong bit
            outcome ^= 1
        self.outcomes.append(outcome)
        return outcome

    def discard(self, qubit: Qubit) -> None:
        """Let ``qubit`` go (traced out of the register)."""
        (q,) = self._own((qubit,))
        self._runtime.register.discard(q)

    def fidelity(self, qubits: Qubit | tuple[Qubit, ...], psi: ArrayLike) -> float:
        """The fidelity ``<ψ|ρ|ψ>`` of ``qubits``, decayed up to now.

        The simulator's reading, for metrics and checks: no physical node can read a
        state; programs that must stay physical measure instead. On the stabilizer
        backend ψ must be a stabilizer state and the value is that of the sampled
        trajectory (0, 1 or a power of ½), whose mean over runs is the fidelity.
        """
        group = qubits if isinstance(qubits, tuple) else (qubits,)
        ids = tuple(q.id for q in group)
        self._runtime.catch_up(ids, at_ps=self.now_ps)
        return self._runtime.register.fidelity(psi, *ids)

    def state(self, *qubits: Qubit) -> np.ndarray:
        """The reduced density matrix of ``qubits`` now (the simulator's reading).

        Raises:
            ProtocolError: on the stabilizer backend, which holds no density matrix.
        """
        ids = tuple(q.id for q in qubits)
        self._runtime.catch_up(ids, at_ps=self.now_ps)
        return self._runtime.register.reduced(*ids)

    def pair(self, peer: str) -> Event:
        """The next pair half shared with ``peer`` (an event whose value is a :class:`Qubit`)."""
        socket = self._sockets.get(frozenset((self.node, peer)))
        if socket is None:
            socket = self._runtime.socket(self.node, peer)
        event = socket.queues[self.node].get()
        event.subscribe(self._count_pair)
        return event

    def _count_pair(self, _: object) -> None:
        self.pairs_used += 1

    def send(self, peer: str, message: Any) -> None:
        """Send ``message`` to ``peer``; it leaves at the program's time (after its node's
        operations so far) and arrives after the fibre delay between them."""
        self.messages_sent += 1
        channel = self._runtime.channel(self.node, peer, self.port)
        timeline = self._runtime.timeline
        if self._clock_ps > timeline.now_ps:  # the node is still busy: it leaves then
            timeline.schedule_at(self._clock_ps, channel.send, message)
        else:
            channel.send(message)

    def recv(self, peer: str) -> Event:
        """The next message from ``peer`` (an event whose value is the message)."""
        return self._runtime.inbox(peer, self.node, self.port).get()

    def wait(self, seconds: float) -> Event:
        """An event ``seconds`` of simulated time after the program's time."""
        event = Event()
        self._runtime.timeline.schedule_at(self.now_ps + s_to_ps(seconds), event.succeed,
                                           None)
        return event

    def record(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key`` in the program's result."""
        self.records.setdefault(key, []).append(value)

    def result(self) -> ProgramResult:
        """The program's result so far."""
        return ProgramResult(self.node, self.name, self.value, self.finished_ps >= 0,
                             tuple(self.outcomes), self.pairs_used, self.messages_sent,
                             self.started_ps, self.finished_ps,
                             {k: tuple(v) for k, v in self.records.items()})


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
        backend: the state backend, one of :data:`BACKENDS` (see the module
            docstring); ``"auto"`` is settled when the run starts
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
        self._inboxes: dict[tuple[str, str, str], _Queue] = {}
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

    def inbox(self, sender: str, receiver: str, port: str = "") -> _Queue:
        """Messages from ``sender`` at ``receiver`` on ``port``, in arrival order."""
        return self._inboxes.setdefault((sender, receiver, port), _Queue())

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
        """Choose the state backend before anything runs (see the module docstring)."""
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
