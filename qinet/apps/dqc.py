"""Two-module distributed computing: Grover's search and a GHZ state across a network pair.

Each module is a node holding circuit qubits; the two-qubit gates between modules are
teleported (Eisert, Jacobs, Papadopoulos and Plenio, Phys. Rev. A 62, 052317 (2000)),
one delivered pair and one bit each way per gate, as in :mod:`qinet.apps.nonlocal_gates`
(the first node holds the control). These are the circuits of the two-module trapped-ion
experiment of Main et al., Nature (2025),
doi:10.1038/s41586-024-08404-x.

Noise model of a teleported gate. A Bell-diagonal pair of weights
``w = (w_I, w_X, w_Y, w_Z)`` (Φ+, Ψ+, Ψ-, Φ-) is Φ+ with the Pauli ``P_k`` on the target
side's half. Followed through the protocol, the teleported gate is the ideal gate then a
Pauli channel on (control c, target t), for ideal nodes:

* CZ: ``I`` w.p. ``w_I``, ``Z_t`` w.p. ``w_X``, ``Z_c Z_t`` w.p. ``w_Y``, ``Z_c`` w.p.
  ``w_Z`` (``CZ X_b = X_b Z_t CZ`` turns the copied control's flip into ``Z_t``; a Z on
  the half flips the X read-out, whose correction then leaves ``Z_c``);
* CNOT: the same with ``X_t`` in place of ``Z_t``.

For a Werner pair of fidelity F every error has weight ``(1 - F)/3``.

Grover's search on two qubits (one per module, marked item ``m = (m_c, m_t)``):
``H⊗H``, the oracle ``CZ_m = X^{¬m} CZ X^{¬m}``, the diffusion
``H⊗H X⊗X CZ X⊗X H⊗H``, measure: ideally ``m`` with certainty (one iteration suffices
for N = 4; Grover, Phys. Rev. Lett. 79, 325 (1997)). Both CZs are teleported, each on its
own pair. The Z errors commute with the oracle's phases; one after the oracle makes the
state before the diffusion ``Z^e |ψ_m>``, which the diffusion sends with certainty to
``m ⊕ g(e)``, ``g(Z_c) = (0, 1)``, ``g(Z_t) = (1, 0)``, ``g(Z_c Z_t) = (1, 1)``
(``<x|D Z^e|ψ_m> = 0`` unless ``(x ⊕ m)·e = 0``). One after the diffusion's CZ turns
into X flips of the read-out (``H X X`` maps Z to X up to sign): ``Z_c`` flips ``m_c``,
``Z_t`` flips ``m_t``. So the search succeeds when there is no error or the two errors
undo each other:

``P = w_I w'_I + w_Z w'_X + w_X w'_Z + w_Y w'_Y``   (pairs ``w``, ``w'`` of the two gates),

``P = F^2 + (1 - F)^2 / 3`` for two Werner pairs of fidelity F
(:func:`grover_success_probability`). The teleported CZ's process fidelity is ``w_I``
and its average gate fidelity ``(4 w_I + 1)/5``.

The two-module GHZ state over ``k`` qubits per module: module A makes
``(|0..0> + |1..1>)/√2`` on its k qubits (H, then CNOTs fanning out), a teleported
CNOT copies its first qubit onto module B's first, and B fans that out to its others.
Each error of the teleported CNOT leaves the state orthogonal to the GHZ state (``Z_c``
makes ``GHZ-``, ``X_t`` flips all of B's qubits after the fan-out), so its fidelity is
exactly ``w_I`` (:func:`two_module_ghz_fidelity`).

Each round's success probability (or GHZ fidelity) is read from the register when both
modules have finished, before the read-out (the simulator's reading, exact on the
density-matrix backend), and the modules then measure; the success rate counts rounds
whose read-out found ``m`` (binomial error).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.apps.nonlocal_gates import teleported_control, teleported_target
from qinet.apps.sdk import AppRuntime, EprSocket, Event, NodeContext, Qubit, clifford
from qinet.errors import ConfigError
from qinet.network.manager import EntanglementNetwork
from qinet.rng import RngTree

FloatArray = NDArray[np.float64]


def grover_success_probability(first: ArrayLike, second: ArrayLike | None = None) -> float:
    """Success probability of the two-module Grover search with teleported CZs.

    ``P = w_I w'_I + w_Z w'_X + w_X w'_Z + w_Y w'_Y`` for the Bell weights ``w`` of the
    oracle's pair and ``w'`` of the diffusion's (``second``: the same as ``first``), for
    ideal nodes (derivation in the module docstring); nodes with read-out errors enter
    through :func:`teleported_gate_weights`.

    Args:
        first: Bell weights (Φ+, Ψ+, Ψ-, Φ-) of the oracle's pair, or a Werner fidelity.
        second: the same for the diffusion's pair (default: ``first``).

    Examples:
        >>> grover_success_probability(1.0)
        1.0
        >>> round(grover_success_probability(0.9), 6)  # 0.81 + 0.01 / 3
        0.813333
    """
    w = _weights(first, "first")
    v = w if second is None else _weights(second, "second")
    return float(w[0] * v[0] + w[3] * v[1] + w[1] * v[3] + w[2] * v[2])


def teleported_gate_weights(pair_weights: ArrayLike, *, control_readout_error: float = 0.0,
                            target_readout_error: float = 0.0) -> FloatArray:
    """The Pauli channel after a teleported gate, as the Bell weights of an equivalent
    pair: ``(p_I, p_t, p_ct, p_c)`` for no error, the target's error (``Z_t`` for CZ,
    ``X_t`` for CNOT), both, and the control's ``Z_c``.

    A read-out error of the control node flips ``m1``, the same as an X on the target
    side's half: a target error w.p. ``ε_c``; one of the target node flips ``m2``, the
    same as a Z on it: a ``Z_c`` w.p. ``ε_t``. Independent of the pair's error, each
    composes with it as bits (c, t) added mod 2. Two-qubit gate depolarising is not in
    this form (it puts X errors on the control).

    Args:
        pair_weights: the pair's Bell weights (Φ+, Ψ+, Ψ-, Φ-), or a Werner fidelity.
        control_readout_error: the control node's measurement flip probability.
        target_readout_error: the target node's.

    Examples:
        >>> teleported_gate_weights(1.0, control_readout_error=0.1).round(12).tolist()
        [0.9, 0.1, 0.0, 0.0]
    """
    w = _weights(pair_weights, "pair_weights")
    # the error as bits (c, t): I (0, 0), Psi+ (0, 1), Psi- (1, 1), Phi- (1, 0)
    p = np.array([[w[0], w[1]], [w[3], w[2]]])
    for axis, flip in ((1, control_readout_error), (0, target_readout_error)):
        if not 0.0 <= flip <= 1.0:
            raise ConfigError("readout_error", f"must lie in [0, 1], got {flip}")
        p = (1.0 - flip) * p + flip * np.flip(p, axis=axis)
    out: FloatArray = np.array([p[0, 0], p[0, 1], p[1, 1], p[1, 0]])
    return out


def two_module_ghz_fidelity(weights: ArrayLike) -> float:
    """Fidelity of the two-module GHZ state made with one teleported CNOT: ``w_I``.

    Examples:
        >>> two_module_ghz_fidelity([0.9, 0.05, 0.03, 0.02])
        0.9
    """
    return float(_weights(weights, "weights")[0])


def _weights(value: ArrayLike, name: str) -> FloatArray:
    w = np.asarray(value, dtype=float)
    if w.ndim == 0:
        q = (1.0 - float(w)) / 3.0
        w = np.array([float(w), q, q, q])
    if w.shape != (4,) or np.any(w < -1e-12) or abs(float(w.sum()) - 1.0) > 1e-9:
        raise ConfigError(name, f"need a fidelity or four Bell weights summing to 1, got "
                                f"{np.asarray(value).tolist()}")
    return w


# -- rounds: read the joint state when both modules are done, then read out ------------

class _Book:
    """Each round's qubits from both modules, the reading, and the outcomes."""

    def __init__(self, runtime: AppRuntime, ideal: NDArray[np.complex128],
                 sizes: tuple[int, int]) -> None:
        self.runtime = runtime
        self.ideal = ideal
        self.sizes = sizes
        self.parts: dict[int, dict[int, tuple[NodeContext, tuple[Qubit, ...]]]] = {}
        self.events: dict[int, Event] = {}
        self.reading: list[float] = []
        self.states: list[NDArray[np.complex128]] = []
        self.outcomes: dict[int, dict[int, tuple[int, ...]]] = {}
        self.done_ps: list[int] = []

    def finished(self, k: int, side: int, ctx: NodeContext,
                 qubits: tuple[Qubit, ...]) -> Event:
        """Module ``side`` is done with round ``k``: an event for when both are read."""
        parts = self.parts.setdefault(k, {})
        parts[side] = (ctx, qubits)
        event = self.events.setdefault(k, Event())
        if len(parts) == 2:
            (ca, qa), (cb, qb) = parts[0], parts[1]
            ids = tuple(q.id for q in qa + qb)
            self.runtime.catch_up(ids, at_ps=max(ca.now_ps, cb.now_ps))
            register = self.runtime.register
            self.reading.append(register.fidelity(self.ideal, *ids))
            if self.runtime.tableau is None and len(ids) <= 6:
                self.states.append(register.reduced(*ids))
            del self.parts[k], self.events[k]
            event.succeed(None)
        return event

    def read_out(self, k: int, side: int, ctx: NodeContext, qubits: tuple[Qubit, ...]) -> None:
        bits = tuple(ctx.measure(q) for q in qubits)
        round_bits = self.outcomes.setdefault(k, {})
        round_bits[side] = bits
        if len(round_bits) == 2:
            self.done_ps.append(ctx.now_ps)


