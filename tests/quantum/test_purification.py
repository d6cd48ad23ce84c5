"""Entanglement purification: closed forms, a brute-force circuit oracle, agreement of the
two backends, sum rules of the success probability, and the known behaviour of the two
recurrences.

Closed forms used here:

* BBPSSW (Bennett, Brassard, Popescu, Schumacher, Smolin & Wootters, PRL 76, 722 (1996)),
  two Werner pairs of fidelity F, ``r = (1-F)/3``:
  ``F' = (F² + r²) / N`` with success probability ``N = F² + 2Fr + 5r²``. Worked
  exactly (by hand, in fractions): F = 7/10 → N = 17/25, F' = 25/34 = 0.735294...;
  F = 4/5 → N = 173/225, F' = 145/173 = 0.838150...; F = 9/10 → N = 197/225,
  F' = 365/394 = 0.926396... . The fixed points are F = 1/2 and F = 1.
* DEJMPS (Deutsch, Ekert, Jozsa, Macchiavello, Popescu & Sanpera, PRL 77, 2818 (1996)),
  Bell-diagonal pairs in the paper's labels A = Φ+, B = Ψ-, C = Ψ+, D = Φ-:
  ``N = (A1+B1)(A2+B2) + (C1+D1)(C2+D2)``, ``A' = (A1A2 + B1B2)/N``,
  ``B' = (C1D2 + D1C2)/N``, ``C' = (C1C2 + D1D2)/N``, ``D' = (A1B2 + B1A2)/N``. For one
  round on Werner inputs it gives the BBPSSW numbers above (B = C = D); it pulls ahead
  from the second round on, because it does not re-twirl (Deutsch et al. 1996; Dür &
  Briegel, Rep. Prog. Phys. 70, 1381 (2007)).

The ground truth for every convention (which Bell state is which label, the rotation
signs, the noise model) is :func:`purify_oracle`, the circuit written out on 16x16
matrices with nothing shared with the backends but the Bell vectors.
"""

from fractions import Fraction

import numpy as np
import pytest
import scipy.linalg

from qinet.errors import BackendError, ConfigError
from qinet.quantum import BELL_STATE_VECTORS, PAULI_MATRICES, werner_weights
from qinet.quantum.states import weights_to_density_matrix

SCHEMES = ["bbpssw", "dejmps"]
NOISE = [(0.0, 0.0), (0.1, 0.0), (0.0, 0.05), (0.2, 0.3), (1.0, 0.0), (0.0, 0.5)]
X = PAULI_MATRICES[1]


# -- the oracle ----------------------------------------------------------------------


def rx(theta):
    return scipy.linalg.expm(-0.5j * theta * X)


def cnot(control, target, n_qubits=4):
    """Permutation matrix of CNOT on ``n_qubits`` qubits, qubit 0 the most significant."""
    dim = 2**n_qubits
    out = np.zeros((dim, dim))
    for i in range(dim):
        bits = [(i >> (n_qubits - 1 - k)) & 1 for k in range(n_qubits)]
        bits[target] ^= bits[control]
        j = sum(bit << (n_qubits - 1 - k) for k, bit in enumerate(bits))
        out[j, i] = 1
    return out


def on_qubits(ops, n_qubits=4):
    """Kronecker product with ``ops[k]`` on qubit k (identity where absent)."""
    out = np.eye(1)
    for k in range(n_qubits):
        out = np.kron(out, ops.get(k, np.eye(2)))
    return out


def depolarize_two(rho, qubits, p):
    """(1-p) ρ + p/16 Σ_{P,Q} (P ⊗ Q) ρ (P ⊗ Q)† on ``qubits``: two-qubit depolarising."""
    paulis = [on_qubits({qubits[0]: a, qubits[1]: b})
              for a in PAULI_MATRICES for b in PAULI_MATRICES]
    twirled = sum(op @ rho @ op.conj().T for op in paulis)
    return (1 - p) * rho + p * twirled / 16


def werner_of(rho):
    phi = BELL_STATE_VECTORS[0]
    f = np.vdot(phi, rho @ phi).real
    projector = np.outer(phi, phi.conj())
    return f * projector + (1 - f) / 3 * (np.eye(4) - projector)


