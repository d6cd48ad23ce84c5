"""A node program's handle on its node: qubits, gates, measurements, pairs, messages, time.

:class:`NodeContext` is what a program gets as ``ctx``; its local operations take the
node's durations (:mod:`qinet.apps.durations`) and carry its gate and read-out noise
(see :mod:`qinet.apps.sdk`). :class:`ProgramResult` is what the program did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from qinet.apps.program import Event, Qubit
from qinet.apps.register import GATES, ROTATIONS
from qinet.apps.sockets import EprSocket
from qinet.errors import ProtocolError
from qinet.units import s_to_ps

if TYPE_CHECKING:  # the runtime makes the contexts: imported for annotations only
    from qinet.apps.runtime import AppRuntime


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

