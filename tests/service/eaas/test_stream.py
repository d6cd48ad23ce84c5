"""The event streams and the dashboard's routes, on a real server on loopback.

Pairs streamed are held to the simulated states (the demand's log, as the polling API
reports them), tenants to their own requests, and streams to a clean end when the
service stops."""

from __future__ import annotations

import asyncio
import json
import math
import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from qinet.scenario import load_scenario
from qinet.service.eaas import EaasServer, LiveNetwork
from qinet.service.eaas.auth import TenantTokens
from qinet.service.eaas.dashboard import STATIC_FILES, layout, static_text
from qinet.service.eaas.live import RequestSpec
from qinet.service.eaas.stream import Event, EventHub, Subscriber, sse
from tests.network.conftest import chain_scenario

from .conftest import ALICE, client, small_network

PATH = ["n0", "n2"]


@pytest.fixture(scope="module")
def served(eaas_server):
    """The module's service (alice and bob are its clients): URL, network, event hub."""
    return eaas_server.url, eaas_server.network, eaas_server.app.state.event_hub


def events(c: httpx.Client, path: str, *, until, timeout_s: float = 10.0):
    """Read the stream at ``path`` as (name, data) pairs until ``until(events)`` is true,
    the stream ends, or ``timeout_s`` passes."""
    got: list[tuple[str, dict]] = []
    end = time.monotonic() + timeout_s
    with c.stream("GET", path) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        name, data, ids = None, [], []
        for line in response.iter_lines():
            if line.startswith("id: "):
                ids.append(line[len("id: "):])
            elif line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data.append(line[len("data: "):])
            elif line == "" and name is not None:
                got.append((name, json.loads("\n".join(data))))
                if name == "pairs" and "/requests/" in path:  # its id: the count so far
                    assert ids[-1:] == [str(got[-1][1]["pairs_delivered"])]
                name, data, ids = None, [], []
                if until(got) or time.monotonic() > end:
                    break
    return got


