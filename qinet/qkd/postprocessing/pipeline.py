"""The whole classical post-processing chain: estimation → reconciliation → verification → PA.

Reconciliation is Cascade (interactive, :mod:`~qinet.qkd.postprocessing.reconciliation`)
or one-way LDPC syndrome decoding (:mod:`~qinet.qkd.postprocessing.ldpc_reconciliation`),
chosen by ``reconciliation``; verification and privacy amplification are the same after
either. Randomness has two sources, both explicit: ``rng_alice`` draws what Alice chooses
and announces (sample positions, hash seeds), ``rng_shared`` is the stream both ends derive
from a shared seed for Cascade's permutations (the LDPC codes are public and fixed). The
same seeds give the same result, bit for bit. Keys that differ are never returned as a
success: a failed verification discards the block (``aborted=True``, ``discarded`` counts its bits).

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> alice = rng.integers(0, 2, 50_000, dtype=np.uint8)
    >>> bob = alice ^ (rng.random(50_000) < 0.02).astype(np.uint8)
    >>> res = distill(alice, bob, rng_shared=np.random.default_rng(1),
    ...               rng_alice=np.random.default_rng(2))
    >>> res.aborted, res.equal, res.final_length == res.key_alice.size > 0
    (False, True, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from qinet.errors import ConfigError
from qinet.qkd.postprocessing._bits import as_bits, same_length
from qinet.qkd.postprocessing.estimation import estimate_qber, qber_upper_bound
from qinet.qkd.postprocessing.ldpc_reconciliation import ldpc_reconcile
from qinet.qkd.postprocessing.privacy_amplification import (
    final_key_length,
    modified_toeplitz_hash,
)
from qinet.qkd.postprocessing.reconciliation import ParityOracle, cascade
from qinet.qkd.postprocessing.verification import DEFAULT_TAG_BITS, verify

QBER_ABORT = 0.11  # BB84 one-way threshold, H2(Q) = 1/2 (Shor & Preskill, PRL 85, 441 (2000))
RECONCILIATIONS = ("cascade", "ldpc")

_EMPTY = np.zeros(0, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class DistillResult:
    """Outcome of :func:`distill`.

    Attributes:
        key_alice: Alice's final key (empty when aborted), ``uint8``.
        key_bob: Bob's final key (empty when aborted), ``uint8``.
        equal: the two final keys are identical (ground truth of the simulation).
        qber: QBER of the disclosed sample.
        qber_upper: Clopper–Pearson upper bound used for privacy amplification.
        leaked_ec: bits disclosed by reconciliation (Cascade parities or LDPC syndromes,
            discarded frames included) plus the verification tag.
        disclosed: sifted bits disclosed for parameter estimation.
        final_length: length of the final keys.
        aborted: no key was produced.
        reason: why it aborted (``""`` otherwise).
        discarded: bits thrown away: LDPC frames that failed to decode, or the whole
            reconciled key after a failed verification.
        reconciliation: the method used, ``"cascade"`` or ``"ldpc"``.
        ec_failed_frames: LDPC frames discarded after their last retry (0 for Cascade).
        ec_retries: LDPC syndrome extensions disclosed (0 for Cascade).
        reconciled: bits both ends held equal after reconciliation and verification
            (the key that entered privacy amplification; 0 when the block aborted
            before or at verification).
    """

    key_alice: np.ndarray
    key_bob: np.ndarray
    equal: bool
    qber: float
    qber_upper: float
    leaked_ec: int
    disclosed: int
    final_length: int
    aborted: bool
    reason: str = ""
    discarded: int = 0
    reconciliation: str = "cascade"
    ec_failed_frames: int = 0
    ec_retries: int = 0
    reconciled: int = 0


def distill(
    alice_bits: np.ndarray,
    bob_bits: np.ndarray,
    *,
    rng_shared: np.random.Generator,
    rng_alice: np.random.Generator,
    epsilon_sec: float = 1e-10,
    epsilon_cor: float = 1e-15,
    sample_fraction: float = 0.1,
    key_length: Callable[[int, float, int], int] | None = None,
    reconciliation: str = "cascade",
) -> DistillResult:
    """Turn two sifted keys into two identical secret keys, or abort.

    Steps: estimate the QBER on a disclosed sample and abort if its upper bound
    (confidence 1 − ε_sec) exceeds 11 %; reconcile (Cascade or LDPC, whose frames that
    fail to decode are dropped from both keys); verify with a 64-bit Toeplitz tag
    (discard on mismatch); compress with a modified Toeplitz hash (T | I) to
    :func:`~qinet.qkd.postprocessing.privacy_amplification.final_key_length` bits. The tag
    is counted in ``leaked_ec`` on top of the log2(2/ε_cor) term, which is conservative.

    Args:
        alice_bits: Alice's sifted key, 0/1.
        bob_bits: Bob's sifted key, 0/1, same length.
        rng_shared: stream shared by both ends (Cascade permutations).
        rng_alice: Alice's generator (sample positions, LDPC frame-tag, verification and PA
            seeds).
        epsilon_sec: secrecy parameter, in (0, 1).
        epsilon_cor: correctness parameter, in (0, 1).
        sample_fraction: fraction of the sifted key disclosed for estimation, in (0, 1).
        key_length: ``(n, qber_upper, leaked) -> bits`` replacing the single-photon
            length formula, for sources whose secrecy rests on other estimates (the
            single-photon yield of decoy-state BB84). ``n`` counts the bits that enter
            privacy amplification.
        reconciliation: ``"cascade"`` or ``"ldpc"``.

    Returns:
        The keys and a record of every quantity disclosed.

    Raises:
        ConfigError: mismatched lengths, non-binary input or parameters out of range.
    """
    a = as_bits(alice_bits, "alice_bits")
    b = as_bits(bob_bits, "bob_bits")
    same_length(a, b, "bob_bits")
    for name, eps in (("epsilon_sec", epsilon_sec), ("epsilon_cor", epsilon_cor)):
        if not 0.0 < eps < 1.0:
            raise ConfigError(name, f"must lie in (0, 1), got {eps!r}")
    if reconciliation not in RECONCILIATIONS:
        raise ConfigError("reconciliation",
                          f"must be one of {', '.join(RECONCILIATIONS)}, got {reconciliation!r}")
    est = estimate_qber(a, b, sample_fraction=sample_fraction, rng=rng_alice)

    def stop(reason: str, upper: float, leaked: int = 0, discarded: int = 0, failed: int = 0,
             retries: int = 0, reconciled: int = 0) -> DistillResult:
        return DistillResult(_EMPTY, _EMPTY, False, est.qber, upper, leaked, est.disclosed,
                             0, True, reason, discarded, reconciliation, failed, retries,
                             reconciled)

    if est.disclosed == 0:
        return stop("no bits to estimate the QBER from", 1.0)
    upper = qber_upper_bound(est.errors, est.disclosed, epsilon=epsilon_sec)
    if upper > QBER_ABORT:
        return stop(f"QBER upper bound {upper:.4f} exceeds {QBER_ABORT}", upper)
    # Laplace's rule (e + 1) / (k + 2): a zero-error sample must not give one huge block
    # (Cascade) nor a zero-rate code (LDPC)
    q_rule = min((est.errors + 1) / (est.disclosed + 2), 0.25)
    alice_key, failed, retries, dropped = est.alice, 0, 0, 0
    if reconciliation == "cascade":
        oracle = ParityOracle(est.alice)
        rec = cascade(est.bob, oracle, qber=q_rule, rng=rng_shared)
        bob_key, leaked_rec = rec.bits, rec.leaked
    else:
        rec_ldpc = ldpc_reconcile(est.alice, est.bob, qber=q_rule, rng=rng_alice)
        alice_key, bob_key = est.alice[rec_ldpc.kept], rec_ldpc.bits
        leaked_rec, failed, retries = rec_ldpc.leaked, rec_ldpc.failed_frames, rec_ldpc.retries
        dropped = est.alice.size - alice_key.size
    check = verify(alice_key, bob_key, rng=rng_alice, tag_bits=DEFAULT_TAG_BITS)
    leaked = leaked_rec + check.tag_bits
    if not check.equal:
        return stop(f"verification failed: keys differ after {reconciliation}", upper, leaked,
                    est.alice.size, failed, retries)
    if key_length is None:
        length = final_key_length(alice_key.size, qber_upper=upper, leaked_ec=leaked,
                                  epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
    else:
        length = max(0, int(key_length(alice_key.size, upper, leaked)))
    if length == 0:
        return stop("finite-size key length is zero", upper, leaked, dropped, failed, retries,
                    alice_key.size)
    seed = rng_alice.integers(0, 2, alice_key.size - 1, dtype=np.uint8)
    key_a = modified_toeplitz_hash(alice_key, seed, length)
    # the hash is linear over GF(2): H y = H x ⊕ H (x ⊕ y), and H 0 = 0 needs no second FFT
    difference = alice_key ^ bob_key
    key_b = (key_a ^ modified_toeplitz_hash(difference, seed, length) if difference.any()
             else key_a.copy())
    equal = bool(np.array_equal(key_a, key_b))
    if not equal:  # a tag collision (probability 2^-64): never hand out unequal keys
        return stop("keys differ after privacy amplification", upper, leaked, est.alice.size,
                    failed, retries)
    return DistillResult(key_a, key_b, True, est.qber, upper, leaked, est.disclosed, length,
                         False, "", dropped, reconciliation, failed, retries, alice_key.size)
