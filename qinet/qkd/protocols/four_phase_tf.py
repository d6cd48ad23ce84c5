"""Twin-field QKD without phase post-selection (four phases), simulated as counts.

Per pulse pair each end chooses a **code** round with probability ``p_code`` or a
**decoy** round otherwise (Curty, Azuma and Lo, npj Quantum Inf. 5, 64 (2019), *CAL 2019*;
the protocol of S. Wang et al., Nat. Photon. 16, 154 (2022); the channel model and the
closed forms are in :mod:`qinet.qkd.four_phase_tf_bounds`):

* in a **code round** an end sends ``|(-1)^b √μ>``, its key bit b in the phase (0 or π),
  with no phase randomisation;
* in a **decoy round** it sends a phase-randomised pulse of an intensity ``β`` drawn
  from a small set (vacuum and a few decoys), and announces β afterwards.

Charlie announces which of his two detectors clicked alone. Code/code single clicks make
the raw key: detector 0 says the bits are equal, detector 1 that they differ, so Bob
flips his bit on detector 1. Rounds where one end coded and the other sent a decoy are
discarded. Pulse pairs are counted, not drawn one by one: each configuration (both
bits, or both decoy intensities) gets its pulse pairs in one multinomial and its single
clicks per detector in one more, at the closed-form probabilities: the code rounds'
``Q (1 - E)`` on the right detector and ``Q E`` on the wrong one
(:func:`~qinet.qkd.four_phase_tf_bounds.four_phase_gain_and_qber`), the decoy rounds'
``Q^j_{ab} = Σ_{n,m} P_n(β_a) P_m(β_b) Y^j_{nm}`` on each detector j
(:func:`~qinet.qkd.four_phase_tf_bounds.photon_pair_yields`, Poisson ``P_n``).

Estimation with finitely many decoys and counts:

* every decoy count gets one-sided Clopper–Pearson bounds ``Q^{j,L}_{ab} <= Q^j_{ab} <=
  Q^{j,U}_{ab}`` (each failing with probability ε_sec / (4 d² + 1) for d intensities);
* each ``Y^j_{nm}`` with ``n, m <= K`` and ``n ≡ m (mod 2)`` (the terms of the
  phase-error bound) is maximised by a linear program over ``0 <= Y <= 1`` subject to
  ``Q^{j,L}_{ab} - T_{ab} <= Σ_{n,m<=K} P_n(β_a) P_m(β_b) Y^j_{nm} <= Q^{j,U}_{ab}``,
  ``T_{ab} = 1 - F_K(β_a) F_K(β_b)`` the Poisson weight beyond the cutoff (where
  ``Y <= 1``); the bound kept is the *dual* value of the solver's multipliers
  (``λ·b + Σ_k max(0, e_t - Aᵀλ)_k``), which holds by weak duality whatever the solver's
  tolerance;
* the phase errors per code pulse pair are at most
  ``B = Σ_j [(Σ_even c_n c_m √Y^{j,U}_{nm})² + (Σ_odd c_n c_m √Y^{j,U}_{nm})²]``
  (CAL 2019, Eq. 5, :func:`~qinet.qkd.four_phase_tf_bounds.cauchy_schwarz_phase_errors`,
  ``√Y <= 1`` beyond the cutoff); the phase errors among the ``N_code`` code pulse pairs
  are then at most the ``1 - ε`` quantile of Binomial(N_code, B) (i.i.d. rounds), and
  ``e_ph`` is that over the ``n`` key bits.

A block of ``n`` key bits keeps ``ℓ = n [1 - H2(e_ph)] - leak - log2(2/ε_cor) -
2 log2(1/ε_sec)`` (:func:`~qinet.qkd.protocols._blocks.phase_error_key_length`), leak
being what the reconciliation actually run disclosed.

Result keys: ``qber["Z"]`` the raw key's error rate, ``gains["code"]`` single clicks
per code pulse pair and ``gains["decoy<i>/decoy<k>"]`` per decoy pulse pair with Alice at
``decoy_intensities[i]`` and Bob at ``[k]`` (both detectors), ``estimates`` with
``y00_upper``, ``y11_upper``, ``y02_upper``, ``y20_upper`` (the larger of the two
detectors' bounds), ``phase_error_upper`` and the point value ``phase_error`` (the same
programs fed the observed gains, no confidence intervals).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from qinet.errors import ConfigError
from qinet.qkd._checks import check_open_probability, check_whole_number
from qinet.qkd.bounds import F_EC, binary_entropy
from qinet.qkd.four_phase_tf_bounds import (
    cauchy_schwarz_phase_errors,
    four_phase_gain_and_qber,
    photon_pair_yields,
)
from qinet.qkd.protocols._blocks import phase_error_key_length
from qinet.qkd.protocols._two_senders import (
    RelayOptics,
    check_class_probabilities,
    check_run_arguments,
    count_bounds,
    counted_key,
    distil_relay_key,
    error_rate,
    pair_gains,
)
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

SIMULATION_CUTOFF = 30
"""Photon numbers per end summed in the decoy rounds' click probability: the Poisson
weight beyond 30 is below 1e-40 for β <= 1."""

POINT_EPSILON = 2.87e-7
"""One-sided tail of five standard deviations: the point estimates' intervals."""


