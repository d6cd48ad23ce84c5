"""Figures of a run, drawn with matplotlib's Agg canvas (no pyplot, no global state)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from qinet.analysis.key_metrics import KeyDemandMetrics, PairKeyMetrics
from qinet.analysis.metrics import DemandMetrics, PathBound, RunResult
from qinet.analysis.pass_plots import PANEL_HEIGHT_IN, plot_passes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_COLOURS = {"pairs": "#1f77b4", "distillable": "#2ca02c", "PLOB": "#7f7f7f",
            "repeater": "#9467bd", "key": "#ff7f0e", "target": "#d62728"}
MAX_ROWS = 60  # rows per panel; beyond this the title says "showing N of M"
_ROW_IN = 0.24  # inches per row: names in 8-point type stay apart
_PANEL_IN = 1.4  # inches per panel for its title, axis label and legend
_BY_HOPS_IN = 5.0  # inches of the demand panels drawn against hops
_FLOOR_NOTE = "0 drawn at the axis floor"


@dataclass(frozen=True, slots=True)
class _Series:
    label: str
    values: list[float | None]
    marker: str
    colour: str


def plot_run(result: RunResult, path: str | Path) -> Path:
    """Save the figure of a run (see :func:`run_figure`); the format follows the suffix.

    Args:
        result: a finished run.
        path: where to write the figure (``.png``, ``.svg``, ``.pdf``).

    Returns:
        The path written.
    """
    path = Path(path)
    run_figure(result).savefig(path, dpi=120)
    return path


def run_figure(result: RunResult) -> Figure:
    """The figure of a run: end-to-end rates, fidelities and key rates against bounds.

    Up to three panels, each with one row per demand or link:

    * Per entanglement demand (every demand whose bound is its path's, BBM92 and E91
      demands included, since they consume pairs), on a log axis: the end-to-end pair
      rate (pairs/s), its distillable rate (ebit/s, hashing bound) and the PLOB bound of
      its path without repeaters (ebit/s), with the repeater-chain capacity beside it for
      a path of several hops; next to it the mean fidelity ± one standard deviation
      against ``min_fidelity``.
    * The key panel, on a log axis in bit/s: per prepare-and-measure QKD link its
      secret-key rate against the PLOB bound at its loss and pulse rate; then per
      entanglement-based QKD demand (BBM92, E91) the secret-key rate of the key it
      distilled from its pairs against the PLOB bound of its path (``direct_ebits_per_s``)
      and, over several hops, the repeater-chain capacity. PLOB bounds the secret-key
      capacity as it bounds the entanglement capacity, one ebit per secret bit (Pirandola
      et al., Nat. Commun. 8, 15043 (2017)). Each row names its protocol.
    * Per key demand relayed over trusted nodes, on a log axis in bit/s: the delivered
      key rate (``key_rate_bps``), what it asked for (``rate_target_hz × key_size_bits``,
      none without a rate) and the bound of its relay. A relay cannot beat its weakest
      hop, so on one route the bound is the route's bottleneck: the smallest PLOB bound
      (``qkd_links[i].plob_bound_bps``) of its links. The relay may spread keys over every
      fewest-hop route whose inner nodes are trusted, so the bound drawn is the maximum
      flow between the ends over those routes' links with their PLOB bounds as
      capacities, the bottleneck when there is one route (the min-cut bound on the
      multi-path capacity; Pirandola, Commun. Phys. 2, 51 (2019)). The metrics give no
      bound for a key demand, so it is computed here from the links of the result.
    * Per satellite link, its passes against time (:mod:`qinet.analysis.pass_plots`):
      elevation, loss, and the sifted and secret key rates.

    Names run down the y axis and the figure grows with the rows, so 50 rows stay
    readable; a key panel shows at most :data:`MAX_ROWS` rows and says so in its title.
    With more entanglement demands than that, their two panels draw every demand as a
    point at its number of hops instead (rates and bounds on a log axis, mean fidelity
    against ``min_fidelity``): what a network of hundreds of demands looks at. A
    panel with nothing to show is left out; a zero rate is drawn at the axis floor and
    the panel says so. The numbers are those of the JSON. Matplotlib is imported here,
    and a ``Figure`` with its own Agg canvas is used instead of pyplot, so no backend or
    global state changes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    numbered = list(enumerate(result.demands, 1))
    demands = [(i, d) for i, d in numbered if isinstance(d.bound, PathBound)]
    pair_keys = [(i, d) for i, d in demands if isinstance(d.key, PairKeyMetrics)]
    keys = [*((f"{link.name} ({link.protocol})", link.secret_key_rate_bps,
               link.plob_bound_bps, None) for link in result.qkd_links),
            *((_demand_name(i, d), _pair_key_rate_bps(d), _direct_bps(d), _chain_bps(d))
              for i, d in pair_keys)]
    relayed = result.key_demands
    # more demands than rows: every demand as a point against its hops instead
    by_hops = len(demands) > MAX_ROWS
    shown = [min(len(rows), MAX_ROWS) for rows in (demands, keys, relayed)]
    heights = [_BY_HOPS_IN if by_hops and rows is demands else n * _ROW_IN + _PANEL_IN
               for rows, n in zip((demands, keys, relayed), shown, strict=True) if n]
    passing = [link for link in result.qkd_links if link.passes]  # satellite links
    heights += [PANEL_HEIGHT_IN] * len(passing)
    figure = Figure(figsize=(11, sum(heights) + 0.6 if heights else 2.0), layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(f"{result.scenario}: seed {result.seed}, {result.duration_s:g} s "
                    f"simulated, {result.mode}, {result.backend}")
    if not heights:
        figure.text(0.5, 0.4, "no entanglement demands, QKD links or key demands: nothing "
                    "to plot", ha="center", va="center")
        return figure
    grid = figure.add_gridspec(len(heights), 2, height_ratios=heights, width_ratios=[3, 2])
    row = 0
    if by_hops:
        rates = figure.add_subplot(grid[row, 0])
        # the same hops axis, also when no demand has a fidelity to place on it
        _plot_demands_by_hops(rates, figure.add_subplot(grid[row, 1], sharex=rates),
                              [d for _, d in demands])
        row += 1
    elif demands:
        rates = figure.add_subplot(grid[row, 0])
        fidelity = figure.add_subplot(grid[row, 1], sharey=rates)
        _plot_demand_rates(rates, [d for _, d in demands],
                           [_demand_name(i, d) for i, d in demands])
        _plot_fidelity(fidelity, [d for _, d in demands])
        row += 1
    if keys:
        _plot_key_rates(figure.add_subplot(grid[row, :]), keys[:MAX_ROWS], total=len(keys))
        row += 1
    if relayed:
        _plot_relayed(figure.add_subplot(grid[row, :]), result, relayed[:MAX_ROWS],
                      total=len(relayed))
        row += 1
    for link in passing:
        plot_passes(figure.add_subplot(grid[row, :]), link)
        row += 1
    return figure


_KeyRow = tuple[str, float, float | None, float | None]
"""A key panel's row: name, secret-key rate, PLOB bound, repeater-chain capacity (bit/s)."""


def _plot_key_rates(ax: Axes, rows: list[_KeyRow], *, total: int) -> None:
    series = [
        _Series("secret-key rate (bit/s)", [r[1] for r in rows], "o", _COLOURS["key"]),
        _Series("PLOB bound (bit/s)", [r[2] for r in rows], "v", _COLOURS["PLOB"])]
    if any(r[3] is not None for r in rows):
        series.append(_Series("repeater-chain capacity (bit/s)", [r[3] for r in rows], "^",
                              _COLOURS["repeater"]))
    _rate_panel(ax, [r[0] for r in rows], series,
                title=_title("secret-key rate per QKD link and entanglement-based QKD "
                             "demand", len(rows), total),
                xlabel="bit/s", ylabel="QKD link or demand (protocol)")


def _plot_relayed(ax: Axes, result: RunResult, demands: list[KeyDemandMetrics], *,
                  total: int) -> None:
    _rate_panel(ax, [f"key {i}: {d.between[0]}–{d.between[1]}"
                     for i, d in enumerate(demands, 1)], (
        _Series("delivered key rate (bit/s)", [d.key_rate_bps for d in demands], "o",
                _COLOURS["key"]),
        _Series("asked: rate × key size (bit/s)",
                [None if d.rate_target_hz is None else d.rate_target_hz * d.key_size_bits
                 for d in demands], "d", _COLOURS["target"]),
        _Series("PLOB bound of its relay routes (bit/s)",
                [_relay_bound_bps(result, d) for d in demands], "v", _COLOURS["PLOB"])),
        title=_title("key rate per key demand relayed over trusted nodes", len(demands),
                     total),
        xlabel="bit/s", ylabel="key demand")


def _relay_bound_bps(result: RunResult, demand: KeyDemandMetrics) -> float | None:
    """The PLOB bound of a relayed key demand (bit/s): the maximum flow between its ends
    over the routes the relay may take, the links' PLOB bounds as capacities.

    The routes are those of :meth:`qinet.network.key_relay.KeyRelay.routes`: the
    fewest-hop paths of QKD links whose inner nodes are trusted. On one route the flow
    is the route's bottleneck, its smallest ``plob_bound_bps``: a relay cannot beat its
    weakest hop.

    Returns:
        The bound, or ``None`` when no such route joins the ends.
    """
    source, destination = demand.between
    allowed = {n.name for n in result.nodes if n.trusted} | {source, destination}
    capacity: dict[frozenset[str], float] = {}
    for link in result.qkd_links:
        # links between the same two nodes feed one pool: their capacities add
        hop = frozenset(link.between)
        capacity[hop] = capacity.get(hop, 0.0) + link.plob_bound_bps
    graph: nx.Graph[str] = nx.Graph()
    for hop in capacity:
        if hop <= allowed:
            graph.add_edge(*sorted(hop))
    try:
        routes = list(nx.all_shortest_paths(graph, source, destination))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None
    flow: nx.Graph[str] = nx.Graph()
    for route in routes:
        for a, b in itertools.pairwise(route):
            flow.add_edge(a, b, capacity=capacity[frozenset((a, b))])
    return float(nx.maximum_flow_value(flow, source, destination))


def _pair_key_rate_bps(demand: DemandMetrics) -> float:
    key = demand.key
    return key.secret_key_rate_bps if isinstance(key, PairKeyMetrics) else 0.0


def _direct_bps(demand: DemandMetrics) -> float | None:
    bound = demand.bound
    return bound.direct_ebits_per_s if isinstance(bound, PathBound) else None


def _chain_bps(demand: DemandMetrics) -> float | None:
    bound = demand.bound
    if isinstance(bound, PathBound) and demand.hops > 1:
        return bound.repeater_chain_ebits_per_s
    return None


def _demand_name(number: int, demand: DemandMetrics) -> str:
    name = f"{number}: {demand.between[0]}–{demand.between[1]}"
    # a key demand's row names its protocol: the pairs panel shows BBM92 and E91 too
    return f"{name} ({demand.key.protocol})" if demand.key is not None else name


def _title(text: str, shown: int, total: int) -> str:
    return text if shown == total else f"{text} (showing {shown} of {total})"


def _plot_demand_rates(ax: Axes, demands: list[DemandMetrics], names: list[str]) -> None:
    _rate_panel(ax, names, _demand_series(demands),
                title="end-to-end rate per entanglement demand",
                xlabel="pairs/s; ebit/s", ylabel="demand")


def _demand_series(demands: list[DemandMetrics]) -> list[_Series]:
    """Per demand: its pair rate, distillable rate, PLOB bound without repeaters and, if
    some path has several hops, the repeater-chain capacity."""
    bounds = [d.bound for d in demands]
    series = [
        _Series("end-to-end pairs (pairs/s)", [d.rate_hz for d in demands], "o",
                _COLOURS["pairs"]),
        _Series("distillable (ebit/s)", [d.distillable_ebits_per_s for d in demands], "s",
                _COLOURS["distillable"]),
        _Series("PLOB bound, no repeater (ebit/s)",
                [b.direct_ebits_per_s if isinstance(b, PathBound) else None for b in bounds],
                "v", _COLOURS["PLOB"]),
    ]
    if any(d.hops > 1 for d in demands):
        series.append(_Series(
            "repeater-chain capacity (ebit/s)",
            [b.repeater_chain_ebits_per_s if isinstance(b, PathBound) and d.hops > 1 else None
             for d, b in zip(demands, bounds, strict=True)], "^", _COLOURS["repeater"]))
    return series


def _plot_demands_by_hops(rates: Axes, fidelity: Axes, demands: list[DemandMetrics]) -> None:
    """Every demand as a point at its number of hops: its rates against the bounds of its
    path (log axis, zeros at the floor), and its mean fidelity against its target."""
    hops = [d.hops for d in demands]
    series = _demand_series(demands)
    positive = [v for s in series for v in s.values if v is not None and v > 0]
    floor = min(positive) / 10 if positive else 1e-3
    zeros = False
    # the series side by side at each hop count, as the rows of the per-demand panel
    offsets = [(k - (len(series) - 1) / 2) * 0.15 for k in range(len(series))]
    for s, offset in zip(series, offsets, strict=True):
        points = [(h + offset, v) for h, v in zip(hops, s.values, strict=True)
                  if v is not None and v > 0]
        if points:
            rates.plot([p[0] for p in points], [p[1] for p in points], linestyle="none",
                       marker=s.marker, markersize=4, alpha=0.6, color=s.colour, label=s.label)
        nought = [h + offset for h, v in zip(hops, s.values, strict=True)
                  if v is not None and v <= 0]
        if nought:
            zeros = True
            rates.plot(nought, [floor] * len(nought), linestyle="none", marker=s.marker,
                       markersize=4, fillstyle="none", color=s.colour, label=f"{s.label}: 0")
    rates.set_yscale("log")
    rates.set_ylim(bottom=floor / 2)
    rates.set_xlabel("hops (links on the demand's path)")
    rates.set_ylabel("pairs/s; ebit/s")
    title = f"end-to-end rate of each of the {len(demands):,} demands by its hops"
    rates.set_title(f"{title}; {_FLOOR_NOTE}" if zeros else title, fontsize="medium")
    rates.legend(loc="best", fontsize="x-small")
    rates.grid(axis="y", which="major", alpha=0.3)
    measured = [(d.hops, d.fidelity_mean) for d in demands if d.fidelity_mean is not None]
    if measured:
        fidelity.plot([m[0] for m in measured], [m[1] for m in measured], linestyle="none",
                      marker="o", markersize=4, alpha=0.6, color=_COLOURS["pairs"],
                      label="mean fidelity")
    targets = sorted({d.min_fidelity or 0.0 for d in demands})
    for k, target in enumerate(targets):
        fidelity.axhline(target, color=_COLOURS["target"], linestyle="--",
                         label="min_fidelity" if k == 0 else None)
    missing = len(demands) - len(measured)
    low = min(targets + [m[1] for m in measured])
    fidelity.set_ylim(max(0.0, low - 0.05), 1.0)
    fidelity.set_xlabel("hops")
    fidelity.set_ylabel("fidelity with the target Bell state")
    title = "mean fidelity by hops"
    fidelity.set_title(f"{title}; {missing:,} without pairs" if missing else title,
                       fontsize="medium")
    fidelity.legend(loc="best", fontsize="x-small")
    fidelity.grid(axis="y", alpha=0.3)


def _rate_panel(ax: Axes, names: Sequence[str], series: Sequence[_Series], *, title: str,
                xlabel: str, ylabel: str) -> None:
    """Points on a log x axis, one row per name; zeros as open markers at the floor."""
    # points, not bars: a bar's length on a log axis depends on where the axis starts
    positive = [v for s in series for v in s.values if v is not None and v > 0]
    floor = min(positive) / 10 if positive else 1e-3
    top = max(positive) * 3 if positive else 1.0
    zeros = False
    offsets = [(k - (len(series) - 1) / 2) * 0.15 for k in range(len(series))]
    for s, offset in zip(series, offsets, strict=True):
        points = [(v, i + offset) for i, v in enumerate(s.values) if v is not None and v > 0]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], linestyle="none",
                    marker=s.marker, markersize=6, color=s.colour, label=s.label)
        nought = [i + offset for i, v in enumerate(s.values) if v is not None and v <= 0]
        if nought:
            zeros = True
            ax.plot([floor] * len(nought), nought, linestyle="none", marker=s.marker,
                    markersize=6, fillstyle="none", color=s.colour, label=f"{s.label}: 0")
    ax.set_xscale("log")
    ax.set_xlim(floor / 2, top)
    _rows(ax, names)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title}; {_FLOOR_NOTE}" if zeros else title, fontsize="medium")
    ax.legend(loc="best", fontsize="x-small")
    ax.grid(axis="x", which="major", alpha=0.3)


