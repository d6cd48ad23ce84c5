"""Helpers shared by the commands: where a scenario comes from, and the consoles."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console

from qinet.errors import ConfigError
from qinet.scenario.loader import LoadedScenario, read_scenario
from qinet.scenario.presets import DEFAULT_PRESET, preset_names, preset_path


def scenario_source(name: str | None) -> Path:
    """The file behind a SCENARIO argument: a YAML path, a preset name, or the default.

    An existing file wins over a preset of the same name; anything that looks like a
    path (``.yaml`` / ``.yml`` or a folder separator) is taken as a path, so a typo in
    a file name is reported as a missing file rather than as an unknown preset.

    Raises:
        ConfigError: neither a file nor a preset.

    Examples:
        >>> scenario_source(None).name
        'metro-link.yaml'
        >>> scenario_source("my-net.yaml")
        PosixPath('my-net.yaml')
    """
    if name is None:
        return preset_path(DEFAULT_PRESET)
    path = Path(name)
    if path.is_file() or name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name:
        return path
    if name in preset_names():
        return preset_path(name)
    raise ConfigError("", f"{name!r} is neither a scenario file nor a preset; "
                          f"presets are {', '.join(preset_names())}")


def load(name: str | None, **overrides: Any) -> LoadedScenario:
    """The scenario behind a SCENARIO argument, with the notes on what was chosen for it:
    schemes implied for links, decoy intensities chosen for QKD links.

    Raises:
        ConfigError: see :func:`scenario_source` and :func:`qinet.scenario.load_scenario`.
    """
    from qinet.scenario.qkd_protocols import decoy_notes

    loaded = read_scenario(scenario_source(name), **overrides)
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
