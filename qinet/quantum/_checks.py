"""Argument checks shared by the quantum backends.

Two kinds of mistakes are told apart, as ``qinet.errors`` intends: a *value* that is
out of range (a probability of 1.5, ``t2_s > 2 * t1_s``) is a
:class:`~qinet.errors.ConfigError` naming the argument, while an *impossible operation*
(a batch of the wrong shape, qubit 2 of a pair, swapping batches of unequal length) is a
:class:`~qinet.errors.BackendError`. Messages show the first offending value.

Speed: the network layer calls a backend once per event with a single pair, so the
checks a single pair meets first are plain Python comparisons on plain Python numbers
(``type(x) is int``, ``0.0 <= x <= 1.0``), a few hundred nanoseconds instead of the
microseconds of ``isinstance(x, numbers.Real)`` and vectorised numpy checks. Anything the
quick test does not accept falls through to the full check, which either accepts it
(a numpy scalar, a list) or raises the usual error: the fast paths never let a value
through that the full check would refuse.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import BackendError, ConfigError
from qinet.quantum.backend import PURIFICATION_SCHEMES

FloatArray = NDArray[np.float64]

# Rows of a Pauli channel or of Bell weights may miss 1 by rounding after many
# operations; anything further off is a caller's mistake, not arithmetic.
SUM_TOLERANCE = 1e-9

_PLAIN_NUMBERS = frozenset({float, int})  # exact types: bool is an int subclass, not here


def show(value: object) -> str:
    """A compact rendering of a number for error messages (``-3``, ``0.25``, ``nan``)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format(float(value), "g")
    return repr(value)


def _first_bad(arr: FloatArray, ok: NDArray[np.bool_]) -> str:
    """The first value of ``arr`` where ``ok`` is False, for a message."""
    return show(float(np.ravel(arr)[~np.ravel(ok)][0]))


def float_array(field: str, value: ArrayLike) -> FloatArray:
    """``value`` as a float array, or a ConfigError naming ``field``."""
    if isinstance(value, bool | str | bytes):
        raise ConfigError(field, f"must be a number, got {value!r}")
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConfigError(field, f"must be a number, got {value!r}") from None


def qubit(value: object) -> int:
    """The qubit index of a pair: 0 or 1."""
    if type(value) is int and 0 <= value <= 1:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value not in (0, 1):
        raise BackendError(f"qubit must be 0 or 1 (a pair has two qubits), got {value!r}")
    return int(value)


def bell_index(value: object) -> int:
    """A Bell-state (or Pauli) index: 0, 1, 2 or 3."""
    if type(value) is int and 0 <= value <= 3:
        return value
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or not 0 <= int(value) <= 3):
        raise BackendError(f"bell_index must be 0, 1, 2 or 3, got {value!r}")
    return int(value)


def per_pair(field: str, value: ArrayLike, n: int) -> FloatArray:
    """A probability, scalar or ``(n,)``, checked to lie in [0, 1], as shape ``(n,)``."""
    arr = float_array(field, value)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise BackendError(f"{field} must be a scalar or have shape ({n},), got {arr.shape}")
    # Written so that NaN fails the check.
    ok = (arr >= 0.0) & (arr <= 1.0)
    if not ok.all():
        raise ConfigError(field, f"must be in [0, 1], got {_first_bad(arr, ok)}")
    return np.broadcast_to(arr, (n,)).astype(np.float64)


def waits(field: str, value: ArrayLike, n: int) -> FloatArray:
    """Storage times in seconds, scalar or ``(n,)``, finite and non-negative, as ``(n,)``."""
    arr = float_array(field, value)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise BackendError(f"{field} must be a scalar or have shape ({n},), got {arr.shape}")
    ok = np.isfinite(arr) & (arr >= 0.0)
    if not ok.all():
        raise ConfigError(field, f"must be a finite non-negative time, got {_first_bad(arr, ok)}")
    return np.broadcast_to(arr, (n,)).astype(np.float64)


def _one_number(value: object, n: int) -> float | None:
    """``value`` as a Python float when it is one number for the whole batch, else None.

    One number is a Python or numpy float, a Python int (never a bool), a 0-d float
    array, or, for a batch of one pair, a float array of shape ``(1,)``. None sends the
    caller to the full check.
    """
    if isinstance(value, float):  # numpy's float64 is a float too
        return float(value)
    if type(value) is int:
        return float(value)
    if (type(value) is np.ndarray and value.dtype.kind == "f"
            and (value.ndim == 0 or (n == 1 and value.shape == (1,)))):
        return float(value.item())
    return None


