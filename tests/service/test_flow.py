"""The whole key delivery flow over mutual TLS, against real servers on loopback."""

from __future__ import annotations

import base64
import logging
import ssl
import uuid

import httpx
import pytest

from qinet.service.certs import client_ssl_context
from qinet.service.kms.store import KEYS_NOT_FOUND
from tests.service.conftest import assert_error_object

ENC = "/api/v1/keys/{}/enc_keys"
DEC = "/api/v1/keys/{}/dec_keys"


def keys_of(response: httpx.Response) -> dict[str, bytes]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"keys"}
    out = {}
    for entry in body["keys"]:
        assert set(entry) == {"key_ID", "key"}
        assert str(uuid.UUID(entry["key_ID"])) == entry["key_ID"]
        out[entry["key_ID"]] = base64.b64decode(entry["key"], validate=True)
    return out


def test_master_and_slave_get_the_same_bytes_once(kms):
    with kms.client("alice-app", "alice") as master, kms.client("bob-app", "bob") as slave:
        got_get = keys_of(master.get(ENC.format("bob-app"), params={"number": 2, "size": 256}))
        got_post = keys_of(master.post(ENC.format("bob-app"), json={"number": 3, "size": 128}))
        assert [len(k) for k in got_get.values()] == [32, 32]
        assert [len(k) for k in got_post.values()] == [16, 16, 16]
        master_keys = {**got_get, **got_post}
        assert len(set(master_keys.values())) == 5  # no bytes reused across key_IDs
        # every key is a slice of the QKD output, taken front to back from the pool
        for key in master_keys.values():
            assert key in kms.material

        first, *rest = list(got_get) + list(got_post)
        by_get = keys_of(slave.get(DEC.format("alice-app"), params={"key_ID": first}))
        by_post = keys_of(slave.post(DEC.format("alice-app"),
                                     json={"key_IDs": [{"key_ID": k} for k in rest]}))
        assert {**by_get, **by_post} == master_keys
        assert list(by_post) == rest  # in the order asked

        # replay: each key reaches its slave once
        assert_error_object(slave.get(DEC.format("alice-app"), params={"key_ID": first}), 400)
        assert_error_object(slave.post(DEC.format("alice-app"),
                                       json={"key_IDs": [{"key_ID": rest[0]}]}), 400)


def test_master_never_gets_the_same_key_twice(kms):
    with kms.client("alice-app", "alice") as master:
        seen: dict[str, bytes] = {}
        for _ in range(5):
            batch = keys_of(master.get(ENC.format("bob-app"), params={"number": 4}))
            assert not set(batch) & set(seen)
            assert not set(batch.values()) & set(seen.values())
            seen.update(batch)


def test_keys_reach_only_the_slave_they_were_made_for(kms):
    with kms.client("alice-app", "alice") as master:
        key_id, key = next(iter(keys_of(master.post(ENC.format("bob-app"), json={})).items()))
    # another SAE of the slave's KME: not the slave the master named (ETSI 014, 5.4)
    with kms.client("bob-app2", "bob") as other:
        body = assert_error_object(
            other.get(DEC.format("alice-app"), params={"key_ID": key_id}), 401)
        assert "bob-app2" in body["message"]
    # the right slave, naming the wrong master: no such key of that master
    with kms.client("bob-app", "bob") as slave:
        body = assert_error_object(
            slave.get(DEC.format("alice-app2"), params={"key_ID": key_id}), 400)
        assert body["message"] == KEYS_NOT_FOUND
        assert body["details"] == [{"key_ID": key_id, "reason": body["details"][0]["reason"]}]
    # an SAE of another KME at the slave's KME: not its KME
    with kms.client("carol-app", "bob") as stranger:
        body = assert_error_object(
            stranger.get(DEC.format("alice-app"), params={"key_ID": key_id}), 401)
        assert "carol-app" in body["message"]
    # the master cannot fetch it as a slave at its own KME either: 401, as for any SAE
    # that the master did not name
    with kms.client("alice-app", "alice") as master:
        assert_error_object(master.get(DEC.format("alice-app"), params={"key_ID": key_id}), 401)
    # none of that consumed it
    with kms.client("bob-app", "bob") as slave:
        assert keys_of(slave.get(DEC.format("alice-app"), params={"key_ID": key_id})) == {
            key_id: key}


def test_additional_slaves_each_get_the_key_once(kms):
    with kms.client("alice-app", "alice") as master:
        keys = keys_of(master.post(ENC.format("bob-app"), json={
            "number": 2, "additional_slave_SAE_IDs": ["bob-app2"]}))
    body = {"key_IDs": [{"key_ID": k} for k in keys]}
    for sae in ("bob-app", "bob-app2"):
        with kms.client(sae, "bob") as slave:
            assert keys_of(slave.post(DEC.format("alice-app"), json=body)) == keys
            assert_error_object(slave.post(DEC.format("alice-app"), json=body), 400)


