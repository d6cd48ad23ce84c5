"""Figures of a run, drawn with matplotlib's Agg canvas (no pyplot, no global state)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qinet.analysis.metrics import RunResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_COLOURS = {"measured": "#1f77b4", "theory": "#ff7f0e", "PLOB bound": "#7f7f7f",
            "target": "#d62728"}


def plot_run(result: RunResult, path: str | Path) -> Path:
    """Save one figure of a run: rates per link, fidelity per demand.

    Left: for each link, the measured pair rate next to the theoretical rate and the
    PLOB capacity of the link in ebit/s, on a log scale. Right: for each demand, the mean
    fidelity of the delivered pairs with one standard deviation, and its
    ``min_fidelity`` target. The format follows the suffix (``.png``, ``.svg``,
    ``.pdf``).

    Matplotlib is imported here, and a ``Figure`` with its own Agg canvas is used
    instead of pyplot, so no backend or global figure state changes for other users.

    Args:
        result: a finished run.
        path: where to write the figure.

    Returns:
        The path written.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    figure = Figure(figsize=(10, 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    rates, fidelity = figure.subplots(1, 2)
    _plot_rates(rates, result)
    _plot_fidelity(fidelity, result)
    figure.suptitle(f"{result.scenario}: seed {result.seed}, {result.duration_s:g} s simulated, "
                    f"{result.mode}, {result.backend}")
    figure.savefig(path, dpi=120)
    return path


_MAX_LINKS = 30  # beyond this a per-link axis is unreadable; --json has them all


def _plot_rates(ax: Axes, result: RunResult) -> None:
    # Points, not bars: a bar's height on a log axis depends on where the axis starts.
    links = [link for link in result.links if link.demands][:_MAX_LINKS]
    names = [link.name for link in links]
    series = (
        ("measured", [link.rate_hz for link in links], "o", "full"),
        ("theory", [link.rate_theory_hz for link in links], "D", "none"),
        ("PLOB bound", [link.plob_ebits_per_s for link in links], "v", "full"),
    )
    for k, (label, values, marker, fill) in enumerate(series):
        x = [i + (k - 1) * 0.15 for i in range(len(names))]
        ax.plot(x, values, linestyle="none", marker=marker, markersize=8, fillstyle=fill,
                color=_COLOURS[label], label=label)
    positive = [v for _, values, _, _ in series for v in values if v > 0]
    if positive:
        ax.set_yscale("log")
        ax.set_ylim(min(positive) / 3, max(positive) * 3)
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.6, max(len(names), 1) - 0.4)
    ax.set_xlabel("link")
    ax.set_ylabel("pairs/s; PLOB in ebit/s")
    ax.set_title("pair rate per link")
    ax.legend(loc="best", fontsize="small")
    ax.grid(axis="y", which="both", alpha=0.3)


def _plot_fidelity(ax: Axes, result: RunResult) -> None:
    heralded = {link.name: link.fidelity_heralded_theory for link in result.links}
    labels = [f"{d.between[0]}–{d.between[1]}" for d in result.demands]
    low = 1.0
    for i, demand in enumerate(result.demands):
        first = i == 0
        ax.hlines(demand.min_fidelity, i - 0.35, i + 0.35, colors=_COLOURS["target"],
                  linestyles="dashed", label="min_fidelity" if first else "_nolegend_")
        low = min(low, demand.min_fidelity)
        link = f"{demand.path[0]}-{demand.path[1]}" if demand.hops == 1 else None
        if link in heralded:
            ax.plot(i + 0.15, heralded[link], linestyle="none", marker="D",
                    fillstyle="none", color=_COLOURS["theory"],
                    label="heralded (theory)" if first else None)
            low = min(low, heralded[link])
        if demand.fidelity_mean is None:
            ax.annotate("no pairs", (i, demand.min_fidelity), ha="center", va="bottom")
            continue
        std = demand.fidelity_std or 0.0
        ax.errorbar(i, demand.fidelity_mean, yerr=std, fmt="o", color=_COLOURS["measured"],
                    capsize=4, label="delivered, mean ± std" if first else None)
        low = min(low, demand.fidelity_mean - std)
    if not result.demands:
        ax.text(0.5, 0.5, "no demands", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlim(-0.6, max(len(labels), 1) - 0.4)
    ax.set_ylim(max(0.0, low - 0.05), 1.0)
    ax.set_xlabel("demand")
    ax.set_ylabel("fidelity with the target Bell state")
    ax.set_title("fidelity per demand")
    if result.demands:
        ax.legend(loc="lower left", fontsize="small")
    ax.grid(axis="y", alpha=0.3)
