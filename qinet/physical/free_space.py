"""Free-space optical links: Gaussian beams, pointing, turbulence, atmosphere, background.

A photon sent from a telescope of beam waist ``w0`` over a range ``z`` reaches a
receiving telescope of aperture radius ``a`` with probability

``T = eta_geo(w_LT) * T_atm(el) * eta_rx``,

where ``eta_geo = 1 - exp(-2 a^2 / w_LT^2)`` is the share of a Gaussian spot of radius
``w_LT`` that the aperture collects, ``w_LT`` the long-term spot radius (diffraction,
pointing jitter and turbulence, :func:`long_term_beam_radius_m`), ``T_atm`` the
transmittance of the atmosphere along the slant path (:func:`atmospheric_transmittance`)
and ``eta_rx`` the efficiency of the receiving optics. This is the link budget of
Bourgoin et al., New J. Phys. 15, 023006 (2013), section 3, with the turbulence model of
Andrews & Phillips, *Laser Beam Propagation through Random Media*, 2nd ed. (SPIE 2005),
chapter 12. It is the mean (long-term) transmittance; the spread of the instantaneous
transmittance (fading, Vasylyev et al., Phys. Rev. Lett. 117, 090501 (2016)) is not
modelled here.

Beam radii are 1/e^2 intensity radii; the divergence is the 1/e^2 half-angle.

Examples:
    >>> link = FreeSpaceLink(wavelength_m=850e-9, beam_waist_m=0.05,
    ...                      receiver_aperture_diameter_m=1.0)
    >>> round(float(link.loss_db(500e3, math.pi / 2)), 2)
    11.8
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import chndtr

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray
from qinet.physical.fibre import photon_energy_j
from qinet.physical.orbits import EARTH_MEAN_RADIUS_M, altitude_along_path_m

AirMassModel = Literal["flat", "spherical", "kasten-young"]

HOMOGENEOUS_ATMOSPHERE_HEIGHT_M = 8_435.0
"""Height of an atmosphere of uniform sea-level density holding the same air (Schoenberg
1929; used by the spherical-shell air mass)."""

# --- Gaussian beams ---------------------------------------------------------------------


def rayleigh_range_m(beam_waist_m: ArrayLike, wavelength_m: ArrayLike) -> float | FloatArray:
    """``z_R = pi w0^2 / lambda`` (Siegman, *Lasers*, 1986, eq. 17.5).

    Examples:
        >>> round(rayleigh_range_m(0.05, 850e-9) / 1e3, 3)
        9.24
    """
    w0 = chk.positive("beam_waist_m", beam_waist_m)
    lam = chk.positive("wavelength_m", wavelength_m)
    return chk.out(np.pi * w0**2 / lam)


def beam_radius_m(
    range_m: ArrayLike, beam_waist_m: ArrayLike, wavelength_m: ArrayLike
) -> float | FloatArray:
    """Radius of a Gaussian beam ``range_m`` from its waist: ``w0 sqrt(1 + (z/z_R)^2)``.

    Far beyond the Rayleigh range, ``w -> lambda z / (pi w0)`` (Siegman 1986, ch. 17).

    Examples:
        >>> round(beam_radius_m(0.0, 0.05, 850e-9), 12)
        0.05
    """
    z = chk.non_negative("range_m", range_m)
    w0 = chk.positive("beam_waist_m", beam_waist_m)
    z_r = np.pi * w0**2 / chk.positive("wavelength_m", wavelength_m)
    return chk.out(w0 * np.sqrt(1.0 + (z / z_r) ** 2))


def divergence_half_angle_rad(
    beam_waist_m: ArrayLike, wavelength_m: ArrayLike
) -> float | FloatArray:
    """Far-field 1/e^2 half-angle of a Gaussian beam, ``theta = lambda / (pi w0)``.

    Examples:
        >>> round(divergence_half_angle_rad(0.15, 850e-9) * 1e6, 3)
        1.804
    """
    w0 = chk.positive("beam_waist_m", beam_waist_m)
    return chk.out(chk.positive("wavelength_m", wavelength_m) / (np.pi * w0))


def beam_waist_from_divergence_m(
    divergence_half_angle_rad: ArrayLike, wavelength_m: ArrayLike
) -> float | FloatArray:
    """The waist whose far-field 1/e^2 half-angle is the given one, ``lambda / (pi theta)``.

    A transmitter defocused on purpose (to relax pointing) is described this way by the
    divergence it produces, whatever its aperture.

    Examples:
        >>> round(beam_waist_from_divergence_m(5e-6, 850e-9) * 1e3, 3)
        54.113
    """
    theta = chk.positive("divergence_half_angle_rad", divergence_half_angle_rad)
    return chk.out(chk.positive("wavelength_m", wavelength_m) / (np.pi * theta))


def aperture_collection(
    beam_radius_m: ArrayLike, aperture_radius_m: ArrayLike
) -> float | FloatArray:
    """Share of a centred Gaussian beam inside a circular aperture: ``1 - exp(-2a^2/w^2)``.

    For ``w >> a`` this is ``2 a^2 / w^2``: the aperture area over the beam's effective
    area ``pi w^2 / 2``.

    Examples:
        >>> round(aperture_collection(1.0, 1.0), 6)
        0.864665
    """
    w = chk.positive("beam_radius_m", beam_radius_m)
    a = chk.non_negative("aperture_radius_m", aperture_radius_m)
    return chk.out(-np.expm1(-2.0 * a**2 / w**2))


def offset_aperture_collection(
    beam_radius_m: ArrayLike, aperture_radius_m: ArrayLike, offset_m: ArrayLike
) -> float | FloatArray:
    """Share of a Gaussian beam whose centre misses the aperture's centre by ``offset_m``.

    The beam's intensity is a 2-D normal density of per-axis deviation ``s = w/2``, so
    the collected share is the probability that such a point falls within ``a``: a
    non-central chi-square CDF with 2 degrees of freedom,
    ``F(4 a^2 / w^2; k=2, nc=4 d^2 / w^2)`` (``1 - Q_1(2d/w, 2a/w)``, Marcum's Q).

    Examples:
        >>> offset_aperture_collection(1.0, 1.0, 0.0) == aperture_collection(1.0, 1.0)
        True
    """
    w = chk.positive("beam_radius_m", beam_radius_m)
    a = chk.non_negative("aperture_radius_m", aperture_radius_m)
    d = chk.non_negative("offset_m", offset_m)
    centred = -np.expm1(-2.0 * a**2 / w**2)
    shifted = np.asarray(chndtr(4.0 * a**2 / w**2, 2.0, 4.0 * d**2 / w**2), dtype=np.float64)
    return chk.out(np.where(d == 0.0, centred, shifted))


def jitter_broadened_radius_m(
    beam_radius_m: ArrayLike, pointing_jitter_rad: ArrayLike, range_m: ArrayLike
) -> float | FloatArray:
    """Long-term spot radius of a beam pointed with Gaussian jitter: ``sqrt(w^2 + 4 (sigma z)^2)``.

    ``sigma`` is the standard deviation of the pointing error on each of the two axes,
    so the radial offset is Rayleigh distributed with scale ``sigma z``. The spot
    averaged over the jitter is the beam convolved with that 2-D normal distribution;
    per-axis variances add, ``w_eff^2 / 4 = w^2 / 4 + (sigma z)^2``, and the averaged
    spot is again Gaussian. Hence the mean collected share is exactly
    ``1 - exp(-2 a^2 / w_eff^2)``: the average of :func:`offset_aperture_collection`
    over the offsets (the same long-term broadening as beam wander in Andrews &
    Phillips 2005, section 6.4, with ``<r_c^2> = 2 (sigma z)^2``).

    Examples:
        >>> round(jitter_broadened_radius_m(3.0, 2e-6, 1e6), 6)
        5.0
    """
    w = chk.positive("beam_radius_m", beam_radius_m)
    sigma = chk.non_negative("pointing_jitter_rad", pointing_jitter_rad)
    z = chk.non_negative("range_m", range_m)
    return chk.out(np.sqrt(w**2 + 4.0 * (sigma * z) ** 2))


# --- turbulence -------------------------------------------------------------------------


class Cn2Profile(Protocol):
    """A refractive-index structure constant ``Cn^2`` (m^-2/3) against height (m).

    Examples:
        >>> profile: Cn2Profile = ConstantCn2(1e-15)
        >>> profile.cn2(np.zeros(2)).tolist()
        [1e-15, 1e-15]
    """

    def cn2(self, height_m: FloatArray) -> FloatArray:
        """``Cn^2`` at ``height_m`` above the ground station."""
        ...


@dataclass(frozen=True, slots=True)
class HufnagelValley:
    """The Hufnagel–Valley ``Cn^2`` model; the defaults are HV 5/7.

    ``Cn^2(h) = 0.00594 (v/27)^2 (1e-5 h)^10 exp(-h/1000) + 2.7e-16 exp(-h/1500)
    + A exp(-h/100)`` with ``h`` in metres (Andrews & Phillips 2005, eq. 12.1). With
    ``v = 21 m/s`` and ``A = 1.7e-14 m^-2/3`` the zenith Fried parameter is about 5 cm
    at 0.5 um and the isoplanatic angle about 7 urad, hence "5/7". Heights are counted
    from the ground station, where the boundary-layer term ``A`` sits.

    Examples:
        >>> f"{HufnagelValley().cn2(np.array(0.0)):.2e}"
        '1.73e-14'
    """

    rms_wind_speed_m_per_s: float = 21.0
    ground_cn2: float = 1.7e-14

    def __post_init__(self) -> None:
        chk.set_field(self, "rms_wind_speed_m_per_s", low=0.0)
        chk.set_field(self, "ground_cn2", low=0.0)

    def cn2(self, height_m: FloatArray) -> FloatArray:
        """``Cn^2`` in m^-2/3 at ``height_m`` metres above the ground."""
        h = np.maximum(np.asarray(height_m, dtype=np.float64), 0.0)
        wind = 0.00594 * (self.rms_wind_speed_m_per_s / 27.0) ** 2
        return np.asarray(
            wind * (1e-5 * h) ** 10 * np.exp(-h / 1000.0)
            + 2.7e-16 * np.exp(-h / 1500.0)
            + self.ground_cn2 * np.exp(-h / 100.0),
            dtype=np.float64,
        )


@dataclass(frozen=True, slots=True)
class ConstantCn2:
    """A height-independent ``Cn^2`` (m^-2/3), for horizontal links near the ground.

    Examples:
        >>> float(ConstantCn2(1e-15).cn2(np.array(30.0)))
        1e-15
    """

    value: float

    def __post_init__(self) -> None:
        chk.set_field(self, "value", low=0.0)

    def cn2(self, height_m: FloatArray) -> FloatArray:
        """The constant, broadcast to the shape of ``height_m``."""
        return np.full(np.shape(height_m), self.value, dtype=np.float64)


_PATH_SAMPLES = 800
# Points along the path as fractions of its length, geometric so that the 100 m scale of
# the boundary layer is resolved on a 1,000 km path (steps of about 2 %).
_PATH_FRACTIONS = np.concatenate([[0.0], np.geomspace(1e-9, 1.0, _PATH_SAMPLES)])


def _path_integral(
    cn2: Cn2Profile,
    range_m: FloatArray,
    elevation_rad: FloatArray,
    station_altitude_m: float,
    weight_exponent: float,
    *,
    from_station: bool,
) -> FloatArray:
    """``int_0^L Cn^2(s) w(s) ds`` along the slant path, ``w = (1 - s/L)^p``.

    ``s`` is measured from the transmitter: from the station when ``from_station``.
    """
    frac = _PATH_FRACTIONS
    dist = range_m[..., None] * frac  # distance from the station
    height = altitude_along_path_m(dist, elevation_rad[..., None],
                                   station_altitude_m=station_altitude_m)
    above_station = np.asarray(height, dtype=np.float64) - station_altitude_m
    weight = (1.0 - frac) ** weight_exponent if from_station else frac**weight_exponent
    integrand = cn2.cn2(above_station) * weight
    return np.asarray(np.trapezoid(integrand, dist, axis=-1), dtype=np.float64)


def fried_parameter_m(
    elevation_rad: ArrayLike,
    wavelength_m: ArrayLike,
    *,
    cn2: Cn2Profile | None = None,
    station_altitude_m: float = 0.0,
    range_m: ArrayLike = 1e6,
) -> float | FloatArray:
    """Fried parameter of a plane wave reaching the station from above the atmosphere.

    ``r0 = (0.423 k^2 int Cn^2(s) ds)^(-3/5)`` along the slant path (Fried, JOSA 56,
    1372 (1966); Andrews & Phillips 2005, eq. 12.21), ``k = 2 pi / lambda``. This sets
    the seeing of a downlink receiver; ``r0 = 2.1 rho0`` with the coherence radius rho0.

    Examples:
        >>> round(fried_parameter_m(math.pi / 2, 500e-9) * 100, 1)
        5.0
    """
    el = chk.checked("elevation_rad", elevation_rad, low=0.0, high=math.pi / 2)
    lam = chk.positive("wavelength_m", wavelength_m)
    length = chk.positive("range_m", range_m)
    h0 = float(chk.non_negative("station_altitude_m", station_altitude_m))
    el, lam, length = np.broadcast_arrays(el, lam, length)
    integral = _path_integral(cn2 or HufnagelValley(), length, el, h0, 0.0, from_station=True)
    k = 2.0 * np.pi / lam
    return chk.out((0.423 * k**2 * integral) ** (-3.0 / 5.0))


def turbulence_spread_factor(
    range_m: ArrayLike,
    elevation_rad: ArrayLike,
    *,
    beam_waist_m: ArrayLike,
    wavelength_m: ArrayLike,
    cn2: Cn2Profile | None = None,
    uplink: bool = False,
    station_altitude_m: float = 0.0,
) -> float | FloatArray:
    """Turbulent broadening ``T`` of a collimated beam: ``W_LT^2 = W^2 (1 + T)``.

    Andrews & Phillips 2005, eqs. 12.47–12.48 (weak fluctuations), written along the
    path with ``s`` measured from the transmitter:

    ``T = 4.35 Lambda^(5/6) k^(7/6) L^(5/6) int_0^L Cn^2(s) (1 - s/L)^(5/3) ds``,

    ``Lambda = 2 L / (k W^2)`` the Fresnel ratio of the diffraction-limited spot ``W``.
    Over a slant path this is their ``4.35 mu_2 Lambda^(5/6) k^(7/6) (H - h0)^(5/6)
    sec^(11/6) zeta`` with ``mu_2u`` (uplink: the weight is 1 at the ground) or
    ``mu_2d`` (downlink: the weight is 0 at the ground). Turbulence near the
    transmitter spreads the beam; near the receiver it hardly does, so a downlink's
    ``T`` is orders of magnitude below an uplink's. For a constant ``Cn^2`` it
    reduces to ``1.33 sigma_R^2 Lambda^(5/6)`` with the Rytov variance
    ``sigma_R^2 = 1.23 Cn^2 k^(7/6) L^(11/6)`` (their eq. 6.52).

    Examples:
        >>> up = turbulence_spread_factor(1e6, math.pi / 2, beam_waist_m=0.1,
        ...                               wavelength_m=850e-9, uplink=True)
        >>> down = turbulence_spread_factor(1e6, math.pi / 2, beam_waist_m=0.1,
        ...                                 wavelength_m=850e-9)
        >>> bool(up > 1e3 * down)
        True
    """
    length = chk.positive("range_m", range_m)
    el = chk.checked("elevation_rad", elevation_rad, low=0.0, high=math.pi / 2)
    w0 = chk.positive("beam_waist_m", beam_waist_m)
    lam = chk.positive("wavelength_m", wavelength_m)
    h0 = float(chk.non_negative("station_altitude_m", station_altitude_m))
    length, el, w0, lam = np.broadcast_arrays(length, el, w0, lam)
    k = 2.0 * np.pi / lam
    w2 = w0**2 * (1.0 + (2.0 * length / (k * w0**2)) ** 2)  # diffraction-limited W^2
    fresnel = 2.0 * length / (k * w2)
    # the transmitter is at the station for an uplink, at the far end for a downlink
    mu = _path_integral(cn2 or HufnagelValley(), length, el, h0, 5.0 / 3.0,
                        from_station=uplink)
    return chk.out(4.35 * fresnel ** (5.0 / 6.0) * k ** (7.0 / 6.0) * length ** (5.0 / 6.0) * mu)


def long_term_beam_radius_m(
    range_m: ArrayLike,
    elevation_rad: ArrayLike,
    *,
    beam_waist_m: ArrayLike,
    wavelength_m: ArrayLike,
    pointing_jitter_rad: ArrayLike = 0.0,
    cn2: Cn2Profile | None = None,
    uplink: bool = False,
    station_altitude_m: float = 0.0,
) -> float | FloatArray:
    """Long-term spot radius: ``w_LT^2 = w(z)^2 (1 + T) + 4 (sigma z)^2``.

    Diffraction (:func:`beam_radius_m`), turbulence (:func:`turbulence_spread_factor`;
    none when ``cn2`` is None) and pointing jitter (:func:`jitter_broadened_radius_m`)
    broaden the averaged spot independently, so their variances add.

    Examples:
        >>> round(long_term_beam_radius_m(1e6, 1.0, beam_waist_m=0.1, wavelength_m=1e-6), 3)
        3.185
    """
    w = np.asarray(beam_radius_m(range_m, beam_waist_m, wavelength_m))
    if cn2 is not None:
        t = turbulence_spread_factor(range_m, elevation_rad, beam_waist_m=beam_waist_m,
                                     wavelength_m=wavelength_m, cn2=cn2, uplink=uplink,
                                     station_altitude_m=station_altitude_m)
        w = w * np.sqrt(1.0 + np.asarray(t))
    return jitter_broadened_radius_m(w, pointing_jitter_rad, range_m)


# --- the atmosphere ---------------------------------------------------------------------


def air_mass(elevation_rad: ArrayLike, *, model: AirMassModel = "spherical") -> float | FloatArray:
    """Air mass along a line of sight at ``elevation_rad``, 1 at the zenith.

    * ``"flat"``: ``1 / sin el`` (plane-parallel atmosphere; infinite at the horizon).
    * ``"spherical"``: a homogeneous shell of height ``H`` on a sphere of radius
      ``Re``, ``X = sqrt((r sin el)^2 + 2 r + 1) - r sin el`` with ``r = Re / H``
      (Schoenberg 1929), 1 at the zenith and ``sqrt(2 r + 1)`` (about 38.9) at the
      horizon.
    * ``"kasten-young"``: the fit of Kasten & Young, Appl. Opt. 28, 4735 (1989),
      ``1 / (sin el + 0.50572 (el_deg + 6.07995)^-1.6364)``, 0.9997 at the zenith and
      37.92 at the horizon.

    Examples:
        >>> round(air_mass(math.radians(30), model="flat"), 12)
        2.0
    """
    el = chk.checked("elevation_rad", elevation_rad, low=0.0, high=math.pi / 2)
    s = np.sin(el)
    if model == "flat":
        with np.errstate(divide="ignore"):
            return chk.out(1.0 / s)
    if model == "spherical":
        r = EARTH_MEAN_RADIUS_M / HOMOGENEOUS_ATMOSPHERE_HEIGHT_M
        return chk.out(np.sqrt((r * s) ** 2 + 2.0 * r + 1.0) - r * s)
    if model == "kasten-young":
        return chk.out(1.0 / (s + 0.50572 * (np.degrees(el) + 6.07995) ** -1.6364))
    raise ConfigError("model", f"must be 'flat', 'spherical' or 'kasten-young', got {model!r}")


def atmospheric_transmittance(
    zenith_transmittance: ArrayLike,
    elevation_rad: ArrayLike,
    *,
    model: AirMassModel = "spherical",
) -> float | FloatArray:
    """``T(el) = T_zenith ** X(el)`` (Beer–Lambert law; X from :func:`air_mass`).

    Examples:
        >>> round(atmospheric_transmittance(0.8, math.radians(30), model="flat"), 12)
        0.64
    """
    t0 = chk.probability("zenith_transmittance", zenith_transmittance)
    x = np.asarray(air_mass(elevation_rad, model=model))
    with np.errstate(divide="ignore"):
        return chk.out(np.where(np.isinf(x), 0.0, t0 ** np.where(np.isinf(x), 1.0, x)))


# --- background light -------------------------------------------------------------------


def background_photons_per_window(
    sky_radiance_w_per_m2_sr_nm: ArrayLike,
    *,
    field_of_view_rad: ArrayLike,
    aperture_diameter_m: ArrayLike,
    filter_bandwidth_nm: ArrayLike,
    window_s: ArrayLike,
    wavelength_m: ArrayLike,
) -> float | FloatArray:
    """Mean number of sky photons entering the receiver in one detection window.

    ``n_b = H Omega A d_lambda d_t / (h c / lambda)`` (Miao et al., New J. Phys. 7,
    215 (2005); Bourgoin et al. 2013, eq. 9), with ``H`` the sky's spectral radiance,
    ``Omega = 2 pi (1 - cos(FOV / 2))`` the solid angle of a full field of view FOV
    (``pi (FOV/2)^2`` for small angles), ``A = pi D^2 / 4``. Multiply by the
    receiver's efficiency for detected photons. Radiances range over many orders of
    magnitude between a moonless night, a full Moon and daylight; take them from
    measurements at the site or a radiative-transfer model.

    Examples:
        >>> n = background_photons_per_window(1e-6, field_of_view_rad=100e-6,
        ...     aperture_diameter_m=1.0, filter_bandwidth_nm=1.0, window_s=1e-9,
        ...     wavelength_m=850e-9)
        >>> f"{n:.3e}"
        '2.640e-05'
    """
    radiance = chk.non_negative("sky_radiance_w_per_m2_sr_nm", sky_radiance_w_per_m2_sr_nm)
    fov = chk.checked("field_of_view_rad", field_of_view_rad, low=0.0, high=2.0 * math.pi)
    d = chk.non_negative("aperture_diameter_m", aperture_diameter_m)
    band = chk.non_negative("filter_bandwidth_nm", filter_bandwidth_nm)
    window = chk.non_negative("window_s", window_s)
    # 2 pi (1 - cos(FOV/2)) written as 4 pi sin^2(FOV/4), which keeps small angles exact
    solid_angle = 4.0 * np.pi * np.sin(fov / 4.0) ** 2
    area = np.pi * d**2 / 4.0
    energy = photon_energy_j(wavelength_m)
    return chk.out(radiance * solid_angle * area * band * window / energy)


# --- the link budget --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FreeSpaceLink:
    """The mean transmittance budget of a ground–space or ground–ground optical link.

    Attributes:
        wavelength_m: wavelength of the quantum signal.
        beam_waist_m: 1/e^2 waist radius of the transmitted beam (at the transmitter);
            see :func:`beam_waist_from_divergence_m` and :meth:`from_divergence`.
        receiver_aperture_diameter_m: clear diameter of the receiving telescope.
        pointing_jitter_rad: per-axis standard deviation of the pointing error.
        zenith_transmittance: transmittance of the whole atmosphere at the zenith, at
            this wavelength and site (1 for links above the atmosphere).
        air_mass_model: how the path through the atmosphere grows off the zenith.
        turbulence: the ``Cn^2`` profile, or None for no turbulent broadening.
        uplink: True when the ground station transmits (turbulence at the start).
        station_altitude_m: height of the ground station above the geoid.
        receiver_efficiency: transmission of the receiving optics (not the detector).
        extinction_db_per_km: extra loss per km along the path, for horizontal links
            inside the atmosphere (set ``zenith_transmittance=1`` for those).

    Examples:
        >>> link = FreeSpaceLink.from_divergence(wavelength_m=850e-9,
        ...     divergence_half_angle_rad=5e-6, receiver_aperture_diameter_m=1.0)
        >>> round(float(link.beam_radius_m(1e6, 1.0)), 3)
        5.0
    """

    wavelength_m: float
    beam_waist_m: float
    receiver_aperture_diameter_m: float
    pointing_jitter_rad: float = 0.0
    zenith_transmittance: float = 1.0
    air_mass_model: AirMassModel = "spherical"
    turbulence: HufnagelValley | ConstantCn2 | None = None
    uplink: bool = False
    station_altitude_m: float = 0.0
    receiver_efficiency: float = 1.0
    extinction_db_per_km: float = 0.0

    def __post_init__(self) -> None:
        chk.set_field(self, "wavelength_m", low=0.0, low_open=True)
        chk.set_field(self, "beam_waist_m", low=0.0, low_open=True)
        chk.set_field(self, "receiver_aperture_diameter_m", low=0.0, low_open=True)
        chk.set_field(self, "pointing_jitter_rad", low=0.0)
        chk.set_field(self, "zenith_transmittance", low=0.0, high=1.0)
        chk.set_field(self, "station_altitude_m", low=0.0)
        chk.set_field(self, "receiver_efficiency", low=0.0, high=1.0)
        chk.set_field(self, "extinction_db_per_km", low=0.0)
        if self.air_mass_model not in ("flat", "spherical", "kasten-young"):
            raise ConfigError("air_mass_model", "must be 'flat', 'spherical' or "
                                  f"'kasten-young', got {self.air_mass_model!r}")

    @classmethod
    def from_divergence(
        cls,
        *,
        wavelength_m: float,
        divergence_half_angle_rad: float,
        receiver_aperture_diameter_m: float,
        pointing_jitter_rad: float = 0.0,
        zenith_transmittance: float = 1.0,
        air_mass_model: AirMassModel = "spherical",
        turbulence: HufnagelValley | ConstantCn2 | None = None,
        uplink: bool = False,
        station_altitude_m: float = 0.0,
        receiver_efficiency: float = 1.0,
        extinction_db_per_km: float = 0.0,
    ) -> FreeSpaceLink:
        """A link whose transmitter is described by its far-field 1/e^2 half-angle."""
        w0 = float(beam_waist_from_divergence_m(divergence_half_angle_rad, wavelength_m))
        return cls(
            wavelength_m=wavelength_m, beam_waist_m=w0,
            receiver_aperture_diameter_m=receiver_aperture_diameter_m,
            pointing_jitter_rad=pointing_jitter_rad,
            zenith_transmittance=zenith_transmittance, air_mass_model=air_mass_model,
            turbulence=turbulence, uplink=uplink, station_altitude_m=station_altitude_m,
            receiver_efficiency=receiver_efficiency,
            extinction_db_per_km=extinction_db_per_km,
        )

    def beam_radius_m(self, range_m: ArrayLike, elevation_rad: ArrayLike) -> float | FloatArray:
        """Long-term spot radius at the receiver (:func:`long_term_beam_radius_m`)."""
        return long_term_beam_radius_m(
            range_m, elevation_rad, beam_waist_m=self.beam_waist_m,
            wavelength_m=self.wavelength_m, pointing_jitter_rad=self.pointing_jitter_rad,
            cn2=self.turbulence, uplink=self.uplink,
            station_altitude_m=self.station_altitude_m,
        )

    def transmittance(self, range_m: ArrayLike, elevation_rad: ArrayLike) -> float | FloatArray:
        """Mean probability that a transmitted photon leaves the receiving optics.

        ``eta_geo(w_LT) * T_zenith ** X(el) * 10**(-ext L / 10) * eta_rx``; arrays of
        ranges and elevations broadcast together.
        """
        length = chk.positive("range_m", range_m)
        w = self.beam_radius_m(length, elevation_rad)
        geo = np.asarray(aperture_collection(w, self.receiver_aperture_diameter_m / 2.0))
        atm = np.asarray(atmospheric_transmittance(self.zenith_transmittance, elevation_rad,
                                                   model=self.air_mass_model))
        ext = 10.0 ** (-self.extinction_db_per_km * length / 1e4)
        return chk.out(geo * atm * ext * self.receiver_efficiency)

    def loss_db(self, range_m: ArrayLike, elevation_rad: ArrayLike) -> float | FloatArray:
        """``-10 log10`` of :meth:`transmittance`."""
        with np.errstate(divide="ignore"):
            return chk.out(-10.0 * np.log10(np.asarray(self.transmittance(range_m,
                                                                          elevation_rad))))
