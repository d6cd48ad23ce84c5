"""Figures of a sweep: a metric against a swept parameter, mean over seeds with standard
errors, beside the bound physics sets.

:func:`plot_data` prepares everything a figure shows as a :class:`PlotData` (typed,
tested, and printed by ``qinet plot --json``); :func:`sweep_figure` only draws it.

The points: the rows of the sweep's table that ran (``status`` ``ok``) are grouped by
the hue column (if any) and the x column; each group gives the mean of y over its runs
(its seeds) and the standard error of that mean, ``s / sqrt(n)`` with ``s`` the sample
standard deviation (``ddof = 1``) of the ``n`` runs (none for a single run).

The bound: for a key rate the PLOB bound, for a pair rate the repeaterless (PLOB) bound
in ebit/s, ``-log2(1 - η) × ν`` (Pirandola, Laurenza, Ottaviani and Banchi, Nat. Commun.
8, 15043 (2017), eq. 19), with ``η = 10^(-Σ α_j L_j / 10)`` over the fibre links of the
metric's path, ``L_j`` each link's length in that run (the swept length) and ``α_j`` its
fibre's attenuation in the scenario (or in the run, where it is swept), and ``ν`` the
channel uses per second the run reports for that path (the source's pulse rate for a
prepare-and-measure link, the modes sent per second of the slowest link for a pair
path). A metric per pulse is bounded by ``-log2(1 - η)`` alone.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qinet.errors import ConfigError
from qinet.physical.bounds import plob_bound

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from qinet.scenario.schema import Scenario

ERROR_BARS = "mean over runs (seeds) ± standard error of the mean"
_KEY_RATES = ("secret_key_rate_bps", "asymptotic_key_rate_bps", "key_rate_bps")
_PAIR_RATES = ("rate_hz", "distillable_ebits_per_s")
_PER_PULSE = ("secret_bits_per_pulse", "asymptotic_bits_per_pulse")
_UNITS = (("_ebits_per_s", "ebit/s"), ("_per_s", "1/s"), ("_bps", "bit/s"), ("_hz", "Hz"),
          ("_km", "km"), ("_db", "dB"), ("_s", "s"), ("_per_pulse", "bit/pulse"))
_RUN_METRICS = ("demands[", "links[", "qkd_links[", "key_demands[", "apps[", "nodes[",
                "pair_sources[")
_ENTITY = re.compile(r"^(demands|links|qkd_links)\[(\d+)\]\.")
DECADES_FOR_LOG_X = 2.0  # a swept axis spanning 100-fold or more is drawn on a log scale


@dataclass(frozen=True, slots=True)
class Series:
    """One line of the figure: a hue value's points, in increasing x.

    Attributes:
        label: the legend text (the hue value, or the metric without a hue).
        hue: the hue value, or ``None``.
        x: the swept values.
        mean: the mean of y over the runs at each x.
        stderr: the standard error of that mean (``nan`` for a single run).
        runs: the runs averaged at each x (those with a value of y).
    """

    label: str
    hue: Any
    x: tuple[float, ...]
    mean: tuple[float, ...]
    stderr: tuple[float, ...]
    runs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BoundSeries:
    """The bound drawn beside the points, at each x of a series.

    Attributes:
        label: the legend text, with its unit.
        hue: the hue value it belongs to, or ``None`` when it is one for every hue.
        x: the swept values.
        value: the bound at each x (mean over the runs there, which agree).
        transmittance: ``η`` of the metric's fibre path at each x.
    """

    label: str
    hue: Any
    x: tuple[float, ...]
    value: tuple[float, ...]
    transmittance: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class PlotData:
    """What a sweep figure shows (see the module docstring for the statistics).

    Attributes:
        x, y, hue: the table's columns drawn (``hue`` may be ``None``).
        x_label, y_label: axis labels with units.
        series: one per hue value, in the order the table first gives them.
        bounds: the bound series (empty when the metric has none).
        log_x, log_y: whether each axis is logarithmic.
        runs: rows of the table used; failed: rows left out because they failed.
        error_bars: what the error bars are.
    """

    x: str
    y: str
    hue: str | None
    x_label: str
    y_label: str
    series: tuple[Series, ...]
    bounds: tuple[BoundSeries, ...]
    log_x: bool
    log_y: bool
    runs: int
    failed: int
    error_bars: str = ERROR_BARS

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``nan`` becomes ``None``)."""
        ready: dict[str, Any] = _json_ready(asdict(self))
        return ready


