"""Quasi-cyclic LDPC codes: their structure, and their compiled decoder against the others."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import _compiled, _compiled_qc
from qinet.qkd.postprocessing import ldpc_reconciliation as rec
from qinet.qkd.postprocessing.ldpc_codes import DESIGNED_DISTRIBUTIONS, variable_degrees
from qinet.qkd.postprocessing.ldpc_decoder import SyndromeDecoder
from qinet.qkd.postprocessing.ldpc_qc import (
    QCCode,
    QCDecoder,
    circulant_size,
    construct_qc,
    qc_code,
)
from qinet.qkd.postprocessing.synthetic import noisy_key_pair

needs_numba = pytest.mark.skipif(not _compiled.AVAILABLE, reason="numba is not installed")


def _bsc_frames(h: sp.csr_matrix, frames: int, qber: float, seed: int):
    rng = np.random.default_rng(seed)
    errors = (rng.random((frames, h.shape[1])) < qber).astype(np.uint8)
    syndromes = np.ascontiguousarray((((h @ errors.T) & 1).T).astype(np.uint8))
    llr = np.full(errors.shape, np.log((1 - qber) / qber), dtype=np.float32)
    return errors, syndromes, llr


def _four_cycles(code: QCCode) -> int:
    """4-cycles of the lifted graph, Z per closing pair of block rows and block columns:
    blocks (r, c), (r, c'), (r', c'), (r', c) with s_rc − s_r'c ≡ s_rc' − s_r'c' mod Z."""
    table = np.full((code.mb, code.nb), -1, dtype=np.int64)
    rows = np.repeat(np.arange(code.mb), np.diff(code.rowptr))
    table[rows, code.cols] = code.shifts
    count = 0
    for r in range(code.mb):
        for r2 in range(r + 1, code.mb):
            shared = (table[r] >= 0) & (table[r2] >= 0)
            diff = (table[r, shared] - table[r2, shared]) % code.z
            same = np.bincount(diff, minlength=code.z)
            count += int((same * (same - 1) // 2).sum())
    return count * code.z


def test_lifted_matrix_has_the_designed_degree_profile_and_permutation_blocks():
    # rate 0.91 with the designed distribution: the block column degrees are those of
    # variable_degrees over nb columns (degree-2 columns beyond the zigzag's mb − 1 given
    # degree 3), each lifted column has its block column's degree, and every nonzero
    # Z × Z block is a permutation matrix (row and column sums 1)
    n, m, z = 16384, 1536, 16
    code = construct_qc(n, m, DESIGNED_DISTRIBUTIONS[0.91], z)
    h = code.matrix()
    assert h.shape == (m, n)
    assert code.z == z
    assert (code.mb, code.nb) == (m // z, n // z)
    wanted = variable_degrees(n // z, DESIGNED_DISTRIBUTIONS[0.91], m // z)
    twos = np.flatnonzero(wanted == 2)
    wanted[twos[m // z - 1:]] = 3
    block_degrees = np.bincount(code.cols, minlength=code.nb)
    np.testing.assert_array_equal(np.sort(block_degrees), np.sort(wanted))
    np.testing.assert_array_equal(np.asarray(h.sum(axis=0)).ravel(),
                                  np.repeat(block_degrees, z))
    blocks = h.toarray().reshape(code.mb, z, code.nb, z).transpose(0, 2, 1, 3)
    nonzero = blocks.any(axis=(2, 3))
    assert int(nonzero.sum()) == code.cols.size  # no base edge repeated
    chosen = blocks[nonzero]
    assert (chosen.sum(axis=1) == 1).all()
    assert (chosen.sum(axis=2) == 1).all()
    # block rows as equal as the zigzag allows: degrees within 2 of each other
    row_degrees = np.diff(code.rowptr)
    assert row_degrees.max() - row_degrees.min() <= 2


def test_degree_two_columns_form_no_cycle():
    # the degree-2 columns' graph on the checks is a forest (the zigzag lifted): union-find
    # never meets a column whose two checks are already connected
    code = qc_code(8192, 768)
    h = code.matrix().tocsc()
    parent = np.arange(h.shape[0])

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    degree_two = np.flatnonzero(np.diff(h.indptr) == 2)
    assert degree_two.size > 0
    for col in degree_two:
        a, b = (root(int(i)) for i in h.indices[h.indptr[col]:h.indptr[col + 1]])
        assert a != b
        parent[a] = b


def test_shifts_close_fewer_four_cycles_than_random_ones():
    # the greedy shift choice against uniformly random shifts on the same base matrix
    code = qc_code(16384, 2048)
    rng = np.random.default_rng(1)
    random_shifts = QCCode(code.z, code.mb, code.nb, code.rowptr, code.cols,
                           rng.integers(0, code.z, code.cols.size).astype(np.int32))
    assert _four_cycles(code) < 0.5 * _four_cycles(random_shifts)


def test_circulant_size_and_rejected_shapes():
    sizes = [circulant_size(n) for n in (512, 13_376, 16_384, 65_536, 100_032, 2**17, 2**20)]
    assert sizes == [8, 16, 16, 64, 128, 128, 128]
    with pytest.raises(ConfigError, match="multiple"):
        construct_qc(1000, 128, {3: 1.0}, 128)
    with pytest.raises(ConfigError, match="m"):
        construct_qc(1024, 100, {3: 1.0}, 8)


def test_a_split_keeps_every_edge_and_each_old_check_is_the_sum_of_its_two_parts() -> None:
    code = qc_code(4096, 512)
    split, order = code.split(3)
    z, mb = code.z, code.mb
    assert split.shape == (512 + 3 * z, 4096)
    assert np.array_equal(np.sort(order), np.arange(code.cols.size))  # a permutation
    assert np.array_equal(split.cols, code.cols[order])
    assert np.array_equal(split.shifts, code.shifts[order])
    sizes = np.diff(code.rowptr)
    old_row = np.repeat(np.arange(mb), sizes)
    small, large = code.matrix(), split.matrix()
    assert large.nnz == small.nnz  # no edge added: the lifted graph gains no cycle
    for j in range(3):
        # the new block row mb + j holds every other block of one old block row r, of
        # the most blocks; rows r of both codes then differ by exactly those checks
        new = order[split.rowptr[mb + j]: split.rowptr[mb + j + 1]]
        r = int(old_row[new[0]])
        assert (old_row[new] == r).all()
        assert np.array_equal(new, np.arange(code.rowptr[r], code.rowptr[r + 1])[1::2])
        assert sizes[r] >= np.sort(sizes)[-3]
        rows, parts = slice(r * z, (r + 1) * z), slice((mb + j) * z, (mb + j + 1) * z)
        assert ((large[rows] + large[parts]) != small[rows]).nnz == 0
    # the reconciliation's levels: each splits the one before, its messages carried over
    for level in range(2):
        low, _ = rec._qc_level(4096, 512, level)
        high, moved = rec._qc_level(4096, 512, level + 1)
        assert high.mb == low.mb + int(np.ceil(rec.SPLIT_FRACTION * 512 / code.z))
        assert np.array_equal(high.cols, low.cols[moved])
    # rows of one block cannot be split: a code runs out of splits
    tiny = construct_qc(128, 16, {2: 0.3, 3: 0.7}, 8)
    ends, _ = tiny.split(40)
    assert ends.mb == 32
    assert (np.diff(ends.rowptr) == 1).all()


def _run_kernel(kernel, code: QCCode, llr: np.ndarray, syndromes: np.ndarray, max_iter: int,
                patience: int):
    frames = llr.shape[0]
    messages = np.zeros((frames, code.edges), dtype=np.float32)
    errors = np.zeros(llr.shape, dtype=np.uint8)
    converged = np.zeros(frames, dtype=bool)
    iterations = np.zeros(frames, dtype=np.int64)
    total = kernel(code.rowptr, code.cols, code.shifts, code.z, llr, syndromes, messages,
                   max_iter, patience, errors, converged, iterations)
    assert total == iterations.sum()
    return errors, converged, iterations, messages


@needs_numba
def test_fixed_point_kernel_equals_its_python_source_bit_for_bit() -> None:
    # integer arithmetic: the compiled kernel and its source agree in every output, the
    # messages handed back included, after 2 iterations and run to the end; two compiled
    # runs are identical; every frame decodes to the true error pattern. The source runs
    # under errstate(over="raise"): an int16 operation that wrapped around would raise
    code = construct_qc(1024, 384, {2: 0.2, 3: 0.5, 6: 0.3}, 8)
    errors, syndromes, llr = _bsc_frames(code.matrix(), 3, 0.04, seed=1)
    for max_iter in (2, 40):
        compiled = _run_kernel(_compiled_qc.qc_fixed, code, llr, syndromes, max_iter, 0)
        again = _run_kernel(_compiled_qc.qc_fixed, code, llr, syndromes, max_iter, 0)
        with np.errstate(over="raise"):
            python = _run_kernel(_compiled_qc._qc_fixed, code, llr, syndromes, max_iter, 0)
        for got, repeat, want in zip(compiled, again, python, strict=True):
            np.testing.assert_array_equal(got, repeat)
            np.testing.assert_array_equal(got, want)
    assert compiled[1].all()
    assert (compiled[2] > 2).all()
    np.testing.assert_array_equal(compiled[0], errors)
    early = _run_kernel(_compiled_qc.qc_fixed, code, llr, syndromes, 2, 0)[3]
    assert np.abs(early).max() > 0
    # handed back on the fixed-point grid, within the saturation limit
    grid = early * _compiled_qc.FIXED_SCALE
    np.testing.assert_array_equal(grid, np.round(grid))
    assert np.abs(grid).max() <= _compiled_qc.FIXED_LIMIT


@needs_numba
def test_fixed_point_saturates_instead_of_wrapping_around() -> None:
    code = construct_qc(1024, 384, {2: 0.2, 3: 0.5, 6: 0.3}, 8)
    h = code.matrix()
    limit = _compiled_qc.FIXED_LIMIT / _compiled_qc.FIXED_SCALE
    # every bit flipped, and the channel says so with LLRs of -1e6 (saturated at -512):
    # the decoder keeps the flips and meets the syndrome in the first sweep
    flips = np.ones((2, 1024), dtype=np.uint8)
    syndromes = np.ascontiguousarray(((h @ flips.T.astype(np.int32)).T & 1).astype(np.uint8))
    huge = np.full((2, 1024), -1.0e6, dtype=np.float32)
    words, ok, its, _ = _run_kernel(_compiled_qc.qc_fixed, code, huge, syndromes, 10, 0)
    assert ok.all()
    np.testing.assert_array_equal(words, flips)
    np.testing.assert_array_equal(its, [1, 1])
    # all wrong: a random half of the bits flipped while the channel claims certainty
    # (+1e6) that none is, and warm-start messages of ±1e6: the frames cannot decode;
    # every message stays within the limit, and the compiled kernel equals its source,
    # which raises on any int16 overflow
    rng = np.random.default_rng(4)
    flips = (rng.random((2, 1024)) < 0.5).astype(np.uint8)
    syndromes = np.ascontiguousarray(((h @ flips.T.astype(np.int32)).T & 1).astype(np.uint8))
    sure = np.full((2, 1024), 1.0e6, dtype=np.float32)
    start = np.where(rng.random((2, code.edges)) < 0.5, -1.0e6, 1.0e6).astype(np.float32)
    runs = []
    compiled = _compiled_qc.qc_fixed
    assert compiled is not None
    for kernel in (compiled, _compiled_qc._qc_fixed):
        messages = start.copy()
        words = np.zeros(flips.shape, dtype=np.uint8)
        ok = np.zeros(2, dtype=bool)
        its = np.zeros(2, dtype=np.int64)
        with np.errstate(over="raise"):
            kernel(code.rowptr, code.cols, code.shifts, code.z, sure, syndromes, messages, 6,
                   0, words, ok, its)
        runs.append((words, ok, its, messages))
    for got, want in zip(*runs, strict=True):
        np.testing.assert_array_equal(got, want)
    words, ok, its, messages = runs[0]
    assert not ok.any()
    np.testing.assert_array_equal(its, [6, 6])
    assert np.abs(messages).max() <= limit
    assert np.abs(messages).max() > 100  # the huge inputs did reach the messages


def test_fixed_point_box_plus_stays_between_zero_and_the_smaller_input() -> None:
    # the check rule on magnitudes over a grid up to the limit (the Python helpers under
    # errstate(over="raise")): never negative (no sign flip), never above min(x, y), and
    # off the exact box-plus by no more than its two g terms can be: twice the fixed
    # g's largest error on the grid, plus the rounding of one unit each way
    scale, limit = _compiled_qc.FIXED_SCALE, _compiled_qc.FIXED_LIMIT
    t = np.arange(0, 2 * limit + 1, dtype=np.int32)
    with np.errstate(over="raise"):
        g_fixed = np.array([_compiled_qc._g_fixed(np.int16(v)) for v in t[::13]])
    g_error = np.abs(g_fixed / scale - np.log1p(np.exp(-t[::13] / scale))).max()
    assert g_error < 0.08  # the two tangents and 0, a lower envelope of a convex g
    values = np.unique(np.concatenate([np.arange(0, 200), np.arange(0, limit + 1, 97),
                                       [limit - 1, limit]])).astype(np.int16)
    worst = 0.0
    with np.errstate(over="raise"):
        for x in values:
            for y in values[::7]:
                got = _compiled_qc._box_plus_fixed(x, y)
                assert 0 <= got <= min(x, y)
                a, b = float(x) / scale, float(y) / scale
                exact = min(a, b) + np.log1p(np.exp(-(a + b))) - np.log1p(np.exp(-abs(a - b)))
                worst = max(worst, abs(float(got) / scale - exact))
                signed = _compiled_qc._signed_box_plus_fixed(np.int16(-x), y)
                assert signed == (-got if x > 0 else got)
    assert worst <= 2 * g_error + 2 / scale


@needs_numba
@pytest.mark.parametrize("qber", [0.02, 0.05])
def test_compiled_qc_and_numpy_decoders_find_the_true_error_pattern(qber):
    # 24 frames of 4096 bits at f = 1.5, above the decoders' thresholds at this length:
    # each decoder decodes all but at most 2 (a frame error rate below ~20 % at 95 %
    # confidence for this sample), every word it accepts is the true error pattern, so
    # both correct the frames they both decode to the same bits
    n, z = 4096, circulant_size(4096)
    m = rec.syndrome_bits(n, n, qber, 1.5, z)
    code = qc_code(n, m)
    h = code.matrix()
    errors, syndromes, llr = _bsc_frames(h, 24, qber, seed=2)
    numpy_words, numpy_ok = SyndromeDecoder(h).decode(llr, syndromes, max_iter=40)
    assert numpy_ok.sum() >= 22
    np.testing.assert_array_equal(numpy_words[numpy_ok], errors[numpy_ok])
    decoder = QCDecoder(code)
    words, ok = decoder.decode(llr, syndromes, max_iter=40)
    assert ok.sum() >= 22
    np.testing.assert_array_equal(words[ok], errors[ok])
    assert decoder.total_iterations == decoder.iterations.sum()


@needs_numba
def test_converged_means_the_syndrome_is_met_and_patience_hands_on_messages():
    n, qber = 2048, 0.08
    m = rec.syndrome_bits(n, n, qber, 0.6, circulant_size(n))  # below Slepian-Wolf
    code = qc_code(n, m)
    h = code.matrix()
    _, syndromes, llr = _bsc_frames(h, 4, qber, seed=3)
    decoder = QCDecoder(code)
    got, ok, messages = decoder.resume(llr, syndromes, max_iter=200, patience=3)
    meets = (syndromes == (((h @ got.T) & 1).T)).all(axis=1)
    np.testing.assert_array_equal(meets, ok)
    assert not ok.any()
    assert (decoder.iterations < 200).all()
    assert messages.shape == (4, code.edges)
    assert np.abs(messages).max() > 0


@needs_numba
def test_warm_start_goes_on_where_the_run_stopped():
    # 3 iterations, then the rest from the messages: each frame decodes to the true
    # error in about the iterations of one run (±2: the rebuilt posteriors L + Σ R
    # differ from the running ones by float32 round-off)
    n, qber = 4096, 0.03
    code = qc_code(n, rec.syndrome_bits(n, n, qber, 1.5, circulant_size(n)))
    errors, syndromes, llr = _bsc_frames(code.matrix(), 6, qber, seed=5)
    decoder = QCDecoder(code)
    _words, ok = decoder.decode(llr, syndromes, max_iter=60)
    whole = decoder.iterations.copy()
    assert ok.all()
    assert (whole > 3).all()
    _, ok3, messages = decoder.resume(llr, syndromes, max_iter=3)
    assert not ok3.any()
    again, ok_again, _ = decoder.resume(llr, syndromes, max_iter=60, messages=messages)
    assert ok_again.all()
    np.testing.assert_array_equal(again, errors)
    assert (np.abs(decoder.iterations + 3 - whole) <= 2).all()


@needs_numba
def test_frames_decode_alike_in_any_number_of_threads():
    # 9 frames near the threshold (some decode, some stall): decoded one after the other
    # in this thread, or each in its own of 4 threads, every output is identical bit for
    # bit, the messages handed on included (each frame is decoded from its own inputs)
    n, qber = 2048, 0.04
    code = qc_code(n, rec.syndrome_bits(n, n, qber, 1.1, circulant_size(n)))
    _, syndromes, llr = _bsc_frames(code.matrix(), 9, qber, seed=6)
    decoder = QCDecoder(code)
    serial = decoder.resume(llr, syndromes, max_iter=60, patience=4, threads=1)
    serial_iterations = decoder.iterations.copy()
    assert 0 < serial[1].sum() < 9
    for threads in (2, 4, None):
        parallel = decoder.resume(llr, syndromes, max_iter=60, patience=4, threads=threads)
        for got, want in zip(parallel, serial, strict=True):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(decoder.iterations, serial_iterations)
        assert decoder.total_iterations == serial_iterations.sum()
    with pytest.raises(ConfigError, match="threads"):
        decoder.resume(llr, syndromes, max_iter=5, threads=0)


@needs_numba
def test_reconciliation_is_the_same_in_any_number_of_threads():
    # 12 frames of 2048 bits at 4 % and f0 1.1: frames decode at once, after retries, or
    # are dropped; the same ones in 1 and 3 threads, with the same disclosures and bits
    alice, bob = noisy_key_pair(24_000, 0.04, np.random.default_rng(21))
    runs = [rec.ldpc_reconcile(alice, bob, qber=0.04, efficiency=1.1, frame_bits=2048,
                               max_retries=2, rng=np.random.default_rng(22), threads=t)
            for t in (1, 3)]
    serial, parallel = runs
    assert serial.retries > 0
    assert 0 < serial.failed_frames < serial.frames
    assert (parallel.leaked, parallel.retries, parallel.failed_frames) == (
        serial.leaked, serial.retries, serial.failed_frames)
    np.testing.assert_array_equal(parallel.kept, serial.kept)
    np.testing.assert_array_equal(parallel.bits, serial.bits)
    np.testing.assert_array_equal(serial.bits, alice[serial.kept])
    with pytest.raises(ConfigError, match="threads"):
        rec.ldpc_reconcile(alice, bob, qber=0.04, threads=0)


@needs_numba
def test_decoder_rejects_bad_shapes_and_needs_numba(monkeypatch):
    code = qc_code(1024, 256)
    decoder = QCDecoder(code)
    with pytest.raises(ConfigError, match="llr"):
        decoder.decode(np.zeros((2, 1000)), np.zeros((2, 256)), 5)
    with pytest.raises(ConfigError, match="syndromes"):
        decoder.decode(np.zeros((2, 1024)), np.zeros((2, 255)), 5)
    with pytest.raises(ConfigError, match="messages"):
        decoder.resume(np.zeros((2, 1024)), np.zeros((2, 256)), 5,
                       messages=np.zeros((2, code.edges + 1)))
    monkeypatch.setattr(_compiled_qc, "qc_fixed", None)
    with pytest.raises(ConfigError, match="numba"):
        QCDecoder(code)
    with pytest.raises(ConfigError, match="numba"):
        rec.ldpc_reconcile(np.zeros(100, np.uint8), np.zeros(100, np.uint8), qber=0.05,
                           code="qc")
    with pytest.raises(ConfigError, match="code"):
        rec.ldpc_reconcile(np.zeros(100, np.uint8), np.zeros(100, np.uint8), qber=0.05,
                           code="ldpc")


@needs_numba
def test_quasi_cyclic_reconciliation_is_the_default_with_numba_and_corrects_keys():
    # 300 000 bits at 3 %: 3 frames of 100 096 bits (Z = 128), every frame reconciled at
    # f0 plus the tags and at most 2 retries (0.04 f0 / 3 each) and the rounding of m
    from qinet.qkd.postprocessing.synthetic import noisy_key_pair

    qber, length = 0.03, 300_000
    alice, bob = noisy_key_pair(length, qber, np.random.default_rng(8))
    res = rec.ldpc_reconcile(alice, bob, qber=qber, rng=np.random.default_rng(9))
    assert (res.frames, res.frame_bits, res.failed_frames) == (3, 100_096, 0)
    np.testing.assert_array_equal(res.bits, alice)
    f = res.leaked / (length * float(binary_entropy(qber)))
    f0 = rec.initial_efficiency(qber, res.frame_bits)
    ideal = length * float(binary_entropy(qber))
    overhead = (3 * rec.FRAME_TAG_BITS + 3 * 128) / ideal
    assert 1.0 < f <= f0 + overhead + 2 * 0.04 * f0 / 3 + 1e-9
    assert res.retries <= 2
