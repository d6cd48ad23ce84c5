"""What an operator sees: Prometheus metrics per KME, JSON logs, API docs that work offline."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from qinet.service.certs import client_ssl_context
from tests.service.conftest import assert_error_object, launch, store_service_command
from tests.service.test_docs_offline import ABSOLUTE_URL, referenced_urls

ROOT = Path(__file__).resolve().parents[2]
ENC = "/api/v1/keys/bob-app/enc_keys"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_keys_pools_latency_and_answers(kms):
    with kms.client("alice-app", "alice") as client:
        before = samples(client.get("/metrics").text)
        answer = client.get(ENC, params={"number": 3})
        keys = [base64.b64decode(k["key"]) for k in answer.json()["keys"]]
        assert_error_object(client.get(ENC, params={"size": 100}), 400)
        scraped = client.get("/metrics")
    assert scraped.headers["content-type"].startswith("text/plain")
    after = samples(scraped.text)
    peer = (("peer", "bob"),)
    assert (after["qinet_kms_keys_issued_total", peer]
            - before["qinet_kms_keys_issued_total", peer]) == 3
    level = kms.levels()[("alice", "bob")]
    assert after["qinet_kms_pool_stored_bytes", peer] == level.stored_bytes
    ok = ("qinet_kms_responses_total", (("code", "200"), ("endpoint", "enc_keys")))
    refused = ("qinet_kms_responses_total", (("code", "400"), ("endpoint", "enc_keys")))
    assert after[ok] - before.get(ok, 0) == 1
    assert after[refused] - before.get(refused, 0) == 1
    count = ("qinet_kms_request_duration_seconds_count",
             (("endpoint", "enc_keys"), ("method", "GET")))
    assert after[count] - before.get(count, 0) == 2
    for key in keys:  # counts only: no key byte string in the exposition
        assert base64.b64encode(key).decode() not in scraped.text
        assert key.hex() not in scraped.text


def test_metrics_need_a_known_sae(kms, pki):
    with kms.client("carol-app", "alice") as client:  # an SAE of another KME may scrape
        assert client.get("/metrics").status_code == 200
        assert_error_object(client.get("/metrics", params={"x": 1}), 400)


def test_docs_pages_of_a_kme_load_nothing_from_outside(kms):
    with kms.client("alice-app", "alice") as client:
        for page in ("/docs", "/redoc"):
            html = client.get(page)
            assert html.status_code == 200
            assert ABSOLUTE_URL.findall(html.text) == []
            for url in referenced_urls(html.text):
                assert client.get(url).status_code == 200, url
        spec = client.get("/openapi.json").json()
    assert "/api/v1/keys/{slave_SAE_ID}/enc_keys" in spec["paths"]


def test_json_logs_one_object_per_line_and_no_key_bytes(tmp_path, pki, qkd_material):
    from qinet.service.kms.store import KeyStore

    data, ready = tmp_path / "data", tmp_path / "ready.json"
    with KeyStore.open(data) as store:
        store.deposit("alice", "bob", qkd_material).result()
    process = launch(store_service_command(pki, data, ready, "--log-format", "json"), ready,
                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        urls = json.loads(ready.read_text())
        with httpx.Client(base_url=urls["alice"],
                          verify=client_ssl_context(pki, "alice-app")) as client:
            keys = client.get(ENC, params={"number": 2}).json()["keys"]
            client.get(ENC, params={"size": 100})
            client.get("/api/v1/keys/" + "m" * 6000 + "/status")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    lines = [line for line in stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "logger", "message"} <= set(e) for e in entries)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", e["ts"]) for e in entries)
    messages = " ".join(e["message"] for e in entries)
    assert "enc_keys" in messages
    assert "size shall be a multiple of 8" in messages
    assert max(len(line) for line in lines) < 2000  # the 6 kB SAE ID was clipped
    for key in keys:
        assert key["key"] not in stderr
