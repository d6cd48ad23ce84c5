"""Satellite orbits, ground stations, look angles, passes and darkness.

Two kinds of tools live here:

* closed forms for a spherical Earth and a circular orbit (slant range against elevation,
  orbital period, longest pass over a station), for link budgets and quick what-ifs;
* propagation of real orbits with SGP4 (Vallado et al., "Revisiting Spacetrack Report
  #3", AIAA 2006-6753, through the ``sgp4`` package) and the topocentric geometry and
  the Sun's position from Skyfield (Rhodes, ascl:1907.024), with the JPL DE421
  ephemeris and the built-in time scale files shipped in ``skyfield-data`` and
  ``skyfield``: nothing is downloaded at run time.

Times are a timezone-aware ``datetime`` ``start`` plus offsets in seconds
(``offsets_s``, any numpy shape); angles are radians except the geodetic latitude and
longitude of a station, which are given in degrees as every almanac quotes them.

Examples:
    >>> round(slant_range_m(math.pi / 2, 500e3) / 1e3, 6)
    500.0
    >>> round(circular_orbit_period_s(500e3) / 60, 2)
    94.47
"""

from __future__ import annotations

import functools
import importlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray

EARTH_MEAN_RADIUS_M = 6_371_008.8
"""IUGG mean radius R1 of the Earth (Moritz, Geodetic Reference System 1980)."""

EARTH_EQUATORIAL_RADIUS_M = 6_378_137.0
"""WGS84 semi-major axis."""

EARTH_GM_M3_PER_S2 = 3.986_004_418e14
"""Geocentric gravitational constant (IERS Conventions 2010, table 1.1)."""

EARTH_ROTATION_RAD_PER_S = 7.292_115e-5
"""Earth's rotation rate relative to the stars (WGS84)."""

_SGP4_EPOCH_ORIGIN = datetime(1949, 12, 31, tzinfo=UTC)
"""``sgp4init`` counts its epoch in days from 1949 December 31 00:00 UT."""


# --- closed forms for a spherical Earth -------------------------------------------------


def slant_range_m(
    elevation_rad: ArrayLike, altitude_m: ArrayLike, *, earth_radius_m: float = EARTH_MEAN_RADIUS_M
) -> float | FloatArray:
    """Distance from a station on a spherical Earth to a satellite at ``altitude_m``.

    From the triangle Earth centre–station–satellite (law of cosines):
    ``R = sqrt((Re + h)^2 - (Re cos el)^2) - Re sin el``; ``R = h`` at the zenith and
    ``sqrt((Re + h)^2 - Re^2)`` at the horizon (Wertz, *Space Mission Engineering: The
    New SMAD*, 2011, section 8.3).

    Examples:
        >>> round(slant_range_m(0.0, 500e3, earth_radius_m=6371e3) / 1e3, 1)
        2573.1
    """
    el = chk.checked("elevation_rad", elevation_rad, low=-math.pi / 2, high=math.pi / 2)
    h = chk.non_negative("altitude_m", altitude_m)
    re = chk.scalar("earth_radius_m", earth_radius_m)
    rs = re + h
    return chk.out(np.sqrt(rs**2 - (re * np.cos(el)) ** 2) - re * np.sin(el))


def elevation_from_range_rad(
    range_m: ArrayLike, altitude_m: ArrayLike, *, earth_radius_m: float = EARTH_MEAN_RADIUS_M
) -> float | FloatArray:
    """Elevation at which a satellite at ``altitude_m`` is seen at slant range ``range_m``.

    The inverse of :func:`slant_range_m`:
    ``sin el = ((Re + h)^2 - Re^2 - R^2) / (2 Re R)``.

    Raises:
        ConfigError: a range shorter than the altitude or longer than the horizon range.

    Examples:
        >>> round(math.degrees(elevation_from_range_rad(500e3, 500e3)), 9)
        90.0
    """
    r = chk.positive("range_m", range_m)
    h = chk.non_negative("altitude_m", altitude_m)
    re = chk.scalar("earth_radius_m", earth_radius_m)
    sin_el = ((re + h) ** 2 - re**2 - r**2) / (2.0 * re * r)
    # a little rounding slack at the zenith and the horizon, none beyond
    bad = (sin_el > 1.0 + 1e-12) | (sin_el < -1e-12)
    if np.any(bad):
        raise ConfigError("range_m", f"not reachable at this altitude, got "
                                     f"{chk.show(np.broadcast_to(r, bad.shape)[bad].flat[0])}")
    return chk.out(np.arcsin(np.clip(sin_el, 0.0, 1.0)))


