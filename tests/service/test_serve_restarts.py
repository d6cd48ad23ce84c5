"""``qinet serve`` with its scenario supply, stopped and killed: key bytes are never reissued.

The service runs as ``python -m qinet serve`` on a two-KME scenario (one decoy BB84
link), so keys come from the real supply path: amounts from the simulated link, bytes
from the OS CSPRNG, deposits committed with the supply's clock. The tests check:

* restarted on the same store (SIGTERM, then SIGKILL), the service never hands out a key
  it handed out before, and its supply continues from the simulated time the store
  recorded (it does not replay from zero);
* two services started from the same scenario and seed hand out different bytes (the
  key material is not a function of anything in the file);
* SIGKILL under load, repeatedly: every key acknowledged to a master reaches its slave
  at most once with the same bytes, acknowledged keys not yet delivered survive, and no
  two key_IDs carry the same bytes.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qinet.service.certs import client_ssl_context
from qinet.service.kms.store import STORE_FILE, KeyStore
from tests.service.conftest import launch
from tests.service.test_crash import (
    KEY_BYTES,
    PAIRS,
    Ledger,
    nothing_left_to_deliver,
    settle,
    traffic,
)

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = """
name: kms-restarts
seed: 5
nodes:
  - {name: alice, saes: [alice-app, alice-app2]}
  - {name: bob, saes: [bob-app, bob-app2]}
links:
  - {between: [alice, bob], length: 10 km, scheme: qkd}
demands:
  - {kind: qkd, protocol: bb84-decoy, between: [alice, bob], source_rate: 20 MHz,
     block_size: 200000, epsilon_sec: 1.0e-6, intensity_probabilities: [0.7, 0.2, 0.1]}
