"""Heralding schemes against their closed forms, and their photon-level samplers
against the closed forms (5 sigma of the binomial for the sample size)."""

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.link.double_click import DoubleClickScheme
from qinet.link.hardware import fidelity_to_phi_plus
from qinet.link.midpoint_source import MidpointSourceScheme
from qinet.link.model import multiplexed_probability
from qinet.link.single_click import SingleClickScheme
from qinet.physical import SPDCSource

from .conftest import binomial_tolerance, make_hardware

N_SAMPLES = 400_000


def _check_density_matrix(rho):
    assert np.allclose(rho, rho.conj().T)
    assert np.trace(rho).real == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.eigvalsh(rho).min() > -1e-12


@pytest.mark.parametrize("alpha", [0.02, 0.1, 0.3])
@pytest.mark.parametrize("length_km", [0.0, 10.0, 50.0])
def test_single_click_matches_closed_form_without_noise(alpha, length_km):
    # One photon: 2 a (1-a) eta; two photons bunch and click with 1 - (1-eta)^2.
    hw = make_hardware(length_km=length_km, memory_efficiency=0.8, detector_efficiency=0.9)
    model = SingleClickScheme(bright_state=alpha).compile(hw)
    eta = hw.photon_efficiencies[0]
    expected_p = 2 * alpha * (1 - alpha) * eta + alpha**2 * (2 * eta - eta**2)
    expected_f = (1 - alpha) / ((1 - alpha) + alpha * (1 - eta / 2))
    assert model.success_probability == pytest.approx(expected_p, rel=1e-12)
    assert model.heralded_fidelity == pytest.approx(expected_f, rel=1e-12)
    _check_density_matrix(model.heralded_state)


def test_single_click_high_loss_limits_are_2_alpha_eta_and_1_minus_alpha():
    # Humphreys et al., Nature 558, 268 (2018): p ~ 2 alpha eta, F ~ 1 - alpha for eta << 1.
    alpha = 0.05
    hw = make_hardware(length_km=200.0)
    model = SingleClickScheme(bright_state=alpha).compile(hw)
    eta = hw.photon_efficiencies[0]
    assert model.success_probability == pytest.approx(2 * alpha * eta, rel=0.06)
    assert model.heralded_fidelity == pytest.approx(1 - alpha, rel=1e-3)


def test_single_click_visibility_enters_the_coherence():
    hw = make_hardware(length_km=100.0, visibility=0.8)
    model = SingleClickScheme(bright_state=0.01).compile(hw)
    # Almost only the one-photon branch: F = (1 + V)/2 of it.
    assert model.heralded_fidelity == pytest.approx(0.99 * 0.9, rel=2e-3)


@pytest.mark.parametrize("length_km", [0.0, 10.0, 40.0])
def test_double_click_success_is_eta_squared_over_two(length_km):
    # Barrett and Kok, PRA 71, 060310 (2005): p = eta_a eta_b / 2, F = 1.
    hw = make_hardware(length_km=length_km, memory_efficiency=0.9, detector_efficiency=0.8)
    model = DoubleClickScheme().compile(hw)
    eta_a, eta_b = hw.photon_efficiencies
    assert model.success_probability == pytest.approx(eta_a * eta_b / 2, rel=1e-12)
    assert model.heralded_fidelity == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("visibility", [1.0, 0.9, 0.5])
def test_double_click_fidelity_is_one_plus_v_over_two(visibility):
    model = DoubleClickScheme().compile(make_hardware(visibility=visibility))
    assert model.heralded_fidelity == pytest.approx((1 + visibility) / 2, abs=1e-12)


def test_dark_counts_lower_fidelity_and_raise_the_herald_rate():
    clean = DoubleClickScheme().compile(make_hardware(length_km=100.0))
    noisy = DoubleClickScheme().compile(
        make_hardware(length_km=100.0, dark_count_rate_hz=1e5, window_s=1e-8))
    assert noisy.success_probability > clean.success_probability
    assert noisy.heralded_fidelity < clean.heralded_fidelity
    _check_density_matrix(noisy.heralded_state)


def test_raw_fidelity_of_each_memory_multiplies_as_depolarising():
    model = DoubleClickScheme().compile(make_hardware(raw_fidelity=0.97))
    # Two one-qubit depolarisings of Phi+: F = 1 - 3/4 (p1 + p2) + ... exact for Werner:
    p = 4 * (1 - 0.97) / 3
    expected = (1 - p) ** 2 + (1 - (1 - p) ** 2) / 4
    assert model.heralded_fidelity == pytest.approx(expected, rel=1e-12)


