"""``qinet run``: simulate a scenario, print tables (or JSON), optionally save and plot."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qinet.analysis.api import simulate
from qinet.analysis.metrics import RunResult
from qinet.analysis.report import run_report, wall_time_line
from qinet.cli._common import json_document, scenario_source, stderr_console, stdout_console
from qinet.errors import ConfigError, QinetError
from qinet.scenario import Scenario, load_scenario

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
PROGRESS_ABOVE_S = 1.0  # shorter runs finish before a bar is worth drawing


def run(
    *,
    scenario: str | None,
    seed: int | None = None,
    duration: str | None = None,
    mode: str | None = None,
    backend: str | None = None,
    as_json: bool = False,
    out: Path | None = None,
    plot: Path | None = None,
    quiet: bool = False,
) -> RunResult:
    """Run one scenario the way ``qinet run`` does and return its result.

    Raises:
        ConfigError: the scenario, an option, or an output path is invalid.
        QinetError: an output file could not be written.
    """
    _check_output(out, "--out")
    _check_output(plot, "--plot")
    if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError("--plot", f"use a file name ending in {', '.join(PLOT_SUFFIXES)}, "
                                    f"got {str(plot)!r}")
    loaded = load_scenario(scenario_source(scenario), seed=seed, duration=duration,
                           mode=mode, backend=backend)
    show = not (as_json or quiet)
    started = time.perf_counter()
    with _progress(loaded, enabled=show) as progress:
        result = simulate(loaded, progress=progress)
    wall_s = time.perf_counter() - started

    document = json_document(result.to_dict())
    notes = []
    if out is not None:
        _write(out, document + "\n")
        notes.append(f"wrote the JSON result to {out}")
    if plot is not None:
        from qinet.analysis.plots import plot_run

        try:
            plot_run(result, plot)
        except OSError as exc:
            raise QinetError(f"--plot: cannot write {str(plot)!r}: {exc.strerror or exc}") from None
        notes.append(f"wrote the figure to {plot}")

    if as_json:
        print(document)
    elif not quiet:
        console = stdout_console()
        console.print(run_report(result))
        console.print(wall_time_line(result, wall_s))
    if not quiet:
        err = stderr_console()
        for note in notes:
            err.print(note, markup=False)
    return result


@contextmanager
def _progress(scenario: Scenario, *, enabled: bool) -> Iterator[Any]:
    """A progress callback drawing simulated seconds on stderr, or ``None``."""
    # QKD links take wall time even for short runs: every block is post-processed
    slow = scenario.duration > PROGRESS_ABOVE_S or any(
        link.scheme == "qkd" for link in scenario.links)
    if not enabled or not slow:
        yield None
        return
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("simulating"), BarColumn(), TaskProgressColumn(),
               TextColumn("{task.completed:.4g} / {task.total:.4g} s simulated"),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=stderr_console(), transient=True) as bar:
        task = bar.add_task("simulating", total=scenario.duration)
        yield lambda done_s, total_s: bar.update(task, completed=done_s, total=total_s)


def _check_output(path: Path | None, option: str) -> None:
    # Fail before a long run rather than after it.
    if path is not None and not path.parent.is_dir():
        raise ConfigError(option, f"folder {str(path.parent)!r} does not exist")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None
