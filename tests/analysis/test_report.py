"""The report tables render, with a unit on the numbers."""

import dataclasses
import io

import pytest
from rich.console import Console

from qinet.analysis.metrics import PathBound
from qinet.analysis.report import (
    demand_table,
    format_fraction,
    format_rate,
    format_si,
    format_time,
    link_table,
    run_report,
    wall_time_line,
)


def render(*renderables):
    console = Console(record=True, width=100, file=io.StringIO())
    for renderable in renderables:
        console.print(renderable)
    return console.export_text()


def test_run_report_has_units(short_run):
    text = render(run_report(short_run))
    for unit in ("pairs/s", "pairs", "km", "Hz", "attempts", "%", "s"):
        assert unit in text
    assert "metro-link" in text
    assert "demand 1" in text
    assert "link alice-bob" in text
    assert "PLOB bound" in text


def test_demand_table_rows(short_run):
    demand = short_run.demands[0]
    text = render(demand_table(demand))
    assert f"{demand.pairs:,} pairs" in text
    assert "±" in text
    assert format_time(demand.latency_p99_s) in text
    assert "latency p50" in text


def test_link_table_shows_measured_and_theory(short_run):
    link = short_run.links[0]
    text = render(link_table(link))
    assert "measured" in text
    assert "theory" in text
    assert "20 km" in text
    assert format_si(link.rate_theory_hz, "Hz") in text


def test_a_demand_without_pairs_renders(short_run):
    empty = dataclasses.replace(
        short_run.demands[0], pairs=0, rate_hz=0.0, fidelity_mean=None, fidelity_std=None,
        latency_mean_s=None, latency_p50_s=None, latency_p99_s=None, outage_probability=None,
        pairs_meeting_fidelity=0, distillable_ebits_per_pair=None, distillable_ebits_per_s=None)
    text = render(demand_table(empty))
    assert "0 pairs" in text
    assert "no whole window" in text
    assert "distillable (hashing bound)" in text


def test_wall_time_line(short_run):
    text = render(wall_time_line(short_run, 0.5))
    assert "wall time 500 ms" in text
    assert f"{short_run.events * 2:,} events/s" in text


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (13198.8, "Hz", "13.20 kHz"),
        (999.96, "Hz", "1.000 kHz"),
        (1.5e9, "Hz", "1.500 GHz"),
        (9.894776e-05, "s", "98.95 µs"),
        (-2e-3, "s", "-2.000 ms"),
        (0.0, "Hz", "0 Hz"),
        (float("nan"), "Hz", "–"),
    ],
)
def test_format_si(value, unit, expected):
    assert format_si(value, unit) == expected


def test_format_helpers():
    assert format_time(3e-12) == "3.00 ps"
    assert format_rate(0.5) == "0.5 pairs/s"
    assert format_rate(2500.4, "bit/s") == "2,500 bit/s"
    assert format_fraction(1.0) == "100 %"


def _fits_80_columns(text):
    lines = text.splitlines()
    assert lines
    too_wide = [line for line in lines if len(line) > 80]
    assert too_wide == []
    assert [line for line in lines if "…" in line] == []


@pytest.mark.parametrize(("preset", "duration"), [
    ("metro-link", "50 ms"), ("chain-9", "50 ms"), ("qkd-protocols", "10 ms"),
    ("trusted-relay", "10 ms")])
def test_run_tables_fit_80_columns_with_names_in_full(preset, duration, capsys, monkeypatch):
    import qinet
    from qinet.cli.main import main

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["run", str(qinet.preset_path(preset)), "--duration", duration]) == 0
    text = capsys.readouterr().out
    _fits_80_columns(text)
    result = qinet.simulate(qinet.preset_path(preset), duration=duration)
    # every node of every path and every link is named in full
    words = set(text.split())
    for demand in result.demands:
        if isinstance(demand.bound, PathBound):  # pulse-based demands show as their link
            assert set(demand.path) <= words
    for link in result.qkd_links:
        assert link.name in words


def test_a_long_path_and_long_names_wrap_inside_80_columns(short_run):
    demand = short_run.demands[0]
    long = dataclasses.replace(
        demand, between=("a-node-with-a-long-name", "another-node-with-a-long-name"),
        path=["a-node-with-a-long-name", *(f"repeater-station-{i}" for i in range(12)),
              "another-node-with-a-long-name"])
    console = Console(record=True, width=80, file=io.StringIO())
    console.print(run_report(dataclasses.replace(short_run, demands=[long])))
    text = console.export_text()
    _fits_80_columns(text)
    assert set(long.path) <= set(text.split())


