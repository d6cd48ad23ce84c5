"""A scenario's satellite links: orbits and stations -> passes -> a time-varying channel.

For each ``scheme: downlink`` / ``uplink`` link this module finds the satellite's passes
over the station inside the run (:func:`qinet.physical.orbits.find_passes`, above the
link's ``min_elevation``), cuts each into steps of ``time_step``, evaluates the look
angles at each step's middle (:func:`~qinet.physical.orbits.look_angles`), the mean
transmittance of the free-space budget there
(:class:`~qinet.physical.free_space.FreeSpaceLink`) and whether the station is in the
dark (:func:`~qinet.physical.orbits.is_dark`, Sun below -12 deg), and hands the passes
to the key network as a :class:`~qinet.qkd.pass_link.PassSchedule`. The physics lives in
``physical/``, the protocol over a pass in :mod:`qinet.qkd.pass_link`; this module only
translates the scenario.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.free_space import ConstantCn2, FreeSpaceLink, HufnagelValley
from qinet.physical.orbits import (
    GroundStation,
    Satellite,
    find_passes,
    is_dark,
    look_angles,
)
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.key_records import QkdLinkSpec
from qinet.qkd.pass_link import (
    PassChannel,
    PassRecord,
    PassSchedule,
    run_bbm92_pass,
    run_decoy_pass,
)
from qinet.qkd.protocols._bb84_channel import PrepareMeasureLink
from qinet.qkd.protocols.bb84_decoy import run_decoy_bb84
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.hardware import detector_of
from qinet.scenario.qkd_protocols import DEFAULT_INTENSITIES, PulseRun
from qinet.scenario.schema_space import DownlinkLink, DualDownlinkLink, UplinkLink, as_utc
from qinet.units import s_to_ps

SpaceLink = DownlinkLink | UplinkLink

SPEED_OF_LIGHT_M_PER_S = 299_792_458.0
DEFAULT_UPLINK_APERTURE_M = 0.3  # a small satellite's receiving telescope
_PASS_SEARCH_S = 2 * 86_400.0  # how far `start: next-pass` looks for a pass
_MARGIN_S = 1_800.0  # passes already up at the run's start (or still up at its end)


def satellite_of(scenario: schema.Scenario, name: str) -> Satellite:
    """The SGP4 satellite of node ``name`` (its TLE, or its circular elements)."""
    index, node = next((i, n) for i, n in enumerate(scenario.nodes) if n.name == name)
    orbit = node.orbit
    if orbit is None:
        raise ConfigError(f"nodes[{index}].orbit", f"{name!r} is not a satellite")
    try:
        if orbit.tle is not None:
            return Satellite(orbit.tle[0], orbit.tle[1], name)
        epoch = orbit.epoch or (scenario.space.epoch if scenario.space else None)
        if epoch is None or orbit.altitude is None or orbit.inclination is None:
            raise ConfigError("epoch", "needs `epoch` or the scenario's `space.epoch`")
        return Satellite.circular(
            altitude_m=orbit.altitude * 1e3, inclination_rad=orbit.inclination,
            raan_rad=orbit.raan, argument_of_latitude_rad=orbit.argument_of_latitude,
            epoch=as_utc(epoch), name=name)
    except ConfigError as exc:
        raise ConfigError(f"nodes[{index}].orbit.{exc.field}", exc.reason) from None


def station_of(scenario: schema.Scenario, name: str) -> tuple[GroundStation, float]:
    """The ground station of node ``name`` and its telescope's aperture (m)."""
    index, node = next((i, n) for i, n in enumerate(scenario.nodes) if n.name == name)
    site = node.station
    if site is None:
        raise ConfigError(f"nodes[{index}].station", f"{name!r} is not a ground station")
    return (GroundStation(math.degrees(site.latitude), math.degrees(site.longitude),
                          site.altitude * 1e3, name), site.aperture * 1e3)


def ends_of(scenario: schema.Scenario, link: SpaceLink) -> tuple[Satellite, GroundStation,
                                                                  float]:
    """The link's satellite, station and the station's aperture (m)."""
    sat_name, station_name = (link.between if isinstance(link, DownlinkLink)
                              else link.between[::-1])
    station, aperture_m = station_of(scenario, station_name)
    return satellite_of(scenario, sat_name), station, aperture_m


