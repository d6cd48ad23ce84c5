"""The real-time driver: simulated key production deposited into the pools as wall time runs.

Every tick, a background thread asks the key supply for the key material produced in
the simulated time that elapsed (wall seconds x speed-up) and deposits each batch into
the pool of its two KMEs. The supply is whatever the scenario layer builds (one QKD
link per KME pair); the driver neither knows nor logs key bytes, only their counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from qinet.errors import ConfigError, QinetError
from qinet.service.kms.store import KeyStore

_log = logging.getLogger("qinet.service.driver")


class KeyBatchLike(Protocol):
    """Secret bytes that two KMEs (``kme_a < kme_b``) now share."""

    @property
    def kme_a(self) -> str: ...

    @property
    def kme_b(self) -> str: ...

    @property
    def key(self) -> bytes: ...


class KeySupplyLike(Protocol):
    """Produces key material as simulated time advances."""

    def advance(self, seconds: float) -> list[Any]:
        """The batches produced in the next ``seconds`` of simulated time."""
        ...


class RealtimeDriver:
    """Feeds a key store from a key supply, in step with the wall clock.

    Args:
        supply: the simulated QKD links.
        store: where the key material goes.
        speedup: simulated seconds per wall second (> 0).
        tick_s: wall seconds between two deposits.
        clock: the wall clock in seconds (monotonic).

    Raises:
        ConfigError: ``speedup`` or ``tick_s`` not positive.
    """

    def __init__(self, supply: KeySupplyLike, store: KeyStore, *, speedup: float = 1.0,
                 tick_s: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
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
        self.simulated_s = 0.0
        self.ticks = 0
        self.bytes_supplied = 0
        self.bytes_accepted = 0
        self.error: str | None = None

    def step(self, wall_s: float) -> int:
        """Advance the supply by ``wall_s * speedup`` simulated seconds and deposit the key.

        Side Effects:
            Moves the supply's simulated clock; appends to the store's pools.

        Returns:
            Bytes accepted by the pools (less than supplied when a pool is full).
        """
        simulated = wall_s * self.speedup
        batches = self.supply.advance(simulated)
        futures = [(batch, self.store.deposit(batch.kme_a, batch.kme_b, batch.key))
                   for batch in batches]
        accepted = 0
        for batch, future in futures:
            took = future.result()
            accepted += took
            self.bytes_supplied += len(batch.key)
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug("pool %s-%s: +%d bytes (%d offered)", batch.kme_a, batch.kme_b,
                           took, len(batch.key))
        self.simulated_s += simulated
        self.bytes_accepted += accepted
        self.ticks += 1
        return accepted

    def start(self) -> None:
        """Run :meth:`step` every ``tick_s`` in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="qinet-driver", daemon=True)
        self._thread.start()

    def stop(self, *, timeout_s: float = 2.0) -> None:
        """Stop the thread after its current tick, waiting at most ``timeout_s``.

        A tick still simulating after that is abandoned (the thread is a daemon, and
        what it would deposit afterwards is refused by the closed store).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def status(self) -> dict[str, Any]:
        """The driver's state for a status page (counts only, never key material)."""
        return {"driver": {"running": self._thread is not None and self._thread.is_alive(),
                           "speedup": self.speedup, "simulated_s": round(self.simulated_s, 6),
                           "ticks": self.ticks, "bytes_supplied": self.bytes_supplied,
                           "bytes_accepted": self.bytes_accepted, "error": self.error}}

    def _run(self) -> None:
        last = self._clock()
        while not self._stop.wait(self.tick_s):
            now = self._clock()
            try:
                # a slow tick makes the next interval longer, so simulated time keeps pace
                self.step(now - last)
            except QinetError as exc:
                if not self._stop.is_set():  # at shutdown the store may close first
                    self.error = str(exc)
                    _log.error("key supply stopped: %s", exc)
                return
            last = now
