"""Self-contained HTML reports of a run or a sweep: figures, tables, the scenario, the
command and seeds, and the versions of qinet and its dependencies.

Everything is inside the one file: figures are PNG images written into it as base64
``data:`` URIs, styles are inline, and there are no scripts, fonts or links to load, so
the report opens offline and can be mailed or archived as it is. A run's tables are the
ones ``qinet run`` prints (:mod:`qinet.analysis.report`), exported as HTML; a sweep's are
the numbers of each figure (:class:`~qinet.analysis.sweep_plots.PlotData`) and the
table of its runs.
"""

from __future__ import annotations

import base64
import html
import importlib.metadata
import io
import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from qinet import __version__
from qinet.analysis.sweep_plots import PlotData, sweep_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from qinet.analysis.metrics import RunResult

DEPENDENCIES = ("numpy", "scipy", "networkx", "pydantic", "PyYAML", "matplotlib", "pandas",
                "pyarrow", "stim", "rich", "typer")
MAX_TABLE_ROWS = 2000  # rows of a sweep's run table written out; the Parquet file has all
_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70em; margin: 2em auto; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
table.data { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
table.data th, table.data td { border: 1px solid #ddd; padding: 0.2em 0.5em; }
table.data td { text-align: right; font-variant-numeric: tabular-nums; }
table.data th { background: #f4f4f4; }
pre.yaml { background: #f8f8f8; padding: 1em; overflow-x: auto; font-size: 0.85em; }
figure { margin: 1em 0; } figcaption { font-size: 0.85em; color: #555; }
img { max-width: 100%; }
"""


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a report's numbers come from.

    Attributes:
        command: the command line that makes them again.
        scenario_yaml: the scenario as YAML, or ``None`` when it is not known.
        scenario_source: what that YAML is (a file, a preset, a sweep's record).
        result_version: the qinet version that produced the numbers.
        notes: lines worth reading beside the numbers (a partial run, a missing
            scenario).
    """

    command: str
    scenario_yaml: str | None
    scenario_source: str
    result_version: str
    notes: tuple[str, ...] = field(default=())


def versions() -> dict[str, str]:
    """qinet's, Python's and the dependencies' versions (``"not installed"`` if absent)."""
    out = {"qinet": __version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def scenario_yaml(data: Mapping[str, Any]) -> str:
    """Scenario data as the YAML a file would hold (keys in their order)."""
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)


def run_report_html(result: RunResult, provenance: Provenance) -> str:
    """The HTML report of one run: its figure, the tables ``qinet run`` prints, the
    scenario, the command and seed, and the versions."""
    from qinet.analysis.plots import run_figure
    from qinet.analysis.report import run_report

    title = f"qinet run report: {result.scenario}"
    facts = [("scenario", result.scenario), ("seed", str(result.seed)),
             ("simulated", f"{result.duration_s:g} s"), ("mode", result.mode),
             ("backend", result.backend)]
    body = [_facts(facts), _figure(run_figure(result), "The run's rates, fidelities and key "
                                   "rates against their bounds (PLOB; see qinet run --plot).")]
    body.append("<h2>Tables</h2>" + _rich_html(run_report(result)))
    return _page(title, body, provenance)


def sweep_report_html(table: Any, figures: Sequence[PlotData], provenance: Provenance, *,
                      params: Sequence[str] = (), title: str = "qinet sweep report") -> str:
    """The HTML report of a sweep: each figure with the table of its numbers, a summary
    of the runs, the table of every run (its parameters and the figures' metrics), the
    scenario, the command and the versions."""
    ok = int((table["status"] == "ok").sum()) if "status" in table.columns else len(table)
    facts = [("runs", f"{len(table)} ({ok} ok, {len(table) - ok} failed)")]
    facts += [(p, ", ".join(_cell(v) for v in dict.fromkeys(table[p]))) for p in params
              if p in table.columns]
    body = [_facts(facts)]
    for data in figures:
        body.append(f"<h2>{_e(data.y)} against {_e(data.x)}</h2>")
        bound = f"; dashed: {data.bounds[0].label}" if data.bounds else ""
        body.append(_figure(sweep_figure(data), f"{data.y_label} against {data.x_label}. "
                            f"Points: {data.error_bars}{bound}."))
        body.append(_plot_table(data))
    failed = table[table["status"] != "ok"] if "status" in table.columns else table.iloc[:0]
    if len(failed):
        body.append("<h2>Failed runs</h2>" + _data_table(
            ["task", *params, "error"], [[r.get(c) for c in ("task", *params, "error")]
                                         for r in failed.to_dict("records")]))
    metrics = list(dict.fromkeys(d.y for d in figures))
    columns = [c for c in ("task", "status", *params, *metrics) if c in table.columns]
    rows = [[r.get(c) for c in columns] for r in table.head(MAX_TABLE_ROWS).to_dict("records")]
    shown = "" if len(table) <= MAX_TABLE_ROWS else (
        f"<p>The first {MAX_TABLE_ROWS} of {len(table)} runs; results.parquet holds all.</p>")
    body.append("<h2>Runs</h2>" + shown + _data_table(columns, rows))
    return _page(title, body, provenance)


def _page(title: str, body: list[str], provenance: Provenance) -> str:
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{_e(title)}</h1>"]
    parts += [f"<p><strong>note:</strong> {_e(n)}</p>" for n in provenance.notes]
    parts += body
    parts.append("<h2>Reproduce</h2>")
    parts.append(f'<pre class="yaml">{_e(provenance.command)}</pre>')
    parts.append(f"<h2>Scenario</h2><p>{_e(provenance.scenario_source)}</p>")
    if provenance.scenario_yaml is not None:
        parts.append(f'<pre class="yaml">{_e(provenance.scenario_yaml)}</pre>')
    parts.append("<h2>Versions</h2>")
    rows = [["results made by qinet", provenance.result_version]]
    rows += [[name, version] for name, version in versions().items()]
    parts.append(_data_table(["package", "version (this report)"], rows))
    parts.append("</body></html>")
    return "\n".join(parts)


def _facts(rows: Sequence[tuple[str, str]]) -> str:
    return _data_table(["", ""], [list(r) for r in rows], header=False)


def _plot_table(data: PlotData) -> str:
    bounds = {(b.hue, x): v for b in data.bounds for x, v in zip(b.x, b.value, strict=True)}
    columns = [data.x, *([data.hue] if data.hue else []), f"mean {data.y}",
               "standard error", "runs", *(["bound: " + data.bounds[0].label]
                                           if data.bounds else [])]
    rows = []
    for s in data.series:
        for k, x in enumerate(s.x):
            row: list[Any] = [x, *([s.hue] if data.hue else []), s.mean[k], s.stderr[k],
                              s.runs[k]]
            if data.bounds:
                row.append(bounds.get((s.hue, x), bounds.get((None, x))))
            rows.append(row)
    return _data_table(columns, rows)


def _data_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                header: bool = True) -> str:
    head = ("<tr>" + "".join(f"<th>{_e(c)}</th>" for c in columns) + "</tr>") if header else ""
    body = "".join("<tr>" + "".join(f"<td>{_e(_cell(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f'<table class="data">{head}{body}</table>'


def _cell(value: Any) -> str:
    """A table cell: numbers with up to 6 significant figures (all of an integer)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        number = float(value)
        if math.isnan(number):
            return "–"
        return f"{number:.6g}"
    return str(value)


def _figure(figure: Figure, caption: str) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure><img alt="{_e(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _rich_html(renderable: Any) -> str:
    from rich.console import Console

    console = Console(record=True, width=100, file=io.StringIO(), color_system="truecolor")
    console.print(renderable)
    # inline styles, and no page wrapper: the tables go into this page as a <pre>
    return console.export_html(inline_styles=True, code_format="<pre style=\"font-size: "
                               "0.8em; line-height: 1.25\"><code>{code}</code></pre>")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
