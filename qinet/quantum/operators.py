"""Operators on qubit axes of state tensors, and the single-qubit rotations.

The one primitive that the exact simulators share (:mod:`qinet.quantum.register`'s
circuit simulator and :mod:`qinet.apps.register`'s node-program register): a state of n
qubits is a tensor with one axis of size 2 per qubit index (a density matrix has 2n of
them, rows then columns, qubit 0 first, so qubit 0 is the most significant bit of a basis
index). An operator on m qubits acts on m of the axes by one matrix product, never by
forming ``I ⊗ U ⊗ I``:

    ``ρ → U ρ U†`` is :func:`apply_to_axes` with U on the row axes of the qubits, then
    with ``U*`` on their column axes (:func:`conjugate`).

Examples:
    >>> import numpy as np
    >>> rho = np.zeros((2, 2, 2, 2), dtype=np.complex128); rho[0, 0, 0, 0] = 1
    >>> out = conjugate(rho, rotation(2, np.pi), [1], 2)   # Ry(π)|0> = |1> on qubit 1
    >>> float(out[0, 1, 0, 1].real)
    1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from qinet.quantum.states import PAULI_MATRICES

ComplexArray = NDArray[np.complex128]


def rotation(axis: int, theta: float) -> ComplexArray:
    """``exp(-iθσ/2) = cos(θ/2) I - i sin(θ/2) σ`` for ``σ = PAULI_MATRICES[axis]``
    (1: X, 2: Y, 3: Z), the Pauli matrices squaring to I (Nielsen and Chuang 2010, §4.2).
    """
    out: ComplexArray = (math.cos(theta / 2) * PAULI_MATRICES[0]
                         - 1j * math.sin(theta / 2) * PAULI_MATRICES[axis])
    return out


def rx(theta: float) -> ComplexArray:
    """``Rx(θ) = exp(-iθX/2)``."""
    return rotation(1, theta)


def ry(theta: float) -> ComplexArray:
    """``Ry(θ) = exp(-iθY/2)``."""
    return rotation(2, theta)


def rz(theta: float) -> ComplexArray:
    """``Rz(θ) = exp(-iθZ/2)``."""
    return rotation(3, theta)


def apply_to_axes(tensor: ComplexArray, op: ComplexArray,
                  axes: Sequence[int]) -> ComplexArray:
    """Contract ``op`` (``2^m x 2^m``, its first qubit the most significant) into the
    ``axes`` of ``tensor`` (left action: ``out[i..] = Σ_j op[i, j] tensor[j..]``).

    The axes are brought to the front, the operator is one matrix product on the
    ``(2^m, rest)`` view, and the axes go back: fewer numpy calls than ``tensordot``.
    """
    axes = list(axes)
    m = len(axes)
    order = axes + [k for k in range(tensor.ndim) if k not in axes]
    front = tensor.transpose(order)
    shape = front.shape
    out: ComplexArray = (op @ front.reshape(1 << m, -1)).reshape(shape)
    return out.transpose(np.argsort(order))


def conjugate(rho: ComplexArray, op: ComplexArray, qubits: Sequence[int],
              n: int) -> ComplexArray:
    """``U ρ U†`` for ``U = op`` on ``qubits`` of the ``(2,)*2n`` density tensor ``rho``."""
    return apply_to_axes(apply_to_axes(rho, op, qubits), op.conj(), [q + n for q in qubits])
