"""Argument checks shared by the physical models.

Every public function of :mod:`qinet.physical` takes scalars or numpy arrays, and every
bad value is reported as a :class:`~qinet.errors.ConfigError` that names the argument
and shows the first offending value (``length_km: must be non-negative, got -3``).
Scalars come back as Python floats so doctests and JSON read cleanly.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ConfigError

FloatArray = NDArray[np.float64]


def show(value: object) -> str:
    """A compact rendering of a number for error messages (``-3``, ``0.25``, ``nan``)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format(float(value), "g")
    return repr(value)


def as_float_array(field: str, value: ArrayLike) -> FloatArray:
    """``value`` as a float array, or a ConfigError naming ``field``."""
    if isinstance(value, bool | str | bytes):
        raise ConfigError(field, f"must be a number, got {value!r}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(field, f"must be a number, got {value!r}") from None
    return arr


def _first_bad(arr: FloatArray, bad: NDArray[np.bool_]) -> str:
    return show(arr[bad].flat[0])


def checked(
    field: str,
    value: ArrayLike,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> FloatArray:
    """``value`` as a float array after checking ``low <= value <= high`` element-wise.

    NaN always fails, and so does infinity unless ``allow_inf`` is set; the message
    says which bound was broken and shows the first value that broke it.
    """
    if type(value) is float or type(value) is int:
        # scalar fast path: parameter objects are built by the thousand for large networks
        v = float(value)
        if v != v or (not allow_inf and math.isinf(v)):
            raise ConfigError(field, f"must be a finite number, got {show(v)}")
        if not (v > low if low_open else v >= low):
            raise ConfigError(field, f"{_describe(low, low_open, lower=True)}, got {show(v)}")
        if not (v < high if high_open else v <= high):
            raise ConfigError(field, f"{_describe(high, high_open, lower=False)}, got {show(v)}")
        return np.asarray(v)
    arr = as_float_array(field, value)
    # Comparisons written so that NaN fails every one of them.
    ok_low = arr > low if low_open else arr >= low
    ok_high = arr < high if high_open else arr <= high
    finite_ok = np.ones_like(arr, dtype=bool) if allow_inf else np.isfinite(arr)
    nan = np.isnan(arr)
    if nan.any() or not finite_ok.all():
        bad = nan | ~finite_ok
        raise ConfigError(field, f"must be a finite number, got {_first_bad(arr, bad)}")
    if not ok_low.all():
        raise ConfigError(field, f"{_describe(low, low_open, lower=True)}, got "
                                 f"{_first_bad(arr, ~ok_low)}")
    if not ok_high.all():
        raise ConfigError(field, f"{_describe(high, high_open, lower=False)}, got "
                                 f"{_first_bad(arr, ~ok_high)}")
    return arr


def _describe(bound: float, open_: bool, *, lower: bool) -> str:
    if lower and bound == 0.0:
        return "must be positive" if open_ else "must be non-negative"
    word = ("greater than" if open_ else "at least") if lower else (
        "less than" if open_ else "at most")
    return f"must be {word} {show(bound)}"


def non_negative(field: str, value: ArrayLike, *, allow_inf: bool = False) -> FloatArray:
    """Checked ``value >= 0``."""
    return checked(field, value, low=0.0, allow_inf=allow_inf)


def positive(field: str, value: ArrayLike, *, allow_inf: bool = False) -> FloatArray:
    """Checked ``value > 0``."""
    return checked(field, value, low=0.0, low_open=True, allow_inf=allow_inf)


def probability(field: str, value: ArrayLike, *, zero_ok: bool = True) -> FloatArray:
    """Checked ``0 <= value <= 1`` (``0 < value <= 1`` without ``zero_ok``)."""
    return checked(field, value, low=0.0, high=1.0, low_open=not zero_ok)


def scalar(field: str, value: object) -> float:
    """A dataclass field as a Python float; arrays, strings and bools are refused."""
    if type(value) is float or type(value) is int:
        return float(value)  # without the ABC check below: a big network builds thousands
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(field, f"must be a number, got {value!r}")
    return float(value)


def counts(field: str, value: ArrayLike) -> NDArray[np.int64]:
    """Non-negative integer counts (photon numbers, sample sizes) as an int array."""
    arr = np.asarray(value)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        as_float = as_float_array(field, arr)
        integral = np.isfinite(as_float) & (as_float == np.round(as_float))
        if not integral.all():
            raise ConfigError(field, f"must be whole numbers, got "
                                     f"{_first_bad(as_float, ~integral)}")
        arr = as_float
    arr = arr.astype(np.int64)
    if (arr < 0).any():
        raise ConfigError(field, f"must be non-negative, got {show(arr[arr < 0].flat[0])}")
    return arr


def sample_size(field: str, value: object) -> int:
    """A non-negative Python int (the ``n`` of a sampler)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ConfigError(field, f"must be a non-negative integer, got {value!r}")
    return int(value)


def out(arr: NDArray[np.generic]) -> float | FloatArray:
    """A 0-d result as a Python float; anything else as a float array."""
    return float(arr) if np.ndim(arr) == 0 else np.asarray(arr, dtype=np.float64)


def set_field(obj: object, field: str, **bounds: float | bool) -> float:
    """Check the dataclass field ``field`` of ``obj`` and store it back as a float.

    Frozen dataclasses refuse ``setattr``; ``object.__setattr__`` is the documented way
    for ``__post_init__`` to normalise a field (an ``int`` 25 becomes ``25.0``).
    """
    value = scalar(field, getattr(obj, field))
    checked(field, value, **bounds)  # type: ignore[arg-type]
    object.__setattr__(obj, field, value)
    return value