def _teleported(ctx: NodeContext, side: int, peer: str, q: Qubit,
                gate: str) -> Generator[Event, Any, None]:
    """Module A (side 0) holds the teleported ``gate``'s control, module B its target."""
    if side == 0:
        return teleported_control(ctx, peer, q)
    return teleported_target(ctx, peer, q, gate)


def _grover(ctx: NodeContext, side: int, *, peer: str, rounds: int, marked: tuple[int, int],
            book: _Book) -> Generator[Event, Any, int]:
    """One module's ``rounds`` searches: A's qubit c (side 0), B's qubit t (side 1)."""
    for k in range(rounds):
        q = ctx.new_qubit()
        ctx.apply("h", q)
        if not marked[side]:
            ctx.apply("x", q)
        yield from _teleported(ctx, side, peer, q, "cz")  # the oracle's CZ
        if not marked[side]:
            ctx.apply("x", q)
        ctx.apply("h", q)
        ctx.apply("x", q)
        yield from _teleported(ctx, side, peer, q, "cz")  # the diffusion's CZ
        ctx.apply("x", q)
        ctx.apply("h", q)
        yield book.finished(k, side, ctx, (q,))
        book.read_out(k, side, ctx, (q,))
    return rounds


def _ghz(ctx: NodeContext, side: int, *, peer: str, rounds: int, size: int,
         book: _Book) -> Generator[Event, Any, int]:
    """One module's ``rounds`` GHZ states: A makes its part and copies its first qubit to
    B's first (side 0), B fans the copy out (side 1)."""
    for k in range(rounds):
        qubits = tuple(ctx.new_qubit() for _ in range(size))
        if side == 0:
            ctx.apply("h", qubits[0])
            _fan_out(ctx, qubits)
        yield from _teleported(ctx, side, peer, qubits[0], "cnot")
        if side == 1:
            _fan_out(ctx, qubits)
        yield book.finished(k, side, ctx, qubits)
        book.read_out(k, side, ctx, qubits)
    return rounds


