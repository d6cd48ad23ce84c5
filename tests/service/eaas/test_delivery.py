"""Estimates checked against delivery: a finished request's page sets the rate and the
fidelity it got against what the estimate it was admitted on promised, over a real run
(a uvicorn server on loopback, the live network's driver thread)."""

from __future__ import annotations

import math
import time

import pytest

from qinet.scenario import load_scenario
from qinet.service.eaas import EaasServer, LiveNetwork
from qinet.service.eaas.auth import TenantTokens
from tests.network.conftest import chain_scenario

from .conftest import ALICE, client

SPEEDUP = 4.0  # simulated seconds per wall second (the run takes some 1.5 s)


def slow_chain(links: int) -> dict:
    """n0 - ... - n<links>: 1 km double-click links of four memory pairs, an attempt per
    memory pair every 1 ms (some 480 pairs a second each), T2 = 10 s."""
    return chain_scenario(links, length_km=1.0, efficiency=0.5, attempt_period="1 ms",
                          memories=4, t2="10 s", raw_fidelity=0.97, demands=[])


def _finished(url: str, body: dict) -> tuple[dict, LiveNetwork]:
    network = LiveNetwork(load_scenario(body["scenario"]), speedup=SPEEDUP, tick_s=0.02)
    server = EaasServer(network, TenantTokens({ALICE: "alice"}), port=0)
    server.start_in_thread()
    try:
        with client(server.url, ALICE) as alice:
            answer = alice.post("/v1/requests", json=body["request"])
            assert answer.status_code == 201, answer.text
            rid = answer.json()["id"]
            end = time.monotonic() + 30
            while time.monotonic() < end:
                page = alice.get(f"/v1/requests/{rid}").json()
                if page["state"] != "active":
                    return page, network
                time.sleep(0.05)
            raise AssertionError("the request did not finish")
    finally:
        server.stop_thread()


@pytest.mark.parametrize(("links", "rate_hz"), [(1, 200.0), (2, 100.0)])
def test_a_finished_request_gets_the_rate_and_fidelity_its_estimate_promised(links, rate_hz):
    scenario = slow_chain(links)
    page, network = _finished("", {"scenario": scenario, "request": {
        "between": ["n0", f"n{links}"], "min_fidelity": 0.5, "rate_hz": rate_hz,
        "deadline_s": 5.0}})
    assert page["state"] == "completed"
    check = page["delivery"]
    estimate = network.estimate([f"n{i}" for i in range(links + 1)])
    assert check["estimated_rate_hz"] == pytest.approx(rate_hz)
    assert check["path_rate_hz"] == pytest.approx(estimate.rate_hz)
    # requests arrive every 1 / rate from admission to the end (about 5 s: 500 or 1000);
    # the pairs served are fewer by the ones still in flight or queued at the end, at
    # most 3 sqrt(asked) (Poisson counts of the link's pairs) + rate x latency + 1
    asked = check["asked_pairs"]
    elapsed_s = page["ended_s"] - page["admitted_s"]
    assert asked == math.floor(elapsed_s * rate_hz + 1e-9) + 1
    tolerance = 3 * math.sqrt(asked) + rate_hz * estimate.latency_s + 1
    assert check["tolerance_pairs"] == pytest.approx(tolerance)
    assert asked - tolerance <= check["delivered_pairs"] <= asked
    assert check["rate_ok"]
    assert check["delivered_rate_hz"] == pytest.approx(check["delivered_pairs"] / elapsed_s)
    # fidelity: the estimate is exact for one link, an upper bound for two
    assert check["fidelity_ok"]
    if links == 1:
        assert check["mean_fidelity"] == pytest.approx(estimate.fidelity, abs=1e-9)
    else:
        assert check["mean_fidelity"] <= estimate.fidelity + 3 * check["fidelity_stderr"]
        assert check["mean_fidelity"] > 0.5
    assert page["slo"]["status"] == "ok", page["slo"]
