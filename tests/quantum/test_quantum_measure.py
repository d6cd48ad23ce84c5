"""Measurement statistics: Bell-state correlations, the Werner correlator and CHSH.

Tolerances come from the sample size: an estimated correlator from N pairs has standard
deviation ``sqrt((1 - E²)/N)`` (each product of outcomes is ±1 with mean E), and tests
allow 5σ. Seeds are fixed, so a pass is reproducible, not lucky.

Closed forms: a Werner state of fidelity F is ``η |Φ+><Φ+| + (1-η) I/4`` with
``η = (4F - 1)/3``, so ``<ZZ> = <XX> = η`` and ``<YY> = -η``; with Alice measuring Z, X
and Bob (Z ± X)/√2, CHSH is ``S = √2 (<ZZ> + <XX>) = 2√2 η`` (Horodecki et al.,
Phys. Lett. A 200, 340 (1995)).
"""

import numpy as np
import pytest

from qinet.quantum import werner_weights
from qinet.quantum.states import BELL_CORRELATORS

Z_BASIS, X_BASIS, Y_BASIS = 0, 1, 2


def correlator(outcomes):
    """Sample mean of the product of the ±1 eigenvalues."""
    return float(np.mean(1 - 2 * (outcomes[:, 0] ^ outcomes[:, 1])))


@pytest.mark.parametrize(("basis", "equal"), [(Z_BASIS, True), (X_BASIS, True), (Y_BASIS, False)])
def test_phi_plus_correlations(backend, rng, basis, equal):
    phi_plus = backend.from_bell_weights(np.tile([1.0, 0, 0, 0], (500, 1)))
    out = backend.measure(phi_plus, [basis, basis], rng=rng)
    assert out.dtype == np.int8
    assert out.shape == (500, 2)
    assert ((out[:, 0] == out[:, 1]) == equal).all()
    # ... while each qubit alone is a fair coin (500 draws: 5σ ≈ 0.11).
    assert abs(out[:, 0].mean() - 0.5) < 5 * np.sqrt(0.25 / 500)


@pytest.mark.parametrize("bell_index", [0, 1, 2, 3])
def test_every_bell_state_has_its_correlators(backend, rng, bell_index):
    states = backend.from_bell_weights(np.tile(np.eye(4)[bell_index], (200, 1)))
    for basis in (Z_BASIS, X_BASIS, Y_BASIS):
        out = backend.measure(states, [basis, basis], rng=rng)
        assert correlator(out) == BELL_CORRELATORS[bell_index, basis]


@pytest.mark.parametrize("fidelity", [1.0, 0.9, 0.6, 0.25])
def test_werner_correlator(backend, rng, fidelity):
    n = 200_000
    states = backend.from_bell_weights(werner_weights(np.full(n, fidelity)))
    eta = (4 * fidelity - 1) / 3
    sigma = np.sqrt((1 - eta**2) / n)
    for basis, sign in ((Z_BASIS, 1), (X_BASIS, 1), (Y_BASIS, -1)):
        estimate = correlator(backend.measure(states, [basis, basis], rng=rng))
        assert abs(estimate - sign * eta) <= max(5 * sigma, 1e-12)


@pytest.mark.parametrize("fidelity", [0.95, 0.8])
def test_chsh_of_werner_state(backend, rng, fidelity):
    n = 200_000
    states = backend.from_bell_weights(werner_weights(np.full(n, fidelity)))
    eta = (4 * fidelity - 1) / 3
    e_zz = correlator(backend.measure(states, [Z_BASIS, Z_BASIS], rng=rng))
    e_xx = correlator(backend.measure(states, [X_BASIS, X_BASIS], rng=rng))
    s_value = np.sqrt(2) * (e_zz + e_xx)
    # Two independent estimates, each with variance (1 - η²)/n, scaled by √2.
    sigma = np.sqrt(2) * np.sqrt(2 * (1 - eta**2) / n)
    assert abs(s_value - 2 * np.sqrt(2) * eta) < 5 * sigma
    if fidelity > 0.78:  # η > 1/√2: the state violates the classical bound
        assert s_value > 2


def test_backends_agree_on_outcome_distribution(bd, dm):
    """For one Bell-diagonal state, all nine basis pairs give the same outcome odds."""
    n = 20_000
    weights = np.array([0.55, 0.25, 0.15, 0.05])
    for b0 in range(3):
        for b1 in range(3):
            counts = []
            for backend, seed in ((bd, 1), (dm, 2)):
                states = backend.from_bell_weights(np.tile(weights, (n, 1)))
                out = backend.measure(states, [b0, b1], rng=np.random.default_rng(seed))
                counts.append(np.bincount(2 * out[:, 0] + out[:, 1], minlength=4) / n)
            pooled = (counts[0] + counts[1]) / 2
            sigma = np.sqrt(pooled * (1 - pooled) * 2 / n)
            assert (np.abs(counts[0] - counts[1]) <= 5 * sigma + 1e-12).all()


def test_density_matrix_measures_product_states_exactly(dm, rng):
    plus = np.array([1, 1]) / np.sqrt(2)
    plus_i = np.array([1, 1j]) / np.sqrt(2)
    zero = np.array([1, 0])
    for ket, bases in ((np.kron(zero, plus), [Z_BASIS, X_BASIS]),
                       (np.kron(plus_i, zero), [Y_BASIS, Z_BASIS])):
        rho = np.outer(ket, ket.conj())
        out = dm.measure(dm.from_density_matrix(rho, 50), bases, rng=rng)
        assert (out == 0).all()


def test_per_pair_bases(backend, rng):
    states = backend.from_bell_weights(np.tile([1.0, 0, 0, 0], (3, 1)))
    bases = np.array([[Z_BASIS, Z_BASIS], [X_BASIS, X_BASIS], [Y_BASIS, Y_BASIS]])
    out = backend.measure(states, bases, rng=rng)
    assert (out[:2, 0] == out[:2, 1]).all()
    assert out[2, 0] != out[2, 1]


def test_measure_is_reproducible_with_seed(backend):
    states = backend.from_bell_weights(werner_weights(np.full(100, 0.7)))
    first = backend.measure(states, [X_BASIS, Y_BASIS], rng=np.random.default_rng(4))
    second = backend.measure(states, [X_BASIS, Y_BASIS], rng=np.random.default_rng(4))
    assert np.array_equal(first, second)
