"""The fast lane answers plain GET requests exactly as the FastAPI routes would.

Each request is sent twice to the same app: as it is (plain, so the fast lane takes it)
and with an empty query field appended (``&``), which FastAPI reads as nothing and the
fast lane does not take (so the routes take it). Which path served a request is read
from the ASGI scope: only FastAPI's router puts the matched ``route`` there.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from starlette.datastructures import QueryParams

from qinet.service.kms.api import create_kme_app
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.fast_lane import DEC_KEYS_QUERY, ENC_KEYS_QUERY, plain_query
from qinet.service.kms.store import KeyStore

MATERIAL = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(320))
DIRECTORY = KmeDirectory.from_kmes([SimpleNamespace(name="alice", saes=("alice-app", "alice-app2")),
                                    SimpleNamespace(name="bob", saes=("bob-app",)),
                                    SimpleNamespace(name="carol", saes=("carol-app",))])
ROUTER = "&"  # an empty field: nothing to FastAPI, not plain to the fast lane
AS_INTEGER = TypeAdapter(int)
AS_STRING = TypeAdapter(str)


@pytest.fixture(scope="module")
def alice(tmp_path_factory):
    """The app of KME alice; alice-bob pool full, alice-carol too small for a request."""
    with KeyStore.open(tmp_path_factory.mktemp("store")) as store:
        store.deposit("alice", "bob", MATERIAL).result()
        store.deposit("alice", "carol", MATERIAL[:64]).result()
        yield SimpleNamespace(app=create_kme_app(kme="alice", directory=DIRECTORY,
                                                 store=store), store=store)


def get(app, sae: str | None, target: str):
    """GET as this SAE (or with no certificate); the answer and whether the router ran."""
    seen = {}

    async def with_identity(scope, receive, send):
        if sae is not None:
            scope["extensions"] = {"tls": {"client_cert_common_names": (sae,)}}
        seen["scope"] = scope
        await app(scope, receive, send)

    async def request() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=with_identity),
                                     base_url="https://kme") as client:
            return await client.get(target)

    response = asyncio.run(request())
    return response, "route" in seen["scope"]


def both_ways(app, sae, target):
    fast, routed = get(app, sae, target)
    assert not routed, "the plain request should take the fast lane"
    joiner = "" if "?" in target else "?"
    slow, routed = get(app, sae, target + joiner + ROUTER)
    assert routed, "the marked request should go through the routes"
    return fast, slow


REFUSED = {
    "size not a multiple of 8": ("alice-app", "/api/v1/keys/bob-app/enc_keys?size=100"),
    "size too large": ("alice-app", "/api/v1/keys/bob-app/enc_keys?number=1&size=8200"),
    "number zero": ("alice-app", "/api/v1/keys/bob-app/enc_keys?number=0"),
    "number above the limit": ("alice-app", "/api/v1/keys/bob-app/enc_keys?number=129"),
    "unknown slave": ("alice-app", "/api/v1/keys/mallory/enc_keys?number=1"),
    "slave is the caller": ("alice-app", "/api/v1/keys/alice-app/enc_keys"),
    "slave at the caller's KME": ("alice-app", "/api/v1/keys/alice-app2/enc_keys"),
    "SAE of another KME": ("bob-app", "/api/v1/keys/carol-app/enc_keys"),
    "no client certificate": (None, "/api/v1/keys/bob-app/enc_keys"),
    "pool too small": ("alice-app", "/api/v1/keys/carol-app/enc_keys?number=128&size=256"),
    "status of an unknown SAE": ("alice-app", "/api/v1/keys/mallory/status"),
    "status without certificate": (None, "/api/v1/keys/bob-app/status"),
    "unknown key_ID": ("alice-app", f"/api/v1/keys/bob-app/dec_keys?key_ID={uuid.UUID(int=7)}"),
    "dec_keys from an unknown master": (
        "alice-app", f"/api/v1/keys/mallory/dec_keys?key_ID={uuid.UUID(int=7)}"),
}


@pytest.mark.parametrize(("sae", "target"), list(REFUSED.values()), ids=list(REFUSED))
def test_refusals_are_the_same_error_object(alice, sae, target):
    before = dict(alice.store.levels())
    fast, slow = both_ways(alice.app, sae, target)
    assert fast.status_code == slow.status_code
    assert fast.status_code in (400, 401, 503)
    assert fast.content == slow.content
    assert fast.headers["content-type"] == slow.headers["content-type"]
    assert set(fast.json()) == {"message", "details"}
    assert dict(alice.store.levels()) == before


@pytest.mark.parametrize("query", ["", "?number=3", "?size=128", "?number=2&size=512"])
def test_enc_keys_give_the_same_container(alice, query):
    fast, slow = both_ways(alice.app, "alice-app", "/api/v1/keys/bob-app/enc_keys" + query)
    shapes = []
    for response in (fast, slow):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        keys = response.json()["keys"]
        assert all(set(entry) == {"key_ID", "key"} for entry in keys)
        shapes.append([len(base64.b64decode(entry["key"])) for entry in keys])
    assert shapes[0] == shapes[1]


def test_status_is_the_same(alice):
    fast, slow = both_ways(alice.app, "alice-app", "/api/v1/keys/bob-app/status")
    assert fast.status_code == slow.status_code == 200
    assert fast.json() == slow.json()


def test_dec_keys_deliver_the_masters_keys(alice):
    keys = alice.store.issue(master_kme="bob", slave_kme="alice", master_sae="bob-app",
                             slave_saes=("alice-app",), number=2, size_bits=256).result()
    fast, routed = get(alice.app, "alice-app", f"/api/v1/keys/bob-app/dec_keys?key_ID="
                                               f"{keys[0].key_id}")
    assert not routed
    slow, routed = get(alice.app, "alice-app", f"/api/v1/keys/bob-app/dec_keys?key_ID="
                                               f"{keys[1].key_id}&{ROUTER}")
    assert routed
    for response, key in ((fast, keys[0]), (slow, keys[1])):
        assert response.status_code == 200
        assert response.json() == {"keys": [
            {"key_ID": key.key_id, "key": base64.b64encode(key.material).decode()}]}
    again, _ = get(alice.app, "alice-app", f"/api/v1/keys/bob-app/dec_keys?key_ID="
                                           f"{keys[0].key_id}")
    assert again.status_code == 400


@pytest.mark.parametrize("query", [
    b"number=010", b"number=+1", b"number=-1", b"number=1.0", b"number=%31", b"number= 1",
    b"number=1&number=2", b"number", b"number=", b"size=1e3", b"x=1", b"number=1&",
    b"&number=1", b"number=1;size=8", b"number=1234567890", "number=\u0661".encode()])
def test_anything_not_plain_goes_to_the_routes(query):
    assert plain_query(query, ENC_KEYS_QUERY) is None


def test_key_ids_must_be_url_safe():
    assert plain_query(b"key_ID=a%2Db", DEC_KEYS_QUERY) is None
    assert plain_query(b"key_ID=a+b", DEC_KEYS_QUERY) is None
    assert plain_query(b"key_ID=", DEC_KEYS_QUERY) is None
    assert plain_query(b"key_ID=a-b_c.d~e", DEC_KEYS_QUERY) == {"key_ID": "a-b_c.d~e"}


_VALUE = st.one_of(st.integers(-9, 10**10).map(str), st.uuids().map(str),
                   st.text(alphabet="0123456789+-%.; _~eE2F", max_size=6))
_PARTS = st.lists(st.tuples(st.sampled_from(["number", "size", "key_ID", "numbr"]), _VALUE),
                  max_size=3, unique_by=lambda part: part[0])
_QUERY = st.one_of(_PARTS.map(lambda parts: "&".join(f"{n}={v}" for n, v in parts)),
                   st.text(alphabet="number=size&key_ID0123456789+-%.; _~eE", max_size=30))


@given(_QUERY)
def test_a_plain_query_reads_as_fastapi_reads_it(text):
    """Whatever the fast lane accepts, Starlette parses to the same single values and
    pydantic validates to the same integers."""
    raw = text.encode()
    params = QueryParams(raw)
    for parameters, adapter in ((ENC_KEYS_QUERY, AS_INTEGER), (DEC_KEYS_QUERY, AS_STRING)):
        values = plain_query(raw, parameters)
        if values is None:
            continue
        assert set(params.keys()) == set(values)
        for name, value in values.items():
            assert params.getlist(name) == [str(value)]
            try:
                assert adapter.validate_python(params[name]) == value
            except ValidationError:  # pragma: no cover - would be a fast-lane bug
                pytest.fail(f"pydantic refuses {params[name]!r}, the fast lane took it")
