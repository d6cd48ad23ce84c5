"""Start the key delivery service: store, driver and one HTTPS server per KME, until a signal.

:func:`serve_scenario` is ``qinet serve``: KMEs and key supply come from the scenario
layer's ``key_service_plan``. :func:`run_key_service` is the part that knows nothing of
scenarios (``python -m qinet.service`` uses it to serve a key store as it is).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from qinet.service.certs import KmeLike, PkiLayout
from qinet.service.driver import KeySupplyLike, RealtimeDriver
from qinet.service.kms.connection import ConnectionLimits
from qinet.service.kms.directory import KmeDirectory
from qinet.service.kms.models import KmsLimits
from qinet.service.kms.server import KeyService, KmeEndpoint, run_event_loop
from qinet.service.kms.store import DEFAULT_KEY_LIFETIME_S, KeyStore

_log = logging.getLogger("qinet.service")


def serve_scenario(scenario: str | os.PathLike[str], *, certs: str | os.PathLike[str],
                   data: str | os.PathLike[str], speedup: float = 1.0,
                   host: str = "127.0.0.1", port: int = 8443, seed: int | None = None,
                   key_lifetime_s: float = DEFAULT_KEY_LIFETIME_S,
                   connection_limits: ConnectionLimits | None = None,
                   console: Console | None = None,
                   ready_file: str | os.PathLike[str] | None = None) -> None:
    """``qinet serve``: run the scenario's KMEs in real time until SIGINT or SIGTERM.

    The simulation decides how much key each pair of KMEs gets and when; the bytes come
    from the operating system's CSPRNG. On a store that served before, the supply
    continues from the simulated time the store recorded.

    Args:
        scenario: the scenario file.
        certs: the PKI made by ``qinet certs init``.
        data: the folder of the key store (made if missing; reused across restarts).
        speedup: simulated seconds per wall second.
        host: the address to listen on.
        port: the first KME's port; the others follow (0: ephemeral ports).
        seed: the simulation's seed (default: the scenario's); it shapes the amounts of
            key, never the key bytes.
        key_lifetime_s: issued keys not fetched by their slaves within this are erased.
        connection_limits: time and size limits of every connection.
        console: where the table of endpoints goes (default: stdout).
        ready_file: once listening, write ``{"KME": "https://..."}`` here as JSON.

    Raises:
        ConfigError: a bad scenario, a missing certificate, a port in use, a store or
            private key that others can read.
    """
    from qinet.scenario import load_scenario
    from qinet.scenario.key_service import key_service_plan

    loaded = load_scenario(Path(scenario))
    seed = loaded.seed if seed is None else seed
    kmes, start_supply = key_service_plan(loaded, seed=seed)
    run_key_service(kmes, start_supply, certs=certs, data=data, speedup=speedup, host=host,
                    port=port, key_lifetime_s=key_lifetime_s,
                    connection_limits=connection_limits, console=console,
                    ready_file=ready_file)


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
        kmes: the KMEs and their SAEs.
        start_supply: builds the key supply driven in real time from its start count on
            this store (1 the first time), or ``None`` to serve the store as is.
        certs: the PKI folder.
        data: the key store folder.
        speedup: simulated seconds per wall second.
        host: the address to listen on.
        port: the first KME's port (0: ephemeral ports).
        limits: what every KME advertises and enforces.
        key_lifetime_s: issued keys not fetched by their slaves within this are erased.
        connection_limits: time and size limits of every connection.
        console: where the table of endpoints goes (default: stdout).
        ready_file: once listening, write ``{"KME": "https://..."}`` here as JSON.
    """
    directory = KmeDirectory.from_kmes(kmes)
    pki = PkiLayout(Path(certs))
    store = KeyStore.open(data, key_lifetime_s=key_lifetime_s)
    try:
        drivers: list[RealtimeDriver] = []  # filled once the servers could be set up

        def driver_status() -> dict[str, Any]:
            return drivers[0].status() if drivers else {}

        # the servers first: a missing certificate or a private key that others can read
        # stops the start before the supply counts one
        service = KeyService(directory=directory, store=store, pki=pki, host=host,
                             base_port=port, limits=limits,
                             connection_limits=connection_limits,
                             service_status=driver_status if start_supply else None)
        driver = None
        if start_supply is not None:
            resumed = store.start_supply().result()
            driver = RealtimeDriver(start_supply(resumed.starts), store, speedup=speedup,
                                    resumed=resumed)
            drivers.append(driver)
            _log.info("key supply start %d, continuing from %.6f simulated s; key bytes "
                      "from the OS CSPRNG", resumed.starts, resumed.simulated_s)

        def on_ready(endpoints: list[KmeEndpoint]) -> None:
            _print_endpoints(console or Console(highlight=False), directory, endpoints)
            if ready_file is not None:
                temporary = Path(f"{ready_file}.tmp")
                temporary.write_text(json.dumps({e.kme: e.url for e in endpoints}))
                temporary.replace(ready_file)  # atomic: a reader never sees half a file
            if driver is not None:
                driver.start()

        try:
            run_event_loop(service.serve(handle_signals=True, on_ready=on_ready))
        finally:
            if driver is not None:
                driver.stop()
    finally:
        store.close()
    _log.info("key service stopped")


def _print_endpoints(console: Console, directory: KmeDirectory,
                     endpoints: list[KmeEndpoint]) -> None:
    table = Table(title="KMEs (ETSI GS QKD 014, mutual TLS)")
    table.add_column("KME")
    table.add_column("URL")
    table.add_column("SAEs")
    for endpoint in endpoints:
        table.add_row(endpoint.kme, endpoint.url, ", ".join(directory.saes_of(endpoint.kme)))
    console.print(table)
    console.print("Stop with Ctrl+C (SIGINT) or SIGTERM.")