def _rows(ax: Axes, names: Sequence[str]) -> None:
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.set_ylim(len(names) - 0.5, -0.5)  # first row on top


def _plot_fidelity(ax: Axes, demands: list[DemandMetrics]) -> None:
    ys = range(len(demands))
    measured = [(d.fidelity_mean, y) for d, y in zip(demands, ys, strict=True)
                if d.fidelity_mean is not None]
    spread = [(d.fidelity_mean - (d.fidelity_std or 0.0), d.fidelity_mean
               + (d.fidelity_std or 0.0), y) for d, y in zip(demands, ys, strict=True)
              if d.fidelity_mean is not None]
    targets = [d.min_fidelity or 0.0 for d in demands]  # pair demands: always set
    ax.plot(targets, list(ys), linestyle="none", marker="|",
            markersize=12, markeredgewidth=2, color=_COLOURS["target"], label="min_fidelity")
    if spread:
        ax.hlines([s[2] for s in spread], [s[0] for s in spread], [s[1] for s in spread],
                  colors=_COLOURS["pairs"], label="± std")
    ax.plot([m[0] for m in measured], [m[1] for m in measured], linestyle="none", marker="o",
            markersize=6, color=_COLOURS["pairs"], label="mean fidelity")
    missing = len(demands) - len(measured)
    low = min(targets + [s[0] for s in spread])
    ax.set_xlim(max(0.0, low - 0.05), 1.0)
    ax.tick_params(axis="y", labelleft=False)
    ax.set_xlabel("fidelity with the target Bell state")
    title = "fidelity per demand"
    ax.set_title(f"{title}; {missing} without pairs" if missing else title, fontsize="medium")
    ax.legend(loc="best", fontsize="x-small")  # the least covered corner
    ax.grid(axis="x", alpha=0.3)
