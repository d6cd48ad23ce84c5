"""Quantum secret sharing on GHZ states (Hillery, Bužek, Berthiaume, PRA 59, 1829 (1999)).

The dealer (party 0) and ``n - 1`` shareholders hold one qubit each of
``|GHZ> = (|0…0> + |1…1>)/√2``. Each measures X or Y at random and all announce their
bases. For ``k`` Y measurements ``<GHZ| ⊗ σ |GHZ> = Re(i^k)``: rounds with an even
``k`` are kept and the product of all ``n`` outcomes is ``(-1)^{k/2}``, so the dealer's
bit is the XOR of every shareholder's bit (plus ``k/2 mod 2``). Every proper subset of
the outcomes has zero correlators (its Paulis flip some but not all qubits), so any
group short of all shareholders learns nothing about the dealer's bit: the secret is
recoverable only by all together.

Noise. Two models of the delivered GHZ state, :class:`GhzNoise`:

* *white noise* of fidelity F: ``p |GHZ><GHZ| + (1-p) I/2^n`` with
  ``p = (2^n F - 1)/(2^n - 1)``. The maximally mixed part has no correlators, so a kept
  round's parity is wrong with probability
  ``e = (1 - p)/2 = 2^{n-1} (1 - F)/(2^n - 1)``;
* *fused pairs*: the dealer fuses ``n - 1`` delivered Bell pairs in a star
  (:mod:`qinet.apps.ghz`), so shareholder j's qubit carries pair j's Pauli error
  (I, X, Y, Z with its Bell weights ``w``). An error that anticommutes with the measured
  Pauli flips that outcome: X outcomes keep their sign with ``c_X = w_I + w_X - w_Y - w_Z``,
  Y outcomes with ``c_Y = w_I + w_Y - w_X - w_Z``. Averaged over the kept basis choices
  (half of them have each basis at each shareholder) the parity is wrong with
  ``e = (1 - Π_j (w_I - w_Z)_j)/2``, ``(1 - ((4F-1)/3)^{n-1})/2`` for Werner pairs.

Intercept-resend. A participant who intercepts another's qubit, measures it in X or Y
and resends the eigenstate found, guesses the victim's basis with probability 1/2;
then nothing changes, otherwise every outcome of the round is uniform. The error rate
becomes ``1/4 + e/2`` (25 % on perfect states), which the check rounds reveal.

Sampling. In a round with bases ``σ`` the ``n`` outcome bits have the distribution
``P(bits) = (1 + E (-1)^{parity})/2^n`` with ``E = Re(i^k) p Π_j c_{σ_j}`` (``p = 1`` for
fused pairs, ``c = 1`` for white noise; zero for a wrong guess of the attacker):
shareholders' bits are fair coins and the dealer's bit is their XOR flipped with
probability ``(1 - E)/2``. :func:`outcome_probabilities` gives this
distribution, and the tests hold it to the Born rule on the density matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.apps.crypto import _inputs
from qinet.errors import ConfigError

X_BASIS = 0
Y_BASIS = 1


@dataclass(frozen=True, slots=True)
class SecretSharingReport:
    """The outcome of a secret-sharing run.

    Attributes:
        parties: n, the dealer and ``n - 1`` shareholders.
        rounds: GHZ states used.
        kept_rounds: rounds with an even number of Y bases.
        checked_rounds: kept rounds announced in full to estimate the error rate.
        error_rate: fraction of checked rounds whose parity was wrong.
        error_rate_expected: the closed form for the delivered states (and the attack).
        tolerated_error_rate: the error rate above which the parties abort.
        aborted: True when ``error_rate`` exceeds ``tolerated_error_rate``.
        secret_bits: the dealer's bits of the unchecked kept rounds (empty if aborted).
        recovered_bits: the same bits as all shareholders together compute them.
        share_bits: ``(n - 1, len(secret_bits))``, each shareholder's bits.
    """

    parties: int
    rounds: int
    kept_rounds: int
    checked_rounds: int
    error_rate: float
    error_rate_expected: float
    tolerated_error_rate: float
    aborted: bool
    secret_bits: NDArray[np.int64]
    recovered_bits: NDArray[np.int64]
    share_bits: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class GhzNoise:
    """The delivered GHZ state as its correlators: ``E(σ) = Re(i^k) p Π_j c[j, σ_j]``.

    Build it with :meth:`white` or :meth:`from_pairs`.

    Attributes:
        parties: n.
        visibility: p, the white-noise weight of the ideal GHZ (1 for fused pairs).
        factors: ``(n, 2)``, per qubit the sign-keeping factors ``(c_X, c_Y)``.
    """

    parties: int
    visibility: float
    factors: NDArray[np.float64]

    @classmethod
    def white(cls, fidelity: float, parties: int) -> GhzNoise:
        """White noise of GHZ fidelity F: ``p = (2^n F - 1)/(2^n - 1)``.

        Examples:
            >>> GhzNoise.white(1 / 8, 3).visibility
            0.0
        """
        n = _inputs.count("parties", parties, minimum=3)
        f = _inputs.probability("fidelity", fidelity)
        dim = 2.0 ** n
        if f < 1.0 / dim:
            raise ConfigError("fidelity", f"must be at least 1/2^n = {1 / dim:g} for the "
                              f"white-noise GHZ model, got {f:g}")
        return cls(parties=n, visibility=(dim * f - 1.0) / (dim - 1.0), factors=np.ones((n, 2)))

    @classmethod
    def from_pairs(cls, pair_weights: ArrayLike, parties: int) -> GhzNoise:
        """A star of ``n - 1`` fused pairs, Bell weights ``(4,)`` for all or ``(n - 1, 4)``.

        Examples:
            >>> GhzNoise.from_pairs([0.9, 0.1, 0, 0], 3).factors.tolist()
            [[1.0, 1.0], [1.0, 0.8], [1.0, 0.8]]
        """
        n = _inputs.count("parties", parties, minimum=3)
        w = np.asarray(pair_weights, dtype=np.float64)
        w = _inputs.bell_weights("pair_weights", w, n - 1 if w.ndim == 1 else None)
        if w.shape[0] != n - 1:
            raise ConfigError("pair_weights", f"needs one row per shareholder ({n - 1}), "
                              f"got {w.shape[0]}")
        c_x = w[:, 0] + w[:, 1] - w[:, 2] - w[:, 3]
        c_y = w[:, 0] + w[:, 2] - w[:, 1] - w[:, 3]
        factors = np.vstack([[1.0, 1.0], np.stack([c_x, c_y], axis=1)])
        return cls(parties=n, visibility=1.0, factors=factors)

    def correlators(self, bases: NDArray[np.int64]) -> NDArray[np.float64]:
        """``E`` of rounds with bases ``(rounds, n)`` (0 = X, 1 = Y)."""
        k = bases.sum(axis=1)
        sign = np.where(k % 4 == 0, 1.0, np.where(k % 4 == 2, -1.0, 0.0))
        picked = self.factors[np.arange(self.parties)[None, :], bases]  # (rounds, n)
        corr: NDArray[np.float64] = self.visibility * sign * picked.prod(axis=1)
        return corr


def white_noise_visibility(fidelity: float, parties: int) -> float:
    """``p = (2^n F - 1)/(2^n - 1)`` of the white-noise GHZ state of fidelity F.

    Examples:
        >>> white_noise_visibility(1.0, 3), white_noise_visibility(1 / 8, 3)
        (1.0, 0.0)
    """
    return GhzNoise.white(fidelity, parties).visibility


def expected_error_rate(noise: GhzNoise, *, intercepted: bool = False) -> float:
    """Kept rounds' parity error ``e = (1 - p Π_j (c_X + c_Y)_j/2)/2``, or ``1/4 + e/2``.

    The second is the rate with an intercept-resend insider.

    Examples:
        >>> expected_error_rate(GhzNoise.white(1.0, 3)), expected_error_rate(
        ...     GhzNoise.white(1.0, 3), intercepted=True)
        (0.0, 0.25)
        >>> round(expected_error_rate(GhzNoise.white(0.9, 3)), 6)  # 4 (1 - F)/7
        0.057143
    """
    kept_mean = noise.visibility * float(np.prod(noise.factors.sum(axis=1) / 2.0))
    e = (1.0 - kept_mean) / 2.0
    return 0.25 + e / 2.0 if intercepted else e


def outcome_probabilities(noise: GhzNoise, bases: list[int]) -> NDArray[np.float64]:
    """``P(bits)`` of the n outcomes for measurement ``bases`` (0 = X, 1 = Y).

    Index ``i`` of the result holds the bits of ``i`` with party 0 as the most
    significant bit; ``P = (1 + E (-1)^{parity})/2^n``.

    Examples:
        >>> outcome_probabilities(GhzNoise.white(1.0, 3), [0, 0, 0]).round(3).tolist()
        [0.25, 0.0, 0.0, 0.25, 0.0, 0.25, 0.25, 0.0]
    """
    n = len(bases)
    if n != noise.parties or any(b not in (X_BASIS, Y_BASIS) for b in bases):
        raise ConfigError("bases", f"must be {noise.parties} values 0 (X) or 1 (Y), got {bases}")
    corr = float(noise.correlators(np.array([bases], dtype=np.int64))[0])
    parity = np.array([bin(i).count("1") % 2 for i in range(2 ** n)])
    probs: NDArray[np.float64] = (1.0 + corr * (1.0 - 2.0 * parity)) / 2.0 ** n
    return probs


def run_secret_sharing(*, parties: int, rounds: int, rng: np.random.Generator,
                       fidelity: float | None = None, pair_weights: ArrayLike | None = None,
                       check_fraction: float = 0.5,
                       intercepted_party: int | None = None,
                       tolerated_error_rate: float | None = None,
                       epsilon: float = 1e-6) -> SecretSharingReport:
    """Share the dealer's random bits among ``parties - 1`` shareholders.

    Args:
        parties: n >= 3, the dealer (party 0) included.
        fidelity: F of each delivered GHZ state (white-noise model, module docstring).
        pair_weights: instead of ``fidelity``, the Bell weights of the ``n - 1`` pairs
            fused into each GHZ state, ``(4,)`` for all or one row per shareholder.
        rounds: GHZ states measured.
        rng: the random stream (bases, outcomes, check choice).
        check_fraction: share of kept rounds announced in full to estimate the errors.
        intercepted_party: a shareholder whose qubit an insider intercepts and resends
            (measured in a random X/Y basis); ``None`` for an honest run.
        tolerated_error_rate: abort above this error rate; by default the honest
            closed form plus the Hoeffding margin ``sqrt(ln(1/ε)/(2m))`` of m checks.
        epsilon: false-abort probability of the default threshold.

    Returns:
        A :class:`SecretSharingReport`.

    Raises:
        ConfigError: a bad argument, naming it.

    Examples:
        >>> r = run_secret_sharing(parties=3, fidelity=1.0, rounds=1000,
        ...                        rng=np.random.default_rng(1))
        >>> r.error_rate, r.aborted, bool((r.secret_bits == r.recovered_bits).all())
        (0.0, False, True)
    """
    n = _inputs.count("parties", parties, minimum=3)
    total = _inputs.count("rounds", rounds)
    frac = _inputs.probability("check_fraction", check_fraction, open_low=True,
                               open_high=True)
    eps = _inputs.probability("epsilon", epsilon, open_low=True, open_high=True)
    if (fidelity is None) == (pair_weights is None):
        raise ConfigError("fidelity", "give either fidelity or pair_weights, exactly one")
    noise = (GhzNoise.white(fidelity, n) if fidelity is not None
             else GhzNoise.from_pairs(np.asarray(pair_weights), n))
    if intercepted_party is not None and (
            isinstance(intercepted_party, bool) or not isinstance(intercepted_party, int)
            or not 1 <= intercepted_party < n):
        raise ConfigError("intercepted_party",
                          f"must be a shareholder index in 1..{n - 1}, got {intercepted_party!r}")

    bases = np.asarray(rng.integers(0, 2, size=(total, n)), dtype=np.int64)
    k = bases.sum(axis=1)
    corr = noise.correlators(bases)
    if intercepted_party is not None:
        # a wrong guess of the victim's basis leaves every outcome of the round uniform
        guessed = rng.integers(0, 2, size=total) == bases[:, intercepted_party]
        corr = np.where(guessed, corr, 0.0)
    shares = rng.integers(0, 2, size=(total, n - 1)).astype(np.int64)
    parity = (rng.random(total) >= (1.0 + corr) / 2.0).astype(np.int64)
    dealer = parity ^ np.bitwise_xor.reduce(shares, axis=1)
    recovered = np.bitwise_xor.reduce(shares, axis=1) ^ (k // 2 % 2)

    kept = np.flatnonzero(k % 2 == 0)
    check = rng.random(kept.size) < frac
    checked, key = kept[check], kept[~check]
    m = int(checked.size)
    error = float((dealer[checked] != recovered[checked]).mean()) if m else math.nan
    honest = expected_error_rate(noise)
    if tolerated_error_rate is None:
        tolerated = honest + (math.sqrt(math.log(1.0 / eps) / (2.0 * m)) if m else math.inf)
    else:
        tolerated = _inputs.probability("tolerated_error_rate", tolerated_error_rate)
    aborted = bool(m == 0 or error > tolerated)
    if aborted:
        key = key[:0]
    return SecretSharingReport(
        parties=n, rounds=total, kept_rounds=int(kept.size), checked_rounds=m,
        error_rate=error,
        error_rate_expected=expected_error_rate(noise, intercepted=intercepted_party is not None),
        tolerated_error_rate=tolerated, aborted=aborted, secret_bits=dealer[key],
        recovered_bits=recovered[key], share_bits=shares[key].T.copy())
