"""A fast lane for the frequent, well-formed GET requests of a KME.

FastAPI spends most of a small request's time on per-request machinery (matching six
routes, solving dependencies, validating query parameters through pydantic, exit
stacks), several times the cost of the KME's own work. SAEs mostly send the same
three plain requests::

    GET /api/v1/keys/{slave}/enc_keys?number=10&size=256
    GET /api/v1/keys/{master}/dec_keys?key_ID=5f0c...
    GET /api/v1/keys/{slave}/status

:class:`FastLane` is ASGI middleware of the FastAPI app that answers exactly these
itself, calling the same :class:`~qinet.service.kms.handlers.KmeHandlers` methods and
the same error handlers as the routes, so the answer is the one FastAPI would give. It
takes a request only when its query is plain: each name known and given once, integers
as decimal digits without sign or leading zero, a key_ID of URL-safe characters
(nothing that percent-decoding, ``+`` or pydantic's lax parsing could change). Every
other request, including every malformed one, goes through FastAPI unchanged.

Examples:
    >>> plain_query(b"number=10&size=256", ENC_KEYS_QUERY)
    {'number': 10, 'size': 256}
    >>> plain_query(b"number=010", ENC_KEYS_QUERY) is None
    True
    >>> plain_query(b"key_ID=5f0c-11", DEC_KEYS_QUERY)
    {'key_ID': '5f0c-11'}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from qinet.service.kms.error_answers import handler_for
from qinet.service.kms.handlers import KmeHandlers

_PATH = re.compile(r"/api/v1/keys/([^/]+)/(enc_keys|dec_keys|status)")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,8}")
_URL_SAFE = re.compile(r"[A-Za-z0-9._~-]{1,128}")


def plain_integer(text: str) -> int | None:
    """A query value that pydantic reads as this integer, or ``None`` if not plain."""
    return int(text) if _DIGITS.fullmatch(text) else None


def plain_key_id(text: str) -> str | None:
    """A query value that arrives unchanged after URL decoding, or ``None``."""
    return text if _URL_SAFE.fullmatch(text) else None


ENC_KEYS_QUERY: Mapping[str, Callable[[str], Any]] = {"number": plain_integer,
                                                       "size": plain_integer}
DEC_KEYS_QUERY: Mapping[str, Callable[[str], Any]] = {"key_ID": plain_key_id}


def plain_query(query_string: bytes, parameters: Mapping[str, Callable[[str], Any]]
                ) -> dict[str, Any] | None:
    """The parameters of a plain query string, or ``None`` if it is anything else.

    Args:
        query_string: the raw query (``scope["query_string"]``).
        parameters: each allowed name and its parser (``None`` for a value it refuses).
    """
    values: dict[str, Any] = {}
    if not query_string:
        return values
    try:
        text = query_string.decode("ascii")
    except UnicodeDecodeError:
        return None
    for part in text.split("&"):
        name, sep, raw = part.partition("=")
        parse = parameters.get(name)
        if not sep or parse is None or name in values:
            return None
        value = parse(raw)
        if value is None:
            return None
        values[name] = value
    return values


class FastLane:
    """ASGI middleware answering plain GET requests of one KME without FastAPI's routing.

    Args:
        app: the rest of the FastAPI middleware stack (its router).
        handlers: the KME's answers.
    """

    def __init__(self, app: ASGIApp, handlers: KmeHandlers) -> None:
        self.app = app
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = (_PATH.fullmatch(scope["path"])
                 if scope["type"] == "http" and scope["method"] == "GET"
                 and not scope.get("root_path") else None)
        query = None
        if match is not None:
            sae, action = match[1], match[2]
            query = plain_query(scope["query_string"], DEC_KEYS_QUERY
                                if action == "dec_keys" else ENC_KEYS_QUERY)
        if match is None or query is None or (
                action == "dec_keys" and "key_ID" not in query) or (action == "status" and query):
            await self.app(scope, receive, send)
            return
        handlers = self.handlers
        try:
            caller = handlers.caller(scope)
            if action == "enc_keys":
                response = await handlers.issue(caller, sae, query.get("number", 1),
                                                query.get("size"))
            elif action == "dec_keys":
                response = await handlers.deliver(caller, sae, [query["key_ID"]])
            else:
                response = handlers.link_status(caller, sae)
        except Exception as exc:
            handler = handler_for(exc)
            if handler is None:  # a bug: FastAPI's outermost middleware answers 500
                raise
            response = await handler(Request(scope, receive), exc)
        await response(scope, receive, send)
