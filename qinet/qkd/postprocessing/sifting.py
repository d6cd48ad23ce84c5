"""Basis sifting: keep the rounds in which Alice and Bob measured in the same basis.

Source: C. H. Bennett and G. Brassard, "Quantum cryptography: public key distribution
and coin tossing", Proc. IEEE ICCSSP, 175 (1984) — after the quantum phase the bases
are announced publicly and every round with differing bases is discarded.

Examples:
    >>> import numpy as np
    >>> s = sift(np.array([0, 1, 1, 0]), np.array([0, 0, 1, 1]),
    ...          np.array([1, 0, 1, 1]), np.array([1, 1, 1, 0]))
    >>> s.indices.tolist(), s.alice.tolist(), s.bob.tolist()
    ([0, 2], [1, 1], [1, 1])
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from qinet.errors import ConfigError
from qinet.qkd.postprocessing._bits import as_bits, same_length


class SiftResult(NamedTuple):
    """The sifted key of both ends.

    Attributes:
        indices: positions (into the raw rounds) whose bases agreed, ascending, ``int64``.
        alice: Alice's bits at those positions, ``uint8``.
        bob: Bob's bits at those positions, ``uint8``.
    """

    indices: np.ndarray
    alice: np.ndarray
    bob: np.ndarray


def sift(
    alice_bases: np.ndarray,
    bob_bases: np.ndarray,
    alice_bits: np.ndarray,
    bob_bits: np.ndarray,
) -> SiftResult:
    """Keep the rounds where the announced bases agree (vectorised).

    Args:
        alice_bases: Alice's basis choice per round (any integer labels, e.g. 0 = Z, 1 = X).
        bob_bases: Bob's basis choice per round, same labels and length.
        alice_bits: Alice's bit per round, 0/1.
        bob_bits: Bob's measured bit per round, 0/1.

    Returns:
        The kept positions and both ends' bits there.

    Raises:
        ConfigError: the four arrays differ in length, or the bits are not 0/1.

    Examples:
        >>> import numpy as np
        >>> sift(np.zeros(3, int), np.ones(3, int), np.ones(3, int), np.ones(3, int)).indices
        array([], dtype=int64)
    """
    a_basis = np.asarray(alice_bases)
    b_basis = np.asarray(bob_bases)
    if a_basis.ndim != 1 or b_basis.ndim != 1:
        raise ConfigError("bases", "must be one-dimensional arrays")
    a = as_bits(alice_bits, "alice_bits")
    b = as_bits(bob_bits, "bob_bits")
    same_length(a_basis, b_basis, "bob_bases")
    same_length(a_basis, a, "alice_bits")
    same_length(a_basis, b, "bob_bits")
    keep = np.flatnonzero(a_basis == b_basis).astype(np.int64)
    return SiftResult(keep, a[keep], b[keep])
