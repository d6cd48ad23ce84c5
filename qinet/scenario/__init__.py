"""The scenario: the contract users see, and the wiring of the layers below it."""

from qinet.scenario.build import (
    DemandRecord,
    LinkRecord,
    NodeRecord,
    RunRecord,
    Simulation,
    compile_link,
)
from qinet.scenario.loader import load_scenario
from qinet.scenario.presets import preset_names, preset_path, scenario_path
from qinet.scenario.schema import Scenario

__all__ = [
    "DemandRecord",
    "LinkRecord",
    "NodeRecord",
    "RunRecord",
    "Scenario",
    "Simulation",
    "compile_link",
    "load_scenario",
    "preset_names",
    "preset_path",
    "scenario_path",
]
