"""The entanglement service end to end: a real uvicorn server on loopback, httpx clients.

Admission is checked against the network layer's estimator, pairs against the simulated
states, cancellation against the demand's link activity."""

from __future__ import annotations

import time

import pytest

from .conftest import ALICE, client

PATH = ["n0", "n1", "n2"]


def _ask(c, **fields):
    body = {"between": ["n0", "n2"], "min_fidelity": 0.5, **fields}
    return c.post("/v1/requests", json=body)


def _wait_for(predicate, timeout_s=5.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_admission_follows_the_estimator(eaas, alice):
    _url, network = eaas
    estimate = network.estimate(PATH)
    # what the network can do is accepted, with the estimator's figures
    answer = _ask(alice, rate_hz=50.0, min_fidelity=round(estimate.fidelity - 0.01, 4))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["estimate"]["path"] == PATH
    assert body["estimate"]["fidelity"] == pytest.approx(estimate.fidelity)
    assert body["estimate"]["rate_hz"] == pytest.approx(estimate.rate_hz)
    alice.delete(f"/v1/requests/{body['id']}")
    # a fidelity just above the estimate is refused, naming the best path
    too_good = _ask(alice, rate_hz=50.0, min_fidelity=round(estimate.fidelity + 0.005, 4))
    assert too_good.status_code == 409
    assert too_good.json()["details"][0]["limit"] == "fidelity"
    assert f"best {estimate.fidelity:.4f} via n0-n1-n2" in too_good.json()["message"]
    # a rate above what the links can still promise is refused, naming the rate limit
    spare = min(network.spare_rate_hz("n0", "n1"), network.spare_rate_hz("n1", "n2"))
    too_fast = _ask(alice, rate_hz=spare * 1.01)
    assert too_fast.status_code == 409
    assert too_fast.json()["details"][0]["limit"] == "rate"
    # and just below it is accepted
    fast = _ask(alice, rate_hz=spare * 0.99, count=10)
    assert fast.status_code == 201, fast.text
    # a deadline shorter than the path's latency cannot be met
    late = _ask(alice, count=5, deadline_s=estimate.latency_s / 2)
    assert late.status_code == 409
    assert late.json()["details"][0]["limit"] == "deadline"


def test_pairs_are_the_simulated_states_and_meet_the_minimum(eaas, alice):
    _url, network = eaas
    estimate = network.estimate(PATH)
    minimum = round(estimate.fidelity - 0.01, 4)
    rid = _ask(alice, rate_hz=200.0, min_fidelity=minimum).json()["id"]
    assert _wait_for(lambda: alice.get(f"/v1/requests/{rid}").json()["pairs_delivered"] >= 40)
    page = alice.get(f"/v1/requests/{rid}").json()
    assert page["state"] == "active"
    assert page["slo"]["status"] == "ok", page["slo"]
    fidelities = [p["fidelity"] for p in page["pairs"]]
    assert min(fidelities) >= minimum
    assert max(fidelities) <= estimate.fidelity + 1e-12  # the estimate bounds them
    # the reported fidelities are the log's own, pair by pair
    log = network.requests[rid].route.log
    with network.lock:
        simulated = log.fidelities(network.backend)
    assert fidelities == pytest.approx(list(simulated[:len(fidelities)])
                                       if page["pairs"][0]["id"] == f"{rid}.0"
                                       else list(simulated[-len(fidelities):]))
    ids = [p["id"] for p in page["pairs"]]
    assert len(set(ids)) == len(ids)
    times = [p["time_s"] for p in page["pairs"]]
    assert times == sorted(times)
    # the pairs come at the asked rate: N in t seconds, Poisson-like, within 5 sigma + 2
    elapsed = network.timeline.now_s - page["admitted_s"]
    assert abs(page["pairs_delivered"] - 200.0 * elapsed) < 5 * (200.0 * elapsed) ** 0.5 + 2
    alice.delete(f"/v1/requests/{rid}")


def test_cancel_stops_delivery_and_frees_the_promised_rate(eaas, alice):
    _url, network = eaas
    spare_before = network.spare_rate_hz("n0", "n1")
    rid = _ask(alice, rate_hz=1000.0).json()["id"]
    assert network.spare_rate_hz("n0", "n1") < spare_before
    assert _wait_for(lambda: alice.get(f"/v1/requests/{rid}").json()["pairs_delivered"] > 20)
    cancelled = alice.delete(f"/v1/requests/{rid}")
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    time.sleep(0.1)  # the pairs already in play land within a tick
    after = alice.get(f"/v1/requests/{rid}").json()["pairs_delivered"]
    simulated = network.timeline.now_ps
    assert _wait_for(lambda: network.timeline.now_ps > simulated + 3 * 10**11)  # 0.3 s
    assert alice.get(f"/v1/requests/{rid}").json()["pairs_delivered"] == after
    assert network.spare_rate_hz("n0", "n1") == pytest.approx(spare_before, rel=0.5)
    # cancelling twice is harmless and changes nothing
    assert alice.delete(f"/v1/requests/{rid}").json()["state"] == "cancelled"


def test_cancelled_requests_give_their_memory_share_back(eaas, alice):
    # each link has two memory pairs: without the share going back, a third request
    # would find no room; here one after another is admitted, served and cancelled
    _url, network = eaas
    scheduler = network.network.schedulers[frozenset(("n0", "n1"))]
    active = scheduler.active_users
    for _ in range(4):
        answer = _ask(alice, rate_hz=100.0)
        assert answer.status_code == 201, answer.text
        rid = answer.json()["id"]
        assert scheduler.active_users == active + 1
        assert _wait_for(lambda rid=rid: alice.get(f"/v1/requests/{rid}").json()
                         ["pairs_delivered"] >= 3)
        alice.delete(f"/v1/requests/{rid}")
        assert scheduler.active_users == active


def test_a_count_request_completes(eaas, alice):
    rid = _ask(alice, rate_hz=500.0, count=20).json()["id"]
    assert _wait_for(lambda: alice.get(f"/v1/requests/{rid}").json()["state"] == "completed")
    assert alice.get(f"/v1/requests/{rid}").json()["pairs_delivered"] == 20


def test_a_deadline_ends_a_rated_request_and_paces_a_counted_one(eaas, alice):
    _url, network = eaas
    rated = _ask(alice, rate_hz=100.0, deadline_s=0.2).json()["id"]
    # count and deadline: paced at (count - 1) / (deadline - latency)
    latency_s = network.estimate(PATH).latency_s
    counted = _ask(alice, count=11, deadline_s=0.25)
    assert counted.status_code == 201, counted.text
    assert counted.json()["rate_hz"] == pytest.approx(10 / (0.25 - latency_s))
    cid = counted.json()["id"]
    for rid in (rated, cid):
        assert _wait_for(lambda rid=rid: alice.get(f"/v1/requests/{rid}").json()["state"]
                         == "completed")
    page = alice.get(f"/v1/requests/{rated}").json()
    # the driver notices at the end of a tick, at most four ticks (0.08 s) late
    assert 0.2 <= page["ended_s"] - page["admitted_s"] <= 0.2 + 0.081
    assert 15 <= page["pairs_delivered"] <= 30  # 100 Hz: 21 requests by 0.2 s
    counted_page = alice.get(f"/v1/requests/{cid}").json()
    assert counted_page["pairs_delivered"] == 11
    assert counted_page["ended_s"] - counted_page["admitted_s"] <= 0.25 + 0.081


def test_tenants_see_only_their_own_requests(eaas, alice, bob):
    url, network = eaas
    rid = _ask(alice, rate_hz=10.0).json()["id"]
    # another tenant's id looks like an unknown one: 404, the same answer
    assert bob.get(f"/v1/requests/{rid}").status_code == 404
    assert bob.get("/v1/requests/r999999").status_code == 404
    assert bob.delete(f"/v1/requests/{rid}").status_code == 404
    assert network.requests[rid].state == "active"
    assert rid not in [r["id"] for r in bob.get("/v1/requests").json()["requests"]]
    assert rid in [r["id"] for r in alice.get("/v1/requests").json()["requests"]]
    for token in (None, "x" * 30, ALICE[:-1]):
        with client(url, token) as stranger:
            answer = stranger.get(f"/v1/requests/{rid}")
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"] == "Bearer"
            assert stranger.get("/metrics").status_code == 401
            assert _ask(stranger, rate_hz=1.0).status_code == 401
    alice.delete(f"/v1/requests/{rid}")


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"between": ["n0", "nX"], "min_fidelity": 0.5, "rate_hz": 1}, 422, "between[1]"),
    ({"between": ["n0", "n0"], "min_fidelity": 0.5, "rate_hz": 1}, 422, "between"),
    ({"between": ["n0", "n2"], "min_fidelity": 1.2, "rate_hz": 1}, 422, "min_fidelity"),
    ({"between": ["n0", "n2"], "min_fidelity": 0.5, "rate_hz": -3}, 422, "rate_hz"),
    ({"between": ["n0", "n2"], "min_fidelity": 0.5, "count": 0, "rate_hz": 1}, 422, "count"),
    ({"between": ["n0", "n2"], "min_fidelity": 0.5}, 422, "give rate_hz"),
    ({"between": ["n0", "n2"], "min_fidelity": 0.5, "count": 3}, 422, "needs deadline_s"),
    ({"between": ["n0"], "min_fidelity": 0.5, "rate_hz": 1}, 422, "between"),
    ({"between": ["n0", "n2"], "min_fidelity": 0.5, "rate_hz": 1, "colour": 1}, 422,
     "colour"),
])
def test_bad_requests_are_refused_with_a_reason_and_change_nothing(eaas, alice, body, status,
                                                                   field):
    _url, network = eaas
    before = dict(network.requests)
    answer = alice.post("/v1/requests", json=body)
    assert answer.status_code == status, answer.text
    assert field in answer.json()["message"]
    assert network.requests == before