def budget(scenario: schema.Scenario, link: SpaceLink | DualDownlinkLink,
           station_name: str | None = None) -> FreeSpaceLink:
    """The link's mean-transmittance budget (receiving optics included); for a dual
    downlink, the downlink to ``station_name``."""
    if isinstance(link, DualDownlinkLink):
        station, aperture_m = station_of(scenario, station_name or link.between[0])
    else:
        _, station, aperture_m = ends_of(scenario, link)
    uplink = isinstance(link, UplinkLink)
    if link.receiver_aperture is not None:
        receiver_m = link.receiver_aperture * 1e3
    else:
        receiver_m = DEFAULT_UPLINK_APERTURE_M if uplink else aperture_m
    turbulence: HufnagelValley | ConstantCn2 | None = None
    if link.turbulence == "hv57":
        turbulence = HufnagelValley()
    elif link.turbulence == "constant" and link.cn2 is not None:
        turbulence = ConstantCn2(link.cn2)
    common: dict[str, Any] = {
        "wavelength_m": link.wavelength, "receiver_aperture_diameter_m": receiver_m,
        "pointing_jitter_rad": link.pointing_jitter,
        "zenith_transmittance": link.zenith_transmittance, "air_mass_model": link.air_mass,
        "turbulence": turbulence, "uplink": uplink,
        "station_altitude_m": max(station.altitude_m, 0.0),
        "receiver_efficiency": link.receiver_efficiency}
    if link.divergence is not None:
        return FreeSpaceLink.from_divergence(divergence_half_angle_rad=link.divergence,
                                             **common)
    return FreeSpaceLink(beam_waist_m=(link.beam_waist or 0.0) * 1e3, **common)


def run_start(scenario: schema.Scenario) -> datetime:
    """The calendar time of the run's start: ``space.epoch``, or ``space.lead`` before
    the first pass after it over ``space.station`` (``start: next-pass``; by default
    the station of the first satellite link).

    Raises:
        ConfigError: no ``space``, or no pass within two days of the epoch.
    """
    space = scenario.space
    if space is None:
        raise ConfigError("space", "needed by a satellite link: give `space.epoch`")
    if space.station is not None and space.station not in {n.name for n in scenario.nodes
                                                           if n.station is not None}:
        raise ConfigError("space.station", f"{space.station!r} is not a ground station")
    epoch = as_utc(space.epoch)
    if space.start == "epoch":
        return epoch
    wanted = space.station
    found = [(i, lk) for i, lk in enumerate(scenario.links)
             if isinstance(lk, DownlinkLink | UplinkLink | DualDownlinkLink)
             and (wanted is None or wanted in lk.between)]
    if not found:
        raise ConfigError("space.station", f"no satellite link ends at {wanted!r}")
    index, link = found[0]
    if isinstance(link, DualDownlinkLink):  # the first pass over the station
        sat = satellite_of(scenario, link.satellite)
        station = station_of(scenario, wanted or link.between[0])[0]
    else:
        sat, station, _ = ends_of(scenario, link)
    passes = find_passes(sat, station, epoch, _PASS_SEARCH_S,
                         min_elevation_rad=link.min_elevation)
    if not passes:
        raise ConfigError("space.start", f"no pass of links[{index}] above its min_elevation "
                                         f"within two days of space.epoch")
    return epoch + timedelta(seconds=passes[0].rise_s - space.lead)


def pass_channels(scenario: schema.Scenario, link: SpaceLink, *, start: datetime,
                  duration_s: float) -> tuple[PassChannel, ...]:
    """The link's passes inside ``[start, start + duration_s]``, in steps.

    A pass already up at the start, or still up at the end, is cut there.
    """
    sat, station, _ = ends_of(scenario, link)
    fso = budget(scenario, link)
    before = start - timedelta(seconds=_MARGIN_S)
    found = find_passes(sat, station, before, duration_s + 2 * _MARGIN_S,
                        min_elevation_rad=link.min_elevation)
    dt = link.time_step
    name = "-".join(link.between)
    channels = []
    for p in found:
        rise = max(p.rise_s - _MARGIN_S, 0.0)
        down = min(p.set_s - _MARGIN_S, duration_s)
        span = down - rise
        if span <= 0.0:
            continue
        count = max(math.ceil(span / dt - 1e-9), 1)
        steps = np.full(count, dt)
        steps[-1] = span - dt * (count - 1)
        mids = rise + np.cumsum(steps) - steps / 2
        angles = look_angles(sat, station, start, mids)
        elevation = np.clip(angles.elevation_rad, 0.0, math.pi / 2)
        eta = np.asarray(fso.transmittance(angles.range_m, elevation), dtype=np.float64)
        dark = is_dark(station, start, mids)
        channels.append(PassChannel(
            name=name, start_utc=(start + timedelta(seconds=rise)).isoformat(), start_s=rise,
            step_s=steps, elevation_rad=elevation, range_m=angles.range_m, transmittance=eta,
            background_hz=np.where(dark, link.background_night, link.background_day),
            sending=dark if link.night_only else np.ones(count, dtype=bool)))
    return tuple(channels)


