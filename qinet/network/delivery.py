"""Delivery: an end-to-end pair is handed over when both path ends know its whole history.

Every swap's outcome travels to both path ends with the fibre delay along the path. In
detailed mode the outcomes are :class:`~qinet.network.messages.SwapOutcome` message
events, and a pair waits until the last one of its history has arrived; in fast-forward
mode the time the last one arrives is carried with the pair and its completion is
scheduled for then (the same times, no message events). Then a live pair is delivered
and a doomed one is counted as lost; either way its memories are freed. A live pair of a
demand with a request rate that finds every request served (purification may finish
several pairs at once) waits in memory for the next request's arrival.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from qinet.kernel.ports import ClassicalChannel
from qinet.kernel.timeline import Timeline
from qinet.link.pairs import LinkPair
from qinet.network.demand import DemandLog
from qinet.network.entanglement import End, Pair, PairState, PairTable
from qinet.network.messages import SwapOutcome
from qinet.network.supply import LinkSupply
from qinet.physical.memories import QuantumMemory


class Delivery:
    """Completes one demand's end-to-end pairs and keeps its books.

    Args:
        demand: the demand's index, for messages.
        path: node names along the path.
        cumulative_delay_ps: classical delay from ``path[0]`` to each position.
        timeline: the clock.
        log: where deliveries and losses are recorded.
        supply: the demand's link-pair books.
        table: the path's pairs.
        free: frees one qubit's memory.
        on_done: called once when the target number of pairs has been delivered.
        play_messages: send every swap outcome as a message event (detailed mode).

    Attributes:
        farther_end_ps: per path position, the classical delay to the farther path end
            (what :meth:`swapped` adds to the time of a swap there, without messages).
    """

    def __init__(self, demand: int, path: Sequence[str], cumulative_delay_ps: Sequence[int], *,
                 timeline: Timeline, log: DemandLog, supply: LinkSupply, table: PairTable,
                 free: Callable[[End], None], on_done: Callable[[], None] | None,
                 play_messages: bool) -> None:
        self.demand = demand
        self.n = len(path) - 1
        self.timeline = timeline
        self.log = log
        self.supply = supply
        self._table = table
        self._free = free
        self._on_done = on_done
        self._delays = list(cumulative_delay_ps)
        d = self._delays
        self.farther_end_ps = [max(d[k], d[-1] - d[k]) for k in range(len(d))]
        self._to_ends = [
            (ClassicalChannel(timeline, delay_ps=d[k] - d[0], receiver=self._on_outcome,
                              name=f"{path[k]}->{path[0]}"),
             ClassicalChannel(timeline, delay_ps=d[-1] - d[k], receiver=self._on_outcome,
                              name=f"{path[k]}->{path[-1]}"))
            for k in range(len(path))] if play_messages else None

    @property
    def plays_messages(self) -> bool:
        """Whether swap outcomes travel as message events."""
        return self._to_ends is not None

    def swapped(self, k: int, product: Pair, success: bool) -> None:
        """The repeater at ``k`` made ``product``; its outcome sets off to both path ends.

        ``product`` carries its inputs' ``pending`` (messages) or ``known_ps`` (no messages).
        """
        if self._to_ends is not None:
            outcome = SwapOutcome(self.demand, k, product, success)
            to_first, to_last = self._to_ends[k]
            to_first.send(outcome)
            to_last.send(outcome)
            return
        # the outcome reaches the farther path end last
        known = self.timeline.now_ps + self.farther_end_ps[k]
        if known > product.known_ps:
            product.known_ps = known
        if product.lo == 0 and product.hi == self.n:
            self.timeline.schedule_at(product.known_ps, self.complete, product)

    def _on_outcome(self, outcome: SwapOutcome) -> None:
        root = outcome.product.root()
        root.pending -= 1
        self.complete(root)

    def complete(self, pair: Pair) -> None:
        """Deliver ``pair`` or count it lost, if it spans the path and its history is known."""
        if pair.lo != 0 or pair.hi != self.n or pair.pending:
            return
        status = pair.status
        if status is PairState.LIVE:
            now = self.timeline.now_ps
            wake_ps = self.log.next_request_ps(now)
            if wake_ps is not None:
                # every request is served (purification can finish pairs in parallel):
                # the pair waits in memory, still exposed to cutoffs, for the next one
                self.timeline.schedule_at(wake_ps, self.complete, pair)
                return
            first, last = pair.ends
            # the last stretch of decay is applied in one batch when the run is over
            waited = ((now - pair.decayed_ps[0]) * 1e-12, (now - pair.decayed_ps[1]) * 1e-12)
            self.log.deliver(now, pair.state, waited, (first.memory, last.memory),
                             pair.requested_ps)
            self.supply.delivered(pair)
            pair.status = PairState.DELIVERED
            self._check_done()
        elif status is PairState.DOOMED:
            pair.status = PairState.LOST
            self.log.lost += 1
        else:
            return  # merged, or already delivered or lost
        for end in pair.ends:
            if end.held:
                self._free(end)
        self._table.drop(pair)

    def link_pair(self, link_pair: LinkPair, state: Any, stored_ps: tuple[int, int],
                  memories: tuple[QuantumMemory, QuantumMemory],
                  release: Callable[[LinkPair, int], None]) -> None:
        """A one-link path with nothing to purify or cut: the link pair is delivered now.

        Inlined (no ends, no pair), because a single link delivers tens of thousands of
        pairs per second. ``stored_ps`` and ``memories`` are (path start, path end).
        """
        now = self.timeline.now_ps
        self.log.deliver(now, state, ((now - stored_ps[0]) * 1e-12,
                                      (now - stored_ps[1]) * 1e-12), memories,
                         link_pair.requested_ps)
        self.supply.made()
        release(link_pair, 0)
        release(link_pair, 1)
        self._check_done()

    def _check_done(self) -> None:
        target = self.supply.target
        if (target is not None and self._on_done is not None
                and self.log.delivered == target):
            self._on_done()
