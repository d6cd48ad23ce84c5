"""Quantum-state backends (layer L1b): one interface, several formalisms.

Pick a backend by name with :func:`make_backend`, or construct one directly; protocols
receive it explicitly and never choose it themselves.

Examples:
    >>> backend = make_backend("bell-diagonal")
    >>> isinstance(backend, QuantumBackend)
    True
    >>> make_backend("tensor-network")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qinet.errors.ConfigError: backend: unknown backend 'tensor-network'; use one of ...
"""

from __future__ import annotations

from qinet.errors import ConfigError
from qinet.quantum.backend import (
    BELL_LABELS,
    PAULI_LABELS,
    PURIFICATION_SCHEMES,
    QuantumBackend,
)
from qinet.quantum.bell_diagonal import BellDiagonalBackend
from qinet.quantum.density_matrix import DensityMatrixBackend
from qinet.quantum.states import BELL_STATE_VECTORS, PAULI_MATRICES, werner_weights

__all__ = [
    "BELL_LABELS",
    "BELL_STATE_VECTORS",
    "PAULI_LABELS",
    "PAULI_MATRICES",
    "PURIFICATION_SCHEMES",
    "BellDiagonalBackend",
    "DensityMatrixBackend",
    "QuantumBackend",
    "make_backend",
    "werner_weights",
]

_BACKENDS: dict[str, type[BellDiagonalBackend] | type[DensityMatrixBackend]] = {
    BellDiagonalBackend.name: BellDiagonalBackend,
    DensityMatrixBackend.name: DensityMatrixBackend,
}


def make_backend(name: str) -> QuantumBackend:
    """The backend called ``name`` (``"bell-diagonal"`` or ``"density-matrix"``).

    Raises:
        ConfigError: an unknown name (field ``backend``).
    """
    try:
        return _BACKENDS[name]()
    except (KeyError, TypeError):
        choices = ", ".join(sorted(_BACKENDS))
        raise ConfigError("backend", f"unknown backend {name!r}; use one of {choices}") from None
