"""Sifted key cut into blocks, each distilled on its own, and the tally of the blocks.

A run's sifted bits are cut into ``⌊bits / block_size⌋`` blocks (one when the key is
shorter than a block), all of one length to within a bit: the remainder is spread over
them (:func:`block_lengths`). Each block goes through
:func:`~qinet.qkd.postprocessing.pipeline.distill` with its own estimation sample and
its own random streams (named after the block, so a block's result does not depend on
how many blocks came before it). The bits of one party are
the *reference*: error correction brings the other party's bits to them and privacy
amplification hashes them, so the security bound must concern the reference's bits.

Equal blocks, not full blocks and a remainder: the finite-size terms of a block's length
(the estimation sample, log2(1/ε) terms, statistical fluctuations of the decoy bounds)
grow much faster than linearly as a block shrinks, so a remainder of a few percent of
``block_size`` (9.02 M sifted bits in blocks of 1 M leave 23 k) gets a key length of zero
and aborts, and its bits are lost. Spread over the full blocks they add to their keys.
Rounding the count up instead (ten blocks of 902 k for those 9.02 M bits) would abort
nothing either, but every block would pay the finite-size terms at a smaller size: 13 %
less key in that run.

Examples:
    >>> import numpy as np
    >>> from qinet.qkd.postprocessing.privacy_amplification import final_key_length
    >>> from qinet.rng import RngTree
    >>> bits = np.random.default_rng(0).integers(0, 2, 30_000, dtype=np.uint8)
    >>> def length(n, upper, leaked):
    ...     return final_key_length(n, qber_upper=upper, leaked_ec=leaked, epsilon_sec=1e-10,
    ...                             epsilon_cor=1e-15)
    >>> tally = distill_in_blocks(bits, bits.copy(), rng=RngTree(1), stream="doc",
    ...                           block_size=12_000, epsilon_sec=1e-10, epsilon_cor=1e-15,
    ...                           key_length=length)
    >>> tally.blocks, tally.aborted, bool(np.array_equal(tally.key_reference, tally.key_other))
    (2, 0, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.qkd._checks import check_epsilons, check_whole_number
from qinet.qkd.postprocessing.pipeline import distill
from qinet.qkd.postprocessing.privacy_amplification import final_key_length
from qinet.rng import RngTree

_EMPTY = np.zeros(0, dtype=np.uint8)

KeyLength = Callable[[int, float, int], int]
"""``(n, qber_upper, leaked) -> bits``: a block's privacy-amplified length."""


@dataclass(frozen=True, slots=True)
class BlockTally:
    """What the blocks of one key stream gave.

    Attributes:
        key_reference: the reference party's final key, successful blocks concatenated.
        key_other: the other party's final key (equal to the reference's).
        blocks: blocks that entered post-processing.
        aborted: blocks that gave no key.
        reasons: one reason per aborted block.
        leaked_ec: bits disclosed by error correction and verification.
        final_bits: sum of the privacy-amplified lengths of the blocks.
        discarded: reconciled bits thrown away after a failed verification.
        corrected: bits both ends held equal after error correction and verification.
    """

    key_reference: NDArray[np.uint8] = field(default_factory=lambda: _EMPTY)
    key_other: NDArray[np.uint8] = field(default_factory=lambda: _EMPTY)
    blocks: int = 0
    aborted: int = 0
    reasons: tuple[str, ...] = ()
    leaked_ec: int = 0
    final_bits: int = 0
    discarded: int = 0
    corrected: int = 0

    def swapped(self) -> BlockTally:
        """The same tally with the two keys exchanged (for a stream whose reference is Bob)."""
        return BlockTally(self.key_other, self.key_reference, self.blocks, self.aborted,
                          self.reasons, self.leaked_ec, self.final_bits, self.discarded,
                          self.corrected)

    @staticmethod
    def joined(parts: Sequence[BlockTally]) -> BlockTally:
        """The tallies as one, keys in the order given.

        Examples:
            >>> one = BlockTally(np.ones(2, np.uint8), np.ones(2, np.uint8), 1, 0)
            >>> both = BlockTally.joined([one, BlockTally(blocks=1, aborted=1, reasons=("x",))])
            >>> both.key_reference.tolist(), both.blocks, both.aborted, both.reasons
            ([1, 1], 2, 1, ('x',))
        """
        return BlockTally(np.concatenate([_EMPTY, *(t.key_reference for t in parts)]),
                          np.concatenate([_EMPTY, *(t.key_other for t in parts)]),
                          sum(t.blocks for t in parts), sum(t.aborted for t in parts),
                          tuple(r for t in parts for r in t.reasons),
                          sum(t.leaked_ec for t in parts), sum(t.final_bits for t in parts),
                          sum(t.discarded for t in parts), sum(t.corrected for t in parts))

    def result_fields(self) -> dict[str, Any]:
        """The fields of :class:`~qinet.qkd.protocols.result.QkdRunResult` the blocks fill.

        The reference party's key is Alice's (a stream reconciled to Bob is
        :meth:`swapped` first).
        """
        return {"finite_key_bits": self.final_bits, "key_alice": self.key_reference,
                "key_bob": self.key_other, "leaked_ec": self.leaked_ec, "blocks": self.blocks,
                "blocks_aborted": self.aborted, "discarded_bits": self.discarded,
                "abort_reasons": self.reasons, "corrected_bits": self.corrected}