def _fan_out(ctx: NodeContext, qubits: tuple[Qubit, ...]) -> None:
    for q in qubits[1:]:
        ctx.apply("cnot", qubits[0], q)


# Each module runs a program of its own name: the name keys the program's random stream.

@clifford
def _grover_a(ctx: NodeContext, **options: Any) -> Generator[Event, Any, int]:
    """Module A (qubit c, the CZs' control): ``rounds`` searches."""
    return _grover(ctx, 0, **options)


@clifford
def _grover_b(ctx: NodeContext, **options: Any) -> Generator[Event, Any, int]:
    """Module B (qubit t, the CZs' target)."""
    return _grover(ctx, 1, **options)


@clifford
def _ghz_a(ctx: NodeContext, **options: Any) -> Generator[Event, Any, int]:
    return _ghz(ctx, 0, **options)


@clifford
def _ghz_b(ctx: NodeContext, **options: Any) -> Generator[Event, Any, int]:
    return _ghz(ctx, 1, **options)


# -- results --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TwoModuleResult:
    """Rounds of a two-module circuit.

    Attributes:
        circuit: ``"grover"`` or ``"ghz"``.
        between: (module A, module B): A holds the teleported gates' controls.
        rounds: rounds completed (both modules read out).
        reading_mean: mean over rounds of the simulator's reading before the read-out:
            the success probability (grover) or the GHZ fidelity (ghz); NaN: none.
        reading_std: its standard deviation over rounds.
        success_rate: grover: rounds whose read-out found the marked item; ghz: rounds
            whose read-out was all zeros or all ones (the GHZ populations).
        success_rate_error: its binomial standard error.
        pair_fidelity_mean: mean fidelity to Φ+ of the pairs kept, at delivery.
        pairs_used: pairs consumed (two a round for grover, one for ghz).
        rounds_per_s: rounds over the time the last one ended.
        elapsed_s: simulated time until the last read-out.
        states: each round's density matrix before the read-out (density-matrix backend,
            at most six qubits; empty otherwise), qubits A's then B's.
        pairs_discarded: pairs the socket threw away below its minimum fidelity (each
            replaced by a further pair).
    """

    circuit: str
    between: tuple[str, str]
    rounds: int
    reading_mean: float
    reading_std: float
    success_rate: float
    success_rate_error: float
    pair_fidelity_mean: float
    pairs_used: int
    rounds_per_s: float
    elapsed_s: float
    states: tuple[NDArray[np.complex128], ...] = ()
    pairs_discarded: int = 0