@dataclass(frozen=True, slots=True)
class DecoyPassRun:
    """Decoy BB84 over one pass (:func:`qinet.qkd.pass_link.run_decoy_pass`) with
    everything it is given but the pass."""

    base: PrepareMeasureLink
    rate_hz: float
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, steps: PassChannel, rng: RngTree,
                 block_size: int) -> tuple[QkdRunResult, PassRecord]:
        """Send over the pass and distil its key."""
        return run_decoy_pass(self.base, steps, rate_hz=self.rate_hz, rng=rng,
                              block_size=block_size, **self.options)


def space_link_spec(scenario: schema.Scenario, index: int,
                    found: tuple[int, schema.PulseQkdDemand] | None) -> QkdLinkSpec:
    """The key network's view of ``scenario.links[index]``, a satellite link.

    Args:
        found: the prepare-and-measure demand on the link and its index (the loader
            made sure it is ``bb84-decoy``); decoy BB84 with its defaults when none.
    """
    link = scenario.links[index]
    if not isinstance(link, DownlinkLink | UplinkLink):
        raise ConfigError(f"links[{index}].scheme", "not a satellite link")
    demand_index = found[0] if found else None
    demand = found[1] if found else schema.DecoyBB84Demand(
        kind="qkd", protocol="bb84-decoy", between=link.between)
    if not isinstance(demand, schema.DecoyBB84Demand):
        raise ConfigError(f"demands[{demand_index}].protocol",
                          f"a satellite link runs bb84-decoy, got {demand.protocol}")
    mus, probs = DEFAULT_INTENSITIES["bb84-decoy"]
    if demand.intensities is not None:
        mus = tuple(demand.intensities)
        probs = tuple([1.0 / len(mus)] * len(mus))
    if demand.intensity_probabilities is not None:
        probs = tuple(demand.intensity_probabilities)
    where = f"demands[{demand_index}]" if demand_index is not None else f"links[{index}]"
    spec = detector_of(scenario, demand.detector or link.detector)
    try:
        source = WeakCoherentSource(rate_hz=demand.source_rate, intensities=mus,
                                    probabilities=probs)
        base = PrepareMeasureLink(
            source, Fibre(0.0), Detector(spec.efficiency, spec.dark_count_rate,
                                         spec.dead_time, spec.jitter),
            detection_window_s=link.detection_window, misalignment=demand.misalignment,
            z_basis_probability=demand.z_basis_probability)
    except ConfigError as exc:
        raise ConfigError(f"{where}.{exc.field}", exc.reason) from None
    options = {"epsilon_sec": demand.epsilon_sec, "epsilon_cor": demand.epsilon_cor,
               "distill_options": {"reconciliation": demand.reconciliation,
                                   "sample_fraction": demand.sample_fraction}}
    channels = _channels(scenario, index)
    longest_m = max((float(c.range_m.max()) for c in channels), default=0.0)
    shortest_km = min((float(c.range_m.min()) / 1e3 for c in channels), default=0.0)
    return QkdLinkSpec(
        between=link.between, length_km=shortest_km,
        # the announcements cross the longest slant range of the passes, at c
        delay_ps=s_to_ps(longest_m / SPEED_OF_LIGHT_M_PER_S),
        source_rate_hz=demand.source_rate, block_size_bits=demand.block_size,
        protocol="bb84-decoy", runner=PulseRun(run_decoy_bb84, base, options),
        demand=demand_index,
        passes=PassSchedule(channels, DecoyPassRun(base, demand.source_rate, options)))


def _channels(scenario: schema.Scenario, index: int) -> tuple[PassChannel, ...]:
    link = scenario.links[index]
    if not isinstance(link, DownlinkLink | UplinkLink):
        return ()
    return _cached_channels(scenario.model_dump_json(), index)


@functools.lru_cache(maxsize=16)
def _cached_channels(scenario_json: str, index: int) -> tuple[PassChannel, ...]:
    # the passes of a scenario are computed once per process: `qinet validate` and
    # `qinet run` (and a test's several runs) build the same key network
    scenario = schema.Scenario.model_validate_json(scenario_json)
    link = scenario.links[index]
    if isinstance(link, DualDownlinkLink):
        return dual_pass_channels(scenario, link, start=run_start(scenario),
                                  duration_s=scenario.duration)
    if not isinstance(link, DownlinkLink | UplinkLink):
        return ()
    return pass_channels(scenario, link, start=run_start(scenario),
                         duration_s=scenario.duration)


