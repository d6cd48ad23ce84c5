"""What a demand asked for and what it got: requests, deliveries, losses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend


@dataclass(slots=True)
class DemandLog:
    """Records of one demand over a run.

    Requests: with a rate target, requests arrive every ``1/rate`` seconds and each
    delivered pair serves the oldest waiting one; without one, a new request is made
    whenever the previous one is served (closed loop). Latency is request to delivery.

    Fidelities are computed when the log is read, in one backend call per pair of memory
    types: a delivered pair is kept as its state and the time each qubit still has to
    decay in memory up to the delivery. A state may be a recipe that ``resolver`` turns
    into states, many at once (swapped pairs, see :mod:`qinet.network.deferred`); it is
    applied every ``resolve_every`` deliveries, so that recipes do not pile up.

    Attributes:
        delivered_ps: delivery time of every end-to-end pair.
        latency_ps: request-to-delivery time of every served request.
        lost: end-to-end pairs that arrived dead (failed swap, discarded qubit).
        discarded: qubits thrown away by the cutoff.
        swaps: Bell-state measurements made; swap_failures: of which failed.
        purifications: rounds tried; purification_failures: of which failed.
    """

    rate_hz: float | None
    resolver: Callable[[list[Any]], Any] | None = None
    resolve_every: int = 4096
    delivered_ps: list[int] = field(default_factory=list)
    _states: list[Any] = field(default_factory=list)  # not resolved yet
    _chunks: list[Any] = field(default_factory=list)  # resolved batches, in delivery order
    _waits: list[tuple[float, float]] = field(default_factory=list)
    _memories: list[tuple[QuantumMemory, QuantumMemory]] = field(default_factory=list)
    latency_ps: list[int] = field(default_factory=list)
    lost: int = 0
    discarded: int = 0
    swaps: int = 0
    swap_failures: int = 0
    purifications: int = 0
    purification_failures: int = 0
    _served: int = 0
    _open_since_ps: int = 0

    def deliver(self, now_ps: int, state: Any, waited_s: tuple[float, float],
                memories: tuple[QuantumMemory, QuantumMemory]) -> None:
        """Record a delivered pair and serve a request with it.

        Args:
            now_ps: delivery time.
            state: the pair's one-pair backend batch, decayed up to some earlier time.
            waited_s: per qubit, the decay still to apply up to ``now_ps``.
            memories: the memories holding qubit 0 and qubit 1.
        """
        self.delivered_ps.append(now_ps)
        self._states.append(state)
        self._waits.append(waited_s)
        self._memories.append(memories)
        if self.resolver is not None and len(self._states) >= self.resolve_every:
            self._chunks.append(self.resolver(self._states))
            self._states = []
        if self.rate_hz is None:
            self.latency_ps.append(now_ps - self._open_since_ps)
            self._open_since_ps = now_ps
        elif self._served < self.requests_by(now_ps):
            # requests arrive at k / rate (k = 0, 1, ...): no event per request is needed
            self.latency_ps.append(now_ps - round(self._served * 1e12 / self.rate_hz))
            self._served += 1

    def requests_by(self, now_ps: int) -> int:
        """Requests that have arrived by ``now_ps`` (rate-driven demands)."""
        if self.rate_hz is None:
            return len(self.delivered_ps)
        return int(now_ps * 1e-12 * self.rate_hz) + 1

    def unserved(self, end_ps: int) -> int:
        """Requests still waiting at ``end_ps``."""
        if self.rate_hz is None:
            return 0
        return max(0, self.requests_by(end_ps) - self._served)

    def delivered_states(self, backend: QuantumBackend) -> Any:
        """Every delivered pair's state at its delivery, as one batch in delivery order."""
        if not self.delivered_ps:
            return backend.concat([])
        if self._states:
            resolve = self.resolver if self.resolver is not None else backend.concat
            self._chunks.append(resolve(self._states))
            self._states = []
        if len(self._chunks) > 1:
            self._chunks = [backend.concat(self._chunks)]
        states = self._chunks[0]
        groups: dict[tuple[int, int], list[int]] = {}
        for i, (m0, m1) in enumerate(self._memories):
            groups.setdefault((id(m0), id(m1)), []).append(i)
        batches, order = [], []
        for members in groups.values():
            m0, m1 = self._memories[members[0]]
            group = backend.take(states, members)
            waits = np.array([self._waits[i] for i in members])
            group = backend.memory_decay(group, waits[:, 0], t1_s=m0.t1_s, t2_s=m0.t2_s,
                                         qubit=0)
            batches.append(backend.memory_decay(group, waits[:, 1], t1_s=m1.t1_s,
                                                t2_s=m1.t2_s, qubit=1))
            order += members
        decayed = backend.concat(batches)
        return backend.take(decayed, np.argsort(np.array(order)))

    def fidelities(self, backend: QuantumBackend) -> NDArray[np.float64]:
        """Fidelity to Φ+ of every delivered pair at its delivery, in delivery order."""
        if not self.delivered_ps:
            return np.zeros(0)
        return np.asarray(backend.fidelity(self.delivered_states(backend)), dtype=float)

    def arrays(self, backend: QuantumBackend) -> dict[str, NDArray[Any]]:
        """Per-pair arrays: ``delivered_ps``, ``fidelity``; and ``latency_ps``."""
        return {"delivered_ps": np.array(self.delivered_ps, dtype=np.int64),
                "fidelity": self.fidelities(backend),
                "latency_ps": np.array(self.latency_ps, dtype=np.int64)}
