"""``qinet serve`` starts what a scenario needs, on real servers on loopback.

* KMEs and a heralded link: both services in one process. The KMEs serve ETSI GS QKD
  014 keys (master and slave get the same bytes), the entanglement service admits a
  request and delivers pairs, mutual TLS from the one PKI of ``qinet certs init``, and
  the entanglement service's network state shows the key pools with the numbers each
  KME's ``/status`` shows (read while no deposit or issue commits in between);
* KMEs only: the key service alone, its ready file as before;
* a heralded link only: the entanglement service alone, with bearer tokens;
* neither: one error naming both; KMEs without ``--data``, or an entanglement service
  with no way to tell tenants apart: an error naming the option.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from qinet.cli.main import main
from qinet.errors import ConfigError
from qinet.scenario import load_scenario
from qinet.scenario.key_service import kme_specs
from qinet.service.certs import EAAS_SERVER_NAME, PkiLayout, client_ssl_context, init_pki
from qinet.service.runner import EaasOptions, ScenarioServices, services_needed
from tests.service.conftest import KEYS_AND_PAIRS, launch

BOTH = KEYS_AND_PAIRS
QKD = KEYS_AND_PAIRS["demands"][0]
KEYS_ONLY = {**BOTH, "name": "keys-only", "links": BOTH["links"][:2]}
PAIRS_ONLY = {"name": "pairs-only", "seed": 3,
              "nodes": [{"name": "alice", "memories": 4}, {"name": "bob", "memories": 4}],
              "links": [BOTH["links"][2]], "demands": []}
NOTHING = {"name": "nothing", "seed": 3, "nodes": [{"name": "alice"}, {"name": "bob"}],
           "links": [BOTH["links"][0] | {"between": ["alice", "bob"]}],
           "demands": [{**QKD, "between": ["alice", "bob"]}]}
TOKEN = "lab-token-0123456789"
ASK = {"between": ["alice", "bob"], "min_fidelity": 0.5, "rate_hz": 20.0}
POOL_FIELDS = ("stored_bytes", "deposited_bytes", "discarded_bytes", "keys_issued",
               "keys_delivered")


def wait_for(check, *, within_s: float = 60.0, what: str):
    """``check()``'s first true value, polled every 50 ms."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} within {within_s} s")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """Both services from one scenario, in one process (a background thread)."""
    root = tmp_path_factory.mktemp("both")
    scenario = load_scenario(BOTH)
    pki = init_pki(root / "pki", kme_specs(scenario), eaas=True, tenants=["lab"])
    services = ScenarioServices.from_scenario(scenario, certs=pki.root, data=root / "data",
                                              port=0)
    endpoints = services.start_in_thread()
    yield services, endpoints, pki
    services.stop_thread()


def kme_client(endpoints, pki: PkiLayout, kme: str, sae: str) -> httpx.Client:
    urls = {e.kme: e.url for e in endpoints.kmes}
    return httpx.Client(base_url=urls[kme], verify=client_ssl_context(pki, sae), timeout=10)


def pools_of(state: dict) -> dict[tuple[str, ...], dict]:
    return {tuple(p["kmes"]): {f: p[f] for f in POOL_FIELDS} for p in state["key_pools"]}


def test_both_services_serve_keys_and_pairs_from_one_process(both):
    services, endpoints, pki = both
    assert services.kms is not None
    assert services.eaas is not None
    assert sorted(e.kme for e in endpoints.kmes) == ["alice", "bob"]
    assert endpoints.eaas_url.startswith("https://")
    # ETSI GS QKD 014 on the KME ports: the master's keys reach the slave, same bytes
    with kme_client(endpoints, pki, "alice", "alice-app") as master, \
            kme_client(endpoints, pki, "bob", "bob-app") as slave:
        def keys():
            answer = master.get("/api/v1/keys/bob-app/enc_keys", params={"number": 2})
            return answer.json()["keys"] if answer.status_code == 200 else None

        issued = wait_for(keys, what="no key in the alice-bob pool")
        answer = slave.post("/api/v1/keys/alice-app/dec_keys",
                            json={"key_IDs": [{"key_ID": k["key_ID"]} for k in issued]})
        assert answer.status_code == 200, answer.text
        assert [k["key"] for k in answer.json()["keys"]] == [k["key"] for k in issued]
        assert all(len(base64.b64decode(k["key"])) == 32 for k in issued)  # 256 bits
    # the entanglement service on its own port: a tenant's certificate of the same PKI
    with httpx.Client(base_url=endpoints.eaas_url, verify=client_ssl_context(pki, "lab"),
                      timeout=10) as lab:
        made = lab.post("/v1/requests", json=ASK)
        assert made.status_code == 201, made.text
        rid = made.json()["id"]
        wait_for(lambda: lab.get(f"/v1/requests/{rid}").json()["pairs_delivered"] > 0,
                 what="no pair delivered")
        assert lab.delete(f"/v1/requests/{rid}").json()["state"] == "cancelled"
    # a certificate of another CA is refused at the handshake
    stranger = init_pki(Path(pki.root).parent / "stranger", [], tenants=["lab"])
    context = client_ssl_context(stranger, "lab")
    context.load_verify_locations(cafile=pki.ca_cert)
    with httpx.Client(base_url=endpoints.eaas_url, verify=context) as outsider, \
            pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
        outsider.get("/v1/network")


