"""Parameter estimation: disclose a random sample of the sifted key and bound its QBER.

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> a = rng.integers(0, 2, 1000, dtype=np.uint8)
    >>> b = a.copy(); b[:50] ^= 1
    >>> est = estimate_qber(a, b, sample_fraction=0.2, rng=rng)
    >>> est.disclosed, est.alice.size, 0.0 <= est.qber <= 1.0
    (200, 800, True)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy.special import betainccinv

from qinet.errors import ConfigError
from qinet.qkd.postprocessing._bits import as_bits, same_length


class QberEstimate(NamedTuple):
    """Outcome of :func:`estimate_qber`.

    Attributes:
        qber: errors / disclosed on the public sample (0.0 when nothing was disclosed).
        alice: Alice's key with the sample removed, ``uint8``.
        bob: Bob's key with the sample removed, ``uint8``.
        disclosed: number of positions disclosed (and removed) from each key.
    """

    qber: float
    alice: np.ndarray
    bob: np.ndarray
    disclosed: int

    @property
    def errors(self) -> int:
        """Number of disagreeing positions in the disclosed sample."""
        return round(self.qber * self.disclosed)


def estimate_qber(
    alice: np.ndarray,
    bob: np.ndarray,
    *,
    sample_fraction: float,
    rng: np.random.Generator,
) -> QberEstimate:
    """Disclose a uniformly random sample, count its errors and remove it from both keys.

    The sample is drawn without replacement by one party (``rng`` is that party's
    generator) and announced, so both ends remove the same positions.

    Args:
        alice: Alice's sifted key, 0/1.
        bob: Bob's sifted key, 0/1, same length.
        sample_fraction: fraction of the key disclosed, in (0, 1); the sample size is
            ``round(sample_fraction * n)``.
        rng: generator that draws the sample positions.

    Returns:
        The sample QBER, the remaining keys and the number of disclosed positions.

    Raises:
        ConfigError: lengths differ, bits are not 0/1, or ``sample_fraction`` is outside (0, 1).
    """
    a = as_bits(alice, "alice")
    b = as_bits(bob, "bob")
    same_length(a, b, "bob")
    if not 0.0 < sample_fraction < 1.0:
        raise ConfigError("sample_fraction", f"must lie in (0, 1), got {sample_fraction!r}")
    n = a.size
    k = round(sample_fraction * n)
    sample = rng.choice(n, size=k, replace=False)
    keep = np.ones(n, dtype=bool)
    keep[sample] = False
    errors = int(np.count_nonzero(a[sample] != b[sample]))
    qber = errors / k if k else 0.0
    return QberEstimate(qber, np.compress(keep, a), np.compress(keep, b), k)


def qber_upper_bound(errors: int, n: int, *, epsilon: float) -> float:
    """One-sided Clopper–Pearson upper confidence bound on an error rate.

    With probability at least 1 − ``epsilon`` the true error probability of i.i.d.
    rounds is below the returned value: the ``1 − epsilon`` quantile of
    Beta(errors + 1, n − errors). Source: C. J. Clopper and E. S. Pearson,
    Biometrika 26, 404 (1934). For ``errors = 0`` it equals ``1 − epsilon**(1/n)``.

    Args:
        errors: number of errors observed in the sample, 0 ≤ errors ≤ n.
        n: sample size, positive.
        epsilon: failure probability, in (0, 1).

    Returns:
        The upper bound, in [errors / n, 1].

    Raises:
        ConfigError: ``n``, ``errors`` or ``epsilon`` is out of range.

    Examples:
        >>> round(qber_upper_bound(0, 1000, epsilon=1e-10), 6)
        0.022763
        >>> qber_upper_bound(10, 10, epsilon=1e-3)
        1.0
    """
    if n <= 0:
        raise ConfigError("n", f"must be positive, got {n!r}")
    if not 0 <= errors <= n:
        raise ConfigError("errors", f"must lie in [0, {n}], got {errors!r}")
    if not 0.0 < epsilon < 1.0:
        raise ConfigError("epsilon", f"must lie in (0, 1), got {epsilon!r}")
    if errors == n:
        return 1.0
    if errors == 0:  # closed form, exact to the last bit
        return float(-math.expm1(math.log(epsilon) / n))
    # the Beta(e + 1, n - e) upper quantile: 1 - I_x(e + 1, n - e) = epsilon
    return float(betainccinv(errors + 1, n - errors, epsilon))
