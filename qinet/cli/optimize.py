"""``qinet optimize``: the cheapest design of a scenario that meets its goals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from qinet.cli._common import json_document, stderr_console, stdout_console
from qinet.errors import ConfigError


def optimize(*, scenario: str | None, goals: list[str], vary: list[str], cost: str,
             trials: int, seed: int, out: Path, duration: str | None, as_json: bool,
             quiet: bool, workers: int | None = None, dask: str | None = None) -> Any:
    """Search the way ``qinet optimize`` does, print the answer, and return it.

    Raises:
        ConfigError: a bad goal, range or option.
        QinetError: optuna is missing, or a record could not be written.
    """
    from qinet.sweep.optimize import TABLE
    from qinet.sweep.optimize import optimize as search

    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{str(out)!r} is a file; give a folder")
    err = stderr_console()
    show = not (as_json or quiet) and err.is_terminal  # a counter only on a terminal

    def progress(done: int, total: int) -> None:
        if show:
            err.print(f"\rtrial {done}/{total}", end="", markup=False)

    result = search(scenario, goals, vary, cost=cost, trials=trials, seed=seed, out=out,
                    duration=duration, workers=workers, dask=dask, progress=progress)
    if show:
        err.print("\r", end="")
    if as_json:
        print(json_document(result.to_dict()))
    elif not quiet:
        console = stdout_console()
        console.print(explain(result))
        # the sampler may ask for a design again (this search's or an earlier one's):
        # its record is read back, not run again
        err.print(f"{len(result.trials)} trials ({result.reused} of a design already run, "
                  f"read from the task store); wrote {out / TABLE}", markup=False)
    return result


def explain(result: Any) -> Group:
    """The answer: the best design's values and capital cost, each goal's value against
    its threshold with its slack, and the constraint that binds; without a best design,
    the closest one tried and how far it missed."""
    lines: list[Any] = [Text(f"cheapest design ({result.objective} cost, seed "
                             f"{result.seed}, {len(result.trials)} trials)", style="bold")]
    if result.best is None:
        lines.append(Text("no design tried met every goal", style="red"))
        lines += [Text(note, style="dim") for note in result.notes]
        if result.closest is not None:
            lines.append(Text("closest design tried:", style="bold"))
            lines += _design(result.closest, result.currency)
        return Group(*lines)
    lines += _design(result.best, result.currency)
    if result.binding == "cost":
        lines.append(Text("binds: cost (no goal binds: the cheapest design tried meets "
                          "every goal)"))
    else:
        lines.append(Text(f"binds: {result.binding} (the cheaper designs tried miss it)"))
    return Group(*lines)


def _design(trial: Any, currency: str) -> list[Any]:
    """A trial's values, capital cost and goals table."""
    lines: list[Any] = [Text.assemble("  ", (path, "cyan"), f" = {value}")
                        for path, value in trial.params.items()]
    lines.append(Text.assemble("  ", ("capital cost", "cyan"),
                               f" = {trial.cost_eur:,.0f} {currency}"))
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("goal", style="cyan", no_wrap=True)
    table.add_column("metric", overflow="fold")
    for column in ("value", "threshold", "slack"):
        table.add_column(column, justify="right", no_wrap=True)
    for check in trial.goals:
        table.add_row(check.goal, check.metric,
                      "–" if check.value is None else f"{check.value:.6g}",
                      f"{check.threshold:g}",
                      "–" if check.slack is None else f"{100 * check.slack:+.3g} %",
                      style=None if check.met else "red")
    lines.append(table)
    return lines
