"""Detailed link generation: every attempt, every herald message.

Each attempt of each memory pair is resolved at the station by the scheme's photon-level
sampler (emission, fibre loss, beam splitter, detector efficiency and dark counts), and
the verdict travels to both nodes as a :class:`~qinet.link.messages.HeraldMessage` over
classical channels with their fibre delays. A node acts on it only when it arrives; the
memory pair tries again at the next attempt slot.
"""

from __future__ import annotations

from typing import ClassVar

from qinet.kernel.ports import ClassicalChannel
from qinet.link.heralded_link import BufferedDraws, HeraldedLink
from qinet.link.messages import HeraldMessage


class DetailedLink(HeraldedLink):
    """A :class:`~qinet.link.heralded_link.HeraldedLink` that plays every attempt."""

    __slots__ = ("_attempt_count", "_attempt_start", "_heard", "_outcomes", "_requested", "_to_a",
                 "_to_b")

    mode: ClassVar[str] = "detailed"

    def start(self) -> None:
        timing = self.model.timing
        sample = self.model.sample
        self._outcomes = BufferedDraws(lambda n: sample(n, self.rng))
        self._to_a = ClassicalChannel(self.timeline,
                                      delay_ps=timing.known_ps[0] - timing.resolved_ps,
                                      receiver=self._on_herald, name=f"{self.name}->a")
        self._to_b = ClassicalChannel(self.timeline,
                                      delay_ps=timing.known_ps[1] - timing.resolved_ps,
                                      receiver=self._on_herald, name=f"{self.name}->b")
        n = self.memory_pairs
        self._attempt_start = [0] * n
        self._attempt_count = [0] * n
        self._requested = [0] * n
        self._heard = [0] * n
        super().start()

    def _begin(self, i: int) -> None:
        self._requested[i] = self.timeline.now_ps
        self._attempt_count[i] = 0
        self._attempt_at(i, self._first_attempt_ps(i))

    def _attempt_at(self, i: int, start_ps: int) -> None:
        self._attempt_start[i] = start_ps
        self._attempt_count[i] += 1
        self.timeline.schedule_at(start_ps + self.model.timing.resolved_ps, self._resolve, i)

    def _resolve(self, i: int) -> None:
        message = HeraldMessage(self.name, i, self._attempt_count[i], self._outcomes.take())
        self._heard[i] = 0
        self._to_a.send(message)
        self._to_b.send(message)

    def _on_herald(self, message: HeraldMessage) -> None:
        i = message.memory_pair
        self._heard[i] += 1
        if self._heard[i] < 2:
            return  # the other node has not heard yet
        self._attempts_known += 1
        if message.success:
            self._deliver(i, message.attempt, self._attempt_start[i], self._requested[i])
        else:
            self._attempt_at(i, self._attempt_start[i] + self.model.timing.period_ps)
