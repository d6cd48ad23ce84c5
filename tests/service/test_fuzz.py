"""Arbitrary JSON bodies: never a crash, always an Error object or a valid key container."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.service.conftest import assert_error_object

SCALARS = (st.none() | st.booleans() | st.integers(-2**70, 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                           max_leaves=12)
FIELDS = ["number", "size", "additional_slave_SAE_IDs", "extension_mandatory",
          "extension_optional", "key_IDs", "key_ID", "key_IDs_extension"]
NEAR_VALID = st.dictionaries(st.sampled_from(FIELDS),
                             JSON_VALUES | st.integers(0, 300) | st.sampled_from(
                                 [[], ["bob-app2"], [{"key_ID": str(uuid.UUID(int=3))}]]),
                             max_size=4)
BODIES = JSON_VALUES | NEAR_VALID
JSON = {"content-type": "application/json"}


def encode(body) -> bytes:
    # NaN and infinities go out as the non-standard tokens a sloppy client might send
    return json.dumps(body, allow_nan=True).encode()


@pytest.fixture(scope="module")
def clients(kms):
    master, slave = kms.client("alice-app", "alice"), kms.client("bob-app", "bob")
    yield master, slave
    master.close()
    slave.close()


def check(response, stored_before: int, stored_after: int) -> None:
    assert response.status_code != 500, response.text
    if response.status_code != 200:
        assert response.status_code in (400, 503)
        assert_error_object(response, response.status_code)
        assert stored_after == stored_before  # a refused request consumed nothing
        return
    body = response.json()
    assert set(body) == {"keys"}
    for entry in body["keys"]:
        assert set(entry) == {"key_ID", "key"}
        uuid.UUID(entry["key_ID"])
        base64.b64decode(entry["key"], validate=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
def test_enc_keys_bodies(kms, clients, body):
    master, _ = clients
    before = kms.levels()[("alice", "bob")].stored_bytes
    response = master.post("/api/v1/keys/bob-app/enc_keys", content=encode(body), headers=JSON)
    check(response, before, kms.levels()[("alice", "bob")].stored_bytes)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=BODIES)
def test_dec_keys_bodies(kms, clients, body):
    _, slave = clients
    response = slave.post("/api/v1/keys/alice-app/dec_keys", content=encode(body), headers=JSON)
    check(response, 0, 0)
