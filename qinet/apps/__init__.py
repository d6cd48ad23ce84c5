"""Quantum applications on the simulated network (layer L5).

Node programs written in Python run on the kernel's timeline: they ask the
network for entangled pairs, apply local gates, measure, and exchange
classical messages with the fibre's latency.  The SDK (``qinet.apps.sdk``)
runs them; ready applications (teleportation, non-local gates, and others)
are built on it.  This layer may import the kernel, physical, quantum,
devices, link and network layers, never qkd, scenario or analysis.
"""

from qinet.apps.dqc import TwoModuleResult, run_two_module
from qinet.apps.durations import OperationTimes
from qinet.apps.nonlocal_gates import NonlocalGateResult, run_nonlocal_gate
from qinet.apps.register import QubitRegister
from qinet.apps.sdk import (
    AppRunResult,
    AppRuntime,
    EprSocket,
    Event,
    NodeContext,
    ProgramResult,
    Qubit,
    SocketRecord,
)
from qinet.apps.teleport import TeleportResult, run_teleportation

__all__ = [
    "AppRunResult",
    "AppRuntime",
    "EprSocket",
    "Event",
    "NodeContext",
    "NonlocalGateResult",
    "OperationTimes",
    "ProgramResult",
    "Qubit",
    "QubitRegister",
    "SocketRecord",
    "TeleportResult",
    "TwoModuleResult",
    "run_nonlocal_gate",
    "run_teleportation",
    "run_two_module",
]
