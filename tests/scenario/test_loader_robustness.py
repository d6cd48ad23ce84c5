"""The loader never lets a bad file through as a traceback: encodings, duplicate keys, size,
all problems at once with did-you-mean, fast reference checks, and fuzzing."""

import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinet.errors import ConfigError, ConfigErrors
from qinet.scenario import Scenario, load_scenario, preset_path
from qinet.scenario import loader as loader_module

SMALL = """\
name: {name}
nodes:
  - {{name: {node}}}
  - {{name: bob}}
links:
  - {{between: [{node}, bob], length: 20 km, scheme: double-click}}
"""


def _write(tmp_path, data: bytes):
    path = tmp_path / "net.yaml"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le+bom",
                                      "utf-16-be+bom"])
def test_utf8_and_utf16_with_a_byte_order_mark_are_read(tmp_path, encoding):
    text = SMALL.format(name="zürich", node="zoë")
    if encoding.endswith("+bom"):
        codec = encoding.removesuffix("+bom")
        data = ("\ufeff" + text).encode(codec)
    else:
        data = text.encode(encoding)
    scenario = load_scenario(_write(tmp_path, data))
    assert scenario.name == "zürich"
    assert scenario.nodes[0].name == "zoë"


def test_a_latin1_file_says_where_and_that_it_must_be_utf8(tmp_path):
    data = SMALL.format(name="net", node="zoë").encode("latin-1")
    with pytest.raises(ConfigError) as info:
        load_scenario(_write(tmp_path, data))
    message = str(info.value)
    assert "is not UTF-8 text: byte 0xeb at line 3, column 14" in message
    assert "save the file as UTF-8" in message


def test_utf16_without_a_byte_order_mark_is_recognised(tmp_path):
    data = SMALL.format(name="net", node="zoe").encode("utf-16-le")
    with pytest.raises(ConfigError, match="looks like UTF-16 without a byte-order mark"):
        load_scenario(_write(tmp_path, data))


def test_a_repeated_key_is_refused_with_its_line():
    text = SMALL.format(name="net", node="a") + "seed: 1\nduration: 1 s\nseed: 2\n"
    with pytest.raises(ConfigError, match=r"duplicate key 'seed' at line 9 \(first at line 7\)"):
        load_scenario(text)
    nested = "nodes:\n  - {name: a, memories: 2, memories: 3}\n  - {name: b}\n"
    with pytest.raises(ConfigError, match="duplicate key 'memories' at line 2"):
        load_scenario(nested)


def test_merge_keys_may_be_overridden():
    text = """\
base: &link {scheme: double-click, length: 20 km}
nodes: [{name: a}, {name: b}]
links:
  - {<<: *link, between: [a, b], length: 5 km}
"""
    with pytest.raises(ConfigError, match=r"^base: unknown field"):
        load_scenario(text)  # the anchor's holder is not a scenario field...
    data = loader_module._parse(text)
    assert data["links"][0]["length"] == "5 km"  # ...but the override itself is fine


@pytest.mark.parametrize("loader", [loader_module.StrictSafeLoader, loader_module.YAML_LOADER])
def test_the_c_and_python_parsers_read_the_same(loader):
    text = preset_path("metro-mesh").read_text(encoding="utf-8")
    assert loader_module._parse(text, loader) == yaml.safe_load(text)
    with pytest.raises(ConfigError, match="duplicate key"):
        loader_module._parse("a: 1\na: 2\n", loader)


def test_libyaml_is_used_when_present():
    if getattr(yaml, "CSafeLoader", None) is None:
        assert issubclass(loader_module.YAML_LOADER, yaml.SafeLoader)
    else:
        assert issubclass(loader_module.YAML_LOADER, yaml.CSafeLoader)


def test_a_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(loader_module, "MAX_FILE_BYTES", 2**20)
    path = _write(tmp_path, b"# padding\n" * 200_000)
    with pytest.raises(ConfigError, match=r"is 1\.9 MiB; the limit is 1 MiB"):
        load_scenario(path)
    with pytest.raises(ConfigError, match="the limit is 1,048,576"):
        load_scenario("# padding\n" * 200_000)


