"""Orbits: spherical-Earth closed forms, SGP4 and Skyfield wrappers against the libraries
themselves and against an independent frame transformation, passes and darkness."""

from __future__ import annotations

import math
import pickle
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sgp4.api import Satrec
from sgp4.propagation import gstime
from skyfield.api import EarthSatellite, load, wgs84

from qinet.errors import ConfigError
from qinet.physical.orbits import (
    EARTH_EQUATORIAL_RADIUS_M,
    EARTH_GM_M3_PER_S2,
    EARTH_MEAN_RADIUS_M,
    GroundStation,
    Satellite,
    circular_orbit_period_s,
    earth_central_angle_rad,
    elevation_from_range_rad,
    find_passes,
    is_dark,
    look_angles,
    max_pass_duration_s,
    slant_range_m,
    sun_elevation_rad,
)

# An ISS element set (epoch 2024-01-01 12:00 UTC) in the NORAD format.
ISS_L1 = "1 25544U 98067A   24001.50000000  .00016717  00000-0  10270-3 0  9005"
ISS_L2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.50377579 1000"
START = datetime(2024, 1, 1, 12, tzinfo=UTC)
XINGLONG = GroundStation(latitude_deg=40.4, longitude_deg=117.6, altitude_m=900.0)
J2000 = datetime(2000, 1, 1, 12, tzinfo=UTC)


def _jd(t: datetime) -> float:
    return (t - J2000) / timedelta(days=1) + 2451545.0


# --- closed forms -------------------------------------------------------------------------


@pytest.mark.parametrize("h", [300e3, 500e3, 1200e3])
def test_slant_range_is_the_altitude_at_the_zenith_and_the_tangent_at_the_horizon(h):
    re = EARTH_MEAN_RADIUS_M
    assert slant_range_m(math.pi / 2, h) == pytest.approx(h, rel=1e-12)
    assert slant_range_m(0.0, h) == pytest.approx(math.sqrt((re + h) ** 2 - re**2), rel=1e-12)


def test_elevation_from_range_inverts_slant_range():
    el = np.radians(np.linspace(0.0, 90.0, 19))
    back = elevation_from_range_rad(slant_range_m(el, 500e3), 500e3)
    np.testing.assert_allclose(back, el, atol=1e-7)


def test_a_range_beyond_the_horizon_is_refused():
    with pytest.raises(ConfigError) as exc:
        elevation_from_range_rad(5000e3, 500e3)
    assert exc.value.field == "range_m"


def test_central_angle_at_the_horizon_is_the_tangent_angle():
    re, h = EARTH_MEAN_RADIUS_M, 500e3
    assert earth_central_angle_rad(0.0, h) == pytest.approx(math.acos(re / (re + h)), rel=1e-14)
    assert earth_central_angle_rad(math.pi / 2, h) == 0.0


def test_period_is_keplers_third_law():
    a = EARTH_MEAN_RADIUS_M + 500e3
    assert circular_orbit_period_s(500e3) == pytest.approx(
        2 * math.pi * math.sqrt(a**3 / EARTH_GM_M3_PER_S2), rel=1e-15)


def test_pass_duration_without_rotation_is_the_central_angle_over_the_mean_motion():
    h, el = 500e3, math.radians(10)
    n = 2 * math.pi / circular_orbit_period_s(h)
    psi = earth_central_angle_rad(el, h)
    assert max_pass_duration_s(h, min_elevation_rad=el) == pytest.approx(2 * psi / n, rel=1e-14)


def test_rotation_lengthens_prograde_and_shortens_retrograde_passes():
    h = 500e3
    still = max_pass_duration_s(h)
    pro = max_pass_duration_s(h, inclination_rad=0.0)
    retro = max_pass_duration_s(h, inclination_rad=math.pi)
    n = 2 * math.pi / circular_orbit_period_s(h)
    w = 7.292115e-5
    # equatorial orbits over an equatorial station: the track rate is exactly n -+ w_E
    assert pro == pytest.approx(still * n / (n - w), rel=1e-12)
    assert retro == pytest.approx(still * n / (n + w), rel=1e-12)


# --- SGP4 and Skyfield ----------------------------------------------------------------------


def test_positions_are_sgp4s_own():
    sat = Satellite(ISS_L1, ISS_L2, "ISS")
    offsets = np.array([0.0, 60.0, 3600.0, 86400.0])
    ref = Satrec.twoline2rv(ISS_L1, ISS_L2)
    for dt, got in zip(offsets, sat.position_teme_m(START, offsets), strict=True):
        jd = _jd(START + timedelta(seconds=float(dt)))
        err, r_km, _ = ref.sgp4(math.floor(jd), jd - math.floor(jd))
        assert err == 0
        # the split of the Julian date differs (whole day vs. the TLE's), hence 1 mm
        np.testing.assert_allclose(got, np.array(r_km) * 1e3, atol=1e-3)


