"""The compiled layered decoder of quasi-cyclic LDPC codes: SIMD over a block row's checks.

A quasi-cyclic code (:mod:`~qinet.qkd.postprocessing.ldpc_qc`) is lifted from a base
matrix by circulants of size Z: base edge e = (r, c) with shift s_e joins check r·Z + i
to variable c·Z + (i + s_e) mod Z for i = 0 … Z−1. The Z checks of a block row share no
variable (each block is a permutation and a block row meets each block column at most
once), so a row-layered decoder may update all Z of them at once: the same schedule as
one row at a time, with every inner loop over the Z lanes of contiguous arrays.

Layout: the posteriors of block column c are stored twice in a row, ``post[2cZ : 2cZ +
2Z] = (P_c, P_c)``, so the shifted block (P_c[(i + s) mod Z])_i is the contiguous slice
``post[2cZ + s : 2cZ + s + Z]``: loads without a gather and without a loop split at the
wrap. After a block's posteriors are written through that slice, the two copies are
made equal again by a select over all Z lanes (:func:`_fold`). Messages are stored per
base edge in block-row order, Z each (check order), so a code extended by block rows
keeps its messages as a prefix.

Check update: sum-product on magnitudes by the box-plus operation
x ⊞ y = min(x, y) + g(x + y) − g(|x − y|), g(t) = ln(1 + e^−t), the sign handled as the
product of the signs (J. Hagenauer, E. Offer and L. Papke, IEEE Trans. Inf. Theory 42,
429 (1996)), with g replaced by the upper envelope of two of its tangents and 0
(table-free arithmetic that vectorises), computed for every edge by a forward and a
backward recursion over the row's blocks (X. Y. Hu, E. Eleftheriou, D. M. Arnold and A.
Dholakia, IEEE GLOBECOM 2001, 1036).

Fixed point: LLRs, messages and posteriors are int16 in units of 1/:data:`FIXED_SCALE`
(1/32), saturated at ±:data:`FIXED_LIMIT` (±512 in LLR), and g's tangent slopes are
shifts, so a 256-bit vector holds 16 lanes (vpaddw, vpsubw, vpsraw, vpminsw, vpmaxsw,
vpabsw in the generated assembly, no widening): 1.1 ns per edge and iteration on 2^17-bit
frames at 1-5 %, against 1.6 for the same decoder in float32 (8 lanes), in the same or
fewer iterations, the same frames decoded and the same f on paired keys (the float32
kernel was dropped for it; benchmarks/README.md keeps the comparison). At 1/16 per unit
it took 8-13 % more iterations.

Vectorisation (numba 0.68, checked in the generated assembly and by timing 128-lane
loops): a loop vectorises when it indexes with unsigned offsets or slices from
``range`` rather than ``post[a + i]`` with a signed ``a`` (the negative-index wrap-around
is checked per element), touches at most about four arrays (LLVM's run-time alias checks
give up beyond that), and uses selects rather than Python's ``max``/``min``; ``abs(x −
y)`` widened the lanes to 64 bits where max − min did not, and so did slopes computed by
a multiply. LLVM keeps to 256-bit vectors on this CPU unless its whole process is told
otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qinet.qkd.postprocessing._compiled import (
    _DONE,
    _KERNEL_OPTIONS,
    _STALLED,
    FULL_SWEEP_EVERY,
    SKIP_MAGNITUDE,
    _jitable,
    lazy_kernels,
)

# LLRs in units of 1/FIXED_SCALE, saturated at ±FIXED_LIMIT (1024 in LLR): with posteriors,
# messages and Q all clamped there, a sum of two magnitudes (≤ 32 766) and a difference of
# two clamped values never leave int16, so no operation wraps around.
FIXED_SCALE = 32
FIXED_LIMIT = 2**14 - 1
# g(t) ≈ max(0, c0 − 3t/8, c1 − t/16) with shifts for the slopes: the tangents of g where
# g' = −3/8 (t = 0.51) and −1/16 (t = 2.71), c0 = 0.662 and c1 = 0.234 in LLR
_FC0 = np.int16(round(0.6616 * FIXED_SCALE))
_FC1 = np.int16(round(0.2338 * FIXED_SCALE))
_I0 = np.int16(0)
_I2, _I3, _I4 = np.int16(2), np.int16(3), np.int16(4)


@_jitable
def _g_fixed(t: np.int16) -> np.int16:
    """g(t) in fixed point for 0 ≤ t ≤ 32 766 (shifts round down; the result ≥ 0)."""
    a = np.int16(np.int16(_FC0 - np.int16(t >> _I2)) - np.int16(t >> _I3))
    b = np.int16(_FC1 - np.int16(t >> _I4))
    c = a if a > b else b
    return c if c > _I0 else _I0


@_jitable
def _box_plus_fixed(x: np.int16, y: np.int16) -> np.int16:
    """x ⊞ y for magnitudes 0 ≤ x, y ≤ FIXED_LIMIT; clamped at 0 (the shifts' rounding
    could take a small result below it and so flip the sign)."""
    low = x if x < y else y
    high = x if x > y else y
    # max − min rather than abs(x − y): the latter made LLVM widen the lanes to int64
    v = np.int16(np.int16(low + _g_fixed(np.int16(high + low))) - _g_fixed(np.int16(high - low)))
    return v if v > _I0 else _I0


@_jitable
def _signed_box_plus_fixed(a: np.int16, b: np.int16) -> np.int16:
    """a ⊞ b with signs, |a|, |b| ≤ FIXED_LIMIT (a zero counts as +)."""
    m = _box_plus_fixed(np.int16(abs(a)), np.int16(abs(b)))
    return np.int16(-m) if (a ^ b) < _I0 else m


@_jitable
def _clamp_fixed(v: np.int16) -> np.int16:
    """v limited to ±FIXED_LIMIT (|v| ≤ 2 FIXED_LIMIT fits int16 before)."""
    top = np.int16(FIXED_LIMIT)
    bottom = np.int16(-FIXED_LIMIT)
    w = v if v < top else top
    return w if w > bottom else bottom


@_jitable
def _to_fixed(x: np.float32) -> np.int16:
    """An LLR in fixed point: rounded to the nearest unit (ties up), saturated."""
    v = np.float32(np.floor(x * np.float32(FIXED_SCALE) + np.float32(0.5)))
    limit = np.float32(FIXED_LIMIT)
    v = v if v < limit else limit
    v = v if v > -limit else -limit
    return np.int16(v)


@_jitable
def _fold(post: np.ndarray, base: np.uint64, shift: np.uint64, z: np.uint64) -> None:
    """Make block column ``base``'s two copies of its Z posteriors equal again after they
    were written through the slice shifted by ``shift``: lanes below the shift were
    written in the second copy, the rest in the first."""
    for t in range(z):
        first = post[base + t]
        second = post[base + z + t]
        v = second if t < shift else first
        post[base + t] = v
        post[base + z + t] = v


def _qc_fixed(rowptr: np.ndarray, cols: np.ndarray, shifts: np.ndarray, z: int,
              llr: np.ndarray, target: np.ndarray, messages: np.ndarray, max_iter: int,
              patience: int, errors: np.ndarray,
              converged: np.ndarray, iterations: np.ndarray) -> int:
    """Layered box-plus sum-product over the block rows of a quasi-cyclic code.

    Args are the base matrix in CSR form (``rowptr``, ``cols``, with ``shifts``), the
    circulant size ``z``, and as for the compiled layered sum-product of
    :mod:`~qinet.qkd.postprocessing._compiled` the channel LLRs (frames × n), the
    syndromes (frames × m, 0/1), the messages (frames × edges, edges = base edges · z,
    warm start in, last messages out, 0 for frames that converged), ``max_iter``,
    ``patience`` (0: none), and ``errors``, ``converged``, ``iterations`` to fill. A
    block row whose checks were all met with every |Q| above
    :data:`~qinet.qkd.postprocessing._compiled.SKIP_MAGNITUDE` is skipped until the next
    full sweep, as in the scalar decoders; all Z checks of a block row seldom are, but
    without the test LLVM compiled the loops to code 2.4 times as slow: its choices for
    these loops are fragile, so measure after any change. The stopping test counts the
    unsatisfied checks exactly after every sweep. Returns the iterations run, summed over
    frames.

    LLRs, messages and posteriors are int16 in units of 1/:data:`FIXED_SCALE`,
    saturated at ±:data:`FIXED_LIMIT`; the check update is the same box-plus with g from
    two tangents whose slopes are shifts (3/8 and 1/16), all in integer adds, shifts,
    minima and maxima (16 lanes per 256-bit vector). The channel LLRs and the messages
    handed in are rounded to that grid; the messages handed back are on it (exact in
    float32). Integer arithmetic: the compiled kernel equals this source bit for bit.
    """
    frames, n = llr.shape
    mb = rowptr.size - 1
    nb = n // z
    edges = messages.shape[1]
    width = 1
    for r in range(mb):
        width = max(width, rowptr[r + 1] - rowptr[r])
    zu = np.uint64(z)
    q = np.empty(width * z, dtype=np.int16)
    fwd = np.empty((width + 1) * z, dtype=np.int16)
    back = np.empty(z, dtype=np.int16)
    low = np.empty(z, dtype=np.int16)
    parity = np.empty(z, dtype=np.uint8)
    post = np.empty(2 * n, dtype=np.int16)
    flat = np.empty(n, dtype=np.int32)  # L + Σ R before saturation
    msg = np.empty(edges, dtype=np.int16)
    want = np.empty(target.shape[1], dtype=np.int16)  # ±FIXED_LIMIT per check
    settled = np.zeros(mb, dtype=np.uint8)
    big = np.int16(FIXED_LIMIT)
    zero = np.int16(0)
    reliable = np.int16(SKIP_MAGNITUDE * FIXED_SCALE)
    limit = np.int32(FIXED_LIMIT)
    unit = np.float32(1.0 / FIXED_SCALE)
    total = 0
    for f in range(frames):
        for e in range(edges):
            msg[e] = _to_fixed(messages[f, e])
        for j in range(n):
            flat[j] = np.int32(_to_fixed(llr[f, j]))
        for i in range(target.shape[1]):
            want[i] = -big if target[f, i] else big
        for r in range(mb):
            for e in range(rowptr[r], rowptr[r + 1]):
                col = cols[e] * z
                s = shifts[e]
                for i in range(z):
                    flat[col + (i + s) % z] += np.int32(msg[e * z + i])
        for b in range(nb):
            for t in range(z):
                v = flat[b * z + t]
                v = v if v < limit else limit
                v = v if v > -limit else -limit
                post[2 * b * z + t] = np.int16(v)
                post[2 * b * z + z + t] = np.int16(v)
        lowest = mb * z + 1
        since = 0
        state = 0
        count = 0
        settled[:] = 0
        for sweep in range(max_iter):
            count += 1
            full = (sweep + 1) % FULL_SWEEP_EVERY == 0
            for r in range(mb):
                if settled[r] and not full:
                    continue
                a = rowptr[r]
                d = rowptr[r + 1] - a
                row = np.uint64(r) * zu
                for i in range(zu):
                    fwd[i] = want[row + i]
                    low[i] = big
                for j in range(d):
                    e = a + j
                    pb = np.uint64(2 * cols[e] * z + shifts[e])
                    mo = np.uint64(e) * zu
                    qb = np.uint64(j) * zu
                    for i in range(zu):
                        v = _clamp_fixed(np.int16(post[pb + i] - msg[mo + i]))
                        q[qb + i] = v
                        x = np.int16(abs(v))
                        low[i] = x if x < low[i] else low[i]
                    for i in range(zu):
                        fwd[qb + zu + i] = _signed_box_plus_fixed(fwd[qb + i], q[qb + i])
                for i in range(zu):
                    back[i] = big
                for j in range(d - 1, -1, -1):
                    e = a + j
                    start = 2 * cols[e] * z
                    pb = np.uint64(start + shifts[e])
                    mo = np.uint64(e) * zu
                    qb = np.uint64(j) * zu
                    for i in range(zu):
                        out = _signed_box_plus_fixed(fwd[qb + i], back[i])
                        msg[mo + i] = out
                        post[pb + i] = _clamp_fixed(np.int16(q[qb + i] + out))
                    for i in range(zu):
                        back[i] = _signed_box_plus_fixed(back[i], q[qb + i])
                    _fold(post, np.uint64(start), np.uint64(shifts[e]), zu)
                end = np.uint64(d) * zu
                met = 0
                for i in range(zu):
                    met += fwd[end + i] > zero and low[i] > reliable
                settled[r] = met == z
            unsatisfied = 0
            for r in range(mb):
                row = np.uint64(r) * zu
                for i in range(zu):
                    parity[i] = want[row + i] < zero
                for e in range(rowptr[r], rowptr[r + 1]):
                    pb = np.uint64(2 * cols[e] * z + shifts[e])
                    for i in range(zu):
                        parity[i] ^= post[pb + i] < zero
                for i in range(zu):
                    unsatisfied += parity[i]
            if unsatisfied == 0:
                state = _DONE
                break
            if patience > 0:
                if unsatisfied < lowest:
                    lowest = unsatisfied
                    since = 0
                else:
                    since += 1
                    if since >= patience:
                        state = _STALLED
                        break
        total += count
        iterations[f] = count
        for b in range(nb):
            for t in range(z):
                errors[f, b * z + t] = post[2 * b * z + t] < zero
        converged[f] = state == _DONE
        for e in range(edges):
            messages[f, e] = np.float32(0.0) if state == _DONE else np.float32(msg[e]) * unit
    return total


qc_fixed: Callable[..., int] | None
"""The compiled :func:`_qc_fixed`, or ``None`` without numba (compiled, or loaded from
the cache, on first access)."""

__getattr__ = lazy_kernels(globals(), {"qc_fixed": (_qc_fixed, _KERNEL_OPTIONS)})
