"""The stabilizer (stim) state backend of node programs: agreement with the exact
density matrices on Clifford programs, closed forms at many nodes, the backend choice."""

import numpy as np
import pytest

from qinet.apps.sdk import BACKENDS, AppRuntime, clifford, is_clifford
from qinet.errors import ConfigError, QinetError
from qinet.rng import RngTree
from qinet.scenario import Simulation, load_scenario

from ..network.conftest import chain_scenario
from .conftest import chain_network

S2 = 1 / np.sqrt(2)
# the six stabilizer states of one qubit, with the basis and outcome that find them
STATES = {"0": ([1, 0], "z", 0), "1": ([0, 1], "z", 1), "+": ([S2, S2], "x", 0),
          "-": ([S2, -S2], "x", 1), "+i": ([S2, 1j * S2], "y", 0),
          "-i": ([S2, -1j * S2], "y", 1)}


@clifford
def alice_teleports(ctx, psi, count):
    for _ in range(count):
        pair = yield ctx.pair("n1")
        q = ctx.new_qubit(psi)
        ctx.apply("cnot", q, pair)
        ctx.apply("h", q)
        ctx.send("n1", (ctx.measure(q), ctx.measure(pair)))


@clifford
def bob_receives(ctx, psi, basis, expected, count, read_fidelity):
    for _ in range(count):
        pair = yield ctx.pair("n0")
        m_z, m_x = yield ctx.recv("n0")
        if m_x:
            ctx.apply("x", pair)
        if m_z:
            ctx.apply("z", pair)
        if read_fidelity:
            ctx.record("fidelity", ctx.fidelity(pair, psi))
            ctx.discard(pair)
        else:
            ctx.record("success", int(ctx.measure(pair, basis) == expected))


def teleport(backend, label, count, seed=4):
    psi, basis, expected = STATES[label]
    # Werner pairs (raw memory fidelity), and T2 of 100 us: the pair's half dephases while
    # the bits fly (pure dephasing, exact on both backends)
    sim = chain_network(1, raw_fidelity=0.97, t2="100 us", length_km=2.0, duration="100 s")
    runtime = AppRuntime(sim.network, rng=RngTree(seed), backend=backend)
    runtime.connect("n0", "n1", pairs=count)
    runtime.program("n0", alice_teleports, psi=psi, count=count)
    bob = runtime.program("n1", bob_receives, psi=psi, basis=basis, expected=expected,
                          count=count, read_fidelity=backend == "density-matrix")
    result = runtime.run()
    assert result.backend == backend
    key = "fidelity" if backend == "density-matrix" else "success"
    return np.array(bob.records[key], dtype=float)


@pytest.mark.parametrize("label", list(STATES))
def test_teleported_stabilizer_states_succeed_as_often_as_the_exact_fidelity(label):
    # The network's pair timings are the same on both backends (its own random
    # streams), so the density-matrix run gives each teleport's exact fidelity F_j and
    # the stabilizer run one Bernoulli(F_j) outcome per teleport: the success rate
    # agrees with mean F_j within 5 sigma of a binomial over n.
    n = 500
    exact = teleport("density-matrix", label, n)
    sampled = teleport("stabilizer", label, n)
    f = exact.mean()
    assert 0.75 < f < 0.97  # far from 1: the test can see a wrong noise model
    assert abs(sampled.mean() - f) < 5 * np.sqrt(f * (1 - f) / n)


def test_a_stabilizer_run_is_reproduced_by_its_seed():
    first, again = teleport("stabilizer", "+i", 60), teleport("stabilizer", "+i", 60)
    other = teleport("stabilizer", "+i", 60, seed=5)
    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()


@clifford
def ghz_node(ctx, index, k, rounds):
    """Node ``index`` of a chain fuses its two pairs into a GHZ state over k nodes (the
    fusion of qinet.apps.ghz), then measures its share in Z (every fourth round) or X."""
    prev, nxt = f"n{index - 1}", f"n{index + 1}"
    for r in range(rounds):
        left = (yield ctx.pair(prev)) if index > 0 else None
        right = (yield ctx.pair(nxt)) if index < k - 1 else None
        ghz = right if left is None else left
        if index >= 2 and (yield ctx.recv(prev)):
            ctx.apply("x", ghz)
        if left is not None and right is not None:
            ctx.apply("cnot", ghz, right)
            ctx.send(nxt, ctx.measure(right))
        ctx.record("bit", ctx.measure(ghz, "z" if r % 4 == 3 else "x"))


