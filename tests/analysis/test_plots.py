"""Figures: the plotted numbers are the run's, rates on log axes, labels apart."""

import dataclasses
import itertools

import numpy as np
import pytest

import qinet
from qinet.analysis.metrics import PathBound
from qinet.analysis.plots import MAX_ROWS, plot_run, run_figure

# BBM92 over a 2 km double-click link, and keys relayed from hq to branch over a diamond
# of decoy-BB84 links through the trusted nodes east and west: two fewest-hop routes.
# The intensities are set so that no link spends time choosing them.
_RELAY_AND_BBM92 = """
name: relay-and-bbm92
seed: 3
duration: 100 ms
hardware:
  spin: {kind: memory, t2: 1 s, efficiency: 0.9, raw_fidelity: 0.99}
  snspd: {kind: detector, efficiency: 0.8, dark_count_rate: 100 Hz, dead_time: 50 ns,
          jitter: 30 ps}
  smf28: {kind: fibre, attenuation: 0.2 dB/km, group_index: 1.4682}
nodes:
  - {name: alice, memories: 10, memory: spin}
  - {name: bob, memories: 10, memory: spin}
  - {name: hq}
  - {name: east, trusted: true}
  - {name: west, trusted: true}
  - {name: branch}
links:
  - {between: [alice, bob], length: 2 km, scheme: double-click, fibre: smf28, detector: snspd}
  - {between: [hq, east], length: 10 km, scheme: qkd, fibre: smf28, detector: snspd}
  - {between: [hq, west], length: 20 km, scheme: qkd, fibre: smf28, detector: snspd}
  - {between: [east, branch], length: 5 km, scheme: qkd, fibre: smf28, detector: snspd}
  - {between: [west, branch], length: 5 km, scheme: qkd, fibre: smf28, detector: snspd}
demands:
  - {kind: qkd, protocol: bbm92, between: [alice, bob], block_size: 4000}
  - {kind: key, between: [hq, branch], key_size: 64, rate: 1 kHz}
  - {kind: key, between: [hq, east], key_size: 64}
""" + "".join(
    f"  - {{kind: qkd, protocol: bb84-decoy, between: [{a}, {b}], intensities: [0.5, 0.1, 0],"
    f" intensity_probabilities: [0.8, 0.1, 0.1]}}\n"
    for a, b in (("hq", "east"), ("hq", "west"), ("east", "branch"), ("west", "branch")))


@pytest.fixture(scope="module")
def qkd_run():
    return qinet.simulate(qinet.preset_path("qkd-protocols"), duration="10 ms")


@pytest.fixture(scope="module")
def relay_run():
    return qinet.simulate(_RELAY_AND_BBM92)


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
    names = {f"{link.name} ({link.protocol})": link for link in crowded.qkd_links}
    assert _points(keys, "secret-key rate (bit/s)") == pytest.approx(
        {k: v.secret_key_rate_bps for k, v in names.items() if v.secret_key_rate_bps > 0})
    assert _points(keys, "PLOB bound (bit/s)") == pytest.approx(
        {k: v.plob_bound_bps for k, v in names.items()})
    assert [ax.get_xscale() for ax in (rates, fidelity, keys)] == ["log", "linear", "log"]
    _assert_apart(figure)


def test_more_demands_than_rows_are_drawn_against_their_hops(short_run):
    n = MAX_ROWS + 5
    demands = _many_demands(short_run, n)
    figure = run_figure(dataclasses.replace(short_run, demands=demands))
    rates, fidelity = figure.axes
    assert rates.get_yscale() == "log"
    assert f"each of the {n} demands by its hops" in rates.get_title()
    assert "0 drawn at the axis floor" in rates.get_title()

    def points(ax, label):
        line = _line(ax, label)
        return np.array(sorted(zip(line.get_xdata(), line.get_ydata(), strict=True)))

    def same(got, expected):
        np.testing.assert_allclose(got, np.array(sorted(expected)), rtol=1e-12)

    # four series side by side at each hop count, 0.15 apart: pairs first, chain last
    same(points(rates, "end-to-end pairs (pairs/s)"),
         [(d.hops - 0.225, d.rate_hz) for d in demands if d.rate_hz > 0])
    same(points(rates, "PLOB bound, no repeater (ebit/s)"),
         [(d.hops + 0.075, d.bound.direct_ebits_per_s) for d in demands])
    same(points(rates, "repeater-chain capacity (ebit/s)"),
         [(d.hops + 0.225, d.bound.repeater_chain_ebits_per_s) for d in demands if d.hops > 1])
    zero = points(rates, "end-to-end pairs (pairs/s): 0")
    assert len(zero) == 1
    assert zero[0][1] > rates.get_ylim()[0]
    same(points(fidelity, "mean fidelity"),
         [(d.hops, d.fidelity_mean) for d in demands if d.fidelity_mean is not None])
    assert list(_line(fidelity, "min_fidelity").get_ydata()) == [demands[0].min_fidelity] * 2
    assert "1 without pairs" in fidelity.get_title()
    _assert_apart(figure)


