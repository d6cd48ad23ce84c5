"""Free-space links: beams, jitter, turbulence, air mass and background against closed
forms, limits, quadrature and Monte Carlo; a Micius downlink budget against Liao et al."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.integrate import dblquad, quad

from qinet.errors import ConfigError
from qinet.physical.fibre import PLANCK_CONSTANT_J_S
from qinet.physical.free_space import (
    HOMOGENEOUS_ATMOSPHERE_HEIGHT_M,
    ConstantCn2,
    FreeSpaceLink,
    HufnagelValley,
    air_mass,
    aperture_collection,
    atmospheric_transmittance,
    background_photons_per_window,
    beam_radius_m,
    beam_waist_from_divergence_m,
    divergence_half_angle_rad,
    fried_parameter_m,
    jitter_broadened_radius_m,
    long_term_beam_radius_m,
    offset_aperture_collection,
    rayleigh_range_m,
    turbulence_spread_factor,
)
from qinet.physical.orbits import EARTH_MEAN_RADIUS_M, elevation_from_range_rad
from qinet.units import SPEED_OF_LIGHT_M_PER_S

LAMBDA = 850e-9

# --- Gaussian beams -------------------------------------------------------------------------


def test_beam_radius_at_the_waist_and_one_rayleigh_range():
    w0 = 0.05
    z_r = rayleigh_range_m(w0, LAMBDA)
    assert z_r == pytest.approx(math.pi * w0**2 / LAMBDA, rel=1e-15)
    assert beam_radius_m(0.0, w0, LAMBDA) == pytest.approx(w0, rel=1e-15)
    assert beam_radius_m(z_r, w0, LAMBDA) == pytest.approx(w0 * math.sqrt(2), rel=1e-14)


@pytest.mark.parametrize("z_over_zr", [10.0, 100.0, 1e4])
def test_far_field_radius_is_lambda_z_over_pi_w0(z_over_zr):
    w0 = 0.05
    z = z_over_zr * rayleigh_range_m(w0, LAMBDA)
    far = LAMBDA * z / (math.pi * w0)
    # w / w_far = sqrt(1 + (z_R/z)^2) = 1 + (z_R/z)^2 / 2 + ...
    assert beam_radius_m(z, w0, LAMBDA) / far - 1 == pytest.approx(
        0.5 / z_over_zr**2, rel=1e-2)


def test_divergence_and_waist_are_inverse():
    assert divergence_half_angle_rad(beam_waist_from_divergence_m(5e-6, LAMBDA),
                                     LAMBDA) == pytest.approx(5e-6, rel=1e-15)
    assert divergence_half_angle_rad(0.15, LAMBDA) == pytest.approx(LAMBDA / (math.pi * 0.15))


def test_collection_near_and_far_field():
    # a = w: 1 - e^-2 exactly
    assert aperture_collection(1.0, 1.0) == pytest.approx(1 - math.exp(-2), rel=1e-15)
    assert aperture_collection(1.0, 10.0) == pytest.approx(1.0, abs=1e-80)
    # w >> a: 2 a^2 / w^2, with relative error a^2 / w^2 (next Taylor term)
    for ratio in (10.0, 100.0):
        got = aperture_collection(ratio, 1.0)
        assert got == pytest.approx(2 / ratio**2, rel=1.01 / ratio**2)


def test_offset_collection_matches_a_direct_integral_over_the_aperture():
    w, a, d = 1.0, 0.7, 0.9

    def intensity(y: float, x: float) -> float:
        return 2 / (math.pi * w**2) * math.exp(-2 * ((x - d) ** 2 + y**2) / w**2)

    ref, _ = dblquad(intensity, -a, a, lambda x: -math.sqrt(a * a - x * x),
                     lambda x: math.sqrt(a * a - x * x), epsabs=1e-12)
    assert offset_aperture_collection(w, a, d) == pytest.approx(ref, rel=1e-8)
    assert offset_aperture_collection(w, a, 0.0) == aperture_collection(w, a)


def test_jitter_broadening_matches_a_monte_carlo_of_random_offsets(rng):
    """Mean collected share over Rayleigh-distributed offsets (per-axis deviation
    sigma z) against ``1 - exp(-2 a^2 / w_eff^2)``; the tolerance is 5 standard errors
    of the sample mean."""
    w, a, sigma, z = 2.0, 0.5, 3e-6, 5e5
    n = 40_000
    offsets = np.hypot(*rng.normal(0.0, sigma * z, size=(2, n)))
    shares = offset_aperture_collection(w, a, offsets)
    w_eff = jitter_broadened_radius_m(w, sigma, z)
    assert w_eff == pytest.approx(math.sqrt(w**2 + 4 * (sigma * z) ** 2), rel=1e-15)
    expected = aperture_collection(w_eff, a)
    assert shares.mean() == pytest.approx(expected, abs=5 * shares.std() / math.sqrt(n))
    # and the jitter is visible: the share without it is far outside that band
    assert aperture_collection(w, a) - expected > 20 * shares.std() / math.sqrt(n)


def test_jitter_broadening_matches_photon_counting(rng):
    """Photons drawn from the beam (per-axis deviation w/2) around a jittered centre,
    counted inside the aperture: a binomial count, tolerance 5 sigma."""
    w, a, sigma, z = 1.0, 0.6, 1e-6, 4e5
    n = 200_000
    centre = rng.normal(0.0, sigma * z, size=(2, n))
    photon = centre + rng.normal(0.0, w / 2, size=(2, n))
    hits = np.count_nonzero(np.hypot(*photon) <= a)
    p = aperture_collection(jitter_broadened_radius_m(w, sigma, z), a)
    assert hits == pytest.approx(n * p, abs=5 * math.sqrt(n * p * (1 - p)))


# --- turbulence -----------------------------------------------------------------------------


def _fresnel_ratio(length_m, w0, lam):
    k = 2 * math.pi / lam
    w2 = w0**2 * (1 + (2 * length_m / (k * w0**2)) ** 2)
    return 2 * length_m / (k * w2)


def test_constant_cn2_gives_the_rytov_form_of_andrews_and_phillips():
    """``T = 4.35 (3/8) Cn^2 k^(7/6) L^(11/6) Lambda^(5/6)`` for any direction; A&P's
    ``1.33 sigma_R^2 Lambda^(5/6)`` is the same with rounded constants (0.3 % apart).
    The path quadrature (trapezoid on 2 % geometric steps) is good to 5e-4."""
    lam, w0, cn2 = 1550e-9, 0.02, 1e-14
    k = 2 * math.pi / lam
    length = np.array([1e3, 1e4, 5e4])
    fresnel = _fresnel_ratio(length, w0, lam)
    exact = 4.35 * 3 / 8 * cn2 * k ** (7 / 6) * length ** (11 / 6) * fresnel ** (5 / 6)
    rytov = 1.23 * cn2 * k ** (7 / 6) * length ** (11 / 6)
    for uplink in (True, False):
        got = turbulence_spread_factor(length, 0.0, beam_waist_m=w0, wavelength_m=lam,
                                       cn2=ConstantCn2(cn2), uplink=uplink)
        np.testing.assert_allclose(got, exact, rtol=5e-4)
        np.testing.assert_allclose(got, 1.33 * rytov * fresnel ** (5 / 6), rtol=4e-3)


@pytest.mark.parametrize("uplink", [True, False])
def test_slant_path_matches_the_height_integrals_at_the_zenith(uplink):
    """A&P eqs. 12.47-12.48 with mu_2u / mu_2d integrated in height by adaptive
    quadrature; at the zenith the spherical path is the flat one."""
    hv, lam, w0, top = HufnagelValley(), 1550e-9, 0.02, 500e3
    k = 2 * math.pi / lam

    def weight(h):
        return (1 - h / top) ** (5 / 3) if uplink else (h / top) ** (5 / 3)

    edges = [0, 100, 1e3, 5e3, 2e4, top]
    mu = sum(quad(lambda h: float(hv.cn2(np.array(h))) * weight(h), lo, hi, limit=200)[0]
             for lo, hi in itertools.pairwise(edges))
    ref = 4.35 * mu * _fresnel_ratio(top, w0, lam) ** (5 / 6) * k ** (7 / 6) * top ** (5 / 6)
    got = turbulence_spread_factor(top, math.pi / 2, beam_waist_m=w0, wavelength_m=lam,
                                   uplink=uplink)
    assert got == pytest.approx(ref, rel=5e-4)


def test_downlinks_barely_spread_and_uplinks_do():
    kw = {"beam_waist_m": 0.15, "wavelength_m": LAMBDA}
    up = turbulence_spread_factor(1e6, math.radians(30), uplink=True, **kw)
    down = turbulence_spread_factor(1e6, math.radians(30), uplink=False, **kw)
    assert up > 1.0
    assert down < 1e-3 * up
    assert turbulence_spread_factor(1e6, 1.0, cn2=ConstantCn2(0.0), **kw) == 0.0
    # the long-term radius folds in turbulence and jitter by adding variances
    w = beam_radius_m(1e6, 0.15, LAMBDA)
    lt = long_term_beam_radius_m(1e6, math.radians(30), cn2=HufnagelValley(), uplink=True,
                                 pointing_jitter_rad=1e-6, **kw)
    assert lt == pytest.approx(math.sqrt(w**2 * (1 + up) + 4 * (1e-6 * 1e6) ** 2), rel=1e-12)


def test_hv57_fried_parameter_is_5_cm_at_half_a_micron():
    """HV 5/7 is named for r0 = 5 cm at 0.5 um at the zenith (Andrews & Phillips 2005,
    section 12.2); the name rounds the value, hence 5 %."""
    assert fried_parameter_m(math.pi / 2, 500e-9) == pytest.approx(0.05, rel=0.05)


def test_fried_parameter_scales_with_wavelength_and_air_mass():
    r0 = fried_parameter_m(math.pi / 2, 500e-9)
    # r0 ~ lambda^(6/5) exactly; ~ (sin el)^(3/5) on a flat Earth, to curvature terms
    assert fried_parameter_m(math.pi / 2, 1e-6) == pytest.approx(r0 * 2 ** 1.2, rel=1e-12)
    assert fried_parameter_m(math.radians(30), 500e-9) == pytest.approx(
        r0 * 0.5**0.6, rel=1e-3)


# --- the atmosphere -------------------------------------------------------------------------


def test_air_mass_models_at_the_zenith_and_horizon():
    r = EARTH_MEAN_RADIUS_M / HOMOGENEOUS_ATMOSPHERE_HEIGHT_M
    assert air_mass(math.pi / 2, model="flat") == pytest.approx(1.0, rel=1e-15)
    assert air_mass(math.pi / 2, model="spherical") == pytest.approx(1.0, rel=1e-12)
    assert air_mass(0.0, model="spherical") == pytest.approx(math.sqrt(2 * r + 1), rel=1e-12)
    # the Kasten & Young (1989) formula at its ends: 0.99971 at the zenith, 37.92 at
    # the horizon (a fit: the zenith value misses 1 by 3e-4)
    zenith = 1 / (1 + 0.50572 * 96.07995**-1.6364)
    horizon = 1 / (0.50572 * 6.07995**-1.6364)
    assert air_mass(math.pi / 2, model="kasten-young") == pytest.approx(zenith, rel=1e-14)
    assert air_mass(0.0, model="kasten-young") == pytest.approx(horizon, rel=1e-14)
    assert zenith == pytest.approx(1.0, abs=3e-4)
    assert horizon == pytest.approx(37.92, abs=0.01)
    assert math.isinf(air_mass(0.0, model="flat"))


def test_spherical_air_mass_approaches_the_flat_one_off_the_horizon():
    el = np.radians(np.linspace(20.0, 90.0, 15))
    flat = air_mass(el, model="flat")
    r = EARTH_MEAN_RADIUS_M / HOMOGENEOUS_ATMOSPHERE_HEIGHT_M
    # first-order expansion: X = (1/s) (1 - cot^2(el) / (2 r)); bound with margin 2
    bound = 1 / (r * np.tan(el) ** 2)
    assert np.all(np.abs(air_mass(el, model="spherical") / flat - 1) <= bound + 1e-12)
    assert np.all(np.abs(air_mass(el, model="kasten-young") / flat - 1) < 1e-2)


def test_transmittance_is_zenith_transmittance_to_the_air_mass():
    el = np.radians([90.0, 30.0, 10.0])
    np.testing.assert_allclose(atmospheric_transmittance(0.8, el, model="flat"),
                               0.8 ** (1 / np.sin(el)), rtol=1e-14)
    assert atmospheric_transmittance(0.8, 0.0, model="flat") == 0.0
    with pytest.raises(ConfigError):
        atmospheric_transmittance(0.8, 1.0, model="curved")


# --- background light -----------------------------------------------------------------------


def test_background_photons_closed_form():
    radiance, fov, d, band, window = 2e-3, 150e-6, 1.2, 0.5, 2e-9
    # 2 pi (1 - cos(FOV/2)) by its series, exact here to far below double precision
    half = fov / 2
    solid = 2 * math.pi * (half**2 / 2 - half**4 / 24 + half**6 / 720)
    energy = PLANCK_CONSTANT_J_S * SPEED_OF_LIGHT_M_PER_S / LAMBDA
    expected = radiance * solid * math.pi * d**2 / 4 * band * window / energy
    got = background_photons_per_window(radiance, field_of_view_rad=fov, aperture_diameter_m=d,
                                        filter_bandwidth_nm=band, window_s=window,
                                        wavelength_m=LAMBDA)
    assert got == pytest.approx(expected, rel=1e-9)
    # small-angle solid angle pi (FOV/2)^2
    assert got == pytest.approx(expected * math.pi * (fov / 2) ** 2 / solid, rel=1e-8)


# --- the link budget ------------------------------------------------------------------------


def test_link_transmittance_is_the_product_of_its_parts():
    link = FreeSpaceLink(wavelength_m=LAMBDA, beam_waist_m=0.1, receiver_aperture_diameter_m=0.6,
                         pointing_jitter_rad=1e-6, zenith_transmittance=0.85,
                         turbulence=HufnagelValley(), receiver_efficiency=0.5,
                         air_mass_model="kasten-young")
    rng_m = np.array([[500e3], [1000e3]])
    el = np.radians([30.0, 60.0])
    got = link.transmittance(rng_m, el)
    assert got.shape == (2, 2)
    w = long_term_beam_radius_m(rng_m, el, beam_waist_m=0.1, wavelength_m=LAMBDA,
                                pointing_jitter_rad=1e-6, cn2=HufnagelValley())
    expected = (aperture_collection(w, 0.3) * 0.5
                * atmospheric_transmittance(0.85, el, model="kasten-young"))
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    np.testing.assert_allclose(link.loss_db(rng_m, el), -10 * np.log10(expected), rtol=1e-14)


def test_horizontal_link_extinction_per_km():
    link = FreeSpaceLink(wavelength_m=1550e-9, beam_waist_m=0.05,
                         receiver_aperture_diameter_m=100.0, extinction_db_per_km=0.2)
    # an aperture far wider than the beam collects it all: only the 0.2 dB/km remain
    assert link.loss_db(10e3, 0.0) == pytest.approx(2.0, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"beam_waist_m": 0.0}, "beam_waist_m"),
        ({"zenith_transmittance": 1.5}, "zenith_transmittance"),
        ({"pointing_jitter_rad": -1e-6}, "pointing_jitter_rad"),
        ({"air_mass_model": "round"}, "air_mass_model"),
    ],
)
def test_link_validation_names_the_field(kwargs, field):
    base = {"wavelength_m": LAMBDA, "beam_waist_m": 0.1, "receiver_aperture_diameter_m": 1.0}
    with pytest.raises(ConfigError) as exc:
        FreeSpaceLink(**{**base, **kwargs})
    assert exc.value.field == field


def test_link_is_frozen_and_hashable():
    link = FreeSpaceLink(wavelength_m=LAMBDA, beam_waist_m=0.1, receiver_aperture_diameter_m=1.0,
                         turbulence=HufnagelValley())
    with pytest.raises(AttributeError):
        link.beam_waist_m = 0.2
    assert hash(link) == hash(FreeSpaceLink(wavelength_m=LAMBDA, beam_waist_m=0.1,
                                            receiver_aperture_diameter_m=1.0,
                                            turbulence=HufnagelValley()))


def test_micius_downlink_budget_is_of_the_reported_order():
    """Liao et al., Nature 549, 43 (2017): the decoy-state QKD downlink from Micius to
    Xinglong lost about 22 dB at 645 km and about 40 dB near 1,200 km, as the figures
    are recalled: they could not be checked against a readable copy of the paper (only
    its abstract), so they guard the budget's order of magnitude, not a reproduction;
    docs/free-space.md ("The Micius check") says what the budget leaves out.

    From the paper: wavelength 850 nm, a beam divergence of about 10 urad (taken here
    as the full 1/e^2 angle, i.e. a 5 urad half-angle), the 1.0 m Xinglong telescope,
    an orbit near 500 km. Assumed: zenith transmittance 0.8 at 850 nm (clear
    continental sky), 0.5 urad per-axis pointing jitter, HV 5/7 turbulence, a station
    at 900 m, and receiving optics times detector efficiency 0.25 (two factors of about
    one half). Nothing is fitted.

    Tolerances: at 645 km (49 deg elevation) the unknown receiver efficiency and zenith
    transmittance (each uncertain by a factor of about 1.4) give +-3 dB. At 1,200 km
    (20 deg) the model is a lower bound on the loss: it leaves out what grows near the
    horizon (haze, scintillation and beam wander at the receiver's field stop, tracking
    at low elevation), so it must lie below the report, by at most 15 dB, and rise with
    range by at least the far-field 20 log10(1200/645) = 5.4 dB.
    """
    link = FreeSpaceLink.from_divergence(
        wavelength_m=850e-9, divergence_half_angle_rad=5e-6, receiver_aperture_diameter_m=1.0,
        pointing_jitter_rad=0.5e-6, zenith_transmittance=0.8, turbulence=HufnagelValley(),
        station_altitude_m=900.0, receiver_efficiency=0.25,
    )
    ranges = np.array([645e3, 1200e3])
    el = elevation_from_range_rad(ranges, 500e3)
    near, far = link.loss_db(ranges, el)
    assert near == pytest.approx(22.0, abs=3.0)
    assert 40.0 - 15.0 <= far <= 40.0
    assert far - near >= 20 * math.log10(1200 / 645)
