"""Entanglement swapping: the Werner closed form, agreement of the two backends, and an
independent circuit-level oracle for gate and measurement noise.

Closed form (e.g. Dür, Briegel, Cirac & Zoller, PRA 59, 169 (1999)): swapping Werner
pairs of fidelities F1 and F2 with a perfect Bell measurement gives
``F = F1 F2 + (1 - F1)(1 - F2)/3``.
"""

import numpy as np
import pytest

from qinet.quantum import BELL_STATE_VECTORS, PAULI_MATRICES, werner_weights
from qinet.quantum.states import weights_to_density_matrix

I2 = np.eye(2)
X, Z = PAULI_MATRICES[1].real, PAULI_MATRICES[3].real
H = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]])


def kron(*ops):
    out = np.eye(1)
    for op in ops:
        out = np.kron(out, op)
    return out


def swap_oracle(rho_l, rho_r, p, q):
    """Reported outcome -> (probability, corrected state of (a, c)), by brute force.

    Qubits a, b1, b2, c in a 16x16 matrix; the BSM is the circuit CNOT(b1 → b2), H(b1),
    then Z measurements of b1 (bit z) and b2 (bit x), each read wrongly with prob q.
    The correction for the reported bits is X^x Z^z on c.
    """
    big = np.kron(rho_l, rho_r)
    if p:
        noisy = sum(kron(I2, P, Q, I2) @ big @ kron(I2, P, Q, I2).conj().T
                    for P in PAULI_MATRICES for Q in PAULI_MATRICES)
        big = (1 - p) * big + p * noisy / 16
    circuit = kron(I2, H, I2, I2) @ kron(I2, CNOT, I2)
    big = (circuit @ big @ circuit.conj().T).reshape([2] * 8)
    flip = np.array([[1 - q, q], [q, 1 - q]])  # flip[reported, true]
    results = {}
    for zr in (0, 1):
        for xr in (0, 1):
            state = np.zeros((4, 4), dtype=complex)
            for z in (0, 1):
                for x in (0, 1):
                    block = big[:, z, x, :, :, z, x, :].reshape(4, 4)
                    state += flip[zr, z] * flip[xr, x] * block
            correction = kron(I2, np.linalg.matrix_power(X, xr) @ np.linalg.matrix_power(Z, zr))
            state = correction @ state @ correction.conj().T
            prob = np.trace(state).real
            results[(zr, xr)] = (prob, state / prob if prob > 1e-15 else state)
    return results


def bell_diagonal_of(state):
    return np.einsum("ka,ab,kb->k", BELL_STATE_VECTORS.conj(), state, BELL_STATE_VECTORS).real


def random_density_matrix(rng):
    g = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = g @ g.conj().T
    return rho / np.trace(rho)


@pytest.mark.parametrize(("f1", "f2"), [(1.0, 1.0), (0.9, 0.9), (0.95, 0.7), (0.5, 0.25)])
def test_werner_swap_closed_form(backend, rng, f1, f2):
    n = 64  # many pairs: the density-matrix backend samples a different outcome for each
    left = backend.from_bell_weights(werner_weights(np.full(n, f1)))
    right = backend.from_bell_weights(werner_weights(np.full(n, f2)))
    out = backend.swap(left, right, rng=rng)
    expected = f1 * f2 + (1 - f1) * (1 - f2) / 3
    assert np.allclose(backend.fidelity(out), expected, atol=1e-12)
    assert np.allclose(backend.bell_weights(out), werner_weights(np.full(n, expected)),
                       atol=1e-12)


@pytest.mark.parametrize(("p", "q"), [(0.0, 0.0), (0.2, 0.0), (0.0, 0.05), (0.3, 0.1), (1, 0.5)])
def test_backends_agree_on_swap(bd, dm, random_weights, rng, p, q):
    other = rng.dirichlet(np.ones(4), size=len(random_weights))
    fast = bd.swap(bd.from_bell_weights(random_weights), bd.from_bell_weights(other),
                   rng=rng, gate_depolarizing=p, measurement_error=q)
    exact = dm.swap(dm.from_bell_weights(random_weights), dm.from_bell_weights(other),
                    rng=rng, gate_depolarizing=p, measurement_error=q)
    assert np.allclose(dm.bell_weights(exact), bd.bell_weights(fast), atol=1e-12)
    # Bell-diagonal in, Bell-diagonal out: the exact state has nothing off the diagonal.
    assert np.allclose(exact, dm.from_bell_weights(bd.bell_weights(fast)), atol=1e-12)


@pytest.mark.parametrize(("p", "q"), [(0.0, 0.0), (0.25, 0.0), (0.0, 0.1), (0.4, 0.2)])
def test_bell_diagonal_swap_matches_circuit_oracle(bd, rng, p, q):
    """Gate depolarising p becomes depolarising p of the output, bit flips q become
    independent X and Z errors with probability q: every reported outcome agrees."""
    for _ in range(3):
        w_l, w_r = rng.dirichlet(np.ones(4), size=2)
        fast = bd.swap(bd.from_bell_weights(w_l), bd.from_bell_weights(w_r), rng=rng,
                       gate_depolarizing=p, measurement_error=q)
        oracle = swap_oracle(weights_to_density_matrix(w_l), weights_to_density_matrix(w_r), p, q)
        for prob, state in oracle.values():
            assert prob == pytest.approx(0.25, abs=1e-12)
            assert np.allclose(bell_diagonal_of(state), bd.bell_weights(fast)[0], atol=1e-12)


@pytest.mark.parametrize(("p", "q"), [(0.0, 0.0), (0.2, 0.1)])
def test_density_matrix_swap_of_general_states_matches_oracle(dm, rng, p, q):
    """For inputs that are not Bell-diagonal the output depends on the outcome: each
    output must be one of the oracle's four states, drawn with the oracle's odds."""
    rho_l, rho_r = random_density_matrix(rng), random_density_matrix(rng)
    oracle = list(swap_oracle(rho_l, rho_r, p, q).values())
    n = 4000
    out = dm.swap(dm.from_density_matrix(rho_l, n), dm.from_density_matrix(rho_r, n), rng=rng,
                  gate_depolarizing=p, measurement_error=q)
    distances = np.stack([np.abs(out - state).max(axis=(1, 2)) for _, state in oracle], axis=1)
    assert (distances.min(axis=1) < 1e-10).all()
    counts = np.bincount(distances.argmin(axis=1), minlength=4)
    for (prob, _), seen in zip(oracle, counts, strict=True):
        sigma = np.sqrt(n * prob * (1 - prob))
        assert abs(seen - n * prob) < 5 * sigma


def test_swap_output_is_a_state(dm, rng):
    rho_l, rho_r = random_density_matrix(rng), random_density_matrix(rng)
    out = dm.swap(dm.from_density_matrix(rho_l, 50), dm.from_density_matrix(rho_r, 50),
                  rng=rng, gate_depolarizing=0.1, measurement_error=0.05)
    assert np.allclose(np.trace(out, axis1=1, axis2=2), 1.0)
    assert np.allclose(out, np.conj(np.swapaxes(out, 1, 2)))
    assert (np.linalg.eigvalsh(out) > -1e-12).all()


def test_swap_is_reproducible_with_seed(dm):
    rho = random_density_matrix(np.random.default_rng(5))
    batch = dm.from_density_matrix(rho, 30)
    first = dm.swap(batch, batch, rng=np.random.default_rng(9))
    second = dm.swap(batch, batch, rng=np.random.default_rng(9))
    assert np.array_equal(first, second)
