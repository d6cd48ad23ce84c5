"""The scenario's application demands (``kind: app``): node programs run on the network.

These models are imported by :mod:`qinet.scenario.schema`, which puts them among the
demands; the applications are :mod:`qinet.apps`. A ``kind: app`` demand is itself a
union discriminated on ``app``, so each application takes its own fields and refuses
another's by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from qinet.errors import ConfigError
from qinet.scenario.schema import (
    OpenProbability,
    PositiveFrequencyHz,
    Probability,
    TimeS,
    _quantity,
    _Strict,
)

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


class OperationTimesSpec(_Strict):
    """How long one node's local operations take in the node programs (each 0 s by
    default: instantaneous); the node's qubits decay in memory meanwhile (docs/apps.md)."""

    single_qubit_gate: TimeS = Field(0.0, description="duration of a single-qubit gate (s)")
    two_qubit_gate: TimeS = Field(0.0, description="duration of a two-qubit gate (s)")
    measurement: TimeS = Field(0.0, description="duration of a measurement (s)")


class _ProgramAppDemand(_AppDemand):
    operation_times: dict[str, OperationTimesSpec] = Field(
        default_factory=dict,
        description="durations of local operations by node, e.g. {alice: {two_qubit_gate: "
                    "100 us, measurement: 300 us}}; a node not named, or named by no "
                    "demand, operates instantaneously; a node named by two program "
                    "demands must get the same durations from both")


class TeleportAppDemand(_ProgramAppDemand):
    """Teleport single-qubit states from the first node to the second."""

    app: Literal["teleport"] = Field(description="teleport: quantum teleportation")
    input: Literal["haar", "zero", "one", "plus", "minus", "plus-i", "minus-i"] = Field(
        "haar", description="the states sent: Haar-random, or one of the six Pauli "
                            "eigenstates (zero, one, plus, minus, plus-i, minus-i)")


class GateAppDemand(_ProgramAppDemand):
    """Non-local CNOT or CZ, control at the first node and target at the second."""

    app: Literal["cnot", "cz"] = Field(
        description="cnot or cz: the two-qubit gate made by gate teleportation")
    inputs: Literal["choi", "basis", "haar"] = Field(
        "choi", description="inputs checked: choi (process fidelity), basis (the four "
                            "computational states in turn) or haar (random product states)")


class GroverAppDemand(_ProgramAppDemand):
    """Grover's search on two qubits, one at each node (module), both CZs teleported
    (Main et al. 2025)."""

    app: Literal["grover"] = Field(
        description="grover: two-module Grover search with teleported CZs")
    count: Annotated[int, Field(ge=1, le=10**6)] = Field(
        100, description="searches run, one after the other; two pairs each")
    marked: tuple[Annotated[int, Field(ge=0, le=1)], Annotated[int, Field(ge=0, le=1)]] = Field(
        (1, 1), description="the item searched for: the first node's bit, the second's")


class GhzModulesAppDemand(_ProgramAppDemand):
    """A GHZ state over two modules: the first node's qubits, then the second's, joined by
    one teleported CNOT."""

    app: Literal["ghz-modules"] = Field(
        description="ghz-modules: a GHZ state over two modules joined by a teleported CNOT")
    count: Annotated[int, Field(ge=1, le=10**6)] = Field(
        100, description="GHZ states made, one after the other; one pair each")
    qubits_per_module: Annotated[int, Field(ge=1, le=3)] = Field(
        2, description="qubits of the GHZ state at each node")


ProgramAppDemand = TeleportAppDemand | GateAppDemand | GroverAppDemand | GhzModulesAppDemand
"""The applications run as node programs on the scenario's runtime."""


SignedTimeS = Annotated[float, *_quantity("time_s")]
"""A time with its unit that may be negative (a clock's offset)."""


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


