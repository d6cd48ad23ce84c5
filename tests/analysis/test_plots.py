"""Figures: the plotted numbers are the run's, rates on log axes, labels apart."""

import dataclasses
import itertools

import numpy as np
import pytest

import qinet
from qinet.analysis.metrics import PathBound
from qinet.analysis.plots import MAX_ROWS, plot_run, run_figure


@pytest.fixture(scope="module")
def qkd_run():
    return qinet.simulate(qinet.preset_path("qkd-protocols"), duration="10 ms")


def _many_demands(run, n):
    """``n`` copies of the run's first demand, with distinct ends and rates."""
    first = run.demands[0]
    assert isinstance(first.bound, PathBound)
    out = []
    for i in range(n):
        rate = 0.0 if i == 3 else first.rate_hz * (1 + i)
        out.append(dataclasses.replace(
            first, between=(f"alice{i}", f"bob{i}"), rate_hz=rate,
            distillable_ebits_per_s=None if rate == 0 else rate * 0.5,
            fidelity_mean=None if rate == 0 else 0.8 + i / 1000,
            fidelity_std=None if rate == 0 else 0.01,
            hops=2 if i % 2 else 1,
            bound=dataclasses.replace(first.bound, direct_ebits_per_s=1e4 * (i + 1),
                                      repeater_chain_ebits_per_s=2e4 * (i + 1))))
    return out


def _many_qkd(run, n):
    link = run.qkd_links[0]
    return [dataclasses.replace(link, name=f"node{i}-node{i + 1}",
                                secret_key_rate_bps=0.0 if i == 5 else 1e3 * (i + 1),
                                plob_bound_bps=1e6 * (i + 1)) for i in range(n)]


def _line(ax, label):
    (line,) = [line for line in ax.get_lines() if line.get_label() == label]
    return line


def _points(ax, label, rows=None):
    """(row name, x) of each point of the series ``label``, rows read from the y ticks."""
    line = _line(ax, label)
    names = [t.get_text() for t in (rows or ax).get_yticklabels()]
    return {names[round(y)]: x for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)}


def _assert_apart(figure):
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:
        for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
            boxes = [label.get_window_extent(renderer) for label in labels
                     if label.get_visible() and label.get_text()]
            for a, b in itertools.combinations(boxes, 2):
                assert not a.overlaps(b), (a, b)


@pytest.fixture(scope="module")
def crowded(short_run, qkd_run):
    return dataclasses.replace(short_run, demands=_many_demands(short_run, 50),
                               qkd_links=_many_qkd(qkd_run, 50))


def test_fifty_rows_plot_the_results_numbers(crowded):
    figure = run_figure(crowded)
    rates, fidelity, keys = figure.axes
    assert [t.get_text() for t in rates.get_yticklabels()] == [
        f"{i}: alice{i - 1}–bob{i - 1}" for i in range(1, 51)]
    demands = {f"{i}: alice{i - 1}–bob{i - 1}": d for i, d in enumerate(crowded.demands, 1)}
    pairs = _points(rates, "end-to-end pairs (pairs/s)")
    assert pairs == pytest.approx({k: d.rate_hz for k, d in demands.items() if d.rate_hz > 0})
    assert _points(rates, "distillable (ebit/s)") == pytest.approx(
        {k: d.distillable_ebits_per_s for k, d in demands.items() if d.distillable_ebits_per_s})
    assert _points(rates, "PLOB bound, no repeater (ebit/s)") == pytest.approx(
        {k: d.bound.direct_ebits_per_s for k, d in demands.items()})
    assert _points(rates, "repeater-chain capacity (ebit/s)") == pytest.approx(
        {k: d.bound.repeater_chain_ebits_per_s for k, d in demands.items() if d.hops > 1})
    # the demand without pairs sits at the axis floor, and the title says so
    zero = _line(rates, "end-to-end pairs (pairs/s): 0")
    assert list(zero.get_xdata()) == [pytest.approx(min(
        v for d in crowded.demands for v in (d.rate_hz, d.distillable_ebits_per_s,
                                             d.bound.direct_ebits_per_s) if v) / 10)]
    assert zero.get_xdata()[0] > rates.get_xlim()[0]
    assert "0 drawn at the axis floor" in rates.get_title()
    assert _points(fidelity, "mean fidelity", rates) == pytest.approx(
        {k: d.fidelity_mean for k, d in demands.items() if d.fidelity_mean is not None})
    assert list(_line(fidelity, "min_fidelity").get_xdata()) == [
        d.min_fidelity for d in crowded.demands]
    assert "1 without pairs" in fidelity.get_title()
    names = {link.name: link for link in crowded.qkd_links}
    assert _points(keys, "secret-key rate (bit/s)") == pytest.approx(
        {k: v.secret_key_rate_bps for k, v in names.items() if v.secret_key_rate_bps > 0})
    assert _points(keys, "PLOB bound (bit/s)") == pytest.approx(
        {k: v.plob_bound_bps for k, v in names.items()})
    assert [ax.get_xscale() for ax in (rates, fidelity, keys)] == ["log", "linear", "log"]
    _assert_apart(figure)


def test_rows_beyond_the_cap_are_counted_in_the_title(short_run):
    n = MAX_ROWS + 5
    figure = run_figure(dataclasses.replace(short_run, demands=_many_demands(short_run, n)))
    rates = figure.axes[0]
    assert len(rates.get_yticklabels()) == MAX_ROWS
    assert f"showing {MAX_ROWS} of {n}" in rates.get_title()
    _assert_apart(figure)


def test_a_qkd_run_has_only_the_key_panel(qkd_run):
    figure = run_figure(qkd_run)
    (keys,) = figure.axes
    assert keys.get_xscale() == "log"
    assert np.all(_line(keys, "PLOB bound (bit/s)").get_xdata() > 0)
    # the links without key are drawn at the floor, never on a linear axis around 0
    zero = {link.name for link in qkd_run.qkd_links if link.secret_key_rate_bps == 0}
    if zero:
        assert len(_line(keys, "secret-key rate (bit/s): 0").get_xdata()) == len(zero)
        assert "0 drawn at the axis floor" in keys.get_title()
    _assert_apart(figure)


def test_a_run_with_nothing_to_plot_has_no_axes(short_run):
    figure = run_figure(dataclasses.replace(short_run, demands=[], qkd_links=[]))
    assert figure.axes == []


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_run_writes_a_file(short_run, tmp_path, suffix):
    path = plot_run(short_run, tmp_path / f"run{suffix}")
    assert path.stat().st_size > 1000


def test_plot_run_leaves_the_backend_alone(short_run, tmp_path):
    import matplotlib

    before = matplotlib.get_backend()
    plot_run(short_run, tmp_path / "run.png")
    assert matplotlib.get_backend() == before
