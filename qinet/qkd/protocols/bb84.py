"""BB84 without decoys: a single-photon source (or one weak coherent intensity) over fibre.

Alice sends each trigger of her source in basis Z or X; Bob measures in a random basis
with two threshold detectors (the same optics as decoy BB84:
:mod:`qinet.qkd.protocols._bb84_channel`). A real single-photon source sometimes emits
two photons (its ``g2``); without decoys nothing tells Bob which detections came from
such pulses, so the GLLP analysis counts every multi-photon pulse as known to Eve:
a share ``Δ = P_multi / Q`` of the detections is tagged and privacy amplification
rests on the rest, whose phase error is at most ``e_X / (1 - Δ)`` (Gottesman, Lo,
Lütkenhaus and Preskill, Quantum Inf. Comput. 4, 325 (2004)). The same runner with a
single-intensity weak coherent source is BB84 with attenuated laser light (GLLP without
decoys, :func:`qinet.qkd.bounds.gllp_key_rate_no_decoy`).

Examples:
    >>> from qinet.physical import Detector, Fibre, SinglePhotonSource
    >>> from qinet.rng import RngTree
    >>> link = BB84Link(SinglePhotonSource(rate_hz=1e9), Fibre(10.0), Detector())
    >>> res = run_bb84(link, 2 * 10**6, rng=RngTree(1), block_size=200_000)
    >>> res.keys_equal, res.key_bits > 0
    (True, True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qinet.errors import ConfigError
from qinet.qkd.attacks import Attack
from qinet.qkd.bounds import F_EC, binary_entropy
from qinet.qkd.postprocessing.estimation import qber_upper_bound
from qinet.qkd.protocols._bb84_channel import LinkStatistics, PrepareMeasureLink, X, Z
from qinet.qkd.protocols._blocks import KeyLength, phase_error_key_length
from qinet.qkd.protocols._prepare_measure import Security, run_prepare_measure
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

BB84Link = PrepareMeasureLink
"""Alice's single-photon (or single-intensity weak coherent) source, the fibre, Bob's detectors."""


def gllp_key_length(tagged_fraction: float, phase_error_upper: float, *, epsilon_sec: float,
                    epsilon_cor: float) -> KeyLength:
    """The GLLP length of one block of ``n`` bits, multi-photon detections tagged.

    ``ℓ = n (1 - Δ) (1 - H2(e_ph / (1 - Δ))) - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)``
    (GLLP 2004 with the finite-size terms of Tomamichel et al., Nat. Commun. 3, 634
    (2012)); nothing when ``Δ >= 1`` or the untagged phase error reaches 1/2.

    Examples:
        >>> gllp_key_length(0.0, 0.02, epsilon_sec=1e-10, epsilon_cor=1e-15)(10**6, 0.02, 0)
        858442
        >>> gllp_key_length(1.0, 0.02, epsilon_sec=1e-10, epsilon_cor=1e-15)(10**6, 0.02, 0)
        0
    """
    untagged = 1.0 - tagged_fraction
    e1 = phase_error_upper / untagged if untagged > 0.0 else 0.5
    if untagged <= 0.0 or e1 >= 0.5:
        return lambda _n, _qber_upper, _leaked: 0
    return phase_error_key_length(e1, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
                                  secret_share=untagged)


def gllp_security(link: PrepareMeasureLink, stats: LinkStatistics, *, epsilon_sec: float,
                  epsilon_cor: float) -> Security:
    """Tagged share, phase-error bound and the asymptotic GLLP rate on the measured statistics.

    ``Δ = P_multi / Q`` with ``P_multi`` the source's probability of two or more photons
    and ``Q`` the measured gain; the phase error of the Z key is bounded by the X-basis
    error rate (its Clopper-Pearson bound at ε_sec for the blocks);
    ``R = q_Z² Q [(1 - Δ)(1 - H2(E_X / (1 - Δ))) - f H2(E_Z)]`` per pulse (GLLP 2004).
    """
    pmf = link.photon_pmf()[0]
    gain = float(stats.gains()[0])
    p_multi = max(1.0 - float(pmf[0]) - float(pmf[1]), 0.0)
    tagged = min(p_multi / gain, 1.0) if gain > 0 else 1.0
    e_x, e_z = float(stats.qber(X)[0]), float(stats.qber(Z)[0])
    n_x = int(stats.sifted(X)[0])
    phase_upper = (qber_upper_bound(int(stats.errors(X)[0]), n_x, epsilon=epsilon_sec)
                   if n_x else 0.5)
    untagged = 1.0 - tagged
    e1 = e_x / untagged if untagged > 0 else 0.5
    secure = untagged * (1.0 - float(binary_entropy(e1))) if e1 < 0.5 else 0.0
    rate = link.z_basis_probability**2 * gain * (secure - F_EC * float(binary_entropy(e_z)))
    return Security(
        estimates={"tagged_fraction": tagged, "single_photon_fraction": untagged,
                   "phase_error_upper": phase_upper,
                   "e1_upper": min(phase_upper / untagged, 0.5) if untagged > 0 else 0.5},
        asymptotic_bits_per_pulse=max(rate, 0.0),
        block_key_length=lambda _counts: gllp_key_length(
            tagged, phase_upper, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor))


def run_bb84(link: PrepareMeasureLink, pulses: int, *, rng: RngTree,
             block_size: int = 1_000_000, epsilon_sec: float = 1e-10,
             epsilon_cor: float = 1e-15, distill_options: Mapping[str, Any] | None = None,
             attack: Attack | None = None) -> QkdRunResult:
    """Send pulses, sift, correct errors and amplify privacy with the GLLP length.

    The sifted key (both in Z) is cut into blocks of ``block_size`` bits, each distilled
    on its own with :func:`gllp_key_length`; the X-basis clicks are all disclosed to
    bound the phase error.

    Args:
        link: a single-photon source (or a weak coherent source of one intensity), the
            fibre and the detectors.
        pulses: triggers of the source.
        rng: the run's random tree (streams ``bb84/channel``, ``/bits``, ``/shared`` and
            ``/alice``).
        block_size: sifted bits per post-processing block.
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.
        attack: an eavesdropper on the fibre, if any (the estimates then report what
            Eve knows, as in :func:`~qinet.qkd.protocols.bb84_decoy.run_decoy_bb84`).

    Returns:
        The run's record: ``qber`` ``"Z"`` and ``"X"``, ``gains["signal"]``, estimates
        ``tagged_fraction``, ``single_photon_fraction``, ``phase_error_upper`` and
        ``e1_upper``.

    Raises:
        ConfigError: a weak coherent source with more than one intensity.
    """
    mus = getattr(link.source, "intensities", (0.0,))
    if len(mus) != 1:
        raise ConfigError("source.intensities",
                          f"BB84 without decoys takes one intensity, got {mus}; "
                          "use run_decoy_bb84 for decoy states")

    def security(stats: LinkStatistics) -> Security:
        return gllp_security(link, stats, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)

    return run_prepare_measure(
        link, pulses, protocol="bb84", class_names=("signal",), security=security, rng=rng,
        block_size=block_size, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
        distill_options=distill_options, attack=attack)

