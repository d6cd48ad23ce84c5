"""``qinet run``: simulate a scenario, print tables (or JSON), optionally save and plot."""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from qinet.analysis.api import RunStatus, ScenarioRun, run_watched
from qinet.analysis.report import format_time, run_report, wall_time_line
from qinet.cli._common import json_document, load, stderr_console, stdout_console
from qinet.errors import ConfigError, QinetError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")
PROGRESS_ABOVE_S = 1.0  # wall seconds: shorter runs finish before a bar is worth drawing
INTERRUPTED_EXIT = 130  # 128 + SIGINT, as shells report a run stopped by Ctrl-C


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
    pairs_out: Path | None = None,
) -> ScenarioRun:
    """Run one scenario the way ``qinet run`` does, print it, and return the run.

    A run that takes more than :data:`PROGRESS_ABOVE_S` of wall time draws a progress
    bar on stderr. Ctrl-C stops the run between two slices and its results so far are
    printed, marked partial (a second Ctrl-C stops at once, printing nothing).
    With ``pairs_out`` every delivered pair of the entanglement demands is written to a
    Parquet file (see :func:`write_pairs`); otherwise the demands keep streaming
    statistics only, in memory that does not grow with the run.

    Raises:
        ConfigError: the scenario, an option, or an output path is invalid.
        QinetError: an output file could not be written.
    """
    _check_output(out, "--out")
    _check_output(plot, "--plot")
    _check_output(pairs_out, "--pairs-out")
    if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError("--plot", f"use a file name ending in {', '.join(PLOT_SUFFIXES)}, "
                                    f"got {str(plot)!r}")
    if pairs_out is not None and pairs_out.suffix.lower() != ".parquet":
        raise ConfigError("--pairs-out", f"writes Parquet: use a file name ending in .parquet, "
                                         f"got {str(pairs_out)!r}")
    loaded = load(scenario, seed=seed, duration=duration, mode=mode, backend=backend)
    show = not (as_json or quiet)
    started = time.perf_counter()
    with _interrupts() as interrupted, ProgressDisplay(enabled=show) as display:
        outcome = run_watched(loaded.scenario, watch=display.watch(interrupted),
                              keep_pairs=pairs_out is not None)
    wall_s = time.perf_counter() - started
    # the network is garbage now, held by its own cycles: free it before the result's
    # JSON and tables are made beside it (the 10,000-node grid's peak memory)
    gc.collect()
    result = outcome.result
    notes = list(loaded.notes) + list(outcome.notes)
    if outcome.partial:
        notes.append(partial_line(outcome))

    data = result.to_dict()
    data.update(partial=outcome.partial, simulated_s=outcome.simulated_s,
                requested_duration_s=outcome.requested_s, notes=notes)
    document = json_document(data)
    written = []
    if out is not None:
        _write(out, document + "\n")
        written.append(f"wrote the JSON result to {out}")
    if plot is not None:
        from qinet.analysis.plots import plot_run

        try:
            plot_run(result, plot)
        except OSError as exc:
            raise QinetError(f"--plot: cannot write {str(plot)!r}: {exc.strerror or exc}") from None
        written.append(f"wrote the figure to {plot}")
    if pairs_out is not None:
        rows = write_pairs(outcome, pairs_out)
        written.append(f"wrote {rows:,} pairs to {pairs_out}")

    if as_json:
        print(document)
    elif not quiet:
        console = stdout_console()
        console.print(run_report(result))
        for note in notes:
            console.print(f"note: {note}", markup=False)
        console.print(wall_time_line(result, wall_s))
    if not quiet:
        err = stderr_console()
        for line in written:
            err.print(line, markup=False)
    return outcome


def partial_line(outcome: ScenarioRun) -> str:
    """What an interrupted run covered, e.g. ``partial: interrupted after 1.20 s of
    10.0 s simulated``."""
    return (f"partial: interrupted after {format_time(outcome.simulated_s)} of "
            f"{format_time(outcome.requested_s)} simulated")


@contextmanager
def _interrupts() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C; a second one raises KeyboardInterrupt at once.

    Outside the main thread (where signals cannot be handled) the event is never set
    and Ctrl-C keeps its usual effect.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return

    def handler(signum: int, frame: Any) -> None:
        if interrupted.is_set():
            raise KeyboardInterrupt
        interrupted.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