@dataclass(frozen=True, slots=True)
class TwoModuleSession:
    """A two-module circuit set up on a runtime: read :meth:`result` after the run."""

    circuit: str
    socket: EprSocket
    book: _Book
    marked: tuple[int, int] | None
    a: NodeContext
    b: NodeContext

    def result(self) -> TwoModuleResult:
        """The statistics so far."""
        book = self.book
        reading = np.array(book.reading)
        done = sorted(k for k, bits in book.outcomes.items() if len(bits) == 2)
        n = len(done)
        nan = float("nan")
        if self.marked is not None:
            hits = [book.outcomes[k][0] + book.outcomes[k][1] == self.marked for k in done]
        else:
            hits = [len(set(book.outcomes[k][0] + book.outcomes[k][1])) == 1 for k in done]
        rate = float(np.mean(hits)) if n else nan
        elapsed_s = max(book.done_ps) * 1e-12 if book.done_ps else self.a.now_s
        return TwoModuleResult(
            circuit=self.circuit, between=self.socket.between, rounds=n,
            reading_mean=float(reading.mean()) if reading.size else nan,
            reading_std=float(reading.std(ddof=1)) if reading.size > 1 else 0.0,
            success_rate=rate,
            success_rate_error=float(np.sqrt(rate * (1 - rate) / n)) if n else nan,
            pair_fidelity_mean=self.socket.record().fidelity_mean,
            pairs_used=self.a.pairs_used, rounds_per_s=n / elapsed_s if n and elapsed_s
            else nan, elapsed_s=elapsed_s, states=tuple(book.states),
            pairs_discarded=self.socket.record().discarded)


