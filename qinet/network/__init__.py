"""L4: end-to-end entanglement over many links (routing, swapping, purification, cutoffs)
and trusted-node relay of keys over QKD links."""

from qinet.network.demand import DemandLog
from qinet.network.key_relay import KeyPool, KeyRelay, RelayOutcome
from qinet.network.manager import DemandRoute, EntanglementNetwork
from qinet.network.policy import NetworkPolicy, NodeOperations
from qinet.network.topology import LinkInfo, build_graph

__all__ = [
    "DemandLog",
    "DemandRoute",
    "EntanglementNetwork",
    "KeyPool",
    "KeyRelay",
    "LinkInfo",
    "NetworkPolicy",
    "NodeOperations",
    "RelayOutcome",
    "build_graph",
]
