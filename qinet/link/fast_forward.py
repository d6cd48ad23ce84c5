"""Fast-forward link generation: sample the attempt that succeeds, jump to it.

Attempts of one memory pair are independent with success probability ``p``, so the
number of attempts to the first success is geometric on {1, 2, ...} with mean ``1/p``.
One draw replaces every failed attempt, and the only event is the delivery. Memory
decoherence over the waiting time is applied analytically when the state is read.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qinet.link.heralded_link import BufferedDraws, HeraldedLink

_HORIZON_PS = 2**62  # beyond any run: a success this late never happens in the simulation


class FastForwardLink(HeraldedLink):
    """A :class:`~qinet.link.heralded_link.HeraldedLink` that skips failed attempts."""

    mode: ClassVar[str] = "fast-forward"

    def start(self) -> None:
        p = self.model.success_probability
        self._attempts_to_success = (
            BufferedDraws(lambda n: _geometric(p, n, self.rng)) if p > 0 else None
        )
        super().start()

    def _begin(self, i: int) -> None:
        if self._attempts_to_success is None:
            return  # a link that can never herald makes no events
        now = self.timeline.now_ps
        k = self._attempts_to_success.take()
        start = self._first_attempt_ps(i) + (k - 1) * self.model.timing.period_ps
        if start >= _HORIZON_PS:
            return
        self.attempts += k
        self.timeline.schedule_at(start + self.model.timing.delivered_ps,
                                  self._deliver, i, k, start, now)


def _geometric(p: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Attempts to the first success, as Python-int-safe values even for tiny ``p``."""
    if p > 1e-9:
        return rng.geometric(p, n)
    # numpy's int64 draw would overflow; invert the CDF in floating point instead
    k = np.floor(np.log(rng.random(n)) / np.log1p(-p)) + 1
    return np.minimum(k, float(2**62)).astype(np.int64)
