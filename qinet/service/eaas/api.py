"""The entanglement service's HTTP API (JSON; OpenAPI at ``/openapi.json``).

* ``POST   /v1/requests`` — ask for pairs: 201 with the estimate, or 409 with the limit
  the network cannot meet;
* ``GET    /v1/requests`` — the caller's requests;
* ``GET    /v1/requests/{id}`` — one of them: state, latest pairs, SLO status;
* ``DELETE /v1/requests/{id}`` — cancel it: its demand stops;
* ``GET    /v1/network`` — topology, link rates, memory use;
* ``GET    /metrics`` — Prometheus metrics (:mod:`qinet.service.eaas.metrics`);
* ``GET    /docs``, ``/redoc`` — the API's pages, served offline (fastapi-offline).

Every route needs ``Authorization: Bearer TOKEN`` (:mod:`qinet.service.eaas.auth`), or,
with mutual TLS, a client certificate whose common name names the tenant. A tenant sees
only its own requests: another tenant's id answers 404, as an unknown id does, so ids
say nothing of others' requests. Refusals are ``{"message", "details"}``
as the key service's are: 400 for a body that is not JSON, 401 without a valid token,
404, 409 when admission refuses, 413 for a body over the connection limit (refused by
the connection guard before it is read), 422 for a field out of range or an unknown
node. A refused request changes nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from qinet.errors import ConfigError
from qinet.service.eaas.auth import CertificateTenants, TenantTokens
from qinet.service.eaas.dashboard import add_live_views
from qinet.service.eaas.live import (
    LiveNetwork,
    LiveRequest,
    Rejected,
    RequestSpec,
    estimate_view,
)
from qinet.service.eaas.metrics import EaasMetrics
from qinet.service.eaas.models import Accepted, ErrorBody, PairRequest
from qinet.service.kms.error_answers import error_response, on_http_error
from qinet.service.kms.tls import client_common_names
from qinet.service.log_format import clip

_log = logging.getLogger("qinet.service.eaas")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "not JSON"), (401, "no valid bearer token"), (404, "no such request"),
        (409, "the network cannot serve it"), (413, "body too large"),
        (422, "a field out of range, an unknown node"))}


class _Unauthenticated(Exception):
    """No known caller; the message says what is needed (a bearer token by default)."""


class _NotFound(Exception):
    pass


async def _on_unauthenticated(_request: Request, exc: Exception) -> JSONResponse:
    response = error_response(401, str(exc) or "a valid 'Authorization: Bearer TOKEN' "
                                                "header is needed")
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _on_not_found(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(404, str(exc))


async def _on_config_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConfigError)
    return error_response(422, str(exc), [{"field": exc.field, "reason": exc.reason}])


async def _on_rejected(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Rejected)
    return error_response(409, exc.reason, [{"limit": exc.limit, "reason": exc.reason}])


async def _on_invalid(request: Request, exc: Exception) -> JSONResponse:
    """422 listing every field out of range; 400 for a body that is not JSON; 415 for a
    body sent without ``Content-Type: application/json`` (curl's ``-d`` alone sends a
    form type, which the framework would report as a body that is not an object)."""
    assert isinstance(exc, RequestValidationError)
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and "json" not in content_type.lower():
        return error_response(
            415, "the body must be JSON, sent with Content-Type: application/json",
            [{"field": "content-type", "reason": f"got {clip(content_type) or 'none'}"}])
    errors = list(exc.errors())[:16]
    details = [{"field": ".".join(clip(str(p), quote=False) for p in e.get("loc", ())),
                "reason": str(e.get("msg", "invalid"))} for e in errors]
    message = "; ".join(f"{d['field']}: {d['reason']}" for d in details) or "bad request"
    status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
    return error_response(status, message, details)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    """The framework's own refusals (404 of an unknown route, 405) with their status."""
    assert isinstance(exc, HTTPException)
    return await on_http_error(request, exc)


async def _on_crash(request: Request, _exc: Exception) -> JSONResponse:
    """500 without detail for a bug (the traceback goes to the log only)."""
    _log.exception("%s %s -> 500", request.method, clip(request.url.path))
    return error_response(500, "internal error of the entanglement service")


