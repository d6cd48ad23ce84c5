"""The client certificate of a TLS connection, handed to the ASGI app in its scope.

uvicorn verifies client certificates (``CERT_REQUIRED`` with the CA) but does not show
them to the application. The ASGI TLS extension (asgiref, "TLS Extension", 2020)
defines where they belong: ``scope["extensions"]["tls"]``. :func:`tls_protocol` makes a
subclass of uvicorn's HTTP protocol that, once per connection, reads the verified peer
certificate from the transport's ``ssl_object`` (the handshake is complete when
``connection_made`` runs) and wraps the app so that every request of that connection
carries it. Nothing else of uvicorn is changed, and the only hooks used are
``connection_made`` and the ``app`` attribute, both of which every uvicorn HTTP
protocol has.

Besides the standard keys (``client_cert_chain`` as PEM, ``client_cert_name`` as an
RFC 4514 string), the entry carries ``client_cert_common_names``: the subject's CNs as
parsed by :mod:`ssl`, from which the KME takes the SAE ID.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Any, Any], Awaitable[None]]


def client_common_names(scope: Scope) -> tuple[str, ...]:
    """The common names of the verified client certificate of this request, or ``()``.

    Examples:
        >>> client_common_names({"extensions": {"tls": {
        ...     "client_cert_common_names": ("sae-1",)}}})
        ('sae-1',)
        >>> client_common_names({"type": "http"})
        ()
    """
    tls = (scope.get("extensions") or {}).get("tls") or {}
    return tuple(tls.get("client_cert_common_names", ()))


def tls_extension(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> dict[str, Any] | None:
    """The ASGI ``tls`` scope entry of a connection, or ``None`` on plain TCP.

    Only a certificate that passed verification is reported: :mod:`ssl` returns an
    empty dict for an unverified one.
    """
    if ssl_object is None:
        return None
    peer = ssl_object.getpeercert() or {}
    der = ssl_object.getpeercert(binary_form=True) if peer else None
    subject = peer.get("subject", ())
    names = tuple(value for rdn in subject for key, value in rdn if key == "commonName")
    rfc4514 = ",".join("+".join(f"{key}={value}" for key, value in rdn)
                       for rdn in reversed(subject))
    return {
        "server_cert": None,
        "client_cert_chain": (ssl.DER_cert_to_PEM_cert(der),) if der else (),
        "client_cert_name": rfc4514 or None,
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None,
        "client_cert_common_names": names,
    }


def tls_protocol(base: type[asyncio.Protocol]) -> type[asyncio.Protocol]:
    """A subclass of a uvicorn HTTP protocol class that fills ``scope["extensions"]["tls"]``.

    Args:
        base: ``uvicorn.protocols.http.h11_impl.H11Protocol`` or the httptools one.

    Returns:
        The subclass, to pass as ``uvicorn.Config(http=...)``.
    """

    class TlsProtocol(base):  # type: ignore[valid-type, misc]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            tls = tls_extension(transport.get_extra_info("ssl_object"))
            if tls is None:
                return
            app: Asgi = self.app

            async def app_with_tls(scope: Scope, receive: Any, send: Any) -> None:
                if scope.get("type") in ("http", "websocket"):
                    scope["extensions"] = {**(scope.get("extensions") or {}), "tls": tls}
                await app(scope, receive, send)

            # uvicorn reads self.app when each request of this connection starts
            self.app = app_with_tls

    TlsProtocol.__name__ = TlsProtocol.__qualname__ = f"Tls{base.__name__}"
    return TlsProtocol
