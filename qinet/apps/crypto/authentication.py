"""Entity authentication by a challenge-response on pre-shared entangled pairs.

The verifier (qubit 0) and the prover (qubit 1) hold ``n`` pairs delivered earlier.
For each pair the verifier sends a random basis, Z or X; the prover measures its qubit
in that basis and answers with the outcome; the verifier measures its own qubit in the
same basis and counts disagreements. It accepts when at most ``k`` answers disagree.

Error rates. On a Bell-diagonal pair with weights ``w`` a Z answer disagrees with
probability ``w_X + w_Y`` and an X answer with ``w_Z + w_Y``, so with random bases each
round errs independently with ``e = (w_X + w_Z)/2 + w_Y`` (``2(1-F)/3`` for Werner
pairs), and

    false reject = P(Binomial(n, e) > k).

An impostor without the pairs answers independently of the verifier's outcome, which is
a fair coin, so each answer is right with probability 1/2 and

    false accept = P(Binomial(n, 1/2) <= k)      (= 2^-n for k = 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.apps.crypto import _inputs
from qinet.errors import ConfigError

_Z = np.array([0.0, 0.0, 1.0])
_X = np.array([1.0, 0.0, 0.0])


@dataclass(frozen=True, slots=True)
class AuthenticationReport:
    """The outcome of ``sessions`` authentication attempts of ``rounds`` pairs each.

    Attributes:
        sessions: attempts run.
        rounds: pairs (challenges) per attempt.
        tolerated_errors: k, the most disagreements accepted.
        impostor: True when the prover held no pairs.
        errors: ``(sessions,)`` disagreements per attempt.
        accepted: ``(sessions,)`` the verifier's decisions.
        accept_rate: fraction of attempts accepted.
        round_error_rate_expected: e of the pairs (1/2 for an impostor).
        false_reject_probability: ``P(Bin(n, e) > k)`` of the honest prover.
        false_accept_probability: ``P(Bin(n, 1/2) <= k)`` of an impostor.
        pairs_used: ``sessions * rounds``.
    """

    sessions: int
    rounds: int
    tolerated_errors: int
    impostor: bool
    errors: NDArray[np.int64]
    accepted: NDArray[np.bool_]
    accept_rate: float
    round_error_rate_expected: float
    false_reject_probability: float
    false_accept_probability: float
    pairs_used: int


def _binom() -> Any:
    """scipy's binomial distribution, loaded when first needed: importing scipy.stats
    takes longer than the rest of a small run, and every command would pay for it."""
    from scipy.stats import binom

    return binom


def round_error_rate(weights: ArrayLike) -> float:
    """``e = (w_X + w_Z)/2 + w_Y``: an honest answer's disagreement probability.

    Examples:
        >>> from qinet.quantum import werner_weights
        >>> round(round_error_rate(werner_weights(0.94)), 6)  # 2 (1 - F)/3
        0.04
    """
    w = _inputs.bell_weights("weights", weights).mean(axis=0)
    return float((w[1] + w[3]) / 2.0 + w[2])


def false_reject_probability(error_rate: float, rounds: int, tolerated_errors: int) -> float:
    """``P(Binomial(n, e) > k)``.

    Examples:
        >>> false_reject_probability(0.0, 20, 0)
        0.0
    """
    e = _inputs.probability("error_rate", error_rate)
    n = _inputs.count("rounds", rounds)
    k = _inputs.count("tolerated_errors", tolerated_errors, minimum=0)
    return float(_binom().sf(k, n, e))


def false_accept_probability(rounds: int, tolerated_errors: int) -> float:
    """``P(Binomial(n, 1/2) <= k)``: an impostor without the pairs passes.

    Examples:
        >>> false_accept_probability(10, 0) == 2.0 ** -10
        True
    """
    n = _inputs.count("rounds", rounds)
    k = _inputs.count("tolerated_errors", tolerated_errors, minimum=0)
    return float(_binom().cdf(k, n, 0.5))


def rounds_needed(weights: ArrayLike, *, false_accept: float, false_reject: float,
                  max_rounds: int = 100_000) -> tuple[int, int]:
    """The fewest rounds ``n`` (and its threshold ``k``) meeting both error targets.

    For each ``n`` the smallest ``k`` with false reject <= target is taken (a larger
    ``k`` only raises the false accept).

    Raises:
        ConfigError: no ``n <= max_rounds`` meets the targets (e >= 1/2 never does).

    Examples:
        >>> rounds_needed([1.0, 0, 0, 0], false_accept=1e-6, false_reject=1e-6)
        (20, 0)
    """
    fa = _inputs.probability("false_accept", false_accept, open_low=True, open_high=True)
    fr = _inputs.probability("false_reject", false_reject, open_low=True, open_high=True)
    e = round_error_rate(weights)
    for n in range(1, _inputs.count("max_rounds", max_rounds) + 1):
        k = int(_binom().isf(fr, n, e)) if e > 0 else 0
        while k > 0 and _binom().sf(k - 1, n, e) <= fr:  # isf can round up
            k -= 1
        while _binom().sf(k, n, e) > fr:
            k += 1
        if _binom().cdf(k, n, 0.5) <= fa:
            return n, k
    raise ConfigError("weights", f"no round count up to {max_rounds} reaches false accept "
                      f"{fa:g} and false reject {fr:g} at round error rate {e:g}")


def run_authentication(weights: ArrayLike, *, rounds: int, tolerated_errors: int,
                       rng: np.random.Generator, sessions: int = 1,
                       impostor: bool = False) -> AuthenticationReport:
    """Run ``sessions`` challenge-response attempts over pre-shared pairs.

    Args:
        weights: Bell weights ``(4,)`` of each pre-shared pair (qubit 1 the prover's).
        rounds: challenges (pairs) per attempt.
        tolerated_errors: k, the most disagreements the verifier accepts.
        rng: the random stream.
        sessions: independent attempts, each on fresh pairs.
        impostor: the prover holds no pairs and answers with fair coins.

    Returns:
        An :class:`AuthenticationReport`.

    Examples:
        >>> r = run_authentication([1.0, 0, 0, 0], rounds=16, tolerated_errors=0,
        ...                        rng=np.random.default_rng(1), sessions=100)
        >>> r.accept_rate, r.false_accept_probability == 2.0 ** -16
        (1.0, True)
    """
    n = _inputs.count("rounds", rounds)
    k = _inputs.count("tolerated_errors", tolerated_errors, minimum=0)
    s = _inputs.count("sessions", sessions)
    w = _inputs.bell_weights("weights", weights, n * s)
    basis_is_x = rng.integers(0, 2, size=n * s).astype(bool)
    direction = np.where(basis_is_x[:, None], _X, _Z)
    verifier, prover = _inputs.sample_pair_outcomes(w, direction, direction, rng)
    if impostor:
        prover = np.asarray(rng.integers(0, 2, size=n * s), dtype=np.int64)
    errors = (verifier != prover).reshape(s, n).sum(axis=1).astype(np.int64)
    accepted = errors <= k
    e = round_error_rate(w)
    return AuthenticationReport(
        sessions=s, rounds=n, tolerated_errors=k, impostor=bool(impostor), errors=errors,
        accepted=accepted, accept_rate=float(accepted.mean()),
        round_error_rate_expected=0.5 if impostor else e,
        false_reject_probability=false_reject_probability(e, n, k),
        false_accept_probability=false_accept_probability(n, k), pairs_used=n * s)