@dataclass(frozen=True, slots=True)
class FourPhaseLink(RelayOptics):
    """Both ends, their fibres to Charlie and his two detectors, and the protocol's settings.

    The fields of :class:`~qinet.qkd.protocols._two_senders.RelayOptics`, and:

    Attributes:
        misalignment: e_d of the code rounds' interference, a residual phase δ with
            ``e_d = (1 - cos δ)/2``, in [0, 1/2].
        code_intensity: μ, mean photons of each end's code pulse (in (0, 1)).
        code_probability: p_code in (0, 1), an end's chance of a code round.
        decoy_intensities: the decoy rounds' intensities β, increasing, at least two
            (vacuum first is the usual choice).
        decoy_probabilities: their probabilities within a decoy round, summing to 1.
        yield_cutoff: K, the largest photon number per end bounded by linear programs
            (2 to 12).

    Examples:
        >>> from qinet.physical import Detector, Fibre
        >>> FourPhaseLink(Fibre(10.0), Fibre(10.0), Detector(), decoy_intensities=(0.2, 0.1))
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: decoy_intensities: must be two or more increasing \
non-negative numbers, got [0.2, 0.1]
    """

    misalignment: float = 0.02
    code_intensity: float = 0.02
    code_probability: float = 0.8
    decoy_intensities: tuple[float, ...] = (0.0, 0.01, 0.05, 0.15, 0.4)
    decoy_probabilities: tuple[float, ...] = (0.2, 0.2, 0.2, 0.2, 0.2)
    yield_cutoff: int = 6

    def __post_init__(self) -> None:
        RelayOptics.__post_init__(self)
        if not 0.0 < self.code_intensity < 1.0:
            raise ConfigError("code_intensity", f"must lie in (0, 1), got {self.code_intensity}")
        check_open_probability("code_probability", self.code_probability)
        b = tuple(self.decoy_intensities)
        if len(b) < 2 or b[0] < 0.0 or any(x >= y for x, y in pairwise(b)) \
                or b[-1] > 1.0:
            raise ConfigError("decoy_intensities", f"must be two or more increasing "
                                                   f"non-negative numbers, got {list(b)}")
        check_class_probabilities(self.decoy_probabilities, len(b))
        if isinstance(self.yield_cutoff, bool) or not isinstance(self.yield_cutoff, int) \
                or not 2 <= self.yield_cutoff <= 12:
            raise ConfigError("yield_cutoff",
                              f"must be an integer in [2, 12], got {self.yield_cutoff!r}")


@dataclass(frozen=True, slots=True)
class FourPhaseEvents:
    """A run as counts, and the raw key of its code-round single clicks.

    Attributes:
        pulses: pulse pairs sent.
        code_sent: code/code pulse pairs by (Alice's bit, Bob's bit), shape (2, 2).
        code_clicks: their single clicks by (Alice's bit, Bob's bit, detector), (2, 2, 2).
        decoy_sent: decoy/decoy pulse pairs by (Alice's β index, Bob's), shape (d, d).
        decoy_clicks: their single clicks by (Alice's β, Bob's β, detector), (d, d, 2).
        alice_bit: Alice's raw key bits, in time order.
        bob_bit: Bob's, after his flip on detector 1.
    """

    pulses: int
    code_sent: NDArray[np.int64]
    code_clicks: NDArray[np.int64]
    decoy_sent: NDArray[np.int64]
    decoy_clicks: NDArray[np.int64]
    alice_bit: NDArray[np.uint8]
    bob_bit: NDArray[np.uint8]

    @property
    def code_pairs(self) -> int:
        """Code/code pulse pairs."""
        return int(self.code_sent.sum())


