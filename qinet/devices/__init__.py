"""L2: simulated hardware on the timeline, composed of physical models."""

from qinet.devices.memory_bank import MemoryBank
from qinet.devices.node import QuantumNode
from qinet.devices.station import BeamSplitterStation, DetectionRound, HeraldedStorage

__all__ = [
    "BeamSplitterStation",
    "DetectionRound",
    "HeraldedStorage",
    "MemoryBank",
    "QuantumNode",
]
