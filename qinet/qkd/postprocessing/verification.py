"""Error verification: compare short universal-hash tags of the two reconciled keys.

Alice draws a random Toeplitz seed and announces it; both ends hash their key to a
``tag_bits``-bit tag (:func:`~qinet.qkd.postprocessing.privacy_amplification.toeplitz_hash`)
and compare. Random Toeplitz matrices are universal-2 (H. Krawczyk, CRYPTO 1994): for
keys that differ, the tags collide with probability exactly 2^−tag_bits over the seed,
so with ``tag_bits = 64`` a wrong key passes with probability 5.4e−20, below any
practical ε_cor (J. L. Carter and M. N. Wegman, J. Comput. Syst. Sci. 18, 143 (1979)).
The tag is public and is counted as leaked.

Examples:
    >>> import numpy as np
    >>> key = np.random.default_rng(0).integers(0, 2, 1000, dtype=np.uint8)
    >>> other = key.copy(); other[500] ^= 1
    >>> verify(key, key, rng=np.random.default_rng(1)).equal
    True
    >>> verify(key, other, rng=np.random.default_rng(1)).equal
    False
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from qinet.errors import ConfigError
from qinet.qkd.postprocessing._bits import as_bits, same_length
from qinet.qkd.postprocessing.privacy_amplification import toeplitz_hash

DEFAULT_TAG_BITS = 64


class VerificationResult(NamedTuple):
    """Outcome of :func:`verify`.

    Attributes:
        equal: the two tags agree.
        tag_bits: length of the public tag (bits leaked).
        collision_probability: probability 2^−tag_bits that different keys pass.
    """

    equal: bool
    tag_bits: int
    collision_probability: float


def hash_tag(key_bits: np.ndarray, seed_bits: np.ndarray, tag_bits: int) -> np.ndarray:
    """The ``tag_bits``-bit Toeplitz tag of a key; the seed has ``n + tag_bits − 1`` bits.

    Examples:
        >>> import numpy as np
        >>> hash_tag(np.array([1, 0, 1]), np.array([1, 1, 0, 1]), 2).tolist()
        [1, 0]
    """
    return toeplitz_hash(key_bits, seed_bits, tag_bits)


def verify(
    alice_key: np.ndarray,
    bob_key: np.ndarray,
    *,
    rng: np.random.Generator,
    tag_bits: int = DEFAULT_TAG_BITS,
) -> VerificationResult:
    """Check with a universal hash that both keys agree.

    Args:
        alice_key: Alice's key, 0/1.
        bob_key: Bob's reconciled key, 0/1, same length.
        rng: generator of the party that draws (and announces) the hash seed.
        tag_bits: tag length; different keys pass with probability 2^−tag_bits.

    Returns:
        Whether the tags agree, the tag length and the collision probability.

    Raises:
        ConfigError: lengths differ, bits are not 0/1, or ``tag_bits`` < 1.
    """
    a = as_bits(alice_key, "alice_key")
    b = as_bits(bob_key, "bob_key")
    same_length(a, b, "bob_key")
    if tag_bits < 1:
        raise ConfigError("tag_bits", f"must be positive, got {tag_bits!r}")
    seed = rng.integers(0, 2, a.size + tag_bits - 1, dtype=np.uint8)
    # the hash is linear over GF(2): the two tags agree exactly when the tag of the
    # difference is zero, and keys that agree have a zero difference without hashing
    difference = a ^ b
    equal = not difference.any() or not hash_tag(difference, seed, tag_bits).any()
    return VerificationResult(equal, tag_bits, 2.0 ** -tag_bits)