def test_demands_without_pairs_against_their_hops_keep_one_hops_axis(short_run):
    empty = [dataclasses.replace(d, rate_hz=0.0, distillable_ebits_per_s=None,
                                 fidelity_mean=None, fidelity_std=None)
             for d in _many_demands(short_run, MAX_ROWS + 1)]
    figure = run_figure(dataclasses.replace(short_run, demands=empty))
    rates, fidelity = figure.axes
    figure.canvas.draw()
    assert fidelity.get_xlim() == rates.get_xlim()
    low, high = rates.get_xlim()
    assert low < 1  # hops 1 and 2 (and the series' offsets about them) in view
    assert high > 2
    labels = [line.get_label() for line in fidelity.get_lines()]
    assert "mean fidelity" not in labels
    assert f"{MAX_ROWS + 1} without pairs" in fidelity.get_title()


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


def _plob(run):
    return {frozenset(link.between): link.plob_bound_bps for link in run.qkd_links}


def test_the_key_panels_plot_links_bbm92_and_relayed_demands(relay_run):
    # the scenario gives what the panels are for: a BBM92 key, a relayed key, and zeros
    (bbm92,) = [d for d in relay_run.demands if d.key is not None and d.key.protocol == "bbm92"]
    assert bbm92.key.secret_key_rate_bps > 0
    to_branch, to_east = relay_run.key_demands
    assert to_branch.between == ("hq", "branch")
    assert to_branch.key_rate_bps > 0
    assert to_east.key_rate_bps == 0
    figure = run_figure(relay_run)
    pairs, _, keys, relayed = figure.axes
    assert "1: alice–bob (bbm92)" in [t.get_text() for t in pairs.get_yticklabels()]

    names = {f"{link.name} ({link.protocol})": link for link in relay_run.qkd_links}
    assert list(names) == ["hq-east (bb84-decoy)", "hq-west (bb84-decoy)",
                           "east-branch (bb84-decoy)", "west-branch (bb84-decoy)"]
    assert [t.get_text() for t in keys.get_yticklabels()] == [*names, "1: alice–bob (bbm92)"]
    assert _points(keys, "secret-key rate (bit/s)") == pytest.approx(
        {k: v.secret_key_rate_bps for k, v in names.items() if v.secret_key_rate_bps > 0}
        | {"1: alice–bob (bbm92)": bbm92.key.secret_key_rate_bps})
    assert _points(keys, "PLOB bound (bit/s)") == pytest.approx(
        {k: v.plob_bound_bps for k, v in names.items()}
        | {"1: alice–bob (bbm92)": bbm92.bound.direct_ebits_per_s})

    plob = _plob(relay_run)
    hq_east, hq_west = plob[frozenset(("hq", "east"))], plob[frozenset(("hq", "west"))]
    east_b, west_b = plob[frozenset(("east", "branch"))], plob[frozenset(("west", "branch"))]
    assert [t.get_text() for t in relayed.get_yticklabels()] == ["key 1: hq–branch",
                                                                 "key 2: hq–east"]
    assert _points(relayed, "delivered key rate (bit/s)") == pytest.approx(
        {"key 1: hq–branch": to_branch.key_rate_bps})
    assert _points(relayed, "asked: rate × key size (bit/s)") == pytest.approx(
        {"key 1: hq–branch": 1000 * 64})  # 1 kHz of 64-bit keys; key 2 asks no rate
    # hq–branch may take both routes, so its bound is their bottlenecks added (the
    # maximum flow); hq–east has one hop: that link's bound
    assert _points(relayed, "PLOB bound of its relay routes (bit/s)") == pytest.approx(
        {"key 1: hq–branch": min(hq_east, east_b) + min(hq_west, west_b),
         "key 2: hq–east": hq_east})
    zero = _line(relayed, "delivered key rate (bit/s): 0")
    assert list(zero.get_xdata()) == [pytest.approx(min(
        to_branch.key_rate_bps, 64_000, hq_east) / 10)]
    assert "0 drawn at the axis floor" in relayed.get_title()
    assert [ax.get_xscale() for ax in figure.axes] == ["log", "linear", "log", "log"]
    assert [ax.get_xlabel() for ax in (keys, relayed)] == ["bit/s", "bit/s"]
    _assert_apart(figure)


