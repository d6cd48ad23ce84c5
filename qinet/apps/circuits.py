"""Distributed circuits: a circuit whose qubits sit at network nodes, each non-local gate
paid for with one delivered Bell pair.

A circuit (a :class:`~qinet.quantum.circuit.Circuit`, OpenQASM 2 or 3 text, or a Qiskit
``QuantumCircuit``; see :mod:`qinet.apps.circuits_qasm`) and the node of each qubit go
in. Every two-qubit gate between qubits at different nodes becomes a non-local gate by
gate teleportation (Eisert, Jacobs, Papadopoulos & Plenio 2000, "Optimal local
implementation of nonlocal quantum gates", Phys. Rev. A 62, 052317), for a controlled
gate C-U with control c at node A and target t at node B and a pair (a at A, b at B):

1. cat-entangler: ``CX(c, a)``, measure a (outcome m), ``X^m`` on b: b is now a copy of c
   in the computational basis;
2. the local gate ``C-U(b, t)`` at node B;
3. cat-disentangler: measure b in the X basis (H, then Z; outcome m'), ``Z^m'`` on c.

``cx cy cz cp crz`` are controlled gates; a non-local ``swap`` is three non-local CX (three
pairs). Measurement outcomes steer later gates as classical controls (see
:mod:`qinet.quantum.circuit`).

Noise. A pair's state is Bell-diagonal with weights ``(w0, w1, w2, w3)`` (Φ+, Ψ+, Ψ-, Φ-),
that is a Pauli error I, X, Y, Z on b (:meth:`Circuit.bell_pair`). An X on b makes the
copy wrong, so the local gate acts with its control flipped; for a controlled Pauli U
that is the ideal gate followed by an extra U on t. A Z on b flips the X-basis outcome
m', so c gets a wrong Z. Hence a non-local CZ with a Bell-diagonal pair is a perfect CZ
followed by the Pauli channel ``{I: w0, Z_t: w1, Z_c Z_t: w2, Z_c: w3}``, and for Werner
pairs of fidelity F each of the three errors has probability (1 - F)/3.

Two-qubit Grover search (one qubit per node; oracle CZ marks |11>, diffusion
``H⊗H · X⊗X · CZ · X⊗X · H⊗H``) uses two non-local CZ. Its ideal success probability is 1.
Propagating the oracle's error ``Z_c^a Z_t^b`` through ``X⊗X·H⊗H`` gives ``X_c^a X_t^b``
before the diffusion CZ, which leaves it as ``Z_t^a Z_c^b`` on the state ``|-->`` there
(X acts on |-> as a phase); the search succeeds iff the diffusion CZ's own error
``Z_c^c Z_t^d`` cancels it (c = b, d = a). So

    P_success = w0² + w2² + 2 w1 w3,   = F² + (1 - F)²/3 for Werner pairs.

Examples:
    >>> from qinet.quantum.circuit import Circuit
    >>> bell = Circuit(2).append("h", 0).append("cx", 0, 1)
    >>> result = run_distributed(bell, ["alice", "bob"], pair_fidelity=1.0)
    >>> result.fidelity, result.pairs_used, result.pairs_by_link
    (1.0, 1, (('alice', 'bob', 1),))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.apps.circuits_qasm import as_circuit
from qinet.errors import ConfigError
from qinet.quantum.circuit import TWO_QUBIT_GATES, Circuit
from qinet.quantum.stabilizer import choose_simulator
from qinet.quantum.states import werner_weights

FloatArray = NDArray[np.float64]
_CONTROLLED = ("cx", "cy", "cz", "cp", "crz")
MAX_MEASURED_QUBITS = 16
"""At most this many measured qubits have their outcome distribution reported."""


@dataclass(frozen=True, slots=True)
class DistributedCircuit:
    """The circuit as the nodes run it: ``data_qubits[i]`` is the input's qubit i (the
    same index; communication qubits follow), one pair per non-local gate."""

    circuit: Circuit
    data_qubits: tuple[int, ...]
    nodes: tuple[str, ...]
    pairs_by_link: tuple[tuple[str, str, int], ...]

    @property
    def pairs_used(self) -> int:
        """Bell pairs consumed, all links together."""
        return sum(count for _, _, count in self.pairs_by_link)


@dataclass(frozen=True, slots=True)
class DistributedResult:
    """A distributed circuit against its ideal local run.

    ``fidelity`` is ``<ψ|ρ|ψ>`` of the data qubits' state ρ with the ideal output ψ (the
    circuit without its final measurements). ``outcome_probabilities`` are those of the
    input's final measurements (index: outcomes of ``measured_qubits`` in order, first
    most significant), with their standard errors. Exact numbers have ``shots == 0``.
    """

    fidelity: float
    fidelity_std_error: float
    pairs_used: int
    pairs_by_link: tuple[tuple[str, str, int], ...]
    measured_qubits: tuple[int, ...]
    outcome_probabilities: tuple[float, ...]
    outcome_std_errors: tuple[float, ...]
    shots: int
    backend: str


def _node_list(nodes: Sequence[str] | Mapping[int, str], n: int) -> tuple[str, ...]:
    if isinstance(nodes, Mapping):
        missing = [q for q in range(n) if q not in nodes]
        if missing:
            raise ConfigError("nodes", f"qubits {missing} have no node")
        return tuple(str(nodes[q]) for q in range(n))
    if isinstance(nodes, str) or len(nodes) != n:
        raise ConfigError("nodes", f"need one node name per qubit ({n}), got {nodes!r}")
    return tuple(str(x) for x in nodes)


PairStates = ArrayLike | Mapping[tuple[str, str], ArrayLike]
"""Bell weights of the delivered pairs: one row ``(4,)`` for every pair, one row per pair
``(P, 4)`` in the order the non-local gates use them, or a row per link keyed by its two
node names (either order)."""
PairFidelities = float | Mapping[tuple[str, str], float]
"""Werner fidelity of every pair, or one per link keyed by its two node names."""


def _bell_row(field: str, value: ArrayLike) -> tuple[float, ...]:
    w = np.asarray(value, dtype=np.float64)
    if w.shape != (4,) or (w < 0).any() or abs(float(w.sum()) - 1.0) > 1e-9:
        raise ConfigError(field, f"need 4 Bell weights summing to 1, got {w.tolist()}")
    return tuple(float(x) for x in w)


class _PairSource:
    """The Bell weights of the i-th pair, used on link (u, v)."""

    def __init__(self, pair_weights: PairStates | None,
                 pair_fidelity: PairFidelities | None) -> None:
        if (pair_weights is None) == (pair_fidelity is None):
            raise ConfigError("pair_weights",
                              "give exactly one of pair_weights and pair_fidelity")
        self.by_link: dict[frozenset[str], tuple[float, ...]] | None = None
        self.rows: list[tuple[float, ...]] = []
        self.per_pair = False  # one row per pair, rather than one row for all
        if isinstance(pair_fidelity, Mapping):
            self.by_link = {frozenset(k): _bell_row("pair_fidelity", werner_weights(float(f)))
                            for k, f in pair_fidelity.items()}
        elif pair_fidelity is not None:
            self.rows = [_bell_row("pair_fidelity", werner_weights(float(pair_fidelity)))]
        elif isinstance(pair_weights, Mapping):
            self.by_link = {frozenset(k): _bell_row("pair_weights", w)
                            for k, w in pair_weights.items()}
        else:
            arr = np.asarray(pair_weights, dtype=np.float64)
            self.rows = [_bell_row("pair_weights", r) for r in np.atleast_2d(arr)]
            self.per_pair = arr.ndim == 2

    def weights(self, index: int, u: str, v: str) -> tuple[float, ...]:
        if self.by_link is not None:
            try:
                return self.by_link[frozenset((u, v))]
            except KeyError:
                raise ConfigError("pair_weights", f"no pair state for link {u}-{v}") from None
        if not self.per_pair:
            return self.rows[0]
        if index >= len(self.rows):
            raise ConfigError("pair_weights", f"the circuit needs more than {len(self.rows)} "
                              f"pairs")
        return self.rows[index]


def distribute(circuit: Circuit, nodes: Sequence[str] | Mapping[int, str], *,
               pair_weights: PairStates | None = None,
               pair_fidelity: PairFidelities | None = None) -> DistributedCircuit:
    """Rewrite ``circuit`` so that every non-local gate uses one Bell pair (module
    docstring). The pairs have the Bell weights ``pair_weights`` or are Werner pairs of
    ``pair_fidelity`` (see :data:`PairStates`, :data:`PairFidelities`): a network run's
    delivered pairs enter here, for instance ``{socket.between: socket.fidelity_mean}``
    from the EPR sockets' records of :mod:`qinet.apps.sdk`.

    Raises:
        ConfigError: ``nodes`` not one per qubit (field ``nodes``), weights that are not
            Bell weights (field ``pair_weights``), or a non-local gate that is neither
            controlled nor a swap (field ``operation``).
    """
    where = _node_list(nodes, circuit.n_qubits)
    source = _PairSource(pair_weights, pair_fidelity)
    ops: list[tuple[str, tuple[int, ...], tuple[float, ...]]] = []
    links: Counter[tuple[str, str]] = Counter()
    n_total = circuit.n_qubits

    def nonlocal_controlled(name: str, c: int, t: int, params: tuple[float, ...]) -> None:
        nonlocal n_total
        a, b = n_total, n_total + 1
        n_total += 2
        weights = source.weights(sum(links.values()), where[c], where[t])
        first, second = sorted((where[c], where[t]))
        links[(first, second)] += 1
        ops.extend([("bell", (a, b), weights),
                    ("cx", (c, a), ()), ("m", (a,), ()), ("cx", (a, b), ()),
                    (name, (b, t), params),
                    ("h", (b,), ()), ("m", (b,), ()), ("cz", (b, c), ())])

    for op in circuit:
        local = len(op.qubits) < 2 or where[op.qubits[0]] == where[op.qubits[1]]
        if local or op.is_noise:
            ops.append((op.name, op.qubits, op.params))
        elif op.name in _CONTROLLED:
            nonlocal_controlled(op.name, op.qubits[0], op.qubits[1], op.params)
        elif op.name == "swap":
            c, t = op.qubits
            for control, target in ((c, t), (t, c), (c, t)):
                nonlocal_controlled("cx", control, target, ())
        else:
            raise ConfigError("operation", f"non-local {op.name} is not supported; use one of "
                              f"{[*_CONTROLLED, 'swap']} (of {sorted(TWO_QUBIT_GATES)})")
    out = Circuit(n_total)
    for name, qubits, params in ops:
        if name == "bell":
            out.bell_pair(qubits[0], qubits[1], params)
        else:
            out.append(name, *qubits, params=params)
    by_link = tuple((u, v, count) for (u, v), count in sorted(links.items()))
    return DistributedCircuit(out, tuple(range(circuit.n_qubits)), where, by_link)


def _split_final_measurements(circuit: Circuit) -> tuple[Circuit, tuple[int, ...]]:
    """The circuit without its final measurements, and the qubits those measured.

    Raises:
        ConfigError: a measurement followed by another operation on its qubit, or noise
            in the input (field ``circuit``).
    """
    body = Circuit(circuit.n_qubits)
    measured: list[int] = []
    for op in circuit:
        if op.is_noise:
            raise ConfigError("circuit", f"the input circuit must be ideal, got {op.name}")
        if op.name == "m":
            if op.qubits[0] not in measured:
                measured.append(op.qubits[0])
            continue
        if any(q in measured for q in op.qubits):
            raise ConfigError("circuit", f"{op.name} on {op.qubits} follows a measurement of "
                              f"its qubit; only final measurements are supported")
        body.append(op.name, *op.qubits, params=op.params)
    return body, tuple(measured)


def run_distributed(circuit: object, nodes: Sequence[str] | Mapping[int, str], *,
                    pair_weights: PairStates | None = None,
                    pair_fidelity: PairFidelities | None = None,
                    shots: int = 10_000, rng: np.random.Generator | None = None,
                    backend: str = "auto") -> DistributedResult:
    """Run ``circuit`` over the nodes and compare it with its ideal local run.

    The fidelity with the ideal output ``ψ = U|0...0>`` is the probability that the data
    qubits, after the distributed circuit and then ``U†``, all read 0. Clifford circuits
    run on stim (exact with perfect pairs, else ``shots`` samples); others on density
    matrices (at most 12 qubits, communication qubits included).

    Args:
        circuit: a Circuit, OpenQASM 2 or 3 text, or a Qiskit QuantumCircuit.
        nodes: the node of each qubit (a list, or a mapping from qubit index).
        pair_weights: Bell weights (Φ+, Ψ+, Ψ-, Φ-) of the delivered pairs
            (:data:`PairStates`).
        pair_fidelity: Werner fidelity of the delivered pairs, instead
            (:data:`PairFidelities`).
        shots: samples when the run is sampled.
        rng: seeds the sampler; needed when the pairs are noisy.
        backend: "auto", "stabilizer" or "density-matrix".
    """
    body, measured = _split_final_measurements(as_circuit(circuit))
    if len(measured) > MAX_MEASURED_QUBITS:
        raise ConfigError("circuit", f"at most {MAX_MEASURED_QUBITS} measured qubits, got "
                          f"{len(measured)}")
    dist = distribute(body, nodes, pair_weights=pair_weights, pair_fidelity=pair_fidelity)
    undo = Circuit(dist.circuit.n_qubits).extend(dist.circuit.operations)
    undo.extend(body.inverse().operations)
    sim = choose_simulator(undo, backend)
    zeros = [{q: "Z"} for q in dist.data_qubits]
    fid = sim.projector_probability(undo, zeros, shots=shots, rng=rng)
    probs: tuple[float, ...] = ()
    errors: tuple[float, ...] = ()
    if measured:
        p, e = sim.probabilities(dist.circuit, list(measured), shots=shots, rng=rng)
        probs, errors = tuple(p.tolist()), tuple(e.tolist())
    return DistributedResult(fid.value, fid.std_error, dist.pairs_used, dist.pairs_by_link,
                             measured, probs, errors, fid.shots, fid.backend)
