"""Who is calling: bearer tokens per tenant (a tokens file, compared in constant time),
or, with mutual TLS, the client certificate's common name (:class:`CertificateTenants`).

The file holds one ``TENANT TOKEN`` pair a line (``#`` starts a comment); a token must
be at least 16 characters, and no token may serve two tenants. Every presented token is
compared with every known one by :func:`hmac.compare_digest`, so the time an answer
takes says nothing of how much of a token was right.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from pathlib import Path

from qinet.errors import ConfigError

MIN_TOKEN_CHARS = 16


def two_column_map(path: str | os.PathLike[str], field: str, columns: str, *,
                   key_column: int, naming: Callable[[str, str], str],
                   empty: str) -> dict[str, str]:
    """A file of two-word lines (``#`` starts a comment) as a map from one column to
    the other, each key given once.

    Args:
        path: the file.
        field: the option it came from, named in errors.
        columns: what the two words are (``"TENANT TOKEN"``), named in errors.
        key_column: the column whose words are the keys (0 or 1).
        naming: names a key given twice in the error, from the key and its value.
        empty: the error's reason when no line names anything.

    Raises:
        ConfigError: a file that cannot be read, a line that is not two words, a key
            given twice, no line at all.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(field, f"cannot read {path}: {exc.strerror}") from None
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ConfigError(field, f"{path} line {number}: expected '{columns}'")
        key, value = parts[key_column], parts[1 - key_column]
        if key in mapping:
            raise ConfigError(field, f"{path} line {number}: {naming(key, value)} is already "
                                     f"{mapping[key]!r}'s")
        mapping[key] = value
    if not mapping:
        raise ConfigError(field, f"{path} {empty}")
    return mapping


class TenantTokens:
    """The tenants and their tokens.

    Args:
        tokens: token -> tenant.

    Raises:
        ConfigError: a token shorter than ``MIN_TOKEN_CHARS``.

    Examples:
        >>> t = TenantTokens({"a" * 16: "alice"})
        >>> t.tenant_of("Bearer " + "a" * 16), t.tenant_of("Bearer " + "b" * 16)
        ('alice', None)
    """

    def __init__(self, tokens: dict[str, str]) -> None:
        for token, tenant in tokens.items():
            if len(token) < MIN_TOKEN_CHARS:
                raise ConfigError("tokens", f"the token of tenant {tenant!r} is shorter than "
                                            f"{MIN_TOKEN_CHARS} characters")
        self._tokens = [(token.encode(), tenant) for token, tenant in tokens.items()]

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> TenantTokens:
        """Read ``TENANT TOKEN`` lines.

        Raises:
            ConfigError: a missing file, a bad line, a token given twice.
        """
        return cls(two_column_map(path, "tokens", "TENANT TOKEN", key_column=1,
                                  naming=lambda _token, tenant: f"the token of {tenant!r}",
                                  empty="names no tenant"))

    @property
    def tenants(self) -> list[str]:
        """The tenants, sorted."""
        return sorted({tenant for _, tenant in self._tokens})

    def tenant_of(self, authorization: str | None) -> str | None:
        """The tenant of an ``Authorization: Bearer TOKEN`` header (``None``: no match)."""
        if authorization is None:
            return None
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return None
        given = presented.strip().encode()
        found = None
        for token, tenant in self._tokens:  # all compared: no early exit
            if hmac.compare_digest(token, given):
                found = tenant
        return found


class CertificateTenants:
    """Tenants by client certificate (mutual TLS): the tenant is the certificate's
    common name, or what a mapping file gives for it.

    The TLS layer has verified the certificate against the client CA before the request
    reaches the API (``ssl.CERT_REQUIRED``); the connection hands its subject's common
    names to the application (:mod:`qinet.service.kms.tls`).

    Args:
        mapping: common name -> tenant (``None``: the common name is the tenant). With a
            mapping, a certificate whose common name it does not list is refused.

    Examples:
        >>> CertificateTenants().tenant_of(("alice",))
        'alice'
        >>> mapped = CertificateTenants({"alice-laptop": "alice"})
        >>> mapped.tenant_of(("alice-laptop",)), mapped.tenant_of(("mallory",))
        ('alice', None)
    """

    def __init__(self, mapping: dict[str, str] | None = None) -> None:
        self.mapping = mapping

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> CertificateTenants:
        """Read ``COMMON_NAME TENANT`` lines (``#`` starts a comment).

        Raises:
            ConfigError: a missing file, a bad line, a common name given twice.
        """
        return cls(two_column_map(path, "cert_tenants", "COMMON_NAME TENANT", key_column=0,
                                  naming=lambda name, _tenant: f"common name {name!r}",
                                  empty="names no certificate"))

    def tenant_of(self, common_names: tuple[str, ...]) -> str | None:
        """The tenant of a verified certificate's common names (``None``: none known)."""
        if self.mapping is None:
            return common_names[0] if len(common_names) == 1 else None
        found = {self.mapping[name] for name in common_names if name in self.mapping}
        return found.pop() if len(found) == 1 else None
