"""qinet: a quantum internet in software.

Simulate, plan and operate entanglement and QKD networks: load a scenario, run it, read
rates, fidelities and latencies next to the bounds physics sets.

Examples:
    >>> import qinet
    >>> result = qinet.simulate("metro-link", duration="100 ms")
    >>> result.demands[0].pairs > 0
    True
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# The public names are imported on first use, so that `qinet --help` starts without
# loading the simulator (numpy, scipy, pydantic).
_EXPORTS = {
    "ConfigError": "qinet.errors",
    "QinetError": "qinet.errors",
    "RunResult": "qinet.analysis.metrics",
    "Scenario": "qinet.scenario.schema",
    "load_scenario": "qinet.scenario.loader",
    "preset_names": "qinet.scenario.presets",
    "preset_path": "qinet.scenario.presets",
    "simulate": "qinet.api",
    "optimize": "qinet.api",
    "run_sweep": "qinet.api",
    "plot_sweep": "qinet.api",
}

__all__ = [
    "ConfigError",
    "QinetError",
    "RunResult",
    "Scenario",
    "__version__",
    "load_scenario",
    "optimize",
    "plot_sweep",
    "preset_names",
    "preset_path",
    "run_sweep",
    "simulate",
]

if TYPE_CHECKING:
    from qinet.analysis.metrics import RunResult
    from qinet.api import optimize, plot_sweep, run_sweep, simulate
    from qinet.errors import ConfigError, QinetError
    from qinet.scenario.loader import load_scenario
    from qinet.scenario.presets import preset_names, preset_path
    from qinet.scenario.schema import Scenario


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qinet' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