def _ask(c, **fields):
    answer = c.post("/v1/requests", json={"between": PATH, "min_fidelity": 0.5, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_streams_need_a_token(served):
    for token in (None, "x" * 20):
        with client(served[0], token) as c:
            for path in ("/v1/events", "/v1/requests/r1/events", "/v1/layout"):
                answer = c.get(path)
                assert answer.status_code == 401, path
                assert answer.headers["www-authenticate"] == "Bearer"


def test_another_tenants_request_is_not_found(alice, bob):
    rid = _ask(alice, rate_hz=20.0)
    try:
        theirs = bob.get(f"/v1/requests/{rid}/events")
        unknown = bob.get("/v1/requests/r999999/events")
        assert theirs.status_code == unknown.status_code == 404
        assert theirs.json()["message"] == f"no request '{rid}'"  # as the page's 404
        assert bob.get(f"/v1/requests/{rid}").json() == theirs.json()
    finally:
        alice.delete(f"/v1/requests/{rid}")


def test_request_stream_pairs_are_the_simulated_states(served, alice):
    _url, network, _hub = served
    rid = _ask(alice, rate_hz=200.0)
    try:
        got = events(alice, f"/v1/requests/{rid}/events",
                     until=lambda e: sum(len(d["pairs"]) for n, d in e if n == "pairs") >= 30)
    finally:
        alice.delete(f"/v1/requests/{rid}")
    name, page = got[0]
    assert name == "request"
    assert page["id"] == rid
    assert page["state"] == "active"
    assert "pairs" not in page
    streamed = [p for n, d in got if n == "pairs" for p in d["pairs"]]
    # no pair missing or sent twice: ids follow on from the first page's count
    first = page["pairs_delivered"]
    assert [p["id"] for p in streamed] == [f"{rid}.{k}"
                                          for k in range(first, first + len(streamed))]
    assert [d["pairs_delivered"] for n, d in got if n == "pairs"] == sorted(
        {d["pairs_delivered"] for n, d in got if n == "pairs"})
    # each fidelity and time is the simulated pair's, as the demand's log holds it
    log = network.requests[rid].route.log
    with network.lock:
        arrays = log.arrays(network.backend)
    for k, pair in enumerate(streamed, start=first):
        assert pair["fidelity"] == float(arrays["fidelity"][k])
        assert pair["time_s"] == int(arrays["delivered_ps"][k]) * 1e-12
    # and the polling API reports the same numbers for the same ids
    listed = {p["id"]: p for p in alice.get(f"/v1/requests/{rid}").json()["pairs"]}
    common = [p for p in streamed if p["id"] in listed]
    assert common, "the page's latest 100 pairs should include streamed ones"
    assert all(listed[p["id"]] == p for p in common)


def test_request_stream_ends_with_its_request(served, alice):
    rid = _ask(alice, rate_hz=100.0)
    cancel = threading.Timer(0.5, lambda: alice.delete(f"/v1/requests/{rid}"))
    cancel.start()
    got = events(alice, f"/v1/requests/{rid}/events", until=lambda e: False)
    cancel.join()
    names = [n for n, _ in got]
    assert names[-2:] == ["request", "end"]
    assert got[-2][1]["state"] == "cancelled"
    assert got[-1][1] == {"reason": f"request {rid} is cancelled"}
    # the last page counts every pair the stream sent
    streamed = sum(len(d["pairs"]) for n, d in got if n == "pairs")
    assert got[-2][1]["pairs_delivered"] == got[0][1]["pairs_delivered"] + streamed
    # a stream opened on an ended request sends its page and ends
    again = events(alice, f"/v1/requests/{rid}/events", until=lambda e: False)
    assert [n for n, _ in again] == ["request", "end"]


def test_a_stream_resumed_from_its_last_event_id_loses_no_pair(served, alice):
    _url, network, _hub = served
    rid = _ask(alice, rate_hz=200.0, count=60)
    path = f"/v1/requests/{rid}/events"
    try:
        got = events(alice, path, until=lambda e: len(e) >= 4)
        last = [d for n, d in got if n == "pairs"][-1]
        # the client reconnects, saying what it has: the next pairs follow on exactly
        with client(served[0], ALICE) as again:
            again.headers["Last-Event-ID"] = str(last["pairs_delivered"])
            more = events(again, path, until=lambda e: e[-1][0] == "pairs")
            again.headers["Last-Event-ID"] = "0"  # every pair from the first
            whole = events(again, path, until=lambda e: e[-1][0] == "end", timeout_s=15)
            again.headers["Last-Event-ID"] = "three"
            refused = again.get(path)
    finally:
        alice.delete(f"/v1/requests/{rid}")
    assert more[1][1]["pairs"][0]["id"] == f"{rid}.{last['pairs_delivered']}"
    streamed = [p for n, d in whole if n == "pairs" for p in d["pairs"]]
    assert [p["id"] for p in streamed] == [f"{rid}.{k}" for k in range(60)]
    log = network.requests[rid].route.log
    with network.lock:
        simulated = log.fidelities(network.backend)
    assert [p["fidelity"] for p in streamed] == [float(f) for f in simulated[:60]]
    assert whole[-2][1]["state"] == "completed"
    assert refused.status_code == 422
    assert refused.json()["details"][0]["field"] == "Last-Event-ID"


def test_tenant_stream_shows_only_the_callers_requests(served, alice, bob):
    _url, network, _hub = served
    bobs = _ask(bob, rate_hz=5.0)
    rate_hz = 200.0
    rid = _ask(alice, rate_hz=rate_hz)
    try:
        got = events(alice, "/v1/events",
                     until=lambda e: sum(n == "network" for n, _ in e) >= 4)
        theirs = events(bob, "/v1/events",
                        until=lambda e: sum(n == "network" for n, _ in e) >= 2)
    finally:
        alice.delete(f"/v1/requests/{rid}")
        bob.delete(f"/v1/requests/{bobs}")
    mine = {r["id"] for r in alice.get("/v1/requests").json()["requests"]}
    snapshots = [d for n, d in got if n == "network"]
    for snapshot in snapshots:
        assert {r["id"] for r in snapshot["requests"]} <= mine
        assert bobs not in {r["id"] for r in snapshot["requests"]}
    assert any(d["request"] == rid for n, d in got if n == "pairs")
    assert all(d.get("request", d.get("id")) != rid for n, d in theirs if n != "network")
    for snapshot in (d for n, d in theirs if n == "network"):
        assert [r["id"] for r in snapshot["requests"]][-1] == bobs
        assert rid not in {r["id"] for r in snapshot["requests"]}
    # the network part is GET /v1/network's, links with their measured rate added
    polled = alice.get("/v1/network").json()
    last = snapshots[-1]
    assert [n["name"] for n in last["nodes"]] == [n["name"] for n in polled["nodes"]]
    assert [link["name"] for link in last["links"]] == [link["name"] for link in polled["links"]]
    # each link of the path heralds one pair per end-to-end pair (ideal swaps, no
    # cutoff): rate / swap success pairs a second. The demand is paced, so the count in
    # a window varies less than a Poisson count; 5 sigma of Poisson bounds it.
    swap = network.swap_success(["n0", "n1", "n2"])
    assert swap == 1.0
    window_s = last["pairs_window_s"]
    assert 0.2 < window_s < 5.0
    expected = (rate_hz + 5.0) / swap * window_s  # bob's 5 Hz request uses both links too
    for link in last["links"]:
        count = link["pairs_hz"] * window_s
        assert count == pytest.approx(round(count), abs=1e-6)  # a whole number of pairs
        assert abs(count - expected) <= 5 * math.sqrt(expected) + 2, link


def test_streams_end_when_the_server_stops():
    network = LiveNetwork(load_scenario(small_network()), tick_s=0.02)
    server = EaasServer(network, TenantTokens({ALICE: "alice"}), port=0)
    url = server.start_in_thread()
    with client(url, ALICE) as c:
        rid = _ask(c, rate_hz=10.0)
    results: dict[str, list] = {}

    def read(path: str) -> None:
        with client(url, ALICE) as c:
            results[path] = events(c, path, until=lambda e: False, timeout_s=30.0)

    readers = [threading.Thread(target=read, args=(p,))
               for p in ("/v1/events", f"/v1/requests/{rid}/events")]
    for reader in readers:
        reader.start()
    hub = server.app.state.event_hub
    end = time.monotonic() + 5.0
    while hub.streams < 2 and time.monotonic() < end:
        time.sleep(0.02)
    assert hub.streams == 2
    began = time.monotonic()
    server.stop_thread()
    for reader in readers:
        reader.join(10.0)
    # well inside uvicorn's graceful timeout (10 s), which would cancel the streams
    assert time.monotonic() - began < 5.0
    for got in results.values():
        assert got[-1] == ("end", {"reason": "the service is stopping"})
    assert hub.streams == 0


def test_a_client_that_leaves_frees_its_stream(served, alice):
    hub = served[2]
    before = hub.streams
    events(alice, "/v1/events", until=lambda e: True)
    end = time.monotonic() + 5.0
    while hub.streams > before and time.monotonic() < end:
        time.sleep(0.05)
    assert hub.streams == before


def test_an_outage_reaches_the_request_stream_when_it_is_judged():
    # stepped by hand, no server: the same seeded run every time. A request of higher
    # priority takes 0.44 of the link (some 480 Hz) from one paced at 400 Hz (84 %),
    # which is left some 267 Hz and falls behind its deadline
    network = LiveNetwork(load_scenario(chain_scenario(
        1, length_km=1.0, efficiency=0.5, attempt_period="1 ms", memories=4, t2="10 s",
        demands=[])), tick_s=0.05)
    hub = EventHub(network)
    hub.attach()

    def run(simulated_s: float) -> None:
        for _ in range(round(simulated_s / 0.05)):
            network.step(0.05)

    async def follow() -> tuple[list, str]:
        low = network.admit("alice", RequestSpec(("n0", "n1"), 0.5, count=1200,
                                                 deadline_s=3.0))
        stream = hub.subscribe("alice", low.id)
        run(0.5)
        rate = network.graph.edges["n0", "n1"]["rate_hz"]
        high = network.admit("bob", RequestSpec(("n0", "n1"), 0.5, rate_hz=0.44 * rate,
                                                priority=5))
        run(1.5)
        return [(e.name, e.data) for e in await stream.wait(0.1)], high.id

    got, high = asyncio.run(follow())
    pages = [d for n, d in got if n == "request"]
    assert pages[0]["slo"]["status"] == "ok"  # its first judgement
    outage = next(p for p in pages if p["slo"]["status"] == "outage")
    assert outage["squeezed_by"] == [high]
    assert outage["slo"]["reasons"]
    assert outage["state"] == "active"
    assert all(d["request"] != high for n, d in got if n == "pairs")  # bob's are not hers


def test_a_slow_reader_is_told_what_it_missed():
    async def fill() -> tuple[list, int]:
        stream = Subscriber("alice", None, asyncio.get_running_loop(), max_events=2)
        for k in range(5):
            stream.offer(Event("pairs", {"k": k}, str(k)))
        return await stream.wait(1.0), stream.take_dropped()

    taken, dropped = asyncio.run(fill())
    assert [e.data["k"] for e in taken] == [0, 1]
    # each encoded once, with its id or without, as the two kinds of stream send it
    assert taken[1].encoded(with_id=True) == b'id: 1\nevent: pairs\ndata: {"k":1}\n\n'
    assert taken[1].encoded(with_id=False) == b'event: pairs\ndata: {"k":1}\n\n'
    assert taken[1].encoded(with_id=True) is taken[1].encoded(with_id=True)
    assert dropped == 3


def test_sse_escapes_nothing_into_a_second_line():
    event = sse("request", {"reason": "two\nlines"})
    assert event.count(b"\n") == 3  # event, data, blank: a newline in data stays escaped
    with pytest.raises(ValueError, match="Out of range float"):
        sse("pairs", {"fidelity": math.nan})


# -- the dashboard's routes ------------------------------------------------------------------


def test_the_dashboard_page_is_public_and_locked_down(served):
    with client(served[0], None) as c:
        page = c.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self'" in policy
        assert page.headers["referrer-policy"] == "no-referrer"
        for name, media_type in STATIC_FILES.items():
            answer = c.get(f"/static/{name}")
            assert answer.status_code == 200
            assert answer.headers["content-type"] == media_type
            assert answer.text == static_text(name)
        assert c.get("/static/index.html").status_code == 404
        assert c.get("/static/..%2Fapi.py").status_code == 404


def test_the_dashboard_needs_nothing_from_the_internet():
    static = Path(__file__).parents[3] / "qinet" / "service" / "eaas" / "static"
    for path in static.iterdir():
        text = path.read_text()
        # the SVG namespace is a name, never fetched
        urls = set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"')]*", text))
        assert urls <= {"http://www.w3.org/2000/svg"}, (path.name, urls)
    assert not re.search(r"\binnerHTML\b|\beval\(", static_text("dashboard.js"))