def purify_oracle(rho_t, rho_s, scheme, p=0.0, q=0.0):
    """(success probability, kept state) by brute force.

    Qubits (a1, b1, a2, b2) = (target at A, target at B, sacrificial at A, at B). BBPSSW:
    Werner twirl of both pairs; DEJMPS: Rx(π/2) on a1, a2 and Rx(-π/2) on b1, b2. Then
    CNOT a1 → a2 and b1 → b2, two-qubit depolarising p on (a1, a2) and on (b1, b2),
    Z measurement of a2 and b2 with each bit misread with probability q, and the target
    kept when the *read* bits agree.
    """
    if scheme == "bbpssw":
        rho_t, rho_s = werner_of(rho_t), werner_of(rho_s)
    else:
        u = np.kron(rx(np.pi / 2), rx(-np.pi / 2))
        rho_t, rho_s = u @ rho_t @ u.conj().T, u @ rho_s @ u.conj().T
    big = np.kron(rho_t, rho_s)
    gates = cnot(1, 3) @ cnot(0, 2)
    big = gates @ big @ gates.T
    if p:
        big = depolarize_two(depolarize_two(big, (0, 2), p), (1, 3), p)
    flip = np.array([[1 - q, q], [q, 1 - q]])  # flip[read, true]
    kept = np.zeros((4, 4), dtype=complex)
    tensor = big.reshape([2] * 8)
    for x in (0, 1):
        for y in (0, 1):
            agree = sum(flip[r, x] * flip[r, y] for r in (0, 1))
            kept += agree * tensor[:, :, x, y, :, :, x, y].reshape(4, 4)
    prob = np.trace(kept).real
    return prob, kept / prob


def random_density_matrix(rng):
    g = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = g @ g.conj().T
    return rho / np.trace(rho)


def bell_diagonal_of(rho):
    return np.einsum("ka,ab,kb->k", BELL_STATE_VECTORS.conj(), rho, BELL_STATE_VECTORS).real


# -- closed forms --------------------------------------------------------------------

# (F, N, F') in exact fractions; see the module docstring.
WERNER_ROUND = [
    (Fraction(7, 10), Fraction(17, 25), Fraction(25, 34)),
    (Fraction(4, 5), Fraction(173, 225), Fraction(145, 173)),
    (Fraction(9, 10), Fraction(197, 225), Fraction(365, 394)),
]


@pytest.mark.parametrize(("f", "n", "f_out"), WERNER_ROUND)
def test_worked_fractions_follow_the_bbpssw_formula(f, n, f_out):
    r = (1 - f) / 3
    assert f * f + 2 * f * r + 5 * r * r == n
    assert (f * f + r * r) / n == f_out


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("f", "n", "f_out"), WERNER_ROUND)
def test_werner_round_closed_form(backend, scheme, f, n, f_out):
    pairs = backend.from_bell_weights(werner_weights(np.full(3, float(f))))
    p_success, kept = backend.purify(pairs, pairs, scheme=scheme)
    assert p_success.shape == (3,)
    assert np.allclose(p_success, float(n), atol=1e-14, rtol=0)
    assert np.allclose(backend.fidelity(kept), float(f_out), atol=1e-14, rtol=0)


def test_bbpssw_example_value(bd):
    """F = 0.8 → F' = 145/173 = 0.83815028901734..."""
    _, kept = bd.purify(bd.from_bell_weights(werner_weights(0.8)),
                        bd.from_bell_weights(werner_weights(0.8)), scheme="bbpssw")
    assert kept[0, 0] == pytest.approx(0.838150289017341, abs=1e-14)


def test_dejmps_recurrence_in_the_papers_labels(backend, rng):
    """Our index order is (Φ+, Ψ+, Ψ-, Φ-) = (A, C, B, D) in the paper's labels."""
    for _ in range(5):
        w1, w2 = rng.dirichlet(np.ones(4), size=2)
        (a1, c1, b1, d1), (a2, c2, b2, d2) = w1, w2
        norm = (a1 + b1) * (a2 + b2) + (c1 + d1) * (c2 + d2)
        a_out = (a1 * a2 + b1 * b2) / norm
        b_out = (c1 * d2 + d1 * c2) / norm
        c_out = (c1 * c2 + d1 * d2) / norm
        d_out = (a1 * b2 + b1 * a2) / norm
        p_success, kept = backend.purify(backend.from_bell_weights(w1),
                                         backend.from_bell_weights(w2), scheme="dejmps")
        assert p_success[0] == pytest.approx(norm, abs=1e-14)
        assert np.allclose(backend.bell_weights(kept)[0], [a_out, c_out, b_out, d_out],
                           atol=1e-14)


def test_bbpssw_on_bell_diagonal_input_twirls_first(backend):
    """Only the Φ+ weight of each input matters: two inputs of fidelity 0.8 that differ
    elsewhere give the Werner numbers."""
    skewed = backend.from_bell_weights([0.8, 0.2, 0.0, 0.0])
    p_success, kept = backend.purify(skewed, skewed, scheme="bbpssw")
    assert p_success[0] == pytest.approx(173 / 225, abs=1e-14)
    assert backend.fidelity(kept)[0] == pytest.approx(145 / 173, abs=1e-14)


