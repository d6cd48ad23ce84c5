"""Memory decay: the Pauli twirl against the exact T1/T2 channel, and storage fidelity."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.physical.memories import (
    QuantumMemory,
    amplitude_damping_gamma,
    dephasing_probability,
    fidelity_after_storage_werner,
    memory_pauli_twirl,
    storage_cutoff_s,
)

PAULIS = (
    np.eye(2, dtype=complex),
    np.array([[0, 1], [1, 0]], dtype=complex),
    np.array([[0, -1j], [1j, 0]], dtype=complex),
    np.array([[1, 0], [0, -1]], dtype=complex),
)
PHI_PLUS = np.array([1, 0, 0, 1], dtype=complex) / math.sqrt(2)


def exact_kraus(waited_s: float, t1_s: float, t2_s: float) -> list[np.ndarray]:
    """Kraus operators of amplitude damping (T1) followed by the pure dephasing that
    brings the coherence decay to exp(-t/T2) (Nielsen and Chuang, section 8.3)."""
    gamma = 1 - math.exp(-waited_s / t1_s)
    damping = [
        np.array([[1, 0], [0, math.sqrt(1 - gamma)]], dtype=complex),
        np.array([[0, math.sqrt(gamma)], [0, 0]], dtype=complex),
    ]
    # Amplitude damping alone keeps coherence sqrt(1 - gamma) = exp(-t / 2 T1).
    c = math.exp(-waited_s / t2_s) / math.sqrt(1 - gamma)
    dephasing = [math.sqrt((1 + c) / 2) * PAULIS[0], math.sqrt((1 - c) / 2) * PAULIS[3]]
    return [d @ a for d in dephasing for a in damping]


def apply(kraus: list[np.ndarray], rho: np.ndarray) -> np.ndarray:
    return sum(k @ rho @ k.conj().T for k in kraus)


def chi_diagonal(kraus: list[np.ndarray]) -> np.ndarray:
    """Pauli-twirl probabilities: the diagonal of the process (chi) matrix."""
    return np.array([sum(abs(np.trace(p @ k)) ** 2 for k in kraus) / 4 for p in PAULIS])


def test_dephasing_at_t2_is_one_minus_e_inverse_over_two():
    assert dephasing_probability(2.5, 2.5) == pytest.approx((1 - math.exp(-1)) / 2, rel=1e-15)
    assert dephasing_probability(1.0, math.inf) == 0.0
    np.testing.assert_allclose(dephasing_probability([0.0, 1e6], 1.0), [0.0, 0.5])


def test_amplitude_damping_gamma():
    assert amplitude_damping_gamma(1.0, 1.0) == pytest.approx(1 - math.exp(-1), rel=1e-15)
    assert amplitude_damping_gamma(3.0, math.inf) == 0.0


def test_twirl_closed_form():
    t, t1, t2 = 0.3, 1.0, 0.8
    g, lam = math.exp(-t / t1), math.exp(-t / t2)
    p_x = (1 - g) / 4
    p_z = (1 - lam) / 2 - (1 - g) / 4
    np.testing.assert_allclose(
        memory_pauli_twirl(t, t1, t2), [1 - 2 * p_x - p_z, p_x, p_x, p_z], rtol=1e-14
    )


@pytest.mark.parametrize(
    ("waited_s", "t1_s", "t2_s"),
    [(0.1, 1.0, 1.0), (0.5, 1.0, 2.0), (2.0, 1.0, 0.3), (0.7, 10.0, 0.5), (1.0, 1.0, 1e-3)],
)
def test_twirl_matches_the_twirl_of_the_exact_channel(waited_s, t1_s, t2_s):
    kraus = exact_kraus(waited_s, t1_s, t2_s)
    expected = chi_diagonal(kraus)
    got = memory_pauli_twirl(waited_s, t1_s, t2_s)
    np.testing.assert_allclose(got, expected, atol=1e-14)
    # The same numbers by twirling the channel on a random state explicitly.
    rng = np.random.default_rng(3)
    a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    rho = a @ a.conj().T
    rho /= np.trace(rho)
    twirled = sum(p @ apply(kraus, p @ rho @ p) @ p for p in PAULIS) / 4
    pauli_channel = sum(w * p @ rho @ p for w, p in zip(got, PAULIS, strict=True))
    np.testing.assert_allclose(twirled, pauli_channel, atol=1e-14)


def test_twirl_with_infinite_t1_is_pure_dephasing():
    np.testing.assert_allclose(
        memory_pauli_twirl(0.4, math.inf, 1.0),
        [1 - dephasing_probability(0.4, 1.0), 0, 0, dephasing_probability(0.4, 1.0)],
    )


def test_twirl_broadcasts():
    got = memory_pauli_twirl(np.array([[0.0], [1.0]]), 2.0, np.array([1.0, 2.0, 4.0]))
    assert got.shape == (2, 3, 4)
    np.testing.assert_allclose(got.sum(axis=-1), 1.0)
    np.testing.assert_allclose(got[0], [[1, 0, 0, 0]] * 3)


def test_twirl_refuses_t2_above_2_t1():
    with pytest.raises(ConfigError, match="t2_s") as exc:
        memory_pauli_twirl(1.0, 1.0, 2.5)
    assert exc.value.field == "t2_s"
    with pytest.raises(ConfigError, match="t2_s"):
        memory_pauli_twirl(1.0, [1.0, 2.0], [2.0, 4.1])


@given(
    waited_s=st.floats(0.0, 100.0),
    t1_s=st.floats(1e-3, 1e3),
    ratio=st.floats(1e-3, 2.0),
)
def test_twirl_is_a_probability_vector(waited_s, t1_s, ratio):
    p = memory_pauli_twirl(waited_s, t1_s, ratio * t1_s)
    assert np.all(p >= 0.0)
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    assert p[1] == p[2]


def werner(fidelity: float) -> np.ndarray:
    phi = np.outer(PHI_PLUS, PHI_PLUS.conj())
    return fidelity * phi + (1 - fidelity) / 3 * (np.eye(4) - phi)


def exact_pair_fidelity(fidelity, waited_s, t1_s, t2_s, qubits_stored, *, twirl=False):
    """<Phi+| (E_a x E_b)(Werner) |Phi+> with 4x4 density matrices; E is the exact
    Kraus channel, or its Pauli twirl applied to each stored half."""
    if twirl:
        probs = chi_diagonal(exact_kraus(waited_s, t1_s, t2_s))
        kraus = [math.sqrt(w) * p for w, p in zip(probs, PAULIS, strict=True)]
    else:
        kraus = exact_kraus(waited_s, t1_s, t2_s)
    first = kraus if qubits_stored == 2 else [np.eye(2, dtype=complex)]
    two_qubit = [np.kron(a, b) for a, b in itertools.product(first, kraus)]
    return float(np.real(PHI_PLUS.conj() @ apply(two_qubit, werner(fidelity)) @ PHI_PLUS))


CASES = [(1.0, 0.2, 2.0, 1.5), (0.9, 1.0, 2.0, 1.5), (0.6, 3.0, 2.0, 1.5), (0.95, 0.5, 1.0, 0.1)]


@pytest.mark.parametrize("qubits_stored", [1, 2])
@pytest.mark.parametrize(("fidelity", "waited_s", "t1_s", "t2_s"), CASES)
def test_werner_storage_fidelity_matches_the_exact_channel(
    fidelity, waited_s, t1_s, t2_s, qubits_stored
):
    exact = exact_pair_fidelity(fidelity, waited_s, t1_s, t2_s, qubits_stored)
    got = fidelity_after_storage_werner(
        fidelity, waited_s, t1_s=t1_s, t2_s=t2_s, qubits_stored=qubits_stored
    )
    assert got == pytest.approx(exact, abs=1e-13)


@pytest.mark.parametrize("qubits_stored", [1, 2])
@pytest.mark.parametrize(("fidelity", "waited_s", "t1_s", "t2_s"), CASES)
def test_twirled_storage_fidelity_matches_per_qubit_twirl(
    fidelity, waited_s, t1_s, t2_s, qubits_stored
):
    expected = exact_pair_fidelity(fidelity, waited_s, t1_s, t2_s, qubits_stored, twirl=True)
    got = fidelity_after_storage_werner(
        fidelity, waited_s, t1_s=t1_s, t2_s=t2_s, qubits_stored=qubits_stored, twirled=True
    )
    assert got == pytest.approx(expected, abs=1e-13)


def test_twirl_underestimates_two_sided_storage_by_gamma_squared_over_4():
    gamma = amplitude_damping_gamma(0.7, 1.0)
    exact = fidelity_after_storage_werner(0.9, 0.7, t1_s=1.0, t2_s=0.5)
    twirled = fidelity_after_storage_werner(0.9, 0.7, t1_s=1.0, t2_s=0.5, twirled=True)
    assert exact - twirled == pytest.approx(gamma**2 / 4, rel=1e-12)


def test_werner_storage_with_pure_dephasing_closed_form():
    # Both halves dephase: F' = F (1 + e^{-2t/T2}) / 2 + (1 - F)(1 - e^{-2t/T2}) / 6.
    f, t, t2 = 0.95, 0.4, 1.0
    decay = math.exp(-2 * t / t2)
    expected = f * (1 + decay) / 2 + (1 - f) * (1 - decay) / 6
    assert fidelity_after_storage_werner(f, t, t2_s=t2) == pytest.approx(expected, rel=1e-14)


def test_storage_cutoff_inverts_the_fidelity():
    memory = QuantumMemory(t1_s=3.0, t2_s=1.0, raw_fidelity=0.97)
    cutoff = memory.cutoff_s(0.85)
    assert memory.fidelity_after(cutoff) == pytest.approx(0.85, abs=1e-10)
    assert memory.fidelity_after(0.99 * cutoff) > 0.85 > memory.fidelity_after(1.01 * cutoff)
    twirled = memory.cutoff_s(0.85, twirled=True)
    assert twirled <= cutoff
    assert memory.fidelity_after(twirled, twirled=True) == pytest.approx(0.85, abs=1e-10)
    # Pure dephasing closed form: (1 + e^{-2t/T2}) / 2 = F_min.
    assert storage_cutoff_s(1.0, 0.8, t2_s=2.0) == pytest.approx(-math.log(0.6), rel=1e-10)


def test_storage_cutoff_finds_the_first_crossing_of_a_non_monotone_fidelity():
    # T2 << T1: the pair dephases, then both halves relax into |00>, so the fidelity
    # dips (to about 0.375 for F = 1) and climbs back towards 1/2.
    t1, t2, target = 1.0, 0.01, 0.45
    times = np.linspace(0.0, 10.0, 100_001)
    fid = fidelity_after_storage_werner(1.0, times, t1_s=t1, t2_s=t2)
    assert fid.min() < target < fid[-1]
    cutoff = storage_cutoff_s(1.0, target, t1_s=t1, t2_s=t2)
    assert np.all(fid[times < cutoff] >= target)
    assert cutoff == pytest.approx(times[np.argmax(fid < target)], abs=1e-4)


def test_storage_cutoff_edge_cases():
    assert storage_cutoff_s(0.7, 0.8, t2_s=1.0) == 0.0
    # Pure dephasing leaves (1 + 2F)/6 for ever, so a threshold below it never bites.
    assert storage_cutoff_s(1.0, 0.45, t2_s=1.0) == math.inf
    assert storage_cutoff_s(1.0, 0.45, t2_s=1.0, twirled=True) == math.inf
    assert storage_cutoff_s(1.0, 0.45, t1_s=1.0, t2_s=1.0, twirled=True) < math.inf
    assert storage_cutoff_s(0.9, 0.8, t1_s=math.inf, t2_s=math.inf) == math.inf


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"t1_s": 0.0}, "t1_s"),
        ({"t2_s": -1.0}, "t2_s"),
        ({"t1_s": 1.0, "t2_s": 2.5}, "t2_s"),
        ({"efficiency": 0.0}, "efficiency"),
        ({"efficiency": 1.1}, "efficiency"),
        ({"raw_fidelity": 0.2}, "raw_fidelity"),
        ({"raw_fidelity": 1.01}, "raw_fidelity"),
        ({"wavelength_m": -737e-9}, "wavelength_m"),
    ],
)
def test_memory_validation_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as exc:
        QuantumMemory(**kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


def test_memory_methods():
    memory = QuantumMemory(t1_s=10.0, t2_s=1.0, raw_fidelity=0.94, wavelength_m=637e-9)
    np.testing.assert_array_equal(memory.decay_probabilities(0.5),
                                  memory_pauli_twirl(0.5, 10.0, 1.0))
    weights = memory.raw_bell_weights()
    assert weights.sum() == pytest.approx(1.0)
    assert weights[0] == 0.94
    assert memory.fidelity_after(0.0) == pytest.approx(0.94)
    with pytest.raises(ConfigError, match="qubits_stored"):
        memory.fidelity_after(1.0, qubits_stored=3)
