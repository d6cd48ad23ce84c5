"""Cascade information reconciliation (Brassard & Salvail, EUROCRYPT 1993).

Bob corrects his key towards Alice's by comparing parities of blocks. Pass 1 splits the
key into blocks of k1 ≈ 0.73 / QBER bits; each later pass doubles the block size and uses a
fresh public permutation. A block whose parity differs holds an odd number of errors,
and a binary search (⌈log2 k⌉ parities) locates one of them. Flipping that bit changes
the parity of the blocks holding it in every earlier pass, which may reveal further
errors there — the *cascade* effect, followed until no known block parity differs.
Source: G. Brassard and L. Salvail, "Secret-key reconciliation by public discussion",
EUROCRYPT '93, LNCS 765, 410 (1994); block sizes as in J. Martinez-Mateo, C. Pacher,
M. Peev, A. Ciurana and V. Martin, "Demystifying the information reconciliation protocol
Cascade", Quantum Inf. Comput. 15, 453 (2015).

Only Bob's copy is held here. Alice is a :class:`ParityOracle` that answers parities of
index sets and counts every parity bit it discloses. The permutations come from a
generator that both ends derive from a shared seed (Alice's oracle needs no copy here,
because Bob sends the index sets). All blocks of one pass are disjoint, so their parities
and the binary searches of all odd blocks of a pass run together, vectorised; the error
found and the bits disclosed per block are those of the sequential protocol.

The efficiency f = leaked / (n H2(QBER)) is typically 1.05–1.2 for Cascade at QBER
1–10 % (Martinez-Mateo et al. 2015, Fig. 3); 1 is the Shannon limit.

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

from typing import NamedTuple, Protocol

import numpy as np

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing._bits import as_bits

BLOCK_CONSTANT = 0.73  # k1 = 0.73 / QBER (Brassard & Salvail 1993)


class ParitySource(Protocol):
    """What Bob may ask of Alice: parities of index sets, each answer counted."""

    leaked: int

    def parities(self, indices: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Parities of the segments ``indices[starts[i]:starts[i+1]]``."""
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

    __slots__ = ("_bits", "leaked")

    def __init__(self, alice_bits: np.ndarray) -> None:
        self._bits = as_bits(alice_bits, "alice_bits").copy()
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
    """k1 = round(0.73 / QBER), clipped to [1, n] (n when QBER = 0).

    Examples:
        >>> initial_block_size(0.01, 10**5), initial_block_size(0.0, 500)
        (73, 500)
    """
    if qber <= 0.0:
        return max(n, 1)
    return int(min(max(round(BLOCK_CONSTANT / qber), 1), max(n, 1)))


def _segments(lo: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ranges ``[lo[i], lo[i] + lengths[i])`` and the start of each in the result."""
    starts = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    flat = np.repeat(lo - starts, lengths)
    flat += np.arange(flat.size)
    return flat, starts


def _locate_errors(y: np.ndarray, perm: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                   oracle: ParitySource) -> np.ndarray:
    """Binary search, all at once, for one error in each odd block ``perm[lo:hi]``.

    Each round asks Alice for the parity of the first half of every block still longer
    than one bit; Bob's parity of the same half comes from the same gathered indices, so
    a round costs the size of the halves asked for, not of the key.
    """
    lo, hi = lo.copy(), hi.copy()
    active = np.flatnonzero(hi - lo > 1)
    while active.size:
        la, ha = lo[active], hi[active]
        mid = la + (ha - la) // 2  # ask for the first half [la, mid)
        flat, starts = _segments(la, mid - la)
        indices = perm[flat]
        alice_half = oracle.parities(indices, starts)
        bob_half = np.bitwise_xor.reduceat(y[indices], starts)
        left = alice_half != bob_half
        hi[active] = np.where(left, mid, ha)
        lo[active] = np.where(left, la, mid)
        active = active[hi[active] - lo[active] > 1]
    return perm[lo]


def cascade(
    bob_bits: np.ndarray,
    oracle: ParitySource,
    *,
    qber: float,
    rng: np.random.Generator,
    passes: int = 4,
) -> CascadeResult:
    """Reconcile Bob's key with Alice's by Cascade.

    Args:
        bob_bits: Bob's key, 0/1.
        oracle: Alice's parity oracle over a key of the same length; it counts leakage.
        qber: the estimated QBER in [0, 0.5), which sets k1 = 0.73 / qber.
        rng: the shared generator of the pass permutations (passes 2 and later draw one
            ``rng.permutation(n)`` each; pass 1 keeps the natural order).
        passes: number of passes, each doubling the block size (4 in the original).

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
    sizes: list[int] = []
    perms: list[np.ndarray] = []
    where: list[np.ndarray] = []  # where[j][bit] = position of the bit in pass j's order
    odd: list[np.ndarray] = []  # odd[j][block] = Bob's parity differs from Alice's
    corrected = 0
    for p in range(passes):
        k = min(k1 << p, n)
        if p == 0:
            perm = inverse = np.arange(n)
        else:
            perm = rng.permutation(n)
            inverse = np.empty(n, dtype=np.int32 if n < 2**31 else np.int64)
            inverse[perm] = np.arange(n, dtype=inverse.dtype)
        starts = np.arange(0, n, k)
        alice = oracle.parities(perm, starts)
        odd.append(alice != np.bitwise_xor.reduceat(y if p == 0 else y[perm], starts))
        sizes.append(k)
        perms.append(perm)
        where.append(inverse)
        while True:
            # smallest blocks first: the earliest pass that still has an odd block
            j = next((i for i in range(p + 1) if odd[i].any()), None)
            if j is None:
                break
            blocks = np.flatnonzero(odd[j])
            lo = blocks * sizes[j]
            hi = np.minimum(lo + sizes[j], n)
            flips = _locate_errors(y, perms[j], lo, hi, oracle)
            y[flips] ^= 1
            corrected += flips.size
            for i in range(p + 1):
                hit = where[i][flips] // sizes[i]
                odd[i] ^= (np.bincount(hit, minlength=odd[i].size) & 1).astype(bool)
    return CascadeResult(y, oracle.leaked - leaked_before, corrected, tuple(sizes))


def reconciliation_efficiency(leaked: int, n: int, qber: float) -> float:
    """f = leaked / (n H2(qber)); ``inf`` when n H2(qber) = 0.

    Examples:
        >>> round(reconciliation_efficiency(940, 10_000, 0.01), 3)
        1.163
    """
    ideal = n * float(binary_entropy(qber))
    return leaked / ideal if ideal > 0 else float("inf")