"""


@pytest.fixture
def scenario(tmp_path) -> Path:
    path = tmp_path / "kms.yaml"
    path.write_text(SCENARIO)
    return path


def start_serve(scenario: Path, pki, data: Path, ready: Path) -> subprocess.Popen:
    """``qinet serve`` in its own process; returns once every KME listens."""
    return launch([sys.executable, "-m", "qinet", "serve", str(scenario), "--certs",
                   str(pki.root), "--data", str(data), "--port", "0", "--ready-file",
                   str(ready)], ready, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fetch_keys(url: str, pki, *, wanted: int, within_s: float = 60.0) -> dict[str, bytes]:
    """At least ``wanted`` keys for alice-app (slave bob-app), as the pool fills."""
    keys: dict[str, bytes] = {}
    deadline = time.monotonic() + within_s
    with httpx.Client(base_url=url, verify=client_ssl_context(pki, "alice-app"),
                      timeout=10) as client:
        while len(keys) < wanted and time.monotonic() < deadline:
            response = client.get("/api/v1/keys/bob-app/enc_keys", params={"number": 8})
            if response.status_code == 503:  # the pool is empty for now
                time.sleep(0.1)
                continue
            assert response.status_code == 200, response.text
            for entry in response.json()["keys"]:
                keys[entry["key_ID"]] = base64.b64decode(entry["key"])
    assert len(keys) >= wanted, f"only {len(keys)} keys in {within_s} s"
    return keys


def driver_state(url: str, pki) -> dict:
    with httpx.Client(base_url=url, verify=client_ssl_context(pki, "alice-app")) as client:
        return client.get("/status").json()["driver"]


def stop(process: subprocess.Popen, how: signal.Signals) -> None:
    process.send_signal(how)
    status = process.wait(30)
    assert status == (0 if how == signal.SIGTERM else -signal.SIGKILL)


def test_a_restarted_service_continues_and_never_reissues_key_bytes(tmp_path, pki, scenario):
    data, ready = tmp_path / "data", tmp_path / "ready.json"
    issued: list[dict[str, bytes]] = []
    clocks = []
    for how in (signal.SIGTERM, signal.SIGKILL, signal.SIGTERM):
        process = start_serve(scenario, pki, data, ready)
        try:
            url = json.loads(ready.read_text())["alice"]
            issued.append(fetch_keys(url, pki, wanted=64))
            state = driver_state(url, pki)
        finally:
            stop(process, how)
        clocks.append(state)
    # the supply started three times on this store, each time where the last one stopped
    assert [s["starts"] for s in clocks] == [1, 2, 3]
    assert all(s["key_material"] == "os-csprng" for s in clocks)
    # each start continues from where the one before had got (at least as far as its
    # status said: ticks after the status reading were committed too)
    assert clocks[0]["resumed_from_s"] == 0
    assert clocks[0]["simulated_s"] > 0  # the first start's pool was empty: it ticked
    for before, after in itertools.pairwise(clocks):
        assert after["resumed_from_s"] >= before["simulated_s"] > 0
        assert after["simulated_s"] >= after["resumed_from_s"]
    every_key = [key for batch in issued for key in batch.values()]
    assert len(every_key) >= 3 * 64
    assert len(set(every_key)) == len(every_key), "a key was handed out twice"
    ids = [key_id for batch in issued for key_id in batch]
    assert len(set(ids)) == len(ids)
    with KeyStore.open(data) as store:
        assert store.start_supply().result().starts == 4


def test_the_same_scenario_and_seed_give_different_key_bytes(tmp_path, pki, scenario):
    first_keys = []
    for run in ("one", "two"):
        ready = tmp_path / f"ready-{run}.json"
        process = start_serve(scenario, pki, tmp_path / run, ready)
        try:
            keys = fetch_keys(json.loads(ready.read_text())["alice"], pki, wanted=8)
        finally:
            stop(process, signal.SIGTERM)
        first_keys.append(set(keys.values()))
    assert not first_keys[0] & first_keys[1]


def no_two_key_ids_share_bytes(ledger: Ledger, data: Path) -> None:
    """Neither among the keys the masters saw, nor between them and those still stored
    (issued to a master whose answer died with the process)."""
    owner = {key: key_id for key_id, (_, key) in ledger.master.items()}
    assert all(len(key) == KEY_BYTES for key in owner)
    assert len(owner) == len(ledger.master)
    with sqlite3.connect(data / STORE_FILE) as db:
        stored = db.execute("SELECT key_id, material FROM keys").fetchall()
    assert all(owner.get(material, key_id) == key_id for key_id, material in stored)


def kill_under_load(tmp_path, pki, scenario: Path, *, rounds: int, clients_per_sae: int,
                    kill_after_keys: int) -> Ledger:
    data, ready = tmp_path / "data", tmp_path / "ready.json"
    ledger = Ledger()
    for _ in range(rounds):
        process = start_serve(scenario, pki, data, ready)
        urls = json.loads(ready.read_text())
        fetch_keys(urls["alice"], pki, wanted=1)  # wait for the first block of key
        asyncio.run(traffic(ledger, pki, urls, clients_per_sae=clients_per_sae,
                            process=process, kill_after_keys=kill_after_keys))
        process = start_serve(scenario, pki, data, ready)
        try:
            settle(ledger, pki, json.loads(ready.read_text()))
        finally:
            stop(process, signal.SIGTERM)
        nothing_left_to_deliver(ledger, data)
        assert not ledger.master_duplicates
        assert not ledger.slave_twice
        ledger.slave_in_flight.clear()
        for queue in ledger.queues.values():
            while not queue.empty():
                queue.get_nowait()
    no_two_key_ids_share_bytes(ledger, data)
    # every slave got exactly the bytes its master got
    assert all(ledger.slave[key_id] == key for key_id, (_, key) in ledger.master.items()
               if key_id in ledger.slave)
    assert set(PAIRS.values()) == {slave for slave, _ in ledger.master.values()}
    return ledger


def test_kill_9_of_qinet_serve_under_load_repeats_no_key(tmp_path, pki, scenario):
    ledger = kill_under_load(tmp_path, pki, scenario, rounds=2, clients_per_sae=4,
                             kill_after_keys=80)
    assert len(ledger.master) >= 160


@pytest.mark.slow
def test_repeated_kill_9_of_qinet_serve_under_heavier_load(tmp_path, pki, scenario):
    ledger = kill_under_load(tmp_path, pki, scenario, rounds=5, clients_per_sae=10,
                             kill_after_keys=300)
    assert len(ledger.master) >= 1500


def shut_down_repeatedly(tmp_path, pki, scenario: Path, times: int) -> None:
    """Start ``qinet serve`` (its supply busy at 4x real time), stop it with SIGINT or
    SIGTERM at varied moments; every stop must be clean (status 0, no abort)."""
    for i in range(times):
        ready = tmp_path / "ready.json"
        process = launch(
            [sys.executable, "-m", "qinet", "serve", str(scenario), "--certs", str(pki.root),
             "--data", str(tmp_path / "data"), "--port", "0", "--ready-file", str(ready),
             "--speedup", "4"], ready, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        time.sleep(0.3 + 0.2 * (i % 7))  # mid-tick at different points of the supply
        process.send_signal(signal.SIGINT if i % 2 == 0 else signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr[-2000:]
        assert "terminate called" not in stderr


def test_qinet_serve_stops_cleanly_on_every_sigint_and_sigterm(tmp_path, pki, scenario):
    shut_down_repeatedly(tmp_path, pki, scenario, times=4)


@pytest.mark.slow
def test_qinet_serve_stops_cleanly_twenty_times(tmp_path, pki, scenario):
    shut_down_repeatedly(tmp_path, pki, scenario, times=20)
