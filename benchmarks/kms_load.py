"""Load on the ETSI GS QKD 014 key service: 50 SAEs over mutual TLS on loopback.

The KMEs run as a separate process (``python -m qinet.service``), as in production;
50 master SAEs, each on its own keep-alive TLS connection, ask for 10 keys of 256 bits
per request (``GET enc_keys?number=10&size=256``). Two kinds of load:

* paced (open loop): the SAEs together offer a fixed number of keys per second, each
  sending on its own schedule; latency is measured from the scheduled send time, so a
  stalled server is charged for the requests it delayed;
* saturation (closed loop): every SAE sends its next request as soon as the last one
  is answered; this gives the most keys/s, at the latency that 50 waiting clients cause.

The pool is filled before the run with bytes from the operating system's random source:
the benchmark measures the service, not the QKD simulation that feeds it. Goal: at least
2,000 keys/s with p99 under 50 ms. The clients share the machine with the server (and
with whatever else runs on it), so the numbers are a floor for the service.

Run: ``python benchmarks/kms_load.py [--duration 8] [--rates 1000,2000,3000]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from qinet.service.certs import PkiLayout, client_ssl_context, init_pki
from qinet.service.kms.store import KeyStore

SAES = 50
KEYS_PER_REQUEST = 10
KEY_BITS = 256
GOAL_KEYS_PER_S = 2000
GOAL_P99_S = 0.050


@dataclass(frozen=True)
class _Kme:
    name: str
    saes: tuple[str, ...]


@dataclass
class Outcome:
    label: str
    offered: float | None
    wall_s: float
    latencies_s: list[float]
    errors: int

    @property
    def keys_per_s(self) -> float:
        return len(self.latencies_s) * KEYS_PER_REQUEST / self.wall_s


async def _sae(client: httpx.AsyncClient, *, interval_s: float | None, start: float,
               end: float, latencies: list[float], errors: list[int]) -> None:
    path = f"/api/v1/keys/slave/enc_keys?number={KEYS_PER_REQUEST}&size={KEY_BITS}"
    due = start
    while True:
        if interval_s is not None:
            due += interval_s
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        sent = due if interval_s is not None else time.perf_counter()
        if sent >= end:
            return
        response = await client.get(path)
        if response.status_code == 200:
            latencies.append(time.perf_counter() - sent)
        else:
            errors.append(response.status_code)


async def _run(url: str, pki: PkiLayout, *, duration_s: float,
               offered: float | None) -> Outcome:
    clients = [httpx.AsyncClient(base_url=url, verify=client_ssl_context(pki, f"sae-{i:02d}"),
                                 timeout=30) for i in range(SAES)]
    try:
        # warm-up: one request each, so TLS handshakes are not in the numbers
        await asyncio.gather(*(c.get("/api/v1/keys/slave/status") for c in clients))
        latencies: list[float] = []
        errors: list[int] = []
        interval = SAES * KEYS_PER_REQUEST / offered if offered else None
        start = time.perf_counter()
        end = start + duration_s
        offsets = np.arange(SAES) / SAES * (interval or 0.0)  # SAEs spread over one interval
        await asyncio.gather(*(
            _sae(c, interval_s=interval, start=start + o - (interval or 0.0), end=end,
                 latencies=latencies, errors=errors) for c, o in zip(clients, offsets,
                                                                        strict=True)))
        wall = time.perf_counter() - start
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    label = f"paced {offered:,.0f} keys/s" if offered else "saturation"
    return Outcome(label, offered, wall, latencies, len(errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per load")
    parser.add_argument("--rates", default="1000,2000,3000",
                        help="offered keys/s of the paced runs, comma-separated")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r]
    root = Path(tempfile.mkdtemp(prefix="qinet-kms-load-"))
    kmes = [_Kme("alpha", tuple(f"sae-{i:02d}" for i in range(SAES))), _Kme("beta", ("slave",))]
    pki = init_pki(root / "pki", kmes)
    needed = int((max(rates, default=0) + 10_000) * args.duration * (len(rates) + 1)
                 * KEY_BITS // 8)
    with KeyStore.open(root / "data", pool_capacity_bytes=needed + 1) as store:
        store.deposit("alpha", "beta", os.urandom(needed)).result()
    ready = root / "ready.json"
    server = subprocess.Popen(
        [sys.executable, "-m", "qinet.service", "--certs", str(pki.root), "--data",
         str(root / "data"), "--port", "0", "--ready-file", str(ready), "--log-level",
         "WARNING", "--kme", f"alpha={','.join(kmes[0].saes)}", "--kme", "beta=slave"],
        stdout=subprocess.DEVNULL)
    try:
        while not ready.exists():
            if server.poll() is not None:
                raise SystemExit("the key service did not start")
            time.sleep(0.05)
        url = json.loads(ready.read_text())["alpha"]
        outcomes = [asyncio.run(_run(url, pki, duration_s=args.duration, offered=rate))
                    for rate in rates]
        outcomes.append(asyncio.run(_run(url, pki, duration_s=args.duration, offered=None)))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    _report(outcomes)


def _report(outcomes: list[Outcome]) -> None:
    table = Table(title=f"KMS load: {SAES} SAEs, {KEYS_PER_REQUEST} keys of {KEY_BITS} bits "
                        f"per request, mutual TLS on loopback ({os.cpu_count()} cores, shared)")
    for column in ("load", "requests", "keys/s", "p50 ms", "p99 ms", "max ms", "errors",
                   "goal"):
        table.add_column(column, justify="right")
    for o in outcomes:
        lat = np.array(o.latencies_s) if o.latencies_s else np.array([np.nan])
        p50, p99 = np.percentile(lat, [50, 99])
        met = o.keys_per_s >= GOAL_KEYS_PER_S and p99 <= GOAL_P99_S
        table.add_row(o.label, f"{len(o.latencies_s):,}", f"{o.keys_per_s:,.0f}",
                      f"{1e3 * p50:.1f}", f"{1e3 * p99:.1f}", f"{1e3 * np.max(lat):.1f}",
                      str(o.errors), "met" if met else "-")
    console = Console()
    console.print(table)
    console.print(f"goal: >= {GOAL_KEYS_PER_S:,} keys/s with p99 < {1e3 * GOAL_P99_S:.0f} ms")


if __name__ == "__main__":
    main()
