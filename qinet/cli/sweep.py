"""``qinet sweep``: run a grid of scenario points and write their table as Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qinet.cli._common import stderr_console
from qinet.errors import ConfigError


def sweep(*, scenario: str | None, sets: list[str], out: Path,
          zip_sets: list[str] | None = None, workers: int | None = None, dask: str | None = None,
          duration: str | None = None, quiet: bool = False) -> int:
    """Run the sweep the way ``qinet sweep`` does, with a progress bar on stderr; returns
    the number of failed tasks.

    Raises:
        ConfigError: a bad ``--set``, point or option.
        QinetError: a record or the table could not be written.
    """
    from qinet.sweep import TABLE, run_sweep

    if not sets and not zip_sets:
        raise ConfigError("--set", "give at least one axis, e.g. --set 'seed=1..5'")
    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{str(out)!r} is a file; give a folder")
    bar = _Bar(enabled=not quiet)
    with bar:
        table = run_sweep(scenario, sets, out=out, zip_sets=zip_sets or (), workers=workers,
                          dask=dask, duration=duration, progress=bar.update)
    failed = int((table["status"] != "ok").sum()) if len(table) else 0
    if not quiet:
        err = stderr_console()
        reused = f" ({bar.reused} from an earlier run)" if bar.reused else ""
        err.print(f"{len(table)} runs{reused}, {failed} failed; wrote {out / TABLE}",
                  markup=False)
        for error in table.loc[table["status"] != "ok", "error"].unique() if failed else ():
            err.print(f"failed: {error}", markup=False)
    return failed


class _Bar:
    """Tasks finished, failures and the time left, on stderr (rich)."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.reused: int | None = None
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> _Bar:
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("sweep"), BarColumn(bar_width=30), MofNCompleteColumn(),
                TextColumn("runs, {task.fields[failed]} failed, eta"), TimeRemainingColumn(),
                console=stderr_console(), transient=True)
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, done: int, failed: int, total: int) -> None:
        if self.reused is None:
            self.reused = done  # the first call counts the tasks an earlier run finished
        if self._progress is None:
            return
        if self._task is None:
            # tasks finished by an earlier run start the bar; only new ones set the pace
            self._task = self._progress.add_task("sweep", total=total, completed=done,
                                                 failed=failed)
        self._progress.update(self._task, completed=done, failed=failed)
