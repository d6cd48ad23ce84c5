"""qinet report: one self-contained HTML file holding the data's numbers, the scenario,
the command and the versions, for a run's JSON result and for a sweep folder."""

from __future__ import annotations

import base64
import importlib.metadata
import json
import re
from pathlib import Path

import pytest

from qinet.analysis.sweep_report import _cell
from qinet.analysis.sweep_report_result import result_from_document
from qinet.cli.main import main

DURATION = "30 ms"
# anything that would make a browser fetch: a URL in src/href, a CSS url() or @import,
# a script or a stylesheet link
_FETCHES = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*"""
                      r"""(?:https?:)?//|@import|<script|<link""", re.IGNORECASE)


def _self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert not _FETCHES.search(page)
    assert "http://" not in page
    assert "https://" not in page
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert images
    for image in images:
        assert base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n")


def _run_json(tmp_path: Path, capsys, preset: str) -> tuple[Path, dict]:
    assert main(["run", preset, "--duration", DURATION, "--json"]) == 0
    text = capsys.readouterr().out
    path = tmp_path / f"{preset}.json"
    path.write_text(text, encoding="utf-8")
    return path, json.loads(text)


@pytest.mark.parametrize("preset", ["metro-link", "qkd-protocols"])
def test_a_saved_result_reads_back_as_the_run_it_was(tmp_path, capsys, preset):
    _, document = _run_json(tmp_path, capsys, preset)
    result, extra = result_from_document(document)
    assert set(extra) == {"partial", "simulated_s", "requested_duration_s", "notes"}
    assert result.to_dict() == {k: v for k, v in document.items() if k not in extra}


def test_the_report_of_a_run_holds_its_numbers_scenario_command_and_versions(tmp_path,
                                                                              capsys):
    path, document = _run_json(tmp_path, capsys, "metro-link")
    out = tmp_path / "report.html"
    assert main(["report", str(path), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    _self_contained(page)
    demand = document["demands"][0]
    assert f"{demand['pairs']:,} pairs" in page  # the table qinet run prints
    assert f"{round(demand['rate_hz']):,} pairs/s" in page
    assert "smf28:" in page  # the preset's YAML
    assert "attenuation: 0.2 dB/km" in page
    assert f"qinet run metro-link --seed {document['seed']} --duration 0.03 s".replace(
        "0.03 s", "&#x27;0.03 s&#x27;") in page
    assert f"<td>numpy</td><td>{importlib.metadata.version('numpy')}</td>" in page


def test_the_report_of_a_sweep_holds_each_figure_s_numbers_and_every_run(tmp_path):
    from qinet.sweep import run_sweep

    folder = tmp_path / "results"
    table = run_sweep("metro-link", ["links[*].length=10km,40km", "seed=1..2"], out=folder,
                      duration=DURATION, workers=1)
    out = tmp_path / "sweep.html"
    assert main(["report", str(folder), "-o", str(out), "--x", "links.length",
                 "--y", "demands[0].rate_hz", "--y", "demands[0].fidelity_mean"]) == 0
    page = out.read_text(encoding="utf-8")
    _self_contained(page)
    assert page.count("<img ") == 2
    means = table.groupby("links[*].length")["demands[0].rate_hz"].mean()
    for value in means:
        assert f"<td>{_cell(float(value))}</td>" in page
    bounds = table.groupby("links[*].length")["demands[0].bound.direct_ebits_per_s"].mean()
    for value in bounds:
        assert f"<td>{_cell(float(value))}</td>" in page
    for task in table["task"]:
        assert f"<td>{task}</td>" in page
    assert "name: metro-link" in page
    assert "duration: 30 ms" in page
    assert ("qinet sweep metro-link --set &#x27;links[*].length=10km,40km&#x27; --set "
            "seed=1..2 --duration &#x27;30 ms&#x27;") in page


def test_a_file_that_is_no_result_is_refused_naming_it(tmp_path, capsys):
    path = tmp_path / "other.json"
    path.write_text('{"demands": 3}', encoding="utf-8")
    assert main(["report", str(path), "-o", str(tmp_path / "r.html")]) == 2
    assert "RESULT_OR_SWEEP: not the JSON result of qinet run" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing"), "-o", str(tmp_path / "r.html")]) == 2
    assert main(["report", str(path), "-o", str(tmp_path / "r.pdf")]) == 2