def test_a_ghz_state_over_50_nodes_has_the_closed_form_parities():
    # k - 1 Werner pairs of fidelity F fused along a chain. A pair's Pauli error on its
    # child end: X flips the child's subtree, Z stays put. So <X...X> (blind to X, odd
    # under Y and Z) is ((4F - 1)/3)^(k-1), and <Z_i Z_i+1> (odd only under X or Y of
    # edge (i, i+1)) is (4F - 1)/3 per edge, edges independent. Tolerances: 5 sigma
    # of the ±1 means over their sample counts.
    k, rounds = 50, 120
    sim = chain_network(k - 1, raw_fidelity=0.998, t2="1e9 s", duration="1000 s")
    runtime = AppRuntime(sim.network, rng=RngTree(3))
    for i in range(k - 1):
        runtime.connect(f"n{i}", f"n{i + 1}", pairs=rounds)
    for i in range(k):
        runtime.program(f"n{i}", ghz_node, index=i, k=k, rounds=rounds)
    result = runtime.run()
    assert result.backend == "stabilizer"
    assert all(p.finished for p in result.programs)
    f = float(np.mean([s.fidelity_mean for s in result.sockets]))
    e = (4 * f - 1) / 3
    bits = np.array([p.records["bit"] for p in result.programs])  # (k, rounds)
    z_rounds = np.arange(rounds) % 4 == 3
    x_parity = 1 - 2 * (bits[:, ~z_rounds].sum(axis=0) % 2)
    zz = 1 - 2 * (bits[1:, z_rounds] ^ bits[:-1, z_rounds])
    x_expected = e ** (k - 1)
    assert 0.6 < x_expected < 0.9  # a broken fusion (parity 0) is over 5 sigma away
    assert abs(x_parity.mean() - x_expected) < 5 * np.sqrt((1 - x_expected**2) / x_parity.size)
    assert abs(zz.mean() - e) < 5 * np.sqrt((1 - e**2) / zz.size)


def bell_program(ctx):
    q, r = ctx.new_qubit([S2, S2]), ctx.new_qubit()
    ctx.apply("cnot", q, r)
    ctx.record("bits", (ctx.measure(q), ctx.measure(r)))
    yield from ()


def t_program(ctx):
    q = ctx.new_qubit([S2, S2])
    ctx.apply("t", q)
    ctx.record("p", ctx.fidelity(q, [S2, S2 * np.exp(0.25j * np.pi)]))
    yield from ()


def declared(program):
    """A copy of ``program`` declared Clifford (the original stays undeclared)."""
    def copy(ctx):
        return program(ctx)
    copy.__name__ = program.__name__
    return clifford(copy)


def run_alone(program, backend="auto"):
    sim = chain_network(1)
    runtime = AppRuntime(sim.network, rng=RngTree(1), backend=backend)
    ctx = runtime.program("n0", program)
    return runtime.run(), ctx


def test_auto_picks_stim_for_declared_clifford_programs_and_density_matrices_otherwise():
    assert not is_clifford(bell_program)
    assert is_clifford(declared(bell_program))
    assert run_alone(bell_program)[0].backend == "density-matrix"
    assert run_alone(declared(bell_program))[0].backend == "stabilizer"
    result, ctx = run_alone(t_program)
    assert result.backend == "density-matrix"
    assert ctx.records["p"][0] == pytest.approx(1.0, abs=1e-12)


def test_the_backend_can_be_forced():
    assert run_alone(declared(bell_program), "density-matrix")[0].backend == "density-matrix"
    result, ctx = run_alone(bell_program, "stabilizer")
    assert result.backend == "stabilizer"
    assert ctx.records["bits"][0] in ((0, 0), (1, 1))


def test_non_clifford_work_on_the_stabilizer_backend_is_refused_by_name():
    with pytest.raises(QinetError, match="gate 't' at n0 is not a Clifford gate"):
        run_alone(declared(t_program))
    def rotate(ctx):
        ctx.apply("rx", ctx.new_qubit(), angle=0.3)
        yield from ()

    def magic(ctx):
        ctx.new_qubit([0.6, 0.8])
        yield from ()

    def read(ctx):
        ctx.state(ctx.new_qubit())
        yield from ()

    with pytest.raises(QinetError, match="gate 'rx' at n0 is not a Clifford gate"):
        run_alone(rotate, "stabilizer")
    with pytest.raises(QinetError, match="stabilizer states only"):
        run_alone(magic, "stabilizer")
    with pytest.raises(QinetError, match="not the density matrix"):
        run_alone(read, "stabilizer")


