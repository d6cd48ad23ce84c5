"""LDPC syndrome reconciliation, and both reconciliation methods side by side."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import (
    ParityOracle,
    _compiled,
    cascade,
    distill,
    final_key_length,
    reconciliation_efficiency,
    verify,
)
from qinet.qkd.postprocessing.ldpc_codes import (
    DESIGNED_DISTRIBUTIONS,
    EDGE_DEGREE_DISTRIBUTIONS,
    construct,
    distribution_for_rate,
    parity_check_matrix,
    variable_degrees,
)
from qinet.qkd.postprocessing.ldpc_qc import circulant_size, qc_code
from qinet.qkd.postprocessing.ldpc_reconciliation import (
    DEFAULT_FRAME_BITS,
    EXTENSION_FRACTION,
    SPLIT_FRACTION,
    initial_efficiency,
    ldpc_reconcile,
    syndrome_bits,
)
from qinet.qkd.postprocessing.synthetic import noisy_key_pair

# the code families: quasi-cyclic needs numba (its decoder is compiled only)
CODES = ["random", *(["qc"] if _compiled.AVAILABLE else [])]

# Claimed efficiencies f = leaked / (n H2(Q)), Q the true error rate:
# Cascade (4 passes, k1 = 0.73/Q): 1.05-1.25 at 1-10 % (Martinez-Mateo et al., QIC 15, 453
# (2015), Fig. 3), claimed f <= 1.3. LDPC: the starting f0(Q, n) of these codes for the
# frame length n (1.19-1.26 at 1 %, 1.15-1.19 at 3 %, longest to shortest measured
# frames) plus a few 4 % extensions, the frame tags and the n/1024 rounding of m,
# claimed f <= f0(Q, n) + 0.15. Both must exceed 1 (Slepian-Wolf: no one-way or
# two-way protocol corrects with less than n H2(Q) bits on average).
CASCADE_F_CLAIM = 1.3
LDPC_F_MARGIN = 0.15


def _noisy_pair(n: int, qber: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Alice's random key and Bob's copy with exactly round(qber n) flipped bits."""
    return noisy_key_pair(n, qber, np.random.default_rng(seed))


def _syndrome_and_extension(code: str, n: int, key_bits: int, qber: float,
                            efficiency: float) -> tuple[int, int]:
    """m and the parities of one extension, as ``ldpc_reconcile`` sizes them per family:
    m a multiple of n/1024 and ⌈0.04 m⌉ rows (random), or m a multiple of Z and
    ⌈0.02 m / Z⌉ block rows of Z (quasi-cyclic, split off rows of H)."""
    if code == "random":
        m = syndrome_bits(n, key_bits, qber, efficiency)
        return m, int(np.ceil(EXTENSION_FRACTION * m))
    z = circulant_size(n)
    m = syndrome_bits(n, key_bits, qber, efficiency, z)
    return m, z * int(np.ceil(SPLIT_FRACTION * m / z))


# --- the codes -----------------------------------------------------------------------------


def test_matrix_has_the_published_degree_profile():
    n, m = 16384, 1536  # rate 0.906 with the rate-0.9 distribution of Elkouss et al. 2009
    h = construct(n, m, EDGE_DEGREE_DISTRIBUTIONS[0.90])
    assert h.shape == (m, n)
    col_deg = np.asarray(h.sum(axis=0)).ravel()
    row_deg = np.asarray(h.sum(axis=1)).ravel()
    expected = variable_degrees(n, EDGE_DEGREE_DISTRIBUTIONS[0.90], m)
    # the table asks for more degree-2 columns than there are checks: all but the m - 1
    # of the zigzag chain get degree 3 (a cycle of degree-2 columns is a codeword)
    assert (expected == 2).sum() > m - 1
    expected[np.flatnonzero(expected == 2)[m - 1:]] = 3
    # no repeated edge was lost: every column keeps its degree, rows differ by <= 1
    assert np.array_equal(np.sort(col_deg), np.sort(expected))
    assert row_deg.max() - row_deg.min() <= 1
    # the degree-2 columns form a path over the checks: m - 1 columns, no cycle (a
    # forest on m nodes with m - 1 edges is a tree, so connected components = 1)
    two = h[:, col_deg == 2].tocsc()
    adjacency = (two @ two.T).astype(bool).astype(np.int8)
    components, _ = sp.csgraph.connected_components(adjacency, directed=False)
    assert two.shape[1] == m - 1
    assert components == 1
    # node counts of the other degrees as tabulated: the degree-12 share 0.30631 of
    # edges in Table I is (12 N12) / Σ d N_d of the unmodified profile
    share = 12 * (expected == 12).sum() / variable_degrees(
        n, EDGE_DEGREE_DISTRIBUTIONS[0.90], m).sum()
    assert share == pytest.approx(0.30631, abs=2e-3)


