"""Classical channels: typed messages delivered after a latency.

A :class:`ClassicalChannel` is one direction of a fibre or network path. Messages are
any objects (in qinet, frozen dataclasses of the layer that sends them); the channel
delivers each one to its receiver's callback after the channel's delay, in sending order.

Examples:
    >>> from qinet.kernel.timeline import Timeline
    >>> tl = Timeline()
    >>> got = []
    >>> ch = ClassicalChannel(tl, delay_ps=5_000, receiver=lambda m: got.append((tl.now_ps, m)))
    >>> _ = ch.send("herald")
    >>> tl.run()
    >>> got
    [(5000, 'herald')]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qinet.errors import ConfigError
from qinet.kernel.timeline import EventHandle, Timeline


class ClassicalChannel:
    """One-way delivery of messages with a fixed latency.

    Args:
        timeline: the clock the channel schedules on.
        delay_ps: latency of every message, in picoseconds (non-negative integer).
        receiver: called with each message when it arrives.
        name: for error messages and statistics.
    """

    __slots__ = ("_deliver", "delay_ps", "messages_sent", "name", "timeline")

    def __init__(
        self,
        timeline: Timeline,
        *,
        delay_ps: int,
        receiver: Callable[[Any], None],
        name: str = "channel",
    ) -> None:
        if delay_ps < 0:
            raise ConfigError(f"{name}.delay_ps", f"must be non-negative, got {delay_ps}")
        self.timeline = timeline
        self.delay_ps = int(delay_ps)
        self._deliver = receiver
        self.name = name
        self.messages_sent = 0

    def send(self, message: Any) -> EventHandle:
        """Send ``message``; it reaches the receiver ``delay_ps`` from now."""
        self.messages_sent += 1
        return self.timeline.schedule_after(self.delay_ps, self._deliver, message)


class DuplexChannel:
    """A pair of :class:`ClassicalChannel` in opposite directions with one delay.

    ``send_to_a`` / ``send_to_b`` deliver to the two receivers.
    """

    __slots__ = ("to_a", "to_b")

    def __init__(
        self,
        timeline: Timeline,
        *,
        delay_ps: int,
        receiver_a: Callable[[Any], None],
        receiver_b: Callable[[Any], None],
        name: str = "duplex",
    ) -> None:
        self.to_a = ClassicalChannel(timeline, delay_ps=delay_ps, receiver=receiver_a,
                                     name=f"{name}->a")
        self.to_b = ClassicalChannel(timeline, delay_ps=delay_ps, receiver=receiver_b,
                                     name=f"{name}->b")

    def send_to_a(self, message: Any) -> EventHandle:
        """Deliver ``message`` to receiver a after the delay."""
        return self.to_a.send(message)

    def send_to_b(self, message: Any) -> EventHandle:
        """Deliver ``message`` to receiver b after the delay."""
        return self.to_b.send(message)
