"""The scenario's application demands (``kind: app``): node programs run on the network.

These models are imported by :mod:`qinet.scenario.schema`, which puts them among the
demands; the applications are :mod:`qinet.apps`. A ``kind: app`` demand is itself a
union discriminated on ``app``, so each application takes its own fields and refuses
another's by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field, field_validator

from qinet.errors import ConfigError
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


OpenProbability = Annotated[float, Field(gt=0.0, lt=1.0)]


class ChshAppDemand(_AppDemand):
    """Device-independent randomness from a CHSH test on the delivered pairs."""

    app: Literal["chsh-randomness"] = Field(
        description="chsh-randomness: randomness certified by a CHSH test (one pair a round)")
    epsilon: OpenProbability = Field(
        1e-6, description="probability that the certified CHSH lower bound fails, in (0, 1)")


class _GroupAppDemand(_Strict):
    """An application on a GHZ state fused from pairs between a centre and each of its
    participants (a star)."""

    kind: Literal["app"] = Field(description="app: node programs run over delivered pairs")
    centre: str = Field(description="the node that shares a pair with every participant "
                                    "and fuses them into a GHZ state")
    participants: list[str] = Field(description="the other nodes of the GHZ state")
    count: Annotated[int, Field(ge=1, le=10**7)] = Field(
        100, description="GHZ states made; one pair from the centre to each participant each")
    min_fidelity: Probability = Field(
        0.0, description="pairs below this fidelity at delivery are thrown away")

    @field_validator("participants")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"names a node twice: {value}")
        if not value:
            raise ValueError("needs at least one node")
        return value

    @property
    def nodes(self) -> tuple[str, ...]:
        """The centre, then the participants (GHZ qubit 0 is the centre's)."""
        return (self.centre, *self.participants)


class GhzAppDemand(_GroupAppDemand):
    """GHZ states over the centre and its participants, fused from Bell pairs."""

    app: Literal["ghz"] = Field(description="ghz: GHZ states fused from Bell pairs")
    shots: Annotated[int, Field(ge=1, le=10**7)] = Field(
        10_000, description="samples of the fused state when its pairs are noisy")


class SecretSharingAppDemand(_GroupAppDemand):
    """The centre (the dealer) shares random bits among the participants over GHZ states."""

    app: Literal["secret-sharing"] = Field(
        description="secret-sharing: GHZ secret sharing, the centre as dealer (Hillery, "
                    "Bužek, Berthiaume 1999)")
    check_fraction: OpenProbability = Field(
        0.5, description="share of the kept rounds announced to estimate the error rate")
    epsilon: OpenProbability = Field(
        1e-6, description="false-abort probability of the error-rate threshold")

    @field_validator("participants")
    @classmethod
    def _shareholders(cls, value: list[str]) -> list[str]:
        if len(value) < 2:
            raise ValueError(f"secret sharing needs at least two shareholders, got {value}")
        return value


class CircuitAppDemand(_Strict):
    """A circuit whose qubits sit at network nodes, its non-local gates paid for with
    delivered pairs."""

    kind: Literal["app"] = Field(description="app: node programs run over delivered pairs")
    app: Literal["circuit"] = Field(
        description="circuit: a distributed circuit from OpenQASM 2 or 3")
    qasm: str = Field(description="the circuit: OpenQASM text, or the path of a .qasm file "
                                  "relative to the scenario file")
    qubits: dict[str, str] = Field(
        description="the node of each qubit: {q[0]: alice, q[1]: bob, ...}")
    count: Annotated[int, Field(ge=1, le=10**7)] = Field(
        1000, description="pairs asked of each link the circuit's non-local gates use")
    shots: Annotated[int, Field(ge=1, le=10**7)] = Field(
        10_000, description="samples of the circuit when its pairs are noisy")
    min_fidelity: Probability = Field(
        0.0, description="pairs below this fidelity at delivery are thrown away")

    @field_validator("qubits")
    @classmethod
    def _qubit_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if qubit_index(name) is None:
                raise ValueError(f"{name!r} is not a qubit such as q[0]")
        return value


def qubit_index(name: str) -> int | None:
    """The index of a qubit named ``q[i]`` (any register name; one register), or ``None``.

    Examples:
        >>> qubit_index("q[3]"), qubit_index("q3")
        (3, None)
    """
    head, bracket, rest = name.strip().partition("[")
    if not bracket or not head.isidentifier() or not rest.endswith("]") \
            or not rest[:-1].isdigit():
        return None
    return int(rest[:-1])


PairAppDemand = ChshAppDemand | GhzAppDemand | SecretSharingAppDemand | CircuitAppDemand
"""The applications computed from the delivered pairs' states at the run's end."""

AppDemand = Annotated[TeleportAppDemand | GateAppDemand | ChshAppDemand | GhzAppDemand
                      | SecretSharingAppDemand | CircuitAppDemand, Field(discriminator="app")]
"""A ``kind: app`` demand, by its ``app``."""


def pair_app_node_problems(demand: PairAppDemand, where: str, seen: set[str], known: str,
                           joined: Callable[[str, str], bool]) -> list[ConfigError]:
    """Node names of an application demand that name no node, or that no path of
    entanglement links joins to the node they share pairs with."""
    problems: list[ConfigError] = []
    if isinstance(demand, GhzAppDemand | SecretSharingAppDemand):
        named = [("centre", demand.centre)] + [
            (f"participants[{j}]", p) for j, p in enumerate(demand.participants)]
    elif isinstance(demand, CircuitAppDemand):
        named = [(f"qubits.{q}", n) for q, n in demand.qubits.items()]
    else:
        named = [(f"between[{j}]", n) for j, n in enumerate(demand.between)]
    for name, node in named:
        if node not in seen:
            problems.append(ConfigError(f"{where}.{name}",
                                        f"unknown node {node!r}; nodes are {known}"))
    if problems or not isinstance(demand, GhzAppDemand | SecretSharingAppDemand):
        return problems
    if demand.centre in demand.participants:
        return [ConfigError(f"{where}.participants", f"the centre {demand.centre!r} is not "
                                                      f"a participant")]
    for j, p in enumerate(demand.participants):
        if not joined(demand.centre, p):
            problems.append(ConfigError(f"{where}.participants[{j}]", f"no path of "
                                        f"entanglement links joins {demand.centre} and {p}"))
    return problems
