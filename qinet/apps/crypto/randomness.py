"""Device-independent randomness certified by a CHSH test on delivered pairs.

Protocol (Pironio et al., Nature 464, 1021 (2010)). In each round Alice and Bob pick
settings ``x, y ∈ {0, 1}`` at random and measure their halves of a delivered pair,
giving ``A, B = ±1``. The CHSH value ``S = Σ_xy (-1)^{xy} <A_x B_y>`` is estimated
from the rounds; whatever the devices do, outputs with CHSH value ``S`` have, per round,
the min-entropy (their Eq. 3, for the pair of outputs given the settings)

    H_min(AB|XY) >= f(S) = 1 - log2(1 + sqrt(2 - S²/4)),

which is 0 at the local bound ``S = 2`` and 1 bit at Tsirelson's ``S = 2√2``.

Finite rounds. With uniform settings the round score ``X = 4 (-1)^{xy} A B`` has mean
``S`` and lies in ``[-4, 4]``, and the settings are drawn independently of the devices,
so the Azuma-Hoeffding inequality gives, except with probability ``ε``,

    S >= Ŝ - 8 sqrt(ln(1/ε) / (2n)),

and ``n f(S_low)`` bits of min-entropy are certified (the bound of Pironio et al.,
whose round-by-round argument is the same martingale bound). Randomness extraction
from those bits is classical post-processing and is not done here.

Settings: Alice measures Z or X, Bob (Z ± X)/√2. On a Bell-diagonal pair with
correlators ``(T_x, T_y, T_z)`` (see :mod:`._inputs`) this gives ``S = √2 (T_x + T_z)``;
a Werner pair of fidelity F has ``T_x = T_z = (4F - 1)/3``, so ``S = 2√2 (4F - 1)/3``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qinet.apps.crypto import _inputs
from qinet.errors import ConfigError

TSIRELSON_BOUND = 2.0 * math.sqrt(2.0)
"""The largest quantum CHSH value, ``2√2``."""

_S2 = 1.0 / math.sqrt(2.0)
ALICE_SETTINGS = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
"""Alice's measurement directions ``(x, y, z)``: Z for x = 0, X for x = 1."""
BOB_SETTINGS = np.array([[_S2, 0.0, _S2], [-_S2, 0.0, _S2]])
"""Bob's directions: (Z + X)/√2 for y = 0, (Z - X)/√2 for y = 1."""


@dataclass(frozen=True, slots=True)
class ChshRandomnessReport:
    """The outcome of a CHSH randomness run.

    Attributes:
        rounds: pairs measured.
        chsh_estimate: Ŝ, the mean round score (dimensionless).
        chsh_std_error: the standard error of Ŝ (sample standard deviation / √n).
        chsh_lower_bound: ``Ŝ - 8 sqrt(ln(1/ε)/(2n))``, valid except with probability ε.
        chsh_expected: S of the delivered states (closed form), for comparison.
        epsilon: the probability that the lower bound fails.
        min_entropy_bits_per_round: ``f(chsh_lower_bound)``, bits per round.
        certified_bits: ``rounds * min_entropy_bits_per_round``, bits.
        alice_bits: Alice's outcome bits (0 for +1), one per round.
        bob_bits: Bob's outcome bits.
    """

    rounds: int
    chsh_estimate: float
    chsh_std_error: float
    chsh_lower_bound: float
    chsh_expected: float
    epsilon: float
    min_entropy_bits_per_round: float
    certified_bits: float
    alice_bits: np.ndarray
    bob_bits: np.ndarray


def chsh_value(weights: ArrayLike) -> float:
    """S of Bell-diagonal pairs with this protocol's settings: ``√2 (T_x + T_z)``.

    For several rows the mean over the pairs is returned (the value a run estimates).

    Examples:
        >>> round(chsh_value([1.0, 0, 0, 0]), 12) == round(TSIRELSON_BOUND, 12)
        True
        >>> from qinet.quantum import werner_weights
        >>> round(chsh_value(werner_weights(0.9)), 6)  # 2√2 (4F - 1)/3
        2.451304
    """
    t = _inputs.correlations(_inputs.bell_weights("weights", weights))
    return float(math.sqrt(2.0) * (t[:, 0] + t[:, 2]).mean())


