"""Satellite links in scenarios: the schema, the pass series against the physics, the
totals against the series, night-only links, and a satellite as a trusted relay."""

import math

import numpy as np
import pytest

import qinet
from qinet.errors import ConfigError, ConfigErrors
from qinet.physical.orbits import elevation_from_range_rad, slant_range_m
from qinet.scenario import load_scenario
from qinet.scenario.key_service import CHUNK_BITS, key_service_plan
from qinet.scenario.satellite import budget, run_start
from qinet.scenario.schema import Scenario

# A Micius-like orbit (500 km, 97.4 deg) whose pass over Xinglong on the night of
# 1-2 January 2017 culminates near 56 deg, and a station (Xinglong's coordinates).
_DOWNLINK = """
name: downlink
seed: 3
duration: 600 s
space: {epoch: "2017-01-01T12:00:00Z", start: next-pass, lead: 30 s}
hardware:
  apd: {kind: detector, efficiency: 0.5, dark_count_rate: 25 Hz, dead_time: 0 s, jitter: 0 s}
nodes:
  - {name: sat, orbit: {altitude: 500 km, inclination: 97.4 deg, raan: 0 deg}}
  - {name: xinglong, station: {latitude: 40.3959 deg, longitude: 117.5775 deg,
                               altitude: 890 m, aperture: 1 m}}
links:
  - {between: [sat, xinglong], scheme: downlink, divergence: 5 urad,
     pointing_jitter: 0.5 urad, detector: apd, background_night: 50 Hz,
     background_day: 1 MHz, night_only: NIGHT, time_step: 10 s}
demands:
  - {kind: qkd, protocol: bb84-decoy, between: [sat, xinglong], source_rate: 10 MHz,
     intensities: [0.8, 0.1, 0.0], intensity_probabilities: [0.5, 0.25, 0.25],
     block_size: 200000}
"""


def _downlink(night_only="true", **replace):
    text = _DOWNLINK.replace("NIGHT", night_only)
    for old, new in replace.items():
        text = text.replace(old, new)
    return text


@pytest.fixture(scope="module")
def night_run():
    return qinet.simulate(_downlink())


def test_schema_round_trip_keeps_every_satellite_field():
    scenario = load_scenario(_downlink())
    again = Scenario.model_validate(scenario.model_dump())
    assert again == scenario
    link = scenario.links[0]
    assert link.divergence == pytest.approx(5e-6)
    assert scenario.nodes[1].station.latitude == pytest.approx(math.radians(40.3959))
    assert scenario.nodes[1].station.aperture == pytest.approx(1e-3)  # km


@pytest.mark.parametrize(("old", "new", "message"), [
    ("divergence: 5 urad,", "divergence: 5 urad, beam_waist: 10 cm,",
     "links[0]: give the transmitter's `divergence` or its `beam_waist`"),
    ("divergence: 5 urad", "divergence: 5 URAD", "links[0].divergence: unknown unit"),
    ("between: [sat, xinglong], scheme", "between: [xinglong, sat], scheme",
     "links[0].between[0]: a downlink is sent by a satellite"),
    ("latitude: 40.3959 deg", "latitude: 100 deg",
     "nodes[1].station.latitude: must be at most 90 deg, got 100 deg"),
    ("protocol: bb84-decoy", "protocol: mdi", "demands[0].protocol: a satellite link runs"),
    ('space: {epoch: "2017-01-01T12:00:00Z", start: next-pass, lead: 30 s}', "",
     "space: needed by the downlink links[0]"),
    ("inclination: 97.4 deg, ", "", "nodes[0].orbit: needs `tle`"),
    ("links:\n", "links:\n  - {between: [sat, xinglong], length: 10 km, scheme: qkd}\n",
     "links[0].between[0]: 'sat' is a satellite: it joins only downlink and uplink links"),
])
def test_bad_fields_get_one_message_naming_them(old, new, message):
    with pytest.raises((ConfigError, ConfigErrors)) as info:
        load_scenario(_downlink(**{old: new}))
    assert message in str(info.value)


def test_the_loss_at_the_closest_step_is_the_budget_at_its_range_and_elevation(night_run):
    (link,) = night_run.qkd_links
    (one,) = link.passes
    k = int(np.argmin(one.range_km))
    assert one.range_km[k] == pytest.approx(one.min_range_km)
    scenario = load_scenario(_downlink())
    closed = budget(scenario, scenario.links[0]).loss_db(one.range_km[k] * 1e3,
                                                         math.radians(one.elevation_deg[k]))
    assert one.loss_db[k] == pytest.approx(float(closed), rel=1e-12)
    # the geometry is the spherical Earth's to within its flattening and the orbit's
    # eccentricity: the range at that elevation for a 500 km orbit, within 3 %
    assert one.range_km[k] * 1e3 == pytest.approx(
        float(slant_range_m(math.radians(one.elevation_deg[k]), 500e3)), rel=0.03)
    # the loss falls as the satellite climbs: highest at the pass's ends
    assert one.loss_db[k] < min(one.loss_db[0], one.loss_db[-1])


