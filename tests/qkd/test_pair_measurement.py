"""Pairs measured along any X–Z angle: exact Born-rule probabilities and their sampling."""

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.qkd.protocols._pair_measurement import (
    correlation,
    measure_xz,
    outcome_probabilities,
)
from qinet.quantum import make_backend, werner_weights

BACKENDS = ("bell-diagonal", "density-matrix")
_Z = np.diag([1.0, -1.0])
_X = np.array([[0.0, 1.0], [1.0, 0.0]])


def _projector(theta, outcome):
    """Π_a(θ) = (I + (-1)^a (cos θ Z + sin θ X))/2, built from the matrices themselves."""
    return (np.eye(2) + (1 - 2 * outcome) * (np.cos(theta) * _Z + np.sin(theta) * _X)) / 2


def _random_density_matrix(rng):
    a = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = a @ a.conj().T
    return rho / np.trace(rho).real


@pytest.mark.parametrize("name", BACKENDS)
def test_werner_correlation_is_visibility_times_cosine(name):
    # E(α, β) = V cos(α - β) with V = (4F - 1)/3 (Werner, PRA 40, 4277 (1989))
    backend = make_backend(name)
    rng = np.random.default_rng(4)
    fidelity = rng.uniform(0.25, 1.0, 50)
    alpha, beta = rng.uniform(-np.pi, np.pi, (2, 50))
    pairs = backend.from_bell_weights(werner_weights(fidelity))
    visibility = (4 * fidelity - 1) / 3
    np.testing.assert_allclose(correlation(pairs, backend, alpha, beta),
                               visibility * np.cos(alpha - beta), atol=1e-12)


def test_density_matrices_follow_the_born_rule_for_any_state():
    backend = make_backend("density-matrix")
    rng = np.random.default_rng(5)
    rhos = np.stack([_random_density_matrix(rng) for _ in range(20)])
    alpha, beta = rng.uniform(-np.pi, np.pi, (2, 20))
    expected = np.array([[np.trace(rho @ np.kron(_projector(a, i >> 1), _projector(b, i & 1))).real
                          for i in range(4)] for rho, a, b in zip(rhos, alpha, beta, strict=True)])
    np.testing.assert_allclose(outcome_probabilities(rhos, backend, alpha, beta), expected,
                               atol=1e-12)


def test_bell_diagonal_part_of_a_state_gives_the_same_correlations_as_its_twirl():
    # A Bell-diagonal density matrix and its Bell weights are the same state.
    weights = np.array([[0.7, 0.1, 0.15, 0.05], [0.4, 0.3, 0.2, 0.1]])
    angles = (np.array([0.3, 1.1]), np.array([-0.7, 2.0]))
    bd, dm = make_backend("bell-diagonal"), make_backend("density-matrix")
    np.testing.assert_allclose(
        outcome_probabilities(bd.from_bell_weights(weights), bd, *angles),
        outcome_probabilities(dm.from_bell_weights(weights), dm, *angles), atol=1e-12)


def test_z_and_x_angles_use_the_backend_outcome_convention():
    backend = make_backend("density-matrix")
    plus, minus = np.array([1, 1]) / np.sqrt(2), np.array([1, -1]) / np.sqrt(2)
    state = np.kron(plus, minus)
    pairs = backend.from_density_matrix(np.outer(state, state), 3)
    rng = np.random.default_rng(0)
    ours = measure_xz(pairs, backend, np.pi / 2, np.pi / 2, rng=rng)
    theirs = backend.measure(pairs, [1, 1], rng=rng)
    assert ours.tolist() == theirs.tolist() == [[0, 1]] * 3
    zero_one = backend.from_density_matrix(np.diag([0, 1.0, 0, 0]), 2)  # |01>
    assert measure_xz(zero_one, backend, 0.0, 0.0, rng=rng).tolist() == [[0, 1]] * 2


@pytest.mark.parametrize("name", BACKENDS)
def test_sampled_frequencies_match_the_probabilities(name):
    backend = make_backend(name)
    n = 40_000
    if name == "density-matrix":  # a state with local terms: amplitude-damped Φ+
        pairs = backend.amplitude_damp(backend.from_density_matrix(
            np.outer([1, 0, 0, 1], [1, 0, 0, 1]) / 2, n), 0.3, qubit=1)
    else:
        pairs = backend.from_bell_weights(np.tile([0.8, 0.1, 0.06, 0.04], (n, 1)))
    alpha, beta = 0.4, 1.3
    p = outcome_probabilities(pairs, backend, alpha, beta)[0]
    out = measure_xz(pairs, backend, alpha, beta, rng=np.random.default_rng(9))
    counts = np.bincount(2 * out[:, 0] + out[:, 1], minlength=4)
    sigma = np.sqrt(n * p * (1 - p))
    assert np.all(np.abs(counts - n * p) < 5 * sigma), (counts, n * p)


def test_bad_angles_are_refused():
    backend = make_backend("bell-diagonal")
    pairs = backend.from_bell_weights(werner_weights([0.9, 0.9, 0.9]))
    with pytest.raises(ConfigError, match="alice_angle"):
        correlation(pairs, backend, [0.0, 1.0], 0.0)
    with pytest.raises(ConfigError, match="bob_angle"):
        outcome_probabilities(pairs, backend, 0.0, np.nan)
