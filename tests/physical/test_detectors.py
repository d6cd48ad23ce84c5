"""Detector click statistics against closed forms and against the sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.physical.detectors import (
    FWHM_PER_SIGMA,
    Detector,
    click_probability_coherent,
    click_probability_fock,
    dark_count_probability,
    detected_rate_nonparalyzable,
    detected_rate_paralyzable,
    jitter_window_efficiency,
)


def five_sigma_binomial(p: float, n: int) -> float:
    """Five standard deviations of a frequency estimated from n Bernoulli(p) trials."""
    return 5.0 * math.sqrt(p * (1.0 - p) / n)


def test_dark_count_probability_closed_form():
    # A Poisson process of rate R gives no count in t with probability e^{-R t}.
    assert dark_count_probability(100.0, 1e-3) == pytest.approx(1 - math.exp(-0.1), rel=1e-15)
    assert dark_count_probability(0.0, 1.0) == 0.0
    # 10 Hz in a 1 ns window: R t = 1e-8, where 1 - exp loses digits but expm1 does not.
    assert dark_count_probability(10.0, 1e-9) == pytest.approx(1e-8 - 0.5e-16, rel=1e-12)


def test_dark_count_probability_broadcasts():
    got = dark_count_probability(np.array([[1.0], [2.0]]), np.array([0.5, 1.0]))
    np.testing.assert_allclose(got, 1 - np.exp(-np.array([[0.5, 1.0], [1.0, 2.0]])))


def test_click_probability_fock_closed_form():
    eta, p_d = 0.6, 0.01
    n = np.arange(5)
    expected = 1 - (1 - p_d) * (1 - eta) ** n
    np.testing.assert_allclose(click_probability_fock(n, eta, p_d), expected, rtol=1e-15)
    assert click_probability_fock(0, eta, p_d) == pytest.approx(p_d)


def test_click_probability_coherent_is_the_poisson_average_of_fock():
    mu, eta, p_d = 0.7, 0.8, 1e-3
    n = np.arange(60)
    poisson = np.exp(-mu) * mu**n / np.array([math.factorial(k) for k in n], dtype=float)
    averaged = float(np.sum(poisson * click_probability_fock(n, eta, p_d)))
    assert click_probability_coherent(mu, eta, p_d) == pytest.approx(averaged, rel=1e-12)


def test_click_probabilities_refuse_bad_inputs():
    with pytest.raises(ConfigError, match="n_photons"):
        click_probability_fock(1.5, 0.5, 0.0)
    with pytest.raises(ConfigError, match="n_photons"):
        click_probability_fock(-1, 0.5, 0.0)
    with pytest.raises(ConfigError, match="efficiency"):
        click_probability_fock(1, 1.2, 0.0)
    with pytest.raises(ConfigError, match="dark_probability"):
        click_probability_coherent(1.0, 0.5, -0.1)


@given(
    n=st.integers(0, 50),
    eta=st.floats(0.0, 1.0),
    p_d=st.floats(0.0, 1.0),
)
def test_click_probability_fock_is_monotone_in_photon_number(n, eta, p_d):
    low, high = click_probability_fock([n, n + 1], eta, p_d)
    assert 0.0 <= low <= high <= 1.0
    assert low >= p_d - 1e-15


def test_dead_time_models():
    # Knoll: non-paralyzable m = n / (1 + n tau); paralyzable m = n e^{-n tau}.
    rate, tau = 2e7, 50e-9
    assert detected_rate_nonparalyzable(rate, tau) == pytest.approx(rate / 2.0)
    assert detected_rate_paralyzable(rate, tau) == pytest.approx(rate * math.exp(-1.0))
    # The paralyzable detector peaks at R = 1/tau and falls after.
    rates = np.linspace(1e6, 1e8, 991)
    assert rates[np.argmax(detected_rate_paralyzable(rates, tau))] == pytest.approx(1 / tau)
    # The non-paralyzable detector saturates at 1/tau.
    assert detected_rate_nonparalyzable(1e15, tau) == pytest.approx(1 / tau, rel=1e-6)


def test_jitter_window_efficiency_closed_form():
    fwhm = 30e-12
    sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
    assert pytest.approx(2.354820045, rel=1e-9) == FWHM_PER_SIGMA
    # A window of +-1 sigma keeps erf(1/sqrt 2) = 68.27 %, +-2 sigma keeps 95.45 %.
    assert jitter_window_efficiency(2 * sigma, fwhm) == pytest.approx(math.erf(1 / math.sqrt(2)))
    assert jitter_window_efficiency(4 * sigma, fwhm) == pytest.approx(0.9544997361)
    assert jitter_window_efficiency(0.0, fwhm) == 0.0
    np.testing.assert_array_equal(jitter_window_efficiency([0.0, 1e-12], 0.0), [0.0, 1.0])


def test_jitter_window_efficiency_matches_sampling(rng):
    fwhm, window, n = 40e-12, 50e-12, 200_000
    arrivals = rng.normal(0.0, fwhm / FWHM_PER_SIGMA, n)
    frequency = np.mean(np.abs(arrivals) <= window / 2)
    p = jitter_window_efficiency(window, fwhm)
    assert abs(frequency - p) <= five_sigma_binomial(p, n)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"efficiency": 0.0}, "efficiency"),
        ({"efficiency": 1.01}, "efficiency"),
        ({"efficiency": True}, "efficiency"),
        ({"dark_count_rate_hz": -1.0}, "dark_count_rate_hz"),
        ({"dead_time_s": -1e-9}, "dead_time_s"),
        ({"jitter_fwhm_s": math.inf}, "jitter_fwhm_s"),
    ],
)
def test_detector_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        Detector(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


def test_detector_methods_use_its_parameters():
    det = Detector(efficiency=0.8, dark_count_rate_hz=1e3, dead_time_s=1e-7)
    p_d = 1 - math.exp(-1e3 * 1e-6)
    assert det.dark_probability(1e-6) == pytest.approx(p_d)
    assert det.click_probability(2, 1e-6) == pytest.approx(1 - (1 - p_d) * 0.2**2)
    assert det.click_probability_coherent(0.5, 1e-6) == pytest.approx(
        1 - (1 - p_d) * math.exp(-0.4)
    )
    assert det.detected_rate_hz(1e6) == pytest.approx(0.8e6 / (1 + 0.8e6 * 1e-7))


@pytest.mark.parametrize("photons", [0, 1, 2, 5])
def test_sampled_clicks_match_click_probability(rng, photons):
    det = Detector(efficiency=0.3, dark_count_rate_hz=2e5)
    window, n = 1e-6, 100_000
    clicks = det.sample_clicks(np.full(n, photons), window, rng=rng)
    assert clicks.dtype == bool
    assert clicks.shape == (n,)
    p = det.click_probability(photons, window)
    assert abs(clicks.mean() - p) <= five_sigma_binomial(p, n)


def test_sampled_clicks_keep_shape_and_mix_photon_numbers(rng):
    det = Detector(efficiency=0.5, dark_count_rate_hz=0.0)
    photons = rng.integers(0, 4, size=(300, 200))
    clicks = det.sample_clicks(photons, 1e-9, rng=rng)
    assert clicks.shape == photons.shape
    assert not clicks[photons == 0].any()
    p = float(np.mean(det.click_probability(photons, 1e-9)))
    assert abs(clicks.mean() - p) <= five_sigma_binomial(p, photons.size)


def test_sample_clicks_is_reproducible():
    det = Detector()
    photons = np.ones(1000, dtype=int)
    first = det.sample_clicks(photons, 1e-9, rng=np.random.default_rng(5))
    second = det.sample_clicks(photons, 1e-9, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(first, second)


def test_sample_clicks_refuses_negative_photons(rng):
    with pytest.raises(ConfigError, match="n_photons"):
        Detector().sample_clicks([1, -1], 1e-9, rng=rng)
