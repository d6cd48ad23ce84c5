"""Quantum digital signatures over entangled pairs, three parties.

The scheme is that of Amiri, Wallden, Kent, Andersson, "Secure quantum signatures
using insecure quantum channels", PRA 93, 032325 (2016), arXiv:1507.02975, with the
BB84 states prepared from delivered pairs. Alice (the signer) shares ``L`` pairs with
each recipient, Bob and Charlie, for each possible one-bit message.

Distribution. Alice measures each pair in a random basis, Z or X, which prepares a
random BB84 state at the other end; the recipient measures in a random basis and, from
his outcome, *eliminates* the one BB84 state orthogonal to it. Each recipient then sends
the other, over a secure classical channel, a random half of his (position, eliminated
state) records and keeps the other half: this symmetrisation makes Bob and Charlie
hold statistically identical views, so Alice cannot make them disagree.

Signing. Alice sends ``(m, Sig_m)``, Sig_m being her BB84 states of both strings. A
*mismatch* is a declared state that the recipient eliminated. Bob accepts when each of
his two halves (``L/2`` positions each) has fewer than ``s_a L/2`` mismatches; Charlie,
receiving the message forwarded, uses ``s_v > s_a``.

Rates. An honest position mismatches only if both used the same basis (1/2) and the
pair erred in it: ``E = ((w_X + w_Y) + (w_Z + w_Y))/4`` (``(1-F)/3`` for Werner pairs).
A forger without access to the Alice-Charlie pairs declares, at Charlie's kept
positions, a state that Charlie eliminated with probability ``p_e = 1/4`` (Charlie's
eliminated state is uniform over the four).

Failure probabilities, bounded with Hoeffding's inequality (sampling without
replacement for the random halves), in the structure of the paper's proof:

* honest abort (Bob rejects an honest signature): ``<= 2 exp(-L (s_a - E)²)``;
* repudiation (Bob accepts, Charlie rejects), whatever Alice declares, because she
  cannot know the random halves: ``<= 2 exp(-L (s_v - s_a)² / 4)``;
* forging (Charlie accepts a message Alice never sent): ``<= exp(-L (p_e - s_v)²)``.

The paper derives ``p_e`` for a forger who also attacks the Alice-Charlie channel from
the error rates measured on it; that derivation is not reproduced here, and its
constants have not been checked against the paper, so ``p_e`` is an input whose
default, 1/4, covers forgers who do not touch that channel. Splitting the gap
``p_e - E`` as ``s_a = E + Δ/4``, ``s_v = E + 3Δ/4`` equalises the three exponents and
gives the signature length ``L = 16 ln(2/ε) / Δ²`` for failures below ε.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.apps.crypto import _inputs
from qinet.errors import ConfigError

Strategy = Literal["honest", "repudiate", "forge"]
IntArray = NDArray[np.int64]
_Z = np.array([0.0, 0.0, 1.0])
_X = np.array([1.0, 0.0, 0.0])


@dataclass(frozen=True, slots=True)
class SignatureParameters:
    """Thresholds, length and failure bounds of one signed bit.

    Attributes:
        signature_length: L, pairs per recipient per possible message.
        authentication_threshold: s_a, Bob's mismatch fraction limit.
        verification_threshold: s_v, Charlie's limit after forwarding.
        honest_mismatch_rate: E of the delivered pairs.
        forger_mismatch_rate: p_e.
        honest_abort_bound: ``2 exp(-L (s_a - E)²)``.
        repudiation_bound: ``2 exp(-L (s_v - s_a)²/4)``.
        forging_bound: ``exp(-L (p_e - s_v)²)``.
        pairs_per_bit: ``4 L``, pairs consumed to sign one bit (two messages, two recipients).
    """

    signature_length: int
    authentication_threshold: float
    verification_threshold: float
    honest_mismatch_rate: float
    forger_mismatch_rate: float
    honest_abort_bound: float
    repudiation_bound: float
    forging_bound: float
    pairs_per_bit: int


@dataclass(frozen=True, slots=True)
class SignatureRunReport:
    """Outcomes of ``trials`` signings of one bit with one strategy.

    Attributes:
        trials: signings run, each with fresh pairs and halves.
        strategy: ``honest``, ``repudiate`` (Alice alters declared states) or ``forge``
            (Bob makes up a signature for Charlie).
        bob_accept_rate: fraction of trials Bob accepted (not defined for ``forge``: nan).
        charlie_accept_rate: fraction of trials Charlie accepted the forwarded message.
        failure_rate: honest: Bob rejected; repudiate: Bob accepted and Charlie rejected;
            forge: Charlie accepted.
        failure_probability_exact: the closed form of ``failure_rate`` for this strategy.
        failure_bound: the Hoeffding bound of :class:`SignatureParameters`.
        pairs_used: ``trials * 4 L``.
    """

    trials: int
    strategy: str
    bob_accept_rate: float
    charlie_accept_rate: float
    failure_rate: float
    failure_probability_exact: float
    failure_bound: float
    pairs_used: int


def honest_mismatch_rate(weights: ArrayLike) -> float:
    """``E = (w_X + w_Z + 2 w_Y)/4``.

    Examples:
        >>> from qinet.quantum import werner_weights
        >>> round(honest_mismatch_rate(werner_weights(0.97)), 6)  # (1 - F)/3
        0.01
    """
    w = _inputs.bell_weights("weights", weights).mean(axis=0)
    return float((w[1] + w[3] + 2.0 * w[2]) / 4.0)


def signature_parameters(weights: ArrayLike, *, length: int | None = None,
                         epsilon: float = 1e-10,
                         forger_mismatch_rate: float = 0.25) -> SignatureParameters:
    """Thresholds and bounds for the pairs, and the length ``L`` that reaches ``ε``.

    Args:
        weights: Bell weights of the delivered pairs.
        length: L; by default ``16 ln(2/ε)/Δ²`` rounded up to an even number.
        epsilon: the target for every failure probability.
        forger_mismatch_rate: p_e (module docstring).

    Raises:
        ConfigError: ``E >= p_e`` (the pairs are too noisy to sign), or a bad argument.

    Examples:
        >>> p = signature_parameters([1.0, 0, 0, 0], epsilon=1e-10)
        >>> p.signature_length, p.authentication_threshold, p.verification_threshold
        (6074, 0.0625, 0.1875)
    """
    e = honest_mismatch_rate(weights)
    pe = _inputs.probability("forger_mismatch_rate", forger_mismatch_rate)
    eps = _inputs.probability("epsilon", epsilon, open_low=True, open_high=True)
    gap = pe - e
    if gap <= 0:
        raise ConfigError("weights", f"honest mismatch rate {e:g} is not below the forger's "
                          f"{pe:g}: these pairs cannot sign")
    s_a, s_v = e + gap / 4.0, e + 3.0 * gap / 4.0
    if length is None:
        n = math.ceil(16.0 * math.log(2.0 / eps) / gap ** 2)
        n += n % 2
    else:
        n = _inputs.count("length", length, minimum=2)
        if n % 2:
            raise ConfigError("length", f"must be even (two halves), got {n}")
    return SignatureParameters(
        signature_length=n, authentication_threshold=s_a, verification_threshold=s_v,
        honest_mismatch_rate=e, forger_mismatch_rate=pe,
        honest_abort_bound=min(1.0, 2.0 * math.exp(-n * (s_a - e) ** 2)),
        repudiation_bound=min(1.0, 2.0 * math.exp(-n * (s_v - s_a) ** 2 / 4.0)),
        forging_bound=min(1.0, math.exp(-n * (pe - s_v) ** 2)), pairs_per_bit=4 * n)


def _below(threshold: float, half: int) -> int:
    """The largest count that passes ``count < threshold * half``."""
    return math.ceil(threshold * half) - 1


def _sum_cdf(n_alt: NDArray[np.int64], p_alt: float, n_rest: NDArray[np.int64],
             p_rest: float, k: int) -> NDArray[np.float64]:
    """``P(Bin(n_alt, p_alt) + Bin(n_rest, p_rest) <= k)``, one value per row of the counts."""
    from scipy import stats  # here, not at import: it is slow to load and seldom needed

    j = np.arange(k + 1)[None, :]
    pmf = np.asarray(stats.binom.pmf(j, n_alt[:, None], p_alt), dtype=np.float64)
    cdf = np.asarray(stats.binom.cdf(k - j, n_rest[:, None], p_rest), dtype=np.float64)
    total: NDArray[np.float64] = (pmf * cdf).sum(axis=1)
    return total


def exact_failure_probability(params: SignatureParameters, strategy: Strategy,
                              altered: int = 0) -> float:
    """The exact failure probability of a strategy (see :class:`SignatureRunReport`).

    ``repudiate``: Alice declares the orthogonal state at ``altered`` positions of the
    string shared with Bob; each such position mismatches with ``1/2 - E``. The number
    of them in Bob's half is hypergeometric, the rest binomial.

    Examples:
        >>> p = signature_parameters([1.0, 0, 0, 0], length=100)
        >>> exact_failure_probability(p, "honest")
        0.0
    """
    from scipy import stats  # as in _sum_cdf
    n, e = params.signature_length, params.honest_mismatch_rate
    half = n // 2
    a = _below(params.authentication_threshold, half)
    v = _below(params.verification_threshold, half)
    if strategy == "honest":
        return float(1.0 - stats.binom.cdf(a, half, e) ** 2)
    if strategy == "forge":
        return float(stats.binom.cdf(v, half, params.forger_mismatch_rate))
    if strategy != "repudiate":
        raise ConfigError("strategy", f"must be honest, repudiate or forge, got {strategy!r}")
    r = _inputs.count("altered", altered, minimum=0)
    if r > n:
        raise ConfigError("altered", f"must be at most the length {n}, got {r}")
    p_alt = 0.5 - e
    # the honest string: Bob's half passes, Charlie's half passes or fails
    bob_other_ok = stats.binom.cdf(a, half, e)
    charlie_other_fail = stats.binom.sf(v, half, e)
    h = np.arange(max(0, r - half), min(r, half) + 1)
    weight = np.asarray(stats.hypergeom.pmf(h, n, r, half), dtype=np.float64)
    bob_pass = _sum_cdf(h, p_alt, half - h, e, a)
    charlie_fail = 1.0 - _sum_cdf(r - h, p_alt, half - r + h, e, v)
    both = float((weight * bob_pass * charlie_fail).sum())  # Bob's half passes, Charlie's fails
    bob_ok = float((weight * bob_pass).sum())
    # Bob accepts: both his halves pass; Charlie rejects: either of his fails
    return float(bob_other_ok * (both + (bob_ok - both) * charlie_other_fail))


def run_signatures(weights: ArrayLike, *, params: SignatureParameters, trials: int,
                   rng: np.random.Generator, strategy: Strategy = "honest",
                   altered: int = 0) -> SignatureRunReport:
    """Sign one bit ``trials`` times over fresh pairs, with ``strategy``.

    Args:
        weights: Bell weights of every delivered pair (both links alike).
        params: length and thresholds, from :func:`signature_parameters`.
        trials: independent signings.
        rng: the random stream.
        strategy: ``honest``, ``repudiate`` or ``forge``.
        altered: positions of Bob's string at which a repudiating Alice declares the
            orthogonal state.

    Returns:
        A :class:`SignatureRunReport`.

    Examples:
        >>> p = signature_parameters([1.0, 0, 0, 0], length=200)
        >>> r = run_signatures([1.0, 0, 0, 0], params=p, trials=50, rng=np.random.default_rng(1))
        >>> r.failure_rate, r.bob_accept_rate
        (0.0, 1.0)
    """
    t = _inputs.count("trials", trials)
    n = params.signature_length
    half = n // 2
    w = _inputs.bell_weights("weights", weights)[0]
    # the exact probability is for the pairs of this run, which may differ from the
    # pairs the thresholds were chosen for
    actual = replace(params, honest_mismatch_rate=honest_mismatch_rate(w))
    exact = exact_failure_probability(actual, strategy, altered)
    a = _below(params.authentication_threshold, half)
    v = _below(params.verification_threshold, half)

    def measured() -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """(t, n) bases and bits of Alice and a recipient on one string's pairs."""
        basis_a = rng.integers(0, 2, size=(t, n))
        basis_r = rng.integers(0, 2, size=(t, n))
        dir_a = np.where(basis_a[..., None] == 1, _X, _Z).reshape(-1, 3)
        dir_r = np.where(basis_r[..., None] == 1, _X, _Z).reshape(-1, 3)
        bit_a, bit_r = _inputs.sample_pair_outcomes(np.tile(w, (t * n, 1)), dir_a, dir_r, rng)
        return basis_a, bit_a.reshape(t, n), basis_r, bit_r.reshape(t, n)

    def mismatches(altered_count: int) -> NDArray[np.bool_]:
        """(t, n) mismatch flags of one string between Alice and a recipient."""
        basis_a, bit_a, basis_r, bit_r = measured()
        declared = bit_a.copy()
        declared[:, :altered_count] ^= 1  # the halves are random, so which positions is moot
        flags: NDArray[np.bool_] = (basis_a == basis_r) & (declared == 1 - bit_r)
        return flags

    def split() -> NDArray[np.bool_]:
        """(t, n) True at the random half of the positions the recipient keeps."""
        ranks = rng.random((t, n)).argsort(axis=1).argsort(axis=1)
        kept: NDArray[np.bool_] = ranks < half
        return kept

    bob_rate = math.nan
    if strategy == "forge":
        # Charlie's kept half of his own string against Bob's made-up states; Bob's
        # forwarded half is consistent by construction and never mismatches.
        _, _, basis_c, bit_c = measured()
        charlie_keeps = split()
        guess_basis = rng.integers(0, 2, size=(t, n))
        guess_bit = rng.integers(0, 2, size=(t, n))
        # a mismatch: Bob declared the state Charlie eliminated
        hit = (guess_basis == basis_c) & (guess_bit == 1 - bit_c)
        charlie_ok = (hit & charlie_keeps).sum(axis=1) <= v
        failure = charlie_ok
    else:
        to_bob = mismatches(altered if strategy == "repudiate" else 0)
        to_charlie = mismatches(0)
        bob_keeps, charlie_keeps = split(), split()
        bob_ok = (((to_bob & bob_keeps).sum(axis=1) <= a)
                  & ((to_charlie & ~charlie_keeps).sum(axis=1) <= a))
        charlie_ok = (((to_bob & ~bob_keeps).sum(axis=1) <= v)
                      & ((to_charlie & charlie_keeps).sum(axis=1) <= v))
        bob_rate = float(bob_ok.mean())
        failure = ~bob_ok if strategy == "honest" else bob_ok & ~charlie_ok
    bound = {"honest": params.honest_abort_bound, "repudiate": params.repudiation_bound,
             "forge": params.forging_bound}[strategy]
    return SignatureRunReport(
        trials=t, strategy=strategy, bob_accept_rate=bob_rate,
        charlie_accept_rate=float(charlie_ok.mean()), failure_rate=float(failure.mean()),
        failure_probability_exact=exact, failure_bound=bound, pairs_used=t * 4 * n)
