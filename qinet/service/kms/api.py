"""One KME's HTTPS API: ETSI GS QKD 014 V1.1.1 (2019), section 5, and a status page.

The routes (``{slave}`` / ``{master}`` are SAE IDs):

* ``GET  /api/v1/keys/{slave}/status`` — Status of the link to the slave's KME;
* ``GET|POST /api/v1/keys/{slave}/enc_keys`` — new keys for the master (the caller);
* ``GET|POST /api/v1/keys/{master}/dec_keys`` — those keys for the slave (the caller);
* ``GET /status`` — pool levels and driver state as JSON (never key material).

The caller's SAE ID is the common name of its TLS client certificate, put into the
ASGI scope by :mod:`qinet.service.kms.tls`; no parameter can claim another identity.
This module is the one place where qinet errors become HTTP answers, always with the
Error object of the standard: ``ConfigError`` → 400, an unknown or foreign client →
401, ``ResourceUnavailable`` → 503; FastAPI's own 404, 405 and validation errors
are rewritten the same way (validation as 400, as the standard has no 422).
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from qinet.errors import ConfigError, QinetError, ResourceUnavailable
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.models import (
    ErrorBody,
    KeyContainer,
    KeyIds,
    KeyRequest,
    KmsLimits,
    Status,
)
from qinet.service.kms.store import Key, KeyStore
from qinet.service.kms.tls import client_common_names

_log = logging.getLogger("qinet.service.kms")
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "bad request"), (401, "unauthorized SAE"), (503, "no key available now"))}


def error_response(status: int, message: str,
                   details: Sequence[dict[str, Any]] = ()) -> JSONResponse:
    """The Error object of the standard, with this HTTP status."""
    return JSONResponse({"message": message, "details": list(details)}, status_code=status)


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
    app = FastAPI(title=f"qinet KME {kme}", version="1.1.1",
                  description="ETSI GS QKD 014 V1.1.1 key delivery over mutual TLS")
    _install_error_handlers(app)

    def caller(request: Request) -> str:
        names = client_common_names(request.scope)
        if len(names) != 1:
            raise HTTPException(401, "a client certificate naming one SAE ID (CN) is required")
        sae = names[0]
        if directory.sae_kme.get(sae) != kme:
            raise HTTPException(401, f"SAE {sae!r} is not served by KME {kme!r}")
        return sae

    def peer_kme(caller_sae: str, other_sae: str, field: str) -> str:
        other_kme = directory.kme_of(other_sae, field=field)
        if other_sae == caller_sae:
            raise ConfigError(field, f"must name another SAE than the caller, got {other_sae!r}")
        if other_kme == kme:
            raise ConfigError(field, f"SAE {other_sae!r} is served by this KME too; keys are "
                                     "shared between two KMEs")
        return other_kme

    def container(keys: list[Key]) -> dict[str, Any]:
        return {"keys": [{"key_ID": k.key_id, "key": base64.b64encode(k.material).decode()}
                         for k in keys]}

    async def issue(master: str, slave: str, number: int, size: int | None,
                    additional: Sequence[str] = (),
                    mandatory: Sequence[dict[str, Any]] = ()) -> JSONResponse:
        slave_kme = peer_kme(master, slave, "slave_SAE_ID")
        size_bits = limits.key_size if size is None else size
        limits.check_request(number=number, size_bits=size_bits)
        if mandatory:
            names = sorted({str(name) for ext in mandatory for name in ext})
            raise ConfigError("extension_mandatory", f"not supported: {names}")
        if len(additional) > limits.max_sae_id_count:
            raise ConfigError("additional_slave_SAE_IDs",
                              f"at most {limits.max_sae_id_count} SAEs, got {len(additional)}")
        for i, extra in enumerate(additional):
            field = f"additional_slave_SAE_IDs[{i}]"
            if peer_kme(master, extra, field) != slave_kme or extra == slave:
                raise ConfigError(field, f"SAE {extra!r} must be another SAE of the slave's "
                                         f"KME {slave_kme!r}")
            if extra in additional[:i]:
                raise ConfigError(field, f"SAE {extra!r} is listed twice")
        keys = await asyncio.wrap_future(store.issue(
            master_kme=kme, slave_kme=slave_kme, master_sae=master,
            slave_saes=(slave, *additional), number=number, size_bits=size_bits))
        _log.info("%s: %s enc_keys for %s: %d x %d bits", kme, master, slave, number, size_bits)
        return JSONResponse(container(keys))

    async def deliver(slave: str, master: str, key_ids: list[str]) -> JSONResponse:
        peer_kme(slave, master, "master_SAE_ID")
        if len(key_ids) > limits.max_key_per_request:
            raise ConfigError("key_IDs", f"at most {limits.max_key_per_request} keys per "
                                         f"request, got {len(key_ids)}")
        keys = await asyncio.wrap_future(store.deliver(
            master_sae=master, slave_sae=slave, key_ids=key_ids))
        _log.info("%s: %s dec_keys from %s: %d keys", kme, slave, master, len(keys))
        return JSONResponse(container(keys))

    prefix = "/api/v1/keys"

    @app.get(prefix + "/{slave_SAE_ID}/status", response_model=Status, responses=_ERRORS)
    async def get_status(request: Request, slave_SAE_ID: str) -> JSONResponse:
        """Status of the key pool between the caller's KME and the slave SAE's KME."""
        master = caller(request)
        slave_kme = peer_kme(master, slave_SAE_ID, "slave_SAE_ID")
        level = store.levels().get(directory.pair(kme, slave_kme))
        stored = level.stored_bytes if level else 0
        key_bytes = limits.key_size // 8
        return JSONResponse({
            "source_KME_ID": kme, "target_KME_ID": slave_kme,
            "master_SAE_ID": master, "slave_SAE_ID": slave_SAE_ID,
            "key_size": limits.key_size, "stored_key_count": stored // key_bytes,
            "max_key_count": store.pool_capacity_bytes // key_bytes,
            "max_key_per_request": limits.max_key_per_request,
            "max_key_size": limits.max_key_size, "min_key_size": limits.min_key_size,
            "max_SAE_ID_count": limits.max_sae_id_count})

    @app.get(prefix + "/{slave_SAE_ID}/enc_keys", response_model=KeyContainer,
             responses=_ERRORS)
    async def get_enc_keys(request: Request, slave_SAE_ID: str,
                           number: Annotated[int, Query()] = 1,
                           size: Annotated[int | None, Query()] = None) -> JSONResponse:
        """New keys shared with the slave SAE (number and size as query parameters)."""
        return await issue(caller(request), slave_SAE_ID, number, size)

    @app.post(prefix + "/{slave_SAE_ID}/enc_keys", response_model=KeyContainer,
              responses=_ERRORS)
    async def post_enc_keys(request: Request, slave_SAE_ID: str,
                            body: KeyRequest) -> JSONResponse:
        """New keys shared with the slave SAE and any additional slaves (Key request)."""
        return await issue(caller(request), slave_SAE_ID, body.number, body.size,
                           body.additional_slave_sae_ids, body.extension_mandatory)

    @app.get(prefix + "/{master_SAE_ID}/dec_keys", response_model=KeyContainer,
             responses=_ERRORS)
    async def get_dec_keys(request: Request, master_SAE_ID: str,
                           key_ID: Annotated[str, Query()]) -> JSONResponse:
        """The key with this key_ID, issued by the master SAE for the caller."""
        return await deliver(caller(request), master_SAE_ID, [key_ID])

    @app.post(prefix + "/{master_SAE_ID}/dec_keys", response_model=KeyContainer,
              responses=_ERRORS)
    async def post_dec_keys(request: Request, master_SAE_ID: str,
                            body: KeyIds) -> JSONResponse:
        """The keys with these key_IDs, issued by the master SAE for the caller (Key IDs)."""
        return await deliver(caller(request), master_SAE_ID,
                             [entry.key_id for entry in body.key_ids])

    @app.get("/status")
    async def service_page(request: Request) -> JSONResponse:
        """This KME, its SAEs and the levels of its pools; never key material."""
        caller_sae = client_common_names(request.scope)
        if not caller_sae or caller_sae[0] not in directory.sae_kme:
            raise HTTPException(401, "a client certificate of a known SAE is required")
        pools = [{"kmes": [lv.kme_a, lv.kme_b], "stored_bytes": lv.stored_bytes,
                  "stored_keys": lv.stored_bytes // (limits.key_size // 8),
                  "deposited_bytes": lv.deposited_bytes, "discarded_bytes": lv.discarded_bytes,
                  "keys_issued": lv.keys_issued, "keys_delivered": lv.keys_delivered}
                 for pair, lv in sorted(store.levels().items()) if kme in pair]
        extra = service_status() if service_status else {}
        return JSONResponse({"kme": kme, "saes": list(directory.saes_of(kme)),
                             "pools": pools, **extra})

    return app


def _install_error_handlers(app: FastAPI) -> None:
    async def on_config_error(request: Request, exc: ConfigError) -> JSONResponse:
        _log.info("%s %s -> 400: %s", request.method, request.url.path, exc)
        return error_response(400, str(exc), [{"field": exc.field, "reason": exc.reason}])

    async def on_unavailable(request: Request, exc: Exception) -> JSONResponse:
        _log.info("%s %s -> 503: %s", request.method, request.url.path, exc)
        return error_response(503, str(exc))

    async def on_qinet_error(request: Request, exc: Exception) -> JSONResponse:
        _log.error("%s %s -> 500: %s", request.method, request.url.path, exc)
        return error_response(500, str(exc))

    async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
        _log.info("%s %s -> %d: %s", request.method, request.url.path, exc.status_code,
                  exc.detail)
        response = error_response(exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # the pydantic input is left out on purpose: it may echo the request back
        details = [{"field": ".".join(str(p) for p in error.get("loc", ())),
                    "reason": str(error.get("msg", "invalid"))} for error in exc.errors()]
        message = "; ".join(f"{d['field']}: {d['reason']}" for d in details) or "bad request"
        _log.info("%s %s -> 400: %s", request.method, request.url.path, message)
        return error_response(400, message, details)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        _log.exception("%s %s -> 500", request.method, request.url.path)
        return error_response(500, "internal error of the KME")

    app.add_exception_handler(ConfigError, on_config_error)
    app.add_exception_handler(ResourceUnavailable, on_unavailable)
    app.add_exception_handler(QinetError, on_qinet_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(Exception, on_crash)