def test_an_alias_bomb_is_refused():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    with pytest.raises(ConfigError, match="expands to more than"):
        load_scenario("\n".join(lines) + "\n")


def test_every_problem_is_reported_at_once_with_its_path_and_value():
    text = """\
hardware:
  detector: {kind: detector, dark_count: 10 Hz}
nodes:
  - {name: a, memories: 0}
  - {name: b}
links:
  - {between: [a, b], lenght: 20 km, scheme: double-click, visibility: 2}
policy: {purification: {scheme: dejmps, roundz: 2}}
duration: 5
"""
    with pytest.raises(ConfigErrors) as info:
        load_scenario(text)
    lines = {str(p) for p in info.value.problems}
    assert lines == {
        "hardware.detector.dark_count: unknown field, got '10 Hz'; "
        'did you mean "dark_count_rate"?',
        "nodes[0].memories: input should be greater than or equal to 1, got 0",
        "links[0].lenght: unknown field, got '20 km'; did you mean \"length\"?",
        "links[0].length: required field is missing",
        "links[0].visibility: must be at most 1, got 2",
        "policy.purification.roundz: unknown field, got 2; did you mean \"rounds\"?",
        'duration: a time needs a unit, such as "5 s"; use one of s, ms, us, ns, ps, min, h, '
        "got 5",
    }
    assert str(info.value).startswith("7 problems:\n  ")


def test_reference_problems_are_reported_together():
    text = """\
nodes: [{name: a}, {name: b}, {name: c}]
links:
  - {between: [a, b], length: 1 km, scheme: double-click, detector: snsdp}
hardware:
  snspd: {kind: detector}
demands:
  - {kind: entanglement, between: [a, c]}
  - {kind: entanglement, between: [a, zed]}
"""
    with pytest.raises(ConfigErrors) as info:
        load_scenario(text)
    assert [str(p) for p in info.value.problems] == [
        "links[0].detector: unknown detector 'snsdp'; defined: snspd; did you mean \"snspd\"?",
        "demands[0].between: no path of entanglement links joins a and c",
        "demands[1].between[1]: unknown node 'zed'; nodes are a, b, c",
    ]


def test_no_internal_field_name_reaches_the_user():
    text = SMALL.format(name="n", node="a").replace("20 km", "20 km, round_gap: 1e9 s")
    with pytest.raises(ConfigError) as info:
        load_scenario(text)
    assert info.value.field == "links[0].round_gap"
    assert "_s" not in str(info.value)
    assert "_km" not in str(info.value)


def _star(n_leaves: int, n_demands: int) -> dict:
    names = ["hub"] + [f"n{i}" for i in range(n_leaves)]
    return {
        "nodes": [{"name": v, "memories": n_leaves if v == "hub" else 1} for v in names],
        "links": [{"between": ["hub", v], "length": "1 km", "scheme": "double-click",
                   "memories": 1} for v in names[1:]],
        "demands": [{"kind": "entanglement",
                     "between": [names[1 + i % n_leaves], names[1 + (i + 1) % n_leaves]]}
                    for i in range(n_demands)],
    }


def test_unknown_nodes_are_reported_with_the_schema_problems_in_file_order():
    text = """\
nodes: [{name: a}, {name: b}]
links:
  - {between: [a, c], lenght: 20 km, scheme: double-click}
  - {between: [a, b], length: 20 km, scheme: double-click}
demands: [{kind: entanglement, between: [a, d]}]
"""
    with pytest.raises(ConfigErrors) as info:
        load_scenario(text)
    assert [str(p) for p in info.value.problems] == [
        "links[0].length: required field is missing",
        "links[0].lenght: unknown field, got '20 km'; did you mean \"length\"?",
        "links[0].between[1]: unknown node 'c'; nodes are a, b",
        "demands[0].between[1]: unknown node 'd'; nodes are a, b",
    ]


def test_unreadable_nodes_leave_the_reference_check_to_the_schema():
    with pytest.raises(ConfigError) as info:
        load_scenario("nodes: [{name: a}, {memories: 2}]\n"
                      "links: [{between: [a, z], length: 1 km, scheme: double-click}]\n")
    assert str(info.value) == "nodes[1].name: required field is missing"


