"""QKD links, pools and trusted-node relay driven from a scenario."""

import itertools
import re

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.kernel.timeline import Timeline
from qinet.physical.fibre import fibre_delay_s
from qinet.rng import RngTree
from qinet.scenario import load_scenario
from qinet.scenario.key_network import build_key_network
from qinet.scenario.key_service import CHUNK_BITS, key_service_plan
from qinet.units import s_to_ps

_BASE = """
name: relay-test
seed: 3
duration: 0.2 s
nodes:
  - {name: a, saes: [app-a]}
  - {name: t, trusted: true}
  - {name: b, saes: [app-b]}
links:
  - {between: [a, t], length: 10 km, scheme: qkd}
  - {between: [t, b], length: 15 km, scheme: qkd}
demands:
  - {kind: qkd, protocol: bb84-decoy, between: [a, t], source_rate: 100 MHz,
     block_size: 400000, epsilon_sec: 1.0e-6, intensity_probabilities: [0.7, 0.2, 0.1]}
  - {kind: qkd, protocol: bb84-decoy, between: [t, b], source_rate: 100 MHz,
     block_size: 400000, epsilon_sec: 1.0e-6, intensity_probabilities: [0.7, 0.2, 0.1]}
"""


def _scenario(extra_demands: str = "", **overrides):
    return load_scenario(_BASE + extra_demands, **overrides)


def _network(scenario, seed):
    return build_key_network(scenario, rng=RngTree(seed), timeline=Timeline(),
                             end_ps=s_to_ps(scenario.duration))


def _run(scenario, seed):
    network = _network(scenario, seed)
    network.start()
    network.run(s_to_ps(scenario.duration))
    return network.finish()


def test_relayed_keys_are_equal_seen_by_the_trusted_node_and_paid_by_every_hop():
    scenario = _scenario("  - {kind: key, between: [a, b], key_size: 256}\n")
    record = _run(scenario, 5)
    (log,) = record.demands
    assert log.keys > 0
    assert log.keys_equal
    assert log.exposed_to == {"t": log.keys}
    assert record.keys_seen == {"a": 0, "t": log.keys, "b": 0}
    for link in record.links:
        assert link.pool_level_bits + link.pool_spent_bits == link.stats.key_bits
        assert link.pool_spent_bits == 256 * log.keys
    # greedy relay stops only when the scarcer pool cannot pay one more key
    assert min(link.pool_level_bits for link in record.links) < 256


def test_requests_wait_for_key_and_are_served_first_in_first_out():
    scenario = _scenario("  - {kind: key, between: [a, b], key_size: 256, rate: 2 kHz}\n")
    (log,) = _run(scenario, 5).demands
    requested = log.requested_ps[:log.keys]
    travel = s_to_ps(fibre_delay_s(10.0)) + s_to_ps(fibre_delay_s(15.0))
    # a key can never come before its request and the announcements' flight
    assert np.all(log.latency_ps >= travel)
    assert np.array_equal(log.latency_ps, log.delivered_ps - requested)
    assert np.all(np.diff(log.delivered_ps) >= 0)
    assert log.keys + log.unserved_requests == log.requested_ps.size
    # the k-th request comes at exactly k / rate on the integer clock, the last at the end
    assert log.requested_ps.tolist() == [k * 500_000_000 for k in range(1, 401)]


def test_same_seed_and_start_same_key_a_restart_draws_a_stream_of_its_own():
    def first_block(seed, start):
        supply = key_service_plan(_scenario(), seed=seed)[1](start)
        amounts = supply.advance(0.12)
        assert amounts, "0.12 s of two 100 MHz links gives key"
        # the relay's first pool: what the amounts were counted from
        pool = supply.network.relay.pool("a", "t")
        return amounts, pool.take(pool.level)

    amounts, bits = first_block(1, 1)
    again_amounts, again_bits = first_block(1, 1)
    assert amounts == again_amounts
    assert np.array_equal(bits, again_bits)
    assert not np.array_equal(bits, first_block(2, 1)[1])
    assert not np.array_equal(bits, first_block(1, 2)[1])