def scalar_or_per_pair(field: str, value: ArrayLike, n: int) -> float | FloatArray:
    """As :func:`per_pair`, but one number for the batch comes back as a Python float.

    The Bell-diagonal backend then does its arithmetic in Python floats, which for a
    single pair is several times cheaper than numpy calls on four numbers.

    Examples:
        >>> scalar_or_per_pair("p", 0.25, 3), scalar_or_per_pair("p", [0.1, 0.2], 2).tolist()
        (0.25, [0.1, 0.2])
    """
    x = _one_number(value, n)
    if x is not None and 0.0 <= x <= 1.0:  # NaN fails
        return x
    return per_pair(field, value, n)


def scalar_or_waits(field: str, value: ArrayLike, n: int) -> float | FloatArray:
    """As :func:`waits`, but one number for the batch comes back as a Python float."""
    x = _one_number(value, n)
    if x is not None and 0.0 <= x < math.inf:  # NaN fails
        return x
    return waits(field, value, n)


def probability(field: str, value: object) -> float:
    """One probability (a Python float in [0, 1])."""
    if type(value) is float and 0.0 <= value <= 1.0:
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(field, f"must be a number, got {value!r}")
    if not 0.0 <= float(value) <= 1.0:
        raise ConfigError(field, f"must be in [0, 1], got {show(value)}")
    return float(value)


def distribution(field: str, value: ArrayLike, n: int | None = None) -> FloatArray:
    """Rows of four probabilities: shape ``(4,)`` or ``(n, 4)``, returned as ``(m, 4)``.

    ``m`` is 1 for a single row (so it broadcasts over a batch) or ``n``.
    """
    row = _row_of_four(value)
    if row is not None and _is_distribution(row):
        return np.array([_clipped(row)])
    arr = float_array(field, value)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4 or (n is not None and arr.shape[0] not in (1, n)):
        want = "(4,)" if n is None else f"(4,) or ({n}, 4)"
        raise BackendError(f"{field} must have shape {want}, got {np.shape(value)}")
    ok = arr >= -SUM_TOLERANCE
    if not ok.all():
        raise ConfigError(field, f"must be non-negative, got {_first_bad(arr, ok)}")
    sums = arr.sum(axis=1)
    off = np.abs(sums - 1.0) > SUM_TOLERANCE
    if off.any():
        raise ConfigError(field, f"each row must sum to 1, got {show(sums[off][0])}")
    return np.clip(arr, 0.0, None)


def channel_row(field: str, value: ArrayLike, n: int) -> list[float] | FloatArray:
    """A Pauli channel ready for Bell-diagonal arithmetic (see :func:`distribution`).

    One row (for the whole batch, or for a batch of one) comes back as four Python
    floats; an ``(n, 4)`` table as its ``(4, n)`` columns, contiguous.

    Examples:
        >>> channel_row("probs", [0.5, 0.5, 0, 0], 7)
        [0.5, 0.5, 0.0, 0.0]
    """
    row = _row_of_four(value)
    if row is not None and _is_distribution(row):
        return _clipped(row)
    table = distribution(field, value, n)
    return table.tolist()[0] if table.shape[0] == 1 else np.ascontiguousarray(table.T)


def _row_of_four(value: object) -> list[float] | None:
    """``value`` as four Python floats if it is plainly one row of four numbers, else None.

    Plainly: a float array of shape ``(4,)`` or ``(1, 4)``, or a list or tuple of four
    Python floats or ints (never bools). Anything else goes to the full check.
    """
    if type(value) is np.ndarray:
        if value.dtype.kind == "f" and value.shape in ((4,), (1, 4)):
            flat: list[Any] = value.tolist()
            return list(flat[0]) if value.ndim == 2 else flat
        return None
    if isinstance(value, list | tuple) and len(value) == 4:
        a, b, c, d = value
        if (type(a) in _PLAIN_NUMBERS and type(b) in _PLAIN_NUMBERS
                and type(c) in _PLAIN_NUMBERS and type(d) in _PLAIN_NUMBERS):
            return [float(a), float(b), float(c), float(d)]
    return None


