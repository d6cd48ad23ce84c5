"""A real key service on loopback: certificates from qinet.service.certs, pools filled
with key material from decoy BB84 runs, the servers in a background thread."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from qinet.service.certs import PkiLayout, client_ssl_context, init_pki
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.server import KeyService
from qinet.service.kms.store import KeyStore, PoolLevel
from tests.service.qkd_supply import KmeSpec, qkd_key_bytes

KMES = (KmeSpec("alice", ("alice-app", "alice-app2")),
        KmeSpec("bob", ("bob-app", "bob-app2")),
        KmeSpec("carol", ("carol-app",)))
_QKD = {"kind": "qkd", "protocol": "bb84-decoy", "source_rate": "20 MHz",
        "block_size": 200000}
# both services' scenario: two trusted-relay QKD links joining the KMEs alice and bob,
# and a 1 km memory link between them
KEYS_AND_PAIRS = {
    "name": "keys-and-pairs", "seed": 3,
    "nodes": [{"name": "alice", "saes": ["alice-app"], "memories": 4},
              {"name": "relay", "trusted": True},
              {"name": "bob", "saes": ["bob-app"], "memories": 4}],
    "links": [{"between": ["alice", "relay"], "length": "5 km", "scheme": "qkd"},
              {"between": ["relay", "bob"], "length": "5 km", "scheme": "qkd"},
              {"between": ["alice", "bob"], "length": "1 km", "scheme": "double-click"}],
    "demands": [{**_QKD, "between": ["alice", "relay"]}, {**_QKD, "between": ["relay", "bob"]}],
}
SMALL_POOL_BYTES = 64  # the alice-carol pool: too small for a full request


@pytest.fixture(scope="session")
def qkd_material() -> bytes:
    """About 20 kB of distilled key from a 10 km decoy BB84 run of 2e7 pulses."""
    return qkd_key_bytes(seed=2024)


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> PkiLayout:
    return init_pki(tmp_path_factory.mktemp("pki"), KMES)


@pytest.fixture(scope="session")
def foreign_pki(tmp_path_factory) -> PkiLayout:
    """Same names, another CA: its certificates must be refused."""
    return init_pki(tmp_path_factory.mktemp("foreign-pki"), KMES)


@dataclass
class RunningKms:
    """The servers, their store and clients that present an SAE's certificate."""

    urls: dict[str, str]
    store: KeyStore
    pki: PkiLayout
    material: bytes = field(repr=False)

    def client(self, sae: str | None, kme: str, *, pki: PkiLayout | None = None
               ) -> httpx.Client:
        return httpx.Client(base_url=self.urls[kme], timeout=10.0,
                            verify=client_ssl_context(pki or self.pki, sae))

    def levels(self) -> dict[tuple[str, str], PoolLevel]:
        return dict(self.store.levels())


def start_kms(tmp_path, pki: PkiLayout, material: bytes):
    """Store with alice-bob full, alice-carol nearly empty, bob-carol empty; servers up."""
    store = KeyStore.open(tmp_path / "data")
    store.deposit("alice", "bob", material[SMALL_POOL_BYTES:]).result()
    store.deposit("alice", "carol", material[:SMALL_POOL_BYTES]).result()
    service = KeyService(directory=KmeDirectory.from_kmes(KMES), store=store, pki=pki)
    endpoints = service.start_in_thread()
    return service, RunningKms({e.kme: e.url for e in endpoints}, store, pki, material)


@pytest.fixture(scope="module")
def kms(tmp_path_factory, pki, qkd_material):
    service, running = start_kms(tmp_path_factory.mktemp("kms"), pki, qkd_material)
    yield running
    service.stop_thread()
    running.store.close()


def assert_error_object(response: httpx.Response, status: int) -> dict:
    """The answer has this status and is exactly the Error object of ETSI GS QKD 014."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message", "details"}, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], list)
    assert all(isinstance(d, dict) for d in body["details"])
    return body


ROOT = Path(__file__).resolve().parents[2]


def store_service_command(pki: PkiLayout, data: Path, ready: Path, *options: str) -> list[str]:
    """``python -m qinet.service`` serving the KMEs of these tests from the store in
    ``data`` on ephemeral ports, writing its URLs to ``ready``."""
    args = [sys.executable, "-m", "qinet.service", "--certs", str(pki.root), "--data",
            str(data), "--port", "0", "--ready-file", str(ready), *options]
    for kme in KMES:
        args += ["--kme", f"{kme.name}={','.join(kme.saes)}"]
    return args


def launch(args: list[str], ready: Path, *, within_s: float = 60.0,
           **popen: Any) -> subprocess.Popen[Any]:
    """Start a service process and return once it has written its ready file; fail the
    test if it exits or takes longer than ``within_s``."""
    ready.unlink(missing_ok=True)
    process = subprocess.Popen(args, cwd=ROOT, **popen)
    deadline = time.monotonic() + within_s
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{' '.join(args[1:4])} did not start (exit status {process.poll()})")
        time.sleep(0.05)
    return process
