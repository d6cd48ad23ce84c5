"""Cascade information reconciliation (Brassard & Salvail, EUROCRYPT 1993).

Bob corrects his key towards Alice's by comparing parities of blocks. Each pass splits
the key into blocks (a fresh public partition per pass); a block whose parity differs
holds an odd number of errors, and a binary search (⌈log2 k⌉ parities) locates one of
them. Flipping that bit changes the parity of the blocks holding it in every earlier
pass, which may reveal further errors there — the *cascade* effect, followed until no
known block parity differs. Source: G. Brassard and L. Salvail, "Secret-key
reconciliation by public discussion", EUROCRYPT '93, LNCS 765, 410 (1994).

Block sizes: k1 = 0.8 / QBER, k2 = 5 k1, and n/2 (two halves of a random split) in every
later pass, 16 passes in all: the schedule of H. Yan, T. Ren, X. Peng, X. Lin, W. Jiang,
T. Liu and G. Guo, "Information reconciliation protocol in quantum key distribution
system", ICNC 2008, which J. Martinez-Mateo, C. Pacher, M. Peev, A. Ciurana and V. Martin,
"Demystifying the information reconciliation protocol Cascade", Quantum Inf. Comput. 15,
453 (2015) found the most efficient of the Cascade variants they compared. The halving
passes cost two parities each while they find nothing, and find the last few errors at
log2(n) parities each. On 900 000-bit keys it leaks f = 1.06–1.08 times the Shannon limit
at QBER 1–5 %, against 1.13–1.18 for the original k1 = 0.73/QBER doubled over four passes.

Partitions: pass 1 takes the natural order. Pass 2 takes a uniformly random permutation
of the key length, public and fixed (seeded by :data:`PERMUTATION_SEED`, drawn once per
65 536 bits of length and cached, as the LDPC codes are), rotated by an offset drawn from the shared
stream, so that each block gets its own partition at the cost of one random integer.
The halving passes split the key by random bits from the shared stream; their two
parities are taken on bit-packed masks (:meth:`ParitySource.mask_parities`), 64 key bits
per machine word. Errors are independent of the positions, so any fixed partition finds
them as well as a fresh one: what matters is that the blocks of different passes share
few positions.

Only Bob's copy is held here. Alice is a :class:`ParityOracle` that answers parities of
index sets (or of packed masks) and counts every parity bit it discloses. All blocks of
one pass are disjoint, so their parities and the binary searches of all odd blocks of a
pass run together, vectorised; the error found and the bits disclosed per block are
those of the sequential protocol.

The efficiency f = leaked / (n H2(QBER)); 1 is the Shannon limit.

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> alice = rng.integers(0, 2, 10_000, dtype=np.uint8)
    >>> bob = alice ^ (rng.random(10_000) < 0.03).astype(np.uint8)
    >>> oracle = ParityOracle(alice)
    >>> res = cascade(bob, oracle, qber=0.03, rng=np.random.default_rng(42))
    >>> bool(np.array_equal(res.bits, alice)), res.leaked == oracle.leaked
    (True, True)
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple, Protocol

import numpy as np

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import _compiled
from qinet.qkd.postprocessing._bits import as_bits

BLOCK_CONSTANT = 0.8  # k1 = 0.8 / QBER (Yan et al. 2008)
SECOND_PASS_FACTOR = 5  # k2 = 5 k1 (Yan et al. 2008)
DEFAULT_PASSES = 16
PERMUTATION_SEED = 19930523
"""Seed of the public second-pass permutations (any fixed value; both ends use the same)."""
_BYTE_PARITY = np.array([bin(v).count("1") & 1 for v in range(256)], dtype=np.uint8)


def _packed(bits: np.ndarray) -> np.ndarray:
    """``bits`` packed eight to a byte, zero-padded to a whole number of 64-bit words."""
    packed = np.zeros(-(-bits.size // 64) * 8, dtype=np.uint8)
    packed[: -(-bits.size // 8)] = np.packbits(bits)
    return packed


def _masked_parity(packed: np.ndarray, mask: np.ndarray) -> int:
    """Parity of the bits of ``packed`` where the packed ``mask`` is set (64 bits a word)."""
    words = np.bitwise_xor.reduce(packed.view(np.uint64) & mask.view(np.uint64))
    folded = int(words)
    folded ^= folded >> 32
    folded ^= folded >> 16
    folded ^= folded >> 8
    return int(_BYTE_PARITY[folded & 0xFF])


class ParitySource(Protocol):
    """What Bob may ask of Alice: parities of index sets, each answer counted."""

    leaked: int

    def parities(self, indices: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Parities of the segments ``indices[starts[i]:starts[i+1]]``."""
        ...

    def mask_parities(self, masks: np.ndarray) -> np.ndarray:
        """Parities of the key bits under each packed mask (rows of ``masks``)."""
        ...


