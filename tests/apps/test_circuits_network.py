"""Distributed circuits on the pairs of a simulated network: the circuit sees the
delivered fidelity, and its result follows the closed form at that fidelity (exact,
1e-12, on density matrices)."""

import pytest

from qinet.apps.circuits_network import run_distributed_on_network
from qinet.rng import RngTree

from .conftest import chain_network
from .test_circuits import GHZ_QASM2, GROVER_QASM3


@pytest.mark.parametrize("raw", [1.0, 0.9])
def test_grover_on_delivered_pairs_follows_the_werner_closed_form(raw):
    sim = chain_network(1, raw_fidelity=raw, t2="1e9 s")
    run = run_distributed_on_network(GROVER_QASM3, ["n0", "n1"], sim.network,
                                     rng=RngTree(3), backend="density-matrix")
    ((a, b, f),) = run.link_fidelities
    assert (a, b) == ("n0", "n1")
    # the double-click link depolarises each end to its memory's raw fidelity, so the
    # Werner parameters (4 raw - 1)/3 of the two ends multiply; T2 = 1e9 s keeps it
    assert f == pytest.approx(0.25 + 0.75 * ((4 * raw - 1) / 3) ** 2, abs=1e-6)
    assert run.pairs_delivered == run.result.pairs_used == 2
    assert run.network_time_s > 0
    assert run.result.outcome_probabilities[3] == pytest.approx(f**2 + (1 - f) ** 2 / 3,
                                                                 abs=1e-12)


def test_a_local_circuit_needs_no_network_run():
    sim = chain_network(1)
    run = run_distributed_on_network(GHZ_QASM2, ["n0"] * 4, sim.network, rng=RngTree(1))
    assert (run.pairs_delivered, run.link_fidelities, run.result.fidelity) == (0, (), 1.0)
