"""One-decoy BB84 run: the channel's statistics, Rusca et al.'s bounds on them, keys."""

from __future__ import annotations

import math

import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.bounds import F_EC, binary_entropy
from qinet.qkd.one_decoy import one_decoy_key_length
from qinet.qkd.protocols._bb84_channel import PrepareMeasureLink, X, Z
from qinet.qkd.protocols.one_decoy_bb84 import run_one_decoy_bb84
from qinet.rng import RngTree

MU, P = (0.5, 0.15), (0.7, 0.3)


def _link(pz=0.7, **kw):
    source = WeakCoherentSource(intensities=MU, probabilities=P)
    return PrepareMeasureLink(source, Fibre(50.0), Detector(), z_basis_probability=pz, **kw)


def test_run_distils_equal_keys_below_its_whole_run_bound():
    link = _link()
    r = run_one_decoy_bb84(link, 5 * 10**7, rng=RngTree(4), block_size=10**6)
    assert r.keys_equal
    assert r.key_bits > 0
    # blocks lose the estimation sample and pay the real error correction, and the
    # whole run as one block (the asymptotic figure) has the smallest statistical terms
    assert 0 < r.finite_key_bits < r.asymptotic_bits_per_pulse * r.pulses


def test_single_photon_bound_is_below_the_true_single_photon_clicks():
    link = _link(misalignment=0.02)
    r = run_one_decoy_bb84(link, 10**8, rng=RngTree(8), block_size=10**7)
    eta, p_d = link.transmittance, link.dark_probability
    y1 = 1 - (1 - p_d) ** 2 * (1 - eta)
    tau1 = sum(p * math.exp(-m) * m for m, p in zip(MU, P, strict=True))
    truth = r.pulses * 0.7**2 * tau1 * y1
    s1 = r.estimates["s_z1_lower"]
    assert s1 <= truth
    assert s1 > 0.8 * truth  # two intensities leave the multi-photon slack, not more
    # the optical error of the X basis, 2 %, is below its single-photon bound
    assert 0.02 < r.estimates["phase_error_upper"] < 0.1
    assert r.qber["X"] == pytest.approx(0.02, abs=5 * math.sqrt(0.02 / (r.sifted_bits * 0.18)))


def test_security_is_the_finite_key_formula_on_the_runs_counts():
    import numpy as np

    from qinet.qkd.protocols._bb84_channel import ChannelSampler
    from qinet.qkd.protocols.one_decoy_bb84 import one_decoy_security

    link = _link()
    stats = ChannelSampler(link).draw(3 * 10**7, rng=np.random.default_rng(3))
    sec = one_decoy_security(link, stats, epsilon_sec=1e-10, epsilon_cor=1e-15)
    n_z, m_z = stats.sifted(Z), stats.errors(Z)
    leak = F_EC * float(n_z.sum()) * float(binary_entropy(m_z.sum() / n_z.sum()))
    b = one_decoy_key_length(n_z, stats.sifted(X), m_z, stats.errors(X), intensities=MU,
                             probabilities=P, lambda_ec=leak, epsilon_sec=1e-10,
                             epsilon_cor=1e-15)
    assert sec.estimates["s_z1_lower"] == b.s_z1
    assert sec.estimates["phase_error_upper"] == b.phi_z
    assert sec.asymptotic_bits_per_pulse == pytest.approx(b.length_unclipped / stats.pulses)
    # a block holding the whole key, all of it kept, leaking λ_EC: the same length
    length = sec.block_key_length(stats.key_counts)
    assert length(int(n_z.sum()), 0.5, round(leak)) == pytest.approx(b.length, abs=2)


@pytest.mark.parametrize(("source", "field"), [
    (WeakCoherentSource(intensities=(0.5, 0.1, 0.0), probabilities=(0.8, 0.1, 0.1)),
     "source.intensities"),
    (WeakCoherentSource(intensities=(0.1, 0.5), probabilities=(0.5, 0.5)),
     "source.intensities")])
def test_a_source_that_is_not_signal_and_decoy_is_named(source, field):
    link = PrepareMeasureLink(source, Fibre(10.0), Detector())
    with pytest.raises(ConfigError, match=field):
        run_one_decoy_bb84(link, 1000, rng=RngTree(1))
