"""The stim backend against the exact density matrices, on Clifford circuits.

Noiseless circuits without measurements agree exactly (1e-9). Sampled numbers (noise or
mid-circuit measurements) agree within 5 standard errors of the *exact* value:
``5 sqrt((1 - <P>²)/shots)`` for a ±1 observable and ``5 sqrt(p(1-p)/shots)`` for a
probability, so a value the exact simulator gives as ±1, 0 or 1 must be met exactly.
"""

import itertools
import math

import numpy as np
import pytest
import stim

from qinet.errors import ConfigError
from qinet.quantum.circuit import TWO_QUBIT_GATES, Circuit, Operation
from qinet.quantum.register import DensityMatrixSimulator, gate_matrix
from qinet.quantum.stabilizer import StabilizerSimulator, choose_simulator, deferred, to_stim
from qinet.quantum.states import BELL_CORRELATORS, werner_weights

SHOTS = 20_000
STIM = StabilizerSimulator()
DM = DensityMatrixSimulator()
ONE = ["x", "y", "z", "h", "s", "sdg", "sx", "sxdg"]
TWO = ["cx", "cy", "cz", "swap"]


def _random_clifford(n, rng, *, depth, noise, measure):
    c = Circuit(n)
    for _ in range(depth):
        roll = rng.random()
        if roll < 0.35:
            c.append(str(rng.choice(ONE)), int(rng.integers(n)))
        elif roll < 0.45:
            name = str(rng.choice(["rx", "ry", "rz", "p"]))
            c.append(name, int(rng.integers(n)), params=(float(rng.integers(-4, 5)) * math.pi / 2,))
        elif roll < 0.8:
            a, b = (int(q) for q in rng.choice(n, 2, replace=False))
            c.append(str(rng.choice(TWO)), a, b)
        elif noise and roll < 0.9:
            p = rng.dirichlet([6, 1, 1, 1])
            c.append("pauli1", int(rng.integers(n)), params=tuple(p[1:]))
        elif noise:
            a, b = (int(q) for q in rng.choice(n, 2, replace=False))
            c.append("depolarize2", a, b, params=(0.1,))
        elif measure and roll < 0.9:
            # measure, then use the outcome as a classical control (deferred measurement)
            a, b = (int(q) for q in rng.choice(n, 2, replace=False))
            c.append("m", a).append("cx", a, b)
    return c


def _observables(n):
    singles = [{q: p} for q in range(n) for p in "XYZ"]
    pairs = [{a: p, b: r} for a, b in itertools.combinations(range(n), 2) for p in "XZ"
             for r in "XZ"]
    return singles + pairs


def _close(sampled, exact, sigma):
    assert abs(sampled - exact) <= 5 * sigma + 1e-9, (sampled, exact, sigma)


@pytest.mark.parametrize("seed", range(6))
def test_noiseless_clifford_circuits_agree_exactly(seed):
    rng = np.random.default_rng(seed)
    c = _random_clifford(5, rng, depth=40, noise=False, measure=False)
    obs = _observables(5)
    got = [e.value for e in STIM.expectations(c, obs)]
    want = [e.value for e in DM.expectations(c, obs)]
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert set(np.round(got, 9)) <= {-1.0, 0.0, 1.0}


@pytest.mark.parametrize(("seed", "noise", "measure"),
                         [(s, n, m) for s in range(3) for n, m in ((True, False), (False, True),
                                                                    (True, True))])
def test_sampled_clifford_circuits_agree_within_shot_noise(seed, noise, measure):
    rng = np.random.default_rng(100 + seed)
    c = _random_clifford(4, rng, depth=30, noise=noise, measure=measure)
    obs = _observables(4)
    got = STIM.expectations(c, obs, shots=SHOTS, rng=np.random.default_rng(seed))
    for g, w in zip(got, DM.expectations(c, obs), strict=True):
        _close(g.value, w.value, math.sqrt(max(1 - w.value**2, 0) / SHOTS))
        assert g.shots == SHOTS
    probs, _ = STIM.probabilities(c, [2, 0, 3], shots=SHOTS, rng=np.random.default_rng(seed))
    exact, _ = DM.probabilities(c, [2, 0, 3])
    for p, q in zip(probs, exact, strict=True):
        _close(p, q, math.sqrt(q * (1 - q) / SHOTS))


