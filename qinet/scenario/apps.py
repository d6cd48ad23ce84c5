"""Application demands (``kind: app``) made runnable: one runtime of node programs on the
scenario's network and timeline (``teleport``, ``cnot``, ``cz``, ``grover``,
``ghz-modules``), and the applications
computed from the pairs the network delivers (``chsh-randomness``, ``ghz``,
``secret-sharing``, ``circuit``).

Each of the latter asks the network for its pairs, one network demand per pair of nodes it
needs (added after the scenario's own demands and the sockets of the node programs), and
keeps the Bell weights of every pair delivered at or above its ``min_fidelity``. At the
end of the run the application is computed on those states:

* ``chsh-randomness`` measures each delivered pair in one CHSH round: the pairs' own
  Bell weights, one row per pair (:func:`~qinet.apps.crypto.run_chsh_randomness`);
* ``ghz`` and ``secret-sharing`` fuse one pair from the centre to each participant into
  a GHZ state (a star, :mod:`qinet.apps.ghz`); each edge's pair is the **mean Bell
  weights** of the pairs delivered on it, that is the state of a pair drawn at random
  from them (the fidelity is linear in each pair's weights, so this is exact for the mean
  over states whose pairs are drawn independently);
* ``circuit`` runs a distributed circuit (:func:`~qinet.apps.circuits.run_distributed`)
  whose non-local gates use, per pair of nodes, the **mean Bell weights** of the pairs
  delivered between them.

A run of the application (a CHSH round, a GHZ state, a circuit run) needs one pair of
each kind it uses, so the runs completed are the fewest pairs kept on any of its node
pairs (per run used, for circuits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.apps.circuits import DistributedResult, distribute, run_distributed
from qinet.apps.circuits_qasm import as_circuit
from qinet.apps.clock_sync import ClockSyncReport, hub_latencies_s, synchronise_clocks
from qinet.apps.crypto import (
    AuthenticationReport,
    BlindRunReport,
    ChshRandomnessReport,
    SecretSharingReport,
    SignatureRunReport,
    run_authentication,
    run_blind_computation,
    run_chsh_randomness,
    run_secret_sharing,
    run_signatures,
    signature_parameters,
)
from qinet.apps.dqc import TwoModuleResult, TwoModuleSession, setup_two_module
from qinet.apps.durations import OperationTimes
from qinet.apps.ghz import GhzResult, simulate_ghz
from qinet.apps.nonlocal_gates import NonlocalGateResult, NonlocalGateSession, setup_nonlocal_gate
from qinet.apps.sdk import AppRuntime
from qinet.apps.sensing import SensingComparison, compare_phase_sensing
from qinet.apps.teleport import TeleportResult, TeleportSession, input_states, setup_teleportation
from qinet.errors import ConfigError
from qinet.network.manager import EntanglementNetwork
from qinet.quantum.circuit import Circuit
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.schema_apps import (
    AuthenticationAppDemand,
    BlindAppDemand,
    ChshAppDemand,
    CircuitAppDemand,
    ClockSyncAppDemand,
    GhzAppDemand,
    GhzModulesAppDemand,
    GroverAppDemand,
    PairAppDemand,
    PhaseSensingAppDemand,
    ProgramAppDemand,
    SecretSharingAppDemand,
    SignaturesAppDemand,
    TeleportAppDemand,
    qubit_index,
)

FloatArray = NDArray[np.float64]
AppReport = (ChshRandomnessReport | GhzResult | SecretSharingReport | DistributedResult
             | AuthenticationReport | BlindRunReport | SignatureRunReport | SensingComparison
             | ClockSyncReport)


@dataclass(frozen=True, slots=True)
class PairAppResult:
    """What an application computed from delivered pairs did over the run.

    Attributes:
        app: the demand's ``app``.
        nodes: the nodes taking part: the two ends (chsh-randomness, authentication,
            blind), the centre then the participants (ghz, secret-sharing, signatures,
            phase-sensing, clock-sync), each qubit's node in order (circuit).
        runs: runs completed (CHSH rounds, GHZ states, circuit runs, attempts, blind
            computations, signed bits, estimates).
        pairs_used: pairs the runs consumed.
        pair_fidelity_mean: mean fidelity to Φ+ of the pairs kept, at delivery.
        pair_weights: per node pair used, ``(a, b, mean Bell weights (Φ+, Ψ+, Ψ-, Φ-))``.
        completion_time_s: when the last pair asked for was delivered (``None``: not all).
        report: the application's own report (``None`` when it computed nothing).
        note: why it computed nothing (too few pairs, pairs too noisy to sign), or
            ``None``.
        pairs_discarded: pairs delivered below the demand's ``min_fidelity`` and not
            used (they are not replaced: the network is asked for ``count`` runs' pairs).
    """

    app: str
    nodes: tuple[str, ...]
    runs: int
    pairs_used: int
    pair_fidelity_mean: float
    pair_weights: tuple[tuple[str, str, tuple[float, ...]], ...]
    completion_time_s: float | None
    report: AppReport | None
    note: str | None = None
    pairs_discarded: int = 0


@dataclass(slots=True)
class _Kept:
    """The Bell weights of a network demand's pairs kept so far (the log's sink)."""

    min_fidelity: float
    rows: list[FloatArray] = field(default_factory=list)
    discarded: int = 0

    def add(self, states: Any, backend: Any) -> None:
        w = np.asarray(backend.bell_weights(states), dtype=np.float64).reshape(-1, 4)
        keep = w[:, 0] >= self.min_fidelity
        self.discarded += int(keep.size - np.count_nonzero(keep))
        self.rows.append(w[keep])

    def weights(self) -> FloatArray:
        return np.concatenate(self.rows) if self.rows else np.zeros((0, 4))


def _circuit_nodes(demand: CircuitAppDemand, circuit: Circuit) -> tuple[str, ...]:
    """Each qubit's node, from ``qubits: {q[0]: alice, ...}``."""
    by_index = {q: node for name, node in demand.qubits.items()
                if (q := qubit_index(name)) is not None}  # the schema checked the names
    missing = [f"q[{q}]" for q in range(circuit.n_qubits) if q not in by_index]
    if missing:
        raise ConfigError("qubits", f"qubits {missing} of the circuit have no node")
    extra = sorted(q for q in by_index if q >= circuit.n_qubits)
    if extra:
        raise ConfigError("qubits", f"the circuit has {circuit.n_qubits} qubits; no q{extra}")
    return tuple(by_index[q] for q in range(circuit.n_qubits))


