"""The compiled min-sum LDPC decoder, held to its own Python source and to the numpy decoder."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import _compiled
from qinet.qkd.postprocessing import ldpc_reconciliation as rec
from qinet.qkd.postprocessing.ldpc_codes import parity_check_matrix
from qinet.qkd.postprocessing.ldpc_decoder import (
    MinSumDecoder,
    SyndromeDecoder,
    syndrome_decoder,
)
from qinet.qkd.postprocessing.synthetic import noisy_key_pair

needs_numba = pytest.mark.skipif(not _compiled.AVAILABLE, reason="numba is not installed")


def _bsc_frames(h: sp.csr_matrix, frames: int, qber: float, seed: int):
    rng = np.random.default_rng(seed)
    errors = (rng.random((frames, h.shape[1])) < qber).astype(np.uint8)
    syndromes = (((h @ errors.T) & 1).T).astype(np.uint8)
    llr = np.full(errors.shape, np.log((1 - qber) / qber), dtype=np.float32)
    return errors, syndromes, llr


def _run_kernel(kernel, h: sp.csr_matrix, llr, syndromes, max_iter: int, patience: int):
    frames, n = llr.shape
    messages = np.zeros((frames, h.nnz), dtype=np.float32)
    errors = np.zeros((frames, n), dtype=np.uint8)
    converged = np.zeros(frames, dtype=bool)
    iterations = kernel(h.indptr.astype(np.int32), h.indices.astype(np.int32), llr,
                        syndromes, messages, max_iter, patience, 0.8, errors, converged)
    return errors, converged, messages, iterations


@needs_numba
@pytest.mark.parametrize("patience", [0, 3])
def test_compiled_kernel_equals_its_python_source_bit_for_bit(patience):
    # the same float32 operations in the same order: identical words, flags and messages
    h = parity_check_matrix(256, 96)
    _, syndromes, llr = _bsc_frames(h, 4, 0.06, seed=1)
    compiled = _run_kernel(_compiled.self_corrected_min_sum, h, llr, syndromes, 12, patience)
    python = _run_kernel(_compiled._self_corrected_min_sum, h, llr, syndromes, 12, patience)
    assert compiled[3] == python[3]
    for got, want in zip(compiled[:3], python[:3], strict=True):
        np.testing.assert_array_equal(got, want)


@needs_numba
@pytest.mark.parametrize("qber", [0.02, 0.05])
def test_min_sum_and_sum_product_decode_the_same_frames_to_the_true_error(qber):
    # 24 frames of 2048 bits at f = 1.6, above both decoders' thresholds at this length:
    # each decodes all but at most 2 (a frame error rate below ~20 % at 95 % confidence
    # for this sample), they differ by at most 2 frames, and every word either decoder
    # accepts is the true error pattern
    n, f = 2048, 1.6
    h = parity_check_matrix(n, round(f * n * float(binary_entropy(qber))))
    errors, syndromes, llr = _bsc_frames(h, 24, qber, seed=2)
    ours, ok = MinSumDecoder(h).decode(llr, syndromes, max_iter=40)
    theirs, ok_numpy = SyndromeDecoder(h).decode(llr, syndromes, max_iter=40)
    assert ok.sum() >= 22
    assert ok_numpy.sum() >= 22
    assert abs(int(ok.sum()) - int(ok_numpy.sum())) <= 2
    np.testing.assert_array_equal(ours[ok], errors[ok])
    np.testing.assert_array_equal(theirs[ok_numpy], errors[ok_numpy])


@needs_numba
def test_min_sum_output_satisfies_the_syndrome_exactly_when_it_says_so():
    # above the Slepian-Wolf bound no decoder recovers the error; a converged flag must
    # still mean H e = s, and an unconverged one that it does not hold
    n, qber = 1024, 0.08
    h = parity_check_matrix(n, round(0.6 * n * float(binary_entropy(qber))))
    _, syndromes, llr = _bsc_frames(h, 8, qber, seed=3)
    got, ok = MinSumDecoder(h).decode(llr, syndromes, max_iter=20)
    meets = (syndromes == (((h @ got.T) & 1).T)).all(axis=1)
    np.testing.assert_array_equal(meets, ok)


@needs_numba
def test_min_sum_patience_stops_early_and_returns_messages_to_resume_from():
    n, qber = 1024, 0.08
    h = parity_check_matrix(n, round(0.6 * n * float(binary_entropy(qber))))
    _, syndromes, llr = _bsc_frames(h, 2, qber, seed=4)
    decoder = MinSumDecoder(h)
    _, ok, messages = decoder.resume(llr, syndromes, max_iter=200, patience=3)
    assert not ok.any()
    assert messages.shape == (2, decoder.edges)
    assert np.abs(messages).max() > 0  # a failed frame hands its state on
    _, ok_again, _ = decoder.resume(llr, syndromes, max_iter=2, messages=messages[:, :10])
    assert not ok_again.any()


@needs_numba
def test_min_sum_decoder_rejects_bad_shapes():
    h = parity_check_matrix(64, 16)
    decoder = MinSumDecoder(h)
    with pytest.raises(ConfigError, match="llr"):
        decoder.decode(np.zeros((2, 63)), np.zeros((2, 16)), 5)
    with pytest.raises(ConfigError, match="syndromes"):
        decoder.decode(np.zeros((2, 64)), np.zeros((3, 16)), 5)
    with pytest.raises(ConfigError, match="max_iter"):
        decoder.decode(np.zeros((2, 64)), np.zeros((2, 16)), 0)
    with pytest.raises(ConfigError, match="messages"):
        decoder.resume(np.zeros((2, 64)), np.zeros((2, 16)), 5,
                       messages=np.zeros((2, decoder.edges + 1)))


def test_without_numba_the_numpy_decoder_is_used(monkeypatch):
    monkeypatch.setattr(_compiled, "self_corrected_min_sum", None)
    h = parity_check_matrix(64, 16)
    assert isinstance(syndrome_decoder(h), SyndromeDecoder)
    assert isinstance(rec._decoder(64, 16, 0), SyndromeDecoder)
    with pytest.raises(ConfigError, match="numba"):
        MinSumDecoder(h)


@pytest.mark.parametrize("compiled", [True, False])
def test_keys_agree_or_the_frame_is_reported_failed(monkeypatch, compiled):
    # at f0 = 0.9 many frames cannot decode: every kept frame must equal Alice's bits,
    # and every other frame must be counted as failed (never a silent mismatch)
    if compiled and not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    if not compiled:
        monkeypatch.setattr(_compiled, "self_corrected_min_sum", None)
    failed = 0
    for seed in range(3):
        alice, bob = noisy_key_pair(12_000, 0.04, np.random.default_rng(seed))
        res = rec.ldpc_reconcile(alice, bob, qber=0.04, efficiency=0.9, frame_bits=2048,
                                 max_retries=2, rng=np.random.default_rng(seed + 10))
        np.testing.assert_array_equal(res.bits, alice[res.kept])
        # whole frames are kept or dropped, and the dropped ones are the failed ones
        _, real = rec._frame_layout(alice.size, 2048)
        starts = np.concatenate([[0], np.cumsum(real)[:-1]])
        ok = res.kept[starts]
        np.testing.assert_array_equal(res.kept, np.repeat(ok, real))
        assert res.failed_frames == int((~ok).sum())
        failed += res.failed_frames
    assert failed >= 1  # the rate was too high for some frame: the check did its job


@pytest.mark.parametrize("compiled", [True, False])
def test_efficiency_of_both_decoders_on_a_200_kbit_key(monkeypatch, compiled):
    # f = leaked / (n H2(Q)) with Q the true rate (exactly round(Q n) flips). Bound: the
    # starting f0(Q) plus 0.15 (retries at 4 % of m each, frame tags, the n/1024 rounding
    # of m); floor: Slepian-Wolf, f > 1. 2 frames of 100 000 bits: a retry on one of
    # them moves f by ~0.02, so the margin allows several on each.
    if compiled and not _compiled.AVAILABLE:
        pytest.skip("numba is not installed")
    if not compiled:
        monkeypatch.setattr(_compiled, "self_corrected_min_sum", None)
    qber, n = 0.03, 200_000
    alice, bob = noisy_key_pair(n, qber, np.random.default_rng(7))
    res = rec.ldpc_reconcile(alice, bob, qber=qber, rng=np.random.default_rng(8))
    assert res.failed_frames == 0
    np.testing.assert_array_equal(res.bits, alice)
    f = res.leaked / (n * float(binary_entropy(qber)))
    assert 1.0 < f <= rec.initial_efficiency(qber, res.frame_bits) + 0.15
