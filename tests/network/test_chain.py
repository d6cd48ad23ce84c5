"""Repeater chains against closed forms: waiting times, swapped fidelities, dephasing."""

from math import comb

import numpy as np
import pytest

from qinet.scenario import Simulation, load_scenario

from .conftest import chain_scenario


def _run(data):
    sim = Simulation(load_scenario(data))
    return sim, sim.run()


def expected_max_geometric(n: int, p: float) -> float:
    """E[max of n iid Geometric(p) on {1, 2, ...}] = sum_k (-1)^(k+1) C(n,k) / (1-(1-p)^k)."""
    return sum((-1) ** (k + 1) * comb(n, k) / (1 - (1 - p) ** k) for k in range(1, n + 1))


@pytest.mark.parametrize(("n_links", "efficiency"), [
    (1, 0.6), (2, 0.6),
    pytest.param(3, 0.8, marks=pytest.mark.slow), pytest.param(4, 0.5, marks=pytest.mark.slow)])
def test_first_delivery_waits_for_the_slowest_link(n_links, efficiency):
    # Deterministic swaps, no decoherence, one memory pair a link: the first end-to-end
    # pair needs every link once, so it comes after max_i K_i attempts (K_i geometric).
    period_ps = 10_000_000
    first = []
    trials = 300
    for seed in range(trials):
        data = chain_scenario(n_links, efficiency=efficiency, duration="1 ms", seed=seed)
        sim, record = _run(data)
        delivered = record.demands[0].arrays["delivered_ps"]
        assert delivered.size > 0
        first.append(delivered[0])
    model = sim.links[frozenset(("n0", "n1"))].model
    p = model.success_probability
    assert p == pytest.approx(efficiency**2 / 2 * 10 ** (-0.2 * 0.001 / 10), rel=1e-9)
    # After the last link's success come its herald (t_d) and the swap outcomes' flight to
    # the ends (at most n link delays): both nanoseconds over metres of fibre.
    t_d = model.timing.delivered_ps
    flight = n_links * sim.network.graph.edges["n0", "n1"]["delay_ps"]
    attempts = (np.array(first) - t_d) / period_ps + 1
    sigma = attempts.std(ddof=1) / np.sqrt(trials)
    expected = expected_max_geometric(n_links, p)
    assert abs(attempts.mean() - expected) < 5 * sigma + flight / period_ps
    assert np.all((np.array(first) - t_d) % period_ps <= flight)  # whole periods + flight


def test_werner_links_swap_to_the_closed_form():
    # Two Werner links, no memory decay: F = F1 F2 + (1-F1)(1-F2)/3 for every pair.
    raw = 0.97
    data = chain_scenario(2, raw_fidelity=raw, t2="1e9 s", duration="20 ms")
    sim, record = _run(data)
    link_f = sim.links[frozenset(("n0", "n1"))].model.heralded_fidelity
    fidelity = record.demands[0].arrays["fidelity"]
    assert fidelity.size > 50
    expected = link_f**2 + (1 - link_f) ** 2 / 3
    np.testing.assert_allclose(fidelity, expected, atol=1e-6)


def test_gate_noise_depolarises_the_swapped_pair():
    p = 0.1
    data = chain_scenario(2, t2="1e9 s", duration="20 ms", node_ops={"gate_error": p})
    _, record = _run(data)
    # perfect links: the swap's two-qubit depolarising leaves F = 1 - 3p/4
    np.testing.assert_allclose(record.demands[0].arrays["fidelity"], 1 - 3 * p / 4, atol=1e-9)


