"""Application demands in a scenario: schema, run, JSON, report and the documented keys."""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from qinet.analysis.app_metrics import AppMetrics
from qinet.analysis.metrics import summarize
from qinet.analysis.report import run_report
from qinet.cli.main import main
from qinet.errors import ConfigError
from qinet.scenario import Simulation, load_scenario

from ..network.conftest import chain_scenario

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def _apps_documented():
    keys, current = [], None
    for line in DOC.read_text(encoding="utf-8").split("## JSON keys", 1)[1].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[1] in ("key", "---"):
            continue
        found = re.findall(r"`([a-z_0-9]+)`", cells[0])
        current = found[0] if found else current
        if current == "apps":
            keys += re.findall(r"`([a-z_0-9]+)`", cells[1])
    return keys


def test_docs_list_every_app_key_once():
    keys = _apps_documented()
    assert sorted(keys) == sorted(f.name for f in dataclasses.fields(AppMetrics))
    assert len(set(keys)) == len(keys)


def _scenario(demands, **options):
    return load_scenario(chain_scenario(2, length_km=1.0, demands=demands, **options))


def test_app_demands_run_with_the_scenario_and_are_reported():
    # Werner links (raw 0.97), memories that keep: teleports at (2F+1)/3 of their
    # pairs, the CZ at process fidelity F, and an entanglement demand served beside them
    scenario = _scenario([
        {"kind": "app", "app": "teleport", "between": ["n0", "n2"], "count": 40},
        {"kind": "entanglement", "between": ["n0", "n1"], "pairs": 10},
        {"kind": "app", "app": "cz", "between": ["n1", "n2"], "count": 20},
    ], raw_fidelity=0.97, t2="1e9 s")
    record = Simulation(scenario).run()
    result = summarize(record)
    assert [d.pairs for d in result.demands] == [10]
    teleport, cz = result.apps
    assert (teleport.demand, teleport.app, teleport.completed) == (0, "teleport", 40)
    assert teleport.pairs_used == 40
    assert teleport.fidelity_mean == pytest.approx((2 * teleport.pair_fidelity_mean + 1) / 3,
                                                   abs=1e-9)
    assert (cz.demand, cz.app, cz.inputs, cz.completed) == (2, "cz", "choi", 20)
    assert cz.fidelity_mean == pytest.approx(cz.pair_fidelity_mean, abs=1e-9)
    assert cz.average_gate_fidelity == pytest.approx((4 * cz.fidelity_mean + 1) / 5)
    assert cz.fidelity_estimate is None
    data = result.to_dict()
    assert set(data["apps"][0]) == {f.name for f in dataclasses.fields(AppMetrics)}
    json.dumps(data)  # JSON-ready
    from rich.console import Console
    console = Console(width=100, record=True)
    console.print(run_report(result))
    text = console.export_text()
    assert "app teleport · n0 → n2" in text
    assert "app cz · n1 ↔ n2" in text


