"""Fibre loss, delay, dispersion and Raman noise against their closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.physical.fibre import (
    PLANCK_CONSTANT_J_S,
    Fibre,
    attenuation_per_km,
    dispersion_broadening_s,
    fibre_delay_s,
    fibre_transmittance,
    photon_energy_j,
    raman_noise_rate_hz,
)
from qinet.units import SPEED_OF_LIGHT_M_PER_S


def test_transmittance_50_km_at_0_2_db_per_km_is_one_tenth():
    # 0.2 dB/km x 50 km = 10 dB, i.e. a factor of 10.
    assert fibre_transmittance(50.0, 0.2) == pytest.approx(0.1, rel=1e-15)


def test_transmittance_broadcasts_over_arrays():
    lengths = np.array([[0.0], [100.0]])
    attenuations = np.array([0.2, 0.16])
    got = fibre_transmittance(lengths, attenuations)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, [[1.0, 1.0], [1e-2, 10 ** -1.6]], rtol=1e-14)


def test_delay_of_10_km_is_48_97_us():
    # L n_g / c = 1e4 m x 1.4682 / 299 792 458 m/s.
    expected = 1e4 * 1.4682 / 299_792_458.0
    assert fibre_delay_s(10.0) == pytest.approx(expected, rel=1e-15)
    assert fibre_delay_s(10.0) == pytest.approx(48.974e-6, abs=1e-9)


def test_natural_attenuation_coefficient():
    assert attenuation_per_km(0.2) == pytest.approx(0.2 * math.log(10) / 10, rel=1e-15)


def test_fibre_properties_match_functions():
    span = Fibre(length_km=25, attenuation_db_per_km=0.18)
    assert isinstance(span.length_km, float)
    assert span.loss_db == pytest.approx(4.5)
    assert span.transmittance == pytest.approx(10 ** -0.45, rel=1e-14)
    assert span.delay_s == pytest.approx(25e3 * 1.4682 / SPEED_OF_LIGHT_M_PER_S, rel=1e-15)


def test_fibre_is_frozen_and_hashable():
    span = Fibre(length_km=1.0)
    with pytest.raises(AttributeError):
        span.length_km = 2.0  # type: ignore[misc]
    assert hash(span) == hash(Fibre(length_km=1.0))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"length_km": -3}, "length_km"),
        ({"length_km": math.nan}, "length_km"),
        ({"length_km": "25 km"}, "length_km"),
        ({"length_km": 1.0, "attenuation_db_per_km": -0.1}, "attenuation_db_per_km"),
        ({"length_km": 1.0, "group_index": 0.9}, "group_index"),
    ],
)
def test_fibre_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        Fibre(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


def test_negative_length_message_carries_the_value():
    with pytest.raises(ConfigError, match=r"^length_km: must be non-negative, got -3$"):
        Fibre(length_km=-3)


def test_functions_refuse_bad_arrays():
    with pytest.raises(ConfigError, match=r"length_km: .* got -1"):
        fibre_transmittance([1.0, -1.0])
    with pytest.raises(ConfigError, match="group_index"):
        fibre_delay_s(1.0, group_index=0.5)


@given(
    length_km=st.floats(0.0, 1000.0),
    extra_km=st.floats(0.0, 1000.0),
    attenuation=st.floats(0.0, 1.0),
)
def test_transmittance_is_a_probability_and_falls_with_length(length_km, extra_km, attenuation):
    near = fibre_transmittance(length_km, attenuation)
    far = fibre_transmittance(length_km + extra_km, attenuation)
    assert 0.0 < far <= near <= 1.0


@given(length_km=st.floats(0.0, 1000.0), n=st.floats(1.0, 2.0))
def test_delay_is_linear_in_length(length_km, n):
    assert fibre_delay_s(2 * length_km, n) == pytest.approx(2 * fibre_delay_s(length_km, n))


def test_photon_energy_at_1550_nm():
    assert photon_energy_j(1550e-9) == pytest.approx(
        PLANCK_CONSTANT_J_S * SPEED_OF_LIGHT_M_PER_S / 1550e-9, rel=1e-15
    )


def test_forward_raman_closed_form():
    # Eraerds et al. (2010): P_fwd = P_in e^{-alpha L} rho L d_lambda.
    p_in, length, rho, band = 1e-3, 40.0, 2e-9, 1.0
    alpha = 0.2 * math.log(10) / 10
    power = p_in * math.exp(-alpha * length) * rho * length * band
    expected = power / (PLANCK_CONSTANT_J_S * SPEED_OF_LIGHT_M_PER_S / 1550e-9)
    got = raman_noise_rate_hz(
        p_in, length, raman_coefficient_per_km_per_nm=rho, filter_bandwidth_nm=band
    )
    assert got == pytest.approx(expected, rel=1e-12)


def test_backward_raman_closed_form():
    # Eraerds et al. (2010): P_bwd = P_in rho d_lambda (1 - e^{-2 alpha L}) / (2 alpha).
    p_in, length, rho, band = 1e-3, 40.0, 2e-9, 1.0
    alpha = 0.2 * math.log(10) / 10
    power = p_in * rho * band * (1 - math.exp(-2 * alpha * length)) / (2 * alpha)
    expected = power / (PLANCK_CONSTANT_J_S * SPEED_OF_LIGHT_M_PER_S / 1550e-9)
    got = raman_noise_rate_hz(
        p_in, length, raman_coefficient_per_km_per_nm=rho, filter_bandwidth_nm=band,
        co_propagating=False,
    )
    assert got == pytest.approx(expected, rel=1e-12)


def test_raman_limits():
    # Both directions agree to first order for short fibre (rho L d_lambda P_in), the
    # backward noise saturates at P_in rho d_lambda / (2 alpha) for long fibre, and
    # lossless fibre is the a -> 0 limit rather than a division by zero.
    short = 1e-3
    fwd = raman_noise_rate_hz(1e-3, short)
    bwd = raman_noise_rate_hz(1e-3, short, co_propagating=False)
    assert fwd == pytest.approx(bwd, rel=1e-3)
    alpha = attenuation_per_km(0.2)
    sat = 1e-3 * 3e-9 * 0.8 / (2 * alpha) / photon_energy_j()
    assert raman_noise_rate_hz(1e-3, 500.0, co_propagating=False) == pytest.approx(sat, rel=1e-9)
    lossless = raman_noise_rate_hz(
        1e-3, 10.0, attenuation_db_per_km=0.0, co_propagating=False
    )
    assert lossless == pytest.approx(raman_noise_rate_hz(1e-3, 10.0, attenuation_db_per_km=0.0))


def test_raman_is_linear_in_power_and_vectorised():
    powers = np.array([0.0, 1e-4, 1e-3])
    got = raman_noise_rate_hz(powers, 25.0)
    assert got.shape == (3,)
    np.testing.assert_allclose(got, powers / 1e-3 * raman_noise_rate_hz(1e-3, 25.0), rtol=1e-14)


def test_raman_forward_noise_peaks_at_one_over_alpha():
    # d/dL (L e^{-alpha L}) = 0 at L = 1/alpha (21.7 km at 0.2 dB/km).
    peak_km = 1.0 / attenuation_per_km(0.2)
    lengths = np.linspace(1.0, 60.0, 5901)
    best = lengths[np.argmax(raman_noise_rate_hz(1e-3, lengths))]
    assert best == pytest.approx(peak_km, abs=0.01)


def test_raman_validation():
    with pytest.raises(ConfigError, match="classical_power_w"):
        raman_noise_rate_hz(-1e-3, 10.0)
    with pytest.raises(ConfigError, match="filter_bandwidth_nm"):
        raman_noise_rate_hz(1e-3, 10.0, filter_bandwidth_nm=-1.0)


def test_fibre_method_matches_function():
    span = Fibre(length_km=30.0, attenuation_db_per_km=0.25)
    assert span.raman_noise_rate_hz(1e-3, co_propagating=False) == raman_noise_rate_hz(
        1e-3, 30.0, attenuation_db_per_km=0.25, co_propagating=False
    )


def test_dispersion_broadening():
    # Agrawal: delta T = |D| L delta_lambda; 17 ps/(nm km) x 50 km x 0.01 nm = 8.5 ps.
    assert dispersion_broadening_s(50.0, 0.01) == pytest.approx(8.5e-12, rel=1e-12)
    assert dispersion_broadening_s(
        50.0, 0.01, dispersion_ps_per_nm_km=-17.0, initial_width_s=8.5e-12
    ) == pytest.approx(8.5e-12 * math.sqrt(2), rel=1e-12)
    assert dispersion_broadening_s(0.0, 1.0, initial_width_s=3e-12) == pytest.approx(3e-12)