def test_high_rate_matrix_has_the_designed_degree_profile():
    # rate 0.906 (QBER ~1 %): the designed distribution, whose degree-2 columns all fit
    # on the zigzag (λ2 ≤ 2 / mean check degree), so every column keeps its degree
    n, m = 16384, 1536
    h = parity_check_matrix(n, m)
    assert parity_check_matrix(n, m) is h  # cached per (n, m)
    assert distribution_for_rate(1 - m / n) is DESIGNED_DISTRIBUTIONS[0.91]
    col_deg = np.asarray(h.sum(axis=0)).ravel()
    expected = variable_degrees(n, DESIGNED_DISTRIBUTIONS[0.91], m)
    assert (expected == 2).sum() <= m - 1
    assert np.array_equal(np.sort(col_deg), np.sort(expected))
    row_deg = np.asarray(h.sum(axis=1)).ravel()
    assert row_deg.max() - row_deg.min() <= 1
    # edge shares as designed, to the rounding of node counts (1 node of degree 40 in
    # ~9e4 edges moves a share by 4e-4)
    for degree, share in DESIGNED_DISTRIBUTIONS[0.91].items():
        assert degree * (col_deg == degree).sum() / h.nnz == pytest.approx(share, abs=2e-3)


def test_matrix_bad_shape():
    with pytest.raises(ConfigError, match="m"):
        parity_check_matrix(100, 0)


# --- LDPC reconciliation -------------------------------------------------------------------


@pytest.mark.parametrize("qber", [0.01, 0.03, 0.05, 0.08, 0.10])
def test_both_methods_correct_with_claimed_efficiency(qber):
    n = 20_000
    alice, bob = _noisy_pair(n, qber, seed=round(1000 * qber))
    ideal = n * float(binary_entropy(qber))

    oracle = ParityOracle(alice)
    casc = cascade(bob, oracle, qber=qber, rng=np.random.default_rng(5))
    assert verify(alice, casc.bits, rng=np.random.default_rng(6)).equal
    assert np.array_equal(casc.bits, alice)
    assert 1.0 < reconciliation_efficiency(casc.leaked, n, qber) <= CASCADE_F_CLAIM

    res = ldpc_reconcile(alice, bob, qber=qber)
    assert res.failed_frames == 0
    assert res.kept.all()
    assert verify(alice, res.bits, rng=np.random.default_rng(6)).equal
    assert np.array_equal(res.bits, alice)
    assert 1.0 < res.leaked / ideal <= initial_efficiency(qber, res.frame_bits) + LDPC_F_MARGIN


@pytest.mark.parametrize("code", CODES)
def test_leak_is_every_syndrome_bit_and_frames_cover_the_key(code):
    alice, bob = _noisy_pair(40_000, 0.04, seed=9)
    res = ldpc_reconcile(alice, bob, qber=0.04, frame_bits=16_384, code=code)
    # 3 frames of 13 334 / 13 333 / 13 333 key bits, padded to 13 376 (a multiple of 64,
    # and of the circulant size 16 of a quasi-cyclic code this long)
    assert (res.frames, res.frame_bits) == (3, 13_376)
    m, extension = _syndrome_and_extension(code, 13_376, 13_334, 0.04,
                                           initial_efficiency(0.04, 13_376))
    assert res.leaked == 3 * m + res.retries * extension
    assert np.array_equal(res.bits, alice)