def test_named_inputs_and_the_command_line(tmp_path, capsys):
    path = tmp_path / "apps.yaml"
    data = chain_scenario(1, length_km=1.0, t2="1e9 s", demands=[
        {"kind": "app", "app": "teleport", "between": ["n0", "n1"], "count": 30,
         "input": "plus-i"},
        {"kind": "app", "app": "cnot", "between": ["n1", "n0"], "count": 8, "inputs": "basis"},
    ])
    import yaml
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["run", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    teleport, cnot = out["apps"]
    assert (teleport["inputs"], teleport["completed"]) == ("plus-i", 30)
    assert teleport["fidelity_estimate"] == 1.0  # perfect pairs: every check succeeds
    assert cnot["fidelity_mean"] == pytest.approx(1.0, abs=1e-12)
    assert main(["run", str(path)]) == 0
    assert "app cnot · n1 ↔ n0" in capsys.readouterr().out


@pytest.mark.parametrize(("demand", "field"), [
    ({"kind": "app", "app": "teleport", "between": ["n0", "n2"], "count": 0}, "count"),
    ({"kind": "app", "app": "cz", "between": ["n0", "n2"], "input": "haar"}, "input"),
    ({"kind": "app", "app": "swap", "between": ["n0", "n2"]}, "app"),
    ({"kind": "app", "app": "teleport", "between": ["n0", "mars"]}, "between"),
])
def test_bad_app_demands_are_named(demand, field):
    with pytest.raises(ConfigError, match=rf"demands\[0\]\S*{field}"):
        _scenario([demand])


def test_two_apps_between_the_same_nodes_keep_apart():
    # two sockets and two message ports between n0 and n2: each app gets its own pairs
    # and its own bits, so both are exact with perfect pairs
    scenario = _scenario([
        {"kind": "app", "app": "teleport", "between": ["n0", "n2"], "count": 25},
        {"kind": "app", "app": "cz", "between": ["n2", "n0"], "count": 15}], t2="1e9 s")
    teleport, cz = summarize(Simulation(scenario).run()).apps
    assert (teleport.completed, teleport.pairs_used, cz.completed) == (25, 25, 15)
    assert teleport.fidelity_mean == pytest.approx(1.0, abs=1e-12)
    assert cz.fidelity_mean == pytest.approx(1.0, abs=1e-12)


def test_operation_times_reach_the_runtime_and_cost_time():
    # the control's measurement takes 1 ms a round: 30 rounds take at least 30 ms
    count, meas_s = 30, 1e-3
    base = {"kind": "app", "app": "cz", "between": ["n0", "n2"], "count": count}
    timed = {**base, "operation_times": {"n0": {"measurement": "1 ms",
                                                "two_qubit_gate": "100 us"}}}
    sim = Simulation(_scenario([timed], t2="1e9 s"))
    times = sim.apps.runtime.operation_times("n0")
    assert (times.measurement_s, times.two_qubit_gate_s, times.single_qubit_gate_s) == (
        pytest.approx(meas_s), pytest.approx(100e-6), 0.0)
    assert sim.apps.runtime.operation_times("n2").instantaneous
    (app,) = summarize(sim.run()).apps
    (plain,) = summarize(Simulation(_scenario([base], t2="1e9 s")).run()).apps
    assert app.completed == plain.completed == count
    assert app.completion_time_s >= count * (meas_s + 100e-6)
    assert plain.completion_time_s < count * meas_s


def test_operation_times_must_agree_and_name_known_nodes():
    gate = {"kind": "app", "app": "cz", "between": ["n0", "n2"], "count": 2}
    with pytest.raises(ConfigError, match=r"demands\[1\]\.operation_times\.n0: differs from "
                                          r"demands\[0\]"):
        Simulation(_scenario([
            {**gate, "operation_times": {"n0": {"measurement": "1 ms"}}},
            {**gate, "app": "teleport", "operation_times": {"n0": {"measurement": "2 ms"}}}]))
    with pytest.raises(ConfigError, match=r"demands\[0\]\.operation_times\.zz: no node"):
        Simulation(_scenario([{**gate, "operation_times": {"zz": {"measurement": "1 ms"}}}]))


def test_discarded_pairs_are_replaced_and_reported():
    # memories with T2 = 300 us and links that wait for attempts: some pairs fall below
    # 0.9 at delivery; the teleports still complete, on pairs at or above it
    scenario = load_scenario(chain_scenario(
        2, length_km=0.001, t2="300 us", efficiency=0.8, duration="5 s", demands=[
            {"kind": "app", "app": "teleport", "between": ["n0", "n2"], "count": 100,
             "min_fidelity": 0.9}]))
    (app,) = summarize(Simulation(scenario).run()).apps
    assert app.completed == app.pairs_used == 100
    assert app.pairs_discarded > 0
    assert app.pair_fidelity_mean >= 0.9


def test_two_module_circuits_run_in_a_scenario_on_their_closed_forms():
    # Clifford programs only: the stabilizer backend, one trajectory a round, so the
    # mean readings are held to F^2 + (1 - F)^2/3 and F at 5 sigma of n
    n = 400
    scenario = load_scenario(chain_scenario(1, length_km=1.0, raw_fidelity=0.95,
                                            t2="1e9 s", duration="10 s", demands=[
        {"kind": "app", "app": "grover", "between": ["n0", "n1"], "count": n,
         "marked": [0, 1]},
        {"kind": "app", "app": "ghz-modules", "between": ["n0", "n1"], "count": n,
         "qubits_per_module": 3}]))
    sim = Simulation(scenario)
    grover, ghz = summarize(sim.run()).apps
    assert sim.apps.runtime.state_backend == "stabilizer"
    assert (grover.app, grover.inputs, grover.completed, grover.pairs_used) == (
        "grover", "marked 01", n, 2 * n)
    assert (ghz.app, ghz.inputs, ghz.completed, ghz.pairs_used) == (
        "ghz-modules", "6 qubits", n, n)
    f = grover.pair_fidelity_mean
    p = f**2 + (1 - f) ** 2 / 3
    assert abs(grover.fidelity_mean - p) < 5 * np.sqrt(p * (1 - p) / n)
    g = ghz.pair_fidelity_mean
    assert abs(ghz.fidelity_mean - g) < 5 * np.sqrt(g * (1 - g) / n)
    # the read-outs of a GHZ state are all equal whatever its Z-type errors
    assert ghz.fidelity_estimate >= ghz.fidelity_mean


def test_a_grover_demand_refuses_a_field_it_does_not_take():
    with pytest.raises(ConfigError, match="qubits_per_module"):
        load_scenario(chain_scenario(1, demands=[
            {"kind": "app", "app": "grover", "between": ["n0", "n1"], "qubits_per_module": 2}]))
