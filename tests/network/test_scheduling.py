"""Link pairs shared by demands: shares, double releases, and the memory reset."""

import numpy as np
import pytest

from qinet.devices.memory_bank import MemoryBank
from qinet.devices.node import QuantumNode
from qinet.errors import ProtocolError
from qinet.kernel.timeline import Timeline
from qinet.link.detailed import DetailedLink
from qinet.link.fast_forward import FastForwardLink
from qinet.link.model import AttemptModel, AttemptTiming
from qinet.network.scheduling import LinkScheduler
from qinet.physical.memories import QuantumMemory

# An attempt that always heralds: 100 ps period, both nodes know at 100 ps, 40 ps reset.
# The turnaround after a pair used at once is max(period, known + reset) = 140 ps.
TIMING = AttemptTiming(period_ps=100, stored_ps=(10, 20), resolved_ps=50, known_ps=(100, 100),
                       reset_ps=40)


def _always(n, _rng):
    return np.ones(n, dtype=bool)


def _setup(link_class, hold_ps):
    """One memory pair, one demand that holds each pair ``hold_ps`` per end, then frees it
    (``None``: keeps it)."""
    timeline = Timeline()
    model = AttemptModel("certain", 1.0, np.eye(4) / 4, TIMING, sample=_always)
    a = QuantumNode("a", MemoryBank("a", 1, QuantumMemory()))
    b = QuantumNode("b", MemoryBank("b", 1, QuantumMemory()))
    link = link_class("a-b", model, a, b, timeline=timeline, rng=np.random.default_rng(1),
                      memory_pairs=1, consumer=print)
    scheduler = LinkScheduler(link)
    delivered = []

    def handler(pair):
        delivered.append(pair)
        for side, hold in enumerate(hold_ps or ()):
            timeline.schedule_at(timeline.now_ps + hold, scheduler.release_end, pair, side)

    scheduler.add_user(handler)
    link.start()
    return timeline, link, scheduler, delivered


@pytest.mark.parametrize("link_class", [FastForwardLink, DetailedLink])
def test_a_pair_used_at_once_waits_only_for_the_turnaround(link_class):
    timeline, _, _, delivered = _setup(link_class, hold_ps=(0, 0))
    timeline.run(until_ps=500)
    # attempts start at 0, 140, 280, 420: the reset ends before the next period would
    assert [p.delivered_ps for p in delivered] == [100, 240, 380]


@pytest.mark.parametrize("link_class", [FastForwardLink, DetailedLink])
def test_a_memory_held_past_its_turnaround_is_reset_before_it_tries_again(link_class):
    timeline, link, _, delivered = _setup(link_class, hold_ps=(300, 1000))
    timeline.run(until_ps=3000)
    # delivered at 100; end b freed at 1100, reset until 1140, attempt 1140, known 1240
    assert [p.delivered_ps for p in delivered] == [100, 1240, 2380]
    assert link.released == 2
    # qubits stored at 10 / 20 after each attempt's start (0, 1140, 2280) are gone 300 /
    # 1000 ps after delivery, not when the reset ends; b's third is still held at 3000
    bank_a, bank_b = link.node_a.memories, link.node_b.memories
    assert bank_a.occupancy(3000, now_ps=3000) == pytest.approx(3 * 390 / 3000, rel=1e-12)
    assert bank_b.occupancy(3000, now_ps=3000) == pytest.approx((2 * 1080 + 700) / 3000,
                                                                rel=1e-12)

def test_releasing_an_end_twice_is_a_protocol_error_even_while_it_resets():
    timeline, _, scheduler, held = _setup(FastForwardLink, hold_ps=None)
    timeline.run(until_ps=150)
    [pair] = held
    scheduler.release_end(pair, 0)
    with pytest.raises(ProtocolError, match="end a, is not held"):
        scheduler.release_end(pair, 0)
    timeline.run(until_ps=200)  # past the turnaround: end b's release waits for its reset
    scheduler.release_end(pair, 1)
    with pytest.raises(ProtocolError, match="end b, is not held"):
        scheduler.release_end(pair, 1)


def test_a_demand_that_always_wants_keeps_the_link_trying_and_is_never_asked():
    # two memory pairs, two demands: the first is asked and says no (so it gets nothing),
    # the second always wants (given as None: there is nothing to call)
    timeline = Timeline()
    model = AttemptModel("certain", 1.0, np.eye(4) / 4, TIMING, sample=_always)
    a = QuantumNode("a", MemoryBank("a", 2, QuantumMemory()))
    b = QuantumNode("b", MemoryBank("b", 2, QuantumMemory()))
    link = FastForwardLink("a-b", model, a, b, timeline=timeline,
                           rng=np.random.default_rng(1), memory_pairs=2)
    scheduler = LinkScheduler(link)
    asked = []

    def says_no():
        asked.append(timeline.now_ps)
        return False

    def use_at_once(pair):
        scheduler.release_end(pair, 0)
        scheduler.release_end(pair, 1)

    scheduler.add_user(use_at_once, says_no)
    scheduler.add_user(use_at_once, None)
    link.start()
    timeline.run(until_ps=1000)
    # each memory pair: attempts at 0, 140, ..., 840 (the turnaround), known 100 ps later
    assert scheduler.handed == [0, 14]
    assert link.successes == 14
    # the first demand is asked for every pair (its turn in the round robin comes first)
    # and again when the pair's memories are freed, before the one that always wants
    assert len(asked) == 2 * 14
