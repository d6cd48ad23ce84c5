"""Purification of link pairs before they may be swapped (recurrence or pumping).

Each link pair passes ``rounds`` rounds on its own link. In the recurrence scheme two
pairs that passed the same number of rounds are purified together; with pumping a fresh
pair purifies the most purified pair waiting. The sacrificial pair's memories are freed
at once; the kept pair waits one link delay for the other end's parity
(:class:`~qinet.network.messages.PurificationOutcome`) before it goes on or is dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

import numpy as np

from qinet.errors import ConfigError
from qinet.kernel.ports import ClassicalChannel
from qinet.kernel.timeline import Timeline
from qinet.network.demand import DemandLog
from qinet.network.entanglement import End, Pair, PairState, PairTable, decay
from qinet.network.messages import PurificationOutcome
from qinet.network.policy import NetworkPolicy, NodeOperations
from qinet.quantum.backend import QuantumBackend


class Purifier:
    """Runs the purification rounds of one demand's link pairs.

    Args:
        demand: the demand's index, for messages.
        path: node names along the path (for channel names).
        link_delays_ps: one-way classical delay of each link.
        policy: the scheme, the rounds and pumping.
        operations: the local operations at each path position.
        backend: the state formalism.
        timeline: the clock.
        rng: the demand's random stream.
        log: where rounds and failures are counted.
        table: the path's pairs.
        free: frees one qubit's memory.
        done: called with a pair that passed every round.
    """

    def __init__(self, demand: int, path: Sequence[str], link_delays_ps: Sequence[int], *,
                 policy: NetworkPolicy, operations: Sequence[NodeOperations],
                 backend: QuantumBackend, timeline: Timeline, rng: np.random.Generator,
                 log: DemandLog, table: PairTable, free: Callable[[End], None],
                 done: Callable[[Pair], None]) -> None:
        if policy.purification is None:
            raise ConfigError("policy.purification.scheme",
                              f"{policy.purification_rounds} rounds need a scheme, got none")
        self.demand = demand
        self.rounds = policy.purification_rounds
        self.scheme: str = policy.purification
        self.pumping = policy.pumping
        self.operations = operations
        self.backend = backend
        self.timeline = timeline
        self.rng = rng
        self.log = log
        self._table = table
        self._free = free
        self._done = done
        self._waiting: list[list[deque[Pair]]] = [
            [deque() for _ in range(self.rounds)] for _ in link_delays_ps]
        self._channel = [
            ClassicalChannel(timeline, delay_ps=delay, receiver=self._on_outcome,
                             name=f"{path[k]}<->{path[k + 1]}")
            for k, delay in enumerate(link_delays_ps)]

    def enter(self, k: int, pair: Pair) -> None:
        """``pair`` on link ``k`` is ready for its next round (or has passed them all)."""
        waiting = self._waiting[k]
        level = pair.rounds
        if level == self.rounds:
            self._done(pair)
            return
        if self.pumping and level == 0:
            # a fresh pair pumps the most purified pair waiting, if any
            for held_level in range(len(waiting) - 1, 0, -1):
                if self._start(k, waiting[held_level], pair):
                    return
        if not self._start(k, waiting[level], pair):
            waiting[level].append(pair)

    def _start(self, k: int, candidates: deque[Pair], sacrificial: Pair) -> bool:
        while candidates:
            target = candidates.popleft()
            if target.status is not PairState.PURIFYING:
                continue  # a qubit was discarded while it waited
            self._purify(k, target, sacrificial)
            return True
        return False

    def _purify(self, k: int, target: Pair, sacrificial: Pair) -> None:
        now = self.timeline.now_ps
        ops_lo, ops_hi = self.operations[k], self.operations[k + 1]
        states = []
        for pair in (target, sacrificial):
            decay(self.backend, pair, now, 0)
            states.append(decay(self.backend, pair, now, 1))
        p_success, kept = self.backend.purify(
            states[0], states[1], scheme=self.scheme,
            gate_depolarizing=max(ops_lo.gate_depolarizing, ops_hi.gate_depolarizing),
            measurement_error=max(ops_lo.measurement_error, ops_hi.measurement_error))
        success = (bool(self.rng.random() < p_success[0])
                   and sacrificial.status is PairState.PURIFYING)
        self.log.purifications += 1
        self.log.purification_failures += not success
        for end in sacrificial.ends:
            if end.held:
                self._free(end)
        sacrificial.status = PairState.MERGED
        self._table.drop(sacrificial)
        target.state = kept
        target.decayed_ps = [now, now]
        if sacrificial.requested_ps < target.requested_ps:
            target.requested_ps = sacrificial.requested_ps
        # both ends learn the other's parity one link delay later
        self._channel[k].send(PurificationOutcome(self.demand, k, target, success))

    def _on_outcome(self, outcome: PurificationOutcome) -> None:
        pair = outcome.pair
        if not outcome.success or pair.status is not PairState.PURIFYING:
            pair.status = PairState.LOST
            for end in pair.ends:
                if end.held:
                    self._free(end)
            self._table.drop(pair)
            return
        pair.rounds += 1
        self.enter(outcome.segment, pair)