def test_the_network_state_shows_the_pools_the_kmes_report(both):
    _services, endpoints, pki = both
    with httpx.Client(base_url=endpoints.eaas_url, verify=client_ssl_context(pki, "lab"),
                      timeout=10) as lab, \
            kme_client(endpoints, pki, "alice", "alice-app") as alice:
        wait_for(lambda: lab.get("/v1/network").json()["key_pools"],
                 what="no pool in the network state")
        for _attempt in range(50):
            before = pools_of(lab.get("/v1/network").json())
            status = alice.get("/status").json()
            after = pools_of(lab.get("/v1/network").json())
            # deposited and issued only grow: equal before and after, nothing committed
            # in between, so the KME's page read the same snapshot of the store
            if before == after:
                break
        else:
            pytest.fail("the pools changed during every one of 50 readings")
        kme_pools = {tuple(p["kmes"]): {f: p[f] for f in POOL_FIELDS}
                     for p in status["pools"]}
        assert set(before) == {("alice", "bob")}
        assert before == kme_pools
        assert before[("alice", "bob")]["stored_bytes"] > 0
        state = lab.get("/v1/network").json()
        # the topology lists the key network's links too, though this service runs none
        assert [(k["name"], k["scheme"], k["length_km"]) for k in state["key_links"]] == [
            ("alice-relay", "qkd", 5.0), ("relay-bob", "qkd", 5.0)]
        assert [link["name"] for link in state["links"]] == ["alice-bob"]
        assert lab.get("/v1/layout").json()["key_links"] == state["key_links"]
        assert state["key_supply"]["simulated_s"] > 0
        assert state["key_supply"]["pool_capacity_bytes"] > 0
        # the stream's network snapshot carries them too
        with lab.stream("GET", "/v1/events") as stream:
            lines = []
            for line in stream.iter_lines():
                if line == "" and lines:
                    break
                lines.append(line)
        assert lines[0] == "event: network"
        snapshot = json.loads(lines[1].removeprefix("data: "))
        assert set(pools_of(snapshot)) == {("alice", "bob")}


def test_kmes_only_serve_only_the_key_service(tmp_path):
    scenario = load_scenario(KEYS_ONLY)
    assert services_needed(scenario).entanglement_links == ()
    pki = init_pki(tmp_path / "pki", kme_specs(scenario))
    services = ScenarioServices.from_scenario(scenario, certs=pki.root,
                                              data=tmp_path / "data", port=0,
                                              eaas=EaasOptions(tokens=tmp_path / "absent"))
    try:
        assert services.eaas is None  # the tokens file is never read
        endpoints = services.start_in_thread()
        assert endpoints.eaas_url is None
        assert endpoints.ready_document() == {e.kme: e.url for e in endpoints.kmes}
        with kme_client(endpoints, pki, "bob", "bob-app") as bob:
            assert bob.get("/status").json()["kme"] == "bob"
    finally:
        services.stop_thread()


def test_a_heralded_link_only_serves_only_the_entanglement_service(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"lab {TOKEN}\n")
    scenario = load_scenario(PAIRS_ONLY)
    assert services_needed(scenario).kmes == ()
    # no --certs or --data needed; plain HTTP with bearer tokens, as `qinet eaas`
    services = ScenarioServices.from_scenario(scenario, port=0,
                                              eaas=EaasOptions(tokens=tokens, port=0))
    try:
        assert services.kms is None
        endpoints = services.start_in_thread()
        assert endpoints.kmes == ()
        assert endpoints.ready_document() == {"url": endpoints.eaas_url}
        with httpx.Client(base_url=endpoints.eaas_url, timeout=10,
                          headers={"Authorization": f"Bearer {TOKEN}"}) as lab:
            assert lab.post("/v1/requests", json=ASK).status_code == 201
            state = lab.get("/v1/network").json()
            assert "key_pools" not in state
            assert state["key_links"] == []
    finally:
        services.stop_thread()


