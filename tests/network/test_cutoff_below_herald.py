"""A cutoff shorter than a link takes to herald: every qubit is cut off, and a note says why."""

from qinet.cli.main import main
from qinet.scenario import Simulation, load_scenario

SCENARIO = """\
duration: 20 ms
nodes: [{name: a, memories: 4}, {name: r, memories: 8}, {name: b, memories: 4}]
links:
  - {between: [a, r], length: 50 km, scheme: double-click}
  - {between: [r, b], length: 50 km, scheme: double-click}
demands: [{kind: entanglement, between: [a, b]}]
policy: {cutoff: CUTOFF}
"""


def test_qubits_older_than_the_cutoff_at_their_herald_are_cut_off_at_once():
    sim = Simulation(load_scenario(SCENARIO.replace("CUTOFF", "10 us")))
    record = sim.run()
    (demand,) = record.demands
    assert demand.stats.count == 0
    heralded = sum(link.successes for link in record.links)
    assert heralded > 0
    # every heralded qubit was discarded, none was used
    assert demand.counters.discarded + 2 * demand.counters.swaps >= heralded
    assert len(sim.notes) == 2
    assert all("policy.cutoff (10 µs) is shorter than link" in n for n in sim.notes)


def test_a_cutoff_longer_than_the_herald_gives_no_note():
    sim = Simulation(load_scenario(SCENARIO.replace("CUTOFF", "10 ms")))
    assert sim.notes == []
    assert sim.run().demands[0].stats.count > 0


def test_validate_prints_the_note(tmp_path, capsys):
    path = tmp_path / "short-cutoff.yaml"
    path.write_text(SCENARIO.replace("CUTOFF", "10 us"), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.count("note: policy.cutoff (10 µs) is shorter than link") == 2
