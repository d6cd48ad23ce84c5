"""What a demand asked for and what it got: requests, deliveries, losses."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


@dataclass(slots=True)
class DemandLog:
    """Records of one demand over a run.

    Requests: with a rate target, requests arrive every ``1/rate`` seconds and each
    delivered pair serves the oldest waiting one; without one, a new request is made
    whenever the previous one is served (closed loop). Latency is request to delivery.

    Attributes:
        delivered_ps: delivery time of every end-to-end pair.
        fidelity: its fidelity to Φ+ at delivery.
        latency_ps: request-to-delivery time of every served request.
        lost: end-to-end pairs that arrived dead (failed swap, discarded qubit).
        discarded: qubits thrown away by the cutoff.
        swaps: Bell-state measurements made; swap_failures: of which failed.
        purifications: rounds tried; purification_failures: of which failed.
    """

    rate_hz: float | None
    delivered_ps: list[int] = field(default_factory=list)
    fidelity: list[float] = field(default_factory=list)
    latency_ps: list[int] = field(default_factory=list)
    lost: int = 0
    discarded: int = 0
    swaps: int = 0
    swap_failures: int = 0
    purifications: int = 0
    purification_failures: int = 0
    _waiting: deque[int] = field(default_factory=deque)
    _requests: int = 0
    _open_since_ps: int = 0

    def deliver(self, now_ps: int, fidelity: float) -> None:
        """Record a delivered pair and serve a request with it."""
        self.delivered_ps.append(now_ps)
        self.fidelity.append(fidelity)
        if self.rate_hz is None:
            self.latency_ps.append(now_ps - self._open_since_ps)
            self._open_since_ps = now_ps
        elif self._waiting:
            self.latency_ps.append(now_ps - self._waiting.popleft())

    def request(self, now_ps: int) -> None:
        """A request arrives (rate-driven demands)."""
        self._waiting.append(now_ps)
        self._requests += 1

    @property
    def unserved(self) -> int:
        """Requests still waiting."""
        return len(self._waiting)

    def arrays(self) -> dict[str, NDArray]:
        """Per-pair arrays: ``delivered_ps``, ``fidelity``; and ``latency_ps``."""
        return {"delivered_ps": np.array(self.delivered_ps, dtype=np.int64),
                "fidelity": np.array(self.fidelity, dtype=float),
                "latency_ps": np.array(self.latency_ps, dtype=np.int64)}
