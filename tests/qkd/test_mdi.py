"""MDI-QKD heralds against the channel model of Ma and Razavi (2012), and runs end to end."""

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre, WeakCoherentSource
from qinet.qkd.mdi_tf_bounds import (
    mdi_decoy_coefficients,
    mdi_gains_and_errors,
    mdi_single_photon_yield,
)
from qinet.qkd.protocols._two_senders import count_bounds
from qinet.qkd.protocols.mdi import MdiLink, run_mdi, simulate_mdi
from qinet.rng import RngTree

SOURCE = WeakCoherentSource(intensities=(0.5, 0.1, 0.0), probabilities=(0.4, 0.4, 0.2))


def _link(**kw):
    base = {"alice_source": SOURCE, "bob_source": SOURCE, "fibre_alice": Fibre(20.0),
            "fibre_bob": Fibre(30.0),
            "detector": Detector(efficiency=0.8, dark_count_rate_hz=1e5), "misalignment": 0.03}
    return MdiLink(**{**base, **kw})


def _model(link, basis):
    mus = link.alice_source.intensities
    out = np.zeros((2, 3, 3))
    for i, j in np.ndindex(3, 3):
        qz, ez, qx, ex = mdi_gains_and_errors(
            mus[i], mus[j], eta_a=link.eta_alice, eta_b=link.eta_bob,
            dark_count_probability=link.dark_probability, misalignment=link.misalignment)
        out[:, i, j] = (qz, ez) if basis == 0 else (qx, ex)
    return out


@pytest.fixture(scope="module")
def heralds():
    link = _link()
    return link, simulate_mdi(link, 10**7, rng=np.random.default_rng(3))


@pytest.mark.parametrize("basis", [0, 1])
def test_gains_and_errors_follow_the_closed_form(heralds, basis):
    # Ma and Razavi, PRA 86, 062319 (2012): every intensity pair, 5 sigma of a binomial
    link, h = heralds
    sent, hits, errs = h.table(basis)
    q, e = _model(link, basis)
    assert sent.sum() > 0.2 * 10**7
    np.testing.assert_array_less(np.abs(hits / sent - q), 5 * np.sqrt(q * (1 - q) / sent) + 1e-12)
    seen = hits > 0
    sigma = np.sqrt(e * (1 - e) / np.maximum(hits, 1))
    np.testing.assert_array_less(np.abs(errs / np.maximum(hits, 1) - e)[seen], 5 * sigma[seen])


def test_psi_minus_and_psi_plus_share_the_z_basis_heralds(heralds):
    _, h = heralds
    z = (h.alice_basis == 0) & (h.bob_basis == 0)
    n = int(z.sum())
    assert abs(h.psi_plus[z].mean() - 0.5) < 5 * math.sqrt(0.25 / n)


def test_decoy_combination_is_unbiased(heralds):
    # E[sum c_ij Qhat_ij] = sum c_ij Q_ij: the Y11 estimate of the run equals the model's
    # combination within 5 sigma of the independent binomial cells, and lies below Y11.
    link, h = heralds
    mu, nu = link.alice_source.intensities[:2]
    c, _ = mdi_decoy_coefficients(mu, nu)
    sent, hits, _ = h.table(0)
    q, _ = _model(link, 0)
    sigma = math.sqrt(float(np.sum(c**2 * q * (1 - q) / sent)))
    assert abs(float(np.sum(c * hits / sent)) - float(np.sum(c * q))) < 5 * sigma
    y11, _ = mdi_single_photon_yield(link.eta_alice, link.eta_bob,
                                     dark_count_probability=link.dark_probability,
                                     misalignment=link.misalignment)
    assert float(np.sum(c * q)) <= y11


def test_clopper_pearson_bounds_bracket_the_rate():
    lo, hi = count_bounds(np.array([[30, 0]]), np.array([[1000, 10]]), 1e-6)
    assert lo[0, 0] < 0.03 < hi[0, 0]
    assert lo[0, 1] == 0.0
    assert 0.0 < hi[0, 1] < 1.0


def test_same_seed_same_heralds():
    link = _link(fibre_alice=Fibre(5.0), fibre_bob=Fibre(5.0))
    a = simulate_mdi(link, 10**5, rng=np.random.default_rng(1))
    b = simulate_mdi(link, 10**5, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.bob_bit, b.bob_bit)
    np.testing.assert_array_equal(a.psi_plus, b.psi_plus)


def test_run_sifts_equal_bits_and_measures_the_model_rate():
    # 5e6 pulse pairs: too few for the finite-size decoy bounds, so the key is empty for
    # the reason the finite-key analysis gives; the Z signal bits agree up to E_Z.
    link = _link(fibre_alice=Fibre(10.0), fibre_bob=Fibre(10.0),
                 detector=Detector(efficiency=0.9, dark_count_rate_hz=100.0),
                 misalignment=0.01)
    res = run_mdi(link, 5 * 10**6, rng=RngTree(4), block_size=5_000)
    assert res.protocol == "mdi"
    assert res.keys_equal
    _q, e = _model(link, 0)
    n = res.sifted_bits
    assert abs(res.qber["Z"] - e[0, 0]) < 5 * math.sqrt(e[0, 0] * (1 - e[0, 0]) / n)
    assert res.blocks == n // 5_000
    assert res.finite_key_bits == 0 < res.asymptotic_bits_per_pulse
    # every block aborts on the finite-size length (the remainder is spread over the
    # blocks, so none is short)
    assert len(res.abort_reasons) == res.blocks
    assert "finite-size" in res.abort_reasons[0]
    assert res.estimates["y11_z_lower"] < res.estimates["y11_z"]
    assert res.transmittance == pytest.approx(10**-0.4, rel=1e-12)  # 2 x 10 km at 0.2 dB/km


