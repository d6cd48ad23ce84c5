"""Third-party ETSI GS QKD 014 clients against the real servers of the ``kms`` fixture.

Two clients from PyPI, each used as its documentation shows (docs/kms-clients.md has
their quirks): ``etsi-qkd-014-client`` (``QKD014Client``: host:port, certificate, key
and CA paths; answers as ``(status, data)``) and ``qkdsec`` (``ETSI014Client``: base
URL, ``(cert, key)`` and a CA path; raises ``KMEHTTPError``), plus qkdsec's conformance
doctor. The master is alice-app at alice's KME, the slave bob-app at bob's KME.
"""

from __future__ import annotations

import base64
import gc
from urllib.parse import urlsplit

import pytest
from etsi_qkd_014_client import QKD014Client
from etsi_qkd_014_client.data import DataError, DataKeyContainer, DataKeyRequest, DataStatus
from qkdsec.client import ETSI014Client, KMEHTTPError, KMENotFoundError
from qkdsec.doctor import ProbeStatus, run_all

NEVER_ISSUED = "00000000-0000-7000-8000-000000000000"


@pytest.fixture(scope="module")
def nanoy(kms):
    """``QKD014Client`` of an SAE at a KME (the client takes ``host:port``, no scheme)."""
    def make(sae: str, kme: str) -> QKD014Client:
        return QKD014Client(urlsplit(kms.urls[kme]).netloc, str(kms.pki.sae_cert(sae)),
                            str(kms.pki.sae_key(sae)), str(kms.pki.ca_cert))
    return make


@pytest.fixture
def qkdsec(kms):
    """``ETSI014Client`` of an SAE at a KME (base URL, ``(cert, key)``, CA file)."""
    clients: list[ETSI014Client] = []

    def make(sae: str, kme: str) -> ETSI014Client:
        client = ETSI014Client(kms.urls[kme], verify=str(kms.pki.ca_cert),
                               client_cert=(str(kms.pki.sae_cert(sae)),
                                            str(kms.pki.sae_key(sae))))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    # requests keeps a connection checked out while an error answer is referenced
    # (from a KMEHTTPError's traceback); Session.close() leaves it open, and an open
    # idle TLS connection delays the servers' shutdown. Collecting closes it.
    gc.collect()


# ------------------------------------------------------------ etsi-qkd-014-client