def dual_pass_channels(scenario: schema.Scenario, link: DualDownlinkLink, *,
                       start: datetime, duration_s: float) -> tuple[PassChannel, ...]:
    """The stretches inside the run when both stations see the satellite above the
    link's ``min_elevation``, in steps; per step each arm's transmittance, and as the
    pass's own series the two-photon transmittance, the summed range and the lower
    elevation."""
    sat = satellite_of(scenario, link.satellite)
    stations = [station_of(scenario, name)[0] for name in link.between]
    before = start - timedelta(seconds=_MARGIN_S)
    windows = [[(max(p.rise_s - _MARGIN_S, 0.0), min(p.set_s - _MARGIN_S, duration_s))
                for p in find_passes(sat, st, before, duration_s + 2 * _MARGIN_S,
                                     min_elevation_rad=link.min_elevation)]
               for st in stations]
    both = [(max(a0, b0), min(a1, b1)) for a0, a1 in windows[0] for b0, b1 in windows[1]
            if min(a1, b1) > max(a0, b0)]
    budgets = [budget(scenario, link, name) for name in link.between]
    dt = link.time_step
    channels = []
    for rise, down in sorted(both):
        span = down - rise
        count = max(math.ceil(span / dt - 1e-9), 1)
        steps = np.full(count, dt)
        steps[-1] = span - dt * (count - 1)
        mids = rise + np.cumsum(steps) - steps / 2
        arms = [look_angles(sat, st, start, mids) for st in stations]
        elevation = np.clip(np.minimum(arms[0].elevation_rad, arms[1].elevation_rad), 0.0,
                            math.pi / 2)
        eta = np.stack([np.asarray(b.transmittance(a.range_m, np.clip(a.elevation_rad, 0.0,
                                                                       math.pi / 2)))
                        for b, a in zip(budgets, arms, strict=True)])
        dark = np.stack([is_dark(st, start, mids) for st in stations])
        background = np.where(dark, link.background_night, link.background_day)
        sending = (np.asarray(dark.all(axis=0), dtype=bool) if link.night_only
                   else np.ones(count, dtype=bool))
        channels.append(PassChannel(
            name="-".join(link.between), start_utc=(start + timedelta(seconds=rise)).isoformat(),
            start_s=rise, step_s=steps, elevation_rad=elevation,
            range_m=arms[0].range_m + arms[1].range_m, transmittance=eta[0] * eta[1],
            background_hz=background.max(axis=0), sending=sending, arm_transmittance=eta,
            arm_background_hz=background))
    return tuple(channels)


@dataclass(frozen=True, slots=True)
class PairPassRun:
    """BBM92 over one pass of a satellite's pair source
    (:func:`qinet.qkd.pass_link.run_bbm92_pass`), with everything but the pass."""

    link: DualDownlinkLink
    detector: Detector

    def __call__(self, steps: PassChannel, rng: RngTree,
                 block_size: int) -> tuple[QkdRunResult, PassRecord]:
        """Distribute pairs over the pass and distil the stations' key."""
        link = self.link
        return run_bbm92_pass(
            steps, pair_rate_hz=link.pair_rate, detector=self.detector,
            window_s=link.detection_window, misalignment=link.misalignment, rng=rng,
            block_size=block_size, z_basis_probability=link.z_basis_probability,
            epsilon_sec=link.epsilon_sec, epsilon_cor=link.epsilon_cor)


def _no_pulses(pulses: int, rng: RngTree, block_size: int) -> QkdRunResult:
    """A pair source's link sends nothing outside its passes (the key network runs the
    passes' runner, never this one)."""
    return QkdRunResult("bbm92", 0, 0, 0, transmittance=0.0)


def dual_link_spec(scenario: schema.Scenario, index: int) -> QkdLinkSpec:
    """The key network's view of ``scenario.links[index]``, a dual downlink: BBM92
    between its two stations, key deposited when each common pass ends."""
    link = scenario.links[index]
    if not isinstance(link, DualDownlinkLink):
        raise ConfigError(f"links[{index}].scheme", "not a dual downlink")
    spec = detector_of(scenario, link.detector)
    detector = Detector(spec.efficiency, spec.dark_count_rate, spec.dead_time, spec.jitter)
    channels = _cached_channels(scenario.model_dump_json(), index)
    longest_m = max((float(c.range_m.max()) for c in channels), default=0.0)
    shortest_km = min((float(c.range_m.min()) / 1e3 for c in channels), default=0.0)
    return QkdLinkSpec(
        between=link.between, length_km=shortest_km,
        # the stations' announcements cross both downlinks through the satellite
        delay_ps=s_to_ps(longest_m / SPEED_OF_LIGHT_M_PER_S), source_rate_hz=link.pair_rate,
        block_size_bits=link.block_size, protocol="bbm92", runner=_no_pulses,
        passes=PassSchedule(channels, PairPassRun(link, detector)))
