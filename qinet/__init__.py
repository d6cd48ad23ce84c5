"""qinet: a quantum internet in software.

Simulate, plan and operate entanglement and QKD networks: load a scenario, run it, read
rates, fidelities and latencies next to the bounds physics sets.

Examples:
    >>> import qinet
    >>> result = qinet.simulate(qinet.preset_path("metro-link"), duration="100 ms")
    >>> result.demands[0].pairs > 0
    True
"""

__version__ = "0.1.0"

from qinet.analysis.api import simulate
from qinet.errors import ConfigError, QinetError
from qinet.scenario import Scenario, load_scenario, preset_names, preset_path

__all__ = [
    "ConfigError",
    "QinetError",
    "Scenario",
    "__version__",
    "load_scenario",
    "preset_names",
    "preset_path",
    "simulate",
]
