"""Non-local CNOT and CZ by gate teleportation: one ebit and one bit each way.

Eisert, Jacobs, Papadopoulos and Plenio, Phys. Rev. A 62, 052317 (2000). Alice holds
the control ``c`` and half ``a`` of a pair, Bob the target ``t`` and half ``b``:

1. Alice: ``CNOT(c, a)``, measure ``a`` in Z (bit ``m1``), send it. Now ``b`` carries
   ``c``'s Z value (the "cat-entangler").
2. Bob: ``X^{m1}`` on ``b``; the gate with ``b`` as control (``CNOT(b, t)`` or
   ``CZ(b, t)``); measure ``b`` in X (bit ``m2``), send it.
3. Alice: ``Z^{m2}`` on ``c`` (the "cat-disentangler"). ``c, t`` have undergone the gate.

Noise model. A Bell-diagonal pair is Φ+ with a Pauli on ``b``: ``X_b`` (Ψ+), ``Y_b``
(Ψ-), ``Z_b`` (Φ-). ``X_b`` flips the copied control, which leaves a ``X_t`` after the
CNOT (``Z_t`` after the CZ, since ``CZ X_b = X_b Z_t CZ``) and does not change the X
measurement; ``Z_b`` flips ``m2``, which leaves a ``Z_c``. So the non-local gate is the
ideal gate followed by a Pauli channel: with the pair's Bell weights
``(w_Φ+, w_Ψ+, w_Ψ-, w_Φ-)``,

* CNOT: ``I`` w.p. ``w_Φ+``, ``X_t`` w.p. ``w_Ψ+``, ``Z_c X_t`` w.p. ``w_Ψ-``,
  ``Z_c`` w.p. ``w_Φ-``;
* CZ: the same with ``Z_t`` in place of ``X_t``.

Its process (entanglement) fidelity is ``w_Φ+``, and its average gate fidelity
``(d F_pro + 1)/(d + 1) = (4 w_Φ+ + 1)/5`` (Horodecki et al., Phys. Rev. A 60, 1888
(1999); Nielsen, Phys. Lett. A 303, 249 (2002)). On computational-basis inputs only the
X errors count: the CNOT keeps ``1 - w_Ψ+ - w_Ψ-``, the CZ keeps 1. These closed forms
are for ideal nodes; a node's gate and read-out noise (see :mod:`qinet.apps.sdk`) add
to them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.apps.register import GATES
from qinet.apps.sdk import AppRuntime, EprSocket, Event, NodeContext, Qubit
from qinet.errors import ConfigError, ProtocolError
from qinet.network.manager import EntanglementNetwork
from qinet.rng import RngTree

NONLOCAL_GATES = ("cnot", "cz")
"""The two-qubit gates made non-locally (the first node holds the control)."""

Prepare = Callable[[NodeContext, int], Qubit]
"""Makes the round's input qubit at a node: ``prepare(ctx, round)``."""
Finish = Callable[[NodeContext, int, Qubit], None]
"""Called with the round's output qubit when the node's part of the round is done."""


def control_side(ctx: NodeContext, peer: str, c: Qubit, half: Qubit
                 ) -> Generator[Event, Any, None]:
    """Steps 1 and 3 on the control ``c``, the pair's ``half`` delivered (``yield from`` it)."""
    ctx.apply("cnot", c, half)
    ctx.send(peer, (half.pair, ctx.measure(half)))
    index, m2 = yield ctx.recv(peer)
    _check_pair(index, half)
    if m2:
        ctx.apply("z", c)


def target_side(ctx: NodeContext, peer: str, t: Qubit, half: Qubit,
                gate: str) -> Generator[Event, Any, None]:
    """Step 2, ``gate`` (cnot or cz) on the target ``t``, the pair's ``half`` delivered."""
    index, m1 = yield ctx.recv(peer)
    _check_pair(index, half)
    if m1:
        ctx.apply("x", half)
    ctx.apply(gate, half, t)
    ctx.send(peer, (half.pair, ctx.measure(half, basis="x")))


def _check_pair(index: int, half: Qubit) -> None:
    if index != half.pair:
        raise ProtocolError(f"the bit of pair {index} met pair {half.pair}")


def teleported_control(ctx: NodeContext, peer: str, c: Qubit) -> Generator[Event, Any, None]:
    """The control's side of one teleported gate on ``c`` (``yield from`` it)."""
    half = yield ctx.pair(peer)
    yield from control_side(ctx, peer, c, half)


def teleported_target(ctx: NodeContext, peer: str, t: Qubit,
                      gate: str) -> Generator[Event, Any, None]:
    """The target's side of one teleported ``gate`` (cnot or cz) on ``t``."""
    half = yield ctx.pair(peer)
    yield from target_side(ctx, peer, t, half, gate)