def create_eaas_app(network: LiveNetwork, tokens: TenantTokens | None,
                    metrics: EaasMetrics | None = None, *,
                    certificates: CertificateTenants | None = None) -> FastAPI:
    """The FastAPI application of the entanglement service over ``network``.

    Args:
        network: the live network (its hooks are set to feed ``metrics``).
        tokens: the tenants' bearer tokens (``None``: certificates only).
        metrics: where the metrics go (a new registry by default).
        certificates: with mutual TLS, the tenants by client certificate: the
            certificate names the caller, and a bearer token, if one is sent too, must
            name the same tenant.

    Raises:
        ConfigError: neither tokens nor certificates.
    """
    if tokens is None and certificates is None:
        raise ConfigError("tokens", "give a tokens file, or client certificates (mutual "
                                    "TLS), to tell tenants apart")
    metrics = metrics or EaasMetrics()
    metrics.watch(network)
    app = FastAPIOffline(title="qinet entanglement service", version="1",
                         description="Entanglement as a service over a simulated network",
                         swagger_ui_parameters={"validatorUrl": None})
    app.add_exception_handler(_Unauthenticated, _on_unauthenticated)
    app.add_exception_handler(_NotFound, _on_not_found)
    app.add_exception_handler(ConfigError, _on_config_error)
    app.add_exception_handler(Rejected, _on_rejected)
    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.add_exception_handler(HTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_crash)

    def tenant(request: Request) -> str:
        header = request.headers.get("authorization")
        if certificates is None:
            found = tokens.tenant_of(header) if tokens is not None else None
            if found is None:
                raise _Unauthenticated()
            return found
        by_certificate = certificates.tenant_of(client_common_names(request.scope))
        if by_certificate is None:
            raise _Unauthenticated("the client certificate names no known tenant")
        if header is not None and (tokens is None
                                   or tokens.tenant_of(header) != by_certificate):
            raise _Unauthenticated("the bearer token does not belong to the client "
                                   "certificate's tenant")
        return by_certificate

    def owned(request: Request, request_id: str) -> LiveRequest:
        caller = tenant(request)
        found = network.requests.get(request_id)
        if found is None or found.tenant != caller:  # others' ids look unknown
            raise _NotFound(f"no request {clip(request_id)}")
        return found

    @app.post("/v1/requests", status_code=201, response_model=Accepted, responses=_ERRORS)
    async def post_request(request: Request, body: PairRequest) -> JSONResponse:
        """Ask for pairs; admitted when the network's estimates say it can serve them."""
        caller = tenant(request)
        spec = RequestSpec((body.between[0], body.between[1]), body.min_fidelity,
                           body.rate_hz, body.count, body.deadline_s, body.priority)
        began = time.perf_counter()
        try:
            admitted = network.admit(caller, spec)
        except Rejected as exc:
            metrics.admissions.labels("rejected").inc()
            _log.info("%s: rejected: %s", caller, exc.reason)
            raise
        finally:
            metrics.admission_s.observe(time.perf_counter() - began)
        metrics.admissions.labels("accepted").inc()
        _log.info("%s: admitted %s on %s", caller, admitted.id, admitted.estimate.route)
        return JSONResponse({"id": admitted.id, "state": admitted.state,
                             "rate_hz": admitted.rate_hz,
                             "estimate": estimate_view(admitted.estimate)}, status_code=201,
                            headers={"Location": f"/v1/requests/{admitted.id}"})

    @app.get("/v1/requests", responses=_ERRORS)
    async def list_requests(request: Request) -> JSONResponse:
        """The caller's requests, oldest first."""
        caller = tenant(request)
        mine = [r for r in list(network.requests.values()) if r.tenant == caller]
        return JSONResponse({"requests": [network.view(r) for r in mine]})

    @app.get("/v1/requests/{request_id}", responses=_ERRORS)
    async def get_request(request: Request, request_id: str) -> JSONResponse:
        """One request: state, latest pairs (id, time, fidelity) and SLO status."""
        return JSONResponse(network.view(owned(request, request_id)))

    @app.delete("/v1/requests/{request_id}", responses=_ERRORS)
    async def delete_request(request: Request, request_id: str) -> JSONResponse:
        """Cancel a request: its demand asks for no more pairs."""
        found = owned(request, request_id)
        network.cancel(found)
        return JSONResponse(network.view(found))

    @app.get("/v1/network", responses=_ERRORS)
    async def get_network(request: Request) -> JSONResponse:
        """Topology, link rates and spare rate, memory use."""
        tenant(request)
        return JSONResponse(network.network_view())

    @app.get("/metrics", response_class=Response, responses=_ERRORS)
    async def prometheus_metrics(request: Request) -> Response:
        """Prometheus metrics (text format)."""
        tenant(request)
        body, content_type = metrics.render()
        return Response(body, media_type=content_type)

    add_live_views(app, network, tenant=tenant, owned=owned)  # streams and dashboard
    return app
