"""Classical QKD post-processing on bit arrays: sifting, estimation, Cascade, verification, PA.

Examples:
    >>> import numpy as np
    >>> from qinet.qkd.postprocessing import estimate_qber
    >>> bits = np.zeros(1000, dtype=np.uint8)
    >>> estimate_qber(bits, bits, sample_fraction=0.1, rng=np.random.default_rng(0)).qber
    0.0
"""

from qinet.qkd.postprocessing._compiled import THREADS_ENV, usable_cores
from qinet.qkd.postprocessing.estimation import (
    QberEstimate,
    estimate_qber,
    qber_upper_bound,
)
from qinet.qkd.postprocessing.pipeline import QBER_ABORT, DistillResult, distill
from qinet.qkd.postprocessing.privacy_amplification import (
    final_key_length,
    modified_toeplitz_hash,
    toeplitz_hash,
)
from qinet.qkd.postprocessing.reconciliation import (
    CascadeResult,
    ParityOracle,
    ParitySource,
    cascade,
    initial_block_size,
    reconciliation_efficiency,
)
from qinet.qkd.postprocessing.sifting import SiftResult, sift
from qinet.qkd.postprocessing.verification import VerificationResult, hash_tag, verify

__all__ = [
    "QBER_ABORT",
    "THREADS_ENV",
    "CascadeResult",
    "DistillResult",
    "ParityOracle",
    "ParitySource",
    "QberEstimate",
    "SiftResult",
    "VerificationResult",
    "cascade",
    "distill",
    "estimate_qber",
    "final_key_length",
    "hash_tag",
    "initial_block_size",
    "modified_toeplitz_hash",
    "qber_upper_bound",
    "reconciliation_efficiency",
    "sift",
    "toeplitz_hash",
    "usable_cores",
    "verify",
]
