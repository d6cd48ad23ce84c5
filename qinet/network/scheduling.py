"""Sharing a link's memory pairs among the demands routed over it.

Each demand whose path uses a link may hold at most its fair share of the link's memory
pairs at once (``ceil(M / users)``); a new link pair goes to the next demand, in
round-robin order, that is under its share. A memory is thus never given to two demands,
and no demand can starve another by hoarding pairs that wait for slower links.

A memory whose qubit is gone needs the link's reset time before it can take part in an
attempt again. The link's own turnaround covers a pair used the moment it is delivered;
for a pair held longer, the memory pair's next attempt waits until the reset of its last
memory is over (the link is told when, so no event marks the end of a reset).

A memory pair freed when no demand wants more pairs (every demand for a number of pairs
has them covered, every rated demand has its requests covered) does not try again until
a demand resumes the link: pairs nobody asked for are not made.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from qinet.errors import ProtocolError
from qinet.link.heralded_link import HeraldedLink
from qinet.link.pairs import MEMORY_PAIR, LinkPair


@dataclass(slots=True)
class _User:
    handler: Callable[[LinkPair], None]
    wants: Callable[[], bool] | None  # None: always (asked for every pair, so not called)
    held: int = 0
    retired: bool = False


def _never() -> bool:
    return False


class LinkScheduler:
    """Hands a link's pairs to the demands that use the link.

    Args:
        link: the link whose pairs are shared.

    Attributes:
        handed: pairs handed out so far, per user index.
    """

    __slots__ = ("_active", "_always", "_asks", "_next", "_owner", "_share", "_users", "handed",
                 "link")

    def __init__(self, link: HeraldedLink) -> None:
        self.link = link
        self._users: list[_User] = []
        self._active = 0  # users not retired
        self._share = 0  # memory pairs each user may hold (the same for all)
        self._next = 0
        self._owner: dict[int, int] = {}  # memory pair -> user holding it
        self.handed: list[int] = []
        # what _freed asks: the users' wants, in order, up to the first that always wants
        self._asks: list[Callable[[], bool]] = []
        self._always = False  # some user always wants pairs
        link.consumer = self._on_pair
        link.may_retry = self._freed

    @property
    def users(self) -> int:
        """Number of demands sharing the link."""
        return len(self._users)

    def add_user(self, handler: Callable[[LinkPair], None],
                 wants: Callable[[], bool] | None = None) -> int:
        """Register a demand; returns its user index.

        Args:
            handler: called with each pair handed to this demand.
            wants: whether the demand still needs pairs (a demand for a fixed number of
                pairs stops wanting once it has them); ``None`` for a demand that always
                does (nothing is called for it).
        """
        self._users.append(_User(handler, wants))
        if not self._always:
            if wants is None:
                self._always = True
            else:
                self._asks.append(wants)
        self.handed.append(0)
        self._active += 1
        # every user, retired or not, has the same share: one number, not one per user
        self._share = math.ceil(self.link.memory_pairs / self._active)
        return len(self._users) - 1

    @property
    def active_users(self) -> int:
        """Number of demands sharing the link that are not retired."""
        return self._active

    def has_room(self) -> bool:
        """Whether one more demand could get a share of at least one memory pair."""
        return self.active_users < self.link.memory_pairs

    def retire_user(self, index: int) -> None:
        """A demand is over (cancelled): it is handed no more pairs, and the fair share
        is recomputed over the demands left. The pairs it holds stay its own until it
        releases them. Every user, retired or not, keeps the same share, so the shares
        still cover the memory pairs (a retired user under its share does not want).
        """
        user = self._users[index]
        if user.retired:
            return
        user.retired = True
        self._active -= 1
        user.wants = _never
        self._asks = []
        self._always = False
        for other in self._users:
            if other.wants is None:
                self._always = True
                break
            self._asks.append(other.wants)
        self._share = math.ceil(self.link.memory_pairs / max(1, self.active_users))

    def _on_pair(self, pair: LinkPair) -> None:
        users = self._users
        n = len(users)
        if n == 1:  # most links serve one demand: no round robin to keep
            user = users[0]
            if user.held < self._share:
                wants = user.wants
                if wants is not None and not wants():
                    self.link.park(pair)  # the demand has what it asked for
                    return
                user.held += 1
                self.handed[0] += 1
                self._owner[pair[MEMORY_PAIR]] = 0
                user.handler(pair)
                return
        satisfied = 0
        share = self._share
        start = self._next
        for step in range(n):
            index = start + step
            if index >= n:
                index -= n
            user = users[index]
            if user.held >= share:
                continue
            wants = user.wants
            if wants is not None and not wants():
                satisfied += 1
                continue
            self._next = index + 1 if index + 1 < n else 0
            user.held += 1
            self.handed[index] += 1
            self._owner[pair[MEMORY_PAIR]] = index
            user.handler(pair)
            return
        if satisfied:
            self.link.park(pair)  # every demand with room has what it asked for
            return
        raise ProtocolError(f"link {self.link.name}: a pair arrived but every demand is at "
                            f"its share; shares must cover the memory pairs")

    def resume(self, count: int | None = None) -> int:
        """A demand needs pairs again: restart memory pairs parked for lack of demand
        (``count`` of them, or all)."""
        return self.link.resume(count)

    def release_end(self, pair: LinkPair, side: int) -> None:
        """Free one end of a handed-out pair; the share is returned with the second end.

        The link may start the memory pair's next attempt once both ends are free and the
        last one has been reset (``timing.reset_ps`` after it was freed), or when the
        link's turnaround after the successful attempt ends, whichever is later.

        Raises:
            ProtocolError: that end is not held (released twice, or not handed out here).

        Side Effects:
            Frees the memory at that end; the link tries again once both are free and
            reset.
        """
        # the link checks that the end is held, and asks _freed once both ends are free
        self.link.free_end(pair, side)

    @property
    def releaser(self) -> Callable[[LinkPair, int], None]:
        """:meth:`release_end` without this object in between (the same call, for
        protocols that free a memory for every swap)."""
        return self.link.free_end

    def _freed(self, memory_pair: int) -> bool:
        """Both memories of ``memory_pair`` are free: its share goes back to its demand;
        whether it may try again (some demand wants more pairs)."""
        owner = self._owner.pop(memory_pair, None)
        if owner is None:
            return True  # parked on arrival: the link decides
        users = self._users
        users[owner].held -= 1
        # no demand wants more: do not ask for a pair nobody takes. The users are asked in
        # order until one wants (asking may have effects: a demand with a request rate
        # sets its wake-up), and one that always wants ends the questions.
        for ask in self._asks:
            if ask():
                return True
        return self._always
