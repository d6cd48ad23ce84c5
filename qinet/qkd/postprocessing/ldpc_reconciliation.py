"""One-way LDPC reconciliation: Alice sends syndromes, Bob decodes by belief propagation.

Syndrome coding for the binary symmetric channel (A. D. Wyner, IEEE Trans. Inf. Theory
20, 2 (1974); for QKD, D. Elkouss, A. Leverrier, R. Alléaume and J. J. Boutros, IEEE ISIT
2009, 1879). The key is cut into frames of at most ``frame_bits`` bits. For each frame
Alice discloses s_A = H x; Bob computes s_B = H y and decodes the error pattern e = x ⊕ y
from the syndrome s_A ⊕ s_B = H e by belief propagation, whose channel log-likelihoods
are those of a BSC with the estimated QBER: with numba installed, quasi-cyclic codes
(:mod:`~qinet.qkd.postprocessing.ldpc_qc`) and their compiled layered decoder
(:class:`~qinet.qkd.postprocessing.ldpc_qc.QCDecoder`, a block row's Z checks at once
in SIMD lanes, each frame stopping as soon as it decodes: 2.5-2.8x the speed of the
scalar decoder of the random codes at the same f; the frames of a key are decoded in
parallel, one per thread on the process's cores, with the same result in any number of
threads, ``threads``); without it, the
random codes of :mod:`~qinet.qkd.postprocessing.ldpc_codes` and numpy sum-product in
four row groups (:class:`~qinet.qkd.postprocessing.ldpc_decoder.SyndromeDecoder`, all
frames of a key in one batch). ``code="random"`` with numba uses the random codes and
the compiled row-layered sum-product of
:class:`~qinet.qkd.postprocessing.ldpc_decoder.LayeredSumProductDecoder`. The
layered decoders need fewer iterations than the numpy one (their default frame lengths
differ, below).

Efficiency: f = leaked / (N H2(Q)) for a key of N bits with error rate Q, where
``leaked`` counts every bit Alice discloses: all syndrome bits, every extension parity of
a retry, and the frame tags, for discarded frames too (:attr:`LdpcResult.leaked`). Nothing
is netted off (no punctured or random bits offset a disclosure), so f ≥ 1 up to the
chance of a frame decoding below its Slepian-Wolf bound.

Frame length: finite-length LDPC codes need more syndrome bits per error the shorter the
frame (the gap to n H2(Q) falls roughly as 1/√n), so frames are long by default
(:data:`DEFAULT_FRAME_BITS` = 2^17 bits). In trials with these codes at 3 % QBER and the
earlier min-sum decoder, 2^14-bit frames needed f ≈ 1.2 for a frame error rate of 10 %,
2^16-bit frames 1.18 and 2^17-bit frames 1.15 (sum-product: 1.10 at 2^17 bits); the
compiled decoder's cost per bit does not depend on the frame length. Longer frames did
not help at 1 % with the published rate-0.9 distribution used there before: with
sum-product at f = 1.15 (100 iterations), 2 of 4 frames of 2^18 bits and 1 of 2 of
2^19 bits failed; the designed distribution of
:mod:`~qinet.qkd.postprocessing.ldpc_codes` decodes there at 1.12.
The numpy decoder's does: it vectorises over the frames of a batch, and with the 7
frames of a 10^6-bit key it spent twice the time per bit and iteration that it spends
on 56 frames, so without numba the default frames are :data:`NUMPY_FRAME_BITS` = 2^14
bits (the starting efficiency follows the frame length, so f is higher there). A frame
also carries a 32-bit tag (below), which costs 32 / (n H2(Q)) of f: 0.003 at 1 % for 2^17
bits.

Rate adaptation: the number of syndrome bits is m ≈ f₀(Q) · r · H2(Q) for a frame with r
key bits, with the starting efficiency f₀ of :func:`initial_efficiency` (measured for these
codes at 2^17-bit frames, with the random codes; the quasi-cyclic ones decoded the same
frames there); m is rounded up to a multiple of n/1024 (of the circulant size Z, the
smallest power of two ≥ n/1024, for a quasi-cyclic code) so that matrices (cached per
(n, m)) are shared between blocks with similar QBER, at a cost of at most 0.1 % of n in
f (0.003 of f at 3 %). The table puts f₀ just above the codes' threshold,
where belief propagation converges slowly: a higher ``efficiency`` buys speed. With the
compiled decoder on 2^17-bit frames at 3 %, f₀ = 1.10, 1.12 and 1.14 took 31, 22 and 18
iterations per frame in trials (12 frames each), so with the quasi-cyclic codes f₀ is
as high as the final f ≤ 1.15 allows with retries: 1.14 at 3-5 %, 1.13 at 1-2 % (the
table's comment gives the trials).

Partial frames: the L key bits are spread over k = ⌈L / frame_bits⌉ frames of equal
length n (a multiple of 64, and of Z for a quasi-cyclic code; n ≥ L / k); each frame
holds ⌊L/k⌋ or ⌈L/k⌉ key bits and is filled up with zeros at its end. The filler is
known to both ends (shortened bits): its error probability is set to ~0 and it is never
part of the key, so it leaks nothing.

Failures: Bob knows whether his estimate satisfies H ê = s_A ⊕ s_B (the syndrome check).
If not, Alice discloses further parities, up to ``max_retries`` times; a frame still
undecoded is discarded by both ends. For the random codes they are ``EXTENSION_FRACTION
· m`` extra sparse rows of the weight :func:`extension_weight` gives for the QBER. For a
quasi-cyclic code ⌈``SPLIT_FRACTION`` · m / Z⌉ block rows of H are each split in two
(:meth:`~qinet.qkd.postprocessing.ldpc_qc.QCCode.split`): Alice discloses the parities
of every other block of the row, and Bob gets those of the rest from the row's own, so
the disclosure is the same, no edge is added and the checks get lighter, as a lower-rate
code's are (parity splitting: "Design of rate-compatible irregular LDPC codes based on
edge growth and parity splitting", N. Jacobsen and R. Soni, IEEE VTC 2007-Fall). Random
rows of ln(1/2) / ln(1 − 2Q) blocks instead needed 3-6 retries on frames that 1-2 splits
of 4 % of m decode (2^17-bit frames at 1 % with 1 378-1 419 errors, 200 iterations from
scratch). Splits fit a frame's need finely, so they come in steps of 2 % of m (half the
random rows' 4 %): with f₀ = 1.13 at 1 % that put none of 120 keys of 2^20 bits over f
1.15, against 5 of 120 with random rows at f₀ = 1.12 (benchmarks/README.md). Each
level's code holds the previous one's edges (random: as a prefix; quasi-cyclic:
permuted, by the split's permutation), so a retry does not decode from scratch: it goes
on from the failed run's check messages (a new random row starts at 0, a split row's two
parts keep the old row's messages on their edges; rate-compatible decoding as in blind
reconciliation: J. Martinez-Mateo, D. Elkouss and V. Martin, Quantum Inf. Comput. 12,
791 (2012)). A frame whose number of unsatisfied checks has not fallen below its lowest
for ``STALL_ITERATIONS`` iterations is not converging: it asks for the next extension at
once instead of running to ``MAX_ITERATIONS`` (at the last level it runs on). BP can
also converge to a wrong word that satisfies the syndrome (a low-weight codeword away):
with ``rng`` given, Alice also sends a 32-bit universal hash of each frame (a random
binary matrix, seed drawn by ``rng`` and announced; J. L. Carter and M. N. Wegman, J.
Comput. Syst. Sci. 18, 143 (1979)), and Bob treats a tag mismatch like a syndrome
failure. Every syndrome and tag bit sent, also for discarded frames, is counted in
``leaked``; the verification hash of the whole key still guards what a frame tag lets
through (probability 2^-32).

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> alice = rng.integers(0, 2, 6000, dtype=np.uint8)
    >>> bob = alice ^ (rng.random(6000) < 0.05).astype(np.uint8)
    >>> res = ldpc_reconcile(alice, bob, qber=0.05)
    >>> res.frames, bool(np.array_equal(res.bits, alice[res.kept])), res.leaked < 6000
    (1, True, True)
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import _compiled, _compiled_qc
from qinet.qkd.postprocessing._bits import as_bits, same_length
from qinet.qkd.postprocessing.ldpc_codes import CODE_SEED, parity_check_matrix
from qinet.qkd.postprocessing.ldpc_decoder import (
    Decoder,
    LayeredSumProductDecoder,
    SyndromeDecoder,
)
from qinet.qkd.postprocessing.ldpc_qc import QCCode, QCDecoder, circulant_size, qc_code

DEFAULT_FRAME_BITS = 131_072  # with the compiled decoder
NUMPY_FRAME_BITS = 16_384  # without numba: the numpy decoder needs many frames per batch
FRAME_QUANTUM = 64  # frame lengths are multiples of this
RATE_STEPS = 1024  # m is a multiple of n / RATE_STEPS (shared, cached matrices)
KNOWN_BIT_ERROR = 1e-9  # channel error probability given to shortened (known) bits
# iterations of the row-layered decoder: near the codes' threshold long frames need more
# than short ones (errors spread further through a larger graph). In trials with 2^17-bit
# frames at 1 % and f0 = 1.19, 50 iterations and a patience of 8 retried 6 of 14 frames
# where 30 and 6 retried 13 (f 1.215 against 1.239). A patience of 16 gave the same f at
# 1, 3 and 5 % and cut the retries at 10 % from 10 to 7 (f 1.235 to 1.225): near the
# threshold of these long frames the unsatisfied checks can stall for a while and fall.
# The compiled sum-product decoder took up to 58 iterations on frames it decoded near
# its threshold (12 frames of 2^17 bits per QBER, f 0.02 below the table's f0), hence 60.
MAX_ITERATIONS = 60
STALL_ITERATIONS = 16  # a frame whose unsatisfied checks stop falling this long gets more
EXTENSION_FRACTION = 0.04  # each retry of a random code discloses 4 % of m more parities
SPLIT_FRACTION = 0.02  # each retry of a quasi-cyclic code splits rows for 2 % of m more
FRAME_TAG_BITS = 32

# Starting efficiency f0 per QBER at two frame lengths. Long (2^17 bits, the compiled
# layered sum-product decoder): 12 frames per QBER decoded at f on a grid of 0.02
# without retries. The lowest f at which at most 1 of 12 failed (a frame error rate
# below ~1/3 at 95 % confidence) was 1.10-1.12 at 2 %, 1.10 at 3 %, 1.08 at 5-10 %;
# there a frame takes 24-37 iterations, 0.02 higher 20-24 (at 3 %: 31 at 1.10, 22 at
# 1.12, 18 at 1.14). f0 sits that 0.02 higher at 2-5 %: 1.4x the speed for 0.02 of f,
# and no frame of 12 failed there. At 1 % (rate ~0.91, the designed distribution of
# ldpc_codes) 3 of 20 frames failed at f = 1.11 and none of 20 at 1.12 (m rounded up
# to 1.124) or 1.15, so f0 is 1.12 there: the published rate-0.9 distribution it
# replaced needed 1.19 (13 of 20 lost at 1.16, 1 at 1.20).
# Then raised where it costs no f that the goal f <= 1.15 needs (quasi-cyclic codes, 20
# keys of 2^20 bits = 160 frames per point, the true QBER, retries and tags counted):
# the CPU time per bit falls with f0 (fewer iterations), so f0 is the largest value
# whose final f stays <= 1.15 with margin. At 3-5 % f0 = 1.14 (m rounds to f 1.141-1.143,
# tags 0.001): no frame of 160 retried at 3, 4 or 5 %, and one retry (0.006 of f on one
# of 8 frames) still fits, two or more on a key happen with < 1 % at the 95 % upper
# bound of the retry rate (3/160); 1.25-1.28x the speed of 1.12 / 1.11 (edge-iterations
# per bit 109 / 108 / 96 against 143 / 138 / 129). At 2 % f0 = 1.13 (f 1.134 with tags,
# 9 of 160 frames retried, at most 2 a key, which fit; 154 edge-iterations per bit
# against 176); 1.135 put 1 key of 20 over 1.15. At 1 % m moves in steps of 0.012 of f
# (Z = 128 bits of n H2(Q) = 10 589), so the step above 1.124 is 1.136. With retries of
# 4 % of m in random rows f0 stayed 1.12 there: 3 of 20 keys went over (to 1.163) at
# 1.12 and at 1.13 alike, a few frames needing 4-6 retries; as at 1.5 % (3 of 20 at 1.12
# and at 1.125) and 2.5 % (2 of 20 at 1.12, 1.13 and 1.135). Retries that split rows of H
# (SPLIT_FRACTION, 2 % of m) fit a frame's need finely, and f0 = 1.13 at 1 % (f 1.139
# with tags, 0.003 a retry: three on a key fit) put none of 120 keys over 1.15 (max
# 1.145) where f0 = 1.12 with random rows put 5, at 159 edge-iterations per bit against
# 189 (f +0.0085; benchmarks/README.md).
# Short (2^14 bits; measured with the earlier compiled min-sum decoder, which needs at
# least the syndrome sum-product needs) on 900 000-bit keys, 55 frames, warm-started
# retries: the smallest f0 on a grid of 0.02 at which at most ~1/3 of the frames needed
# a retry. A QBER estimated on a sample that comes out low is covered by the retries:
# at 1 % a 3 % relative error in Q moves H2(Q) by 2.5 %, within one retry. At 1 % the
# rule was applied again with the designed code and the numpy decoder (two 400 000-bit
# keys, 25 frames each): 4 and 10 frames retried at 1.22, 8 and 21 at 1.20 (f 1.26-1.27
# against 1.29-1.30 at the earlier 1.26).
_F0_QBER = (0.01, 0.02, 0.03, 0.05, 0.08, 0.10)
_F0_LONG = (1.13, 1.13, 1.14, 1.14, 1.10, 1.10)
# the 2^17-bit values at 0.02 above the threshold, before the raise: they and _F0_SHORT
# fix the slope b of f0 = a + b / sqrt(n) for frames shorter than 2^14 bits, which the
# raise (a choice of speed at long frames, not a threshold) leaves as it was
_F0_THRESHOLD_LONG = (1.12, 1.12, 1.12, 1.11, 1.10, 1.10)
_F0_SHORT = (1.22, 1.24, 1.19, 1.19, 1.18, 1.18)
_LONG_BITS = 2**17
_SHORT_BITS = 2**14


def initial_efficiency(qber: float, frame_bits: int = 2**17) -> float:
    """Starting efficiency f₀(Q, n) for frames of n bits, clamped in Q to [1 %, 10 %].

    Measured at n = 2^14 and 2^17 (linear in Q between the tabulated rates); between
    and beyond, f₀ − 1 follows the finite-length scaling of the gap to capacity,
    f₀(n) = a + b / √n (V. Strassen 1962; Y. Polyanskiy, H. V. Poor and S. Verdú, IEEE
    Trans. Inf. Theory 56, 2307 (2010): the rate penalty at a fixed frame error rate
    falls as 1/√n), with a and b fitted to the two measurements; longer than 2^17 bits
    it stays at the 2^17 value (not measured beyond). The 2^17-bit values sit above
    the threshold by as much as the goal f ≤ 1.15 allows (speed); shorter than 2^14
    bits the line keeps the slope of the threshold measurements.

    Examples:
        >>> initial_efficiency(0.03), initial_efficiency(0.5)
        (1.14, 1.1)
        >>> round(initial_efficiency(0.03, 2**14), 3), round(initial_efficiency(0.03, 2**12), 3)
        (1.19, 1.298)
    """
    long = float(np.interp(qber, _F0_QBER, _F0_LONG))
    short = float(np.interp(qber, _F0_QBER, _F0_SHORT))
    n = max(int(frame_bits), 1)
    if n >= _LONG_BITS:
        return long
    # f0 = a + b x with x = 1/sqrt(n): the line through the two measured points
    x, x_long, x_short = 1.0 / math.sqrt(n), 1.0 / math.sqrt(_LONG_BITS), 1.0 / math.sqrt(
        _SHORT_BITS)
    if n < _SHORT_BITS:
        long = float(np.interp(qber, _F0_QBER, _F0_THRESHOLD_LONG))
    return long + (short - long) * (x - x_long) / (x_short - x_long)


class LdpcResult(NamedTuple):
    """Outcome of :func:`ldpc_reconcile`.

    Attributes:
        bits: Bob's corrected key over the kept positions, ``uint8``.
        kept: mask over the input positions that both ends keep (failed frames removed).
        leaked: every bit Alice disclosed: syndromes, extension parities and frame
            tags, discarded frames included (f = leaked / (N H2(Q)) counts them all).
        frames: number of frames.
        failed_frames: frames discarded after the last retry.
        retries: extensions disclosed over all frames.
        frame_bits: frame length n used (key bits plus filler).
    """

    bits: np.ndarray
    kept: np.ndarray
    leaked: int
    frames: int
    failed_frames: int
    retries: int
    frame_bits: int


def syndrome_bits(n: int, key_bits: int, qber: float, efficiency: float,
                  step: int | None = None) -> int:
    """m = f · r · H2(Q) rounded up to a multiple of ``step`` (``None``: n / 1024; the
    circulant size Z for a quasi-cyclic code), within [step, n].

    Examples:
        >>> syndrome_bits(16384, 16384, 0.03, 1.25), syndrome_bits(16384, 16384, 0.03, 1.25, 16)
        (3984, 3984)
    """
    step = max(1, n // RATE_STEPS) if step is None else max(1, step)
    wanted = efficiency * key_bits * float(binary_entropy(qber))
    return int(min(n, max(step, step * math.ceil(wanted / step))))


def extension_weight(n: int, m: int, qber: float) -> int:
    """Row weight w of the extension parities: their parity is wrong with probability ~1/4.

    A check on w bits of a BSC(Q) is violated by the errors with probability
    (1 − (1 − 2Q)^w) / 2; w = ln(1/2) / ln(1 − 2Q) puts that at 1/4. Heavier rows say
    almost nothing to belief propagation (their parity is a coin flip), lighter ones
    disclose a bit for little information. In trials (16 384-bit frames, 1-3 %) this
    rescued more frames per disclosed bit than rows as heavy as H's, most of all with
    the compiled min-sum decoder. Capped by H's mean row weight.

    Examples:
        >>> extension_weight(16384, 4096, 0.03), extension_weight(16384, 4096, 0.01)
        (11, 26)
    """
    base = parity_check_matrix(n, m)
    return _parity_weight(qber, int(min(n, max(2, round(base.nnz / m)))))


def _parity_weight(qber: float, heaviest: int) -> int:
    """w = ln(1/2) / ln(1 − 2Q) within [2, ``heaviest``] (:func:`extension_weight`)."""
    wanted = round(math.log(0.5) / math.log1p(-2.0 * min(qber, 0.49)))
    return int(min(heaviest, max(2, wanted)))


@lru_cache(maxsize=64)
def _extension_rows(n: int, m: int, level: int, weight: int | None = None) -> sp.csr_matrix:
    """The ``level``-th block of extra parity checks for the code (n, m) (public, seeded).

    ``weight`` is the row weight; ``None`` gives H's mean row weight.
    """
    base = parity_check_matrix(n, m)
    rows = max(1, math.ceil(EXTENSION_FRACTION * m))
    if weight is None:
        weight = int(min(n, max(2, round(base.nnz / m))))
    rng = np.random.default_rng([CODE_SEED, n, m, level])
    # each row: `weight` distinct columns, drawn with replacement and a repeated column
    # redrawn until none is left (O(rows · weight) work, not O(rows · n))
    cols = np.sort(rng.integers(0, n, (rows, weight)), axis=1)
    while True:
        repeated = np.zeros(cols.shape, dtype=bool)
        repeated[:, 1:] = cols[:, 1:] == cols[:, :-1]
        if not repeated.any():
            break
        cols[repeated] = rng.integers(0, n, int(repeated.sum()))
        cols.sort(axis=1)
    indptr = np.arange(0, rows * weight + 1, weight)
    return sp.csr_matrix((np.ones(rows * weight, dtype=np.uint8), cols.ravel(), indptr),
                         shape=(rows, n))


@lru_cache(maxsize=64)
def _code(n: int, m: int, level: int, weight: int | None = None) -> sp.csr_matrix:
    """H stacked with the first ``level`` extension blocks (rows of weight ``weight``)."""
    blocks = [parity_check_matrix(n, m)] + [_extension_rows(n, m, j, weight)
                                            for j in range(level)]
    stacked: sp.csr_matrix = sp.vstack(blocks, format="csr", dtype=np.uint8)
    return stacked


def _decoder(n: int, m: int, level: int, weight: int | None = None) -> Decoder:
    """The decoder of level ``level``: compiled layered sum-product with numba, else numpy."""
    return _cached_decoder(n, m, level, weight, _compiled.layered_sum_product is not None)


@lru_cache(maxsize=64)
def _cached_decoder(n: int, m: int, level: int, weight: int | None,
                    compiled: bool) -> Decoder:
    code = _code(n, m, level, weight)
    return LayeredSumProductDecoder(code) if compiled else SyndromeDecoder(code)


@lru_cache(maxsize=64)
def _qc_level(n: int, m: int, level: int) -> tuple[QCCode, np.ndarray]:
    """The QC code (n, m) after ``level`` retries, and where each of its base edges was
    at the level before (public, fixed by the code).

    Each retry splits ⌈:data:`SPLIT_FRACTION` · m / Z⌉ block rows of the level before in
    two (:meth:`~qinet.qkd.postprocessing.ldpc_qc.QCCode.split`).
    """
    if level == 0:
        code = qc_code(n, m)
        return code, np.arange(code.cols.size, dtype=np.int64)
    below, _ = _qc_level(n, m, level - 1)
    return below.split(max(1, math.ceil(SPLIT_FRACTION * m / below.z)))


@lru_cache(maxsize=64)
def _qc_matrix(n: int, m: int, level: int) -> sp.csr_matrix:
    return _qc_level(n, m, level)[0].matrix()


@lru_cache(maxsize=64)
def _qc_decoder(n: int, m: int, level: int) -> QCDecoder:
    return QCDecoder(_qc_level(n, m, level)[0])


def _syndromes(matrix: sp.csr_matrix, frames: np.ndarray) -> np.ndarray:
    """H · x mod 2 for every frame (rows of ``frames``), as (frames, checks) ``uint8``."""
    return ((matrix @ frames.T.astype(np.int32)).T & 1).astype(np.uint8)


def _frame_tags(frames: np.ndarray, tag_words: np.ndarray) -> np.ndarray:
    """Tag bits t_j = <r_j, x> mod 2 per frame (rows of ``frames``), as (frames, tags) ``uint8``.

    ``tag_words`` holds the random rows r_j packed 64 bits a word. The inner product is the
    parity of the AND of the packed words: XOR them all, then fold the 64 bits of the
    result onto one. (Integer work only: a BLAS product would be as exact but spins
    worker threads that cost CPU time while the decoder runs.)
    """
    packed = np.packbits(frames, axis=1, bitorder="little").view(np.uint64)
    folded: np.ndarray = np.bitwise_xor.reduce(packed[:, None, :] & tag_words[None, :, :],
                                               axis=2)
    for shift in (32, 16, 8, 4, 2, 1):
        folded ^= folded >> np.uint64(shift)
    return (folded & np.uint64(1)).astype(np.uint8)


def _frame_layout(length: int, frame_bits: int,
                  quantum: int = FRAME_QUANTUM) -> tuple[int, np.ndarray]:
    """Frame length n (a multiple of ``quantum``) and the key bits in each of the k frames."""
    k = max(1, math.ceil(length / frame_bits))
    n = quantum * math.ceil(math.ceil(length / k) / quantum)
    real = np.full(k, length // k, dtype=np.int64)
    real[: length - int(real.sum())] += 1
    return n, real


def ldpc_reconcile(
    alice_bits: np.ndarray,
    bob_bits: np.ndarray,
    *,
    qber: float,
    frame_bits: int | None = None,
    efficiency: float | None = None,
    max_retries: int = 8,
    rng: np.random.Generator | None = None,
    code: str | None = None,
    threads: int | None = None,
) -> LdpcResult:
    """Correct Bob's key towards Alice's with syndrome-based LDPC decoding.

    Alice's part is the syndromes (and extensions) she announces; Bob's part uses only
    his key, those announcements and ``qber``. Both keys are passed in because both
    ends are simulated here.

    Args:
        alice_bits: Alice's key, 0/1.
        bob_bits: Bob's key, 0/1, same length.
        qber: the estimated QBER in (0, 0.5), used for the rate and the decoder's
            log-likelihoods ln((1 − Q)/Q).
        frame_bits: largest frame length; frames are shortened to fit the key. ``None``:
            :data:`DEFAULT_FRAME_BITS` with numba, :data:`NUMPY_FRAME_BITS` without.
        efficiency: starting f (syndrome bits / (r H2(Q))); ``None`` uses
            :func:`initial_efficiency` for the frame length.
        max_retries: extensions Alice may disclose per frame before it is discarded.
        rng: Alice's generator for the frame-tag seed; ``None`` sends no frame tags.
        code: ``"qc"``: quasi-cyclic codes (:mod:`~qinet.qkd.postprocessing.ldpc_qc`,
            frames and m multiples of Z, 128 at 2^17 bits) and their compiled decoder
            (needs numba);
            ``"random"``: the codes of :mod:`~qinet.qkd.postprocessing.ldpc_codes`;
            ``None``: ``"qc"`` with numba, ``"random"`` (numpy decoder) without.
        threads: frames decoded at once by the compiled decoders, each in its own
            thread; ``None``: the cores this process may use, 1: one after the other.
            The result does not depend on it (frames are decoded independently); the
            numpy decoder batches the frames in one thread either way.

    Returns:
        Bob's corrected kept bits, which positions are kept, and what was disclosed.

    Raises:
        ConfigError: mismatched or non-binary keys, or a parameter out of range.
    """
    a = as_bits(alice_bits, "alice_bits")
    b = as_bits(bob_bits, "bob_bits")
    same_length(a, b, "bob_bits")
    if not 0.0 < qber < 0.5:
        raise ConfigError("qber", f"must lie in (0, 0.5), got {qber!r}")
    if code not in (None, "qc", "random"):
        raise ConfigError("code", f"must be 'qc', 'random' or None, got {code!r}")
    if code == "qc" and _compiled_qc.qc_fixed is None:
        raise ConfigError("code", "'qc' needs numba (pip install qinet[fast]); use 'random'")
    qc = code == "qc" or (code is None and _compiled_qc.qc_fixed is not None)
    if frame_bits is None:
        compiled = qc or _compiled.layered_sum_product is not None
        frame_bits = DEFAULT_FRAME_BITS if compiled else NUMPY_FRAME_BITS
    if frame_bits < FRAME_QUANTUM:
        raise ConfigError("frame_bits", f"must be at least {FRAME_QUANTUM}, got {frame_bits!r}")
    if max_retries < 0:
        raise ConfigError("max_retries", f"must be non-negative, got {max_retries!r}")
    if threads is not None and threads < 1:
        raise ConfigError("threads", f"must be at least 1, got {threads!r}")
    if efficiency is not None and not efficiency > 0.0:
        raise ConfigError("efficiency", f"must be positive, got {efficiency!r}")
    length = a.size
    if length == 0:
        return LdpcResult(b.copy(), np.ones(0, dtype=bool), 0, 0, 0, 0, 0)
    n, real = _frame_layout(length, frame_bits)
    z = circulant_size(n) if qc else 1
    if n % z:  # Z = 128 (n ≥ 2^17) asks for n a multiple of 128
        n, real = _frame_layout(length, frame_bits, z)
    k = real.size
    f0 = initial_efficiency(qber, n) if efficiency is None else float(efficiency)
    in_key = np.arange(n)[None, :] < real[:, None]  # (k, n): key bit, not filler
    x = np.zeros((k, n), dtype=np.uint8)
    y = np.zeros((k, n), dtype=np.uint8)
    x[in_key] = a
    y[in_key] = b
    m = syndrome_bits(n, int(real.max()), qber, f0, z if qc else None)
    if not qc:  # a retry adds rows: every level's syndromes are a prefix of the last one's
        weight = extension_weight(n, m, qber)
        full = _code(n, m, max_retries, weight)
        ext = _extension_rows(n, m, 0, weight).shape[0] if max_retries else 0
        s_alice = _syndromes(full, x)  # Alice's announcements, disclosed level by level
        target = s_alice ^ _syndromes(full, y)
    corrected = y.copy()
    ok = np.zeros(k, dtype=bool)
    leaked = 0
    if rng is not None:
        tag_words = rng.integers(0, 256, (FRAME_TAG_BITS, n // 8), dtype=np.uint8).view(np.uint64)
        tags_alice = _frame_tags(x, tag_words)
        leaked += k * FRAME_TAG_BITS
    retries = 0
    # channel LLRs ln((1 - p)/p): the QBER on key bits, ~certainty on the known filler
    known = math.log((1.0 - KNOWN_BIT_ERROR) / KNOWN_BIT_ERROR)
    llr = np.where(in_key, np.float32(math.log((1.0 - qber) / qber)), np.float32(known))
    pending = np.arange(k)  # frames not decoded yet; every level is one batch of them
    messages = None  # the previous level's messages of the pending frames (warm start)
    checks = 0
    for level in range(max_retries + 1):
        if pending.size == 0:
            break
        decoder: Decoder | QCDecoder
        if qc:
            # a split changes old rows too (Alice's parities of a new row and the old row's
            # give Bob those of the rest), so each level's syndromes are computed anew
            code_now, moved = _qc_level(n, m, level)
            matrix = _qc_matrix(n, m, level)
            wanted = _syndromes(matrix, x[pending]) ^ _syndromes(matrix, y[pending])
            if messages is not None:  # the stalled level's messages, on the same edges
                messages = messages.reshape(pending.size, -1, z)[:, moved].reshape(
                    pending.size, -1)
            decoder, disclosed = _qc_decoder(n, m, level), code_now.shape[0] - checks
            checks = code_now.shape[0]
        else:
            decoder, disclosed = _decoder(n, m, level, weight), m if level == 0 else ext
            checks += disclosed
            wanted = target[pending, :checks]
        leaked += pending.size * disclosed
        retries += pending.size if level > 0 else 0
        last = level == max_retries
        patience = None if last else STALL_ITERATIONS
        if isinstance(decoder, SyndromeDecoder):
            error, converged, messages = decoder.resume(
                llr[pending], wanted, max_iter=MAX_ITERATIONS,
                messages=messages, patience=patience)
        else:
            error, converged, messages = decoder.resume(
                llr[pending], wanted, max_iter=MAX_ITERATIONS,
                messages=messages, patience=patience, threads=threads)
        candidate = y[pending] ^ error
        if rng is not None:  # a converged frame whose tag differs reached a wrong word
            converged &= (_frame_tags(candidate, tag_words) == tags_alice[pending]).all(axis=1)
        done = pending[converged]
        corrected[done] = candidate[converged]
        ok[done] = True
        pending = pending[~converged]
        messages = messages[~converged]
    kept_frames = np.repeat(ok, real)
    bits = corrected[in_key & ok[:, None]]
    return LdpcResult(bits, kept_frames, leaked, k, int(k - ok.sum()), retries, n)
