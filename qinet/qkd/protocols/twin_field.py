"""Twin-field QKD in its phase-matching form, with single clicks at an untrusted relay.

Alice and Bob each send a weak coherent pulse ``|e^{i(φ + πκ)} √μ_k>`` with a uniform
random phase φ, a key bit κ and an intensity class k (signal, weak decoy, vacuum; the
intensities are per end, the total is twice). Charlie interferes the two pulses on a
50:50 beam splitter and announces which one of his two detectors clicked. Afterwards
Alice and Bob announce their intensity classes and which of ``M`` phase slices their φ
fell in; they keep the rounds with equal classes whose slices agree modulo π (a
fraction 2/M). Bob flips his bit if the right detector clicked, and again if the slices
differ by π (Ma, Zeng and Zhou, PRX 8, 031043 (2018)).

For a relative phase Δ the detectors see Poisson light of means
``λ_{L,R} = (η_a μ_a + η_b μ_b)/2 ± V √(η_a μ_a η_b μ_b) cos Δ`` with visibility
``V = 1 - 2e_d``; Δ collects the two phases, the key bits and Gaussian phase noise of the
uncompensated fibre drift. Inside matched slices the residual mismatch acts like a
misalignment. As in :mod:`qinet.qkd.protocols.mdi`, the total light does not depend on Δ,
so pulse pairs without a click are counted binomially and never become array entries;
phases are drawn only for the pairs that click, matched and unmatched pairs apart.

Result keys: ``gains`` and ``qber`` by class (``signal``, ``decoy``, ``vacuum``: equal
classes at both ends, phase-matched rounds), ``qber["Z"]`` the key's error rate,
``estimates`` with ``y1_lower``, ``q1_lower`` (single-photon share of the key),
``phase_error_upper`` and the point values ``y1`` and ``phase_error`` behind the
asymptotic rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.qkd._checks import check_whole_number
from qinet.qkd.bounds import F_EC, binary_entropy, decoy_estimates
from qinet.qkd.mdi_tf_bounds import check_phase_slices, pm_phase_error_bound
from qinet.qkd.protocols._blocks import phase_error_key_length
from qinet.qkd.protocols._two_senders import (
    CLASSES,
    RelayEvents,
    RelayLink,
    RelaySecurity,
    announced_events,
    clicks_given_any,
    count_bounds,
    run_relay,
)
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree


@dataclass(frozen=True, slots=True)
class TwinFieldLink(RelayLink):
    """Alice and Bob send phase-encoded pulses to Charlie's beam splitter and two detectors.

    Attributes:
        misalignment: e_d, share of the light in the wrong detector at perfect phase
            match (interference visibility ``1 - 2 e_d``), in [0, 1/2].
        phase_slices: M, the number of announced phase slices (even, >= 2).
        phase_noise_rad: standard deviation of the residual phase drift between the
            two arms, in rad (>= 0).

    The other fields are those of :class:`~qinet.qkd.protocols._two_senders.RelayLink`
    (per-end intensities); ``detector`` is each of Charlie's two detectors.

    Examples:
        >>> from qinet.physical import Detector, Fibre, WeakCoherentSource
        >>> TwinFieldLink(WeakCoherentSource(), WeakCoherentSource(), Fibre(10.0),
        ...               Fibre(10.0), Detector(), phase_slices=7)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: phase_slices: must be an even integer >= 2, got 7
    """

    phase_slices: int = 16
    phase_noise_rad: float = 0.0

    def __post_init__(self) -> None:
        RelayLink.__post_init__(self)
        check_phase_slices(self.phase_slices)
        if not self.phase_noise_rad >= 0.0:
            raise ConfigError("phase_noise_rad", f"must be non-negative, got "
                                                 f"{self.phase_noise_rad}")


@dataclass(frozen=True, slots=True)
class SingleClicks(RelayEvents):
    """Every single-click round of a run, and the pulse pairs sent per configuration.

    The fields of :class:`~qinet.qkd.protocols._two_senders.RelayEvents` (``pulses_sent``
    per Alice class, Bob class and phase match, shape (3, 3, 2)), and:

    Attributes:
        matched: whether the announced slices agree modulo π.
    """

    matched: NDArray[np.bool_]

    def table(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """``(matched pulse pairs, single clicks, errors)`` per class, equal classes."""
        keep = self.matched & (self.alice_class == self.bob_class)
        cls = self.alice_class[keep].astype(np.int64)
        wrong = self.alice_bit[keep] != self.bob_bit[keep]
        sent = np.diagonal(self.pulses_sent[:, :, 1]).astype(np.int64)
        return sent, np.bincount(cls, minlength=3), np.bincount(cls[wrong], minlength=3)


def simulate_twin_field(link: TwinFieldLink, pulses: int, *, rng: np.random.Generator
                        ) -> SingleClicks:
    """Send ``pulses`` pulse pairs and return the single-click rounds with both ends' data.

    Examples:
        >>> from qinet.physical import Detector, Fibre, WeakCoherentSource
        >>> link = TwinFieldLink(WeakCoherentSource(), WeakCoherentSource(), Fibre(10.0),
        ...                      Fibre(10.0), Detector(), phase_slices=8)
        >>> s = simulate_twin_field(link, 10**5, rng=np.random.default_rng(1))
        >>> round(float(s.pulses_sent[:, :, 1].sum() / s.pulses), 2)  # matched: 2/M
        0.25
        >>> s.pulses, bool(s.matched.size <= s.clicked)
        (100000, True)
    """
    check_whole_number("pulses", pulses, least=0)
    m = int(link.phase_slices)
    mus = np.asarray(link.alice_source.intensities)
    # configuration axes: class_a, class_b, matched, bit_a, bit_b
    probs = np.einsum("i,j,k,l,n->ijkln", np.asarray(link.alice_source.probabilities),
                      np.asarray(link.bob_source.probabilities), [1 - 2 / m, 2 / m],
                      [0.5, 0.5], [0.5, 0.5])
    sent = rng.multinomial(pulses, probs.ravel()).reshape(probs.shape)
    ia, ib, mt, xa, xb = np.indices(probs.shape).reshape(5, -1)
    light_a, light_b = link.eta_alice * mus[ia], link.eta_bob * mus[ib]
    p_d = link.dark_probability
    any_click = -np.expm1(2.0 * math.log1p(-p_d) - light_a - light_b)
    clicked = rng.binomial(sent.ravel(), any_click)
    vis = 1.0 - 2.0 * link.misalignment
    cell, flip = announced_events(
        clicked, lambda cells: _single_clicks(cells, mt, xa, xb, light_a, light_b, m, vis,
                                              link.phase_noise_rad, p_d, rng), rng)
    return SingleClicks(pulses_sent=sent.sum(axis=(3, 4)).astype(np.int64),
                        clicked=int(clicked.sum()), alice_class=ia[cell].astype(np.int8),
                        bob_class=ib[cell].astype(np.int8), matched=mt[cell] == 1,
                        alice_bit=xa[cell].astype(np.uint8),
                        bob_bit=(xb[cell] ^ flip).astype(np.uint8))


def _single_clicks(cell: NDArray[np.int64], mt: NDArray[np.int64], xa: NDArray[np.int64],
                   xb: NDArray[np.int64], light_a: NDArray[np.float64],
                   light_b: NDArray[np.float64], m: int, vis: float, noise_rad: float,
                   p_d: float, rng: np.random.Generator
                   ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Configurations of the single clicks among events with a click, and Bob's flips."""
    n = cell.size
    matched = mt[cell] == 1
    slice_a = rng.integers(0, m, n)
    # matched: same slice or the opposite one; unmatched: any of the other M - 2 slices
    other = rng.integers(1, m - 1, n)
    shift = np.where(matched, rng.integers(0, 2, n) * (m // 2),
                     np.where(other >= m // 2, other + 1, other))
    width = 2.0 * math.pi / m
    phi_a = (slice_a + rng.random(n)) * width
    phi_b = ((slice_a + shift) % m + rng.random(n)) * width
    delta = phi_a - phi_b + math.pi * (xa[cell] - xb[cell])
    if noise_rad > 0.0:
        delta = delta + rng.normal(0.0, noise_rad, n)
    la, lb = light_a[cell], light_b[cell]
    lam_left = (la + lb) / 2.0 + vis * np.sqrt(la * lb) * np.cos(delta)
    lam = np.stack([lam_left, la + lb - lam_left], axis=1)
    pattern = clicks_given_any(-np.expm1(math.log1p(-p_d) - lam), rng)
    single = pattern[:, 0] ^ pattern[:, 1]
    # Bob flips for a right click and again for slices half a turn apart
    flip = pattern[:, 1] ^ (shift == m // 2)
    return cell[single], flip[single]


def twin_field_security(link: TwinFieldLink, clicks: SingleClicks, *, epsilon_sec: float,
                        epsilon_cor: float) -> RelaySecurity:
    """Decoy bound on the phase error, the key (matched signal/signal) and its block length.

    The analysis of :func:`run_twin_field`: gains and error rates per class of the
    matched rounds, the single-photon yield and the phase error bounded from them, and
    MZZ 2018, eq. 4, on the measured statistics per pulse pair sent.
    """
    sent, hits, errs = clicks.table()
    mu, nu = (2.0 * x for x in link.alice_source.intensities[:2])
    gain = hits / np.maximum(sent, 1)
    rate = errs / np.maximum(hits, 1)
    lo, hi = count_bounds(hits, sent, epsilon_sec / 16.0)
    y1_point, _ = decoy_estimates(gain[0], gain[1], rate[1], y0=gain[2], mu=mu, nu=nu)
    y1_lower, _ = decoy_estimates(hi[0], lo[1], rate[1], y0=hi[2], mu=mu, nu=nu)
    e_x_upper = float(pm_phase_error_bound(y1_lower, gain[0], mu))
    e_x_point = float(pm_phase_error_bound(y1_point, gain[0], mu))
    # MZZ 2018, eq. 4, on the measured statistics, per pulse pair sent
    fraction = 1.0 - F_EC * float(binary_entropy(rate[0])) - float(binary_entropy(e_x_point))
    asymptotic = sent[0] / clicks.pulses * float(gain[0]) * max(fraction, 0.0)
    q1 = mu * math.exp(-mu) * float(y1_lower) / float(gain[0]) if hits[0] else 0.0
    return RelaySecurity(
        qber={"Z": float(rate[0]), **{CLASSES[k]: float(rate[k]) for k in range(3)}},
        gains={CLASSES[k]: float(gain[k]) for k in range(3)},
        estimates={"y1_lower": float(y1_lower), "y1": float(y1_point), "q1_lower": q1,
                   "phase_error_upper": e_x_upper, "phase_error": e_x_point},
        asymptotic_bits_per_pulse=asymptotic,
        key=clicks.matched & (clicks.alice_class == 0) & (clicks.bob_class == 0),
        # every key bit counts; privacy amplification removes the even-photon share
        key_length=phase_error_key_length(e_x_upper, epsilon_sec=epsilon_sec,
                                          epsilon_cor=epsilon_cor))


def run_twin_field(link: TwinFieldLink, pulses: int, *, rng: RngTree,
                   block_size: int = 1_000_000, epsilon_sec: float = 1e-10,
                   epsilon_cor: float = 1e-15,
                   distill_options: Mapping[str, Any] | None = None) -> QkdRunResult:
    """Send pulses, bound the phase error with decoys and distil keys block by block.

    The key is the phase-matched signal/signal single clicks. With ``μ``, ``ν`` the total
    (two-pulse) intensities, the run-wide gains of the matched rounds bound the
    single-photon yield by the vacuum + weak formula (Ma et al., PRA 72, 012326 (2005),
    eq. 34), fed with one-sided Clopper–Pearson bounds (``Q_ν`` low, ``Q_μ`` and ``Q_0``
    high, each failing with probability ε_sec/16); the phase error of the key is then at
    most ``E^X = 1 - μ e^{-μ} Y1^L / Q_μ`` (Ma, Zeng and Zhou 2018, eq. 6) and a block of n
    bits keeps ``ℓ = n [1 - H2(E^X)] - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)`` bits.

    Args:
        link: sources, fibres and Charlie's two detectors.
        pulses: pulse pairs to send.
        rng: the run's random tree (streams ``tf/channel`` and the blocks' ``tf/...``).
        block_size: phase-matched signal/signal single clicks per post-processing block.
        epsilon_sec: secrecy parameter (a 16th of it for each decoy count bound).
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.

    Returns:
        The run record, ``protocol="tf"``, keyed as the module's docstring says.

    Raises:
        ConfigError: a bad argument, named.
    """
    return run_relay(link, pulses, protocol="tf", simulate=simulate_twin_field,
                     security=twin_field_security, rng=rng, block_size=block_size,
                     epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
                     distill_options=distill_options)
