"""Quasi-cyclic LDPC codes for reconciliation, and their compiled layered decoder.

A quasi-cyclic (QC) code is lifted from a base matrix (protograph) of mb × nb blocks:
every nonzero block is a Z × Z cyclic permutation matrix (the identity shifted by s), so
H is m × n with m = mb Z and n = nb Z (R. M. Tanner, D. Sridhara, A. Sridharan, T. E.
Fuja and D. J. Costello, IEEE Trans. Inf. Theory 50, 2966 (2004); the structure of the
IEEE 802.11n/802.16e and 5G codes). A row-layered decoder then updates a block row's Z
checks at once, with every block's variables a contiguous, shifted slice of the
posteriors (:mod:`~qinet.qkd.postprocessing._compiled_qc`).

The base matrix follows the degree distributions of
:mod:`~qinet.qkd.postprocessing.ldpc_codes` exactly as the random codes do, at block
granularity: block column degrees from :func:`~qinet.qkd.postprocessing.ldpc_codes.variable_degrees`
(nb columns), degree-2 block columns on a zigzag of a seeded row permutation (beyond mb
− 1 of them: degree 3), and the other sockets filled column by column, heaviest first,
into the block rows with the most free sockets (random ties), so block row degrees differ
by at most one or two and no block repeats. Lifted, a zigzag of degree-2 block columns
is Z disjoint paths: no cycle of degree-2 columns (no low-weight codeword on them).
Shifts are drawn edge by edge, each the value mod Z that closes the fewest 4-cycles
with the shifts already drawn (a 4-cycle through blocks (r, c), (r, c'), (r', c'),
(r', c) needs s_rc − s_rc' + s_r'c' − s_r'c ≡ 0 mod Z: M. P. C. Fossorier, IEEE Trans.
Inf. Theory 50, 1788 (2004)), random among ties. With column degrees up to 40 and
Z = 128 not every 4-cycle can be avoided; the choice leaves few.

Examples:
    >>> code = qc_code(2**17, 12_032)
    >>> code.shape, code.z, code.mb, code.nb
    ((12032, 131072), 128, 94, 1024)
    >>> h = code.matrix()
    >>> bool((h.sum(axis=0) >= 2).all()), int(h.nnz) == code.edges
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from qinet.errors import ConfigError
from qinet.qkd.postprocessing import _compiled, _compiled_qc
from qinet.qkd.postprocessing.ldpc_codes import (
    CODE_SEED,
    distribution_for_rate,
    variable_degrees,
)
from qinet.qkd.postprocessing.ldpc_decoder import DecodeBatch, FrameDecoder

CIRCULANT = 128
"""Largest circulant size Z (that of 2^17-bit frames): 16 lanes of AVX-512, 8 rounds of a
256-bit vector loop."""
SMALLEST_CIRCULANT = 8


def circulant_size(n: int) -> int:
    """Z for frames of n bits: the smallest power of two ≥ n / 1024 within [8, 128].

    About 1024 block columns: m, a multiple of Z, then has the rate steps of the random
    codes (multiples of ⌊n / 1024⌋, at most Z), and the base matrix (whose shifts take
    the construction's time) stays about as small as at 2^17 bits. (The largest power
    of two below n / 1024 instead gave Z = 64 for 128 576-bit frames, m 0.9 % smaller at
    1 % than the random codes' rounding, and 7 retries on 42 frames against none.)

    Examples:
        >>> circulant_size(2**17), circulant_size(100_000), circulant_size(2048)
        (128, 128, 8)
    """
    z = SMALLEST_CIRCULANT
    while z < CIRCULANT and z * 1024 < n:
        z *= 2
    return z


@dataclass(frozen=True, slots=True, eq=False)
class QCCode:
    """A quasi-cyclic parity-check matrix by its base matrix.

    Attributes:
        z: circulant size Z.
        mb: block rows; the code has mb Z checks.
        nb: block columns; the code has nb Z bits.
        rowptr: base edges of block row r are ``rowptr[r]:rowptr[r + 1]`` (int32).
        cols: block column of each base edge, ascending within a block row (int32).
        shifts: circulant shift s of each base edge: check r Z + i meets bit
            c Z + (i + s) mod Z (int32).
    """

    z: int
    mb: int
    nb: int
    rowptr: np.ndarray
    cols: np.ndarray
    shifts: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(m, n) of the lifted matrix."""
        return self.mb * self.z, self.nb * self.z

    @property
    def edges(self) -> int:
        """Edges of the lifted Tanner graph (nonzeros of H)."""
        return int(self.cols.size) * self.z

    def matrix(self) -> sp.csr_matrix:
        """The lifted H as CSR ``uint8`` (rows sorted by column)."""
        z = self.z
        rows = np.repeat(np.arange(self.mb, dtype=np.int64), np.diff(self.rowptr))
        lane = np.arange(z, dtype=np.int64)
        r = (rows[:, None] * z + lane[None, :]).ravel()
        c = (self.cols[:, None].astype(np.int64) * z
             + (lane[None, :] + self.shifts[:, None]) % z).ravel()
        h = sp.csr_matrix((np.ones(r.size, dtype=np.uint8), (r, c)), shape=self.shape)
        h.sort_indices()
        return h

    def split(self, blocks: int) -> tuple[QCCode, np.ndarray]:
        """This code with ``blocks`` block rows split in two, and where its base edges went.

        Each split takes the block row of most blocks (the first of equal ones, so the
        result is fixed by the code): its blocks at odd positions (columns ascending)
        become a new block row at the end, the others stay. Alice discloses the new row's
        Z parities; those of the rest follow from the old row's, so the checks span the
        old ones and Z more per split. No edge or shift changes: the lifted graph gains
        no cycle, and its checks get lighter, as those of a lower-rate code. A row of one
        block is not split: with none left, fewer than ``blocks`` rows are added.

        Returns:
            The code, and for each of its base edges the index of that edge in this code
            (a permutation: messages ordered by base edge carry over through it).
        """
        members = [np.arange(self.rowptr[r], self.rowptr[r + 1]) for r in range(self.mb)]
        for _ in range(blocks):
            sizes = [row.size for row in members]
            r = int(np.argmax(sizes))
            if sizes[r] < 2:
                break
            members.append(members[r][1::2])
            members[r] = members[r][0::2]
        order = np.concatenate(members).astype(np.int64)
        rowptr = np.concatenate([[0], np.cumsum([row.size for row in members])])
        return QCCode(self.z, len(members), self.nb, rowptr.astype(np.int32),
                      self.cols[order], self.shifts[order]), order


def _base_rows(degrees: np.ndarray, mb: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Block rows of each block column: degree-2 zigzag first, then heaviest first into the
    rows with the most free sockets."""
    nb = degrees.size
    edges = int(degrees.sum())
    free = np.diff(np.linspace(0, edges, mb + 1).round().astype(np.int64))
    rows: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * nb
    chain = np.flatnonzero(degrees == 2)[: max(mb - 1, 0)]
    order = rng.permutation(mb)
    for j, col in enumerate(chain):
        rows[col] = np.array([order[j], order[j + 1]])
        free[rows[col]] -= 1
    rest = np.setdiff1d(np.arange(nb), chain)
    rest = rest[np.argsort(-degrees[rest], kind="stable")]
    for col in rest:
        d = int(degrees[col])
        # most free sockets first; random tie-break (noise below 1)
        noise: np.ndarray = rng.random(mb)
        pick = np.argsort(-(free.astype(np.float64) + noise), kind="stable")[:d]
        rows[col] = np.sort(pick)
        free[pick] -= 1
    return rows


def _shifts(rows_of_edge: np.ndarray, cols_of_edge: np.ndarray, mb: int, nb: int, z: int,
            rng: np.random.Generator) -> np.ndarray:
    """Each edge's shift: the value closing the fewest 4-cycles with those drawn before."""
    table = np.full((mb, nb), -1, dtype=np.int64)
    out = np.empty(rows_of_edge.size, dtype=np.int64)
    for e in rng.permutation(rows_of_edge.size):
        r, c = int(rows_of_edge[e]), int(cols_of_edge[e])
        others = np.flatnonzero(table[r] >= 0)  # columns c' of row r with a shift
        rows2 = np.flatnonzero(table[:, c] >= 0)  # rows r' of column c with a shift
        if others.size and rows2.size:
            sub = table[np.ix_(rows2, others)]
            ok = sub >= 0
            bad = (table[r, others][None, :] - sub + table[rows2, c][:, None])[ok] % z
            hits = np.bincount(bad, minlength=z)
            best = np.flatnonzero(hits == hits.min())
        else:
            best = np.arange(z)
        out[e] = table[r, c] = best[rng.integers(best.size)]
    return out


def construct_qc(n: int, m: int, edge_distribution: dict[int, float],
                 z: int = CIRCULANT) -> QCCode:
    """A QC code of m × n with block column degrees from ``edge_distribution`` (not cached).

    Raises:
        ConfigError: ``n`` or ``m`` not a positive multiple of ``z``, or m > n.
    """
    if z < 1 or n < z or n % z:
        raise ConfigError("n", f"must be a positive multiple of the circulant size {z}, got {n!r}")
    if not z <= m <= n or m % z:
        raise ConfigError("m", f"must be a multiple of {z} in [{z}, {n}], got {m!r}")
    nb, mb = n // z, m // z
    rng = np.random.default_rng([CODE_SEED, n, m, z])
    degrees = variable_degrees(nb, edge_distribution, mb)
    extra = np.flatnonzero(degrees == 2)[max(mb - 1, 0):]
    degrees[extra] = min(3, mb)
    degrees = rng.permutation(degrees)
    per_col = _base_rows(degrees, mb, rng)
    cols_of_edge = np.repeat(np.arange(nb, dtype=np.int64), [r.size for r in per_col])
    rows_of_edge = np.concatenate(per_col)
    order = np.lexsort((cols_of_edge, rows_of_edge))  # block-row major, columns ascending
    rows_of_edge, cols_of_edge = rows_of_edge[order], cols_of_edge[order]
    shifts = _shifts(rows_of_edge, cols_of_edge, mb, nb, z, rng)
    rowptr = np.concatenate([[0], np.cumsum(np.bincount(rows_of_edge, minlength=mb))])
    return QCCode(z, mb, nb, rowptr.astype(np.int32), cols_of_edge.astype(np.int32),
                  shifts.astype(np.int32))


@lru_cache(maxsize=64)
def qc_code(n: int, m: int) -> QCCode:
    """The public QC code of rate 1 − m/n with Z = :func:`circulant_size` (n) (cached);
    the distribution as for :func:`~qinet.qkd.postprocessing.ldpc_codes.parity_check_matrix`.

    Raises:
        ConfigError: ``n`` or ``m`` not a positive multiple of Z, or m > n.
    """
    return construct_qc(n, m, distribution_for_rate(1.0 - m / n), circulant_size(n))


class QCDecoder(FrameDecoder):
    """Compiled layered decoder of a quasi-cyclic code, SIMD over a block row's Z checks.

    :func:`qinet.qkd.postprocessing._compiled_qc._qc_fixed`: sum-product by box-plus in
    int16 fixed point (LLRs rounded to 1/32 and saturated at ±512, 16 lanes per 256-bit
    vector) with g(t) = ln(1 + e^−t) from two tangents (no table), forward and backward
    over a block row's blocks, each block's posteriors a contiguous slice. The interface
    of :class:`~qinet.qkd.postprocessing.ldpc_decoder.SyndromeDecoder` (``decode``,
    ``resume`` with ``messages`` and ``patience``), except that the messages are ordered
    by base edge in block-row order, Z per base edge (:class:`QCCode`; a code whose
    block rows were split, :meth:`QCCode.split`, takes them through the permutation it
    gives); they are handed back as multiples of 1/32. Needs numba. After each call
    :attr:`iterations` holds the iterations each frame ran.

    Args:
        code: the quasi-cyclic code.

    Raises:
        ConfigError: numba is not installed.
    """

    def __init__(self, code: QCCode) -> None:
        if _compiled_qc.qc_fixed is None:
            raise ConfigError("decoder", "the quasi-cyclic decoder needs numba "
                              "(pip install qinet[fast]); use SyndromeDecoder(code.matrix())")
        super().__init__(code.shape)
        self.code = code

    @property
    def edges(self) -> int:
        """Number of edges of the Tanner graph (nonzeros of H)."""
        return self.code.edges

    def resume(self, llr: np.ndarray, syndromes: np.ndarray, max_iter: int, *,
               messages: np.ndarray | None = None, patience: int | None = None,
               threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decode, optionally going on from earlier messages (the arguments, returns and
        errors of :meth:`~qinet.qkd.postprocessing.ldpc_decoder.SyndromeDecoder.resume`,
        messages in this code's base-edge order).

        ``threads`` frames are decoded at once, each in its own thread
        (:func:`~qinet.qkd.postprocessing._compiled.over_frames`; ``None``: the cores
        the process may use, 1: one frame after the other in the calling thread). The
        frames are independent, so the result does not depend on it.
        """
        kernel = _compiled_qc.qc_fixed
        if kernel is None:
            raise ConfigError("decoder", "numba is no longer available")
        batch = DecodeBatch.checked(self.shape, self.edges, llr, syndromes, max_iter,
                                    messages=messages, patience=patience, threads=threads)
        llr, syndromes, state = batch.llr, batch.syndromes, batch.state
        errors, converged, iterations = batch.errors, batch.converged, batch.iterations
        frames, wait, code = llr.shape[0], batch.patience, self.code

        def frames_from(start: int, stop: int) -> int:
            # row slices of C-ordered arrays: contiguous views, written in place
            return int(kernel(code.rowptr, code.cols, code.shifts, code.z, llr[start:stop],
                              syndromes[start:stop], state[start:stop], int(max_iter), wait,
                              errors[start:stop], converged[start:stop],
                              iterations[start:stop]))

        total = _compiled.over_frames(frames_from, frames,
                                      _compiled.usable_cores() if threads is None else threads)
        self.iterations = iterations
        self.total_iterations = total
        return errors, converged, state
