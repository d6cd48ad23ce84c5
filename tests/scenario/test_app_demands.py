"""Applications computed from delivered pairs, as scenario demands: each figure against
its closed form at the delivered pair fidelity, bad fields refused by name, and the same
numbers for the same seed.

The links are Werner (raw fidelity 0.97) and the memories keep (T2 = 1e9 s), so every
delivered pair is a Werner pair: swapped Werner pairs stay Werner, and the run's mean
delivered fidelity F is then the fidelity of the mixture the applications draw from.
Statistical tolerances are 5 standard errors of the application's own runs.
"""

import dataclasses
import json
import math
import re

import pytest

from qinet.analysis.app_metrics import AppMetrics
from qinet.analysis.metrics import summarize
from qinet.analysis.report import run_report
from qinet.errors import ConfigError
from qinet.scenario import Simulation, load_scenario

from ..network.conftest import chain_scenario

BELL = 'OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0],q[1];'


def _run(demands, seed=1):
    # the run stops when every demand has its pairs
    scenario = load_scenario(chain_scenario(2, length_km=1.0, raw_fidelity=0.97, t2="1e9 s",
                                            seed=seed, demands=demands, duration="5 s"))
    return summarize(Simulation(scenario).run())


def test_chsh_randomness_matches_the_werner_closed_form():
    (m,) = _run([{"kind": "app", "app": "chsh-randomness", "between": ["n0", "n2"],
                  "count": 4000}]).apps
    f = m.pair_fidelity_mean
    closed = 2 * math.sqrt(2) * (4 * f - 1) / 3
    assert (m.app, m.between, m.completed, m.pairs_used) == (
        "chsh-randomness", ("n0", "n2"), 4000, 4000)
    assert m.chsh_expected == pytest.approx(closed, abs=1e-9)  # the pairs are Werner
    assert abs(m.chsh_estimate - closed) < 5 * m.chsh_std_error
    assert m.chsh_lower_bound < m.chsh_estimate
    assert m.certified_bits == pytest.approx(4000 * m.min_entropy_bits_per_round)
    assert f < 0.97  # two Werner links swapped: below either link


def test_ghz_fidelity_matches_the_fused_werner_closed_form():
    (m,) = _run([{"kind": "app", "app": "ghz", "centre": "n1", "participants": ["n0", "n2"],
                  "count": 3000}]).apps
    f = m.pair_fidelity_mean
    closed = (((2 * f + 1) / 3) ** 2 + ((4 * f - 1) / 3) ** 2) / 2  # de Bone et al. 2020
    assert (m.between, m.completed, m.pairs_used) == (("n1", "n0", "n2"), 3000, 6000)
    assert m.fidelity_expected == pytest.approx(closed, abs=1e-9)
    sigma = math.sqrt(closed * (1 - closed) / 3000)
    assert abs(m.fidelity_estimate - closed) < 5 * sigma
    assert m.fidelity_estimate_error == pytest.approx(sigma, rel=0.2)


def test_secret_sharing_error_rate_matches_the_ghz_closed_form():
    (m,) = _run([{"kind": "app", "app": "secret-sharing", "centre": "n1",
                  "participants": ["n0", "n2"], "count": 8000}]).apps
    f = m.pair_fidelity_mean
    closed = (1 - ((4 * f - 1) / 3) ** 2) / 2  # the parity of X/Y rounds, two shareholders
    assert m.error_rate_expected == pytest.approx(closed, abs=1e-9)
    checked = m.completed / 2 * 0.5  # half the rounds kept (even Y count), half checked
    assert abs(m.error_rate - closed) < 5 * math.sqrt(closed * (1 - closed) / checked)
    assert m.aborted is False
    assert 0 < m.secret_bits < m.completed


def test_circuit_bell_state_fidelity_is_the_pair_fidelity():
    # h; cx across two nodes: the non-local CX's pair error I, X, Y, Z maps Φ+ to
    # Φ+, Ψ+, Ψ-, Φ- (orthogonal unless I), so the output fidelity is the pair's w0 = F
    (m,) = _run([{"kind": "app", "app": "circuit", "qasm": BELL,
                  "qubits": {"q[0]": "n0", "q[1]": "n2"}, "count": 3000}]).apps
    f = m.pair_fidelity_mean
    assert (m.app, m.between, m.completed, m.pairs_used) == ("circuit", ("n0", "n2"),
                                                              3000, 3000)
    assert abs(m.fidelity_estimate - f) < 5 * math.sqrt(f * (1 - f) / 3000)


