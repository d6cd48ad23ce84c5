"""The stim register of node programs: sampled Pauli channels against their closed forms."""

import numpy as np
import pytest

from qinet.errors import ProtocolError
from qinet.quantum.tableau_register import TableauRegister, decay_twirl


def within_5_sigma(samples, expected):
    """Mean of ±1 samples against ``expected``, 5 standard errors of n samples."""
    n = len(samples)
    return abs(np.mean(samples) - expected) < 5 * np.sqrt(max(1 - expected**2, 1e-3) / n)


def test_bell_pairs_carry_their_weights():
    # Bell state k = (I ⊗ P_k)|Φ+>: <ZZ> = w0 - w1 - w2 + w3, <XX> = w0 + w1 - w2 - w3
    w, n = (0.7, 0.1, 0.15, 0.05), 4000
    reg = TableauRegister(np.random.default_rng(1))
    rng = np.random.default_rng(2)
    zz, xx = [], []
    for i in range(n):
        a, b = reg.add_bell(w)
        basis = "z" if i % 2 else "x"
        sign = 1 - 2 * (reg.measure(a, rng=rng, basis=basis) ^ reg.measure(b, rng=rng,
                                                                           basis=basis))
        (zz if i % 2 else xx).append(sign)
    assert within_5_sigma(zz, w[0] - w[1] - w[2] + w[3])
    assert within_5_sigma(xx, w[0] + w[1] - w[2] - w[3])
    assert len(reg) == 0


@pytest.mark.parametrize(("t1", "t2"), [(float("inf"), 1.0), (2.0, 1.5)])
def test_memory_decay_keeps_the_pauli_expectations_decay(t1, t2):
    # the twirl's Pauli transfer diagonal is (e^-t/T2, e^-t/T2, e^-t/T1): <X> of |+>
    # decays as e^-t/T2 and <Z> of |0> as e^-t/T1
    t, n = 0.8, 4000
    px, py, pz = decay_twirl(t, t1_s=t1, t2_s=t2)
    assert px - py == 0
    assert 1 - 2 * (py + pz) == pytest.approx(np.exp(-t / t2))
    assert 1 - 2 * (px + py) == pytest.approx(np.exp(-t / t1))
    reg = TableauRegister(np.random.default_rng(3))
    rng = np.random.default_rng(4)
    x, z = [], []
    for _ in range(n):
        (q,) = reg.add_pure([1, 1])
        reg.decay(q, t, t1_s=t1, t2_s=t2)
        x.append(1 - 2 * reg.measure(q, rng=rng, basis="x"))
        (q,) = reg.add_pure([1, 0])
        reg.decay(q, t, t1_s=t1, t2_s=t2)
        z.append(1 - 2 * reg.measure(q, rng=rng))
    assert within_5_sigma(x, np.exp(-t / t2))
    assert within_5_sigma(z, np.exp(-t / t1))


def test_two_qubit_depolarizing_of_a_bell_pair():
    # with probability p a uniform two-qubit Pauli; 4 of the 16 (II, XX, YY, ZZ) keep
    # Φ+, so the Bell fidelity is 1 - p + p/4, that of (1 - p) Φ+ + p I/4; each
    # trajectory's fidelity is 0 or 1: binomial tolerance at 5 sigma over n
    p, n = 0.4, 4000
    reg = TableauRegister(np.random.default_rng(5))
    fidelities = []
    for _ in range(n):
        a, b = reg.add_bell((1, 0, 0, 0))
        reg.depolarize(p, a, b)
        fidelities.append(reg.fidelity([1, 0, 0, 1], a, b))
        reg.discard(a)
        reg.discard(b)
    expected = 1 - p + p / 4  # Bell fidelity after full two-qubit depolarising
    assert set(fidelities) <= {0.0, 1.0}
    assert abs(np.mean(fidelities) - expected) < 5 * np.sqrt(expected * (1 - expected) / n)


def test_trajectory_fidelity_of_a_stabilizer_target():
    reg = TableauRegister(np.random.default_rng(6))
    a, b = reg.add_bell((1, 0, 0, 0))
    assert reg.fidelity([1, 0, 0, 1], a, b) == 1.0
    assert reg.fidelity([1, 0], a) == 0.5  # half of a Bell pair is maximally mixed
    assert reg.fidelity([0, 1, 1, 0], a, b) == 0.0
    with pytest.raises(ProtocolError, match="stabilizer states only"):
        reg.fidelity([1, 0.3], a)
