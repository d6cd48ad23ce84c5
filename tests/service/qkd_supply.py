"""Key from real decoy-state BB84 runs, for the key service tests.

``qkd_key_bytes`` gives distilled key to fill stores with; :class:`DecoyBB84Supply` is a
key supply for the real-time driver: each KME pair is a 10 km decoy BB84 link, and
every call to ``advance`` sends the pulses of the elapsed simulated time and reports
how many whole bytes of key they distilled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.protocols.bb84_decoy import DecoyBB84Link, run_decoy_bb84
from qinet.rng import RngTree


@dataclass(frozen=True)
class KmeSpec:
    name: str
    saes: tuple[str, ...]


@dataclass(frozen=True)
class KeyAmount:
    kme_a: str
    kme_b: str
    n_bytes: int


RUN_PULSES = 20_000_000  # one full post-processing block of sifted bits at 10 km


def qkd_key_bits(*, pulses: int = RUN_PULSES, seed: int, length_km: float = 10.0
                 ) -> np.ndarray:
    """Alice's distilled key bits of one decoy BB84 run (equal to Bob's, bit for bit)."""
    link = DecoyBB84Link(WeakCoherentSource(), Fibre(length_km), Detector())
    result = run_decoy_bb84(link, pulses, rng=RngTree(seed))
    assert np.array_equal(result.key_alice, result.key_bob)
    if result.key_alice.size == 0:
        raise RuntimeError(f"the QKD run gave no key: {result.abort_reasons}")
    return np.asarray(result.key_alice, dtype=np.uint8)


def qkd_key_bytes(*, pulses: int = RUN_PULSES, seed: int, length_km: float = 10.0) -> bytes:
    """The key bits of one decoy BB84 run, whole bytes only (numpy.packbits)."""
    bits = qkd_key_bits(pulses=pulses, seed=seed, length_km=length_km)
    return np.packbits(bits[: bits.size // 8 * 8]).tobytes()


class DecoyBB84Supply:
    """One decoy BB84 link per KME pair, run each time enough pulses have been sent."""

    def __init__(self, pairs: list[tuple[str, str]], *, pulse_rate_hz: float = 1e8,
                 run_pulses: int = RUN_PULSES, seed: int = 1) -> None:
        self.pairs = [tuple(sorted(p)) for p in pairs]
        self.pulse_rate_hz = pulse_rate_hz
        self.run_pulses = run_pulses
        self.tree = RngTree(seed)
        self.runs = 0
        self.seconds: list[float] = []
        self._pending_pulses = 0.0
        self._carry = {p: np.zeros(0, dtype=np.uint8) for p in self.pairs}

    def advance(self, seconds: float) -> list[KeyAmount]:
        self.seconds.append(seconds)
        self._pending_pulses += seconds * self.pulse_rate_hz
        batches = []
        while self._pending_pulses >= self.run_pulses:
            self._pending_pulses -= self.run_pulses
            for pair in self.pairs:
                self.runs += 1
                stream = self.tree.generator(f"{pair[0]}-{pair[1]}/{self.runs}")
                bits = np.concatenate([self._carry[pair], qkd_key_bits(
                    pulses=self.run_pulses, seed=int(stream.integers(2**32)))])
                whole = bits.size // 8 * 8
                self._carry[pair] = bits[whole:]
                batches.append(KeyAmount(pair[0], pair[1], whole // 8))
        return batches

