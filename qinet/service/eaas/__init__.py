"""Entanglement as a service: a control-plane HTTP API over a simulated network that runs
with the wall clock, admitting requests against the network layer's estimates."""

from qinet.service.eaas.live import LiveNetwork, Rejected, RequestSpec
from qinet.service.eaas.server import EaasServer, serve_eaas

__all__ = ["EaasServer", "LiveNetwork", "Rejected", "RequestSpec", "serve_eaas"]
