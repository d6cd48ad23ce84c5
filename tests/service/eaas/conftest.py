"""A live entanglement service on loopback over a small chain, with two tenants."""

from __future__ import annotations

import httpx
import pytest

from qinet.scenario import load_scenario
from qinet.service.eaas import EaasServer, LiveNetwork
from qinet.service.eaas.auth import TenantTokens
from tests.network.conftest import chain_scenario

ALICE = "alice-token-0123456789"
BOB = "bob-token-0123456789ab"


def small_network() -> dict:
    """n0 - n1 - n2, 1 km double-click links of two memory pairs, T2 = 10 s, heralded
    fidelity 0.95 (raw), 2 % gate noise at the repeater."""
    return chain_scenario(2, length_km=1.0, efficiency=0.8, attempt_period=None, memories=2,
                          t2="10 s", raw_fidelity=0.95, demands=[],
                          node_ops={"gate_error": 0.02})


@pytest.fixture(scope="module")
def eaas_server():
    """The service over :func:`small_network`, one per test module, for alice and bob."""
    network = LiveNetwork(load_scenario(small_network()), tick_s=0.02)
    server = EaasServer(network, TenantTokens({ALICE: "alice", BOB: "bob"}), port=0)
    server.start_in_thread()
    yield server
    server.stop_thread()


@pytest.fixture(scope="module")
def eaas(eaas_server):
    """The service's URL and live network."""
    return eaas_server.url, eaas_server.network


def client(url: str, token: str | None) -> httpx.Client:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=url, headers=headers, timeout=10.0)


@pytest.fixture
def alice(eaas):
    with client(eaas[0], ALICE) as c:
        yield c


@pytest.fixture
def bob(eaas):
    with client(eaas[0], BOB) as c:
        yield c
