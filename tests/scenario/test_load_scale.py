"""Large scenario files load with every check the loader makes, and the event reader gives
exactly what PyYAML's composer and constructor give (values and messages alike)."""

import gc
import math
from itertools import pairwise

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qinet.errors import ConfigError, ConfigErrors, UnitError
from qinet.scenario import Scenario, load_scenario
from qinet.scenario import loader as loader_module
from qinet.units import parse_quantity


def chain_text(n_nodes: int, n_demands: int = 3) -> str:
    """A chain written as a generator writes it: block style, units as strings."""
    names = [f"r{i}" for i in range(n_nodes)]
    parts = ["name: chain\nseed: 7\nduration: 1 s\nhardware:\n",
             "  mem: {kind: memory, t2: 1 s, efficiency: 0.9}\n",
             "  det: {kind: detector, efficiency: 0.9, dark_count_rate: 10 Hz}\n",
             "nodes:\n"]
    parts.extend(f"  - name: {v}\n    memories: {20 if 0 < i < n_nodes - 1 else 10}\n"
                 f"    memory: mem\n" for i, v in enumerate(names))
    parts.append("links:\n")
    parts.extend(f"  - between: [{a}, {b}]\n    length: {1 + i % 3} km\n"
                 f"    scheme: double-click\n    detector: det\n"
                 for i, (a, b) in enumerate(pairwise(names)))
    parts.append("demands:\n")
    parts.extend(f"  - kind: entanglement\n    between: [{names[k % n_nodes]}, "
                 f"{names[(k * 7 + 1) % n_nodes]}]\n    min_fidelity: 0.8\n    rate: 10 Hz\n"
                 for k in range(n_demands) if k % n_nodes != (k * 7 + 1) % n_nodes)
    return "".join(parts)


@pytest.fixture
def composer_only(monkeypatch):
    """The loader with PyYAML's composer and constructor doing all the reading."""
    def unusual(loader):
        raise loader_module._Unusual

    monkeypatch.setattr(loader_module, "_build", unusual)


def _outcome(text: str):
    try:
        return "ok", loader_module._parse(text)
    except ConfigError as exc:
        return "refused", str(exc)


def _same(a, b) -> bool:
    return repr(a) == repr(b)  # repr tells 1 from 1.0 and True, and nan equals nan


def test_a_10k_node_chain_file_loads_with_every_value(tmp_path):
    path = tmp_path / "chain.yaml"
    text = chain_text(10_000, n_demands=50)
    path.write_text(text)
    scenario = load_scenario(path)
    assert (len(scenario.nodes), len(scenario.links), len(scenario.demands)) == (
        10_000, 9_999, 50)
    assert [link.length for link in scenario.links[:4]] == [1.0, 2.0, 3.0, 1.0]
    assert scenario.nodes[5].memories == 20
    assert scenario.nodes[-1].memory == "mem"
    assert scenario.demands[0].rate == 10.0
    assert scenario == Scenario.model_validate(yaml.safe_load(text))


def test_10k_demands_load(tmp_path):
    path = tmp_path / "demands.yaml"
    path.write_text(chain_text(100, n_demands=10_000))
    scenario = load_scenario(path)
    assert len(scenario.demands) > 9_000
    assert {d.between for d in scenario.demands} >= {("r0", "r1"), ("r1", "r8")}


def test_a_repeated_key_deep_in_a_large_file_names_both_lines():
    text = chain_text(2_000)
    lines = text.splitlines()
    at = lines.index("  - name: r1500")
    lines.insert(at + 2, "    memories: 3")
    with pytest.raises(ConfigError, match=rf"duplicate key 'memories' at line {at + 3} "
                                          rf"\(first at line {at + 2}\)"):
        load_scenario("\n".join(lines) + "\n")


def test_problems_in_a_large_file_are_all_reported_with_their_paths():
    text = chain_text(3_000).replace("between: [r10, r11]\n    length: 2 km",
                                     "between: [r10, r99999]\n    length: 2 KM")
    text = text.replace("  - name: r2000\n    memories: 20\n",
                        "  - name: r2000\n    memorie: 20\n")
    with pytest.raises(ConfigErrors) as info:
        load_scenario(text)
    assert [str(p) for p in info.value.problems] == [
        'nodes[2000].memorie: unknown field, got 20; did you mean "memories"?',
        'links[10].length: unknown unit "KM" for a length (units are case-sensitive); '
        '"km" (kilometre) was probably meant, got \'2 KM\'',
        "links[10].between[1]: unknown node 'r99999'; nodes are r0, r1, r2, r3, r4, r5, r6, "
        "r7, r8, r9, r10, r11, r12, r13, r14, r15, r16, r17, r18, r19, ..."]
    fixed = text.replace("memorie:", "memories:").replace("2 KM", "2 km")
    with pytest.raises(ConfigError, match=r"links\[10\]\.between\[1\]: unknown node 'r99999'; "
                                          r"nodes are r0, r1, "):
        load_scenario(fixed)


