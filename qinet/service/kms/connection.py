"""Each connection of a KME under limits of time and size, its client certificate in scope.

uvicorn verifies client certificates but neither shows them to the application nor
bounds how long a client may take: a connection that sends nothing, or half a request
head, or half a body, is kept open for ever, and a request line grows without limit
before the application sees it. :func:`guarded_protocol` makes a subclass of uvicorn's
HTTP protocol that, per connection:

* puts the verified client certificate into every request's scope (the ASGI TLS
  extension, see :func:`qinet.service.kms.tls.tls_extension`);
* closes a connection on which no request starts within ``idle_timeout_s`` (after the
  handshake, and between requests through uvicorn's own keep-alive timer);
* answers 408 and closes when a request's head and body do not arrive within
  ``request_timeout_s`` of its first byte (slow or stalled clients);
* answers 414 when the request line, 431 when the whole head, and 413 when the body
  exceed their limits, before they are read whole;
* at shutdown, drops a connection with no request under way at once (closing TLS
  politely would wait for the client, which an idle keep-alive client never answers).

Every such answer is the Error object of ETSI GS QKD 014 (``{"message", "details"}``).
The hooks used are ``connection_made``, ``data_received``, the ``app`` attribute (read
when a request's head is complete) and ``cycle`` (the request being parsed), which
both uvicorn HTTP protocols have.

Examples:
    >>> ConnectionLimits().request_timeout_s
    10.0
    >>> error_bytes(408, "request not received within 10 s")[:29]
    b'HTTP/1.1 408 Request Timeout\\r'
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar, cast

from qinet.errors import ConfigError
from qinet.service.kms.tls import tls_extension

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Any, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """How long and how large a client's requests may be.

    Attributes:
        idle_timeout_s: a connection with no request under way is closed after this (s).
        request_timeout_s: a request's head and body must arrive within this of its
            first byte (s).
        max_request_line_bytes: longest request line (method, target, version).
        max_head_bytes: longest request head (request line and headers).
        max_body_bytes: largest request body.

    Raises:
        ConfigError: a limit that is not positive.
    """

    idle_timeout_s: float = 30.0
    request_timeout_s: float = 10.0
    max_request_line_bytes: int = 8192
    max_head_bytes: int = 32768
    max_body_bytes: int = 1 << 20

    def __post_init__(self) -> None:
        for name in ("idle_timeout_s", "request_timeout_s", "max_request_line_bytes",
                     "max_head_bytes", "max_body_bytes"):
            value = getattr(self, name)
            if not value > 0:
                raise ConfigError(name.removesuffix("_s").replace("_", "-"),
                                  f"must be positive, got {value}")


def error_bytes(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 answer carrying the Error object, that closes the connection."""
    body = json.dumps({"message": message, "details": []}).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + body


class _ConnectionGuard(asyncio.Protocol):
    """What :func:`guarded_protocol` adds to a uvicorn HTTP protocol class (a mixin in
    front of it; ``super()`` is uvicorn's protocol at run time)."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()
    app: Asgi  # set by uvicorn's constructor; read when each request starts

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        loop = asyncio.get_running_loop()
        self._guard_loop = loop
        # uvicorn's protocols are made for stream transports (write, abort)
        self._guard_transport = cast(asyncio.Transport, transport)
        self._request_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._line_done = False
        self._in_head = True
        self._idle_timer: asyncio.TimerHandle | None = loop.call_later(
            self.limits.idle_timeout_s, self._close_idle)
        tls = tls_extension(transport.get_extra_info("ssl_object"))
        app: Asgi = self.app

        async def guarded_app(scope: Scope, receive: Any, send: Any) -> None:
            # uvicorn calls this once a request's head is complete
            if scope.get("type") == "http":
                if tls is not None:
                    scope["extensions"] = {**(scope.get("extensions") or {}),
                                           "tls": tls}
                receive = self._body_guard(scope, receive)
                if receive is None:  # refused: the answer is sent, the connection closed
                    return
            await app(scope, receive, send)

        # uvicorn reads self.app when each request of this connection starts
        self.app = guarded_app

    def data_received(self, data: bytes) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._request_timer is None:  # the first byte of a request
            self._request_timer = self._guard_loop.call_later(
                self.limits.request_timeout_s, self._request_timed_out)
            self._head_bytes = 0
            self._line_done = False
            self._in_head = True
        parsing = getattr(self, "cycle", None)
        super().data_received(data)
        if not self._in_head or self._guard_transport.is_closing():
            return
        if getattr(self, "cycle", None) is not parsing:  # the head is complete
            self._in_head = False
            return
        self._head_bytes += len(data)
        self._line_done = self._line_done or b"\n" in data
        if not self._line_done and self._head_bytes > self.limits.max_request_line_bytes:
            self._refuse(414, f"the request line is longer than "
                              f"{self.limits.max_request_line_bytes} bytes")
        elif self._head_bytes > self.limits.max_head_bytes:
            self._refuse(431, f"the request head is larger than "
                              f"{self.limits.max_head_bytes} bytes")

    def shutdown(self) -> None:
        # uvicorn closes an idle connection at shutdown with transport.close(), which
        # on TLS waits for the client's close_notify: an idle keep-alive client would
        # hold the server open. Nothing is under way on it, so it is aborted.
        cycle = getattr(self, "cycle", None)
        if (cycle is None or cycle.response_complete) and self._request_timer is None:
            self._guard_transport.abort()
            return
        cast(Any, super()).shutdown()  # uvicorn's own: not on asyncio.Protocol

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._idle_timer, self._request_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def _body_guard(self, scope: Scope, receive: Any) -> Any:
        """``receive`` that ends the request's timer once its body is in."""
        self._in_head = False
        headers = dict(scope.get("headers") or ())
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limits.max_body_bytes:
            self._refuse(413, f"the request body is larger than "
                              f"{self.limits.max_body_bytes} bytes")
            return None
        if length in (None, b"0") and b"transfer-encoding" not in headers:
            self._request_done()
            return receive
        received = 0

        async def guarded_receive() -> dict[str, Any]:
            nonlocal received
            message: dict[str, Any] = await receive()
            received += len(message.get("body", b""))
            if received > self.limits.max_body_bytes:
                self._refuse(413, f"the request body is larger than "
                                  f"{self.limits.max_body_bytes} bytes")
            if not message.get("more_body", False):
                self._request_done()
            return message

        return guarded_receive

    def _request_done(self) -> None:
        if self._request_timer is not None:
            self._request_timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        self._refuse(408, f"the request did not arrive whole within "
                          f"{self.limits.request_timeout_s:g} s")

    def _close_idle(self) -> None:
        self._idle_timer = None
        if not self._guard_transport.is_closing():
            self._guard_transport.close()

    def _refuse(self, status: int, message: str) -> None:
        transport = self._guard_transport
        if not transport.is_closing():
            transport.write(error_bytes(status, message))
            transport.close()


def guarded_protocol(base: type[asyncio.Protocol],
                     limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """A subclass of a uvicorn HTTP protocol class enforcing ``limits`` on each connection.

    Args:
        base: ``uvicorn.protocols.http.h11_impl.H11Protocol`` or the httptools one.
        limits: the limits.

    Returns:
        The subclass, to pass as ``uvicorn.Config(http=...)``.
    """
    guarded = type(f"Guarded{base.__name__}", (_ConnectionGuard, base), {"limits": limits})
    return cast(type[asyncio.Protocol], guarded)
