"""Decoy-state BB84 over fibre: weak coherent pulses in a signal, a weak decoy and a vacuum class.

Alice sends phase-randomised weak coherent pulses whose intensity class is drawn per
pulse; Bob measures in a random basis with two threshold detectors (the optics and how
they are sampled: :mod:`qinet.qkd.protocols._bb84_channel`). The key is made from the
pulses measured in Z by both, every class (Lim, Curty, Walenta, Xu and Zbinden, PRA 89,
022307 (2014), whose finite-key bound sets its length); the X-basis clicks are disclosed
to estimate the phase error, and the asymptotic rate uses the vacuum + weak decoy bounds
of Ma, Qi, Zhao and Lo, PRA 72, 012326 (2005). The channel reproduces that paper's gains
and error rates, ``Q_μ = Y0 + 1 - e^{-ημ}`` and ``E_μ Q_μ = Y0/2 + e_d (1 - e^{-ημ})``,
up to terms of order ``Y0 (1 - e^{-ημ})`` that the paper drops.

Examples:
    >>> from qinet.physical import Detector, Fibre, WeakCoherentSource
    >>> link = DecoyBB84Link(WeakCoherentSource(), Fibre(50.0), Detector())
    >>> stats = simulate(link, 10**9, rng=np.random.default_rng(1))
    >>> bool(0.043 < stats.gains()[0] < 0.045)  # signal: 1 - exp(-eta mu), eta = 0.1 x 0.9
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from qinet.errors import ConfigError
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd._checks import is_signal_decoy_vacuum
from qinet.qkd.attacks import Attack
from qinet.qkd.bounds import F_EC, binary_entropy, decoy_estimates
from qinet.qkd.finite_key import lim2014_key_length
from qinet.qkd.protocols._bb84_channel import (
    ChannelSampler,
    IntArray,
    LinkStatistics,
    PrepareMeasureLink,
    X,
    Z,
)
from qinet.qkd.protocols._blocks import KeyLength
from qinet.qkd.protocols._prepare_measure import Security, run_prepare_measure
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

DecoyBB84Link = PrepareMeasureLink
"""Alice's weak coherent source with (signal, weak decoy, vacuum), the fibre, Bob's detectors."""

CLASS_NAMES = ("signal", "decoy", "vacuum")


def _decoy_source(link: PrepareMeasureLink) -> WeakCoherentSource:
    """The link's weak coherent source, whose classes the decoy method needs.

    Raises:
        ConfigError: the link's source has no intensity classes (single photons).
    """
    if not isinstance(link.source, WeakCoherentSource):
        raise ConfigError("source", f"decoy BB84 needs weak coherent pulses with intensity "
                                    f"classes, got {type(link.source).__name__}")
    return link.source


def simulate(link: PrepareMeasureLink, pulses: int, *, rng: np.random.Generator,
             attack: Attack | None = None) -> LinkStatistics:
    """Click counts of ``pulses`` pulses by class, bases, bit error and Eve's knowledge.

    Args:
        link: the source, fibre and detectors.
        pulses: pulses to send.
        rng: the channel's stream.
        attack: an eavesdropper on the fibre, if any.
    """
    return ChannelSampler(link, attack).draw(pulses, rng=rng)


def lim2014_block_length(link: PrepareMeasureLink, stats: LinkStatistics, *,
                         epsilon_sec: float, epsilon_cor: float
                         ) -> Callable[[IntArray], KeyLength]:
    """The finite-key length of Lim et al., PRA 89, 022307 (2014), for each block.

    A block's key is its Z detections of every class (as in that protocol); its counts
    per class are the block's own, scaled to the ``n`` bits left after the estimation
    sample, and its X-basis detections and errors per class are the run's, in the
    proportion of the run's key that the block holds (the X clicks of the pulses that
    made the block, in expectation). Error correction's ``leaked`` is λ_EC.
    """
    source = _decoy_source(link)
    mus, probs = source.intensities, source.probabilities
    key_total = max(int(stats.key_counts.sum()), 1)
    n_x, m_x = stats.sifted(X), stats.errors(X)

    def for_block(counts: IntArray) -> KeyLength:
        n_z = counts.sum(axis=(1, 2))
        size = max(int(n_z.sum()), 1)
        share = size / key_total

        def key_length(n: int, _qber_upper: float, leaked: int) -> int:
            scale = n / size
            return lim2014_key_length(n_z * scale, n_x * share * scale, m_x * share * scale,
                                      mus, probs, lambda_ec=leaked, epsilon_sec=epsilon_sec,
                                      epsilon_cor=epsilon_cor).length
        return key_length
    return for_block


def decoy_security(link: PrepareMeasureLink, stats: LinkStatistics, *, epsilon_sec: float,
                   epsilon_cor: float) -> Security:
    """Decoy bounds on the measured gains, the asymptotic GLLP rate and the block length.

    ``Y1 >= Y1L`` from the signal, decoy and vacuum gains and ``e1 <= e1U`` from the
    decoy's X-basis error rate (Ma et al. 2005, eqs. 34 and 37);
    ``R = p_μ q_Z² [Q1 (1 - H2(e1)) - f Q_μ H2(E_μ^Z)]`` with ``Q1 = Y1L μ e^{-μ}``
    (eq. 1 there), per pulse sent, where ``p_μ`` is the signal probability and ``q_Z``
    the Z-basis probability: the asymptotic key of the signal class. The finite key is
    that of :func:`lim2014_block_length`; the run's own Lim et al. bounds (with
    ``λ_EC = f n_Z H2(E_Z)``) are reported as ``s_z0_lower``, ``s_z1_lower`` and
    ``phase_error_upper``.
    """
    source = _decoy_source(link)
    mu, nu = source.intensities[0], source.intensities[1]
    gains = [float(g) for g in stats.gains()]
    qx, qz = stats.qber(X), stats.qber(Z)
    y1_lower, e1_upper = decoy_estimates(gains[0], gains[1], qx[1], y0=gains[2], mu=mu, nu=nu)
    y1, e1 = float(y1_lower), float(e1_upper)
    q1 = y1 * mu * math.exp(-mu)
    fraction = min(q1 / gains[0], 1.0) if gains[0] > 0 else 0.0
    secure = q1 * (1.0 - float(binary_entropy(e1))) if e1 < 0.5 else 0.0
    per_signal = secure - F_EC * gains[0] * float(binary_entropy(qz[0]))
    weight = link.class_probabilities[0] * link.z_basis_probability**2
    n_z, e_z = stats.sifted(Z), stats.errors(Z)
    leak = F_EC * float(n_z.sum()) * float(binary_entropy(e_z.sum() / max(n_z.sum(), 1)))
    run = lim2014_key_length(n_z, stats.sifted(X), stats.errors(X), source.intensities,
                             source.probabilities, lambda_ec=leak,
                             epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
    return Security(
        estimates={"y1_lower": y1, "e1_upper": e1, "q1": q1,
                   "single_photon_fraction": float(fraction), "s_z0_lower": run.s_z0,
                   "s_z1_lower": run.s_z1, "phase_error_upper": run.phi_z},
        asymptotic_bits_per_pulse=float(weight * max(per_signal, 0.0)),
        block_key_length=lim2014_block_length(link, stats, epsilon_sec=epsilon_sec,
                                              epsilon_cor=epsilon_cor))


def run_decoy_bb84(link: PrepareMeasureLink, pulses: int, *, rng: RngTree,
                   block_size: int = 1_000_000, epsilon_sec: float = 1e-10,
                   epsilon_cor: float = 1e-15, distill_options: Mapping[str, Any] | None = None,
                   attack: Attack | None = None) -> QkdRunResult:
    """Send pulses, sift, estimate with decoys, correct errors and amplify privacy.

    The sifted key (Z by both, every class) is cut into blocks of ``block_size`` bits,
    each distilled on its own with the finite-key length of :func:`lim2014_block_length`.

    Args:
        link: the source, fibre and detectors; the source's intensities must be
            (signal, weak decoy, vacuum) with the vacuum at 0.
        pulses: pulses to send.
        rng: the run's random tree (streams ``bb84-decoy/channel``, ``/bits``,
            ``/shared`` and ``/alice``).
        block_size: sifted bits per post-processing block.
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.
        attack: an eavesdropper on the fibre, if any; the estimates then also report the
            sifted bits Eve knows (``eve_known_bits``, ``eve_known_fraction``) and the
            plain BB84 key she would have partly known (``plain_key_bits``,
            ``plain_key_bits_exposed``).

    Returns:
        The run's record: ``qber`` per basis (``"Z"`` is the key's) and per class,
        ``gains`` per class, ``estimates`` with ``y1_lower``, ``e1_upper``, ``q1``,
        ``single_photon_fraction``, ``s_z0_lower``, ``s_z1_lower`` and
        ``phase_error_upper``.

    Raises:
        ConfigError: the source is not (signal, weak, vacuum), or a bad block size.
    """
    mus = getattr(link.source, "intensities", ())
    if not is_signal_decoy_vacuum(mus):
        raise ConfigError("source.intensities",
                          f"decoy BB84 needs (signal, weak decoy, vacuum = 0), got {mus}")
    source = _decoy_source(link)
    if min(source.probabilities) <= 0.0:
        raise ConfigError("source.probabilities",
                          f"every class needs a positive probability, got "
                          f"{source.probabilities}")

    def security(stats: LinkStatistics) -> Security:
        return decoy_security(link, stats, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)

    return run_prepare_measure(
        link, pulses, protocol="bb84-decoy", class_names=CLASS_NAMES, security=security,
        rng=rng, block_size=block_size, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
        distill_options=distill_options, attack=attack)