def poisson_weights(intensity: float, cutoff: int) -> NDArray[np.float64]:
    """``P_n(β) = e^{-β} β^n / n!`` for n = 0..cutoff (vacuum: 1 at n = 0).

    Examples:
        >>> poisson_weights(0.0, 2).tolist()
        [1.0, 0.0, 0.0]
        >>> round(float(poisson_weights(0.5, 3)[1]), 6)
        0.303265
    """
    n = np.arange(cutoff + 1)
    if intensity == 0.0:
        vacuum: NDArray[np.float64] = (n == 0).astype(np.float64)
        return vacuum
    out: NDArray[np.float64] = np.exp(-intensity + n * math.log(intensity) - gammaln(n + 1))
    return out


def decoy_click_probabilities(link: FourPhaseLink) -> NDArray[np.float64]:
    """``Q^j_{ab}``: one given detector alone clicks for phase-randomised pulses β_a, β_b.

    The same for both detectors (phase-randomised light splits evenly on average).

    Examples:
        >>> from qinet.physical import Detector, Fibre
        >>> link = FourPhaseLink(Fibre(0.0), Fibre(0.0), Detector(efficiency=1.0,
        ...                      dark_count_rate_hz=0.0), decoy_intensities=(0.0, 0.5),
        ...                      decoy_probabilities=(0.5, 0.5))
        >>> q = decoy_click_probabilities(link)
        >>> float(q[0, 0]), round(float(q[1, 0]), 6)  # e^{-β/2} (1 - e^{-β/2})
        (0.0, 0.17227)
    """
    y = photon_pair_yields(link.eta_alice, link.eta_bob,
                           dark_count_probability=link.dark_probability,
                           cutoff=SIMULATION_CUTOFF)
    p = np.array([poisson_weights(b, SIMULATION_CUTOFF) for b in link.decoy_intensities])
    out: NDArray[np.float64] = p @ y @ p.T
    return out


def simulate_four_phase(link: FourPhaseLink, pulses: int, *, rng: np.random.Generator,
                        keys: bool = True) -> FourPhaseEvents:
    """Send ``pulses`` pulse pairs and count what Charlie announces (see the module).

    With ``keys`` false the raw key's bits are not laid out (both arrays empty): the
    counts alone, for studies of the estimation at pulse numbers whose key would not
    fit in memory.

    Examples:
        >>> from qinet.physical import Detector, Fibre
        >>> link = FourPhaseLink(Fibre(50.0), Fibre(50.0), Detector(efficiency=0.5))
        >>> ev = simulate_four_phase(link, 10**8, rng=np.random.default_rng(1))
        >>> int(ev.code_clicks.sum()) == ev.alice_bit.size
        True
    """
    check_whole_number("pulses", pulses, least=0)
    pc = link.code_probability
    pd = np.asarray(link.decoy_probabilities)
    d = pd.size
    code_cells = np.full(4, pc * pc / 4.0)
    decoy_cells = np.outer(pd, pd).ravel() * (1.0 - pc) ** 2
    probs = np.concatenate([code_cells, decoy_cells, [2.0 * pc * (1.0 - pc)]])
    sent = rng.multinomial(pulses, probs / probs.sum())
    code_sent, decoy_sent = sent[:4].reshape(2, 2), sent[4:4 + d * d].reshape(d, d)
    gain, qber = four_phase_gain_and_qber(link.eta_alice, link.eta_bob, mu=link.code_intensity,
                                          dark_count_probability=link.dark_probability,
                                          misalignment=link.misalignment)
    right, wrong = float(gain) * (1.0 - float(qber)), float(gain) * float(qber)
    code_clicks = np.zeros((2, 2, 2), dtype=np.int64)
    for a in range(2):
        for b in range(2):
            # the right detector says whether the bits agree: 0 equal, 1 different
            hits = rng.multinomial(code_sent[a, b], [right, wrong, 1.0 - right - wrong])
            code_clicks[a, b, a ^ b], code_clicks[a, b, 1 - (a ^ b)] = hits[0], hits[1]
    q = decoy_click_probabilities(link)
    decoy_clicks = np.zeros((d, d, 2), dtype=np.int64)
    for i in range(d):
        for k in range(d):
            hits = rng.multinomial(decoy_sent[i, k], [q[i, k], q[i, k], 1.0 - 2.0 * q[i, k]])
            decoy_clicks[i, k] = hits[:2]
    cells = np.indices((2, 2, 2)).reshape(3, -1)
    counts = code_clicks.ravel() if keys else np.zeros(8, dtype=np.int64)
    # Bob flips on detector 1
    alice, bob = counted_key(cells[0].astype(np.uint8), (cells[1] ^ cells[2]).astype(np.uint8),
                             counts, rng)
    return FourPhaseEvents(pulses=pulses, code_sent=code_sent.astype(np.int64),
                           code_clicks=code_clicks, decoy_sent=decoy_sent.astype(np.int64),
                           decoy_clicks=decoy_clicks, alice_bit=alice, bob_bit=bob)


