"""Argument checks and two-qubit measurement statistics shared by the protocols.

A delivered pair is Bell-diagonal, ``Σ_k w_k |B_k><B_k|`` with ``k = 0..3`` the Bell
states Φ+, Ψ+, Ψ-, Φ- of :mod:`qinet.quantum.backend`. Its only non-zero Pauli
correlators are ``T_s = <σ_s ⊗ σ_s> = Σ_k w_k c_ks`` for ``s = x, y, z`` (``c`` is
:data:`~qinet.quantum.states.BELL_CORRELATORS`) and both marginals are uniform, so
measuring qubit 0 along the unit vector ``a`` and qubit 1 along ``b`` gives outcomes
``±1`` with ``<AB> = Σ_s T_s a_s b_s``: Alice's outcome is a fair coin and Bob's agrees
with it with probability ``(1 + <AB>)/2``. That is the whole sampler: exact, one
uniform per party and round.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ConfigError
from qinet.quantum.states import BELL_CORRELATORS

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# BELL_CORRELATORS columns are (Z, X, Y); reorder to (x, y, z) once.
_CORRELATORS_XYZ: FloatArray = BELL_CORRELATORS[:, [1, 2, 0]]
_SUM_TOLERANCE = 1e-9


def count(field: str, value: object, *, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``, or a ConfigError naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ConfigError(field, f"must be an integer >= {minimum}, got {value!r}")
    return int(value)


def probability(field: str, value: object, *, open_low: bool = False,
                open_high: bool = False) -> float:
    """``value`` as a float in [0, 1] (ends excluded on request), or a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(field, f"must be a number in [0, 1], got {value!r}")
    p = float(value)
    low_ok = p > 0.0 if open_low else p >= 0.0
    high_ok = p < 1.0 if open_high else p <= 1.0
    if not (math.isfinite(p) and low_ok and high_ok):
        interval = ("(" if open_low else "[") + "0, 1" + (")" if open_high else "]")
        raise ConfigError(field, f"must be in {interval}, got {p:g}")
    return p


def bell_weights(field: str, weights: ArrayLike, rounds: int | None = None) -> FloatArray:
    """Bell weights as an ``(N, 4)`` float array, one row per delivered pair.

    ``weights`` is one row ``(4,)`` (then ``rounds`` copies are made) or ``(N, 4)``
    (then ``rounds``, if given, must equal N). Each row must be a distribution.
    """
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(field, f"must be Bell weights (4 numbers), got {weights!r}") from None
    if w.ndim == 1 and w.shape == (4,):
        n = 1 if rounds is None else rounds
        w = np.tile(w, (n, 1))
    elif w.ndim != 2 or w.shape[1] != 4:
        raise ConfigError(field, f"must have shape (4,) or (N, 4), got {w.shape}")
    elif rounds is not None and w.shape[0] != rounds:
        raise ConfigError(field, f"has {w.shape[0]} pairs but rounds is {rounds}")
    if w.shape[0] == 0:
        raise ConfigError(field, "holds no pairs")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ConfigError(field, f"must be non-negative, got {w[np.argmin(w.min(axis=1))]}")
    sums = w.sum(axis=1)
    bad = np.abs(sums - 1.0) > _SUM_TOLERANCE
    if bad.any():
        raise ConfigError(field, f"each row must sum to 1, got {float(sums[bad][0]):g}")
    return w


def correlations(weights: FloatArray) -> FloatArray:
    """``(N, 3)`` correlators ``(T_x, T_y, T_z)`` of Bell-diagonal pairs ``(N, 4)``.

    Examples:
        >>> correlations(np.array([[1.0, 0, 0, 0]])).tolist()  # Φ+: XX = 1, YY = -1, ZZ = 1
        [[1.0, -1.0, 1.0]]
    """
    t: FloatArray = weights @ _CORRELATORS_XYZ
    return t


def sample_pair_outcomes(weights: FloatArray, a: FloatArray, b: FloatArray,
                         rng: np.random.Generator) -> tuple[IntArray, IntArray]:
    """Outcome bits (0 for +1, 1 for -1) of qubit 0 along ``a`` and qubit 1 along ``b``.

    Args:
        weights: ``(N, 4)`` Bell weights, one row per pair.
        a: ``(N, 3)`` unit vectors, qubit 0's measurement direction per pair.
        b: ``(N, 3)`` unit vectors, qubit 1's measurement direction per pair.
        rng: the random stream.

    Returns:
        The two ``(N,)`` int64 bit arrays; ``P(equal) = (1 + Σ_s T_s a_s b_s)/2``.
    """
    expect = np.einsum("ns,ns,ns->n", correlations(weights), a, b)
    n = weights.shape[0]
    alice: IntArray = np.asarray(rng.integers(0, 2, size=n), dtype=np.int64)
    differ = rng.random(n) >= (1.0 + expect) / 2.0
    bob: IntArray = alice ^ differ.astype(np.int64)
    return alice, bob