class AuthenticationAppDemand(_AppDemand):
    """The second node proves to the first that it holds their pairs: a challenge in a
    random basis, Z or X, per pair."""

    app: Literal["authentication"] = Field(
        description="authentication: challenge-response on pre-shared pairs (the first "
                    "node verifies, the second proves)")
    count: Annotated[int, Field(ge=1, le=10**7)] = Field(
        100, description="authentication attempts; `rounds` pairs each")
    rounds: Annotated[int, Field(ge=1, le=10**5)] = Field(
        20, description="challenges (pairs) per attempt")
    tolerated_errors: Annotated[int, Field(ge=0)] = Field(
        0, description="the most wrong answers the verifier accepts in an attempt")


class BlindAppDemand(_AppDemand):
    """Blind computation with traps: the first node (the client) prepares the second's
    (the server's) qubits by measuring its halves of the pairs."""

    app: Literal["blind"] = Field(
        description="blind: universal blind quantum computation with traps (Broadbent, "
                    "Fitzsimons, Kashefi 2009; Fitzsimons, Kashefi 2017)")
    count: Annotated[int, Field(ge=1, le=10**6)] = Field(
        100, description="blind computations; `m + 2 traps` pairs each (m angles)")
    angles: list[Annotated[float, Field(ge=-360.0, le=360.0)]] = Field(
        description="the measurement angles of the computation's line pattern, in degrees, "
                    "each a multiple of 45")
    traps: Annotated[int, Field(ge=1, le=1000)] = Field(
        1, description="trap qubits per computation")

    @field_validator("angles")
    @classmethod
    def _eighths(cls, value: list[float]) -> list[float]:
        if not value:
            raise ValueError("needs at least one angle")
        for a in value:
            if abs(a / 45.0 - round(a / 45.0)) > 1e-9:
                raise ValueError(f"{a:g} is not a multiple of 45 degrees")
        return value


class SignaturesAppDemand(_GroupAppDemand):
    """The centre signs one-bit messages to two recipients with BB84 states prepared from
    its pairs with each (Amiri, Wallden, Kent, Andersson 2016)."""

    app: Literal["signatures"] = Field(
        description="signatures: quantum digital signatures, the centre signing to the two "
                    "participants")
    count: Annotated[int, Field(ge=1, le=10**5)] = Field(
        10, description="bits signed; 2 `length` pairs from the centre to each recipient each")
    length: Annotated[int, Field(ge=2, le=10**6)] = Field(
        1000, description="L, pairs per recipient per possible message (even)")
    strategy: Literal["honest", "repudiate", "forge"] = Field(
        "honest", description="honest parties, a signer who repudiates (alters `altered` "
                              "declared states), or a recipient who forges")
    altered: Annotated[int, Field(ge=0)] = Field(
        0, description="declared states a repudiating signer alters")

    @field_validator("participants")
    @classmethod
    def _two_recipients(cls, value: list[str]) -> list[str]:
        if len(value) != 2:
            raise ValueError(f"signatures need exactly two recipients, got {value}")
        return value

    @field_validator("length")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise ValueError(f"must be even (each recipient keeps half), got {value}")
        return value


def _one_per_node(value: list[float] | None, info: ValidationInfo) -> list[float] | None:
    """One value per node of the GHZ state (the centre, then the participants)."""
    participants = info.data.get("participants")
    if value is not None and participants is not None and len(value) != len(participants) + 1:
        raise ValueError(f"needs one value per node (the centre and {len(participants)} "
                         f"participants: {len(participants) + 1}), got {len(value)}")
    return value


class _SensingAppDemand(_GroupAppDemand):
    count: Annotated[int, Field(ge=2, le=10**5)] = Field(
        100, description="estimates, for the sampled spread; `rounds` GHZ states each")
    rounds: Annotated[int, Field(ge=1, le=10**6)] = Field(
        100, description="parity measurements (GHZ states) per estimate")