def test_layout_places_every_node_inside_the_frame(served, alice):
    _url, network, _hub = served
    layout = alice.get("/v1/layout").json()
    assert layout["source"] == "computed"  # the chain's nodes have no coordinates
    assert sorted(n["name"] for n in layout["nodes"]) == sorted(network.graph)
    for node in layout["nodes"]:
        assert 0.05 - 1e-9 <= node["x"] <= 0.95 + 1e-9
        assert 0.05 - 1e-9 <= node["y"] <= 0.95 + 1e-9
    # equal fibre lengths: the middle node sits halfway between the ends
    at = {n["name"]: (n["x"], n["y"]) for n in layout["nodes"]}
    middle = [(a + b) / 2 for a, b in zip(at["n0"], at["n2"], strict=True)]
    assert at["n1"] == pytest.approx(middle, abs=0.01)  # to the optimiser's tolerance
    # turned so that the chain runs across the page, n0 on the left
    assert abs(at["n2"][0] - at["n0"][0]) > 10 * abs(at["n2"][1] - at["n0"][1])
    assert at["n0"][0] < at["n2"][0]
    assert {tuple(sorted(link["between"])) for link in layout["links"]} == {
        ("n0", "n1"), ("n1", "n2")}


def test_layout_follows_the_stations_coordinates():
    # every node a ground station: an equirectangular drawing, longitudes squeezed by
    # the cosine of the mean latitude, north up, the larger span (0.4 deg of latitude
    # against 0.5 cos(52.17 deg) = 0.307 deg) filling 0.05 to 0.95
    scenario = small_network()
    sites = {"n0": (52.0, 4.4), "n1": (52.1, 4.9), "n2": (52.4, 4.9)}
    for node in scenario["nodes"]:
        latitude, longitude = sites[node["name"]]
        node["station"] = {"latitude": f"{latitude} deg", "longitude": f"{longitude} deg"}
    placed = layout(LiveNetwork(load_scenario(scenario)))
    assert placed["source"] == "coordinates"
    at = {n["name"]: (n["x"], n["y"]) for n in placed["nodes"]}
    scale = 0.9 / 0.4
    squeeze = math.cos(math.radians((52.0 + 52.1 + 52.4) / 3))
    assert at["n2"][1] == pytest.approx(0.05)  # the northernmost at the top
    assert at["n0"][1] == pytest.approx(0.95)
    assert at["n1"][1] - at["n2"][1] == pytest.approx(0.3 * scale)
    assert at["n1"][0] - at["n0"][0] == pytest.approx(0.5 * squeeze * scale)
    assert at["n1"][0] == pytest.approx(at["n2"][0])
    assert (at["n0"][0] + at["n1"][0]) / 2 == pytest.approx(0.5)  # the narrow side centred
