"""``qinet report``: a self-contained HTML report of a run's JSON result or a sweep folder."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

from qinet.cli._common import stderr_console
from qinet.errors import ConfigError, QinetError

MAX_DEFAULT_FIGURES = 6
# the figures a sweep's report draws when no --y is given: rates, fidelities, key rates
_DEFAULT_Y = re.compile(r"^(demands|qkd_links|key_demands)\[\d+\]\.(rate_hz|fidelity_mean|"
                        r"key\.secret_key_rate_bps|secret_key_rate_bps|key_rate_bps)$")


def report(*, source: Path, out: Path, scenario: str | None = None, x: str | None = None,
           ys: list[str] | None = None, hue: str | None = None) -> Path:
    """Write the report the way ``qinet report`` does; returns the file written.

    Raises:
        ConfigError: the source cannot be read, or an option is wrong.
        QinetError: the report could not be written.
    """
    if out.suffix.lower() not in (".html", ".htm"):
        raise ConfigError("--out", f"writes HTML: use a file name ending in .html, "
                                   f"got {str(out)!r}")
    if not out.parent.is_dir():
        raise ConfigError("--out", f"folder {str(out.parent)!r} does not exist")
    if source.is_dir():
        page = _sweep_page(source, x=x, ys=ys or [], hue=hue)
    elif source.is_file():
        if x is not None or ys or hue is not None:
            raise ConfigError("--x", "--x, --y and --hue choose a sweep's figures; "
                                     f"{str(source)!r} is a run's result")
        page = _run_page(source, scenario)
    else:
        raise ConfigError("RESULT_OR_SWEEP", f"{str(source)!r} is neither a JSON result "
                                             f"nor a sweep folder")
    try:
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(out)!r}: {exc.strerror or exc}") from None
    stderr_console().print(f"wrote the report to {out}", markup=False)
    return out


def _run_page(path: Path, scenario: str | None) -> str:
    from qinet.analysis.sweep_report import Provenance, run_report_html, scenario_yaml
    from qinet.analysis.sweep_report_result import result_from_document
    from qinet.scenario.loader import _read
    from qinet.scenario.presets import preset_names, scenario_path

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError("RESULT_OR_SWEEP", f"cannot read {str(path)!r} as JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError("RESULT_OR_SWEEP", f"{str(path)!r} is not the JSON result of qinet run")
    result, extra = result_from_document(document, option="RESULT_OR_SWEEP")
    notes = [str(n) for n in extra.get("notes", [])]
    if extra.get("partial"):
        notes.append("the run was interrupted: its numbers cover the part that ran")
    named = scenario
    if named is None and result.scenario in preset_names():
        named = result.scenario
        source = (f"The built-in preset {result.scenario!r}, which the result names; pass "
                  f"--scenario with the file actually run if it was another.")
    elif named is not None:
        source = f"From {named!r}, as given with --scenario."
    else:
        source = ("Not known: the result names a scenario that is no preset; pass "
                  "--scenario to include it.")
    text = scenario_yaml(_read(scenario_path(named))) if named is not None else None
    duration = extra.get("requested_duration_s", result.duration_s)
    command = shlex.join(["qinet", "run", named or "SCENARIO.yaml", "--seed", str(result.seed),
                          "--duration", f"{duration:g} s", "--mode", result.mode,
                          "--backend", result.backend, "--json"])
    provenance = Provenance(command, text, source, result.qinet_version, tuple(notes))
    return run_report_html(result, provenance)


def _sweep_page(folder: Path, *, x: str | None, ys: list[str], hue: str | None) -> str:
    from qinet.analysis.sweep_plots import plot_data, resolve_column
    from qinet.analysis.sweep_report import Provenance, scenario_yaml, sweep_report_html
    from qinet.scenario.loader import read_scenario
    from qinet.sweep.manifest import load_results, swept_columns

    table, manifest = load_results(folder, option="RESULT_OR_SWEEP")
    params = swept_columns(table, manifest)
    columns = [str(c) for c in table.columns]
    if x is None:
        numeric = [p for p in params if p != "seed" and _numeric(table[p])]
        if not numeric:
            raise ConfigError("--x", "the sweep varies no number but seed; give --x")
        x = numeric[0]
    x_col = resolve_column(x, columns, "--x")
    if hue is None:
        others = [p for p in params if p not in (x_col, "seed") and table[p].nunique() > 1]
        hue = others[0] if others else None
    if not ys:
        ys = [c for c in columns if _DEFAULT_Y.match(c) and _numeric(table[c])]
        ys = ys[:MAX_DEFAULT_FIGURES]
    scenario = read_scenario(manifest.base).scenario if manifest is not None else None
    units = manifest.units if manifest is not None else None
    # the table is read once for all the figures
    figures = [plot_data(table, x=x_col, y=y, hue=hue, params=params, units=units,
                         scenario=scenario) for y in ys]
    if manifest is not None:
        label = manifest.scenario or "scenario data given from Python"
        provenance = Provenance(
            manifest.command, scenario_yaml(manifest.base),
            f"The scenario every point started from ({label}), as the sweep recorded it; "
            f"each run set the swept fields on it.", manifest.qinet_version)
    else:
        version = str(table["qinet_version"].iloc[0]) if "qinet_version" in columns else "?"
        provenance = Provenance("(not recorded: the sweep predates sweep.json)", None,
                                "Not recorded.", version)
    return sweep_report_html(table, figures, provenance, params=params,
                             title=f"qinet sweep report: {folder.name}")


def _numeric(column: Any) -> bool:
    return bool(column.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
                .all())