class ProgressDisplay:
    """A progress bar on stderr, drawn once a run has taken :data:`PROGRESS_ABOVE_S`.

    The bar shows the simulated time done against the duration, the events processed
    per wall second and the time left by the wall clock (estimated from the simulated
    seconds run per wall second). Its label says the phase: ``building`` while the
    network is built and routed (no slice has run yet: a 10,000-node network takes
    seconds), ``simulating``, then ``summarising`` once the clock has reached the end
    and the metrics are computed.
    """

    def __init__(self, *, enabled: bool, after_s: float = PROGRESS_ABOVE_S) -> None:
        self.enabled = enabled
        self.after_s = after_s
        self._progress: Any = None
        self._task: Any = None
        self._lock = threading.Lock()  # the building timer's thread and the run's
        self._timer: threading.Timer | None = None
        self._closed = False

    def __enter__(self) -> ProgressDisplay:
        if self.enabled:
            self._timer = threading.Timer(self.after_s, self._building)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self._closed = True  # a timer already running must not draw a bar now
            if self._progress is not None:
                self._progress.stop()

    @property
    def phase(self) -> str | None:
        """The label on the bar, or ``None`` while none is drawn."""
        with self._lock:
            if self._progress is None:
                return None
            (task,) = self._progress.tasks
            return str(task.description).strip()

    def watch(self, interrupted: threading.Event) -> Any:
        """The watcher for :func:`~qinet.analysis.api.run_watched`: it draws the bar
        and, once Ctrl-C was pressed, raises KeyboardInterrupt to end the run there."""

        def after_slice(status: RunStatus) -> None:
            self.update(status)
            if interrupted.is_set():
                raise KeyboardInterrupt

        return after_slice

    def update(self, status: RunStatus) -> None:
        """Draw ``status`` (nothing before ``after_s`` of wall time, or when disabled)."""
        if not self.enabled or status.wall_s < self.after_s:
            return
        rate = status.events / status.wall_s if status.wall_s > 0 else 0.0
        phase = "summarising" if status.done_s >= status.total_s else "simulating"
        with self._lock:
            self._show(phase, total=status.total_s).update(
                self._task, description=phase, total=status.total_s, completed=status.done_s,
                simulated=f"{status.done_s:.4g} s / {status.total_s:.4g} s simulated",
                events_per_s=f"{rate:,.0f} events/s", eta="eta")

    def _building(self) -> None:
        """Called ``after_s`` into the run: if no slice has run yet, the network is still
        being built."""
        with self._lock:
            if self._progress is None and not self._closed:
                self._show("building", total=None)

    def _show(self, phase: str, *, total: float | None) -> Any:
        """The bar, drawn now if it was not yet (called under ``_lock``)."""
        if self._progress is None:
            self._progress = _new_progress()
            self._progress.start()
        if self._task is None:
            self._task = self._progress.add_task(phase, total=total, simulated="",
                                                 events_per_s="", eta="")
        return self._progress


def _new_progress() -> Any:
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description:<12}"), BarColumn(bar_width=20),
               TaskProgressColumn(),
               TextColumn("{task.fields[simulated]}"),
               TextColumn("{task.fields[events_per_s]}"), TextColumn("{task.fields[eta]}"),
               TimeRemainingColumn())
    return Progress(*columns, console=stderr_console(), transient=True)


def write_pairs(outcome: ScenarioRun, path: Path) -> int:
    """Write every delivered pair to a Parquet file; returns the number of rows.

    Columns: ``demand`` (index in the scenario's demands), ``delivered_ps`` (delivery
    time), ``latency_ps`` (as ``latency_*_s`` in the JSON) and ``fidelity`` (to Φ+ at
    delivery), in delivery order per demand.

    Raises:
        QinetError: the file could not be written.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    demands = sorted(outcome.pairs)
    arrays = [outcome.pairs[i] for i in demands]
    table = pa.table({
        "demand": np.concatenate([np.full(a["delivered_ps"].size, i, np.int32)
                                  for i, a in zip(demands, arrays, strict=True)]
                                 or [np.zeros(0, np.int32)]),
        **{name: np.concatenate([a[name] for a in arrays] or [np.zeros(0, dtype)])
           for name, dtype in (("delivered_ps", np.int64), ("latency_ps", np.int64),
                               ("fidelity", np.float64))}})
    try:
        pq.write_table(table, path)
    except OSError as exc:
        raise QinetError(f"--pairs-out: cannot write {str(path)!r}: {exc}") from None
    return int(table.num_rows)


def _check_output(path: Path | None, option: str) -> None:
    # Fail before a long run rather than after it.
    if path is not None and not path.parent.is_dir():
        raise ConfigError(option, f"folder {str(path.parent)!r} does not exist")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None