def test_quarter_turn_rotations_run_on_the_stabilizer_backend():
    def program(ctx):
        q = ctx.new_qubit()
        ctx.apply("ry", q, angle=np.pi / 2)  # |0> -> |+>
        ctx.apply("rz", q, angle=np.pi / 2)  # |+> -> |+i> up to a phase
        ctx.record("f", ctx.fidelity(q, [S2, 1j * S2]))
        ctx.record("m", ctx.measure(q, "y"))
        yield from ()

    _, ctx = run_alone(program, "stabilizer")
    assert ctx.records == {"f": [1.0], "m": [0]}


def test_a_bad_backend_name_is_refused_naming_the_field():
    sim = chain_network(1)
    with pytest.raises(ConfigError, match="backend") as err:
        AppRuntime(sim.network, rng=RngTree(1), backend="stim")
    assert "'stim'" in str(err.value)
    assert all(name in str(err.value) for name in BACKENDS)


@pytest.mark.parametrize("network_backend", ["bell-diagonal", "density-matrix"])
def test_pairs_from_either_network_backend_keep_their_correlations_on_stim(network_backend):
    # Werner pairs: <XX> = <ZZ> = (4F - 1)/3, so P(equal X outcomes) = (1 + (4F - 1)/3)/2;
    # a density-matrix pair enters stim as its Bell twirl, which keeps every <PP>.
    # Binomial tolerance, 5 sigma over n pairs.
    n = 1500
    spec = {**chain_scenario(1, demands=[], raw_fidelity=0.95, t2="1e9 s", length_km=1.0),
            "backend": network_backend}
    runtime = AppRuntime(Simulation(load_scenario(spec)).network, rng=RngTree(8),
                         backend="stabilizer")
    runtime.connect("n0", "n1", pairs=n)

    def measure_all(ctx, peer):
        for _ in range(n):
            ctx.measure((yield ctx.pair(peer)), "x")

    a = runtime.program("n0", measure_all, peer="n1")
    b = runtime.program("n1", measure_all, peer="n0")
    result = runtime.run()
    f = result.sockets[0].fidelity_mean
    p_equal = (1 + (4 * f - 1) / 3) / 2
    equal = np.mean(np.array(a.outcomes) == np.array(b.outcomes))
    assert result.sockets[0].delivered == n
    assert abs(equal - p_equal) < 5 * np.sqrt(p_equal * (1 - p_equal) / n)


def test_a_noiseless_clifford_program_gives_the_same_outcomes_on_both_backends():
    # both registers draw one uniform number from the program's stream per measurement
    # and report u >= p0, and a noiseless Clifford program has p0 in {0, 1/2, 1}: the
    # outcomes agree bit for bit (the network's pair timings are the same in both runs)
    k, rounds = 6, 12
    outcomes = {}
    for backend in ("density-matrix", "stabilizer"):
        sim = chain_network(k - 1, raw_fidelity=1.0, t2="1e9 s", duration="10 s")
        runtime = AppRuntime(sim.network, rng=RngTree(9), backend=backend)
        for i in range(k - 1):
            runtime.connect(f"n{i}", f"n{i + 1}", pairs=rounds)
        for i in range(k):
            runtime.program(f"n{i}", ghz_node, index=i, k=k, rounds=rounds)
        result = runtime.run()
        outcomes[backend] = [p.outcomes for p in result.programs]
    assert outcomes["density-matrix"] == outcomes["stabilizer"]
    bits = np.array(outcomes["stabilizer"][0])
    assert 0 < bits.sum() < len(bits)  # random outcomes, not a constant


def test_a_given_state_enters_stim_only_when_it_is_a_pure_stabilizer_state():
    runtime = AppRuntime(chain_network(1).network, rng=RngTree(1), backend="stabilizer")
    runtime.start()
    phi = np.array([1, 0, 0, 1]) / np.sqrt(2)
    a, b = runtime.add_state(np.outer(phi, phi), ("n0", "n1"))
    assert runtime.register.fidelity(phi, a.id, b.id) == 1.0
    a, b = runtime.add_bell((0.0, 0.0, 0.0, 1.0), ("n0", "n1"))  # Φ-
    assert runtime.register.fidelity([1, 0, 0, -1], a.id, b.id) == 1.0
    with pytest.raises(QinetError, match="pure stabilizer states only"):
        runtime.add_state(np.eye(4) / 4, ("n0", "n1"))
