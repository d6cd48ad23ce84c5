"""BB84 with one decoy: weak coherent pulses in two intensity classes, no vacuum.

Alice sends phase-randomised pulses of a signal μ1 or a decoy μ2 < μ1, Bob measures in
a random basis with two threshold detectors, sampled as counts by the same channel as
decoy BB84 (:mod:`qinet.qkd.protocols._bb84_channel`). The key is every Z detection
of both classes; each block's length is the finite key of Rusca, Boaron, Grünenfelder,
Martin and Zbinden, APL 112, 171104 (2018) (:func:`qinet.qkd.one_decoy.one_decoy_key_length`),
on the block's own Z counts and errors per class and the run's X counts in the share the
block holds. The three-state protocol of the 421 km record (Boaron et al. 2018) sends one
X state instead of two; with a misalignment that flips either X state alike, as here,
its X statistics are those of this run, and so is its key.

Examples:
    >>> from qinet.physical import Detector, Fibre, WeakCoherentSource
    >>> from qinet.rng import RngTree
    >>> link = PrepareMeasureLink(WeakCoherentSource(intensities=(0.5, 0.15),
    ...                                              probabilities=(0.7, 0.3)),
    ...                           Fibre(50.0), Detector(), z_basis_probability=0.7)
    >>> r = run_one_decoy_bb84(link, 2 * 10**7, rng=RngTree(1), block_size=10**5)
    >>> r.protocol, r.keys_equal, r.key_bits > 0
    ('bb84-one-decoy', True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from qinet.errors import ConfigError
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.bounds import F_EC, binary_entropy
from qinet.qkd.one_decoy import one_decoy_key_length
from qinet.qkd.protocols._bb84_channel import IntArray, LinkStatistics, PrepareMeasureLink, X, Z
from qinet.qkd.protocols._blocks import KeyLength
from qinet.qkd.protocols._prepare_measure import Security, run_prepare_measure
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

CLASS_NAMES = ("signal", "decoy")


def _source(link: PrepareMeasureLink) -> WeakCoherentSource:
    """The link's source, checked to be a signal and one weaker decoy.

    Raises:
        ConfigError: not weak coherent pulses in two classes with ``μ1 > μ2 > 0``.
    """
    source = link.source
    if not isinstance(source, WeakCoherentSource) or len(source.intensities) != 2:
        raise ConfigError("source.intensities",
                          f"one-decoy BB84 needs weak coherent pulses in two classes "
                          f"(signal, decoy), got {getattr(source, 'intensities', ())}")
    mu1, mu2 = source.intensities
    if not mu1 > mu2 > 0.0:
        raise ConfigError("source.intensities", f"need signal > decoy > 0, got {[mu1, mu2]}")
    if min(source.probabilities) <= 0.0:
        raise ConfigError("source.probabilities",
                          f"both classes need a positive probability, got "
                          f"{list(source.probabilities)}")
    return source


def one_decoy_block_length(link: PrepareMeasureLink, stats: LinkStatistics, *,
                           epsilon_sec: float, epsilon_cor: float
                           ) -> Callable[[IntArray], KeyLength]:
    """Rusca et al.'s finite-key length for each block.

    A block's Z detections and errors per class are its own, scaled to the ``n`` bits
    left after the estimation sample; its X detections and errors per class are the
    run's, in the proportion of the run's key the block holds; ``leaked`` is λ_EC.
    """
    source = _source(link)
    key_total = max(int(stats.key_counts.sum()), 1)
    n_x, m_x = stats.sifted(X), stats.errors(X)

    def for_block(counts: IntArray) -> KeyLength:
        n_z = counts.sum(axis=(1, 2))
        m_z = counts[:, 1, :].sum(axis=1)
        size = max(int(n_z.sum()), 1)
        share = size / key_total

        def key_length(n: int, _qber_upper: float, leaked: int) -> int:
            scale = n / size
            return one_decoy_key_length(
                n_z * scale, n_x * share * scale, m_z * scale, m_x * share * scale,
                intensities=source.intensities, probabilities=source.probabilities,
                lambda_ec=leaked, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor).length
        return key_length
    return for_block


def one_decoy_security(link: PrepareMeasureLink, stats: LinkStatistics, *,
                       epsilon_sec: float, epsilon_cor: float) -> Security:
    """The run's own one-decoy bounds (with ``λ_EC = f n_Z H2(E_Z)``), reported as
    estimates and, divided by the pulses, as the asymptotic rate; the blocks' lengths
    from :func:`one_decoy_block_length`."""
    source = _source(link)
    n_z, m_z = stats.sifted(Z), stats.errors(Z)
    e_z = float(m_z.sum() / max(n_z.sum(), 1))
    leak = F_EC * float(n_z.sum()) * float(binary_entropy(e_z))
    run = one_decoy_key_length(n_z, stats.sifted(X), m_z, stats.errors(X),
                               intensities=source.intensities,
                               probabilities=source.probabilities, lambda_ec=leak,
                               epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
    return Security(
        estimates={"s_z0_lower": run.s_z0, "s_z0_upper": run.s_z0_upper,
                   "s_z1_lower": run.s_z1, "s_x1_lower": run.s_x1, "v_x1_upper": run.v_x1,
                   "phase_error_upper": run.phi_z},
        asymptotic_bits_per_pulse=float(np.maximum(run.length_unclipped, 0.0)
                                        / max(stats.pulses, 1)),
        block_key_length=one_decoy_block_length(link, stats, epsilon_sec=epsilon_sec,
                                                epsilon_cor=epsilon_cor))


def run_one_decoy_bb84(link: PrepareMeasureLink, pulses: int, *, rng: RngTree,
                       block_size: int = 1_000_000, epsilon_sec: float = 1e-10,
                       epsilon_cor: float = 1e-15,
                       distill_options: Mapping[str, Any] | None = None) -> QkdRunResult:
    """Send pulses, sift, bound with one decoy, correct errors and amplify privacy.

    Args:
        link: the source (two classes: signal, decoy), fibre and detectors.
        pulses: pulses to send.
        rng: the run's random tree (streams ``bb84-one-decoy/channel``, ``/bits`` and
            the blocks').
        block_size: sifted bits per post-processing block.
        epsilon_sec: secrecy parameter.
        epsilon_cor: correctness parameter.
        distill_options: forwarded to :func:`~qinet.qkd.postprocessing.pipeline.distill`.

    Returns:
        The run's record: ``qber`` per basis and class, ``gains`` per class,
        ``estimates`` with ``s_z0_lower``, ``s_z0_upper``, ``s_z1_lower``, ``s_x1_lower``,
        ``v_x1_upper`` and ``phase_error_upper`` (the whole run as one block), and
        ``asymptotic_bits_per_pulse`` that run's length per pulse.

    Raises:
        ConfigError: the source is not (signal, decoy), or a bad argument.
    """
    _source(link)

    def security(stats: LinkStatistics) -> Security:
        return one_decoy_security(link, stats, epsilon_sec=epsilon_sec,
                                  epsilon_cor=epsilon_cor)

    return run_prepare_measure(
        link, pulses, protocol="bb84-one-decoy", class_names=CLASS_NAMES, security=security,
        rng=rng, block_size=block_size, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
        distill_options=distill_options, attack=None)
