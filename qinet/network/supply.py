"""How many more link pairs a demand needs from each link of its path.

A demand for a fixed number of pairs stops taking link pairs once what it holds in play
can make the pairs still missing. Without purification (whose consumption of pairs is
random) this is counted per link: ``cover[k]`` is the number of link pairs of link ``k``
in pairs still in play (alive); each end-to-end pair needs one of every link, so link
``k`` is wanted while ``cover[k] < target - delivered``. With purification the count of
end-to-end pairs made decides: wanted while ``formed < target``.

A link whose pairs nobody wants parks its memory pairs as they herald. It is resumed
only when the answer turns from no to yes for it, that is when a pair holding one of its
link pairs dies (a failed swap, a discarded qubit): a delivery lowers both sides of the
inequality at once and never wakes a link. A demand without a target always wants.

A demand with a request rate has a target that grows: the requests arrived so far (capped
by the number of pairs, if it asks for one). When a link is not wanted because every
request is covered, the books wake at the next request's arrival (one event, and only
then) and resume, on every link wanted again, as many parked memory pairs as pairs of it
are missing. A link told no may still hold parked memory pairs after that wake-up, and
while the demand falls behind the answer stays yes, so nothing else would restart them:
until the link restarts fewer than were asked for (none is left parked), the books wake
at every next request too.
"""

from __future__ import annotations

from collections.abc import Callable

from qinet.kernel.timeline import Timeline
from qinet.network.demand import RequestClock
from qinet.network.entanglement import Pair


class LinkSupply:
    """The books behind ``wants_pairs`` for one demand over one path.

    Args:
        links: on the path.
        target: end-to-end pairs asked for (``None``: no end).
        per_link: count per link (no purification) rather than the pairs formed.
        delivered: how many end-to-end pairs have been delivered so far.
        resume: called with a link's index when that link is wanted again, and how many
            more pairs of it are wanted (``None``: no count, with purification); returns
            how many parked memory pairs it restarted.
        requests: the demand's request arrivals (``None``: no rate).
        timeline: the clock (needed with ``requests``).

    Attributes:
        formed: end-to-end pairs made and alive (delivered or on their way).
        per_link_cover: the per-link counts when counted per link (else ``None``); a
            protocol adds a link's pair to it itself, as :meth:`taken` does, once per
            link pair.
    """

    __slots__ = ("_cover", "_delivered", "_fixed", "_limited", "_per_link", "_refused",
                 "_requests", "_resume", "_timeline", "_wake_pending", "formed",
                 "per_link_cover", "target")

    def __init__(self, links: int, *, target: int | None, per_link: bool,
                 delivered: Callable[[], int], resume: Callable[[int, int | None], int],
                 requests: RequestClock | None = None, timeline: Timeline | None = None
                 ) -> None:
        self.target = target
        self._requests = requests if timeline is not None else None
        self._timeline = timeline
        self._limited = target is not None or self._requests is not None
        self._per_link = self._limited and per_link
        self._fixed = target if self._requests is None else None  # the target, never moving
        self._cover = [0] * links
        self.per_link_cover = self._cover if self._per_link else None
        self._delivered = delivered
        self._resume = resume
        self._wake_pending = False
        # links told no while the requests bound, that may still hold memory pairs parked
        self._refused: set[int] = set()
        self.formed = 0

    @property
    def limited(self) -> bool:
        """Whether the demand can ever stop wanting link pairs (it has a target or a
        request rate); if not, :meth:`wants` is always True."""
        return self._limited

    def _target(self) -> int | None:
        """Pairs wanted by now: the target, or the requests arrived if fewer."""
        requests, target = self._requests, self.target
        if requests is None or self._timeline is None:
            return target
        arrived = requests.arrived(self._timeline.now_ps)
        return arrived if target is None or arrived < target else target

    def wants(self, link: int | None = None) -> bool:
        """Whether the demand still needs link pairs (from ``link``, if given)."""
        if not self._limited:
            return True
        fixed = self._fixed
        if fixed is not None:  # a target and no rate: the common case, inlined
            if self._per_link and link is not None:
                return self._cover[link] < fixed - self._delivered()
            return self.formed < fixed
        target = self._target()
        if target is None:
            return True
        if self._per_link and link is not None:
            wanted = self._cover[link] < target - self._delivered()
        else:
            wanted = self.formed < target
        if target != self.target:  # the requests bind
            if not wanted:
                self._refused.update(range(len(self._cover)) if link is None else (link,))
                self._wake_at_next_request()
            elif self._refused:
                # memory pairs parked while every request was covered may still be
                # parked, and a demand that fell behind keeps answering yes
                self._wake_at_next_request()
        return wanted

    def _wake_at_next_request(self) -> None:
        """Look again when the next request arrives (one wake-up pending at most)."""
        if self._wake_pending or self._requests is None or self._timeline is None:
            return
        when = self._requests.next_arrival_ps(self._timeline.now_ps)
        if when is not None:
            self._wake_pending = True
            self._timeline.schedule_at(when, self._wake)

    def _wake(self) -> None:
        self._wake_pending = False
        for k in range(len(self._cover)):
            if self.wants(k):
                missing = self._missing(k)
                restarted = self._resume(k, missing)
                if missing is None or restarted < missing:
                    self._refused.discard(k)  # none of its memory pairs is parked now

    def _missing(self, link: int) -> int | None:
        """Pairs of ``link`` still wanted (``None`` with purification: no count)."""
        target = self._target()
        if not self._per_link or target is None:
            return None
        return target - self._delivered() - self._cover[link]

    def taken(self, link: int) -> None:
        """A pair of ``link`` was handed to the demand."""
        if self._per_link:
            self._cover[link] += 1

    def made(self) -> None:
        """An alive pair now spans the path."""
        self.formed += 1

    def died(self, pair: Pair, *, spans_path: bool) -> None:
        """``pair`` died in play: its link pairs no longer count, and links may wake."""
        target = self._target()
        if target is None:
            return
        if spans_path:
            self.formed -= 1
            if not self._per_link and self.formed == target - 1:
                self._resume_all(len(self._cover))
        if self._per_link:
            missing = target - self._delivered() - 1
            cover = self._cover
            for k in range(pair.lo, pair.hi):
                cover[k] -= 1
                if cover[k] == missing:  # was covered, is not any more
                    self._resume(k, 1)

    def delivered(self, pair: Pair) -> None:
        """``pair`` was delivered: its link pairs are spent."""
        if self._per_link:
            cover = self._cover
            for k in range(pair.lo, pair.hi):
                cover[k] -= 1

    def _resume_all(self, links: int) -> None:
        for k in range(links):
            self._resume(k, None)

    def covered(self, link: int) -> int:
        """Link pairs of ``link`` in play (counted only for a target without purification)."""
        return self._cover[link]

