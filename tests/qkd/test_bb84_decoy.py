"""Decoy BB84 clicks against the channel model of Ma, Qi, Zhao and Lo (2005)."""

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.protocols.bb84_decoy import DecoyBB84Link, simulate

PULSES = 2 * 10**7


@pytest.mark.parametrize(("length_km", "dark_hz", "e_d"), [(25.0, 1e3, 0.01), (80.0, 1e5, 0.03)])
def test_gains_and_error_rates_follow_the_closed_form(length_km, dark_hz, e_d):
    # Q_mu = Y0 + 1 - exp(-eta mu); E_mu Q_mu = Y0/2 + e_d (1 - exp(-eta mu)), PRA 72, 012326.
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(length_km),
                         Detector(dark_count_rate_hz=dark_hz), misalignment=e_d)
    clicks = simulate(link, PULSES, rng=np.random.default_rng(3))
    eta, p_d = link.transmittance, link.dark_probability
    y0 = 1 - (1 - p_d) ** 2
    sent = clicks.pulses_sent
    assert sent.sum() == PULSES
    for k, mu in enumerate(link.source.intensities):
        q = y0 + 1 - np.exp(-eta * mu)
        assert abs(clicks.gains()[k] - q) < 5 * np.sqrt(q * (1 - q) / sent[k])
        e = (y0 / 2 + e_d * (1 - np.exp(-eta * mu))) / q
        sifted = np.sum((clicks.intensity == k) & (clicks.alice_basis == clicks.bob_basis))
        # double clicks from photon + dark pairs add O(p_d) to the error: far below 5 sigma
        assert abs(clicks.error_rates()[k] - e) < 5 * np.sqrt(e * (1 - e) / sifted) + p_d


def test_same_seed_same_clicks_and_bad_parameters_named():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(10.0), Detector())
    a = simulate(link, 10**5, rng=np.random.default_rng(1))
    b = simulate(link, 10**5, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.bob_bit, b.bob_bit)
    with pytest.raises(ConfigError, match="misalignment"):
        DecoyBB84Link(WeakCoherentSource(), Fibre(10.0), Detector(), misalignment=0.7)


def test_basis_mismatch_gives_random_bits():
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(5.0), Detector(), misalignment=0.0)
    clicks = simulate(link, 10**6, rng=np.random.default_rng(2))
    mismatch = clicks.alice_basis != clicks.bob_basis
    n = int(mismatch.sum())
    errors = np.mean(clicks.alice_bit[mismatch] != clicks.bob_bit[mismatch])
    assert abs(errors - 0.5) < 5 * np.sqrt(0.25 / n)


def test_decoy_bb84_ends_in_equal_keys_near_the_theoretical_rate():
    from qinet.qkd.bounds import decoy_bb84_key_rate_vacuum_weak
    from qinet.qkd.protocols.bb84_decoy import run_decoy_bb84
    from qinet.rng import RngTree

    source = WeakCoherentSource(intensities=(0.5, 0.1, 0.0), probabilities=(0.8, 0.1, 0.1))
    link = DecoyBB84Link(source, Fibre(25.0), Detector(efficiency=0.2, dark_count_rate_hz=1e3),
                         misalignment=0.02)
    result = run_decoy_bb84(link, 2 * 10**7, rng=RngTree(5))
    assert not result.aborted, result.reason
    np.testing.assert_array_equal(result.key_alice, result.key_bob)
    assert result.key_alice.size > 1000
    # The model's own rate: the key is the signal, Z-basis quarter of the clicks, minus the
    # 10 % estimation sample; Cascade leaks about 1.2 H2(E) against f = 1.16.
    theory = decoy_bb84_key_rate_vacuum_weak(
        link.transmittance, mu=0.5, nu=0.1, y0=1 - (1 - link.dark_probability) ** 2,
        e_d=0.02, f_ec=1.16, q=0.5) * 0.8 * 0.5 * 0.9
    ratio = result.secret_bits_per_pulse / theory
    assert 0.8 < ratio < 1.1
    # the key is uniform-looking: balanced bits within 5 sigma
    n = result.key_alice.size
    assert abs(result.key_alice.mean() - 0.5) < 5 * np.sqrt(0.25 / n)


def test_decoy_bb84_needs_signal_weak_vacuum():
    from qinet.qkd.protocols.bb84_decoy import run_decoy_bb84
    from qinet.rng import RngTree

    link = DecoyBB84Link(WeakCoherentSource(intensities=(0.5, 0.1), probabilities=(0.5, 0.5)),
                         Fibre(10.0), Detector())
    with pytest.raises(ConfigError, match=r"source\.intensities"):
        run_decoy_bb84(link, 1000, rng=RngTree(1))


def test_intercept_resend_raises_the_qber_to_a_quarter_and_the_key_aborts():
    from qinet.qkd.attacks import InterceptResend
    from qinet.qkd.protocols.bb84_decoy import run_decoy_bb84
    from qinet.rng import RngTree

    link = DecoyBB84Link(WeakCoherentSource(), Fibre(10.0),
                         Detector(dark_count_rate_hz=10.0), misalignment=0.0)
    clicks = simulate(link, 2 * 10**6, rng=np.random.default_rng(4), attack=InterceptResend())
    sifted = (clicks.intensity == 0) & (clicks.alice_basis == clicks.bob_basis)
    n = int(sifted.sum())
    qber = np.mean(clicks.alice_bit[sifted] != clicks.bob_bit[sifted])
    assert abs(qber - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n)
    # the gains no longer follow 1 - exp(-eta mu): Eve's detector sees 1 - exp(-mu)
    eta = link.transmittance
    expected = eta * -np.expm1(-0.5)
    assert abs(clicks.gains()[0] - expected) < 5 * np.sqrt(expected / clicks.pulses_sent[0])
    result = run_decoy_bb84(link, 2 * 10**6, rng=RngTree(2), attack=InterceptResend())
    assert result.aborted
    assert "QBER" in result.reason
    assert result.key_alice.size == 0


def test_a_partial_attack_adds_a_quarter_of_its_share():
    from qinet.qkd.attacks import InterceptResend

    link = DecoyBB84Link(WeakCoherentSource(), Fibre(10.0), Detector(dark_count_rate_hz=10.0),
                         misalignment=0.0)
    clicks = simulate(link, 4 * 10**6, rng=np.random.default_rng(5),
                      attack=InterceptResend(fraction=0.4))
    sifted = (clicks.intensity == 0) & (clicks.alice_basis == clicks.bob_basis)
    n = int(sifted.sum())
    # share of sifted signal clicks from attacked pulses, times 1/4
    eta, mu = link.transmittance, 0.5
    attacked = 0.4 * eta * -np.expm1(-mu)
    clean = 0.6 * -np.expm1(-eta * mu)
    expected = 0.25 * attacked / (attacked + clean)
    qber = np.mean(clicks.alice_bit[sifted] != clicks.bob_bit[sifted])
    assert abs(qber - expected) < 5 * np.sqrt(expected * (1 - expected) / n)
