"""The tokens file: one tenant a line, tokens long enough and never shared."""

from __future__ import annotations

import pytest

from qinet.errors import ConfigError
from qinet.service.eaas.auth import CertificateTenants, TenantTokens

LONG_A, LONG_B = "a" * 20, "b" * 20


def test_tokens_file_maps_each_token_to_its_tenant(tmp_path):
    path = tmp_path / "tokens"
    path.write_text(f"# tenants\nalice {LONG_A}\n\nbob {LONG_B}  # the second\n")
    tokens = TenantTokens.from_file(path)
    assert tokens.tenants == ["alice", "bob"]
    assert tokens.tenant_of(f"Bearer {LONG_A}") == "alice"
    assert tokens.tenant_of(f"bearer {LONG_B}") == "bob"
    for header in (None, LONG_A, f"Basic {LONG_A}", f"Bearer {LONG_A}x", "Bearer ",
                   f"Bearer {LONG_A[:-1]}"):
        assert tokens.tenant_of(header) is None


@pytest.mark.parametrize(("reader", "text", "reason"), [
    (TenantTokens, "alice short\n", "shorter than 16"),
    (TenantTokens, f"alice {LONG_A} extra\n", "expected 'TENANT TOKEN'"),
    (TenantTokens, f"alice {LONG_A}\nbob {LONG_A}\n", "already 'alice'"),
    (TenantTokens, "# nobody\n", "names no tenant"),
    (CertificateTenants, "alice\n", "expected 'COMMON_NAME TENANT'"),
    (CertificateTenants, "alice a\nalice b\n", "already 'a'"),
    (CertificateTenants, "# none\n", "names no certificate"),
])
def test_bad_tokens_and_mapping_files_are_refused_naming_the_problem(tmp_path, reader,
                                                                      text, reason):
    path = tmp_path / "file"
    path.write_text(text)
    with pytest.raises(ConfigError, match=reason):
        reader.from_file(path)


@pytest.mark.parametrize(("reader", "field"), [(TenantTokens, "tokens"),
                                               (CertificateTenants, "cert_tenants")])
def test_a_missing_file_is_named(tmp_path, reader, field):
    with pytest.raises(ConfigError, match="cannot read") as refused:
        reader.from_file(tmp_path / "absent")
    assert refused.value.field == field