def resolve_column(name: str, columns: Sequence[str], option: str) -> str:
    """The table column ``name`` stands for: the column itself, the column it names
    without its list indices (``links.length`` for ``links[*].length``), or the one
    column whose path ends with it (``secret_key_rate_bps``); where several end with it
    and one of them is a metric of the run itself (under ``demands``, ``links``,
    ``qkd_links``, ...) rather than a figure derived from those, that one.

    Raises:
        ConfigError: naming ``option``: no such column (the closest names first, then
            every column), or several match (they are listed).

    Examples:
        >>> cols = ["links[*].length", "seed", "demands[1].key.secret_key_rate_bps"]
        >>> resolve_column("links.length", cols, "--x")
        'links[*].length'
        >>> resolve_column("secret_key_rate_bps", cols, "--y")
        'demands[1].key.secret_key_rate_bps'
    """
    if name in columns:
        return name
    plain = _plain(name)
    for matches in ([c for c in columns if _plain(c) == plain],
                    [c for c in columns if _plain(c).endswith("." + plain)]):
        own = [c for c in matches if c.startswith(_RUN_METRICS)]
        if len(matches) == 1 or len(own) == 1:
            return matches[0] if len(matches) == 1 else own[0]
        if matches:
            raise ConfigError(option, f"{name!r} matches several columns: "
                                      + ", ".join(matches) + "; give one in full")
    close = difflib.get_close_matches(name, columns, n=3, cutoff=0.6)
    hint = f"closest: {', '.join(close)}; " if close else ""
    raise ConfigError(option, f"no column {name!r} in the sweep's table; {hint}its columns "
                              f"are: " + ", ".join(columns))