def yield_upper_bounds(intensities: Sequence[float], q_lower: NDArray[np.float64],
                       q_upper: NDArray[np.float64], *, cutoff: int) -> NDArray[np.float64]:
    """Upper bounds on ``Y_{nm}``, ``n, m <= cutoff``, of one detector (see the module).

    Args:
        intensities: the decoy intensities β (both ends the same set).
        q_lower: lower bounds on the single-click probabilities, shape (d, d).
        q_upper: upper bounds, shape (d, d).
        cutoff: K.

    Returns:
        ``(K + 1, K + 1)`` bounds; pairs of unlike parity, which the phase error does
        not need, are left at 1.

    Examples:
        >>> from qinet.physical import Detector, Fibre
        >>> link = FourPhaseLink(Fibre(50.0), Fibre(50.0), Detector(dark_count_rate_hz=0.0))
        >>> q = decoy_click_probabilities(link)  # exact: infinitely many pulses
        >>> up = yield_upper_bounds(link.decoy_intensities, q, q, cutoff=4)
        >>> y = photon_pair_yields(link.eta_alice, link.eta_bob, dark_count_probability=0.0,
        ...                        cutoff=4)
        >>> [round(float(up[n, m] / y[n, m]), 3) for n, m in ((1, 1), (0, 2), (2, 2))]
        [1.0, 1.001, 1.222]
    """
    mus = list(intensities)
    k = cutoff
    p = np.array([poisson_weights(b, k) for b in mus])
    kept = p.sum(axis=1)
    rows, rhs = [], []
    for i in range(len(mus)):
        for j in range(len(mus)):
            row = np.outer(p[i], p[j]).ravel()
            # rows scaled by their right side: the solver's tolerances become relative
            scale = float(q_upper[i, j]) if q_upper[i, j] > 0.0 else 1.0
            rows.append(row / scale)
            rhs.append(float(q_upper[i, j]) / scale)
            low = float(q_lower[i, j]) - (1.0 - kept[i] * kept[j])
            if low > 0.0:
                rows.append(-row / scale)
                rhs.append(-low / scale)
    from scipy.optimize import linprog  # here, not at the top: 0.2 s of every start

    a_ub, b_ub = np.array(rows), np.array(rhs)
    out = np.ones((k + 1, k + 1))
    for n in range(k + 1):
        for m in range(n % 2, k + 1, 2):
            target = np.zeros((k + 1) ** 2)
            target[n * (k + 1) + m] = 1.0
            res = linprog(-target, A_ub=a_ub, b_ub=b_ub, bounds=(0.0, 1.0), method="highs")
            if res.status != 0:
                continue  # no certificate: keep Y <= 1
            lam = np.maximum(-np.asarray(res.ineqlin.marginals), 0.0)
            # weak duality: Y_t <= λ·b + Σ_k max(0, e_t - Aᵀλ)_k for any λ >= 0, 0 <= Y <= 1
            dual = float(lam @ b_ub) + float(np.maximum(target - a_ub.T @ lam, 0.0).sum())
            out[n, m] = min(1.0, max(dual, 0.0))
    return out


@dataclass(frozen=True, slots=True)
class FourPhaseEstimates:
    """Decoy bounds of a run (see the module), and the point values behind them.

    Attributes:
        yield_upper: ``Y^{j,U}_{nm}``, shape (2, K + 1, K + 1).
        phase_errors_per_pair_upper: B, phase errors per code pulse pair.
        phase_error_upper: e_ph of the key bits, with the sampling term.
        phase_error_point: the same programs fed the observed gains, ``B / Q``.
    """

    yield_upper: NDArray[np.float64]
    phase_errors_per_pair_upper: float
    phase_error_upper: float
    phase_error_point: float


