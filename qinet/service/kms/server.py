"""Every KME of a key store behind its own HTTPS server, in one asyncio loop.

Each KME gets a uvicorn server with its certificate, client certificates required
(``ssl.CERT_REQUIRED`` against the development CA) and the protocol class of
:mod:`qinet.service.kms.connection`, which shows the client certificate to the app and
bounds every connection in time and size. The servers share the loop, the key store
and its writer thread; SIGINT and SIGTERM stop them all (uvicorn's per-server signal
capture is turned off, since several servers would each replace the others' handlers).
While serving, keys that outlived the store's key lifetime are erased every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import uvicorn

from qinet.errors import ConfigError, QinetError
from qinet.service.certs import PkiLayout, server_ssl_context
from qinet.service.kms.api import create_kme_app
from qinet.service.kms.connection import ConnectionLimits, guarded_protocol
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.models import KmsLimits
from qinet.service.kms.store import KeyStore

_log = logging.getLogger("qinet.service.kms")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KmeEndpoint:
    """Where a KME listens.

    Examples:
        >>> KmeEndpoint("alice", "127.0.0.1", 8443).url
        'https://127.0.0.1:8443'
    """

    kme: str
    host: str
    port: int

    @property
    def url(self) -> str:
        """The base URL (the API is under ``/api/v1/keys``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"


class _SharedSignalServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to :class:`KeyService`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _http_protocol(limits: ConnectionLimits) -> type[asyncio.Protocol]:
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is optional; h11 is always there
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return guarded_protocol(H11Protocol, limits)
    return guarded_protocol(HttpToolsProtocol, limits)


def run_event_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion in a new event loop, uvloop's when installed.

    uvloop (libuv, with its own TLS transport) serves some 5-10 % more requests per
    second at saturation than asyncio's default loop; the standard loop works too.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


def serve_in_thread(serve: Callable[[Callable[[Any], None]], Coroutine[Any, Any, None]], *,
                    name: str, timeout_s: float) -> tuple[threading.Thread, bool]:
    """Run ``serve(on_ready)`` in a new event loop of a daemon thread (tests, embedding).

    Returns:
        The thread, and whether ``on_ready`` was called within ``timeout_s``.
    """
    ready = threading.Event()
    thread = threading.Thread(target=lambda: run_event_loop(serve(lambda _: ready.set())),
                              name=name, daemon=True)
    thread.start()
    return thread, ready.wait(timeout_s)


def stop_serving_thread(loop: asyncio.AbstractEventLoop | None,
                        request_stop: Callable[[], None], thread: threading.Thread | None,
                        timeout_s: float) -> None:
    """Ask a service started by :func:`serve_in_thread` to stop, from another thread,
    and wait up to ``timeout_s`` for its thread."""
    if loop is not None:
        loop.call_soon_threadsafe(request_stop)
    if thread is not None:
        thread.join(timeout_s)


class KeyService:
    """The KMEs of one key store, served over HTTPS with mutual TLS.

    Args:
        directory: the KMEs and their SAEs.
        store: the key store.
        pki: the certificates (one server certificate per KME, the CA).
        host: the address to listen on.
        base_port: the first KME (in name order) listens here, the next on the next
            port...; 0 gives each KME an ephemeral port.
        limits: what every KME advertises and enforces.
        connection_limits: time and size limits of every connection.
        service_status: extra fields for each KME's ``GET /status``.

    Raises:
        ConfigError: a bad port, a missing certificate, a private key others can read.
    """

    def __init__(self, *, directory: KmeDirectory, store: KeyStore, pki: PkiLayout,
                 host: str = "127.0.0.1", base_port: int = 0, limits: KmsLimits | None = None,
                 connection_limits: ConnectionLimits | None = None,
                 service_status: Callable[[], dict[str, Any]] | None = None) -> None:
        if not 0 <= base_port <= 65535 - len(directory.kme_names):
            raise ConfigError("port", f"must lie in [0, 65535], got {base_port}")
        self.directory = directory
        self.store = store
        self._servers: list[uvicorn.Server] = []
        self._sockets: list[socket.socket] = []
        self.endpoints: list[KmeEndpoint] = []
        connection_limits = connection_limits or ConnectionLimits()
        protocol = _http_protocol(connection_limits)
        for i, kme in enumerate(directory.kme_names):
            context = server_ssl_context(pki, kme)
            app = create_kme_app(kme=kme, directory=directory, store=store, limits=limits,
                                 service_status=service_status)
            config = uvicorn.Config(
                app, http=protocol, ws="none", lifespan="off", log_config=None,
                access_log=False,
                # uvicorn takes whole seconds; the guarded protocol times idleness exactly
                timeout_keep_alive=math.ceil(connection_limits.idle_timeout_s),
                timeout_graceful_shutdown=math.ceil(connection_limits.request_timeout_s),
                backlog=1024, ssl_context_factory=_fixed_context(context))
            sock = _bind(host, base_port + i if base_port else 0)
            self._sockets.append(sock)
            self._servers.append(_SharedSignalServer(config))
            self.endpoints.append(KmeEndpoint(kme, host, sock.getsockname()[1]))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    async def serve(self, *, handle_signals: bool = False,
                    on_ready: Callable[[list[KmeEndpoint]], None] | None = None) -> None:
        """Serve until :meth:`request_stop` (or SIGINT / SIGTERM with ``handle_signals``).

        Args:
            handle_signals: stop on SIGINT and SIGTERM (main thread only); a second
                SIGINT stops without waiting for open requests.
            on_ready: called with the endpoints once every server listens.
        """
        self._loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._loop.add_signal_handler(sig, self.request_stop)
        tasks = [asyncio.create_task(server.serve(sockets=[sock]))
                 for server, sock in zip(self._servers, self._sockets, strict=True)]
        expiry = asyncio.create_task(self._expire_keys())
        try:
            while not all(server.started for server in self._servers):
                if any(task.done() for task in tasks):
                    break
                await asyncio.sleep(0.01)
            if all(server.started for server in self._servers):
                _log.info("serving %s", ", ".join(f"{e.kme} at {e.url}" for e in self.endpoints))
                if on_ready is not None:
                    on_ready(self.endpoints)
            else:
                self.request_stop()
            await asyncio.gather(*tasks)
        finally:
            expiry.cancel()
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    self._loop.remove_signal_handler(sig)
            for sock in self._sockets:
                sock.close()

    async def _expire_keys(self) -> None:
        """Erase keys older than the store's key lifetime, a few times per lifetime."""
        interval_s = min(5.0, self.store.key_lifetime_s / 4)
        while True:
            await asyncio.sleep(interval_s)
            try:
                erased = await asyncio.wrap_future(self.store.expire())
            except QinetError as exc:  # a failed commit: try again next time
                _log.error("erasing expired keys failed: %s", exc)
                continue
            if erased:
                _log.info("erased %d keys not fetched within %g s", erased,
                          self.store.key_lifetime_s)

    def request_stop(self) -> None:
        """Ask every server to finish; called again, stop without waiting for requests."""
        for server in self._servers:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

    def start_in_thread(self, *, timeout_s: float = 30.0) -> list[KmeEndpoint]:
        """Serve from a background thread (for tests and embedding); returns once listening.

        Raises:
            ConfigError: the servers did not start within ``timeout_s``.
        """
        self._thread, ready = serve_in_thread(lambda on_ready: self.serve(on_ready=on_ready),
                                              name="qinet-kms", timeout_s=timeout_s)
        if not ready:
            self.stop_thread()
            raise ConfigError("port", f"the KME servers did not start within {timeout_s} s")
        return self.endpoints

    def stop_thread(self, *, timeout_s: float = 10.0) -> None:
        """Stop servers started by :meth:`start_in_thread` and wait for the thread."""
        stop_serving_thread(self._loop, self.request_stop, self._thread, timeout_s)


def _fixed_context(context: ssl.SSLContext) -> Callable[[Any, Any], ssl.SSLContext]:
    """uvicorn's ``ssl_context_factory``: always this KME's context."""
    def factory(_config: Any, _default: Any) -> ssl.SSLContext:
        return context

    return factory


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only
    # then, and without it Nagle's algorithm and delayed ACKs add 40 ms to each answer
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError("port", f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock
