"""``qinet reproduce``: published figures recomputed, with the exit status as the verdict."""

import dataclasses
import json

import pytest

from qinet.analysis import reproductions as registry
from qinet.cli import reproduce as reproduce_command
from qinet.cli.main import main
from qinet.scenario import preset_names

_QUICK: dict[str, registry.Outcome] = {}


def quick_outcome(entry: registry.Reproduction) -> registry.Outcome:
    """``--quick`` outcome of one entry, computed once per test session: the entries
    that run a preset take seconds each."""
    if entry.name not in _QUICK:
        (_QUICK[entry.name],) = registry.run((entry,), quick=True)
    return _QUICK[entry.name]


@pytest.fixture
def cached_runs(monkeypatch):
    """The command's runs served from :func:`quick_outcome` (the first test computes them)."""
    monkeypatch.setattr(reproduce_command, "run", lambda selected, *, quick=False: [
        quick_outcome(r) if quick else registry.run((r,))[0] for r in selected])


@pytest.mark.parametrize("entry", registry.all_reproductions(), ids=lambda r: r.name)
def test_every_published_figure_is_within_its_tolerance(entry):
    outcome = quick_outcome(entry)
    assert outcome.within, (entry.name, outcome.qinet, entry.published, entry.tolerance)
    assert entry.tolerance > 0
    assert entry.why
    assert entry.unit
    assert entry.paper.doi or entry.paper.arxiv
    assert not entry.preset or entry.preset in preset_names(), entry.preset


def test_the_table_lists_every_entry_with_its_unit(capsys, monkeypatch, cached_runs):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["reproduce", "--quick"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
            if line.split() and line.split()[0] in registry.reproductions()}
    assert list(rows) == [r.name for r in registry.all_reproductions()]
    for entry in registry.all_reproductions():
        published, _qinet, unit, *_ = rows[entry.name]
        assert (float(published.split("±")[0]), unit) == (entry.published, entry.unit)
        assert entry.paper.doi in out
    assert "✓" in out
    assert "✗" not in out


def test_json_is_strict_and_has_the_same_rows(capsys, cached_runs):
    assert main(["reproduce", "--json", "--quick"]) == 0
    doc = json.loads(capsys.readouterr().out,
                     parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    names = [row["name"] for row in doc["rows"]]
    assert names == [r.name for r in registry.all_reproductions()]
    assert doc["all_within_tolerance"] is True
    for row, entry in zip(doc["rows"], registry.all_reproductions(), strict=True):
        assert row["published"] == entry.published
        assert row["unit"] == entry.unit
        assert row["ratio"] == pytest.approx(row["qinet"] / row["published"])
        assert abs(row["qinet"] - row["published"]) <= row["tolerance"]
        assert row["paper"]["year"] == entry.paper.year


def test_selected_names_run_in_the_order_given(capsys):
    names = ["plob2017-high-loss-slope", "ma2005-gys-decoy-distance"]
    assert main(["reproduce", *names, "--json"]) == 0
    assert [row["name"] for row in json.loads(capsys.readouterr().out)["rows"]] == names


def test_list_names_every_entry(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()] == [
        r.name for r in registry.all_reproductions()]


def test_an_unknown_name_exits_2_naming_the_known_ones(capsys):
    assert main(["reproduce", "no-such-paper"]) == 2
    err = capsys.readouterr().err
    assert "no-such-paper" in err
    for entry in registry.all_reproductions():
        assert entry.name in err


def test_a_figure_out_of_tolerance_exits_1(capsys, monkeypatch):
    first, *rest = registry.all_reproductions()
    broken = dataclasses.replace(first, compute=lambda *, quick=False: 2 * first.published)
    monkeypatch.setattr(registry, "all_reproductions", lambda: (broken, *rest))
    assert main(["reproduce", "--quick"]) == 1
    assert "✗" in capsys.readouterr().out
    assert main(["reproduce", "--json", "--quick"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["all_within_tolerance"] is False
    assert [row["within_tolerance"] for row in doc["rows"]] == [False] + [True] * len(rest)
    assert doc["rows"][0]["ratio"] == 2.0


def test_presets_name_the_reproductions_that_run_them(capsys):
    assert main(["presets", "--json"]) == 0
    listed = {p["name"]: p["reproduces"] for p in json.loads(capsys.readouterr().out)}
    for entry in registry.all_reproductions():
        if entry.preset:
            assert entry.name in listed[entry.preset]
    assert sum(map(len, listed.values())) == sum(
        1 for r in registry.all_reproductions() if r.preset)


def test_fibre_experiments_are_listed_with_their_preset(capsys):
    names = ["gobby2004-qber-122km", "gobby2004-qber-101km"]
    assert main(["reproduce", *names, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [row["name"] for row in rows] == names
    assert {row["preset"] for row in rows} == {"gobby-122km"}
    assert all(row["unit"] == "%" and row["within_tolerance"] for row in rows)
