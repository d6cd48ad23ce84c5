"""Scenario files: good ones load with units parsed, bad ones get one message naming the field."""

import pytest
import yaml

from qinet.errors import ConfigError, ConfigErrors
from qinet.scenario import Simulation, load_scenario, preset_names, preset_path

GOOD = {
    "name": "t",
    "hardware": {
        "nv": {"kind": "memory", "t2": "500 ms", "efficiency": 0.8},
        "det": {"kind": "detector", "dark_count_rate": "20 Hz", "dead_time": "40 ns"},
        "fib": {"kind": "fibre", "attenuation": "0.18 dB/km"},
        "src": {"kind": "spdc", "mean_pairs": 0.05, "rate": "80 MHz"},
    },
    "nodes": [{"name": "a", "memory": "nv"}, {"name": "b", "memory": "nv"},
              {"name": "c", "memories": 4}],
    "links": [
        {"between": ["a", "b"], "length": "25 km", "scheme": "double-click", "detector": "det",
         "fibre": "fib"},
        {"between": ["b", "c"], "length": "1500 m", "scheme": "midpoint-source", "source": "src"},
    ],
    "demands": [{"kind": "entanglement", "between": ["a", "b"], "min_fidelity": 0.9,
                 "rate": "5 Hz", "window": "20 ms"}],
}


def _with(path: str, value):
    """GOOD with the field at dotted ``path`` (list indices as numbers) replaced."""
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = data
    for part in parents:
        target = target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return data


_DELETE = object()


def test_good_scenario_parses_units_once():
    s = load_scenario(GOOD)
    assert s.hardware["nv"].t2 == pytest.approx(0.5)
    assert s.hardware["det"].dead_time == pytest.approx(40e-9)
    assert s.hardware["fib"].attenuation == pytest.approx(0.18)
    assert s.hardware["src"].rate == pytest.approx(80e6)
    assert s.links[1].length == pytest.approx(1.5)
    assert s.demands[0].window == pytest.approx(0.02)
    assert s.mode == "fast-forward"
    assert s.backend == "bell-diagonal"


def test_overrides_replace_top_level_fields():
    s = load_scenario(GOOD, seed=11, duration="250 ms", mode="detailed")
    assert (s.seed, s.duration, s.mode) == (11, 0.25, "detailed")


@pytest.mark.parametrize(
    ("path", "value", "field", "reason"),
    [
        ("links.0.length", "-3 km", "links[0].length", "must be positive, got -3"),
        ("links.1.length", "20 kg", "links[1].length", 'unknown unit "kg"'),
        ("links.0.length", "far", "links[0].length", "cannot read"),
        ("links.0.colour", "red", "links[0].colour", "unknown field"),
        ("links.0.scheme", "triple-click", "links[0].scheme", "unknown scheme"),
        ("links.0.between", ["a", "zed"], "links[0].between[1]", "unknown node 'zed'"),
        ("links.0.between", ["a", "a"], "links[0].between", "two different nodes"),
        ("links.0.detector", "nv", "links[0].detector", "is a memory, not a detector"),
        ("links.0.fibre", "nope", "links[0].fibre", "unknown fibre 'nope'"),
        ("links.0.length", _DELETE, "links[0].length", "required field is missing"),
        ("hardware.nv.efficiency", 1.5, "hardware.nv.efficiency", "must be at most 1"),
        ("hardware.nv.t2", "0 s", "hardware.nv.t2", "must be positive"),
        ("hardware.det.kind", "camera", "hardware.det.kind", "unknown kind"),
        ("nodes.0.memories", 0, "nodes[0].memories", "greater than or equal to 1"),
        ("nodes.1.name", "a", "nodes[1].name", "duplicate node name"),
        ("nodes.0.memory", "det", "nodes[0].memory", "is a detector, not a memory"),
        ("demands.0.between", ["a", "a"], "demands[0].between", "two different nodes"),
        ("demands.0.min_fidelity", 2, "demands[0].min_fidelity", "must be at most 1"),
        ("seed", -1, "seed", "greater than or equal to 0"),
        ("duration", "10 km", "duration", 'unknown unit "km" for a time'),
    ],
)
def test_bad_field_gets_a_message_naming_it(path, value, field, reason):
    with pytest.raises(ConfigError) as info:
        load_scenario(_with(path, value))
    assert info.value.field == field  # the first problem (others may follow from it)
    assert reason in info.value.reason
    problem = _problems(info.value)[0]
    assert str(problem).startswith(f"{field}: ")
    assert f"  {problem}" in str(info.value) or str(info.value) == str(problem)


def _problems(error: ConfigError) -> tuple[ConfigError, ...]:
    return error.problems if isinstance(error, ConfigErrors) else (error,)


def test_bad_yaml_and_missing_file_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_scenario("nodes: [a\nlinks: {")
    with pytest.raises(ConfigError, match="cannot read scenario file"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_scenario("- 1\n- 2\n")


def test_too_many_memories_asked_by_links_is_refused():
    scenario = load_scenario(_with("links.0.memories", 50))
    with pytest.raises(ConfigError, match="memories"):
        Simulation(scenario)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_loads(name):
    scenario = load_scenario(preset_path(name))
    assert scenario.name == name


def test_unknown_preset_lists_the_known_ones():
    with pytest.raises(ConfigError, match="metro-link"):
        preset_path("atlantis")


def test_demand_between_disconnected_nodes_is_refused():
    data = _with("nodes", GOOD["nodes"] + [{"name": "island"}])
    data["demands"][0]["between"] = ["a", "island"]
    with pytest.raises(ConfigError, match=r"demands\[0\]\.between: no path of entanglement "
                                          r"links joins a and island"):
        load_scenario(data)


def test_policy_section_is_strict():
    data = _with("policy", {"swapping": "nested", "cutoff": "50 ms",
                            "purification": {"scheme": "dejmps", "rounds": 2}})
    s = load_scenario(data)
    assert s.policy.cutoff == pytest.approx(0.05)
    assert s.policy.purification.rounds == 2
    with pytest.raises(ConfigError, match=r"policy\.swapping"):
        load_scenario(_with("policy", {"swapping": "sideways"}))


@pytest.mark.parametrize(("path", "value", "field", "reason"), [
    ("links.0.length", 20, "links[0].length", 'needs a unit, such as "20 km"'),
    ("hardware.nv.t2", 0.5, "hardware.nv.t2", 'needs a unit, such as "0.5 s"'),
    ("hardware.fib.attenuation", 0.2, "hardware.fib.attenuation", "use one of dB/km"),
    ("hardware.det.dark_count_rate", "10 hz", "hardware.det.dark_count_rate",
     '"Hz" (hertz) was probably meant'),
    ("demands.0.rate", "5 mhz", "demands[0].rate", '"mHz" (millihertz) or "MHz"'),
    ("links.0.length", "10 KM", "links[0].length", '"km" (kilometre)'),
    ("duration", "0.5 ps", "duration", "must be at least 1 ps"),
    ("duration", "1e9 s", "duration", "must be at most 1e+06 s"),
    ("duration", "1e400 s", "duration", "must be finite"),
    ("hardware.nv.t1", 1.0, "hardware.nv.t1", "needs a unit"),
])
def test_quantities_need_their_unit_in_the_right_case(path, value, field, reason):
    with pytest.raises(ConfigError) as info:
        load_scenario(_with(path, value))
    assert info.value.field == field
    assert reason in info.value.reason


def test_zero_needs_no_unit_and_megaunits_are_not_milliunits():
    s = load_scenario(_with("hardware.det.dark_count_rate", 0))
    assert s.hardware["det"].dark_count_rate == 0.0
    s = load_scenario(_with("hardware.nv.t2", "2 Ms"))
    assert s.hardware["nv"].t2 == 2e6
    s = load_scenario(_with("demands.0.rate", "500 mHz"))
    assert s.demands[0].rate == 0.5


def test_a_dumped_scenario_reads_back_to_the_same_scenario():
    for name in preset_names():
        scenario = load_scenario(preset_path(name))
        dumped = scenario.model_dump()
        assert load_scenario(dumped) == scenario
        assert load_scenario(yaml.safe_dump(dumped, allow_unicode=True)) == scenario
