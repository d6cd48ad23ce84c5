"""Raman noise against its closed forms over a range of lengths, and the Stokes /
anti-Stokes factor (Eraerds et al., New J. Phys. 12, 063027 (2010); Agrawal, Nonlinear
Fiber Optics, 5th ed., section 8.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical.fibre import (
    BOLTZMANN_CONSTANT_J_PER_K,
    PLANCK_CONSTANT_J_S,
    attenuation_per_km,
    photon_energy_j,
    raman_noise_rate_hz,
    raman_side_factor,
)
from qinet.units import SPEED_OF_LIGHT_M_PER_S

P_W, RHO, BAND_NM = 1e-3, 2.5e-9, 0.6
LENGTHS_KM = np.array([0.0, 0.01, 1.0, 5.0, 21.7, 50.0, 100.0, 200.0])


def _rate(length_km: np.ndarray, *, co: bool, db_per_km: float = 0.2) -> np.ndarray:
    return np.asarray(raman_noise_rate_hz(
        P_W, length_km, raman_coefficient_per_km_per_nm=RHO, filter_bandwidth_nm=BAND_NM,
        attenuation_db_per_km=db_per_km, co_propagating=co))


@pytest.mark.parametrize("db_per_km", [0.16, 0.2, 0.35])
def test_forward_noise_is_p_l_exp_minus_alpha_l_at_every_length(db_per_km):
    alpha = db_per_km * math.log(10) / 10
    expected = P_W * RHO * BAND_NM * LENGTHS_KM * np.exp(-alpha * LENGTHS_KM) / photon_energy_j()
    np.testing.assert_allclose(_rate(LENGTHS_KM, co=True, db_per_km=db_per_km), expected,
                               rtol=1e-12, atol=0)


@pytest.mark.parametrize("db_per_km", [0.16, 0.2, 0.35])
def test_backward_noise_is_p_one_minus_exp_over_two_alpha_at_every_length(db_per_km):
    alpha = db_per_km * math.log(10) / 10
    expected = (P_W * RHO * BAND_NM * (1 - np.exp(-2 * alpha * LENGTHS_KM)) / (2 * alpha)
                / photon_energy_j())
    np.testing.assert_allclose(_rate(LENGTHS_KM, co=False, db_per_km=db_per_km), expected,
                               rtol=1e-12, atol=0)


def test_small_length_limit_both_directions_grow_as_p_rho_l():
    # forward P rho L (1 - aL + a²L²/2 ...), backward P rho L (1 - aL + 2a²L²/3 ...):
    # both are P rho L dl to relative order alpha L
    small = np.array([1e-6, 1e-4, 1e-2])
    linear = P_W * RHO * BAND_NM * small / photon_energy_j()
    alpha = attenuation_per_km(0.2)
    for co in (True, False):
        np.testing.assert_allclose(_rate(small, co=co), linear, rtol=2 * alpha * small.max())
    # and they part at second order, by a²L²/6 of the linear rate
    small = np.array([1e-2, 1e-1])
    linear = P_W * RHO * BAND_NM * small / photon_energy_j()
    fwd, bwd = _rate(small, co=True), _rate(small, co=False)
    np.testing.assert_allclose((bwd - fwd) / linear, (alpha * small) ** 2 / 6, rtol=0.02)


def test_large_length_limits():
    # backward saturates at P rho dl / (2 alpha); forward vanishes as L e^{-alpha L}
    alpha = attenuation_per_km(0.2)
    saturated = P_W * RHO * BAND_NM / (2 * alpha) / photon_energy_j()
    far = np.array([300.0, 600.0, 1000.0])
    np.testing.assert_allclose(_rate(far, co=False), saturated, rtol=1e-5)
    fwd = _rate(far, co=True)
    assert np.all(np.diff(fwd) < 0)
    assert fwd[-1] / saturated < 1e-15
    # backward grows monotonically with length, and beats forward at every L > 0
    lengths = np.linspace(0.5, 300.0, 600)
    assert np.all(np.diff(_rate(lengths, co=False)) > 0)
    assert np.all(_rate(lengths, co=False) > _rate(lengths, co=True))


def test_forward_noise_peak_value_is_p_rho_over_e_alpha():
    alpha = attenuation_per_km(0.2)
    peak = _rate(np.array([1.0 / alpha]), co=True)[0]
    assert peak == pytest.approx(P_W * RHO * BAND_NM / (math.e * alpha) / photon_energy_j(),
                                 rel=1e-12)


def test_quantum_wavelength_sets_the_photon_energy():
    # the same scattered power counts lambda / (h c) photons
    at_1310 = raman_noise_rate_hz(P_W, 20.0, wavelength_m=1310e-9)
    at_1550 = raman_noise_rate_hz(P_W, 20.0, wavelength_m=1550e-9)
    assert at_1310 / at_1550 == pytest.approx(1310 / 1550, rel=1e-14)


def test_side_factor_is_the_boltzmann_factor_on_the_anti_stokes_side():
    lam_c = 1550e-9
    for lam_q in (1549e-9, 1530e-9, 1490e-9):
        dv = SPEED_OF_LIGHT_M_PER_S * (1 / lam_q - 1 / lam_c)
        n = 1 / math.expm1(PLANCK_CONSTANT_J_S * dv / (BOLTZMANN_CONSTANT_J_PER_K * 300.0))
        assert raman_side_factor(lam_q, lam_c) == pytest.approx(n / (n + 1), rel=1e-12)
    assert raman_side_factor(1560e-9, lam_c) == 1.0
    assert raman_side_factor(lam_c, lam_c) == 1.0
    # colder fibre: fewer phonons, weaker anti-Stokes light
    assert raman_side_factor(1530e-9, lam_c, temperature_k=77.0) < raman_side_factor(
        1530e-9, lam_c)


def test_side_factor_refuses_bad_input():
    with pytest.raises(ConfigError, match="classical_wavelength_m"):
        raman_side_factor(1550e-9, 0.0)
    with pytest.raises(ConfigError, match="temperature_k"):
        raman_side_factor(1550e-9, 1530e-9, temperature_k=-1.0)
