"""Phase-matching twin-field QKD: single clicks against the closed form, keys end to end."""

import itertools
import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.bounds import binary_entropy, decoy_estimates
from qinet.qkd.mdi_tf_bounds import F_EC, pm_gain_and_qber, pm_phase_error_bound
from qinet.qkd.protocols.twin_field import TwinFieldLink, run_twin_field, simulate_twin_field
from qinet.rng import RngTree


def _link(**kw):
    source = WeakCoherentSource(intensities=(0.2, 0.05, 0.0), probabilities=(0.5, 0.3, 0.2))
    base = {"alice_source": source, "bob_source": source, "fibre_alice": Fibre(50.0),
            "fibre_bob": Fibre(50.0), "detector": Detector(efficiency=0.8,
                                                           dark_count_rate_hz=1e5),
            "misalignment": 0.02, "phase_slices": 8}
    return TwinFieldLink(**{**base, **kw})


def _model(link, mu_total):
    return pm_gain_and_qber(link.eta_alice, mu=mu_total,
                            dark_count_probability=link.dark_probability,
                            misalignment=link.misalignment, phase_slices=link.phase_slices,
                            phase_noise_rad=link.phase_noise_rad)


@pytest.mark.parametrize("noise_rad", [0.0, 0.3])
def test_matched_gains_and_errors_follow_the_closed_form(noise_rad):
    # Ma, Zeng and Zhou (2018) channel, slice mismatch and phase noise averaged: 5 sigma
    link = _link(phase_noise_rad=noise_rad)
    clicks = simulate_twin_field(link, 2 * 10**7, rng=np.random.default_rng(5))
    sent, hits, errs = clicks.table()
    for k, mu in enumerate(link.alice_source.intensities):
        q, e = _model(link, 2 * mu)
        assert abs(hits[k] / sent[k] - q) < 5 * math.sqrt(q * (1 - q) / sent[k])
        assert abs(errs[k] / hits[k] - e) < 5 * math.sqrt(e * (1 - e) / hits[k])
    # announced phases: a fraction 2/M of the pulse pairs is matched
    n = int(clicks.pulses_sent.sum())
    share = clicks.pulses_sent[:, :, 1].sum() / n
    assert abs(share - 2 / 8) < 5 * math.sqrt(2 / 8 * 6 / 8 / n)


def test_unmatched_phases_carry_no_key():
    link = _link(misalignment=0.0)
    clicks = simulate_twin_field(link, 10**7, rng=np.random.default_rng(2))
    off = ~clicks.matched & (clicks.alice_class == 0) & (clicks.bob_class == 0)
    n = int(off.sum())
    # slices 1 .. M-1 apart (not M/2) spread the phase over the circle: bits agree less
    # often than in matched rounds but are not random either; exclude only the matched ones
    assert n > 1000
    agree = float(np.mean(clicks.alice_bit[off] == clicks.bob_bit[off]))
    assert abs(agree - 0.5) < 5 * math.sqrt(0.25 / n)


def _rate(link, q_mu, q_nu, q_0, e_mu, mu, nu, probability):
    y1, _ = decoy_estimates(q_mu, q_nu, 0.0, y0=q_0, mu=mu, nu=nu)
    e_x = float(pm_phase_error_bound(y1, q_mu, mu))
    frac = 1 - F_EC * float(binary_entropy(e_mu)) - float(binary_entropy(e_x))
    return probability**2 * 2 / link.phase_slices * q_mu * max(frac, 0.0)


def test_keys_equal_and_rate_between_finite_and_asymptotic():
    source = WeakCoherentSource(intensities=(0.05, 0.015, 0.0), probabilities=(0.5, 0.4, 0.1))
    link = TwinFieldLink(source, source, Fibre(25.0), Fibre(25.0),
                         Detector(efficiency=0.9, dark_count_rate_hz=100.0),
                         misalignment=0.01, phase_slices=16)
    res = run_twin_field(link, 2 * 10**8, rng=RngTree(1), block_size=40_000)
    assert res.protocol == "tf"
    assert res.keys_equal
    assert res.key_bits > 10_000
    assert res.blocks_aborted == 0
    assert res.key_bits == res.finite_key_bits
    # the asymptotic formula on the measured gains lies within the 5-sigma corners of the
    # same formula on the model's gains (each gain and E_mu moved by 5 binomial sigmas)
    mu, nu = 0.1, 0.03
    n = 2 * 10**8 * 2 / 16
    corners = []
    q_mu, e_mu = _model(link, mu)
    q_nu, _ = _model(link, nu)
    q_0, _ = _model(link, 0.0)
    sig = [5 * math.sqrt(q * (1 - q) / (n * p * p)) for q, p in
           ((q_mu, 0.5), (q_nu, 0.4), (q_0, 0.1))]
    sig_e = 5 * math.sqrt(e_mu * (1 - e_mu) / (n * 0.25 * q_mu))
    for s in itertools.product((-1, 1), repeat=4):
        corners.append(_rate(link, q_mu + s[0] * sig[0], q_nu + s[1] * sig[1],
                             max(q_0 + s[2] * sig[2], 0.0), e_mu + s[3] * sig_e, mu, nu, 0.5))
    assert min(corners) < res.asymptotic_bits_per_pulse < max(corners)
    # finite size stays below the asymptotic rate: the 10 % estimation sample, Cascade's
    # leakage above f = 1.16, the Clopper-Pearson decoy bounds and the log terms of 5
    # blocks take less than two thirds of it at 2e8 pulse pairs
    assert 0.3 * res.asymptotic_bits_per_pulse < res.secret_bits_per_pulse
    assert res.secret_bits_per_pulse < res.asymptotic_bits_per_pulse
    n_key = res.key_alice.size
    assert abs(res.key_alice.mean() - 0.5) < 5 * math.sqrt(0.25 / n_key)


def test_same_seed_same_run():
    link = _link(fibre_alice=Fibre(10.0), fibre_bob=Fibre(10.0))
    a = run_twin_field(link, 10**6, rng=RngTree(3))
    b = run_twin_field(link, 10**6, rng=RngTree(3))
    assert a.qber == b.qber
    assert a.estimates == b.estimates
    np.testing.assert_array_equal(a.key_alice, b.key_alice)


def test_bad_parameters_name_the_field():
    with pytest.raises(ConfigError, match="phase_slices"):
        _link(phase_slices=7)
    with pytest.raises(ConfigError, match="misalignment"):
        _link(misalignment=-0.1)
    with pytest.raises(ConfigError, match="phase_noise_rad"):
        _link(phase_noise_rad=-1.0)
    with pytest.raises(ConfigError, match=r"bob_source\.intensities"):
        _link(bob_source=WeakCoherentSource(intensities=(0.3, 0.05, 0.0)))
    with pytest.raises(ConfigError, match="pulses"):
        run_twin_field(_link(), -5, rng=RngTree(1))
    with pytest.raises(ConfigError, match="epsilon_cor"):
        run_twin_field(_link(), 10, rng=RngTree(1), epsilon_cor=0.0)