@pytest.mark.parametrize("code", CODES)
def test_identical_keys_decode_at_once_and_leak_only_the_syndromes(code):
    # QBER 0 (the decoder is told 1 %): the syndromes agree, the error pattern is 0 and
    # no frame needs a retry, so the leak is exactly k m (plus 32 tag bits per frame)
    alice = np.random.default_rng(3).integers(0, 2, 300_000, dtype=np.uint8)
    res = ldpc_reconcile(alice, alice.copy(), qber=0.01, frame_bits=DEFAULT_FRAME_BITS,
                         rng=np.random.default_rng(4), code=code)
    m, _ = _syndrome_and_extension(code, res.frame_bits, -(-alice.size // res.frames), 0.01,
                                   initial_efficiency(0.01, res.frame_bits))
    assert (res.frames, res.retries, res.failed_frames) == (3, 0, 0)
    assert res.leaked == res.frames * (m + 32)
    assert np.array_equal(res.bits, alice)


def test_efficiency_does_not_regress_at_3_percent():
    # f = leaked / (N H2(Q)), every disclosed bit counted, Q the true rate. Measured
    # with these codes (2^17-bit frames, this seed): f0(3 %) plus the tags (0.002) and
    # the rounding of m (≤ 0.002), no retry on this key. A retry adds 4 % of m, i.e.
    # 0.04 f0 / 4 ≈ 0.012 of f on 4 frames; the bound allows two, so it fails only when
    # the codes or decoder lose ≥ 2 of 4 frames at the starting rate.
    qber, n = 0.03, 480_000
    alice, bob = _noisy_pair(n, qber, seed=77)
    res = ldpc_reconcile(alice, bob, qber=qber, frame_bits=DEFAULT_FRAME_BITS,
                         rng=np.random.default_rng(78))
    assert res.failed_frames == 0
    assert np.array_equal(res.bits, alice)
    f = res.leaked / (n * float(binary_entropy(qber)))
    f0 = initial_efficiency(qber, res.frame_bits)
    assert 1.0 < f <= f0 + 0.004 + 2 * 0.04 * f0 / 4


@pytest.mark.slow
@pytest.mark.parametrize(("qber", "retries"), [(0.01, 12), (0.02, 12), (0.05, 12), (0.08, 12),
                                               (0.10, 24)])
def test_efficiency_does_not_regress(qber, retries):
    # as at 3 %, on 2 Mbit (16 frames of 125 000 bits): f0(Q, n) + tags and rounding
    # (≤ 0.01 at 1 %) + `retries` extensions of 0.04 f0 / 16 each. The f0 table was set
    # where up to ~1/3 of the frames retried once in trials (here 7, 1, 3, 4 of 16 at
    # 1, 2, 5, 8 %); 12 is that rate plus > 2 binomial sigma. At 10 % the long frames
    # retry about once each (16 on these 16 frames, at f0 = 1.20 as at 1.23), so the
    # allowance is 24 there.
    n = 2_000_000
    alice, bob = _noisy_pair(n, qber, seed=round(1000 * qber) + 1)
    res = ldpc_reconcile(alice, bob, qber=qber, frame_bits=DEFAULT_FRAME_BITS,
                         rng=np.random.default_rng(5))
    assert res.failed_frames == 0
    assert np.array_equal(res.bits, alice)
    f0 = initial_efficiency(qber, res.frame_bits)
    f = res.leaked / (n * float(binary_entropy(qber)))
    assert 1.0 < f <= f0 + 0.01 + retries * 0.04 * f0 / 16


@pytest.mark.parametrize("code", CODES)
def test_failed_frames_are_detected_discarded_and_still_counted(code):
    alice, bob = _noisy_pair(4000, 0.06, seed=10)
    # half the Slepian-Wolf minimum: no decoder can succeed, and the syndrome check says so
    res = ldpc_reconcile(alice, bob, qber=0.06, efficiency=0.5, max_retries=2, frame_bits=2048,
                         code=code)
    assert res.failed_frames == res.frames == 2
    assert not res.kept.any()
    assert res.bits.size == 0
    m, extension = _syndrome_and_extension(code, res.frame_bits, 2000, 0.06, 0.5)
    assert res.retries == 2 * 2
    assert res.leaked == 2 * (m + 2 * extension)


def test_retries_rescue_a_rate_that_is_slightly_too_high():
    alice, bob = _noisy_pair(4000, 0.05, seed=12)
    first = ldpc_reconcile(alice, bob, qber=0.05, efficiency=1.05, max_retries=0)
    assert first.failed_frames == 1  # this rate alone is too high for this frame
    res = ldpc_reconcile(alice, bob, qber=0.05, efficiency=1.05, max_retries=12)
    assert res.retries >= 1
    assert res.failed_frames == 0
    assert np.array_equal(res.bits, alice)


def test_each_retry_level_extends_the_previous_code_so_messages_carry_over():
    # warm-started retries need the edges of level j to be the first edges of level j + 1
    from qinet.qkd.postprocessing.ldpc_reconciliation import _decoder

    n, m = 2048, 512
    for level in range(2):
        small, large = _decoder(n, m, level).matrix, _decoder(n, m, level + 1).matrix
        assert large.shape[0] > small.shape[0]
        assert np.array_equal(large.indptr[: small.shape[0] + 1], small.indptr)
        assert np.array_equal(large.indices[: small.nnz], small.indices)


def _gf2_null_vector(h: np.ndarray) -> np.ndarray:
    """A nonzero c with h c = 0 over GF(2) (Gaussian elimination; h has fewer rows)."""
    a = h.copy() % 2
    pivots, row = [], 0
    for col in range(a.shape[1]):
        hit = np.flatnonzero(a[row:, col]) + row
        if hit.size == 0:
            continue
        a[[row, hit[0]]] = a[[hit[0], row]]
        others = np.flatnonzero(a[:, col])
        a[others[others != row]] ^= a[row]
        pivots.append(col)
        row += 1
        if row == a.shape[0]:
            break
    free = next(c for c in range(a.shape[1]) if c not in pivots)
    c = np.zeros(a.shape[1], dtype=np.uint8)
    c[free] = 1
    for r, col in enumerate(pivots):
        c[col] = a[r, free]
    return c


@pytest.mark.parametrize("code", CODES)
def test_frame_tags_catch_a_decoder_that_converges_to_a_wrong_word(code):
    n, qber = 512, 0.05
    m, _ = _syndrome_and_extension(code, n, n, qber, 1.3)
    h = parity_check_matrix(n, m) if code == "random" else qc_code(n, m).matrix()
    alice = np.random.default_rng(13).integers(0, 2, n, dtype=np.uint8)
    # Bob differs from Alice by a codeword: his syndrome equals hers, BP stops at once
    bob = alice ^ _gf2_null_vector(h.toarray())
    blind = ldpc_reconcile(alice, bob, qber=qber, efficiency=1.3, frame_bits=n, max_retries=0,
                           code=code)
    assert blind.failed_frames == 0
    assert not np.array_equal(blind.bits, alice)
    tagged = ldpc_reconcile(alice, bob, qber=qber, efficiency=1.3, frame_bits=n,
                            max_retries=0, rng=np.random.default_rng(14), code=code)
    assert tagged.failed_frames == 1
    assert tagged.bits.size == 0
    assert tagged.leaked == blind.leaked + 32


def test_partial_frame_shorter_than_a_frame_and_empty_key():
    alice, bob = _noisy_pair(700, 0.03, seed=12)
    res = ldpc_reconcile(alice, bob, qber=0.03, efficiency=1.6)
    assert res.frame_bits == 704  # 4 known filler bits
    assert np.array_equal(res.bits, alice[res.kept])
    empty = ldpc_reconcile(np.zeros(0, np.uint8), np.zeros(0, np.uint8), qber=0.03)
    assert (empty.frames, empty.leaked, empty.bits.size) == (0, 0, 0)


def test_ldpc_rejects_bad_arguments():
    a = np.zeros(10, np.uint8)
    with pytest.raises(ConfigError, match="qber"):
        ldpc_reconcile(a, a, qber=0.0)
    with pytest.raises(ConfigError, match="frame_bits"):
        ldpc_reconcile(a, a, qber=0.1, frame_bits=8)
    with pytest.raises(ConfigError, match="bob_bits"):
        ldpc_reconcile(a, a[:5], qber=0.1)


# --- the chain with LDPC ------------------------------------------------------------------


def test_distill_with_ldpc_gives_equal_keys_of_the_formula_length():
    alice, bob = _noisy_pair(30_000, 0.03, seed=41)
    res = distill(alice, bob, rng_shared=np.random.default_rng(1),
                  rng_alice=np.random.default_rng(2), reconciliation="ldpc")
    assert not res.aborted
    assert res.reconciliation == "ldpc"
    assert np.array_equal(res.key_alice, res.key_bob)
    kept = 27_000 - res.discarded
    assert res.final_length == final_key_length(
        kept, qber_upper=res.qber_upper, leaked_ec=res.leaked_ec, epsilon_sec=1e-10,
        epsilon_cor=1e-15)
    cascade_run = distill(alice, bob, rng_shared=np.random.default_rng(1),
                          rng_alice=np.random.default_rng(2))
    assert cascade_run.reconciliation == "cascade"
    assert cascade_run.ec_failed_frames == cascade_run.ec_retries == 0


def test_distill_drops_failed_ldpc_frames_from_both_keys(monkeypatch):
    import qinet.qkd.postprocessing.pipeline as pipeline

    real = pipeline.ldpc_reconcile
    dropped = []

    def first_frame_fails(alice, bob, **kwargs):
        res = real(alice, bob, **kwargs)
        assert res.kept.all()  # then pretend Bob could not decode the first frame
        assert res.frames >= 3
        kept = res.kept.copy()
        kept[: alice.size // res.frames] = False
        dropped.append(alice.size // res.frames)
        return res._replace(kept=kept, bits=res.bits[kept], failed_frames=1)

    monkeypatch.setattr(pipeline, "ldpc_reconcile", first_frame_fails)
    alice, bob = _noisy_pair(300_000, 0.02, seed=44)
    res = distill(alice, bob, rng_shared=np.random.default_rng(1),
                  rng_alice=np.random.default_rng(2), reconciliation="ldpc")
    assert not res.aborted
    assert res.ec_failed_frames == 1
    assert res.discarded == dropped[0]  # one frame (90 000 bits with numba)
    assert np.array_equal(res.key_alice, res.key_bob)


def test_distill_rejects_an_unknown_method():
    alice, bob = _noisy_pair(1000, 0.01, seed=1)
    with pytest.raises(ConfigError, match="reconciliation"):
        distill(alice, bob, rng_shared=np.random.default_rng(1),
                rng_alice=np.random.default_rng(2), reconciliation="winnow")