class PhaseSensingAppDemand(_SensingAppDemand):
    """Estimate the average of the phases the nodes pick up, with a GHZ state over the
    centre and its participants, against as many independent qubits."""

    app: Literal["phase-sensing"] = Field(
        description="phase-sensing: distributed phase sensing on GHZ states")
    phases: list[float] = Field(
        description="the phase each node picks up (rad), the centre's first")
    prior_phases: list[float] | None = Field(
        None, description="the phases known beforehand (rad), the operating point; 0 if "
                          "not given")

    _one_phase_per_node = field_validator("phases", "prior_phases")(
        classmethod(lambda cls, value, info: _one_per_node(value, info)))


class ClockSyncAppDemand(_SensingAppDemand):
    """Read the mean offset of the nodes' clocks from GHZ parities (Jozsa et al. 2000;
    Komar et al. 2014), against comparing each clock on its own."""

    app: Literal["clock-sync"] = Field(
        description="clock-sync: clock synchronisation on GHZ states")
    offsets: list[SignedTimeS] = Field(
        description="each node's clock offset from the reference time, the centre's first")
    prior_offsets: list[SignedTimeS] | None = Field(
        None, description="the offsets known beforehand (classical time transfer); 0 if "
                          "not given")
    qubit_frequency: PositiveFrequencyHz = Field(
        description="transition frequency of the clock qubits")
    interrogation_time: TimeS = Field(
        0.0, description="time each qubit dephases per round (with the nodes' memory T2)")

    _one_offset_per_node = field_validator("offsets", "prior_offsets")(
        classmethod(lambda cls, value, info: _one_per_node(value, info)))


MultiNodeAppDemand = (GhzAppDemand | SecretSharingAppDemand | SignaturesAppDemand
                      | PhaseSensingAppDemand | ClockSyncAppDemand | CircuitAppDemand)
"""The applications whose nodes are not a ``between`` pair."""

PairAppDemand = (ChshAppDemand | GhzAppDemand | SecretSharingAppDemand | CircuitAppDemand
                 | AuthenticationAppDemand | BlindAppDemand | SignaturesAppDemand
                 | PhaseSensingAppDemand | ClockSyncAppDemand)
"""The applications computed from the delivered pairs' states at the run's end."""

AppDemand = Annotated[TeleportAppDemand | GateAppDemand | GroverAppDemand
                      | GhzModulesAppDemand | ChshAppDemand | GhzAppDemand
                      | SecretSharingAppDemand | CircuitAppDemand | AuthenticationAppDemand
                      | BlindAppDemand | SignaturesAppDemand | PhaseSensingAppDemand
                      | ClockSyncAppDemand, Field(discriminator="app")]
"""A ``kind: app`` demand, by its ``app``."""


def pair_app_node_problems(demand: MultiNodeAppDemand, where: str, seen: set[str], known: str,
                           joined: Callable[[str, str], bool]) -> list[ConfigError]:
    """Node names of an application demand that name no node, or that no path of
    entanglement links joins to the node they share pairs with."""
    problems: list[ConfigError] = []
    if isinstance(demand, CircuitAppDemand):
        named = [(f"qubits.{q}", n) for q, n in demand.qubits.items()]
    else:
        named = [("centre", demand.centre)] + [
            (f"participants[{j}]", p) for j, p in enumerate(demand.participants)]
    for name, node in named:
        if node not in seen:
            problems.append(ConfigError(f"{where}.{name}",
                                        f"unknown node {node!r}; nodes are {known}"))
    if problems or isinstance(demand, CircuitAppDemand):
        return problems
    if demand.centre in demand.participants:
        return [ConfigError(f"{where}.participants", f"the centre {demand.centre!r} is not "
                                                      f"a participant")]
    for j, p in enumerate(demand.participants):
        if not joined(demand.centre, p):
            problems.append(ConfigError(f"{where}.participants[{j}]", f"no path of "
                                        f"entanglement links joins {demand.centre} and {p}"))
    return problems
