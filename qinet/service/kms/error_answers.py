"""Every refusal of a KME as the Error object of ETSI GS QKD 014 V1.1.1 (2019), section 6.

The one place where exceptions become HTTP answers, shared by the FastAPI application
and its fast lane (:mod:`qinet.service.kms.fast_lane`), so that a request gets the same
answer whichever path served it: ``ConfigError`` → 400, ``Unauthorized`` → 401,
``ResourceUnavailable`` → 503, another ``QinetError`` → 500, Starlette's
``HTTPException`` (401, 404, 405) with its own status, request validation → 400 (the
standard has no 422), anything else → 500. Where the standard fixes a message
(:class:`~qinet.errors.PrescribedRefusal`), ``message`` is its text word for word and
the particulars go to ``details``. Values from the request are clipped before they are
echoed into an answer or a log line, so a megabyte of key_ID is never repeated.

Examples:
    >>> from qinet.errors import ConfigError
    >>> handler_for(ConfigError("size", "too big")) is on_config_error
    True
    >>> error_response(503, "empty").body
    b'{"message":"empty","details":[]}'
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from qinet.errors import (
    ConfigError,
    PrescribedRefusal,
    QinetError,
    ResourceUnavailable,
    Unauthorized,
)
from qinet.service.log_format import clip

_log = logging.getLogger("qinet.service.kms")
ErrorHandler = Callable[[Request, Any], Awaitable[JSONResponse]]


def error_response(status: int, message: str,
                   details: Sequence[dict[str, Any]] = ()) -> JSONResponse:
    """The Error object of the standard, with this HTTP status."""
    return JSONResponse({"message": message, "details": list(details)}, status_code=status)


def _path(request: Request) -> str:
    return clip(request.url.path, quote=False)


async def on_config_error(request: Request, exc: ConfigError) -> JSONResponse:
    """400 naming the field and the reason."""
    _log.info("%s %s -> 400: %s", request.method, _path(request), exc)
    return error_response(400, str(exc), [{"field": exc.field, "reason": exc.reason}])


async def on_prescribed(request: Request, exc: PrescribedRefusal) -> JSONResponse:
    """400 with the standard's message and the particulars in ``details``."""
    _log.info("%s %s -> 400: %s %s", request.method, _path(request), exc.message,
              exc.details)
    return error_response(400, exc.message, exc.details)


async def on_unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
    """401: the caller may not have these keys (ETSI GS QKD 014, 5.4)."""
    _log.info("%s %s -> 401: %s", request.method, _path(request), exc)
    return error_response(401, str(exc))


async def on_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503: no key now (the pool is short) or the store is closing."""
    _log.info("%s %s -> 503: %s", request.method, _path(request), exc)
    return error_response(503, str(exc))


async def on_qinet_error(request: Request, exc: Exception) -> JSONResponse:
    """500 for any other qinet error."""
    _log.error("%s %s -> 500: %s", request.method, _path(request), exc)
    return error_response(500, str(exc))


async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    """The framework's own refusals (401 from the KME, 404, 405) with their status."""
    _log.info("%s %s -> %d: %s", request.method, _path(request), exc.status_code,
              exc.detail)
    response = error_response(exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """400 listing every field that failed validation."""
    # the pydantic input is left out on purpose: it may echo the request back; the
    # location may name an unknown field of any length, so it is clipped
    details = [{"field": ".".join(clip(p, quote=False) for p in error.get("loc", ())),
                "reason": str(error.get("msg", "invalid"))} for error in exc.errors()[:16]]
    message = "; ".join(f"{d['field']}: {d['reason']}" for d in details) or "bad request"
    _log.info("%s %s -> 400: %s", request.method, _path(request), message)
    return error_response(400, message, details)


async def on_crash(request: Request, exc: Exception) -> JSONResponse:
    """500 without detail for a bug (the traceback goes to the log only)."""
    _log.exception("%s %s -> 500", request.method, _path(request))
    return error_response(500, "internal error of the KME")


# by exception class; the closest class in the exception's MRO wins, as in Starlette
ERROR_HANDLERS: dict[type[Exception], ErrorHandler] = {
    PrescribedRefusal: on_prescribed,
    ConfigError: on_config_error,
    Unauthorized: on_unauthorized,
    ResourceUnavailable: on_unavailable,
    QinetError: on_qinet_error,
    HTTPException: on_http_error,
    RequestValidationError: on_invalid_request,
}


def handler_for(exc: Exception) -> ErrorHandler | None:
    """The handler of :data:`ERROR_HANDLERS` for this exception, or ``None`` (a crash)."""
    for cls in type(exc).__mro__:
        handler = ERROR_HANDLERS.get(cls)
        if handler is not None:
            return handler
    return None
