"""A consumer for the link tests: every pair used the moment both nodes know it, recorded."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from qinet.link.heralded_link import HeraldedLink
from qinet.link.pairs import LinkPair


class ImmediateUse:
    """Uses every pair the moment both nodes know it, and records its timing.

    This is an application that measures (or teleports with) each pair at once, so the
    memories go back to generation right away. The records are plain integer lists,
    turned into arrays for the metrics at the end of a run.

    Attributes:
        link: the link whose pairs this consumer takes (set by :meth:`attach`).
    """

    def __init__(self) -> None:
        self.link: HeraldedLink | None = None
        self._requested: list[int] = []
        self._stored_a: list[int] = []
        self._stored_b: list[int] = []
        self._delivered: list[int] = []
        self._attempts: list[int] = []

    def attach(self, link: HeraldedLink) -> None:
        """Consume ``link``'s pairs."""
        self.link = link
        link.consumer = self

    def __call__(self, pair: LinkPair) -> None:
        # runs once per delivered pair: plain appends, no numpy
        self._requested.append(pair.requested_ps)
        self._stored_a.append(pair.stored_a_ps)
        self._stored_b.append(pair.stored_b_ps)
        self._delivered.append(pair.delivered_ps)
        self._attempts.append(pair.attempts)
        if self.link is not None:
            self.link.release(pair)

    def __len__(self) -> int:
        return len(self._delivered)

    def records(self) -> dict[str, NDArray[np.int64]]:
        """Per pair: ``requested_ps``, ``stored_a_ps``, ``stored_b_ps``, ``delivered_ps``,
        ``attempts``, as int64 arrays in delivery order."""
        return {
            "requested_ps": np.array(self._requested, dtype=np.int64),
            "stored_a_ps": np.array(self._stored_a, dtype=np.int64),
            "stored_b_ps": np.array(self._stored_b, dtype=np.int64),
            "delivered_ps": np.array(self._delivered, dtype=np.int64),
            "attempts": np.array(self._attempts, dtype=np.int64),
        }