def test_two_segment_dephasing_matches_the_analytic_mean():
    # Perfect links, T2 dephasing. The earlier link's pair waits |K1 - K2| periods for the
    # other; all four qubits dephase, so F = (1 + exp(-sum of storage times / T2)) / 2 with
    # sum = 2 |D| T + constant. For iid geometric K: P(|D| = 0) = p/(2-p),
    # P(|D| = d) = 2 p (1-p)^d / (2-p), hence E[x^|D|] = p/(2-p) (1 + 2 q x / (1 - q x)).
    t2 = 100e-6
    data = chain_scenario(2, efficiency=0.6, t2=t2, duration="400 ms")
    sim, record = _run(data)
    model = sim.links[frozenset(("n0", "n1"))].model
    p, q = model.success_probability, 1 - model.success_probability
    period = model.timing.period_ps * 1e-12
    x = np.exp(-2 * period / t2)
    e_x = p / (2 - p) * (1 + 2 * q * x / (1 - q * x))
    # constant storage: each link pair is heralded t_d after its attempt, the outer qubits
    # wait for the swap outcome (one link delay) -- 4 t_d + 2 d in all.
    t_d = model.timing.delivered_ps * 1e-12
    d = sim.network.graph.edges["n0", "n1"]["delay_ps"] * 1e-12
    constant = np.exp(-(4 * t_d + 2 * d) / t2)
    expected = 0.5 + 0.5 * constant * e_x
    fidelity = record.demands[0].arrays["fidelity"]
    sigma = fidelity.std(ddof=1) / np.sqrt(fidelity.size)
    assert fidelity.size > 1000
    assert abs(fidelity.mean() - expected) < 5 * sigma


def test_detailed_and_fast_forward_chains_agree():
    counts = {}
    for mode in ("fast-forward", "detailed"):
        data = chain_scenario(3, efficiency=0.7, memories=2, t2="10 ms", duration="100 ms")
        data["mode"] = mode
        _, record = _run(data)
        counts[mode] = record.demands[0].arrays
    n_ff, n_dt = counts["fast-forward"]["fidelity"].size, counts["detailed"]["fidelity"].size
    assert abs(n_ff - n_dt) < 5 * np.sqrt(n_ff + n_dt)
    f_ff, f_dt = counts["fast-forward"]["fidelity"], counts["detailed"]["fidelity"]
    sigma = np.sqrt(f_ff.var() / f_ff.size + f_dt.var() / f_dt.size)
    assert abs(f_ff.mean() - f_dt.mean()) < 5 * sigma + 1e-12


def test_failed_swaps_lose_pairs_but_never_deliver_them():
    data = chain_scenario(3, memories=2, t2="1e9 s", duration="50 ms",
                          node_ops={"swap_success": 0.5})
    _, record = _run(data)
    counters = record.demands[0].counters
    delivered = record.demands[0].arrays["fidelity"].size
    assert counters.swap_failures > 0
    assert counters.lost > 0
    # an end-to-end pair of a 3-link chain passed 2 swaps: both succeed with 1/4
    share = delivered / (delivered + counters.lost)
    n = delivered + counters.lost
    assert abs(share - 0.25) < 5 * np.sqrt(0.25 * 0.75 / n)
    # perfect links and operations: every delivered pair is perfect
    np.testing.assert_allclose(record.demands[0].arrays["fidelity"], 1.0, atol=1e-9)


def test_conservation_of_link_pairs():
    data = chain_scenario(4, memories=2, efficiency=0.7, duration="30 ms")
    sim, record = _run(data)
    demand = record.demands[0]
    handed = [sim.network.schedulers[frozenset((f"n{i}", f"n{i + 1}"))].handed[0]
              for i in range(4)]
    successes = [link.successes for link in record.links]
    assert handed == successes
    delivered = demand.arrays["fidelity"].size
    # every delivered pair used one pair of each link; swaps made 3 per delivered pair
    assert min(handed) >= delivered
    assert demand.counters.swaps >= 3 * delivered
    assert demand.counters.swaps <= sum(handed) - len(handed)


def test_nested_swapping_delivers_and_joins_spans_in_order():
    data = chain_scenario(4, memories=2, efficiency=0.7, duration="30 ms",
                          policy={"swapping": "nested"})
    sim, record = _run(data)
    assert record.demands[0].arrays["fidelity"].size > 10
    protocol = sim.network.demands[0].protocol
    assert protocol._spans == {2: (0, 4), 1: (0, 2), 3: (2, 4)}


