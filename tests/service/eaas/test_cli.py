"""`qinet eaas` as a user runs it: a subprocess, a tokens file, SIGTERM to stop."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import yaml

from tests.service.conftest import launch

from .conftest import ALICE, small_network


def test_qinet_eaas_serves_until_sigterm(tmp_path):
    scenario = tmp_path / "net.yaml"
    scenario.write_text(yaml.safe_dump(small_network()))
    tokens = tmp_path / "tokens.txt"
    tokens.write_text(f"# tenant token\nalice {ALICE}\n")
    ready = tmp_path / "ready.json"
    process = launch(
        [sys.executable, "-m", "qinet", "eaas", str(scenario), "--tokens", str(tokens),
         "--port", "0", "--ready-file", str(ready)],
        ready, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = json.loads(ready.read_text())["url"]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {ALICE}"}) as c:
            answer = c.post("/v1/requests", json={"between": ["n0", "n2"],
                                                  "min_fidelity": 0.5, "rate_hz": 20})
            assert answer.status_code == 201, answer.text
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err.decode()


def test_a_bad_tokens_file_is_named(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("alice short\n")
    result = subprocess.run(
        [sys.executable, "-m", "qinet", "eaas", "chain-9", "--tokens", str(tokens),
         "--port", "0"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "tokens" in result.stderr
    assert "16" in result.stderr