def gate_control(ctx: NodeContext, *, peer: str, rounds: int, prepare: Prepare,
                 finish: Finish) -> Generator[Event, Any, int]:
    """Alice's program: ``rounds`` non-local gates with her qubit as the control."""
    for k in range(rounds):
        half = yield ctx.pair(peer)
        ctx.record("delivered_ps", half.delivered_ps)
        # the input is made once the pair is there, so it does not wait in memory
        c = prepare(ctx, k)
        yield from control_side(ctx, peer, c, half)
        finish(ctx, k, c)
    return rounds


def gate_target(ctx: NodeContext, *, peer: str, rounds: int, gate: str, prepare: Prepare,
                finish: Finish) -> Generator[Event, Any, int]:
    """Bob's program: ``rounds`` non-local ``gate`` (cnot or cz) on his target qubit."""
    for k in range(rounds):
        half = yield ctx.pair(peer)
        t = prepare(ctx, k)
        yield from target_side(ctx, peer, t, half, gate)
        finish(ctx, k, t)
    return rounds


def choi_vector(gate: NDArray[Any]) -> NDArray[np.complex128]:
    """``(I ⊗ G)|Φ+>|Φ+>`` over (R_c, R_t, c, t): the normalised Choi state of ``G``.

    Examples:
        >>> v = choi_vector(GATES["cz"])
        >>> round(float(np.linalg.norm(v)), 12)
        1.0
    """
    g = np.asarray(gate, dtype=np.complex128)
    vector: NDArray[np.complex128] = g.T.reshape(16) / 2.0
    return vector


@dataclass(frozen=True, slots=True)
class NonlocalGateResult:
    """Non-local gates between two nodes.

    Attributes:
        gate: ``"cnot"`` or ``"cz"``.
        between: (control node, target node).
        inputs: ``"choi"`` (each round's inputs entangled with local references),
            ``"basis"`` (computational-basis inputs, in turn) or ``"haar"`` (Haar-random
            product inputs).
        gates: gates completed (Alice's correction applied) by the end of the run.
        fidelity_mean: mean fidelity of the output with the ideal one: the process
            fidelity for ``choi`` inputs, the state fidelity otherwise (NaN: none).
        fidelity_std: their standard deviation.
        average_gate_fidelity: ``(4 F_pro + 1)/5`` (``choi`` inputs; NaN otherwise).
        pair_fidelity_mean: mean fidelity to Φ+ of the pairs used, at delivery.
        gates_per_s: gates over the time the last one completed.
        latency_mean_s: mean time from the pair's delivery to the gate's completion.
        elapsed_s: simulated time until the last completion.
        pairs_discarded: pairs the socket threw away below its minimum fidelity (each
            replaced by a further pair).
    """

    gate: str
    between: tuple[str, str]
    inputs: str
    gates: int
    fidelity_mean: float
    fidelity_std: float
    average_gate_fidelity: float
    pair_fidelity_mean: float
    gates_per_s: float
    latency_mean_s: float
    elapsed_s: float
    pairs_discarded: int = 0


_BASIS = np.eye(2, dtype=np.complex128)


class _Rounds:
    """Each round's inputs and the check of its output (the simulator's reading)."""

    def __init__(self, runtime: AppRuntime, gate: str, inputs: str, rounds: int,
                 rng: np.random.Generator) -> None:
        self.runtime = runtime
        self.gate = GATES[gate]
        self.inputs = inputs
        self.choi = choi_vector(self.gate)
        if inputs == "haar":
            z = rng.normal(size=(rounds, 2, 2)) + 1j * rng.normal(size=(rounds, 2, 2))
            self.states = z / np.linalg.norm(z, axis=2, keepdims=True)
        else:  # basis inputs |00>, |01>, |10>, |11> in turn
            k = np.arange(rounds)
            self.states = np.stack([_BASIS[(k >> 1) & 1], _BASIS[k & 1]], axis=1)
        self.refs: dict[tuple[int, str], Qubit] = {}
        self.target_of: dict[int, Qubit] = {}
        self.fidelity: list[float] = []
        self.done_ps: list[int] = []
        self.delivered_ps: list[int] = []

    def _prepare(self, ctx: NodeContext, k: int, side: int) -> Qubit:
        if self.inputs == "choi":
            ref, q = ctx.new_qubits(np.array([1, 0, 0, 1]) / np.sqrt(2))
            self.refs[k, ctx.node] = ref
            return q
        return ctx.new_qubit(self.states[k, side])

    def control(self, ctx: NodeContext, k: int) -> Qubit:
        return self._prepare(ctx, k, 0)

    def target(self, ctx: NodeContext, k: int) -> Qubit:
        return self._prepare(ctx, k, 1)

    def target_done(self, ctx: NodeContext, k: int, t: Qubit) -> None:
        self.target_of[k] = t

    def control_done(self, ctx: NodeContext, k: int, c: Qubit) -> None:
        # the gate is complete: read the output, then let every qubit of the round go
        t = self.target_of.pop(k)
        runtime = self.runtime
        if self.inputs == "choi":
            ref_c, ref_t = self.refs.pop((k, c.node)), self.refs.pop((k, t.node))
            qubits: tuple[int, ...] = (ref_c.id, ref_t.id, c.id, t.id)
            ideal = self.choi
        else:
            qubits = (c.id, t.id)
            ideal = self.gate @ np.kron(self.states[k, 0], self.states[k, 1])
        runtime.catch_up(qubits)
        self.fidelity.append(runtime.register.fidelity(ideal, *qubits))
        for q in qubits:
            runtime.register.discard(q)
        self.done_ps.append(ctx.now_ps)


