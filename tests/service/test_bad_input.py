"""Every refused request: its status, the Error object, and pools left as they were."""

from __future__ import annotations

import uuid

import pytest

from tests.service.conftest import assert_error_object

# a well-formed key_ID that no KME issued (issued IDs are version 7, with a timestamp)
NEVER_ISSUED = str(uuid.UUID(int=0x0123_4567_89AB_4CDE_8F01_2345_6789_ABCD))

ENC_BOB = "/api/v1/keys/bob-app/enc_keys"
DEC_ALICE = "/api/v1/keys/alice-app/dec_keys"
JSON = {"content-type": "application/json"}

# (caller SAE, KME, method, path, request arguments, status, a word of the message)
CASES = {
    "size not a multiple of 8": (
        "alice-app", "alice", "GET", ENC_BOB, {"params": {"size": 100}}, 400, "multiple of 8"),
    "size not a multiple of 8 (POST)": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"size": 260}}, 400, "multiple of 8"),
    "size below min_key_size": (
        "alice-app", "alice", "GET", ENC_BOB, {"params": {"size": 56}}, 400, "size"),
    "size above max_key_size": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"size": 8200}}, 400, "size"),
    "number zero": (
        "alice-app", "alice", "GET", ENC_BOB, {"params": {"number": 0}}, 400, "number"),
    "number negative": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"number": -3}}, 400, "number"),
    "number above max_key_per_request": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"number": 129}}, 400, "number"),
    "number not an integer (query)": (
        "alice-app", "alice", "GET", ENC_BOB, {"params": {"number": "two"}}, 400, "number"),
    "number a string": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"number": "2"}}, 400, "number"),
    "number a float": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"number": 2.5}}, 400, "number"),
    "number a boolean": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"number": True}}, 400, "number"),
    "malformed JSON": (
        "alice-app", "alice", "POST", ENC_BOB, {"content": b'{"number": 1', "headers": JSON},
        400, "JSON"),
    "JSON that is not an object": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": [1, 2]}, 400, "body"),
    "empty body": ("alice-app", "alice", "POST", ENC_BOB, {"headers": JSON}, 400, "body"),
    "unknown field": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"numbr": 1}}, 400, "numbr"),
    "extension_mandatory not supported": (
        "alice-app", "alice", "POST", ENC_BOB,
        {"json": {"extension_mandatory": [{"abc_route_type": "direct"}]}}, 400,
        "extension_mandatory parameters"),
    "unknown slave SAE": (
        "alice-app", "alice", "GET", "/api/v1/keys/mallory/enc_keys", {}, 400, "mallory"),
    "slave SAE is the caller": (
        "alice-app", "alice", "GET", "/api/v1/keys/alice-app/enc_keys", {}, 400, "caller"),
    "slave SAE at the master's own KME": (
        "alice-app", "alice", "GET", "/api/v1/keys/alice-app2/enc_keys", {}, 400, "this KME"),
    "unknown additional slave SAE": (
        "alice-app", "alice", "POST", ENC_BOB, {"json": {"additional_slave_SAE_IDs": ["eve"]}},
        400, "eve"),
    "additional slave SAE at another KME": (
        "alice-app", "alice", "POST", ENC_BOB,
        {"json": {"additional_slave_SAE_IDs": ["carol-app"]}}, 400, "carol-app"),
    "additional slave SAE equal to the slave": (
        "alice-app", "alice", "POST", ENC_BOB,
        {"json": {"additional_slave_SAE_IDs": ["bob-app"]}}, 400, "bob-app"),
    "additional slave SAE listed twice": (
        "alice-app", "alice", "POST", ENC_BOB,
        {"json": {"additional_slave_SAE_IDs": ["bob-app2", "bob-app2"]}}, 400, "twice"),
    "status of an unknown SAE": (
        "alice-app", "alice", "GET", "/api/v1/keys/mallory/status", {}, 400, "mallory"),
    "unknown key_ID": (
        "bob-app", "bob", "GET", DEC_ALICE, {"params": {"key_ID": NEVER_ISSUED}}, 400,
        "not found on KME"),
    "unknown key_IDs (POST)": (
        "bob-app", "bob", "POST", DEC_ALICE,
        {"json": {"key_IDs": [{"key_ID": NEVER_ISSUED}]}}, 400, "not found on KME"),
    "key_ID given twice in the query": (
        "bob-app", "bob", "GET", DEC_ALICE + f"?key_ID={NEVER_ISSUED}&key_ID={NEVER_ISSUED}",
        {}, 400, "more than once"),
    "number given twice in the query": (
        "alice-app", "alice", "GET", ENC_BOB + "?number=1&number=2", {}, 400, "more than once"),
    "unknown query parameter": (
        "alice-app", "alice", "GET", ENC_BOB, {"params": {"count": 2}}, 400, "count"),
    "query parameter on a POST": (
        "alice-app", "alice", "POST", ENC_BOB + "?number=5", {"json": {"number": 1}}, 400,
        "number"),
    "query parameter on status": (
        "alice-app", "alice", "GET", "/api/v1/keys/bob-app/status", {"params": {"x": 1}}, 400,
        "unknown query parameter"),
    "key_ID missing": ("bob-app", "bob", "GET", DEC_ALICE, {}, 400, "key_ID"),
    "key_IDs empty": ("bob-app", "bob", "POST", DEC_ALICE, {"json": {"key_IDs": []}}, 400,
                      "key_IDs"),
    "key_IDs entry without key_ID": (
        "bob-app", "bob", "POST", DEC_ALICE, {"json": {"key_IDs": [{}]}}, 400, "key_ID"),
    "key_ID not a string": (
        "bob-app", "bob", "POST", DEC_ALICE, {"json": {"key_IDs": [{"key_ID": 7}]}}, 400,
        "key_ID"),
    "too many key_IDs": (
        "bob-app", "bob", "POST", DEC_ALICE,
        {"json": {"key_IDs": [{"key_ID": str(uuid.UUID(int=i))} for i in range(129)]}}, 400,
        "at most"),
    "dec_keys from an unknown master": (
        "bob-app", "bob", "GET", "/api/v1/keys/mallory/dec_keys",
        {"params": {"key_ID": NEVER_ISSUED}}, 400, "mallory"),
    "SAE at a KME that does not serve it": (
        "bob-app", "alice", "GET", "/api/v1/keys/carol-app/enc_keys", {}, 401, "bob-app"),
    "exhausted pool": (
        "bob-app", "bob", "GET", "/api/v1/keys/carol-app/enc_keys", {}, 503, "bytes"),
    "request larger than the pool": (
        "alice-app", "alice", "POST", "/api/v1/keys/carol-app/enc_keys",
        {"json": {"number": 128, "size": 256}}, 503, "bytes"),
    "unknown path": ("alice-app", "alice", "GET", "/api/v1/keys", {}, 404, "Not Found"),
    "method not allowed": ("alice-app", "alice", "PUT", ENC_BOB, {}, 405, "Method"),
}


@pytest.mark.parametrize(("sae", "kme", "method", "path", "arguments", "status", "word"),
                         list(CASES.values()), ids=list(CASES))
def test_refused_with_an_error_object_and_nothing_consumed(kms, sae, kme, method, path,
                                                          arguments, status, word):
    before = kms.levels()
    with kms.client(sae, kme) as client:
        response = client.request(method, path, **arguments)
    body = assert_error_object(response, status)
    assert word in body["message"]
    assert kms.levels() == before
