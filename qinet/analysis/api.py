"""A loaded scenario run to its metrics.

The public entry point, which also takes preset names, files, YAML text and dicts, is
:func:`qinet.simulate` (``qinet/api.py``); this is the step below it.
"""

from __future__ import annotations

from collections.abc import Callable

from qinet.analysis.metrics import RunResult, summarize
from qinet.scenario import Scenario, Simulation


def run_scenario(
    scenario: Scenario, *, progress: Callable[[float, float], object] | None = None
) -> RunResult:
    """Run a validated scenario and summarise it.

    Args:
        scenario: the scenario, as :func:`qinet.scenario.load_scenario` returns it.
        progress: called with ``(done_s, total_s)`` of simulated time while running.

    Returns:
        The run's metrics; ``result.to_dict()`` is the stable JSON document.
    """
    return summarize(Simulation(scenario).run(progress=progress))


# the name under which `qinet run` imports it
simulate = run_scenario
