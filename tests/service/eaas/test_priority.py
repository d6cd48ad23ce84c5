"""Priorities: admission may take rate from lower-priority requests, and concurrent
requests share a link's pairs in proportion to their priorities.

The live network is stepped by hand here (no driver thread), so every run is the same
seeded simulation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.scenario import load_scenario
from qinet.service.eaas import LiveNetwork, Rejected, RequestSpec
from qinet.service.eaas.sharing import LinkShare, weighted_max_min
from tests.network.conftest import chain_scenario

TICK_S = 0.05


def slow_link(memories: int = 4) -> dict:
    """n0 - n1, one 1 km double-click link of ``memories`` memory pairs making some 480
    pairs a second (an attempt per memory pair every 1 ms, p = (0.5 t)^2 / 2)."""
    return chain_scenario(1, length_km=1.0, efficiency=0.5, attempt_period="1 ms",
                          memories=memories, t2="10 s", demands=[])


def run(network: LiveNetwork, simulated_s: float) -> None:
    for _ in range(round(simulated_s / TICK_S)):
        network.step(TICK_S)


def ask(rate_hz: float, priority: int, **fields) -> RequestSpec:
    return RequestSpec(("n0", "n1"), 0.5, rate_hz=rate_hz, priority=priority, **fields)


@given(st.floats(0, 100), st.lists(st.tuples(st.floats(0, 50), st.integers(1, 9)),
                                   min_size=1, max_size=6))
def test_weighted_max_min_is_feasible_and_fair(capacity, asks):
    demands = {i: d for i, (d, _w) in enumerate(asks)}
    weights = {i: float(w) for i, (_d, w) in enumerate(asks)}
    given_ = weighted_max_min(capacity, demands, weights)
    assert all(-1e-12 <= given_[i] <= demands[i] + 1e-12 for i in demands)
    assert sum(given_.values()) <= capacity + 1e-9
    short = [i for i in demands if given_[i] < demands[i] - 1e-9]
    if short:  # someone is short: the capacity is used up, and the short ones are
        # level in allocation per weight, at or above everyone else's
        assert sum(given_.values()) == pytest.approx(capacity)
        level = given_[short[0]] / weights[short[0]]
        for i in demands:
            if i in short:
                assert given_[i] / weights[i] == pytest.approx(level)
            else:
                assert given_[i] / weights[i] <= level * (1 + 1e-9) + 1e-12


def test_link_share_splits_a_saturated_link_by_weight():
    # two requests always hungry, the link handing them pairs alternately up to their
    # allowances, N = 60 pairs a tick: after one tick's transient, 2:1
    share = LinkShare()
    handed = {"a": 0, "b": 0}
    allowance = share.tick(handed, {"a": 1e9, "b": 1e9}, {"a": 1.0, "b": 2.0})
    for _ in range(50):
        left = dict(allowance)
        for k in range(60):
            order = ("a", "b") if k % 2 == 0 else ("b", "a")
            taker = next((key for key in order if left[key] >= 1), None)
            if taker is None:
                break
            left[taker] -= 1
            handed[taker] += 1
        allowance = share.tick(dict(handed), {"a": 1e9, "b": 1e9}, {"a": 1.0, "b": 2.0})
    assert handed["b"] / (handed["a"] + handed["b"]) == pytest.approx(2 / 3, abs=0.01)
    # neither behind any more: no limits, no debts
    assert share.tick(dict(handed), {"a": 0.0, "b": 0.0}, {"a": 1.0, "b": 2.0}) == {
        "a": math.inf, "b": math.inf}


@pytest.mark.parametrize(("overbooking", "asks", "priorities", "share_of_b"), [
    (2.0, (1.8, 1.0), (1, 2), 2 / 3),  # the second admitted over the first by priority
    (4.0, (0.6, 0.9), (1, 1), 1 / 2),  # both admitted on the spare rate
    (4.0, (0.9, 0.39), (3, 1), 1 / 4),
])
def test_two_requests_on_one_link_get_pairs_in_the_ratio_of_their_priorities(
        overbooking, asks, priorities, share_of_b):
    # overbooked, two requests ask for more than the link makes and more than their
    # shares, so both always wait for pairs: the link's pairs are split by priority
    network = LiveNetwork(load_scenario(slow_link()), tick_s=TICK_S,
                          max_utilisation=overbooking)
    rate = network.graph.edges["n0", "n1"]["rate_hz"]
    a = network.admit("t", ask(asks[0] * rate, priorities[0]))
    b = network.admit("t", ask(asks[1] * rate, priorities[1]))
    run(network, 1.0)  # the first tick of contention is split 1:1
    a0, b0 = a.route.log.delivered, b.route.log.delivered
    run(network, 20.0)
    got_a, got_b = a.route.log.delivered - a0, b.route.log.delivered - b0
    total = got_a + got_b
    # were each pair B's with probability p independently, B's count would spread by
    # sqrt(N p (1 - p)) (some 45 pairs of 9500); the sharing is tighter than that, up
    # to one tick's allowance (30 pairs): four binomial sigmas plus a tick
    sigma = math.sqrt(total * share_of_b * (1 - share_of_b))
    assert abs(got_b - share_of_b * total) <= 4 * sigma + rate * TICK_S, (got_a, got_b)
    # and the link is not left idle by the allowances: within 3 % of its rate
    assert total / 20.0 == pytest.approx(rate, rel=0.03)


def test_a_higher_priority_request_may_take_rate_from_lower_ones():
    network = LiveNetwork(load_scenario(slow_link()), tick_s=TICK_S)
    rate = network.graph.edges["n0", "n1"]["rate_hz"]
    low = network.admit("alice", ask(0.7 * rate, 1))
    spare = network.spare_rate_hz("n0", "n1")
    assert spare < 0.3 * rate
    # the same priority cannot take rate: refused, naming the rule
    with pytest.raises(Rejected, match="no request of lower priority than 1") as refused:
        network.admit("bob", ask(0.3 * rate, 1))
    assert refused.value.limit == "rate"
    # a higher one may, up to its weighted share of 0.9 r: 5/6 of it here, but no more
    # than its fair memory share (2 of 4 memory pairs: r / 2, times 0.9)
    with pytest.raises(Rejected):
        network.admit("bob", ask(0.46 * rate, 5))
    high = network.admit("bob", ask(0.44 * rate, 5))
    assert low.squeezed_by == [high.id]
    assert network.view(low)["squeezed_by"] == [high.id]
    assert high.squeezed_by == []
    # with two lower ones, the weighted max-min split of 0.9 r takes from the lowest
    # only: r3 gets 0.25 r, then r2 (weight 2 of 3 left) its whole 0.4 r, r1 the rest
    network = LiveNetwork(load_scenario(slow_link(memories=6)), tick_s=TICK_S)
    rate = network.graph.edges["n0", "n1"]["rate_hz"]
    lows = [network.admit("alice", ask(0.45 * rate, 1)), network.admit("alice",
                                                                     ask(0.4 * rate, 2))]
    high = network.admit("bob", ask(0.25 * rate, 3))
    assert [low.squeezed_by for low in lows] == [[high.id], []]


def test_the_lower_priority_request_keeps_its_share_and_says_it_is_short():
    network = LiveNetwork(load_scenario(slow_link()), tick_s=TICK_S)
    rate = network.graph.edges["n0", "n1"]["rate_hz"]
    low = network.admit("alice", ask(0.8 * rate, 1))
    run(network, 1.5)
    assert network.view(low)["slo"]["status"] == "ok"
    high = network.admit("bob", ask(0.44 * rate, 2))
    run(network, 3.0)
    low_page, high_page = network.view(low), network.view(high)
    assert high_page["slo"]["status"] == "ok", high_page["slo"]
    assert low_page["slo"]["status"] == "outage"
    assert any(r.startswith("rate:") and high.id in r for r in low_page["slo"]["reasons"])
    # it is not starved: it gets what the high one leaves, r - 0.44 r, within 5 %
    assert low_page["slo"]["window_rate_hz"] == pytest.approx(0.56 * rate, rel=0.05)


def test_priority_rate_and_overbooking_are_range_checked():
    from qinet.service.eaas.models import PairRequest

    for bad in (0, 10):
        with pytest.raises(ValueError, match="priority"):
            PairRequest(between=["n0", "n1"], min_fidelity=0.5, rate_hz=1.0, priority=bad)
    assert PairRequest(between=["n0", "n1"], min_fidelity=0.5, rate_hz=1.0).priority == 1
    # a rate whose request period would overflow the picosecond clock (found by the
    # schema fuzzing: 1e-300 Hz made the demand's period infinite)
    with pytest.raises(ValueError, match="rate_hz"):
        PairRequest(between=["n0", "n1"], min_fidelity=0.5, rate_hz=1e-300)
    with pytest.raises(ConfigError, match="max_utilisation"):
        LiveNetwork(load_scenario(slow_link()), max_utilisation=4.5)
