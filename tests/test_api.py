"""`qinet.simulate`: every kind of source gives the same run; bad sources and options fail
with one ConfigError that names what was wrong."""

import inspect
import json
from itertools import pairwise
from pathlib import Path

import pytest

import qinet
from qinet.errors import ConfigError

SHORT = "30 ms"


def _doc(result):
    return json.dumps(result.to_dict(), sort_keys=True)


@pytest.fixture(scope="module")
def reference():
    """The default preset, loaded by hand, run at seed 5."""
    return _doc(qinet.simulate(qinet.load_scenario(qinet.preset_path("metro-link")),
                               seed=5, duration=SHORT))


@pytest.mark.parametrize("make_source", [
    pytest.param(lambda tmp: "metro-link", id="preset-name"),
    pytest.param(lambda tmp: qinet.preset_path("metro-link"), id="path"),
    pytest.param(lambda tmp: str(qinet.preset_path("metro-link")), id="path-string"),
    pytest.param(lambda tmp: qinet.preset_path("metro-link").read_text(), id="yaml-text"),
    pytest.param(lambda tmp: qinet.load_scenario(qinet.preset_path("metro-link")).model_dump(),
                 id="dict"),
    pytest.param(lambda tmp: qinet.load_scenario(qinet.preset_path("metro-link")),
                 id="scenario"),
])
def test_every_kind_of_source_gives_the_same_run(make_source, tmp_path, reference):
    result = qinet.simulate(make_source(tmp_path), seed=5, duration=SHORT)
    assert result.scenario == "metro-link"
    assert result.seed == 5
    assert result.duration_s == pytest.approx(0.03, rel=1e-12)
    assert result.demands[0].pairs > 0
    assert _doc(result) == reference


def test_a_file_copied_elsewhere_is_read_from_there(tmp_path, reference):
    path = tmp_path / "my-net.yaml"
    path.write_text(qinet.preset_path("metro-link").read_text(), encoding="utf-8")
    assert _doc(qinet.simulate(path, seed=5, duration=SHORT)) == reference
    assert _doc(qinet.simulate(str(path), seed=5, duration=SHORT)) == reference


def test_options_override_the_scenario_and_a_scenario_object_is_left_alone():
    scenario = qinet.load_scenario(qinet.preset_path("single-click-metro"), duration=SHORT)
    detailed = qinet.simulate(scenario, mode="detailed", backend="density-matrix", seed=2)
    assert (detailed.mode, detailed.seed) == ("detailed", 2)
    assert (scenario.mode, scenario.backend) == ("fast-forward", "bell-diagonal")
    assert qinet.simulate(scenario).mode == "fast-forward"


def test_progress_reports_simulated_seconds():
    seen = []
    qinet.simulate("metro-link", duration=SHORT, progress=lambda done, total: seen.append(
        (done, total)))
    assert seen
    assert seen[-1] == pytest.approx((0.03, 0.03), rel=1e-9)
    assert all(a[0] <= b[0] for a, b in pairwise(seen))


def test_options_are_keyword_only_and_typed():
    params = inspect.signature(qinet.simulate).parameters
    assert list(params) == ["source", "seed", "duration", "mode", "backend", "progress"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for name, p in params.items()
               if name != "source")
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    with pytest.raises(TypeError):
        qinet.simulate("metro-link", 3)


@pytest.mark.parametrize(("source", "message"), [
    ("metro-lnk", r"^source: 'metro-lnk' is neither a scenario file nor a preset; "
                  r"presets are .*metro-link"),
    ("no-such-file.yaml", r"^cannot read scenario file 'no-such-file.yaml'"),
    (42, r"^source: expected a preset name, a path, YAML text, a mapping or a Scenario, "
         r"got int 42$"),
    (["metro-link"], r"^source: expected .* got list \['metro-link'\]$"),
    ("nodes: [{name: a}, {name: b}]\nlinks: 3\n", r"^links: "),
    ({"nodes": [{"name": "a"}, {"name": "b"}], "colour": "blue",
      "links": [{"between": ["a", "b"], "length": "1 km", "scheme": "double-click"}]},
     r"^colour: unknown field, got 'blue'; fields here are "),
])
def test_a_bad_source_is_one_config_error_naming_what_was_wrong(source, message):
    with pytest.raises(ConfigError, match=message):
        qinet.simulate(source, duration=SHORT)


def test_a_bad_option_names_the_field():
    with pytest.raises(ConfigError, match=r"^mode: .*'warp'"):
        qinet.simulate("metro-link", mode="warp")  # a mode the signature does not allow
    with pytest.raises(ConfigError, match=r"^seed: "):
        qinet.simulate("metro-link", seed=-1)


def test_the_package_ships_its_type_marker():
    root = Path(qinet.__file__).parent
    assert (root / "py.typed").is_file()
    pyproject = (root.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"qinet" = ["py.typed"]' in pyproject