def test_bad_parameters_name_the_field():
    with pytest.raises(ConfigError, match="misalignment"):
        _link(misalignment=0.7)
    with pytest.raises(ConfigError, match="z_basis_probability"):
        _link(z_basis_probability=1.0)
    with pytest.raises(ConfigError, match=r"bob_source\.intensities"):
        _link(bob_source=WeakCoherentSource(intensities=(0.4, 0.1, 0.0)))
    with pytest.raises(ConfigError, match=r"alice_source\.intensities"):
        _link(alice_source=WeakCoherentSource(intensities=(0.5, 0.1),
                                              probabilities=(0.5, 0.5)))
    with pytest.raises(ConfigError, match="pulses"):
        run_mdi(_link(), 0, rng=RngTree(1))
    with pytest.raises(ConfigError, match="block_size"):
        run_mdi(_link(), 10, rng=RngTree(1), block_size=0)
    with pytest.raises(ConfigError, match="epsilon_sec"):
        run_mdi(_link(), 10, rng=RngTree(1), epsilon_sec=2.0)


def test_long_run_gives_equal_keys_below_the_asymptotic_rate():
    # 2e8 pulse pairs over 2 x 10 km with a loose secrecy parameter
    link = _link(
        alice_source=WeakCoherentSource(intensities=(0.4, 0.1, 0.0),
                                        probabilities=(0.5, 0.4, 0.1)),
        bob_source=WeakCoherentSource(intensities=(0.4, 0.1, 0.0),
                                      probabilities=(0.5, 0.4, 0.1)),
        fibre_alice=Fibre(10.0), fibre_bob=Fibre(10.0),
        detector=Detector(efficiency=0.9, dark_count_rate_hz=100.0), misalignment=0.01)
    res = run_mdi(link, 2 * 10**8, rng=RngTree(1), epsilon_sec=1e-3)
    assert res.keys_equal
    assert res.key_bits > 5_000
    assert res.blocks_aborted == 0
    assert 0.0 < res.secret_bits_per_pulse < res.asymptotic_bits_per_pulse
    assert res.estimates["e11_x"] < res.estimates["e11_x_upper"] < 0.25


@pytest.mark.slow
def test_ten_billion_pulse_pairs_give_key_at_the_usual_secrecy():
    # At eps_sec = 1e-10 the Clopper-Pearson decoy bounds of MDI-QKD need of the order of
    # 1e10 pulse pairs (ten seconds of a 1 GHz source) before the key turns positive
    source = WeakCoherentSource(intensities=(0.4, 0.1, 0.0), probabilities=(0.4, 0.4, 0.2))
    link = _link(alice_source=source, bob_source=source, fibre_alice=Fibre(25.0),
                 fibre_bob=Fibre(25.0), detector=Detector(efficiency=0.8), misalignment=0.015)
    res = run_mdi(link, 10**10, rng=RngTree(1), block_size=10**7)
    assert res.keys_equal
    assert res.key_bits > 50_000
    assert res.secret_bits_per_pulse < res.asymptotic_bits_per_pulse


@pytest.mark.parametrize(("mu_a", "mu_b"), [(0.5, 0.5), (0.5, 0.1), (0.1, 0.0), (0.0, 0.0)])
def test_phase_averaged_herald_probabilities_are_the_closed_form(mu_a, mu_b):
    # The sampler draws heralds per configuration from the click probabilities averaged
    # over the random relative phase; averaged over the bits and the misalignment flip
    # they must give the gains and error gains of Ma and Razavi (2012) exactly.
    from qinet.qkd.protocols.mdi import _JONES, _herald_probabilities

    link = _link()
    e_d, p_d = link.misalignment, link.dark_probability
    for basis in (0, 1):
        xa, xb, flip = (axis.ravel() for axis in np.indices((2, 2, 2)))
        amp_a = math.sqrt(link.eta_alice * mu_a) * _JONES[basis, xa]
        amp_b = math.sqrt(link.eta_bob * mu_b) * _JONES[basis, xb ^ flip]
        minus, plus = _herald_probabilities(amp_a, amp_b, p_d)
        weight = 0.25 * np.where(flip == 1, e_d, 1 - e_d)
        gain = float(np.sum(weight * (minus + plus)))
        # Bob flips his bit except for Ψ+ in X, so an error is equal prepared bits, or
        # for Ψ+ in X unequal ones
        wrong_minus = xa == xb
        wrong_plus = wrong_minus if basis == 0 else xa != xb
        errors = float(np.sum(weight * (minus * wrong_minus + plus * wrong_plus)))
        closed = mdi_gains_and_errors(mu_a, mu_b, eta_a=link.eta_alice, eta_b=link.eta_bob,
                                      dark_count_probability=p_d, misalignment=e_d)
        q, e = closed[2 * basis], closed[2 * basis + 1]
        # 1e-8: the X-basis closed form, 2y²[1 + 2y² - 4y I0(x) + I0(2x)], cancels
        # down to ~1e-9 relative when both send vacuum; elsewhere they agree to 1e-12
        assert gain == pytest.approx(float(q), rel=1e-8)
        assert errors == pytest.approx(float(e * q), rel=1e-8)