@pytest.mark.parametrize("weights", [(1, 0, 0, 0), (0.7, 0.1, 0.15, 0.05), (0.25,) * 4,
                                     tuple(werner_weights(0.85))])
def test_noisy_bell_pairs_have_their_bell_correlators(weights):
    """<ZZ>, <XX>, <YY> of Σ w_k B_k are Σ w_k c_k (BELL_CORRELATORS), on both simulators."""
    c = Circuit(2).bell_pair(0, 1, weights)
    obs = [{0: s, 1: s} for s in "ZXY"]
    exact = np.asarray(weights, dtype=float) @ BELL_CORRELATORS
    np.testing.assert_allclose([e.value for e in DM.expectations(c, obs)], exact, atol=1e-12)
    got = STIM.expectations(c, obs, shots=SHOTS, rng=np.random.default_rng(5))
    for g, w in zip(got, exact, strict=True):
        _close(g.value, w, math.sqrt((1 - w**2) / SHOTS))


def test_projector_probability_is_the_ghz_fidelity_on_both_simulators():
    """Four noisy pairs fused into a 5-qubit GHZ state: P(all generators +1) agree."""
    c = Circuit(5).append("h", 0)
    for q in range(4):
        c.append("cx", q, q + 1).append("pauli1", q + 1, params=(0.03, 0.02, 0.05))
    gens = [dict.fromkeys(range(5), "X")] + [{q: "Z", q + 1: "Z"} for q in range(4)]
    exact = DM.projector_probability(c, gens).value
    got = STIM.projector_probability(c, gens, shots=SHOTS, rng=np.random.default_rng(2))
    _close(got.value, exact, math.sqrt(exact * (1 - exact) / SHOTS))
    ideal = Circuit(5).append("h", 0)
    for q in range(4):
        ideal.append("cx", q, q + 1)
    assert STIM.projector_probability(ideal, gens).value == 1.0
    # |+>^5 projected on the GHZ stabilizers: |<GHZ|+++++>|² = 2/2^5
    plus = Circuit(5)
    for q in range(5):
        plus.append("h", q)
    assert STIM.projector_probability(plus, gens).value == pytest.approx(1 / 16)
    assert DM.projector_probability(plus, gens).value == pytest.approx(1 / 16)


@pytest.mark.parametrize("op", [Operation(n, (0,)) for n in ONE] + [
    Operation(n, (0, 1)) for n in TWO] + [Operation(n, (0,), (k * math.pi / 2,))
                                          for n in ("rx", "ry", "rz", "p") for k in range(-3, 4)]
    + [Operation("cp", (0, 1), (math.pi,))], ids=lambda op: f"{op.name}{op.params}")
def test_stim_gates_are_the_density_matrix_gates_up_to_a_phase(op):
    u = gate_matrix(op)
    name = op.clifford_name()
    v = (np.eye(u.shape[0]) if name == "I" else
         stim.Tableau.from_named_gate(name).to_unitary_matrix(endian="big"))
    overlap = np.vdot(v, u) / u.shape[0]
    assert abs(abs(overlap) - 1) < 1e-6  # stim's unitaries are complex64


def test_the_automatic_choice_follows_the_gates():
    clifford = Circuit(2).append("h", 0).append("cx", 0, 1)
    t = Circuit(2).append("h", 0).append("t", 0)
    assert choose_simulator(clifford).name == "stabilizer"
    assert choose_simulator(t).name == "density-matrix"
    assert choose_simulator(clifford, "density-matrix").name == "density-matrix"
    with pytest.raises(ConfigError, match="backend: the circuit has non-Clifford"):
        choose_simulator(t, "stabilizer")
    with pytest.raises(ConfigError, match="backend: unknown simulator"):
        choose_simulator(t, "mps")
    with pytest.raises(ConfigError, match="operation: t"):
        to_stim(t)


def test_a_thousand_qubit_ghz_state_runs_on_stim():
    n = 1000
    c = Circuit(n).append("h", 0)
    for q in range(n - 1):
        c.append("cx", q, q + 1)
    gens = [dict.fromkeys(range(n), "X")] + [{q: "Z", q + 1: "Z"} for q in range(n - 1)]
    assert STIM.projector_probability(c, gens).value == 1.0
    with pytest.raises(ConfigError, match="n_qubits: the density-matrix simulator holds"):
        DM.state(c)