def check_run_options(block_size: int, epsilon_sec: float, epsilon_cor: float,
                      distill_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The options every runner takes, checked; ``distill_options`` as a dict to forward.

    Raises:
        ConfigError: ``block_size`` is not a positive integer, an epsilon outside (0, 1),
            or options that try to set ``key_length``, which the protocol's security
            bound sets.
    """
    check_whole_number("block_size", block_size, least=1)
    check_epsilons(epsilon_sec, epsilon_cor)
    options = dict(distill_options or {})
    if "key_length" in options:
        raise ConfigError("distill_options",
                          "key_length is set by the protocol's security bound")
    return options


def phase_error_key_length(phase_error_upper: float, *, epsilon_sec: float, epsilon_cor: float,
                           secret_share: float | None = None) -> KeyLength:
    """Each block's length when one phase-error bound of the whole run sets it.

    ``ℓ = n s [1 - H2(e_ph)] - leak - log2(2/ε_cor) - 2 log2(1/ε_sec)`` (Tomamichel, Lim,
    Gisin and Renner, Nat. Commun. 3, 634 (2012), eq. 2, through
    :func:`~qinet.qkd.postprocessing.privacy_amplification.final_key_length`), whatever
    the block's own QBER bound: ``e_ph`` bounds the phase error of the bits the proof
    speaks for, a share ``s`` of the block (single photons, say), or all of it when
    ``secret_share`` is None.

    Examples:
        >>> length = phase_error_key_length(0.02, epsilon_sec=1e-10, epsilon_cor=1e-15)
        >>> length(10**6, 0.5, 0)  # the block's QBER bound does not enter
        858442
        >>> phase_error_key_length(0.02, epsilon_sec=1e-10, epsilon_cor=1e-15,
        ...                        secret_share=0.5)(2 * 10**6, 0.5, 0)
        858442
    """
    def key_length(n: int, _qber_upper: float, leaked: int) -> int:
        # the secret share of the sifted bits: a whole number of bits
        bits = n if secret_share is None else int(n * secret_share)
        return final_key_length(bits, qber_upper=phase_error_upper, leaked_ec=leaked,
                                epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
    return key_length


def block_count(bits: int, block_size: int) -> int:
    """Blocks that ``bits`` sifted bits make: ⌊bits / block_size⌋, at least one if bits > 0.

    Examples:
        >>> block_count(0, 10), block_count(7, 10), block_count(19, 10), block_count(20, 10)
        (0, 1, 1, 2)
    """
    return max(bits // block_size, 1) if bits > 0 else 0


def block_lengths(bits: int, block_size: int) -> NDArray[np.int64]:
    """Lengths of the :func:`block_count` blocks of ``bits`` bits, equal to one bit.

    The first ``bits mod k`` blocks hold one bit more than the others.

    Examples:
        >>> block_lengths(25, 10).tolist(), block_lengths(7, 10).tolist()
        ([13, 12], [7])
        >>> block_lengths(0, 10).tolist()
        []
    """
    k = block_count(bits, block_size)
    lengths = np.full(k, bits // k if k else 0, dtype=np.int64)
    lengths[: bits - int(lengths.sum())] += 1
    return lengths


def distill_in_blocks(reference: NDArray[np.uint8], other: NDArray[np.uint8], *, rng: RngTree,
                      stream: str, block_size: int, epsilon_sec: float, epsilon_cor: float,
                      key_length: KeyLength,
                      distill_options: Mapping[str, Any] | None = None,
                      refuse: str = "") -> BlockTally:
    """Distil ``reference``/``other`` block by block.

    Args:
        reference: the bits error correction aims at and privacy amplification hashes.
        other: the other party's bits, same length.
        rng: the run's random tree; block ``i`` takes ``<stream>/block-<i>/shared`` and
            ``<stream>/block-<i>/reference``.
        stream: name of the key stream, the root of its random streams.
        block_size: sifted bits per block (> 0); the remainder is spread over the blocks.
        epsilon_sec: secrecy parameter of each block.
        epsilon_cor: correctness parameter of each block.
        key_length: ``(n, qber_upper, leaked) -> bits``, the protocol's finite-key length.
        distill_options: further keyword arguments of ``distill``, forwarded untouched.
        refuse: when not empty, no block is distilled and each is aborted with this
            reason (a test of the whole run failed).

    Returns:
        The tally of the blocks.

    Raises:
        ConfigError: a bad ``block_size`` or ``distill_options``.
    """
    options = check_run_options(block_size, epsilon_sec, epsilon_cor, distill_options)
    n_blocks = block_count(reference.size, block_size)
    if refuse:
        return BlockTally(blocks=n_blocks, aborted=n_blocks, reasons=(refuse,) * n_blocks)
    keys_ref, keys_other, reasons = [], [], []
    leaked = final_bits = discarded = corrected = 0
    ends = np.cumsum(block_lengths(reference.size, block_size))
    for i in range(n_blocks):
        part = slice(int(ends[i - 1]) if i else 0, int(ends[i]))
        result = distill(reference[part], other[part],
                         rng_shared=rng.generator(f"{stream}/block-{i}/shared"),
                         rng_alice=rng.generator(f"{stream}/block-{i}/reference"),
                         epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
                         key_length=key_length, **options)
        leaked += result.leaked_ec
        discarded += result.discarded
        corrected += result.reconciled
        if result.aborted:
            reasons.append(result.reason)
            continue
        final_bits += result.final_length
        keys_ref.append(result.key_alice)
        keys_other.append(result.key_bob)
    return BlockTally(np.concatenate([_EMPTY, *keys_ref]), np.concatenate([_EMPTY, *keys_other]),
                      n_blocks, len(reasons), tuple(reasons), leaked, final_bits, discarded,
                      corrected)
