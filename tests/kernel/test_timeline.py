import gc

import pytest

from qinet.errors import SimulationError
from qinet.kernel import ClassicalChannel, DuplexChannel, Timeline


@pytest.fixture
def timeline():
    return Timeline()


def test_events_run_in_time_order_and_fifo_on_ties(timeline):
    log = []
    for t, label in [(30, "d"), (10, "a"), (20, "b"), (20, "c"), (0, "start")]:
        timeline.schedule_at(t, log.append, label)
    timeline.run()
    assert log == ["start", "a", "b", "c", "d"]
    assert timeline.now_ps == 30
    assert timeline.events_processed == 5


def test_schedule_after_is_relative_to_now(timeline):
    log = []

    def first():
        timeline.schedule_after(7, lambda: log.append(timeline.now_ps))

    timeline.schedule_at(100, first)
    timeline.run()
    assert log == [107]


def test_cancelled_event_never_runs_and_is_not_counted(timeline):
    log = []
    keep = timeline.schedule_at(5, log.append, "keep")
    drop = timeline.schedule_at(3, log.append, "drop")
    Timeline.cancel(drop)
    Timeline.cancel(drop)  # twice is harmless
    timeline.run()
    assert log == ["keep"]
    assert Timeline.is_cancelled(drop)
    assert not Timeline.is_cancelled(keep)
    assert timeline.events_processed == 1


def test_run_until_stops_before_later_events_and_sets_clock(timeline):
    log = []
    timeline.schedule_at(10, log.append, 10)
    timeline.schedule_at(50, log.append, 50)
    timeline.run(until_ps=20)
    assert log == [10]
    assert timeline.now_ps == 20
    timeline.run(until_ps=50)
    assert log == [10, 50]


def test_until_includes_events_exactly_at_the_limit(timeline):
    log = []
    timeline.schedule_at(20, log.append, "edge")
    timeline.run(until_ps=20)
    assert log == ["edge"]


def test_max_events_and_step(timeline):
    log = []
    for t in range(5):
        timeline.schedule_at(t, log.append, t)
    timeline.run(max_events=2)
    assert log == [0, 1]
    assert timeline.step()
    assert log == [0, 1, 2]
    timeline.run()
    assert not timeline.step()


def test_stop_from_a_callback(timeline):
    log = []
    timeline.schedule_at(1, timeline.stop)
    timeline.schedule_at(2, log.append, "later")
    timeline.run()
    assert log == []
    timeline.run()
    assert log == ["later"]


def test_scheduling_in_the_past_or_fractional_is_refused(timeline):
    timeline.schedule_at(10, lambda: None)
    timeline.run()
    with pytest.raises(SimulationError, match="t=5 ps"):
        timeline.schedule_at(5, print)
    with pytest.raises(SimulationError, match="whole picoseconds"):
        timeline.schedule_after(1.5, print)
    with pytest.raises(SimulationError):
        timeline.schedule_after(-1, print)


def test_callback_error_names_time_and_callback_and_chains(timeline):
    def explode():
        raise ValueError("boom")

    timeline.schedule_at(1_500, explode)
    expected = r"t=1500 ps.*explode raised ValueError: boom"
    with pytest.raises(SimulationError, match=expected) as info:
        timeline.run()
    assert isinstance(info.value.__cause__, ValueError)


def test_classical_channel_delivers_after_delay_in_order(timeline):
    got = []
    channel = ClassicalChannel(timeline, delay_ps=1_000,
                               receiver=lambda m: got.append((timeline.now_ps, m)))
    channel.send("x")
    timeline.schedule_at(10, channel.send, "y")
    timeline.run()
    assert got == [(1_000, "x"), (1_010, "y")]
    assert channel.messages_sent == 2


def test_duplex_channel_routes_each_direction(timeline):
    at_a, at_b = [], []
    duplex = DuplexChannel(timeline, delay_ps=3, receiver_a=at_a.append, receiver_b=at_b.append)
    duplex.send_to_a("to-a")
    duplex.send_to_b("to-b")
    timeline.run()
    assert (at_a, at_b) == (["to-a"], ["to-b"])
    assert timeline.now_ps == 3


def test_negative_channel_delay_is_a_config_error(timeline):
    with pytest.raises(Exception, match="delay_ps: must be non-negative"):
        ClassicalChannel(timeline, delay_ps=-1, receiver=print, name="link")


def test_run_collects_young_objects_less_often_and_restores_the_thresholds(timeline):
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    built = [[] for _ in range(1000)]  # objects that exist when the run starts
    seen, frozen = [], []
    inner = Timeline()
    inner.schedule_at(1, lambda: seen.append(gc.get_threshold()))
    timeline.schedule_at(1, lambda: seen.append(gc.get_threshold()))
    timeline.schedule_at(1, lambda: frozen.append(gc.get_freeze_count()))
    timeline.schedule_at(2, inner.run)  # a run inside a run keeps the outer one's setting
    timeline.schedule_at(3, lambda: seen.append(gc.get_threshold()))
    timeline.run()
    assert gc.get_threshold() == before
    assert seen[0] == seen[1] == seen[2] == (max(before[0], 100_000), *before[1:])
    # what existed was kept out of the collector's scans while the run ran, and is back
    assert frozen[0] >= frozen_before + len(built)
    assert gc.get_freeze_count() == frozen_before == 0


def test_a_run_leaves_objects_the_process_froze_frozen(timeline):
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        timeline.schedule_at(1, lambda: [[] for _ in range(100)])
        timeline.run()
        # unfrozen it would be 0; a few frozen objects may have been freed meanwhile
        assert frozen - 100 <= gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_a_failing_run_restores_the_thresholds(timeline):
    before = gc.get_threshold()
    timeline.schedule_at(1, lambda: 1 / 0)
    with pytest.raises(SimulationError):
        timeline.run()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
