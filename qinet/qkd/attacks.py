"""Eavesdroppers on prepare-and-measure links, and the fingerprints they leave.

An attack is a frozen description; the protocol simulation applies it pulse by pulse.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinet.errors import ConfigError


@dataclass(frozen=True, slots=True)
class InterceptResend:
    """Eve measures a share of the pulses at Alice's door and resends what she saw.

    She measures each attacked pulse with a perfect detector in a random basis; when it
    holds at least one photon she sends Bob one photon in her basis and bit, otherwise
    nothing. In the bases Alice and Bob keep she is wrong half the time she chose the
    other basis, so the sifted error rate rises by ``fraction / 4`` (Bennett and
    Brassard 1984; Gisin et al., RMP 74, 145 (2002), sec. VI.A), and the gains of the
    decoy classes no longer scale as ``1 - e^{-ημ}``.

    Attributes:
        fraction: share of pulses attacked, in [0, 1].

    Examples:
        >>> InterceptResend(fraction=1.5)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: fraction: must lie in [0, 1], got 1.5
    """

    fraction: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ConfigError("fraction", f"must lie in [0, 1], got {self.fraction}")
