"""Single-pair channels: closed forms, and agreement of the two backends.

Closed forms used here (Nielsen & Chuang, *Quantum Computation and Quantum Information*,
§8.3): depolarising ``ρ → (1-p) ρ + p I/2`` of one qubit of a Werner pair of fidelity F
gives ``F' = (1-p) F + p/4``, because the replaced qubit leaves ``I/4`` (fidelity 1/4)
with probability p. Pure dephasing multiplies the coherence ``|00><11|`` of Φ+ by
``e^{-t/T2}`` per stored qubit, so ``F = (1 + e^{-t/T2})/2`` for one qubit and
``(1 + e^{-2t/T2})/2`` for both.
"""

import numpy as np
import pytest

from qinet.quantum import werner_weights
from qinet.quantum.states import amplitude_damping_twirl, memory_decay_twirl

FIDELITIES = np.array([1.0, 0.95, 0.8, 0.5, 0.25])


@pytest.mark.parametrize("qubit", [0, 1])
@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 1.0])
def test_depolarize_werner_closed_form(backend, qubit, p):
    states = backend.from_bell_weights(werner_weights(FIDELITIES))
    out = backend.depolarize(states, p, qubit=qubit)
    assert np.allclose(backend.fidelity(out), (1 - p) * FIDELITIES + p / 4, atol=1e-12)


@pytest.mark.parametrize("t_s", [0.0, 0.1, 1.0, 7.0])
def test_t2_dephasing_of_stored_phi_plus(backend, t_s):
    t2_s = 2.0
    phi_plus = backend.from_bell_weights([1.0, 0, 0, 0])
    one = backend.memory_decay(phi_plus, t_s, t1_s=np.inf, t2_s=t2_s, qubit=0)
    assert backend.fidelity(one)[0] == pytest.approx((1 + np.exp(-t_s / t2_s)) / 2, abs=1e-12)
    both = backend.memory_decay(one, t_s, t1_s=np.inf, t2_s=t2_s, qubit=1)
    assert backend.fidelity(both)[0] == pytest.approx((1 + np.exp(-2 * t_s / t2_s)) / 2,
                                                       abs=1e-12)


def test_memory_decay_per_pair_times(backend):
    waited = np.array([0.0, 0.5, 2.0])
    states = backend.from_bell_weights(np.tile([1.0, 0, 0, 0], (3, 1)))
    out = backend.memory_decay(states, waited, t1_s=np.inf, t2_s=1.0, qubit=1)
    assert np.allclose(backend.fidelity(out), (1 + np.exp(-waited)) / 2, atol=1e-12)


def test_exact_memory_decay_has_t1_populations_and_t2_coherence(dm):
    """Start qubit 0 in |1><1| ⊗ ... : excited population decays as e^{-t/T1}."""
    t1_s, t2_s, t_s = 1.0, 0.7, 0.4
    excited = dm.from_density_matrix(np.diag([0.0, 0.0, 1.0, 0.0]), 1)  # |10>
    out = dm.memory_decay(excited, t_s, t1_s=t1_s, t2_s=t2_s, qubit=0)
    assert out[0, 2, 2].real == pytest.approx(np.exp(-t_s / t1_s), abs=1e-12)
    phi_plus = dm.from_bell_weights([1.0, 0, 0, 0])
    out = dm.memory_decay(phi_plus, t_s, t1_s=t1_s, t2_s=t2_s, qubit=0)
    assert 2 * abs(out[0, 0, 3]) == pytest.approx(np.exp(-t_s / t2_s), abs=1e-12)


def test_twirl_probabilities_are_distributions():
    gammas = np.linspace(0, 1, 11)
    for probs in (amplitude_damping_twirl(gammas),
                  memory_decay_twirl(np.linspace(0, 5, 11), 1.0, 2.0),
                  memory_decay_twirl(np.linspace(0, 5, 11), 1.0, 0.3)):
        assert (probs >= 0).all()
        assert np.allclose(probs.sum(axis=1), 1.0)


def test_memory_decay_at_t2_equal_2t1_is_amplitude_damping_twirl():
    t_s = np.array([0.3, 1.0])
    gamma = 1 - np.exp(-t_s / 1.5)
    assert np.allclose(memory_decay_twirl(t_s, 1.5, 3.0), amplitude_damping_twirl(gamma),
                       atol=1e-12)


@pytest.mark.parametrize("qubit", [0, 1])
def test_backends_agree_on_pauli_channels(bd, dm, random_weights, rng, qubit):
    probs = rng.dirichlet(np.ones(4), size=len(random_weights))
    exact = dm.apply_pauli_channel(dm.from_bell_weights(random_weights), probs, qubit)
    fast = bd.apply_pauli_channel(bd.from_bell_weights(random_weights), probs, qubit)
    assert np.allclose(dm.bell_weights(exact), bd.bell_weights(fast), atol=1e-12)
    one_row = probs[0]
    exact = dm.apply_pauli_channel(dm.from_bell_weights(random_weights), one_row, qubit)
    fast = bd.apply_pauli_channel(bd.from_bell_weights(random_weights), one_row, qubit)
    assert np.allclose(dm.bell_weights(exact), bd.bell_weights(fast), atol=1e-12)


