"""KmeMetrics and MetricsMiddleware: fake ASGI apps driven directly, a real KeyStore."""

from __future__ import annotations

import asyncio
import base64
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from qinet.errors import ConfigError
from qinet.service.kms import metrics as metrics_module
from qinet.service.kms.metrics import LATENCY_BUCKETS_S, KmeMetrics, MetricsMiddleware
from qinet.service.kms.store import KeyStore


@pytest.fixture
def store(tmp_path):
    with KeyStore.open(tmp_path) as opened:
        yield opened


def families(metrics: KmeMetrics) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """The rendered metrics parsed back: family name → [(sample name, labels, value)]."""
    body, content_type = metrics.render()
    assert content_type.startswith("text/plain")
    return {family.name: [(s.name, s.labels, s.value) for s in family.samples]
            for family in text_string_to_metric_families(body.decode())}


def by_labels(samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(labels.items())): value for sample, labels, value in samples
            if sample == name}


def answering(status: int, *, chunks: int = 1, delay_s: float = 0.0):
    """A fake ASGI app answering every request with this status in ``chunks`` parts."""
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": []})
        for i in range(chunks):
            if delay_s:
                await asyncio.sleep(delay_s)
            await send({"type": "http.response.body", "body": b"x",
                        "more_body": i < chunks - 1})
    return app


def drive(app, path: str, method: str = "GET", scope_type: str = "http") -> list[dict]:
    """Run one request through an ASGI app; return the messages it sent."""
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": scope_type, "path": path, "method": method, "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent


def test_requests_are_counted_by_endpoint_method_and_code(store):
    metrics = KmeMetrics("alice", store)
    ok = MetricsMiddleware(answering(200), metrics)
    bad = metrics.asgi_middleware(answering(400))
    for _ in range(3):
        drive(ok, "/api/v1/keys/bob-app/enc_keys")
    drive(ok, "/api/v1/keys/bob-app/enc_keys", method="POST")
    drive(bad, "/api/v1/keys/alice-app/dec_keys", method="POST")
    drive(ok, "/api/v1/keys/bob-app/status")
    drive(ok, "/status")
    drive(bad, "/api/v1/keys/x/y/enc_keys", method="BREW")

    got = families(metrics)
    assert by_labels(got["qinet_kms_responses"], "qinet_kms_responses_total") == {
        (("code", "200"), ("endpoint", "enc_keys")): 4.0,
        (("code", "400"), ("endpoint", "dec_keys")): 1.0,
        (("code", "200"), ("endpoint", "status")): 1.0,
        (("code", "200"), ("endpoint", "other")): 1.0,
        (("code", "400"), ("endpoint", "other")): 1.0,
    }
    counts = by_labels(got["qinet_kms_request_duration_seconds"],
                       "qinet_kms_request_duration_seconds_count")
    assert counts == {
        (("endpoint", "enc_keys"), ("method", "GET")): 3.0,
        (("endpoint", "enc_keys"), ("method", "POST")): 1.0,
        (("endpoint", "dec_keys"), ("method", "POST")): 1.0,
        (("endpoint", "status"), ("method", "GET")): 1.0,
        (("endpoint", "other"), ("method", "GET")): 1.0,
        (("endpoint", "other"), ("method", "other")): 1.0,
    }


def test_latency_runs_to_the_last_body_message_and_fills_buckets(store, monkeypatch):
    """A fake clock: the app takes 3 ms before its second chunk, 0 ms otherwise."""
    now = [100.0]
    monkeypatch.setattr(metrics_module.time, "perf_counter", lambda: now[0])

    async def slow_app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        now[0] += 0.003
        await send({"type": "http.response.body", "body": b"b", "more_body": False})
        now[0] += 5.0  # after the answer: must not count

    metrics = KmeMetrics("alice", store)
    drive(MetricsMiddleware(slow_app, metrics), "/api/v1/keys/bob-app/dec_keys")
    samples = families(metrics)["qinet_kms_request_duration_seconds"]
    buckets = {labels["le"]: value for name, labels, value in samples
               if name.endswith("_bucket")}
    assert buckets == {f"{b}" if b != float("inf") else "+Inf": (1.0 if b >= 0.003 else 0.0)
                       for b in (*LATENCY_BUCKETS_S, float("inf"))}
    (total,) = [v for name, _, v in samples if name.endswith("_sum")]
    assert total == pytest.approx(0.003)


def test_an_app_that_raises_is_recorded_as_500_and_the_error_propagates(store):
    async def crashing(scope, receive, send):
        raise RuntimeError("boom")

    metrics = KmeMetrics("alice", store)
    with pytest.raises(RuntimeError, match="boom"):
        drive(MetricsMiddleware(crashing, metrics), "/api/v1/keys/bob-app/enc_keys")
    got = by_labels(families(metrics)["qinet_kms_responses"], "qinet_kms_responses_total")
    assert got == {(("code", "500"), ("endpoint", "enc_keys")): 1.0}


def test_a_failed_send_keeps_the_status_already_sent(store):
    metrics = KmeMetrics("alice", store)
    app = MetricsMiddleware(answering(200, chunks=2), metrics)
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        if message["type"] == "http.response.body":
            raise OSError("client went away")
        sent.append(message)

    with pytest.raises(OSError, match="went away"):
        asyncio.run(app({"type": "http", "path": "/status", "method": "GET"}, receive, send))
    assert len(sent) == 1
    got = by_labels(families(metrics)["qinet_kms_responses"], "qinet_kms_responses_total")
    assert got == {(("code", "200"), ("endpoint", "other")): 1.0}


