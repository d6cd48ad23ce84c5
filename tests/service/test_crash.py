"""kill -9 in the middle of traffic: no acknowledged key lost, none handed out twice.

The service runs as a subprocess (``python -m qinet.service``) on a store filled with
decoy BB84 key material. Concurrent masters ask for keys (GET and POST) and pass the
key_IDs to concurrent slaves, every acknowledged answer is recorded, the server is
killed with SIGKILL, restarted on the same data, and then:

* every key_ID acknowledged to a master and not yet to its slave is delivered to the
  slave exactly once, with the master's bytes;
* a key acknowledged to the slave before the kill is never delivered again;
* a key whose dec_keys request was in flight at the kill is delivered at most once in
  all (the answer may have been committed and lost with the connection);
* no key_ID and no key bytes were handed to masters twice, and every key is its own
  slice of the QKD output (no byte used by two keys).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from qinet.service.certs import client_ssl_context
from qinet.service.kms.store import STORE_FILE, KeyStore
from tests.service.conftest import launch, store_service_command
from tests.service.qkd_supply import qkd_key_bytes

ROOT = Path(__file__).resolve().parents[2]
PAIRS = {"alice-app": "bob-app", "alice-app2": "bob-app2"}  # master -> slave
KEY_BYTES = 32


@dataclass
class Ledger:
    """What the clients were told, and what was in flight when the server died."""

    master: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (slave, key)
    master_duplicates: list[str] = field(default_factory=list)
    slave: dict[str, bytes] = field(default_factory=dict)
    slave_twice: list[str] = field(default_factory=list)
    slave_in_flight: set[str] = field(default_factory=set)
    queues: dict[str, asyncio.Queue] = field(default_factory=dict)


def start_server(pki, data: Path, ready: Path) -> subprocess.Popen:
    return launch(store_service_command(pki, data, ready, "--log-level", "WARNING"), ready,
                  stdout=subprocess.DEVNULL)


async def master_loop(ledger: Ledger, pki, url: str, master: str, n: int,
                      stop: asyncio.Event) -> None:
    slave = PAIRS[master]
    async with httpx.AsyncClient(base_url=url, verify=client_ssl_context(pki, master),
                                 timeout=5) as client:
        while not stop.is_set():
            path = f"/api/v1/keys/{slave}/enc_keys"
            try:
                if n % 2:
                    response = await client.get(path, params={"number": 2})
                else:
                    response = await client.post(path, json={"number": 3, "size": 256})
            except httpx.TransportError:
                return
            n += 1
            if response.status_code != 200:
                continue  # an empty pool (503) is an answer too, with nothing handed out
            for entry in response.json()["keys"]:
                if entry["key_ID"] in ledger.master:
                    ledger.master_duplicates.append(entry["key_ID"])
                ledger.master[entry["key_ID"]] = (slave, base64.b64decode(entry["key"]))
                ledger.queues[slave].put_nowait(entry["key_ID"])


async def slave_loop(ledger: Ledger, pki, url: str, slave: str, master: str, n: int,
                     stop: asyncio.Event) -> None:
    queue = ledger.queues[slave]
    async with httpx.AsyncClient(base_url=url, verify=client_ssl_context(pki, slave),
                                 timeout=5) as client:
        while not stop.is_set():
            if queue.empty():
                await asyncio.sleep(0.01)
                continue
            ids = []
            while len(ids) < 4 and not queue.empty():
                ids.append(queue.get_nowait())
            ledger.slave_in_flight.update(ids)
            path = f"/api/v1/keys/{master}/dec_keys"
            try:
                if n % 2 and len(ids) == 1:
                    response = await client.get(path, params={"key_ID": ids[0]})
                else:
                    response = await client.post(path, json={
                        "key_IDs": [{"key_ID": i} for i in ids]})
            except httpx.TransportError:
                return  # killed: these stay in flight
            n += 1
            ledger.slave_in_flight.difference_update(ids)
            assert response.status_code == 200, response.text
            for entry in response.json()["keys"]:
                if entry["key_ID"] in ledger.slave:
                    ledger.slave_twice.append(entry["key_ID"])
                ledger.slave[entry["key_ID"]] = base64.b64decode(entry["key"])


async def traffic(ledger: Ledger, pki, urls: dict[str, str], *, clients_per_sae: int,
                  process: subprocess.Popen, kill_after_keys: int) -> None:
    for slave in PAIRS.values():
        ledger.queues.setdefault(slave, asyncio.Queue())
    stop = asyncio.Event()
    tasks = []
    for i in range(clients_per_sae):
        for master, slave in PAIRS.items():
            tasks.append(asyncio.create_task(
                master_loop(ledger, pki, urls["alice"], master, i, stop)))
            tasks.append(asyncio.create_task(
                slave_loop(ledger, pki, urls["bob"], slave, master, i, stop)))
    # kill once enough keys went both ways (a shared machine sets the pace, not a timer)
    master_goal = len(ledger.master) + kill_after_keys
    slave_goal = len(ledger.slave) + kill_after_keys // 3
    deadline = time.monotonic() + 60
    while ((len(ledger.master) < master_goal or len(ledger.slave) < slave_goal)
           and time.monotonic() < deadline):
        await asyncio.sleep(0.02)
    process.send_signal(signal.SIGKILL)  # mid-traffic: requests are in flight
    process.wait()
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*tasks)


def settle(ledger: Ledger, pki, urls: dict[str, str]) -> None:
    """After a restart: every pending key is delivered once; none is delivered twice."""
    owners = {slave: master for master, slave in PAIRS.items()}
    clients = {slave: httpx.Client(base_url=urls["bob"], verify=client_ssl_context(pki, slave))
               for slave in owners}
    try:
        pending: dict[str, list[str]] = {slave: [] for slave in owners}
        for key_id, (slave, key) in ledger.master.items():
            path = f"/api/v1/keys/{owners[slave]}/dec_keys"
            if key_id in ledger.slave:
                again = clients[slave].get(path, params={"key_ID": key_id})
                assert again.status_code == 400, f"{key_id} delivered again after a restart"
            elif key_id in ledger.slave_in_flight:
                # the answer may have been committed and lost with the connection
                first = clients[slave].get(path, params={"key_ID": key_id})
                assert first.status_code in (200, 400)
                if first.status_code == 200:
                    assert base64.b64decode(first.json()["keys"][0]["key"]) == key
                ledger.slave[key_id] = key
            else:
                pending[slave].append(key_id)
        for slave, ids in pending.items():
            for start in range(0, len(ids), 100):  # all or nothing: each key must be there
                batch = ids[start:start + 100]
                response = clients[slave].post(f"/api/v1/keys/{owners[slave]}/dec_keys",
                                               json={"key_IDs": [{"key_ID": i} for i in batch]})
                assert response.status_code == 200, f"acknowledged key lost: {response.text}"
                for entry in response.json()["keys"]:
                    assert base64.b64decode(entry["key"]) == ledger.master[entry["key_ID"]][1]
                    ledger.slave[entry["key_ID"]] = ledger.master[entry["key_ID"]][1]
    finally:
        for client in clients.values():
            client.close()


def nothing_left_to_deliver(ledger: Ledger, data: Path) -> None:
    """Every key the clients saw is gone from the store: none can be delivered again."""
    db = sqlite3.connect(data / STORE_FILE)
    try:
        left = {row[0] for row in db.execute("SELECT key_id FROM key_slaves")}
    finally:
        db.close()
    assert not left & set(ledger.master)


def check_keys_are_disjoint_slices(ledger: Ledger, material: bytes) -> None:
    keys = [key for _, key in ledger.master.values()]
    assert len(set(keys)) == len(keys)
    offsets = sorted(material.find(key) for key in keys)
    assert offsets[0] >= 0
    assert all(b - a >= KEY_BYTES for a, b in itertools.pairwise(offsets))


def pool_accounts(data: Path) -> None:
    with KeyStore.open(data) as store:
        level = store.levels()[("alice", "bob")]
    assert level.stored_bytes + KEY_BYTES * level.keys_issued == level.deposited_bytes


def crash_and_recover(tmp_path, pki, material: bytes, *, rounds: int, clients_per_sae: int,
                      kill_after_keys: int) -> Ledger:
    data, ready = tmp_path / "data", tmp_path / "ready.json"
    with KeyStore.open(data) as store:
        store.deposit("alice", "bob", material).result()
    ledger = Ledger()
    for _ in range(rounds):
        process = start_server(pki, data, ready)
        urls = json.loads(ready.read_text())
        asyncio.run(traffic(ledger, pki, urls, clients_per_sae=clients_per_sae,
                            process=process, kill_after_keys=kill_after_keys))
        process = start_server(pki, data, ready)
        try:
            settle(ledger, pki, json.loads(ready.read_text()))
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
        nothing_left_to_deliver(ledger, data)
        assert not ledger.master_duplicates
        assert not ledger.slave_twice
        ledger.slave_in_flight.clear()
        for queue in ledger.queues.values():  # settled above
            while not queue.empty():
                queue.get_nowait()
        pool_accounts(data)
    check_keys_are_disjoint_slices(ledger, material)
    return ledger


def test_kill_9_loses_no_acknowledged_key_and_repeats_none(tmp_path, pki, qkd_material):
    ledger = crash_and_recover(tmp_path, pki, qkd_material, rounds=1, clients_per_sae=6,
                               kill_after_keys=120)
    assert len(ledger.master) >= 120  # the traffic really ran before the kill


@pytest.mark.slow
def test_repeated_kill_9_under_heavier_traffic(tmp_path, pki):
    material = b"".join(qkd_key_bytes(seed=seed) for seed in (77, 78, 79, 80))
    ledger = crash_and_recover(tmp_path, pki, material, rounds=4, clients_per_sae=15,
                               kill_after_keys=400)
    assert len(ledger.master) >= 1600


def test_the_service_stops_cleanly_on_sigterm(tmp_path, pki):
    process = start_server(pki, tmp_path / "data", tmp_path / "ready.json")
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert os.path.exists(tmp_path / "data" / "keys.sqlite3")
