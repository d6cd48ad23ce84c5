"""The dashboard in a real browser: headless Chromium (Debian's ``chromium`` package, driven
by Playwright through its ``executable_path``) against a real server on loopback.

It signs in with a tenant's token, sees the topology drawn, asks for pairs through the
API and sees the request's delivered count rise with the stream, asks again through the
page's form, and saves a screenshot (its path is printed; set ``QINET_TEST_ARTIFACTS``
to a folder to keep a copy there). The token must travel only in Authorization
headers, and the page must load nothing from anywhere but the service. Served with the
key delivery service by one ``qinet serve``, the page shows the key pools as well.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from qinet.scenario import load_scenario
from qinet.scenario.key_service import kme_specs
from qinet.service.certs import PkiLayout, client_ssl_context, init_pki
from qinet.service.eaas import EaasServer, LiveNetwork
from qinet.service.eaas.auth import CertificateTenants
from qinet.service.eaas.server import eaas_tls_context
from qinet.service.runner import ScenarioServices
from tests.service.conftest import KEYS_AND_PAIRS

from .conftest import ALICE, BOB, client, small_network

CHROMIUM = os.environ.get("QINET_CHROMIUM") or shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH: the dashboard's browser test needs "
                             "Debian's chromium package (apt-get install chromium)")
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        # the system's browser: Playwright's own download is neither needed nor possible
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def delivered(page, rid: str) -> int:
    return int(page.text_content(f'tr[data-request="{rid}"] .delivered') or 0)


def test_the_dashboard_follows_a_request_live(eaas, browser, tmp_path):
    url, network = eaas
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    seen: list = []
    problems: list[str] = []
    page.on("request", lambda request: seen.append(request))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(url + "/")
    # a wrong token is refused on the sign-in form
    page.fill("#token", "not-a-token-of-anyone")
    page.click("#login-form button[type=submit]")
    page.wait_for_function("() => document.getElementById('login-error').textContent.length > 0")
    assert page.is_hidden("#board")
    problems.clear()  # the refused call's 401 is logged by the browser as an error

    page.fill("#token", ALICE)
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#board", state="visible")
    # the topology: every node and link of the network drawn, memory use filled in
    page.wait_for_selector('[data-node="n1"] circle')
    assert page.locator("#nodes [data-node]").count() == network.graph.number_of_nodes()
    assert page.locator("#links [data-link]").count() == network.graph.number_of_edges()
    page.wait_for_function(
        "() => /^[0-9]+[/][0-9]+$/.test("
        "document.querySelector('[data-node=\"n1\"] .node-memory').textContent)")
    page.wait_for_selector("#connection.live")
    assert page.is_hidden("#keys-panel")  # no key delivery service beside this one
    assert page.locator("#key-links [data-key-link]").count() == 0
    assert page.is_hidden("#legend-key")

    # a request through the API appears and its delivered count rises with the stream
    with client(url, ALICE) as alice:
        answer = alice.post("/v1/requests", json={"between": ["n0", "n2"],
                                                  "min_fidelity": 0.5, "rate_hz": 40.0})
        assert answer.status_code == 201, answer.text
        rid = answer.json()["id"]
        row = f'tr[data-request="{rid}"]'
        page.wait_for_selector(row)
        page.wait_for_function(
            f"() => Number(document.querySelector('{row} .delivered').textContent) > 0")
        first = delivered(page, rid)
        page.wait_for_function(
            f"() => Number(document.querySelector('{row} .delivered').textContent) > {first}")
        assert delivered(page, rid) > first
        assert page.text_content(f"{row} td:nth-child(3)") == "active"
        assert page.text_content(f"{row} .slo-ok") == "ok"
        # the link it uses is coloured as busy: its measured rate is shown
        page.wait_for_function(
            "() => document.querySelector('[data-link=\"n0-n1\"] line').getAttribute('stroke')"
            ".startsWith('hsl')")
        # what the page shows agrees with the polling API (read after it: never behind)
        shown = delivered(page, rid)
        assert shown <= alice.get(f"/v1/requests/{rid}").json()["pairs_delivered"]

        # the page's own form asks for pairs too
        page.select_option("#ask-a", "n0")
        page.select_option("#ask-b", "n1")
        page.fill("#ask-rate", "5")
        page.click("#ask button[type=submit]")
        page.wait_for_function(
            "() => document.getElementById('ask-result').textContent.startsWith('admitted as')")
        second = page.text_content("#ask-result").split()[2]
        page.wait_for_selector(f'tr[data-request="{second}"]')
        page.wait_for_function("() => document.querySelectorAll('#events li').length >= 3")

        shot = tmp_path / "eaas-dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"dashboard screenshot: {shot}")
        keep = os.environ.get("QINET_TEST_ARTIFACTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, Path(keep) / shot.name)
        assert shot.stat().st_size > 10_000

        # cancelling from the page ends the request
        page.click(f"{row} button")
        page.wait_for_function(
            f"() => document.querySelector('{row} td:nth-child(3)').textContent === 'cancelled'")
        assert alice.get(f"/v1/requests/{rid}").json()["state"] == "cancelled"
        alice.delete(f"/v1/requests/{second}")

    # the token went only in headers, and only to the service
    assert page.evaluate("sessionStorage.getItem('qinet-eaas-token')") == ALICE
    for request in seen:
        assert request.url.startswith(url + "/"), request.url
        assert ALICE not in request.url
    api_calls = [r for r in seen if "/v1/" in r.url]
    assert api_calls
    assert all(r.headers.get("authorization") in (f"Bearer {ALICE}",
                                                  "Bearer not-a-token-of-anyone")
               for r in api_calls)
    assert problems == []

    # signing out forgets the token
    page.click("#logout")
    page.wait_for_selector("#login", state="visible")
    assert page.evaluate("sessionStorage.getItem('qinet-eaas-token')") is None
    context.close()


def test_a_tenant_sees_only_its_own_requests_on_the_page(eaas, browser):
    url, _network = eaas
    with client(url, ALICE) as alice:
        theirs = alice.post("/v1/requests", json={"between": ["n0", "n1"],
                                                  "min_fidelity": 0.5, "rate_hz": 2.0})
        assert theirs.status_code == 201, theirs.text
        rid = theirs.json()["id"]
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url + "/")
        page.fill("#token", BOB)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#connection.live")
        page.wait_for_function(
            "() => document.getElementById('clock').textContent.includes('active')")
        assert page.locator(f'tr[data-request="{rid}"]').count() == 0
        assert page.is_visible("#no-requests")
        context.close()
        alice.delete(f"/v1/requests/{rid}")


@dataclass(frozen=True)
class _Server:  # what init_pki needs: the server's name and its clients' names
    name: str
    saes: tuple[str, ...]


def signed_in_by_certificate(browser, url: str, pki: PkiLayout, who: str):
    """A browser context presenting ``who``'s client certificate, and its page signed in
    with an empty token (the certificate names the tenant)."""
    context = browser.new_context(ignore_https_errors=True, client_certificates=[
        {"origin": url, "certPath": str(pki.sae_cert(who)), "keyPath": str(pki.sae_key(who))}])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url + "/")
    page.click("#login-form button[type=submit]")
    return context, page


def test_a_client_certificate_signs_in_without_a_token(browser, tmp_path):
    # mutual TLS, no tokens at all: the browser's certificate names the tenant, and the
    # page, left with an empty token, sends no Authorization header
    pki = init_pki(tmp_path / "pki", [_Server("eaas", ("alice",))])
    network = LiveNetwork(load_scenario(small_network()), tick_s=0.02)
    tls = eaas_tls_context(pki.kme_cert("eaas"), pki.kme_key("eaas"), client_ca=pki.ca_cert)
    server = EaasServer(network, None, port=0, tls=tls, certificates=CertificateTenants())
    url = server.start_in_thread()
    try:
        context, page = signed_in_by_certificate(browser, url, pki, "alice")
        page.wait_for_selector("#connection.live")
        with httpx.Client(base_url=url, verify=client_ssl_context(pki, "alice"),
                          timeout=10.0) as alice:
            made = alice.post("/v1/requests", json={"between": ["n0", "n2"],
                                                    "min_fidelity": 0.5, "rate_hz": 20.0})
            assert made.status_code == 201, made.text
            rid = made.json()["id"]
            row = f'tr[data-request="{rid}"]'
            page.wait_for_function(
                f"() => Number(document.querySelector('{row} .delivered')?.textContent) > 0")
            alice.delete(f"/v1/requests/{rid}")
        assert page.evaluate("sessionStorage.getItem('qinet-eaas-token')") == ""
        context.close()
    finally:
        server.stop_thread()


def test_the_key_pool_panel_shows_the_kmes_pools(browser, tmp_path):
    # both services from one scenario: the page, signed in by a tenant's certificate of
    # the PKI, shows the key pools the network state lists
    scenario = load_scenario(KEYS_AND_PAIRS)
    pki = init_pki(tmp_path / "pki", kme_specs(scenario), eaas=True, tenants=["lab"])
    services = ScenarioServices.from_scenario(scenario, certs=pki.root,
                                              data=tmp_path / "data", port=0)
    url = services.start_in_thread().eaas_url
    try:
        context, page = signed_in_by_certificate(browser, url, pki, "lab")
        page.wait_for_selector("#keys-panel", state="visible")
        row = 'tr[data-pool="alice – bob"]'
        page.wait_for_function(
            f"() => Number(document.querySelector('{row} .pool-stored')?.textContent) > 0")
        shown = {name: int(page.text_content(f"{row} .pool-{name}") or -1)
                 for name in ("stored", "deposited", "discarded", "issued", "delivered")}
        with httpx.Client(base_url=url, verify=client_ssl_context(pki, "lab"),
                          timeout=10.0) as lab:
            pools = lab.get("/v1/network").json()["key_pools"]
        assert [p["kmes"] for p in pools] == [["alice", "bob"]]
        # read after the page: the store's counters can only have grown since
        assert 0 < shown["stored"] <= shown["deposited"] <= pools[0]["deposited_bytes"]
        assert shown["discarded"] == pools[0]["discarded_bytes"] == 0
        assert shown["issued"] == pools[0]["keys_issued"] == 0  # nobody asked for keys
        assert page.locator("#key-pools tbody tr").count() == 1
        # the QKD links that feed the pool are drawn too, dashed, under the memory link
        assert sorted(page.locator("#key-links [data-key-link]").evaluate_all(
            "gs => gs.map(g => g.dataset.keyLink)")) == ["alice-relay", "relay-bob"]
        assert page.is_visible("#legend-key")
        assert page.is_hidden("#no-key-pools")
        assert "simulated s" in (page.text_content("#key-supply") or "")
        context.close()
    finally:
        services.stop_thread()
