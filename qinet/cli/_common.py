"""Helpers shared by the commands: where a scenario comes from, and the consoles."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from rich.console import Console

from qinet.scenario.loader import LoadedScenario, read_scenario
from qinet.scenario.presets import scenario_path


def load(name: str | None, **overrides: Any) -> LoadedScenario:
    """The scenario behind a SCENARIO argument, with the notes on what was chosen for it:
    schemes implied for links, decoy intensities chosen for QKD links.

    Raises:
        ConfigError: see :func:`qinet.scenario.presets.scenario_path` and
            :func:`qinet.scenario.load_scenario`.
    """
    from qinet.scenario.qkd_protocols import decoy_notes

    loaded = read_scenario(scenario_path(name), **overrides)
    return LoadedScenario(loaded.scenario, (*loaded.notes, *decoy_notes(loaded.scenario)))


def stdout_console() -> Console:
    """The console for results (made per call, so a redirected ``sys.stdout`` is used)."""
    return Console(highlight=False)


def stderr_console() -> Console:
    """The console for progress bars and notes."""
    return Console(stderr=True, highlight=False)


def json_document(data: Any) -> str:
    """``data`` as strict JSON (RFC 8259), indented: NaN and infinities become ``null``.

    Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no strict parser
    reads; every ``--json`` output goes through here instead. numpy scalars and arrays
    are written as numbers and lists.

    Examples:
        >>> print(json_document({"plob_bps": float("inf"), "qber": [0.01, float("nan")]}))
        {
          "plob_bps": null,
          "qber": [
            0.01,
            null
          ]
        }
    """
    return json.dumps(_finite(data), indent=2, allow_nan=False)


def _finite(value: Any) -> Any:
    if hasattr(value, "tolist") and not isinstance(value, str):
        value = value.tolist()  # a numpy array or scalar, without importing numpy here
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