def test_circuit_reads_a_qasm_file_beside_the_scenario(tmp_path):
    import yaml
    (tmp_path / "bell.qasm").write_text(BELL)
    data = chain_scenario(1, length_km=1.0, demands=[
        {"kind": "app", "app": "circuit", "qasm": "bell.qasm",
         "qubits": {"q[0]": "n0", "q[1]": "n1"}, "count": 50}])
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    (m,) = summarize(Simulation(load_scenario(path)).run()).apps
    assert (m.completed, m.fidelity_estimate) == (50, 1.0)  # perfect links: exact
    with pytest.raises(ConfigError, match=r"demands\[0\]\.qasm"):
        load_scenario(chain_scenario(1, demands=[
            {"kind": "app", "app": "circuit", "qasm": "missing.qasm",
             "qubits": {"q[0]": "n0", "q[1]": "n1"}}]))


def test_circuit_without_qiskit_names_the_extra(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "qiskit", None)  # import qiskit now fails
    scenario = load_scenario(chain_scenario(1, demands=[
        {"kind": "app", "app": "circuit", "qasm": BELL,
         "qubits": {"q[0]": "n0", "q[1]": "n1"}}]))
    with pytest.raises(ConfigError, match=r"demands\[0\]\.qasm.*circuits"):
        Simulation(scenario)


@pytest.mark.parametrize(("demand", "field"), [
    ({"app": "ghz", "centre": "n1", "participants": ["n0", "n0"]}, "demands[0].participants"),
    ({"app": "ghz", "centre": "n1", "participants": ["n1", "n0"]}, "demands[0].participants"),
    ({"app": "ghz", "centre": "n9", "participants": ["n0"]}, "demands[0].centre"),
    ({"app": "ghz", "centre": "n1", "participants": ["n0", "nx"]},
     "demands[0].participants[1]"),
    ({"app": "ghz", "centre": "n1", "participants": ["n0"], "between": ["n0", "n1"]},
     "demands[0].between"),
    ({"app": "secret-sharing", "centre": "n1", "participants": ["n0"]},
     "demands[0].participants"),
    ({"app": "secret-sharing", "centre": "n1", "participants": ["n0", "n2"],
      "check_fraction": 1.0}, "demands[0].check_fraction"),
    ({"app": "chsh-randomness", "between": ["n0", "n2"], "epsilon": 0}, "demands[0].epsilon"),
    ({"app": "chsh-randomness", "between": ["n0", "n7"]}, "demands[0].between[1]"),
    ({"app": "chsh-randomness", "between": ["n0", "n2"], "count": 0}, "demands[0].count"),
    ({"app": "circuit", "qasm": BELL, "qubits": {"q0": "n0"}}, "demands[0].qubits"),
    ({"app": "circuit", "qasm": BELL, "qubits": {"q[0]": "n0", "q[1]": "n5"}},
     "demands[0].qubits.q[1]"),
    ({"app": "authentication", "between": ["n0", "n2"], "rounds": 0}, "demands[0].rounds"),
    ({"app": "authentication", "between": ["n0", "n2"], "tolerated_errors": -1},
     "demands[0].tolerated_errors"),
    ({"app": "blind", "between": ["n0", "n2"], "angles": [30]}, "demands[0].angles"),
    ({"app": "blind", "between": ["n0", "n2"], "angles": [45], "traps": 0},
     "demands[0].traps"),
    ({"app": "signatures", "centre": "n1", "participants": ["n0"]},
     "demands[0].participants"),
    ({"app": "signatures", "centre": "n1", "participants": ["n0", "n2"], "length": 41},
     "demands[0].length"),
    ({"app": "signatures", "centre": "n1", "participants": ["n0", "n2"], "strategy": "lie"},
     "demands[0].strategy"),
    ({"app": "phase-sensing", "centre": "n1", "participants": ["n0", "n2"],
      "phases": [0.1, 0.2]}, "demands[0].phases"),
    ({"app": "phase-sensing", "centre": "n1", "participants": ["n0", "n2"],
      "phases": [0, 0, 0], "count": 1}, "demands[0].count"),
    ({"app": "clock-sync", "centre": "n1", "participants": ["n0", "n2"],
      "offsets": ["1 ps", "2 ps", "3 ps"]}, "demands[0].qubit_frequency"),
    ({"app": "clock-sync", "centre": "n1", "participants": ["n0", "n2"],
      "offsets": [1, 2, 3], "qubit_frequency": "1 GHz"}, "demands[0].offsets[0]"),
])
def test_bad_fields_are_refused_by_name(demand, field):
    # the schema's own checks name the model too: demands[0].app.ghz.participants
    where, _, name = field.partition(".")
    pattern = re.escape(where) + r"(\.app\.[a-z-]+)?\." + re.escape(name) + ":"
    with pytest.raises(ConfigError, match=pattern):
        load_scenario(chain_scenario(2, demands=[{"kind": "app", **demand}]))


