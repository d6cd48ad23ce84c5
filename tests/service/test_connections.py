"""Every connection is bounded in time and size, and every refusal is the Error object.

Raw TLS sockets with an SAE's certificate play the clients that a KME must not wait on
for ever: one that says nothing, one that sends half a request head or half a body, one
whose request line or head is far too long.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from urllib.parse import urlsplit

import pytest

from qinet.service.certs import client_ssl_context
from qinet.service.kms.connection import ConnectionLimits
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.server import KeyService
from qinet.service.kms.store import KeyStore
from tests.service.conftest import KMES

LIMITS = ConnectionLimits(idle_timeout_s=0.5, request_timeout_s=0.5,
                          max_request_line_bytes=4096, max_head_bytes=8192,
                          max_body_bytes=4096)
PATH = "/api/v1/keys/bob-app/status"


@pytest.fixture(scope="module")
def url(tmp_path_factory, pki):
    with KeyStore.open(tmp_path_factory.mktemp("store")) as store:
        service = KeyService(directory=KmeDirectory.from_kmes(KMES), store=store, pki=pki,
                             connection_limits=LIMITS)
        endpoints = service.start_in_thread()
        yield next(e.url for e in endpoints if e.kme == "alice")
        service.stop_thread()


def connect(url: str, pki) -> ssl.SSLSocket:
    parts = urlsplit(url)
    raw = socket.create_connection((parts.hostname, parts.port), timeout=5)
    return client_ssl_context(pki, "alice-app").wrap_socket(raw, server_hostname="localhost")


def read_all(sock: ssl.SSLSocket, *, within_s: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(within_s)
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_response(sock: ssl.SSLSocket) -> bytes:
    """One whole response (head and ``content-length`` bytes of body)."""
    sock.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def error_of(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def test_a_well_formed_request_is_served_on_the_guarded_connection(url, pki):
    with connect(url, pki) as sock:
        sock.sendall(f"GET {PATH} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n"
                     .encode())
        status, body = error_of(read_all(sock))
    assert status == 200
    assert body["source_KME_ID"] == "alice"


def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(url, pki):
    with connect(url, pki) as sock:
        start = time.monotonic()
        assert read_all(sock) == b""
        waited = time.monotonic() - start
    assert LIMITS.idle_timeout_s * 0.9 <= waited < LIMITS.idle_timeout_s + 3


def test_an_idle_keep_alive_connection_is_closed_too(url, pki):
    with connect(url, pki) as sock:
        sock.sendall(f"GET {PATH} HTTP/1.1\r\nhost: localhost\r\n\r\n".encode())
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        start = time.monotonic()
        assert read_all(sock) == b""  # then nothing, until the server closes
    assert time.monotonic() - start < LIMITS.idle_timeout_s + 3


@pytest.mark.parametrize("partial", [
    f"GET {PATH} HTTP/1.1\r\nhost: loc",  # half a head
    "POST /api/v1/keys/bob-app/enc_keys HTTP/1.1\r\nhost: localhost\r\n"
    "content-type: application/json\r\ncontent-length: 40\r\n\r\n{\"number\"",  # half a body
], ids=["head", "body"])
def test_a_request_that_does_not_arrive_whole_in_time_gets_408(url, pki, partial):
    with connect(url, pki) as sock:
        start = time.monotonic()
        sock.sendall(partial.encode())
        status, body = error_of(read_all(sock))
    assert status == 408
    assert set(body) == {"message", "details"}
    assert "did not arrive whole" in body["message"]
    assert time.monotonic() - start < LIMITS.request_timeout_s + 3


def test_a_slow_client_cannot_hold_a_request_open_by_trickling(url, pki):
    request = f"GET {PATH} HTTP/1.1\r\nhost: localhost\r\nx-padding: {'a' * 40}\r\n\r\n"
    with connect(url, pki) as sock:
        start = time.monotonic()
        for char in request[:40]:  # a byte every 50 ms: 2 s, never the whole head
            try:
                sock.sendall(char.encode())
            except OSError:  # the server closed the connection
                break
            time.sleep(0.05)
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408")
    assert time.monotonic() - start < LIMITS.request_timeout_s + 3


@pytest.mark.parametrize(("request_text", "status", "word"), [
    (f"GET /api/v1/keys/alice-app/dec_keys?key_ID={'k' * (1 << 20)} HTTP/1.1\r\n", 414,
     "request line"),
    (f"GET {PATH} HTTP/1.1\r\nhost: localhost\r\n" + "x-pad: aaaaaaaa\r\n" * 1000, 431,
     "request head"),
    ("POST /api/v1/keys/bob-app/enc_keys HTTP/1.1\r\nhost: localhost\r\n"
     "content-type: application/json\r\ncontent-length: 100000\r\n\r\n", 413, "body"),
], ids=["request line", "head", "body"])
def test_oversized_requests_get_the_error_object(url, pki, request_text, status, word):
    with connect(url, pki) as sock:
        with contextlib.suppress(OSError):  # the server may close before all is sent
            sock.sendall(request_text.encode())
        answer = read_all(sock)
    got, body = error_of(answer)
    assert got == status
    assert set(body) == {"message", "details"}
    assert word in body["message"]
    assert len(answer) < 1024  # nothing of the request echoed back


def test_bad_limits_are_refused_naming_the_setting():
    with pytest.raises(ValueError, match="request-timeout"):
        ConnectionLimits(request_timeout_s=0)


def test_an_idle_keep_alive_client_does_not_hold_the_shutdown(tmp_path, pki):
    with KeyStore.open(tmp_path / "store") as store:
        service = KeyService(directory=KmeDirectory.from_kmes(KMES), store=store, pki=pki)
        url = next(e.url for e in service.start_in_thread() if e.kme == "alice")
        with connect(url, pki) as sock:  # one answered request, then the client idles
            sock.sendall(f"GET {PATH} HTTP/1.1\r\nhost: localhost\r\n\r\n".encode())
            assert read_response(sock).startswith(b"HTTP/1.1 200")
            start = time.monotonic()
            service.stop_thread()
            took = time.monotonic() - start
            assert not service._thread.is_alive()
    assert took < 5  # the default idle timeout is 30 s: the client was not waited for
