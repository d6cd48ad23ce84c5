"""The Bell-diagonal backend's single-pair fast paths: same numbers, same errors.

A batch of one pair is computed in Python floats and a larger batch on numpy columns,
by the same formula in the same order, so each pair's weights must be *bit-identical*
whatever the batch it came in (the other test files check those weights against the
exact backend and closed forms, mostly on batches). And the quick checks in front of the
fast paths must refuse exactly what the full checks refuse.
"""

import numpy as np
import pytest

from qinet.errors import BackendError, ConfigError
from qinet.quantum import BellDiagonalBackend, werner_weights

N = 12


@pytest.fixture
def weights(rng):
    return rng.dirichlet(np.ones(4), size=N)


@pytest.fixture
def others(rng):
    return rng.dirichlet(np.ones(4), size=N)


@pytest.fixture
def per_pair(rng):
    """A probability per pair, 0 and 1 included."""
    values = rng.random(N)
    values[:2] = (0.0, 1.0)
    return values


def one_by_one(call, n=N):
    """``call(i)`` for each pair, stacked: what a batch call must reproduce exactly."""
    return np.concatenate([np.atleast_1d(call(i)) for i in range(n)])


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)


def test_channels_give_the_same_bits_for_one_pair_and_for_a_batch(bd, weights, per_pair, rng):
    table = rng.dirichlet(np.ones(4), size=N)
    batch = bd.from_bell_weights(weights)
    one = [bd.from_bell_weights(w) for w in weights]
    cases = [
        (lambda s, i: bd.apply_pauli_channel(s, [0.7, 0.1, 0.15, 0.05], 0), False),
        (lambda s, i: bd.apply_pauli_channel(s, table if i is None else table[i], 1), True),
        (lambda s, i: bd.depolarize(s, 0.3, 0), False),
        (lambda s, i: bd.depolarize(s, per_pair if i is None else per_pair[i], 1), True),
        (lambda s, i: bd.dephase(s, per_pair if i is None else per_pair[i : i + 1], 0), True),
        (lambda s, i: bd.amplitude_damp(s, per_pair if i is None else float(per_pair[i]), 0),
         True),
        (lambda s, i: bd.memory_decay(s, 0.37, t1_s=1.3, t2_s=0.9, qubit=0), False),
        (lambda s, i: bd.memory_decay(s, 3 * per_pair if i is None else 3 * per_pair[i],
                                      t1_s=np.inf, t2_s=2.0, qubit=1), True),
        (lambda s, i: bd.pauli_correct(s, 2, 1), False),
        (lambda s, i: bd.fidelity(s, 3), False),
    ]
    for call, _ in cases:
        whole = call(batch, None)
        single = np.concatenate([np.atleast_1d(call(one[i], i)) for i in range(N)])
        assert same_bits(whole, single)


@pytest.mark.parametrize(("p", "q"), [(0.0, 0.0), (0.1, 0.0), (0.0, 0.2), (0.3, 0.05)])
def test_two_pair_operations_give_the_same_bits(bd, weights, others, p, q):
    rng = np.random.default_rng(0)
    left, right = bd.from_bell_weights(weights), bd.from_bell_weights(others)
    swapped = bd.swap(left, right, rng=rng, gate_depolarizing=p, measurement_error=q)
    assert same_bits(swapped, one_by_one(
        lambda i: bd.swap(left[i : i + 1], right[i : i + 1], rng=rng, gate_depolarizing=p,
                          measurement_error=q)))
    for scheme in ("bbpssw", "dejmps"):
        p_batch, kept = bd.purify(left, right, scheme=scheme, gate_depolarizing=p,
                                  measurement_error=q)
        singles = [bd.purify(left[i : i + 1], right[i : i + 1], scheme=scheme,
                             gate_depolarizing=p, measurement_error=q) for i in range(N)]
        assert same_bits(p_batch, np.concatenate([s[0] for s in singles]))
        assert same_bits(kept, np.concatenate([s[1] for s in singles]))


def test_from_bell_weights_same_for_every_spelling_of_one_row(bd):
    row = [0.7, 0.1, 0.15, 0.05]
    expected = np.array([row])
    for spelling in (row, tuple(row), np.array(row), np.array([row]), [[*row]],
                     [np.float64(x) for x in row]):
        out = bd.from_bell_weights(spelling)
        assert same_bits(out, expected)
    assert same_bits(bd.from_bell_weights([1, 0, 0, 0]), np.array([[1.0, 0, 0, 0]]))
    # Rounding below zero, within tolerance, is clipped as before.
    assert bd.from_bell_weights([1.0, -1e-12, 0.0, 1e-12])[0, 1] == 0.0


def test_scalar_spellings_agree(bd, weights):
    pair = bd.from_bell_weights(weights[:1])
    expected = bd.depolarize(pair, 0.25, 0)
    for spelling in (np.float64(0.25), np.array(0.25), np.array([0.25]), [0.25]):
        assert same_bits(bd.depolarize(pair, spelling, 0), expected)
    assert same_bits(bd.depolarize(pair, 1, 0), bd.depolarize(pair, 1.0, 0))
    decayed = bd.memory_decay(pair, 2, t1_s=3, t2_s=1, qubit=0)
    assert same_bits(decayed, bd.memory_decay(pair, 2.0, t1_s=3.0, t2_s=1.0, qubit=0))