# -- the circuit oracle and agreement of the backends ---------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("p", "q"), NOISE)
def test_bell_diagonal_recurrence_matches_circuit(bd, rng, scheme, p, q):
    for _ in range(3):
        w_t, w_s = rng.dirichlet(np.ones(4), size=2)
        prob, state = purify_oracle(weights_to_density_matrix(w_t),
                                    weights_to_density_matrix(w_s), scheme, p, q)
        p_success, kept = bd.purify(bd.from_bell_weights(w_t), bd.from_bell_weights(w_s),
                                    scheme=scheme, gate_depolarizing=p, measurement_error=q)
        assert p_success[0] == pytest.approx(prob, abs=1e-12)
        assert np.allclose(kept[0], bell_diagonal_of(state), atol=1e-12)
        # Bell-diagonal in, Bell-diagonal out: nothing was lost by keeping 4 numbers.
        assert np.allclose(state, weights_to_density_matrix(kept[0]), atol=1e-12)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("p", "q"), NOISE)
def test_density_matrix_purify_matches_circuit(dm, rng, scheme, p, q):
    """General (not Bell-diagonal) pairs, a different one per row of the batch."""
    rhos_t = [random_density_matrix(rng) for _ in range(4)]
    rhos_s = [random_density_matrix(rng) for _ in range(4)]
    p_success, kept = dm.purify(np.array(rhos_t), np.array(rhos_s), scheme=scheme,
                                gate_depolarizing=p, measurement_error=q)
    for i in range(4):
        prob, state = purify_oracle(rhos_t[i], rhos_s[i], scheme, p, q)
        assert p_success[i] == pytest.approx(prob, abs=1e-12)
        assert np.allclose(kept[i], state, atol=1e-12)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(("p", "q"), NOISE)
def test_backends_agree_on_bell_diagonal_inputs(bd, dm, random_weights, rng, scheme, p, q):
    other = rng.dirichlet(np.ones(4), size=len(random_weights))
    p_fast, fast = bd.purify(bd.from_bell_weights(random_weights), bd.from_bell_weights(other),
                             scheme=scheme, gate_depolarizing=p, measurement_error=q)
    p_exact, exact = dm.purify(dm.from_bell_weights(random_weights), dm.from_bell_weights(other),
                               scheme=scheme, gate_depolarizing=p, measurement_error=q)
    assert np.allclose(p_fast, p_exact, atol=1e-12)
    assert np.allclose(exact, dm.from_bell_weights(fast), atol=1e-12)


@pytest.mark.parametrize(("p", "q"), NOISE)
def test_bbpssw_backends_agree_on_any_input(bd, dm, rng, p, q):
    """BBPSSW twirls first, so it reads only each pair's Φ+ fidelity, which the
    Bell-diagonal backend keeps exactly: the backends agree even on general states."""
    rho_t, rho_s = random_density_matrix(rng), random_density_matrix(rng)
    p_fast, fast = bd.purify(bd.from_density_matrix(rho_t, 2), bd.from_density_matrix(rho_s, 2),
                             scheme="bbpssw", gate_depolarizing=p, measurement_error=q)
    p_exact, exact = dm.purify(dm.from_density_matrix(rho_t, 2),
                               dm.from_density_matrix(rho_s, 2),
                               scheme="bbpssw", gate_depolarizing=p, measurement_error=q)
    assert np.allclose(p_fast, p_exact, atol=1e-12)
    assert np.allclose(exact, dm.from_bell_weights(fast), atol=1e-12)


@pytest.mark.parametrize(("p", "q"), NOISE)
def test_dejmps_bell_weights_need_only_bell_weights(bd, dm, rng, p, q):
    """The rotations and the bilateral CNOT map Bell states to Bell states, and the
    parity projector and the noise are Bell-diagonal: so the success probability and
    the kept Bell weights depend on the inputs' Bell weights only, and the Bell-diagonal
    backend gets them exactly even for general inputs. The exact backend keeps, in
    addition, the coherences between Bell states."""
    rho_t, rho_s = random_density_matrix(rng), random_density_matrix(rng)
    p_exact, exact = dm.purify(dm.from_density_matrix(rho_t, 1),
                               dm.from_density_matrix(rho_s, 1),
                               scheme="dejmps", gate_depolarizing=p, measurement_error=q)
    p_fast, fast = bd.purify(bd.from_density_matrix(rho_t, 1), bd.from_density_matrix(rho_s, 1),
                             scheme="dejmps", gate_depolarizing=p, measurement_error=q)
    assert p_exact[0] == pytest.approx(p_fast[0], abs=1e-12)
    assert np.allclose(dm.bell_weights(exact), fast, atol=1e-12)
    if p < 1:
        assert not np.allclose(exact, dm.from_bell_weights(fast), atol=1e-3)


