"""The compiled layered decoder of quasi-cyclic LDPC codes: SIMD over a block row's checks.

A quasi-cyclic code (:mod:`~qinet.qkd.postprocessing.ldpc_qc`) is lifted from a base
matrix by circulants of size Z: base edge e = (r, c) with shift s_e joins check r·Z + i
to variable c·Z + (i + s_e) mod Z for i = 0 … Z−1. The Z checks of a block row share no
variable (each block is a permutation and a block row meets each block column at most
once), so a row-layered decoder may update all Z of them at once: the same schedule as
one row at a time, with every inner loop over the Z lanes of contiguous float32 arrays.

Layout: the posteriors of block column c are stored twice in a row, ``post[2cZ : 2cZ +
2Z] = (P_c, P_c)``, so the shifted block (P_c[(i + s) mod Z])_i is the contiguous slice
``post[2cZ + s : 2cZ + s + Z]``: loads without a gather and without a loop split at the
wrap. After a block's posteriors are written through that slice, the two copies are
made equal again by a select over all Z lanes (:func:`_fold`). Messages are stored per
base edge in block-row order, Z floats each (check order), so a code extended by block
rows keeps its messages as a prefix.

Check update: sum-product on magnitudes by the box-plus operation
x ⊞ y = min(x, y) + g(x + y) − g(|x − y|), g(t) = ln(1 + e^−t), the sign handled as the
product of the signs (J. Hagenauer, E. Offer and L. Papke, IEEE Trans. Inf. Theory 42,
429 (1996)), with g replaced by the upper envelope of two of its tangents and 0
(table-free arithmetic that vectorises), computed for every edge by a forward and a
backward recursion over the row's blocks (X. Y. Hu, E. Eleftheriou, D. M. Arnold and A.
Dholakia, IEEE GLOBECOM 2001, 1036).

Vectorisation (numba 0.68, checked in the generated assembly and by timing 128-lane
loops): a loop vectorises when it indexes slices from ``range`` (``p = post[a:a + z];
p[i]``, 0.09 ns per lane) rather than ``post[a + i]`` (0.5 ns: the negative-index
wrap-around is checked per element), touches at most about four arrays (LLVM's run-time
alias checks give up beyond that: the fused forward loop of seven arrays ran at 1 ns per
lane, split in three at 0.3), and uses selects rather than Python's ``max``/``min``.
Measured: 1.6 ns per edge and iteration on 2^17-bit frames at 1-5 % (the scalar φ-table
decoder 4.7-5.0 in the same process), most of it the three box-plus operations per edge
(each about 18 vector operations per 8 lanes of a ymm register, near two a cycle; LLVM
keeps to 256-bit vectors on this CPU unless its whole process is told otherwise, which
gained 10 % on an earlier version with 512-bit vectors).

Fixed point (:func:`_qc_fixed`, the default of
:class:`~qinet.qkd.postprocessing.ldpc_qc.QCDecoder`): the same schedule on int16 LLRs
in units of 1/32, saturated at ±512, g's tangent slopes as shifts, so a 256-bit vector
holds 16 lanes (vpaddw, vpsubw, vpsraw, vpminsw, vpmaxsw, vpabsw in the generated
assembly, no widening). 1.1 ns per edge and iteration against 1.6 on 2^17-bit frames at
1-5 %, in the same or fewer iterations; at 1/16 per unit it took 8-13 % more.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qinet.qkd.postprocessing._compiled import (
    _DONE,
    _STALLED,
    FULL_SWEEP_EVERY,
    SKIP_MAGNITUDE,
    _jitable,
    numba,
)

# g(t) = ln(1 + e^-t) ≈ max(0, C0 − K0 t, C1 − K1 t): the tangents of the convex g at
# t = 0.5 and 2.5 (a lower bound within 0.07 of g, 0 beyond t = 3.54 where g = 0.029).
# On 2^17-bit frames at 1, 2, 3, 5 % and f 1.12 (12 frames each) it decoded the frames
# that tangents at 0, 1.2 and 3 did, in 1-7 % more iterations and 12-16 % less time per
# edge (tangents at 0.4 and 2 did about as well, at 0.3 and 1.8 lost a frame at 1 %);
# a fourth tangent (at 3.5) cost 14 % more time for 0-4 % fewer iterations, and the
# single line max(0, ln 2 − t/2) lost every frame at 3 %.
_C0, _K0 = np.float32(0.6628473), np.float32(0.3775407)
_C1, _K1 = np.float32(0.2685352), np.float32(0.0758582)
_ZERO = np.float32(0.0)
_BIG = np.float32(1.0e30)  # magnitude of a check input that says nothing (x ⊞ _BIG = x)


@_jitable
def _larger(a: np.float32, b: np.float32) -> np.float32:
    """max(a, b) as a plain select (Python's max checks for NaN and vectorises worse)."""
    return a if a > b else b


@_jitable
def _g(t: np.float32) -> np.float32:
    """ln(1 + e^−t) for t ≥ 0 by the upper envelope of two tangents and 0."""
    return _larger(_ZERO, _larger(_C0 - _K0 * t, _C1 - _K1 * t))


@_jitable
def _box_plus(x: np.float32, y: np.float32) -> np.float32:
    """x ⊞ y for magnitudes x, y ≥ 0; slopes ≤ 1/2 keep it ≥ 0 without a clamp."""
    smaller = x if x < y else y
    return (smaller + _g(x + y)) - _g(abs(x - y))


@_jitable
def _signed_box_plus(a: np.float32, b: np.float32) -> np.float32:
    """a ⊞ b with signs: sign a · sign b · (|a| ⊞ |b|) (a zero counts as +)."""
    m = _box_plus(abs(a), abs(b))
    return -m if a * b < _ZERO else m


@_jitable
def _fold(post: np.ndarray, base: np.uint64, shift: np.uint64, z: np.uint64) -> None:
    """Make both copies of a block column equal after its slice at ``shift`` was written:
    lanes t < shift were written in the second copy, the others in the first (both
    loaded unconditionally, so that the loop vectorises)."""
    for t in range(z):
        first = post[base + t]
        second = post[base + z + t]
        v = second if t < shift else first
        post[base + t] = v
        post[base + z + t] = v


def _qc_layered(rowptr: np.ndarray, cols: np.ndarray, shifts: np.ndarray, z: int,
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
    full sweep, as in the scalar decoders; all Z checks of a block row seldom are (on
    2^17-bit frames at 1-5 % the test saved no time), but without it the loops compiled
    to code that took 2.4 times as long (4.8 ns per edge and iteration against 2.0):
    LLVM's choices for these loops are fragile, so measure after any change. The
    stopping test counts the unsatisfied checks exactly after every sweep. Returns the
    iterations run, summed over frames.
    """
    frames, n = llr.shape
    mb = rowptr.size - 1
    nb = n // z
    width = 1
    for r in range(mb):
        width = max(width, rowptr[r + 1] - rowptr[r])
    # flat scratch rows, indexed without views (a view costs reference counting in the
    # loop) and with unsigned indices (a signed index is checked for wrap-around)
    zu = np.uint64(z)
    q = np.empty(width * z, dtype=np.float32)  # Q of the block row's edges, check order
    # fwd row j + 1: (−1)^s sign · magnitude of Q_0 ⊞ … ⊞ Q_j per check (signed box-plus;
    # row 0 is (−1)^s · ∞, the syndrome bit)
    fwd = np.empty((width + 1) * z, dtype=np.float32)
    back = np.empty(z, dtype=np.float32)  # Q_j+1 ⊞ … ⊞ Q_d−1 (signed)
    low = np.empty(z, dtype=np.float32)  # smallest |Q| per check
    parity = np.empty(z, dtype=np.uint8)
    post = np.empty(2 * n, dtype=np.float32)  # each block column twice (module docstring)
    flat = np.empty(n, dtype=np.float32)
    want = np.empty(target.shape[1], dtype=np.float32)  # (−1)^s per check
    settled = np.zeros(mb, dtype=np.uint8)
    big = _BIG
    zero = np.float32(0.0)
    reliable = np.float32(SKIP_MAGNITUDE)
    total = 0
    for f in range(frames):
        msg = messages[f]
        for j in range(n):
            flat[j] = llr[f, j]
        for i in range(target.shape[1]):
            want[i] = np.float32(-1.0) if target[f, i] else np.float32(1.0)
        for r in range(mb):
            for e in range(rowptr[r], rowptr[r + 1]):
                col = cols[e] * z
                s = shifts[e]
                for i in range(z):
                    flat[col + (i + s) % z] += msg[e * z + i]
        for b in range(nb):
            for t in range(z):
                post[2 * b * z + t] = flat[b * z + t]
                post[2 * b * z + z + t] = flat[b * z + t]
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
                    fwd[i] = want[row + i] * big
                    low[i] = big
                for j in range(d):
                    e = a + j
                    pb = np.uint64(2 * cols[e] * z + shifts[e])  # the shifted block's slice
                    mo = np.uint64(e) * zu  # its messages
                    qb = np.uint64(j) * zu  # its row of q; fwd rows qb and qb + z
                    for i in range(zu):
                        v = post[pb + i] - msg[mo + i]
                        q[qb + i] = v
                        x = abs(v)
                        low[i] = x if x < low[i] else low[i]
                    for i in range(zu):
                        fwd[qb + zu + i] = _signed_box_plus(fwd[qb + i], q[qb + i])
                for i in range(zu):
                    back[i] = big
                for j in range(d - 1, -1, -1):
                    e = a + j
                    start = 2 * cols[e] * z
                    pb = np.uint64(start + shifts[e])
                    mo = np.uint64(e) * zu
                    qb = np.uint64(j) * zu
                    for i in range(zu):
                        out = _signed_box_plus(fwd[qb + i], back[i])
                        msg[mo + i] = out
                        post[pb + i] = q[qb + i] + out
                    for i in range(zu):
                        back[i] = _signed_box_plus(back[i], q[qb + i])
                    _fold(post, np.uint64(start), np.uint64(shifts[e]), zu)
                end = np.uint64(d) * zu
                met = 0
                for i in range(zu):
                    met += fwd[end + i] > zero and low[i] > reliable
                settled[r] = met == z
            # exact count of unsatisfied checks by the hard decisions
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
        if state == _DONE:
            msg[:] = 0.0
    return total


# fastmath only as far as fusing a multiply and an add (c − k t in g) into one FMA: 10 %
# less time per edge (1.60 ns against 1.77 at 1-5 %, the same frames and iterations).
# The compiled kernel is deterministic run to run but rounds those products once, so it
# no longer equals its Python source bit for bit (the tests hold the two to the same
# decoded words and flags instead).
qc_layered: Callable[..., int] | None = (
    numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})(
        _qc_layered)
    if numba is not None else None)
"""The compiled :func:`_qc_layered`, or ``None`` without numba."""


# --- fixed point: 16 lanes of int16 per 256-bit vector ------------------------------
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
def _fold_fixed(post: np.ndarray, base: np.uint64, shift: np.uint64, z: np.uint64) -> None:
    """:func:`_fold` on the int16 posteriors."""
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
    """:func:`_qc_layered` in fixed point: the same schedule, arguments and returns.

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
                    _fold_fixed(post, np.uint64(start), np.uint64(shifts[e]), zu)
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


qc_fixed: Callable[..., int] | None = (
    numba.njit(cache=True, nogil=True, error_model="numpy")(_qc_fixed)
    if numba is not None else None)
"""The compiled :func:`_qc_fixed`, or ``None`` without numba."""
