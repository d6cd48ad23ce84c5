"""Non-local CNOT and CZ (Eisert et al. 2000) against the local gates and their noise model."""

import numpy as np
import pytest

from qinet.apps.nonlocal_gates import choi_vector, run_nonlocal_gate
from qinet.apps.register import GATES
from qinet.errors import ConfigError

from .conftest import chain_network


def _gates(gate, inputs, rounds, *, raw=1.0, t2="1e9 s", n_links=1, seed=2):
    sim = chain_network(n_links, raw_fidelity=raw, t2=t2)
    return run_nonlocal_gate(sim.network, "n0", f"n{n_links}", gate=gate, rounds=rounds,
                             rng=sim.rng.child(f"apps/{seed}"), inputs=inputs)


@pytest.mark.parametrize("gate", ["cnot", "cz"])
@pytest.mark.parametrize("inputs", ["choi", "basis", "haar"])
def test_perfect_pairs_make_the_local_gate(gate, inputs):
    # perfect pairs: the output equals the local gate's exactly, whatever the outcomes
    # (40 rounds visit all four outcome pairs (m1, m2), each with probability 1/4); with
    # choi inputs the fidelity is the process fidelity
    result = _gates(gate, inputs, 40)
    assert result.gates == 40
    assert result.fidelity_mean == pytest.approx(1.0, abs=1e-12)
    assert result.fidelity_std < 1e-12
    if inputs == "choi":
        assert result.average_gate_fidelity == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("gate", "n_links"), [("cnot", 1), ("cz", 1), ("cnot", 2)])
def test_werner_pairs_give_process_fidelity_f(gate, n_links):
    # a Werner pair of fidelity F (one link, or two swapped: Werner pairs swap into
    # Werner pairs): the gate is followed by a Pauli channel whose identity weight is F,
    # so the process fidelity is F in every round (exact, the register keeps mixed
    # states) and the average gate fidelity (4F + 1)/5
    result = _gates(gate, "choi", 30, raw=0.95, n_links=n_links)
    f = result.pair_fidelity_mean
    assert f < 0.95
    assert result.fidelity_mean == pytest.approx(f, abs=1e-12)
    assert result.average_gate_fidelity == pytest.approx((4 * f + 1) / 5, abs=1e-12)


@pytest.mark.parametrize(("gate", "kept"), [("cnot", lambda f: 1 - 2 * (1 - f) / 3),
                                            ("cz", lambda f: 1.0)])
def test_basis_inputs_see_only_the_x_errors(gate, kept):
    # on |ij> the Z errors are phases; a Werner pair's X_t and Z_c X_t errors (weight
    # 2(1 - F)/3) flip the CNOT's target, while the CZ has no X error at all
    result = _gates(gate, "basis", 32, raw=0.95)
    assert result.fidelity_mean == pytest.approx(kept(result.pair_fidelity_mean), abs=1e-12)
    assert result.fidelity_std < 1e-12


@pytest.mark.parametrize("gate", ["cnot", "cz"])
def test_haar_product_inputs_follow_the_pauli_channel(gate):
    # The three errors E (each (1-F)/3) conjugate through the gate to themselves, and on
    # a Haar product input E[<P>^2] = 1/3 per single-qubit Pauli, so the mean fidelity
    # is F + (1 - F)/3 (1/3 + 1/3 + 1/9). Held at 5 standard errors of 600 rounds.
    result = _gates(gate, "haar", 600, raw=0.95)
    f = result.pair_fidelity_mean
    expected = f + (1 - f) / 3 * (1 / 3 + 1 / 3 + 1 / 9)
    assert abs(result.fidelity_mean - expected) < 5 * result.fidelity_std / np.sqrt(600)


def test_the_gate_completes_after_a_round_trip_of_bits():
    # Alice's bit goes out when the pair arrives, Bob's comes back: the gate is done two
    # fibre delays after the pair's delivery (local operations take no time)
    sim = chain_network(1, t2="1e9 s", length_km=3.0, attempt_period="50 us")
    result = run_nonlocal_gate(sim.network, "n0", "n1", gate="cz", rounds=5,
                               rng=sim.rng.child("apps"))
    delay_s = sim.network.graph.edges["n0", "n1"]["delay_ps"] * 1e-12
    assert result.latency_mean_s == pytest.approx(2 * delay_s, rel=1e-12)


def test_choi_vector_is_the_gates_choi_state():
    # <Choi(G)|Choi(H)> = |Tr(G^dag H)|/4: the CNOT and CZ Choi states overlap by
    # |Tr(CNOT CZ)|/4 = 1/2
    a, b = choi_vector(GATES["cnot"]), choi_vector(GATES["cz"])
    assert abs(np.vdot(a, b)) == pytest.approx(0.5)
    assert abs(np.vdot(a, a)) == pytest.approx(1.0)


def test_bad_gate_is_named():
    sim = chain_network(1)
    with pytest.raises(ConfigError, match="gate"):
        run_nonlocal_gate(sim.network, "n0", "n1", gate="swap", rounds=1,
                          rng=sim.rng.child("apps"))