# -- sum rules and invariants --------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_misread_parity_swaps_success_and_failure(backend, random_weights, rng, scheme):
    """Success and failure exhaust the outcomes: a parity misread with probability
    e = 2q(1-q) gives P(q) = (1-e) P(0) + e (1 - P(0))."""
    pairs = backend.from_bell_weights(random_weights)
    other = backend.from_bell_weights(rng.dirichlet(np.ones(4), size=len(random_weights)))
    for p in (0.0, 0.3):
        ideal, _ = backend.purify(pairs, other, scheme=scheme, gate_depolarizing=p)
        for q in (0.05, 0.2, 0.5, 1.0):
            e = 2 * q * (1 - q)
            noisy, _ = backend.purify(pairs, other, scheme=scheme, gate_depolarizing=p,
                                      measurement_error=q)
            assert np.allclose(noisy, (1 - e) * ideal + e * (1 - ideal), atol=1e-14)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_full_noise_gives_a_coin_and_a_mixed_state(backend, random_weights, scheme):
    pairs = backend.from_bell_weights(random_weights)
    p_success, kept = backend.purify(pairs, pairs[::-1], scheme=scheme, gate_depolarizing=1.0)
    assert np.allclose(p_success, 0.5, atol=1e-14)
    assert np.allclose(backend.bell_weights(kept), 0.25, atol=1e-14)
    p_success, _ = backend.purify(pairs, pairs[::-1], scheme=scheme, measurement_error=0.5)
    assert np.allclose(p_success, 0.5, atol=1e-14)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_success_probability_bounds(backend, random_weights, rng, scheme):
    pairs = backend.from_bell_weights(random_weights)
    other = backend.from_bell_weights(rng.dirichlet(np.ones(4), size=len(random_weights)))
    p_success, kept = backend.purify(pairs, other, scheme=scheme, gate_depolarizing=0.05,
                                     measurement_error=0.02)
    assert ((p_success >= 0) & (p_success <= 1)).all()
    weights = backend.bell_weights(kept)
    assert (weights >= -1e-15).all()
    assert np.allclose(weights.sum(axis=1), 1.0, atol=1e-14)
    # Two copies of one pair agree at least half the time: N = s² + (1-s)² >= 1/2.
    same, _ = backend.purify(pairs, pairs, scheme=scheme)
    assert (same >= 0.5 - 1e-15).all()


def test_impossible_round_returns_the_mixed_placeholder(backend):
    """Φ+ against Ψ+: the sacrificial pair's Z outcomes always differ."""
    phi = backend.from_bell_weights([1.0, 0, 0, 0])
    psi = backend.from_bell_weights([0, 1.0, 0, 0])
    p_success, kept = backend.purify(phi, psi, scheme="dejmps")
    assert p_success.tolist() == [0.0]
    assert np.allclose(backend.bell_weights(kept), 0.25)
    assert np.isfinite(np.asarray(kept)).all()


def test_batch_of_one_with_zero_probability_among_others(backend):
    weights = np.array([[1.0, 0, 0, 0], [0.9, 0.1, 0, 0]])
    p_success, kept = backend.purify(backend.from_bell_weights(weights),
                                     backend.from_bell_weights([[0, 1.0, 0, 0]] * 2),
                                     scheme="dejmps")
    assert p_success.tolist() == pytest.approx([0.0, 0.1])
    assert np.allclose(backend.bell_weights(kept), [[0.25] * 4, [0, 1.0, 0, 0]])


# -- known behaviour -------------------------------------------------------------------


def test_bbpssw_improves_werner_pairs_above_one_half(bd):
    fidelities = np.linspace(0.51, 0.99, 25)
    pairs = bd.from_bell_weights(werner_weights(fidelities))
    _, kept = bd.purify(pairs, pairs, scheme="bbpssw")
    assert (bd.fidelity(kept) > fidelities).all()
    below = bd.from_bell_weights(werner_weights(np.array([0.3, 0.4, 0.49])))
    _, kept = bd.purify(below, below, scheme="bbpssw")
    assert (bd.fidelity(kept) < [0.3, 0.4, 0.49]).all()
    fixed = bd.from_bell_weights(werner_weights(np.array([0.5, 1.0])))
    _, kept = bd.purify(fixed, fixed, scheme="bbpssw")
    assert np.allclose(bd.fidelity(kept), [0.5, 1.0], atol=1e-15)


