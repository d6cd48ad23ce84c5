"""Load on the ETSI GS QKD 014 key service: 50 SAEs over mutual TLS on loopback.

The KMEs run as a separate process (``python -m qinet.service``), as in production;
50 master SAEs, each on its own keep-alive TLS connection with its own client
certificate, ask for 10 keys of 256 bits per request
(``GET enc_keys?number=10&size=256``). Two kinds of load:

* paced (open loop): the SAEs together offer a fixed number of keys per second, each
  sending on its own schedule; latency is measured from the scheduled send time, so a
  stalled server is charged for the requests it delayed;
* saturation (closed loop): every SAE sends its next request as soon as the last one
  is answered; this gives the most keys/s, at the latency that 50 waiting clients cause.

The clients share the machine with the server, so they are kept cheap: one asyncio
loop (uvloop when installed), one TLS stream per SAE, HTTP/1.1 written and read by hand
(the answer's status line, ``Content-Length`` and JSON body are checked: a 200 must hold
10 keys). The pool is filled before the run with bytes from the operating system's
random source: the benchmark measures the service, not the QKD simulation that feeds it.

Besides keys/s and latency the table shows, since the machine may be shared: the CPU
time of the server process and of the clients per request; the cores that everything
else kept busy during the run (``/proc/stat``: the machine's busy time less the server's
and the clients', so kernel threads working for them, such as journal commits, count
there too); and the load average (``os.getloadavg``) after each run. Goal: at least
2,000 keys/s with p99 under 50 ms.

Run: ``python benchmarks/kms_load.py [--duration 8] [--rates 1000,2000,3000]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
    answered_s: list[float]
    latencies_s: list[float]
    errors: int
    server_cpu_s: float
    client_cpu_s: float
    others_cores: float
    load_average: tuple[float, float, float]

    @property
    def keys_per_s(self) -> float:
        """Keys answered per second between the first and the last answer.

        n answers span n - 1 intervals; a server that keeps pace shows the offered rate,
        one that falls behind stretches the span and shows less.
        """
        if len(self.answered_s) < 2:
            return 0.0
        span = max(self.answered_s) - min(self.answered_s)
        return (len(self.answered_s) - 1) * KEYS_PER_REQUEST / span


class SaeConnection:
    """One SAE's keep-alive HTTPS connection (its own client certificate), HTTP/1.1 by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 host: str) -> None:
        self._reader = reader
        self._writer = writer
        self._host = host

    @classmethod
    async def open(cls, url: str, context: ssl.SSLContext) -> SaeConnection:
        parts = urlsplit(url)
        host = parts.hostname or "127.0.0.1"
        reader, writer = await asyncio.open_connection(host, parts.port, ssl=context,
                                                       server_hostname=host)
        return cls(reader, writer, parts.netloc)

    async def get(self, target: str) -> tuple[int, bytes]:
        """Send ``GET target`` and return the status and body of the answer."""
        self._writer.write(f"GET {target} HTTP/1.1\r\nHost: {self._host}\r\n"
                           "Accept: application/json\r\n\r\n".encode())
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise ConnectionError(f"answer without Content-Length: {head!r}")
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self._writer.wait_closed()


async def _sae(connection: SaeConnection, *, interval_s: float | None, start: float,
               end: float, latencies: list[float], answers: list[float],
               errors: list[int]) -> None:
    target = f"/api/v1/keys/slave/enc_keys?number={KEYS_PER_REQUEST}&size={KEY_BITS}"
    due = start
    while True:
        if interval_s is not None:
            due += interval_s
            if due >= end:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        sent = due if interval_s is not None else time.perf_counter()
        if sent >= end:
            return
        status, body = await connection.get(target)
        answered = time.perf_counter()
        if status == 200 and len(json.loads(body)["keys"]) == KEYS_PER_REQUEST:
            latencies.append(answered - sent)
            answers.append(answered)
        else:
            errors.append(status)


def _machine_busy_s() -> float:
    """CPU seconds all cores spent busy since boot (Linux ``/proc/stat``; NaN elsewhere)."""
    try:
        with open("/proc/stat") as stat:
            ticks = [int(x) for x in stat.readline().split()[1:9]]
    except OSError:
        return float("nan")
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _run(url: str, pki: PkiLayout, server_pid: int, *, duration_s: float,
               offered: float | None) -> Outcome:
    connections = await asyncio.gather(*(
        SaeConnection.open(url, client_ssl_context(pki, f"sae-{i:02d}")) for i in range(SAES)))
    try:
        # warm-up: one request each, so TLS handshakes are not in the numbers
        for status, body in await asyncio.gather(*(
                c.get("/api/v1/keys/slave/status") for c in connections)):
            if status != 200:
                raise SystemExit(f"warm-up failed: {status} {body!r}")
        latencies: list[float] = []
        answers: list[float] = []
        errors: list[int] = []
        interval = SAES * KEYS_PER_REQUEST / offered if offered else None
        server_cpu = _process_cpu_s(server_pid)
        client_cpu = time.process_time()
        machine = _machine_busy_s()
        start = time.perf_counter()
        end = start + duration_s
        offsets = np.arange(SAES) / SAES * (interval or 0.0)  # SAEs spread over one interval
        await asyncio.gather(*(
            _sae(c, interval_s=interval, start=start + o - (interval or 0.0), end=end,
                 latencies=latencies, answers=answers, errors=errors)
            for c, o in zip(connections, offsets, strict=True)))
        client_cpu = time.process_time() - client_cpu
        server_cpu = _process_cpu_s(server_pid) - server_cpu
        # what the rest of the machine took meanwhile, in cores: the shared-machine noise
        others = (_machine_busy_s() - machine - server_cpu - client_cpu) / (
            time.perf_counter() - start)
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    label = f"paced {offered:,.0f}/s" if offered else "saturation"
    return Outcome(label, offered, answers, latencies, len(errors), server_cpu, client_cpu,
                   max(0.0, others), os.getloadavg())


