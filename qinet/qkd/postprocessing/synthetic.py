"""Pairs of correlated sifted keys for tests and benchmarks of the post-processing chain.

A binary symmetric channel with a fixed number of flips: Alice's key is uniform, Bob's is
her copy with exactly round(Q n) bits flipped at uniformly random positions (errors drawn
without replacement), so the realised error rate is Q to within 1/(2n), with no binomial
spread around it.

Examples:
    >>> import numpy as np
    >>> alice, bob = noisy_key_pair(1000, 0.03, np.random.default_rng(1))
    >>> int(np.count_nonzero(alice != bob)), alice.dtype.name
    (30, 'uint8')
"""

from __future__ import annotations

import numpy as np

from qinet.errors import ConfigError


def noisy_key_pair(n: int, qber: float,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Alice's random key of ``n`` bits and Bob's copy with exactly round(qber · n) flips.

    Args:
        n: key length, non-negative.
        qber: fraction of positions flipped, in [0, 1].
        rng: generator of the key and of the error positions (in that order).

    Returns:
        ``(alice, bob)``, both ``uint8`` 0/1 arrays of length ``n``.

    Raises:
        ConfigError: ``n`` negative or ``qber`` outside [0, 1].
    """
    if n < 0:
        raise ConfigError("n", f"must be non-negative, got {n!r}")
    if not 0.0 <= qber <= 1.0:
        raise ConfigError("qber", f"must lie in [0, 1], got {qber!r}")
    alice = rng.integers(0, 2, n, dtype=np.uint8)
    bob = alice.copy()
    bob[rng.choice(n, round(qber * n), replace=False)] ^= 1
    return alice, bob
