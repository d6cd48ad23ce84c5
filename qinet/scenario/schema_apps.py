"""The scenario's application demands (``kind: app``): node programs run on the network.

These models are imported by :mod:`qinet.scenario.schema`, which puts them among the
demands; the applications are :mod:`qinet.apps`. A ``kind: app`` demand is itself a
union discriminated on ``app``, so each application takes its own fields and refuses
another's by name.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from qinet.scenario.schema import Probability, _Strict

TELEPORT_INPUTS = ("haar", "zero", "one", "plus", "minus", "plus-i", "minus-i")
GATE_INPUTS = ("choi", "basis", "haar")


class _AppDemand(_Strict):
    kind: Literal["app"] = Field(description="app: node programs run over delivered pairs")
    between: tuple[str, str] = Field(
        description="the two nodes: sender and receiver (teleport), control and target "
                    "(cnot, cz)")
    count: Annotated[int, Field(ge=1, le=10**7)] = Field(
        100, description="runs of the application (teleports, gates); one pair each")
    min_fidelity: Probability = Field(
        0.0, description="pairs below this fidelity at delivery are thrown away")


class TeleportAppDemand(_AppDemand):
    """Teleport single-qubit states from the first node to the second."""

    app: Literal["teleport"] = Field(description="teleport: quantum teleportation")
    input: Literal["haar", "zero", "one", "plus", "minus", "plus-i", "minus-i"] = Field(
        "haar", description="the states sent: Haar-random, or one of the six Pauli "
                            "eigenstates (zero, one, plus, minus, plus-i, minus-i)")


class GateAppDemand(_AppDemand):
    """Non-local CNOT or CZ, control at the first node and target at the second."""

    app: Literal["cnot", "cz"] = Field(
        description="cnot or cz: the two-qubit gate made by gate teleportation")
    inputs: Literal["choi", "basis", "haar"] = Field(
        "choi", description="inputs checked: choi (process fidelity), basis (the four "
                            "computational states in turn) or haar (random product states)")


AppDemand = Annotated[TeleportAppDemand | GateAppDemand, Field(discriminator="app")]
"""A ``kind: app`` demand, by its ``app``."""
