"""Distributed circuits on pairs that a simulated network delivers.

:func:`run_distributed_on_network` counts the pairs each link of the circuit needs
(:func:`~qinet.apps.circuits.distribute`), asks the network for that many through the
EPR sockets of :mod:`qinet.apps.sdk` (node programs that take each pair as it arrives),
and runs the circuit with every pair of a link a Werner pair of the link's mean
delivered fidelity. That is the Werner twirl of the delivered pairs, which keeps the
fidelity of each; the split of the remaining weight over Ψ+, Ψ-, Φ- is not carried by
the sockets' records. Pairs enter at their delivery fidelity: their storage while the
circuit's classical messages fly is not added here.

Examples:
    See ``tests/apps/test_circuits_network.py``: a two-node Grover search on the pairs
    of a simulated double-click link.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qinet.apps.circuits import DistributedResult, distribute, run_distributed
from qinet.apps.circuits_qasm import as_circuit
from qinet.apps.sdk import AppRuntime, Event, NodeContext
from qinet.errors import ProtocolError
from qinet.network.manager import EntanglementNetwork
from qinet.rng import RngTree


@dataclass(frozen=True, slots=True)
class NetworkCircuitResult:
    """A distributed circuit on delivered pairs: ``result`` as :func:`run_distributed`
    gives it, and each link's mean delivered fidelity and the time the network took."""

    result: DistributedResult
    link_fidelities: tuple[tuple[str, str, float], ...]
    pairs_delivered: int
    network_time_s: float


def _take_pairs(ctx: NodeContext, *, peer: str, pairs: int) -> Generator[Event, Any, int]:
    """Take ``pairs`` pairs from ``peer`` as they arrive and free each at once."""
    for _ in range(pairs):
        qubit = yield ctx.pair(peer)
        ctx.discard(qubit)
    return pairs


def delivered_fidelities(network: EntanglementNetwork, needs: Mapping[tuple[str, str], int],
                         *, rng: RngTree, min_fidelity: float = 0.0,
                         until_s: float | None = None) -> tuple[dict[tuple[str, str], float],
                                                                 int, float]:
    """Run the network until each link ``(a, b)`` delivered its ``needs[(a, b)]`` pairs.

    Returns:
        The mean delivered fidelity per link, the pairs delivered, and the simulated
        time the run took in seconds.

    Raises:
        ProtocolError: a link got none of its pairs before ``until_s``.
    """
    runtime = AppRuntime(network, rng=rng)
    for (a, b), count in needs.items():
        socket = runtime.connect(a, b, pairs=count, min_fidelity=min_fidelity)
        runtime.program(a, _take_pairs, sockets=(socket,), peer=b, pairs=count)
        runtime.program(b, _take_pairs, sockets=(socket,), peer=a, pairs=count)
    runtime.run(until_s=until_s)
    fidelities: dict[tuple[str, str], float] = {}
    delivered = 0
    for socket in runtime.sockets:
        record = socket.record()
        kept = record.delivered - record.discarded
        if kept < 1:
            raise ProtocolError(f"link {record.between[0]}-{record.between[1]} delivered no "
                                f"pair above fidelity {min_fidelity}")
        fidelities[record.between] = record.fidelity_mean
        delivered += kept
    return fidelities, delivered, runtime.timeline.now_ps * 1e-12


def run_distributed_on_network(circuit: object, nodes: Sequence[str] | Mapping[int, str],
                               network: EntanglementNetwork, *, rng: RngTree,
                               shots: int = 10_000, min_fidelity: float = 0.0,
                               until_s: float | None = None,
                               backend: str = "auto") -> NetworkCircuitResult:
    """Run ``circuit`` over ``nodes`` of ``network`` on the pairs it delivers.

    Args:
        circuit: a Circuit, OpenQASM text or a Qiskit QuantumCircuit.
        nodes: the network node of each qubit.
        network: an entanglement network that has not started.
        rng: the random tree (the network run and the circuit's sampling).
        shots: samples when the circuit run is sampled.
        min_fidelity: the sockets' minimum pair fidelity.
        until_s: stop the network run there.
        backend: "auto", "stabilizer" or "density-matrix".
    """
    logical = as_circuit(circuit)
    body = type(logical)(logical.n_qubits).extend(op for op in logical if op.name != "m")
    plan = distribute(body, nodes, pair_fidelity=1.0)
    needs = {(a, b): count for a, b, count in plan.pairs_by_link}
    fidelities: dict[tuple[str, str], float] = {}
    delivered, time_s = 0, 0.0
    if needs:  # a circuit without non-local gates needs no network run
        fidelities, delivered, time_s = delivered_fidelities(
            network, needs, rng=rng, min_fidelity=min_fidelity, until_s=until_s)
    result = run_distributed(logical, nodes, pair_fidelity=fidelities, shots=shots,
                             rng=rng.generator("apps/circuits/sampling"), backend=backend)
    links = tuple((a, b, f) for (a, b), f in sorted(fidelities.items()))
    return NetworkCircuitResult(result, links, delivered, time_s)
