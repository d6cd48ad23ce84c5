"""Sharing a link's pairs between concurrent requests in proportion to their priorities.

The network layer's link scheduler hands a link's pairs round robin to the demands that
want one (:mod:`qinet.network.scheduling`): two demands that both want more than the link
makes get its pairs 1:1. The service shares them by priority on top of that, with the
one handle the network layer gives a demand: the number of pairs it wants (its supply
target, :class:`~qinet.network.supply.LinkSupply`). A demand whose target is reached
stops wanting, and the scheduler hands the link's pairs to the others.

Every tick of the live network, for each link that two or more requests share, one of
them behind (waiting for more pairs than its latency explains), :class:`LinkShare`:

1. counts the link pairs each request took since the last tick (the scheduler's
   ``handed`` counts), ``N`` in all;
2. splits ``N`` by weighted max-min fairness (:func:`weighted_max_min`) over what each
   request wanted (what it took, plus, for a request behind its requests by more than
   its latency explains, what it still waits for), the weights being the priorities:
   each request's entitlement;
3. keeps, per request, its deficit (entitlement minus what it took, summed over ticks,
   at most one tick's entitlement banked or repaid, as deficit round robin bounds its
   counters: Shreedhar and Varghese, IEEE/ACM Trans. Netw. 4, 375 (1996));
4. lets each request take, in the next tick, its deficit plus one and a half times its
   last entitlement (the half lets the link's throughput grow; pairs that would exceed
   every allowance wait for the next tick).

Over ticks, two requests that both want more than the link makes get its pairs in the
ratio of their priorities (a request over-served in one tick repays it in the next), and
a request that asks for less than its share takes what it asks: the rest goes to the
others. No request with a priority of 1 or more is ever given a share of zero.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
GROWTH = 1.5  # allowance per tick, in last entitlements: room for the link to speed up


def weighted_max_min(capacity: float, demands: Mapping[K, float],
                     weights: Mapping[K, float]) -> dict[K, float]:
    """Weighted max-min fair allocation of ``capacity`` (progressive filling: Bertsekas
    and Gallager, *Data Networks*, 2nd ed., section 6.5.2).

    Every allocation grows in proportion to its weight until it meets its demand; the
    capacity left is then shared among the others in the same way. When the demands fit,
    each gets its demand.

    Args:
        capacity: what there is to share (>= 0).
        demands: what each wants (>= 0; ``math.inf`` for no limit).
        weights: each one's weight (> 0).

    Examples:
        >>> weighted_max_min(3.0, {"a": 9, "b": 9}, {"a": 1, "b": 2})
        {'a': 1.0, 'b': 2.0}
        >>> weighted_max_min(3.0, {"a": 9, "b": 0.5}, {"a": 1, "b": 2})
        {'a': 2.5, 'b': 0.5}
    """
    allocation: dict[K, float] = {}
    left = max(0.0, capacity)
    weight_left = sum(weights[k] for k in demands)
    # those with the smallest demand per weight are met first
    for key in sorted(demands, key=lambda k: demands[k] / weights[k]):
        share = left * weights[key] / weight_left if weight_left > 0 else 0.0
        given = min(demands[key], share)
        allocation[key] = given
        left -= given
        weight_left -= weights[key]
    return {key: allocation[key] for key in demands}


@dataclass(slots=True)
class _Book:
    seen: int  # the scheduler's handed count at the last tick
    deficit: float = 0.0
    entitled: float = 0.0  # the last tick's entitlement


class LinkShare:
    """The books of one link's sharing by priority (see the module docstring)."""

    __slots__ = ("_books",)

    def __init__(self) -> None:
        self._books: dict[str, _Book] = {}

    def tick(self, handed: Mapping[str, int], waiting: Mapping[str, float],
             weights: Mapping[str, float]) -> dict[str, float]:
        """One tick: the link pairs each request may take before the next one
        (``math.inf``: no limit).

        Args:
            handed: per active request, link pairs the scheduler has handed it in all.
            waiting: per request, link pairs it is behind by (0: not behind).
            weights: per request, its priority.
        """
        books = self._books
        for gone in set(books) - set(handed):
            del books[gone]
        took = {}
        for key, count in handed.items():
            book = books.setdefault(key, _Book(seen=count))
            took[key] = count - book.seen
            book.seen = count
        if not any(waiting[key] > 0 for key in handed):  # all served: no limits, no debts
            for book in books.values():
                book.deficit = book.entitled = 0.0
            return dict.fromkeys(handed, math.inf)
        total = float(sum(took.values()))
        wanted = {key: took[key] + max(0.0, waiting[key]) for key in handed}
        entitled = weighted_max_min(total, wanted, weights)
        allowance = {}
        for key, book in books.items():
            book.entitled = float(entitled[key])
            # at most one tick's entitlement banked, and at most one repaid per tick
            book.deficit = min(max(book.deficit + book.entitled - took[key],
                                   -book.entitled - 1.0), book.entitled)
            allowance[key] = max(0.0, book.deficit + GROWTH * book.entitled) + 1.0
        return allowance