def test_midpoint_source_success_closed_form_without_dark_counts():
    # Threshold heralds at both ends, k_a and k_b independent binomials given n pairs:
    # p = sum_n P(n) (1 - (1 - eta_a)^n) (1 - (1 - eta_b)^n).
    src = SPDCSource(mean_pairs_per_mode=0.2)
    hw = make_hardware(length_km=30.0, memory_efficiency=0.6, detector_efficiency=0.9)
    model = MidpointSourceScheme(source=src).compile(hw)
    eta_a, eta_b = hw.photon_efficiencies
    n = np.arange(80)
    pmf = src.pmf(79)
    expected = np.sum(pmf * (1 - (1 - eta_a) ** n) * (1 - (1 - eta_b) ** n))
    assert model.success_probability == pytest.approx(expected, rel=1e-9)
    _check_density_matrix(model.heralded_state)


def test_midpoint_source_fidelity_falls_with_pair_number_and_visibility():
    hw = make_hardware(length_km=10.0, visibility=0.96)
    low = MidpointSourceScheme(source=SPDCSource(mean_pairs_per_mode=1e-4)).compile(hw)
    high = MidpointSourceScheme(source=SPDCSource(mean_pairs_per_mode=0.3)).compile(hw)
    # A single pair: Werner with V, F = (1 + 3V)/4.
    assert low.heralded_fidelity == pytest.approx((1 + 3 * 0.96) / 4, abs=1e-3)
    assert high.heralded_fidelity < low.heralded_fidelity - 0.05


@pytest.mark.parametrize(
    "scheme",
    [
        SingleClickScheme(bright_state=0.1),
        SingleClickScheme(bright_state=0.4, modes=3),
        DoubleClickScheme(),
        DoubleClickScheme(modes=4),
        MidpointSourceScheme(source=SPDCSource(mean_pairs_per_mode=0.1)),
        MidpointSourceScheme(source=SPDCSource(mean_pairs_per_mode=0.05, thermal=False), modes=5),
    ],
    ids=["sc", "sc-modes", "dc", "dc-modes", "mid", "mid-poisson-modes"],
)
@pytest.mark.parametrize(
    "noise",
    [{}, {"dark_count_rate_hz": 2e5, "window_s": 1e-8, "visibility": 0.8,
                  "memory_efficiency": 0.7, "detector_efficiency": 0.85}],
    ids=["clean", "noisy"],
)
def test_photon_level_sampler_agrees_with_closed_form(scheme, noise, rng):
    model = scheme.compile(make_hardware(length_km=25.0, **noise))
    p = model.success_probability
    measured = model.sample(N_SAMPLES, rng).mean()
    assert abs(measured - p) < binomial_tolerance(p, N_SAMPLES)


def test_multiplexed_probability_is_one_minus_failures():
    assert multiplexed_probability(0.1, 1) == pytest.approx(0.1)
    assert multiplexed_probability(0.1, 10) == pytest.approx(1 - 0.9**10, rel=1e-12)
    assert multiplexed_probability(1e-12, 1000) == pytest.approx(1e-9, rel=1e-6)
    with pytest.raises(ConfigError, match="modes"):
        multiplexed_probability(0.1, 0)


def test_timing_waits_for_the_herald_and_offsets_emissions_for_asymmetric_arms():
    hw = make_hardware(length_km=30.0, station_position=1 / 3)
    timing = DoubleClickScheme(round_gap_s=0.0, reset_time_s=0.0).compile(hw).timing
    tau_a, tau_b = hw.arm_delays_ps
    assert tau_b == pytest.approx(2 * tau_a, abs=2)
    # a is closer: it emits later so both photons meet at the station.
    assert timing.stored_ps == (tau_b - tau_a, 0)
    assert timing.known_ps == (tau_b + tau_a, 2 * tau_b)
    assert timing.period_ps == 2 * tau_b


def test_attempt_period_shorter_than_the_round_trip_is_refused():
    with pytest.raises(ConfigError, match="attempt_period"):
        DoubleClickScheme(attempt_period_s=1e-6).compile(make_hardware(length_km=20.0))


def test_fidelity_helper_of_a_bell_state():
    phi = np.array([1, 0, 0, 1]) / np.sqrt(2)
    assert fidelity_to_phi_plus(np.outer(phi, phi).astype(complex)) == pytest.approx(1.0)