def test_a_qubit_without_a_node_is_refused_at_build():
    scenario = load_scenario(chain_scenario(1, demands=[
        {"kind": "app", "app": "circuit", "qasm": BELL, "qubits": {"q[0]": "n0"}}]))
    with pytest.raises(ConfigError, match=r"demands\[0\]\.qubits.*q\[1\]"):
        Simulation(scenario)


def test_same_seed_same_numbers_and_the_report():
    demands = [
        {"kind": "app", "app": "chsh-randomness", "between": ["n0", "n2"], "count": 500},
        {"kind": "entanglement", "between": ["n0", "n1"], "pairs": 10},
        {"kind": "app", "app": "ghz", "centre": "n1", "participants": ["n0", "n2"],
         "count": 200},
        {"kind": "app", "app": "secret-sharing", "centre": "n1",
         "participants": ["n0", "n2"], "count": 200},
        {"kind": "app", "app": "circuit", "qasm": BELL,
         "qubits": {"q[0]": "n0", "q[1]": "n2"}, "count": 200},
        {"kind": "app", "app": "authentication", "between": ["n0", "n2"], "count": 20},
        {"kind": "app", "app": "blind", "between": ["n0", "n2"], "angles": [45], "count": 50},
        {"kind": "app", "app": "signatures", "centre": "n1", "participants": ["n0", "n2"],
         "count": 5, "length": 20},
        {"kind": "app", "app": "phase-sensing", "centre": "n1", "participants": ["n0", "n2"],
         "count": 10, "rounds": 10, "phases": [0, 0, 0]},
        {"kind": "app", "app": "clock-sync", "centre": "n1", "participants": ["n0", "n2"],
         "count": 10, "rounds": 10, "offsets": ["0 s", "1 fs", "0 s"],
         "qubit_frequency": "1 GHz"},
    ]
    first, again, other = _run(demands), _run(demands), _run(demands, seed=2)
    assert first.to_dict()["apps"] == again.to_dict()["apps"]
    assert first.to_dict()["apps"] != other.to_dict()["apps"]
    assert [a.demand for a in first.apps] == [0, 2, 3, 4, 5, 6, 7, 8, 9]
    assert [d.pairs for d in first.demands] == [10]
    data = first.to_dict()
    assert all(set(a) == {f.name for f in dataclasses.fields(AppMetrics)}
               for a in data["apps"])
    json.dumps(data)
    from rich.console import Console
    console = Console(width=110, record=True)
    console.print(run_report(first))
    text = console.export_text()
    for line in ("app chsh-randomness · n0 ↔ n2", "CHSH S", "app ghz · n1 → n0, n2",
                 "GHZ fidelity (closed form)", "app secret-sharing", "error rate (closed form)",
                 "app circuit · n0, n2", "circuit fidelity", "app authentication · n0 ↔ n2",
                 "wrong answers", "app blind · n0 ↔ n2", "traps failed",
                 "app signatures · n1 → n0, n2", "failures", "app phase-sensing",
                 "average phase (rad)", "app clock-sync", "mean clock offset",
                 "gain over independent"):
        assert line in text


