"""E91: a key from shared Bell pairs whose nonlocality is checked with a CHSH test.

Ekert, PRL 67, 661 (1991). For every pair Alice measures along one of the angles
``(0, π/4, π/2)`` and Bob along one of ``(π/4, π/2, 3π/4)``, each chosen uniformly, where
angle θ measures ``cos θ Z + sin θ X`` (the directions of Ekert's paper, in the X–Z
plane of the Bloch sphere, for the target state Φ+, whose correlation is
``E(α, β) = cos(α - β)``). After announcing the settings:

* the pairs with settings ``(0, π/4)``, ``(0, 3π/4)``, ``(π/2, π/4)``, ``(π/2, 3π/4)``
  give ``S = E(0, π/4) - E(0, 3π/4) + E(π/2, π/4) + E(π/2, 3π/4)``, the CHSH value
  (Clauser, Horne, Shimony and Holt, PRL 23, 880 (1969)): ``2√2`` for Φ+, at most 2 for
  any local (and any separable) state;
* the pairs with equal angles, ``(π/2, π/2)`` and ``(π/4, π/4)``, give the raw key;
* the remaining three combinations are discarded.

Security from the CHSH value alone (device independent, collective attacks): Eve's
Holevo information on the outcomes of a setting that enters the CHSH test is at most
``H2((1 + √((S/2)² - 1))/2)`` (Acín, Brunner, Gisin, Massar, Pironio and Scarani,
PRL 98, 230501 (2007); Pironio et al., New J. Phys. 11, 045021 (2009)), so that
``r = 1 - f H2(Q) - H2((1 + √((S/2)² - 1))/2)`` per key bit. The bound needs the key's
*reference* bits (those error correction aims at and privacy amplification hashes) to
come from a CHSH setting. Alice's π/2 is one, so the ``(π/2, π/2)`` stream (``"X"``) is
reconciled to Alice's bits; Bob's π/4 is one, so the ``(π/4, π/4)`` stream (``"D"``, the
diagonal direction) is reconciled to Bob's bits. The CHSH expression is symmetric in
the two parties, so the same bound holds for both.

Finite statistics: the run's CHSH value is bounded below with Hoeffding's inequality
(:func:`chsh_lower_bound`), and the run aborts when that bound does not exceed 2. Each
key block is compressed to ``n (1 - H2(q_E)) - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)``
bits with ``q_E = (1 - √((S_low/2)² - 1))/2`` (so that ``H2(q_E)`` is the Holevo bound at
the lower CHSH bound), the finite-key form of Tomamichel, Lim, Gisin and Renner,
Nat. Commun. 3, 634 (2012), eq. 2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.qkd._checks import check_open_probability
from qinet.qkd.bounds import di_secret_fraction, holevo_error
from qinet.qkd.protocols._blocks import (
    BlockTally,
    check_run_options,
    distill_in_blocks,
    phase_error_key_length,
)
from qinet.qkd.protocols._pair_measurement import measure_xz
from qinet.qkd.protocols.result import QkdRunResult
from qinet.quantum.backend import QuantumBackend
from qinet.rng import RngTree

ALICE_ANGLES: tuple[float, float, float] = (0.0, math.pi / 4, math.pi / 2)
"""Alice's measurement angles in the X–Z plane (Ekert 1991)."""

BOB_ANGLES: tuple[float, float, float] = (math.pi / 4, math.pi / 2, 3 * math.pi / 4)
"""Bob's measurement angles in the X–Z plane (Ekert 1991)."""

CHSH_TERMS: tuple[tuple[int, int, int], ...] = ((0, 0, 1), (0, 2, -1), (2, 0, 1), (2, 2, 1))
"""``(Alice's setting, Bob's setting, sign)`` of the four correlators in S."""

KEY_STREAMS: tuple[tuple[str, int, int, str], ...] = (("X", 2, 1, "alice"),
                                                      ("D", 1, 0, "bob"))
"""``(name, Alice's setting, Bob's setting, reference party)`` of the two key streams."""