def altitude_along_path_m(
    distance_m: ArrayLike,
    elevation_rad: ArrayLike,
    *,
    station_altitude_m: ArrayLike = 0.0,
    earth_radius_m: float = EARTH_MEAN_RADIUS_M,
) -> float | FloatArray:
    """Altitude of the point ``distance_m`` along a straight ray leaving a station.

    ``h(s) = sqrt(r^2 + s^2 + 2 r s sin el) - Re`` with ``r = Re + h0``; the Earth's
    curvature lifts a horizontal ray by about ``s^2 / (2 Re)``.

    Examples:
        >>> round(altitude_along_path_m(1e3, math.pi / 2, station_altitude_m=100.0), 6)
        1100.0
    """
    s = chk.non_negative("distance_m", distance_m)
    el = chk.checked("elevation_rad", elevation_rad, low=-math.pi / 2, high=math.pi / 2)
    h0 = chk.non_negative("station_altitude_m", station_altitude_m)
    re = chk.scalar("earth_radius_m", earth_radius_m)
    r = re + h0
    return chk.out(np.sqrt(r**2 + s**2 + 2.0 * r * s * np.sin(el)) - re)


def great_circle_distance_m(
    latitude_a_deg: ArrayLike,
    longitude_a_deg: ArrayLike,
    latitude_b_deg: ArrayLike,
    longitude_b_deg: ArrayLike,
    *,
    earth_radius_m: float = EARTH_MEAN_RADIUS_M,
) -> float | FloatArray:
    """Distance along the surface of a spherical Earth between two sites (haversine).

    ``d = 2 R atan2(sqrt(h), sqrt(1 - h))``, ``h = sin^2(dphi/2) + cos phi_a cos phi_b
    sin^2(dlambda/2)``
    (Sinnott, Sky & Telescope 68, 159 (1984)). On the WGS84 ellipsoid the geodesic
    differs by up to about 0.5 % (the flattening, 1/298.257).

    Examples:
        >>> round(great_circle_distance_m(0.0, 0.0, 0.0, 1.0) / 1e3, 3)
        111.195
    """
    phi_a = np.radians(chk.checked("latitude_a_deg", latitude_a_deg, low=-90.0, high=90.0))
    phi_b = np.radians(chk.checked("latitude_b_deg", latitude_b_deg, low=-90.0, high=90.0))
    dlam = np.radians(chk.checked("longitude_b_deg", longitude_b_deg)
                      - chk.checked("longitude_a_deg", longitude_a_deg))
    h = (np.sin((phi_b - phi_a) / 2.0) ** 2
         + np.cos(phi_a) * np.cos(phi_b) * np.sin(dlam / 2.0) ** 2)
    r = float(chk.positive("earth_radius_m", earth_radius_m))
    h = np.clip(h, 0.0, 1.0)
    # atan2 rather than asin: asin loses half the digits near the antipodes (h -> 1)
    return chk.out(2.0 * r * np.arctan2(np.sqrt(h), np.sqrt(1.0 - h)))


