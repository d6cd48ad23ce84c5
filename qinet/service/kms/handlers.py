"""What one KME answers, given already parsed requests (ETSI GS QKD 014 V1.1.1, section 5).

Both ways into a KME call these methods: the FastAPI routes of
:mod:`qinet.service.kms.api` and the fast lane of :mod:`qinet.service.kms.fast_lane`.
Refusals are raised (``ConfigError``, ``ResourceUnavailable``, a 401 ``HTTPException``)
and turned into Error objects by :mod:`qinet.service.kms.error_answers`.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from qinet.errors import ConfigError, PrescribedRefusal
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.models import MANDATORY_NOT_SUPPORTED, KmsLimits
from qinet.service.kms.store import Key, KeyStore
from qinet.service.kms.tls import Scope, client_common_names
from qinet.service.log_format import clip

_log = logging.getLogger("qinet.service.kms")


class KmeHandlers:
    """The answers of one KME.

    Args:
        kme: this KME's name.
        directory: every KME and the SAEs each serves.
        store: the key store shared by all KMEs of the process.
        limits: what the KME advertises and enforces.
        service_status: extra fields for ``GET /status`` (e.g. the driver's state).
    """

    def __init__(self, *, kme: str, directory: KmeDirectory, store: KeyStore,
                 limits: KmsLimits,
                 service_status: Callable[[], dict[str, Any]] | None = None) -> None:
        self.kme = kme
        self.directory = directory
        self.store = store
        self.limits = limits
        self.service_status = service_status

    def caller(self, scope: Scope) -> str:
        """The caller's SAE ID: the CN of its verified client certificate.

        Raises:
            HTTPException: 401, no certificate naming one SAE of this KME.
        """
        names = client_common_names(scope)
        if len(names) != 1:
            raise HTTPException(401, "a client certificate naming one SAE ID (CN) is required")
        sae = names[0]
        if self.directory.sae_kme.get(sae) != self.kme:
            raise HTTPException(401, f"SAE {clip(sae)} is not served by KME {self.kme!r}")
        return sae

    def peer_kme(self, caller_sae: str, other_sae: str, field: str) -> str:
        """The KME of the SAE at the other end of a key.

        Raises:
            ConfigError: the SAE is unknown, the caller itself, or served by this KME.
        """
        other_kme = self.directory.kme_of(other_sae, field=field)
        if other_sae == caller_sae:
            raise ConfigError(field, f"must name another SAE than the caller, got "
                                     f"{clip(other_sae)}")
        if other_kme == self.kme:
            raise ConfigError(field, f"SAE {clip(other_sae)} is served by this KME too; keys "
                                     "are shared between two KMEs")
        return other_kme

    async def issue(self, master: str, slave: str, number: int, size: int | None,
                    additional: Sequence[str] = (),
                    mandatory: Sequence[dict[str, Any]] = ()) -> JSONResponse:
        """``enc_keys``: new keys for the master, bound to its slave(s); a Key container.

        No extension is supported: a request with ``extension_mandatory`` is refused
        with the standard's message and each unsupported name in ``details``;
        ``extension_optional`` is ignored, as clause 6.2 allows.
        """
        limits = self.limits
        slave_kme = self.peer_kme(master, slave, "slave_SAE_ID")
        size_bits = limits.key_size if size is None else size
        limits.check_request(number=number, size_bits=size_bits)
        if mandatory:
            names = sorted({clip(name, quote=False) for ext in mandatory for name in ext})
            raise PrescribedRefusal(MANDATORY_NOT_SUPPORTED, [
                {"extension_mandatory_unsupported": name} for name in names[:16]])
        if len(additional) > limits.max_sae_id_count:
            raise ConfigError("additional_slave_SAE_IDs",
                              f"at most {limits.max_sae_id_count} SAEs, got {len(additional)}")
        for i, extra in enumerate(additional):
            field = f"additional_slave_SAE_IDs[{i}]"
            if self.peer_kme(master, extra, field) != slave_kme or extra == slave:
                raise ConfigError(field, f"SAE {clip(extra)} must be another SAE of the "
                                         f"slave's KME {slave_kme!r}")
            if extra in additional[:i]:
                raise ConfigError(field, f"SAE {clip(extra)} is listed twice")
        keys = await asyncio.wrap_future(self.store.issue(
            master_kme=self.kme, slave_kme=slave_kme, master_sae=master,
            slave_saes=(slave, *additional), number=number, size_bits=size_bits))
        _log.info("%s: %s enc_keys for %s: %d x %d bits", self.kme, master, slave, number,
                  size_bits)
        return JSONResponse(_container(keys))

    async def deliver(self, slave: str, master: str, key_ids: list[str]) -> JSONResponse:
        """``dec_keys``: the master's keys with these IDs, for the slave; a Key container.

        Only a slave that the master named at Get key gets a key; any other SAE, the
        master itself included, gets 401 (ETSI GS QKD 014, 5.4). A key_ID unknown for
        this master, expired or already delivered to the caller gets 400 with the
        standard's message.
        """
        self.directory.kme_of(master, field="master_SAE_ID")
        if len(key_ids) > self.limits.max_key_per_request:
            raise ConfigError("key_IDs", f"at most {self.limits.max_key_per_request} keys "
                                         f"per request, got {len(key_ids)}")
        keys = await asyncio.wrap_future(self.store.deliver(
            master_sae=master, slave_sae=slave, key_ids=key_ids))
        _log.info("%s: %s dec_keys from %s: %d keys", self.kme, slave, master, len(keys))
        return JSONResponse(_container(keys))

    def link_status(self, master: str, slave: str) -> JSONResponse:
        """Status of the pool between this KME and the slave SAE's KME."""
        limits = self.limits
        slave_kme = self.peer_kme(master, slave, "slave_SAE_ID")
        level = self.store.levels().get(self.directory.pair(self.kme, slave_kme))
        stored = level.stored_bytes if level else 0
        key_bytes = limits.key_size // 8
        return JSONResponse({
            "source_KME_ID": self.kme, "target_KME_ID": slave_kme,
            "master_SAE_ID": master, "slave_SAE_ID": slave,
            "key_size": limits.key_size, "stored_key_count": stored // key_bytes,
            "max_key_count": self.store.pool_capacity_bytes // key_bytes,
            "max_key_per_request": limits.max_key_per_request,
            "max_key_size": limits.max_key_size, "min_key_size": limits.min_key_size,
            "max_SAE_ID_count": limits.max_sae_id_count})

    def known_caller(self, scope: Scope) -> str:
        """The caller's SAE ID, if it is an SAE of any KME of the service.

        Raises:
            HTTPException: 401, the caller is no SAE of the directory.
        """
        caller_sae = client_common_names(scope)
        if not caller_sae or caller_sae[0] not in self.directory.sae_kme:
            raise HTTPException(401, "a client certificate of a known SAE is required")
        return caller_sae[0]

    def service_page(self, scope: Scope) -> JSONResponse:
        """This KME, its SAEs and the levels of its pools; never key material.

        Raises:
            HTTPException: 401, the caller is no SAE of the PKI's directory.
        """
        self.known_caller(scope)
        key_bytes = self.limits.key_size // 8
        pools = [{"kmes": [lv.kme_a, lv.kme_b], "stored_bytes": lv.stored_bytes,
                  "stored_keys": lv.stored_bytes // key_bytes,
                  "deposited_bytes": lv.deposited_bytes, "discarded_bytes": lv.discarded_bytes,
                  "keys_issued": lv.keys_issued, "keys_delivered": lv.keys_delivered}
                 for pair, lv in sorted(self.store.levels().items()) if self.kme in pair]
        extra = self.service_status() if self.service_status else {}
        return JSONResponse({"kme": self.kme, "saes": list(self.directory.saes_of(self.kme)),
                             "pools": pools, **extra})


def _container(keys: list[Key]) -> dict[str, Any]:
    """The Key container: each key's ID and its bytes in base64 (RFC 4648)."""
    return {"keys": [{"key_ID": k.key_id, "key": base64.b64encode(k.material).decode()}
                     for k in keys]}
