"""Sum-product decoding of LDPC syndromes for many frames at once, vectorised over edges.

Bob knows the syndrome s = H e of the error pattern e between his frame and Alice's and
the channel log-likelihood ratios L_j = ln(P(e_j = 0) / P(e_j = 1)). Belief propagation
passes messages along the edges of H's Tanner graph. The check-to-variable message is
computed in the log domain with Gallager's function φ(x) = −ln tanh(x/2), which is its
own inverse (R. G. Gallager, "Low-density parity-check codes", MIT Press 1963, ch. 4):

    |R_ij| = φ(Σ_{k≠j} φ(|Q_ik|)),   sign R_ij = (−1)^{s_i} Π_{k≠j} sign Q_ik,

where Q_ik = P_k − R_ik is the variable-to-check message and P_k the posterior LLR.

Schedule: the rows are split into a few groups that are updated one after the other; after
each group the posteriors P absorb its new messages, so later groups of the same
iteration already see them (row-layered or "turbo-decoding message passing": M. M.
Mansour and N. R. Shanbhag, IEEE Trans. VLSI Syst. 11, 976 (2003); D. E. Hocevar, IEEE
SiPS 2004, 107). This converges in about 2/3 of the iterations of the flooding
schedule here. Within a group the update is a flooding step: edges of one variable in
the same group add their message changes.

Vectorisation: all frames of a batch are decoded together; messages live in arrays of
shape (rows, row degree, frames), rows padded to the largest degree by an edge to a dummy
variable with a huge LLR (it contributes φ ≈ 0 and sign +). φ is read from a table indexed
by the top 16 bits of the float32 argument (sign, exponent, 7 mantissa bits), a
piecewise-logarithmic quantisation with relative step 2^−7, as in fixed-point decoders.
Signs are handled as the sign bits of the float32 words. A frame stops as soon as its
hard decision satisfies the syndrome; the others go on.

With numba installed (the optional extra ``fast``), :func:`syndrome_decoder` gives a
:class:`LayeredSumProductDecoder` instead: the same check update and φ table, compiled
(:func:`qinet.qkd.postprocessing._compiled._layered_sum_product`), every row its own
layer, each frame stopping as soon as its syndrome is met (a call's frames in parallel
threads, ``threads``, each decoded alone as in one thread). On the
codes of :mod:`~qinet.qkd.postprocessing.ldpc_codes` at 2^17-bit frames it decodes at
5-7 % fewer syndrome bits than the compiled self-corrected min-sum decoder
(:class:`MinSumDecoder`: φ replaced by the smallest input magnitude scaled by α =
:data:`MIN_SUM_SCALE`, inputs whose sign flipped since the previous iteration erased; V.
Savin, IEEE ISIT 2008, 1), in 40-55 % of its iterations; min-sum is kept as the
reference it is measured against. Decoders with different schedules do not make
identical decisions on every frame, but each finds the true error pattern on the frames
it decodes (the tests hold them to that and to the same frame error rate). The
reconciliation with numba uses neither on its default codes: it uses the quasi-cyclic
codes of :mod:`~qinet.qkd.postprocessing.ldpc_qc` and their decoder, which updates a
block row's checks in SIMD lanes at 2.4-3x the speed of :class:`LayeredSumProductDecoder`.

Examples:
    >>> import numpy as np, scipy.sparse as sp
    >>> h = sp.csr_matrix(np.array([[1, 1, 0, 1, 0, 0], [0, 1, 1, 0, 1, 0],
    ...                             [1, 0, 1, 0, 0, 1]], dtype=np.uint8))
    >>> e = np.array([[0, 0, 1, 0, 0, 0]], dtype=np.uint8)
    >>> llr = np.full((1, 6), np.log(0.9 / 0.1))
    >>> errors, ok = SyndromeDecoder(h).decode(llr, (h @ e.T).T % 2, max_iter=20)
    >>> errors.tolist(), ok.tolist()
    ([[0, 0, 1, 0, 0, 0]], [True])
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from qinet.errors import ConfigError
from qinet.qkd.postprocessing import _compiled

ROW_GROUPS = 4  # groups of rows updated in turn: 4 was fastest in trials (fewer = more iterations)
BATCH_FRAMES = 64  # frames decoded together (memory: rows x degree x frames float32 words)
_SIGN = np.uint32(0x8000_0000)
_MAGNITUDE = np.uint32(0x7FFF_FFFF)
_DUMMY_LLR = np.float32(64.0)  # padding edges: φ(64) ≈ 3e-28, sign +
_PHI_CAP = 32.0  # φ(x) for x → 0, and the largest message magnitude
_COMPACT_SHARE = 0.25  # drop finished frames from the arrays once they are this share
# α of normalised min-sum: 0.8 decoded as many frames as 0.9 and 1.0 at QBER 1-5 % in
# trials, in the fewest iterations (min-sum overestimates |R|; α < 1 corrects on average)
MIN_SUM_SCALE = 0.8


def _phi_table() -> np.ndarray:
    """φ at the midpoint of each float32 bucket sharing the top 16 bits (2^15 buckets)."""
    finite = 0x7F80  # top 16 bits of +inf: buckets from here on are inf/NaN, given φ = 0
    words = (np.arange(finite, dtype=np.uint32) << 16) | np.uint32(0x8000)
    x = words.view(np.float32).astype(np.float64)
    with np.errstate(divide="ignore"):
        phi = -np.log(np.tanh(np.minimum(x, 64.0) / 2.0))
    table = np.zeros(1 << 15, dtype=np.float32)
    table[:finite] = np.minimum(phi, _PHI_CAP)
    return table


_PHI = _phi_table()


_HIGH_HALF = 1 if np.little_endian else 0  # index of a float32's top 16 bits as two uint16


def _phi(values: np.ndarray) -> np.ndarray:
    """φ of non-negative float32 values (table lookup on their top 16 bits)."""
    return np.take(_PHI, values.view(np.uint16)[..., _HIGH_HALF::2])


class SyndromeDecoder:
    """Batched row-layered sum-product decoder for one parity-check matrix.

    Args:
        matrix: the m × n parity-check matrix H, 0/1 (sparse or dense).
        groups: number of row groups updated in turn per iteration (1 = flooding).

    Raises:
        ConfigError: ``groups`` < 1 or the matrix is empty.
    """

    def __init__(self, matrix: sp.csr_matrix | np.ndarray, groups: int = ROW_GROUPS) -> None:
        h = sp.csr_matrix(matrix, dtype=np.uint8)
        h.eliminate_zeros()
        h.sort_indices()  # per row: a matrix extended by rows keeps its edges as a prefix
        m, n = h.shape
        if m == 0 or n == 0 or h.nnz == 0:
            raise ConfigError("matrix", f"must have rows, columns and edges, got {h.shape}")
        if groups < 1:
            raise ConfigError("groups", f"must be at least 1, got {groups!r}")
        self.matrix = h
        self.shape = (m, n)
        degrees = np.diff(h.indptr)
        width = int(degrees.max())
        sockets = np.full((m, width), n, dtype=np.intp)  # column n: the dummy variable
        sockets[np.arange(width)[None, :] < degrees[:, None]] = h.indices
        bounds = np.linspace(0, m, min(groups, m) + 1).round().astype(np.int64)
        self._groups = []
        self._edge_slots = []
        for lo, hi in itertools.pairwise(bounds):
            cols = sockets[lo:hi]
            flat = cols.ravel()
            real = np.flatnonzero(flat < n)
            touched, slot = np.unique(flat[real], return_inverse=True)
            # sums the message changes of a group's edges per variable it touches
            gather = sp.csr_matrix((np.ones(real.size, np.float32), (slot, real)),
                                   shape=(touched.size, flat.size))
            self._groups.append((int(lo), int(hi), cols, touched, gather))
            # real sockets of the group in row-major order are its edges in CSR order
            self._edge_slots.append((int(h.indptr[lo]), int(h.indptr[hi]), real))
        # sums edge messages (CSR order) per variable: rebuilds posteriors from messages
        self._edge_to_variable = sp.csr_matrix(
            (np.ones(h.nnz, np.float32), (h.indices, np.arange(h.nnz))), shape=(n, h.nnz))

    @property
    def edges(self) -> int:
        """Number of edges of the Tanner graph (nonzeros of H)."""
        return int(self.matrix.nnz)

    def decode(self, llr: np.ndarray, syndromes: np.ndarray,
               max_iter: int) -> tuple[np.ndarray, np.ndarray]:
        """Decode the error pattern of every frame.

        Args:
            llr: channel LLRs ln(P(e=0)/P(e=1)), shape (frames, n).
            syndromes: the syndromes H e to match, 0/1, shape (frames, m).
            max_iter: iterations before a frame is given up.

        Returns:
            The error estimates (frames, n) ``uint8`` and whether each satisfies its syndrome.
            A frame that does not converge returns its last hard decision.

        Raises:
            ConfigError: shapes that do not fit the matrix, or ``max_iter`` < 1.
        """
        errors, converged, _ = self.resume(llr, syndromes, max_iter)
        return errors, converged

    def resume(self, llr: np.ndarray, syndromes: np.ndarray, max_iter: int, *,
               messages: np.ndarray | None = None,
               patience: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decode, optionally going on from the check messages of an earlier run.

        Rate-compatible warm start: when H extends by rows the matrix of an earlier run
        (its first rows are that matrix), the earlier run's check-to-variable messages are
        messages of the same edges here; the new rows start at 0 (no information yet), and
        the posteriors are rebuilt as P = L + Σ R. This is belief propagation on the
        larger graph whose first iterations ran on the smaller one.

        Args:
            llr: channel LLRs ln(P(e=0)/P(e=1)), shape (frames, n).
            syndromes: the syndromes H e to match, 0/1, shape (frames, m).
            max_iter: iterations before a frame is given up.
            messages: check-to-variable messages per edge in CSR order, shape
                (frames, e) with e ≤ :attr:`edges` (the first e edges); ``None``: all 0.
            patience: give a frame up once its number of unsatisfied checks has not
                gone below its lowest for this many iterations (it is not converging);
                ``None`` runs every frame up to ``max_iter``.

        Returns:
            Error estimates (frames, n) ``uint8``, whether each satisfies its syndrome,
            and the final messages (frames, :attr:`edges`) ``float32`` of the frames that
            did not (0 for those that did).

        Raises:
            ConfigError: shapes that do not fit, ``max_iter`` or ``patience`` < 1.
        """
        llr = np.asarray(llr, dtype=np.float32)
        syndromes = np.asarray(syndromes)
        check_inputs(self.shape, self.edges, llr, syndromes, max_iter, messages, patience)
        errors = np.zeros(llr.shape, dtype=np.uint8)
        converged = np.zeros(llr.shape[0], dtype=bool)
        final = np.zeros((llr.shape[0], self.edges), dtype=np.float32)
        for start in range(0, llr.shape[0], BATCH_FRAMES):
            part = slice(start, start + BATCH_FRAMES)
            first = None if messages is None else messages[part]
            errors[part], converged[part], final[part] = self._decode_batch(
                llr[part], syndromes[part].astype(bool), max_iter, first, patience)
        return errors, converged, final

    def _initial_state(self, llr: np.ndarray,
                       first: np.ndarray | None) -> tuple[np.ndarray, list[np.ndarray]]:
        """Posteriors (n + 1, frames) and per-group message arrays to start from."""
        n = self.shape[1]
        frames = llr.shape[0]
        posterior = np.empty((n + 1, frames), dtype=np.float32)
        posterior[:n] = llr.T
        posterior[n] = _DUMMY_LLR
        messages = [np.zeros((hi - lo, cols.shape[1], frames), dtype=np.float32)
                    for lo, hi, cols, _, _ in self._groups]
        if first is None or first.shape[1] == 0:
            return posterior, messages
        edge = np.zeros((self.edges, frames), dtype=np.float32)
        edge[: first.shape[1]] = first.T
        posterior[:n] += self._edge_to_variable @ edge
        for array, (lo, hi, real) in zip(messages, self._edge_slots, strict=True):
            array.reshape(-1, frames)[real] = edge[lo:hi]
        return posterior, messages

    def _edge_messages(self, messages: list[np.ndarray], columns: np.ndarray) -> np.ndarray:
        """Messages of the given batch columns per edge in CSR order, (columns, edges)."""
        out = np.empty((columns.size, self.edges), dtype=np.float32)
        for array, (lo, hi, real) in zip(messages, self._edge_slots, strict=True):
            out[:, lo:hi] = array.reshape(-1, array.shape[2])[real][:, columns].T
        return out

    def _decode_batch(self, llr: np.ndarray, target: np.ndarray, max_iter: int,
                      first: np.ndarray | None,
                      patience: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.shape[1]
        frames = llr.shape[0]
        posterior, messages = self._initial_state(llr, first)
        want = target.T.copy()  # (m, frames), bool
        want_sign = np.where(want, _SIGN, np.uint32(0))
        errors = np.zeros((frames, n), dtype=np.uint8)
        converged = np.zeros(frames, dtype=bool)
        stopped = np.zeros(frames, dtype=bool)  # converged or given up
        final = np.zeros((frames, self.edges), dtype=np.float32)
        live = np.arange(frames)  # batch frame held in each column of the arrays
        lowest = np.full(frames, np.iinfo(np.int64).max)  # fewest unsatisfied checks so far
        since = np.zeros(frames, dtype=np.int64)  # iterations since that fewest
        hard = posterior[:n] < 0
        for _ in range(max_iter):
            for index, (lo, hi, cols, touched, gather) in enumerate(self._groups):
                old = messages[index]
                q = posterior[cols]
                q -= old  # variable-to-check messages Q = P - R
                words = q.view(np.uint32)
                signs = words & _SIGN
                words &= _MAGNITUDE  # q now holds |Q|
                parity = np.bitwise_xor.reduce(signs, axis=1)
                parity ^= want_sign[lo:hi]
                phi = _phi(q)
                total = phi.sum(axis=1, keepdims=True)
                np.subtract(total, phi, out=phi)
                np.abs(phi, out=phi)  # float32 round-off may leave -0.0 or tiny negatives
                new = _phi(phi)
                signs ^= parity[:, None, :]
                new.view(np.uint32)[...] |= signs
                np.subtract(new, old, out=old)  # old now holds the change of each message
                posterior[touched] += gather @ old.reshape(-1, old.shape[2])
                messages[index] = new
            posterior[n] = _DUMMY_LLR
            hard = posterior[:n] < 0
            unsatisfied = ((self.matrix @ hard.view(np.uint8)) & 1).astype(bool) ^ want
            fresh = ~unsatisfied.any(axis=0) & ~stopped[live]
            if fresh.any():
                errors[live[fresh]] = hard[:, fresh].T
                converged[live[fresh]] = stopped[live[fresh]] = True
            if patience is not None:
                count = unsatisfied.sum(axis=0)
                better = count < lowest[live]
                lowest[live[better]] = count[better]
                since[live] = np.where(better, 0, since[live] + 1)
                stuck = (since[live] >= patience) & ~stopped[live]
                if stuck.any():
                    errors[live[stuck]] = hard[:, stuck].T
                    final[live[stuck]] = self._edge_messages(messages, np.flatnonzero(stuck))
                    stopped[live[stuck]] = True
            waiting = ~stopped[live]
            if not waiting.any():
                break
            if 1.0 - waiting.mean() >= _COMPACT_SHARE:
                live = live[waiting]
                posterior = posterior[:, waiting]
                want, want_sign = want[:, waiting], want_sign[:, waiting]
                messages = [r[:, :, waiting] for r in messages]
                hard = hard[:, waiting]
        left = ~stopped[live]
        errors[live[left]] = hard[:, left].T
        if left.any():
            final[live[left]] = self._edge_messages(messages, np.flatnonzero(left))
        return errors, converged, final


def check_inputs(shape: tuple[int, int], edges: int, llr: np.ndarray, syndromes: np.ndarray,
                 max_iter: int, messages: np.ndarray | None, patience: int | None) -> None:
    """Check a decoder's arguments (see :meth:`SyndromeDecoder.resume`) for a code of
    ``shape`` (m, n) with ``edges`` edges.

    Raises:
        ConfigError: shapes that do not fit, ``max_iter`` or ``patience`` < 1.
    """
    m, n = shape
    if llr.ndim != 2 or llr.shape[1] != n:
        raise ConfigError("llr", f"must have shape (frames, {n}), got {llr.shape}")
    frames = llr.shape[0]
    if syndromes.shape != (frames, m):
        raise ConfigError("syndromes", f"must have shape ({frames}, {m}), got {syndromes.shape}")
    if max_iter < 1:
        raise ConfigError("max_iter", f"must be at least 1, got {max_iter!r}")
    if patience is not None and patience < 1:
        raise ConfigError("patience", f"must be at least 1, got {patience!r}")
    if messages is not None and (messages.ndim != 2 or messages.shape[0] != frames
                                 or messages.shape[1] > edges):
        raise ConfigError("messages", f"must have shape ({frames}, <= {edges}), got "
                                      f"{messages.shape}")


class DecodeBatch(NamedTuple):
    """A compiled decoder's checked inputs and the arrays it fills, frames in rows.

    Attributes:
        llr: channel LLRs, float32, C order, shape (frames, n).
        syndromes: the target syndromes, uint8, shape (frames, m).
        state: the check messages, float32, shape (frames, edges): the ones given
            first, zeros after.
        errors: the decoded error patterns (filled by the kernel).
        converged: whether each frame met its syndrome (filled by the kernel).
        iterations: each frame's iterations (filled where the kernel counts them).
        patience: iterations without progress before a frame gives up (0: never).
    """

    llr: np.ndarray
    syndromes: np.ndarray
    state: np.ndarray
    errors: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    patience: int

    @classmethod
    def checked(cls, shape: tuple[int, int], edges: int, llr: np.ndarray,
                syndromes: np.ndarray, max_iter: int, *, messages: np.ndarray | None,
                patience: int | None, threads: int | None) -> DecodeBatch:
        """The batch for a code of ``shape`` (m, n) with ``edges`` edges.

        Raises:
            ConfigError: an argument of :meth:`SyndromeDecoder.resume` (or ``threads``)
                out of range or of the wrong shape.
        """
        if threads is not None and threads < 1:
            raise ConfigError("threads", f"must be at least 1, got {threads!r}")
        llr = np.ascontiguousarray(llr, dtype=np.float32)
        syndromes = np.asarray(syndromes)
        check_inputs(shape, edges, llr, syndromes, max_iter, messages, patience)
        frames = llr.shape[0]
        state = np.zeros((frames, edges), dtype=np.float32)
        if messages is not None:
            state[:, : messages.shape[1]] = messages
        return cls(llr, np.ascontiguousarray(syndromes, dtype=np.uint8), state,
                   np.zeros(llr.shape, dtype=np.uint8), np.zeros(frames, dtype=bool),
                   np.zeros(frames, dtype=np.int64), 0 if patience is None else int(patience))


class FrameDecoder(ABC):
    """What the compiled decoders share: ``decode`` from ``resume``, the shape (m, n), the
    edge count, and the iterations of the last call.

    Attributes:
        shape: (m, n) of the parity-check matrix.
        iterations: iterations each frame of the last call ran (empty when the kernel
            does not say).
        total_iterations: iterations of the last call, summed over its frames.
    """

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape
        self.iterations = np.zeros(0, dtype=np.int64)
        self.total_iterations = 0

    @property
    @abstractmethod
    def edges(self) -> int:
        """Number of edges of the Tanner graph (nonzeros of H)."""

    def decode(self, llr: np.ndarray, syndromes: np.ndarray,
               max_iter: int) -> tuple[np.ndarray, np.ndarray]:
        """Decode the error pattern of every frame (see :meth:`SyndromeDecoder.decode`)."""
        errors, converged, _ = self.resume(llr, syndromes, max_iter)
        return errors, converged

    @abstractmethod
    def resume(self, llr: np.ndarray, syndromes: np.ndarray, max_iter: int, *,
               messages: np.ndarray | None = None, patience: int | None = None,
               threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decode, optionally going on from earlier check messages (see
        :meth:`SyndromeDecoder.resume`), ``threads`` frames at once."""


class _CompiledDecoder(FrameDecoder):
    """What the compiled decoders share: the CSR layout, the checks of ``resume``'s inputs."""

    _needs = "a compiled decoder"
    _kernel = "layered_sum_product"  # the kernel's name in _compiled (None without numba)

    def __init__(self, matrix: sp.csr_matrix | np.ndarray) -> None:
        if getattr(_compiled, self._kernel) is None:
            raise ConfigError("decoder", f"{self._needs} needs numba "
                              "(pip install qinet[fast]); use SyndromeDecoder")
        h = sp.csr_matrix(matrix, dtype=np.uint8)
        h.eliminate_zeros()
        h.sort_indices()
        m, n = h.shape
        if m == 0 or n == 0 or h.nnz == 0:
            raise ConfigError("matrix", f"must have rows, columns and edges, got {h.shape}")
        super().__init__((m, n))
        self.matrix = h
        self._indptr = h.indptr.astype(np.int32)
        self._indices = h.indices.astype(np.int32)

    @property
    def edges(self) -> int:
        """Number of edges of the Tanner graph (nonzeros of H)."""
        return int(self.matrix.nnz)

    def resume(self, llr: np.ndarray, syndromes: np.ndarray, max_iter: int, *,
               messages: np.ndarray | None = None, patience: int | None = None,
               threads: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Decode, optionally going on from earlier check messages (see
        :meth:`SyndromeDecoder.resume`: same arguments, returns and errors). ``threads``
        frames are decoded at once, each in its own thread
        (:func:`~qinet.qkd.postprocessing._compiled.over_frames`; ``None``: the cores the
        process may use, 1: one frame after the other); the result does not depend on it."""
        kernel = getattr(_compiled, self._kernel)
        if kernel is None:
            raise ConfigError("decoder", "numba is no longer available")
        batch = DecodeBatch.checked(self.shape, self.edges, llr, syndromes, max_iter,
                                    messages=messages, patience=patience, threads=threads)
        llr, target, state = batch.llr, batch.syndromes, batch.state
        errors, converged, iterations = batch.errors, batch.converged, batch.iterations
        frames, wait = llr.shape[0], batch.patience

        def frames_from(start: int, stop: int) -> int:
            # row slices of C-ordered arrays: contiguous views, written in place
            return self._run(kernel, llr[start:stop], target[start:stop], state[start:stop],
                             int(max_iter), wait, errors[start:stop],
                             converged[start:stop], iterations[start:stop])

        self.total_iterations = _compiled.over_frames(
            frames_from, frames, _compiled.usable_cores() if threads is None else threads)
        if self._per_frame:
            self.iterations = iterations
        return errors, converged, state

    _per_frame = True  # whether the kernel counts the iterations of each frame

    @abstractmethod
    def _run(self, kernel: Callable[..., int], llr: np.ndarray, target: np.ndarray,
             state: np.ndarray, max_iter: int, patience: int, errors: np.ndarray,
             converged: np.ndarray, iterations: np.ndarray) -> int:
        """Call the kernel on checked inputs; it fills ``errors``, ``converged``, ``state``
        (and ``iterations`` where it counts them) and returns the iterations run."""


class MinSumDecoder(_CompiledDecoder):
    """Compiled row-layered self-corrected min-sum decoder for one parity-check matrix.

    The same interface as :class:`SyndromeDecoder` (``decode``, ``resume`` with warm-start
    messages per edge in CSR order and ``patience``); needs numba. Kept as the reference
    the faster :class:`LayeredSumProductDecoder` is measured against.

    Args:
        matrix: the m × n parity-check matrix H, 0/1 (sparse or dense).
        scale: α of the normalised min-sum messages.

    Raises:
        ConfigError: numba is not installed, or the matrix is empty.
    """

    _needs = "the compiled min-sum decoder"
    _kernel = "self_corrected_min_sum"

    def __init__(self, matrix: sp.csr_matrix | np.ndarray, scale: float = MIN_SUM_SCALE) -> None:
        super().__init__(matrix)
        self.scale = float(scale)

    _per_frame = False

    def _run(self, kernel: Callable[..., int], llr: np.ndarray, target: np.ndarray,
             state: np.ndarray, max_iter: int, patience: int, errors: np.ndarray,
             converged: np.ndarray, iterations: np.ndarray) -> int:
        return int(kernel(self._indptr, self._indices, llr, target, state, max_iter,
                          patience, self.scale, errors, converged))


class LayeredSumProductDecoder(_CompiledDecoder):
    """Compiled row-layered sum-product decoder for one parity-check matrix.

    :func:`qinet.qkd.postprocessing._compiled._layered_sum_product`: the check update of
    :class:`SyndromeDecoder` (φ from the same table) with every row its own layer, one
    frame at a time, each frame stopping as soon as its syndrome is met. On these codes
    it needs 40-55 % of the iterations self-corrected min-sum needs at the same syndrome
    length (f 1.15-1.20), and decodes at 5-7 % fewer syndrome bits (8 frames of 2^17
    bits per QBER of 2-5 %; ``benchmarks/postprocessing_throughput.py --decoders``). The same
    interface as :class:`SyndromeDecoder`; needs numba. After each call
    :attr:`iterations` holds the iterations each frame ran.

    Args:
        matrix: the m × n parity-check matrix H, 0/1 (sparse or dense).

    Raises:
        ConfigError: numba is not installed, or the matrix is empty.
    """

    _needs = "the compiled sum-product decoder"

    def _run(self, kernel: Callable[..., int], llr: np.ndarray, target: np.ndarray,
             state: np.ndarray, max_iter: int, patience: int, errors: np.ndarray,
             converged: np.ndarray, iterations: np.ndarray) -> int:
        return int(kernel(self._indptr, self._indices, llr, target, state, max_iter,
                          patience, _PHI, errors, converged, iterations))


Decoder = SyndromeDecoder | MinSumDecoder | LayeredSumProductDecoder


def syndrome_decoder(matrix: sp.csr_matrix | np.ndarray) -> Decoder:
    """The compiled layered sum-product decoder with numba, else the numpy one.

    Examples:
        >>> import numpy as np
        >>> from qinet.qkd.postprocessing import _compiled
        >>> decoder = syndrome_decoder(np.eye(4, dtype=np.uint8))
        >>> isinstance(decoder, LayeredSumProductDecoder) == _compiled.AVAILABLE
        True
    """
    if _compiled.layered_sum_product is not None:
        return LayeredSumProductDecoder(matrix)
    return SyndromeDecoder(matrix)
