"""What the BB84 benchmarks share: the link's command-line flags and the result tables.

Standard library only (rich for the tables when it is installed), so that the peer
script imports it in its own environment as well as qinet's scripts do.
"""

from __future__ import annotations

import argparse

LINK_FLAGS: tuple[tuple[str, float], ...] = (
    ("distance_km", 50.0),
    ("attenuation_db_km", 0.2),
    ("frequency", 8e7),
    ("mu", 0.5),
    ("detector_efficiency", 0.9),
    ("dark_count", 10.0),
    ("misalignment", 0.01),
)
"""``(attribute, default)`` of the link both simulators run: 50 km of 0.2 dB/km fibre,
weak coherent pulses of mean 0.5 at 80 MHz (SeQUeNCe's reference light source), two
detectors of efficiency 0.9 with 10 Hz dark counts, misalignment 1 %."""


def _flag(attribute: str) -> str:
    return "--" + attribute.replace("_", "-")


def add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """``--distance-km``, ``--attenuation-db-km``, ... with the defaults of :data:`LINK_FLAGS`."""
    for attribute, default in LINK_FLAGS:
        parser.add_argument(_flag(attribute), type=float, default=default)


def link_arguments(args: argparse.Namespace) -> list[str]:
    """The link's flags with the values ``args`` holds, for another script's command line."""
    return [part for attribute, _ in LINK_FLAGS
            for part in (_flag(attribute), str(getattr(args, attribute)))]


def print_table(title: str, header: list[str], rows: list[list[str]], *, width: int) -> None:
    """``rows`` under ``header``: a rich table when rich is installed, else ``|``-separated."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(" | ".join(header))
        for row in rows:
            print(" | ".join(row))
        return
    table = Table(title=title)
    for name in header:
        table.add_column(name)
    for row in rows:
        table.add_row(*row)
    Console(width=width).print(table)
