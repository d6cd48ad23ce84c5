"""Post-processing: sifting, estimation, Cascade, verification, Toeplitz PA and the chain."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.linalg import toeplitz

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import (
    ParityOracle,
    cascade,
    distill,
    estimate_qber,
    final_key_length,
    initial_block_size,
    modified_toeplitz_hash,
    qber_upper_bound,
    reconciliation_efficiency,
    sift,
    toeplitz_hash,
    verify,
)
from qinet.qkd.postprocessing.privacy_amplification import DIRECT_MAX_OUT, _convolve_parity
from qinet.qkd.postprocessing.synthetic import noisy_key_pair


def _noisy_pair(n: int, qber: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Alice's random key and Bob's copy with exactly round(qber n) flipped bits."""
    return noisy_key_pair(n, qber, np.random.default_rng(seed))


# --- sifting -------------------------------------------------------------------------------


def test_sift_keeps_exactly_the_agreeing_positions():
    rng = np.random.default_rng(11)
    n = 5000
    ab, bb = rng.integers(0, 2, n), rng.integers(0, 2, n)
    a_bits, b_bits = rng.integers(0, 2, n), rng.integers(0, 2, n)
    res = sift(ab, bb, a_bits, b_bits)
    expected = [i for i in range(n) if ab[i] == bb[i]]
    assert res.indices.tolist() == expected
    assert res.alice.tolist() == [int(a_bits[i]) for i in expected]
    assert res.bob.tolist() == [int(b_bits[i]) for i in expected]


def test_sift_rejects_bad_input():
    with pytest.raises(ConfigError, match="bob_bits"):
        sift(np.zeros(3), np.zeros(3), np.zeros(3, int), np.zeros(2, int))
    with pytest.raises(ConfigError, match="alice_bits"):
        sift(np.zeros(2), np.zeros(2), np.array([0, 2]), np.zeros(2, int))


# --- estimation ----------------------------------------------------------------------------


def test_estimate_qber_removes_the_disclosed_sample():
    alice, bob = _noisy_pair(20_000, 0.05, seed=1)
    est = estimate_qber(alice, bob, sample_fraction=0.25, rng=np.random.default_rng(2))
    assert est.disclosed == 5000
    assert est.alice.size == est.bob.size == 15_000
    # the disclosed and the kept errors add up to the 1000 planted ones
    kept_errors = int(np.count_nonzero(est.alice != est.bob))
    assert est.errors + kept_errors == 1000
    # hypergeometric sample: 5 sigma of its standard deviation
    sigma = math.sqrt(0.05 * 0.95 / 5000 * (15_000 / 19_999))
    assert abs(est.qber - 0.05) < 5 * sigma


def test_qber_upper_bound_matches_closed_form_and_covers():
    # errors = 0: 1 - eps^(1/n) (Clopper & Pearson 1934)
    assert qber_upper_bound(0, 500, epsilon=1e-6) == pytest.approx(1 - 1e-6 ** (1 / 500))
    # the bound is the point where the binomial lower tail equals epsilon
    ub = qber_upper_bound(30, 1000, epsilon=1e-4)
    assert stats.binom.cdf(30, 1000, ub) == pytest.approx(1e-4, rel=1e-6)
    assert 0.03 < ub < qber_upper_bound(30, 1000, epsilon=1e-10)
    with pytest.raises(ConfigError, match="epsilon"):
        qber_upper_bound(1, 10, epsilon=0.0)


# --- Cascade -------------------------------------------------------------------------------


@pytest.mark.parametrize(("qber", "n"), [(0.01, 100_000), (0.03, 50_000), (0.05, 20_000),
                                         (0.10, 10_000)])
def test_cascade_corrects_all_trials_with_bounded_leakage(qber, n):
    equal = 0
    for trial in range(20):
        alice, bob = _noisy_pair(n, qber, seed=100 * trial + 7)
        oracle = ParityOracle(alice)
        res = cascade(bob, oracle, qber=qber, rng=np.random.default_rng(trial))
        equal += bool(np.array_equal(res.bits, alice))
        assert res.leaked == oracle.leaked
        # the schedule of Yan et al. (2008) leaks f = 1.06-1.12 here (measured; Martinez-Mateo
        # et al. 2015 report the same range), the original four doubling passes 1.13-1.25
        assert 1.0 < reconciliation_efficiency(res.leaked, n, qber) <= 1.15
    # >= 99 % of 20 trials means all of them
    assert equal == 20


