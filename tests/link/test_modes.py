"""Detailed and fast-forward generation: each against theory, and against each other."""

import numpy as np
import pytest

from qinet.devices import MemoryBank, QuantumNode
from qinet.errors import ProtocolError
from qinet.kernel import Timeline
from qinet.link.detailed import DetailedLink
from qinet.link.double_click import DoubleClickScheme
from qinet.link.fast_forward import FastForwardLink
from qinet.link.model import expected_pair_rate_hz
from qinet.link.pairs import pair_states
from qinet.link.single_click import SingleClickScheme
from qinet.quantum import make_backend
from tests.link.immediate_use import ImmediateUse

from .conftest import make_hardware

DURATION_PS = 2 * 10**12  # 2 s of simulated time


def _run(link_class, model, *, memory_pairs=4, seed=5, duration_ps=DURATION_PS):
    timeline = Timeline()
    hw_memory = make_hardware().memory_a
    a = QuantumNode("a", MemoryBank("a", memory_pairs, hw_memory))
    b = QuantumNode("b", MemoryBank("b", memory_pairs, hw_memory))
    consumer = ImmediateUse()
    link = link_class("a-b", model, a, b, timeline=timeline, rng=np.random.default_rng(seed),
                      memory_pairs=memory_pairs, consumer=consumer)
    consumer.attach(link)
    link.start()
    timeline.run(until_ps=duration_ps)
    return link, consumer.records()


@pytest.fixture(scope="module")
def model():
    hw = make_hardware(length_km=30.0, memory_efficiency=0.8, detector_efficiency=0.9,
                       dark_count_rate_hz=1e3, visibility=0.9)
    return DoubleClickScheme().compile(hw)


@pytest.fixture(scope="module")
def runs(model):
    return {cls.mode: _run(cls, model) for cls in (FastForwardLink, DetailedLink)}


def _latency_moments(model):
    # K ~ Geometric(p) attempts after the memory's turnaround; latency = gap + (K - 1) T + t_d.
    t = model.timing
    p, period = model.success_probability, t.period_ps
    gap = t.turnaround_ps - t.delivered_ps
    mean = gap + (1 / p - 1) * period + t.delivered_ps
    std = period * np.sqrt(1 - p) / p
    return mean, std


@pytest.mark.parametrize("mode", ["fast-forward", "detailed"])
def test_pair_count_matches_the_renewal_rate(runs, model, mode):
    link, records = runs[mode]
    n = records["delivered_ps"].size
    expected = expected_pair_rate_hz(model, link.memory_pairs) * DURATION_PS * 1e-12
    # Renewal counts with geometric cycles have variance below Poisson: 5 sqrt(N) is >= 5 sigma.
    assert abs(n - expected) < 5 * np.sqrt(expected)


@pytest.mark.parametrize("mode", ["fast-forward", "detailed"])
def test_latency_is_geometric_attempts_times_the_period(runs, model, mode):
    _, records = runs[mode]
    latency = records["delivered_ps"] - records["requested_ps"]
    mean, std = _latency_moments(model)
    assert abs(latency.mean() - mean) < 5 * std / np.sqrt(latency.size)
    attempts = records["attempts"]
    assert abs(attempts.mean() - 1 / model.success_probability) < (
        5 * np.sqrt(1 - model.success_probability) / model.success_probability
        / np.sqrt(attempts.size))


def test_modes_agree_on_rate_and_fidelity(runs, model):
    (ff_link, ff), (dt_link, dt) = runs["fast-forward"], runs["detailed"]
    n_ff, n_dt = ff["delivered_ps"].size, dt["delivered_ps"].size
    assert abs(n_ff - n_dt) < 5 * np.sqrt(n_ff + n_dt)
    backend = make_backend("bell-diagonal")
    fidelity = {}
    for mode, rec in (("ff", ff), ("dt", dt)):
        states = pair_states(backend, model.heralded_state,
                             waited_a_s=(rec["delivered_ps"] - rec["stored_a_ps"]) * 1e-12,
                             waited_b_s=(rec["delivered_ps"] - rec["stored_b_ps"]) * 1e-12,
                             memory_a=ff_link.node_a.memories.memory,
                             memory_b=ff_link.node_b.memories.memory)
        fidelity[mode] = backend.fidelity(states)
    # Every pair waits one herald round trip, in both modes.
    assert fidelity["ff"].mean() == pytest.approx(fidelity["dt"].mean(), abs=1e-12)
    assert ff_link.successes == n_ff
    assert dt_link.successes == n_dt
    # Conservation: every delivered pair was handed back, every attempt counted once.
    assert ff_link.released == n_ff
    assert dt_link.released == n_dt
    assert dt_link.attempts >= int(dt["attempts"].sum())
    assert ff_link.attempts - int(ff["attempts"].sum()) <= 4 * (1 + 10 / model.success_probability)


def test_detailed_mode_sends_one_herald_to_each_node_per_attempt(runs):
    link, _ = runs["detailed"]
    sent_a, sent_b = link._to_a.messages_sent, link._to_b.messages_sent
    assert sent_a == sent_b
    # an attempt counts once both heralds have arrived: those still on the wire are not
    assert 0 <= sent_a - link.attempts <= link.memory_pairs


@pytest.mark.parametrize("backend_name", ["bell-diagonal", "density-matrix"])
def test_t2_dephasing_of_a_stored_bell_pair(backend_name):
    # Both halves dephase: the coherence decays as exp(-(t_a + t_b)/T2), F = (1 + that)/2.
    hw = make_hardware(length_km=0.0, t2_s=0.01)
    model = DoubleClickScheme().compile(hw)
    waited_a = np.array([0.0, 0.001, 0.005, 0.02])
    waited_b = np.array([0.0, 0.002, 0.005, 0.0])
    backend = make_backend(backend_name)
    states = pair_states(backend, model.heralded_state, waited_a_s=waited_a, waited_b_s=waited_b,
                         memory_a=hw.memory_a, memory_b=hw.memory_b)
    expected = (1 + np.exp(-(waited_a + waited_b) / 0.01)) / 2
    np.testing.assert_allclose(backend.fidelity(states), expected, rtol=1e-12)