def test_malformed_and_huge_bodies(eaas, alice):
    _url, network = eaas
    before = dict(network.requests)
    broken = alice.post("/v1/requests", content=b'{"between": [',
                        headers={"content-type": "application/json"})
    assert broken.status_code == 400
    assert "JSON" in broken.json()["message"]
    huge = alice.post("/v1/requests", content=b" " * 100_000,
                      headers={"content-type": "application/json"})
    assert huge.status_code == 413
    assert "larger than" in huge.json()["message"]
    # JSON sent as a form (curl's -d without a Content-Type)
    form = alice.post("/v1/requests", content=b'{"between": ["n0", "n2"], "count": 1}',
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415
    assert "Content-Type: application/json" in form.json()["message"]
    assert network.requests == before


def test_network_page_metrics_and_offline_docs(eaas, alice):
    page = alice.get("/v1/network").json()
    assert [n["name"] for n in page["nodes"]] == ["n0", "n1", "n2"]
    assert {link["name"] for link in page["links"]} == {"n0-n1", "n1-n2"}
    assert all(link["rate_hz"] > 0 for link in page["links"])
    assert page["simulated_s"] > 0
    rid = _ask(alice, rate_hz=300.0, count=5).json()["id"]
    assert _wait_for(lambda: alice.get(f"/v1/requests/{rid}").json()["state"] == "completed")
    metrics = alice.get("/metrics").text
    assert 'qinet_eaas_admissions_total{outcome="accepted"}' in metrics
    assert "qinet_eaas_pair_fidelity_bucket" in metrics
    assert "qinet_eaas_admission_duration_seconds_count" in metrics
    delivered = [line for line in metrics.splitlines()
                 if line.startswith("qinet_eaas_pairs_delivered_total")]
    assert float(delivered[0].split()[1]) >= 5
    docs = alice.get("/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr" not in docs.text
    assert "/v1/requests" in alice.get("/openapi.json").json()["paths"]