def test_totals_are_the_integrals_of_the_rate_series(night_run):
    (link,) = night_run.qkd_links
    (one,) = link.passes
    steps = np.asarray(one.step_s)
    assert float(np.asarray(one.sifted_rate_bps) @ steps) == pytest.approx(one.sifted_bits,
                                                                           rel=1e-12)
    assert float(np.asarray(one.secret_rate_bps) @ steps) == pytest.approx(
        one.asymptotic_key_bits, rel=1e-12)
    assert sum(steps) == pytest.approx(one.duration_s, rel=1e-12)
    # the link's figures are its passes'
    assert link.pulses == one.pulses == round(10e6 * sum(steps))
    assert link.sifted_bits == one.sifted_bits
    assert link.key_bits == one.key_bits > 0
    assert link.keys_equal


def test_the_pass_lies_in_the_run_and_above_the_minimum_elevation(night_run):
    (one,) = night_run.qkd_links[0].passes
    assert one.start_s == pytest.approx(30.0, abs=1e-3)  # lead before the rise
    assert min(one.elevation_deg) >= 10.0 - 1e-9
    assert all(one.sending)
    assert 50.0 < one.max_elevation_deg < 60.0


def test_a_night_only_link_sends_nothing_in_daylight():
    # RAAN 30 deg: the first pass after the epoch crosses Xinglong at about 23:40 UTC,
    # 07:40 local time on 2 January, after dawn (the Sun above -12 deg)
    day_pass = {"raan: 0 deg": "raan: 30 deg, epoch: \"2017-01-01T12:00:00Z\"",
                "2017-01-01T12:00:00Z\", start": "2017-01-01T23:00:00Z\", start"}
    day = qinet.simulate(_downlink(**day_pass))
    (one,) = day.qkd_links[0].passes
    assert not any(one.sending)
    assert one.pulses == one.sifted_bits == one.key_bits == 0
    assert day.qkd_links[0].key_bits == 0
    # the same pass with a link that sends by day: key, and a noisy one
    lit = qinet.simulate(_downlink("false", **day_pass))
    (sent,) = lit.qkd_links[0].passes
    assert all(sent.sending)
    assert sent.pulses > 0
    assert sent.qber > 0.2  # 1 MHz of daylight per detector against a few kHz of signal


def test_next_pass_starts_the_run_lead_before_the_rise():
    scenario = load_scenario(_downlink())
    start = run_start(scenario)
    assert start.isoformat().startswith("2017-01-01T22:0")
    assert elevation_from_range_rad(500e3, 500e3) == pytest.approx(math.pi / 2)


_RELAY = """
name: relay
seed: 2
duration: 6.6 h
space: {epoch: "2017-01-01T15:10:00Z"}
hardware:
  apd: {kind: detector, efficiency: 0.5, dark_count_rate: 25 Hz, dead_time: 0 s, jitter: 0 s}
nodes:
  - {name: sat, trusted: true, orbit: {altitude: 500 km, inclination: 97.4 deg,
                                       raan: 90 deg, epoch: "2017-01-01T12:00:00Z"}}
  - {name: xinglong, station: {latitude: 40.3959 deg, longitude: 117.5775 deg,
                               altitude: 890 m, aperture: 1 m}}
  - {name: graz, station: {latitude: 47.0678 deg, longitude: 15.4942 deg, altitude: 493 m,
                           aperture: 1 m}}
links:
  - {between: [sat, xinglong], scheme: downlink, divergence: 5 urad, detector: apd,
     night_only: true, background_night: 50 Hz, time_step: 20 s}
  - {between: [sat, graz], scheme: downlink, divergence: 5 urad, detector: apd,
     night_only: true, background_night: 50 Hz, time_step: 20 s}
demands:
  - {kind: qkd, protocol: bb84-decoy, between: [sat, xinglong], source_rate: 20 MHz,
     intensities: [0.8, 0.1, 0.0], intensity_probabilities: [0.5, 0.25, 0.25],
     block_size: 400000}
  - {kind: qkd, protocol: bb84-decoy, between: [sat, graz], source_rate: 20 MHz,
     intensities: [0.8, 0.1, 0.0], intensity_probabilities: [0.5, 0.25, 0.25],
     block_size: 400000}
  - {kind: key, between: [xinglong, graz], key_size: 256}
"""