@dataclass(frozen=True, slots=True)
class E91Outcomes:
    """Settings and outcomes of every measured pair (settings index the angle tuples).

    Attributes:
        alice_setting: index into :data:`ALICE_ANGLES`, per pair.
        bob_setting: index into :data:`BOB_ANGLES`, per pair.
        alice_bit: Alice's outcome (0 for +1, 1 for -1).
        bob_bit: Bob's outcome.
    """

    alice_setting: NDArray[np.intp]
    bob_setting: NDArray[np.intp]
    alice_bit: NDArray[np.uint8]
    bob_bit: NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class ChshEstimate:
    """The CHSH value measured on a finite sample.

    Attributes:
        value: ``S`` from the sample correlators.
        lower: lower confidence bound on ``S`` (see :func:`chsh_lower_bound`).
        correlators: the four sample correlators, in the order of :data:`CHSH_TERMS`.
        counts: pairs behind each correlator.
    """

    value: float
    lower: float
    correlators: tuple[float, float, float, float]
    counts: tuple[int, int, int, int]


def measure_e91(states: Any, backend: QuantumBackend, *, rng: RngTree) -> E91Outcomes:
    """Draw both ends' settings and measure every pair along them, in one pass.

    Args:
        states: the backend's batch of pairs (qubit 0 at Alice, qubit 1 at Bob).
        backend: the formalism the pairs are held in.
        rng: the run's tree; ``e91/alice-setting``, ``e91/bob-setting`` and
            ``e91/measurement`` are used.
    """
    return _measure(states, backend, backend.count(states),
                    rng.generator("e91/alice-setting"), rng.generator("e91/bob-setting"),
                    rng.generator("e91/measurement"))


def _measure(states: Any, backend: QuantumBackend, n: int, alice_rng: np.random.Generator,
             bob_rng: np.random.Generator, measurement_rng: np.random.Generator
             ) -> E91Outcomes:
    alice_setting = alice_rng.integers(0, 3, n)
    bob_setting = bob_rng.integers(0, 3, n)
    outcomes = measure_xz(states, backend, np.take(ALICE_ANGLES, alice_setting),
                          np.take(BOB_ANGLES, bob_setting), rng=measurement_rng)
    return E91Outcomes(alice_setting, bob_setting, outcomes[:, 0].astype(np.uint8),
                       outcomes[:, 1].astype(np.uint8))


def chsh_lower_bound(value: float, counts: ArrayLike, *, epsilon: float) -> float:
    """Lower confidence bound on S, by Hoeffding's inequality.

    ``S`` is a sum of independent ±1 products, ``±X_k/n_t`` for the ``n_t`` pairs of
    correlator t, each spanning a range of ``2/n_t``; Hoeffding (J. Am. Stat. Assoc. 58,
    13 (1963), theorem 2) gives ``P(Ŝ - S ≥ u) ≤ exp(-u² / (2 Σ_t 1/n_t))``, so
    ``S ≥ Ŝ - √(2 ln(1/ε) Σ_t 1/n_t)`` with probability at least ``1 - ε``, whatever the
    state, given the counts. A correlator without pairs leaves only ``S ≥ -4``.

    Args:
        value: the measured ``Ŝ``.
        counts: pairs behind each of the four correlators.
        epsilon: failure probability, in (0, 1).

    Raises:
        ConfigError: ``epsilon`` outside (0, 1).

    Examples:
        >>> round(chsh_lower_bound(2.8, [10_000] * 4, epsilon=1e-10), 4)
        2.6643
        >>> chsh_lower_bound(2.8, [10_000, 0, 10_000, 10_000], epsilon=1e-10)
        -4.0
    """
    check_open_probability("epsilon", epsilon)
    n = np.asarray(counts, dtype=np.float64)
    if (n <= 0).any():
        return -4.0
    margin = math.sqrt(2.0 * math.log(1.0 / epsilon) * float(np.sum(1.0 / n)))
    return max(value - margin, -4.0)