CASES = [
    "", "# only a comment\n", "a: 1\n---\nb: 2\n", "- 1\n- 2\n",
    "a: yes\nb: on\nc: 0x1F\nd: 1_000\ne: 1:30\nf: 2026-01-02\ng: .nan\nh: ~\ni: '1'\n"
    "j: 1e3\nk: 1.5e3\nl: -.inf\nm: 0o17\nn: 017\no: ''\np: \"\"\nq: NO\n",
    "a: !!str 5\nb: !!float 1\n", "a: !!binary aGVsbG8=\n", "a: !!set {x, y}\n",
    "a: &x {b: 1}\nc: *x\nd: [*x, *x]\n", "- &a x\n- *a\n- &b [*a]\n- *b\n",
    "a: {<<: {b: 1}, b: 2}\n", "base: &b {x: 1}\nc: {<<: *b, y: 2}\n",
    "a: &b {x: 1, y: [1]}\nc: {y: 2, <<: *b, z: 3}\n", "<<: {a: 1}\nb: 2\n",
    "a: &b {x: 1}\nd: &c {x: 2, z: 3}\ne: {w: 0, <<: [*b, *c], x: 9}\n",
    "a: {<<: 1}\n", "a: {<<: [1]}\n", "a: {<<: [{b: 1}], <<: {b: 2, c: 3}}\n",
    "a: {'<<': 1}\n", "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\nd: *b\n",
    "a: {<<: {<<: {x: 1}, y: 2}, <<: []}\n", "a: &a {x: 1}\nb: {x: 2, <<: *a, x: 3}\n",
    "a: {<<: &m {x: 1}, y: *m}\n", "a: {&k <<: {x: 1}}\n", "a: &s [1]\nb: {<<: *s}\n",
    "- &a {x: 1}\n- <<: *a\n  y: 2\n- {<<: {x: 3}, x: 4}\n",
    "a: *y\n", "? [1, 2]\n: 3\n", "? {a: 1}\n: 3\n", "a: &x 1\nb: &x 2\n", "*x : 1\n",
    "a: &k key\n*k : 2\n", "a: 1\nb:\n  c: 2\n  c: 3\n", "1: a\n1.0: b\n", "true: a\n1: b\n",
    ".nan: a\n.nan: b\n", "'a': 1\n\"a\": 2\n", "~: 1\nnull: 2\n", "a: 2026-13-45\n",
    "a: <<\n", "<<: 1\n", "a: b: c\n", "a: [\n", "\t- x", "a: - b\n", "{a: 1, a: 2}",
    "key: |\n  text\n  more\n", "a:\n- 1\n-\n- {}\n- []\n", "? a\n", "%YAML 1.1\n---\na: 1\n",
    "--- !!map\na: 1\n", "a: ! 3\n", "a: !local 3\n", "a: !!python/name:os.system\n",
]


@pytest.mark.parametrize("text", CASES)
def test_the_event_reader_matches_pyyaml(text, monkeypatch):
    fast = _outcome(text)
    monkeypatch.setattr(loader_module, "_build", _always_unusual)
    assert _same(fast, _outcome(text))


def _always_unusual(loader):
    raise loader_module._Unusual


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                     st.text(max_size=8), st.sampled_from(["20 km", "yes", "0x1f", "1:30",
                                                           "~", "<<", "2026-01-02", "1e3"]))
_keys = st.one_of(st.text(max_size=6), st.integers(-3, 3), st.booleans())
_trees = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)), max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees, shared=st.booleans(), flow=st.booleans())
def test_the_event_reader_matches_pyyaml_on_random_documents(tree, shared, flow):
    # a shared value makes safe_dump write an anchor and aliases
    document = {"a": tree, "b": tree} if shared else {"a": tree}
    text = yaml.safe_dump(document, allow_unicode=True, default_flow_style=flow)
    fast = _outcome(text)
    real = loader_module._build
    try:
        loader_module._build = _always_unusual
        slow = _outcome(text)
    finally:
        loader_module._build = real
    assert _same(fast, slow)


