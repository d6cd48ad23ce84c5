"""The scenario file's models for ground stations, satellites and free-space QKD links.

A ground station is a node with a ``station`` (site and telescope), a satellite a node
with an ``orbit`` (a TLE or circular elements). A ``scheme: downlink`` link sends decoy
BB84 from a satellite's transmitter to a station's telescope (``between: [satellite,
station]``), a ``scheme: uplink`` the reverse (``between: [station, satellite]``); the
satellite's position along its passes sets the link's loss (see ``docs/free-space.md``).
The run's clock is tied to the calendar by the top-level ``space`` mapping.

These models are imported by :mod:`qinet.scenario.schema`, which puts them into its
unions; they use its quantity helpers.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, model_validator

from qinet.scenario.schema import (
    Efficiency,
    OpenProbability,
    PositiveFrequencyHz,
    PositiveTimeS,
    PositiveWavelengthM,
    Probability,
    TimeS,
    _bounded,
    _quantity,
    _Strict,
)

AngleRad = Annotated[float, *_quantity("angle_rad"), *_bounded()]
Latitude = Annotated[float, *_quantity("angle_rad"),
                     *_bounded(low=-math.pi / 2, high=math.pi / 2, in_degrees=True)]
Longitude = Annotated[float, *_quantity("angle_rad"),
                      *_bounded(low=-math.pi, high=2 * math.pi, in_degrees=True)]
Inclination = Annotated[float, *_quantity("angle_rad"),
                        *_bounded(low=0, high=math.pi, in_degrees=True)]
Elevation = Annotated[float, *_quantity("angle_rad"),
                      *_bounded(low=0, high=math.pi / 2, high_open=True, in_degrees=True)]
SmallAngleRad = Annotated[float, *_quantity("angle_rad"), *_bounded(low=0, high=0.1)]
PositiveSmallAngleRad = Annotated[float, *_quantity("angle_rad"),
                                  *_bounded(low=0, low_open=True, high=0.1)]
SiteAltitudeKm = Annotated[float, *_quantity("length_km"), *_bounded(low=-0.5, high=10.0)]
ApertureKm = Annotated[float, *_quantity("length_km"),
                       *_bounded(low=0, low_open=True, high=0.1)]
OrbitAltitudeKm = Annotated[float, *_quantity("length_km"),
                            *_bounded(low=100.0, high=50_000.0)]
BackgroundHz = Annotated[float, *_quantity("frequency_hz"), *_bounded(low=0)]

SPACE_SCHEMES = ("downlink", "uplink", "dual-downlink")
"""Link schemes whose ends are a satellite and a ground station."""


class StationSite(_Strict):
    """Where a ground station stands and the telescope it receives (or sends) with."""

    latitude: Latitude = Field(description="geodetic latitude, north positive (e.g. `40.4 deg`)")
    longitude: Longitude = Field(description="longitude, east positive (e.g. `117.6 deg`)")
    altitude: SiteAltitudeKm = Field(0.0, description="height above the WGS84 ellipsoid "
                                                      "(e.g. `900 m`)")
    aperture: ApertureKm = Field(1e-3, description="clear diameter of the station's telescope "
                                                   "(default 1 m)")


class Orbit(_Strict):
    """A satellite's orbit: a two-line element set, or a circular orbit's elements."""

    tle: Annotated[list[Annotated[str, Field(min_length=1)]],
                   Field(min_length=2, max_length=2)] | None = Field(
        None, description="the two lines of a NORAD two-line element set (propagated with "
                          "SGP4); instead of the circular elements")
    altitude: OrbitAltitudeKm | None = Field(
        None, description="circular orbit: height above the equatorial radius (e.g. `500 km`)")
    inclination: Inclination | None = Field(
        None, description="circular orbit: inclination (e.g. `97.4 deg`)")
    raan: AngleRad = Field(0.0, description="circular orbit: right ascension of the "
                                            "ascending node at the epoch")
    argument_of_latitude: AngleRad = Field(
        0.0, description="circular orbit: angle along the orbit from the ascending node at "
                         "the epoch")
    epoch: AwareDatetime | None = Field(
        None, description="circular orbit: when the elements hold, an ISO 8601 time with "
                          "its zone (default: `space.epoch`)")

    @model_validator(mode="after")
    def _one_description(self) -> Orbit:
        circular = self.altitude is not None or self.inclination is not None
        if self.tle is not None and circular:
            raise ValueError("give either `tle` or the circular elements (`altitude`, "
                             "`inclination`), not both")
        if self.tle is None and (self.altitude is None or self.inclination is None):
            raise ValueError("needs `tle`, or `altitude` and `inclination` of a circular orbit")
        return self


class SpaceRun(_Strict):
    """How a run with satellites is placed in time."""

    epoch: AwareDatetime = Field(
        description="the calendar time of the run's start, ISO 8601 with its zone "
                    "(`2017-01-01T19:00:00Z`)")
    start: Literal["epoch", "next-pass"] = Field(
        "epoch", description="`epoch`: the run starts at `epoch`; `next-pass`: at `lead` "
                             "before the first pass after `epoch` over `station`")
    lead: TimeS = Field(60.0, description="with `next-pass`: how long before the pass rises "
                                          "the run starts (s)")
    station: str | None = Field(
        None, description="with `next-pass`: the ground station whose next pass starts the "
                          "run (default: the first satellite link's)")


class _FreeSpaceQkdLink(_Strict):
    """The optics and atmosphere of a ground-space link running decoy BB84."""

    between: tuple[str, str] = Field(description="the transmitter's node, then the receiver's")
    wavelength: PositiveWavelengthM = Field(850e-9, description="wavelength of the quantum "
                                                                "signal (default 850 nm)")
    divergence: PositiveSmallAngleRad | None = Field(
        None, description="far-field 1/e^2 half-angle of the transmitted beam (papers often "
                          "quote the full angle: halve it); or `beam_waist`")
    beam_waist: ApertureKm | None = Field(
        None, description="1/e^2 waist radius of the transmitted beam; or `divergence`")
    receiver_aperture: ApertureKm | None = Field(
        None, description="clear diameter of the receiving telescope (default: the station's "
                          "`aperture` on a downlink, 30 cm on an uplink)")
    pointing_jitter: SmallAngleRad = Field(
        0.0, description="standard deviation of the pointing error on each axis")
    zenith_transmittance: Probability = Field(
        0.8, description="transmittance of the whole atmosphere at the zenith, at this "
                         "wavelength and site")
    air_mass: Literal["spherical", "flat", "kasten-young"] = Field(
        "spherical", description="how the path through the air grows off the zenith")
    turbulence: Literal["hv57", "constant", "none"] = Field(
        "hv57", description="Cn2 profile: Hufnagel-Valley 5/7, a `constant` `cn2`, or none")
    cn2: Annotated[float, *_bounded(low=0, high=1e-10)] | None = Field(
        None, description="with `turbulence: constant`: Cn2 in m^-2/3")
    min_elevation: Elevation = Field(
        math.radians(10.0), description="the link runs while the satellite is above this "
                                        "elevation (default 10 deg)")
    receiver_efficiency: Efficiency = Field(
        0.5, description="transmission of the receiving optics, detectors excluded")
    detector: str | None = Field(None, description="name of a detector in `hardware`")
    detection_window: PositiveTimeS = Field(1e-9, description="detection window (s)")
    background_night: BackgroundHz = Field(
        0.0, description="background counts per second of each receiving detector in the "
                         "dark (sky, Moon, stray light), added to its dark counts")
    background_day: BackgroundHz = Field(
        0.0, description="background counts per second of each receiving detector in "
                         "daylight (Sun above -12 deg)")
    night_only: bool = Field(False, description="send only while the station is in the dark "
                                                "(Sun below -12 deg)")
    time_step: PositiveTimeS = Field(1.0, description="step of the pass's time series: the "
                                                      "channel is taken as constant over each")

    @model_validator(mode="after")
    def _beam_and_turbulence(self) -> _FreeSpaceQkdLink:
        if (self.divergence is None) == (self.beam_waist is None):
            raise ValueError("give the transmitter's `divergence` or its `beam_waist` "
                             "(one of them)")
        if (self.turbulence == "constant") != (self.cn2 is not None):
            raise ValueError("`cn2` goes with `turbulence: constant`, and only with it")
        return self


class DownlinkLink(_FreeSpaceQkdLink):
    """Decoy BB84 from a satellite's transmitter to a ground station's telescope,
    ``between: [satellite, station]``; its loss follows the satellite's passes."""

    scheme: Literal["downlink"] = Field(description="downlink: satellite to ground")