@dataclass(frozen=True, slots=True)
class NonlocalGateSession:
    """Non-local gates set up on a runtime: read :meth:`result` after the run."""

    socket: EprSocket
    book: _Rounds
    gate: str
    between: tuple[str, str]
    inputs: str
    control: NodeContext

    def result(self) -> NonlocalGateResult:
        """The statistics so far."""
        return _result(self.socket, self.book, self.gate, self.between, self.inputs,
                       self.control)


def setup_nonlocal_gate(runtime: AppRuntime, control: str, target: str, *, gate: str,
                        rounds: int, rng: np.random.Generator, inputs: str = "choi",
                        min_fidelity: float = 0.0) -> NonlocalGateSession:
    """Open the socket and add both programs to ``runtime`` (arguments as
    :func:`run_nonlocal_gate`; ``rng`` draws the Haar inputs).

    Raises:
        ConfigError: an unknown gate or input kind, or fewer than one round.
    """
    if gate not in NONLOCAL_GATES:
        raise ConfigError("gate", f"must be one of {list(NONLOCAL_GATES)}, got {gate!r}")
    if inputs not in ("choi", "basis", "haar"):
        raise ConfigError("inputs", f"must be choi, basis or haar, got {inputs!r}")
    if rounds < 1:
        raise ConfigError("count", f"must be at least 1, got {rounds}")
    book = _Rounds(runtime, gate, inputs, rounds, rng)
    socket = runtime.connect(control, target, pairs=rounds, min_fidelity=min_fidelity)
    port = f"{gate}/{len(runtime.sockets) - 1}"
    alice = runtime.program(control, gate_control, sockets=(socket,), port=port, peer=target,
                            rounds=rounds, prepare=book.control, finish=book.control_done)
    runtime.program(target, gate_target, sockets=(socket,), port=port, peer=control,
                    rounds=rounds, gate=gate, prepare=book.target, finish=book.target_done)
    return NonlocalGateSession(socket, book, gate, (control, target), inputs, alice)


def run_nonlocal_gate(network: EntanglementNetwork, control: str, target: str, *,
                      gate: str, rounds: int, rng: RngTree, inputs: str = "choi",
                      min_fidelity: float = 0.0,
                      until_s: float | None = None) -> NonlocalGateResult:
    """Make ``rounds`` non-local ``gate`` between ``control`` and ``target`` and check each.

    Args:
        network: an entanglement network that has not started.
        control: the node holding the control qubit.
        target: the node holding the target qubit.
        gate: ``"cnot"`` or ``"cz"``.
        rounds: gates to make (one pair each).
        rng: the random tree.
        inputs: ``"choi"``, ``"basis"`` or ``"haar"`` (see :class:`NonlocalGateResult`).
        min_fidelity: the socket's minimum pair fidelity.
        until_s: stop the run there (``None``: when both programs are done).

    Raises:
        ConfigError: an unknown gate or input kind, or fewer than one round.
    """
    runtime = AppRuntime(network, rng=rng)
    session = setup_nonlocal_gate(runtime, control, target, gate=gate, rounds=rounds,
                                  rng=rng.generator("apps/nonlocal/inputs"), inputs=inputs,
                                  min_fidelity=min_fidelity)
    runtime.run(until_s=until_s)
    return session.result()


def _result(socket: EprSocket, book: _Rounds, gate: str, between: tuple[str, str],
            inputs: str, alice: NodeContext) -> NonlocalGateResult:
    fid = np.array(book.fidelity)
    n = fid.size
    nan = float("nan")
    done = np.array(book.done_ps, dtype=np.int64)
    elapsed_s = float(done[-1]) * 1e-12 if n else alice.now_s
    record = socket.record()
    delivered = np.array(alice.records.get("delivered_ps", ()), dtype=np.int64)
    mean = float(fid.mean()) if n else nan
    return NonlocalGateResult(
        gate=gate, between=between, inputs=inputs, gates=n, fidelity_mean=mean,
        fidelity_std=float(fid.std(ddof=1)) if n > 1 else 0.0 if n else nan,
        average_gate_fidelity=(4 * mean + 1) / 5 if inputs == "choi" else nan,
        pair_fidelity_mean=record.fidelity_mean,
        gates_per_s=n / elapsed_s if n and elapsed_s > 0 else nan,
        latency_mean_s=float((done - delivered[:n]).mean()) * 1e-12
        if n and delivered.size >= n else nan,
        elapsed_s=elapsed_s, pairs_discarded=record.discarded)
