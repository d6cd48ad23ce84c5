"""The key network on the timeline: slices, deposits, requests and deliveries as events,
one serving policy, and link statistics that merge."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinet.kernel.timeline import Timeline
from qinet.qkd.key_network import KeyNetwork
from qinet.qkd.key_records import KeyConsumerSpec, QkdLinkSpec, QkdLinkStats, RelayedKey
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

_MS = 10**9  # picoseconds


def _runner(bits_per_1000_pulses: int):
    """A protocol that keeps a fixed share of the pulses as key (equal at both ends)."""

    def run(pulses, rng, block_size):
        bits = rng.generator("key").integers(0, 2, pulses * bits_per_1000_pulses // 1000,
                                             dtype=np.uint8)
        return QkdRunResult("bb84", pulses, pulses // 10, pulses // 100,
                            qber={"Z": 0.01}, key_alice=bits, key_bob=bits.copy())

    return run


def _link(a, b, *, delay_ps, bits_per_1000_pulses=10):
    # 1 MHz; the pilot sifts 1 bit per 100 pulses, so a block of 1000 bits is 100,000
    # pulses: one slice every 100 ms
    return QkdLinkSpec(between=(a, b), length_km=1.0, delay_ps=delay_ps,
                       source_rate_hz=1e6, block_size_bits=1000, protocol="bb84",
                       runner=_runner(bits_per_1000_pulses))


def _network(consumers, *, end_ps=10**12, links=None, **options):
    links = links or [_link("a", "t", delay_ps=3 * _MS), _link("t", "b", delay_ps=5 * _MS)]
    log = []
    network = KeyNetwork(links, consumers, trusted={"a": False, "t": True, "b": False},
                         timeline=Timeline(), rng=RngTree(1), end_ps=end_ps,
                         on_relay=log.append, **options)
    return network, log


def test_slices_deposit_at_their_end_and_keys_land_after_the_announcements_flight():
    network, log = _network([KeyConsumerSpec(("a", "b"), key_size_bits=500)])
    network.start()
    network.run(10**12)
    record = network.finish()
    # both links deposit 1000 bits every 100 ms; the greedy consumer takes two keys
    # each time, and they land after 3 ms + 5 ms of flight
    assert [(k.relayed_ps, k.arrival_ps) for k in log] == [
        (t * 100 * _MS, t * 100 * _MS + 8 * _MS) for t in range(1, 11) for _ in range(2)]
    (demand,) = record.demands
    assert demand.delivered_ps.tolist() == [k.arrival_ps for k in log]
    assert demand.keys_equal
    assert demand.exposed_to == {"t": 20}
    assert demand.paths == {"a → t → b": 20}
    assert [link.stats.slices for link in record.links] == [10, 10]
    assert [(link.pool_level_bits, link.pool_spent_bits) for link in record.links] == [
        (0, 10_000), (0, 10_000)]


def test_keys_in_flight_at_the_end_still_land_but_nothing_new_starts():
    network, log = _network([KeyConsumerSpec(("a", "b"), key_size_bits=500)],
                            end_ps=250 * _MS)
    network.start()
    network.run(250 * _MS)
    record = network.finish()
    (demand,) = record.demands
    # slices of 100 ms, the last one cut at 250 ms: deposits at 100, 200 and 250 ms
    assert record.links[0].stats.pulses == 250_000
    assert demand.delivered_ps.max() == 250 * _MS + 8 * _MS
    assert network.timeline.now_ps == 258 * _MS
    assert demand.keys == len(log) == 5


def test_rated_requests_are_first_in_first_out_and_keep_their_reserve():
    rated = KeyConsumerSpec(("a", "b"), key_size_bits=100, rate_hz=20.0, index=0)
    greedy = KeyConsumerSpec(("a", "b"), key_size_bits=100, index=1)
    network, _log = _network([rated, greedy])
    network.start()
    network.run(10**12)
    record = network.finish()
    got_rated, got_greedy = record.demands
    assert got_rated.requested_ps.tolist() == [k * 50 * _MS for k in range(1, 21)]
    # the request before the first block waits for it; then each is paid at once from
    # the reserve the greedy consumer must leave (20/s x 100 bits x 100 ms = 200 bits)
    assert got_rated.latency_ps.tolist() == [58 * _MS] + [8 * _MS] * 19
    assert got_rated.unserved_requests == 0
    # the greedy consumer gets the rest: 10 blocks of 10 keys, less the 20 requested,
    # less the half of the last reserve that no request came to use
    assert got_greedy.keys == 100 - 20 - 1
    assert record.links[0].pool_level_bits == 100


def test_flight_follows_each_links_own_delay():
    slow = [_link("a", "t", delay_ps=7 * _MS), _link("t", "b", delay_ps=11 * _MS)]
    network, log = _network([KeyConsumerSpec(("a", "b"), key_size_bits=1000)], links=slow)
    network.start()
    network.run(10**12)
    network.finish()
    assert {k.arrival_ps - k.relayed_ps for k in log} == {18 * _MS}


def test_without_greedy_serving_at_deposits_the_owner_serves_in_rounds():
    network, log = _network([KeyConsumerSpec(("a", "t"), key_size_bits=500),
                             KeyConsumerSpec(("a", "b"), key_size_bits=500)],
                            end_ps=None, greedy_at_deposits=False)
    network.start()
    network.run(350 * _MS)
    assert log == []
    network.serve()
    # three blocks on each link: round robin, one key each per round, until a-t is dry
    assert [k.consumer.between for k in log] == [("a", "t"), ("a", "b")] * 3
    assert all(isinstance(k, RelayedKey) and k.relayed_ps == 350 * _MS for k in log)


def test_same_seed_same_keys():
    def keys(seed):
        network = KeyNetwork([_link("a", "b", delay_ps=1)], [], trusted={"a": 0, "b": 0},
                             timeline=Timeline(), rng=RngTree(seed), end_ps=10**12)
        network.start()
        network.run(10**12)
        pool = network.relay.pool("a", "b")
        return pool.take(pool.level)

    assert np.array_equal(keys(4), keys(4))
    assert not np.array_equal(keys(4), keys(5))


def _stats(pulses, key_bits, qber_z, reasons=()):
    bits = np.zeros(key_bits, np.uint8)
    run = QkdRunResult("bb84", pulses, pulses // 10, pulses // 100,
                       qber={"Z": qber_z}, gains={"signal": 0.1 * qber_z},
                       asymptotic_bits_per_pulse=qber_z, key_alice=bits, key_bob=bits,
                       blocks=1, abort_reasons=tuple(reasons), transmittance=0.5)
    return QkdLinkStats.of(run)


@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 1000),
                          st.floats(0, 0.5)), min_size=1, max_size=6))
@settings(max_examples=60, deadline=None)
def test_link_stats_merge_like_one_record(parts):
    stats = [_stats(*p) for p in parts]
    merged = sum(stats, QkdLinkStats())
    pulses = sum(p for p, _, _ in parts)
    assert merged.slices == len(parts)
    assert merged.pulses == pulses
    assert merged.key_bits == sum(k for _, k, _ in parts)
    assert merged.blocks == len(parts)
    mean = sum(p * q for p, _, q in parts) / pulses
    assert merged.qber["Z"] == pytest.approx(mean, rel=1e-12, abs=1e-15)
    assert merged.asymptotic_bits_per_pulse == pytest.approx(mean, rel=1e-12, abs=1e-15)
    # grouping does not matter
    halves = sum(stats[:1], QkdLinkStats()) + sum(stats[1:], QkdLinkStats())
    assert halves.qber["Z"] == pytest.approx(merged.qber["Z"], rel=1e-12, abs=1e-15)
    assert halves.pulses == merged.pulses
    assert halves.key_bits == merged.key_bits


def test_link_stats_count_abort_reasons_and_fill_missing_figures_with_zero():
    a = _stats(100, 0, 0.2, reasons=["QBER too high"])
    b = QkdLinkStats.of(QkdRunResult("bb84", 300, 30, 3, qber={"X": 0.1},
                                     abort_reasons=("QBER too high", "short block")))
    merged = a + b
    assert merged.abort_reasons == {"QBER too high": 2, "short block": 1}
    assert merged.qber == {"X": pytest.approx(0.075), "Z": pytest.approx(0.05)}
    assert merged.transmittance == 0.5
    assert QkdLinkStats() + a == a
    assert a + QkdLinkStats() == a