def _is_distribution(row: list[float]) -> bool:
    """The test of :func:`distribution` for one row of Python floats (NaN fails)."""
    a, b, c, d = row
    low = -SUM_TOLERANCE
    return (a >= low and b >= low and c >= low and d >= low
            and abs(a + b + c + d - 1.0) <= SUM_TOLERANCE)


def _clipped(row: list[float]) -> list[float]:
    """Rounding negatives (within SUM_TOLERANCE of 0) set to 0, as ``np.clip`` does."""
    return [x if x > 0.0 else 0.0 for x in row]


def purification_scheme(value: object) -> str:
    """A purification scheme name: ``"bbpssw"`` or ``"dejmps"``."""
    if type(value) is str and value in PURIFICATION_SCHEMES:
        return value
    choices = ", ".join(PURIFICATION_SCHEMES)
    raise ConfigError("scheme", f"unknown purification scheme {value!r}; use one of {choices}")


def equal_batches(operation: str, first: int, second: int) -> None:
    """A BackendError unless two batches that pair up have the same length."""
    if first != second:
        raise BackendError(
            f"{operation} needs batches of equal length, got {first} and {second}")


def count(value: object) -> int:
    """A non-negative batch size."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 0:
        raise ConfigError("n", f"must be a non-negative integer, got {value!r}")
    return int(value)


def bases(value: ArrayLike, n: int) -> NDArray[np.intp]:
    """Measurement bases ``(n, 2)`` (0 = Z, 1 = X, 2 = Y); a single ``(2,)`` row broadcasts."""
    arr = np.asarray(value)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] not in (1, n):
        raise BackendError(f"bases must have shape (2,) or ({n}, 2), got {np.shape(value)}")
    if not np.issubdtype(arr.dtype, np.integer) or ((arr < 0) | (arr > 2)).any():
        raise ConfigError("bases", f"must be 0 (Z), 1 (X) or 2 (Y), got {arr.ravel()[:4]}")
    return np.broadcast_to(arr.astype(np.intp), (n, 2))


def paulis(value: ArrayLike, n: int) -> NDArray[np.intp]:
    """Pauli indices (0..3) as shape ``(n,)``; a scalar broadcasts."""
    arr = np.asarray(value)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n):
        raise BackendError(f"paulis must be a scalar or have shape ({n},), got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer) or ((arr < 0) | (arr > 3)).any():
        raise ConfigError("paulis", f"must be 0 (I), 1 (X), 2 (Y) or 3 (Z), got {arr}")
    return np.broadcast_to(arr.astype(np.intp), (n,))


def memory_times(t1_s: object, t2_s: object) -> tuple[float, float]:
    """``(t1_s, t2_s)``: positive, possibly infinite, with ``t2_s <= 2 * t1_s``."""
    if (type(t1_s) is float and type(t2_s) is float and t1_s > 0.0
            and 0.0 < t2_s <= 2.0 * t1_s):  # NaN fails every comparison
        return t1_s, t2_s
    out = []
    for field, value in (("t1_s", t1_s), ("t2_s", t2_s)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ConfigError(field, f"must be a number of seconds, got {value!r}")
        if not float(value) > 0.0:  # NaN fails too
            raise ConfigError(field, f"must be positive, got {show(value)}")
        out.append(float(value))
    t1, t2 = out
    if t2 > 2.0 * t1:
        # Physics, not taste: coherence cannot outlive twice the population lifetime.
        raise ConfigError("t2_s", f"must be at most 2 * t1_s = {show(2 * t1)}, got {show(t2)}")
    return t1, t2


def density_matrix(value: ArrayLike) -> NDArray[np.complex128]:
    """A 4x4 Hermitian matrix of unit trace (positivity is the caller's promise)."""
    matrix = np.asarray(value, dtype=np.complex128)
    if matrix.shape != (4, 4):
        raise BackendError(f"rho must be 4x4, got shape {matrix.shape}")
    # np.allclose's test written out (|a - b| <= atol + rtol |b|, NaN failing): its own
    # call costs more than the check, and a big network converts a state per link
    adjoint = matrix.conj().T
    if not (np.abs(matrix - adjoint) <= SUM_TOLERANCE + 1e-5 * np.abs(adjoint)).all():
        raise ConfigError("rho", "must be Hermitian")
    trace = np.trace(matrix).real
    if abs(trace - 1.0) > SUM_TOLERANCE:
        raise ConfigError("rho", f"must have trace 1, got {show(trace)}")
    return matrix
