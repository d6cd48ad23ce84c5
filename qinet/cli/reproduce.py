"""``qinet reproduce``: published figures next to qinet's, as a table or JSON."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from qinet.analysis.reproductions import Outcome, reproductions, run, select
from qinet.cli._common import json_document, stdout_console


def reproduce(*, names: tuple[str, ...], as_json: bool, quick: bool, list_only: bool) -> int:
    """Print the selected reproductions; the exit status is 0 when all are within
    tolerance, 1 otherwise (an unknown name raises ConfigError, exit status 2)."""
    if list_only:
        console = stdout_console()
        for name, r in reproductions().items():
            console.print(f"{name}  {r.quantity} [{r.unit}]", markup=False, soft_wrap=True)
        return 0
    outcomes = run(select(names), quick=quick)
    if as_json:
        print(json_document({"rows": [o.to_dict() for o in outcomes],
                             "all_within_tolerance": all(o.within for o in outcomes)}))
    else:
        console = stdout_console()
        console.print(reproduce_table(outcomes))
        print_sources(console, outcomes)
    return 0 if all(o.within for o in outcomes) else 1


def reproduce_table(outcomes: list[Outcome]) -> Table:
    """One row per figure: both values and their unit, the ratio, the tolerance, the verdict.

    The papers and the reasons for the tolerances are long; :func:`print_sources` prints
    them under the table, so the table fits 80 columns.
    """
    table = Table(title="published figures recomputed with qinet", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("published", justify="right", no_wrap=True)
    table.add_column("qinet", justify="right", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("±", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for o in outcomes:
        r = o.reproduction
        published = f"{r.published:g}" + (
            "" if r.published_uncertainty is None else f"±{r.published_uncertainty:g}")
        table.add_row(r.name, published, f"{o.qinet:.4g}", r.unit,
                      f"{o.ratio:.3f}", f"{r.tolerance:g}",
                      "[green]✓[/]" if o.within else "[red]✗[/]")
    return table


def print_sources(console: Console, outcomes: list[Outcome]) -> None:
    """Per figure: what it is, the paper, and why the tolerance is what it is."""
    for o in outcomes:
        r = o.reproduction
        console.print(f"{r.name}: {r.quantity}\n  {r.paper.cite()}\n"
                      f"  tolerance: {r.why}", markup=False)
