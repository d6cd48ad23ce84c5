"""Fast-forward link generation: sample the attempt that succeeds, jump to it.

Attempts of one memory pair are independent with success probability ``p``, so the
number of attempts to the first success is geometric on {1, 2, ...} with mean ``1/p``.
One draw replaces every failed attempt, and the only event is the delivery. Memory
decoherence over the waiting time is applied analytically when the state is read.

The attempts are counted as the detailed mode counts them: an attempt counts once both
nodes know its outcome. A draw whose success lies beyond the end of the run contributes
only the attempts whose outcome is known by then, so the counts never include time that
was not simulated.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from qinet.link.heralded_link import BufferedDraws, HeraldedLink

_new_tuple = tuple.__new__
_HORIZON_PS = 2**62  # beyond any run: a success this late never happens in the simulation


class FastForwardLink(HeraldedLink):
    """A :class:`~qinet.link.heralded_link.HeraldedLink` that skips failed attempts."""

    __slots__ = ("_attempts_to_success", "_delivered_ps", "_on_success", "_period_ps", "_push",
                 "_seq", "_trying")

    mode: ClassVar[str] = "fast-forward"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # per memory pair, while it tries: (start of its first attempt, attempts drawn to
        # the success, or None when it can never succeed)
        self._trying: list[tuple[int, int | None] | None] = [None] * self.memory_pairs
        self._attempts_to_success: BufferedDraws | None = None
        self._period_ps = self.model.timing.period_ps
        self._delivered_ps = self.model.timing.delivered_ps
        # the success is pushed on the clock's heap directly: one event per pair
        self._push, self._seq = self.timeline.pusher()
        self._on_success = self._succeed  # one bound method, not one per attempt run

    def start(self) -> None:
        p = self.model.success_probability
        self._attempts_to_success = (
            BufferedDraws(lambda n: _geometric(p, n, self.rng)) if p > 0 else None
        )
        # Python ints: the successes go on the clock's heap unchecked (see _begin)
        self._period_ps = int(self.model.timing.period_ps)
        self._delivered_ps = int(self.model.timing.delivered_ps)
        super().start()

    def _begin(self, i: int) -> None:
        # inlined _first_attempt_ps: this runs once per heralded pair
        now = self.timeline.now_ps
        ready = self._ready_ps[i]
        first = ready if ready > now else now
        draws = self._attempts_to_success
        if draws is None:
            self._trying[i] = (first, None)  # fails forever: attempts, but no events
            return
        k = draws.take()
        self._trying[i] = (first, k)
        start = first + (k - 1) * self._period_ps
        if start >= _HORIZON_PS:
            return
        # Timeline.schedule_at without its checks: the time is an int (the draws are
        # Python ints) and not in the past (first >= now, k >= 1)
        self._push([start + self._delivered_ps, self._seq(), self._on_success, (i, k, start, now)])

    def _succeed(self, i: int, attempts: int, attempt_start_ps: int, requested_ps: int) -> None:
        self._trying[i] = None
        self._attempts_known += attempts
        self._deliver(i, attempts, attempt_start_ps, requested_ps)

    def _attempts_in_flight(self, now_ps: int) -> int:
        timing = self.model.timing
        total = 0
        for trying in self._trying:
            if trying is None:
                continue
            first, k = trying
            # attempt j (from 0) is known to both nodes at first + j T + delivered
            since = now_ps - timing.delivered_ps - first
            if since >= 0:
                known = since // timing.period_ps + 1
                total += known if k is None else min(k, known)
        return total


def _geometric(p: float, n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Attempts to the first success, as Python-int-safe values even for tiny ``p``."""
    if p > 1e-9:
        return rng.geometric(p, (n,)).astype(np.int64, copy=False)
    # numpy's int64 draw would overflow; invert the CDF in floating point instead
    k: NDArray[np.float64] = np.floor(np.log(rng.random((n,))) / np.log1p(-p)) + 1
    return np.minimum(k, float(2**62)).astype(np.int64)
