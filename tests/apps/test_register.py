"""The block-factored register against dense linear algebra."""

import numpy as np
import pytest

from qinet.apps.register import GATES, QubitRegister, rx, ry, rz
from qinet.errors import ProtocolError


def _random_rho(n, rng):
    z = rng.normal(size=(2**n, 2**n)) + 1j * rng.normal(size=(2**n, 2**n))
    rho = z @ z.conj().T
    return rho / np.trace(rho)


def test_gates_on_factored_blocks_match_the_dense_kronecker_product():
    rng = np.random.default_rng(4)
    r1, r2 = _random_rho(2, rng), _random_rho(1, rng)
    reg = QubitRegister()
    a, b = reg.add(r1)
    (c,) = reg.add(r2)
    reg.apply(GATES["cnot"], c, a)  # merges the two blocks
    reg.apply(rx(0.3), b)
    dense = np.kron(r1, r2)  # order a, b, c
    i2 = np.eye(2)
    # CNOT with control c (qubit 2) and target a (qubit 0)
    p0, p1 = np.diag([1, 0]), np.diag([0, 1])
    cnot = np.kron(np.kron(i2, i2), p0) + np.kron(np.kron(GATES["x"], i2), p1)
    u = np.kron(np.kron(i2, rx(0.3)), i2) @ cnot
    expected = u @ dense @ u.conj().T
    np.testing.assert_allclose(reg.reduced(a, b, c), expected, atol=1e-12)
    # reading in another order permutes the qubits
    swap_ac = np.eye(8)[[int(f"{k:03b}"[::-1], 2) for k in range(8)]]
    np.testing.assert_allclose(reg.reduced(c, b, a), swap_ac @ expected @ swap_ac.T,
                               atol=1e-12)


def test_rotations_are_the_exponentials():
    from scipy.linalg import expm
    for gate, pauli in ((rx, GATES["x"]), (ry, GATES["y"]), (rz, GATES["z"])):
        np.testing.assert_allclose(gate(0.7), expm(-0.35j * pauli), atol=1e-12)


def test_measurement_follows_the_born_rule_and_collapses():
    # |psi> = cos(t)|00> + sin(t)|11>: P(0) = cos^2 t; the partner collapses with it.
    # 5 sigma of a binomial over n = 4000.
    theta, n = 0.6, 4000
    rng = np.random.default_rng(7)
    zeros = 0
    for _ in range(n):
        reg = QubitRegister()
        a, b = reg.add_pure([np.cos(theta), 0, 0, np.sin(theta)])
        m = reg.measure(a, rng=rng)
        assert reg.fidelity([1 - m, m], b) == pytest.approx(1.0)
        zeros += m == 0
    p = np.cos(theta) ** 2
    assert abs(zeros / n - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_x_basis_measurement_of_plus_is_certain():
    reg = QubitRegister()
    (q,) = reg.add_pure([1, 1])
    assert reg.measure(q, rng=np.random.default_rng(0), basis="x") == 0
    assert q not in reg


def test_discard_is_the_partial_trace():
    rho = _random_rho(3, np.random.default_rng(1))
    reg = QubitRegister()
    a, b, c = reg.add(rho)
    reg.discard(b)
    expected = np.einsum("abcdbf->acdf", rho.reshape((2,) * 6)).reshape(4, 4)
    np.testing.assert_allclose(reg.reduced(a, c), expected, atol=1e-12)


def test_decay_brings_coherence_to_exp_minus_t_over_t2_and_population_to_t1():
    # amplitude damping: |1> population e^{-t/T1}; coherence e^{-t/T2}
    reg = QubitRegister()
    (q,) = reg.add_pure([1, 1])
    reg.decay(q, 0.5, t1_s=1.0, t2_s=0.8)
    rho = reg.reduced(q)
    assert abs(rho[0, 1]) * 2 == pytest.approx(np.exp(-0.5 / 0.8))
    assert rho[1, 1].real == pytest.approx(0.5 * np.exp(-0.5))


def test_bad_operations_are_named():
    reg = QubitRegister()
    a, b = reg.add_pure([1, 0, 0, 0])
    with pytest.raises(ProtocolError, match="distinct"):
        reg.apply(GATES["cnot"], a, a)
    with pytest.raises(ProtocolError, match="4x4"):
        reg.apply(GATES["h"], a, b)
    reg.measure(a, rng=np.random.default_rng(0))
    with pytest.raises(ProtocolError, match="not in the register"):
        reg.apply(GATES["h"], a)
    with pytest.raises(ProtocolError, match="2\\^n"):
        reg.add(np.eye(3))


def test_depolarising_mixes_with_the_traced_out_state():
    # (1 - p) rho + p (I/4 ⊗ Tr_xy rho) over the depolarised qubits x, y of a random
    # 3-qubit block, written with einsum on rho's (2,)*6 tensor (rows a b c, columns d e f)
    p = 0.3
    rho = _random_rho(3, np.random.default_rng(2))
    t = rho.reshape((2,) * 6)
    half = np.eye(2) / 2
    # a and b depolarised: keep c's marginal
    marg_c = np.einsum("abcabf->cf", t)
    expected_ab = (1 - p) * rho + p * np.kron(np.eye(4) / 4, marg_c)
    # a and c depolarised: keep b's marginal, in the middle
    marg_b = np.einsum("abcaec->be", t)
    expected_ac = (1 - p) * rho + p * np.einsum("ad,be,cf->abcdef", half, marg_b,
                                                half).reshape(8, 8)
    for pair, expected in (((0, 1), expected_ab), ((2, 0), expected_ac)):
        reg = QubitRegister()
        ids = reg.add(rho)
        reg.depolarize(p, *(ids[k] for k in pair))
        np.testing.assert_allclose(reg.reduced(*ids), expected, atol=1e-12)
