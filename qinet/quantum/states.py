"""Bell states, Pauli matrices and the Pauli-channel formulae both backends share.

Conventions (those of :mod:`qinet.quantum.backend`): a two-qubit vector is written in
the basis ``|00>, |01>, |10>, |11>`` with qubit 0 the most significant bit, and Bell
state ``k`` is ``(I ⊗ P_k)|Φ+>`` for ``P = (I, X, Y, Z)``, with the global phase of
``(I ⊗ Y)|Φ+> = i|Ψ->`` dropped.

Paulis multiply, up to a phase, as 2-bit labels add modulo 2. With the label
``x + 2 z`` (``I = 00, X = 01, Z = 10, Y = 11``) the product of two Paulis is the XOR of
their labels; :data:`PAULI_XOR` is that product table written in *index* order, so the
backends never translate. Examples:
    >>> int(PAULI_XOR[1, 3])  # X·Z ∝ Y
    2
    >>> bool(np.allclose(BELL_STATE_VECTORS[0], [1, 0, 0, 1] / np.sqrt(2)))
    True
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ConfigError
from qinet.quantum import _checks

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

PAULI_MATRICES: ComplexArray = np.array(
    [[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]],
    dtype=np.complex128,
)
"""``(4, 2, 2)``: I, X, Y, Z."""

_S2 = 1.0 / np.sqrt(2.0)
BELL_STATE_VECTORS: ComplexArray = np.array(
    [[_S2, 0, 0, _S2], [0, _S2, _S2, 0], [0, _S2, -_S2, 0], [_S2, 0, 0, -_S2]],
    dtype=np.complex128,
)
"""``(4, 4)``: rows Φ+, Ψ+, Ψ-, Φ- in the basis ``|00>, |01>, |10>, |11>``."""

# index (I, X, Y, Z) -> label x + 2z (I=0, X=1, Y=3, Z=2); the map is its own inverse.
_LABEL = np.array([0, 1, 3, 2])
PAULI_XOR: NDArray[np.intp] = _LABEL[_LABEL[:, None] ^ _LABEL[None, :]]
"""``(4, 4)``: ``PAULI_XOR[a, b]`` is the index of ``P_a P_b`` up to phase."""

BELL_CORRELATORS: FloatArray = np.array(
    [[1, 1, -1], [-1, 1, 1], [-1, -1, -1], [1, -1, 1]], dtype=np.float64
)
"""``(4, 3)``: ``<σ_s ⊗ σ_s>`` of Bell state k for s = Z, X, Y (the only non-zero ones).

