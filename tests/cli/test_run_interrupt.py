"""`qinet run` under Ctrl-C: results so far, marked partial, exit status 130."""

import json
import signal

import pytest

from qinet.cli import run as run_module
from qinet.cli.main import main

TINY = """\
name: tiny
duration: 5 s
nodes: [{name: a}, {name: b}]
links: [{between: [a, b], length: 20 km, scheme: double-click}]
demands: [{kind: entanglement, between: [a, b]}]
"""


def _ctrl_c_at_slice(monkeypatch, number):
    """Send this process a real SIGINT after slice ``number`` of the run (from 1)."""
    seen = []
    update = run_module.ProgressDisplay.update

    def update_then_signal(self, status):
        seen.append(status)
        update(self, status)
        if len(seen) == number:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(run_module.ProgressDisplay, "update", update_then_signal)
    return seen


def test_ctrl_c_prints_the_results_so_far_as_partial_json_and_exits_130(
        capsys, monkeypatch, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    seen = _ctrl_c_at_slice(monkeypatch, 1)
    status = main(["run", "--json", str(path)])
    out = capsys.readouterr().out
    assert status == 130
    assert len(seen) == 1  # the run stopped after the slice in which Ctrl-C came
    doc = json.loads(out)
    assert doc["partial"] is True
    assert doc["requested_duration_s"] == 5.0
    assert 0 < doc["simulated_s"] < 5.0
    assert doc["simulated_s"] == pytest.approx(seen[0].done_s)
    assert doc["duration_s"] == doc["simulated_s"]  # rates are per second actually run
    demand = doc["demands"][0]
    assert demand["rate_hz"] == pytest.approx(demand["pairs"] / doc["simulated_s"])
    assert doc["notes"] == [f"partial: interrupted after "
                            f"{run_module.format_time(doc['simulated_s'])} of 5.00 s "
                            f"simulated"]


def test_ctrl_c_in_the_table_report_says_partial(capsys, monkeypatch, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    _ctrl_c_at_slice(monkeypatch, 2)
    assert main(["run", str(path)]) == 130
    out = " ".join(capsys.readouterr().out.split())
    assert "note: partial: interrupted after" in out
    assert "of 5.00 s simulated" in out


def test_a_whole_run_is_not_partial_and_restores_the_signal_handler(capsys, tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    before = signal.getsignal(signal.SIGINT)
    assert main(["run", "--json", "--duration", "20 ms", str(path)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["partial"], doc["simulated_s"], doc["duration_s"]) == (False, 0.02, 0.02)
    assert doc["notes"] == []
    assert signal.getsignal(signal.SIGINT) is before
