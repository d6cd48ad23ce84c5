"""Streaming statistics of a demand's deliveries, in memory that does not grow with the run.

A long run delivers millions of pairs; keeping a record of each costs hundreds of bytes
per pair. :class:`DeliveryStats` takes the pairs in batches and keeps only what the
metrics need:

* counts, the fidelity's mean and sum of squared deviations (Chan, Golub and LeVeque's
  pairwise update of Welford's algorithm), for the mean and the sample standard
  deviation;
* the sum of the Bell-basis diagonals, for the hashing yield of the mean state;
* the latency's sum, and a uniform sample of at most ``reservoir_size`` latencies for the
  percentiles (Vitter's algorithm R, drawn from a seeded generator). Up to that many
  pairs the sample holds every latency and the percentiles are exact;
* per window of ``window_ps``, the pairs that met ``min_fidelity`` (the outage
  statistics), one integer per window of the run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

RESERVOIR_SIZE = 65_536


class DeliveryStats:
    """Running statistics of the pairs delivered to one demand.

    Args:
        window_ps: width of the outage windows.
        min_fidelity: pairs below it do not count in the windows.
        rng: the generator of the latency sample (draws only past ``reservoir_size``).
        reservoir_size: latencies kept for the percentiles.

    Examples:
        >>> stats = DeliveryStats(window_ps=10, min_fidelity=0.9, rng=np.random.default_rng(1))
        >>> stats.add(np.array([1, 5, 12]), np.array([3, 4, 8]), np.array([0.95, 0.85, 1.0]),
        ...           np.array([[0.95, 0.05, 0, 0], [0.85, 0.15, 0, 0], [1.0, 0, 0, 0]]))
        >>> stats.count, stats.useful, stats.window_counts(2).tolist()
        (3, 2, [1, 1])
        >>> round(stats.fidelity_mean, 6), stats.latency_percentile(50)
        (0.933333, 4.0)
    """

    __slots__ = ("_m2", "_reservoir", "_rng", "_size", "_windows", "bell_weights_sum",
                 "count", "fidelity_mean", "latency_sum_ps", "min_fidelity", "useful",
                 "window_ps")

    def __init__(self, *, window_ps: int, min_fidelity: float, rng: np.random.Generator,
                 reservoir_size: int = RESERVOIR_SIZE) -> None:
        self.window_ps = window_ps
        self.min_fidelity = min_fidelity
        self._rng = rng
        self._size = reservoir_size
        self._reservoir = np.zeros(0, dtype=np.int64)
        self._windows = np.zeros(0, dtype=np.int64)
        self.count = 0
        self.useful = 0
        self.fidelity_mean = 0.0
        self._m2 = 0.0
        self.latency_sum_ps = 0
        self.bell_weights_sum = np.zeros(4)

    def add(self, delivered_ps: NDArray[np.int64], latency_ps: NDArray[np.int64],
            fidelity: NDArray[np.float64], bell_weights: NDArray[np.float64]) -> None:
        """Take a batch of delivered pairs, in delivery order.

        Side Effects:
            Updates every statistic; draws from ``rng`` once the sample is full.
        """
        m = int(fidelity.size)
        if m == 0:
            return
        n = self.count
        mean = float(fidelity.mean())
        m2 = float(np.sum((fidelity - mean) ** 2))
        delta = mean - self.fidelity_mean
        total = n + m
        self.fidelity_mean += delta * m / total
        self._m2 += m2 + delta * delta * n * m / total
        self.count = total
        self.bell_weights_sum += bell_weights.sum(axis=0)
        self.latency_sum_ps += int(latency_ps.sum())
        self._sample(n, latency_ps.astype(np.int64, copy=False))
        useful = fidelity >= self.min_fidelity
        self.useful += int(useful.sum())
        index = delivered_ps[useful] // self.window_ps
        if index.size:
            counts = np.bincount(index)
            if counts.size > self._windows.size:
                self._windows = np.concatenate(
                    [self._windows, np.zeros(counts.size - self._windows.size, np.int64)])
            self._windows[:counts.size] += counts

    def _sample(self, seen: int, latency_ps: NDArray[np.int64]) -> None:
        room = max(0, min(self._size - seen, latency_ps.size))
        if room:
            self._reservoir = np.concatenate([self._reservoir, latency_ps[:room]])
        rest = latency_ps[room:]
        if rest.size:
            # algorithm R: the i-th item (from 0) replaces a random slot with chance size/(i+1)
            position = np.arange(seen + room, seen + room + rest.size)
            slot = self._rng.integers(0, position + 1)
            keep = slot < self._size
            for j, value in zip(slot[keep].tolist(), rest[keep].tolist(), strict=True):
                self._reservoir[j] = value

    @property
    def fidelity_std(self) -> float | None:
        """Sample standard deviation of the fidelity (``None`` below two pairs)."""
        return float(np.sqrt(self._m2 / (self.count - 1))) if self.count > 1 else None

    @property
    def latency_mean_ps(self) -> float | None:
        """Mean latency (``None`` without pairs)."""
        return self.latency_sum_ps / self.count if self.count else None

    def latency_percentile(self, q: float) -> float | None:
        """The ``q``-th percentile of the latency in ps (exact up to ``reservoir_size``
        pairs, from the uniform sample beyond), ``None`` without pairs."""
        if not self._reservoir.size:
            return None
        return float(np.percentile(self._reservoir, q))

    @property
    def bell_weights_mean(self) -> NDArray[np.float64]:
        """Mean Bell-basis diagonal of the pairs (empty without pairs)."""
        return self.bell_weights_sum / self.count if self.count else np.zeros(0)

    def window_counts(self, windows: int) -> NDArray[np.int64]:
        """Pairs meeting ``min_fidelity`` delivered in each of the first ``windows``."""
        counts = np.zeros(windows, dtype=np.int64)
        have = min(windows, self._windows.size)
        counts[:have] = self._windows[:have]
        return counts
