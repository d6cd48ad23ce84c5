"""Property tests: any sequence of channels, swaps and purification rounds keeps a valid
state, and the two backends keep agreeing on the Bell weights of Bell-diagonal inputs.

Hypothesis runs derandomised (a fixed seed derived from the test) and without an
example database, so the same examples run every time.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qinet.quantum import BellDiagonalBackend, DensityMatrixBackend

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)

unit = st.floats(0.0, 1.0, allow_nan=False)
qubits = st.integers(0, 1)


@st.composite
def distributions(draw):
    raw = np.array(draw(st.lists(unit, min_size=4, max_size=4)))
    raw[draw(st.integers(0, 3))] += 0.01  # never all zero
    return raw / raw.sum()


@st.composite
def memories(draw):
    """(waited_s, t1_s, t2_s) with t2_s <= 2 t1_s, infinities included."""
    t1 = draw(st.one_of(st.just(np.inf), st.floats(1e-3, 1e3)))
    if np.isinf(t1):
        t2 = draw(st.one_of(st.just(np.inf), st.floats(1e-3, 1e3)))
    else:
        t2 = 2 * t1 * draw(st.floats(1e-3, 1.0))
    return draw(st.floats(0.0, 10.0)), t1, t2


operations = st.one_of(
    st.tuples(st.just("pauli"), distributions(), qubits),
    st.tuples(st.just("depolarize"), unit, qubits),
    st.tuples(st.just("dephase"), unit, qubits),
    st.tuples(st.just("amplitude_damp"), unit, qubits),
    st.tuples(st.just("memory"), memories(), qubits),
    st.tuples(st.just("correct"), st.integers(0, 3), qubits),
    st.tuples(st.just("swap"), distributions(), st.tuples(unit, unit)),
    st.tuples(st.just("purify"), distributions(),
              st.tuples(st.sampled_from(["bbpssw", "dejmps"]), unit, unit)),
)


def run(backend, states, ops, rng, *, twirl_after_non_pauli=False):
    """Apply the drawn operations in order.

    With ``twirl_after_non_pauli`` the state is replaced by its Bell diagonal after each
    non-Pauli channel: that is what the Bell-diagonal backend does, and what makes the
    exact backend comparable with it step by step.
    """
    for name, arg, extra in ops:
        n = backend.count(states)
        if name == "pauli":
            states = backend.apply_pauli_channel(states, arg, extra)
        elif name in ("depolarize", "dephase", "amplitude_damp"):
            states = getattr(backend, name)(states, arg, extra)
        elif name == "memory":
            waited, t1, t2 = arg
            states = backend.memory_decay(states, waited, t1_s=t1, t2_s=t2, qubit=extra)
        elif name == "correct":
            states = backend.pauli_correct(states, np.full(n, arg), extra)
        elif name == "swap":
            other = backend.from_bell_weights(np.tile(arg, (n, 1)))
            states = backend.swap(states, other, rng=rng, gate_depolarizing=extra[0],
                                  measurement_error=extra[1])
        else:
            other = backend.from_bell_weights(np.tile(arg, (n, 1)))
            scheme, p, q = extra
            _, states = backend.purify(states, other, scheme=scheme, gate_depolarizing=p,
                                       measurement_error=q)
        if twirl_after_non_pauli and name in ("amplitude_damp", "memory"):
            states = backend.from_bell_weights(backend.bell_weights(states))
    return states


@PROPERTY_SETTINGS
@given(start=distributions(), ops=st.lists(operations, max_size=8))
def test_bell_weights_stay_a_distribution(start, ops):
    backend = BellDiagonalBackend()
    states = backend.from_bell_weights(np.stack([start, start[::-1]]))
    weights = backend.bell_weights(run(backend, states, ops, np.random.default_rng(0)))
    assert (weights >= 0).all()
    assert np.allclose(weights.sum(axis=1), 1.0, atol=1e-12)


@PROPERTY_SETTINGS
@given(start=distributions(), ops=st.lists(operations, max_size=6))
def test_density_matrices_stay_states(start, ops):
    dm = DensityMatrixBackend()
    weights = np.stack([start, start[::-1]])
    exact = run(dm, dm.from_bell_weights(weights), ops, np.random.default_rng(0))
    assert np.allclose(np.trace(exact, axis1=1, axis2=2), 1.0, atol=1e-12)
    assert np.allclose(exact, np.conj(np.swapaxes(exact, 1, 2)), atol=1e-12)
    assert (np.linalg.eigvalsh(exact) > -1e-12).all()


@PROPERTY_SETTINGS
@given(start=distributions(), ops=st.lists(operations, max_size=6))
def test_backends_agree_step_by_step(start, ops):
    """On a Bell-diagonal input each exact channel gives the Bell weights of its twirl.

    Once an exact non-Pauli channel has left off-diagonal Bell terms, later channels
    may read them, so the exact run is twirled after each such channel to compare.
    """
    bd, dm = BellDiagonalBackend(), DensityMatrixBackend()
    weights = np.stack([start, start[::-1]])
    fast = run(bd, bd.from_bell_weights(weights), ops, np.random.default_rng(0))
    exact = run(dm, dm.from_bell_weights(weights), ops, np.random.default_rng(0),
                twirl_after_non_pauli=True)
    assert np.allclose(dm.bell_weights(exact), bd.bell_weights(fast), atol=1e-10)
