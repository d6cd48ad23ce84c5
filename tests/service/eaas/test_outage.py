"""SLO outage: a request that gets less than it asked is reported so, with its reasons,
on its page and in the Prometheus metrics.

The API runs in process (the ASGI app, no server) over a live network stepped by hand,
so the runs are the same seeded simulation every time."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qinet.scenario import load_scenario
from qinet.service.eaas import LiveNetwork
from qinet.service.eaas.api import create_eaas_app
from qinet.service.eaas.auth import TenantTokens
from qinet.service.eaas.slo import SloInput, assess

from .conftest import ALICE, BOB
from .test_priority import TICK_S, run, slow_link


@pytest.fixture
def service():
    network = LiveNetwork(load_scenario(slow_link()), tick_s=TICK_S)
    app = create_eaas_app(network, TenantTokens({ALICE: "alice", BOB: "bob"}))
    with TestClient(app) as alice, TestClient(app) as bob:
        alice.headers["Authorization"] = f"Bearer {ALICE}"
        bob.headers["Authorization"] = f"Bearer {BOB}"
        yield network, alice, bob


def _metric(text: str, name: str) -> float:
    return sum(float(line.split()[-1]) for line in text.splitlines()
               if line.startswith(name))


def test_a_deadline_lost_to_a_higher_priority_request_is_an_outage(service):
    network, alice, bob = service
    rate = network.graph.edges["n0", "n1"]["rate_hz"]
    # 1200 pairs in 3 s: paced at 400 Hz, 84 % of the link, admitted on the spare rate
    low = alice.post("/v1/requests", json={"between": ["n0", "n1"], "min_fidelity": 0.5,
                                           "count": 1200, "deadline_s": 3.0})
    assert low.status_code == 201, low.text
    lid = low.json()["id"]
    run(network, 0.5)
    page = alice.get(f"/v1/requests/{lid}").json()
    assert page["slo"]["status"] == "ok", page["slo"]
    # a request of higher priority takes 0.44 r of the link: the low one is left some
    # 0.56 r = 267 Hz, short of its 400 Hz
    high = bob.post("/v1/requests", json={"between": ["n0", "n1"], "min_fidelity": 0.5,
                                          "rate_hz": 0.44 * rate, "priority": 5})
    assert high.status_code == 201, high.text
    hid = high.json()["id"]
    run(network, 1.5)
    page = alice.get(f"/v1/requests/{lid}").json()
    assert page["state"] == "active"
    assert page["squeezed_by"] == [hid]
    assert page["slo"]["status"] == "outage"
    kinds = {reason.split(":")[0] for reason in page["slo"]["reasons"]}
    assert {"rate", "deadline"} <= kinds, page["slo"]["reasons"]
    assert all(hid in reason for reason in page["slo"]["reasons"]
               if reason.startswith(("rate", "deadline")))
    metrics = alice.get("/metrics").text
    assert _metric(metrics, "qinet_eaas_requests_in_outage") == 1
    assert _metric(metrics, 'qinet_eaas_outages_total{reason="deadline"}') == 1
    assert _metric(metrics, 'qinet_eaas_outages_total{reason="rate"}') == 1
    # the high one is served in full
    assert bob.get(f"/v1/requests/{hid}").json()["slo"]["status"] == "ok"
    # the deadline passes short of the count: the request ends as missed
    run(network, 1.1)
    page = alice.get(f"/v1/requests/{lid}").json()
    assert page["state"] == "missed"
    assert page["pairs_delivered"] < 1200
    assert any("of 1200 pairs by the deadline of 3 s" in r for r in page["slo"]["reasons"])
    metrics = alice.get("/metrics").text
    assert _metric(metrics, 'qinet_eaas_requests{state="missed"}') == 1
    assert _metric(metrics, "qinet_eaas_requests_in_outage") == 0  # active ones only
    assert _metric(metrics, "qinet_eaas_pair_latency_seconds_count") == _metric(
        metrics, "qinet_eaas_pairs_delivered_total")
    assert _metric(metrics, "qinet_eaas_admission_duration_seconds_count") == 2


def test_a_request_served_at_its_rate_is_not_in_outage(service):
    network, alice, _bob = service
    rate = network.graph.edges["n0", "n1"]["rate_hz"]
    rid = alice.post("/v1/requests", json={"between": ["n0", "n1"], "min_fidelity": 0.5,
                                           "rate_hz": 0.8 * rate}).json()["id"]
    for _ in range(8):
        run(network, 0.5)
        assert alice.get(f"/v1/requests/{rid}").json()["slo"]["status"] == "ok"
    assert _metric(alice.get("/metrics").text, "qinet_eaas_outages_total") == 0


def _input(times_s, rate_hz=100.0, now_s=3.0, **fields):
    """Requests every 1 / rate_hz from 0 (the k-th at k / rate_hz), pairs at times_s."""

    def requests_by(t_ps: int) -> int:
        return 0 if t_ps < 0 else t_ps * round(rate_hz) // 10**12 + 1

    return SloInput(rate_hz, 0.9, 0.001, 0, round(now_s * 1e12),
                    [round(t * 1e12) for t in times_s], [0.95] * len(times_s), requests_by,
                    **fields)


def test_the_rate_rule_follows_poisson_counts():
    # 100 Hz asked, window max(1 s, 50 / 100 Hz) = 1 s: 100 asked; outage below
    # 100 - 3 sqrt(100) - 1 = 69 delivered in the window
    def times(n_window: int) -> list[float]:
        return [k / 100 for k in range(200)] + [2 + (k + 1) / n_window
                                                for k in range(n_window)]

    assert not assess(_input(times(70))).outage
    short = assess(_input(times(68)))
    assert short.kinds[0] == "rate"  # (and 33 requests wait: a backlog beyond 31 too)
    assert short.window_asked == 100
    assert short.window_pairs == 68
    # the rate is not judged before a window and a latency have passed (the backlog is)
    early = assess(_input([], now_s=0.9))
    assert early.kinds == ("backlog",)
    # a deadline that the delivered rate cannot reach: 1000 pairs by 4 s, 268 so far at
    # 68 Hz, 732 missing in 1 s
    late = assess(_input(times(68), count=1000, deadline_s=4.0))
    assert "deadline" in late.kinds
    assert assess(_input(times(68), count=1000, deadline_s=4.0, missed=True)).kinds[-1] \
        == "deadline"