def test_lower_precision_input_is_computed_in_float64(bd, weights):
    low = weights.astype(np.float32)
    batch = bd.depolarize(low, 0.1, 0)
    assert batch.dtype == np.float64
    assert same_bits(batch, one_by_one(lambda i: bd.depolarize(low[i : i + 1], 0.1, 0)))


def test_results_are_new_arrays(bd, weights):
    """Fast paths must not hand back a view into the caller's array."""
    pair = bd.from_bell_weights(weights[:1])
    before = pair.copy()
    for out in (bd.fidelity(pair), bd.bell_weights(pair), bd.pauli_correct(pair, 0, 0),
                bd.depolarize(pair, 0.0, 0), bd.purify(pair, pair, scheme="dejmps")[1]):
        out[...] = -1.0
    assert np.array_equal(pair, before)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda b, s: b.depolarize(s, 1.5, 0), ConfigError, r"p: must be in \[0, 1\], got 1.5"),
        (lambda b, s: b.depolarize(s, np.float64(-0.1), 0), ConfigError, "p: must be in"),
        (lambda b, s: b.depolarize(s, np.array([np.nan]), 0), ConfigError, "p: must be in"),
        (lambda b, s: b.depolarize(s, np.array(2.0), 0), ConfigError, "p: must be in"),
        (lambda b, s: b.depolarize(s, True, 0), ConfigError, "p: must be a number"),
        (lambda b, s: b.depolarize(s, "0.5", 0), ConfigError, "p: must be a number"),
        (lambda b, s: b.depolarize(s, [0.1, 0.2], 0), BackendError, "shape"),
        (lambda b, s: b.dephase(s, 0.1, True), BackendError, "qubit must be 0 or 1"),
        (lambda b, s: b.dephase(s, 0.1, 1.0), BackendError, "qubit must be 0 or 1"),
        (lambda b, s: b.amplitude_damp(s, float("inf"), 0), ConfigError, "gamma"),
        (lambda b, s: b.apply_pauli_channel(s, [0.5, 0.5, 0.5, 0.0], 0), ConfigError,
         "probs: each row must sum to 1, got 1.5"),
        (lambda b, s: b.apply_pauli_channel(s, (1.1, -0.1, 0.0, 0.0), 0), ConfigError,
         "probs: must be non-negative"),
        (lambda b, s: b.apply_pauli_channel(s, [float("nan"), 1.0, 0.0, 0.0], 0), ConfigError,
         "probs: must be non-negative"),
        (lambda b, s: b.apply_pauli_channel(s, np.array([0.5, 0.5, 0, 0, 0]), 0), BackendError,
         "shape"),
        (lambda b, s: b.apply_pauli_channel(s, [1.0, 0.0, 0.0, True], 0), ConfigError,
         "sum to 1"),
        (lambda b, s: b.memory_decay(s, float("inf"), t1_s=1.0, t2_s=1.0, qubit=0),
         ConfigError, "waited_s: must be a finite non-negative time"),
        (lambda b, s: b.memory_decay(s, np.array([-1.0]), t1_s=1.0, t2_s=1.0, qubit=0),
         ConfigError, "waited_s"),
        (lambda b, s: b.memory_decay(s, 1.0, t1_s=float("nan"), t2_s=1.0, qubit=0),
         ConfigError, "t1_s: must be positive"),
        (lambda b, s: b.memory_decay(s, 1.0, t1_s=1.0, t2_s=float("nan"), qubit=0),
         ConfigError, "t2_s: must be positive"),
        (lambda b, s: b.memory_decay(s, 1.0, t1_s=1.0, t2_s=2.5, qubit=0), ConfigError,
         r"t2_s: must be at most 2 \* t1_s"),
        (lambda b, s: b.memory_decay(s, 1.0, t1_s=True, t2_s=1.0, qubit=0), ConfigError,
         "t1_s: must be a number"),
        (lambda b, s: b.pauli_correct(s, 4, 0), ConfigError, "paulis"),
        (lambda b, s: b.pauli_correct(s, True, 0), ConfigError, "paulis"),
        (lambda b, s: b.fidelity(s, True), BackendError, "bell_index"),
        (lambda b, s: b.swap(s, s, rng=None, gate_depolarizing=-0.5), ConfigError,
         "gate_depolarizing"),
        (lambda b, s: b.swap(s, np.zeros((1, 4), dtype=int), rng=None), BackendError,
         "float array of shape"),
        (lambda b, s: b.swap(s, s.reshape(4), rng=None), BackendError, "float array of shape"),
        (lambda b, s: b.from_bell_weights([0.5, 0.6, 0.0, 0.0]), ConfigError, "weights"),
        (lambda b, s: b.from_bell_weights(np.array([0.5, 0.6, 0.0, 0.0])), ConfigError,
         "weights"),
        (lambda b, s: b.from_bell_weights([1.0, 0.0, 0.0]), BackendError, "shape"),
        (lambda b, s: b.from_bell_weights([1.0, 0.0, 0.0, None]), ConfigError, "weights"),
    ],
)
def test_single_pair_bad_input_still_raises(call, error, match):
    backend = BellDiagonalBackend()
    pair = backend.from_bell_weights(werner_weights(0.9))
    with pytest.raises(error, match=match):
        call(backend, pair)


def test_werner_weights_scalar_fast_path_matches_array_path():
    assert same_bits(werner_weights(0.85), werner_weights(np.array(0.85)))
    with pytest.raises(ConfigError, match="fidelity"):
        werner_weights(1.5)
