"""Property tests (hypothesis) of the post-processing steps and the whole chain."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from qinet.qkd.postprocessing import distill, estimate_qber, sift, toeplitz_hash, verify

seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 2000), seed=seeds)
def test_sift_invariants(n, seed):
    rng = np.random.default_rng(seed)
    ab, bb = rng.integers(0, 2, n), rng.integers(0, 2, n)
    a_bits, b_bits = rng.integers(0, 2, n), rng.integers(0, 2, n)
    res = sift(ab, bb, a_bits, b_bits)
    assert res.indices.size == res.alice.size == res.bob.size == np.count_nonzero(ab == bb)
    assert np.all(np.diff(res.indices) > 0)
    assert np.array_equal(res.alice, a_bits[res.indices])
    assert np.array_equal(res.bob, b_bits[res.indices])
    assert np.all(ab[res.indices] == bb[res.indices])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5000), frac=st.floats(0.01, 0.99), qber=st.floats(0.0, 0.5), seed=seeds)
def test_estimate_invariants(n, frac, qber, seed):
    rng = np.random.default_rng(seed)
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    bob = alice ^ (rng.random(n) < qber).astype(np.uint8)
    est = estimate_qber(alice, bob, sample_fraction=frac, rng=rng)
    assert est.disclosed == round(frac * n)
    assert est.alice.size == est.bob.size == n - est.disclosed
    assert 0.0 <= est.qber <= 1.0
    # sample errors + kept errors = all errors: the sample is removed, nothing else
    assert est.errors + np.count_nonzero(est.alice != est.bob) == np.count_nonzero(alice != bob)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 3000), m=st.integers(0, 3000), seed=seeds)
def test_toeplitz_hash_is_linear_and_has_the_asked_length(n, m, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    s = rng.integers(0, 2, n + m - 1) if m else np.zeros(0, dtype=np.int64)
    ha, hb, hab = (toeplitz_hash(x, s, m) for x in (a, b, a ^ b))
    assert ha.size == hb.size == hab.size == m
    assert np.array_equal(hab, ha ^ hb)


def test_privacy_amplification_output_is_uniform_over_random_inputs():
    # 4-bit hashes of random 300-bit keys with random seeds: 16 equiprobable values
    rng = np.random.default_rng(77)
    m, trials = 4, 8000
    keys = rng.integers(0, 2, (trials, 300))
    seeds_ = rng.integers(0, 2, (trials, 300 + m - 1))
    values = np.array([toeplitz_hash(k, s, m) @ (1 << np.arange(m)) for k, s in
                       zip(keys, seeds_, strict=True)])
    counts = np.bincount(values, minlength=1 << m)
    # a uniform source fails this only with probability 1e-6
    assert stats.chisquare(counts).pvalue > 1e-6


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 4000), pos=st.integers(0, 10**6), seed=seeds, tag=st.integers(16, 64))
def test_verification_catches_any_single_bit_difference(n, pos, seed, tag):
    rng = np.random.default_rng(seed)
    key = rng.integers(0, 2, n, dtype=np.uint8)
    other = key.copy()
    other[pos % n] ^= 1
    # a nonzero difference collides with probability 2^-tag <= 1.5e-5 per example
    assert not verify(key, other, rng=rng, tag_bits=tag).equal
    assert verify(key, key.copy(), rng=rng, tag_bits=tag).equal


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(0, 12_000), qber=st.floats(0.0, 0.14), seed=seeds,
       frac=st.floats(0.05, 0.4), method=st.sampled_from(["cascade", "ldpc"]))
def test_distill_never_returns_unequal_keys_nor_more_than_allowed(n, qber, seed, frac, method):
    rng = np.random.default_rng(seed)
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    bob = alice ^ (rng.random(n) < qber).astype(np.uint8)
    res = distill(alice, bob, rng_shared=np.random.default_rng([seed, 1]),
                  rng_alice=np.random.default_rng([seed, 2]), sample_fraction=frac,
                  reconciliation=method)
    assert np.array_equal(res.key_alice, res.key_bob)
    assert res.key_alice.size == res.final_length
    assert res.aborted == (res.final_length == 0)
    # what is left after disclosure bounds the secret: l <= n - disclosed - discarded - leaked
    if not res.aborted:
        assert res.final_length <= n - res.disclosed - res.discarded - res.leaked_ec
    assert res.final_length <= max(0, n - res.disclosed - res.leaked_ec)
