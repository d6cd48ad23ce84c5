"""A development PKI for the key delivery service: one CA, a server certificate per KME,
a client certificate per SAE, and the TLS contexts built from them.

ETSI GS QKD 014 V1.1.1 (2019), section 4, asks for mutual authentication of the SAE and
its KME over HTTPS; the SAE's identity is the common name of its client certificate.
Keys are ECDSA P-256 (fast to make, fast handshakes) and are written unencrypted, since
this PKI is for development and tests, never for production.

Layout under the directory (see docs/kms.md)::

    ca.pem  ca-key.pem
    kmes/<KME>.pem  kmes/<KME>-key.pem     serverAuth; DNS:localhost, IP:127.0.0.1, DNS:<KME>
    saes/<SAE>.pem  saes/<SAE>-key.pem     clientAuth; CN = SAE ID (or a tenant's name)
    eaas/server.pem eaas/server-key.pem    serverAuth of the entanglement service;
                                           DNS:localhost, IP:127.0.0.1, DNS:qinet-eaas

The entanglement service, served with this PKI, takes every client certificate the CA
signed, an SAE's or a tenant's, and its common name is the tenant.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from qinet.errors import ConfigError
from qinet.service.private_files import check_private

EAAS_SERVER_NAME = "qinet-eaas"  # the entanglement service's certificate: CN and DNS name
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class KmeLike(Protocol):
    """What the PKI and the service need to know of a KME: its name and its SAEs."""

    @property
    def name(self) -> str: ...

    @property
    def saes(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class PkiLayout:
    """Where the files of a development PKI live.

    Examples:
        >>> layout = PkiLayout(Path("certs"))
        >>> str(layout.kme_cert("alice")), str(layout.sae_key("alice-app"))
        ('certs/kmes/alice.pem', 'certs/saes/alice-app-key.pem')
    """

    root: Path

    @property
    def ca_cert(self) -> Path:
        """The CA certificate, the one trust anchor of servers and clients."""
        return self.root / "ca.pem"

    @property
    def ca_key(self) -> Path:
        """The CA's private key (kept to issue more certificates later)."""
        return self.root / "ca-key.pem"

    def kme_cert(self, kme: str) -> Path:
        """The server certificate of a KME."""
        return self.root / "kmes" / f"{kme}.pem"

    def kme_key(self, kme: str) -> Path:
        """The private key of a KME's server certificate."""
        return self.root / "kmes" / f"{kme}-key.pem"

    def sae_cert(self, sae: str) -> Path:
        """The client certificate of an SAE (CN = SAE ID)."""
        return self.root / "saes" / f"{sae}.pem"

    def sae_key(self, sae: str) -> Path:
        """The private key of an SAE's client certificate."""
        return self.root / "saes" / f"{sae}-key.pem"

    @property
    def eaas_cert(self) -> Path:
        """The entanglement service's server certificate."""
        return self.root / "eaas" / "server.pem"

    @property
    def eaas_key(self) -> Path:
        """The private key of the entanglement service's server certificate."""
        return self.root / "eaas" / "server-key.pem"


def check_name(field: str, name: str) -> str:
    """Return ``name`` if it can be a KME or SAE ID (and a file name), else raise.

    Raises:
        ConfigError: not 1-64 characters of letters, digits, ``.``, ``_``, ``-``.
    """
    if not isinstance(name, str) or not _SAFE_NAME.match(name):
        raise ConfigError(field, "must be 1-64 letters, digits, '.', '_' or '-' starting "
                                 f"with a letter or digit, got {name!r}")
    return name


