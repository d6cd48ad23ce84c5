"""The batched row-layered sum-product syndrome decoder."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing.ldpc_codes import parity_check_matrix
from qinet.qkd.postprocessing.ldpc_decoder import _PHI, SyndromeDecoder, _phi


def _bsc_frames(h: sp.csr_matrix, frames: int, qber: float, seed: int):
    rng = np.random.default_rng(seed)
    errors = (rng.random((frames, h.shape[1])) < qber).astype(np.uint8)
    syndromes = ((h @ errors.T) & 1).T.astype(np.uint8)
    llr = np.full(errors.shape, np.log((1 - qber) / qber))
    return errors, syndromes, llr


def test_phi_table_brackets_gallager_phi_on_each_bucket():
    # φ(x) = -ln tanh(x/2) is decreasing: the table value of a bucket of float32 numbers
    # sharing their top 16 bits lies between φ at the bucket's two ends
    x = np.geomspace(1e-3, 30.0, 2000).astype(np.float32)
    words = x.view(np.uint32) & np.uint32(0xFFFF0000)
    lo = words.view(np.float32).astype(float)
    hi = (words + np.uint32(0x10000)).view(np.float32).astype(float)
    exact = lambda v: -np.log(np.tanh(v / 2))  # noqa: E731
    got = _phi(x).astype(float)
    assert np.all(got <= exact(lo) * (1 + 1e-6))
    assert np.all(got >= exact(hi) * (1 - 1e-6))
    # φ is its own inverse: φ(φ(x)) = x to the bucket width (relative 2^-7) plus one step
    back = _phi(_phi(x[(x > 0.05) & (x < 8)])).astype(float)
    assert np.allclose(back, x[(x > 0.05) & (x < 8)], rtol=0.03)
    assert _PHI[0] == 32.0  # φ(0) = ∞, capped


def test_single_parity_check_flips_the_least_reliable_bit():
    # one check, syndrome 1: the maximum-likelihood error is the bit of smallest LLR
    h = sp.csr_matrix(np.ones((1, 5), dtype=np.uint8))
    llr = np.array([[3.0, 1.5, 4.0, 0.7, 2.5], [0.9, 3.0, 3.0, 3.0, 3.0]])
    errors, ok = SyndromeDecoder(h).decode(llr, np.ones((2, 1), np.uint8), max_iter=5)
    assert ok.all()
    assert errors.tolist() == [[0, 0, 0, 1, 0], [1, 0, 0, 0, 0]]


def test_zero_syndrome_gives_zero_error_at_once():
    h = parity_check_matrix(512, 128)
    errors, ok = SyndromeDecoder(h).decode(np.full((3, 512), 2.0), np.zeros((3, 128)), 1)
    assert ok.all()
    assert not errors.any()


def test_decodes_far_below_the_slepian_wolf_bound():
    # rate 1/2 at QBER 1 %: m / (n H2(Q)) = 6.2, every frame decodes to the true error
    h = parity_check_matrix(2048, 1024)
    errors, syndromes, llr = _bsc_frames(h, 12, 0.01, seed=1)
    got, ok = SyndromeDecoder(h).decode(llr, syndromes, max_iter=30)
    assert ok.all()
    assert np.array_equal(got, errors)


def test_fails_detectably_above_the_slepian_wolf_bound():
    # m = n H2(Q) / 2 syndrome bits: the error cannot be recovered (Slepian & Wolf 1973);
    # BP either does not converge or finds another pattern with the same syndrome
    n, qber = 2048, 0.08
    m = round(0.5 * n * float(binary_entropy(qber)))
    h = parity_check_matrix(n, m)
    errors, syndromes, llr = _bsc_frames(h, 12, qber, seed=2)
    got, ok = SyndromeDecoder(h).decode(llr, syndromes, max_iter=30)
    assert not (ok & (got == errors).all(axis=1)).any()
    # whatever converged does satisfy its syndrome
    assert np.array_equal(((h @ got[ok].T) & 1).T, syndromes[ok])


def test_batch_equals_frame_by_frame_and_flooding_agrees():
    h = parity_check_matrix(1024, 384)  # rate 0.625 at QBER 4 %: f = 1.55
    errors, syndromes, llr = _bsc_frames(h, 10, 0.04, seed=3)
    decoder = SyndromeDecoder(h)
    batch, ok = decoder.decode(llr, syndromes, max_iter=40)
    for i in range(10):  # frames do not interact (float sums may differ in the last bit)
        single, single_ok = decoder.decode(llr[i:i + 1], syndromes[i:i + 1], max_iter=40)
        assert single_ok[0] == ok[i]
        assert not ok[i] or np.array_equal(single[0], batch[i])
    flooding, flooding_ok = SyndromeDecoder(h, groups=1).decode(llr, syndromes, max_iter=60)
    both = ok & flooding_ok
    assert both.sum() >= 7
    assert ok.sum() >= flooding_ok.sum()  # 40 layered iterations (2/3) do as well as 60
    assert np.array_equal(flooding[both], batch[both])
    assert np.array_equal(batch[ok], errors[ok])


def test_decoder_rejects_bad_shapes():
    h = parity_check_matrix(64, 16)
    decoder = SyndromeDecoder(h)
    with pytest.raises(ConfigError, match="llr"):
        decoder.decode(np.zeros((2, 63)), np.zeros((2, 16)), 5)
    with pytest.raises(ConfigError, match="syndromes"):
        decoder.decode(np.zeros((2, 64)), np.zeros((3, 16)), 5)
    with pytest.raises(ConfigError, match="max_iter"):
        decoder.decode(np.zeros((2, 64)), np.zeros((2, 16)), 0)
    with pytest.raises(ConfigError, match="groups"):
        SyndromeDecoder(h, groups=0)


@pytest.mark.parametrize("qber", [0.02, 0.05])
def test_decoder_agrees_with_the_ldpc_package_frame_by_frame(qber):
    # The `ldpc` package's sum-product decoder (flooding schedule, exact arithmetic) is an
    # independent implementation: on frames both decode, they must find the same error
    # pattern, and the layered schedule must not lose frames the package decodes.
    ldpc = pytest.importorskip("ldpc")
    n = 2048
    rate = 1 - 1.3 * binary_entropy(qber)
    h = parity_check_matrix(n, round(n * (1 - rate)))
    errors, syndromes, llr = _bsc_frames(h, 12, qber, seed=7)
    ours, converged = SyndromeDecoder(h).decode(llr, syndromes, max_iter=60)
    package = ldpc.BpDecoder(h, error_rate=qber, bp_method="product_sum", max_iter=60,
                             input_vector_type="syndrome")
    decoded_by_package = 0
    for k in range(errors.shape[0]):
        theirs = package.decode(syndromes[k])
        if package.converge:
            decoded_by_package += 1
            assert converged[k]
            np.testing.assert_array_equal(ours[k], theirs)
    assert decoded_by_package >= 6, "frames this close to capacity should mostly decode"


# --- warm start and stopping of frames that do not converge ------------------------------


def test_resuming_from_the_messages_continues_the_same_decoding():
    # BP state is the set of check-to-variable messages; posteriors are L + Σ R. Three
    # iterations, then three more from the returned messages, equal six in one run (float32
    # round-off apart: posteriors are summed again instead of updated in place).
    n, qber = 1024, 0.06
    h = parity_check_matrix(n, round(1.05 * n * float(binary_entropy(qber))))
    _, syndromes, llr = _bsc_frames(h, 6, qber, seed=4)
    decoder = SyndromeDecoder(h)
    once, ok_once, messages_once = decoder.resume(llr, syndromes, max_iter=6)
    _, ok_half, half = decoder.resume(llr, syndromes, max_iter=3)
    twice, ok_twice, messages_twice = decoder.resume(llr, syndromes, max_iter=3, messages=half)
    assert not ok_half.any()  # no frame stops early in either run
    assert not ok_once.any()
    assert np.array_equal(ok_once, ok_twice)
    assert np.allclose(messages_once, messages_twice, atol=1e-3)
    assert (once != twice).mean() < 1e-3
    assert np.array_equal(decoder.resume(llr, syndromes, 6)[2], messages_once)  # deterministic


def test_warm_start_on_an_extended_code_keeps_the_iterations_already_run():
    # The lower-rate code adds rows to the higher-rate one (here H and one 4 % block of
    # extra parities): H's edges are a prefix of the larger code's (CSR order), so messages
    # after 6 iterations on H seed the larger graph. 4 more iterations there decode what
    # 4 from scratch cannot; H alone needs more than 6 (f = 1.4, QBER 5 %, n = 2048).
    from qinet.qkd.postprocessing.ldpc_reconciliation import _code

    n, qber = 2048, 0.05
    m = round(1.4 * n * float(binary_entropy(qber)))
    base, extended = parity_check_matrix(n, m), _code(n, m, 1)
    errors = (np.random.default_rng(5).random((16, n)) < qber).astype(np.uint8)
    llr = np.full(errors.shape, np.log((1 - qber) / qber))
    small, large = SyndromeDecoder(base), SyndromeDecoder(extended)
    assert np.array_equal(large.matrix.indices[: small.edges], small.matrix.indices)
    s_large = ((extended @ errors.T) & 1).T
    _, ok, messages = small.resume(llr, s_large[:, :m], max_iter=6)
    assert ok.sum() <= 2
    warm, warm_ok, _ = large.resume(llr, s_large, max_iter=4, messages=messages)
    _, cold_ok, _ = large.resume(llr, s_large, max_iter=4)
    assert warm_ok.sum() >= 12
    assert not cold_ok.any()
    assert np.array_equal(warm[warm_ok], errors[warm_ok])


def test_patience_stops_a_frame_when_its_unsatisfied_checks_stop_falling():
    # Above the Slepian-Wolf bound BP wanders; with patience p a frame stops at the first
    # iteration t at which its fewest unsatisfied checks so far were reached p iterations
    # earlier, returning the state of a plain t-iteration run.
    n, qber, patience = 512, 0.08, 3
    h = parity_check_matrix(n, round(0.6 * n * float(binary_entropy(qber))))
    _, syndromes, llr = _bsc_frames(h, 1, qber, seed=6)
    decoder = SyndromeDecoder(h)
    counts, lowest, since, stop = [], np.inf, 0, None
    for t in range(1, 61):
        hard, _, _ = decoder.resume(llr, syndromes, max_iter=t)
        counts.append(int((((h @ hard[0]) & 1) ^ syndromes[0]).sum()))
        since = 0 if counts[-1] < lowest else since + 1
        lowest = min(lowest, counts[-1])
        if since >= patience:
            stop = t
            break
    assert stop is not None
    _, ok, messages = decoder.resume(llr, syndromes, max_iter=60, patience=patience)
    assert not ok.any()
    assert np.array_equal(messages, decoder.resume(llr, syndromes, max_iter=stop)[2])
    with pytest.raises(ConfigError, match="patience"):
        decoder.resume(llr, syndromes, max_iter=5, patience=0)
    with pytest.raises(ConfigError, match="messages"):
        decoder.resume(llr, syndromes, max_iter=5, messages=np.zeros((1, decoder.edges + 1)))
