"""Distributed circuits against their local runs and against closed forms.

Exact runs (density matrices, or stim without noise) are held to 1e-12. Sampled runs are
held to 5 binomial standard errors at the closed-form value, ``5 sqrt(p(1-p)/shots)``.
"""

import math
import sys

import numpy as np
import pytest

from qinet.apps.circuits import distribute, run_distributed
from qinet.apps.circuits_qasm import as_circuit, from_qasm
from qinet.errors import ConfigError
from qinet.quantum.circuit import Circuit
from qinet.quantum.register import DensityMatrixSimulator

SHOTS = 20_000

GHZ_QASM2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[4];
creg c[4];
h q[0];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
"""

GROVER_QASM3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q;
bit[2] c;
h q[0]; h q[1];
cz q[0], q[1];
h q[0]; h q[1]; x q[0]; x q[1];
cz q[0], q[1];
x q[0]; x q[1]; h q[0]; h q[1];
c = measure q;
"""


def _grover_closed_form(w):
    """P_success = w0² + w2² + 2 w1 w3 (derived in qinet.apps.circuits)."""
    return w[0] ** 2 + w[2] ** 2 + 2 * w[1] * w[3]


def _random_circuit(n, depth, rng, *, clifford):
    c = Circuit(n)
    one = ["h", "s", "sx", "x", "y", "z"] + ([] if clifford else ["t", "tdg"])
    two = ["cx", "cz", "cy", "swap"] + ([] if clifford else ["cp", "crz"])
    for _ in range(depth):
        if rng.random() < 0.5:
            c.append(str(rng.choice(one)), int(rng.integers(n)))
        else:
            a, b = (int(q) for q in rng.choice(n, 2, replace=False))
            name = str(rng.choice(two))
            c.append(name, a, b, params=(float(rng.uniform(0, 2 * math.pi)),)
                     if name in ("cp", "crz") else ())
    return c


def _small_case(seed: int) -> tuple[Circuit, list[str], int]:
    """A random 3-qubit circuit over nodes a, a, b, and the qubits its distributed form
    needs (each non-local gate adds two)."""
    rng = np.random.default_rng(seed)
    local = _random_circuit(3, 8, rng, clifford=False)
    local.append("m", 0).append("m", 2)
    nodes = ["a", "a", "b"]
    dist = distribute(Circuit(3).extend(list(local)[:-2]), nodes, pair_fidelity=1.0)
    return local, nodes, dist.circuit.n_qubits


# the first four seeds whose distributed circuit fits the 12-qubit density-matrix check
_FITTING_SEEDS = [s for s in range(20) if _small_case(s)[2] <= 12][:4]


@pytest.mark.parametrize("seed", _FITTING_SEEDS)
def test_perfect_pairs_reproduce_the_local_circuit_exactly(seed):
    local, nodes, _ = _small_case(seed)
    result = run_distributed(local, nodes, pair_fidelity=1.0, backend="density-matrix")
    assert result.fidelity == pytest.approx(1.0, abs=1e-12)
    want, _ = DensityMatrixSimulator().probabilities(local, [0, 2])
    np.testing.assert_allclose(result.outcome_probabilities, want, atol=1e-12)
    assert result.measured_qubits == (0, 2)


@pytest.mark.parametrize("seed", range(3))
def test_perfect_pairs_reproduce_a_clifford_circuit_exactly_on_stim(seed):
    rng = np.random.default_rng(10 + seed)
    local = _random_circuit(12, 60, rng, clifford=True)
    nodes = [f"n{q % 3}" for q in range(12)]
    result = run_distributed(local, nodes, pair_fidelity=1.0)
    assert (result.fidelity, result.shots, result.backend) == (1.0, 0, "stabilizer")
    assert result.pairs_used > 10


@pytest.mark.parametrize("weights", [(1.0, 0, 0, 0), (0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3),
                                     (0.8, 0.05, 0.1, 0.05), (0.7, 0.2, 0.0, 0.1)])
def test_two_module_ghz_fidelity_is_the_pair_fidelity(weights):
    """GHZ on q0..q3 with q0, q1 at A and q2, q3 at B: one non-local CX. Each of the
    pair's errors (Z on q1, X on q2 spread to q3, both) makes an orthogonal state, so
    F_GHZ = w0."""
    nodes = ["A", "A", "B", "B"]
    exact = run_distributed(GHZ_QASM2, nodes, pair_weights=weights, backend="density-matrix")
    assert exact.fidelity == pytest.approx(weights[0], abs=1e-12)
    assert exact.pairs_used == 1
    sampled = run_distributed(GHZ_QASM2, nodes, pair_weights=weights, shots=SHOTS,
                              rng=np.random.default_rng(4))
    f = weights[0]
    assert abs(sampled.fidelity - f) <= 5 * math.sqrt(f * (1 - f) / SHOTS) + 1e-12


@pytest.mark.parametrize("weights", [(1.0, 0, 0, 0), (0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3),
                                     (0.75, 0.25 / 3, 0.25 / 3, 0.25 / 3),
                                     (0.8, 0.05, 0.1, 0.05), (0.6, 0.3, 0.0, 0.1)])
def test_two_module_grover_success_follows_the_closed_form(weights):
    nodes = ["A", "B"]
    want = _grover_closed_form(weights)
    exact = run_distributed(GROVER_QASM3, nodes, pair_weights=weights,
                            backend="density-matrix")
    assert exact.outcome_probabilities[3] == pytest.approx(want, abs=1e-12)
    assert exact.pairs_used == 2
    sampled = run_distributed(GROVER_QASM3, nodes, pair_weights=weights, shots=SHOTS,
                              rng=np.random.default_rng(8))
    p, err = sampled.outcome_probabilities[3], math.sqrt(want * (1 - want) / SHOTS)
    assert abs(p - want) <= 5 * err + 1e-12
    assert sampled.outcome_std_errors[3] == pytest.approx(
        math.sqrt(p * (1 - p) / SHOTS), abs=1e-12)