def test_nanoy_status(nanoy, kms):
    code, status = nanoy("alice-app", "alice").get_status("bob-app")
    assert code == 200
    assert isinstance(status, DataStatus)
    assert (status.source_kme_id, status.target_kme_id, status.master_sae_id,
            status.slave_sae_id) == ("alice", "bob", "alice-app", "bob-app")
    assert (status.key_size, status.min_key_size, status.max_key_size) == (256, 64, 8192)
    stored = kms.levels()[("alice", "bob")].stored_bytes
    assert status.stored_key_count == pytest.approx(stored * 8 // 256, abs=64)
    assert status.max_key_per_request == 128


@pytest.mark.parametrize(("request_kwargs", "number", "size_bits"), [
    ({}, 1, 256),  # no argument: the client sends a plain GET with the defaults
    ({"number": 3, "size": 512}, 3, 512),  # any argument: POST with a Key request
])
def test_nanoy_master_and_slave_get_the_same_bytes(nanoy, request_kwargs, number, size_bits):
    code, container = nanoy("alice-app", "alice").get_key("bob-app", **request_kwargs)
    assert code == 200, container
    assert isinstance(container, DataKeyContainer)
    assert len(container.keys) == number
    sent = {key.key_id: base64.b64decode(key.key) for key in container.keys}
    assert {len(material) for material in sent.values()} == {size_bits // 8}

    code, delivered = nanoy("bob-app", "bob").get_key_with_key_IDs("alice-app", list(sent))
    assert code == 200, delivered
    assert {key.key_id: base64.b64decode(key.key) for key in delivered.keys} == sent

    code, again = nanoy("bob-app", "bob").get_key_with_key_IDs("alice-app", list(sent))
    assert code == 400
    assert isinstance(again, DataError)


def test_nanoy_multicast_to_an_additional_slave(nanoy):
    code, container = nanoy("alice-app", "alice").get_key(
        "bob-app", number=1, additional_slave_sae_ids=["bob-app2"])
    assert code == 200, container
    (key,) = container.keys
    for slave in ("bob-app", "bob-app2"):
        code, delivered = nanoy(slave, "bob").get_key_with_key_IDs("alice-app", [key.key_id])
        assert code == 200, delivered
        assert delivered.keys[0].key == key.key


@pytest.mark.parametrize(("call", "status"), [
    (lambda c: c("alice-app", "alice").get_key("bob-app", number=1, size=257), 400),
    (lambda c: c("alice-app", "alice").get_key("bob-app", number=129), 400),
    (lambda c: c("alice-app", "alice").get_key("nobody", number=1), 400),
    (lambda c: c("alice-app", "alice").get_status("alice-app2"), 400),
    (lambda c: c("bob-app", "bob").get_key_with_key_IDs("alice-app", [NEVER_ISSUED]), 400),
    (lambda c: c("alice-app", "alice").get_key("carol-app", number=8, size=256), 503),
    (lambda c: c("carol-app", "alice").get_status("bob-app"), 401),
])
def test_nanoy_error_answers_come_back_as_data_error(nanoy, call, status):
    code, error = call(nanoy)
    assert code == status
    assert isinstance(error, DataError)
    assert isinstance(error.message, str)
    assert error.message
    assert isinstance(error.details, list)


def test_nanoy_drops_falsy_request_fields():
    """A quirk of the client: number=0 and size=0 are left out of the Key request, so
    the KME serves its defaults instead of refusing the request."""
    assert DataKeyRequest(number=0, size=0).json() == {}
    assert DataKeyRequest(number=2, size=128).json() == {"number": 2, "size": 128}


# ------------------------------------------------------------------------- qkdsec


def test_qkdsec_status(qkdsec):
    status = qkdsec("alice-app", "alice").status("bob-app")
    assert (status.source_kme_id, status.target_kme_id, status.master_sae_id,
            status.slave_sae_id) == ("alice", "bob", "alice-app", "bob-app")
    assert (status.key_size, status.max_key_per_request, status.max_sae_id_count) == (
        256, 128, 8)
    assert status.stored_key_count > 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_qkdsec_master_and_slave_get_the_same_bytes(qkdsec, method):
    keys = qkdsec("alice-app", "alice").get_enc_keys("bob-app", number=4, size=128,
                                                     method=method)
    assert len(keys) == 4
    assert {key.size_bits for key in keys} == {128}
    # the client names this argument slave_sae_id, but it fills the path's
    # master_SAE_ID: the slave passes the master's SAE ID
    delivered = qkdsec("bob-app", "bob").get_dec_keys(
        "alice-app", key_ids=[key.key_id for key in keys])
    assert [(k.key_id, k.key) for k in delivered] == [(k.key_id, k.key) for k in keys]


@pytest.mark.parametrize(("call", "status"), [
    (lambda c: c("alice-app", "alice").get_enc_keys("bob-app", size=257), 400),
    (lambda c: c("alice-app", "alice").get_enc_keys("bob-app", size=256, method="POST",
                                                    extension_mandatory=[{"x": 1}]), 400),
    (lambda c: c("alice-app", "alice").status("nobody"), 400),
    (lambda c: c("bob-app", "bob").get_dec_keys("alice-app", key_ids=[NEVER_ISSUED]), 400),
    (lambda c: c("alice-app", "alice").get_enc_keys("carol-app", number=8), 503),
    (lambda c: c("carol-app", "alice").status("bob-app"), 401),
])
def test_qkdsec_error_answers_raise_kme_http_error(qkdsec, call, status):
    with pytest.raises(KMEHTTPError) as error:
        call(qkdsec)
    assert error.value.status_code == status
    assert isinstance(error.value.message, str)
    assert error.value.message
    assert not isinstance(error.value, KMENotFoundError)


def test_qkdsec_slave_not_named_by_the_master_is_refused(qkdsec):
    (key,) = qkdsec("alice-app", "alice").get_enc_keys("bob-app", number=1, size=256)
    with pytest.raises(KMEHTTPError) as error:
        qkdsec("bob-app2", "bob").get_dec_keys("alice-app", key_ids=[key.key_id])
    assert error.value.status_code == 401
    (delivered,) = qkdsec("bob-app", "bob").get_dec_keys("alice-app", key_ids=[key.key_id])
    assert delivered.key == key.key


# ------------------------------------------------------------------ qkdsec doctor

# Each probe of qkdsec 0.3's battery (qkdsec/doctor/probes.py) and the outcome against
# this KME, with the reason wherever it is not a pass.
EXPECTED_PROBES: dict[str, tuple[ProbeStatus, str]] = {
    "reachability": (ProbeStatus.PASS, ""),
    "status_fields": (ProbeStatus.PASS, ""),
    "enc_keys_get": (ProbeStatus.PASS, ""),
    "enc_keys_post": (ProbeStatus.PASS, ""),
    "enc_keys_caps": (ProbeStatus.PASS, ""),
    "extensions_accepted": (ProbeStatus.PASS, ""),
    # The doctor sends dec_keys as the master, to the master's KME, with the slave's
    # SAE ID in the path. ETSI GS QKD 014 5.4 makes dec_keys the slave's call, with the
    # master's SAE ID in the path, at the slave's KME; a KME that answered the doctor
    # would hand a key to an SAE that is not its slave. The server is right to refuse.
    "dec_keys_roundtrip": (ProbeStatus.FAIL, "doctor calls dec_keys as the master"),
    # The doctor expects 404 for an unknown key_ID; 5.4 lists 200, 400, 401 and 503
    # only, and its Error message for this case is a 400.
    "error_contract_404": (ProbeStatus.WARN, "the standard's answer is 400, not 404"),
    "error_contract_400": (ProbeStatus.PASS, ""),
    "latency": (ProbeStatus.PASS, ""),
}


@pytest.fixture(scope="module")
def doctor_report(kms):
    with ETSI014Client(kms.urls["alice"], verify=str(kms.pki.ca_cert), timeout=10.0,
                       client_cert=(str(kms.pki.sae_cert("alice-app")),
                                    str(kms.pki.sae_key("alice-app")))) as client:
        report = run_all(client, "bob-app", latency_samples=3)
    gc.collect()  # see the qkdsec fixture: the probes' error answers hold connections
    return report


def test_doctor_runs_the_whole_battery(doctor_report):
    assert [r.name for r in doctor_report.results] == list(EXPECTED_PROBES)


@pytest.mark.parametrize("probe", list(EXPECTED_PROBES))
def test_doctor_probe_outcome(doctor_report, probe):
    (result,) = [r for r in doctor_report.results if r.name == probe]
    expected, why = EXPECTED_PROBES[probe]
    assert result.status == expected, (why, result.summary, result.details)


def test_doctor_fails_only_where_it_deviates_from_the_standard(doctor_report):
    failed = [r.name for r in doctor_report.results if r.status == ProbeStatus.FAIL]
    assert failed == ["dec_keys_roundtrip"]
    (roundtrip,) = [r for r in doctor_report.results if r.name == "dec_keys_roundtrip"]
    assert "HTTP 400" in roundtrip.summary
