"""Capacity bounds of lossy channels, the yardstick for every rate qinet reports."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from qinet.physical import _checks as chk


def plob_bound(transmittance: ArrayLike) -> float | np.ndarray:
    """Repeaterless (PLOB) bound: ebits or secret bits per use of a pure-loss channel.

    ``-log2(1 - η)`` (Pirandola, Laurenza, Ottaviani and Banchi, Nat. Commun. 8, 15043
    (2017), eq. 19). No protocol without a repeater beats it; for small η it is about
    ``1.44 η``.

    Args:
        transmittance: channel transmittance η in [0, 1].

    Returns:
        Bits per channel use (``inf`` at η = 1).

    Examples:
        >>> round(plob_bound(0.5), 12)
        1.0
        >>> f"{plob_bound(0.01):.5f}"
        '0.01450'
    """
    eta = chk.probability("transmittance", transmittance)
    with np.errstate(divide="ignore"):
        # log1p keeps the bound exact for tiny transmittances (1.44 eta, not 0)
        return chk.out(-np.log1p(-eta) / np.log(2.0))


def tgw_bound(transmittance: ArrayLike) -> float | np.ndarray:
    """Takeoka-Guha-Wilde bound ``log2((1 + η)/(1 - η))`` bits per channel use.

    (Takeoka, Guha and Wilde, Nat. Commun. 5, 5235 (2014)); looser than PLOB by about a
    factor of two at high loss, where it is about ``2η / ln 2``.

    Args:
        transmittance: channel transmittance η in [0, 1].

    Returns:
        Bits per channel use (``inf`` at η = 1).

    Examples:
        >>> round(tgw_bound(0.5), 6)
        1.584963
        >>> f"{tgw_bound(1e-20):.6e}"  # 200 dB: (1 + η) rounds to 1, log1p keeps η
        '2.885390e-20'
    """
    eta = chk.probability("transmittance", transmittance)
    with np.errstate(divide="ignore"):
        # log1p on each factor: forming (1 + η)/(1 - η) first rounds η away at high loss
        return chk.out((np.log1p(eta) - np.log1p(-eta)) / np.log(2.0))
