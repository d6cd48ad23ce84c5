"""What a demand asked for and what it got: requests, deliveries, losses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ProtocolError
from qinet.network.stats import DeliveryStats
from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend


@dataclass(frozen=True, slots=True)
class RequestClock:
    """Requests at a fixed rate on the integer clock: the k-th (k = 0, 1, ...) arrives at
    ``start_ps + k * period_ps``, the period being ``1/rate`` rounded to the picosecond
    (``start_ps``: when the demand was added, 0 for a scenario's own demands).

    A rate of zero makes no request at all (``period_ps`` is 0 then).

    Examples:
        >>> clock = RequestClock.at_rate(20.0)
        >>> clock.period_ps, clock.arrived(0), clock.arrived(49_999_999_999)
        (50000000000, 1, 1)
        >>> clock.arrived(5 * 10**10)
        2
        >>> clock.next_arrival_ps(1), clock.arrival_ps(3)
        (50000000000, 150000000000)
    """

    period_ps: int
    start_ps: int = 0

    @classmethod
    def at_rate(cls, rate_hz: float, start_ps: int = 0) -> RequestClock:
        """The clock of ``rate_hz`` requests per second from ``start_ps``."""
        return cls(max(1, round(1e12 / rate_hz)) if rate_hz > 0 else 0, start_ps)

    def arrived(self, now_ps: int) -> int:
        """Requests that have arrived by ``now_ps`` (inclusive)."""
        since = now_ps - self.start_ps
        if self.period_ps == 0 or since < 0:
            return 0
        return since // self.period_ps + 1

    def arrival_ps(self, k: int) -> int:
        """When request ``k`` (from 0) arrives."""
        return self.start_ps + k * self.period_ps

    def next_arrival_ps(self, now_ps: int) -> int | None:
        """When the first request after ``now_ps`` arrives (``None``: never)."""
        if self.period_ps == 0:
            return None
        return self.start_ps + self.arrived(now_ps) * self.period_ps


class DemandLog:
    """Records of one demand over a run.

    Requests and latency: with a rate, requests arrive on a :class:`RequestClock` and
    each delivered pair serves the oldest waiting one (first in first out); the demand's
    links are asked for no more pairs than there are requests, so a pair is never
    delivered without a request to serve. Latency is then from the request's arrival to
    the pair's delivery. Without a rate the demand takes every pair it can, and a pair's
    latency runs from the start of the attempts that made it: the earliest time one of
    its link pairs' memory pairs began trying for it (``requested_ps``). Delivery is when
    both path ends know the pair, so latency is never below the one-way classical delay
    across the path.

    Fidelities are computed in batches: a delivered pair is kept as its state and the
    time each qubit still has to decay in memory up to the delivery, until
    ``resolve_every`` pairs wait (or the log is read). A state may be a recipe that
    ``resolver`` turns into states, many at once (swapped pairs, see
    :mod:`qinet.network.deferred`). Each batch then enters the streaming
    :class:`~qinet.network.stats.DeliveryStats` and is dropped, so the memory a demand
    takes does not grow with the run, unless ``keep_pairs`` keeps every pair's record
    (its delivery time, latency, fidelity and state) for a caller that asks for them.
    ``sink``, when set, is handed every batch too, as ``sink(states, backend)`` in delivery
    order (a protocol that measures the pairs as they come, keeping what it needs only).

    Args:
        rate_hz: requests per second, or ``None``.
        target_pairs: pairs asked for, or ``None``.
        stats: where the batches go.
        keep_pairs: keep every pair's record (see :meth:`arrays`).
        start_ps: when requests start arriving (a demand added during a run).

    Attributes:
        delivered: end-to-end pairs delivered.
        completed_ps: when the ``target_pairs``-th pair was delivered (``None`` before).
        lost: end-to-end pairs that arrived dead (failed swap, discarded qubit).
        discarded: qubits thrown away by the cutoff.
        swaps: Bell-state measurements made; swap_failures: of which failed.
        purifications: rounds tried; purification_failures: of which failed.
    """

    __slots__ = ("_kept", "_latency", "_memories", "_states", "_times", "_waits", "backend",
                 "clock", "completed_ps", "delivered", "discarded", "keep_pairs", "lost",
                 "purification_failures", "purifications", "rate_hz", "resolve_every",
                 "resolver", "sink", "stats", "swap_failures", "swaps", "target_pairs")

    def __init__(self, rate_hz: float | None, *, stats: DeliveryStats,
                 target_pairs: int | None = None, keep_pairs: bool = True,
                 start_ps: int = 0) -> None:
        self.rate_hz = rate_hz
        self.target_pairs = target_pairs
        self.stats = stats
        self.keep_pairs = keep_pairs
        self.clock = None if rate_hz is None else RequestClock.at_rate(rate_hz, start_ps)
        self.resolver: Callable[[list[Any]], Any] | None = None
        self.sink: Callable[[Any, QuantumBackend], object] | None = None
        self.resolve_every = 4096
        self.backend: QuantumBackend | None = None
        self.delivered = 0
        self.completed_ps: int | None = None
        self.lost = self.discarded = self.swaps = self.swap_failures = 0
        self.purifications = self.purification_failures = 0
        self._times: list[int] = []
        self._latency: list[int] = []
        self._states: list[Any] = []  # not resolved yet
        self._waits: list[tuple[float, float]] = []
        self._memories: list[tuple[QuantumMemory, QuantumMemory]] = []
        self._kept: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64],
                               Any]] = []

    def deliver(self, now_ps: int, state: Any, waited_s: tuple[float, float],
                memories: tuple[QuantumMemory, QuantumMemory], requested_ps: int) -> None:
        """Record a delivered pair and serve a request with it.

        Args:
            now_ps: delivery time.
            state: the pair's one-pair backend batch, decayed up to some earlier time.
            waited_s: per qubit, the decay still to apply up to ``now_ps``.
            memories: the memories holding qubit 0 and qubit 1.
            requested_ps: when the attempts that made the pair began (used without a rate).

        Raises:
            ProtocolError: a rate-driven demand got a pair with no request waiting (its
                links are never asked for one).
        """
        clock = self.clock
        served = self.delivered
        if clock is None:
            self._latency.append(now_ps - requested_ps)
        else:
            if served >= clock.arrived(now_ps):
                raise ProtocolError(f"a pair was delivered at {now_ps} ps with no request "
                                    f"waiting ({served} served)")
            self._latency.append(now_ps - clock.arrival_ps(served))
        self.delivered = served + 1
        self._times.append(now_ps)
        self._states.append(state)
        self._waits.append(waited_s)
        self._memories.append(memories)
        if self.target_pairs is not None and self.delivered == self.target_pairs:
            self.completed_ps = now_ps
        if self.backend is not None and len(self._states) >= self.resolve_every:
            self._flush(self.backend)

    def requests_by(self, now_ps: int) -> int | None:
        """Requests that have arrived by ``now_ps`` (``None`` without a rate)."""
        if self.clock is None:
            return None
        arrived = self.clock.arrived(now_ps)
        return arrived if self.target_pairs is None else min(arrived, self.target_pairs)

    def next_request_ps(self, now_ps: int) -> int | None:
        """``None`` when a request waits at ``now_ps`` (or the demand has no rate);
        otherwise when the next one arrives."""
        clock = self.clock
        if clock is None or self.delivered < clock.arrived(now_ps):
            return None
        return clock.next_arrival_ps(now_ps)

    def unserved(self, end_ps: int) -> int:
        """Requests still waiting at ``end_ps``."""
        requests = self.requests_by(end_ps)
        return 0 if requests is None else max(0, requests - self.delivered)

    def _flush(self, backend: QuantumBackend, resolved: Any = None) -> None:
        """Resolve the waiting pairs (unless ``resolved`` holds them already), decay them
        up to their deliveries, take their stats."""
        if not self._states:
            return
        if resolved is None:
            resolve = self.resolver if self.resolver is not None else backend.concat
            resolved = resolve(self._states)
        states = _decayed(backend, resolved, self._waits, self._memories)
        fidelity = np.asarray(backend.fidelity(states), dtype=float)
        times = np.array(self._times, dtype=np.int64)
        latency = np.array(self._latency, dtype=np.int64)
        self.stats.add(times, latency, fidelity,
                       np.asarray(backend.bell_weights(states), dtype=float))
        if self.sink is not None:
            self.sink(states, backend)
        if self.keep_pairs:
            self._kept.append((times, latency, fidelity, states))
        self._times, self._latency, self._states = [], [], []
        self._waits, self._memories = [], []

    def finish(self, backend: QuantumBackend) -> DeliveryStats:
        """Take the pairs still waiting into the statistics; returns them."""
        self._flush(backend)
        return self.stats

    def delivered_states(self, backend: QuantumBackend) -> Any:
        """Every delivered pair's state at its delivery, as one batch in delivery order
        (needs ``keep_pairs``)."""
        self._flush(backend)
        if not self.keep_pairs:
            raise ProtocolError("the pairs' states were not kept (keep_pairs is off)")
        if len(self._kept) > 1:
            times, latency, fidelity, states = zip(*self._kept, strict=True)
            self._kept = [(np.concatenate(times), np.concatenate(latency),
                           np.concatenate(fidelity), backend.concat(list(states)))]
        return self._kept[0][3] if self._kept else backend.concat([])

    def fidelities(self, backend: QuantumBackend) -> NDArray[np.float64]:
        """Fidelity to Φ+ of every delivered pair at its delivery, in delivery order."""
        return self.arrays(backend)["fidelity"]

    def arrays(self, backend: QuantumBackend) -> dict[str, NDArray[Any]]:
        """Per-pair arrays in delivery order: ``delivered_ps``, ``latency_ps`` and
        ``fidelity`` (empty unless ``keep_pairs``)."""
        self.delivered_states(backend) if self.keep_pairs else self._flush(backend)
        if not self._kept:
            return {"delivered_ps": np.zeros(0, np.int64), "fidelity": np.zeros(0),
                    "latency_ps": np.zeros(0, np.int64)}
        times, latency, fidelity, _ = self._kept[0]
        return {"delivered_ps": times, "fidelity": fidelity, "latency_ps": latency}


def finish_together(logs: list[DemandLog], backend: QuantumBackend) -> None:
    """:meth:`DemandLog.finish` of every log in ``logs``, their waiting pairs' swaps
    computed in one batch where that gives the same numbers.

    A log resolves its pairs level by level, a few numpy calls per level, so a hundred
    demands that each deliver a few dozen pairs over twenty hops pay mostly for the calls.
    When the backend's swaps draw nothing (:attr:`QuantumBackend.swap_draws`), the pairs
    of every log go through one resolver (any log's: their random streams go unused)
    and each log takes its rows back.
    """
    waiting = [log for log in logs if log._states]
    resolver = next((log.resolver for log in waiting if log.resolver is not None), None)
    if backend.swap_draws or resolver is None or len(waiting) < 2:
        for log in logs:
            log.finish(backend)
        return
    resolved = resolver([state for log in waiting for state in log._states])
    start = 0
    for log in waiting:
        end = start + len(log._states)
        log._flush(backend, backend.take(resolved, np.arange(start, end)))
        start = end


def _decayed(backend: QuantumBackend, states: Any, waits: list[tuple[float, float]],
             memories: list[tuple[QuantumMemory, QuantumMemory]]) -> Any:
    """``states`` with each qubit's last stretch of decay applied, one batch per pair of
    memory types, in the original order."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (m0, m1) in enumerate(memories):
        groups.setdefault((id(m0), id(m1)), []).append(i)
    batches, order = [], []
    for members in groups.values():
        m0, m1 = memories[members[0]]
        group = backend.take(states, members)
        waited = np.array([waits[i] for i in members])
        group = backend.memory_decay(group, waited[:, 0], t1_s=m0.t1_s, t2_s=m0.t2_s, qubit=0)
        batches.append(backend.memory_decay(group, waited[:, 1], t1_s=m1.t1_s, t2_s=m1.t2_s,
                                            qubit=1))
        order += members
    if len(batches) == 1:
        return batches[0]
    return backend.take(backend.concat(batches), np.argsort(np.array(order)))