def test_bad_input_names_its_field():
    with pytest.raises(ConfigError, match="operation: unknown operation 'ccx'"):
        Circuit(3).append("ccx", 0, 1, 2)
    with pytest.raises(ConfigError, match=r"operation: cx: qubit 2 is not in 0\.\.1"):
        Circuit(2).append("cx", 0, 2)
    with pytest.raises(ConfigError, match="operation: h: qubits must be integers"):
        Circuit(2).append("h", 0.5)
    assert Circuit(3).append("cx", np.int64(0), np.int32(2)).operations[0].qubits == (0, 2)
    with pytest.raises(ConfigError, match="operation: pauli1: probabilities"):
        Circuit(1).append("pauli1", 0, params=(0.6, 0.6, 0.0))
    with pytest.raises(ConfigError, match="weights: must be four probabilities"):
        Circuit(2).bell_pair(0, 1, (0.9, 0.2, 0, 0))
    with pytest.raises(ConfigError, match="observable: qubit 0: Pauli must be"):
        STIM.expectations(Circuit(1), [{0: "W"}])
    noisy = Circuit(1).append("depolarize1", 0, params=(0.1,))
    with pytest.raises(ConfigError, match="rng: sampling"):
        STIM.expectations(noisy, [{0: "Z"}])
    with pytest.raises(ConfigError, match="shots: must be a positive integer"):
        STIM.expectations(noisy, [{0: "Z"}], shots=0, rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="generators: some of the 2 Pauli products"):
        STIM.projector_probability(noisy, [{0: "X"}, {0: "Z"}])


def test_same_seed_same_samples():
    c = Circuit(3).bell_pair(0, 1, (0.8, 0.1, 0.05, 0.05)).append("m", 0).append("m", 2)
    a = STIM.sample(c, shots=100, rng=np.random.default_rng(9))
    b = STIM.sample(c, shots=100, rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (100, 2)


def test_measurements_are_dropped_only_where_they_change_nothing():
    c = Circuit(3).append("h", 0).append("m", 0).append("cx", 0, 1).append("cz", 0, 2)
    assert not deferred(c, [{1: "Z"}, {0: "Z", 2: "X"}]).has_measurements()
    assert deferred(c, [{0: "X"}]) is c  # X on the measured qubit sees the dephasing
    later_target = Circuit(2).append("h", 0).append("m", 0).append("cx", 1, 0)
    assert deferred(later_target, [{1: "Z"}]) is later_target
    # both ways give the same numbers: <X0> = 0 after the measurement, <Z1 Z0> = 1
    want = [e.value for e in DM.expectations(c, [{0: "X"}, {0: "Z", 1: "Z"}])]
    assert want == pytest.approx([0.0, 1.0])
    got = STIM.expectations(c, [{0: "X"}, {0: "Z", 1: "Z"}], shots=SHOTS,
                            rng=np.random.default_rng(3))
    assert got[1].value == 1.0
    assert abs(got[0].value) <= 5 * math.sqrt(1 / SHOTS)


@pytest.mark.parametrize("seed", range(3))
def test_a_circuit_followed_by_its_inverse_is_the_identity(seed):
    """The fidelity checks of the applications undo the ideal circuit: U†U = I for every
    gate, angles included (density matrices, 1e-12)."""
    rng = np.random.default_rng(seed)
    c = Circuit(3)
    for _ in range(25):
        name = str(rng.choice(["h", "s", "sdg", "sx", "sxdg", "t", "tdg", "rx", "ry", "rz",
                               "p", "u", "cx", "cy", "cz", "swap", "cp", "crz"]))
        n_params = {"rx": 1, "ry": 1, "rz": 1, "p": 1, "cp": 1, "crz": 1, "u": 3}.get(name, 0)
        arity = 2 if name in TWO_QUBIT_GATES else 1
        qubits = [int(q) for q in rng.choice(3, arity, replace=False)]
        c.append(name, *qubits, params=tuple(rng.uniform(-4, 4, n_params)))
    rho = DM.state(Circuit(3).extend(c).extend(c.inverse()))
    want = np.zeros((8, 8))
    want[0, 0] = 1
    np.testing.assert_allclose(rho, want, atol=1e-12)
    assert DM.state(c)[0, 0].real < 1 - 1e-6  # the circuit itself does something
