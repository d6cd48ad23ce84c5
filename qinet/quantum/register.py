"""Exact density matrices of a few qubits: any gate of a :class:`~.circuit.Circuit`.

The state of n qubits is a tensor with 2n axes of size 2 (rows then columns, qubit 0
first, so qubit 0 is the most significant bit of a basis index). A k-qubit gate U is
applied as ``ρ → U ρ U†`` by contracting U with the rows of its qubits and ``U*`` with
the columns (:func:`~qinet.quantum.operators.conjugate`), which costs ``O(4^n 2^k)`` and
never forms a
``2^n x 2^n`` gate. A Pauli channel is ``Σ_P p_P P ρ P``; a measurement of Z is
non-selective, ``(ρ + Z ρ Z)/2`` (see :mod:`qinet.quantum.circuit`).

Memory is ``16^n`` bytes, so :data:`MAX_QUBITS` (12 qubits: 256 MiB) is the limit.

Examples:
    >>> from qinet.quantum.circuit import Circuit
    >>> bell = Circuit(2).append("h", 0).append("cx", 0, 1)
    >>> round(DensityMatrixSimulator().expectations(bell, [{0: "X", 1: "X"}])[0].value, 12)
    1.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.quantum.circuit import Circuit, Operation
from qinet.quantum.estimates import Estimate, check_pauli
from qinet.quantum.operators import apply_to_axes, conjugate, rotation
from qinet.quantum.states import PAULI_MATRICES

ComplexArray = NDArray[np.complex128]
FloatArray = NDArray[np.float64]

MAX_QUBITS = 12
_PAULI_INDEX = {"I": 0, "X": 1, "Y": 2, "Z": 3}
_S2 = 1.0 / math.sqrt(2.0)


def _phase(lam: float) -> ComplexArray:
    return np.array([[1, 0], [0, np.exp(1j * lam)]], dtype=np.complex128)


def _controlled(u: ComplexArray) -> ComplexArray:
    """``|0><0| ⊗ I + |1><1| ⊗ U`` with the control first."""
    out = np.eye(4, dtype=np.complex128)
    out[2:, 2:] = u
    return out


def gate_matrix(op: Operation) -> ComplexArray:
    """The unitary of a gate, ``2^k x 2^k`` with its first qubit most significant.

    Examples:
        >>> gate_matrix(Operation("cx", (0, 1))).real.astype(int).tolist()[2]
        [0, 0, 0, 1]
    """
    name, par = op.name, op.params
    fixed = {"i": PAULI_MATRICES[0], "x": PAULI_MATRICES[1], "y": PAULI_MATRICES[2],
             "z": PAULI_MATRICES[3], "h": np.array([[_S2, _S2], [_S2, -_S2]]),
             "s": _phase(math.pi / 2), "sdg": _phase(-math.pi / 2),
             "t": _phase(math.pi / 4), "tdg": _phase(-math.pi / 4),
             "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
             "sxdg": 0.5 * np.array([[1 - 1j, 1 + 1j], [1 + 1j, 1 - 1j]]),
             "swap": np.eye(4)[[0, 2, 1, 3]]}
    if name in fixed:
        return np.asarray(fixed[name], dtype=np.complex128)
    if name in ("cx", "cy", "cz"):
        return _controlled(PAULI_MATRICES[{"cx": 1, "cy": 2, "cz": 3}[name]])
    if name in ("rx", "ry", "rz"):
        return rotation({"rx": 1, "ry": 2, "rz": 3}[name], par[0])
    if name == "p":
        return _phase(par[0])
    if name == "cp":
        return _controlled(_phase(par[0]))
    if name == "crz":
        return _controlled(rotation(3, par[0]))
    if name == "u":  # OpenQASM 3's U(θ, φ, λ)
        theta, phi, lam = par
        c, s = math.cos(theta / 2), math.sin(theta / 2)
        return np.array([[c, -np.exp(1j * lam) * s],
                         [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c]],
                        dtype=np.complex128)
    raise ConfigError("operation", f"{name} is not a gate")


def _pauli_channel(rho: ComplexArray, probs: Mapping[tuple[int, ...], float],
                   qubits: Sequence[int], n: int) -> ComplexArray:
    """``Σ p_P P ρ P`` over the Paulis P (index tuples, one per qubit) with weight p."""
    out = (1.0 - sum(probs.values())) * rho
    for paulis, p in probs.items():
        if p > 0:
            op = PAULI_MATRICES[paulis[0]]
            for index in paulis[1:]:
                op = np.kron(op, PAULI_MATRICES[index])
            out = out + p * conjugate(rho, op, qubits, n)
    return out


def _noise_probs(op: Operation) -> dict[tuple[int, ...], float]:
    if op.name == "pauli1":
        return {(1,): op.params[0], (2,): op.params[1], (3,): op.params[2]}
    if op.name == "depolarize1":
        return {(k,): op.params[0] / 3 for k in (1, 2, 3)}
    return {pq: op.params[0] / 15 for pq in itertools.product(range(4), repeat=2) if pq != (0, 0)}


class DensityMatrixSimulator:
    """Exact simulation of any :class:`Circuit` of at most :data:`MAX_QUBITS` qubits.

    The ``shots`` and ``rng`` arguments of its methods are accepted for the interface
    that it shares with :class:`~qinet.quantum.stabilizer.StabilizerSimulator` and are
    not used: every number is exact (``std_error`` 0).
    """

    name: str = "density-matrix"

    def __repr__(self) -> str:
        return "DensityMatrixSimulator()"

    def state(self, circuit: Circuit) -> ComplexArray:
        """The final density matrix, ``2^n x 2^n``, of ``circuit`` run on ``|0...0>``.

        Raises:
            ConfigError: more than :data:`MAX_QUBITS` qubits (field ``n_qubits``).
        """
        n = circuit.n_qubits
        if n > MAX_QUBITS:
            raise ConfigError("n_qubits", f"the density-matrix simulator holds at most "
                              f"{MAX_QUBITS} qubits, got {n}; Clifford circuits run on stim")
        rho = np.zeros((2,) * (2 * n), dtype=np.complex128)
        rho[(0,) * (2 * n)] = 1.0
        for op in circuit:
            if op.name == "m":
                rho = _pauli_channel(rho, {(3,): 0.5}, op.qubits, n)
            elif op.is_noise:
                rho = _pauli_channel(rho, _noise_probs(op), op.qubits, n)
            else:
                rho = conjugate(rho, gate_matrix(op), op.qubits, n)
        out: ComplexArray = rho.reshape(2**n, 2**n)
        return out

    def expectations(self, circuit: Circuit, observables: Sequence[Mapping[int, str]], *,
                     shots: int = 0, rng: np.random.Generator | None = None,
                     ) -> tuple[Estimate, ...]:
        """``tr(P ρ)`` for each Pauli product ``P`` (``{qubit: "X" | "Y" | "Z"}``)."""
        rho = self.state(circuit).reshape((2,) * (2 * circuit.n_qubits))
        return tuple(Estimate(_pauli_expectation(rho, check_pauli(obs, circuit.n_qubits),
                                                 circuit.n_qubits), 0.0, 0, self.name)
                     for obs in observables)

    def projector_probability(self, circuit: Circuit, generators: Sequence[Mapping[int, str]],
                              *, shots: int = 0, rng: np.random.Generator | None = None,
                              ) -> Estimate:
        """``tr(Π ρ)`` with ``Π = Π_g (1 + g)/2`` over commuting Pauli products ``g``.

        For the generators of a stabilizer state, this is the fidelity of the output
        with that state.
        """
        n = circuit.n_qubits
        rho = self.state(circuit).reshape((2,) * (2 * n))
        for gen in generators:
            rho = 0.5 * (rho + _apply_pauli(rho, check_pauli(gen, n)))
        value = float(np.trace(rho.reshape(2**n, 2**n)).real)
        return Estimate(value, 0.0, 0, self.name)

    def probabilities(self, circuit: Circuit, qubits: Sequence[int], *, shots: int = 0,
                      rng: np.random.Generator | None = None) -> tuple[FloatArray, FloatArray]:
        """Probabilities of the Z outcomes of ``qubits`` at the end (index: bits of
        ``qubits`` in order, first most significant) and their standard errors (zeros)."""
        n = circuit.n_qubits
        diag = np.diagonal(self.state(circuit)).real.reshape((2,) * n)
        other = tuple(q for q in range(n) if q not in qubits)
        marginal = np.transpose(diag.sum(axis=other) if other else diag,
                                np.argsort(np.argsort(list(qubits))))
        probs: FloatArray = np.clip(marginal.reshape(-1), 0.0, None)
        return probs, np.zeros_like(probs)


def _apply_pauli(rho: ComplexArray, pauli: Mapping[int, str]) -> ComplexArray:
    for q, label in pauli.items():
        rho = apply_to_axes(rho, PAULI_MATRICES[_PAULI_INDEX[label]], [q])
    return rho


def _pauli_expectation(rho: ComplexArray, pauli: Mapping[int, str], n: int) -> float:
    prod = _apply_pauli(rho, pauli).reshape(2**n, 2**n)
    return float(np.trace(prod).real)
