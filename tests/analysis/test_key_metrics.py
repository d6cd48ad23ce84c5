"""Key figures: typed, built in one place, and documented key for key in docs/metrics.md."""

import dataclasses
import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

import qinet
from qinet.analysis.key_metrics import (
    KeyDemandMetrics,
    KeyRateBound,
    PairKeyMetrics,
    PulseKeyMetrics,
    QkdLinkMetrics,
)
from qinet.analysis.metrics import PathBound
from qinet.analysis.report import run_report

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"

_SCENARIO = """
name: key-metrics
seed: 5
duration: 0.1 s
nodes:
  - {name: a}
  - {name: t, trusted: true}
  - {name: b}
links:
  - {between: [a, t], length: 10 km, scheme: qkd}
  - {between: [t, b], length: 15 km, scheme: qkd}
demands:
  - {kind: qkd, protocol: bb84-decoy, between: [a, t], source_rate: 100 MHz,
     block_size: 400000, epsilon_sec: 1.0e-6, intensity_probabilities: [0.7, 0.2, 0.1]}
  - {kind: key, between: [a, b], key_size: 256, rate: 50 Hz}
"""


def _names(cell):
    return re.findall(r"`([a-z_0-9]+)`", cell)


def _json_keys_table():
    """``{list: [keys]}`` from the "JSON keys" table of docs/metrics.md."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## JSON keys", 1)[1]
    keys: dict[str, list[str]] = {}
    current = None
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[1] in ("key", "---"):
            if current is not None and not line.startswith("|"):
                break
            continue
        current = _names(cells[0])[0] if cells[0] else current
        keys.setdefault(current, []).extend(_names(cells[1]))
    return keys


def _fields(cls):
    return [f.name for f in dataclasses.fields(cls)]


def test_docs_table_lists_every_json_key_of_qkd_links_and_key_demands():
    table = _json_keys_table()
    assert sorted(table) == ["demands", "key_demands", "links", "nodes", "qkd_links"]
    assert sorted(table["qkd_links"]) == sorted(_fields(QkdLinkMetrics))
    assert sorted(table["key_demands"]) == sorted(_fields(KeyDemandMetrics))


@pytest.mark.parametrize(("row", "column", "cls"), [
    ("BBM92", 1, PairKeyMetrics), ("BBM92", 2, PathBound),
    ("BB84, decoy", 1, PulseKeyMetrics), ("BB84, decoy", 2, KeyRateBound),
])
def test_docs_list_the_keys_and_bounds_of_qkd_demands_in_order(row, column, cls):
    line = next(line for line in DOC.read_text(encoding="utf-8").splitlines()
                if line.startswith(f"| {row}"))
    cells = line.strip("|").split("|")
    assert _names(cells[column]) == _fields(cls)


@pytest.fixture(scope="module")
def key_run():
    return qinet.simulate(_SCENARIO)


def test_key_figures_are_typed_and_the_document_keeps_their_names(key_run):
    qkd_demand = key_run.demands[0]
    assert isinstance(qkd_demand.key, PulseKeyMetrics)
    assert isinstance(qkd_demand.bound, KeyRateBound)
    (link, _) = key_run.qkd_links
    assert qkd_demand.bound.plob_bound_bps == link.plob_bound_bps
    assert qkd_demand.key.key_bits == link.key_bits
    doc = json.loads(json.dumps(key_run.to_dict()))
    assert list(doc["demands"][0]["key"]) == _fields(PulseKeyMetrics)
    assert list(doc["demands"][0]["bound"]) == _fields(KeyRateBound)
    assert list(doc["qkd_links"][0]) == _fields(QkdLinkMetrics)
    assert list(doc["key_demands"][0]) == _fields(KeyDemandMetrics)


def test_key_demand_latency_is_the_flight_when_key_waits(key_run):
    (demand,) = key_run.key_demands
    assert demand.requests == 5  # at 20, 40, ..., 100 ms
    assert demand.keys + demand.unserved_requests == demand.requests
    assert demand.exposed_to == {"t": demand.keys}


def test_report_shows_a_prepare_and_measure_demand_with_its_link_only(key_run):
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(run_report(key_run))
    text = console.export_text()
    assert "qkd link a-t · bb84-decoy · demand 1" in text
    assert "demand 1 · qkd" not in text
    assert "demand 2 · key · a ↔ b" in text


def test_a_qkd_link_without_sifted_bits_has_no_qber():
    # 800 km for 10 ms: a million pulses, none detected (160 dB of fibre)
    far = _SCENARIO.replace("duration: 0.1 s", "duration: 10 ms").replace(
        "{between: [a, t], length: 10 km", "{between: [a, t], length: 800 km")
    result = qinet.simulate(far)
    link = result.qkd_links[0]
    assert link.pulses > 0
    assert link.sifted_bits == 0
    assert link.qber
    assert all(value is None for value in link.qber.values())
    document = json.loads(json.dumps(result.to_dict()))
    assert all(v is None for v in document["qkd_links"][0]["qber"].values())
