"""Cutoff timers: one per queue, qubits expire in storage order whatever order they come."""

from dataclasses import dataclass

from qinet.kernel.timeline import Timeline
from qinet.network.cutoffs import Cutoffs


@dataclass
class Qubit:
    segment: int
    side: int
    stored_ps: int
    held: bool = True


def test_qubits_expire_in_storage_order_even_when_watched_out_of_order():
    tl, expired = Timeline(), []
    cutoffs = Cutoffs(tl, cutoff_ps=100, segments=1,
                      on_expired=lambda q: expired.append((q.stored_ps, tl.now_ps)))
    cutoffs.watch(Qubit(0, 0, 0))
    tl.run(until_ps=150)  # the first expires at 100: its queue is empty again
    # later qubits stored before the latest one seen so far, then after it, then between
    for stored in (120, 20 + 150, 30 + 150, 10 + 150):
        cutoffs.watch(Qubit(0, 0, stored))
    tl.run()
    assert expired == [(0, 100), (120, 220), (160, 260), (170, 270), (180, 280)]


def test_a_link_pairs_two_ends_go_to_their_sides_queues():
    tl, expired = Timeline(), []
    cutoffs = Cutoffs(tl, cutoff_ps=100, segments=2,
                      on_expired=lambda q: expired.append((q.segment, q.side, tl.now_ps)))
    lo, hi = Qubit(1, 1, 5), Qubit(1, 0, 7)  # a link whose node b is the lower position
    cutoffs.watch_pair(1, lo, 1, lo.stored_ps, hi, hi.stored_ps)
    used = Qubit(1, 0, 50, held=False)  # used before its deadline: skipped
    cutoffs.watch(used)
    tl.run()
    assert expired == [(1, 1, 105), (1, 0, 107)]
    # one timer per queue; the used qubit, behind another in its queue, sets none
    assert tl.events_processed == 2