def test_key_service_hands_out_whole_chunks_between_kme_pairs_only():
    kmes, start_supply = key_service_plan(_scenario())
    assert [(k.name, k.saes) for k in kmes] == [("a", ("app-a",)), ("b", ("app-b",))]
    supply = start_supply(1)
    batches = supply.advance(0.25)
    assert batches, "0.25 s of two 100 MHz links gives key"
    assert {(b.kme_a, b.kme_b) for b in batches} == {("a", "b")}
    assert all(b.n_bytes == CHUNK_BITS // 8 for b in batches)


def test_key_service_carries_unfinished_slices_over():
    supply = key_service_plan(_scenario())[1](1)
    first = supply.advance(1e-3)  # far less than one block's worth of pulses
    assert first == []
    assert supply.advance(0.25)


@pytest.mark.parametrize(("text", "field", "reason"), [
    (_BASE.replace("trusted: true", "trusted: false")
     + "  - {kind: key, between: [a, b]}\n", "demands[2].between", "trusted"),
    (_BASE + "  - {kind: qkd, protocol: bb84-decoy, between: [a, b]}\n",
     "demands[2].between", "scheme: qkd"),
    (_BASE + "  - {kind: qkd, protocol: bb84-decoy, between: [t, a]}\n",
     "demands[2].between", "already runs demands[0]"),
    (_BASE.replace("block_size: 400000,", "block_size: 400000, intensities: [0.5, 0.1],", 1),
     "demands[0].intensity_probabilities", "2 intensities"),
    (_BASE.replace("saes: [app-b]", "saes: [app-a]"), "nodes[2].saes[0]", "already served"),
])
def test_bad_key_network_names_the_field(text, field, reason):
    def build():
        _network(load_scenario(text), 1)

    with pytest.raises(ConfigError, match=re.escape(reason)) as info:
        build()
    assert info.value.field == field


def test_links_without_a_demand_run_decoy_bb84_with_defaults():
    text = _BASE.split("demands:")[0] + "demands:\n  - {kind: key, between: [a, b]}\n"
    network = _network(load_scenario(text), 2)
    assert [link.protocol for link in network.links] == ["bb84-decoy", "bb84-decoy"]
    assert all(link.demand is None for link in network.links)


def test_pool_levels_follow_the_slices_in_time():
    scenario = _scenario()
    network = _network(scenario, 9)
    network.start()
    network.run(s_to_ps(scenario.duration))
    record = network.finish()
    for link in record.links:
        assert link.stats.pulses == round(scenario.duration * 1e8)
        # slices are about one block each, so a run of many blocks has many slices
        assert link.stats.slices >= 2
        assert link.stats.sifted_bits < 2 * 400_000 * link.stats.slices
    for a, b in itertools.pairwise(["a", "t", "b"]):
        assert network.relay.pool(a, b).level == network.relay.pool(a, b).deposited


def test_announcements_fly_at_the_fibres_group_index():
    text = _BASE.replace("links:\n", "links:\n").replace(
        "nodes:", "hardware:\n  slow: {kind: fibre, group_index: 2.0}\nnodes:").replace(
        "scheme: qkd}", "scheme: qkd, fibre: slow}")
    scenario = load_scenario(text + "  - {kind: key, between: [a, b], rate: 100 Hz}\n")
    (log,) = _run(scenario, 5).demands
    # n_g L / c per hop, as the entanglement network's messages: 66.7 µs + 100.1 µs
    travel = s_to_ps(fibre_delay_s(10.0, 2.0)) + s_to_ps(fibre_delay_s(15.0, 2.0))
    assert travel > s_to_ps(fibre_delay_s(10.0)) + s_to_ps(fibre_delay_s(15.0))
    assert log.keys > 10
    # a request that finds key in the pools waits for the announcements' flight only
    assert log.latency_ps.min() == travel


def test_serve_and_run_relay_the_same_key_from_the_same_pools():
    # the serve supply is the run's key network with the KME pair as a greedy consumer:
    # over one route it relays what the scarcer pool can pay, in whole chunks
    supply = key_service_plan(_scenario())[1](1)
    relayed = sum(a.n_bytes for a in supply.advance(0.25)) * 8
    record = supply.network.result()
    deposited = [link.stats.key_bits for link in record.links]
    assert relayed == min(deposited) // CHUNK_BITS * CHUNK_BITS > 0
    assert [link.pool_spent_bits for link in record.links] == [relayed, relayed]
    # the chunks reach the far KME once the announcements have crossed the fibre
    supply.advance(1e-3)
    (pair,) = supply.network.result().demands
    assert pair.keys * CHUNK_BITS == relayed
    assert pair.keys_equal
    assert pair.exposed_to == {"t": pair.keys}


def test_same_scenario_and_seed_same_key_network():
    scenario = _scenario("  - {kind: key, between: [a, b], key_size: 256, rate: 1 kHz}\n"
                         "  - {kind: key, between: [a, b], key_size: 512}\n")
    first, again = _run(scenario, 8), _run(scenario, 8)
    assert [link.stats for link in first.links] == [link.stats for link in again.links]
    for one, other in zip(first.demands, again.demands, strict=True):
        assert np.array_equal(one.delivered_ps, other.delivered_ps)
        assert np.array_equal(one.latency_ps, other.latency_ps)
        assert one.paths == other.paths
    assert first.keys_seen == again.keys_seen
    assert [link.stats.key_bits for link in _run(scenario, 9).links] != [
        link.stats.key_bits for link in first.links]
