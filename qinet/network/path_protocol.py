"""End-to-end entanglement along one path: link pairs in, swaps, delivery out.

One :class:`PathProtocol` serves one demand over one path ``v0 .. vn``. It is the glue
between small parts, each with one concern:

* link pairs arrive from the links' schedulers (:meth:`PathProtocol.on_link_pair`) and
  become :class:`~qinet.network.entanglement.Pair` objects spanning two neighbouring
  positions; :class:`~qinet.network.supply.LinkSupply` says whether the demand still
  wants them;
* :class:`~qinet.network.purification.Purifier` runs their purification rounds, if any;
* :class:`~qinet.network.swapping.SwapQueues` holds the qubits waiting at each repeater,
  and :meth:`PathProtocol._swap` makes the Bell-state measurement (as soon as possible,
  or in nested order);
* :class:`~qinet.network.cutoffs.Cutoffs` discards qubits older than the cutoff;
* :class:`~qinet.network.delivery.Delivery` carries every swap outcome to the path ends
  and delivers an end-to-end pair when they know its whole history.

Failed swaps are blind to the repeaters, as in a real swap-ASAP chain: the product is
doomed (:attr:`~qinet.network.entanglement.PairState.DOOMED`) and still swapped on, and
the path ends discard it when its outcomes arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from qinet.kernel.timeline import Timeline
from qinet.link.heralded_link import BufferedDraws
from qinet.link.pairs import REQUESTED_PS, STORED_A_PS, STORED_B_PS, LinkPair
from qinet.network.cutoffs import Cutoffs
from qinet.network.deferred import HEIGHT as _HEIGHT
from qinet.network.deferred import repeater_kind, resolve
from qinet.network.delivery import Delivery
from qinet.network.demand import DemandLog
from qinet.network.entanglement import End, Pair, PairState, PairTable
from qinet.network.policy import NetworkPolicy, NodeOperations
from qinet.network.purification import Purifier
from qinet.network.scheduling import LinkScheduler
from qinet.network.supply import LinkSupply
from qinet.network.swapping import SwapQueues
from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend
from qinet.units import s_to_ps

_SWAP_QUBITS = np.array([0, 2, 1, 3])  # |ab> -> |ba> in the basis |00>,|01>,|10>,|11>
_LIVE, _DOOMED, _MERGED = PairState.LIVE, PairState.DOOMED, PairState.MERGED


@dataclass(frozen=True, slots=True)
class PathSegment:
    """One link of the path, as the protocol uses it.

    Attributes:
        scheduler: the link's scheduler (pairs come from it, memories go back to it).
        forward: True when the link's node a is the lower path position.
        heralded_state: the link's heralded 4x4 state.
        delay_ps: one-way classical delay across the link.
    """

    scheduler: LinkScheduler
    forward: bool
    heralded_state: np.ndarray
    delay_ps: int


class PathProtocol:
    """Serves one demand over one path.

    Args:
        demand: the demand's index, for messages.
        path: node names from one end to the other.
        segments: the links between consecutive nodes.
        cumulative_delay_ps: classical delay from ``path[0]`` to each position.
        memories: memory physics at each position.
        operations: repeater operations at each position.
        policy: swapping, cutoff and purification choices.
        backend: the state formalism.
        timeline: the clock.
        rng: this demand's random stream.
        log: where deliveries and losses are recorded.
        target_pairs: stop asking for link pairs once this many end-to-end pairs are
            made (``None``: never stop).
        on_done: called once when ``target_pairs`` pairs have been delivered.
        play_messages: send every swap outcome as a message event (detailed mode);
            otherwise the time each outcome reaches the path ends is carried with the
            pair and the delivery is scheduled for the last arrival (fast-forward).
        prepared: the backend's state of each heralded state, by ``(id, forward)``,
            shared by the protocols of one network (each link's state is converted once,
            not once per demand over it); filled as needed.
    """

    __slots__ = ("_complete", "_cover", "_direct", "_farther_end_ps", "_forward", "_kinds",
                 "_left", "_messages", "_nested", "_onto", "_release", "_right", "_spans",
                 "_states", "_swap_success", "_uniform", "backend", "cutoffs", "delivery",
                 "demand", "log", "memories", "n", "operations", "pairs", "path", "policy",
                 "purifier", "queues", "rng", "segments", "supply", "target_pairs", "timeline")

    def __init__(
        self,
        demand: int,
        path: list[str],
        segments: list[PathSegment],
        *,
        cumulative_delay_ps: list[int],
        memories: list[QuantumMemory],
        operations: list[NodeOperations],
        policy: NetworkPolicy,
        backend: QuantumBackend,
        timeline: Timeline,
        rng: np.random.Generator,
        log: DemandLog,
        target_pairs: int | None = None,
        on_done: Callable[[], None] | None = None,
        play_messages: bool = True,
        prepared: dict[tuple[int, bool], tuple[np.ndarray, object]] | None = None,
    ) -> None:
        self.demand = demand
        self.path = path
        self.n = len(path) - 1
        self.segments = segments
        self.memories = memories
        self.operations = operations
        self.policy = policy
        self.backend = backend
        self.timeline = timeline
        self.rng = rng
        self.log = log
        self.target_pairs = target_pairs
        # swapped states are computed in batches when the log is read (or grows long)
        log.resolver = partial(resolve, backend, rng)
        log.resolve_every = max(256, min(2**14, 2**18 // self.n))
        log.backend = backend
        self.pairs = PairTable()
        # the delivered count is read for every link pair: a getter without a Python frame
        self.supply = LinkSupply(self.n, target=target_pairs,
                                 per_link=not policy.purification_rounds,
                                 delivered=partial(getattr, log, "delivered"),
                                 resume=lambda k, n: segments[k].scheduler.resume(n),
                                 requests=log.clock, timeline=timeline)
        self._cover = self.supply.per_link_cover
        self.queues = SwapQueues(self.n, policy=policy.swapping)
        self._spans = self.queues.spans
        self._left, self._right = self.queues.left, self.queues.right
        self.delivery = Delivery(demand, path, cumulative_delay_ps, timeline=timeline,
                                 log=log, supply=self.supply, table=self.pairs,
                                 free=self._free, on_done=on_done,
                                 play_messages=play_messages)
        self.purifier = Purifier(
            demand, path, [seg.delay_ps for seg in segments], policy=policy,
            operations=operations, backend=backend, timeline=timeline, rng=rng, log=log,
            table=self.pairs, free=self._free, done=self._place,
        ) if policy.purification_rounds else None
        self.cutoffs = None if policy.cutoff_s is None else Cutoffs(
            timeline, cutoff_ps=s_to_ps(policy.cutoff_s), segments=self.n,
            on_expired=self._cut)
        self._farther_end_ps = self.delivery.farther_end_ps
        self._complete = self.delivery.complete
        self._direct = self.n == 1 and self.purifier is None and self.cutoffs is None
        self._messages = play_messages
        self._nested = self._spans is not None
        self._forward = [seg.forward for seg in segments]
        self._release = [seg.scheduler.releaser for seg in segments]
        self._uniform = BufferedDraws(rng.random)
        self._kinds = [repeater_kind(m, ops) for m, ops in zip(memories, operations, strict=True)]
        self._swap_success = [ops.swap_success for ops in operations]
        # a link pair may be swapped on as it arrives (_swap_onto): swap-ASAP, outcomes
        # carried with the pair, no purification, sure swaps
        self._onto = (not self._nested and not play_messages and self.purifier is None
                      and all(p == 1.0 for p in self._swap_success))
        if prepared is None:
            prepared = {}
        self._states = []
        for seg in segments:
            key = (id(seg.heralded_state), seg.forward)  # links that share a model share this
            known = prepared.get(key)
            # the array is kept with its state, so its id cannot be reused by another
            if known is None or known[0] is not seg.heralded_state:
                rho = seg.heralded_state if seg.forward else _swap_qubits(seg.heralded_state)
                known = prepared[key] = (seg.heralded_state,
                                         backend.from_density_matrix(rho, 1))
            self._states.append(known[1])

    def wants_pairs(self, segment: int | None = None) -> bool:
        """Whether this demand still needs link pairs (on ``segment``, if given)."""
        return self.supply.wants(segment)

    # ---------------------------------------------------------------- link pairs

    def on_link_pair(self, k: int, link_pair: LinkPair) -> None:
        """A pair on segment ``k`` (positions k, k+1) was handed to this demand."""
        # the pair's fields by index: a named tuple's attribute is a descriptor call
        if self._forward[k]:
            a_side, b_side = 0, 1
            stored_lo, stored_hi = link_pair[STORED_A_PS], link_pair[STORED_B_PS]
        else:
            a_side, b_side = 1, 0
            stored_lo, stored_hi = link_pair[STORED_B_PS], link_pair[STORED_A_PS]
        if self._direct:
            self.delivery.link_pair(link_pair, self._states[0], (stored_lo, stored_hi),
                                    (self.memories[0], self.memories[1]), self._release[0])
            return
        cover = self._cover  # LinkSupply.taken, inlined
        if cover is not None:
            cover[k] += 1
        memories = self.memories
        if self.purifier is not None:
            lo = End(k, k, link_pair, a_side, memories[k], stored_lo)
            hi = End(k + 1, k, link_pair, b_side, memories[k + 1], stored_hi)
            if self.cutoffs is not None:
                self.cutoffs.watch(lo)
                self.cutoffs.watch(hi)
            pair = self.pairs.add(k, k + 1, (lo, hi), self._states[k], [stored_lo, stored_hi],
                                  PairState.PURIFYING, requested_ps=link_pair.requested_ps)
            self.purifier.enter(k, pair)
            return
        # PairTable.add and _place, inlined: this runs once per link pair
        table = self.pairs
        cutoffs = self.cutoffs
        if self._onto:
            # swap-ASAP with sure swaps: a link pair that meets a held qubit of a live
            # pair at k, or else at k + 1, is swapped with it at once, and no Pair is made
            # for it (see _swap_onto and _swap_into)
            waiting = self._left[k]
            while waiting and not waiting[0].held:
                del waiting[0]  # discarded by the cutoff
            if waiting:
                if table[waiting[0].pair].status is _LIVE:
                    self._swap_onto(k, waiting.pop(0), link_pair, a_side, b_side,
                                    stored_lo, stored_hi)
                    return
            elif k + 1 < self.n:
                waiting = self._right[k + 1]
                while waiting and not waiting[0].held:
                    del waiting[0]
                if waiting and table[waiting[0].pair].status is _LIVE:
                    self._swap_into(k, waiting.pop(0), link_pair, a_side, b_side,
                                    stored_lo, stored_hi)
                    return
        pair_id = next(table.ids)
        lo = End(k, k, link_pair, a_side, memories[k], stored_lo, pair_id)
        hi = End(k + 1, k, link_pair, b_side, memories[k + 1], stored_hi, pair_id)
        if cutoffs is not None:
            cutoffs.watch_pair(k, lo, a_side, stored_lo, hi, stored_hi)
        pair = Pair(pair_id, k, k + 1, (lo, hi), self._states[k], [stored_lo, stored_hi],
                    _LIVE, 0, 0, 0, 0, None, link_pair[REQUESTED_PS])
        table[pair_id] = pair
        n = self.n
        if k == 0 and n == 1:
            self.supply.made()
            self.delivery.complete(pair)
            return
        if self._nested:
            take, swap = self.queues.take, self._swap
            for position in self.queues.place(pair):
                while (ends := take(position)) is not None:
                    swap(position, ends[0], ends[1])
            return
        # swap-ASAP: SwapQueues.place and take written out (a swap frees qubits, it never
        # queues one, so the queues change only here)
        inner_hi = k + 1 < n
        if inner_hi:
            self._left[k + 1].append(hi)
        if k:
            left = self._left[k]
            if left:  # else nothing to swap with yet
                right = self._right[k]
                right.append(lo)
                self._swap_waiting(k, left, right)
            else:
                self._right[k].append(lo)
        if inner_hi:
            right = self._right[k + 1]
            if right:
                self._swap_waiting(k + 1, self._left[k + 1], right)

    def _swap_onto(self, k: int, e_left: End, link_pair: LinkPair, a_side: int, b_side: int,
                   stored_lo: int, stored_hi: int) -> None:
        """A new link pair on segment ``k`` swapped at once with ``e_left``, the oldest
        qubit waiting at ``k``, whose pair is alive; the swap is sure.

        This is :meth:`_swap` of ``e_left`` and the link pair's lower end, with the link
        pair's own :class:`Pair` never made: it would be merged the moment it was made.
        The product, the draws, the releases and their order are the same. The measured
        end is not given to the cutoff, whose timer for it would only wake to find it
        gone; so an expiry that falls on the very picosecond of another event may run
        after it rather than before (both orders are the same instant).
        """
        now = self.timeline.now_ps
        memories = self.memories
        table = self.pairs
        product_id = next(table.ids)
        hi = End(k + 1, k, link_pair, b_side, memories[k + 1], stored_hi, product_id)
        cutoffs = self.cutoffs
        if cutoffs is not None:
            # the lower end is measured now: only the upper one can outlive the cutoff
            cutoffs.watch_end(k, hi, b_side, stored_hi)
        n = self.n
        if k + 1 < n:
            self._left[k + 1].append(hi)
        left = table[e_left.pair]
        left_decayed, left_state = left.decayed_ps, left.state
        state = (left_state, self._states[k], (now - left_decayed[1]) * 1e-12,
                 (now - stored_lo) * 1e-12, self._kinds[k],
                 (left_state[_HEIGHT] if type(left_state) is tuple else 0) + 1)
        outer_lo = left.ends[0]
        requested = link_pair[REQUESTED_PS]
        product = Pair(product_id, left.lo, k + 1, (outer_lo, hi), state,
                       [left_decayed[0], stored_hi], _LIVE, 0, left.swaps + 1, 0,
                       left.known_ps, None,
                       left.requested_ps if left.requested_ps < requested else requested)
        outer_lo.pair = product_id
        table[product_id] = product
        left.status = _MERGED
        left.merged_into = product
        del table[left.id]
        spans = left.lo == 0 and k + 1 == n
        if spans:
            self.supply.made()
        release = self._release
        e_left.held = False
        release[e_left.segment](e_left.link_pair, e_left.side)
        release[k](link_pair, a_side)
        self.log.swaps += 1
        known = now + self._farther_end_ps[k]
        if known > product.known_ps:
            product.known_ps = known
        if spans:
            self.timeline.schedule_at(product.known_ps, self._complete, product)
            return
        if k + 1 < n:
            right = self._right[k + 1]
            if right:
                self._swap_waiting(k + 1, self._left[k + 1], right)

    def _swap_into(self, k: int, e_right: End, link_pair: LinkPair, a_side: int, b_side: int,
                   stored_lo: int, stored_hi: int) -> None:
        """A new link pair on segment ``k``, none held waiting at ``k``, swapped at once at
        ``k + 1`` with ``e_right``, the oldest qubit waiting there, whose pair is alive;
        the swap is sure.

        This is :meth:`_swap` of the link pair's upper end and ``e_right``, with the link
        pair's own :class:`Pair` never made (as in :meth:`_swap_onto`).
        """
        now = self.timeline.now_ps
        memories = self.memories
        table = self.pairs
        product_id = next(table.ids)
        lo = End(k, k, link_pair, a_side, memories[k], stored_lo, product_id)
        cutoffs = self.cutoffs
        if cutoffs is not None:
            cutoffs.watch_end(k, lo, a_side, stored_lo)  # the upper end is measured now
        if k:
            self._right[k].append(lo)
        right = table[e_right.pair]
        right_decayed, right_state = right.decayed_ps, right.state
        state = (self._states[k], right_state, (now - stored_hi) * 1e-12,
                 (now - right_decayed[0]) * 1e-12, self._kinds[k + 1],
                 (right_state[_HEIGHT] if type(right_state) is tuple else 0) + 1)
        outer_hi = right.ends[1]
        requested = link_pair[REQUESTED_PS]
        product = Pair(product_id, k, right.hi, (lo, outer_hi), state,
                       [stored_lo, right_decayed[1]], _LIVE, 0, right.swaps + 1, 0,
                       right.known_ps, None,
                       requested if requested < right.requested_ps else right.requested_ps)
        outer_hi.pair = product_id
        table[product_id] = product
        right.status = _MERGED
        right.merged_into = product
        del table[right.id]
        spans = k == 0 and right.hi == self.n
        if spans:
            self.supply.made()
        release = self._release
        release[k](link_pair, b_side)
        e_right.held = False
        release[e_right.segment](e_right.link_pair, e_right.side)
        self.log.swaps += 1
        known = now + self._farther_end_ps[k + 1]
        if known > product.known_ps:
            product.known_ps = known
        if spans:
            self.timeline.schedule_at(product.known_ps, self._complete, product)

    def _swap_waiting(self, k: int, left: list[End], right: list[End]) -> None:
        """Swap-ASAP at ``k``: swap the oldest held qubits of each side while both have one."""
        while True:
            while left and not left[0].held:
                del left[0]  # discarded by the cutoff
            while right and not right[0].held:
                del right[0]
            if not left or not right:
                return
            self._swap(k, left.pop(0), right.pop(0))

    def _place(self, pair: Pair) -> None:
        """``pair`` may now be swapped (or, spanning the path, delivered)."""
        pair.status = _LIVE
        lo, hi, n = pair.lo, pair.hi, self.n
        if lo == 0 and hi == n:
            self.supply.made()
            self.delivery.complete(pair)
            return
        for k in self.queues.place(pair):
            self._try_swap(k)

    # ---------------------------------------------------------------- swapping

    def _try_swap(self, k: int) -> None:
        take = self.queues.take
        while (ends := take(k)) is not None:
            self._swap(k, *ends)

    def _swap(self, k: int, e_left: End, e_right: End) -> None:
        """The repeater at ``k`` measures ``e_left`` and ``e_right`` in the Bell basis."""
        # written out flat (no helpers, locals bound once): this runs once per swap
        now = self.timeline.now_ps
        table = self.pairs
        left, right = table[e_left.pair], table[e_right.pair]
        p_success = self._swap_success[k]
        # a deterministic measurement draws nothing
        success = p_success == 1.0 or self._uniform.take() < p_success
        left_decayed, right_decayed = left.decayed_ps, right.decayed_ps
        if success and left.status is _LIVE and right.status is _LIVE:
            status = _LIVE
            # deferred.swap_node written out: the node of a swap, its state computed later
            left_state, right_state = left.state, right.state
            h_left = left_state[_HEIGHT] if type(left_state) is tuple else 0
            h_right = right_state[_HEIGHT] if type(right_state) is tuple else 0
            state = (left_state, right_state, (now - left_decayed[1]) * 1e-12,
                     (now - right_decayed[0]) * 1e-12, self._kinds[k],
                     (h_left if h_left > h_right else h_right) + 1)
        else:
            status = _DOOMED
            state = left.state
            if left.status is _LIVE:
                self.supply.died(left, spans_path=False)
            if right.status is _LIVE:
                self.supply.died(right, spans_path=False)
        lo, hi = left.lo, right.hi
        outer_lo, outer_hi = left.ends[0], right.ends[1]
        product_id = next(table.ids)
        product = Pair(
            product_id, lo, hi, (outer_lo, outer_hi), state,
            [left_decayed[0], right_decayed[1]], status,
            left.rounds if left.rounds < right.rounds else right.rounds,
            left.swaps + right.swaps + 1,
            left.pending + right.pending + 2 if self._messages else 0,
            left.known_ps if left.known_ps > right.known_ps else right.known_ps, None,
            left.requested_ps if left.requested_ps < right.requested_ps
            else right.requested_ps)
        outer_lo.pair = outer_hi.pair = product_id
        table[product_id] = product
        left.status = right.status = _MERGED
        left.merged_into = right.merged_into = product
        del table[left.id]
        del table[right.id]
        if status is _LIVE and lo == 0 and hi == self.n:
            self.supply.made()
        release = self._release
        e_left.held = False
        release[e_left.segment](e_left.link_pair, e_left.side)
        e_right.held = False
        release[e_right.segment](e_right.link_pair, e_right.side)
        log = self.log
        log.swaps += 1
        if not success:
            log.swap_failures += 1
        if self._messages:
            self.delivery.swapped(k, product, success)
        else:
            # Delivery.swapped written out: the outcome reaches the farther path end last
            known = now + self._farther_end_ps[k]
            if known > product.known_ps:
                product.known_ps = known
            if lo == 0 and hi == self.n:
                self.timeline.schedule_at(product.known_ps, self._complete, product)
        if self._nested:
            # the product halves its parent's span: that repeater may swap now
            for position in self.queues.joined(product):
                self._try_swap(position)

    # ---------------------------------------------------------------- memories

    def _cut(self, end: End) -> None:
        """The cutoff discards ``end``'s qubit, dooming its pair."""
        pair = self.pairs[end.pair]
        if pair.status is _LIVE:
            self.supply.died(pair, spans_path=pair.lo == 0 and pair.hi == self.n)
        pair.status = _DOOMED
        self.log.discarded += 1
        self._free(end)
        if not (pair.ends[0].held or pair.ends[1].held):
            self.pairs.drop(pair)  # no qubit left to act on it

    def _free(self, end: End) -> None:
        end.held = False
        self._release[end.segment](end.link_pair, end.side)


def _swap_qubits(rho: np.ndarray) -> np.ndarray:
    swapped: np.ndarray = rho[np.ix_(_SWAP_QUBITS, _SWAP_QUBITS)]
    return swapped
