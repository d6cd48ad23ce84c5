"""Stabilizer simulation on stim: Clifford circuits with Pauli noise, thousands of qubits.

A Clifford :class:`~qinet.quantum.circuit.Circuit` becomes a ``stim.Circuit`` gate for
gate (:func:`to_stim`); Pauli noise becomes stim's noise channels, which stim samples
exactly (Gidney 2021, "Stim: a fast stabilizer circuit simulator", Quantum 5, 497).
Numbers come in two ways:

* without noise and without measurements the output is one stabilizer state, and
  ``stim.TableauSimulator`` gives expectation values and projector probabilities
  exactly (``shots == 0``);
* otherwise the Pauli products asked for are measured at the end (stim's ``MPP``) in
  ``shots`` samples of a compiled sampler, seeded from the ``rng`` passed in; the value
  is the sample mean and ``std_error`` its binomial standard error. Same seed, same stim
  version and the same CPU instruction set give the same samples (stim's guarantee);
  across versions the exact samples are a spandrel.

Bell pairs delivered by the network enter as a perfect pair followed by the Pauli
channel of their Bell-diagonal weights (:meth:`Circuit.bell_pair`), which is exact for
Bell-diagonal states.

:func:`choose_simulator` picks stim for Clifford circuits and the exact density
matrices of :mod:`qinet.quantum.register` otherwise, unless told which.

Examples:
    >>> import numpy as np
    >>> from qinet.quantum.circuit import Circuit
    >>> ghz = Circuit(3).append("h", 0).append("cx", 0, 1).append("cx", 1, 2)
    >>> sim = choose_simulator(ghz)
    >>> sim.name, sim.expectations(ghz, [{0: "X", 1: "X", 2: "X"}])[0].value
    ('stabilizer', 1.0)
    >>> noisy = Circuit(2).bell_pair(0, 1, (0.8, 0.2, 0.0, 0.0))
    >>> zz = sim.expectations(noisy, [{0: "Z", 1: "Z"}], shots=10_000,
    ...                       rng=np.random.default_rng(1))[0]
    >>> abs(zz.value - 0.6) < 5 * zz.std_error   # <ZZ> = 1 - 2 p_X
    True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse
import stim
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.quantum.circuit import Circuit
from qinet.quantum.estimates import Estimate, check_pauli
from qinet.quantum.register import DensityMatrixSimulator

FloatArray = NDArray[np.float64]

_NOISE_NAMES = {"pauli1": "PAULI_CHANNEL_1", "depolarize1": "DEPOLARIZE1",
                "depolarize2": "DEPOLARIZE2"}
SIMULATORS: tuple[str, ...] = ("auto", "stabilizer", "density-matrix")
"""The values :func:`choose_simulator` accepts."""


def to_stim(circuit: Circuit) -> stim.Circuit:
    """The ``stim.Circuit`` of a Clifford circuit with Pauli noise.

    Raises:
        ConfigError: a non-Clifford gate (field ``operation``).

    Examples:
        >>> print(to_stim(Circuit(2).append("h", 0).append("cx", 0, 1)))
        H 0
        CX 0 1
    """
    # One line of stim's text format per operation, parsed once: about ten times faster
    # than one append call per operation on circuits of thousands of operations.
    lines: list[str] = []
    for op in circuit:
        if op.is_noise:
            args = ",".join(repr(p) for p in op.params)
            lines.append(f"{_NOISE_NAMES[op.name]}({args}) {' '.join(map(str, op.qubits))}")
            continue
        name = op.clifford_name()
        if name is None:
            raise ConfigError("operation", f"{op.name}{op.params or ''} on {op.qubits} is not "
                              f"a Clifford gate; use the density-matrix simulator")
        if name != "I":
            lines.append(f"{name} {' '.join(map(str, op.qubits))}")
    return stim.Circuit("\n".join(lines))


def _pauli_string(pauli: Mapping[int, str], n: int) -> stim.PauliString:
    checked = check_pauli(pauli, n)
    out = stim.PauliString(n)
    for q, label in checked.items():
        out[q] = label
    return out


def _mpp_targets(pauli: stim.PauliString) -> list[stim.GateTarget]:
    """MPP targets of a Pauli product; an identity is measured as ``Z`` of nothing, which
    stim does not allow, so callers skip identities."""
    targets: list[stim.GateTarget] = []
    for q in pauli.pauli_indices():
        if targets:
            targets.append(stim.target_combiner())
        targets.append(stim.target_pauli(q, "_XYZ"[pauli[q]]))
    return targets


def _seed(rng: np.random.Generator | None) -> int:
    if not isinstance(rng, np.random.Generator):
        raise ConfigError("rng", "sampling a noisy or measured circuit needs a "
                          f"numpy.random.Generator, got {rng!r}")
    return int(rng.integers(2**63))


def _shots(shots: int) -> int:
    if not isinstance(shots, int) or isinstance(shots, bool) or shots < 1:
        raise ConfigError("shots", f"must be a positive integer, got {shots!r}")
    return shots


def _is_exact(circuit: Circuit) -> bool:
    return not circuit.has_noise() and not circuit.has_measurements()


# After a Z measurement these uses of the measured qubit commute with Z dephasing.
_DIAGONAL_USES = {"cx": (0,), "cy": (0,), "cz": (0, 1), "cp": (0, 1), "crz": (0,), "m": (0,),
                  "i": (0,), "z": (0,), "s": (0,), "sdg": (0,), "t": (0,), "tdg": (0,),
                  "rz": (0,), "p": (0,)}


def deferred(circuit: Circuit, observables: Sequence[Mapping[int, str]]) -> Circuit:
    """``circuit`` without the Z measurements that do not change the final statistics of
    ``observables``, or ``circuit`` itself when some do.

    A non-selective Z measurement is Z dephasing. When the measured qubit is afterwards
    only a control of CX or CY, an end of CZ, measured again, or acted on by a diagonal
    gate, and every observable holds I or Z on it, the dephasing commutes with everything
    after it and with the observables, so dropping it changes no number asked for (the
    principle of deferred measurement). It matters for speed: without mid-circuit
    measurements stim's reference sample and the exact tableau path are cheap.
    """
    if not circuit.has_measurements():
        return circuit
    measured: set[int] = set()
    for op in circuit:
        if op.name == "m":
            measured.add(op.qubits[0])
            continue
        allowed = _DIAGONAL_USES.get(op.name, ())
        for position, q in enumerate(op.qubits):
            if q in measured and position not in allowed:
                return circuit
    for obs in observables:
        if any(q in measured and label.upper() in ("X", "Y") for q, label in obs.items()):
            return circuit
    out = Circuit(circuit.n_qubits)
    out.extend([op for op in circuit if op.name != "m"])
    return out


def _check_commuting(paulis: Sequence[Mapping[int, str]], n: int) -> bool:
    """Whether every two of ``paulis`` commute: the symplectic products ``x·z' + z·x'`` are
    even. Sparse matrices keep this linear in the number of non-identity factors."""
    rows, cols, xs, zs = [], [], [], []
    for i, p in enumerate(paulis):
        for q, label in p.items():
            rows.append(i)
            cols.append(q)
            xs.append(label in ("X", "Y"))
            zs.append(label in ("Z", "Y"))
    shape = (len(paulis), n)
    x = scipy.sparse.csr_array((np.array(xs, dtype=np.int64), (rows, cols)), shape=shape)
    z = scipy.sparse.csr_array((np.array(zs, dtype=np.int64), (rows, cols)), shape=shape)
    product = scipy.sparse.csr_array(x @ z.T + z @ x.T)
    return not bool((product.data % 2).any())


class StabilizerSimulator:
    """Clifford circuits with Pauli noise on stim (see the module docstring)."""

    name: str = "stabilizer"

    def __repr__(self) -> str:
        return "StabilizerSimulator()"

    def sample(self, circuit: Circuit, *, shots: int,
               rng: np.random.Generator | None) -> NDArray[np.bool_]:
        """The measurement record, ``(shots, measurements)`` booleans (True: outcome 1)."""
        sampler = to_stim(circuit).compile_sampler(seed=_seed(rng))
        record: NDArray[np.bool_] = sampler.sample(_shots(shots))
        return record

    def expectations(self, circuit: Circuit, observables: Sequence[Mapping[int, str]], *,
                     shots: int = 10_000, rng: np.random.Generator | None = None,
                     ) -> tuple[Estimate, ...]:
        """``<P>`` for each Pauli product ``P`` (``{qubit: "X" | "Y" | "Z"}``) at the end.

        Exact without noise and measurements; otherwise from ``shots`` samples, with the
        standard error ``sqrt((1 - <P>²)/shots)``.
        """
        n = circuit.n_qubits
        checked = [check_pauli(obs, n) for obs in observables]
        circuit = deferred(circuit, checked)
        paulis = [_pauli_string(obs, n) for obs in checked]
        if _is_exact(circuit):
            sim = stim.TableauSimulator()
            sim.set_num_qubits(n)
            sim.do_circuit(to_stim(circuit))
            return tuple(Estimate(float(sim.peek_observable_expectation(p)), 0.0, 0, self.name)
                         for p in paulis)
        shots = _shots(shots)
        commuting = _check_commuting(checked, n)
        groups = [paulis] if commuting else [[p] for p in paulis]
        values: list[float] = []
        for group in groups:
            values.extend(self._measured_means(circuit, group, shots, rng))
        return tuple(Estimate(v, math.sqrt(max(1.0 - v * v, 0.0) / shots), shots, self.name)
                     for v in values)

    def _measured_means(self, circuit: Circuit, paulis: list[stim.PauliString], shots: int,
                        rng: np.random.Generator | None) -> list[float]:
        """Means of ±1 outcomes of commuting ``paulis`` measured at the end."""
        measured = [p for p in paulis if p.weight > 0]
        if not measured:
            return [1.0] * len(paulis)
        bits = self._final_mpp(circuit, measured, shots, rng)
        means = iter((1.0 - 2.0 * bits.mean(axis=0)).tolist())
        return [next(means) if p.weight > 0 else 1.0 for p in paulis]

    def _final_mpp(self, circuit: Circuit, paulis: list[stim.PauliString], shots: int,
                   rng: np.random.Generator | None) -> NDArray[np.bool_]:
        """The outcome bits (True: −1) of ``paulis`` measured after ``circuit``."""
        program = to_stim(circuit)
        for p in paulis:
            program.append("MPP", _mpp_targets(p))
        record = program.compile_sampler(seed=_seed(rng)).sample(shots)
        out: NDArray[np.bool_] = record[:, record.shape[1] - len(paulis):]
        return out

    def projector_probability(self, circuit: Circuit, generators: Sequence[Mapping[int, str]],
                              *, shots: int = 10_000, rng: np.random.Generator | None = None,
                              ) -> Estimate:
        """``tr(Π ρ)``, ``Π = Π_g (1 + g)/2``: the probability that every commuting Pauli
        product ``g`` measures +1. For the generators of a stabilizer state this is the
        output's fidelity with that state.

        Raises:
            ConfigError: generators that do not commute (field ``generators``).
        """
        n = circuit.n_qubits
        checked = [check_pauli(g, n) for g in generators]
        if not _check_commuting(checked, n):
            raise ConfigError("generators", f"some of the {len(checked)} Pauli products do "
                              f"not commute")
        circuit = deferred(circuit, checked)
        paulis = [_pauli_string(g, n) for g in checked]
        if _is_exact(circuit):
            sim = stim.TableauSimulator()
            sim.set_num_qubits(n)
            sim.do_circuit(to_stim(circuit))
            prob = 1.0
            for g, p in zip(checked, paulis, strict=True):
                # a single Z (the common case: "did U† bring it back to 0") has cheap
                # calls of its own; a general product costs O(n²)
                single_z = len(g) == 1 and next(iter(g.values())) == "Z"
                q = next(iter(g)) if single_z else -1
                value = sim.peek_z(q) if single_z else sim.peek_observable_expectation(p)
                if value == -1:
                    return Estimate(0.0, 0.0, 0, self.name)
                if value == 0:
                    prob *= 0.5
                    if single_z:
                        sim.postselect_z(q, desired_value=False)
                    else:
                        sim.postselect_observable(p, desired_value=False)
            return Estimate(prob, 0.0, 0, self.name)
        shots = _shots(shots)
        measured = [p for p in paulis if p.weight > 0]
        if not measured:
            return Estimate(1.0, 0.0, shots, self.name)
        bits = self._final_mpp(circuit, measured, shots, rng)
        passed = float((~bits.any(axis=1)).mean())
        return Estimate(passed, math.sqrt(passed * (1.0 - passed) / shots), shots, self.name)

    def probabilities(self, circuit: Circuit, qubits: Sequence[int], *, shots: int = 10_000,
                      rng: np.random.Generator | None = None,
                      ) -> tuple[FloatArray, FloatArray]:
        """Frequencies of the Z outcomes of ``qubits`` at the end (index: bits of ``qubits``
        in order, first most significant) and their binomial standard errors."""
        shots = _shots(shots)
        circuit = deferred(circuit, [{q: "Z"} for q in qubits])
        zs = [_pauli_string({q: "Z"}, circuit.n_qubits) for q in qubits]
        bits = self._final_mpp(circuit, zs, shots, rng)
        weights = 1 << np.arange(len(zs) - 1, -1, -1)
        index = bits.astype(np.int64) @ weights
        probs: FloatArray = np.bincount(index, minlength=2 ** len(zs)) / shots
        return probs, np.sqrt(probs * (1.0 - probs) / shots)


def choose_simulator(circuit: Circuit, backend: str = "auto",
                     ) -> StabilizerSimulator | DensityMatrixSimulator:
    """The simulator for ``circuit``: with ``"auto"``, stim for a Clifford circuit (with
    Pauli noise and measurements) and exact density matrices otherwise.

    Raises:
        ConfigError: an unknown ``backend``, or ``"stabilizer"`` for a non-Clifford
            circuit (field ``backend``).

    Examples:
        >>> choose_simulator(Circuit(1).append("t", 0)).name
        'density-matrix'
    """
    if backend not in SIMULATORS:
        raise ConfigError("backend", f"unknown simulator {backend!r}; use one of {SIMULATORS}")
    if backend == "density-matrix":
        return DensityMatrixSimulator()
    if circuit.is_clifford():
        return StabilizerSimulator()
    if backend == "stabilizer":
        raise ConfigError("backend", "the circuit has non-Clifford gates; stim runs only "
                          "Clifford circuits (use 'auto' or 'density-matrix')")
    return DensityMatrixSimulator()
