"""How a network runs: swapping order, cutoffs, purification, routing, node operations."""

from __future__ import annotations

from dataclasses import dataclass

from qinet.errors import ConfigError
from qinet.network import routing, swapping
from qinet.quantum.backend import PURIFICATION_SCHEMES


@dataclass(frozen=True, slots=True)
class NodeOperations:
    """A repeater's local operations.

    Attributes:
        swap_success: probability that a Bell-state measurement succeeds (1 for
            deterministic gates on spins or ions, 1/2 for linear optics).
        gate_depolarizing: two-qubit depolarising probability of the measurement's gate
            (also used for the purification gates).
        measurement_error: flip probability of each measured bit.
    """

    swap_success: float = 1.0
    gate_depolarizing: float = 0.0
    measurement_error: float = 0.0

    def __post_init__(self) -> None:
        for name in ("swap_success", "gate_depolarizing", "measurement_error"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(name, f"must lie in [0, 1], got {value}")


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    """The network-wide protocol choices.

    Attributes:
        swapping: ``asap`` or ``nested``.
        cutoff_s: a qubit older than this is discarded (``None``: never).
        purification: ``bbpssw``, ``dejmps`` or ``None``; applied to link pairs.
        purification_rounds: rounds each link pair passes before it may be swapped.
        pumping: purify a kept pair with fresh link pairs (entanglement pumping) instead
            of pairing equals (recurrence).
        routing: a policy of :mod:`qinet.network.routing`.
        k_paths: candidate paths for ``k-shortest`` routing.
    """

    swapping: str = "asap"
    cutoff_s: float | None = None
    purification: str | None = None
    purification_rounds: int = 0
    pumping: bool = False
    routing: str = "shortest"
    k_paths: int = 3

    def __post_init__(self) -> None:
        if self.swapping not in swapping.POLICIES:
            raise ConfigError("policy.swapping", f"unknown swapping {self.swapping!r}; use "
                                                 f"one of {', '.join(swapping.POLICIES)}")
        if self.routing not in routing.POLICIES:
            raise ConfigError("policy.routing", f"unknown routing {self.routing!r}; use one "
                                                f"of {', '.join(routing.POLICIES)}")
        if self.purification is not None and self.purification not in PURIFICATION_SCHEMES:
            raise ConfigError("policy.purification.scheme",
                              f"unknown scheme {self.purification!r}; use one of "
                              f"{', '.join(PURIFICATION_SCHEMES)}")
        if self.cutoff_s is not None and self.cutoff_s <= 0:
            raise ConfigError("policy.cutoff", f"must be positive, got {self.cutoff_s} s")
