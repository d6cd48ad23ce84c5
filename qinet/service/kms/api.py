"""One KME's HTTPS API: ETSI GS QKD 014 V1.1.1 (2019), section 5, and a status page.

The routes (``{slave}`` / ``{master}`` are SAE IDs):

* ``GET  /api/v1/keys/{slave}/status`` — Status of the link to the slave's KME;
* ``GET|POST /api/v1/keys/{slave}/enc_keys`` — new keys for the master (the caller);
* ``GET|POST /api/v1/keys/{master}/dec_keys`` — those keys for the slave (the caller);
* ``GET /status`` — pool levels and driver state as JSON (never key material);
* ``GET /metrics`` — the KME's Prometheus metrics (:mod:`qinet.service.kms.metrics`);
* ``GET /docs``, ``/redoc``, ``/openapi.json`` — the API's documentation, with every
  script and style sheet served by the KME itself (fastapi-offline), so it works where
  no CDN can be reached.

The caller's SAE ID is the common name of its TLS client certificate, put into the
ASGI scope by :mod:`qinet.service.kms.tls`; no parameter can claim another identity.
The routes parse and validate requests and call :class:`~qinet.service.kms.handlers.
KmeHandlers`; every refusal, FastAPI's own 404, 405 and validation errors included,
becomes the Error object of the standard through
:mod:`qinet.service.kms.error_answers`. A query parameter the route does not define, or
one given twice (``dec_keys?key_ID=A&key_ID=B``), is refused with 400, as an unknown
field of a POST body is: nothing is half served. Plain GET requests take the
:mod:`qinet.service.kms.fast_lane`, which gives the same answers at a fraction of the
CPU time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline

from qinet.errors import ConfigError
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.error_answers import ERROR_HANDLERS, on_crash
from qinet.service.kms.fast_lane import FastLane
from qinet.service.kms.handlers import KmeHandlers
from qinet.service.kms.metrics import KmeMetrics, MetricsMiddleware
from qinet.service.kms.models import (
    ErrorBody,
    KeyContainer,
    KeyIds,
    KeyRequest,
    KmsLimits,
    Status,
)
from qinet.service.kms.store import KeyStore
from qinet.service.log_format import clip

_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "bad request"), (401, "unauthorized SAE"), (503, "no key available now"))}


def create_kme_app(*, kme: str, directory: KmeDirectory, store: KeyStore,
                   limits: KmsLimits | None = None,
                   service_status: Callable[[], dict[str, Any]] | None = None) -> FastAPI:
    """The FastAPI application of one KME.

    Args:
        kme: this KME's name.
        directory: every KME and the SAEs each serves.
        store: the key store shared by all KMEs of the process.
        limits: what the KME advertises and enforces (default :class:`KmsLimits`).
        service_status: extra fields for ``GET /status`` (e.g. the driver's state).

    Returns:
        The application; serve it with client certificates required.

    Raises:
        ConfigError: ``kme`` is not in the directory.
    """
    if kme not in directory.kme_names:
        raise ConfigError("kme", f"unknown KME {kme!r}; known: {', '.join(directory.kme_names)}")
    limits = limits or KmsLimits()
    handlers = KmeHandlers(kme=kme, directory=directory, store=store,
                           limits=limits, service_status=service_status)
    metrics = KmeMetrics(kme, store, key_size_bits=limits.key_size)
    app = FastAPIOffline(title=f"qinet KME {kme}", version="1.1.1",
                         description="ETSI GS QKD 014 V1.1.1 key delivery over mutual TLS",
                         swagger_ui_parameters={"validatorUrl": None})
    for exception, handler in ERROR_HANDLERS.items():
        app.add_exception_handler(exception, handler)
    app.add_exception_handler(Exception, on_crash)
    app.add_middleware(FastLane, handlers=handlers)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees the fast lane
    prefix = "/api/v1/keys"

    @app.get(prefix + "/{slave_SAE_ID}/status", response_model=Status, responses=_ERRORS)
    async def get_status(request: Request, slave_SAE_ID: str) -> JSONResponse:
        """Status of the key pool between the caller's KME and the slave SAE's KME."""
        check_query(request, ())
        return handlers.link_status(handlers.caller(request.scope), slave_SAE_ID)

    @app.get(prefix + "/{slave_SAE_ID}/enc_keys", response_model=KeyContainer,
             responses=_ERRORS)
    async def get_enc_keys(request: Request, slave_SAE_ID: str,
                           number: Annotated[int, Query()] = 1,
                           size: Annotated[int | None, Query()] = None) -> JSONResponse:
        """New keys shared with the slave SAE (number and size as query parameters)."""
        check_query(request, ("number", "size"))
        return await handlers.issue(handlers.caller(request.scope), slave_SAE_ID, number, size)

    @app.post(prefix + "/{slave_SAE_ID}/enc_keys", response_model=KeyContainer,
              responses=_ERRORS)
    async def post_enc_keys(request: Request, slave_SAE_ID: str,
                            body: KeyRequest) -> JSONResponse:
        """New keys shared with the slave SAE and any additional slaves (Key request)."""
        check_query(request, ())
        return await handlers.issue(handlers.caller(request.scope), slave_SAE_ID, body.number,
                                    body.size, body.additional_slave_sae_ids,
                                    body.extension_mandatory)

    @app.get(prefix + "/{master_SAE_ID}/dec_keys", response_model=KeyContainer,
             responses=_ERRORS)
    async def get_dec_keys(request: Request, master_SAE_ID: str,
                           key_ID: Annotated[str, Query()]) -> JSONResponse:
        """The key with this key_ID, issued by the master SAE for the caller."""
        check_query(request, ("key_ID",))
        return await handlers.deliver(handlers.caller(request.scope), master_SAE_ID, [key_ID])

    @app.post(prefix + "/{master_SAE_ID}/dec_keys", response_model=KeyContainer,
              responses=_ERRORS)
    async def post_dec_keys(request: Request, master_SAE_ID: str,
                            body: KeyIds) -> JSONResponse:
        """The keys with these key_IDs, issued by the master SAE for the caller (Key IDs)."""
        check_query(request, ())
        return await handlers.deliver(handlers.caller(request.scope), master_SAE_ID,
                                      [entry.key_id for entry in body.key_ids])

    @app.get("/status")
    async def service_page(request: Request) -> JSONResponse:
        """This KME, its SAEs and the levels of its pools; never key material."""
        check_query(request, ())
        return handlers.service_page(request.scope)

    @app.get("/metrics", response_class=Response)
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus metrics of this KME (text format); counts only, never key material."""
        check_query(request, ())
        handlers.known_caller(request.scope)
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    return app


def check_query(request: Request, allowed: Collection[str]) -> None:
    """Refuse a query parameter that is not ``allowed``, or that is given more than once.

    Raises:
        ConfigError: naming the parameter (clipped) and what the route accepts.
    """
    seen: set[str] = set()
    for name, _value in request.query_params.multi_items():
        if name not in allowed:
            accepted = ", ".join(allowed) or "none"
            raise ConfigError(clip(name, quote=False),
                              f"unknown query parameter; this request accepts {accepted}")
        if name in seen:
            raise ConfigError(name, "given more than once; give it once (POST takes several "
                                    "key_IDs)" if name == "key_ID" else
                              "given more than once; give it once")
        seen.add(name)