def chsh_estimate(outcomes: E91Outcomes, *, epsilon: float) -> ChshEstimate:
    """The CHSH value of the mismatched settings and its lower bound at confidence 1 - ε.

    Examples:
        >>> from qinet.quantum import make_backend
        >>> b = make_backend("bell-diagonal")
        >>> pairs = b.from_bell_weights(np.tile([1.0, 0, 0, 0], (9_000, 1)))
        >>> est = chsh_estimate(measure_e91(pairs, b, rng=RngTree(2)), epsilon=1e-6)
        >>> bool(abs(est.value - 2 * 2 ** 0.5) < 0.1), bool(2.0 < est.lower < est.value)
        (True, True)
    """
    sums, counts = _chsh_tallies(outcomes)
    return _chsh_from_tallies(sums, counts, epsilon=epsilon)


def _chsh_tallies(outcomes: E91Outcomes) -> tuple[list[int], list[int]]:
    """Per CHSH term: the sum of the ±1 products of its pairs, and their number."""
    product = 1 - 2 * (outcomes.alice_bit ^ outcomes.bob_bit).astype(np.int64)  # ±1
    sums, counts = [], []
    for a, b, _ in CHSH_TERMS:
        chosen = (outcomes.alice_setting == a) & (outcomes.bob_setting == b)
        counts.append(int(np.count_nonzero(chosen)))
        sums.append(int(product[chosen].sum()))
    return sums, counts


def _chsh_from_tallies(sums: list[int], counts: list[int], *, epsilon: float) -> ChshEstimate:
    correlators = [total / k if k else 0.0 for total, k in zip(sums, counts, strict=True)]
    value = sum(sign * e for (_, _, sign), e in zip(CHSH_TERMS, correlators, strict=True))
    e = correlators
    return ChshEstimate(value, chsh_lower_bound(value, counts, epsilon=epsilon),
                        (e[0], e[1], e[2], e[3]), (counts[0], counts[1], counts[2], counts[3]))


def run_e91(states: Any, backend: QuantumBackend, *, rng: RngTree, block_size: int = 1_000_000,
            epsilon_sec: float = 1e-10, epsilon_cor: float = 1e-15,
            distill_options: Mapping[str, Any] | None = None) -> QkdRunResult:
    """Measure shared pairs along Ekert's angles, test CHSH and distil a key, block by block.

    Reports ``qber["X"]`` and ``qber["D"]`` (error rates of the ``(π/2, π/2)`` and
    ``(π/4, π/4)`` key pairs), the estimates ``chsh`` and ``chsh_lower`` (at confidence
    ``1 - ε_sec``), and as asymptotic rate ``Σ_k (n_k/N) r(Q_k, S)`` over the two key
    streams, with the device-independent fraction r of
    :func:`~qinet.qkd.bounds.di_secret_fraction` at f = 1 on the measured values. If
    ``chsh_lower`` does not exceed 2, every block aborts with that reason.

    Args:
        states: the backend's batch of pairs (qubit 0 at Alice, qubit 1 at Bob).
        backend: the formalism the pairs are held in.
        rng: the run's random tree (settings, measurement and each block's
            post-processing take their own named streams).
        block_size: key bits per post-processing block (each stream cut on its own).
        epsilon_sec: secrecy parameter (also the failure probability of the CHSH bound).
        epsilon_cor: correctness parameter.
        distill_options: further keyword arguments of ``distill``, forwarded untouched.

    Returns:
        The run's statistics, estimates and keys (protocol ``"e91"``).

    Raises:
        ConfigError: a bad ``block_size``, epsilon or ``distill_options``.

    Examples:
        >>> from qinet.quantum import make_backend, werner_weights
        >>> backend = make_backend("bell-diagonal")
        >>> pairs = backend.from_bell_weights(np.tile(werner_weights(0.99), (60_000, 1)))
        >>> result = run_e91(pairs, backend, rng=RngTree(1))
        >>> result.keys_equal, result.key_bits > 0, result.estimates["chsh_lower"] > 2
        (True, True, True)
    """
    stream = E91Stream(rng=rng, block_size=block_size, epsilon_sec=epsilon_sec,
                       epsilon_cor=epsilon_cor, distill_options=distill_options)
    stream.add(states, backend)
    return stream.result()


