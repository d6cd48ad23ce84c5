"""The entanglement service behind one uvicorn server, with the key service's connection
guard (time and size limits per connection, 413 for a body over the limit before it is
read), optionally over TLS, and optionally with client certificates (mutual TLS, as the
key service serves): the certificate's common name is then the tenant.

:func:`serve_eaas` is ``qinet eaas``: it loads the scenario, starts the live network's
driver and serves until SIGINT or SIGTERM. :class:`EaasServer` runs the same from a
background thread (tests, embedding).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from qinet.errors import ConfigError
from qinet.service.eaas.api import create_eaas_app
from qinet.service.eaas.auth import CertificateTenants, TenantTokens
from qinet.service.eaas.live import LiveNetwork
from qinet.service.eaas.stream import close_streams
from qinet.service.kms.connection import ConnectionLimits
from qinet.service.kms.server import (
    _bind,
    _http_protocol,
    _SharedSignalServer,
    run_event_loop,
    serve_in_thread,
    stop_serving_thread,
)
from qinet.service.ready_file import write_ready_file

_log = logging.getLogger("qinet.service.eaas")
EAAS_LIMITS = ConnectionLimits(max_body_bytes=16 * 1024)  # a request is a few hundred bytes


class EaasServer:
    """One HTTP(S) server for the live network's API.

    Args:
        network: the live network.
        tokens: the tenants' bearer tokens (``None``: certificates only).
        host: the address to listen on.
        port: the port (0: an ephemeral one).
        tls: a server certificate and key (``None``: plain HTTP, for loopback); with
            ``ssl.CERT_REQUIRED`` and a client CA, mutual TLS.
        limits: time and size limits of every connection.
        certificates: the tenants by client certificate (needs ``tls`` requiring
            client certificates).

    Raises:
        ConfigError: a port that cannot be bound.
    """

    def __init__(self, network: LiveNetwork, tokens: TenantTokens | None, *,
                 host: str = "127.0.0.1", port: int = 8080, tls: ssl.SSLContext | None = None,
                 limits: ConnectionLimits = EAAS_LIMITS,
                 certificates: CertificateTenants | None = None) -> None:
        if not 0 <= port <= 65535:
            raise ConfigError("port", f"must lie in [0, 65535], got {port}")
        if certificates is not None and (tls is None
                                         or tls.verify_mode != ssl.CERT_REQUIRED):
            raise ConfigError("client_ca", "tenants by certificate need TLS that requires "
                                           "client certificates")
        self.network = network
        self.app = create_eaas_app(network, tokens, certificates=certificates)
        config = uvicorn.Config(
            self.app, http=_http_protocol(limits), ws="none", lifespan="off",
            log_config=None, access_log=False,
            timeout_keep_alive=math.ceil(limits.idle_timeout_s),
            timeout_graceful_shutdown=math.ceil(limits.request_timeout_s),
            ssl_context_factory=None if tls is None else (lambda _c, _d: tls))
        self._sock = _bind(host, port)
        self.server: uvicorn.Server = _SharedSignalServer(config)
        self.host = host
        self.port = int(self._sock.getsockname()[1])
        self.scheme = "http" if tls is None else "https"
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        """The base URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    async def serve(self, *, handle_signals: bool = False,
                    on_ready: Callable[[str], None] | None = None,
                    start_network: bool = True) -> None:
        """Serve until :meth:`request_stop` (or SIGINT / SIGTERM with ``handle_signals``,
        main thread only); the live network runs meanwhile.

        Args:
            handle_signals: stop on SIGINT and SIGTERM (main thread only).
            on_ready: called with the URL once listening.
            start_network: start the live network once listening; ``False`` leaves it to
                the caller (``qinet serve`` starts it with the key supply, so that both
                clocks start together). It is stopped when serving ends either way.
        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_stop)
        task = asyncio.create_task(self.server.serve(sockets=[self._sock]))
        try:
            while not self.server.started and not task.done():
                await asyncio.sleep(0.01)
            if self.server.started:
                if start_network:
                    self.network.start()
                _log.info("entanglement service at %s", self.url)
                if on_ready is not None:
                    on_ready(self.url)
            await task
        finally:
            self.network.stop()
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            self._sock.close()

    def request_stop(self) -> None:
        """Ask the server to finish; called again, stop without waiting for requests."""
        if self.server.should_exit:
            self.server.force_exit = True
        self.server.should_exit = True
        close_streams(self.app)  # open event streams end, so shutdown need not wait

    def start_in_thread(self, *, timeout_s: float = 30.0) -> str:
        """Serve from a daemon thread; returns the URL once listening.

        Raises:
            ConfigError: the server did not start within ``timeout_s``.
        """
        self._thread, ready = serve_in_thread(lambda on_ready: self.serve(on_ready=on_ready),
                                              name="qinet-eaas-http", timeout_s=timeout_s)
        if not ready:
            self.stop_thread()
            raise ConfigError("port", f"the service did not start within {timeout_s} s")
        return self.url

    def stop_thread(self, *, timeout_s: float = 10.0) -> None:
        """Stop a server started by :meth:`start_in_thread` and wait for it."""
        stop_serving_thread(self._loop, self.request_stop, self._thread, timeout_s)
        self._thread = None


def eaas_tls_context(certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str],
                     client_ca: str | os.PathLike[str] | None = None) -> ssl.SSLContext:
    """The server's TLS context: its certificate, and with ``client_ca`` client
    certificates REQUIRED and verified against that CA (mutual TLS).

    Raises:
        ConfigError: a certificate, key or CA file that cannot be loaded.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError("certfile", f"cannot load {certfile}: {exc}") from None
    if client_ca is not None:
        try:
            context.load_verify_locations(cafile=os.fspath(client_ca))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError("client_ca", f"cannot load {client_ca}: {exc}") from None
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass(frozen=True, slots=True)
class EaasAuth:
    """How the entanglement service tells its callers apart.

    Attributes:
        tokens: the tenants' bearer tokens (``None``: certificates only).
        tls: the server's TLS context (``None``: plain HTTP, for loopback).
        certificates: the tenants by client certificate (mutual TLS), or ``None``.
    """

    tokens: TenantTokens | None
    tls: ssl.SSLContext | None
    certificates: CertificateTenants | None


def eaas_auth(*, tokens: str | os.PathLike[str] | None = None,
              certfile: str | os.PathLike[str] | None = None,
              keyfile: str | os.PathLike[str] | None = None,
              client_ca: str | os.PathLike[str] | None = None,
              cert_tenants: str | os.PathLike[str] | None = None) -> EaasAuth:
    """The service's authentication from its options (those of ``qinet eaas``).

    Args:
        tokens: the tenants' tokens file (``TENANT TOKEN`` lines); needed unless
            ``client_ca`` is given.
        certfile: a PEM server certificate (with ``keyfile``: HTTPS).
        keyfile: its private key.
        client_ca: a PEM CA: client certificates it signed are required (mutual TLS),
            and the certificate's common name is the tenant.
        cert_tenants: a file of ``COMMON_NAME TENANT`` lines mapping certificates to
            tenants (default: the common name is the tenant).

    Raises:
        ConfigError: a missing piece (naming the option), or a file that cannot be read.
    """
    if (certfile is None) != (keyfile is None):
        raise ConfigError("tls", "give both --certfile and --keyfile, or neither")
    if client_ca is None and cert_tenants is not None:
        raise ConfigError("cert_tenants", "--cert-tenants needs --client-ca")
    if client_ca is not None and certfile is None:
        raise ConfigError("client_ca", "mutual TLS needs the server's --certfile and "
                                       "--keyfile")
    if tokens is None and client_ca is None:
        raise ConfigError("tokens", "give --tokens, or --client-ca for client "
                                    "certificates")
    tls = None
    if certfile is not None and keyfile is not None:
        tls = eaas_tls_context(certfile, keyfile, client_ca)
    certificates = None
    if client_ca is not None:
        certificates = (CertificateTenants() if cert_tenants is None
                        else CertificateTenants.from_file(cert_tenants))
    return EaasAuth(None if tokens is None else TenantTokens.from_file(tokens), tls,
                    certificates)


def serve_eaas(scenario: str | os.PathLike[str], *,
               tokens: str | os.PathLike[str] | None = None,
               host: str = "127.0.0.1", port: int = 8080, speedup: float = 1.0,
               seed: int | None = None, max_utilisation: float = 0.9,
               certfile: str | os.PathLike[str] | None = None,
               keyfile: str | os.PathLike[str] | None = None,
               client_ca: str | os.PathLike[str] | None = None,
               cert_tenants: str | os.PathLike[str] | None = None,
               ready_file: str | os.PathLike[str] | None = None) -> None:
    """``qinet eaas``: serve the scenario's network as a service until SIGINT or SIGTERM.

    Args:
        scenario: the scenario file (its nodes, links and policy; its demands are not
            run).
        tokens: the tenants' tokens file (see :func:`eaas_auth`).
        host: the address to listen on.
        port: the port (0: ephemeral).
        speedup: simulated seconds per wall second.
        seed: the simulation's seed (default: the scenario's).
        max_utilisation: share of a link's spare rate admission may promise.
        certfile, keyfile, client_ca, cert_tenants: as :func:`eaas_auth` takes them.
        ready_file: once listening, write ``{"url": ...}`` here as JSON.

    Raises:
        ConfigError: a bad scenario, tokens file, certificate or port.
    """
    from qinet.scenario import load_scenario

    overrides: dict[str, Any] = {} if seed is None else {"seed": seed}
    loaded = load_scenario(Path(scenario), **overrides)
    auth = eaas_auth(tokens=tokens, certfile=certfile, keyfile=keyfile, client_ca=client_ca,
                     cert_tenants=cert_tenants)
    network = LiveNetwork(loaded, speedup=speedup, max_utilisation=max_utilisation)
    server = EaasServer(network, auth.tokens, host=host, port=port, tls=auth.tls,
                        certificates=auth.certificates)

    def on_ready(url: str) -> None:
        print(f"entanglement service at {url} (dashboard at {url}/, docs at {url}/docs); "
              "stop with Ctrl+C")
        if ready_file is not None:
            write_ready_file(ready_file, {"url": url})

    run_event_loop(server.serve(handle_signals=True, on_ready=on_ready))