def earth_central_angle_rad(
    elevation_rad: ArrayLike, altitude_m: ArrayLike, *, earth_radius_m: float = EARTH_MEAN_RADIUS_M
) -> float | FloatArray:
    """Angle at the Earth's centre between a station and a satellite seen at ``elevation_rad``.

    ``psi = arccos(Re cos el / (Re + h)) - el`` (Wertz 2011, section 8.3).

    Examples:
        >>> earth_central_angle_rad(math.pi / 2, 500e3)
        0.0
    """
    el = chk.checked("elevation_rad", elevation_rad, low=0.0, high=math.pi / 2)
    h = chk.non_negative("altitude_m", altitude_m)
    re = chk.scalar("earth_radius_m", earth_radius_m)
    return chk.out(np.maximum(np.arccos(re * np.cos(el) / (re + h)) - el, 0.0))


def circular_orbit_period_s(
    altitude_m: ArrayLike,
    *,
    earth_radius_m: float = EARTH_MEAN_RADIUS_M,
    gm_m3_per_s2: float = EARTH_GM_M3_PER_S2,
) -> float | FloatArray:
    """Keplerian period ``2 pi sqrt(a^3 / GM)`` of a circular orbit, ``a = Re + h``.

    Examples:
        >>> round(circular_orbit_period_s(35_786e3, earth_radius_m=6378.137e3) / 3600, 3)
        23.934
    """
    h = chk.non_negative("altitude_m", altitude_m)
    a = chk.scalar("earth_radius_m", earth_radius_m) + h
    return chk.out(2.0 * np.pi * np.sqrt(a**3 / chk.scalar("gm_m3_per_s2", gm_m3_per_s2)))


def max_pass_duration_s(
    altitude_m: ArrayLike,
    *,
    min_elevation_rad: ArrayLike = 0.0,
    inclination_rad: float | None = None,
    latitude_rad: float = 0.0,
    earth_radius_m: float = EARTH_MEAN_RADIUS_M,
    gm_m3_per_s2: float = EARTH_GM_M3_PER_S2,
) -> float | FloatArray:
    """Duration of an overhead pass of a circular orbit above ``min_elevation_rad``.

    The satellite sweeps the central angle ``2 psi`` (:func:`earth_central_angle_rad`)
    at the angular rate of its ground track, ``T = 2 psi / omega``. With
    ``inclination_rad=None`` the Earth does not rotate and ``omega = n = sqrt(GM/a^3)``
    (Wertz 2011, section 8.3). Otherwise the track rate over a station at latitude
    ``phi`` follows from the satellite's angular velocity relative to the rotating
    Earth, ``|(n_vec - omega_E z) x r_hat|`` with ``r_hat . z = sin phi`` and
    ``n_vec . r_hat = 0``:
    ``omega^2 = n^2 - 2 n omega_E cos i + omega_E^2 cos^2 phi``.

    The rate is held constant over the pass and the track is taken as a great circle
    through the zenith: exact for an equatorial orbit over an equatorial station;
    elsewhere the rate and the track's curvature change little over the short arc of a
    low-orbit pass. J2 and drag are ignored.

    Examples:
        >>> round(max_pass_duration_s(500e3, min_elevation_rad=math.radians(10)) / 60, 2)
        7.38
    """
    psi = earth_central_angle_rad(min_elevation_rad, altitude_m, earth_radius_m=earth_radius_m)
    h = chk.non_negative("altitude_m", altitude_m)
    a = chk.scalar("earth_radius_m", earth_radius_m) + h
    n = np.sqrt(chk.scalar("gm_m3_per_s2", gm_m3_per_s2) / a**3)
    if inclination_rad is None:
        rate = n
    else:
        inc = float(chk.checked("inclination_rad", inclination_rad, low=0.0, high=math.pi))
        lat = float(chk.checked("latitude_rad", latitude_rad, low=-math.pi / 2,
                                high=math.pi / 2))
        w = EARTH_ROTATION_RAD_PER_S
        rate = np.sqrt(n**2 - 2.0 * n * w * math.cos(inc) + (w * math.cos(lat)) ** 2)
    return chk.out(2.0 * np.asarray(psi) / rate)


