"""The run shared by the BB84 runners: sample the optics, bound the secrecy, distil by block.

A runner supplies its security analysis as a function of the run's click statistics
(:class:`Security`: the estimates, the asymptotic rate and, for each block, the
finite-size key length given the block's clicks);
everything else (channel sampling in chunks, sifted key cut into blocks, one
:func:`~qinet.qkd.postprocessing.pipeline.distill` per block, the result record) is here.

With an eavesdropper, the run also counts the sifted bits Eve knows (simulation ground
truth) and the key a protocol would have kept had it applied the plain BB84 length
``n (1 - H2(e)) - leak - ...`` to the whole key, as if every pulse were a single photon:
``plain_key_bits``. Of that key Eve knows at least ``plain - (unknown - leak)`` bits,
where ``unknown`` are the bits she does not hold and ``leak`` what error correction
disclosed (leftover hash lemma: no more than the smooth min-entropy can be extracted;
Renner, PhD thesis, ETH Zürich (2005)); that is ``plain_key_bits_exposed``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qinet.qkd.attacks import Attack
from qinet.qkd.postprocessing.privacy_amplification import final_key_length
from qinet.qkd.protocols._bb84_channel import (
    ChannelSampler,
    IntArray,
    LinkStatistics,
    PrepareMeasureLink,
    X,
    Z,
    key_blocks,
    label_counts,
)
from qinet.qkd.protocols._blocks import (
    BlockTally,
    KeyLength,
    check_run_options,
    distill_in_blocks,
)
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree


@dataclass(frozen=True, slots=True)
class Security:
    """What a protocol's security analysis makes of a run's statistics.

    Attributes:
        estimates: the bounds it derived (``y1_lower``, ``e1_upper``, ...).
        asymptotic_bits_per_pulse: its asymptotic formula on the measured statistics.
        block_key_length: given a block's key clicks per ``[class, wrong bit, Eve
            knows]``, its ``(n, qber_upper, leaked) -> bits``.
    """

    estimates: dict[str, float]
    asymptotic_bits_per_pulse: float
    block_key_length: Callable[[IntArray], KeyLength]


def run_prepare_measure(link: PrepareMeasureLink, pulses: int, *, protocol: str,
                        class_names: Sequence[str],
                        security: Callable[[LinkStatistics], Security], rng: RngTree,
                        block_size: int, epsilon_sec: float, epsilon_cor: float,
                        distill_options: Mapping[str, Any] | None,
                        attack: Attack | None) -> QkdRunResult:
    """Send ``pulses`` pulses, estimate, and distil the sifted key block by block.

    Block ``i`` takes the random streams ``<protocol>/block-<i>/...``; the channel takes
    ``<protocol>/channel`` and the key bits ``<protocol>/bits``.
    """
    options = check_run_options(block_size, epsilon_sec, epsilon_cor, distill_options)
    sampler = ChannelSampler(link, attack)
    chunks = sampler.draw_chunks(pulses, rng=rng.generator(f"{protocol}/channel"),
                                 chunk_pulses=sampler.chunk_pulses(block_size))
    stats = LinkStatistics.total(chunks)
    sec = security(stats)
    blocks = key_blocks(chunks, block_size=block_size, rng=rng.generator(f"{protocol}/bits"))
    tallies: list[BlockTally] = []
    plain = _PlainLength(epsilon_sec, epsilon_cor)
    for i, (alice, bob, labels) in enumerate(blocks):
        counts = label_counts(labels, len(class_names))
        plain.start_block(alice.size, int(counts[..., 1].sum()))
        tallies.append(distill_in_blocks(
            alice, bob, rng=rng, stream=f"{protocol}/block-{i}", block_size=block_size,
            epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
            key_length=plain.watching(sec.block_key_length(counts)), distill_options=options))
    estimates = dict(sec.estimates)
    if attack is not None:
        key = stats.key_counts
        estimates["eve_known_bits"] = float(key[..., 1].sum())
        estimates["eve_known_fraction"] = float(key[..., 1].sum() / max(key.sum(), 1))
        estimates["plain_key_bits"] = float(plain.bits)
        estimates["plain_key_bits_exposed"] = float(plain.exposed)
    return QkdRunResult(
        protocol=protocol, pulses=stats.pulses, detections=stats.detections,
        sifted_bits=int(stats.key_counts.sum()), qber=qber_table(stats, class_names),
        gains=dict(zip(class_names, map(float, stats.gains()), strict=True)),
        estimates=estimates, asymptotic_bits_per_pulse=sec.asymptotic_bits_per_pulse,
        transmittance=link.fibre_transmittance, **BlockTally.joined(tallies).result_fields())


def qber_table(stats: LinkStatistics, class_names: Sequence[str]) -> dict[str, float]:
    """``"Z"``, ``"X"`` (all classes) and ``"<basis>/<class>"`` per class."""
    table: dict[str, float] = {}
    for basis, label in ((Z, "Z"), (X, "X")):
        rates = stats.qber(basis)
        table[label] = float(stats.errors(basis).sum() / max(stats.sifted(basis).sum(), 1))
        if len(class_names) > 1:
            table.update({f"{label}/{name}": float(r)
                          for name, r in zip(class_names, rates, strict=True)})
    return table


class _PlainLength:
    """The plain BB84 length of each block, and how much of it Eve would know."""

    def __init__(self, epsilon_sec: float, epsilon_cor: float) -> None:
        self.epsilon_sec, self.epsilon_cor = epsilon_sec, epsilon_cor
        self.bits = 0
        self.exposed = 0.0
        self._size = self._known = 0

    def start_block(self, size: int, known: int) -> None:
        self._size, self._known = size, known

    def watching(self, key_length: KeyLength) -> KeyLength:
        """``key_length`` unchanged, with the plain length of the same block recorded."""
        def length(n: int, qber_upper: float, leaked: int) -> int:
            plain = final_key_length(n, qber_upper=qber_upper, leaked_ec=leaked,
                                     epsilon_sec=self.epsilon_sec,
                                     epsilon_cor=self.epsilon_cor)
            # Eve's bits are spread uniformly, so the estimation sample removed as many
            # of hers, in proportion, as of the others
            unknown = n * (self._size - self._known) / max(self._size, 1)
            self.bits += plain
            self.exposed += max(0.0, plain - max(0.0, unknown - leaked))
            return key_length(n, qber_upper, leaked)
        return length