def test_non_http_scopes_pass_through_unrecorded(store):
    calls = []

    async def app(scope, receive, send):
        calls.append(scope["type"])

    metrics = KmeMetrics("alice", store)
    drive(MetricsMiddleware(app, metrics), "/", scope_type="websocket")
    assert calls == ["websocket"]
    got = families(metrics)
    assert by_labels(got["qinet_kms_responses"], "qinet_kms_responses_total") == {}


def test_pool_metrics_come_from_the_store_for_this_kmes_pairs_only(store):
    store.deposit("alice", "bob", bytes(range(256)) * 4).result()  # 1024 bytes
    store.deposit("carol", "alice", bytes(100)).result()
    store.deposit("bob", "carol", bytes(4096)).result()  # not alice's: never shown
    keys = store.issue(master_kme="alice", slave_kme="bob", master_sae="alice-app",
                       slave_saes=("bob-app", "bob-app2"), number=3, size_bits=256).result()
    store.deliver(master_sae="alice-app", slave_sae="bob-app",
                  key_ids=[k.key_id for k in keys[:2]]).result()
    store.deliver(master_sae="alice-app", slave_sae="bob-app2",
                  key_ids=[keys[0].key_id]).result()

    got = families(KmeMetrics("alice", store, key_size_bits=128))
    peer = {"bob": (("peer", "bob"),), "carol": (("peer", "carol"),)}
    assert by_labels(got["qinet_kms_keys_issued"], "qinet_kms_keys_issued_total") == {
        peer["bob"]: 3.0, peer["carol"]: 0.0}
    assert by_labels(got["qinet_kms_keys_delivered"], "qinet_kms_keys_delivered_total") == {
        peer["bob"]: 3.0, peer["carol"]: 0.0}
    assert by_labels(got["qinet_kms_pool_stored_bytes"], "qinet_kms_pool_stored_bytes") == {
        peer["bob"]: 1024.0 - 3 * 32, peer["carol"]: 100.0}
    assert by_labels(got["qinet_kms_pool_stored_keys"], "qinet_kms_pool_stored_keys") == {
        peer["bob"]: float((1024 - 96) // 16), peer["carol"]: 6.0}
    assert by_labels(got["qinet_kms_pool_deposited_bytes"],
                     "qinet_kms_pool_deposited_bytes_total") == {
        peer["bob"]: 1024.0, peer["carol"]: 100.0}
    assert by_labels(got["qinet_kme_info"], "qinet_kme_info") == {(("kme", "alice"),): 1.0}

    # the other end of the same pool reports the same pool figures, labelled alice
    bob = families(KmeMetrics("bob", store))
    assert by_labels(bob["qinet_kms_keys_issued"], "qinet_kms_keys_issued_total") == {
        (("peer", "alice"),): 3.0, (("peer", "carol"),): 0.0}
    assert by_labels(bob["qinet_kms_pool_stored_keys"], "qinet_kms_pool_stored_keys") == {
        (("peer", "alice"),): float((1024 - 96) // 32), (("peer", "carol"),): 128.0}


def test_the_store_is_read_at_each_scrape(store):
    metrics = KmeMetrics("alice", store)
    assert "qinet_kms_pool_stored_bytes" not in {
        name for name, samples in families(metrics).items() if samples}
    store.deposit("alice", "bob", bytes(64)).result()
    got = families(metrics)
    assert by_labels(got["qinet_kms_pool_stored_bytes"], "qinet_kms_pool_stored_bytes") == {
        (("peer", "bob"),): 64.0}


def test_keys_erased_unfetched_are_counted(store):
    store.deposit("alice", "bob", bytes(128)).result()
    store.issue(master_kme="alice", slave_kme="bob", master_sae="a", slave_saes=("b",),
                number=3, size_bits=256).result()
    assert store.expire(now_s=time.time() + store.key_lifetime_s + 1).result() == 3
    got = families(KmeMetrics("bob", store))
    assert by_labels(got["qinet_kms_keys_expired"], "qinet_kms_keys_expired_total") == {
        (("peer", "alice"),): 3.0}


def test_two_kmes_in_one_process_have_separate_registries(store):
    alice, bob = KmeMetrics("alice", store), KmeMetrics("bob", store)
    drive(MetricsMiddleware(answering(200), alice), "/api/v1/keys/bob-app/status")
    assert by_labels(families(alice)["qinet_kms_responses"], "qinet_kms_responses_total")
    assert by_labels(families(bob)["qinet_kms_responses"], "qinet_kms_responses_total") == {}
    assert alice.registry is not bob.registry


def test_no_key_material_in_the_metrics(store):
    """Keys issued and delivered: none of their bytes, in any encoding, is exposed."""
    store.deposit("alice", "bob", bytes(range(7, 7 + 200))).result()
    keys = store.issue(master_kme="alice", slave_kme="bob", master_sae="alice-app",
                       slave_saes=("bob-app",), number=2, size_bits=256).result()
    metrics = KmeMetrics("alice", store)
    drive(MetricsMiddleware(answering(200), metrics), "/api/v1/keys/bob-app/enc_keys")
    body, _ = metrics.render()
    for key in keys:
        for text in (key.material.hex(), base64.b64encode(key.material).decode()):
            assert text not in body.decode()
        assert key.key_id not in body.decode()


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"key_size_bits": 0}, "key_size_bits"),
    ({"key_size_bits": 12}, "key_size_bits"),
    ({"buckets_s": ()}, "buckets_s"),
    ({"buckets_s": (0.1, 0.1)}, "buckets_s"),
])
def test_bad_arguments_are_config_errors(store, kwargs, field):
    with pytest.raises(ConfigError) as error:
        KmeMetrics("alice", store, **kwargs)
    assert error.value.field == field
