"""Purification on links, end to end: the recurrence's closed form and its odds."""

import numpy as np
import pytest

from qinet.quantum import make_backend
from qinet.scenario import Simulation, load_scenario

from .conftest import chain_scenario


def _bbpssw(f):
    # Bennett et al., PRL 76, 722 (1996): Werner inputs.
    q = (1 - f) / 3
    n = f**2 + 2 * f * q + 5 * q**2
    return n, (f**2 + q**2) / n


@pytest.mark.parametrize("scheme", ["bbpssw", "dejmps"])
def test_one_round_on_a_link_gives_the_recurrence(scheme):
    raw = 0.92
    data = chain_scenario(1, raw_fidelity=raw, t2="1e9 s", duration="50 ms", memories=4,
                          policy={"purification": {"scheme": scheme, "rounds": 1}})
    sim = Simulation(load_scenario(data))
    record = sim.run()
    link_f = sim.links[frozenset(("n0", "n1"))].model.heralded_fidelity
    p_success, purified = _bbpssw(link_f)  # one DEJMPS round on Werner input equals BBPSSW
    demand = record.demands[0]
    fidelity = demand.arrays["fidelity"]
    assert fidelity.size > 100
    np.testing.assert_allclose(fidelity, purified, atol=1e-9)
    tried = demand.counters.purifications
    failed = demand.counters.purification_failures
    assert abs((tried - failed) / tried - p_success) < 5 * np.sqrt(
        p_success * (1 - p_success) / tried)


def test_two_rounds_of_dejmps_beat_one():
    results = {}
    for rounds in (1, 2):
        data = chain_scenario(1, raw_fidelity=0.9, t2="1e9 s", duration="50 ms", memories=4,
                              policy={"purification": {"scheme": "dejmps", "rounds": rounds}})
        results[rounds] = Simulation(load_scenario(data)).run().demands[0].arrays["fidelity"]
    assert results[2].mean() > results[1].mean()
    assert results[2].size < results[1].size  # each second-round pair costs four link pairs


def test_pumping_purifies_the_kept_pair_with_fresh_ones():
    # Pumping twice: kept = purify(purify(fresh, fresh), fresh), each step as the backend
    # computes it (the recurrence itself is tested in tests/quantum).
    data = chain_scenario(1, raw_fidelity=0.9, t2="1e9 s", duration="50 ms", memories=4,
                          policy={"purification": {"scheme": "dejmps", "rounds": 2,
                                                   "pumping": True}})
    sim = Simulation(load_scenario(data))
    fidelity = sim.run().demands[0].arrays["fidelity"]
    backend = make_backend("bell-diagonal")
    fresh = backend.from_density_matrix(
        sim.links[frozenset(("n0", "n1"))].model.heralded_state, 1)
    _, once = backend.purify(fresh, fresh, scheme="dejmps")
    _, twice = backend.purify(once, fresh, scheme="dejmps")
    assert fidelity.size > 10
    np.testing.assert_allclose(fidelity, backend.fidelity(twice)[0], atol=1e-9)


def test_purified_chain_delivers_better_pairs():
    plain = chain_scenario(2, raw_fidelity=0.9, t2="1e9 s", duration="50 ms", memories=4)
    purified = chain_scenario(2, raw_fidelity=0.9, t2="1e9 s", duration="50 ms", memories=4,
                              policy={"purification": {"scheme": "dejmps", "rounds": 1}})
    f_plain = Simulation(load_scenario(plain)).run().demands[0].arrays["fidelity"]
    f_pur = Simulation(load_scenario(purified)).run().demands[0].arrays["fidelity"]
    assert f_pur.mean() > f_plain.mean() + 0.02