def test_the_examples_of_docs_apps_md_run():
    from pathlib import Path

    import yaml
    doc = Path(__file__).resolve().parents[2] / "docs" / "apps.md"
    section = doc.read_text(encoding="utf-8").split("## Applications on delivered pairs")[1]
    examples = re.findall(r"^```yaml\n(.*?)^```", section.split("\n## ")[0],
                          flags=re.MULTILINE | re.DOTALL)
    apps = [yaml.safe_load(e)["demands"][0]["app"] for e in examples]
    assert apps == ["chsh-randomness", "ghz", "secret-sharing", "authentication", "blind",
                    "signatures", "phase-sensing", "clock-sync", "circuit"]
    star = chain_scenario(1, length_km=1.0, raw_fidelity=0.97, t2="1e9 s")
    star["nodes"] = [{**star["nodes"][0], "name": n, "memories": 3 if n == "hub" else 1}
                     for n in ("hub", "alice", "bob", "carol")]
    star["links"] = [{**star["links"][0], "between": ["hub", n]}
                     for n in ("alice", "bob", "carol")]
    for example in examples:
        demand = dict(yaml.safe_load(example)["demands"][0], count=3)
        (m,) = summarize(Simulation(load_scenario({**star, "demands": [demand]})).run()).apps
        assert m.completed == 3, demand["app"]
        assert m.note is None, demand["app"]


def test_authentication_errors_match_the_werner_closed_form():
    (m,) = _run([{"kind": "app", "app": "authentication", "between": ["n0", "n2"],
                  "count": 400, "rounds": 10, "tolerated_errors": 1}]).apps
    f = m.pair_fidelity_mean
    e = 2 * (1 - f) / 3  # (w_X + w_Z)/2 + w_Y of a Werner pair
    assert (m.completed, m.pairs_used) == (400, 4000)
    assert m.round_error_rate_expected == pytest.approx(e, abs=1e-9)
    assert abs(m.round_error_rate - e) < 5 * math.sqrt(e * (1 - e) / 4000)
    accept = (1 - e) ** 10 + 10 * e * (1 - e) ** 9  # at most one wrong answer of 10
    assert m.accept_rate_expected == pytest.approx(accept, abs=1e-9)
    assert abs(m.accept_rate - accept) < 5 * math.sqrt(accept * (1 - accept) / 400)
    assert m.false_accept_probability == pytest.approx(11 / 2**10)


def test_blind_trap_failures_match_the_werner_closed_form():
    # one trap: the layout is [computation] d [trap] or [trap] d [computation], so the
    # trap has one dummy neighbour and fails with (1 - ((4F - 1)/3)^2)/2
    (m,) = _run([{"kind": "app", "app": "blind", "between": ["n0", "n2"], "count": 3000,
                  "angles": [0, 90, 45], "traps": 1}]).apps
    f = m.pair_fidelity_mean
    q = (1 - ((4 * f - 1) / 3) ** 2) / 2
    assert (m.between, m.completed, m.pairs_used) == (("n0", "n2"), 3000, 3000 * 5)
    assert m.trap_failure_rate_expected == pytest.approx(q, abs=1e-9)
    assert abs(m.trap_failure_rate - q) < 5 * math.sqrt(q * (1 - q) / 3000)
    assert m.detection_rate == m.trap_failure_rate  # one trap per run


def test_signatures_forgery_rate_matches_its_closed_form():
    # a short signature, so that a forger succeeds often enough to be counted
    (honest, forge) = _run([
        {"kind": "app", "app": "signatures", "centre": "n1", "participants": ["n0", "n2"],
         "count": 100, "length": 40},
        {"kind": "app", "app": "signatures", "centre": "n1", "participants": ["n0", "n2"],
         "count": 300, "length": 40, "strategy": "forge"}]).apps
    assert (honest.completed, honest.pairs_used) == (100, 100 * 2 * 80)
    for m in (honest, forge):
        p = m.failure_probability_expected
        assert abs(m.failure_rate - p) <= 5 * math.sqrt(max(p * (1 - p), 1e-4) / m.completed)
    assert 0.01 < forge.failure_probability_expected < 0.99
    assert forge.accept_rate is None  # the first recipient is the forger


def test_phase_sensing_gain_matches_the_closed_form():
    (m,) = _run([{"kind": "app", "app": "phase-sensing", "centre": "n1",
                  "participants": ["n0", "n2"], "count": 300, "rounds": 30,
                  "phases": [0.01, -0.02, 0.04]}]).apps
    f = m.pair_fidelity_mean
    v = ((4 * f - 1) / 3) ** 2  # GHZ contrast: the two pairs' coherences
    assert (m.completed, m.pairs_used) == (300, 300 * 30 * 2)
    assert m.fidelity_expected == pytest.approx(
        (((2 * f + 1) / 3) ** 2 + ((4 * f - 1) / 3) ** 2) / 2, abs=1e-9)
    # Cramér-Rao ratio at offset Φ = 0.03 rad (not quite the operating point)
    assert m.gain_expected == pytest.approx(math.sqrt(3) * v, rel=2e-3)
    # a ratio of two sample spreads over 300 estimates: relative error about 1/√299
    assert abs(m.gain_over_independent / m.gain_expected - 1) < 5 / math.sqrt(299)
    assert abs(m.phase_mean_rad - 0.01) < 5 * m.phase_std_rad / math.sqrt(300)


