"""``qinet validate``: check a scenario file without running it."""

from __future__ import annotations

from qinet.cli._common import load
from qinet.scenario import Simulation


def validate(file: str) -> str:
    """Load ``file`` and build its simulation as ``qinet run`` does, running nothing.

    Building catches what the schema alone cannot: link physics that does not work
    out, nodes with fewer memories than their links ask for, and QKD parameters that a
    protocol refuses (decoy intensities out of order); every error is the one
    ``qinet run`` would give, with the same field.

    Returns:
        The line printed, e.g. ``ok: metro-link (2 nodes, 1 link, 1 demand)``; the notes
        on what was chosen for fields left out, and on what will keep the run from
        delivering, follow it, one ``note:`` line each.

    Raises:
        ConfigError: the first problem, naming its field.
    """
    loaded = load(file)
    scenario = loaded.scenario
    simulation = Simulation(scenario)
    line = (f"ok: {scenario.name} ({_count(len(scenario.nodes), 'node')}, "
            f"{_count(len(scenario.links), 'link')}, "
            f"{_count(len(scenario.demands), 'demand')})")
    print(line)
    for note in (*loaded.notes, *simulation.notes):
        print(f"note: {note}")
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n:,} {noun}s"
