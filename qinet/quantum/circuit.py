"""Circuits of named gates on numbered qubits: the input of the circuit simulators.

A :class:`Circuit` is a list of :class:`Operation` on qubits ``0 .. n_qubits - 1``, read
by both :mod:`qinet.quantum.stabilizer` (stim, many qubits, Clifford gates and Pauli
noise) and :mod:`qinet.quantum.register` (exact density matrices, any gate, few qubits).

Operations (names as in OpenQASM's standard library where one exists):

* one-qubit gates ``i x y z h s sdg sx sxdg t tdg`` and, with angles in radians,
  ``rx ry rz p`` (one angle) and ``u`` (θ, φ, λ);
* two-qubit gates ``cx cy cz swap`` and, with one angle, ``cp crz``;
* ``m``: a measurement of Z. It is non-selective: the qubit keeps its outcome, so a gate
  controlled by a measured qubit is the classically controlled gate (the principle of
  deferred measurement, Nielsen & Chuang 2010, §4.4). Feed-forward is written that way;
* Pauli noise, whose probabilities follow stim's gates of the same meaning: ``pauli1``
  (p_X, p_Y, p_Z), ``depolarize1`` (p: X, Y, Z each with p/3) and ``depolarize2``
  (p: each of the 15 non-identity two-qubit Paulis with p/15).

Examples:
    >>> c = Circuit(2).append("h", 0).append("cx", 0, 1)
    >>> len(c), c.is_clifford()
    (2, True)
    >>> Circuit(1).append("rz", 0, params=(0.1,)).is_clifford()
    False
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from qinet.errors import ConfigError

ONE_QUBIT_GATES: dict[str, int] = {
    "i": 0, "x": 0, "y": 0, "z": 0, "h": 0, "s": 0, "sdg": 0, "sx": 0, "sxdg": 0,
    "t": 0, "tdg": 0, "rx": 1, "ry": 1, "rz": 1, "p": 1, "u": 3,
}
"""Name → number of angles."""
TWO_QUBIT_GATES: dict[str, int] = {"cx": 0, "cy": 0, "cz": 0, "swap": 0, "cp": 1, "crz": 1}
"""Name → number of angles."""
NOISE: dict[str, tuple[int, int]] = {"pauli1": (1, 3), "depolarize1": (1, 1),
                                     "depolarize2": (2, 1)}
"""Name → (qubits, probabilities)."""

_FIXED_CLIFFORD = {"i": "I", "x": "X", "y": "Y", "z": "Z", "h": "H", "s": "S", "sdg": "S_DAG",
                   "sx": "SQRT_X", "sxdg": "SQRT_X_DAG", "cx": "CX", "cy": "CY", "cz": "CZ",
                   "swap": "SWAP", "m": "M"}
# A rotation by k quarter turns (k = 0, 1, 2, 3), up to a global phase.
_QUARTER_TURNS = {"rz": ("I", "S", "Z", "S_DAG"), "p": ("I", "S", "Z", "S_DAG"),
                  "rx": ("I", "SQRT_X", "X", "SQRT_X_DAG"),
                  "ry": ("I", "SQRT_Y", "Y", "SQRT_Y_DAG")}
_ANGLE_TOLERANCE = 1e-9
_INVERSE_NAMES = {"s": "sdg", "sdg": "s", "t": "tdg", "tdg": "t", "sx": "sxdg", "sxdg": "sx"}


@dataclass(frozen=True, slots=True)
class Operation:
    """One gate, measurement or noise channel on ``qubits`` with real ``params``."""

    name: str
    qubits: tuple[int, ...]
    params: tuple[float, ...] = ()

    @property
    def is_noise(self) -> bool:
        """Whether this is a Pauli noise channel."""
        return self.name in NOISE

    def clifford_name(self) -> str | None:
        """The stim name of this operation if it is a Clifford gate or a measurement.

        Rotations by a multiple of π/2 (``p`` and ``cp`` by a multiple of π) are
        Clifford; their global phase is dropped.

        Examples:
            >>> Operation("rx", (0,), (math.pi / 2,)).clifford_name()
            'SQRT_X'
            >>> Operation("cp", (0, 1), (math.pi,)).clifford_name()
            'CZ'
            >>> Operation("t", (0,)).clifford_name() is None
            True
        """
        if self.name in _FIXED_CLIFFORD:
            return _FIXED_CLIFFORD[self.name]
        if self.name in _QUARTER_TURNS:
            turns = _quarter_turns(self.params[0])
            return None if turns is None else _QUARTER_TURNS[self.name][turns]
        if self.name == "cp":
            turns = _quarter_turns(self.params[0])
            if turns is not None and turns % 2 == 0:
                return "CZ" if turns == 2 else "I"
        return None


def _quarter_turns(angle: float) -> int | None:
    """``k mod 4`` when ``angle = k π/2`` (within 1e-9 rad), else None."""
    k = angle / (math.pi / 2)
    nearest = round(k)
    if abs(k - nearest) * (math.pi / 2) > _ANGLE_TOLERANCE:
        return None
    return int(nearest) % 4


class Circuit:
    """A circuit on ``n_qubits`` qubits, built by :meth:`append` (which checks each operation).

    Args:
        n_qubits: the number of qubits, at least 1.

    Raises:
        ConfigError: a bad qubit count (field ``n_qubits``).
    """

    __slots__ = ("_ops", "n_qubits")

    def __init__(self, n_qubits: int) -> None:
        if not isinstance(n_qubits, int) or isinstance(n_qubits, bool) or n_qubits < 1:
            raise ConfigError("n_qubits", f"must be a positive integer, got {n_qubits!r}")
        self.n_qubits = n_qubits
        self._ops: list[Operation] = []

    def __len__(self) -> int:
        return len(self._ops)

    def __iter__(self) -> Iterator[Operation]:
        return iter(self._ops)

    def __repr__(self) -> str:
        return f"Circuit(n_qubits={self.n_qubits}, operations={len(self._ops)})"

    @property
    def operations(self) -> tuple[Operation, ...]:
        """The operations in order."""
        return tuple(self._ops)

    def append(self, name: str, *qubits: int, params: tuple[float, ...] = ()) -> Circuit:
        """Add the operation ``name`` on ``qubits``; returns the circuit, to chain calls.

        Raises:
            ConfigError: an unknown name, a wrong number of qubits or angles, a qubit
                out of range or repeated, or a probability outside [0, 1] (field
                ``operation``).
        """
        try:
            indices = tuple(operator.index(q) for q in qubits)  # numpy integers too
        except TypeError:
            raise ConfigError("operation", f"{name}: qubits must be integers, got "
                              f"{qubits}") from None
        self._ops.append(self._checked(name, indices, tuple(float(p) for p in params)))
        return self

    def extend(self, operations: Iterable[Operation]) -> Circuit:
        """Add checked copies of ``operations``; returns the circuit."""
        for op in operations:
            self.append(op.name, *op.qubits, params=op.params)
        return self

    def bell_pair(self, a: int, b: int, weights: Sequence[float] | None = None) -> Circuit:
        """Prepare a Bell pair on qubits ``a`` and ``b`` (both in ``|0>``): ``Φ+`` made by
        H and CX, then, for Bell-diagonal ``weights`` ``(w_Φ+, w_Ψ+, w_Ψ-, w_Φ-)``, the Pauli
        channel ``(p_X, p_Y, p_Z) = (w_Ψ+, w_Ψ-, w_Φ-)`` on ``b``.

        This is exact for a Bell-diagonal state: Bell state k is ``(I ⊗ P_k)|Φ+>`` for
        ``P = (I, X, Y, Z)`` up to a global phase (:mod:`qinet.quantum.backend`), so the
        mixture ``Σ w_k |B_k><B_k|`` is ``Φ+`` with ``P_k`` on ``b`` drawn with ``w_k``.
        Any other two-qubit state would enter as its Bell twirl.

        Raises:
            ConfigError: weights that are not four probabilities summing to 1 (field
                ``weights``).

        Examples:
            >>> [op.name for op in Circuit(2).bell_pair(0, 1, (0.9, 0.1, 0, 0))]
            ['h', 'cx', 'pauli1']
        """
        self.append("h", a).append("cx", a, b)
        if weights is None:
            return self
        w = [float(x) for x in weights]
        if len(w) != 4 or min(w) < 0 or abs(sum(w) - 1.0) > 1e-9:
            raise ConfigError("weights", f"must be four probabilities summing to 1, got {w}")
        if w[0] < 1.0:
            self.append("pauli1", b, params=(w[1], w[2], w[3]))
        return self

    def inverse(self) -> Circuit:
        """The circuit that undoes this one: each gate's inverse, in reverse order.

        Raises:
            ConfigError: a measurement or a noise channel, which have no inverse (field
                ``operation``).

        Examples:
            >>> c = Circuit(2).append("s", 0).append("cp", 0, 1, params=(0.3,))
            >>> [(op.name, op.params) for op in c.inverse()]
            [('cp', (-0.3,)), ('sdg', ())]
        """
        out = Circuit(self.n_qubits)
        for op in reversed(self._ops):
            if op.name == "m" or op.is_noise:
                raise ConfigError("operation", f"{op.name} has no inverse")
            name, params = _INVERSE_NAMES.get(op.name, op.name), op.params
            if op.name == "u":
                params = (-params[0], -params[2], -params[1])
            elif params:
                params = tuple(-p for p in params)
            out.append(name, *op.qubits, params=params)
        return out

    def is_clifford(self) -> bool:
        """Whether every operation is a Clifford gate, a measurement or Pauli noise."""
        return all(op.is_noise or op.clifford_name() is not None for op in self._ops)

    def has_noise(self) -> bool:
        """Whether any operation is a noise channel."""
        return any(op.is_noise for op in self._ops)

    def has_measurements(self) -> bool:
        """Whether any operation is a measurement."""
        return any(op.name == "m" for op in self._ops)

    def _checked(self, name: str, qubits: tuple[int, ...],
                 params: tuple[float, ...]) -> Operation:
        if name in ONE_QUBIT_GATES:
            arity, n_params = 1, ONE_QUBIT_GATES[name]
        elif name in TWO_QUBIT_GATES:
            arity, n_params = 2, TWO_QUBIT_GATES[name]
        elif name in NOISE:
            arity, n_params = NOISE[name]
        elif name == "m":
            arity, n_params = 1, 0
        else:
            known = sorted([*ONE_QUBIT_GATES, *TWO_QUBIT_GATES, *NOISE, "m"])
            raise ConfigError("operation", f"unknown operation {name!r}; use one of {known}")
        if len(qubits) != arity or len(params) != n_params:
            raise ConfigError("operation", f"{name} takes {arity} qubit(s) and {n_params} "
                              f"parameter(s), got {qubits} and {params}")
        for q in qubits:
            if not isinstance(q, int) or not 0 <= q < self.n_qubits:
                raise ConfigError("operation", f"{name}: qubit {q!r} is not in "
                                  f"0..{self.n_qubits - 1}")
        if len(set(qubits)) != len(qubits):
            raise ConfigError("operation", f"{name}: repeated qubit in {qubits}")
        in_range = all(0.0 <= p <= 1.0 for p in params) and sum(params) <= 1.0 + 1e-12
        if name in NOISE and not in_range:
            raise ConfigError("operation", f"{name}: probabilities must be in [0, 1] with a "
                              f"sum at most 1, got {params}")
        if not all(math.isfinite(p) for p in params):
            raise ConfigError("operation", f"{name}: parameters must be finite, got {params}")
        return Operation(name, qubits, params)