def _run_in_loop(coroutine: Coroutine[Any, Any, Outcome]) -> Outcome:
    try:
        import uvloop
    except ImportError:  # the standard loop works too, at more CPU per request
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per load")
    parser.add_argument("--rates", default="1000,2000,3000",
                        help="offered keys/s of the paced runs, comma-separated")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",") if r]
    with tempfile.TemporaryDirectory(prefix="qinet-kms-load-") as tmp:
        outcomes, before = _measure(Path(tmp), rates, args.duration)
    _report(outcomes, before)


def _measure(root: Path, rates: list[float], duration_s: float
             ) -> tuple[list[Outcome], tuple[float, float, float]]:
    """PKI and store under ``root``, the server started, every load run; the server stopped."""
    kmes = [_Kme("alpha", tuple(f"sae-{i:02d}" for i in range(SAES))), _Kme("beta", ("slave",))]
    pki = init_pki(root / "pki", kmes)
    needed = int((max(rates, default=0) + 10_000) * duration_s * (len(rates) + 1)
                 * KEY_BITS // 8)
    # the service is measured, not QKD: the pool is filled from the OS CSPRNG, as the
    # service's own supply fills it
    with KeyStore.open(root / "data", pool_capacity_bytes=needed + 1) as store:
        store.deposit("alpha", "beta", os.urandom(needed)).result()
    ready = root / "ready.json"
    before = os.getloadavg()
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
        outcomes = [_run_in_loop(_run(url, pki, server.pid, duration_s=duration_s,
                                      offered=rate)) for rate in rates]
        outcomes.append(_run_in_loop(_run(url, pki, server.pid, duration_s=duration_s,
                                          offered=None)))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    return outcomes, before


def _meets_goal(outcome: Outcome, p99_s: float) -> bool:
    """At least the goal's keys/s with p99 under its bound, and no error.

    A paced run meets it when its offered load is at least the goal's and the server kept
    pace (1 % slack: the keys/s estimate moves with the first and last latencies).
    """
    if outcome.errors or not p99_s < GOAL_P99_S:
        return False
    if outcome.offered is not None:
        return outcome.offered >= GOAL_KEYS_PER_S and outcome.keys_per_s >= 0.99 * outcome.offered
    return outcome.keys_per_s >= GOAL_KEYS_PER_S


def _report(outcomes: list[Outcome], before: tuple[float, float, float]) -> None:
    table = Table(title=f"KMS load: {SAES} SAEs, {KEYS_PER_REQUEST} keys of {KEY_BITS} bits "
                        f"per request, mutual TLS on loopback ({os.cpu_count()} cores, shared)")
    for column in ("load", "requests", "keys/s", "p50 ms", "p99 ms", "max ms", "errors",
                   "server CPU ms/req", "client CPU ms/req", "other cores busy",
                   "load avg 1 min", "goal"):
        table.add_column(column, justify="right")
    for o in outcomes:
        lat = np.array(o.latencies_s) if o.latencies_s else np.array([np.nan])
        p50, p99 = np.percentile(lat, [50, 99])
        met = _meets_goal(o, p99)
        requests = max(1, len(o.latencies_s) + o.errors)
        table.add_row(o.label, f"{len(o.latencies_s):,}", f"{o.keys_per_s:,.0f}",
                      f"{1e3 * p50:.1f}", f"{1e3 * p99:.1f}", f"{1e3 * np.max(lat):.1f}",
                      str(o.errors), f"{1e3 * o.server_cpu_s / requests:.2f}",
                      f"{1e3 * o.client_cpu_s / requests:.2f}", f"{o.others_cores:.2f}",
                      f"{o.load_average[0]:.2f}",
                      "met" if met else "-")
    console = Console(width=160)
    console.print(table)
    console.print(f"load average (1, 5, 15 min) before the server started: "
                  f"{before[0]:.2f}, {before[1]:.2f}, {before[2]:.2f}; after the last run: "
                  f"{', '.join(f'{x:.2f}' for x in outcomes[-1].load_average)}")
    console.print(f"goal: >= {GOAL_KEYS_PER_S:,} keys/s with p99 < {1e3 * GOAL_P99_S:.0f} ms")


if __name__ == "__main__":
    main()
