"""L5a: quantum key distribution: protocols, post-processing, attacks and bounds.

Examples:
    >>> from qinet.qkd import bbm92_key_fraction, plob_bound
    >>> bbm92_key_fraction(0.0), round(plob_bound(0.5), 12)
    (1.0, 1.0)
"""

from qinet.physical.bounds import plob_bound, tgw_bound
from qinet.qkd.bounds import (
    bbm92_key_fraction,
    binary_entropy,
    chsh_werner,
    decoy_bb84_key_rate_asymptotic,
    decoy_bb84_key_rate_vacuum_weak,
    gain_and_qber,
    gllp_key_rate_no_decoy,
    max_distance_km,
    werner_qber,
)

__all__ = [
    "bbm92_key_fraction",
    "binary_entropy",
    "chsh_werner",
    "decoy_bb84_key_rate_asymptotic",
    "decoy_bb84_key_rate_vacuum_weak",
    "gain_and_qber",
    "gllp_key_rate_no_decoy",
    "max_distance_km",
    "plob_bound",
    "tgw_bound",
    "werner_qber",
]
