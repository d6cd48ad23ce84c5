"""Classical QKD post-processing on bit arrays: sifting, estimation, Cascade, verification, PA.

Examples:
    >>> from qinet.qkd.postprocessing import binary_entropy
    >>> binary_entropy(0.5)
    1.0
"""

from qinet.qkd.postprocessing.estimation import (
    QberEstimate,
    binary_entropy,
    estimate_qber,
    qber_upper_bound,
)
from qinet.qkd.postprocessing.pipeline import QBER_ABORT, DistillResult, distill
from qinet.qkd.postprocessing.privacy_amplification import final_key_length, toeplitz_hash
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
    "CascadeResult",
    "DistillResult",
    "ParityOracle",
    "ParitySource",
    "QberEstimate",
    "SiftResult",
    "VerificationResult",
    "binary_entropy",
    "cascade",
    "distill",
    "estimate_qber",
    "final_key_length",
    "hash_tag",
    "initial_block_size",
    "qber_upper_bound",
    "reconciliation_efficiency",
    "sift",
    "toeplitz_hash",
    "verify",
]
