"""Validation of bit arrays shared by the post-processing modules."""

from __future__ import annotations

import numpy as np

from qinet.errors import ConfigError


def as_bits(values: object, field: str) -> np.ndarray:
    """Return ``values`` as a one-dimensional ``uint8`` array of 0/1.

    Raises:
        ConfigError: the array is not one-dimensional or holds values other than 0 and 1.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ConfigError(field, f"must be a one-dimensional bit array, got shape {arr.shape}")
    if arr.size and (arr.dtype.kind not in "biu" or arr.min() < 0 or arr.max() > 1):
        raise ConfigError(field, "must hold only the bits 0 and 1")
    return arr.astype(np.uint8, copy=False)


def same_length(a: np.ndarray, b: np.ndarray, field: str) -> None:
    """Raise :class:`ConfigError` unless ``a`` and ``b`` have the same length."""
    if a.size != b.size:
        raise ConfigError(field, f"lengths differ: {a.size} != {b.size}")
