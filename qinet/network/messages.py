"""Messages of the network layer, one frozen dataclass per kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SwapOutcome:
    """A repeater's Bell-state-measurement result, sent to both ends of the path.

    The ends apply the Pauli frame only when every outcome of their pair has arrived.

    Attributes:
        demand: the demand's index.
        position: the repeater's position on the path.
        product: the pair the swap made (the simulator's handle; a real message carries
            the two outcome bits and the swap's identifier).
        success: whether the measurement heralded.
    """

    demand: int
    position: int
    product: Any
    success: bool


@dataclass(frozen=True, slots=True)
class PurificationOutcome:
    """Both ends' parity results of one purification round, exchanged over the span.

    Attributes:
        demand: the demand's index.
        segment: the link's position on the path.
        pair: the kept pair (the simulator's handle).
        success: whether the two parities agreed.
    """

    demand: int
    segment: int
    pair: Any
    success: bool
