"""The command lines of the ETSI GS QKD 014 clients on PyPI, run as processes against the
real servers of the ``kms`` fixture: ``qkdsec`` (status, keys get, keys retrieve) and
``qkd014-client`` of etsi-qkd-014-client (get_status, get_key, get_key_with_id)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                          timeout=60, check=False)


def qkdsec_identity(kms, sae: str) -> list[str]:
    return ["--cert", str(kms.pki.sae_cert(sae)), "--key", str(kms.pki.sae_key(sae)),
            "--ca-cert", str(kms.pki.ca_cert)]


def test_qkdsec_cli_master_and_slave_get_the_same_keys(kms):
    status = run("qkdsec", "status", kms.urls["alice"], "bob-app", "--json",
                 *qkdsec_identity(kms, "alice-app"))
    assert status.returncode == 0, status.stderr
    # the CLI prints its own snake-case rendering of Status, not the wire names
    assert json.loads(status.stdout)["target_kme_id"] == "bob"
    got = run("qkdsec", "keys", "get", kms.urls["alice"], "bob-app", "-n", "2", "--json",
              *qkdsec_identity(kms, "alice-app"))
    assert got.returncode == 0, got.stderr
    keys = {k["key_id"]: k["key_hex"] for k in json.loads(got.stdout)}  # a list, in hex
    assert len(keys) == 2
    assert all(len(key) == 64 for key in keys.values())
    # the CLI names its argument slave_sae_id; dec_keys takes the master's ID there
    retrieved = run("qkdsec", "keys", "retrieve", kms.urls["bob"], "alice-app", *keys,
                    "--json", *qkdsec_identity(kms, "bob-app"))
    assert retrieved.returncode == 0, retrieved.stderr
    assert {k["key_id"]: k["key_hex"] for k in json.loads(retrieved.stdout)} == keys


def test_qkdsec_cli_reports_a_refusal_and_fails(kms):
    refused = run("qkdsec", "keys", "get", kms.urls["alice"], "bob-app", "--size", "100",
                  "--json", *qkdsec_identity(kms, "alice-app"))
    assert refused.returncode != 0
    assert "size shall be a multiple of 8" in refused.stdout + refused.stderr


def qkd014_identity(kms, sae: str, kme: str) -> list[str]:
    parts = urlsplit(kms.urls[kme])
    return ["-H", f"{parts.hostname}:{parts.port}", "-c", str(kms.pki.sae_cert(sae)),
            "-k", str(kms.pki.sae_key(sae)), "-r", str(kms.pki.ca_cert)]


def test_qkd014_client_cli_master_and_slave_get_the_same_key(kms):
    status = run("qkd014-client", *qkd014_identity(kms, "alice-app", "alice"),
                 "get_status", "bob-app")
    assert status.returncode == 0, status.stderr
    assert "bob" in status.stdout
    got = run("qkd014-client", *qkd014_identity(kms, "alice-app", "alice"),
              "get_key", "bob-app")
    assert got.returncode == 0, got.stderr
    key_id, key = _one_key(got.stdout)
    retrieved = run("qkd014-client", *qkd014_identity(kms, "bob-app", "bob"),
                    "get_key_with_id", key_id, "alice-app")
    assert retrieved.returncode == 0, retrieved.stderr
    assert _one_key(retrieved.stdout) == (key_id, key)


def _one_key(output: str) -> tuple[str, str]:
    """The key_ID and base64 key the CLI printed (``Key id : ...`` and ``Key : ...``)."""
    fields = dict(line.split(" : ", 1) for line in output.splitlines() if " : " in line)
    assert fields["Response code"] == "200", output
    return fields["Key id"].strip(), fields["Key"].strip()


def test_qkd014_client_cli_prints_a_refusal_and_exits_zero(kms):
    # the bob-carol pool of the fixture is empty: 503, which this CLI prints, exit 0
    refused = run("qkd014-client", *qkd014_identity(kms, "bob-app", "bob"),
                  "get_key", "carol-app")
    assert refused.returncode == 0
    fields = dict(line.split(" : ", 1) for line in refused.stdout.splitlines() if " : " in line)
    assert fields["Response code"] == "503"
    assert "holds 0 bytes" in fields["Message"]