def test_connectivity_is_computed_once_for_any_number_of_demands(monkeypatch):
    calls = []
    real = loader_module._components
    monkeypatch.setattr(loader_module, "_components",
                        lambda edges: calls.append(len(edges)) or real(edges))
    data = _star(100, 10_000)
    data["nodes"].append({"name": "island"})
    data["demands"].append({"kind": "entanglement", "between": ["n0", "island"]})
    with pytest.raises(ConfigError, match=r"demands\[10000\]\.between: no path"):
        load_scenario(data)
    assert len(calls) == 2  # the entanglement links, and the trusted relays
    del data["demands"][-1]
    assert len(load_scenario(data).demands) == 10_000


def test_key_demands_follow_trusted_relays():
    text = """\
nodes: [{name: a}, {name: t1, trusted: true}, {name: t2, trusted: true}, {name: u}, {name: b}]
links:
  - {between: [a, t1], length: 10 km, scheme: qkd}
  - {between: [t1, t2], length: 10 km, scheme: qkd}
  - {between: [t2, b], length: 10 km, scheme: qkd}
  - {between: [b, u], length: 10 km, scheme: qkd}
demands:
  - {kind: key, between: [a, b]}
  - {kind: key, between: [t1, t2]}
  - {kind: key, between: [b, u]}
  - {kind: key, between: [a, u]}
"""
    with pytest.raises(ConfigError) as info:
        load_scenario(text)
    assert str(info.value) == ("demands[3].between: no chain of qkd links through trusted "
                               "nodes joins a and u")


# ---------------------------------------------------------------- fuzzing

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["20 km", "1e400 s", "-0 ps", "inf s", "1e-330 Hz", "NaN km", "10 KM",
                     "double-click", "qkd", "entanglement", "memory", "a", "b"]),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["name", "nodes", "links", "demands", "between",
                                         "length", "scheme", "kind", "hardware", "seed",
                                         "duration", "policy", "memories", "x"]),
                        children, max_size=5)),
    max_leaves=20,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _loads_or_refuses(source):
    """A valid scenario, or a ConfigError with a message: never any other exception."""
    try:
        result = load_scenario(source)
    except ConfigError as exc:
        result = str(exc)
    assert isinstance(result, Scenario) or result


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_are_refused_cleanly(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "net.yaml"
    path.write_bytes(data)
    _loads_or_refuses(path)


@FUZZ
@given(TREES)
def test_random_yaml_trees_are_refused_cleanly(tree):
    _loads_or_refuses(yaml.safe_dump({"tree": tree}) if not isinstance(tree, dict) else
                      yaml.safe_dump(tree, allow_unicode=True))
    if isinstance(tree, dict):
        _loads_or_refuses(tree)


EXTREMES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-2**80, max_value=2**80),
    st.builds(lambda x, unit: f"{x!r} {unit}", st.floats(allow_nan=True, allow_infinity=True),
              st.sampled_from(["km", "s", "Hz", "dB/km", "ps", "Mm", "KM", ""])),
)
PLACES = [("seed",), ("duration",), ("links", 0, "length"), ("links", 0, "modes"),
          ("links", 0, "attempt_period"), ("links", 0, "visibility"), ("nodes", 0, "memories"),
          ("hardware", "spin", "t2"), ("hardware", "snspd", "dark_count_rate"),
          ("demands", 0, "rate"), ("demands", 0, "pairs")]


@FUZZ
@given(st.sampled_from(PLACES), EXTREMES)
def test_extreme_numbers_are_refused_cleanly(place, value):
    data = yaml.safe_load(preset_path("metro-link").read_text(encoding="utf-8"))
    target = data
    for part in place[:-1]:
        target = target[part]
    target[place[-1]] = value
    _loads_or_refuses(data)
    _loads_or_refuses(yaml.safe_dump(data, allow_unicode=True))
    if isinstance(value, float) and not math.isfinite(value):
        with pytest.raises(ConfigError):
            load_scenario(data)
