"""The typed result the circuit simulators share, and their check of Pauli products.

Examples:
    >>> Estimate(0.5, 0.01, 2500, "stabilizer").interval(5)
    (0.45, 0.55)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from qinet.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Estimate:
    """A number computed by a simulator: exact (``shots == 0``, ``std_error == 0``) or
    the mean over ``shots`` samples with its standard error."""

    value: float
    std_error: float
    shots: int
    backend: str

    def interval(self, sigmas: float) -> tuple[float, float]:
        """``value ± sigmas · std_error``."""
        return (round(self.value - sigmas * self.std_error, 12),
                round(self.value + sigmas * self.std_error, 12))


def check_pauli(pauli: Mapping[int, str], n_qubits: int) -> dict[int, str]:
    """A Pauli product ``{qubit: "X" | "Y" | "Z" | "I"}`` checked against ``n_qubits``.

    Identity factors are dropped.

    Raises:
        ConfigError: a label other than I, X, Y, Z or a qubit out of range (field
            ``observable``).

    Examples:
        >>> check_pauli({0: "x", 2: "I"}, 3)
        {0: 'X'}
    """
    out: dict[int, str] = {}
    for q, label in pauli.items():
        upper = str(label).upper()
        if upper not in ("I", "X", "Y", "Z"):
            raise ConfigError("observable", f"qubit {q}: Pauli must be I, X, Y or Z, "
                              f"got {label!r}")
        if not isinstance(q, int) or not 0 <= q < n_qubits:
            raise ConfigError("observable", f"qubit {q!r} is not in 0..{n_qubits - 1}")
        if upper != "I":
            out[q] = upper
    return out