def four_phase_estimates(link: FourPhaseLink, events: FourPhaseEvents, *,
                         epsilon_sec: float) -> FourPhaseEstimates:
    """Bound the yields and the key's phase error (see the module); every statistical
    bound fails with ε_sec / (4 d² + 1).

    The point value runs the same programs on five-standard-deviation intervals
    (one-sided Clopper–Pearson at ε = 2.87e-7) and leaves out the sampling term: the
    observed gains themselves, with their shot noise, are seldom consistent with any
    yields (at one standard deviation most programs of a run had no solution), and a
    program without a solution bounds nothing. A run without key bits has nothing to
    bound: its yields stay at 1 and its phase errors at 1/2.
    """
    d = len(link.decoy_intensities)
    eps = epsilon_sec / (4 * d * d + 1)
    mu, k = link.code_intensity, link.yield_cutoff
    n_key, n_code = int(events.code_clicks.sum()), events.code_pairs
    if n_key == 0:
        return FourPhaseEstimates(np.ones((2, k + 1, k + 1)), 1.0, 0.5, 0.5)
    trials = np.repeat(events.decoy_sent[:, :, None], 2, axis=2)

    def phase_errors_per_pair(epsilon: float) -> tuple[NDArray[np.float64], float]:
        lo, hi = count_bounds(events.decoy_clicks, trials, epsilon)
        upper = np.stack([yield_upper_bounds(link.decoy_intensities, lo[:, :, j],
                                             hi[:, :, j], cutoff=k) for j in range(2)])
        return upper, min(cauchy_schwarz_phase_errors(upper, mu=mu), 1.0)

    upper, b_upper = phase_errors_per_pair(eps)
    _, b_point = phase_errors_per_pair(POINT_EPSILON)
    # phase errors among the code pulse pairs: at most Binomial(N_code, B) (i.i.d. rounds)
    from scipy.stats import binom  # here: scipy.stats is slow to import, seldom needed

    errors = float(binom.isf(eps, n_code, b_upper))
    return FourPhaseEstimates(upper, b_upper, min(errors / n_key, 0.5),
                              min(b_point * n_code / n_key, 0.5))


def run_four_phase(link: FourPhaseLink, pulses: int, *, rng: RngTree,
                   block_size: int = 1_000_000, epsilon_sec: float = 1e-10,
                   epsilon_cor: float = 1e-15,
                   distill_options: Mapping[str, Any] | None = None) -> QkdRunResult:
    """Send pulses, bound the phase error with the decoys and distil keys block by block.

    Args:
        link: the optics and the protocol's settings.
        pulses: pulse pairs to send.
        rng: the run's random tree (streams ``four-phase/channel`` and the blocks').
        block_size: key bits per post-processing block.
        epsilon_sec: secrecy parameter (split over the decoy bounds as the module says).
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.

    Returns:
        The run record, ``protocol="four-phase"``, keyed as the module's docstring says.

    Raises:
        ConfigError: a bad argument, named.

    Examples:
        >>> from qinet.physical import Detector, Fibre
        >>> link = FourPhaseLink(Fibre(10.0), Fibre(10.0), Detector(efficiency=0.6),
        ...                      code_probability=0.5)
        >>> r = run_four_phase(link, 3 * 10**7, rng=RngTree(1), block_size=10**5)
        >>> r.key_bits > 0, r.keys_equal
        (True, True)
    """
    check_run_arguments(pulses, block_size, epsilon_sec, epsilon_cor, distill_options)
    ev = simulate_four_phase(link, pulses, rng=rng.generator("four-phase/channel"))
    est = four_phase_estimates(link, ev, epsilon_sec=epsilon_sec)
    n_key = ev.alice_bit.size
    qber = error_rate(ev.alice_bit, ev.bob_bit)
    # CAL 2019, Eq. 4, on the measured statistics: per pulse pair sent
    asymptotic = n_key / pulses * (1.0 - float(binary_entropy(est.phase_error_point))
                                   - F_EC * float(binary_entropy(qber)))
    gains = pair_gains([f"decoy{i}" for i in range(len(link.decoy_intensities))],
                       ev.decoy_clicks, ev.decoy_sent)
    gains["code"] = float(n_key / max(ev.code_pairs, 1))
    y = est.yield_upper.max(axis=0)
    return distil_relay_key(
        ev.alice_bit, ev.bob_bit, link=link, pulses=pulses, protocol="four-phase", rng=rng,
        block_size=block_size, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
        key_length=phase_error_key_length(est.phase_error_upper, epsilon_sec=epsilon_sec,
                                          epsilon_cor=epsilon_cor),
        distill_options=distill_options, detections=int(n_key + ev.decoy_clicks.sum()),
        qber={"Z": qber}, gains=gains,
        estimates={"y00_upper": float(y[0, 0]), "y11_upper": float(y[1, 1]),
                   "y02_upper": float(y[0, 2]), "y20_upper": float(y[2, 0]),
                   "phase_errors_per_pair_upper": est.phase_errors_per_pair_upper,
                   "phase_error_upper": est.phase_error_upper,
                   "phase_error": est.phase_error_point},
        asymptotic_bits_per_pulse=max(asymptotic, 0.0))