def test_position_keeps_the_shape_of_the_offsets():
    sat = Satellite(ISS_L1, ISS_L2)
    assert sat.position_teme_m(START, np.zeros((2, 3))).shape == (2, 3, 3)
    assert sat.epoch == START


def test_look_angles_match_an_independent_frame_transformation():
    """TEME -> Earth-fixed by the GMST of IAU 1982 (Vallado et al. 2006, eq. 12 of
    Spacetrack Report #3's revision), WGS84 station coordinates, then east-north-up.
    UT1 is taken from Skyfield's built-in table so that both sides use the same Earth
    rotation angle; the rest is independent and agrees to well under a metre."""
    sat = Satellite(ISS_L1, ISS_L2)
    offsets = np.arange(0.0, 6000.0, 30.0)
    got = look_angles(sat, XINGLONG, START, offsets)
    ts = load.timescale(builtin=True)
    ut1 = ts.utc(2024, 1, 1, 12, 0, offsets).ut1
    theta = np.array([gstime(j) for j in ut1])
    r = sat.position_teme_m(START, offsets)
    x = np.cos(theta) * r[:, 0] + np.sin(theta) * r[:, 1]
    y = -np.sin(theta) * r[:, 0] + np.cos(theta) * r[:, 1]
    z = r[:, 2]
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    lat, lon, h = math.radians(40.4), math.radians(117.6), 900.0
    n_rad = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    station = np.array([(n_rad + h) * math.cos(lat) * math.cos(lon),
                        (n_rad + h) * math.cos(lat) * math.sin(lon),
                        (n_rad * (1 - e2) + h) * math.sin(lat)])
    d = np.stack([x, y, z], axis=-1) - station
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon),
                      math.cos(lat)])
    up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
    rng = np.linalg.norm(d, axis=-1)
    np.testing.assert_allclose(got.range_m, rng, atol=0.1)
    np.testing.assert_allclose(got.elevation_rad, np.arcsin(d @ up / rng), atol=1e-7)
    az = np.arctan2(d @ east, d @ north)
    np.testing.assert_allclose(np.angle(np.exp(1j * (got.azimuth_rad - az))), 0.0, atol=1e-6)


def test_passes_match_skyfields_find_events():
    sat = Satellite(ISS_L1, ISS_L2)
    floor = math.radians(10.0)
    # from 03:00 to 06:40 UTC on 2 January: three passes over Xinglong
    start = START + timedelta(hours=15)
    passes = find_passes(sat, XINGLONG, start, 13_200.0, min_elevation_rad=floor)
    ts = load.timescale(builtin=True)
    ref = EarthSatellite(ISS_L1, ISS_L2, "ISS", ts)
    t0 = ts.utc(2024, 1, 2, 3)
    times, kinds = ref.find_events(wgs84.latlon(40.4, 117.6, elevation_m=900.0), t0,
                                   ts.utc(2024, 1, 2, 3, 0, 13_200.0), altitude_degrees=10.0)
    offsets = (times - t0) * 86400.0
    assert list(kinds) == [0, 1, 2] * len(passes)
    assert len(passes) == 3
    for k, p in enumerate(passes):
        # Skyfield refines its events to about a second
        assert p.rise_s == pytest.approx(offsets[3 * k], abs=1.0)
        assert p.culmination_s == pytest.approx(offsets[3 * k + 1], abs=1.0)
        assert p.set_s == pytest.approx(offsets[3 * k + 2], abs=1.0)
        # and the pass finder's own crossings sit on the minimum elevation
        edge = look_angles(sat, XINGLONG, start, [p.rise_s, p.set_s]).elevation_rad
        np.testing.assert_allclose(edge, floor, atol=1e-5)
        top = look_angles(sat, XINGLONG, start, [p.culmination_s - 5, p.culmination_s + 5])
        assert np.all(top.elevation_rad < p.max_elevation_rad)


@pytest.mark.parametrize(("inclination_deg", "min_elevation_deg"),
                         [(0.0, 10.0), (97.4, 10.0), (97.4, 30.0)])
