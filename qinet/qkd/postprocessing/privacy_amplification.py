"""Privacy amplification by Toeplitz hashing, computed with FFT convolution.

A Toeplitz matrix T (``out_len`` × n) over GF(2) is fixed by its first row and column,
i.e. by ``n + out_len − 1`` seed bits: ``T[i, j] = seed[i − j + n − 1]``. Random Toeplitz
matrices form a universal-2 family (H. Krawczyk, CRYPTO 1994, LNCS 839, 129; Y. Mansour,
N. Nisan and P. Tiwari, STOC 1990): for any key difference d ≠ 0, T·d is uniform over
{0,1}^out_len. The product T·x is the slice ``(seed ⊛ x)[n−1 : n−1+out_len]`` of the
integer convolution, reduced mod 2, so it costs O((n + m) log(n + m)) with an FFT
(M. Hayashi and T. Tsurumaru, IEEE Trans. Inf. Theory 62, 2213 (2016)).

Precision: float64 FFT convolution is exact after rounding only while its round-off stays
well below 1/2. Keys longer than ``block_size`` are therefore split into blocks on both
the key and the seed; each block pair is convolved separately (integer sums ≤ block_size
≪ 2^52), rounded, reduced mod 2 and XOR-accumulated. Every rounding is checked: a
residual above 0.25 raises instead of returning a wrong key. Only the outputs
``[n−1, n−1+out_len)`` are wanted, so a circular convolution of length ≥ n + out_len − 1
(not 2n + out_len − 2) suffices: the wrapped-around terms land outside that slice.

Privacy amplification proper uses the modified Toeplitz matrix (T | I) of
:func:`modified_toeplitz_hash`: an ``m`` × (n − m) Toeplitz T next to the m × m identity,
so that only the first n − m key bits are convolved, with n − 1 seed bits. Its FFTs are
about n long instead of n + m (1.9 times shorter when m = 0.8 n), and the family is still
universal-2 (M. Hayashi and T. Tsurumaru, above).

Short outputs (``out_len`` ≤ :data:`DIRECT_MAX_OUT`, the verification tags) skip the FFT:
row i of T is a window of the reversed seed, so each output bit is the parity of
popcount(window AND key) over bit-packed bytes, O(out_len · n / 8) byte operations.

Examples:
    >>> import numpy as np
    >>> toeplitz_hash(np.array([1, 0, 1]), np.array([1, 1, 0, 1]), 2).tolist()
    [1, 0]
    >>> final_key_length(10**6, qber_upper=0.02, leaked_ec=160_000,
    ...                  epsilon_sec=1e-10, epsilon_cor=1e-15)
    698442
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft as sfft

from qinet.errors import ConfigError, ProtocolError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing._bits import as_bits

DEFAULT_BLOCK_SIZE = 1 << 20  # bits per FFT block: round-off ~1e-9, far from 1/2
DIRECT_MAX_OUT = 256  # up to this many output bits, packed bit products beat the FFT
_BYTE_PARITY = np.array([bin(v).count("1") & 1 for v in range(256)], dtype=np.uint8)


def _round_parity(values: np.ndarray) -> np.ndarray:
    rounded = np.rint(values)
    worst = float(np.max(np.abs(values - rounded))) if values.size else 0.0
    if worst > 0.25:  # cannot happen for block sizes ≤ 2^24; a guard, not a code path
        raise ProtocolError(f"FFT convolution lost exactness (residual {worst:.3g})")
    return np.asarray(rounded.astype(np.int64) & 1, dtype=np.uint8)


_FFT_GRAIN = 1024  # long FFTs: a length with 2^10 as a factor (see _fft_size)


def _fft_size(least: int) -> int:
    """An FFT length ≥ ``least`` that pocketfft transforms fast.

    The shortest 5-smooth length (``next_fast_len``) is not always the fastest: for
    ~900 000 real points 911 250 = 2·3⁶·5⁴ took 14 % longer than 921 600 = 2¹²·3²·5².
    Long transforms therefore take a multiple of 2^10 times a 5-smooth number, at most
    a few per cent longer than the shortest.
    """
    if least <= 16 * _FFT_GRAIN:
        return sfft.next_fast_len(least, real=True)
    return _FFT_GRAIN * sfft.next_fast_len(-(-least // _FFT_GRAIN), real=True)


def _padded(values: np.ndarray, size: int) -> np.ndarray:
    """``values`` as float64 followed by zeros up to ``size`` (one copy, not two)."""
    out = np.zeros(size, dtype=np.float64)
    out[: values.size] = values
    return out


def _convolve_parity(seed: np.ndarray, key: np.ndarray, lo: int, hi: int,
                     block: int) -> np.ndarray:
    """Parity of (seed ⊛ key)[lo:hi], blocked so each FFT sums at most ``block`` terms."""
    out = np.zeros(hi - lo, dtype=np.uint8)
    if len(key) <= block and len(seed) <= 2 * block:
        # circular length: index k < hi must not wrap onto itself, nor k + size exist
        size = _fft_size(max(hi, len(seed) + len(key) - 1 - lo))
        spectrum = sfft.rfft(_padded(seed, size), overwrite_x=True)
        spectrum *= sfft.rfft(_padded(key, size), overwrite_x=True)
        conv = sfft.irfft(spectrum, size, overwrite_x=True)
        return _round_parity(conv[lo:hi])
    size = sfft.next_fast_len(2 * block - 1, real=True)
    key_f = [sfft.rfft(_padded(key[a:a + block], size), overwrite_x=True)
             for a in range(0, len(key), block)]
    seed_f = [sfft.rfft(_padded(seed[b:b + block], size), overwrite_x=True)
              for b in range(0, len(seed), block)]
    for ia, kf in enumerate(key_f):
        for ib, sf in enumerate(seed_f):
            offset = (ia + ib) * block
            first, last = max(lo, offset), min(hi, offset + 2 * block - 1)
            if first >= last:
                continue
            conv = sfft.irfft(kf * sf, size)[first - offset:last - offset]
            out[first - lo:last - lo] ^= _round_parity(conv)
    return out


def _direct_parity(key: np.ndarray, seed: np.ndarray, out_len: int) -> np.ndarray:
    """T · key mod 2 by packed windows: out[i] = parity(rev(seed)[out_len−1−i :][:n] · key)."""
    n = key.size
    packed_key = np.packbits(key)
    width = packed_key.size
    reverse = seed[::-1].copy()  # packbits is several times slower on a reversed view
    out = np.empty(out_len, dtype=np.uint8)
    for bit in range(min(8, out_len)):
        # shift t = 8 q + bit: window t starts at byte q of the seed packed from `bit` on
        shifts = np.arange(bit, out_len, 8)
        packed = np.packbits(reverse[bit:bit + 8 * (shifts.size - 1) + n])
        windows = np.lib.stride_tricks.sliding_window_view(packed, width)[:shifts.size]
        folded = np.bitwise_xor.reduce(windows & packed_key, axis=1)
        out[out_len - 1 - shifts] = _BYTE_PARITY[folded]
    return out


def toeplitz_hash(
    key_bits: np.ndarray,
    seed_bits: np.ndarray,
    out_len: int,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
) -> np.ndarray:
    """Multiply a key by the seed's Toeplitz matrix over GF(2), via FFT convolution.

    Args:
        key_bits: the n input bits, 0/1.
        seed_bits: the ``n + out_len − 1`` bits defining ``T[i, j] = seed[i − j + n − 1]``.
        out_len: number of output bits m ≥ 0.
        block_size: largest number of key (and seed) bits per FFT; smaller values are
            slower but keep round-off smaller. Only tests need to change it.

    Returns:
        The m output bits ``T · key mod 2``, ``uint8``.

    Raises:
        ConfigError: the seed has the wrong length, ``out_len`` is negative or the bits
            are not 0/1.

    Examples:
        >>> import numpy as np
        >>> from scipy.linalg import toeplitz
        >>> rng = np.random.default_rng(3)
        >>> x, s = rng.integers(0, 2, 7), rng.integers(0, 2, 7 + 4 - 1)
        >>> dense = toeplitz(s[6:], s[6::-1]) @ x % 2
        >>> bool(np.array_equal(toeplitz_hash(x, s, 4), dense))
        True
    """
    x = as_bits(key_bits, "key_bits")
    s = as_bits(seed_bits, "seed_bits")
    n = x.size
    if out_len < 0:
        raise ConfigError("out_len", f"must be non-negative, got {out_len!r}")
    if block_size < 1:
        raise ConfigError("block_size", f"must be positive, got {block_size!r}")
    if out_len == 0 or n == 0:
        if n == 0 and s.size != max(out_len - 1, 0):
            raise ConfigError("seed_bits", f"must have {max(out_len - 1, 0)} bits")
        return np.zeros(out_len, dtype=np.uint8)
    if s.size != n + out_len - 1:
        raise ConfigError("seed_bits", f"must have n + out_len - 1 = {n + out_len - 1} bits, "
                          f"got {s.size}")
    if out_len <= DIRECT_MAX_OUT:
        return _direct_parity(x, s, out_len)
    return _convolve_parity(s, x, n - 1, n - 1 + out_len, block_size)


def modified_toeplitz_hash(key_bits: np.ndarray, seed_bits: np.ndarray,
                           out_len: int) -> np.ndarray:
    """Multiply a key by the modified Toeplitz matrix (T | I) over GF(2).

    With the key split as x = (x₁, x₂), x₁ its first n − m bits and x₂ its last m, the
    output is T x₁ ⊕ x₂, where T is the m × (n − m) Toeplitz matrix of ``seed_bits``
    (``T[i, j] = seed[i − j + n − m − 1]``, as in :func:`toeplitz_hash`). Universal-2: for
    x ≠ 0 the output is 0 only if T x₁ = x₂, which has probability 0 when x₁ = 0 (then
    x₂ ≠ 0) and 2^−m otherwise, since T x₁ is uniform over the seeds for x₁ ≠ 0
    (Hayashi and Tsurumaru, IEEE Trans. Inf. Theory 62, 2213 (2016)).

    Args:
        key_bits: the n input bits, 0/1.
        seed_bits: the n − 1 bits of T (``n + out_len − 1`` would define the full T of
            :func:`toeplitz_hash`; the identity needs none).
        out_len: number of output bits, 0 ≤ m ≤ n.

    Returns:
        The m output bits, ``uint8``.

    Raises:
        ConfigError: ``out_len`` outside [0, n], a seed of the wrong length, or bits
            that are not 0/1.

    Examples:
        >>> import numpy as np
        >>> from scipy.linalg import toeplitz
        >>> rng = np.random.default_rng(3)
        >>> x, s = rng.integers(0, 2, 9), rng.integers(0, 2, 8)
        >>> t = toeplitz(s[5:], s[5::-1])  # 3 x 6, T[i, j] = s[i - j + 5]
        >>> bool(np.array_equal(modified_toeplitz_hash(x, s, 3), (t @ x[:6] + x[6:]) % 2))
        True
    """
    x = as_bits(key_bits, "key_bits")
    s = as_bits(seed_bits, "seed_bits")
    n = x.size
    if not 0 <= out_len <= n:
        raise ConfigError("out_len", f"must lie in [0, {n}], got {out_len!r}")
    if s.size != max(n - 1, 0):
        raise ConfigError("seed_bits", f"must have n - 1 = {max(n - 1, 0)} bits, got {s.size}")
    head = n - out_len
    if head == 0:
        return x.copy()
    return np.asarray(toeplitz_hash(x[:head], s[: head + out_len - 1], out_len) ^ x[head:],
                      dtype=np.uint8)


def final_key_length(
    n_sifted_after_estimation: int,
    *,
    qber_upper: float,
    leaked_ec: int,
    epsilon_sec: float,
    epsilon_cor: float,
) -> int:
    """Secure key length of BB84 after privacy amplification, clipped at 0.

    ℓ = ⌊n (1 − H2(e_upper)) − leak_EC − log2(2 / (ε_sec² ε_cor))⌋, i.e.
    n (1 − H2(e_upper)) − leak_EC − log2(2/ε_cor) − 2 log2(1/ε_sec): eq. (2) of
    M. Tomamichel, C. C. W. Lim, N. Gisin and R. Renner, "Tight finite-key analysis for
    quantum cryptography", Nat. Commun. 3, 634 (2012), with the phase-error bound
    ``e_upper`` supplied by the caller (e.g. :func:`qber_upper_bound`) and q = 1 (BB84).

    Args:
        n_sifted_after_estimation: key bits that enter reconciliation (the sample removed).
        qber_upper: upper bound on the (phase) error rate, in [0, 1].
        leaked_ec: bits disclosed by error correction and verification.
        epsilon_sec: secrecy parameter, in (0, 1).
        epsilon_cor: correctness parameter, in (0, 1).

    Returns:
        The number of output bits ℓ ≥ 0.

    Raises:
        ConfigError: an argument is out of range.

    Examples:
        >>> final_key_length(1000, qber_upper=0.11, leaked_ec=500, epsilon_sec=1e-10,
        ...                  epsilon_cor=1e-15)
        0
    """
    if n_sifted_after_estimation < 0:
        raise ConfigError("n_sifted_after_estimation",
                          f"must be non-negative, got {n_sifted_after_estimation!r}")
    if not 0.0 <= qber_upper <= 1.0:
        raise ConfigError("qber_upper", f"must lie in [0, 1], got {qber_upper!r}")
    if leaked_ec < 0:
        raise ConfigError("leaked_ec", f"must be non-negative, got {leaked_ec!r}")
    for name, eps in (("epsilon_sec", epsilon_sec), ("epsilon_cor", epsilon_cor)):
        if not 0.0 < eps < 1.0:
            raise ConfigError(name, f"must lie in (0, 1), got {eps!r}")
    n = n_sifted_after_estimation
    length = (n * (1.0 - float(binary_entropy(qber_upper))) - leaked_ec
              - math.log2(2.0 / epsilon_cor) - 2.0 * math.log2(1.0 / epsilon_sec))
    return max(0, math.floor(length))
