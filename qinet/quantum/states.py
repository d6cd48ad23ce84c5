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
    return np.einsum("ka,kb->kab", BELL_STATE_VECTORS, BELL_STATE_VECTORS.conj())


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
    f = _checks.float_array("fidelity", fidelity)
    if not ((f >= 0) & (f <= 1)).all():
        raise ConfigError("fidelity", f"must be in [0, 1], got {f.ravel()[:4]}")
    rest = (1.0 - f) / 3.0
    return np.stack([f, rest, rest, rest], axis=-1)


def weights_to_density_matrix(weights: ArrayLike) -> ComplexArray:
    """``Σ_k w_k |B_k><B_k|`` for weights ``(..., 4)``, shape ``(..., 4, 4)``.

    Examples:
        >>> weights_to_density_matrix([1, 0, 0, 0]).real.round(2).tolist()[0]
        [0.5, 0.0, 0.0, 0.5]
    """
    return np.einsum("...k,kab->...ab", np.asarray(weights, dtype=np.float64),
                     bell_projectors())


def xor_convolve(a: FloatArray, b: FloatArray) -> FloatArray:
    """Distribution of ``P_i P_j`` for independent Paulis ``i ~ a``, ``j ~ b`` (rows ``(n, 4)``).

    This is how Pauli noise composes, and how Bell labels combine in swapping.

    Examples:
        >>> xor_convolve(np.array([[0.5, 0.5, 0, 0]]), np.array([[0, 0, 0, 1.0]])).tolist()
        [[0.0, 0.0, 0.5, 0.5]]
    """
    # out[n, m] = Σ_j b[n, j] a[n, m ⊕ j]; a[:, PAULI_XOR] has [n, m, j] = a[n, m ⊕ j].
    return np.einsum("nmj,nj->nm", a[:, PAULI_XOR], b)


def depolarizing_probs(p: FloatArray) -> FloatArray:
    """Pauli probabilities ``(1 - 3p/4, p/4, p/4, p/4)`` of depolarising with probability p.

    ``ρ → (1-p) ρ + p I/2`` equals applying a uniformly random Pauli (I included) with
    probability p (Nielsen & Chuang, eq. 8.102).

    Examples:
        >>> depolarizing_probs(np.array([0.4])).tolist()
        [[0.7, 0.1, 0.1, 0.1]]
    """
    q = p / 4.0
    return np.stack([1.0 - 3.0 * q, q, q, q], axis=-1)


def dephasing_probs(p: FloatArray) -> FloatArray:
    """Pauli probabilities ``(1-p, 0, 0, p)`` of a Z applied with probability p."""
    zero = np.zeros_like(p)
    return np.stack([1.0 - p, zero, zero, p], axis=-1)


def amplitude_damping_twirl(gamma: FloatArray) -> FloatArray:
    """Pauli twirl of amplitude damping with decay probability γ.

    With Kraus operators ``K0 = diag(1, √(1-γ))`` and ``K1 = √γ |0><1|``, the twirl keeps
    the chi-matrix diagonal ``p_P = Σ_k |tr(P K_k)/2|²``: ``p_X = p_Y = γ/4``,
    ``p_Z = (1 - √(1-γ))²/4 = (2 - γ - 2√(1-γ))/4``, ``p_I = (1 + √(1-γ))²/4``.

    Examples:
        >>> amplitude_damping_twirl(np.array([1.0])).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """
    s = np.sqrt(1.0 - gamma)
    return np.stack([(1 + s) ** 2 / 4, gamma / 4, gamma / 4, (1 - s) ** 2 / 4], axis=-1)


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
    decay1 = 1.0 - np.exp(-waited_s / t1_s)
    p_x = decay1 / 4.0
    # Rounding can make p_Z a hair negative at T2 = 2 T1; the exact value is >= 0.
    p_z = np.clip((1.0 - np.exp(-waited_s / t2_s)) / 2.0 - p_x, 0.0, None)
    return np.stack([1.0 - 2.0 * p_x - p_z, p_x, p_x, p_z], axis=-1)


def extra_dephasing(waited_s: FloatArray, t1_s: float, t2_s: float) -> FloatArray:
    """Z-flip probability that, after amplitude damping with ``γ = 1 - e^{-t/T1}``, brings
    the coherence from ``e^{-t/2T1}`` down to ``e^{-t/T2}``: ``(1 - e^{-t(1/T2 - 1/2T1)})/2``.

    Examples:
        >>> float(extra_dephasing(np.array([0.0]), 1.0, 1.0)[0])
        0.0
    """
    rate = 1.0 / t2_s - 0.5 / t1_s  # >= 0 because T2 <= 2 T1; inf gives 0
    return (1.0 - np.exp(-waited_s * max(rate, 0.0))) / 2.0


def measurement_error_probs(q: float) -> FloatArray:
    """Pauli error on the swapped pair when each BSM bit flips with probability q.

    A wrong ZZ-parity bit (Φ vs Ψ) misapplies X, a wrong XX-parity bit (± sign)
    misapplies Z; independent flips give ``(I, X, Y, Z) = ((1-q)², q(1-q), q², q(1-q))``.

    Examples:
        >>> measurement_error_probs(0.1).round(3).tolist()
        [0.81, 0.09, 0.01, 0.09]
    """
    return np.array([(1 - q) ** 2, q * (1 - q), q * q, q * (1 - q)])


def sample_categorical(probs: FloatArray, rng: np.random.Generator) -> NDArray[np.intp]:
    """One index per row of ``probs`` ``(n, k)``, drawn with one uniform per row.

    Examples:
        >>> rng = np.random.default_rng(1)
        >>> sample_categorical(np.array([[0, 0, 1.0], [1.0, 0, 0]]), rng).tolist()
        [2, 0]
    """
    cumulative = np.cumsum(probs, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(probs.shape[0])
    # Count how many cumulative edges u has passed; zero-probability outcomes are skipped
    # because their edge equals the previous one.
    index = (u[:, None] >= cumulative).sum(axis=1)
    return np.minimum(index, probs.shape[1] - 1)