def test_a_relay_is_bounded_by_its_weakest_hop_on_trusted_routes(relay_run):
    # west untrusted: hq–branch has one route left, hq → east → branch
    nodes = [dataclasses.replace(n, trusted=n.trusted and n.name != "west")
             for n in relay_run.nodes]
    plob = _plob(relay_run)
    figure = run_figure(dataclasses.replace(relay_run, nodes=nodes))
    relayed = figure.axes[-1]
    assert _points(relayed, "PLOB bound of its relay routes (bit/s)")[
        "key 1: hq–branch"] == pytest.approx(min(plob[frozenset(("hq", "east"))],
                                                 plob[frozenset(("east", "branch"))]))


def test_a_key_demand_without_a_trusted_route_has_no_bound(relay_run):
    nodes = [dataclasses.replace(n, trusted=False) for n in relay_run.nodes]
    relayed = run_figure(dataclasses.replace(relay_run, nodes=nodes)).axes[-1]
    assert set(_points(relayed, "PLOB bound of its relay routes (bit/s)")) == {
        "key 2: hq–east"}


def test_fifty_key_rows_stay_apart(relay_run):
    (bbm92,) = [d for d in relay_run.demands if isinstance(d.bound, PathBound)]
    pair_keys = [dataclasses.replace(
        bbm92, between=(f"alice{i}", f"bob{i}"), hops=1 + i % 3,
        key=dataclasses.replace(bbm92.key, secret_key_rate_bps=0.0 if i == 7 else 1e3 * (i + 1)))
        for i in range(46)]
    first = relay_run.key_demands[0]
    key_demands = [dataclasses.replace(first, key_rate_bps=64.0 * (i + 1),
                                       rate_target_hz=None if i % 2 else 10.0 * (i + 1))
                   for i in range(50)]
    crowded = dataclasses.replace(relay_run, demands=pair_keys, key_demands=key_demands)
    figure = run_figure(crowded)
    _, _, keys, relayed = figure.axes
    rows = [t.get_text() for t in keys.get_yticklabels()]
    assert len(rows) == len(relay_run.qkd_links) + 46 == 50
    assert rows[-1] == "46: alice45–bob45 (bbm92)"
    assert _points(keys, "repeater-chain capacity (bit/s)") == pytest.approx(
        {f"{i + 1}: alice{i}–bob{i} (bbm92)": d.bound.repeater_chain_ebits_per_s
         for i, d in enumerate(pair_keys) if d.hops > 1})
    assert _points(relayed, "asked: rate × key size (bit/s)") == pytest.approx(
        {f"key {i + 1}: hq–branch": d.rate_target_hz * d.key_size_bits
         for i, d in enumerate(key_demands) if d.rate_target_hz is not None})
    assert len(relayed.get_yticklabels()) == 50
    _assert_apart(figure)


def test_key_demands_beyond_the_cap_are_counted_in_the_title(relay_run):
    n = MAX_ROWS + 2
    figure = run_figure(dataclasses.replace(
        relay_run, key_demands=[relay_run.key_demands[0]] * n))
    relayed = figure.axes[-1]
    assert len(relayed.get_yticklabels()) == MAX_ROWS
    assert f"showing {MAX_ROWS} of {n}" in relayed.get_title()
