"""Load on the entanglement service's control plane: 100 concurrent clients on loopback
while a 9-node metro network serves 20 active requests in real time.

The service runs as a separate process (``python -m qinet eaas metro-mesh``), as in
production: its driver thread advances the simulated network with the wall clock while
uvicorn answers the API. First 20 requests are admitted between random pairs of the
metro mesh's nine sites (a few pairs a second each, so they stay active throughout).
Then 100 clients (one asyncio loop, httpx's async client, one keep-alive connection
each) send, for ``--duration`` seconds, each its next call as soon as the last one is
answered (closed loop):

* 90 % status reads (``GET /v1/requests/{id}`` of one of the 20, by their tenant);
* 10 % admissions: ``POST /v1/requests`` of a new request, then ``DELETE`` of it when
  admitted, so that the network keeps its 20 long-running requests (a refusal, 409, is an
  admission answer too and counts).

Reported: calls per second the control plane sustained; median and p99 latency of the
reads and of the admissions as the clients saw them (round trip), and p99 of the
server's own admission time (its ``qinet_eaas_admission_duration_seconds`` histogram,
bucket bound); and the real-time factor of the simulated network over the load phase,
``simulated seconds / wall seconds`` (``/v1/network``'s ``simulated_s`` before and after;
``lag_s``, the simulated time the driver could not keep up with, is shown too). With
``--speedup 1`` the factor is at most 1 (the driver advances with the wall clock) and
equals 1 while the simulation keeps up; a larger ``--speedup`` shows how far ahead of
real time it could run. Goals: p99 admission under 50 ms, real-time factor at least 1.

The load average (``os.getloadavg``) is printed with the figures: the clients share
the machine with the server.

Run: ``python benchmarks/eaas_load.py [--duration 10] [--clients 100] [--json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np

SCENARIO = "metro-mesh"  # nine sites on a 3 x 3 grid of fibre ducts (the preset)
ACTIVE = 20
TENANTS = 10
GOAL_ADMISSION_P99_S = 0.05
MAX_DURATION_S = 60.0


@dataclass(frozen=True)
class Outcome:
    """One load run's figures (latencies in seconds)."""

    clients: int
    offered_calls_per_s: float | None  # None: closed loop
    duration_s: float
    speedup: float
    active_requests: int
    calls: int
    errors: int
    calls_per_s: float
    read_p50_s: float
    read_p99_s: float
    admissions: int
    admitted: int
    admission_p50_s: float
    admission_p99_s: float
    server_admission_p99_s: float | None
    simulated_s: float
    real_time_factor: float
    lag_growth_s: float
    load_average: tuple[float, float, float]


def _tokens(root: Path) -> dict[str, str]:
    tokens = {f"tenant-{i}": f"benchmark-token-{i:04d}-{os.urandom(8).hex()}"
              for i in range(TENANTS)}
    (root / "tokens.txt").write_text("".join(f"{t} {k}\n" for t, k in tokens.items()))
    return tokens


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _seed_requests(url: str, tokens: dict[str, str], nodes: list[str],
                         rng: np.random.Generator) -> list[tuple[str, str]]:
    """Admit ``ACTIVE`` long-running requests; returns (token, id) pairs."""
    active: list[tuple[str, str]] = []
    names = list(tokens.values())
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
        for _attempt in range(200):
            if len(active) == ACTIVE:
                break
            a, b = (str(n) for n in rng.choice(nodes, size=2, replace=False))
            token = names[len(active) % len(names)]
            answer = await client.post("/v1/requests", headers=_headers(token), json={
                "between": [a, b], "min_fidelity": 0.5, "rate_hz": float(rng.uniform(1.0, 5.0))})
            if answer.status_code == 201:
                active.append((token, answer.json()["id"]))
    if len(active) < ACTIVE:
        raise SystemExit(f"only {len(active)} of {ACTIVE} requests were admitted")
    return active


