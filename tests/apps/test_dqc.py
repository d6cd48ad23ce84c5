"""Two-module Grover search and GHZ state with teleported gates, against the local
circuits (perfect pairs) and the closed-form noise model (Werner pairs), exactly on the
density-matrix backend."""

import numpy as np
import pytest

from qinet.apps.dqc import (
    grover_success_probability,
    run_two_module,
    teleported_gate_weights,
    two_module_ghz_fidelity,
)
from qinet.errors import ConfigError
from qinet.quantum.circuit import Circuit
from qinet.quantum.register import DensityMatrixSimulator
from qinet.rng import RngTree

from .conftest import chain_network


def _local_grover(marked):
    circuit = Circuit(2).append("h", 0).append("h", 1)
    flips = [q for q in (0, 1) if not marked[q]]
    for q in flips:
        circuit.append("x", q)
    circuit.append("cz", 0, 1)
    for q in flips:
        circuit.append("x", q)
    for name in ("h", "x"):
        circuit.append(name, 0).append(name, 1)
    circuit.append("cz", 0, 1)
    for name in ("x", "h"):
        circuit.append(name, 0).append(name, 1)
    return DensityMatrixSimulator().state(circuit)


def _local_ghz(k):
    circuit = Circuit(2 * k).append("h", 0)
    for q in range(1, 2 * k):
        circuit.append("cx", 0, q)
    return DensityMatrixSimulator().state(circuit)


@pytest.mark.parametrize("marked", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_grover_over_perfect_pairs_is_the_local_circuit(marked):
    sim = chain_network(1, t2="1e9 s")
    result = run_two_module(sim.network, "n0", "n1", circuit="grover", rounds=4,
                            marked=marked, rng=RngTree(2))
    local = _local_grover(marked)
    assert (result.rounds, result.pairs_used) == (4, 8)
    for state in result.states:
        np.testing.assert_allclose(state, local, atol=1e-9)
    assert result.reading_mean == pytest.approx(1.0, abs=1e-9)
    assert result.success_rate == 1.0


@pytest.mark.parametrize("k", [1, 2, 3])
def test_two_module_ghz_over_perfect_pairs_is_the_local_state(k):
    sim = chain_network(1, t2="1e9 s")
    result = run_two_module(sim.network, "n0", "n1", circuit="ghz", rounds=3,
                            qubits_per_module=k, rng=RngTree(3))
    for state in result.states:
        np.testing.assert_allclose(state, _local_ghz(k), atol=1e-9)
    assert result.success_rate == 1.0


@pytest.mark.parametrize("fidelity", [0.95, 0.8, 0.6])
@pytest.mark.parametrize("marked", [(1, 1), (0, 1)])
def test_grover_over_werner_pairs_follows_the_closed_form_exactly(fidelity, marked):
    # every round, whatever its teleportation outcomes, has P = F^2 + (1 - F)^2 / 3
    sim = chain_network(1, raw_fidelity=fidelity, t2="1e9 s")
    result = run_two_module(sim.network, "n0", "n1", circuit="grover", rounds=8,
                            marked=marked, rng=RngTree(4))
    f = result.pair_fidelity_mean
    # each memory's raw state is Werner: the pair is their composition, Werner too
    assert f == pytest.approx(0.25 + 0.75 * ((4 * fidelity - 1) / 3) ** 2, abs=1e-6)
    expected = f**2 + (1 - f) ** 2 / 3
    assert expected == pytest.approx(grover_success_probability(f))
    assert result.reading_mean == pytest.approx(expected, abs=1e-6)
    assert result.reading_std < 1e-6


def test_grover_success_rate_matches_the_closed_form_within_sampling():
    # the read-outs: a binomial of n rounds at 5 sigma
    n, fidelity = 400, 0.85
    sim = chain_network(1, raw_fidelity=fidelity, t2="1e9 s")
    result = run_two_module(sim.network, "n0", "n1", circuit="grover", rounds=n,
                            rng=RngTree(5))
    p = grover_success_probability(result.pair_fidelity_mean)
    assert result.rounds == n
    assert abs(result.success_rate - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_grover_closed_form_takes_each_pairs_bell_weights():
    # the errors that undo each other: Z_c then Z_t (w_Z w'_X), Z_t then Z_c, Y with Y
    w, v = np.array([0.7, 0.1, 0.05, 0.15]), np.array([0.6, 0.2, 0.12, 0.08])
    assert grover_success_probability(w, v) == pytest.approx(
        0.7 * 0.6 + 0.15 * 0.2 + 0.1 * 0.08 + 0.05 * 0.12)
    with pytest.raises(ConfigError, match="first"):
        grover_success_probability([0.5, 0.5, 0.5, 0.5])


@pytest.mark.parametrize("fidelity", [0.9, 0.7])
def test_two_module_ghz_fidelity_is_the_pairs_exactly(fidelity):
    sim = chain_network(1, raw_fidelity=fidelity, t2="1e9 s")
    result = run_two_module(sim.network, "n0", "n1", circuit="ghz", rounds=6,
                            rng=RngTree(6))
    f = result.pair_fidelity_mean
    assert result.reading_mean == pytest.approx(two_module_ghz_fidelity(f), abs=1e-6)
    assert result.reading_std < 1e-6


def test_grover_on_the_stabilizer_backend_matches_the_closed_form_in_the_mean():
    # one trajectory per round: readings are 0 or 1; 5 sigma of n
    n, fidelity = 600, 0.8
    sim = chain_network(1, raw_fidelity=fidelity, t2="1e9 s")
    result = run_two_module(sim.network, "n0", "n1", circuit="grover", rounds=n,
                            rng=RngTree(7), backend="stabilizer")
    p = grover_success_probability(result.pair_fidelity_mean)
    assert abs(result.reading_mean - p) < 5 * np.sqrt(p * (1 - p) / n)
    assert result.states == ()


def test_bad_circuits_are_named():
    sim = chain_network(1)
    with pytest.raises(ConfigError, match="circuit"):
        run_two_module(sim.network, "n0", "n1", circuit="shor", rounds=1, rng=RngTree(1))
    with pytest.raises(ConfigError, match="marked"):
        run_two_module(sim.network, "n0", "n1", circuit="grover", rounds=1, marked=(2, 0),
                       rng=RngTree(1))


def test_grover_with_readout_errors_follows_the_composed_channel():
    # each node's read-out flips its teleportation bit with probability e: the
    # teleported CZ's channel is the pair's composed with Z_t (e) and Z_c (e). The flips
    # are drawn per round (the reading is exact given them): 5 standard errors of n
    e, fidelity, n = 0.05, 0.9, 1500
    sim = chain_network(1, raw_fidelity=fidelity, t2="1e9 s",
                        node_ops={"measurement_error": e})
    result = run_two_module(sim.network, "n0", "n1", circuit="grover", rounds=n,
                            rng=RngTree(8))
    w = teleported_gate_weights(result.pair_fidelity_mean, control_readout_error=e,
                                target_readout_error=e)
    expected = grover_success_probability(w)
    assert abs(result.reading_mean - expected) < 5 * result.reading_std / np.sqrt(n)
    assert expected < grover_success_probability(result.pair_fidelity_mean) - 0.05
    assert sum(w) == pytest.approx(1.0)
