"""`qinet validate` refuses what `qinet run` refuses at build time, with the same field."""

import pytest

from qinet.cli.main import main

BASE = """\
nodes: [{{name: a}}, {{name: b}}]
links: [{{between: [a, b], length: 50 km, scheme: qkd}}]
demands:
  - {{kind: qkd, between: [a, b], {demand}}}
duration: 1 ms
"""

CASES = [
    ("protocol: bb84-decoy, intensities: [0.1, 0.5, 0.0]", "demands[0].intensities",
     "decoy BB84 needs (signal, weak decoy, vacuum = 0), got (0.1, 0.5, 0.0)"),
    ("protocol: bb84-decoy, intensity_probabilities: [1, 0, 0]",
     "demands[0].intensity_probabilities",
     "every class needs a positive probability, got (1.0, 0.0, 0.0)"),
    ("protocol: bb84-decoy, intensities: [0.5, 0.1], intensity_probabilities: [0.5, 0.5]",
     "demands[0].intensities", "got (0.5, 0.1)"),
    ("protocol: mdi, intensities: [0.1, 0.4, 0]", "demands[0].intensities",
     "must be (signal, weak decoy, vacuum = 0), got (0.1, 0.4, 0.0)"),
    ("protocol: bb84, intensities: [0.5]", "demands[0].intensities",
     "not a field of a bb84 demand (a field of protocol bb84-decoy, mdi, tf, "
     "bb84-one-decoy), got [0.5]"),
]


def _error(capsys, args):
    status = main(args)
    err = capsys.readouterr().err
    return status, " ".join(err.split())


@pytest.mark.parametrize(("demand", "field", "reason"), CASES)
def test_validate_and_run_refuse_with_the_same_field(capsys, tmp_path, demand, field, reason):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE.format(demand=demand), encoding="utf-8")
    validated = _error(capsys, ["validate", str(path)])
    ran = _error(capsys, ["run", "--json", str(path)])
    assert validated == ran
    status, message = validated
    assert status == 2
    assert message.startswith(f"error: {field}: ")
    assert reason in message


def test_validate_notes_the_implied_scheme(capsys, tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("nodes: [{name: a}, {name: b}]\n"
                    "links: [{between: [a, b], length: 20 km}]\n"
                    "demands: [{kind: entanglement, between: [a, b]}]\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["ok: scenario (2 nodes, 1 link, 1 demand)",
                   "note: links[0] a-b: no scheme given; using double-click: demands[0] "
                   "(entanglement) needs pairs over it, and both ends hold memories"]