def test_release_twice_is_a_protocol_error(model):
    timeline = Timeline()
    memory = make_hardware().memory_a
    a = QuantumNode("a", MemoryBank("a", 1, memory))
    b = QuantumNode("b", MemoryBank("b", 1, memory))
    held = []
    link = FastForwardLink("a-b", model, a, b, timeline=timeline, rng=np.random.default_rng(0),
                           memory_pairs=1, consumer=held.append)
    link.start()
    timeline.run(until_ps=10**12)
    assert len(held) == 1  # nobody released it: the memory pair waits
    link.release(held[0])
    with pytest.raises(ProtocolError, match="not held"):
        link.release(held[0])


def test_memories_are_taken_once(model):
    memory = make_hardware().memory_a
    a = QuantumNode("a", MemoryBank("a", 2, memory))
    b = QuantumNode("b", MemoryBank("b", 2, memory))
    link = FastForwardLink("a-b", model, a, b, timeline=Timeline(),
                           rng=np.random.default_rng(0), memory_pairs=2, consumer=print)
    link.start()
    assert a.memories.free_count == 0
    assert b.memories.free_count == 0
    assert {a.memories.owner(0), a.memories.owner(1)} == {"a-b"}


def test_a_link_that_cannot_herald_makes_no_events():
    hw = make_hardware(length_km=20000.0)  # 4000 dB: p ~ 1e-200
    model = SingleClickScheme().compile(hw)
    assert model.success_probability < 1e-190
    duration_ps = 10**11
    link, records = _run(FastForwardLink, model, duration_ps=duration_ps)
    assert records["delivered_ps"].size == 0
    assert link.timeline.events_processed == 0
    # every attempt fails, and each one whose outcome is known by the end is counted
    t = model.timing
    fit = (duration_ps - t.delivered_ps) // t.period_ps + 1 if duration_ps >= t.delivered_ps else 0
    assert link.attempts == link.memory_pairs * fit


def _counting_model(length_km):
    """A double-click link whose memories need a reset after a success: a success costs
    attempt slots, so the count of attempts depends on the successes."""
    hw = make_hardware(length_km=length_km, memory_efficiency=1.0, detector_efficiency=1.0,
                       dark_count_rate_hz=10.0, visibility=0.95)
    known_s = DoubleClickScheme().compile(hw).timing.delivered_ps * 1e-12
    return DoubleClickScheme(attempt_period_s=known_s, reset_time_s=0.6 * known_s).compile(hw)


@pytest.mark.parametrize(("length_km", "duration_ps"), [
    pytest.param(20.0, 5 * 10**10, id="20km-50ms"),
    pytest.param(20.0, 2 * 10**12, id="20km-2s"),
    pytest.param(200.0, 2 * 10**12, id="200km-2s"),
    pytest.param(200.0, 200 * 10**12, id="200km-200s", marks=pytest.mark.slow),
])
def test_modes_count_only_the_attempts_inside_the_run(length_km, duration_ps):
    model = _counting_model(length_km)
    t, p, m = model.timing, model.success_probability, 10
    gap = (t.turnaround_ps - t.period_ps) / t.period_ps  # slots a success costs
    assert gap > 0.5
    slots = (duration_ps - t.delivered_ps) / t.period_ps  # per memory pair
    counts = {}
    for cls in (FastForwardLink, DetailedLink):
        link, records = _run(cls, model, memory_pairs=m, seed=11, duration_ps=duration_ps)
        a, s = link.attempts, link.successes
        assert s == records["delivered_ps"].size
        assert a <= m * (int(slots) + 1)  # nothing after the end of the run
        # a memory pair's attempts start every period, and a success delays the next by
        # `gap` periods; those whose outcome is known by the end are counted, so
        # m slots - s gap < a <= m slots - s gap + m (gap + 1), whatever the outcomes
        assert m * slots - s * gap < a <= m * slots - s * gap + m * (gap + 1)
        # the attempts are Bernoulli(p): successes / attempts estimates p
        assert abs(s - a * p) < 5 * np.sqrt(a * p * (1 - p)) + 1
        counts[cls.mode] = a, s
    (a_ff, s_ff), (a_dt, s_dt) = counts["fast-forward"], counts["detailed"]
    assert abs(s_ff - s_dt) < 5 * np.sqrt(p * (1 - p) * (a_ff + a_dt)) + 1
    assert abs(a_ff - a_dt) <= gap * abs(s_ff - s_dt) + m * (gap + 1)
    assert abs(s_ff / a_ff - s_dt / a_dt) < 5 * np.sqrt(p * (1 - p) * (1 / a_ff + 1 / a_dt)) + (
        1 / a_ff + 1 / a_dt)


@pytest.mark.parametrize("link_class", [FastForwardLink, DetailedLink])
def test_a_link_without_a_consumer_does_not_start(model, link_class):
    timeline = Timeline()
    hw_memory = make_hardware().memory_a
    a = QuantumNode("a", MemoryBank("a", 2, hw_memory))
    b = QuantumNode("b", MemoryBank("b", 2, hw_memory))
    link = link_class("a-b", model, a, b, timeline=timeline, rng=np.random.default_rng(1),
                      memory_pairs=2)
    with pytest.raises(ProtocolError, match="nothing takes its pairs"):
        link.start()
    assert timeline.pending == 0
