"""The one-call Python API: a scenario in, a :class:`RunResult` out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from qinet.analysis.metrics import RunResult, summarize
from qinet.scenario import Scenario, Simulation, load_scenario


def simulate(
    scenario: Scenario | str | Path | Mapping[str, Any],
    *,
    progress: Callable[[float, float], Any] | None = None,
    **overrides: Any,
) -> RunResult:
    """Run a scenario and summarise it.

    Args:
        scenario: a :class:`Scenario`, a YAML path or text, or a dict.
        progress: called with ``(done_s, total_s)`` of simulated time while running.
        **overrides: top-level fields to replace, e.g. ``seed=3``, ``duration="10 s"``,
            ``mode="detailed"``.

    Returns:
        The run's metrics; ``result.to_dict()`` is the stable JSON document.

    Raises:
        ConfigError: the scenario or an override is invalid.
    """
    if isinstance(scenario, Scenario):
        scenario = load_scenario(scenario.model_dump(), **overrides) if overrides else scenario
    else:
        scenario = load_scenario(scenario, **overrides)
    return summarize(Simulation(scenario).run(progress=progress))