def test_keyrate_table_fits_80_columns(capsys, monkeypatch):
    from qinet.analysis.keyrate import PROTOCOLS
    from qinet.cli.main import main

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["keyrate", "--max-distance", "100 km", "--step", "50 km",
                 "--protocols", ",".join(PROTOCOLS)]) == 0
    text = capsys.readouterr().out
    _fits_80_columns(text)
    assert set(PROTOCOLS) <= set(text.split())
    assert "50 km" in text
    assert "bit/s" in text


def _many_demands(short_run, count):
    """``count`` copies of the run's demand with rates 0, 100, 200, ... pairs/s and mean
    fidelities rising with them (the first has no pair at all)."""
    base = short_run.demands[0]
    demands = []
    for i in range(count):
        pairs = 2 * i
        demands.append(dataclasses.replace(
            base, between=(f"a{i}", f"b{i}"), path=[f"a{i}", f"b{i}"], hops=1 + i % 5,
            pairs=pairs, rate_hz=100.0 * i, pairs_meeting_fidelity=pairs,
            fidelity_mean=0.80 + 0.005 * i if pairs else None,
            fidelity_std=0.01 if pairs else None,
            latency_p50_s=1e-3 * (1 + i) if pairs else None, swaps=i, swap_failures=0))
    return demands


def test_many_demands_are_summarised_with_their_least_served(short_run):
    demands = _many_demands(short_run, 21)
    text = render(run_report(dataclasses.replace(short_run, demands=demands)))
    assert "demand 1 ·" not in text  # no table per demand
    assert "21 demands · least / median / most over demands" in text
    assert "20 of 21 (95.24 %)" in text
    assert f"{sum(d.pairs for d in demands):,} pairs" in text
    # rates 0 .. 2,000 pairs/s: the median is the 11th, 1,000 pairs/s
    assert "0 / 1,000 / 2,000 pairs/s" in text
    # fidelities of the 20 served, 0.805 .. 0.900: the median halfway between 0.850, 0.855
    assert "0.8050 / 0.8525 / 0.9000" in text
    assert "1.00 ms / 2.00 ms / 3.00 ms" not in text  # latencies are those of the served
    assert "2.00 ms / 11.5 ms / 21.0 ms" in text
    assert "1 / 3 / 5 links" in text
    assert f"{sum(d.swaps for d in demands):,} (0)" in text
    title = "the 10 least-served demands of 21 by rate"
    assert title in text
    listed = text[text.index(title):].splitlines()
    rows = [line.split()[0] for line in listed if line.strip()[:1].isdigit()]
    assert rows[:10] == [str(i) for i in range(1, 11)]  # lowest rate first, 1 .. 10
    assert "a0 ↔ b0" in text
    assert "a11 ↔ b11" not in text
    narrow = Console(record=True, width=80, file=io.StringIO())
    narrow.print(run_report(dataclasses.replace(short_run, demands=demands)))
    _fits_80_columns(narrow.export_text())


def test_up_to_eight_demands_keep_a_table_each(short_run):
    demands = _many_demands(short_run, 8)
    text = render(run_report(dataclasses.replace(short_run, demands=demands)))
    assert [f"demand {i} ·" in text for i in range(1, 9)] == [True] * 8
    assert "least-served" not in text


def test_least_served_orders_by_rate_then_fidelity(short_run):
    from qinet.analysis.report import least_served_table

    demands = _many_demands(short_run, 4)
    # the same rate for 3 and 4: the lower mean fidelity is listed first
    demands[2] = dataclasses.replace(demands[3], fidelity_mean=0.95)
    text = render(least_served_table(list(enumerate(demands, 1)), rows=3))
    rows = [line.split()[0] for line in text.splitlines() if line.strip()[:1].isdigit()]
    assert rows == ["1", "2", "4"]
    assert "the 3 least-served demands of 4" in text


def test_a_cost_table_of_many_demands_gives_their_spread(short_run):
    from qinet.analysis.costs import DemandCost
    from qinet.analysis.report import cost_table

    assert short_run.cost is not None
    costs = [DemandCost(("a", "b"), 10.0 * i, 1000.0 * i if i else None, None, None,
                        None if i else "no pair at its fidelity") for i in range(12)]
    run = dataclasses.replace(short_run, cost=dataclasses.replace(short_run.cost,
                                                                  demands=costs))
    text = render(cost_table(run))
    assert "per pair/s at F: least of 11 demands" in text
    for cost in ("1,000", "6,000", "11,000"):
        assert cost in text
    assert "1 demand with no cost per pair/s (see --json)" in text
    assert "demand 1 a ↔ b" not in text
