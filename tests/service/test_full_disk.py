"""A full disk under traffic: refused requests are 503 and consume nothing; nothing
acknowledged is lost and nothing is handed out twice once there is room again.

The service runs as a subprocess whose files may not grow past a limit
(``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored, so a write past it fails with ``EFBIG``
as on a full disk). Masters and slaves keep asking until the store can no longer
commit; then the service is killed and started again without the limit.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import sqlite3
import subprocess
from pathlib import Path

import httpx

from qinet.service.certs import client_ssl_context
from qinet.service.kms.store import STORE_FILE, KeyStore
from tests.service.conftest import launch, store_service_command
from tests.service.test_crash import start_server

ROOT = Path(__file__).resolve().parents[2]
ENC = "/api/v1/keys/bob-app/enc_keys"
DEC = "/api/v1/keys/alice-app/dec_keys"


def start_limited(pki, data: Path, ready: Path, limit_bytes: int) -> subprocess.Popen:
    def limit_files() -> None:  # in the child, before exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return launch(store_service_command(pki, data, ready, "--log-level", "ERROR"), ready,
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                  preexec_fn=limit_files)


def test_a_full_disk_refuses_with_503_and_loses_nothing(tmp_path, pki, qkd_material):
    data, ready = tmp_path / "data", tmp_path / "ready.json"
    with KeyStore.open(data) as store:
        store.deposit("alice", "bob", qkd_material).result()
    largest = max(p.stat().st_size for p in data.iterdir())
    process = start_limited(pki, data, ready, limit_bytes=largest + 96 * 1024)
    urls = json.loads(ready.read_text())
    acknowledged: dict[str, bytes] = {}
    delivered: dict[str, bytes] = {}
    refused = {"enc_keys": 0, "dec_keys": 0}
    try:
        with (httpx.Client(base_url=urls["alice"], timeout=10,
                           verify=client_ssl_context(pki, "alice-app")) as master,
              httpx.Client(base_url=urls["bob"], timeout=10,
                           verify=client_ssl_context(pki, "bob-app")) as slave):
            for _ in range(2000):
                answer = master.get(ENC, params={"number": 4})
                if answer.status_code == 503:
                    refused["enc_keys"] += 1
                else:
                    assert answer.status_code == 200, answer.text
                    batch = {k["key_ID"]: base64.b64decode(k["key"])
                             for k in answer.json()["keys"]}
                    acknowledged.update(batch)
                    wanted = list(batch)[:2]  # the slave takes half
                    got = slave.post(DEC, json={"key_IDs": [{"key_ID": k} for k in wanted]})
                    if got.status_code == 503:
                        refused["dec_keys"] += 1
                    else:
                        assert got.status_code == 200, got.text
                        delivered.update({k["key_ID"]: base64.b64decode(k["key"])
                                          for k in got.json()["keys"]})
                if refused["enc_keys"] >= 20 and refused["dec_keys"] >= 5:
                    break
            errors = master.get(ENC, params={"number": 1})
            assert errors.status_code in (200, 503)
            if errors.status_code == 503:
                assert set(errors.json()) == {"message", "details"}
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert refused["enc_keys"] >= 20, "the store never filled its limit"
    assert acknowledged
    assert delivered
    # room again: every acknowledged key not yet delivered reaches its slave once
    process = start_server(pki, data, ready)
    try:
        urls = json.loads(ready.read_text())
        with httpx.Client(base_url=urls["bob"], timeout=10,
                          verify=client_ssl_context(pki, "bob-app")) as slave:
            for key_id, key in acknowledged.items():
                answer = slave.get(DEC, params={"key_ID": key_id})
                if key_id in delivered:
                    assert answer.status_code == 400, f"{key_id} delivered twice"
                else:
                    assert answer.status_code == 200, f"acknowledged key lost: {answer.text}"
                    assert base64.b64decode(answer.json()["keys"][0]["key"]) == key
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    keys = list(acknowledged.values())
    assert len(set(keys)) == len(keys)
    with sqlite3.connect(data / STORE_FILE) as db:
        stored, deposited, issued = db.execute(
            "SELECT stored_bytes, deposited_bytes, keys_issued FROM pools").fetchone()
    assert stored + 32 * issued == deposited  # refused requests took nothing
    assert os.path.getsize(data / STORE_FILE) > 0
