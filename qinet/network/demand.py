"""What a demand asked for and what it got: requests, deliveries, losses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ProtocolError
from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend


@dataclass(frozen=True, slots=True)
class RequestClock:
    """Requests at a fixed rate on the integer clock: the k-th (k = 0, 1, ...) arrives at
    ``k * period_ps``, the period being ``1/rate`` rounded to the picosecond.

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

    @classmethod
    def at_rate(cls, rate_hz: float) -> RequestClock:
        """The clock of ``rate_hz`` requests per second."""
        return cls(max(1, round(1e12 / rate_hz)) if rate_hz > 0 else 0)

    def arrived(self, now_ps: int) -> int:
        """Requests that have arrived by ``now_ps`` (inclusive)."""
        if self.period_ps == 0 or now_ps < 0:
            return 0
        return now_ps // self.period_ps + 1

    def arrival_ps(self, k: int) -> int:
        """When request ``k`` (from 0) arrives."""
        return k * self.period_ps

    def next_arrival_ps(self, now_ps: int) -> int | None:
        """When the first request after ``now_ps`` arrives (``None``: never)."""
        if self.period_ps == 0:
            return None
        return self.arrived(now_ps) * self.period_ps


@dataclass(slots=True)
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

    Fidelities are computed when the log is read, in one backend call per pair of memory
    types: a delivered pair is kept as its state and the time each qubit still has to
    decay in memory up to the delivery. A state may be a recipe that ``resolver`` turns
    into states, many at once (swapped pairs, see :mod:`qinet.network.deferred`); it is
    applied every ``resolve_every`` deliveries, so that recipes do not pile up.

    Attributes:
        delivered_ps: delivery time of every end-to-end pair.
        latency_ps: request-to-delivery time of every delivered pair.
        completed_ps: when the ``target_pairs``-th pair was delivered (``None`` before).
        lost: end-to-end pairs that arrived dead (failed swap, discarded qubit).
        discarded: qubits thrown away by the cutoff.
        swaps: Bell-state measurements made; swap_failures: of which failed.
        purifications: rounds tried; purification_failures: of which failed.
    """

    rate_hz: float | None
    target_pairs: int | None = None
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
    completed_ps: int | None = None
    clock: RequestClock | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.clock = None if self.rate_hz is None else RequestClock.at_rate(self.rate_hz)

    @property
    def delivered(self) -> int:
        """End-to-end pairs delivered so far."""
        return len(self.delivered_ps)

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
        if clock is None:
            self.latency_ps.append(now_ps - requested_ps)
        else:
            served = len(self.delivered_ps)
            if served >= clock.arrived(now_ps):
                raise ProtocolError(f"a pair was delivered at {now_ps} ps with no request "
                                    f"waiting ({served} served)")
            self.latency_ps.append(now_ps - clock.arrival_ps(served))
        self.delivered_ps.append(now_ps)
        if self.target_pairs is not None and len(self.delivered_ps) == self.target_pairs:
            self.completed_ps = now_ps
        self._states.append(state)
        self._waits.append(waited_s)
        self._memories.append(memories)
        if self.resolver is not None and len(self._states) >= self.resolve_every:
            self._chunks.append(self.resolver(self._states))
            self._states = []

    def requests_by(self, now_ps: int) -> int | None:
        """Requests that have arrived by ``now_ps`` (``None`` without a rate)."""
        if self.clock is None:
            return None
        arrived = self.clock.arrived(now_ps)
        return arrived if self.target_pairs is None else min(arrived, self.target_pairs)

    def unserved(self, end_ps: int) -> int:
        """Requests still waiting at ``end_ps``."""
        requests = self.requests_by(end_ps)
        return 0 if requests is None else max(0, requests - len(self.delivered_ps))

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
        """Per-pair arrays: ``delivered_ps``, ``fidelity`` and ``latency_ps``; and
        ``bell_weights_mean``, the mean of the delivered pairs' diagonals in the Bell basis
        (empty without a pair)."""
        if self.delivered_ps:
            states = self.delivered_states(backend)
            fidelity = np.asarray(backend.fidelity(states), dtype=float)
            weights = np.asarray(backend.bell_weights(states), dtype=float).mean(axis=0)
        else:
            fidelity, weights = np.zeros(0), np.zeros(0)
        return {"delivered_ps": np.array(self.delivered_ps, dtype=np.int64),
                "fidelity": fidelity,
                "latency_ps": np.array(self.latency_ps, dtype=np.int64),
                "bell_weights_mean": weights}