def _basis(bits: tuple[int, ...]) -> NDArray[np.complex128]:
    vector = np.zeros(2 ** len(bits), dtype=np.complex128)
    vector[int("".join(map(str, bits)), 2)] = 1.0
    return vector


def setup_two_module(runtime: AppRuntime, a: str, b: str, *, circuit: str, rounds: int,
                     marked: tuple[int, int] = (1, 1), qubits_per_module: int = 2,
                     min_fidelity: float = 0.0) -> TwoModuleSession:
    """Open the socket and add both modules' programs to ``runtime``.

    Args:
        runtime: the runtime (its network not started).
        a: module A (the teleported gates' control side).
        b: module B.
        circuit: ``"grover"`` (one qubit per module) or ``"ghz"``.
        rounds: circuits run, one after the other.
        marked: the item Grover's search looks for, (A's bit, B's bit).
        qubits_per_module: the GHZ state's qubits at each module (1 to 3).
        min_fidelity: the socket's minimum pair fidelity.

    Raises:
        ConfigError: an unknown circuit, a bad marked item, rounds or module size.
    """
    if rounds < 1:
        raise ConfigError("rounds", f"must be at least 1, got {rounds}")
    port = f"dqc/{len(runtime.sockets)}"
    if circuit == "grover":
        if tuple(marked) not in ((0, 0), (0, 1), (1, 0), (1, 1)):
            raise ConfigError("marked", f"must be two bits, got {marked}")
        item = (int(marked[0]), int(marked[1]))
        book = _Book(runtime, _basis(item), (1, 1))
        socket = runtime.connect(a, b, pairs=2 * rounds, min_fidelity=min_fidelity)
        options: dict[str, Any] = {"rounds": rounds, "marked": item, "book": book}
        ctx_a = runtime.program(a, _grover_a, sockets=(socket,), port=port, peer=b, **options)
        ctx_b = runtime.program(b, _grover_b, sockets=(socket,), port=port, peer=a, **options)
        return TwoModuleSession(circuit, socket, book, item, ctx_a, ctx_b)
    if circuit == "ghz":
        if not 1 <= qubits_per_module <= 3:
            raise ConfigError("qubits_per_module", f"must be 1 to 3, got {qubits_per_module}")
        n = 2 * qubits_per_module
        ideal = (_basis((0,) * n) + _basis((1,) * n)) / np.sqrt(2.0)
        book = _Book(runtime, ideal, (qubits_per_module, qubits_per_module))
        socket = runtime.connect(a, b, pairs=rounds, min_fidelity=min_fidelity)
        options = {"rounds": rounds, "size": qubits_per_module, "book": book}
        ctx_a = runtime.program(a, _ghz_a, sockets=(socket,), port=port, peer=b, **options)
        ctx_b = runtime.program(b, _ghz_b, sockets=(socket,), port=port, peer=a, **options)
        return TwoModuleSession(circuit, socket, book, None, ctx_a, ctx_b)
    raise ConfigError("circuit", f"must be grover or ghz, got {circuit!r}")


def run_two_module(network: EntanglementNetwork, a: str, b: str, *, circuit: str,
                   rounds: int, rng: RngTree, marked: tuple[int, int] = (1, 1),
                   qubits_per_module: int = 2, min_fidelity: float = 0.0,
                   backend: str = "density-matrix",
                   until_s: float | None = None) -> TwoModuleResult:
    """Run ``rounds`` of a two-module circuit between ``a`` and ``b`` on ``network``
    (arguments as :func:`setup_two_module`; ``backend`` that of
    :class:`~qinet.apps.sdk.AppRuntime`, ``until_s`` where to stop the run).
    """
    runtime = AppRuntime(network, rng=rng, backend=backend)
    session = setup_two_module(runtime, a, b, circuit=circuit, rounds=rounds, marked=marked,
                               qubits_per_module=qubits_per_module,
                               min_fidelity=min_fidelity)
    runtime.run(until_s=until_s)
    return session.result()
