"""The key network's typed inputs and records: QKD links, consumers, and what a run made.

:class:`QkdLinkStats` merges like a tally (``a + b``), so a link's slices, or the same
link over several runs, add up to one record.

Examples:
    >>> from qinet.qkd.protocols.result import QkdRunResult
    >>> one = QkdLinkStats.of(QkdRunResult("bb84", 100, 10, 4, qber={"Z": 0.02}))
    >>> two = QkdLinkStats.of(QkdRunResult("bb84", 300, 30, 12, qber={"Z": 0.01}))
    >>> total = one + two
    >>> total.pulses, total.sifted_bits, round(total.qber["Z"], 6)
    (400, 16, 0.0125)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from qinet.qkd.pass_link import PassRecord, PassSchedule
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

Runner = Callable[[int, RngTree, int], QkdRunResult]
"""``runner(pulses, rng, block_size)``: one run of a link's protocol."""



@dataclass(frozen=True, slots=True)
class QkdLinkSpec:
    """One QKD link of the key network.

    Attributes:
        between: Alice's node, then Bob's.
        length_km: fibre length.
        delay_ps: flight time of a classical message over the link's fibre.
        source_rate_hz: pulses per second.
        block_size_bits: sifted bits per post-processing block.
        protocol: the protocol's name (``bb84-decoy``, ...).
        runner: runs the protocol on a number of pulses.
        demand: the scenario's demand that set the protocol, if one did.
        attack: the eavesdropper's kind, if there is one.
        passes: for a satellite link, its passes: it sends during them only, and each
            pass's key is distilled when the pass ends (``runner`` is then unused).
    """

    between: tuple[str, str]
    length_km: float
    delay_ps: int
    source_rate_hz: float
    block_size_bits: int
    protocol: str
    runner: Runner
    demand: int | None = None
    attack: str | None = None
    passes: PassSchedule | None = None


@dataclass(frozen=True, slots=True)
class KeyConsumerSpec:
    """A consumer of relayed keys: a key demand, or a pair of key managers.

    Attributes:
        between: source and destination.
        key_size_bits: bits per key.
        rate_hz: keys asked per second, or ``None`` for as many as the pools allow.
        index: the consumer's number in the caller's terms (the scenario's demand index).
    """

    between: tuple[str, str]
    key_size_bits: int
    rate_hz: float | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class RelayedKey:
    """One key taken from the pools for a consumer: how many bits, when it was relayed
    and when the announcements reach the destination."""

    consumer: KeyConsumerSpec
    bits: int
    relayed_ps: int
    arrival_ps: int


def _weighted(a: Mapping[str, float], pa: int, b: Mapping[str, float], pb: int
              ) -> dict[str, float]:
    total = pa + pb
    if not total:
        return dict.fromkeys(sorted({*a, *b}), 0.0)
    return {k: (pa * a.get(k, 0.0) + pb * b.get(k, 0.0)) / total for k in sorted({*a, *b})}