@pytest.mark.parametrize("qubit", [0, 1])
@pytest.mark.parametrize("method", ["depolarize", "dephase", "amplitude_damp"])
def test_backends_agree_on_named_channels(bd, dm, random_weights, rng, method, qubit):
    """Amplitude damping is exact in dm and twirled in bd: the Bell weights still agree,
    because the bilateral twirl P ⊗ P* leaves every Bell state unchanged."""
    p = rng.random(len(random_weights))
    exact = getattr(dm, method)(dm.from_bell_weights(random_weights), p, qubit)
    fast = getattr(bd, method)(bd.from_bell_weights(random_weights), p, qubit)
    assert np.allclose(dm.bell_weights(exact), bd.bell_weights(fast), atol=1e-12)


@pytest.mark.parametrize(("t1_s", "t2_s"), [(1.0, 0.5), (1.0, 2.0), (np.inf, 0.3), (0.2, 0.1)])
def test_backends_agree_on_memory_decay(bd, dm, random_weights, rng, t1_s, t2_s):
    waited = rng.exponential(0.5, size=len(random_weights))
    exact = dm.memory_decay(dm.from_bell_weights(random_weights), waited, t1_s=t1_s,
                            t2_s=t2_s, qubit=0)
    fast = bd.memory_decay(bd.from_bell_weights(random_weights), waited, t1_s=t1_s,
                           t2_s=t2_s, qubit=0)
    assert np.allclose(dm.bell_weights(exact), bd.bell_weights(fast), atol=1e-12)


def test_exact_amplitude_damping_is_not_bell_diagonal(dm):
    """The exact channel leaves off-diagonal Bell terms that the twirl removes."""
    out = dm.amplitude_damp(dm.from_bell_weights([1.0, 0, 0, 0]), 0.5, qubit=0)
    kept = dm.from_bell_weights(dm.bell_weights(out))
    assert not np.allclose(out, kept)
    # ... yet Φ+ fidelity is the closed form ((1 + √(1-γ))/2)².
    assert dm.fidelity(out)[0] == pytest.approx(((1 + np.sqrt(0.5)) / 2) ** 2, abs=1e-12)


@pytest.mark.parametrize("qubit", [0, 1])
def test_pauli_correct_matches_between_backends(bd, dm, random_weights, rng, qubit):
    paulis = rng.integers(0, 4, size=len(random_weights))
    exact = dm.pauli_correct(dm.from_bell_weights(random_weights), paulis, qubit)
    fast = bd.pauli_correct(bd.from_bell_weights(random_weights), paulis, qubit)
    assert np.allclose(dm.bell_weights(exact), bd.bell_weights(fast), atol=1e-12)


def test_pauli_correct_undoes_known_error(backend):
    """Bell state k is (I ⊗ P_k)|Φ+>, so P_k on qubit 1 brings every one back to Φ+."""
    states = backend.from_bell_weights(np.eye(4))
    out = backend.pauli_correct(states, np.arange(4), qubit=1)
    assert np.allclose(backend.fidelity(out), 1.0)


def test_pauli_on_either_qubit_acts_alike_on_bell_states(dm):
    """(P ⊗ I)|Φ+> = ±(I ⊗ P)|Φ+>: the justification for qubit-blind Bell-diagonal noise."""
    states = dm.from_bell_weights(np.eye(4))
    for k in range(4):
        on_0 = dm.pauli_correct(states, k, qubit=0)
        on_1 = dm.pauli_correct(states, k, qubit=1)
        assert np.allclose(on_0, on_1, atol=1e-12)


@pytest.mark.parametrize(("qubit", "flipped"), [(0, 2), (1, 1)])
def test_exact_operations_act_on_the_named_qubit(dm, qubit, flipped):
    """X on qubit 0 of |00> gives |10> (index 2), on qubit 1 gives |01> (index 1)."""
    ground = dm.from_density_matrix(np.diag([1.0, 0, 0, 0]), 1)
    corrected = dm.pauli_correct(ground, 1, qubit=qubit)
    assert corrected[0, flipped, flipped].real == pytest.approx(1.0)
    mixed = dm.apply_pauli_channel(ground, [0.75, 0.25, 0, 0], qubit)
    assert mixed[0, flipped, flipped].real == pytest.approx(0.25)
    depolarized = dm.depolarize(ground, 1.0, qubit=qubit)
    assert depolarized[0, flipped, flipped].real == pytest.approx(0.5)