def rounds_to_reach(backend, scheme, start, goal, max_rounds=30):
    """Recurrence rounds (two copies of the current pair each) until F >= goal."""
    pair = backend.from_bell_weights(werner_weights(start))
    for rounds in range(1, max_rounds + 1):
        _, pair = backend.purify(pair, pair, scheme=scheme)
        if backend.fidelity(pair)[0] >= goal:
            return rounds
    return max_rounds + 1


@pytest.mark.parametrize("start", [0.6, 0.7, 0.8])
def test_dejmps_converges_faster_than_bbpssw(backend, start):
    """Deutsch et al. 1996: DEJMPS needs fewer rounds than BBPSSW for the same goal.

    To reach F >= 0.99 from Werner F = 0.6, 0.7, 0.8 (these recurrences, iterated):
    DEJMPS 7, 5, 4 rounds; BBPSSW 16, 12, 10.
    """
    expected = {0.6: (7, 16), 0.7: (5, 12), 0.8: (4, 10)}[start]
    dejmps = rounds_to_reach(backend, "dejmps", start, 0.99)
    bbpssw = rounds_to_reach(backend, "bbpssw", start, 0.99)
    assert (dejmps, bbpssw) == expected
    # After two rounds from F = 0.7: BBPSSW 0.7732, DEJMPS 0.8459 (first round equal).
    bb = dj = backend.from_bell_weights(werner_weights(start))
    for _ in range(2):
        _, bb = backend.purify(bb, bb, scheme="bbpssw")
        _, dj = backend.purify(dj, dj, scheme="dejmps")
    assert backend.fidelity(dj)[0] > backend.fidelity(bb)[0]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_noise_lowers_the_output(backend, scheme):
    pairs = backend.from_bell_weights(werner_weights(np.full(1, 0.9)))
    _, ideal = backend.purify(pairs, pairs, scheme=scheme)
    fidelities = [backend.fidelity(ideal)[0]]
    for p in (0.01, 0.05, 0.2):
        _, kept = backend.purify(pairs, pairs, scheme=scheme, gate_depolarizing=p)
        fidelities.append(backend.fidelity(kept)[0])
    assert np.all(np.diff(fidelities) < 0)
    fidelities = [backend.fidelity(ideal)[0]]
    for q in (0.01, 0.05, 0.2):
        _, kept = backend.purify(pairs, pairs, scheme=scheme, measurement_error=q)
        fidelities.append(backend.fidelity(kept)[0])
    assert np.all(np.diff(fidelities) < 0)


# -- interface -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"scheme": "BBPSSW"}, ConfigError, "scheme: unknown purification scheme 'BBPSSW'"),
        ({"scheme": None}, ConfigError, "use one of bbpssw, dejmps"),
        ({"scheme": "dejmps", "gate_depolarizing": 1.5}, ConfigError, "gate_depolarizing"),
        ({"scheme": "dejmps", "measurement_error": float("nan")}, ConfigError,
         "measurement_error"),
        ({"scheme": "bbpssw", "measurement_error": True}, ConfigError, "measurement_error"),
    ],
)
def test_purify_rejects_bad_arguments(backend, kwargs, error, match):
    pairs = backend.from_bell_weights(werner_weights([0.9]))
    with pytest.raises(error, match=match):
        backend.purify(pairs, pairs, **kwargs)


def test_purify_needs_equal_batches(backend):
    pairs = backend.from_bell_weights(werner_weights([0.9, 0.8]))
    with pytest.raises(BackendError, match="purify needs batches of equal length, got 2 and 1"):
        backend.purify(pairs, backend.take(pairs, [0]), scheme="dejmps")


def test_purify_does_not_modify_inputs(backend, random_weights):
    pairs = backend.from_bell_weights(random_weights)
    before = np.array(pairs, copy=True)
    backend.purify(pairs, pairs[::-1], scheme="dejmps", gate_depolarizing=0.1,
                   measurement_error=0.1)
    backend.purify(pairs, pairs[::-1], scheme="bbpssw")
    assert np.array_equal(pairs, before)


def test_purify_empty_batch(backend):
    empty = backend.take(backend.from_bell_weights(np.eye(4)), np.zeros(4, dtype=bool))
    p_success, kept = backend.purify(empty, empty, scheme="dejmps")
    assert p_success.shape == (0,)
    assert backend.count(kept) == 0