@dataclass(frozen=True, slots=True)
class QkdLinkStats:
    """A QKD link's protocol statistics over any number of slices; ``a + b`` merges two.

    Counts add; ``qber``, ``gains``, ``estimates`` and ``asymptotic_bits_per_pulse`` are
    means weighted by the pulses sent (a figure missing from one side counts as 0 there);
    ``abort_reasons`` counts, per reason, the slices that gave it; ``transmittance`` is
    the first slice's (the channel does not change). ``QkdLinkStats()`` merges as zero.
    """

    slices: int = 0
    pulses: int = 0
    detections: int = 0
    sifted_bits: int = 0
    qber: dict[str, float] = field(default_factory=dict)
    gains: dict[str, float] = field(default_factory=dict)
    estimates: dict[str, float] = field(default_factory=dict)
    asymptotic_bits_per_pulse: float = 0.0
    finite_key_bits: int = 0
    key_bits: int = 0
    keys_equal: bool = True
    leaked_ec_bits: int = 0
    blocks: int = 0
    blocks_aborted: int = 0
    discarded_bits: int = 0
    abort_reasons: dict[str, int] = field(default_factory=dict)
    transmittance: float = 1.0

    @classmethod
    def of(cls, run: QkdRunResult) -> QkdLinkStats:
        """The statistics of one protocol run (one slice)."""
        reasons: dict[str, int] = {}
        for reason in run.abort_reasons:
            reasons[reason] = reasons.get(reason, 0) + 1
        return cls(slices=1, pulses=run.pulses, detections=run.detections,
                   sifted_bits=run.sifted_bits, qber=dict(sorted(run.qber.items())),
                   gains=dict(sorted(run.gains.items())),
                   estimates=dict(sorted(run.estimates.items())),
                   asymptotic_bits_per_pulse=float(run.asymptotic_bits_per_pulse),
                   finite_key_bits=run.finite_key_bits, key_bits=run.key_bits,
                   keys_equal=run.keys_equal, leaked_ec_bits=run.leaked_ec,
                   blocks=run.blocks, blocks_aborted=run.blocks_aborted,
                   discarded_bits=run.discarded_bits, abort_reasons=reasons,
                   transmittance=run.transmittance)

    def __add__(self, other: QkdLinkStats) -> QkdLinkStats:
        if not isinstance(other, QkdLinkStats):
            return NotImplemented
        if not other.slices:
            return self
        if not self.slices:
            return other
        pa, pb = self.pulses, other.pulses
        reasons = dict(self.abort_reasons)
        for reason, count in other.abort_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
        total = pa + pb
        asymptotic = ((pa * self.asymptotic_bits_per_pulse
                       + pb * other.asymptotic_bits_per_pulse) / total if total else 0.0)
        return QkdLinkStats(
            slices=self.slices + other.slices, pulses=total,
            detections=self.detections + other.detections,
            sifted_bits=self.sifted_bits + other.sifted_bits,
            qber=_weighted(self.qber, pa, other.qber, pb),
            gains=_weighted(self.gains, pa, other.gains, pb),
            estimates=_weighted(self.estimates, pa, other.estimates, pb),
            asymptotic_bits_per_pulse=asymptotic,
            finite_key_bits=self.finite_key_bits + other.finite_key_bits,
            key_bits=self.key_bits + other.key_bits,
            keys_equal=self.keys_equal and other.keys_equal,
            leaked_ec_bits=self.leaked_ec_bits + other.leaked_ec_bits,
            blocks=self.blocks + other.blocks,
            blocks_aborted=self.blocks_aborted + other.blocks_aborted,
            discarded_bits=self.discarded_bits + other.discarded_bits,
            abort_reasons=reasons, transmittance=self.transmittance)


@dataclass(frozen=True, slots=True)
class QkdLinkResult:
    """One QKD link over a run: its protocol's statistics and its pool at the end (and,
    for a satellite link, the record of each pass that ended in the run)."""

    link: QkdLinkSpec
    stats: QkdLinkStats
    pool_level_bits: int
    pool_spent_bits: int
    passes: tuple[PassRecord, ...] = ()

    @property
    def name(self) -> str:
        """``alice-bob``."""
        return "-".join(self.link.between)

    @property
    def sending_s(self) -> float:
        """Seconds the source sent pulses."""
        return self.stats.pulses / self.link.source_rate_hz


@dataclass(frozen=True, slots=True)
class KeyDemandResult:
    """What one consumer got over a run.

    Attributes:
        consumer: the consumer.
        requested_ps: when each request was made (consumers with a rate).
        delivered_ps: when each key reached the destination, in the order served.
        latency_ps: per key of a consumer with a rate, from its request to its delivery.
        unserved_requests: requests still waiting for key at the end.
        paths: keys per route (``"a → t → b"``).
        exposed_to: keys each trusted node saw in the clear.
        keys_equal: whether every destination recovered the source's key.
    """

    consumer: KeyConsumerSpec
    requested_ps: NDArray[np.int64]
    delivered_ps: NDArray[np.int64]
    latency_ps: NDArray[np.int64]
    unserved_requests: int
    paths: dict[str, int]
    exposed_to: dict[str, int]
    keys_equal: bool

    @property
    def keys(self) -> int:
        """Keys delivered."""
        return int(self.delivered_ps.size)


@dataclass(frozen=True, slots=True)
class KeyNetworkResult:
    """The key network over a run: per link, per consumer, and keys each node saw."""

    links: tuple[QkdLinkResult, ...]
    demands: tuple[KeyDemandResult, ...]
    keys_seen: dict[str, int]