async def _client(client: httpx.AsyncClient, active: list[tuple[str, str]], nodes: list[str],
                  start: float, end: float, period_s: float | None, rng: np.random.Generator,
                  reads: list[float], admissions: list[float], counts: dict[str, int]
                  ) -> None:
    """One client's calls: back to back (``period_s`` None), or one every ``period_s``
    from a random phase, latency counted from the scheduled time (a late server is
    charged for the wait it caused)."""
    async with client:
        await client.get("/openapi.json")  # connect before the clock starts
        due = start + (rng.random() * period_s if period_s is not None else 0.0)
        while time.perf_counter() < end:
            token, rid = active[int(rng.integers(len(active)))]
            if period_s is not None:
                if due >= end:
                    break
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                began, due = due, due + period_s
            else:
                began = time.perf_counter()
            if rng.random() < 0.9:
                answer = await client.get(f"/v1/requests/{rid}", headers=_headers(token))
                reads.append(time.perf_counter() - began)
                counts["calls"] += 1
                counts["errors"] += answer.status_code != 200
                continue
            a, b = (str(n) for n in rng.choice(nodes, size=2, replace=False))
            answer = await client.post("/v1/requests", headers=_headers(token), json={
                "between": [a, b], "min_fidelity": 0.5, "rate_hz": float(rng.uniform(1.0, 5.0))})
            admissions.append(time.perf_counter() - began)
            counts["calls"] += 1
            counts["admissions"] += 1
            counts["errors"] += answer.status_code not in (201, 409)
            if answer.status_code == 201:
                counts["admitted"] += 1
                gone = await client.delete(f"/v1/requests/{answer.json()['id']}",
                                           headers=_headers(token))
                counts["calls"] += 1
                counts["errors"] += gone.status_code != 200