class UplinkLink(_FreeSpaceQkdLink):
    """Decoy BB84 from a ground station to a satellite's receiver,
    ``between: [station, satellite]``; turbulence near the transmitter spreads the beam."""

    scheme: Literal["uplink"] = Field(description="uplink: ground to satellite")


class DualDownlinkLink(_FreeSpaceQkdLink):
    """An entangled-pair source on a satellite sending one photon of each pair to each of
    two ground stations, ``between: [station, station]``: BBM92 keys between the
    stations while both see the satellite above ``min_elevation`` (the optics fields
    hold for both downlinks)."""

    scheme: Literal["dual-downlink"] = Field(description="dual-downlink: a pair source on a "
                                                         "satellite, one photon to each station")
    between: tuple[str, str] = Field(description="the two ground stations")
    satellite: str = Field(description="the satellite node that carries the pair source")
    pair_rate: PositiveFrequencyHz = Field(
        1e6, description="pairs emitted per second into the two transmitters (Hz)")
    misalignment: Annotated[float, *_bounded(low=0, high=0.5)] = Field(
        0.01, description="probability that a pair's bits differ though both sides chose the "
                          "same basis (the source's and analysers' error)")
    z_basis_probability: OpenProbability = Field(
        0.5, description="probability that a station measures in the key basis Z")
    block_size: Annotated[int, Field(ge=1000)] = Field(
        1_000_000, description="sifted bits per post-processing block")
    epsilon_sec: OpenProbability = Field(1e-10, description="secrecy parameter of the key")
    epsilon_cor: OpenProbability = Field(1e-15, description="correctness parameter of the key")


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC (the schema only admits aware ones)."""
    return moment.astimezone(UTC)
