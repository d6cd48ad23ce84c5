"""L4: end-to-end entanglement over many links: routing, swapping, purification, cutoffs."""

from qinet.network.demand import DemandLog
from qinet.network.manager import DemandRoute, EntanglementNetwork
from qinet.network.policy import NetworkPolicy, NodeOperations
from qinet.network.topology import LinkInfo, build_graph

__all__ = [
    "DemandLog",
    "DemandRoute",
    "EntanglementNetwork",
    "LinkInfo",
    "NetworkPolicy",
    "NodeOperations",
    "build_graph",
]