def _admission_buckets(metrics: str) -> list[tuple[float, float]]:
    """The server's admission-time histogram: (bound, cumulative count) per bucket."""
    buckets = []
    for line in metrics.splitlines():
        if line.startswith("qinet_eaas_admission_duration_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float(bound), float(line.split()[-1])))
    return buckets


def _p99_bound(before: list[tuple[float, float]], after: list[tuple[float, float]]
               ) -> float | None:
    """The bound of the bucket holding the 99th percentile of the admissions between two
    scrapes (Prometheus cumulative buckets)."""
    counts = [(bound, n - m) for (bound, n), (_, m) in zip(after, before, strict=True)]
    if not counts or counts[-1][1] == 0:
        return None
    total = counts[-1][1]
    return next(bound for bound, count in counts if count >= 0.99 * total)


async def _phase(url: str, client: httpx.AsyncClient, active: list[tuple[str, str]],
                 nodes: list[str], *, clients: int, duration_s: float, speedup: float,
                 seed: int, offered: float | None) -> Outcome:
    """One load phase of ``clients`` clients: closed loop (``offered`` None) or paced."""
    before = (await client.get("/v1/network")).json()
    buckets_before = _admission_buckets((await client.get("/metrics")).text)
    wall_before = time.perf_counter()
    reads: list[float] = []
    admissions: list[float] = []
    counts = {"calls": 0, "errors": 0, "admissions": 0, "admitted": 0}
    # the clients are made before the clock starts (each would otherwise build its own
    # TLS context, some 10 ms of CPU, while the others wait), one connection each
    shared_tls = ssl.create_default_context()
    pool = [httpx.AsyncClient(base_url=url, timeout=30.0, verify=shared_tls,
                              limits=httpx.Limits(max_connections=1))
            for _ in range(clients)]
    start = time.perf_counter() + 0.5  # after every client has connected
    end = start + duration_s
    period_s = None if offered is None else clients / offered
    await asyncio.gather(*(
        _client(pool[i], active, nodes, start, end, period_s,
                np.random.default_rng([seed, i]), reads, admissions, counts)
        for i in range(clients)))
    load_s = max(duration_s, time.perf_counter() - start) if offered is None else duration_s
    wall_s = time.perf_counter() - wall_before
    after = (await client.get("/v1/network")).json()
    buckets_after = _admission_buckets((await client.get("/metrics")).text)
    simulated_s = after["simulated_s"] - before["simulated_s"]
    return Outcome(
        clients=clients, offered_calls_per_s=offered, duration_s=load_s, speedup=speedup,
        active_requests=after["requests_active"], calls=counts["calls"],
        errors=counts["errors"], calls_per_s=counts["calls"] / load_s,
        read_p50_s=float(np.percentile(reads, 50)), read_p99_s=float(np.percentile(reads, 99)),
        admissions=counts["admissions"], admitted=counts["admitted"],
        admission_p50_s=float(np.percentile(admissions, 50)) if admissions else float("nan"),
        admission_p99_s=float(np.percentile(admissions, 99)) if admissions else float("nan"),
        server_admission_p99_s=_p99_bound(buckets_before, buckets_after),
        simulated_s=simulated_s, real_time_factor=simulated_s / wall_s,
        lag_growth_s=after["lag_s"] - before["lag_s"], load_average=os.getloadavg())


async def _run(url: str, tokens: dict[str, str], *, clients: int, duration_s: float,
               speedup: float, seed: int, offered: list[float | None]) -> list[Outcome]:
    rng = np.random.default_rng(seed)
    async with httpx.AsyncClient(base_url=url, timeout=10.0,
                                 headers=_headers(next(iter(tokens.values())))) as client:
        nodes = [n["name"] for n in (await client.get("/v1/network")).json()["nodes"]]
        active = await _seed_requests(url, tokens, nodes, rng)
        return [await _phase(url, client, active, nodes, clients=clients,
                             duration_s=duration_s, speedup=speedup, seed=seed + k,
                             offered=rate) for k, rate in enumerate(offered)]


def measure(*, clients: int = 100, duration_s: float = 10.0, speedup: float = 1.0,
            seed: int = 1, offered: tuple[float | None, ...] = (None, 100.0)
            ) -> list[Outcome]:
    """Start the service, run each load phase (``None``: closed loop; a number: that
    many calls a second offered by the clients together), stop the service."""
    duration_s = min(duration_s, MAX_DURATION_S)
    with tempfile.TemporaryDirectory(prefix="qinet-eaas-load-") as tmp:
        root = Path(tmp)
        tokens = _tokens(root)
        ready = root / "ready.json"
        server = subprocess.Popen(
            [sys.executable, "-m", "qinet", "eaas", SCENARIO, "--tokens",
             str(root / "tokens.txt"), "--host", "127.0.0.1", "--port", "0", "--speedup",
             str(speedup), "--seed", str(seed), "--ready-file", str(ready)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not ready.exists():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the entanglement service did not start")
                time.sleep(0.05)
            url = json.loads(ready.read_text())["url"]
            return asyncio.run(_run(url, tokens, clients=clients, duration_s=duration_s,
                                    speedup=speedup, seed=seed, offered=list(offered)))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)


def _report(outcomes: list[Outcome]) -> None:
    ms = 1e3

    def load(o: Outcome) -> str:
        return "closed loop" if o.offered_calls_per_s is None else \
            f"{o.offered_calls_per_s:g} calls/s offered"

    rows: list[tuple[str, list[Any]]] = [
        ("load", [load(o) for o in outcomes]),
        ("clients", [o.clients for o in outcomes]),
        ("active requests", [o.active_requests for o in outcomes]),
        ("load phase (s)", [f"{o.duration_s:.1f}" for o in outcomes]),
        ("calls (errors)", [f"{o.calls} ({o.errors})" for o in outcomes]),
        ("calls per second", [f"{o.calls_per_s:.0f}" for o in outcomes]),
        ("status read p50 / p99 (ms)",
         [f"{o.read_p50_s * ms:.1f} / {o.read_p99_s * ms:.1f}" for o in outcomes]),
        ("admissions (admitted)", [f"{o.admissions} ({o.admitted})" for o in outcomes]),
        ("admission p50 / p99, client (ms)",
         [f"{o.admission_p50_s * ms:.1f} / {o.admission_p99_s * ms:.1f}" for o in outcomes]),
        ("admission p99, server (ms, bucket)",
         ["-" if o.server_admission_p99_s is None else f"<= {o.server_admission_p99_s * ms:g}"
          for o in outcomes]),
        ("real-time factor (sim s / wall s)",
         [f"{o.real_time_factor:.3f} (x{o.speedup:g} asked)" for o in outcomes]),
        ("lag grown (simulated s)", [f"{o.lag_growth_s:.3f}" for o in outcomes]),
        ("load average after (1, 5, 15 min)",
         [" ".join(f"{x:.2f}" for x in o.load_average) for o in outcomes]),
    ]
    width = max(len(name) for name, _ in rows)
    cells = [max(len(str(row[1][k])) for row in rows) for k in range(len(outcomes))]
    for name, values in rows:
        print(f"{name:<{width}}  " + "  ".join(f"{v!s:<{cells[k]}}"
                                               for k, v in enumerate(values)))
    for o in outcomes:
        if o.offered_calls_per_s is None:
            continue
        print(f"{load(o)}: p99 admission < {GOAL_ADMISSION_P99_S * ms:.0f} ms "
              f"{'met' if o.admission_p99_s < GOAL_ADMISSION_P99_S else 'NOT met'}; "
              f"real-time factor >= 1 {'met' if o.real_time_factor >= 0.99 else 'NOT met'} "
              f"(1 % for the timing of the two samples)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0,
                        help=f"seconds of each load phase (at most {MAX_DURATION_S:g})")
    parser.add_argument("--rates", default="100",
                        help="calls/s offered by the clients together in the paced phases, "
                             "comma-separated (a closed-loop phase runs first)")
    parser.add_argument("--speedup", type=float, default=1.0,
                        help="simulated seconds per wall second asked of the service")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    offered = (None, *(float(r) for r in args.rates.split(",") if r))
    outcomes = measure(clients=args.clients, duration_s=args.duration, speedup=args.speedup,
                       seed=args.seed, offered=offered)
    if args.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        _report(outcomes)


if __name__ == "__main__":
    main()
