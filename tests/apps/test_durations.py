"""Local operations that take time: the node is busy, the program's clock moves, and the
qubits it holds decay meanwhile (closed forms in :mod:`qinet.apps.durations`)."""

import numpy as np
import pytest

from qinet.apps.durations import (
    OperationTimes,
    plus_state_fidelity,
    werner_fidelity_after_depolarizing,
)
from qinet.apps.sdk import AppRuntime, clifford
from qinet.errors import ConfigError
from qinet.physical.memories import QuantumMemory
from qinet.quantum.bell_diagonal import BellDiagonalBackend
from qinet.rng import RngTree

from .conftest import chain_network

PLUS = np.array([1, 1]) / np.sqrt(2)
PHI_PLUS = np.array([1, 0, 0, 1]) / np.sqrt(2)


def _runtime(memory: QuantumMemory, times: OperationTimes, *, backend="auto"):
    sim = chain_network(1)
    for node in ("n0", "n1"):  # the memories under test, in place of the scenario's
        sim.network.memories[node] = memory
    return AppRuntime(sim.network, rng=RngTree(4), backend=backend,
                      operation_times={"n0": times})


@pytest.mark.parametrize("t1_s", [float("inf"), 3e-3])
def test_a_stored_plus_state_dephases_through_the_nodes_gates_exactly(t1_s):
    # |+> waits through 7 gates of 100 us on another qubit: fidelity (1 + e^{-t/T2})/2
    # with t = 0.7 ms, exact on the density-matrix register
    t2_s, gate_s, gates = 1e-3, 100e-6, 7
    runtime = _runtime(QuantumMemory(t1_s=t1_s, t2_s=t2_s),
                       OperationTimes(single_qubit_gate_s=gate_s))

    def program(ctx):
        stored = ctx.new_qubit(PLUS)
        other = ctx.new_qubit()
        for _ in range(gates):
            ctx.apply("x", other)
        return ctx.now_ps, ctx.fidelity(stored, PLUS)
        yield

    ctx = runtime.program("n0", program)
    runtime.run()
    now_ps, fidelity = ctx.value
    assert now_ps == gates * round(gate_s * 1e12)
    assert fidelity == pytest.approx(plus_state_fidelity(gates * gate_s, t2_s=t2_s),
                                     abs=1e-12)


def test_an_excited_qubit_relaxes_through_the_nodes_measurements_exactly():
    # |1> waits through 4 measurements of 250 us: P(1) = e^{-t/T1}, t = 1 ms, exact
    t1_s, meas_s = 2e-3, 250e-6
    runtime = _runtime(QuantumMemory(t1_s=t1_s, t2_s=2 * t1_s),
                       OperationTimes(measurement_s=meas_s))

    def program(ctx):
        stored = ctx.new_qubit([0, 1])
        for _ in range(4):
            ctx.measure(ctx.new_qubit())
        return ctx.fidelity(stored, [0, 1])
        yield

    ctx = runtime.program("n0", program)
    runtime.run()
    assert ctx.value == pytest.approx(np.exp(-4 * meas_s / t1_s), abs=1e-12)


def test_a_held_werner_pair_depolarises_through_the_nodes_gates():
    # T1 = T2 = T: the stabilizer register's decay is depolarising; both halves wait t,
    # so F -> 1/4 + (F - 1/4) e^{-2t/T}. Each round's reading is 0 or 1: 5 sigma of n
    t_s, gate_s, gates, f0, rounds = 2e-3, 50e-6, 10, 0.9, 3000
    runtime = _runtime(QuantumMemory(t1_s=t_s, t2_s=t_s),
                       OperationTimes(two_qubit_gate_s=gate_s), backend="stabilizer")
    socket = runtime.connect("n0", "n1", pairs=rounds)
    backend = BellDiagonalBackend()
    q = (1 - f0) / 3
    period_ps = 10**9  # 1 ms between pairs: longer than a round's gates
    for k in range(rounds):
        runtime.timeline.schedule_at((k + 1) * period_ps, socket.offer,
                                     backend.from_bell_weights([[f0, q, q, q]]), backend)
    bob_halves = {}

    @clifford
    def bob(ctx):
        while True:
            half = yield ctx.pair("n0")
            bob_halves[half.pair] = half

    @clifford
    def alice(ctx):
        for _ in range(rounds):
            half = yield ctx.pair("n1")
            a, b = ctx.new_qubit(), ctx.new_qubit()
            for _ in range(gates):
                ctx.apply("cnot", a, b)
            ctx.record("waited_s", (ctx.now_ps - half.delivered_ps) * 1e-12)
            other = bob_halves.get(half.pair)
            if other is None:  # Bob's half comes at the same instant, after Alice's
                yield ctx.wait(0.0)
                other = bob_halves[half.pair]
            ctx.record("fidelity", ctx.fidelity((half, other), PHI_PLUS))
            for qubit in (a, b, half):
                ctx.discard(qubit)

    runtime.program("n1", bob)
    program = runtime.program("n0", alice)
    runtime.start(start_network=False)
    runtime.resume()
    waited = np.array(program.records["waited_s"])
    assert waited == pytest.approx(gates * gate_s)
    f = werner_fidelity_after_depolarizing(f0, 2 * gates * gate_s, t_s=t_s)
    readings = np.array(program.records["fidelity"])
    assert abs(readings.mean() - f) < 5 * np.sqrt(f * (1 - f) / rounds)


def test_messages_leave_when_the_operations_before_them_end():
    sim = chain_network(1, length_km=2.0)
    delay = sim.network.graph.edges["n0", "n1"]["delay_ps"]
    runtime = AppRuntime(sim.network, rng=RngTree(1), operation_times={
        "n0": OperationTimes(two_qubit_gate_s=100e-6, measurement_s=300e-6)})

    def alice(ctx):
        a, b = ctx.new_qubit(), ctx.new_qubit()
        ctx.apply("cnot", a, b)
        ctx.send("n1", ctx.measure(a))
        yield ctx.wait(1e-6)
        return ctx.now_ps

    def bob(ctx):
        yield ctx.recv("n0")
        return ctx.now_ps

    a = runtime.program("n0", alice)
    b = runtime.program("n1", bob)
    runtime.run()
    assert a.value == 401_000_000
    assert b.value == 400_000_000 + delay


def test_one_node_does_one_operation_at_a_time():
    # two programs at n0 each measure at t = 0 for 1 ms: the second waits for the first
    runtime = AppRuntime(chain_network(1).network, rng=RngTree(1),
                         operation_times={"n0": OperationTimes(measurement_s=1e-3)})

    def measure_once(ctx):
        ctx.measure(ctx.new_qubit())
        yield ctx.wait(0.0)
        return ctx.now_ps

    first = runtime.program("n0", measure_once)
    second = runtime.program("n0", measure_once)
    runtime.run()
    assert (first.value, second.value) == (10**9, 2 * 10**9)
    assert (first.finished_ps, second.finished_ps) == (10**9, 2 * 10**9)


def test_bad_durations_are_named():
    with pytest.raises(ConfigError, match="two_qubit_gate_s"):
        OperationTimes(two_qubit_gate_s=float("nan"))
    with pytest.raises(ConfigError, match="operation_times: no node named 'zz'"):
        AppRuntime(chain_network(1).network, rng=RngTree(1),
                   operation_times={"zz": OperationTimes()})