def test_cutoff_discards_old_qubits():
    t2 = 1e-3
    data = chain_scenario(2, efficiency=0.2, t2=t2, duration="200 ms",
                          policy={"cutoff": "50 us"})
    _, record = _run(data)
    demand = record.demands[0]
    assert demand.counters.discarded > 0
    # no qubit older than the cutoff is used: 4 qubits, each at most ~cutoff + messages
    fidelity = demand.arrays["fidelity"]
    assert fidelity.size > 0
    assert fidelity.min() >= 0.5 * (1 + np.exp(-4 * 51e-6 / t2)) - 1e-9


def test_same_seed_same_chain():
    a = _run(chain_scenario(3, memories=2, efficiency=0.7, duration="20 ms"))[1]
    b = _run(chain_scenario(3, memories=2, efficiency=0.7, duration="20 ms"))[1]
    np.testing.assert_array_equal(a.demands[0].arrays["delivered_ps"],
                                  b.demands[0].arrays["delivered_ps"])


def test_shared_links_serve_every_demand_and_never_double_book_memories():
    # Two demands over the same middle link of a 3-link chain (and a third on one link):
    # the scheduler shares the link's memory pairs; a double-booked memory would raise.
    data = chain_scenario(3, memories=4, efficiency=0.7, duration="50 ms", demands=[
        {"kind": "entanglement", "between": ["n0", "n3"]},
        {"kind": "entanglement", "between": ["n1", "n2"]},
        {"kind": "entanglement", "between": ["n1", "n3"]},
    ])
    sim, record = _run(data)
    for demand in record.demands:
        assert demand.arrays["fidelity"].size > 10
    middle = sim.network.schedulers[frozenset(("n1", "n2"))]
    assert middle.users == 3
    assert sum(middle.handed) == sim.links[frozenset(("n1", "n2"))].successes
    for node in sim.nodes.values():
        assert node.memories.occupancy(record.elapsed_ps, now_ps=record.elapsed_ps) <= 1.0


def test_a_demand_for_a_fixed_number_of_pairs_stops_the_run():
    data = chain_scenario(4, memories=2, efficiency=0.7, duration="10 s", demands=[
        {"kind": "entanglement", "between": ["n0", "n4"], "pairs": 5}])
    _, record = _run(data)
    assert record.demands[0].arrays["fidelity"].size == 5
    assert record.elapsed_ps < 10**12  # stopped long before the 10 s


def test_requests_at_a_rate_are_served_in_order():
    # Requests every microsecond, far faster than the link: every pair serves the oldest
    # request, so the queue grows and latency with it; nothing is lost from the books.
    data = chain_scenario(1, efficiency=0.6, duration="20 ms", demands=[
        {"kind": "entanglement", "between": ["n0", "n1"], "rate": "1 MHz"}])
    _, record = _run(data)
    demand = record.demands[0]
    delivered = demand.arrays["delivered_ps"].size
    latency = demand.arrays["latency_ps"]
    assert latency.size == delivered
    assert demand.counters.unserved_requests == 20_001 - delivered
    assert np.all(np.diff(latency) > -10_000_000)  # grows, up to one attempt of jitter
    assert latency[-1] > latency[0]


@pytest.mark.parametrize("policy", [{}, {"cutoff": "30 us"}, {"swapping": "nested"}])
def test_fixed_count_demands_finish_despite_failures_and_cutoffs(policy):
    # Links stop once the remaining pairs are covered, and restart when a pair dies:
    # failed swaps and cutoffs must never leave a demand waiting for ever.
    data = chain_scenario(4, memories=3, efficiency=0.5, duration="10 s", policy=policy,
                          node_ops={"swap_success": 0.7}, demands=[
                              {"kind": "entanglement", "between": ["n0", "n4"], "pairs": 30}])
    _, record = _run(data)
    assert record.demands[0].arrays["fidelity"].size == 30
    assert record.elapsed_ps < 10**13