Φ+ = (II + XX − YY + ZZ)/4; the Pauli P_k on qubit 1 flips the sign of every term that
it anticommutes with, which gives the other rows.
"""

BASIS_ROTATIONS: ComplexArray = np.array(
    [np.eye(2), [[_S2, _S2], [_S2, -_S2]], [[_S2, -1j * _S2], [_S2, 1j * _S2]]],
    dtype=np.complex128,
)
"""``(3, 2, 2)``: U with ``U σ U† = Z`` for σ = Z, X, Y (I, H, H·S†), so that a Z
measurement after U measures σ."""


def bell_projectors() -> ComplexArray:
    """``(4, 4, 4)`` projectors ``|B_k><B_k|``.

    Examples:
        >>> bool(np.allclose(bell_projectors().sum(axis=0), np.eye(4)))
        True
    """
    projectors: ComplexArray = np.einsum("ka,kb->kab", BELL_STATE_VECTORS,
                                         BELL_STATE_VECTORS.conj())
    return projectors


def werner_weights(fidelity: ArrayLike) -> FloatArray:
    """Bell weights of the Werner state ``F |Φ+><Φ+| + (1-F)/3 (the other three)``.

    Args:
        fidelity: F, a scalar or an array of any shape, each in [0, 1].

    Returns:
        Weights of shape ``fidelity.shape + (4,)``.

    Raises:
        ConfigError: a fidelity outside [0, 1].

    Examples:
        >>> werner_weights(0.85).tolist()
        [0.85, 0.05000000000000001, 0.05000000000000001, 0.05000000000000001]
    """
    if type(fidelity) is float and 0.0 <= fidelity <= 1.0:  # one pair: skip numpy checks
        return np.array(werner_row(fidelity))
    f = _checks.float_array("fidelity", fidelity)
    if not ((f >= 0) & (f <= 1)).all():
        raise ConfigError("fidelity", f"must be in [0, 1], got {f.ravel()[:4]}")
    return _stack(werner_row(f))


def weights_to_density_matrix(weights: ArrayLike) -> ComplexArray:
    """``Σ_k w_k |B_k><B_k|`` for weights ``(..., 4)``, shape ``(..., 4, 4)``.

    Examples:
        >>> weights_to_density_matrix([1, 0, 0, 0]).real.round(2).tolist()[0]
        [0.5, 0.0, 0.0, 0.5]
    """
    rho: ComplexArray = np.einsum("...k,kab->...ab", np.asarray(weights, dtype=np.float64),
                                  bell_projectors())
    return rho


# -- Four-entry rows ------------------------------------------------------------------
#
# The ``*_row`` functions below take and return four entries (one per Bell state or
# Pauli), each either a Python float or an array with one value per pair; see
# :data:`Columns`. The Bell-diagonal backend computes a single pair in Python floats
# (numpy's per-call overhead dwarfs arithmetic on four numbers) and a batch on the
# columns of its ``(N, 4)`` array, with the same formula: the same IEEE operations in
# the same order, so a pair gets bit-identical weights whatever the batch size.

Columns: TypeAlias = Any
"""Four entries: Python floats, or ``(N,)`` arrays (for example the rows of a ``(4, N)``
array, which are the columns of a batch of weights)."""


def _stack(row: Columns) -> FloatArray:
    """The entries of a row as the last axis of one array."""
    return np.stack(row, axis=-1)


def _exp(x: Any) -> Any:
    # IEEE does not require math.exp and numpy's exp to round alike; with numpy 2.4 on
    # x86-64 Linux they agreed on every one of 1.2 million arguments we tried, and the
    # single-pair-equals-batch tests would show a platform where they do not.
    return math.exp(x) if isinstance(x, float) else np.exp(x)


def _sqrt(x: Any) -> Any:
    return math.sqrt(x) if isinstance(x, float) else np.sqrt(x)


def _nonnegative(x: Any) -> Any:
    """``max(x, 0)``, as ``np.clip(x, 0, None)`` computes it."""
    if isinstance(x, float):
        return x if x > 0.0 else 0.0
    return np.maximum(x, 0.0)


def xor_product(a: Columns, b: Columns) -> tuple[Any, Any, Any, Any]:
    """Distribution of ``P_i P_j`` for independent Paulis ``i ~ a`` and ``j ~ b``.

    ``out[m] = Σ_j a[m ⊕ j] b[j]``, written out as its 16 products (with ⊕ the Pauli
    product :data:`PAULI_XOR`): this is how Pauli noise composes, and how Bell labels
    combine in swapping.

    Examples:
        >>> xor_product([0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0])  # (I or X)·Z = Z or Y
        (0.0, 0.0, 0.5, 0.5)
    """
    a0, a1, a2, a3 = a
    b0, b1, b2, b3 = b
    return (a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3,   # I = I·I = X·X = Y·Y = Z·Z
            a1 * b0 + a0 * b1 + a3 * b2 + a2 * b3,   # X = X·I = I·X = Z·Y = Y·Z
            a2 * b0 + a3 * b1 + a0 * b2 + a1 * b3,   # Y = Y·I = Z·X = I·Y = X·Z
            a3 * b0 + a2 * b1 + a1 * b2 + a0 * b3)   # Z = Z·I = Y·X = X·Y = I·Z


def xor_convolve(a: FloatArray, b: FloatArray) -> FloatArray:
    """:func:`xor_product` of two batches of rows ``(n, 4)``, shape ``(n, 4)``.

    Examples:
        >>> xor_convolve(np.array([[0.5, 0.5, 0, 0]]), np.array([[0, 0, 0, 1.0]])).tolist()
        [[0.0, 0.0, 0.5, 0.5]]
    """
    return _stack(xor_product(a.T, b.T))


def werner_row(fidelity: Any) -> tuple[Any, Any, Any, Any]:
    """``(F, r, r, r)`` with ``r = (1 - F)/3``: the Werner state of fidelity F (unchecked).

    This is also the Werner twirl of any state of Φ+ fidelity F (Bennett et al.,
    PRL 76, 722 (1996)): averaging over random bilateral rotations ``U ⊗ U*`` keeps F
    and spreads the rest evenly.
    """
    rest = (1.0 - fidelity) / 3.0
    return fidelity, rest, rest, rest


def depolarizing_row(p: Any) -> tuple[Any, Any, Any, Any]:
    """:func:`depolarizing_probs` as a row."""
    q = p / 4.0
    return 1.0 - 3.0 * q, q, q, q


def depolarizing_probs(p: FloatArray) -> FloatArray:
    """Pauli probabilities ``(1 - 3p/4, p/4, p/4, p/4)`` of depolarising with probability p.

    ``ρ → (1-p) ρ + p I/2`` equals applying a uniformly random Pauli (I included) with
    probability p (Nielsen & Chuang, eq. 8.102).

    Examples:
        >>> depolarizing_probs(np.array([0.4])).tolist()
        [[0.7, 0.1, 0.1, 0.1]]
    """
    return _stack(depolarizing_row(p))


def dephasing_row(p: Any) -> tuple[Any, Any, Any, Any]:
    """:func:`dephasing_probs` as a row."""
    zero = 0.0 * p  # a float or an array of zeros, as p is
    return 1.0 - p, zero, zero, p


def dephasing_probs(p: FloatArray) -> FloatArray:
    """Pauli probabilities ``(1-p, 0, 0, p)`` of a Z applied with probability p."""
    return _stack(dephasing_row(p))


def amplitude_damping_row(gamma: Any) -> tuple[Any, Any, Any, Any]:
    """:func:`amplitude_damping_twirl` as a row."""
    s = _sqrt(1.0 - gamma)
    return (1 + s) ** 2 / 4, gamma / 4, gamma / 4, (1 - s) ** 2 / 4


def amplitude_damping_twirl(gamma: FloatArray) -> FloatArray:
    """Pauli twirl of amplitude damping with decay probability γ.

    With Kraus operators ``K0 = diag(1, √(1-γ))`` and ``K1 = √γ |0><1|``, the twirl keeps
    the chi-matrix diagonal ``p_P = Σ_k |tr(P K_k)/2|²``: ``p_X = p_Y = γ/4``,
    ``p_Z = (1 - √(1-γ))²/4 = (2 - γ - 2√(1-γ))/4``, ``p_I = (1 + √(1-γ))²/4``.

    Examples:
        >>> amplitude_damping_twirl(np.array([1.0])).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """
    return _stack(amplitude_damping_row(gamma))


def memory_decay_row(waited_s: Any, t1_s: float, t2_s: float) -> tuple[Any, Any, Any, Any]:
    """:func:`memory_decay_twirl` as a row.

    Examples:
        >>> [round(x, 4) for x in memory_decay_row(1.0, np.inf, 1.0)]
        [0.6839, 0.0, 0.0, 0.3161]
    """
    decay1 = 1.0 - _exp(-waited_s / t1_s)
    p_x = decay1 / 4.0
    # Rounding can make p_Z a hair negative at T2 = 2 T1; the exact value is >= 0.
    p_z = _nonnegative((1.0 - _exp(-waited_s / t2_s)) / 2.0 - p_x)
    return 1.0 - 2.0 * p_x - p_z, p_x, p_x, p_z


def memory_decay_twirl(waited_s: FloatArray, t1_s: float, t2_s: float) -> FloatArray:
    """Pauli twirl of a memory with T1 and T2 after ``waited_s`` seconds.

    A Pauli channel scales the Bloch vector by ``λ_X = 1 - 2(p_Y + p_Z)`` and
    ``λ_Z = 1 - 2(p_X + p_Y)``. Setting ``λ_Z = e^{-t/T1}`` (population relaxation,
    symmetric part) and ``λ_X = λ_Y = e^{-t/T2}`` (coherence) gives
    ``p_X = p_Y = (1 - e^{-t/T1})/4`` and ``p_Z = (1 - e^{-t/T2})/2 - (1 - e^{-t/T1})/4``,
    which is non-negative exactly when ``T2 <= 2 T1``.

    Examples:
        >>> memory_decay_twirl(np.array([1.0]), np.inf, 1.0).round(4).tolist()
        [[0.6839, 0.0, 0.0, 0.3161]]
    """
    return _stack(memory_decay_row(waited_s, t1_s, t2_s))


def extra_dephasing(waited_s: FloatArray, t1_s: float, t2_s: float) -> FloatArray:
    """Z-flip probability that, after amplitude damping with ``γ = 1 - e^{-t/T1}``, brings
    the coherence from ``e^{-t/2T1}`` down to ``e^{-t/T2}``: ``(1 - e^{-t(1/T2 - 1/2T1)})/2``.

    Examples:
        >>> float(extra_dephasing(np.array([0.0]), 1.0, 1.0)[0])
        0.0
    """
    rate = 1.0 / t2_s - 0.5 / t1_s  # >= 0 because T2 <= 2 T1; inf gives 0
    return (1.0 - np.exp(-waited_s * max(rate, 0.0))) / 2.0


def measurement_error_row(q: float) -> tuple[float, float, float, float]:
    """:func:`measurement_error_probs` as a row."""
    return (1 - q) ** 2, q * (1 - q), q * q, q * (1 - q)


def measurement_error_probs(q: float) -> FloatArray:
    """Pauli error on the swapped pair when each BSM bit flips with probability q.

    A wrong ZZ-parity bit (Φ vs Ψ) misapplies X, a wrong XX-parity bit (± sign)
    misapplies Z; independent flips give ``(I, X, Y, Z) = ((1-q)², q(1-q), q², q(1-q))``.

    Examples:
        >>> measurement_error_probs(0.1).round(3).tolist()
        [0.81, 0.09, 0.01, 0.09]
    """
    return np.array(measurement_error_row(q))


def dejmps_rotation(weights: Columns) -> tuple[Any, Any, Any, Any]:
    """Bell weights after DEJMPS's local rotations ``Rx(π/2)`` at A and ``Rx(-π/2)`` at B.

    ``(U ⊗ V)(I ⊗ P)|Φ+> = (I ⊗ V P Uᵀ)|Φ+>``, and with ``Uᵀ = U = Rx(π/2) = V†`` this
    is ``V P V†``: conjugation by an X rotation of a quarter turn keeps I and X and
    exchanges Y and Z (up to sign). So Φ+ and Ψ+ stay, Ψ- and Φ- trade weights.

    Examples:
        >>> dejmps_rotation([0.7, 0.1, 0.15, 0.05])
        (0.7, 0.1, 0.05, 0.15)
    """
    w0, w1, w2, w3 = weights
    return w0, w1, w3, w2


def purification_kept(target: Columns, sacrificial: Columns, *, gate_depolarizing: float,
                      measurement_error: float) -> tuple[Any, Any, Any, Any]:
    """Unnormalised Bell weights of the target pair kept by one bilateral-CNOT round.

    Label each Bell state by its Pauli ``X^x Z^z`` (Φ+ = (0,0), Ψ+ = (1,0),
    Ψ- = (1,1), Φ- = (0,1)). The bilateral CNOT (target pair controls) maps the labels
    ``(x1, z1), (x2, z2)`` to ``(x1, z1 ⊕ z2), (x1 ⊕ x2, z2)``, and the sacrificial
    pair's Z outcomes agree exactly when ``x1 = x2``. So the kept weight of label
    ``(x, z)`` sums ``u_(x, z1) v_(x, z2)`` over ``z1 ⊕ z2 = z`` (and the failure
    branch has ``v_(1-x, z2)`` instead). The success probability is the sum of the
    returned entries.

    Noise. Two-qubit depolarising with probability p at one node puts a uniformly random
    Pauli on its two qubits; on Bell-diagonal pairs a Pauli at A acts as at B, so both
    pairs' labels become uniform: with ``s = 1 - (1-p)²`` (either node) every one of the
    16 label pairs has weight 1/16, and every kept label gets ``s/8``. A flip of one of
    the two measured bits (each with probability q) swaps success and failure:
    ``e = 2q(1-q)``. Then ``kept = (1-s)(1-e) same + (1-s) e differ + s/8``.

    Examples:
        >>> # Werner F = 0.8 (BBPSSW): N = 173/225, F' N = 145/225
        >>> kept = purification_kept(werner_row(0.8), werner_row(0.8), gate_depolarizing=0.0,
        ...                          measurement_error=0.0)
        >>> round(sum(kept) * 225, 9), round(kept[0] * 225, 9)
        (173.0, 145.0)
    """
    u0, u1, u2, u3 = target
    v0, v1, v2, v3 = sacrificial
    same = (u0 * v0 + u3 * v3,   # Φ+ = (0, 0): Φ+Φ+ or Φ-Φ-
            u1 * v1 + u2 * v2,   # Ψ+ = (1, 0): Ψ+Ψ+ or Ψ-Ψ-
            u1 * v2 + u2 * v1,   # Ψ- = (1, 1): Ψ+Ψ- or Ψ-Ψ+
            u0 * v3 + u3 * v0)   # Φ- = (0, 1): Φ+Φ- or Φ-Φ+
    if not gate_depolarizing and not measurement_error:
        return same
    differ = (u0 * v1 + u3 * v2,
              u1 * v0 + u2 * v3,
              u1 * v3 + u2 * v0,
              u0 * v2 + u3 * v1)
    p, q = gate_depolarizing, measurement_error
    s = p * (2.0 - p)
    e = 2.0 * q * (1.0 - q)
    right, wrong, uniform = (1.0 - s) * (1.0 - e), (1.0 - s) * e, s / 8.0
    return (right * same[0] + wrong * differ[0] + uniform,
            right * same[1] + wrong * differ[1] + uniform,
            right * same[2] + wrong * differ[2] + uniform,
            right * same[3] + wrong * differ[3] + uniform)


def sample_categorical(probs: FloatArray, rng: np.random.Generator) -> NDArray[np.intp]:
    """One index per row of ``probs`` ``(n, k)``, drawn with one uniform per row.

    Examples:
        >>> rng = np.random.default_rng(1)
        >>> sample_categorical(np.array([[0, 0, 1.0], [1.0, 0, 0]]), rng).tolist()
        [2, 0]
    """
    cumulative: FloatArray = np.cumsum(probs, axis=1, dtype=np.float64)
    cumulative /= cumulative[:, -1:]
    u = rng.random((probs.shape[0],))
    # Count how many cumulative edges u has passed; zero-probability outcomes are skipped
    # because their edge equals the previous one.
    index: NDArray[np.intp] = np.minimum((u[:, None] >= cumulative).sum(axis=1),
                                         probs.shape[1] - 1)
    return index