def test_a_trusted_satellite_relays_the_smaller_of_its_two_passes_keys():
    run = qinet.simulate(_RELAY)
    xl, gz = run.qkd_links
    (pass_xl,) = xl.passes
    (pass_gz,) = gz.passes
    assert pass_xl.end_s < pass_gz.start_s  # served hours apart
    (demand,) = run.key_demands
    # the one-time-pad relay spends the same bits from both pools: whole keys of the
    # smaller pool, the rest of it left over
    smaller = min(xl.key_bits, gz.key_bits)
    assert demand.keys == smaller // 256 > 0
    assert demand.exposed_to == {"sat": demand.keys}
    assert min(xl.pool_level_bits, gz.pool_level_bits) == smaller % 256
    assert demand.keys_equal


def test_the_example_of_docs_free_space_runs_one_pass():
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "free-space.md"
    text = doc.read_text(encoding="utf-8").split("```yaml", 1)[1].split("```", 1)[0]
    run = qinet.simulate(text)
    (link,) = run.qkd_links
    (one,) = link.passes
    assert one.key_bits > 0
    assert min(one.elevation_deg) >= 20.0 - 1e-9


def test_a_dual_downlink_counts_the_closed_form_coincidences():
    from qinet.scenario import preset_path
    from qinet.scenario.satellite import dual_pass_channels

    scenario = load_scenario(preset_path("micius-entanglement"))
    run = qinet.simulate(scenario)
    (link,) = run.qkd_links
    (one,) = link.passes
    assert link.protocol == "bbm92"
    spec = scenario.links[0]
    (channel,) = dual_pass_channels(scenario, spec, start=run_start(scenario),
                                    duration_s=scenario.duration)
    eta_d = 0.5  # the preset's detectors; no jitter, so the whole window counts
    e_a, e_b = channel.arm_transmittance * eta_d
    noise = 2 * (25.0 + 100.0)  # two detectors per station, dark + night background
    s_a, s_b = spec.pair_rate * e_a + noise, spec.pair_rate * e_b + noise
    t = channel.step_s
    expected = float(((spec.pair_rate * e_a * e_b + s_a * s_b * spec.detection_window) * t)
                     .sum())
    detections = link.raw_rate_bps * link.pulses / link.source_rate_hz
    assert abs(detections - expected) < 5 * math.sqrt(expected)  # Poisson, 5 sigma
    # both stations measure in Z a quarter of the time
    assert abs(one.sifted_bits - detections / 4) < 5 * math.sqrt(detections * 3 / 16)
    # the two-photon loss is the sum of the two downlinks' losses
    assert one.loss_db == pytest.approx(
        tuple(-10 * np.log10(channel.arm_transmittance.prod(axis=0))), rel=1e-12)
    assert one.range_km == pytest.approx(tuple(channel.range_m / 1e3), rel=1e-12)
    assert 1_500 < one.min_range_km < 1_700  # the stations are 1,120 km apart
    assert link.key_bits == one.key_bits > 0


def test_the_run_figure_draws_each_satellite_link_s_passes(night_run):
    from qinet.analysis.plots import run_figure

    figure = run_figure(night_run)
    titles = [ax.get_title() for ax in figure.axes]
    (title,) = [t for t in titles if "pass(es)" in t]
    assert title.startswith("sat-xinglong (bb84-decoy): 1 pass(es)")
    (passes,) = [ax for ax in figure.axes if "pass(es)" in ax.get_title()]
    elevation = passes.get_lines()[0].get_ydata()
    assert list(elevation) == list(night_run.qkd_links[0].passes[0].elevation_deg)


def test_an_uplink_loses_more_than_the_downlink_of_the_same_optics():
    # the same pass, the station sending: turbulence at the transmitter spreads the beam
    # (Andrews & Phillips' uplink weight), so each step loses more than the downlink's
    up_text = _downlink(**{"between: [sat, xinglong], scheme: downlink":
                           "between: [xinglong, sat], scheme: uplink, receiver_aperture: 1 m",
                           "between: [sat, xinglong], source_rate":
                           "between: [xinglong, sat], source_rate"})
    up = qinet.simulate(up_text)
    (one_up,) = up.qkd_links[0].passes
    (one_down,) = qinet.simulate(_downlink()).qkd_links[0].passes
    assert one_up.range_km == pytest.approx(one_down.range_km, rel=1e-9)
    assert all(u > d + 1.0 for u, d in zip(one_up.loss_db, one_down.loss_db, strict=True))
    scenario = load_scenario(up_text)
    k = int(np.argmin(one_up.range_km))
    closed = budget(scenario, scenario.links[0]).loss_db(
        one_up.range_km[k] * 1e3, math.radians(one_up.elevation_deg[k]))
    assert one_up.loss_db[k] == pytest.approx(float(closed), rel=1e-12)


