"""``qinet certs init`` in-process, ``qinet serve`` as a process stopped by SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from qinet.cli.main import main
from qinet.scenario import key_service
from qinet.service.certs import PkiLayout, client_ssl_context, init_pki
from tests.service import qkd_supply
from tests.service.conftest import KMES

ROOT = Path(__file__).resolve().parents[2]


def test_certs_init_makes_the_pki_of_the_default_scenario(tmp_path, capsys):
    from qinet.scenario import load_scenario, preset_path

    assert main(["certs", "init", str(tmp_path / "pki")]) == 0
    kmes, _ = key_service.key_service_plan(load_scenario(preset_path("trusted-relay")))
    assert len(kmes) >= 2
    layout = PkiLayout(tmp_path / "pki")
    out = capsys.readouterr().out
    for kme in kmes:
        assert kme.name in out
        server = x509.load_pem_x509_certificate(layout.kme_cert(kme.name).read_bytes())
        names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert set(names.get_values_for_type(x509.DNSName)) == {"localhost", kme.name}
        assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
        for sae in kme.saes:
            client = x509.load_pem_x509_certificate(layout.sae_cert(sae).read_bytes())
            cn = client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            assert [a.value for a in cn] == [sae]
            usage = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
            assert os.stat(layout.sae_key(sae)).st_mode & 0o777 == 0o600
            assert b"ENCRYPTED" not in layout.sae_key(sae).read_bytes()


def test_init_again_keeps_the_ca_and_adds_new_saes(tmp_path):
    first = init_pki(tmp_path, KMES[:1])
    ca = first.ca_cert.read_bytes()
    init_pki(tmp_path, [*KMES[:1], qkd_supply.KmeSpec("dave", ("dave-app",))])
    assert first.ca_cert.read_bytes() == ca
    assert first.sae_cert("dave-app").exists()


def test_bad_names_are_refused(tmp_path):
    with pytest.raises(Exception, match=r"saes\[0\]"):
        init_pki(tmp_path, [qkd_supply.KmeSpec("alice", ("../etc",))])


def test_serve_runs_the_scenario_and_stops_on_sigterm(tmp_path):
    certs, data = tmp_path / "pki", tmp_path / "data"
    script = textwrap.dedent(f"""
        import sys
        from qinet.cli.main import main
        assert main(["certs", "init", {str(certs)!r}]) == 0
        sys.exit(main(["serve", "--certs", {str(certs)!r}, "--data", {str(data)!r},
                       "--port", "0", "--speedup", "2"]))
    """)
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
    try:
        urls: dict[str, str] = {}
        deadline = time.monotonic() + 60
        for line in process.stdout:
            if match := re.search(r"│\s*(\S+)\s*│\s*(https://127\.0\.0\.1:\d+)", line):
                urls[match[1]] = match[2]
            if "Stop with" in line or time.monotonic() > deadline:
                break
        assert urls, "no table of KME URLs"
        _kme, url = sorted(urls.items())[0]
        layout = PkiLayout(certs)
        # an SAE of the first KME: its client certificate opens that KME's status page
        sae = sorted(p.stem for p in (certs / "saes").glob("*.pem")
                     if not p.stem.endswith("-key"))[0]
        with httpx.Client(base_url=url, verify=client_ssl_context(layout, sae)) as client:
            page = client.get("/status").json()
        assert page["kme"] == _kme
        assert page["driver"]["running"]
        assert page["driver"]["speedup"] == 2.0
    finally:
        process.send_signal(signal.SIGTERM)
        status = process.wait(30)
    assert status == 0