class PairApp:
    """One application demand run on the pairs its network demands deliver.

    Raises:
        ConfigError: no path joins two of its nodes (field ``between``, ``participants``
            or ``qubits``), or its circuit cannot be read or placed (``qasm``, ``qubits``).
    """

    def __init__(self, index: int, demand: PairAppDemand, network: EntanglementNetwork,
                 rng: RngTree) -> None:
        self.index, self.spec, self.network, self.rng = index, demand, network, rng
        self.circuit: Circuit | None = None
        per_run: dict[tuple[str, str], int] = {}
        node_field = "between"
        self.nodes: tuple[str, ...]
        if isinstance(demand, CircuitAppDemand):
            try:
                self.circuit = as_circuit(demand.qasm)
            except ConfigError as exc:  # the reader names its input `circuit`
                raise ConfigError("qasm", exc.reason) from None
            self.nodes = _circuit_nodes(demand, self.circuit)
            node_field = "qubits"
            ideal = distribute(self.circuit, self.nodes, pair_fidelity=1.0)
            for a, b, n in ideal.pairs_by_link:
                per_run[(a, b)] = n
        elif isinstance(demand, ChshAppDemand | AuthenticationAppDemand | BlindAppDemand):
            self.nodes = demand.between
            per_run[demand.between] = (
                1 if isinstance(demand, ChshAppDemand)
                else demand.rounds if isinstance(demand, AuthenticationAppDemand)
                else len(demand.angles) + 2 * demand.traps)  # the line's m + 2t qubits
        else:
            self.nodes = demand.nodes
            node_field = "participants"
            each = (2 * demand.length if isinstance(demand, SignaturesAppDemand)
                    else demand.rounds
                    if isinstance(demand, PhaseSensingAppDemand | ClockSyncAppDemand) else 1)
            for p in demand.participants:
                per_run[(demand.centre, p)] = each
        self.per_run = per_run
        self.kept: dict[tuple[str, str], _Kept] = {}
        self.routes = []
        for (a, b), n in per_run.items():
            try:
                route = network.add_demand(a, b, pairs=n * demand.count, keep_pairs=False,
                                           min_fidelity=demand.min_fidelity)
            except ConfigError as exc:
                raise ConfigError(node_field, f"{a}-{b}: {exc.reason}") from None
            kept = self.kept[(a, b)] = _Kept(demand.min_fidelity)
            route.log.sink = kept.add
            self.routes.append(route)

    def result(self) -> PairAppResult:
        """The application on the pairs kept so far."""
        backend = self.network.backend
        for route in self.routes:
            route.log.finish(backend)  # the pairs still waiting reach the sinks
        demand = self.spec
        weights = {key: kept.weights() for key, kept in self.kept.items()}
        runs = min([demand.count] + [len(w) // self.per_run[key] for key, w in weights.items()])
        every = np.concatenate([np.zeros((0, 4)), *weights.values()])  # none: all local
        means = tuple((a, b, tuple(float(x) for x in w.mean(axis=0)) if len(w) else ())
                      for (a, b), w in weights.items())
        done = [route.log.completed_ps for route in self.routes]
        completion = (max(p for p in done if p is not None) * 1e-12
                      if done and all(p is not None for p in done) else None)
        report: AppReport | None = None
        note: str | None = "no run completed: too few pairs kept"
        if runs and not (runs < 2 and isinstance(demand, PhaseSensingAppDemand
                                                 | ClockSyncAppDemand)):
            try:
                report, note = self._report(runs, weights, completion), None
            except ConfigError as exc:  # what the delivered pairs cannot do
                note = str(exc)
        elif runs:
            note = "a spread needs at least 2 estimates: too few pairs kept"
        return PairAppResult(
            app=demand.app, nodes=self.nodes, runs=runs,
            pairs_used=runs * sum(self.per_run.values()),
            pair_fidelity_mean=float(every[:, 0].mean()) if len(every) else float("nan"),
            pair_weights=means, completion_time_s=completion, report=report, note=note,
            pairs_discarded=sum(kept.discarded for kept in self.kept.values()))

    def _report(self, runs: int, weights: dict[tuple[str, str], FloatArray],
                completion_s: float | None) -> AppReport:
        demand = self.spec
        rng = self.rng.generator(f"demand/{self.index}/app")
        mean = {key: w.mean(axis=0) for key, w in weights.items()}
        if isinstance(demand, ChshAppDemand):
            return run_chsh_randomness(weights[demand.between][:runs], rng=rng,
                                       epsilon=demand.epsilon)
        if isinstance(demand, AuthenticationAppDemand):
            return run_authentication(mean[demand.between], rounds=demand.rounds,
                                      tolerated_errors=demand.tolerated_errors, rng=rng,
                                      sessions=runs)
        if isinstance(demand, BlindAppDemand):
            return run_blind_computation([math.radians(a) for a in demand.angles],
                                         weights=mean[demand.between], traps=demand.traps,
                                         runs=runs, rng=rng)
        if isinstance(demand, CircuitAppDemand):
            assert self.circuit is not None
            return run_distributed(self.circuit, self.nodes, pair_weights=mean, shots=runs,
                                   rng=rng)
        star = np.array([mean[(demand.centre, p)] for p in demand.participants])
        if isinstance(demand, GhzAppDemand):
            return simulate_ghz(len(demand.nodes), pair_weights=star, shots=runs, rng=rng)
        if isinstance(demand, SecretSharingAppDemand):
            return run_secret_sharing(parties=len(demand.nodes), rounds=runs, rng=rng,
                                      pair_weights=star, check_fraction=demand.check_fraction,
                                      epsilon=demand.epsilon)
        if isinstance(demand, SignaturesAppDemand):
            # both recipients' pairs together: the scheme takes one state for every pair
            both = np.concatenate([weights[(demand.centre, p)] for p in demand.participants])
            pooled = both.mean(axis=0)
            params = signature_parameters(pooled, length=demand.length)
            return run_signatures(pooled, params=params, trials=runs, rng=rng,
                                  strategy=demand.strategy, altered=demand.altered)
        if isinstance(demand, PhaseSensingAppDemand):
            return compare_phase_sensing(phases_rad=demand.phases, pair_weights=star,
                                         rounds=demand.rounds, trials=runs, rng=rng,
                                         prior_phases_rad=demand.prior_phases)
        latency = hub_latencies_s(self.network.graph, demand.centre)
        t2_s = min(self.network.memories[n].t2_s for n in demand.nodes)
        states = runs * demand.rounds
        return synchronise_clocks(
            offsets_s=demand.offsets, qubit_frequency_hz=demand.qubit_frequency,
            pair_weights=star, rounds=demand.rounds, trials=runs, rng=rng,
            message_latency_s=max(latency[p] for p in demand.participants),
            prior_offsets_s=demand.prior_offsets, t2_s=t2_s,
            interrogation_time_s=demand.interrogation_time,
            ghz_rate_hz=states / completion_s if completion_s else math.inf)

@dataclass(frozen=True, slots=True)
class AppRecord:
    """What one application demand did over the run.

    Attributes:
        index: the demand's place in the scenario's ``demands``.
        spec: the demand.
        result: the application's statistics.
    """

    index: int
    spec: ProgramAppDemand | PairAppDemand
    result: TeleportResult | NonlocalGateResult | TwoModuleResult | PairAppResult


class ScenarioApps:
    """The scenario's application demands on one :class:`~qinet.apps.sdk.AppRuntime`.

    Each program demand opens an EPR socket (a network demand for ``count`` pairs, added
    after the scenario's own demands) and adds its two programs; each demand computed
    from delivered pairs is a :class:`PairApp` (its network demands follow). The timeline is the
    network's; the runtime never stops it (the scenario's run decides when to stop).

    Raises:
        ConfigError: a demand's setup fails (the field named under ``demands[i]``), for
            example a second application between the same two nodes.
    """

    def __init__(self, scenario: schema.Scenario, network: EntanglementNetwork,
                 rng: RngTree) -> None:
        self.runtime = AppRuntime(network, rng=rng, stop_when_done=False)
        self._operation_times(scenario)
        self.sessions: list[tuple[int, ProgramAppDemand,
                                  TeleportSession | NonlocalGateSession
                                  | TwoModuleSession]] = []
        for i, demand in enumerate(scenario.demands):
            if not isinstance(demand, ProgramAppDemand):
                continue
            a, b = demand.between
            inputs = rng.generator(f"demand/{i}/inputs")
            session: TeleportSession | NonlocalGateSession | TwoModuleSession
            try:
                if isinstance(demand, TeleportAppDemand):
                    session = setup_teleportation(
                        self.runtime, a, b, min_fidelity=demand.min_fidelity,
                        states=input_states(demand.input, demand.count, inputs))
                elif isinstance(demand, GroverAppDemand):
                    session = setup_two_module(
                        self.runtime, a, b, circuit="grover", rounds=demand.count,
                        marked=demand.marked, min_fidelity=demand.min_fidelity)
                elif isinstance(demand, GhzModulesAppDemand):
                    session = setup_two_module(
                        self.runtime, a, b, circuit="ghz", rounds=demand.count,
                        qubits_per_module=demand.qubits_per_module,
                        min_fidelity=demand.min_fidelity)
                else:
                    session = setup_nonlocal_gate(
                        self.runtime, a, b, gate=demand.app, rounds=demand.count, rng=inputs,
                        inputs=demand.inputs, min_fidelity=demand.min_fidelity)
            except ConfigError as exc:
                field = "between" if exc.field.startswith("between") else exc.field
                raise ConfigError(f"demands[{i}].{field}", exc.reason) from None
            self.sessions.append((i, demand, session))
        self.pair_apps: list[PairApp] = []
        for i, demand in enumerate(scenario.demands):
            if isinstance(demand, PairAppDemand):
                try:
                    self.pair_apps.append(PairApp(i, demand, network, rng))
                except ConfigError as exc:
                    raise ConfigError(f"demands[{i}].{exc.field}", exc.reason) from None

    def _operation_times(self, scenario: schema.Scenario) -> None:
        """Give each node the durations its program demands name (one set per node)."""
        given: dict[str, tuple[int, OperationTimes]] = {}
        for i, demand in enumerate(scenario.demands):
            if not isinstance(demand, ProgramAppDemand):
                continue
            for node, spec in demand.operation_times.items():
                where = f"demands[{i}].operation_times.{node}"
                times = OperationTimes(single_qubit_gate_s=spec.single_qubit_gate,
                                       two_qubit_gate_s=spec.two_qubit_gate,
                                       measurement_s=spec.measurement)
                if node in given and given[node][1] != times:
                    raise ConfigError(where, f"differs from demands[{given[node][0]}]."
                                      f"operation_times.{node}; a node has one set of "
                                      f"durations")
                try:
                    self.runtime.set_operation_times(node, times)
                except ConfigError as exc:
                    raise ConfigError(where, exc.reason) from None
                given.setdefault(node, (i, times))

    @classmethod
    def of(cls, scenario: schema.Scenario, network: EntanglementNetwork,
           rng: RngTree) -> ScenarioApps | None:
        """The scenario's applications, or ``None`` when it asks for none."""
        if not any(isinstance(d, ProgramAppDemand | PairAppDemand)
                   for d in scenario.demands):
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
        records = [AppRecord(i, spec, session.result()) for i, spec, session in self.sessions]
        records += [AppRecord(app.index, app.spec, app.result()) for app in self.pair_apps]
        return sorted(records, key=lambda r: r.index)