def _odd_blocks(seed: int) -> tuple[np.ndarray, ...]:
    """Alice's and Bob's 5,000 bits (5 % apart), a permutation and its odd blocks."""
    rng = np.random.default_rng(seed)
    n = 5000
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    bob = alice ^ (rng.random(n) < 0.05).astype(np.uint8)
    perm = rng.permutation(n)
    edges = np.unique(np.concatenate([[0, n], rng.integers(1, n, 300)]))
    lo, hi = edges[:-1], edges[1:]
    odd = (np.add.reduceat(alice[perm] ^ bob[perm], lo) & 1).astype(bool)
    return alice, bob, perm, lo[odd], hi[odd]


def test_compiled_and_numpy_binary_searches_agree(monkeypatch):
    import qinet.qkd.postprocessing._compiled as compiled
    import qinet.qkd.postprocessing.reconciliation as reconciliation

    # the compiled search from the first call on, as after a long run
    monkeypatch.setattr(reconciliation, "_numpy_work", reconciliation.COMPILED_AFTER_WORK)
    alice, bob, perm, lo, hi = _odd_blocks(31)
    # numpy: the generic path, which every oracle but a plain ParityOracle takes
    reference = reconciliation._locate_errors(bob, perm, lo, hi, _SpyOracle(alice))
    assert np.all(alice[reference] != bob[reference])  # each search ends on an error
    # the kernel's own logic, run by Python whether or not numba is installed
    found, asked = compiled._locate_errors(alice, bob, perm, lo, hi)
    assert np.array_equal(found, reference)
    oracle = ParityOracle(alice)
    fast = reconciliation._locate_errors(bob, perm, lo, hi, oracle)
    assert np.array_equal(fast, reference)
    assert oracle.leaked == asked
    assert (compiled.locate_errors is not None) == compiled.AVAILABLE
    # the whole of Cascade, numpy forced against the default (compiled when numba is there)
    a, b = _noisy_pair(200_000, 0.03, seed=32)
    default = cascade(b, ParityOracle(a), qber=0.03, rng=np.random.default_rng(33))
    monkeypatch.setattr(compiled, "locate_errors", None)
    plain = cascade(b, ParityOracle(a), qber=0.03, rng=np.random.default_rng(33))
    assert np.array_equal(default.bits, plain.bits)
    assert np.array_equal(plain.bits, a)
    assert (default.leaked, default.corrected) == (plain.leaked, plain.corrected)