def test_overhead_pass_of_a_500_km_circular_orbit_lasts_the_closed_form(
        inclination_deg, min_elevation_deg):
    """SGP4 holds the satellite near but not at the Keplerian circle: J2 (1.08e-3) moves
    the radius by up to about +-8 km (about 1.5 J2 a sin^2 i) and the angular rate by a
    few 1e-4. At 30 deg minimum elevation 8 km changes the central angle by 1.4 %, hence
    a 2 % tolerance. The rotating-Earth term matters: for the equatorial orbit the
    non-rotating formula is 6.6 % off, outside the tolerance."""
    epoch = datetime(2024, 3, 1, tzinfo=UTC)
    # the ascending node at the Greenwich meridian at the epoch: overhead (0 N, 0 E)
    sat = Satellite.circular(altitude_m=500e3, inclination_rad=math.radians(inclination_deg),
                             raan_rad=gstime(_jd(epoch)), argument_of_latitude_rad=0.0,
                             epoch=epoch)
    station = GroundStation(latitude_deg=0.0, longitude_deg=0.0)
    floor = math.radians(min_elevation_deg)
    (p,) = find_passes(sat, station, epoch - timedelta(minutes=15), 1800.0,
                       min_elevation_rad=floor)
    assert p.max_elevation_rad > math.radians(89.5)
    expected = max_pass_duration_s(500e3, min_elevation_rad=floor,
                                   inclination_rad=math.radians(inclination_deg),
                                   earth_radius_m=EARTH_EQUATORIAL_RADIUS_M)
    assert p.duration_s == pytest.approx(expected, rel=0.02)
    if inclination_deg == 0.0:
        still = max_pass_duration_s(500e3, min_elevation_rad=floor,
                                    earth_radius_m=EARTH_EQUATORIAL_RADIUS_M)
        assert abs(p.duration_s / still - 1) > 0.04


def test_circular_orbit_becomes_an_equivalent_tle():
    epoch = datetime(2024, 3, 1, 6, tzinfo=UTC)
    sat = Satellite.circular(altitude_m=500e3, inclination_rad=math.radians(97.4),
                             raan_rad=1.0, argument_of_latitude_rad=0.5, epoch=epoch,
                             name="micius-like")
    again = Satellite(sat.line1, sat.line2, "micius-like")
    assert again == sat
    assert sat.epoch == epoch
    radius = np.linalg.norm(sat.position_teme_m(epoch, np.arange(0.0, 6000.0, 60.0)), axis=-1)
    # within the J2 excursions described above
    assert np.all(np.abs(radius - (6378.135e3 + 500e3)) < 10e3)


def test_unreadable_or_naive_inputs_are_config_errors():
    with pytest.raises(ConfigError):
        Satellite("1 garbage", "2 garbage")
    sat = Satellite(ISS_L1, ISS_L2)
    with pytest.raises(ConfigError) as exc:
        look_angles(sat, XINGLONG, datetime(2024, 1, 1), [0.0])
    assert exc.value.field == "start"
    with pytest.raises(ConfigError) as exc:
        GroundStation(latitude_deg=91.0, longitude_deg=0.0)
    assert exc.value.field == "latitude_deg"


# --- the Sun ----------------------------------------------------------------------------


def test_sun_is_overhead_at_equinox_noon_and_far_below_at_midnight():
    # March equinox 2024: 03:06 UTC on the 20th; at 12:07 UTC (equation of time about
    # -7.5 min) the Sun crosses the Greenwich meridian within about 0.1 deg of the equator.
    station = GroundStation(latitude_deg=0.0, longitude_deg=0.0)
    noon = datetime(2024, 3, 20, 12, 7, tzinfo=UTC)
    el = sun_elevation_rad(station, noon, [0.0, 12 * 3600.0])
    assert math.degrees(el[0]) == pytest.approx(90.0, abs=0.5)
    assert math.degrees(el[1]) == pytest.approx(-90.0, abs=0.5)


def test_darkness_follows_the_sun_elevation_limit():
    offsets = np.arange(0.0, 86400.0, 600.0)
    el = sun_elevation_rad(XINGLONG, START, offsets)
    dark = is_dark(XINGLONG, START, offsets)
    np.testing.assert_array_equal(dark, el < math.radians(-12.0))
    # a January day at 40 N: about 9.5 h of sunlight, and dark (Sun below -12 deg) for
    # roughly 12-13 h
    assert 11.0 < dark.mean() * 24 < 14.0


def test_satellites_pickle_through_their_tle_text():
    sat = Satellite(ISS_L1, ISS_L2, "ISS")
    back = pickle.loads(pickle.dumps(sat))
    assert back == sat
    np.testing.assert_array_equal(back.position_teme_m(START, [0.0, 600.0]),
                                  sat.position_teme_m(START, [0.0, 600.0]))


def test_great_circle_distance_closed_forms():
    from qinet.physical.orbits import EARTH_MEAN_RADIUS_M, great_circle_distance_m

    quarter = math.pi * EARTH_MEAN_RADIUS_M / 2
    assert great_circle_distance_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(quarter, rel=1e-12)
    assert great_circle_distance_m(0.0, 10.0, 0.0, 100.0) == pytest.approx(quarter, rel=1e-12)
    # antipodes: 1 - h keeps about half of the double's digits there
    assert great_circle_distance_m(40.0, 117.0, -40.0, -63.0) == pytest.approx(
        2 * quarter, rel=1e-7)
    a = great_circle_distance_m(37.4, 97.7, 43.5, 87.2)
    assert a == pytest.approx(great_circle_distance_m(43.5, 87.2, 37.4, 97.7), rel=1e-15)
    assert great_circle_distance_m(12.0, 34.0, 12.0, 34.0) == 0.0
