"""What every QKD protocol run reports, whatever its optics.

Prepare-and-measure (BB84, decoy BB84, MDI, twin-field) and entanglement-based (BBM92,
E91) runs all end in the same record, so that the scenario layer, the reports and the
key pools treat them alike: statistics of the quantum phase, the estimates the security
proof needs, the keys both ends hold, and what the classical phase disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

_EMPTY = np.zeros(0, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class QkdRunResult:
    """One protocol run: many pulses (or pairs), cut into blocks, distilled block by block.

    Attributes:
        protocol: ``bb84``, ``bb84-decoy``, ``bb84-one-decoy``, ``mdi``, ``tf``, ``sns``,
            ``four-phase``, ``bbm92`` or ``e91``.
        pulses: pulses sent (pairs used for entanglement-based protocols).
        detections: raw detection events that were announced (clicks, Bell-state
            heralds of MDI, single-click heralds of twin-field, measured pairs).
        sifted_bits: bits left after sifting that entered post-processing (key basis,
            key intensity class).
        qber: sifted error rates; ``"Z"`` is the key's wherever the key is the Z basis.
            Per protocol: ``bb84`` and ``bbm92``: ``"Z"``, ``"X"``; ``bb84-decoy``:
            ``"Z"``, ``"X"`` (all classes) and ``"<basis>/<class>"`` (``"Z/signal"``,
            ``"X/decoy"``, ``"Z/vacuum"``, ...); ``mdi``: ``"Z"``, ``"X"`` (signal/signal)
            and ``"<basis>/<Alice's class>/<Bob's class>"`` (``"Z/signal/decoy"``, ...);
            ``tf``: ``"Z"`` (the key: signal, phase-matched) and ``"signal"``,
            ``"decoy"``, ``"vacuum"``; ``e91``: its two key streams, ``"X"`` (both at
            π/2) and ``"D"`` (both at π/4). Classes are ``signal``, ``decoy``, ``vacuum``.
        gains: detections per pulse sent: ``bb84``: ``"signal"``; ``bb84-decoy`` and
            ``tf``: ``"signal"``, ``"decoy"``, ``"vacuum"``; ``mdi``: per basis and pair
            of classes, the keys of its ``qber`` without ``"Z"`` and ``"X"``; none for
            ``bbm92`` and ``e91``.
        estimates: what parameter estimation bounded (``*_lower``, ``*_upper``) and the
            point values behind them:

            * ``bb84``: ``tagged_fraction``, ``single_photon_fraction``,
              ``phase_error_upper``, ``e1_upper``;
            * ``bb84-decoy``: ``y1_lower``, ``e1_upper``, ``q1``,
              ``single_photon_fraction`` and the finite-key bounds of Lim et al. 2014,
              ``s_z0_lower``, ``s_z1_lower``, ``phase_error_upper``;
            * both, when run with an attack: ``eve_known_bits``, ``eve_known_fraction``
              (sifted bits Eve knows), ``plain_key_bits`` and ``plain_key_bits_exposed``
              (the plain BB84 key and how much of it she would know);
            * ``mdi``: ``y11_z_lower``, ``y11_x_lower``, ``e11_x_upper`` (also as
              ``phase_error_upper``), ``single_pair_fraction_lower``, ``s11_lower``,
              ``y11_z``, ``e11_x``;
            * ``tf``: ``y1_lower``, ``y1``, ``q1_lower``, ``phase_error_upper``,
              ``phase_error``;
            * ``four-phase``: ``y00_upper``, ``y11_upper``, ``y02_upper``, ``y20_upper``,
              ``phase_errors_per_pair_upper``, ``phase_error_upper``, ``phase_error``
              (:mod:`qinet.qkd.protocols.four_phase_tf`);
            * ``bbm92``: ``phase_error_upper``;
            * ``e91``: ``chsh``, ``chsh_lower``.
        asymptotic_bits_per_pulse: key rate of the protocol's asymptotic formula
            evaluated on the measured statistics.
        finite_key_bits: key bits the finite-key bound allows for the blocks processed.
        key_alice: Alice's final key, all successful blocks concatenated.
        key_bob: Bob's final key; equal to Alice's bit for bit.
        leaked_ec: bits disclosed by error correction and verification.
        blocks: blocks that entered post-processing.
        blocks_aborted: blocks that produced no key (``abort_reasons`` says why).
        discarded_bits: reconciled bits thrown away after a failed verification.
        abort_reasons: one reason per aborted block.
        transmittance: end-to-end channel transmittance Alice→Bob (detectors excluded),
            the loss against which the PLOB bound is drawn.
        corrected_bits: sifted bits both ends held equal after error correction and
            verification, summed over the blocks (what entered privacy amplification).
    """

    protocol: str
    pulses: int
    detections: int
    sifted_bits: int
    qber: dict[str, float] = field(default_factory=dict)
    gains: dict[str, float] = field(default_factory=dict)
    estimates: dict[str, float] = field(default_factory=dict)
    asymptotic_bits_per_pulse: float = 0.0
    finite_key_bits: int = 0
    key_alice: NDArray[np.uint8] = field(default_factory=lambda: _EMPTY)
    key_bob: NDArray[np.uint8] = field(default_factory=lambda: _EMPTY)
    leaked_ec: int = 0
    blocks: int = 0
    blocks_aborted: int = 0
    discarded_bits: int = 0
    abort_reasons: tuple[str, ...] = ()
    transmittance: float = 1.0
    corrected_bits: int = 0

    @property
    def key_bits(self) -> int:
        """Final key bits held by both ends."""
        return int(self.key_alice.size)

    @property
    def keys_equal(self) -> bool:
        """Whether both ends hold the same key (the simulation's ground truth)."""
        return bool(np.array_equal(self.key_alice, self.key_bob))

    @property
    def secret_bits_per_pulse(self) -> float:
        """Final key bits per pulse sent."""
        return self.key_bits / self.pulses if self.pulses else 0.0
