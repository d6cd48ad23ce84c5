"""Single-photon BB84: gains and errors of a g2 > 0 source, GLLP tagging, equal keys."""

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre, SinglePhotonSource, WeakCoherentSource
from qinet.qkd.bounds import binary_entropy, gllp_key_rate_no_decoy
from qinet.qkd.protocols._bb84_channel import ChannelSampler
from qinet.qkd.protocols.bb84 import BB84Link, gllp_security, run_bb84
from qinet.rng import RngTree

Z, X = 0, 1


def fock_gain_and_error(link):
    """Gain and sifted error of the photon-number mixture p0, p1, p2 through η.

    An n-photon pulse: P(no right) = (1 - p_d)(1 - η p)^n, P(no wrong) = (1 - p_d)(1 - η(1 - p))^n,
    P(none) = (1 - p_d)^2 (1 - η)^n, p = 1 - e_d; a double click is a coin.
    """
    pmf = link.source.pmf(2)
    eta, p_d, p = link.transmittance, link.dark_probability, 1 - link.misalignment
    n = np.arange(3)
    no_r = (1 - p_d) * (1 - eta * p) ** n
    no_w = (1 - p_d) * (1 - eta * (1 - p)) ** n
    none = (1 - p_d) ** 2 * (1 - eta) ** n
    gain = pmf @ (1 - none)
    wrong = pmf @ ((no_r - none) + 0.5 * (1 - no_r - no_w + none))
    return gain, wrong / gain


@pytest.mark.parametrize(("g2", "length_km", "dark_hz"), [(0.0, 30.0, 10.0), (0.05, 40.0, 1e4)])
def test_single_photon_gain_error_and_tagged_share_follow_the_closed_form(g2, length_km,
                                                                         dark_hz):
    source = SinglePhotonSource(efficiency=0.6, g2=g2, rate_hz=1e9)
    link = BB84Link(source, Fibre(length_km), Detector(dark_count_rate_hz=dark_hz),
                    misalignment=0.015)
    stats = ChannelSampler(link).draw(10**10, rng=np.random.default_rng(4))
    gain, error = fock_gain_and_error(link)
    assert abs(stats.gains()[0] - gain) < 5 * np.sqrt(gain * (1 - gain) / 10**10)
    for basis in (Z, X):
        n = stats.sifted(basis)[0]
        assert abs(stats.qber(basis)[0] - error) < 5 * np.sqrt(error * (1 - error) / n)
    sec = gllp_security(link, stats, epsilon_sec=1e-10, epsilon_cor=1e-15)
    # Δ = P_multi / Q (GLLP 2004): p2 = g2 η_s² / 2 for the source (Loudon)
    tagged = source.multi_photon_probability / gain
    sigma_q = np.sqrt(gain * (1 - gain) / 10**10)
    assert abs(sec.estimates["tagged_fraction"] - tagged) < 5 * tagged * sigma_q / gain + 1e-15
    e1 = error / (1 - tagged)
    rate = 0.25 * gain * ((1 - tagged) * (1 - binary_entropy(e1)) - 1.16 * binary_entropy(error))
    sampler, rng = ChannelSampler(link), np.random.default_rng(5)
    rates = [gllp_security(link, sampler.draw(10**10, rng=rng), epsilon_sec=1e-10,
                           epsilon_cor=1e-15).asymptotic_bits_per_pulse for _ in range(20)]
    # tolerance from the spread of 20 independent runs (standard error of their mean)
    assert abs(np.mean(rates) - rate) < 5 * np.std(rates, ddof=1) / np.sqrt(20)


def test_weak_coherent_bb84_without_decoys_matches_gllp_of_ma_2005():
    link = BB84Link(WeakCoherentSource(intensities=(0.1,), probabilities=(1.0,)), Fibre(20.0),
                    Detector(dark_count_rate_hz=1e3), misalignment=0.02)
    sampler, rng = ChannelSampler(link), np.random.default_rng(8)
    rates = [gllp_security(link, sampler.draw(10**10, rng=rng), epsilon_sec=1e-10,
                           epsilon_cor=1e-15).asymptotic_bits_per_pulse for _ in range(20)]
    theory = gllp_key_rate_no_decoy(link.transmittance, mu=0.1,
                                    y0=1 - (1 - link.dark_probability) ** 2, e_d=0.02,
                                    f_ec=1.16, q=0.25)
    # tolerance from the spread of 20 independent runs (standard error of their mean)
    assert abs(np.mean(rates) - theory) < 5 * np.std(rates, ddof=1) / np.sqrt(20)


def test_single_photon_bb84_ends_in_equal_keys_at_the_gllp_length():
    source = SinglePhotonSource(efficiency=0.5, g2=0.05, rate_hz=1e9)
    link = BB84Link(source, Fibre(25.0), Detector(), misalignment=0.02)
    result = run_bb84(link, 2 * 10**7, rng=RngTree(3), block_size=250_000)
    assert result.protocol == "bb84"
    assert result.keys_equal
    assert result.blocks_aborted == 0, result.abort_reasons
    assert result.finite_key_bits == result.key_bits > 10_000
    assert set(result.gains) == {"signal"}
    assert set(result.qber) == {"Z", "X"}
    assert result.sifted_bits == pytest.approx(0.25 * result.gains["signal"] * 2e7, rel=0.01)
    # the key keeps the untagged share of the 90 % left after estimation, less what
    # error correction disclosed and what the phase error costs
    untagged = 0.9 * result.sifted_bits * result.estimates["single_photon_fraction"]
    ceiling = untagged * (1 - binary_entropy(result.estimates["e1_upper"])) - result.leaked_ec
    assert 0.97 * ceiling < result.key_bits <= ceiling
    assert abs(result.key_alice.mean() - 0.5) < 5 * np.sqrt(0.25 / result.key_bits)


def test_bb84_without_decoys_takes_one_intensity():
    link = BB84Link(WeakCoherentSource(), Fibre(10.0), Detector())
    with pytest.raises(ConfigError, match=r"source\.intensities"):
        run_bb84(link, 1000, rng=RngTree(1))


def test_same_seed_same_single_photon_key():
    link = BB84Link(SinglePhotonSource(rate_hz=1e9), Fibre(5.0), Detector())
    a = run_bb84(link, 10**6, rng=RngTree(9), block_size=100_000)
    b = run_bb84(link, 10**6, rng=RngTree(9), block_size=100_000)
    np.testing.assert_array_equal(a.key_alice, b.key_alice)
    assert a.key_bits > 0