def _plain(path: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", path)


def plot_data(table: Any, *, x: str, y: str, hue: str | None = None,
              params: Sequence[str] = (), units: Mapping[str, str] | None = None,
              scenario: Scenario | None = None) -> PlotData:
    """The points, error bars and bound of ``y`` against ``x`` in a sweep's table.

    Args:
        table: the sweep's table (a pandas DataFrame, as ``results.parquet`` holds it).
        x, y, hue: columns, or names :func:`resolve_column` reads.
        params: the swept columns; any besides ``x``, ``hue`` and ``seed`` that takes
            several values is refused, as averaging over it would mix designs.
        units: the unit of each swept column (``{"links[*].length": "km"}``).
        scenario: the scenario the sweep started from (the fibres' attenuation);
            ``None`` draws no bound.

    Raises:
        ConfigError: naming ``--x``, ``--y`` or ``--hue``: no such column, a column of
            text where numbers are needed, no run that succeeded, or another swept
            column that varies.
    """
    columns = [str(c) for c in table.columns]
    x_col = resolve_column(x, columns, "--x")
    y_col = resolve_column(y, columns, "--y")
    hue_col = resolve_column(hue, columns, "--hue") if hue is not None else None
    for other in params:
        if other not in (x_col, hue_col, "seed") and other in table.columns and (
                table[other].nunique(dropna=False) > 1):
            raise ConfigError("--hue", f"the sweep also varies {other!r}; give it as --hue "
                                       f"(the runs at one x are averaged as seeds)")
    ok = table[table["status"] == "ok"] if "status" in table.columns else table
    if ok.empty:
        raise ConfigError("--y", "no run of the sweep succeeded; nothing to plot")
    xs = _numbers(ok[x_col], "--x", x_col)
    ys = _numbers(ok[y_col], "--y", y_col)
    hues = list(ok[hue_col]) if hue_col is not None else [None] * len(ok)
    bound_rows = _row_bounds(ok, y_col, scenario) if scenario is not None else None
    series, bounds = [], []
    for value in dict.fromkeys(hues):
        mask = np.array([h == value for h in hues])
        series.append(_series(xs[mask], ys[mask], value, y_col if hue_col is None else
                              f"{_plain(hue_col).rsplit('.', 1)[-1]} = {value}"))
        if bound_rows is not None:
            label, values, etas = bound_rows
            bounds.append(_bound(xs[mask], values[mask], etas[mask], value, label))
    positive_x = xs[xs > 0]
    log_x = bool(positive_x.size == xs.size and xs.size and
                 math.log10(positive_x.max() / positive_x.min()) >= DECADES_FOR_LOG_X)
    units = units or {}
    return PlotData(
        x=x_col, y=y_col, hue=hue_col, x_label=_label(x_col, units.get(x_col)),
        y_label=_label(y_col, None), series=tuple(series), bounds=_merge(bounds),
        log_x=log_x, log_y=_is_rate(y_col), runs=len(ok), failed=len(table) - len(ok))


def _numbers(column: Any, option: str, name: str) -> np.ndarray:
    values = list(column)
    numbers = np.array([float(v) if isinstance(v, int | float | np.number)
                        and not isinstance(v, bool) else math.nan for v in values])
    if np.isnan(numbers).all() and any(isinstance(v, str | bool) for v in values):
        raise ConfigError(option, f"{name!r} holds text, not numbers"
                          + ("; draw it as --hue" if option == "--x" else ""))
    return numbers


def _series(xs: np.ndarray, ys: np.ndarray, hue: Any, label: str) -> Series:
    points, means, errors, runs = [], [], [], []
    for x in np.unique(xs[~np.isnan(xs)]):
        at = ys[(xs == x) & ~np.isnan(ys)]
        points.append(float(x))
        means.append(float(at.mean()) if at.size else math.nan)
        # standard error of the mean: sample standard deviation / sqrt(n)
        errors.append(float(at.std(ddof=1) / math.sqrt(at.size)) if at.size > 1 else math.nan)
        runs.append(int(at.size))
    return Series(label, hue, tuple(points), tuple(means), tuple(errors), tuple(runs))


def _bound(xs: np.ndarray, values: np.ndarray, etas: np.ndarray, hue: Any,
           label: str) -> BoundSeries:
    points, bound, eta = [], [], []
    for x in np.unique(xs[~np.isnan(xs)]):
        at = (xs == x) & ~np.isnan(values)
        if at.any():
            points.append(float(x))
            bound.append(float(values[at].mean()))
            eta.append(float(etas[at].mean()))
    return BoundSeries(label, hue, tuple(points), tuple(bound), tuple(eta))


def _merge(bounds: list[BoundSeries]) -> tuple[BoundSeries, ...]:
    """One bound for all hues when they agree (the hue does not change the channel)."""
    bounds = [b for b in bounds if b.x]
    if len(bounds) > 1 and all(b.x == bounds[0].x and np.allclose(b.value, bounds[0].value,
                                                                  rtol=1e-12, atol=0)
                               for b in bounds):
        first = bounds[0]
        return (BoundSeries(first.label, None, first.x, first.value, first.transmittance),)
    if len(bounds) > 1:
        return tuple(BoundSeries(f"{b.label}, {b.hue}", b.hue, b.x, b.value, b.transmittance)
                     for b in bounds)
    return tuple(BoundSeries(b.label, None, b.x, b.value, b.transmittance) for b in bounds)


def _row_bounds(rows: Any, y_col: str, scenario: Scenario
                ) -> tuple[str, np.ndarray, np.ndarray] | None:
    """Per row: the bound of ``y_col`` and the transmittance of its path, or ``None``
    when the metric has no bound here (see the module docstring)."""
    metric = y_col.rsplit(".", 1)[-1]
    entity = _ENTITY.match(y_col)
    if entity is None:
        return None
    kind, index = entity[1], int(entity[2])
    if metric.endswith(_KEY_RATES):
        label = "PLOB bound (bit/s)"
    elif metric in _PAIR_RATES and kind != "qkd_links":
        label = "PLOB repeaterless bound (ebit/s)"
    elif metric in _PER_PULSE:
        label = "PLOB bound (bit/pulse)"
    else:
        return None
    uses_col = {"demands": f"demands[{index}].bound.channel_uses_per_s",
                "links": f"links[{index}].channel_uses_per_s",
                "qkd_links": f"qkd_links[{index}].source_rate_hz"}[kind]
    if label.endswith("(bit/pulse)"):
        uses = np.ones(len(rows))
    elif uses_col in rows.columns:
        uses = np.asarray(rows[uses_col], dtype=float)
    else:
        return None
    etas = np.array([_path_transmittance(row, kind, index, scenario)
                     for row in rows.to_dict("records")])
    if np.isnan(etas).all():
        return None
    return label, np.asarray(plob_bound(np.nan_to_num(etas, nan=0.0))) * uses, etas


def _path_transmittance(row: Mapping[str, Any], kind: str, index: int,
                        scenario: Scenario) -> float:
    """``η`` of the fibre path of ``kind[index]`` in one run, from each link's length
    in that run and its fibre's attenuation; ``nan`` when a link is not found."""
    if kind == "demands":
        nodes = [row[k] for k in _indexed(row, f"demands[{index}].path")]
    else:
        nodes = [row.get(f"{kind}[{index}].between[0]"), row.get(f"{kind}[{index}].between[1]")]
    loss_db = 0.0
    for a, b in itertools.pairwise(nodes):
        hop = _hop(row, scenario, frozenset((a, b)))
        if hop is None:
            return math.nan
        loss_db += hop
    return 10.0 ** (-loss_db / 10.0) if len(nodes) > 1 else math.nan


def _indexed(row: Mapping[str, Any], prefix: str) -> list[str]:
    keys, k = [], 0
    while f"{prefix}[{k}]" in row and row[f"{prefix}[{k}]"] is not None:
        keys.append(f"{prefix}[{k}]")
        k += 1
    return keys


def _hop(row: Mapping[str, Any], scenario: Scenario, ends: frozenset[Any]) -> float | None:
    """The fibre loss (dB) of the link between ``ends`` in this run: its length from the
    run's own record, its attenuation from the scenario or from a swept column."""
    from qinet.scenario.hardware import fibre_of
    from qinet.scenario.schema import _FibreSpan

    length = None
    for kind in ("links", "qkd_links"):
        for key in (k for k in row if k.startswith(f"{kind}[") and k.endswith("].length_km")):
            prefix = key[:-len(".length_km")]
            if frozenset((row.get(f"{prefix}.between[0]"),
                          row.get(f"{prefix}.between[1]"))) == ends:
                length = row[key]
                break
        if length is not None:
            break
    spec = next((i for i, link in enumerate(scenario.links) if frozenset(link.between) == ends),
                None)
    link = scenario.links[spec] if spec is not None else None
    if length is None or not isinstance(link, _FibreSpan):
        return None  # a free-space link: its loss is no fibre's
    fibre = link.fibre
    for swept in (f"links[{spec}].fibre", "links[*].fibre"):
        if isinstance(row.get(swept), str):
            fibre = row[swept]
    attenuation = row.get(f"hardware.{fibre}.attenuation") if fibre else None
    if not isinstance(attenuation, int | float):
        try:
            attenuation = fibre_of(scenario, fibre).attenuation
        except (KeyError, ConfigError):
            return None
    return float(attenuation) * float(length)


def _is_rate(column: str) -> bool:
    metric = column.rsplit(".", 1)[-1]
    return metric.endswith(("_hz", "_bps", "_per_s", "_per_pulse", "_per_channel_use"))


def _label(column: str, unit: str | None) -> str:
    metric = column.rsplit(".", 1)[-1]
    if unit is None and metric == "rate_hz" and column.startswith(("demands", "links")):
        unit = "pairs/s"  # delivered or heralded pairs per second
    elif unit is None:
        unit = next((u for suffix, u in _UNITS if metric.endswith(suffix)), None)
    return f"{column} ({unit})" if unit else column


def _json_ready(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        return _json_ready(value.item())
    return value


_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#17becf", "#bcbd22", "#7f7f7f")


def sweep_figure(data: PlotData, *, title: str | None = None) -> Figure:
    """Draw ``data``: points with standard-error bars per hue, the bound as a dashed line,
    log axes where :class:`PlotData` says; the caption says what the bars are. Uses a
    ``Figure`` with its own Agg canvas (no pyplot, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    # the bottom strip keeps the caption clear of the axis label
    figure = Figure(figsize=(7.0, 4.8), layout=ConstrainedLayoutEngine(rect=(0, 0.04, 1, 0.96)))
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    dropped = 0
    for i, s in enumerate(data.series):
        colour = _COLOURS[i % len(_COLOURS)]
        keep = [k for k, m in enumerate(s.mean) if not math.isnan(m)
                and (m > 0 or not data.log_y)]
        dropped += len(s.mean) - len(keep)
        errors = [0.0 if math.isnan(s.stderr[k]) else s.stderr[k] for k in keep]
        ax.errorbar([s.x[k] for k in keep], [s.mean[k] for k in keep], yerr=errors,
                    marker="o", markersize=4, capsize=3, linewidth=1.2, color=colour,
                    label=f"{s.label} (mean ± s.e.)")
    for i, b in enumerate(data.bounds):
        colour = "#444444" if b.hue is None else _COLOURS[i % len(_COLOURS)]
        keep = [k for k, v in enumerate(b.value) if v > 0 or not data.log_y]
        ax.plot([b.x[k] for k in keep], [b.value[k] for k in keep], linestyle="--",
                color=colour, linewidth=1.2, label=b.label)
    if data.log_x:
        ax.set_xscale("log")
    if data.log_y:
        ax.set_yscale("log")
    ax.set_xlabel(data.x_label)
    ax.set_ylabel(data.y_label)
    ax.grid(which="major", alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    if title:
        ax.set_title(title, fontsize="medium")
    caption = f"Points: {data.error_bars}; {data.runs} runs"
    if data.failed:
        caption += f", {data.failed} failed runs left out"
    if dropped:
        caption += f"; {dropped} points at zero not drawn on the log axis"
    figure.text(0.01, 0.005, caption, fontsize="x-small", ha="left", va="bottom")
    return figure


def save_figure(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` (the format follows the suffix: .png, .svg, .pdf)."""
    path = Path(path)
    figure.savefig(path, dpi=150)
    return path
