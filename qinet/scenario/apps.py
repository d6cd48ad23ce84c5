"""Application demands (``kind: app``) made runnable: one runtime of node programs on the
scenario's network and timeline."""

from __future__ import annotations

from dataclasses import dataclass

from qinet.apps.nonlocal_gates import NonlocalGateResult, NonlocalGateSession, setup_nonlocal_gate
from qinet.apps.sdk import AppRuntime
from qinet.apps.teleport import TeleportResult, TeleportSession, input_states, setup_teleportation
from qinet.errors import ConfigError
from qinet.network.manager import EntanglementNetwork
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.schema_apps import GateAppDemand, TeleportAppDemand


@dataclass(frozen=True, slots=True)
class AppRecord:
    """What one application demand did over the run.

    Attributes:
        index: the demand's place in the scenario's ``demands``.
        spec: the demand.
        result: the application's statistics.
    """

    index: int
    spec: TeleportAppDemand | GateAppDemand
    result: TeleportResult | NonlocalGateResult


class ScenarioApps:
    """The scenario's application demands on one :class:`~qinet.apps.sdk.AppRuntime`.

    Each demand opens an EPR socket (a network demand for ``count`` pairs, added after
    the scenario's own demands) and adds its two programs. The timeline is the
    network's; the runtime never stops it (the scenario's run decides when to stop).

    Raises:
        ConfigError: a demand's setup fails (the field named under ``demands[i]``), for
            example a second application between the same two nodes.
    """

    def __init__(self, scenario: schema.Scenario, network: EntanglementNetwork,
                 rng: RngTree) -> None:
        self.runtime = AppRuntime(network, rng=rng, stop_when_done=False)
        self.sessions: list[tuple[int, TeleportAppDemand | GateAppDemand,
                                  TeleportSession | NonlocalGateSession]] = []
        for i, demand in enumerate(scenario.demands):
            if not isinstance(demand, TeleportAppDemand | GateAppDemand):
                continue
            a, b = demand.between
            inputs = rng.generator(f"demand/{i}/inputs")
            session: TeleportSession | NonlocalGateSession
            try:
                if isinstance(demand, TeleportAppDemand):
                    session = setup_teleportation(
                        self.runtime, a, b, min_fidelity=demand.min_fidelity,
                        states=input_states(demand.input, demand.count, inputs))
                else:
                    session = setup_nonlocal_gate(
                        self.runtime, a, b, gate=demand.app, rounds=demand.count, rng=inputs,
                        inputs=demand.inputs, min_fidelity=demand.min_fidelity)
            except ConfigError as exc:
                field = "between" if exc.field.startswith("between") else exc.field
                raise ConfigError(f"demands[{i}].{field}", exc.reason) from None
            self.sessions.append((i, demand, session))

    @classmethod
    def of(cls, scenario: schema.Scenario, network: EntanglementNetwork,
           rng: RngTree) -> ScenarioApps | None:
        """The scenario's applications, or ``None`` when it asks for none."""
        if not any(isinstance(d, TeleportAppDemand | GateAppDemand) for d in scenario.demands):
            return None
        return cls(scenario, network, rng)

    @property
    def running(self) -> bool:
        """Whether a program still runs."""
        return self.runtime.running > 0

    def start(self) -> None:
        """Start every program (the network is started by its owner)."""
        self.runtime.start(start_network=False)

    def records(self) -> list[AppRecord]:
        """Each application's statistics so far, in the file's order."""
        return [AppRecord(i, spec, session.result()) for i, spec, session in self.sessions]