class E91Stream:
    """E91 over pairs that arrive in batches: each batch is measured as it comes, and
    only what the key needs is kept (the two key streams' outcomes, a byte per end and
    pair, and the CHSH terms' tallies), so a long run holds no pair states. The key is
    distilled at :meth:`result`, as :func:`run_e91` does for one batch; the settings
    continue one stream per end across batches.

    Args: as :func:`run_e91`.

    Raises:
        ConfigError: as :func:`run_e91`.
    """

    def __init__(self, *, rng: RngTree, block_size: int = 1_000_000,
                 epsilon_sec: float = 1e-10, epsilon_cor: float = 1e-15,
                 distill_options: Mapping[str, Any] | None = None) -> None:
        self._options = check_run_options(block_size, epsilon_sec, epsilon_cor,
                                          distill_options)
        self._rng = rng
        self._block_size = block_size
        self._epsilon_sec, self._epsilon_cor = epsilon_sec, epsilon_cor
        self._alice_setting = rng.generator("e91/alice-setting")
        self._bob_setting = rng.generator("e91/bob-setting")
        self._measurement = rng.generator("e91/measurement")
        self._keys: dict[str, tuple[list[NDArray[np.uint8]], list[NDArray[np.uint8]]]] = {
            name: ([], []) for name, *_ in KEY_STREAMS}
        self._sums, self._counts = [0] * len(CHSH_TERMS), [0] * len(CHSH_TERMS)
        self.pairs = 0

    def add(self, states: Any, backend: QuantumBackend) -> None:
        """Measure a batch of pairs (qubit 0 at Alice, qubit 1 at Bob)."""
        n = backend.count(states)
        if not n:
            return
        outcomes = _measure(states, backend, n, self._alice_setting, self._bob_setting,
                            self._measurement)
        sums, counts = _chsh_tallies(outcomes)
        self._sums = [x + y for x, y in zip(self._sums, sums, strict=True)]
        self._counts = [x + y for x, y in zip(self._counts, counts, strict=True)]
        for name, a, b, _ in KEY_STREAMS:
            chosen = (outcomes.alice_setting == a) & (outcomes.bob_setting == b)
            alice, bob = self._keys[name]
            alice.append(outcomes.alice_bit[chosen])
            bob.append(outcomes.bob_bit[chosen])
        self.pairs += n

    def result(self) -> QkdRunResult:
        """Test CHSH and distil the key of every pair measured so far."""
        n, eps_sec, eps_cor = self.pairs, self._epsilon_sec, self._epsilon_cor
        chsh = _chsh_from_tallies(self._sums, self._counts, epsilon=eps_sec)
        refuse = ("" if chsh.lower > 2.0 else
                  f"CHSH lower bound {chsh.lower:.4f} does not exceed 2 (measured S = "
                  f"{chsh.value:.4f})")
        # Eve's information per key bit is the Holevo bound at the lower CHSH value,
        # whatever the bit error rate
        key_length = phase_error_key_length(holevo_error(chsh.lower), epsilon_sec=eps_sec,
                                            epsilon_cor=eps_cor)
        parts, qber, asymptotic, sifted = [], {}, 0.0, 0
        for name, _, _, reference in KEY_STREAMS:
            alice_parts, bob_parts = self._keys[name]
            alice = np.concatenate([_NO_BITS, *alice_parts])
            bob = np.concatenate([_NO_BITS, *bob_parts])
            self._keys[name] = ([alice], [bob])
            k = alice.size
            qber[name] = float(np.count_nonzero(alice != bob)) / k if k else 0.0
            asymptotic += k / n * di_secret_fraction(qber[name], chsh.value) if n else 0.0
            sifted += k
            ends = (alice, bob) if reference == "alice" else (bob, alice)
            part = distill_in_blocks(*ends, rng=self._rng, stream=f"e91/{name}",
                                     block_size=self._block_size, epsilon_sec=eps_sec,
                                     epsilon_cor=eps_cor, key_length=key_length,
                                     distill_options=self._options, refuse=refuse)
            parts.append(part if reference == "alice" else part.swapped())
        return QkdRunResult(
            protocol="e91", pulses=n, detections=n, sifted_bits=sifted, qber=qber,
            estimates={"chsh": chsh.value, "chsh_lower": chsh.lower},
            asymptotic_bits_per_pulse=asymptotic, **BlockTally.joined(parts).result_fields())


_NO_BITS = np.zeros(0, dtype=np.uint8)
