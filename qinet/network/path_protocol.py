"""End-to-end entanglement along one path: purify links, swap, deliver.

One :class:`PathProtocol` serves one demand over one path ``v0 .. vn``. Link pairs
arrive from the links' schedulers; each becomes a :class:`~qinet.network.entanglement.Pair`
spanning two neighbouring positions. Repeaters swap pairs towards their left and right
(as soon as possible, or in nested order) and send their outcomes to both path ends as
:class:`~qinet.network.messages.SwapOutcome` messages with the fibre delay along the path.
A path end knows the end-to-end pair only when every outcome of its history has arrived;
the pair is delivered then, and decoheres in memory until then.

Failed swaps are blind to the repeaters, as in a real swap-ASAP chain: the product is
marked dead and still swapped on, and the path ends discard it when its outcomes arrive.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qinet.kernel.ports import ClassicalChannel
from qinet.kernel.timeline import Timeline
from qinet.link.pairs import LinkPair
from qinet.network.demand import DemandLog
from qinet.network.entanglement import End, Pair
from qinet.network.messages import PurificationOutcome, SwapOutcome
from qinet.network.policy import NetworkPolicy, NodeOperations
from qinet.network.scheduling import LinkScheduler
from qinet.network.swapping import nested_spans
from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend
from qinet.units import s_to_ps

_SWAP_QUBITS = np.array([0, 2, 1, 3])  # |ab> -> |ba> in the basis |00>,|01>,|10>,|11>


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
    """

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
        self._on_done = on_done
        self._formed = 0  # end-to-end pairs made (all swaps done), delivered or not
        # For a fixed number of pairs: live link pairs in play per segment, so a link
        # stops once its share of the remaining pairs is covered (without purification,
        # whose consumption of pairs is random, the count of made pairs decides).
        self._cover = [0] * self.n
        self._track_cover = target_pairs is not None and not policy.purification_rounds
        self._play_messages = play_messages
        self._direct = (self.n == 1 and not policy.purification_rounds
                        and policy.cutoff_s is None)
        self._delay_from_first = cumulative_delay_ps
        self._left: list[deque[End]] = [deque() for _ in path]
        self._right: list[deque[End]] = [deque() for _ in path]
        self._spans = nested_spans(self.n) if policy.swapping == "nested" else None
        self._cutoff_ps = None if policy.cutoff_s is None else s_to_ps(policy.cutoff_s)
        self._waiting: list[list[list[Pair]]] = [
            [[] for _ in range(policy.purification_rounds)] for _ in segments]
        delays = cumulative_delay_ps
        self._to_ends = [
            (ClassicalChannel(timeline, delay_ps=delays[k] - delays[0],
                              receiver=self._on_swap_outcome, name=f"{path[k]}->{path[0]}"),
             ClassicalChannel(timeline, delay_ps=delays[-1] - delays[k],
                              receiver=self._on_swap_outcome, name=f"{path[k]}->{path[-1]}"))
            for k in range(len(path))] if play_messages else []
        self._purify_channel = [
            ClassicalChannel(timeline, delay_ps=seg.delay_ps, receiver=self._on_purified,
                             name=f"{path[k]}<->{path[k + 1]}")
            for k, seg in enumerate(segments)]
        prepared: dict[tuple[int, bool], object] = {}
        self._states = []
        for seg in segments:
            key = (id(seg.heralded_state), seg.forward)  # links that share a model share this
            if key not in prepared:
                rho = seg.heralded_state if seg.forward else _swap_qubits(seg.heralded_state)
                prepared[key] = backend.from_density_matrix(rho, 1)
            self._states.append(prepared[key])

    def wants_pairs(self, segment: int | None = None) -> bool:
        """Whether this demand still needs link pairs (on ``segment``, if given)."""
        if self.target_pairs is None:
            return True
        if self._track_cover and segment is not None:
            return self._cover[segment] < self.target_pairs - len(self.log.delivered_ps)
        return self._formed < self.target_pairs

    def _uncover(self, pair: Pair) -> None:
        """``pair`` no longer counts towards its segments: it died or was delivered."""
        if not self._track_cover:
            return
        for k in range(pair.lo, pair.hi):
            self._cover[k] -= 1
            self.segments[k].scheduler.resume()

    # ---------------------------------------------------------------- link pairs

    def on_link_pair(self, k: int, link_pair: LinkPair) -> None:
        """A pair on segment ``k`` (positions k, k+1) was handed to this demand."""
        seg = self.segments[k]
        a_side, b_side = (0, 1) if seg.forward else (1, 0)
        stored = (link_pair.stored_a_ps, link_pair.stored_b_ps)
        if self._direct:
            self._deliver_link_pair(link_pair, stored[a_side], stored[b_side])
            return
        if self._track_cover:
            self._cover[k] += 1
        lo = End(k, k, link_pair, a_side, self.memories[k], stored[a_side])
        hi = End(k + 1, k, link_pair, b_side, self.memories[k + 1], stored[b_side])
        pair = Pair(lo=k, hi=k + 1, ends=(lo, hi), state=self._states[k],
                    decayed_ps=[lo.stored_ps, hi.stored_ps])
        lo.pair = hi.pair = pair
        if self._cutoff_ps is not None:
            for end in (lo, hi):
                end.cutoff = self.timeline.schedule_at(end.stored_ps + self._cutoff_ps,
                                                       self._cut, end)
        if self.policy.purification_rounds:
            self._enter_purification(k, pair)
        else:
            self._place(pair)

    def _deliver_link_pair(self, link_pair: LinkPair, stored_lo: int, stored_hi: int) -> None:
        # One link, nothing to purify: the link pair is the end-to-end pair. Inlined,
        # because a single link delivers tens of thousands of pairs per second.
        now = self.timeline.now_ps
        self.log.deliver(now, self._states[0], ((now - stored_lo) * 1e-12,
                                                (now - stored_hi) * 1e-12),
                         (self.memories[0], self.memories[1]))
        self._formed += 1
        scheduler = self.segments[0].scheduler
        scheduler.release_end(link_pair, 0)
        scheduler.release_end(link_pair, 1)
        if (self.target_pairs is not None and self._on_done is not None
                and len(self.log.delivered_ps) == self.target_pairs):
            self._on_done()

    def _place(self, pair: Pair) -> None:
        lo_end, hi_end = pair.ends
        if pair.lo > 0:
            self._right[pair.lo].append(lo_end)
        if pair.hi < self.n:
            self._left[pair.hi].append(hi_end)
        self._complete_if_done(pair)
        if pair.lo > 0:
            self._try_swap(pair.lo)
        if pair.hi < self.n:
            self._try_swap(pair.hi)

    # ---------------------------------------------------------------- swapping

    def _try_swap(self, k: int) -> None:
        left, right = self._left[k], self._right[k]
        while True:
            e_left = self._pick(left, k, lower=True)
            e_right = self._pick(right, k, lower=False)
            if e_left is None or e_right is None:
                return
            left.remove(e_left)
            right.remove(e_right)
            self._swap(k, e_left, e_right)

    def _pick(self, queue: deque[End], k: int, *, lower: bool) -> End | None:
        while queue and not queue[0].held:
            queue.popleft()  # discarded by the cutoff
        if self._spans is None:
            return queue[0] if queue else None
        span = self._spans.get(k)
        if span is None:
            return None
        want = span[0] if lower else span[1]
        for end in queue:
            pair = end.pair
            if end.held and (pair.lo if lower else pair.hi) == want:
                return end
        return None

    def _swap(self, k: int, e_left: End, e_right: End) -> None:
        now = self.timeline.now_ps
        left, right = e_left.pair, e_right.pair
        ops = self.operations[k]
        success = self.rng.random() < ops.swap_success
        alive = left.alive and right.alive and success
        if alive:
            left_state = self._decay(left, now, qubit=1)
            right_state = self._decay(right, now, qubit=0)
            state = self.backend.swap(left_state, right_state, rng=self.rng,
                                      gate_depolarizing=ops.gate_depolarizing,
                                      measurement_error=ops.measurement_error)
        else:
            state = left.state
            for pair in (left, right):
                if pair.alive:
                    self._uncover(pair)
        product = Pair(lo=left.lo, hi=right.hi, ends=(left.ends[0], right.ends[1]),
                       state=state, decayed_ps=[left.decayed_ps[0], right.decayed_ps[1]],
                       alive=alive, pending=left.pending + right.pending + 2,
                       swaps=left.swaps + right.swaps + 1, rounds=min(left.rounds, right.rounds))
        left.merged_into = right.merged_into = product
        product.ends[0].pair = product.ends[1].pair = product
        if product.lo == 0 and product.hi == self.n and alive:
            self._formed += 1
            product.counted = True
        self._free(e_left)
        self._free(e_right)
        self.log.swaps += 1
        self.log.swap_failures += not success
        if self._play_messages:
            outcome = SwapOutcome(self.demand, k, product, success)
            to_first, to_last = self._to_ends[k]
            to_first.send(outcome)
            to_last.send(outcome)
        else:
            # the outcome reaches the path ends after the fibre delay along the path
            delays = self._delay_from_first
            product.known_ps = max(left.known_ps, right.known_ps, now + delays[k],
                                   now + delays[-1] - delays[k])
            product.pending = 0
            if product.lo == 0 and product.hi == self.n:
                self.timeline.schedule_at(product.known_ps, self._complete_if_done, product)
        if self._spans is not None:
            # the outer repeaters may now hold the span their level waits for
            for position in (product.lo, product.hi):
                if 0 < position < self.n:
                    self._try_swap(position)

    def _on_swap_outcome(self, outcome: SwapOutcome) -> None:
        root = outcome.product.root()
        root.pending -= 1
        self._complete_if_done(root)

    def _complete_if_done(self, pair: Pair) -> None:
        if pair.lo != 0 or pair.hi != self.n or pair.pending or pair.merged_into is not None:
            return
        first, last = pair.ends
        if pair.alive and first.held and last.held:
            # the last stretch of decay is applied in one batch when the run is over
            now = self.timeline.now_ps
            waited = ((now - pair.decayed_ps[0]) * 1e-12, (now - pair.decayed_ps[1]) * 1e-12)
            self.log.deliver(now, pair.state, waited, (first.memory, last.memory))
            if not pair.counted:
                self._formed += 1  # a one-link path: formed and delivered at once
            self._uncover(pair)
            done = self.target_pairs is not None and len(self.log.delivered_ps) == self.target_pairs
            if done and self._on_done is not None:
                self._on_done()
        else:
            if pair.counted:
                self._formed -= 1  # cut off while its outcomes travelled: make another
            self.log.lost += 1
        pair.merged_into = pair  # delivered: never completes again
        for end in pair.ends:
            if end.held:
                self._free(end)

    # ---------------------------------------------------------------- purification

    def _enter_purification(self, k: int, pair: Pair) -> None:
        waiting = self._waiting[k]
        level = pair.rounds
        if level == self.policy.purification_rounds:
            self._place(pair)
            return
        if self.policy.pumping and level == 0:
            # a fresh pair pumps the most purified pair waiting, if any
            for held_level in range(len(waiting) - 1, 0, -1):
                if self._start_purification(k, waiting[held_level], pair):
                    return
        if not self._start_purification(k, waiting[level], pair):
            waiting[level].append(pair)

    def _start_purification(self, k: int, candidates: list[Pair], sacrificial: Pair) -> bool:
        while candidates:
            target = candidates.pop(0)
            if not all(end.held for end in target.ends):
                continue  # an end was cut off while it waited
            self._purify(k, target, sacrificial)
            return True
        return False

    def _purify(self, k: int, target: Pair, sacrificial: Pair) -> None:
        now = self.timeline.now_ps
        ops_lo, ops_hi = self.operations[k], self.operations[k + 1]
        states = []
        for pair in (target, sacrificial):
            pair.state = self._decay(pair, now, qubit=0)
            states.append(self._decay(pair, now, qubit=1))
        p_success, kept = self.backend.purify(
            states[0], states[1], scheme=self.policy.purification,
            gate_depolarizing=max(ops_lo.gate_depolarizing, ops_hi.gate_depolarizing),
            measurement_error=max(ops_lo.measurement_error, ops_hi.measurement_error))
        success = bool(self.rng.random() < p_success[0]) and sacrificial.alive
        self.log.purifications += 1
        self.log.purification_failures += not success
        for end in sacrificial.ends:
            if end.held:
                self._free(end)
        sacrificial.merged_into = target
        target.state = kept
        target.decayed_ps = [now, now]
        # both ends learn the other's parity one link delay later
        self._purify_channel[k].send(PurificationOutcome(self.demand, k, target, success))

    def _on_purified(self, outcome: PurificationOutcome) -> None:
        pair = outcome.pair
        if not outcome.success or not all(end.held for end in pair.ends):
            pair.alive = False
            for end in pair.ends:
                if end.held:
                    self._free(end)
            return
        pair.rounds += 1
        self._enter_purification(outcome.segment, pair)

    # ---------------------------------------------------------------- memories

    def _decay(self, pair: Pair, now_ps: int, *, qubit: int):  # type: ignore[no-untyped-def]
        """The pair's state with ``qubit``'s memory decay caught up to ``now_ps``."""
        waited = now_ps - pair.decayed_ps[qubit]
        if waited <= 0:
            return pair.state
        memory = pair.ends[qubit].memory
        pair.decayed_ps[qubit] = now_ps
        pair.state = self.backend.memory_decay(pair.state, waited * 1e-12, t1_s=memory.t1_s,
                                               t2_s=memory.t2_s, qubit=qubit)
        return pair.state

    def _cut(self, end: End) -> None:
        if not end.held:
            return
        end.cutoff = None
        if end.pair.alive:
            self._uncover(end.pair)
        end.pair.alive = False
        self.log.discarded += 1
        self._free(end)

    def _free(self, end: End) -> None:
        end.held = False
        if end.cutoff is not None:
            Timeline.cancel(end.cutoff)
            end.cutoff = None
        self.segments[end.segment].scheduler.release_end(end.link_pair, end.side)


def _swap_qubits(rho: np.ndarray) -> np.ndarray:
    return rho[np.ix_(_SWAP_QUBITS, _SWAP_QUBITS)]
