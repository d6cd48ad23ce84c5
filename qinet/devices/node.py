"""Nodes: a name, a memory bank and the links that end there."""

from __future__ import annotations

from dataclasses import dataclass, field

from qinet.devices.memory_bank import MemoryBank


@dataclass(slots=True)
class QuantumNode:
    """A network node that holds qubits.

    Attributes:
        name: unique name in the network.
        memories: the node's memory bank.
        links: names of the links that end at this node.
    """

    name: str
    memories: MemoryBank
    links: list[str] = field(default_factory=list)
