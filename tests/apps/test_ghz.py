"""GHZ states fused from Bell pairs: the closed form against exact density matrices
(1e-12) and against stim's samples (5 standard errors of a binomial at the closed-form
fidelity, ``5 sqrt(F(1-F)/shots)``)."""

import math

import numpy as np
import pytest

from qinet.apps.ghz import ghz_fidelity_closed_form, ghz_fusion, simulate_ghz, tree_edges
from qinet.errors import ConfigError

TREES = ["star", "chain", [(0, 1), (1, 2), (1, 3), (0, 4)], [(0, 2), (2, 1), (2, 3), (3, 4)]]


def _cases():
    """(k, topology) for k = 2, 3, 5: the named trees at every k, and each explicit tree
    cut to its first k - 1 edges where those join nodes 0..k-1 only."""
    for k in (2, 3, 5):
        for topology in TREES:
            if isinstance(topology, str):
                yield k, topology
            elif max(v for edge in topology[: k - 1] for v in edge) < k:
                yield k, topology[: k - 1]


@pytest.mark.parametrize(("k", "topology"), list(_cases()), ids=str)
def test_closed_form_is_the_exact_fidelity_for_bell_diagonal_pairs(k, topology):
    weights = np.random.default_rng(k).dirichlet([8, 1, 1, 1], size=k - 1)
    exact = simulate_ghz(k, topology=topology, pair_weights=weights, backend="density-matrix")
    assert exact.shots == 0
    assert exact.fidelity == pytest.approx(exact.fidelity_closed_form, abs=1e-12)


def test_werner_pairs_give_the_werner_closed_form():
    for f in (0.6, 0.9, 0.99):
        for k in (2, 3, 10):
            werner = ((2 * f + 1) / 3) ** (k - 1) / 2 + ((4 * f - 1) / 3) ** (k - 1) / 2
            assert ghz_fidelity_closed_form(k, pair_fidelity=f) == pytest.approx(werner)
    assert ghz_fidelity_closed_form(2, pair_fidelity=0.8) == pytest.approx(0.8)
    # only X components (Ψ±) break the state; Z components (Φ-) pair up: two Φ- pairs give
    # Z⊗Z on two leaves, a stabilizer
    assert ghz_fidelity_closed_form(3, pair_weights=[0, 0, 0, 1]) == 1.0
    assert ghz_fidelity_closed_form(3, pair_weights=[[1, 0, 0, 0], [0, 1, 0, 0]]) == 0.0


@pytest.mark.parametrize(("k", "topology"), [(8, "star"), (8, "chain"), (60, "star"),
                                             (60, "chain")])
def test_stim_samples_match_the_closed_form(k, topology):
    shots = 20_000
    result = simulate_ghz(k, topology=topology, pair_fidelity=0.995, shots=shots,
                          rng=np.random.default_rng(k))
    f = result.fidelity_closed_form
    assert result.backend == "stabilizer"
    assert result.shots == shots
    assert abs(result.fidelity - f) <= 5 * math.sqrt(f * (1 - f) / shots)


def test_perfect_pairs_give_an_exact_ghz_state_over_a_thousand_nodes():
    for topology in ("star", "chain"):
        result = simulate_ghz(1000, topology=topology, pair_fidelity=1.0)
        assert (result.fidelity, result.fidelity_std_error, result.shots) == (1.0, 0.0, 0)
        assert result.pairs_used == 999


def test_the_stabilizer_generators_give_the_same_fidelity():
    """P(all GHZ generators +1) is the fidelity the undo check of simulate_ghz measures."""
    from qinet.quantum.register import DensityMatrixSimulator

    weights = np.random.default_rng(3).dirichlet([8, 1, 1, 1], size=3)
    fusion = ghz_fusion(4, topology="chain", pair_weights=weights)
    by_generators = DensityMatrixSimulator().projector_probability(
        fusion.circuit, fusion.stabilizer_generators()).value
    assert by_generators == pytest.approx(
        ghz_fidelity_closed_form(4, pair_weights=weights), abs=1e-12)


def test_the_fusion_circuit_uses_one_pair_per_edge_and_one_qubit_per_node():
    fusion = ghz_fusion(4, topology="chain", pair_fidelity=1.0)
    assert fusion.pairs_used == 3
    assert fusion.circuit.n_qubits == 6
    assert fusion.ghz_qubits == (0, 1, 3, 5)  # root keeps its first edge's end
    assert [op.name for op in fusion.circuit].count("m") == 2  # one per fused pair


def test_bad_input_names_its_field():
    with pytest.raises(ConfigError, match="n_nodes: a GHZ state needs at least 2 nodes"):
        simulate_ghz(1, pair_fidelity=0.9)
    with pytest.raises(ConfigError, match="topology: unknown topology 'ring'"):
        tree_edges(4, "ring")
    with pytest.raises(ConfigError, match=r"topology: edge \(2, 3\)"):
        tree_edges(4, [(0, 1), (2, 3), (1, 2)])
    with pytest.raises(ConfigError, match="topology: the edges reach 3 of 4 nodes"):
        tree_edges(4, [(0, 1), (1, 2)])
    with pytest.raises(ConfigError, match="pair_weights: give exactly one"):
        simulate_ghz(3)
    with pytest.raises(ConfigError, match="pair_weights: need one row"):
        simulate_ghz(3, pair_weights=[[1, 0, 0, 0]] * 3)
