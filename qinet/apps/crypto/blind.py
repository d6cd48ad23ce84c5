"""Universal blind quantum computation with trap qubits, over delivered pairs.

The client (Broadbent, Fitzsimons, Kashefi, FOCS 2009, "UBQC") wants the measurement
pattern of a line cluster run by a server that learns neither the angles nor the
result; traps (Fitzsimons, Kashefi, PRA 96, 012303 (2017)) catch a server that deviates.

Remote state preparation. Each server qubit comes from a delivered pair: the client
measures her half in the X-Y plane at ``-θ`` (so the server's half becomes ``|+_θ>``,
``|+_θ> = (|0> + e^{iθ}|1>)/√2``, the outcome's π folded into θ) or in Z (the server's
half becomes the *dummy* ``|d>``). A Pauli error ``P_k`` of the pair (its Bell weight
``w_k``, qubit 1 at the server) turns ``|+_θ>`` into ``|+_θ>, |+_{-θ}>, |+_{π-θ}>,
|+_{θ+π}>`` for ``I, X, Y, Z`` and flips a dummy under X or Y. Angles are multiples of
π/4, held as integers modulo 8.

Layout. The public graph is a line of ``N = m + 2t`` qubits: the computation block of
``m`` qubits and ``t`` single traps, in a random order known only to the client, with a
dummy between neighbouring blocks. A dummy ``|d>`` disconnects the line under the
server's CZ gates, giving its neighbours ``Z^d``, which the client folds into their
angles. Every qubit the server holds is maximally mixed from its view and every angle it
receives is uniform, so roles are hidden.

Angles. The client sends ``δ = φ' + θ + π(r + kick)`` with a one-time pad bit ``r``; the
server's outcome ``b`` gives ``s = b ⊕ r``. On the line, measuring a qubit carrying the
byproduct ``X^x Z^z`` at ``φ' = (-1)^x φ + zπ`` leaves the next qubit with the byproduct
``X^s Z^x`` (from ``CZ(|ψ>|+>)`` projected on ``<±_φ|`` = ``X^s H D(φ)|ψ>``,
``D(φ) = diag(1, e^{-iφ})``); the last outcome is then the ideal one, whose
distribution is ``P(0) = |<+_{φ_m}| H D(φ_{m-1}) ⋯ H D(φ_1) |+>|²``.

Traps. A trap measured at ``δ = θ + π(r + kick)`` gives ``b = r`` on perfect pairs.
A server that flips the reported outcome of one qubit (or, the same thing, measures it
at ``δ + π``) is caught exactly when that qubit is a trap: with probability ``t/N`` for
a position it picks uniformly, since it cannot tell the roles apart. Measuring at
``δ + α`` instead makes a trap fail with ``(1 - cos α)/2``, so the detection
probability is ``P(trap) (1 - cos α)/2``. With noisy pairs a trap with ``D`` dummy neighbours fails
on its own with probability ``q = (1 - (w_I - w_Z) T_z^D)/2``, ``T_z = w_I + w_Z - w_X - w_Y``
(a Z-type flip of the trap or of either dummy flips the outcome; an X or Y error of the
trap leaves it a fair coin), which for Werner pairs is ``(1 - ((4F-1)/3)^{D+1})/2``.

Scope. The server here deviates only in the angle at which it measures one qubit (an
outcome flip being the angle π); its other operations are honest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.apps.crypto import _inputs
from qinet.errors import ConfigError

IntArray = NDArray[np.int64]
_COMPUTE, _TRAP, _DUMMY = 0, 1, 2
_QUARTER_PI = math.pi / 4


@dataclass(frozen=True, slots=True)
class Layout:
    """One placement of the computation block and the traps on the line.

    Attributes:
        roles: per position, 0 computation, 1 trap, 2 dummy.
        compute: positions of the computation qubits, in measurement order.
        traps: positions of the traps.
    """

    roles: tuple[int, ...]
    compute: tuple[int, ...]
    traps: tuple[int, ...]

    def dummy_neighbours(self, position: int) -> tuple[int, ...]:
        """The dummies next to ``position`` on the line."""
        return tuple(q for q in (position - 1, position + 1)
                     if 0 <= q < len(self.roles) and self.roles[q] == _DUMMY)


@dataclass(frozen=True, slots=True)
class BlindRunReport:
    """The outcome of ``runs`` blind computations of one pattern.

    Attributes:
        runs: computations run.
        qubits_per_run: N, qubits (and delivered pairs) per run.
        traps_per_run: t.
        trap_fraction: t / N.
        pairs_used: ``runs * N`` delivered pairs.
        detection_rate: fraction of runs in which a trap failed (the client rejects).
        trap_failure_rate: fraction of all traps that failed.
        trap_failure_rate_expected: the closed form on these pairs for an honest server.
        output_bits: the client's decoded output bit per run.
        accepted: per run, True when every trap passed.
        output_zero_probability_ideal: ``P(0)`` of the pattern on perfect states.
        angles_sent_rad: ``(runs, N)`` the angles the server received, radians.
    """

    runs: int
    qubits_per_run: int
    traps_per_run: int
    trap_fraction: float
    pairs_used: int
    detection_rate: float
    trap_failure_rate: float
    trap_failure_rate_expected: float
    output_bits: IntArray
    accepted: NDArray[np.bool_]
    output_zero_probability_ideal: float
    angles_sent_rad: NDArray[np.float64]


def layouts(compute_qubits: int, traps: int) -> tuple[Layout, ...]:
    """The ``t + 1`` layouts, one per slot of the computation block among the blocks.

    Examples:
        >>> [l.roles for l in layouts(2, 1)]
        [(0, 0, 2, 1), (1, 2, 0, 0)]
    """
    m = _inputs.count("compute_qubits", compute_qubits)
    t = _inputs.count("traps", traps)
    result = []
    for slot in range(t + 1):
        roles: list[int] = []
        for block in range(t + 1):
            roles.extend([_COMPUTE] * m if block == slot else [_TRAP])
            if block < t:
                roles.append(_DUMMY)
        result.append(Layout(
            roles=tuple(roles),
            compute=tuple(i for i, r in enumerate(roles) if r == _COMPUTE),
            traps=tuple(i for i, r in enumerate(roles) if r == _TRAP)))
    return tuple(result)


def trap_hit_probability(compute_qubits: int, traps: int, position: int | None) -> float:
    """P(the qubit at ``position`` is a trap) over the client's uniform layouts.

    ``None`` is a position the server picks uniformly: then it is ``t/N``.

    Examples:
        >>> trap_hit_probability(3, 2, None)
        0.2857142857142857
        >>> trap_hit_probability(3, 2, 0)  # first: a trap unless the block is first
        0.6666666666666666
    """
    all_layouts = layouts(compute_qubits, traps)
    n = len(all_layouts[0].roles)
    if position is None:
        return traps / n
    return sum(layout.roles[position] == _TRAP for layout in all_layouts) / len(all_layouts)


def detection_probability(compute_qubits: int, traps: int, position: int | None,
                          deviation_rad: float = math.pi) -> float:
    """``P(trap at position) (1 - cos α)/2``: a deviation caught, on perfect pairs.

    Examples:
        >>> round(detection_probability(3, 2, None, math.pi / 2), 12)  # half of t/N = 2/7
        0.142857142857
    """
    hit = trap_hit_probability(compute_qubits, traps, position)
    return hit * (1.0 - math.cos(deviation_rad)) / 2.0


def trap_failure_probability(weights: ArrayLike, dummy_neighbours: int) -> float:
    """``q = (1 - (w_I - w_Z) T_z^D)/2``: an honest trap's failure on noisy pairs.

    Examples:
        >>> trap_failure_probability([1.0, 0, 0, 0], 2)
        0.0
        >>> from qinet.quantum import werner_weights
        >>> round(trap_failure_probability(werner_weights(0.85), 2), 6)  # (1-0.8³)/2
        0.244
    """
    w = _inputs.bell_weights("weights", weights)[0]
    t_z = w[0] + w[3] - w[1] - w[2]
    return float((1.0 - (w[0] - w[3]) * t_z ** dummy_neighbours) / 2.0)


def ideal_output_zero_probability(angles_rad: Sequence[float]) -> float:
    """``P(0) = |<+_{φ_m}| H D(φ_{m-1}) ⋯ H D(φ_1) |+>|²`` of the line pattern.

    Examples:
        >>> ideal_output_zero_probability([0.0, 0.0, 0.0])
        1.0
    """
    phis = [k * _QUARTER_PI for k in _eighths(angles_rad)]
    h = np.array([[1, 1], [1, -1]]) / math.sqrt(2)
    psi = np.array([1, 1], dtype=complex) / math.sqrt(2)
    for phi in phis[:-1]:
        psi = h @ (np.array([1, np.exp(-1j * phi)]) * psi)
    amplitude = (psi[0] + np.exp(-1j * phis[-1]) * psi[1]) / math.sqrt(2)
    return float(round(abs(amplitude) ** 2, 12))


def _eighths(angles_rad: Sequence[float]) -> list[int]:
    """Angles in radians as integers k of kπ/4 modulo 8, or a ConfigError."""
    if len(angles_rad) == 0:
        raise ConfigError("angles_rad", "must hold at least one angle")
    result = []
    for i, angle in enumerate(angles_rad):
        k = float(angle) / _QUARTER_PI
        if not math.isfinite(k) or abs(k - round(k)) > 1e-9:
            raise ConfigError(f"angles_rad[{i}]", f"must be a multiple of π/4, got {angle!r}")
        result.append(round(k) % 8)
    return result


def run_blind_computation(angles_rad: Sequence[float], *, weights: ArrayLike, traps: int,
                          runs: int, rng: np.random.Generator,
                          deviate_position: int | None = None,
                          deviate_random_position: bool = False,
                          deviation_rad: float = math.pi) -> BlindRunReport:
    """Run the line pattern ``angles_rad`` blindly ``runs`` times with ``traps`` traps.

    Args:
        angles_rad: the computation's measurement angles φ_1..φ_m, multiples of π/4.
        weights: Bell weights ``(4,)`` of every delivered pair (qubit 1 at the server).
        traps: t >= 1 trap qubits per run.
        runs: independent runs (each a fresh layout and fresh secrets).
        rng: the random stream.
        deviate_position: a deviating server measures this position at ``δ + α``.
        deviate_random_position: a deviating server measures at ``δ + α`` a position
            it picks uniformly in each run.
        deviation_rad: α; the default π flips the outcome.

    Returns:
        A :class:`BlindRunReport`.

    Raises:
        ConfigError: a bad argument, naming it.

    Examples:
        >>> r = run_blind_computation([0.0, math.pi / 2, 0.0], weights=[1.0, 0, 0, 0],
        ...                           traps=2, runs=100, rng=np.random.default_rng(1))
        >>> r.detection_rate, r.qubits_per_run
        (0.0, 7)
    """
    phis = _eighths(angles_rad)
    m = len(phis)
    t = _inputs.count("traps", traps)
    total = _inputs.count("runs", runs)
    w = _inputs.bell_weights("weights", weights)[0]
    all_layouts = layouts(m, t)
    n = len(all_layouts[0].roles)
    if deviate_position is not None and deviate_random_position:
        raise ConfigError("deviate_position",
                          "give a position or deviate_random_position, not both")
    if deviate_position is not None and (isinstance(deviate_position, bool) or not isinstance(
            deviate_position, int) or not 0 <= deviate_position < n):
        raise ConfigError("deviate_position",
                          f"must be in 0..{n - 1}, got {deviate_position!r}")
    alpha = float(deviation_rad)
    if not math.isfinite(alpha):
        raise ConfigError("deviation_rad", f"must be finite, got {deviation_rad!r}")

    slot = rng.integers(0, t + 1, size=total)
    offsets = np.zeros((total, n))
    if deviate_position is not None:
        offsets[:, deviate_position] = alpha
    elif deviate_random_position:
        offsets[np.arange(total), rng.integers(0, n, size=total)] = alpha

    output = np.zeros(total, dtype=np.int64)
    failed_traps = np.zeros(total, dtype=np.int64)
    sent = np.zeros((total, n), dtype=np.int64)
    expected_failures = 0.0
    for index, layout in enumerate(all_layouts):
        rows = np.flatnonzero(slot == index)
        out, failed, delta = _run_layout(layout, phis, w, offsets[rows], rng)
        output[rows], failed_traps[rows], sent[rows] = out, failed, delta
        expected_failures += rows.size * sum(
            trap_failure_probability(w, len(layout.dummy_neighbours(p))) for p in layout.traps)
    detected = failed_traps > 0
    return BlindRunReport(
        runs=total, qubits_per_run=n, traps_per_run=t, trap_fraction=t / n,
        pairs_used=total * n, detection_rate=float(detected.mean()),
        trap_failure_rate=float(failed_traps.sum() / (total * t)),
        trap_failure_rate_expected=expected_failures / (total * t),
        output_bits=output, accepted=~detected,
        output_zero_probability_ideal=ideal_output_zero_probability(angles_rad),
        angles_sent_rad=np.asarray(sent * _QUARTER_PI, dtype=np.float64))


def _run_layout(layout: Layout, phis: list[int], w: NDArray[np.float64],
                offsets: NDArray[np.float64],
                rng: np.random.Generator) -> tuple[IntArray, IntArray, IntArray]:
    """One layout's runs: (output bits, failed traps per run, angles sent in eighths)."""
    runs, n = offsets.shape
    # the client's secrets, for every position (used where the role needs them)
    theta = rng.integers(0, 8, size=(runs, n))
    pad = rng.integers(0, 2, size=(runs, n))
    dummy = rng.integers(0, 2, size=(runs, n))
    # the delivered pairs' Pauli errors on the server's qubits
    pauli = rng.choice(4, size=(runs, n), p=w / w.sum())
    actual = np.select([pauli == 0, pauli == 1, pauli == 2], [theta, -theta, 4 - theta],
                       theta + 4) % 8
    actual_dummy = dummy ^ ((pauli == 1) | (pauli == 2))
    kick = np.zeros((runs, n), dtype=np.int64)
    actual_kick = np.zeros((runs, n), dtype=np.int64)
    for q in range(n):
        for d in layout.dummy_neighbours(q):
            kick[:, q] += dummy[:, d]
            actual_kick[:, q] += actual_dummy[:, d]
    actual = (actual + 4 * actual_kick) % 8
    prepared = (theta + 4 * kick) % 8  # the state the client believes the server holds

    delta = rng.integers(0, 8, size=(runs, n))  # dummies get uniform angles
    traps = list(layout.traps)
    delta[:, traps] = (prepared[:, traps] + 4 * pad[:, traps]) % 8
    # measuring |+_a> at angle β gives 1 with probability (1 - cos(a - β))/2
    beta = delta[:, traps] * _QUARTER_PI + offsets[:, traps]
    flip_prob = (1.0 - np.cos(actual[:, traps] * _QUARTER_PI - beta)) / 2.0
    outcome = (rng.random(flip_prob.shape) < flip_prob).astype(np.int64)
    failed = (outcome != pad[:, traps]).sum(axis=1)

    # the computation block, measured in order with the byproducts of the module docstring
    x = np.zeros(runs, dtype=np.int64)
    z = np.zeros(runs, dtype=np.int64)
    first = layout.compute[0]
    psi = np.stack([np.ones(runs), np.exp(1j * actual[:, first] * _QUARTER_PI)],
                   axis=1) / math.sqrt(2)
    s = np.zeros(runs, dtype=np.int64)
    for i, q in enumerate(layout.compute):
        corrected = ((1 - 2 * x) * phis[i] + 4 * z) % 8
        delta[:, q] = (corrected + prepared[:, q] + 4 * pad[:, q]) % 8
        phase = np.exp(-1j * (delta[:, q] * _QUARTER_PI + offsets[:, q]))
        if i + 1 < len(layout.compute):
            b = rng.integers(0, 2, size=runs)  # each outcome of a cluster qubit is a fair coin
            nxt = np.exp(1j * actual[:, layout.compute[i + 1]] * _QUARTER_PI)
            c0, c1 = psi[:, 0], (1 - 2 * b) * phase * psi[:, 1]
            psi = np.stack([c0 + c1, (c0 - c1) * nxt], axis=1) / math.sqrt(2)
        else:
            p0 = np.abs(psi[:, 0] + phase * psi[:, 1]) ** 2 / 2.0
            b = (rng.random(runs) >= p0).astype(np.int64)
        s = b ^ pad[:, q]
        x, z = s, x
    return s, failed, delta