def test_a_scenario_with_nothing_to_serve_is_refused_naming_both(tmp_path, capsys):
    with pytest.raises(ConfigError) as refused:
        services_needed(load_scenario(NOTHING))
    assert refused.value.field == "scenario"
    assert "`saes`" in refused.value.reason
    assert "heralded entanglement link" in refused.value.reason
    path = tmp_path / "nothing.yaml"
    path.write_text(yaml.safe_dump(NOTHING))
    for command in (["serve", str(path), "--port", "0"],
                    ["certs", "init", str(tmp_path / "pki"), str(path)]):
        assert main(command) == 2
        assert "nothing to serve" in capsys.readouterr().err


@pytest.mark.parametrize(("scenario", "options", "field"), [
    (KEYS_ONLY, {"certs": "pki"}, "data"),
    (KEYS_ONLY, {"data": "data"}, "certs"),
    (PAIRS_ONLY, {}, "tokens"),
    (PAIRS_ONLY, {"certs": "pki"}, "certs"),  # a PKI without the service's certificate
])
def test_a_missing_option_is_named(tmp_path, scenario, options, field):
    init_pki(tmp_path / "pki", [])
    paths = {key: tmp_path / value for key, value in options.items()}
    with pytest.raises(ConfigError) as refused:
        ScenarioServices.from_scenario(load_scenario(scenario), port=0, **paths)
    assert refused.value.field == field


def test_certs_init_adds_the_entanglement_service_and_tenants(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(BOTH))
    assert main(["certs", "init", str(tmp_path / "pki"), str(path), "--tenant", "lab"]) == 0
    layout = PkiLayout(tmp_path / "pki")
    server = x509.load_pem_x509_certificate(layout.eaas_cert.read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(names.get_values_for_type(x509.DNSName)) == {"localhost", EAAS_SERVER_NAME}
    for client in ("alice-app", "bob-app", "lab"):
        cert = x509.load_pem_x509_certificate(layout.sae_cert(client).read_bytes())
        assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)] \
            == [client]
    assert layout.kme_cert("alice").exists()


def test_certs_init_of_a_scenario_without_kmes_asks_for_tenants(tmp_path, capsys):
    path = tmp_path / "pairs.yaml"
    path.write_text(yaml.safe_dump(PAIRS_ONLY))
    assert main(["certs", "init", str(tmp_path / "pki"), str(path)]) == 0
    layout = PkiLayout(tmp_path / "pki")
    assert layout.eaas_cert.exists()
    assert not list((tmp_path / "pki" / "kmes").iterdir())
    assert "--tenant NAME" in capsys.readouterr().out


def test_qinet_serve_runs_both_and_stops_on_sigterm(tmp_path):
    path = tmp_path / "both.yaml"
    path.write_text(yaml.safe_dump(BOTH))
    assert main(["certs", "init", str(tmp_path / "pki"), str(path)]) == 0
    pki = PkiLayout(tmp_path / "pki")
    ready = tmp_path / "ready.json"
    process = launch([sys.executable, "-m", "qinet", "serve", str(path), "--certs",
                      str(pki.root), "--data", str(tmp_path / "data"), "--port", "0",
                      "--ready-file", str(ready)], ready,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        document = json.loads(ready.read_text())
        assert set(document) == {"kmes", "url"}
        assert set(document["kmes"]) == {"alice", "bob"}
        # an SAE's certificate names a tenant of the entanglement service too
        with httpx.Client(base_url=document["url"], timeout=10,
                          verify=client_ssl_context(pki, "alice-app")) as tenant:
            made = tenant.post("/v1/requests", json=ASK)
            assert made.status_code == 201, made.text
        with httpx.Client(base_url=document["kmes"]["alice"], timeout=10,
                          verify=client_ssl_context(pki, "alice-app")) as kme:
            page = wait_for(lambda: (lambda p: p if p["pools"] else None)(
                kme.get("/status").json()), what="no pool on alice's status page")
        assert page["driver"]["running"]
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()


def test_serve_help_says_which_options_belong_to_one_service(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["serve", "--help"]) == 0
    text = capsys.readouterr().out
    kms = text.index("Key delivery service (scenarios with nodes that list saes)")
    eaas = text.index("Entanglement service (scenarios with heralded links)")
    assert kms < eaas

    def row(option: str) -> int:  # where the option's row of the table starts
        return re.search(rf"│ {option}\b", text).start()

    # each service's own options stand in its panel, the shared ones before both
    for option in ("--data", "--key-lifetime"):
        assert kms < row(option) < eaas
    for option in ("--tokens", "--eaas-port", "--max-utilisation", "--client-ca",
                   "--cert-tenants"):
        assert row(option) > eaas
    for option in ("--certs", "--speedup", "--port", "--ready-file"):
        assert row(option) < kms
