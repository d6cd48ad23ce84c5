"""The control plane run in real time: ETSI GS QKD 014 key delivery over mutual TLS, and
entanglement as a service (:mod:`qinet.service.eaas`).

See docs/kms.md and docs/eaas.md. The public names: :func:`init_pki` (development PKI),
:class:`KeyStore` (durable SQLite pools and keys), :class:`KeyService` (one HTTPS server
per KME), :class:`RealtimeDriver` (simulated key into the pools as wall time runs),
:class:`ScenarioServices` (what a scenario serves: KMEs, the entanglement service or
both, in one event loop) and :func:`serve_scenario` (``qinet serve``).
"""

from qinet.service.certs import PkiLayout, client_ssl_context, init_pki, server_ssl_context
from qinet.service.driver import RealtimeDriver
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.models import KmsLimits
from qinet.service.kms.server import KeyService, KmeEndpoint
from qinet.service.kms.store import Key, KeyStore, PoolLevel
from qinet.service.runner import (
    EaasOptions,
    ScenarioServices,
    run_key_service,
    serve_scenario,
    services_needed,
)

__all__ = [
    "EaasOptions",
    "Key",
    "KeyService",
    "KeyStore",
    "KmeDirectory",
    "KmeEndpoint",
    "KmsLimits",
    "PkiLayout",
    "PoolLevel",
    "RealtimeDriver",
    "ScenarioServices",
    "client_ssl_context",
    "init_pki",
    "run_key_service",
    "serve_scenario",
    "server_ssl_context",
    "services_needed",
]
