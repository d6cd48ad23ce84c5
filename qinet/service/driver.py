"""The real-time driver: simulated key production deposited into the pools as wall time runs.

Every tick, a background thread asks the key supply how much key its links and relays
produced in the simulated time that elapsed (wall seconds x speed-up) and deposits that
many bytes into the pool of each pair of KMEs. The simulation decides the amounts and
their times; the bytes themselves come from the operating system's CSPRNG
(:func:`secrets.token_bytes`), so nothing in a scenario file or its seed can recompute a
key that leaves the service, and a restarted service never deposits the same bytes
again. The deposit and the supply's clock are committed together
(:meth:`KeyStore.supply`), so after a restart the supply continues from the simulated
time the store records. The driver neither knows nor logs key bytes, only their counts.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from qinet.errors import ConfigError, QinetError
from qinet.service.kms.store import Deposit, KeyStore, SupplyState

_log = logging.getLogger("qinet.service.driver")


class KeyAmountLike(Protocol):
    """How many secret bytes two KMEs (``kme_a < kme_b``) now share."""

    @property
    def kme_a(self) -> str: ...

    @property
    def kme_b(self) -> str: ...

    @property
    def n_bytes(self) -> int: ...


class KeySupplyLike(Protocol):
    """Produces key, in amounts, as simulated time advances."""

    def advance(self, seconds: float) -> list[Any]:
        """The amounts (:class:`KeyAmountLike`) produced in the next ``seconds``."""
        ...


class RealtimeDriver:
    """Feeds a key store from a key supply, in step with the wall clock.

    Args:
        supply: the simulated QKD links.
        store: where the key material goes.
        speedup: simulated seconds per wall second (> 0).
        tick_s: wall seconds between two deposits.
        clock: the wall clock in seconds (monotonic).
        resumed: the store's supply state when this supply started (see
            :meth:`KeyStore.start_supply`); the simulated clock continues from it.

    Raises:
        ConfigError: ``speedup`` or ``tick_s`` not positive.
    """

    def __init__(self, supply: KeySupplyLike, store: KeyStore, *, speedup: float = 1.0,
                 tick_s: float = 0.25, clock: Callable[[], float] = time.monotonic,
                 resumed: SupplyState | None = None) -> None:
        if not speedup > 0:
            raise ConfigError("speedup", f"must be positive, got {speedup}")
        if not tick_s > 0:
            raise ConfigError("tick_s", f"must be positive, got {tick_s}")
        self.supply = supply
        self.store = store
        self.speedup = float(speedup)
        self.tick_s = float(tick_s)
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.resumed = resumed or SupplyState(0.0, 0, 1)
        self.simulated_s = self.resumed.simulated_s
        self.ticks = 0
        self.bytes_supplied = 0
        self.bytes_accepted = 0
        self.failed_deposits = 0
        self.error: str | None = None

    def step(self, wall_s: float) -> int:
        """Advance the supply by ``wall_s * speedup`` simulated seconds and deposit the key.

        Side Effects:
            Moves the supply's simulated clock; appends fresh CSPRNG bytes, as many as
            the supply produced, to the store's pools and commits the supply's clock.

        Returns:
            Bytes accepted by the pools (less than supplied when a pool is full).

        Raises:
            QinetError: the store could not commit (nothing of this tick is kept).
        """
        simulated = wall_s * self.speedup
        amounts = self.supply.advance(simulated)
        deposits = [Deposit(a.kme_a, a.kme_b, secrets.token_bytes(a.n_bytes))
                    for a in amounts if a.n_bytes > 0]
        self.ticks += 1
        accepted = self.store.supply(deposits, simulated_s=simulated).result()
        self.simulated_s += simulated
        self.bytes_supplied += sum(len(d.material) for d in deposits)
        self.bytes_accepted += accepted
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("supply: +%.6f simulated s, %d bytes offered, %d accepted", simulated,
                       sum(len(d.material) for d in deposits), accepted)
        return accepted

    def start(self) -> None:
        """Run :meth:`step` every ``tick_s`` in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="qinet-driver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after its current tick, and wait for it.

        The tick is never abandoned: a thread left running native code (numpy, scipy's
        FFT) while the interpreter shuts down can abort the whole process, so shutdown
        waits for the tick in progress, which simulates ``tick_s * speedup`` seconds.
        """
        self._stop.set()
        if self._thread is not None:
            if self._thread.is_alive():
                _log.info("waiting for the key supply to finish its tick")
            self._thread.join()
            self._thread = None

    def status(self) -> dict[str, Any]:
        """The driver's state for a status page (counts only, never key material)."""
        return {"driver": {"running": self._thread is not None and self._thread.is_alive(),
                           "speedup": self.speedup, "simulated_s": round(self.simulated_s, 6),
                           "resumed_from_s": round(self.resumed.simulated_s, 6),
                           "starts": self.resumed.starts, "key_material": "os-csprng",
                           "ticks": self.ticks, "bytes_supplied": self.bytes_supplied,
                           "bytes_accepted": self.bytes_accepted,
                           "failed_deposits": self.failed_deposits, "error": self.error}}

    def _run(self) -> None:
        last = self._clock()
        while not self._stop.wait(self.tick_s):
            now = self._clock()
            try:
                # a slow tick makes the next interval longer, so simulated time keeps pace
                self.step(now - last)
            except QinetError as exc:
                if self._stop.is_set():  # at shutdown the store may close first
                    return
                # a failed commit (full disk, locked file) loses this tick's key, which
                # was never issued; the supply goes on with fresh bytes
                self.failed_deposits += 1
                self.error = str(exc)
                _log.error("key deposit failed, key of this tick dropped: %s", exc)
            last = now