# --- the libraries, seen through the few calls made of them ----------------------------
# sgp4 and skyfield ship no type information; these protocols name what is used, and the
# modules are reached through importlib so that the casts below are the only untyped seam.


class _Satrec(Protocol):
    error: int
    epochyr: int
    epochdays: float

    def sgp4_array(
        self, jd: FloatArray, fr: FloatArray
    ) -> tuple[NDArray[np.uint8], FloatArray, FloatArray]: ...


@functools.cache
def _sgp4() -> Any:
    return importlib.import_module("sgp4.api")


@functools.cache
def _skyfield() -> Any:
    return importlib.import_module("skyfield.api")


@functools.cache
def _timescale() -> Any:
    # builtin=True: the leap-second and Delta-T tables packaged with skyfield itself
    return _skyfield().load.timescale(builtin=True)


@functools.cache
def _ephemeris() -> Any:
    # The DE421 file inside skyfield-data (valid 1900-2050); opened in place, never fetched.
    directory = str(files("skyfield_data") / "data")
    return _skyfield().Loader(directory, verbose=False)("de421.bsp")


def _utc(start: datetime) -> datetime:
    if not isinstance(start, datetime) or start.tzinfo is None:
        raise ConfigError("start", f"must be a timezone-aware datetime, got {start!r}")
    return start.astimezone(UTC)


def _times(start: datetime, offsets_s: ArrayLike) -> Any:
    t0 = _utc(start)
    dt = chk.checked("offsets_s", offsets_s)
    seconds = t0.second + t0.microsecond * 1e-6 + dt
    return _timescale().utc(t0.year, t0.month, t0.day, t0.hour, t0.minute, seconds)