def init_pki(directory: str | os.PathLike[str], kmes: Iterable[KmeLike], *,
             validity_days: int = 825, eaas: bool = False,
             tenants: Sequence[str] = ()) -> PkiLayout:
    """Create (or complete) a development PKI for these KMEs and their SAEs, and for the
    entanglement service and its tenants.

    An existing CA in ``directory`` is reused and existing leaf certificates are kept,
    so the command can be run again after SAEs are added to a scenario.

    Args:
        directory: where to write the PEM files (created if missing).
        kmes: the KMEs, each with the SAE IDs it serves.
        validity_days: lifetime of every new certificate, in days.
        eaas: also a server certificate for the entanglement service.
        tenants: client certificates for these tenants of the entanglement service
            (their common name is the tenant), beside the SAEs'.

    Returns:
        The layout of the files.

    Raises:
        ConfigError: a KME, SAE or tenant name is unusable, or a client is listed twice.
    """
    kmes = list(kmes)
    seen: set[str] = set()
    for i, kme in enumerate(kmes):
        check_name(f"kmes[{i}].name", kme.name)
        for j, sae in enumerate(kme.saes):
            check_name(f"kmes[{i}].saes[{j}]", sae)
            if sae in seen:
                raise ConfigError(f"kmes[{i}].saes[{j}]", f"SAE {sae!r} is listed twice")
            seen.add(sae)
    for i, tenant in enumerate(tenants):
        check_name(f"tenants[{i}]", tenant)
        if tenant in seen:
            raise ConfigError(f"tenants[{i}]", f"{tenant!r} already has a client certificate "
                                               "(an SAE or a tenant of that name)")
        seen.add(tenant)
    layout = PkiLayout(Path(directory))
    for sub in (layout.root, layout.root / "kmes", layout.root / "saes",
                *((layout.root / "eaas",) if eaas else ())):
        sub.mkdir(parents=True, exist_ok=True)
    validity = dt.timedelta(days=validity_days)
    if layout.ca_cert.exists() and layout.ca_key.exists():
        ca_cert = x509.load_pem_x509_certificate(layout.ca_cert.read_bytes())
        ca_key = serialization.load_pem_private_key(layout.ca_key.read_bytes(), None)
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cert = _ca_certificate(ca_key, validity)
        _write(layout.ca_key, layout.ca_cert, ca_key, ca_cert)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ConfigError("ca-key.pem", "the CA key must be an EC private key")
    for kme in kmes:
        if not layout.kme_cert(kme.name).exists():
            key = ec.generate_private_key(ec.SECP256R1())
            cert = _leaf(ca_cert, ca_key, key, kme.name, validity, server=True)
            _write(layout.kme_key(kme.name), layout.kme_cert(kme.name), key, cert)
        for sae in kme.saes:
            if not layout.sae_cert(sae).exists():
                key = ec.generate_private_key(ec.SECP256R1())
                cert = _leaf(ca_cert, ca_key, key, sae, validity, server=False)
                _write(layout.sae_key(sae), layout.sae_cert(sae), key, cert)
    for tenant in tenants:
        if not layout.sae_cert(tenant).exists():
            key = ec.generate_private_key(ec.SECP256R1())
            cert = _leaf(ca_cert, ca_key, key, tenant, validity, server=False)
            _write(layout.sae_key(tenant), layout.sae_cert(tenant), key, cert)
    if eaas and not layout.eaas_cert.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _leaf(ca_cert, ca_key, key, EAAS_SERVER_NAME, validity, server=True)
        _write(layout.eaas_key, layout.eaas_cert, key, cert)
    return layout


def eaas_server_files(layout: PkiLayout) -> tuple[Path, Path]:
    """The entanglement service's certificate and private key in the PKI.

    Raises:
        ConfigError: either is missing, or other users may read the key.
    """
    _require(layout.eaas_cert, "certificate of the entanglement service")
    _require(layout.eaas_key, "private key of the entanglement service")
    check_private(layout.eaas_key, "the private key of the entanglement service")
    return layout.eaas_cert, layout.eaas_key


def server_ssl_context(layout: PkiLayout, kme: str) -> ssl.SSLContext:
    """The TLS context of a KME's server: its certificate, client certificates REQUIRED.

    Raises:
        ConfigError: the KME's certificate or key file is missing, or other users may
            read the key.
    """
    _require(layout.kme_cert(kme), f"certificate of KME {kme!r}")
    _require(layout.kme_key(kme), f"private key of KME {kme!r}")
    check_private(layout.kme_key(kme), f"the private key of KME {kme!r}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(layout.kme_cert(kme), layout.kme_key(kme))
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=layout.ca_cert)
    return context


def client_ssl_context(layout: PkiLayout, sae: str | None) -> ssl.SSLContext:
    """The TLS context of an SAE: trusts the CA only, checks host names, shows its cert.

    Args:
        layout: the PKI.
        sae: the SAE whose client certificate to present, or ``None`` for none.

    Raises:
        ConfigError: the SAE's certificate file is missing.
    """
    context = ssl.create_default_context(cafile=str(layout.ca_cert))
    if sae is not None:
        _require(layout.sae_cert(sae), f"certificate of SAE {sae!r}")
        context.load_cert_chain(layout.sae_cert(sae), layout.sae_key(sae))
    return context


def _require(path: Path, what: str) -> None:
    if not path.is_file():
        raise ConfigError("certs", f"no {what} at {path}; run `qinet certs init` (with the "
                                   "scenario being served)")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "qinet development PKI"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca_certificate(key: ec.EllipticCurvePrivateKey, validity: dt.timedelta) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    name = _name("qinet development CA")
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))


def _leaf(ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
          key: ec.EllipticCurvePrivateKey, common_name: str, validity: dt.timedelta, *,
          server: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + validity)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, key_agreement=True, key_cert_sign=False,
                   crl_sign=False, content_commitment=False, key_encipherment=False,
                   data_encipherment=False, encipher_only=False, decipher_only=False),
                   critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   ca_key.public_key()), critical=False))
    if server:
        names: Sequence[x509.GeneralName] = [
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.DNSName(common_name)]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _write(key_path: Path, cert_path: Path, key: ec.EllipticCurvePrivateKey,
           cert: x509.Certificate) -> None:
    pem_key = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # the private key is readable by its owner only, from the moment it exists
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem_key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
