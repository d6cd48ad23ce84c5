"""Compiled kernels for the hot loops numpy cannot vectorise, when numba is installed.

numba is an optional extra (``pip install qinet[fast]``). Each kernel here has a numpy
counterpart that gives the same result bit for bit; the callers use the kernel when
:data:`AVAILABLE` and fall back to numpy otherwise, and the tests hold the two to the
same output. Kernels compile on first use and cache the machine code on disk.

Cascade's binary searches are the loop in question: after the first rounds only a few
blocks are left per round, so the numpy version spends its time on per-call overhead
(about ten array operations per round, tens of rounds per block); a sequential loop over
the blocks does the same work in microseconds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType

import numpy as np


def _optional(name: str) -> ModuleType | None:
    """The module, or ``None`` when it is not installed (or cannot load with this numpy)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


numba = _optional("numba")  # the optional extra; without it the numpy paths run

AVAILABLE = numba is not None
"""Whether numba is importable (the compiled kernels are then used)."""


def _locate_errors(alice: np.ndarray, bob: np.ndarray, perm: np.ndarray, lo: np.ndarray,
                   hi: np.ndarray) -> tuple[np.ndarray, int]:
    """One error in each odd block ``perm[lo[b]:hi[b]]`` by binary search, and the parities asked.

    Each round of a block compares Alice's and Bob's parities of the first half
    ``perm[lo:mid]``, ``mid = lo + (hi - lo) // 2``, keeps that half if they differ and
    the second half otherwise; one parity of Alice's per round is disclosed.
    """
    found = np.empty(lo.size, dtype=np.int64)
    asked = 0
    for b in range(lo.size):
        a, c = lo[b], hi[b]
        while c - a > 1:
            mid = a + (c - a) // 2
            parity = 0
            for i in range(a, mid):
                parity ^= alice[perm[i]] ^ bob[perm[i]]
            asked += 1
            if parity:
                c = mid
            else:
                a = mid
        found[b] = perm[a]
    return found, asked


locate_errors: Callable[..., tuple[np.ndarray, int]] | None = (
    numba.njit(cache=True, nogil=True)(_locate_errors) if numba is not None else None)
"""The compiled :func:`_locate_errors`, or ``None`` without numba."""
