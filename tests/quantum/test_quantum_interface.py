"""Both backends implement QuantumBackend, build and slice batches alike, and refuse
bad input with the errors of qinet.errors."""

import numpy as np
import pytest

from qinet.errors import BackendError, ConfigError
from qinet.quantum import (
    BELL_LABELS,
    BELL_STATE_VECTORS,
    PAULI_LABELS,
    PAULI_MATRICES,
    BellDiagonalBackend,
    DensityMatrixBackend,
    QuantumBackend,
    make_backend,
    werner_weights,
)
from qinet.quantum.states import PAULI_XOR


def test_backends_satisfy_protocol(backend):
    assert isinstance(backend, QuantumBackend)


@pytest.mark.parametrize(
    ("name", "cls"),
    [("bell-diagonal", BellDiagonalBackend), ("density-matrix", DensityMatrixBackend)],
)
def test_make_backend(name, cls):
    backend = make_backend(name)
    assert isinstance(backend, cls)
    assert backend.name == name


def test_make_backend_unknown_name():
    with pytest.raises(ConfigError, match="unknown backend 'stim'") as info:
        make_backend("stim")
    assert info.value.field == "backend"


def test_bell_vectors_follow_index_convention():
    """B_k = (I ⊗ P_k)|Φ+> up to a global phase, in the order of BELL_LABELS."""
    assert BELL_LABELS == ("Phi+", "Psi+", "Psi-", "Phi-")
    assert PAULI_LABELS == ("I", "X", "Y", "Z")
    phi_plus = BELL_STATE_VECTORS[0]
    for k in range(4):
        image = np.kron(np.eye(2), PAULI_MATRICES[k]) @ phi_plus
        assert abs(np.vdot(BELL_STATE_VECTORS[k], image)) == pytest.approx(1.0, abs=1e-12)
    assert np.allclose(BELL_STATE_VECTORS @ BELL_STATE_VECTORS.conj().T, np.eye(4))


def test_pauli_xor_is_the_pauli_product():
    for a in range(4):
        for b in range(4):
            product = PAULI_MATRICES[a] @ PAULI_MATRICES[b]
            overlap = np.trace(PAULI_MATRICES[PAULI_XOR[a, b]].conj().T @ product) / 2
            assert abs(overlap) == pytest.approx(1.0, abs=1e-12)


def test_count_take_concat(backend, random_weights):
    states = backend.from_bell_weights(random_weights)
    assert backend.count(states) == 20
    picked = backend.take(states, [3, 5])
    assert backend.count(picked) == 2
    assert np.allclose(backend.bell_weights(picked), random_weights[[3, 5]])
    mask = np.zeros(20, dtype=bool)
    mask[::4] = True
    assert backend.count(backend.take(states, mask)) == 5
    assert backend.count(backend.take(states, 7)) == 1
    joined = backend.concat([picked, states])
    assert backend.count(joined) == 22
    assert np.allclose(backend.bell_weights(joined)[2:], random_weights)
    assert backend.count(backend.concat([])) == 0


def test_from_density_matrix_keeps_bell_diagonal(backend):
    """|00><00| has weight 1/2 on Φ+ and Φ-; both backends report the same diagonal."""
    rho = np.diag([1.0, 0.0, 0.0, 0.0])
    states = backend.from_density_matrix(rho, 3)
    assert backend.count(states) == 3
    assert np.allclose(backend.bell_weights(states), [[0.5, 0.0, 0.0, 0.5]] * 3, atol=1e-12)


def test_fidelity_to_each_bell_state(backend):
    states = backend.from_bell_weights(werner_weights([0.7, 0.4]))
    assert np.allclose(backend.fidelity(states), [0.7, 0.4])
    assert np.allclose(backend.fidelity(states, bell_index=2), [0.1, 0.2])


def test_operations_do_not_modify_inputs(backend, random_weights, rng):
    states = backend.from_bell_weights(random_weights)
    before = np.array(states, copy=True)
    backend.depolarize(states, 0.3, qubit=0)
    backend.pauli_correct(states, 1, qubit=1)
    backend.swap(states, states, rng=rng, gate_depolarizing=0.1, measurement_error=0.1)
    assert np.array_equal(states, before)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda b, s: b.depolarize(s, 1.5, qubit=0), ConfigError, r"p: must be in \[0, 1\]"),
        (lambda b, s: b.dephase(s, np.nan, qubit=0), ConfigError, "p: must be in"),
        (lambda b, s: b.amplitude_damp(s, -0.1, qubit=1), ConfigError, "gamma"),
        (lambda b, s: b.depolarize(s, 0.1, qubit=2), BackendError, "qubit must be 0 or 1"),
        (lambda b, s: b.depolarize(s, [0.1, 0.2, 0.3], qubit=0), BackendError, "shape"),
        (lambda b, s: b.apply_pauli_channel(s, [0.5, 0.5, 0.5, 0], 0), ConfigError, "sum to 1"),
        (lambda b, s: b.apply_pauli_channel(s, [1.0, 0, 0], 0), BackendError, "shape"),
        (lambda b, s: b.memory_decay(s, 1.0, t1_s=1.0, t2_s=3.0, qubit=0), ConfigError,
         r"t2_s: must be at most 2 \* t1_s"),
        (lambda b, s: b.memory_decay(s, -1.0, t1_s=1.0, t2_s=1.0, qubit=0), ConfigError,
         "waited_s"),
        (lambda b, s: b.memory_decay(s, 1.0, t1_s=0.0, t2_s=0.0, qubit=0), ConfigError,
         "t1_s: must be positive"),
        (lambda b, s: b.pauli_correct(s, 4, qubit=0), ConfigError, "paulis"),
        (lambda b, s: b.fidelity(s, bell_index=4), BackendError, "bell_index"),
        (lambda b, s: b.measure(s, [0, 3], rng=np.random.default_rng(0)), ConfigError, "bases"),
        (lambda b, s: b.swap(s, b.take(s, [0]), rng=np.random.default_rng(0)), BackendError,
         "equal length"),
        (lambda b, s: b.swap(s, s, rng=np.random.default_rng(0), measurement_error=2.0),
         ConfigError, "measurement_error"),
        (lambda b, s: b.from_bell_weights([0.5, 0.6, 0.0, 0.0]), ConfigError, "weights"),
        (lambda b, s: b.from_density_matrix(np.eye(2) / 2, 1), BackendError, "4x4"),
        (lambda b, s: b.from_density_matrix(np.eye(4), 1), ConfigError, "trace 1"),
        (lambda b, s: b.count(np.zeros((3, 5))), BackendError, "shape"),
        (lambda b, s: b.take(s, [10]), BackendError, "cannot take"),
    ],
)
def test_bad_input_raises_library_errors(backend, call, error, match):
    states = backend.from_bell_weights(werner_weights([0.9, 0.8]))
    with pytest.raises(error, match=match):
        call(backend, states)


def test_memory_decay_accepts_infinite_times(backend):
    states = backend.from_bell_weights([1.0, 0, 0, 0])
    out = backend.memory_decay(states, 5.0, t1_s=np.inf, t2_s=np.inf, qubit=0)
    assert np.allclose(backend.fidelity(out), [1.0])
