"""The client certificate of a TLS connection, handed to the ASGI app in its scope.

uvicorn verifies client certificates (``CERT_REQUIRED`` with the CA) but does not show
them to the application. The ASGI TLS extension (asgiref, "TLS Extension", 2020)
defines where they belong: ``scope["extensions"]["tls"]``. The connection protocol of
:mod:`qinet.service.kms.connection` reads, once per connection, the verified peer
certificate from the transport's ``ssl_object`` (the handshake is complete when
``connection_made`` runs) with :func:`tls_extension`, and every request of that
connection carries it.

Besides the standard keys (``client_cert_chain`` as PEM, ``client_cert_name`` as an
RFC 4514 string), the entry carries ``client_cert_common_names``: the subject's CNs as
parsed by :mod:`ssl`, from which the KME takes the SAE ID.
"""

from __future__ import annotations

import ssl
from collections.abc import MutableMapping
from typing import Any, cast

Scope = MutableMapping[str, Any]


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
    # ssl gives the subject as relative distinguished names of (attribute, value) pairs
    subject = cast(tuple[tuple[tuple[str, str], ...], ...], peer.get("subject", ()))
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

