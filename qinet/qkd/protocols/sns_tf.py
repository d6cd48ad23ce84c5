"""Sending-or-not-sending twin-field QKD, simulated as counts, with optional AOPP.

Alice and Bob each open, per pulse pair, a Z window with probability ``p_z`` or an X
window otherwise (Wang, Yu and Hu, PRA 98, 062323 (2018); the channel model and the
closed forms are in :mod:`qinet.qkd.sns_tf_bounds`):

* in a **Z window** an end sends a phase-randomised pulse of mean ``μ_z`` with
  probability ε (Alice's bit 1, Bob's bit 0) or nothing (Alice 0, Bob 1);
* in an **X window** it sends vacuum, a weak decoy ``μ1`` or a stronger decoy ``μ2``
  with random phase, and announces the intensity and, for ``μ1``, the phase.

Charlie announces single clicks. Pulse pairs are counted, not drawn one by one: each
configuration (window kinds, decisions, decoy classes) gets its pulse pairs in one
multinomial and its single clicks in one binomial at the closed-form probability (the
phases are independent per pulse pair, so the phase-averaged probability is exact in
distribution). Z-window single clicks become the raw key; X windows give the decoy
yields ``S_ij`` and, for both ends at ``μ1`` with phases within ``Δ/2`` of agreeing
modulo π, the error count that bounds the phase error.

Estimation, with one-sided Clopper–Pearson bounds on every count (each failing with
ε_sec/16, as the other relay protocols), from WYH 2018:

* single-photon yield of one end sending and the other silent,
  ``s_1 >= [μ2² e^{μ1} S_{μ1,0} - μ1² e^{μ2} S_{μ2,0} - (μ2² - μ1²) S_00] / (μ1 μ2 (μ2 - μ1))``
  for each end (the terms with three and more photons only lower the right side);
* untagged key bits ``n_1 >= N_ZZ ε (1 - ε) μ_z e^{-μ_z} (s_{1,A} + s_{1,B})``;
* phase error ``e_1 <= (T - e^{-2μ1} S_00 / 2) / (2 μ1 e^{-2μ1} s_1)`` with ``T`` the
  errors per phase-matched ``μ1/μ1`` pulse pair (vacuum clicks are wrong half the time,
  single photons with ``e_1``, more photons with something non-negative).

With **AOPP** (Xu et al., PRA 101, 042330 (2020)) Bob pairs each of his 0 bits with one
of his 1 bits at random, Alice keeps the pairs whose bits have odd parity for her too,
and each kept pair leaves its first bit; a pair of two untagged bits survives always, so
the untagged share of the kept bits is at least ``n_g (n_{1,0}/n_0)(n_{1,1}/n_1) / n'``,
and its phase error ``2 e_1 (1 - e_1)``. A block of ``n`` bits keeps
``ℓ = n s [1 - H2(e_ph)] - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)`` with ``s`` the untagged
share (:func:`~qinet.qkd.protocols._blocks.phase_error_key_length`).

Result keys: ``qber["Z"]`` the raw key's error rate (after AOPP when it runs; then
``qber["Z_raw"]`` before it), ``gains`` per X-window class pair (``"vacuum/vacuum"``,
``"decoy/vacuum"``, ...) and ``"Z"``, ``estimates`` with ``s1_lower``, ``e1_upper``,
``untagged_share_lower``, ``phase_error_upper``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.qkd._checks import check_open_probability
from qinet.qkd.bounds import F_EC, binary_entropy
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
from qinet.qkd.sns_tf_bounds import sns_z_statistics
from qinet.rng import RngTree

X_CLASSES = ("vacuum", "decoy", "strong")
"""X-window intensity classes: 0, μ1, μ2."""


@dataclass(frozen=True, slots=True)
class SnsLink(RelayOptics):
    """Both ends, their fibres to Charlie and his two detectors, and the protocol's settings.

    The fields of :class:`~qinet.qkd.protocols._two_senders.RelayOptics`, and:

    Attributes:
        misalignment: e_d of the X-window interference, in [0, 1/2].
        z_intensity: μ_z, mean photons of a sent Z pulse (> 0).
        send_probability: ε in (0, 1).
        z_window_probability: p_z in (0, 1).
        decoy_intensities: (μ1, μ2), 0 < μ1 < μ2.
        decoy_probabilities: probabilities of vacuum, μ1 and μ2 in an X window.
        phase_window_rad: Δ in (0, π]: μ1/μ1 pairs count when their phases agree
            within Δ/2 modulo π.
        aopp: run actively odd-parity pairing before error correction.
    """

    misalignment: float = 0.05
    z_intensity: float = 0.4
    send_probability: float = 0.2
    z_window_probability: float = 0.8
    decoy_intensities: tuple[float, float] = (0.1, 0.4)
    decoy_probabilities: tuple[float, float, float] = (0.4, 0.4, 0.2)
    phase_window_rad: float = 0.3
    aopp: bool = True

    def __post_init__(self) -> None:
        RelayOptics.__post_init__(self)
        if not self.z_intensity > 0.0:
            raise ConfigError("z_intensity", f"must be positive, got {self.z_intensity}")
        check_open_probability("send_probability", self.send_probability)
        check_open_probability("z_window_probability", self.z_window_probability)
        mu1, mu2 = self.decoy_intensities
        if not 0.0 < mu1 < mu2:
            raise ConfigError("decoy_intensities",
                              f"need 0 < mu1 < mu2, got {list(self.decoy_intensities)}")
        check_class_probabilities(self.decoy_probabilities, 3)
        if not 0.0 < self.phase_window_rad <= math.pi:
            raise ConfigError("phase_window_rad",
                              f"must lie in (0, pi], got {self.phase_window_rad}")


@dataclass(frozen=True, slots=True)
class SnsEvents:
    """A run as counts, and the raw key of its Z-window single clicks.

    Attributes:
        pulses: pulse pairs sent.
        z_pairs: pulse pairs with both ends in Z windows.
        z_sent: Z-window pulse pairs by (Alice sends, Bob sends), shape (2, 2).
        z_clicks: their single clicks, shape (2, 2).
        x_sent: X-window pulse pairs by (Alice's class, Bob's class), shape (3, 3).
        x_clicks: their single clicks (any phases), shape (3, 3).
        matched: μ1/μ1 pulse pairs with phases within Δ/2 of agreeing modulo π.
        matched_errors: their single clicks in the wrong detector.
        alice_bit: Alice's raw key bits (1: she sent), in time order.
        bob_bit: Bob's (1: he did not send).
    """

    pulses: int
    z_pairs: int
    z_sent: NDArray[np.int64]
    z_clicks: NDArray[np.int64]
    x_sent: NDArray[np.int64]
    x_clicks: NDArray[np.int64]
    matched: int
    matched_errors: int
    alice_bit: NDArray[np.uint8]
    bob_bit: NDArray[np.uint8]


def _x_single_click(link: SnsLink, mu_a: float, mu_b: float) -> float:
    """Single click of two phase-randomised pulses: the both-sending formula of
    :func:`~qinet.qkd.sns_tf_bounds.sns_z_statistics` with one pulse each."""
    keep = 1.0 - link.dark_probability
    la, lb = link.eta_alice * mu_a, link.eta_bob * mu_b
    cross = math.sqrt(la * lb)
    return float(2.0 * keep * math.exp(-(la + lb) / 2.0) * np.i0(cross)
                 - 2.0 * keep**2 * math.exp(-la - lb))


def matched_click_probabilities(link: SnsLink, order: int = 32) -> tuple[float, float]:
    """``(right, wrong)`` single clicks of a phase-matched μ1/μ1 pulse pair.

    The relative phase δ is uniform within ``±Δ/2`` of the announced relation; the
    detectors see ``λ_{R,W} = (λ_a + λ_b)/2 ± V √(λ_a λ_b) cos δ`` with ``V = 1 - 2e_d``,
    averaged by Gauss–Legendre quadrature.

    Examples:
        >>> from qinet.physical import Detector, Fibre
        >>> link = SnsLink(Fibre(10.0), Fibre(10.0), Detector(dark_count_rate_hz=0.0),
        ...                misalignment=0.0, phase_window_rad=1e-6)
        >>> right, wrong = matched_click_probabilities(link)
        >>> wrong < 1e-12 < right
        True
    """
    mu1 = link.decoy_intensities[0]
    keep = 1.0 - link.dark_probability
    la, lb = link.eta_alice * mu1, link.eta_bob * mu1
    x, w = np.polynomial.legendre.leggauss(order)
    delta = x * link.phase_window_rad / 2.0
    coherent = (1.0 - 2.0 * link.misalignment) * math.sqrt(la * lb) * np.cos(delta)
    lam_right, lam_wrong = (la + lb) / 2.0 + coherent, (la + lb) / 2.0 - coherent
    none = keep**2 * math.exp(-la - lb)
    right = keep * np.exp(-lam_wrong) - none  # the right detector alone clicks
    wrong = keep * np.exp(-lam_right) - none
    return float(right @ w / 2.0), float(wrong @ w / 2.0)


def simulate_sns(link: SnsLink, pulses: int, *, rng: np.random.Generator) -> SnsEvents:
    """Send ``pulses`` pulse pairs and count what Charlie announces (see the module).

    Examples:
        >>> from qinet.physical import Detector, Fibre
        >>> link = SnsLink(Fibre(50.0), Fibre(50.0), Detector(efficiency=0.5))
        >>> ev = simulate_sns(link, 10**7, rng=np.random.default_rng(1))
        >>> int(ev.z_sent.sum()) == ev.z_pairs, int(ev.z_clicks.sum()) == ev.alice_bit.size
        (True, True)
    """
    pz, eps = link.z_window_probability, link.send_probability
    px = np.asarray(link.decoy_probabilities)
    z_cells = np.outer([1 - eps, eps], [1 - eps, eps]) * pz * pz
    x_cells = np.outer(px, px) * (1 - pz) ** 2
    probs = np.concatenate([z_cells.ravel(), x_cells.ravel(), [2 * pz * (1 - pz)]])
    sent = rng.multinomial(pulses, probs / probs.sum())
    z_sent, x_sent = sent[:4].reshape(2, 2), sent[4:13].reshape(3, 3)
    stats = sns_z_statistics(link.eta_alice, link.eta_bob, mu=link.z_intensity,
                             send_probability=0.5, dark_count_probability=link.dark_probability,
                             misalignment=link.misalignment)
    # per pulse pair of each (Alice sends, Bob sends) cell, undoing the ε weights
    z_click = np.array([[float(stats.wrong_1) / 0.25, float(stats.correct_0) / 0.25],
                        [float(stats.correct_1) / 0.25, float(stats.wrong_0) / 0.25]])
    z_clicks = rng.binomial(z_sent, z_click)
    mus = (0.0, *link.decoy_intensities)
    x_click = np.array([[_x_single_click(link, a, b) for b in mus] for a in mus])
    x_clicks = rng.binomial(x_sent, x_click)
    matched = int(rng.binomial(x_sent[1, 1], link.phase_window_rad / math.pi))
    right, wrong = matched_click_probabilities(link)
    _, matched_errors, _ = rng.multinomial(matched, [right, wrong, 1.0 - right - wrong])
    alice, bob = counted_key(np.array([0, 0, 1, 1], dtype=np.uint8),
                             np.array([1, 0, 1, 0], dtype=np.uint8), z_clicks.ravel(), rng)
    return SnsEvents(pulses=pulses, z_pairs=int(z_sent.sum()),
                     z_sent=z_sent.astype(np.int64), z_clicks=z_clicks.astype(np.int64),
                     x_sent=x_sent.astype(np.int64), x_clicks=x_clicks.astype(np.int64),
                     matched=matched, matched_errors=int(matched_errors),
                     alice_bit=alice, bob_bit=bob)


@dataclass(frozen=True, slots=True)
class SnsEstimates:
    """Decoy bounds of a run (see the module), and their point values.

    Attributes:
        s1_alice: lower bound on the yield of Alice's single photon with Bob silent.
        s1_bob: the same for Bob.
        e1_upper: upper bound on the untagged bits' phase error.
        s1_point: the point value of the mean of both yields.
        e1_point: the point value of the phase error.
    """

    s1_alice: float
    s1_bob: float
    e1_upper: float
    s1_point: float
    e1_point: float


def _single_yield(link: SnsLink, s_10: float, s_20: float, s_00: float) -> float:
    mu1, mu2 = link.decoy_intensities
    return max(0.0, (mu2**2 * math.exp(mu1) * s_10 - mu1**2 * math.exp(mu2) * s_20
                     - (mu2**2 - mu1**2) * s_00) / (mu1 * mu2 * (mu2 - mu1)))


def _phase_error(link: SnsLink, t: float, s_00: float, s1: float) -> float:
    mu1 = link.decoy_intensities[0]
    if s1 <= 0.0:
        return 0.5
    e1 = (t - math.exp(-2 * mu1) * s_00 / 2.0) / (2.0 * mu1 * math.exp(-2 * mu1) * s1)
    return min(max(e1, 0.0), 0.5)


def sns_estimates(link: SnsLink, events: SnsEvents, *, epsilon: float) -> SnsEstimates:
    """The single-photon yields and the phase error of a run, each count bounded
    one-sidedly with failure probability ``epsilon`` (Clopper–Pearson)."""
    lo, hi = count_bounds(events.x_clicks, events.x_sent, epsilon)
    _, t_hi = count_bounds(np.array([events.matched_errors]), np.array([events.matched]),
                              epsilon)
    point = events.x_clicks / np.maximum(events.x_sent, 1)
    s_a = _single_yield(link, lo[1, 0], hi[2, 0], hi[0, 0])
    s_b = _single_yield(link, lo[0, 1], hi[0, 2], hi[0, 0])
    s_point = (_single_yield(link, point[1, 0], point[2, 0], point[0, 0])
               + _single_yield(link, point[0, 1], point[0, 2], point[0, 0])) / 2.0
    t_point = events.matched_errors / max(events.matched, 1)
    return SnsEstimates(s1_alice=s_a, s1_bob=s_b,
                        e1_upper=_phase_error(link, float(t_hi[0]), float(lo[0, 0]),
                                              (s_a + s_b) / 2.0),
                        s1_point=s_point,
                        e1_point=_phase_error(link, t_point, float(point[0, 0]), s_point))


def odd_parity_pairs(alice_bit: NDArray[np.uint8], bob_bit: NDArray[np.uint8],
                     rng: np.random.Generator) -> NDArray[np.int64]:
    """AOPP: the index of the bit each kept pair leaves, in time order of the pairs.

    Bob pairs his 0 bits with his 1 bits at random (``min(n_0, n_1)`` pairs); a pair is
    kept when Alice's two bits differ as well; its first bit (in time) stays.

    Examples:
        >>> a = np.array([1, 0, 1, 0], dtype=np.uint8)
        >>> b = np.array([1, 0, 0, 0], dtype=np.uint8)  # one error, on the third bit
        >>> kept = odd_parity_pairs(a, b, np.random.default_rng(0))
        >>> bool(np.all(a[kept] == b[kept]))  # the single error cannot survive
        True
    """
    zeros = rng.permutation(np.flatnonzero(bob_bit == 0))
    ones = rng.permutation(np.flatnonzero(bob_bit == 1))
    n = min(zeros.size, ones.size)
    first, second = zeros[:n], ones[:n]
    keep = alice_bit[first] != alice_bit[second]
    return np.sort(np.minimum(first[keep], second[keep]))


def run_sns(link: SnsLink, pulses: int, *, rng: RngTree, block_size: int = 1_000_000,
            epsilon_sec: float = 1e-10, epsilon_cor: float = 1e-15,
            distill_options: Mapping[str, Any] | None = None) -> QkdRunResult:
    """Send pulses, pair the raw key by odd parity when ``link.aopp``, bound the phase
    error with the decoy windows and distil keys block by block (see the module).

    Args:
        link: the optics and the protocol's settings.
        pulses: pulse pairs to send.
        rng: the run's random tree (streams ``sns/channel``, ``sns/aopp`` and the blocks').
        block_size: key bits per post-processing block.
        epsilon_sec: secrecy parameter (a 16th of it for each count bound).
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.

    Returns:
        The run record, ``protocol="sns"``, keyed as the module's docstring says.

    Raises:
        ConfigError: a bad argument, named.
    """
    check_run_arguments(pulses, block_size, epsilon_sec, epsilon_cor, distill_options)
    ev = simulate_sns(link, pulses, rng=rng.generator("sns/channel"))
    est = sns_estimates(link, ev, epsilon=epsilon_sec / 16.0)
    mu, eps = link.z_intensity, link.send_probability
    # untagged Z-window clicks, from each end's single-photon yield: per Z pulse pair
    untag_b = eps * (1 - eps) * mu * math.exp(-mu) * est.s1_bob  # Bob sends: his bit 0
    untag_a = eps * (1 - eps) * mu * math.exp(-mu) * est.s1_alice  # Alice sends: Bob's 1
    qber_raw = error_rate(ev.alice_bit, ev.bob_bit)
    if link.aopp:
        kept = odd_parity_pairs(ev.alice_bit, ev.bob_bit, rng.generator("sns/aopp"))
        n0 = float(ev.z_clicks[:, 1].sum())  # Bob sent: his bit 0
        n1 = float(ev.z_clicks[:, 0].sum())
        pairs = min(n0, n1)
        # kept pairs of two untagged bits: the untagged shares of Bob's two groups
        untagged = (pairs * min(1.0, untag_b * ev.z_pairs / n0)
                    * min(1.0, untag_a * ev.z_pairs / n1) if n0 and n1 else 0.0)
        e_ph = 2.0 * est.e1_upper * (1.0 - est.e1_upper)
        e_point = 2.0 * est.e1_point * (1.0 - est.e1_point)
    else:
        kept = np.arange(ev.alice_bit.size)
        untagged = (untag_a + untag_b) * ev.z_pairs
        e_ph, e_point = est.e1_upper, est.e1_point
    share = min(1.0, untagged / kept.size) if kept.size else 0.0
    alice, bob = ev.alice_bit[kept], ev.bob_bit[kept]
    qber = error_rate(alice, bob)
    asymptotic = (untagged * (1.0 - float(binary_entropy(min(e_point, 0.5))))
                  - F_EC * kept.size * float(binary_entropy(qber))) / pulses
    gains = pair_gains(X_CLASSES, ev.x_clicks, ev.x_sent)
    gains["Z"] = float(ev.z_clicks.sum() / max(ev.z_pairs, 1))
    return distil_relay_key(
        alice, bob, link=link, pulses=pulses, protocol="sns", rng=rng, block_size=block_size,
        epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
        key_length=phase_error_key_length(e_ph, epsilon_sec=epsilon_sec,
                                          epsilon_cor=epsilon_cor, secret_share=share),
        distill_options=distill_options, detections=int(ev.alice_bit.size + ev.x_clicks.sum()),
        qber={"Z": qber, "Z_raw": qber_raw}, gains=gains,
        estimates={"s1_lower": (est.s1_alice + est.s1_bob) / 2.0, "s1": est.s1_point,
                   "e1_upper": est.e1_upper, "e1": est.e1_point,
                   "untagged_share_lower": share, "phase_error_upper": e_ph},
        asymptotic_bits_per_pulse=max(asymptotic, 0.0))