class ParityOracle:
    """Alice's side of Cascade: answers parities of her key and counts each one.

    Args:
        alice_bits: Alice's key, 0/1.

    Attributes:
        leaked: number of parity bits disclosed so far.

    Examples:
        >>> import numpy as np
        >>> o = ParityOracle(np.array([1, 1, 0, 1]))
        >>> o.parity(np.array([0, 1])), o.parities(np.array([3, 0, 2]), np.array([0, 1])).tolist()
        (0, [1, 1])
        >>> o.leaked
        3
    """

    __slots__ = ("_bits", "_packed", "leaked")

    def __init__(self, alice_bits: np.ndarray) -> None:
        self._bits = as_bits(alice_bits, "alice_bits").copy()
        self._packed = _packed(self._bits)
        self.leaked = 0

    def __len__(self) -> int:
        return int(self._bits.size)

    def parity(self, indices: np.ndarray) -> int:
        """Parity of Alice's bits at ``indices`` (one disclosed bit).

        Side Effects:
            Increments :attr:`leaked` by 1.
        """
        self.leaked += 1
        return int(np.bitwise_xor.reduce(self._bits[np.asarray(indices, dtype=np.int64)]))

    def parities(self, indices: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Parities of the non-empty segments ``indices[starts[i]:starts[i+1]]``.

        Side Effects:
            Increments :attr:`leaked` by ``len(starts)``.
        """
        starts = np.asarray(starts, dtype=np.int64)
        if starts.size == 0:
            return np.zeros(0, dtype=np.uint8)
        self.leaked += int(starts.size)
        return np.bitwise_xor.reduceat(self._bits[indices], starts)

    def mask_parities(self, masks: np.ndarray) -> np.ndarray:
        """Parities of the key bits selected by each row of ``masks``.

        A row is a bit mask over the key packed as by ``numpy.packbits`` (bit ``i`` of
        the key is bit ``7 - i % 8`` of byte ``i // 8``), zero-padded to a whole number
        of 64-bit words: ``ceil(n / 64) * 8`` bytes.

        Side Effects:
            Increments :attr:`leaked` by the number of rows.
        """
        masks = np.atleast_2d(masks)
        if masks.shape[1] != self._packed.size:
            raise ConfigError("masks", f"rows must have {self._packed.size} bytes, "
                              f"got {masks.shape[1]}")
        self.leaked += int(masks.shape[0])
        return np.array([_masked_parity(self._packed, row) for row in masks], dtype=np.uint8)


class CascadeResult(NamedTuple):
    """Outcome of :func:`cascade`.

    Attributes:
        bits: Bob's corrected key, ``uint8``.
        leaked: parity bits disclosed by this run.
        corrected: number of bits Bob flipped.
        block_sizes: block size of each pass.
    """

    bits: np.ndarray
    leaked: int
    corrected: int
    block_sizes: tuple[int, ...]


def initial_block_size(qber: float, n: int) -> int:
    """k1 = round(0.8 / QBER), clipped to [1, n] (n when QBER = 0).

    Examples:
        >>> initial_block_size(0.01, 10**5), initial_block_size(0.0, 500)
        (80, 500)
    """
    if qber <= 0.0:
        return max(n, 1)
    return int(min(max(round(BLOCK_CONSTANT / qber), 1), max(n, 1)))


def _segments(lo: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges ``[lo[i], lo[i] + lengths[i])`` and the start of each in the result."""
    if lengths.size and lengths[0] == lengths[-1] and (lengths == lengths[0]).all():
        width = int(lengths[0])  # blocks of one size (the common case): one broadcast add
        return ((lo[:, None] + np.arange(width)).ravel(),
                np.arange(0, lengths.size * width, width, dtype=np.int64))
    starts = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    flat = np.repeat(lo - starts, lengths)
    flat += np.arange(flat.size)
    return flat, starts


# The compiled search's machine code is loaded from numba's cache on its first call in a
# process: 0.3-0.8 s here, where the numpy search of a 20 000-bit key takes 10 ms. So a
# process searches with numpy until that has cost about as much as the load (measured:
# ~0.6 µs per parity asked and ~0.5 ms per call), then with the compiled loop: at most
# twice the better choice in hindsight (the ski-rental rule), and a short run (the
# default scenario's small keys) never pays the load. Both give the same flips and
# parities, bit for bit, so the choice changes only the time.
COMPILED_AFTER_WORK = 500_000
"""Numpy search work (parities asked, plus :data:`CALL_WORK` per call) after which a
process uses the compiled search."""
CALL_WORK = 800
"""A numpy search call's fixed cost (~0.5 ms) in parities asked (~0.6 µs each)."""
_numpy_work = 0  # done so far in this process (threads may race on it: a heuristic only)


def prefer_compiled_search() -> None:
    """Search with the compiled loop from the next call on (where numba is installed),
    for a process that will reconcile many keys and would rather pay the load at once:
    a benchmark's warm-up, a long-lived service."""
    global _numpy_work
    _numpy_work = max(_numpy_work, COMPILED_AFTER_WORK)


def _earned() -> bool:
    """Whether the numpy searches have earned the compiled search's load, or it is loaded
    already (an earlier call, a warm-up). Neither question imports numba."""
    return _numpy_work >= COMPILED_AFTER_WORK or _compiled.loaded("locate_errors")


def _locate_errors(y: np.ndarray, perm: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   oracle: ParitySource) -> np.ndarray:
    """Binary search, all at once, for one error in each odd block ``perm[lo:hi]``.

    Each round asks Alice for the parity of the first half of every block still longer
    than one bit; Bob's parity of the same half comes from the same gathered indices, so
    a round costs the size of the halves asked for, not of the key. With numba installed
    and Alice a plain :class:`ParityOracle`, a compiled loop does the same searches
    (:mod:`~qinet.qkd.postprocessing._compiled`) and counts the same parities, once this
    process has done :data:`COMPILED_AFTER_WORK` of them with numpy (or loaded it).
    """
    global _numpy_work
    if type(oracle) is ParityOracle and _earned():
        kernel = _compiled.locate_errors  # None without numba
        if kernel is not None:
            flips, asked = kernel(oracle._bits, y, perm, lo, hi)
            oracle.leaked += asked
            return flips
    leaked_before = oracle.leaked
    found = lo.copy()
    active = np.flatnonzero(hi - lo > 1)
    la, ha = lo[active], hi[active]
    while active.size:
        mid = la + (ha - la) // 2  # ask for the first half [la, mid)
        flat, starts = _segments(la, mid - la)
        indices = perm[flat]
        left = oracle.parities(indices, starts) != np.bitwise_xor.reduceat(y[indices], starts)
        ha = np.where(left, mid, ha)
        la = np.where(left, la, mid)
        open_ = ha - la > 1
        if not open_.all():
            found[active[~open_]] = la[~open_]
            active, la, ha = active[open_], la[open_], ha[open_]
    _numpy_work += oracle.leaked - leaked_before + CALL_WORK
    return np.asarray(perm[found])


_PERMUTATION_QUANTUM = 1 << 16  # one drawn permutation serves every length up to its size


@lru_cache(maxsize=2)
def _drawn_permutation(size: int) -> np.ndarray:
    """A uniformly random permutation of ``range(size)`` from :data:`PERMUTATION_SEED`."""
    perm = np.random.default_rng([PERMUTATION_SEED, size]).permutation(size)
    perm.flags.writeable = False
    return perm


@lru_cache(maxsize=4)
def _public_permutation(n: int) -> tuple[np.ndarray, np.ndarray]:
    """A uniformly random permutation of ``range(n)`` and its inverse, fixed by the seed.

    It is the permutation drawn for the next multiple of 65 536 with the values ≥ n left
    out, which is uniform over the permutations of ``range(n)``: blocks whose lengths
    differ by a bit share the draw and pay only for the filtering.
    """
    drawn = _drawn_permutation(-(-n // _PERMUTATION_QUANTUM) * _PERMUTATION_QUANTUM)
    dtype = np.int32 if n < 2**31 else np.int64
    perm = drawn[drawn < n].astype(dtype)
    inverse = np.empty(n, dtype=dtype)
    inverse[perm] = np.arange(n, dtype=dtype)
    perm.flags.writeable = inverse.flags.writeable = False
    return perm, inverse


class _Contiguous:
    """Blocks of ``size`` consecutive bits of ``order`` (the natural order when ``None``).

    Block ``b`` is ``order[lo[b]:hi[b]]``; ``where`` is the inverse of the permutation that
    ``order`` rotates by ``offset``; ``odd[b]`` says whether Bob's parity of block ``b``
    differs from Alice's.
    """

    def __init__(self, n: int, size: int, order: np.ndarray | None = None,
                 where: np.ndarray | None = None, offset: int = 0) -> None:
        self.n, self.size, self.offset = n, size, offset
        self.order, self.where = order, where
        self.lo = np.arange(0, n, size)
        self.hi = np.minimum(self.lo + size, n)
        self.odd = np.zeros(self.lo.size, dtype=bool)

    def block_of(self, bits: np.ndarray) -> np.ndarray:
        """The block of each of ``bits`` (key positions)."""
        if self.where is None:
            return bits // self.size
        return np.asarray(self.where[(bits - self.offset) % self.n] // self.size)

    def members(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(order, lo, hi)``: block ``b`` is ``order[lo[b]:hi[b]]``."""
        if self.order is None:
            self.order = np.arange(self.n)
        return self.order, self.lo, self.hi

    def searched(self, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(order, lo, hi)`` of ``blocks``: block ``b`` is ``order[lo[i]:hi[i]]``."""
        order, lo, hi = self.members()
        return order, lo[blocks], hi[blocks]

    def parities(self, y: np.ndarray, oracle: ParitySource) -> np.ndarray:
        """Which blocks' parities differ (Alice's asked of the oracle)."""
        if self.where is None and type(oracle) is ParityOracle:
            # natural order and a plain oracle: the same parities, without gathering
            oracle.leaked += int(self.lo.size)
            alice = np.bitwise_xor.reduceat(oracle._bits, self.lo)
            return np.asarray(alice != np.bitwise_xor.reduceat(y, self.lo), dtype=bool)
        order, lo, _ = self.members()
        alice = oracle.parities(order, lo)
        bob = np.bitwise_xor.reduceat(y if self.where is None else y[order], lo)
        return np.asarray(alice != bob, dtype=bool)


class _Halves:
    """Two blocks: the bits where a packed random mask is 0, and where it is 1."""

    def __init__(self, n: int, mask: np.ndarray, valid: np.ndarray) -> None:
        self.n, self.size = n, -(-n // 2)
        self.mask, self.valid = mask, valid
        self.odd = np.zeros(2, dtype=bool)

    def block_of(self, bits: np.ndarray) -> np.ndarray:
        """The block of each of ``bits``: its bit in the mask."""
        return np.asarray((self.mask[bits >> 3] >> (7 - (bits & 7)).astype(np.uint8)) & 1)

    def searched(self, blocks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(order, lo, hi)`` of ``blocks``: each half's bits in key order, only those asked."""
        side = np.unpackbits(self.mask)[: self.n].view(bool)
        parts = [np.flatnonzero(side) if b else np.flatnonzero(~side) for b in blocks]
        hi = np.cumsum([part.size for part in parts])
        lo = hi - [part.size for part in parts]
        return (parts[0] if len(parts) == 1 else np.concatenate(parts)), lo, hi

    def parities(self, packed_y: np.ndarray, oracle: ParitySource) -> np.ndarray:
        """Which halves' parities differ, on packed bits (Alice's asked of the oracle)."""
        masks = np.stack([self.valid & ~self.mask, self.mask])
        alice = oracle.mask_parities(masks)
        bob = np.array([_masked_parity(packed_y, m) for m in masks], dtype=np.uint8)
        return np.asarray(alice != bob, dtype=bool)


def cascade(
    bob_bits: np.ndarray,
    oracle: ParitySource,
    *,
    qber: float,
    rng: np.random.Generator,
    passes: int = DEFAULT_PASSES,
) -> CascadeResult:
    """Reconcile Bob's key with Alice's by Cascade.

    Args:
        bob_bits: Bob's key, 0/1.
        oracle: Alice's parity oracle over a key of the same length; it counts leakage.
        qber: the estimated QBER in [0, 0.5), which sets k1 = 0.8 / qber and k2 = 5 k1.
        rng: the shared generator of the partitions: pass 2 draws one offset
            (``rng.integers(n)``), each later pass ``ceil(n / 64) * 8`` random bytes.
        passes: number of passes: k1, k2, then halves (16 by default).

    Returns:
        Bob's corrected key, the parity bits disclosed, the bits flipped, the block sizes.

    Raises:
        ConfigError: ``qber`` or ``passes`` out of range, or the bits are not 0/1.
    """
    y = as_bits(bob_bits, "bob_bits").copy()
    if not 0.0 <= qber < 0.5:
        raise ConfigError("qber", f"must lie in [0, 0.5), got {qber!r}")
    if passes < 1:
        raise ConfigError("passes", f"must be at least 1, got {passes!r}")
    n = y.size
    leaked_before = oracle.leaked
    if n == 0:
        return CascadeResult(y, 0, 0, ())
    k1 = initial_block_size(qber, n)
    done: list[_Contiguous | _Halves] = []
    valid = np.zeros(-(-n // 64) * 8, dtype=np.uint8)  # the packed mask of all n bits
    valid[: n // 8] = 0xFF
    if n % 8:
        valid[n // 8] = (0xFF << (8 - n % 8)) & 0xFF
    packed_y: np.ndarray | None = None
    corrected = 0
    for p in range(passes):
        if p == 0:
            step: _Contiguous | _Halves = _Contiguous(n, k1)
            step.odd = step.parities(y, oracle)
        elif p == 1:
            perm, inverse = _public_permutation(n)
            offset = int(rng.integers(n))
            # (perm + offset) mod n without a mask: perm - (n - offset) lies in
            # [offset - n, offset), and the sign bit of the negatives adds n back
            order = perm - perm.dtype.type(n - offset)
            order += (order >> (8 * order.itemsize - 1)) & perm.dtype.type(n)
            step = _Contiguous(n, min(SECOND_PASS_FACTOR * k1, n), order, inverse, offset)
            step.odd = step.parities(y, oracle)
        else:
            mask = np.frombuffer(rng.bytes(valid.size), dtype=np.uint8) & valid
            step = _Halves(n, mask, valid)
            if packed_y is None:
                packed_y = _packed(y)
            step.odd = step.parities(packed_y, oracle)
        done.append(step)
        while True:
            # smallest blocks first: the earliest pass that still has an odd block
            first = next((s for s in done if s.odd.any()), None)
            if first is None:
                break
            members, lo, hi = first.searched(np.flatnonzero(first.odd))
            flips = _locate_errors(y, members, lo, hi, oracle)
            y[flips] ^= 1
            packed_y = None
            corrected += flips.size
            for s in done:
                np.logical_xor.at(s.odd, s.block_of(flips), True)
    return CascadeResult(y, oracle.leaked - leaked_before, corrected,
                         tuple(s.size for s in done))

def reconciliation_efficiency(leaked: int, n: int, qber: float) -> float:
    """f = leaked / (n H2(qber)); ``inf`` when n H2(qber) = 0.

    Examples:
        >>> round(reconciliation_efficiency(940, 10_000, 0.01), 3)
        1.163
    """
    ideal = n * float(binary_entropy(qber))
    return leaked / ideal if ideal > 0 else float("inf")