def test_clock_sync_reads_the_mean_offset():
    (m,) = _run([{"kind": "app", "app": "clock-sync", "centre": "n1",
                  "participants": ["n0", "n2"], "count": 200, "rounds": 30,
                  "offsets": ["10 fs", "-20 fs", "40 fs"], "qubit_frequency": "1 GHz"}]).apps
    f = m.pair_fidelity_mean
    assert m.gain_expected == pytest.approx(math.sqrt(3) * ((4 * f - 1) / 3) ** 2, rel=1e-3)
    assert abs(m.offset_mean_s - 10e-15) < 5 * m.offset_std_s / math.sqrt(200)
    assert m.offset_cramer_rao_std_s == pytest.approx(
        1 / (2 * math.pi * 1e9 * 3 * ((4 * f - 1) / 3) ** 2 * math.sqrt(30)), rel=1e-3)
    assert m.time_to_estimate_s > 0


def test_too_few_pairs_leave_a_note():
    # 1 µs: no pair crosses a 1 km link and is heralded back (about 10 µs)
    scenario = load_scenario(chain_scenario(2, length_km=1.0, duration="1 us", demands=[
        {"kind": "app", "app": "ghz", "centre": "n1", "participants": ["n0", "n2"],
         "count": 1000}]))
    (m,) = summarize(Simulation(scenario).run()).apps
    assert (m.completed, m.pairs_used, m.completion_time_s) == (0, 0, None)
    assert m.fidelity_estimate is None
    assert "too few pairs" in m.note


def test_qinet_run_reports_the_apps_in_json_and_text(tmp_path, capsys):
    import yaml

    from qinet.cli.main import main
    (tmp_path / "bell.qasm").write_text(BELL)
    data = chain_scenario(2, length_km=1.0, duration="1 s", t2="1e9 s", demands=[
        {"kind": "app", "app": "circuit", "qasm": "bell.qasm",
         "qubits": {"q[0]": "n0", "q[1]": "n2"}, "count": 20},
        {"kind": "app", "app": "chsh-randomness", "between": ["n0", "n2"], "count": 200}])
    path = tmp_path / "apps.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["run", str(path), "--json"]) == 0
    circuit, chsh = json.loads(capsys.readouterr().out)["apps"]
    assert (circuit["app"], circuit["completed"], circuit["fidelity_mean"]) == (
        "circuit", 20, 1.0)  # perfect links: exact
    assert chsh["chsh_expected"] == pytest.approx(2 * math.sqrt(2))
    assert main(["run", str(path)]) == 0
    assert "app chsh-randomness · n0 ↔ n2" in capsys.readouterr().out


def test_a_circuit_on_one_node_needs_no_pairs():
    (m,) = _run([{"kind": "app", "app": "circuit", "qasm": BELL,
                  "qubits": {"q[0]": "n1", "q[1]": "n1"}, "count": 10}]).apps
    assert (m.completed, m.pairs_used, m.fidelity_estimate, m.pair_fidelity_mean) == (
        10, 0, 1.0, None)


def test_links_without_a_scheme_take_a_heralded_one_for_a_centres_pairs():
    from qinet.scenario.loader import read_scenario
    data = {
        "nodes": [{"name": "hub"}, {"name": "a", "trusted": True},
                  {"name": "b", "trusted": True}],
        "links": [{"between": ["hub", "a"], "length": "1 km"},
                  {"between": ["hub", "b"], "length": "1 km"},
                  {"between": ["a", "b"], "length": "1 km", "scheme": "qkd"}],
        "demands": [{"kind": "key", "between": ["a", "b"]},
                    {"kind": "app", "app": "ghz", "centre": "hub", "participants": ["a", "b"]}],
    }
    loaded = read_scenario(data)
    assert [link.scheme for link in loaded.scenario.links[:2]] == ["double-click"] * 2
    assert "demands[1] (app, ghz) runs over pairs over it" in loaded.notes[0]