@pytest.mark.parametrize("text", ["a: &x [1, *x]\n", "a: &x {b: {c: *x}}\n",
                                  "a: !!seq &x [1, *x]\n"])
def test_a_value_that_contains_itself_is_refused(text):
    with pytest.raises(ConfigError, match="an alias refers to a value that contains it"):
        load_scenario(text)


def test_a_value_that_contains_itself_is_refused_by_the_composer_path_too(composer_only):
    with pytest.raises(ConfigError, match="an alias refers to a value that contains it"):
        load_scenario("a: &x [1, {b: *x}]\n")


def _bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_by_both_paths(monkeypatch):
    with pytest.raises(ConfigError, match="expands to more than 2,000,000 values"):
        loader_module._parse(_bomb())
    monkeypatch.setattr(loader_module, "_build", _always_unusual)
    with pytest.raises(ConfigError, match="expands to more than 2,000,000 values"):
        loader_module._parse(_bomb())


def test_shared_values_below_the_limit_are_read_once():
    data = loader_module._parse("a: &x {b: [1, 2]}\nc: *x\n")
    assert data["a"] is data["c"]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_left_as_it_was(enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        load_scenario(chain_text(5))
        assert gc.isenabled() is enabled
        with pytest.raises(ConfigErrors):
            load_scenario(chain_text(5).replace("memories: 10", "memories: 0").replace(
                "10 Hz", "10 hz"))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_repeated_quantities_give_the_same_values_and_errors():
    for _ in range(3):
        assert parse_quantity("20 km", "length_km") == 20.0
        assert parse_quantity("1 GHz", "frequency_hz") == 1e9
        assert math.isinf(parse_quantity("inf s", "time_s"))
        with pytest.raises(UnitError, match='unknown unit "KM"'):
            parse_quantity("20 KM", "length_km")
    with pytest.raises(UnitError, match='"km" is a length'):
        parse_quantity("20 km", "time_s")


@pytest.mark.slow
def test_a_100k_node_chain_file_loads(tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(chain_text(100_000))
    scenario = load_scenario(path)
    assert (len(scenario.nodes), len(scenario.links)) == (100_000, 99_999)
    assert scenario.links[-1].between == ("r99998", "r99999")
    assert scenario.links[-1].length == 3.0


def test_a_date_that_does_not_exist_is_refused_cleanly():
    with pytest.raises(ConfigError, match=r"not valid YAML: month must be in 1\.\.12"):
        load_scenario("nodes: [{name: a}, {name: b}]\ncreated: 2026-13-45\n")


def test_merge_keys_and_aliases_are_read_without_the_composer(monkeypatch):
    def no_composer(loader, text):
        raise AssertionError("the composer was used")

    monkeypatch.setattr(loader_module, "_compose_and_construct", no_composer)
    text = """\
hardware:
  det: &det {kind: detector, efficiency: 0.9}
nodes: [{name: a}, {name: b}, {name: c}]
links:
  - &link {between: [a, b], length: 20 km, scheme: double-click, detector: det}
  - {<<: *link, between: [b, c], length: 5 km}
"""
    scenario = load_scenario(text)
    assert [(link.between, link.length, link.detector) for link in scenario.links] == [
        (("a", "b"), 20.0, "det"), (("b", "c"), 5.0, "det")]


@pytest.mark.slow
def test_a_100k_node_chain_with_merged_links_is_within_the_alias_limit():
    # the limit counts the values read, aliases written out: 100,000 links of five fields
    # merged from the first are far from it, and so is the rest of the file
    names = [f"r{i}" for i in range(100_000)]
    text = "".join(["nodes:\n", *(f"  - {{name: {v}, memories: 2}}\n" for v in names),
                    "links:\n  - &link {between: [r0, r1], length: 20 km, scheme: double-click,"
                    " detector: det}\n",
                    *(f"  - {{<<: *link, between: [{a}, {b}]}}\n"
                      for a, b in pairwise(names[1:])),
                    "hardware: {det: {kind: detector}}\n"])
    scenario = load_scenario(text)
    assert len(scenario.links) == 99_999
    assert scenario.links[-1].detector == "det"