# --- satellites and stations ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Satellite:
    """An Earth satellite given by a two-line element set, propagated with SGP4.

    Attributes:
        line1, line2: the two TLE lines (NORAD format).
        name: a label.

    Raises:
        ConfigError: lines SGP4 cannot read, or elements it refuses.

    Examples:
        >>> sat = Satellite.circular(altitude_m=500e3, inclination_rad=math.radians(97.4),
        ...                          raan_rad=0.0, argument_of_latitude_rad=0.0,
        ...                          epoch=datetime(2024, 1, 1, tzinfo=UTC))
        >>> sat.line2[:33]
        '2 99999  97.4000   0.0000 0000000'
        >>> sat.epoch.isoformat()
        '2024-01-01T00:00:00+00:00'
    """

    line1: str
    line2: str
    name: str = ""
    _satrec: _Satrec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("line1", "line2"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(name, f"must be a string, got {getattr(self, name)!r}")
        try:
            satrec = cast(_Satrec, _sgp4().Satrec.twoline2rv(self.line1, self.line2))
        except (ValueError, IndexError) as exc:
            raise ConfigError("line1", f"not a readable TLE: {exc}") from None
        if satrec.error:
            raise ConfigError("line2", f"SGP4 refuses these elements (error {satrec.error})")
        object.__setattr__(self, "_satrec", satrec)

    @classmethod
    def circular(
        cls,
        *,
        altitude_m: float,
        inclination_rad: float,
        raan_rad: float,
        argument_of_latitude_rad: float,
        epoch: datetime,
        name: str = "",
        catalogue_number: int = 99999,
    ) -> Satellite:
        """A circular orbit at ``altitude_m`` above the WGS72 equatorial radius.

        The mean motion is Keplerian, ``n = sqrt(mu / a^3)`` with SGP4's own WGS72
        constants, so SGP4 holds the mean altitude close to ``altitude_m``; no drag.
        The satellite is at ``argument_of_latitude_rad`` (angle from the ascending node
        along the orbit) at ``epoch``. The elements go through ``sgp4init`` and come back
        as the equivalent TLE text, so every satellite is described the same way.
        """
        h = float(chk.non_negative("altitude_m", altitude_m))
        inc = float(chk.checked("inclination_rad", inclination_rad, low=0.0, high=math.pi))
        raan = float(chk.checked("raan_rad", raan_rad)) % (2 * math.pi)
        u = float(chk.checked("argument_of_latitude_rad", argument_of_latitude_rad)) % (
            2 * math.pi)
        api = _sgp4()
        const = importlib.import_module("sgp4.earth_gravity").wgs72
        a_km = const.radiusearthkm + h / 1e3
        n_rad_per_min = math.sqrt(const.mu / a_km**3) * 60.0
        epoch_days = (_utc(epoch) - _SGP4_EPOCH_ORIGIN) / timedelta(days=1)
        satrec = api.Satrec()
        satrec.sgp4init(api.WGS72, "i", catalogue_number, epoch_days, 0.0, 0.0, 0.0,
                        0.0, 0.0, inc, u, n_rad_per_min, raan)
        exporter = importlib.import_module("sgp4.exporter")
        line1, line2 = exporter.export_tle(satrec)
        return cls(str(line1), str(line2), name)

    @property
    def epoch(self) -> datetime:
        """The epoch of the elements, in UTC (rounded to the microsecond)."""
        # the TLE convention: a two-digit year (57-99 for 1957-1999) and day of year from 1.0
        yy = self._satrec.epochyr
        year = 1900 + yy if yy >= 57 else 2000 + yy
        return datetime(year, 1, 1, tzinfo=UTC) + timedelta(days=self._satrec.epochdays - 1.0)

    def position_teme_m(self, start: datetime, offsets_s: ArrayLike) -> FloatArray:
        """SGP4 position in the TEME frame, metres, shape ``offsets.shape + (3,)``.

        Raises:
            ConfigError: SGP4 fails at some time (the orbit decayed).
        """
        t0 = _utc(start)
        dt = chk.checked("offsets_s", offsets_s)
        jd0 = (t0 - datetime(2000, 1, 1, 12, tzinfo=UTC)) / timedelta(days=1) + 2451545.0
        whole = math.floor(jd0)
        frac = (jd0 - whole) + dt.ravel() / 86400.0
        err, r_km, _ = self._satrec.sgp4_array(np.full(frac.shape, float(whole)), frac)
        if np.any(err):
            raise ConfigError("offsets_s", f"SGP4 fails (error {int(err[err != 0][0])})")
        return np.asarray(r_km, dtype=np.float64).reshape((*dt.shape, 3)) * 1e3

    def __reduce__(self) -> tuple[type[Satellite], tuple[str, str, str]]:
        # the SGP4 record does not pickle; the TLE text rebuilds it (sweeps ship objects)
        return (Satellite, (self.line1, self.line2, self.name))

    def _sky(self) -> Any:
        return _skyfield().EarthSatellite.from_satrec(self._satrec, _timescale())


@dataclass(frozen=True, slots=True)
class GroundStation:
    """A site on the WGS84 ellipsoid.

    Attributes:
        latitude_deg: geodetic latitude in degrees, north positive.
        longitude_deg: longitude in degrees, east positive.
        altitude_m: height above the ellipsoid in metres.
        name: a label.

    Examples:
        >>> GroundStation(latitude_deg=40.4, longitude_deg=117.6, altitude_m=900).altitude_m
        900.0
    """

    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    name: str = ""

    def __post_init__(self) -> None:
        chk.set_field(self, "latitude_deg", low=-90.0, high=90.0)
        chk.set_field(self, "longitude_deg", low=-180.0, high=360.0)
        chk.set_field(self, "altitude_m", low=-500.0)

    def _sky(self) -> Any:
        return _skyfield().wgs84.latlon(self.latitude_deg, self.longitude_deg,
                                        elevation_m=self.altitude_m)


# --- geometry over a time grid ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LookAngles:
    """Where a station sees a satellite, one entry per time offset.

    Attributes:
        offsets_s: the time offsets from the start, seconds.
        elevation_rad: elevation above the local horizon (ellipsoid normal).
        azimuth_rad: azimuth from north through east, in [0, 2 pi).
        range_m: slant range in metres.

    Examples:
        >>> la = LookAngles(np.zeros(1), np.full(1, 0.5), np.zeros(1), np.full(1, 7e5))
        >>> float(la.range_m[0])
        700000.0
    """

    offsets_s: FloatArray
    elevation_rad: FloatArray
    azimuth_rad: FloatArray
    range_m: FloatArray


def look_angles(
    satellite: Satellite, station: GroundStation, start: datetime, offsets_s: ArrayLike
) -> LookAngles:
    """Elevation, azimuth and slant range of ``satellite`` from ``station`` over time.

    SGP4 positions are turned into the station's horizon frame by Skyfield (TEME to
    ITRS through the GMST of IAU 1982 and UT1 from its built-in tables). Light-time
    is not applied: the satellite is where SGP4 puts it at the given instant.

    Examples:
        >>> sat = Satellite.circular(altitude_m=500e3, inclination_rad=0.0, raan_rad=0.0,
        ...                          argument_of_latitude_rad=0.0,
        ...                          epoch=datetime(2024, 1, 1, tzinfo=UTC))
        >>> la = look_angles(sat, GroundStation(0.0, 0.0), sat.epoch, [0.0, 60.0])
        >>> la.range_m.shape
        (2,)
    """
    dt = chk.checked("offsets_s", offsets_s)
    t = _times(start, dt)
    alt, az, dist = (satellite._sky() - station._sky()).at(t).altaz()
    return LookAngles(
        offsets_s=np.asarray(dt, dtype=np.float64),
        elevation_rad=np.asarray(alt.radians, dtype=np.float64),
        azimuth_rad=np.asarray(az.radians, dtype=np.float64),
        range_m=np.asarray(dist.m, dtype=np.float64),
    )


@dataclass(frozen=True, slots=True)
class Pass:
    """One pass of a satellite above a minimum elevation, times in seconds after the start.

    Attributes:
        rise_s: when the elevation climbs through the minimum.
        culmination_s: when the elevation is highest.
        set_s: when it falls through the minimum again.
        max_elevation_rad: the elevation at culmination.

    Examples:
        >>> Pass(rise_s=100.0, culmination_s=320.0, set_s=540.0, max_elevation_rad=1.2).duration_s
        440.0
    """

    rise_s: float
    culmination_s: float
    set_s: float
    max_elevation_rad: float

    @property
    def duration_s(self) -> float:
        """Time spent above the minimum elevation."""
        return self.set_s - self.rise_s


def find_passes(
    satellite: Satellite,
    station: GroundStation,
    start: datetime,
    duration_s: float,
    *,
    min_elevation_rad: float = 0.0,
    step_s: float = 10.0,
    tolerance_s: float = 1e-3,
) -> list[Pass]:
    """Passes of ``satellite`` above ``min_elevation_rad`` that rise and set in the window.

    The elevation is sampled every ``step_s``; each crossing of the minimum is refined
    by bisection and each culmination by golden-section search, all brackets at once,
    to ``tolerance_s``. A pass shorter than ``step_s`` can fall between two samples,
    and a pass already up at the start or still up at the end is left out: widen the
    window to catch it.

    Examples:
        >>> sat = Satellite.circular(altitude_m=500e3, inclination_rad=0.0, raan_rad=0.0,
        ...                          argument_of_latitude_rad=0.0,
        ...                          epoch=datetime(2024, 1, 1, tzinfo=UTC))
        >>> passes = find_passes(sat, GroundStation(0.0, 0.0), sat.epoch, 7200.0)
        >>> len(passes)
        1
    """
    span = float(chk.positive("duration_s", duration_s))
    step = float(chk.positive("step_s", step_s))
    tol = float(chk.positive("tolerance_s", tolerance_s))
    floor = float(chk.checked("min_elevation_rad", min_elevation_rad, low=-math.pi / 2,
                              high=math.pi / 2))

    def height(t: FloatArray) -> FloatArray:
        return look_angles(satellite, station, start, t).elevation_rad - floor

    grid = np.append(np.arange(0.0, span, step), span)
    el_grid = height(grid)
    up = el_grid > 0.0
    change = np.flatnonzero(up[1:] != up[:-1])
    if change.size == 0:
        return []
    # bisection of every crossing at once; a rise has the satellite up at the right end
    lo, hi = grid[change], grid[change + 1]
    rising = up[change + 1]
    for _ in range(max(1, math.ceil(math.log2(step / tol)))):
        mid = 0.5 * (lo + hi)
        above = height(mid) > 0.0
        right = above == rising
        hi = np.where(right, mid, hi)
        lo = np.where(right, lo, mid)
    crossing = 0.5 * (lo + hi)
    rises = [(c, i) for c, i, r in zip(crossing, change, rising, strict=True) if r]
    sets = [(c, i) for c, i, r in zip(crossing, change, rising, strict=True) if not r]
    pairs: list[tuple[float, float, int, int]] = []
    for c_rise, j_rise in rises:
        later = [(c, i) for c, i in sets if c > c_rise]
        if later:
            c_set, j_set = later[0]
            pairs.append((float(c_rise), float(c_set), int(j_rise), int(j_set)))
    if not pairs:
        return []
    # golden-section search around the highest sample of each pass, clipped to the pass
    a = np.empty(len(pairs))
    b = np.empty(len(pairs))
    for k, (t_up, t_down, i_up, i_down) in enumerate(pairs):
        top = i_up + 1 + int(np.argmax(el_grid[i_up + 1:i_down + 1]))
        a[k] = max(t_up, grid[top] - step)
        b[k] = min(t_down, grid[top] + step)
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(max(1, math.ceil(math.log(max(b - a) / tol) / -math.log(ratio)))):
        c = b - ratio * (b - a)
        d = a + ratio * (b - a)
        fc_fd = height(np.concatenate([c, d]))
        left = fc_fd[: len(c)] > fc_fd[len(c):]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
    culmination = 0.5 * (a + b)
    peak = height(culmination) + floor
    return [
        Pass(rise_s=t_up, culmination_s=float(tc), set_s=t_down, max_elevation_rad=float(p))
        for (t_up, t_down, _, _), tc, p in zip(pairs, culmination, peak, strict=True)
    ]


def sun_elevation_rad(station: GroundStation, start: datetime, offsets_s: ArrayLike) -> FloatArray:
    """Apparent elevation of the Sun's centre seen from ``station`` (DE421 ephemeris).

    Light-time and aberration are applied; refraction is not.

    Examples:
        >>> noon = datetime(2024, 3, 20, 12, 7, tzinfo=UTC)
        >>> round(math.degrees(float(sun_elevation_rad(GroundStation(0.0, 0.0), noon, 0.0))))
        90
    """
    dt = chk.checked("offsets_s", offsets_s)
    eph = _ephemeris()
    observer = eph["earth"] + station._sky()
    alt, _, _ = observer.at(_times(start, dt)).observe(eph["sun"]).apparent().altaz()
    return np.asarray(alt.radians, dtype=np.float64)


def is_dark(
    station: GroundStation,
    start: datetime,
    offsets_s: ArrayLike,
    *,
    sun_elevation_limit_rad: float = math.radians(-12.0),
) -> NDArray[np.bool_]:
    """Whether the Sun is below ``sun_elevation_limit_rad`` (-12 deg: nautical dusk).

    Examples:
        >>> midnight = datetime(2024, 3, 20, 0, 7, tzinfo=UTC)
        >>> bool(is_dark(GroundStation(0.0, 0.0), midnight, 0.0))
        True
    """
    limit = float(chk.checked("sun_elevation_limit_rad", sun_elevation_limit_rad,
                              low=-math.pi / 2, high=math.pi / 2))
    return np.asarray(sun_elevation_rad(station, start, offsets_s) < limit)