def test_werner_grover_is_f_squared_plus_a_third_of_the_rest_squared():
    for f in (1.0, 0.95, 0.8, 0.5):
        r = run_distributed(GROVER_QASM3, ["A", "B"], pair_fidelity=f, backend="density-matrix")
        assert r.outcome_probabilities[3] == pytest.approx(f**2 + (1 - f) ** 2 / 3, abs=1e-12)


def test_each_pair_or_link_can_have_its_own_state():
    """Grover with a different pair for the oracle (a) and the diffusion (b):
    P = a0 b0 + a2 b2 + a1 b3 + a3 b1 (the cancellation condition of the closed form)."""
    a, b = (0.85, 0.1, 0.0, 0.05), (0.7, 0.05, 0.15, 0.1)
    want = a[0] * b[0] + a[2] * b[2] + a[1] * b[3] + a[3] * b[1]
    r = run_distributed(GROVER_QASM3, ["A", "B"], pair_weights=[a, b], backend="density-matrix")
    assert r.outcome_probabilities[3] == pytest.approx(want, abs=1e-12)
    c = Circuit(3).append("h", 0).append("cx", 0, 1).append("cx", 1, 2)
    per_link = {("y", "x"): 0.9, ("y", "z"): 0.8}
    r = run_distributed(c, ["x", "y", "z"], pair_fidelity=per_link, backend="density-matrix")
    # each non-local CX leaves I (w0), Z on its control (w3), X on its target spread to the
    # later qubits (w1) or both (w2); only I·I and Z0·Z1 (a GHZ stabilizer) keep the state
    want = 0.9 * 0.8 + (0.1 / 3) * (0.2 / 3)
    assert r.fidelity == pytest.approx(want, abs=1e-12)
    with pytest.raises(ConfigError, match="pair_weights: no pair state for link y-z"):
        run_distributed(c, ["x", "y", "z"], pair_weights={("x", "y"): (1, 0, 0, 0)})
    with pytest.raises(ConfigError, match="pair_weights: the circuit needs more than 1 pairs"):
        run_distributed(c, ["x", "y", "z"], pair_weights=[(1, 0, 0, 0)])


def test_qiskit_circuits_and_qasm_text_give_the_same_circuit():
    import qiskit

    qc = qiskit.QuantumCircuit(4)
    qc.h(0)
    for q in range(3):
        qc.cx(q, q + 1)
    assert [(op.name, op.qubits) for op in as_circuit(qc)] == [
        (op.name, op.qubits) for op in from_qasm(GHZ_QASM2)]
    r = run_distributed(qc, {0: "A", 1: "A", 2: "B", 3: "B"}, pair_fidelity=1.0)
    assert r.fidelity == 1.0


def test_gates_outside_the_set_are_decomposed_first():
    qasm = ('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; h q[1];'
            ' rzz(0.7) q[0], q[1]; ry(0.3) q[1];')
    r = run_distributed(qasm, ["A", "B"], pair_fidelity=1.0)
    assert r.backend == "density-matrix"
    assert r.fidelity == pytest.approx(1.0, abs=1e-12)
    # one pair per two-qubit gate of the decomposition, whichever Qiskit chose
    two_qubit = [op for op in as_circuit(qasm) if len(op.qubits) == 2]
    assert r.pairs_used == len(two_qubit) >= 1
    assert {op.name for op in as_circuit(qasm)} <= {"h", "ry", "rz", "p", "cx", "cp", "crz",
                                                    "u", "cz"}


def test_pairs_are_counted_per_link_and_a_swap_costs_three():
    c = Circuit(3).append("h", 0).append("swap", 0, 1).append("cz", 1, 2).append("cx", 2, 0)
    dist = distribute(c, ["x", "y", "z"], pair_fidelity=0.9)
    assert dist.pairs_by_link == (("x", "y", 3), ("x", "z", 1), ("y", "z", 1))
    assert dist.pairs_used == 5
    assert dist.circuit.n_qubits == 3 + 2 * 5


def test_bad_input_names_its_field(monkeypatch):
    bell = Circuit(2).append("h", 0).append("cx", 0, 1)
    with pytest.raises(ConfigError, match="nodes: need one node name per qubit"):
        run_distributed(bell, ["a"], pair_fidelity=1.0)
    with pytest.raises(ConfigError, match="pair_weights: give exactly one"):
        run_distributed(bell, ["a", "b"])
    with pytest.raises(ConfigError, match="pair_weights: need 4 Bell weights"):
        run_distributed(bell, ["a", "b"], pair_weights=[0.5, 0.6, 0, 0])
    mid = Circuit(2).append("m", 0).append("cx", 0, 1)
    with pytest.raises(ConfigError, match=r"circuit: cx on \(0, 1\) follows a measurement"):
        run_distributed(mid, ["a", "b"], pair_fidelity=1.0)
    with pytest.raises(ConfigError, match="circuit: not valid OpenQASM 2"):
        from_qasm("OPENQASM 2.0; qreg q[1]; frobnicate q[0];")
    monkeypatch.setitem(sys.modules, "qiskit", None)
    with pytest.raises(ConfigError, match=r"pip install 'qinet\[circuits\]'"):
        from_qasm(GHZ_QASM2)
