"""docs/planning.md: its Python examples run as written and print what it says, and its
catalogue table is the catalogue."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from qinet.analysis.architectures import compare_architectures
from qinet.scenario.cost_catalogue import load_catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "planning.md"
pytest.importorskip("optuna")


def _blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", DOC.read_text(encoding="utf-8"),
                      flags=re.MULTILINE | re.DOTALL)


def _run(block: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(DOC), "exec"), {"__name__": "__doc_example__"})
    return out.getvalue()


def test_the_optimize_example_prints_the_closed_form_answer() -> None:
    lines = _run(_blocks()[0]).splitlines()
    assert lines[0] == "{'relays': 4} 11,647,000 EUR key_rate_bps>=1000"
    assert lines[1].split() == ["relays", "cost_eur", "key_rate_bps>=1000", "feasible"]


def test_the_comparison_example_writes_its_figure(tmp_path: Path) -> None:
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        printed = _run(_blocks()[1])
    finally:
        os.chdir(here)
    assert (tmp_path / "architectures.png").stat().st_size > 0
    assert "trusted-node chain" in printed
    # the table of the page holds the figures the example computes
    doc = DOC.read_text(encoding="utf-8")
    points = compare_architectures([200.0, 800.0, 3200.0], key_rate_bps=1000.0)
    for distance in (200.0, 800.0, 3200.0):
        trusted, repeater, satellite = (p for p in points if p.distance_km == distance)
        row = (f"| {distance:,.0f} km | {trusted.nodes} relays · "
               f"{trusted.capital_cost_eur / 1e6:.3g} M · {trusted.key_rate_bps:,.0f} | "
               f"{repeater.nodes} repeaters · {repeater.capital_cost_eur / 1e6:.3g} M · ")
        assert row in doc, row
        assert f"| {satellite.capital_cost_eur / 1e6:.3g} M · {satellite.key_rate_bps:.3g} |" in doc


def test_the_catalogue_table_lists_every_entry_with_its_value_and_date() -> None:
    doc = DOC.read_text(encoding="utf-8")
    catalogue = load_catalogue()
    for name in catalogue:
        entry = catalogue[name]
        row = re.search(rf"^\| `{name}` \| ([0-9,.]+) \|.*\| (\d{{4}}-\d{{2}}) \|$", doc,
                        re.MULTILINE)
        assert row is not None, name
        assert float(row[1].replace(",", "")) == entry.value, name
        assert row[2] == entry.date, name
