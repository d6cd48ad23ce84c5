"""``qinet validate``: check a scenario file without running it."""

from __future__ import annotations

from qinet.cli._common import scenario_source
from qinet.scenario import Simulation, load_scenario


def validate(file: str) -> str:
    """Load ``file`` and build its simulation (links compiled, nothing run).

    Building catches what the schema alone cannot: link physics that does not work
    out, or nodes with fewer memories than their links ask for.

    Returns:
        The line printed, e.g. ``ok: metro-link (2 nodes, 1 link, 1 demand)``.

    Raises:
        ConfigError: the first problem, naming its field.
    """
    scenario = load_scenario(scenario_source(file))
    Simulation(scenario)
    line = (f"ok: {scenario.name} ({_count(len(scenario.nodes), 'node')}, "
            f"{_count(len(scenario.links), 'link')}, "
            f"{_count(len(scenario.demands), 'demand')})")
    print(line)
    return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
