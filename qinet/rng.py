"""One seed, one tree of random streams.

Every component takes its ``numpy.random.Generator`` from :class:`RngTree`, keyed by a
stable name, so adding a component never shifts the numbers another one draws. The
reproducibility contract: the same qinet version, scenario and seed give the same
numbers, bit for bit; across versions, equality of the streams is not promised.

Examples:
    >>> tree = RngTree(7)
    >>> a = tree.generator("link/alice-bob").random()
    >>> b = RngTree(7).generator("link/alice-bob").random()
    >>> a == b
    True
    >>> a == RngTree(7).generator("link/bob-carol").random()
    False
"""

from __future__ import annotations

import hashlib

import numpy as np

from qinet.errors import ConfigError


def _name_key(name: str) -> tuple[int, ...]:
    # A stable (not Python-hash-randomised) key, so names map to streams across processes.
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class RngTree:
    """Derives independent, named random streams from one integer seed.

    Args:
        seed: a non-negative integer; the root of every stream of a run.
    """

    __slots__ = ("seed",)

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise ConfigError("seed", f"must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The SeedSequence of the stream called ``name``."""
        return np.random.SeedSequence(self.seed, spawn_key=_name_key(name))

    def generator(self, name: str) -> np.random.Generator:
        """A fresh Generator for the component called ``name`` (PCG64)."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(name)))

    def child(self, name: str) -> RngTree:
        """A subtree, for a component that hands streams to parts of its own."""
        derived = self.seed_sequence(name).generate_state(2, dtype=np.uint32)
        return RngTree(int(derived[0]) << 32 | int(derived[1]))
