"""Mutual TLS: real certificates from the development PKI, a real server on loopback;
the client certificate's common name (or the mapping file's entry for it) is the
tenant."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import httpx
import pytest

from qinet.errors import ConfigError
from qinet.scenario import load_scenario
from qinet.service.certs import PkiLayout, client_ssl_context, init_pki
from qinet.service.eaas import EaasServer, LiveNetwork
from qinet.service.eaas.auth import CertificateTenants, TenantTokens
from qinet.service.eaas.server import eaas_tls_context
from tests.service.conftest import launch

from .conftest import ALICE, small_network


@dataclass(frozen=True)
class _Server:  # what init_pki needs to know: the server's name and its clients' names
    name: str
    saes: tuple[str, ...]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    root = tmp_path_factory.mktemp("pki")
    layout = init_pki(root / "ours", [_Server("eaas", ("alice", "bob", "alice-laptop"))])
    stranger = init_pki(root / "theirs", [_Server("other", ("alice",))])
    return layout, stranger


def _served(layout: PkiLayout, certificates: CertificateTenants,
            tokens: TenantTokens | None = None) -> EaasServer:
    network = LiveNetwork(load_scenario(small_network()), tick_s=0.02)
    tls = eaas_tls_context(layout.kme_cert("eaas"), layout.kme_key("eaas"),
                           client_ca=layout.ca_cert)
    server = EaasServer(network, tokens, port=0, tls=tls, certificates=certificates)
    server.start_in_thread()
    return server


def _client(server: EaasServer, layout: PkiLayout, who: str | None,
            token: str | None = None) -> httpx.Client:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return httpx.Client(base_url=server.url, verify=client_ssl_context(layout, who),
                        headers=headers, timeout=10.0)


ASK = {"between": ["n0", "n2"], "min_fidelity": 0.5, "rate_hz": 10.0}


def test_the_certificate_names_the_tenant_and_others_get_404(pki):
    layout, stranger = pki
    server = _served(layout, CertificateTenants(), TenantTokens({ALICE: "alice"}))
    try:
        with _client(server, layout, "alice") as alice, _client(server, layout, "bob") as bob:
            made = alice.post("/v1/requests", json=ASK)
            assert made.status_code == 201, made.text
            rid = made.json()["id"]
            assert alice.get(f"/v1/requests/{rid}").json()["state"] == "active"
            # bob's certificate is valid, but the request is alice's: 404, the answer an
            # unknown id gets, so a certificate learns nothing of others' requests (403
            # would confirm that the id exists)
            assert bob.get(f"/v1/requests/{rid}").status_code == 404
            assert bob.delete(f"/v1/requests/{rid}").status_code == 404
            assert rid not in [r["id"] for r in bob.get("/v1/requests").json()["requests"]]
            assert server.network.requests[rid].state == "active"
            # no bearer token is needed with a certificate; one that names another
            # tenant than the certificate is refused
            with _client(server, layout, "bob", token=ALICE) as mixed:
                answer = mixed.get(f"/v1/requests/{rid}")
                assert answer.status_code == 401
                assert "certificate's tenant" in answer.json()["message"]
            with _client(server, layout, "alice", token=ALICE) as both:
                assert both.get(f"/v1/requests/{rid}").status_code == 200
            assert alice.delete(f"/v1/requests/{rid}").json()["state"] == "cancelled"
        # without a certificate, or with one from another CA, the handshake fails
        for who, pki_of in ((None, layout), ("alice", stranger)):
            context = client_ssl_context(pki_of, who)
            context.load_verify_locations(cafile=layout.ca_cert)  # trust our server
            with httpx.Client(base_url=server.url, verify=context) as outsider, \
                    pytest.raises((httpx.ConnectError, httpx.ReadError,
                                   httpx.RemoteProtocolError)):
                outsider.get("/v1/network")
    finally:
        server.stop_thread()


def test_a_mapping_file_gives_certificates_their_tenants(pki, tmp_path):
    layout, _stranger = pki
    mapping = tmp_path / "cert-tenants"
    mapping.write_text("# COMMON_NAME TENANT\nalice alice\nalice-laptop alice\n")
    server = _served(layout, CertificateTenants.from_file(mapping))
    try:
        with _client(server, layout, "alice") as desk, \
                _client(server, layout, "alice-laptop") as laptop, \
                _client(server, layout, "bob") as bob:
            rid = desk.post("/v1/requests", json=ASK).json()["id"]
            assert laptop.get(f"/v1/requests/{rid}").status_code == 200  # same tenant
            unknown = bob.get("/v1/network")  # a valid certificate the mapping lacks
            assert unknown.status_code == 401
            assert "names no known tenant" in unknown.json()["message"]
            laptop.delete(f"/v1/requests/{rid}")
    finally:
        server.stop_thread()


def test_certificates_need_tls_that_asks_for_them(pki):
    layout, _stranger = pki
    network = LiveNetwork(load_scenario(small_network()))
    plain_tls = eaas_tls_context(layout.kme_cert("eaas"), layout.kme_key("eaas"))
    assert plain_tls.verify_mode == ssl.CERT_NONE
    for tls in (None, plain_tls):
        with pytest.raises(ConfigError, match="client_ca"):
            EaasServer(network, None, port=0, tls=tls, certificates=CertificateTenants())
    with pytest.raises(ConfigError, match="tokens"):
        EaasServer(network, None, port=0)


@pytest.mark.parametrize(("options", "field"), [
    ({}, "tokens"),
    ({"cert_tenants": "map"}, "cert_tenants"),
    ({"client_ca": "ca.pem"}, "client_ca"),
])
def test_serve_eaas_names_a_missing_piece_of_its_authentication(tmp_path, options, field):
    import yaml

    from qinet.service.eaas import serve_eaas

    scenario = tmp_path / "net.yaml"
    scenario.write_text(yaml.safe_dump(small_network()))
    with pytest.raises(ConfigError) as refused:
        serve_eaas(scenario, port=0, **options)
    assert refused.value.field == field


def test_qinet_eaas_serves_mutual_tls_from_the_command_line(pki, tmp_path):
    import json
    import signal
    import subprocess
    import sys

    import yaml

    layout, _stranger = pki
    scenario = tmp_path / "net.yaml"
    scenario.write_text(yaml.safe_dump(small_network()))
    ready = tmp_path / "ready.json"
    process = launch(
        [sys.executable, "-m", "qinet", "eaas", str(scenario), "--port", "0",
         "--certfile", str(layout.kme_cert("eaas")), "--keyfile", str(layout.kme_key("eaas")),
         "--client-ca", str(layout.ca_cert), "--ready-file", str(ready)],
        ready, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = json.loads(ready.read_text())["url"]
        assert url.startswith("https://")
        with httpx.Client(base_url=url, verify=client_ssl_context(layout, "alice")) as alice:
            made = alice.post("/v1/requests", json=ASK)
            assert made.status_code == 201, made.text
        with httpx.Client(base_url=url, verify=client_ssl_context(layout, "bob")) as bob:
            assert bob.get(f"/v1/requests/{made.json()['id']}").status_code == 404
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err.decode()
