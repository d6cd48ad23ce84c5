"""The path protocol's parts: pair lives, no reference cycles, no idle link churn, cutoff timers."""

import gc

import pytest

from qinet.link.pairs import LinkPair
from qinet.network.delivery import Delivery
from qinet.network.entanglement import End, Pair, PairState, PairTable
from qinet.network.messages import PurificationOutcome, SwapOutcome
from qinet.scenario import Simulation, load_scenario

from .conftest import chain_scenario

PER_PAIR_TYPES = (End, Pair, LinkPair, SwapOutcome, PurificationOutcome)


def test_root_of_a_merged_pair_is_the_product_and_compresses_the_path():
    table = PairTable()
    a, b, c = (table.add(k, k + 1, (), None, [0, 0]) for k in range(3))
    ab = table.add(0, 2, (), None, [0, 0])
    abc = table.add(0, 3, (), None, [0, 0])
    a.merged_into = b.merged_into = ab
    ab.merged_into = c.merged_into = abc
    abc.status = PairState.DELIVERED
    assert a.root() is abc
    assert a.merged_into is abc  # compressed
    assert abc.root() is abc


@pytest.mark.parametrize("mode", ["fast-forward", "detailed"])
def test_a_delivered_pairs_root_is_itself(mode, monkeypatch):
    delivered = []
    complete = Delivery.complete

    def spy(self, pair):
        complete(self, pair)
        if pair.status is PairState.DELIVERED:
            delivered.append(pair)

    monkeypatch.setattr(Delivery, "complete", spy)
    data = chain_scenario(3, memories=2, efficiency=0.7, duration="5 ms")
    data["mode"] = mode
    Simulation(load_scenario(data)).run()
    assert len(delivered) > 20
    for pair in delivered:
        assert pair.merged_into is None  # a delivered pair never points anywhere, not to itself
        assert pair.root() is pair


@pytest.mark.parametrize(("mode", "policy", "swap_success"), [
    ("fast-forward", {"cutoff": "30 us"}, 0.8),
    ("fast-forward", {"cutoff": "30 us"}, 1.0),  # link pairs swapped on as they arrive
    ("fast-forward", {"swapping": "nested", "cutoff": "50 us"}, 0.8),
    ("detailed", {"cutoff": "40 us", "purification": {"scheme": "dejmps", "rounds": 1}}, 0.8),
])
def test_a_run_leaves_no_reference_cycles_among_per_pair_objects(mode, policy, swap_success):
    # With the cyclic collector off, per-pair objects must be freed by reference counting
    # alone: whatever the collector then finds unreachable was part of a cycle.
    data = chain_scenario(4, memories=2, efficiency=0.6, t2="1 ms", duration="20 ms",
                          policy=policy, node_ops={"swap_success": swap_success})
    data["mode"] = mode
    gc.collect()
    gc.disable()
    try:
        sim = Simulation(load_scenario(data))
        record = sim.run()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        cyclic = [type(o).__name__ for o in gc.garbage if isinstance(o, PER_PAIR_TYPES)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert record.demands[0].counters.swaps > 100  # the run made many pairs
    assert cyclic == []
    assert sim is not None  # kept alive until the collection above


@pytest.mark.parametrize("policy", [{}, {"cutoff": "40 us"}])
def test_link_pairs_swapped_on_arrival_give_the_general_swaps_results(policy):
    # A link pair that meets a waiting qubit is swapped at once without a Pair of its own;
    # the run must be the one the general swap gives, pair for pair and bit for bit.
    data = chain_scenario(6, memories=3, efficiency=0.6, t2="2 ms", duration="30 ms",
                          policy=policy, attempt_period=None)
    # links of unequal lengths: no herald lands on the very picosecond a cutoff expires,
    # where the order of two simultaneous events (not the physics) would decide
    for i, link in enumerate(data["links"]):
        link["length"] = f"{0.3 + 0.137 * i} km"
    records = []
    for shortcut in (True, False):
        sim = Simulation(load_scenario(data))
        for route in sim.network.demands:
            assert route.protocol._onto  # swap-ASAP, sure swaps: the shortcut applies
            route.protocol._onto = shortcut
        records.append(sim.run())
    fast, general = (r.demands[0] for r in records)
    assert fast.counters.swaps > 1000
    assert fast.counters == general.counters
    for key in ("delivered_ps", "latency_ps", "fidelity"):
        assert fast.arrays[key].tolist() == general.arrays[key].tolist()
    if policy:
        assert fast.counters.discarded > 0  # the cutoff acted on qubits of both kinds


@pytest.mark.parametrize("policy", [{}, {"swapping": "nested"}])
def test_links_herald_no_pair_nobody_wants(policy):
    # Nothing dies (deterministic swaps, no cutoff), so a link is never resumed: each of
    # its memory pairs heralds at most once more after its share of the pairs is covered.
    target, memories = 10, 2
    data = chain_scenario(32, memories=memories, efficiency=0.7, duration="10 s", policy=policy,
                          demands=[{"kind": "entanglement", "between": ["n0", "n32"],
                                    "pairs": target}])
    sim = Simulation(load_scenario(data))
    record = sim.run()
    assert record.demands[0].arrays["fidelity"].size == target
    for link in record.links:
        assert target <= link.successes <= target + memories


def test_fixed_count_with_purification_resumes_links_after_a_loss():
    # With purification the pairs formed decide; a formed pair cut off while its outcomes
    # travel must wake the parked links, or the demand would wait for ever.
    data = chain_scenario(2, memories=2, efficiency=0.5, t2="1 ms", duration="10 s",
                          raw_fidelity=0.95,
                          policy={"cutoff": "40 us",
                                  "purification": {"scheme": "dejmps", "rounds": 1}},
                          demands=[{"kind": "entanglement", "between": ["n0", "n2"],
                                    "pairs": 20}])
    record = Simulation(load_scenario(data)).run()
    assert record.demands[0].arrays["fidelity"].size == 20
    assert record.elapsed_ps < 10**13


def test_cutoff_timers_stay_one_per_memory_queue():
    # A long cutoff and pairs used quickly: the clock's heap holds each link's next
    # herald, a few swap outcomes, and at most one cutoff timer per link side.
    links, memories = 4, 2
    data = chain_scenario(links, memories=memories, efficiency=0.7, duration="20 ms",
                          policy={"cutoff": "10 ms"})
    sim = Simulation(load_scenario(data))
    sim.run()
    assert sim.network.demands[0].log.discarded == 0
    assert sim.timeline.pending <= links * memories + 2 * links + links