def test_a_failed_dec_keys_request_delivers_nothing(kms):
    with kms.client("alice-app", "alice") as master:
        keys = keys_of(master.get(ENC.format("bob-app"), params={"number": 2}))
    ids = list(keys)
    with kms.client("bob-app", "bob") as slave:
        never_issued = str(uuid.UUID(int=0x0123_4567_89AB_4CDE_8F01_2345_6789_ABCD))
        mixed = {"key_IDs": [{"key_ID": ids[0]}, {"key_ID": never_issued}]}
        assert_error_object(slave.post(DEC.format("alice-app"), json=mixed), 400)
        twice = {"key_IDs": [{"key_ID": ids[0]}, {"key_ID": ids[0]}]}
        assert_error_object(slave.post(DEC.format("alice-app"), json=twice), 400)
        assert keys_of(slave.post(DEC.format("alice-app"),
                                  json={"key_IDs": [{"key_ID": k} for k in ids]})) == keys


def test_status_object(kms):
    stored = kms.levels()[("alice", "bob")].stored_bytes
    with kms.client("alice-app", "alice") as master:
        response = master.get("/api/v1/keys/bob-app2/status")
    assert response.status_code == 200
    assert response.json() == {
        "source_KME_ID": "alice", "target_KME_ID": "bob",
        "master_SAE_ID": "alice-app", "slave_SAE_ID": "bob-app2",
        "key_size": 256, "stored_key_count": stored // 32,
        "max_key_count": kms.store.pool_capacity_bytes // 32,
        "max_key_per_request": 128, "max_key_size": 8192, "min_key_size": 64,
        "max_SAE_ID_count": 8}
    with kms.client("bob-app", "bob") as client:
        empty = client.get("/api/v1/keys/carol-app/status").json()
    assert (empty["source_KME_ID"], empty["target_KME_ID"], empty["stored_key_count"]) == (
        "bob", "carol", 0)


def test_status_page_shows_levels_never_keys(kms):
    with kms.client("alice-app", "alice") as master:
        keys = keys_of(master.get(ENC.format("bob-app"), params={"number": 1}))
        page = master.get("/status")
    assert page.status_code == 200
    body = page.json()
    assert body["kme"] == "alice"
    assert body["saes"] == ["alice-app", "alice-app2"]
    level = kms.levels()[("alice", "bob")]
    (pool,) = [p for p in body["pools"] if p["kmes"] == ["alice", "bob"]]
    assert pool["stored_bytes"] == level.stored_bytes
    assert pool["keys_issued"] == level.keys_issued
    (key,) = keys.values()
    assert base64.b64encode(key).decode() not in page.text
    assert key.hex() not in page.text


def test_no_key_material_in_the_logs(kms, caplog):
    with caplog.at_level(logging.DEBUG, logger="qinet"), \
            kms.client("alice-app", "alice") as master, kms.client("bob-app", "bob") as slave:
        keys = keys_of(master.get(ENC.format("bob-app"), params={"number": 3}))
        keys_of(slave.post(DEC.format("alice-app"),
                           json={"key_IDs": [{"key_ID": k} for k in keys]}))
        slave.post(DEC.format("alice-app"), json={"key_IDs": [{"key_ID": k} for k in keys]})
    text = caplog.text
    assert "enc_keys" in text
    assert "dec_keys" in text
    for key in keys.values():
        assert base64.b64encode(key).decode() not in text
        assert key.hex() not in text
        assert repr(key) not in text


def test_without_a_client_certificate_the_handshake_fails(kms):
    with kms.client(None, "alice") as anonymous, pytest.raises(httpx.TransportError):
        anonymous.get("/api/v1/keys/bob-app/status")


def test_a_certificate_from_another_ca_is_refused(kms, foreign_pki):
    # trusts the real CA for the server, but shows a client certificate of another CA
    context = client_ssl_context(kms.pki, None)
    context.load_cert_chain(foreign_pki.sae_cert("alice-app"), foreign_pki.sae_key("alice-app"))
    with httpx.Client(base_url=kms.urls["alice"], verify=context) as impostor, \
            pytest.raises(httpx.TransportError):
        impostor.get("/api/v1/keys/bob-app/status")


def test_a_server_of_another_ca_is_refused_by_the_client(kms, foreign_pki):
    with httpx.Client(base_url=kms.urls["alice"],
                      verify=client_ssl_context(foreign_pki, "alice-app")) as client, \
            pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        client.get("/api/v1/keys/bob-app/status")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_host_name_verification_with_the_ca_only(kms, host):
    context = client_ssl_context(kms.pki, "alice-app")
    assert context.check_hostname
    assert context.verify_mode == ssl.CERT_REQUIRED
    url = kms.urls["alice"].replace("127.0.0.1", host)
    with httpx.Client(base_url=url, verify=context) as client:
        assert client.get("/api/v1/keys/bob-app/status").status_code == 200


def test_a_wrong_host_name_is_refused(kms):
    # the right address, but the certificate is checked against another name (SNI)
    with kms.client("alice-app", "alice") as client, \
            pytest.raises(httpx.ConnectError, match=r"[Hh]ostname mismatch"):
        client.get("/api/v1/keys/bob-app/status", extensions={"sni_hostname": "kme.example"})