def min_entropy_bits(chsh: float) -> float:
    """Certified min-entropy per round, bits: ``1 - log2(1 + sqrt(2 - S²/4))``.

    Pironio et al. (2010), Eq. 3; zero for ``S <= 2`` (no Bell violation certifies
    nothing). Values above Tsirelson's bound (possible for a noisy estimate) are clipped
    to it.

    Examples:
        >>> min_entropy_bits(2 * math.sqrt(2)), min_entropy_bits(2.0)
        (1.0, 0.0)
        >>> round(min_entropy_bits(2.5), 4)
        0.2676
    """
    if not math.isfinite(chsh):
        raise ConfigError("chsh", f"must be finite, got {chsh}")
    if chsh <= 2.0:
        return 0.0
    s = min(chsh, TSIRELSON_BOUND)
    return max(0.0, 1.0 - math.log2(1.0 + math.sqrt(max(0.0, 2.0 - s * s / 4.0))))


def chsh_confidence_margin(rounds: int, epsilon: float) -> float:
    """Azuma-Hoeffding margin ``8 sqrt(ln(1/ε)/(2n))`` of a score in ``[-4, 4]``.

    Examples:
        >>> round(chsh_confidence_margin(10**6, 1e-6), 6)
        0.021026
    """
    n = _inputs.count("rounds", rounds)
    eps = _inputs.probability("epsilon", epsilon, open_low=True, open_high=True)
    return 8.0 * math.sqrt(math.log(1.0 / eps) / (2.0 * n))


def run_chsh_randomness(weights: ArrayLike, *, rounds: int | None = None,
                        rng: np.random.Generator,
                        epsilon: float = 1e-6) -> ChshRandomnessReport:
    """Measure delivered pairs in random CHSH settings and certify their randomness.

    Args:
        weights: Bell weights of the delivered pairs, ``(4,)`` (with ``rounds``) or
            ``(N, 4)``, one row per pair; qubit 0 is Alice's, qubit 1 Bob's.
        rounds: number of pairs when ``weights`` is one row.
        rng: the random stream (settings and outcomes).
        epsilon: probability that the certified CHSH lower bound fails.

    Returns:
        A :class:`ChshRandomnessReport`.

    Raises:
        ConfigError: bad weights, rounds or epsilon, naming the field.

    Examples:
        >>> report = run_chsh_randomness([1.0, 0, 0, 0], rounds=100_000,
        ...                              rng=np.random.default_rng(1))
        >>> 2.7 < report.chsh_estimate < 2.95, report.certified_bits > 50_000
        (True, True)
    """
    if rounds is not None:
        rounds = _inputs.count("rounds", rounds)
    w = _inputs.bell_weights("weights", weights, rounds)
    n = w.shape[0]
    margin = chsh_confidence_margin(n, epsilon)
    x = rng.integers(0, 2, size=n)
    y = rng.integers(0, 2, size=n)
    alice, bob = _inputs.sample_pair_outcomes(w, ALICE_SETTINGS[x], BOB_SETTINGS[y], rng)
    # score 4 (-1)^{xy} A B with A B = (-1)^{a XOR b}
    score = 4.0 * (1.0 - 2.0 * (x & y)) * (1.0 - 2.0 * (alice ^ bob))
    estimate = float(score.mean())
    std_error = float(score.std(ddof=1) / math.sqrt(n)) if n > 1 else math.inf
    lower = estimate - margin
    h_min = min_entropy_bits(lower)
    return ChshRandomnessReport(
        rounds=n, chsh_estimate=estimate, chsh_std_error=std_error, chsh_lower_bound=lower,
        chsh_expected=chsh_value(w), epsilon=float(epsilon),
        min_entropy_bits_per_round=h_min, certified_bits=n * h_min,
        alice_bits=alice, bob_bits=bob)
