"""Teleportation over network pairs against its closed forms."""

import numpy as np
import pytest

from qinet.apps.teleport import haar_states, preparation, run_teleportation

from .conftest import chain_network


def _teleport(sim, count, seed=3, **options):
    return run_teleportation(sim.network, "n0", f"n{len(sim.nodes) - 1}",
                             rng=sim.rng.child(f"apps/{seed}"), count=count, **options)


def test_perfect_pairs_teleport_exactly():
    # perfect links, memories that keep for 1e9 s: every state arrives intact
    sim = chain_network(1, t2="1e9 s")
    result = _teleport(sim, 200)
    assert result.teleports == result.pairs_used == 200
    assert result.fidelity_mean == pytest.approx(1.0, abs=1e-12)
    assert result.fidelity_estimate == 1.0  # every check measurement finds the input
    # the correction lands one fibre delay after the Bell measurement
    delay_s = sim.network.graph.edges["n0", "n1"]["delay_ps"] * 1e-12
    assert result.latency_mean_s == pytest.approx(delay_s, rel=1e-12)


@pytest.mark.parametrize(("n_links", "raw"), [(1, 0.95), (3, 0.98)])
def test_werner_pairs_give_two_f_plus_one_over_three(n_links, raw):
    # Werner pairs of fidelity F (depolarised memories, swapped Werner pairs stay Werner)
    # make teleportation a depolarising channel: (2F + 1)/3 for every input (Horodecki
    # et al. 1999). The simulator's reading is then the same for every Haar-random
    # input (its spread is rounding); the check measurements estimate it with a
    # binomial error, held at 5 sigma of n = 4000.
    sim = chain_network(n_links, raw_fidelity=raw, t2="1e9 s")
    result = _teleport(sim, 4000)
    expected = (2 * result.pair_fidelity_mean + 1) / 3
    assert result.pair_fidelity_mean < raw  # really noisy pairs
    assert result.fidelity_mean == pytest.approx(expected, abs=1e-9)
    assert result.fidelity_std < 1e-9
    sigma = np.sqrt(expected * (1 - expected) / result.teleports)
    assert abs(result.fidelity_estimate - expected) < 5 * sigma


def test_dephasing_during_the_bits_flight_follows_the_dephased_pair():
    # Perfect links, T2 memories (T1 infinite): the pairs are dephased, Bell-diagonal
    # on Phi+ / Phi-, so the mean of their Phi+ weights is their mean fidelity w. Bob's
    # half dephases for the bits' flight t: p = (1 - e^{-t/T2})/2 turns the weight into
    # F = w (1 - p) + (1 - w) p, and the Haar average is (2F + 1)/3. A Z channel's
    # fidelity depends on the input, so the mean over n inputs is held at 5 standard
    # errors of the sample.
    t2 = 20e-6
    sim = chain_network(1, t2=t2, length_km=2.0)
    result = _teleport(sim, 4000)
    flight_s = result.latency_mean_s
    assert flight_s == pytest.approx(sim.network.graph.edges["n0", "n1"]["delay_ps"] * 1e-12)
    p = (1 - np.exp(-flight_s / t2)) / 2
    w = result.pair_fidelity_mean
    expected = (2 * (w * (1 - p) + (1 - w) * p) + 1) / 3
    assert expected < (2 * w + 1) / 3 - 0.02  # the flight costs fidelity
    sem = result.fidelity_std / np.sqrt(result.teleports)
    assert abs(result.fidelity_mean - expected) < 5 * sem


def test_haar_states_have_the_haar_moments():
    # For Haar-random qubit states, |<0|psi>|^2 is uniform on [0, 1]: mean 1/2,
    # variance 1/12; 5 sigma of n = 20000 on the mean
    states = haar_states(20000, np.random.default_rng(5))
    x = np.abs(states[:, 0]) ** 2
    assert abs(x.mean() - 0.5) < 5 * np.sqrt(1 / 12 / x.size)
    assert x.var() == pytest.approx(1 / 12, rel=0.05)
    u = preparation(states[0])
    np.testing.assert_allclose(u @ [1, 0], states[0], atol=1e-12)
    np.testing.assert_allclose(u.conj().T @ u, np.eye(2), atol=1e-12)


def test_teleportation_is_reproducible():
    # same seed, same result; another seed draws other inputs (Haar states differ with
    # probability 1, so the mean fidelity of a dephasing channel differs)
    one = _teleport(chain_network(1, raw_fidelity=0.9, t2="1 ms"), 300, seed=8)
    two = _teleport(chain_network(1, raw_fidelity=0.9, t2="1 ms"), 300, seed=8)
    three = _teleport(chain_network(1, raw_fidelity=0.9, t2="1 ms"), 300, seed=9)
    assert one == two
    assert one.fidelity_mean != three.fidelity_mean


def test_a_noisy_cnot_leaves_bob_half_mixed():
    # two-qubit depolarising p after Alice's CNOT replaces her two qubits by I/4 with
    # probability p; Bob's half is then I/2 whatever he does: F = 1 - p/2, every input
    p = 0.1
    result = _teleport(chain_network(1, t2="1e9 s", node_ops={"gate_error": p}), 300)
    assert result.fidelity_mean == pytest.approx(1 - p / 2, abs=1e-12)
    assert result.fidelity_std < 1e-12


def test_read_out_errors_are_pauli_errors_on_the_output():
    # Alice's bits flip with probability q each: m1 wrong is a Z on the output, m2 wrong
    # an X, both a Y. The Haar average of a Pauli channel with error weight e is
    # 1 - 2e/3, here e = 2q - q^2. Held at 5 standard errors of 4000 teleports. Bob's
    # check measurement flips too, which the simulator's reading does not see.
    q = 0.05
    result = _teleport(chain_network(1, t2="1e9 s", node_ops={"measurement_error": q}), 4000)
    expected = 1 - 2 * (2 * q - q * q) / 3
    sem = result.fidelity_std / np.sqrt(result.teleports)
    assert abs(result.fidelity_mean - expected) < 5 * sem
    assert result.fidelity_estimate < result.fidelity_mean