def _python(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout.split()


def test_numba_is_imported_when_a_kernel_is_asked_for_not_when_qinet_loads():
    # a small key's Cascade searches with numpy, and no kernel was asked for
    loads = ("import sys, numpy as np; import qinet.cli.run; from qinet.qkd.postprocessing "
             "import _compiled, cascade, ParityOracle; from qinet.qkd.postprocessing."
             "synthetic import noisy_key_pair; a, b = noisy_key_pair(20000, 0.03, "
             "np.random.default_rng(1)); cascade(b, ParityOracle(a), qber=0.03, "
             "rng=np.random.default_rng(2)); before = 'numba' in sys.modules; "
             "_compiled.locate_errors; "
             "print(before, _compiled.AVAILABLE == ('numba' in sys.modules))")
    assert _python(loads) == ["False", "True"]
    # without numba (an import that fails): no kernel, the numpy paths
    absent = ("import sys; sys.modules['numba'] = None; from qinet.qkd.postprocessing "
              "import _compiled, _compiled_qc; print(_compiled.AVAILABLE, "
              "_compiled.locate_errors, _compiled.layered_sum_product, _compiled_qc.qc_fixed)")
    assert _python(absent) == ["False", "None", "None", "None"]


class _RecordedKernel:
    """Stands in for the compiled search: runs its Python source, counts the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.signatures: list[str] = []  # numba's: filled once a kernel is loaded

    def __call__(self, *args):
        from qinet.qkd.postprocessing._compiled import _locate_errors

        self.calls += 1
        return _locate_errors(*args)


def test_cascade_searches_with_numpy_until_that_has_cost_the_compiled_searchs_load(
        monkeypatch):
    import qinet.qkd.postprocessing._compiled as compiled
    import qinet.qkd.postprocessing.reconciliation as reconciliation

    kernel = _RecordedKernel()
    monkeypatch.setattr(compiled, "locate_errors", kernel)
    alice, bob, perm, lo, hi = _odd_blocks(37)
    reference = reconciliation._locate_errors(bob, perm, lo, hi, _SpyOracle(alice))
    # a fresh process: numpy, its parities and calls counted as work
    monkeypatch.setattr(reconciliation, "_numpy_work", 0)
    oracle = ParityOracle(alice)
    found = reconciliation._locate_errors(bob, perm, lo, hi, oracle)
    assert kernel.calls == 0
    assert np.array_equal(found, reference)
    assert reconciliation._numpy_work == oracle.leaked + reconciliation.CALL_WORK
    # that work earned: the compiled search, the same flips and parities
    monkeypatch.setattr(reconciliation, "_numpy_work", reconciliation.COMPILED_AFTER_WORK)
    again = ParityOracle(alice)
    assert np.array_equal(reconciliation._locate_errors(bob, perm, lo, hi, again), reference)
    assert kernel.calls == 1
    assert again.leaked == oracle.leaked
    # loaded already (a warm-up, another caller): used however little numpy has done
    monkeypatch.setattr(reconciliation, "_numpy_work", 0)
    kernel.signatures.append("(uint8[:], ...)")
    reconciliation._locate_errors(bob, perm, lo, hi, ParityOracle(alice))
    assert kernel.calls == 2
    # an oracle that is not a plain ParityOracle always takes the numpy path
    reconciliation._locate_errors(bob, perm, lo, hi, _SpyOracle(alice))
    assert kernel.calls == 2
    # asked for at once (a benchmark after its warm-up)
    kernel.signatures.clear()
    monkeypatch.setattr(reconciliation, "_numpy_work", 0)
    reconciliation.prefer_compiled_search()
    reconciliation._locate_errors(bob, perm, lo, hi, ParityOracle(alice))
    assert kernel.calls == 3


class _SpyOracle(ParityOracle):
    """Counts every parity bit that actually leaves Alice, independently of ``leaked``."""

    __slots__ = ("answered",)

    def __init__(self, bits: np.ndarray) -> None:
        super().__init__(bits)
        self.answered = 0

    def parities(self, indices, starts):
        out = super().parities(indices, starts)
        self.answered += out.size
        return out

    def mask_parities(self, masks):
        out = super().mask_parities(masks)
        self.answered += out.size
        return out


def test_leak_counter_counts_every_parity():
    alice, bob = _noisy_pair(30_000, 0.04, seed=3)
    spy = _SpyOracle(alice)
    res = cascade(bob, spy, qber=0.04, rng=np.random.default_rng(4))
    assert res.leaked == spy.answered == spy.leaked
    # at least the top-level parities of the 16 passes, plus >= 1 bit per correction
    top = sum(math.ceil(30_000 / k) for k in res.block_sizes)
    assert res.block_sizes == (20, 100) + (15_000,) * 14  # k1 = 0.8 / Q, 5 k1, halves
    assert res.leaked >= top + res.corrected


def test_cascade_is_a_no_op_on_equal_keys_and_uses_k1():
    alice, _ = _noisy_pair(1000, 0.0, seed=5)
    oracle = ParityOracle(alice)
    res = cascade(alice, oracle, qber=0.1, rng=np.random.default_rng(0))
    assert np.array_equal(res.bits, alice)
    assert res.corrected == 0
    assert res.leaked == sum(math.ceil(1000 / k) for k in (8, 40)) + 2 * 14
    assert initial_block_size(0.05, 10**6) == 16


def test_cascade_same_shared_seed_same_result():
    alice, bob = _noisy_pair(10_000, 0.05, seed=8)
    r1 = cascade(bob, ParityOracle(alice), qber=0.05, rng=np.random.default_rng(9))
    r2 = cascade(bob, ParityOracle(alice), qber=0.05, rng=np.random.default_rng(9))
    assert np.array_equal(r1.bits, r2.bits)
    assert r1.leaked == r2.leaked


# --- Toeplitz hashing and privacy amplification --------------------------------------------


def _dense(x: np.ndarray, s: np.ndarray, m: int) -> np.ndarray:
    n = x.size
    return toeplitz(s[n - 1:n - 1 + m], s[n - 1::-1]) @ x % 2


@pytest.mark.parametrize("block_size", [1 << 20, 13, 3])
def test_toeplitz_fft_equals_dense_product(block_size):
    rng = np.random.default_rng(21)
    for _ in range(40):
        # every other m above DIRECT_MAX_OUT: the FFT path, else the packed direct path
        n, m = int(rng.integers(1, 120)), int(rng.integers(1, 120))
        if _ % 2:
            n, m = n // 3 + 1, m // 3 + DIRECT_MAX_OUT + 1
        x, s = rng.integers(0, 2, n), rng.integers(0, 2, n + m - 1)
        got = toeplitz_hash(x, s, m, block_size=block_size)
        assert np.array_equal(got, _dense(x, s, m))


def test_toeplitz_blocked_equals_single_fft_on_long_keys():
    rng = np.random.default_rng(22)
    n, m = 300_000, 200_000
    x, s = rng.integers(0, 2, n), rng.integers(0, 2, n + m - 1)
    assert np.array_equal(toeplitz_hash(x, s, m), toeplitz_hash(x, s, m, block_size=70_000))


@pytest.mark.parametrize("m", [1, 9, 64, DIRECT_MAX_OUT, DIRECT_MAX_OUT + 1])
def test_toeplitz_direct_and_fft_paths_agree_on_long_keys(m):
    rng = np.random.default_rng(m)
    n = 100_003  # not a multiple of 8: the packed key ends in padding
    x, s = rng.integers(0, 2, n), rng.integers(0, 2, n + m - 1)
    fft = _convolve_parity(s.astype(float), x.astype(float), n - 1, n - 1 + m, 1 << 20)
    direct = toeplitz_hash(x, s, m)
    assert np.array_equal(direct, fft)
    for i in rng.choice(m, min(m, 3), replace=False):  # rows against T[i, j] = s[i - j + n - 1]
        assert direct[i] == int(s[i - np.arange(n) + n - 1] @ x) % 2


def test_modified_toeplitz_equals_dense_t_next_to_identity():
    rng = np.random.default_rng(24)
    for n, m in [(1, 0), (1, 1), (5, 5), (9, 0), (40, 3), (300, 260), (700, 299)]:
        x, s = rng.integers(0, 2, n), rng.integers(0, 2, max(n - 1, 0))
        head = n - m
        # (T | I) with T the m x (n - m) Toeplitz matrix of the seed: T[i, j] = s[i - j + head - 1]
        t = np.array([[s[i - j + head - 1] for j in range(head)] for i in range(m)],
                     dtype=np.int64).reshape(m, head)
        dense = (t @ x[:head] + x[head:]) % 2
        assert np.array_equal(modified_toeplitz_hash(x, s, m), dense)


def test_modified_toeplitz_is_linear_and_rejects_bad_lengths():
    rng = np.random.default_rng(25)
    n, m = 5000, 1200
    x, y, s = rng.integers(0, 2, n), rng.integers(0, 2, n), rng.integers(0, 2, n - 1)
    assert np.array_equal(modified_toeplitz_hash(x ^ y, s, m),
                          modified_toeplitz_hash(x, s, m) ^ modified_toeplitz_hash(y, s, m))
    with pytest.raises(ConfigError, match="seed_bits"):
        modified_toeplitz_hash(x, s[:-1], m)
    with pytest.raises(ConfigError, match="out_len"):
        modified_toeplitz_hash(x, s, n + 1)


def test_mask_parities_equal_parities_of_the_selected_bits():
    rng = np.random.default_rng(26)
    for n in (1, 63, 64, 65, 1000):
        bits = rng.integers(0, 2, n, dtype=np.uint8)
        masks = rng.integers(0, 2, (3, n), dtype=np.uint8)
        packed = np.zeros((3, -(-n // 64) * 8), dtype=np.uint8)
        packed[:, : -(-n // 8)] = np.packbits(masks, axis=1)
        oracle = ParityOracle(bits)
        assert oracle.mask_parities(packed).tolist() == [int(bits[r == 1].sum()) % 2
                                                          for r in masks]
        assert oracle.leaked == 3
    with pytest.raises(ConfigError, match="masks"):
        ParityOracle(np.ones(10, np.uint8)).mask_parities(np.zeros((1, 3), np.uint8))


def test_toeplitz_rejects_wrong_seed_length():
    with pytest.raises(ConfigError, match="seed_bits"):
        toeplitz_hash(np.ones(5, int), np.ones(5, int), 2)


def test_pa_output_is_uniform_over_seeds():
    rng = np.random.default_rng(23)
    key = rng.integers(0, 2, 256)
    m, trials = 4, 4000
    outs = np.array([toeplitz_hash(key, rng.integers(0, 2, 256 + m - 1), m)
                     for _ in range(trials)])
    # each output bit is Bernoulli(1/2): within 5 sigma of trials / 2
    assert np.all(np.abs(outs.sum(axis=0) - trials / 2) < 5 * math.sqrt(trials / 4))
    values = outs @ (1 << np.arange(m))
    counts = np.bincount(values, minlength=1 << m)
    assert stats.chisquare(counts).pvalue > 1e-6


def test_final_key_length_formula():
    # n (1 - H2(e)) - leak - log2(2/eps_cor) - 2 log2(1/eps_sec)  (Tomamichel et al. 2012)
    n, e, leak = 100_000, 0.03, 25_000
    expected = n * (1 - binary_entropy(e)) - leak - math.log2(2e15) - 2 * math.log2(1e10)
    got = final_key_length(n, qber_upper=e, leaked_ec=leak, epsilon_sec=1e-10,
                           epsilon_cor=1e-15)
    assert got == math.floor(expected)
    assert final_key_length(100, qber_upper=0.1, leaked_ec=90, epsilon_sec=1e-10,
                            epsilon_cor=1e-15) == 0
    with pytest.raises(ConfigError, match="epsilon_cor"):
        final_key_length(10, qber_upper=0.1, leaked_ec=0, epsilon_sec=0.1, epsilon_cor=2.0)


# --- verification --------------------------------------------------------------------------


def test_verification_catches_a_single_flipped_bit():
    rng = np.random.default_rng(31)
    key = rng.integers(0, 2, 10_000, dtype=np.uint8)
    for pos in (0, 4321, 9999):
        other = key.copy()
        other[pos] ^= 1
        assert not verify(key, other, rng=np.random.default_rng(pos)).equal
    res = verify(key, key.copy(), rng=rng)
    assert res.equal
    assert res.collision_probability == 2.0 ** -64


def test_short_tags_collide_with_probability_two_to_minus_t():
    rng = np.random.default_rng(32)
    key = rng.integers(0, 2, 200, dtype=np.uint8)
    other = key ^ rng.integers(0, 2, 200, dtype=np.uint8)
    trials = 4000
    hits = sum(verify(key, other, rng=rng, tag_bits=3).equal for _ in range(trials))
    # binomial(4000, 1/8): 5 sigma
    assert abs(hits - trials / 8) < 5 * math.sqrt(trials / 8 * 7 / 8)


# --- the chain -----------------------------------------------------------------------------


def test_distill_produces_equal_keys_of_the_reported_length():
    alice, bob = _noisy_pair(100_000, 0.03, seed=41)
    res = distill(alice, bob, rng_shared=np.random.default_rng(1),
                  rng_alice=np.random.default_rng(2))
    assert not res.aborted
    assert res.equal
    assert np.array_equal(res.key_alice, res.key_bob)
    assert res.key_alice.size == res.final_length > 0
    assert res.disclosed == 10_000
    assert res.reconciled == 90_000  # measured: the bits that entered privacy amplification
    assert res.final_length == final_key_length(
        90_000, qber_upper=res.qber_upper, leaked_ec=res.leaked_ec, epsilon_sec=1e-10,
        epsilon_cor=1e-15)


def test_distill_aborts_above_eleven_percent():
    alice, bob = _noisy_pair(50_000, 0.13, seed=42)
    res = distill(alice, bob, rng_shared=np.random.default_rng(1),
                  rng_alice=np.random.default_rng(2))
    assert res.aborted
    assert "QBER upper bound" in res.reason
    assert res.key_alice.size == res.key_bob.size == res.final_length == res.reconciled == 0


def test_distill_discards_a_block_that_fails_verification(monkeypatch):
    import qinet.qkd.postprocessing.pipeline as pipeline

    real = pipeline.cascade

    # a reconciliation that leaves one error behind, to exercise the discard path
    def broken(bob, oracle, **kwargs):
        res = real(bob, oracle, **kwargs)
        bits = res.bits.copy()
        bits[0] ^= 1
        return res._replace(bits=bits)

    monkeypatch.setattr(pipeline, "cascade", broken)
    alice, bob = _noisy_pair(20_000, 0.02, seed=43)
    res = distill(alice, bob, rng_shared=np.random.default_rng(1),
                  rng_alice=np.random.default_rng(2))
    assert res.aborted
    assert not res.equal
    assert "verification failed" in res.reason
    assert res.discarded == 18_000
    assert res.reconciled == 0  # keys that differ were not corrected
    assert res.key_alice.size == 0


def test_distill_never_returns_different_keys_after_a_tag_collision(monkeypatch):
    import qinet.qkd.postprocessing.pipeline as pipeline

    real, real_verify = pipeline.cascade, pipeline.verify

    def broken(bob, oracle, **kwargs):  # one error left behind, as above
        res = real(bob, oracle, **kwargs)
        bits = res.bits.copy()
        bits[7] ^= 1
        return res._replace(bits=bits)

    def colliding(alice_key, bob_key, *, rng, tag_bits):  # the 2^-64 event, forced
        return real_verify(alice_key, alice_key, rng=rng, tag_bits=tag_bits)

    monkeypatch.setattr(pipeline, "cascade", broken)
    monkeypatch.setattr(pipeline, "verify", colliding)
    alice, bob = _noisy_pair(20_000, 0.02, seed=45)
    res = distill(alice, bob, rng_shared=np.random.default_rng(1),
                  rng_alice=np.random.default_rng(2))
    # Bob's hash differs from Alice's by T e_7 = column 7 of T, which is never all zero here
    assert res.aborted
    assert "privacy amplification" in res.reason
    assert res.discarded == 18_000
    assert res.key_alice.size == res.key_bob.size == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 30_000), qber=st.floats(0.0, 0.15),
       seed=st.integers(0, 2**32 - 1), frac=st.floats(0.05, 0.5))
def test_distill_properties(n, qber, seed, frac):
    alice, bob = _noisy_pair(n, qber, seed)
    runs = [distill(alice, bob, rng_shared=np.random.default_rng([seed, 1]),
                    rng_alice=np.random.default_rng([seed, 2]), sample_fraction=frac)
            for _ in range(2)]
    res = runs[0]
    # never equal=True (nor a success) with different keys
    if res.equal or not res.aborted:
        assert np.array_equal(res.key_alice, res.key_bob)
    assert res.equal != res.aborted
    assert res.key_alice.size == res.key_bob.size == res.final_length
    # same seeds, identical outputs
    other = runs[1]
    assert np.array_equal(res.key_alice, other.key_alice)
    assert np.array_equal(res.key_bob, other.key_bob)
    assert (res.qber, res.leaked_ec, res.final_length, res.reason) == (
        other.qber, other.leaked_ec, other.final_length, other.reason)
