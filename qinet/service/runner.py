"""Start what a scenario serves, until a signal: the key delivery service, the
entanglement service, or both in one process.

:func:`serve_scenario` is ``qinet serve``. It looks at the scenario
(:func:`services_needed`): nodes that list ``saes`` run KMEs (ETSI GS QKD 014 over
mutual TLS, one HTTPS server per KME, fed by the scenario's key supply); heralded
entanglement links (memories at both ends) get the entanglement service (REST API,
event streams, dashboard, metrics). With both, :class:`ScenarioServices` serves them in
one asyncio loop; SIGINT or SIGTERM stops them together, and the entanglement service's
network state shows the key store's pools (:mod:`qinet.service.eaas.key_pools`).

The two simulations keep their own timelines: the key network's (prepare-and-measure
links and their post-processing, resumed from the simulated time the key store
recorded) and the entanglement network's (from zero at each start). They share no
resource: their links are different links (``qinet run`` plays them on one timeline
for the same reason it can). Driven together here means one wall clock and one
speed-up: both start once every server listens and each advances by wall seconds x
speed-up in its own thread, so the key network's post-processing never holds the lock
the entanglement API waits on.

:func:`run_key_service` is the part that knows nothing of scenarios (``python -m
qinet.service`` serves a key store as it is).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from qinet.errors import ConfigError
from qinet.scenario import schema
from qinet.scenario.build import KEY_LINKS
from qinet.service.certs import KmeLike, PkiLayout, eaas_server_files
from qinet.service.driver import KeySupplyLike, RealtimeDriver
from qinet.service.eaas.key_pools import KeyPoolReader
from qinet.service.eaas.live import LiveNetwork
from qinet.service.eaas.server import EAAS_LIMITS, EaasAuth, EaasServer, eaas_auth
from qinet.service.kms.connection import ConnectionLimits
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.models import KmsLimits
from qinet.service.kms.server import (
    KeyService,
    KmeEndpoint,
    run_event_loop,
    serve_in_thread,
    stop_serving_thread,
)
from qinet.service.kms.store import DEFAULT_KEY_LIFETIME_S, KeyStore
from qinet.service.ready_file import write_ready_file

_log = logging.getLogger("qinet.service")


@dataclass(frozen=True, slots=True)
class ServicesNeeded:
    """What a scenario serves.

    Attributes:
        kmes: the names of its nodes that list ``saes`` (the key delivery service).
        entanglement_links: the names of its heralded entanglement links (the
            entanglement service).
    """

    kmes: tuple[str, ...]
    entanglement_links: tuple[str, ...]


def services_needed(scenario: schema.Scenario) -> ServicesNeeded:
    """Which services a scenario needs: KMEs for its nodes with ``saes``, the
    entanglement service for its heralded links (single-click, double-click,
    midpoint-source: memories at both ends).

    Raises:
        ConfigError: it has neither, naming both.
    """
    kmes = tuple(n.name for n in scenario.nodes if n.saes)
    links = tuple("-".join(spec.between) for spec in scenario.links
                  if not isinstance(spec, KEY_LINKS))
    if not kmes and not links:
        raise ConfigError("scenario", f"{scenario.name!r} has nothing to serve: no node lists "
                                      "`saes` (KMEs of the key delivery service) and no link "
                                      "is a heralded entanglement link (single-click, "
                                      "double-click or midpoint-source, for the entanglement "
                                      "service)")
    return ServicesNeeded(kmes, links)


@dataclass(frozen=True, slots=True)
class EaasOptions:
    """The entanglement service's options in ``qinet serve`` (those of ``qinet eaas``).

    Attributes:
        tokens: the tenants' tokens file (``TENANT TOKEN`` lines).
        port: its port (``None``: the one after the KMEs', or ``port`` without KMEs; 0:
            an ephemeral one).
        max_utilisation: share of a link's spare rate admission may promise.
        certfile: a PEM server certificate (with ``keyfile``: HTTPS).
        keyfile: its private key.
        client_ca: a PEM CA whose client certificates name the tenants (mutual TLS).
        cert_tenants: ``COMMON_NAME TENANT`` lines mapping certificates to tenants.

    Without ``certfile`` and ``client_ca``, a PKI given to ``qinet serve`` (``--certs``)
    serves the entanglement service too: its certificate ``eaas/server.pem`` and mutual
    TLS against the PKI's CA.
    """

    tokens: str | os.PathLike[str] | None = None
    port: int | None = None
    max_utilisation: float = 0.9
    certfile: str | os.PathLike[str] | None = None
    keyfile: str | os.PathLike[str] | None = None
    client_ca: str | os.PathLike[str] | None = None
    cert_tenants: str | os.PathLike[str] | None = None

    def auth(self, certs: str | os.PathLike[str] | None) -> EaasAuth:
        """The service's authentication, from these options or else the PKI.

        Raises:
            ConfigError: a missing piece, naming the option.
        """
        certfile, keyfile, client_ca = self.certfile, self.keyfile, self.client_ca
        if certs is not None and certfile is None and keyfile is None and client_ca is None:
            layout = PkiLayout(Path(certs))
            certfile, keyfile = eaas_server_files(layout)
            client_ca = layout.ca_cert
        if self.tokens is None and client_ca is None:
            raise ConfigError("tokens", "the entanglement service needs --tokens, or --certs "
                                        "(a PKI from `qinet certs init`), or --client-ca, to "
                                        "tell tenants apart")
        return eaas_auth(tokens=self.tokens, certfile=certfile, keyfile=keyfile,
                         client_ca=client_ca, cert_tenants=self.cert_tenants)


@dataclass(frozen=True, slots=True)
class ServiceEndpoints:
    """Where the services listen.

    Attributes:
        kmes: each KME's endpoint (none without the key delivery service).
        eaas_url: the entanglement service's base URL (``None``: not served).
    """

    kmes: tuple[KmeEndpoint, ...]
    eaas_url: str | None

    def ready_document(self) -> dict[str, Any]:
        """The ready file's JSON: ``{KME: URL}`` for KMEs alone, ``{"url": URL}`` for the
        entanglement service alone (as ``qinet eaas`` writes), ``{"kmes": {KME: URL},
        "url": URL}`` for both.

        Examples:
            >>> ServiceEndpoints((KmeEndpoint("a", "127.0.0.1", 1),), "http://h:2"
            ...                  ).ready_document()
            {'kmes': {'a': 'https://127.0.0.1:1'}, 'url': 'http://h:2'}
        """
        kmes = {e.kme: e.url for e in self.kmes}
        if self.eaas_url is None:
            return kmes
        return {"kmes": kmes, "url": self.eaas_url} if kmes else {"url": self.eaas_url}


class KeyServiceRun:
    """The key delivery service's parts: the store, one server per KME, and the driver
    of the key supply. Everything is checked on construction (certificates, ports, the
    store's permissions, the supply), before a byte is served.

    Args:
        kmes: the KMEs and their SAEs.
        start_supply: builds the key supply from its start count on this store (1 the
            first time), or ``None`` to serve the store as is.
        certs: the PKI folder.
        data: the key store folder.
        speedup: simulated seconds per wall second.
        host: the address to listen on.
        port: the first KME's port (0: ephemeral ports).
        limits: what every KME advertises and enforces.
        key_lifetime_s: issued keys not fetched by their slaves within this are erased.
        connection_limits: time and size limits of every connection.

    Raises:
        ConfigError: a missing certificate, a port in use, a store or private key that
            others can read, a scenario whose KMEs no QKD links join.
    """

    def __init__(self, kmes: Sequence[KmeLike],
                 start_supply: Callable[[int], KeySupplyLike] | None, *,
                 certs: str | os.PathLike[str], data: str | os.PathLike[str],
                 speedup: float = 1.0, host: str = "127.0.0.1", port: int = 8443,
                 limits: KmsLimits | None = None,
                 key_lifetime_s: float = DEFAULT_KEY_LIFETIME_S,
                 connection_limits: ConnectionLimits | None = None) -> None:
        self.directory = KmeDirectory.from_kmes(kmes)
        self.store = KeyStore.open(data, key_lifetime_s=key_lifetime_s)
        self.driver: RealtimeDriver | None = None
        try:
            # the servers first: a missing certificate or a private key that others can
            # read stops the start before the supply counts one
            self.service = KeyService(
                directory=self.directory, store=self.store, pki=PkiLayout(Path(certs)),
                host=host, base_port=port, limits=limits,
                connection_limits=connection_limits,
                service_status=self._driver_status if start_supply else None)
            if start_supply is not None:
                resumed = self.store.start_supply().result()
                self.driver = RealtimeDriver(start_supply(resumed.starts), self.store,
                                             speedup=speedup, resumed=resumed)
                _log.info("key supply start %d, continuing from %.6f simulated s; key "
                          "bytes from the OS CSPRNG", resumed.starts, resumed.simulated_s)
        except BaseException:
            self.store.close()
            raise

    def _driver_status(self) -> dict[str, Any]:
        return self.driver.status() if self.driver is not None else {}

    def close(self) -> None:
        """Stop the driver (after its tick) and close the store."""
        if self.driver is not None:
            self.driver.stop()
        self.store.close()


class ScenarioServices:
    """The key delivery service, the entanglement service, or both, in one event loop.

    Args:
        kms: the key delivery service (``None``: not served).
        eaas: the entanglement service (``None``: not served).

    Raises:
        ConfigError: neither.
    """

    def __init__(self, *, kms: KeyServiceRun | None = None,
                 eaas: EaasServer | None = None) -> None:
        if kms is None and eaas is None:
            raise ConfigError("scenario", "nothing to serve")
        self.kms = kms
        self.eaas = eaas
        self.endpoints: ServiceEndpoints | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_scenario(cls, scenario: schema.Scenario, *,
                      certs: str | os.PathLike[str] | None = None,
                      data: str | os.PathLike[str] | None = None,
                      speedup: float = 1.0, host: str = "127.0.0.1", port: int = 8443,
                      key_lifetime_s: float = DEFAULT_KEY_LIFETIME_S,
                      connection_limits: ConnectionLimits | None = None,
                      eaas: EaasOptions | None = None) -> ScenarioServices:
        """What ``qinet serve`` runs for a validated scenario (its seed included).

        Args:
            scenario: the scenario.
            certs: the PKI (needed with KMEs; serves the entanglement service too
                unless ``eaas`` names other certificates).
            data: the key store's folder (needed with KMEs).
            speedup: simulated seconds per wall second, of both simulations.
            host: the address to listen on.
            port: the first port: the KMEs take ``port``, ``port + 1``... in name
                order, then the entanglement service (0: ephemeral ports).
            key_lifetime_s: issued keys not fetched by their slaves within this are
                erased.
            connection_limits: time limits of every connection (size limits: each
                service's own).
            eaas: the entanglement service's options.

        Raises:
            ConfigError: nothing to serve, a missing option (naming it), or any
                failure to set up a part.
        """
        from qinet.scenario.key_service import key_service_plan

        needed = services_needed(scenario)
        eaas = eaas or EaasOptions()
        kms = None
        if needed.kmes:
            if certs is None or data is None:
                option = "certs" if certs is None else "data"
                raise ConfigError(option, f"the scenario has KMEs ({', '.join(needed.kmes)}): "
                                          f"the key delivery service needs --{option}")
            kmes, start_supply = key_service_plan(scenario)
            kms = KeyServiceRun(kmes, start_supply, certs=certs, data=data, speedup=speedup,
                                host=host, port=port, key_lifetime_s=key_lifetime_s,
                                connection_limits=connection_limits)
        try:
            server = None
            if needed.entanglement_links:
                auth = eaas.auth(certs)
                reader = None if kms is None else KeyPoolReader(kms.store, kms.driver)
                network = LiveNetwork(scenario, speedup=speedup,
                                      max_utilisation=eaas.max_utilisation, key_pools=reader)
                eaas_port = eaas.port
                if eaas_port is None:
                    eaas_port = port + len(needed.kmes) if port else 0
                limits = EAAS_LIMITS if connection_limits is None else dataclasses.replace(
                    EAAS_LIMITS, idle_timeout_s=connection_limits.idle_timeout_s,
                    request_timeout_s=connection_limits.request_timeout_s)
                server = EaasServer(network, auth.tokens, host=host, port=eaas_port,
                                    tls=auth.tls, limits=limits,
                                    certificates=auth.certificates)
        except BaseException:
            if kms is not None:
                kms.close()
            raise
        return cls(kms=kms, eaas=server)

    async def serve(self, *, handle_signals: bool = False,
                    on_ready: Callable[[ServiceEndpoints], None] | None = None) -> None:
        """Serve until :meth:`request_stop` (or SIGINT / SIGTERM with ``handle_signals``,
        main thread only), or until one part stops, which stops the others.

        Once every server listens, the key supply's driver and the live network start
        (one after the other, on the same wall clock), then ``on_ready`` is called.
        """
        loop = asyncio.get_running_loop()
        self._loop = loop
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self.request_stop)
        kme_endpoints: list[KmeEndpoint] = []
        eaas_url: list[str] = []
        waiting = {part for part, served in (("kms", self.kms), ("eaas", self.eaas))
                   if served is not None}

        def kms_ready(endpoints: list[KmeEndpoint]) -> None:
            kme_endpoints.extend(endpoints)
            ready("kms")

        def eaas_ready(url: str) -> None:
            eaas_url.append(url)
            ready("eaas")

        def ready(part: str) -> None:
            waiting.discard(part)
            if waiting:
                return
            if self.eaas is not None:
                self.eaas.network.start()
            if self.kms is not None and self.kms.driver is not None:
                self.kms.driver.start()
            self.endpoints = ServiceEndpoints(tuple(kme_endpoints),
                                              eaas_url[0] if eaas_url else None)
            if on_ready is not None:
                on_ready(self.endpoints)

        tasks = []
        if self.kms is not None:
            tasks.append(asyncio.create_task(self.kms.service.serve(on_ready=kms_ready)))
        if self.eaas is not None:
            tasks.append(asyncio.create_task(self.eaas.serve(on_ready=eaas_ready,
                                                             start_network=False)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            self.request_stop()  # a signal, or a part that could not serve: all stop
            await asyncio.gather(*tasks)
        finally:
            if handle_signals:
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(sig)
            if self.kms is not None and self.kms.driver is not None:
                self.kms.driver.stop()

    def request_stop(self) -> None:
        """Ask every server to finish; called again, stop without waiting for requests."""
        if self.kms is not None:
            self.kms.service.request_stop()
        if self.eaas is not None:
            self.eaas.request_stop()

    def close(self) -> None:
        """Stop the simulations and close the key store (after serving ends)."""
        if self.eaas is not None:
            self.eaas.network.stop()
        if self.kms is not None:
            self.kms.close()

    def start_in_thread(self, *, timeout_s: float = 60.0) -> ServiceEndpoints:
        """Serve from a daemon thread (tests, embedding); returns once listening.

        Raises:
            ConfigError: the servers did not start within ``timeout_s``.
        """
        self._thread, ready = serve_in_thread(lambda on_ready: self.serve(on_ready=on_ready),
                                              name="qinet-services", timeout_s=timeout_s)
        if not ready or self.endpoints is None:
            self.stop_thread()
            raise ConfigError("port", f"the services did not start within {timeout_s} s")
        return self.endpoints

    def stop_thread(self, *, timeout_s: float = 30.0) -> None:
        """Stop services started by :meth:`start_in_thread`, wait, and :meth:`close`."""
        stop_serving_thread(self._loop, self.request_stop, self._thread, timeout_s)
        self._thread = None
        self.close()


def serve_scenario(scenario: str | os.PathLike[str], *,
                   certs: str | os.PathLike[str] | None = None,
                   data: str | os.PathLike[str] | None = None, speedup: float = 1.0,
                   host: str = "127.0.0.1", port: int = 8443, seed: int | None = None,
                   key_lifetime_s: float = DEFAULT_KEY_LIFETIME_S,
                   connection_limits: ConnectionLimits | None = None,
                   eaas: EaasOptions | None = None, console: Console | None = None,
                   ready_file: str | os.PathLike[str] | None = None) -> None:
    """``qinet serve``: run what the scenario needs in real time until SIGINT or SIGTERM:
    its KMEs (nodes with ``saes``), the entanglement service (heralded links), or both.

    The simulation decides how much key each pair of KMEs gets and when; the bytes come
    from the operating system's CSPRNG. On a store that served before, the supply
    continues from the simulated time the store recorded.

    Args:
        scenario: the scenario file.
        certs: the PKI made by ``qinet certs init`` (needed with KMEs).
        data: the folder of the key store (needed with KMEs; made if missing; reused
            across restarts).
        speedup: simulated seconds per wall second.
        host: the address to listen on.
        port: the first port: KMEs, then the entanglement service (0: ephemeral ports).
        seed: the simulations' seed (default: the scenario's); it shapes the amounts of
            key, never the key bytes.
        key_lifetime_s: issued keys not fetched by their slaves within this are erased.
        connection_limits: time and size limits of every connection.
        eaas: the entanglement service's options.
        console: where the table of endpoints goes (default: stdout).
        ready_file: once listening, write the URLs here as JSON
            (:meth:`ServiceEndpoints.ready_document`).

    Raises:
        ConfigError: a bad scenario, nothing to serve, a missing certificate, a port in
            use, a store or private key that others can read.
    """
    from qinet.scenario import load_scenario

    loaded = load_scenario(Path(scenario), **({} if seed is None else {"seed": seed}))
    services = ScenarioServices.from_scenario(
        loaded, certs=certs, data=data, speedup=speedup, host=host, port=port,
        key_lifetime_s=key_lifetime_s, connection_limits=connection_limits, eaas=eaas)
    _serve_until_signal(services, console=console, ready_file=ready_file)


def run_key_service(kmes: Sequence[KmeLike],
                    start_supply: Callable[[int], KeySupplyLike] | None, *,
                    certs: str | os.PathLike[str], data: str | os.PathLike[str],
                    speedup: float = 1.0, host: str = "127.0.0.1", port: int = 8443,
                    limits: KmsLimits | None = None,
                    key_lifetime_s: float = DEFAULT_KEY_LIFETIME_S,
                    connection_limits: ConnectionLimits | None = None,
                    console: Console | None = None,
                    ready_file: str | os.PathLike[str] | None = None) -> None:
    """Serve these KMEs from the store in ``data``, fed by a key supply, until a signal.

    Args:
        kmes, start_supply, certs, data, speedup, host, port, limits, key_lifetime_s,
            connection_limits: as :class:`KeyServiceRun` takes them.
        console: where the table of endpoints goes (default: stdout).
        ready_file: once listening, write ``{"KME": "https://..."}`` here as JSON.
    """
    kms = KeyServiceRun(kmes, start_supply, certs=certs, data=data, speedup=speedup,
                        host=host, port=port, limits=limits, key_lifetime_s=key_lifetime_s,
                        connection_limits=connection_limits)
    _serve_until_signal(ScenarioServices(kms=kms), console=console, ready_file=ready_file)


def _serve_until_signal(services: ScenarioServices, *, console: Console | None,
                        ready_file: str | os.PathLike[str] | None) -> None:
    def on_ready(endpoints: ServiceEndpoints) -> None:
        _print_endpoints(console or Console(highlight=False), services, endpoints)
        if ready_file is not None:
            write_ready_file(ready_file, endpoints.ready_document())

    began = time.monotonic()
    try:
        run_event_loop(services.serve(handle_signals=True, on_ready=on_ready))
    finally:
        services.close()
    _log.info("services stopped after %.1f s", time.monotonic() - began)


def _print_endpoints(console: Console, services: ScenarioServices,
                     endpoints: ServiceEndpoints) -> None:
    if services.kms is not None:
        directory = services.kms.directory
        table = Table(title="KMEs (ETSI GS QKD 014, mutual TLS)")
        table.add_column("KME")
        table.add_column("URL")
        table.add_column("SAEs")
        for endpoint in endpoints.kmes:
            table.add_row(endpoint.kme, endpoint.url,
                          ", ".join(directory.saes_of(endpoint.kme)))
        console.print(table)
    if endpoints.eaas_url is not None:
        url = endpoints.eaas_url
        console.print(f"Entanglement service at {url} (dashboard at {url}/, API docs at "
                      f"{url}/docs)", soft_wrap=True)
    console.print("Stop with Ctrl+C (SIGINT) or SIGTERM.")
