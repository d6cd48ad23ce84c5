"""The entanglement service behind one uvicorn server, with the key service's connection
guard (time and size limits per connection, 413 for a body over the limit before it is
read), optionally over TLS.

:func:`serve_eaas` is ``qinet eaas``: it loads the scenario, starts the live network's
driver and serves until SIGINT or SIGTERM. :class:`EaasServer` runs the same from a
background thread (tests, embedding).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import signal
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn

from qinet.errors import ConfigError
from qinet.service.eaas.api import create_eaas_app
from qinet.service.eaas.auth import TenantTokens
from qinet.service.eaas.live import LiveNetwork
from qinet.service.eaas.stream import close_streams
from qinet.service.kms.connection import ConnectionLimits
from qinet.service.kms.server import (
    _bind,
    _http_protocol,
    _SharedSignalServer,
    run_event_loop,
)

_log = logging.getLogger("qinet.service.eaas")
EAAS_LIMITS = ConnectionLimits(max_body_bytes=16 * 1024)  # a request is a few hundred bytes


class EaasServer:
    """One HTTP(S) server for the live network's API.

    Args:
        network: the live network.
        tokens: the tenants' bearer tokens.
        host: the address to listen on.
        port: the port (0: an ephemeral one).
        tls: a server certificate and key (``None``: plain HTTP, for loopback).
        limits: time and size limits of every connection.

    Raises:
        ConfigError: a port that cannot be bound.
    """

    def __init__(self, network: LiveNetwork, tokens: TenantTokens, *, host: str = "127.0.0.1",
                 port: int = 8080, tls: ssl.SSLContext | None = None,
                 limits: ConnectionLimits = EAAS_LIMITS) -> None:
        if not 0 <= port <= 65535:
            raise ConfigError("port", f"must lie in [0, 65535], got {port}")
        self.network = network
        self.app = create_eaas_app(network, tokens)
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
                    on_ready: Callable[[str], None] | None = None) -> None:
        """Serve until :meth:`request_stop` (or SIGINT / SIGTERM with ``handle_signals``,
        main thread only); the live network runs meanwhile."""
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
        ready = threading.Event()
        self._thread = threading.Thread(
            target=lambda: run_event_loop(self.serve(on_ready=lambda _url: ready.set())),
            name="qinet-eaas-http", daemon=True)
        self._thread.start()
        if not ready.wait(timeout_s):
            self.stop_thread()
            raise ConfigError("port", f"the service did not start within {timeout_s} s")
        return self.url

    def stop_thread(self, *, timeout_s: float = 10.0) -> None:
        """Stop a server started by :meth:`start_in_thread` and wait for it."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.request_stop)
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None


def serve_eaas(scenario: str | os.PathLike[str], *, tokens: str | os.PathLike[str],
               host: str = "127.0.0.1", port: int = 8080, speedup: float = 1.0,
               seed: int | None = None, max_utilisation: float = 0.9,
               certfile: str | os.PathLike[str] | None = None,
               keyfile: str | os.PathLike[str] | None = None,
               ready_file: str | os.PathLike[str] | None = None) -> None:
    """``qinet eaas``: serve the scenario's network as a service until SIGINT or SIGTERM.

    Args:
        scenario: the scenario file (its nodes, links and policy; its demands are not
            run).
        tokens: the tenants' tokens file (``TENANT TOKEN`` lines).
        host: the address to listen on.
        port: the port (0: ephemeral).
        speedup: simulated seconds per wall second.
        seed: the simulation's seed (default: the scenario's).
        max_utilisation: share of a link's spare rate admission may promise.
        certfile: a PEM server certificate (with ``keyfile``: HTTPS).
        keyfile: its private key.
        ready_file: once listening, write ``{"url": ...}`` here as JSON.

    Raises:
        ConfigError: a bad scenario, tokens file, certificate or port.
    """
    from qinet.scenario import load_scenario

    overrides: dict[str, Any] = {} if seed is None else {"seed": seed}
    loaded = load_scenario(Path(scenario), **overrides)
    tls = None
    if (certfile is None) != (keyfile is None):
        raise ConfigError("tls", "give both --certfile and --keyfile, or neither")
    if certfile is not None and keyfile is not None:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            tls.load_cert_chain(certfile, keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError("certfile", f"cannot load {certfile}: {exc}") from None
    network = LiveNetwork(loaded, speedup=speedup, max_utilisation=max_utilisation)
    server = EaasServer(network, TenantTokens.from_file(tokens), host=host, port=port,
                        tls=tls)

    def on_ready(url: str) -> None:
        print(f"entanglement service at {url} (docs at {url}/docs); stop with Ctrl+C")
        if ready_file is not None:
            temporary = Path(f"{ready_file}.tmp")
            temporary.write_text(json.dumps({"url": url}))
            temporary.replace(ready_file)

    run_event_loop(server.serve(handle_signals=True, on_ready=on_ready))