def test_a_tle_gives_the_pass_of_the_same_elements():
    from datetime import UTC, datetime

    from qinet.physical.orbits import Satellite

    sat = Satellite.circular(altitude_m=500e3, inclination_rad=math.radians(97.4),
                             raan_rad=0.0, argument_of_latitude_rad=0.0,
                             epoch=datetime(2017, 1, 1, 12, tzinfo=UTC))
    orbit = "{altitude: 500 km, inclination: 97.4 deg, raan: 0 deg}"
    text = _downlink(**{orbit: f'{{tle: ["{sat.line1}", "{sat.line2}"]}}'})
    assert load_scenario(text).nodes[0].orbit.tle == [sat.line1, sat.line2]
    (by_tle,) = qinet.simulate(text).qkd_links[0].passes
    (by_elements,) = qinet.simulate(_downlink()).qkd_links[0].passes
    assert by_tle.max_elevation_deg == pytest.approx(by_elements.max_elevation_deg, abs=1e-6)
    assert by_tle.start_utc == by_elements.start_utc


def test_next_pass_of_a_named_station_and_the_same_seed_gives_the_same_passes():
    from qinet.scenario import preset_path

    relay = load_scenario(preset_path("micius-relay"))
    space = relay.space.model_copy(update={"start": "next-pass", "lead": 0.0,
                                           "station": "graz"})
    start = run_start(relay.model_copy(update={"space": space}))
    assert start.isoformat().startswith("2017-01-01T21:3")  # the Graz pass, not Xinglong's
    bad = relay.space.model_copy(update={"start": "next-pass", "station": "micius"})
    with pytest.raises(ConfigError, match=r"space\.station: 'micius' is not a ground station"):
        run_start(relay.model_copy(update={"space": bad}))
    first = qinet.simulate("micius-entanglement").to_dict()["qkd_links"]
    assert qinet.simulate("micius-entanglement").to_dict()["qkd_links"] == first
    other = qinet.simulate("micius-entanglement", seed=9).to_dict()["qkd_links"]
    assert other[0]["passes"][0]["sifted_bits"] != first[0]["passes"][0]["sifted_bits"]


def test_the_text_report_lists_each_pass_and_says_rates_are_per_second_of_pass(night_run):
    from rich.console import Console

    from qinet.analysis.report import qkd_link_table

    console = Console(width=120, record=True)
    console.print(qkd_link_table(night_run.qkd_links[0]))
    text = console.export_text()
    p = night_run.qkd_links[0].passes[0]
    assert "pass 1 " in text
    assert f"{p.start_utc[11:19]}–{p.end_utc[11:19]} UTC" in text
    assert f"max {p.max_elevation_deg:.1f}°" in text
    assert "secret-key rate (per s of pass)" in text
    assert "shortest range / transmittance" in text


def test_a_key_service_serves_the_stations_a_trusted_satellite_joins():
    # `qinet serve`: KMEs at both stations, keys relayed through the satellite's pools
    with_kmes = _RELAY.replace("altitude: 890 m, aperture: 1 m}}",
                               "altitude: 890 m, aperture: 1 m}, saes: [xl-app]}")
    with_kmes = with_kmes.replace("altitude: 493 m,\n                           aperture: 1 m}}",
                                  "altitude: 493 m,\n                           aperture: 1 m},"
                                  " saes: [gz-app]}")
    scenario = load_scenario(with_kmes.split("  - {kind: key")[0])
    kmes, start_supply = key_service_plan(scenario)
    assert [k.name for k in kmes] == ["xinglong", "graz"]
    supply = start_supply(1)
    relayed = sum(a.n_bytes for a in supply.advance(scenario.duration)) * 8
    deposited = [link.stats.key_bits for link in supply.network.result().links]
    # the same links as `qinet run` plays with the same seed, and the relay pays whole
    # chunks out of the scarcer pool
    run = qinet.simulate(_RELAY)
    assert deposited == [link.key_bits for link in run.qkd_links]
    assert relayed == min(deposited) // CHUNK_BITS * CHUNK_BITS > 0
