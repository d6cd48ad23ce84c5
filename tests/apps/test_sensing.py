"""Distributed phase sensing on delivered GHZ states: closed forms and sampled precision.

Statistical tolerances: the sample standard deviation of M independent estimates has
relative standard error ``1/sqrt(2(M-1))`` (normal estimates); the ratio of two
independent ones has ``1/sqrt(M-1)``. Every comparison is held at 5 of those sigmas.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import math
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from qinet.apps import sensing
from qinet.apps.ghz import ghz_fusion
from qinet.errors import ConfigError
from qinet.quantum.register import DensityMatrixSimulator
from qinet.quantum.states import PAULI_MATRICES, werner_weights

TRIALS = 4000
STD_REL_TOL = 5.0 / math.sqrt(2 * (TRIALS - 1))   # 5 sigma of one sample std
RATIO_REL_TOL = 5.0 / math.sqrt(TRIALS - 1)       # 5 sigma of a ratio of two


def _op_on(op: np.ndarray, qubit: int, n: int) -> np.ndarray:
    """``op`` on ``qubit`` of an n-qubit register (qubit 0 the most significant)."""
    out = np.array([[1.0 + 0j]])
    for q in range(n):
        out = np.kron(out, op if q == qubit else np.eye(2))
    return out


def _phase(angle: float) -> np.ndarray:
    return np.diag([1.0, np.exp(1j * angle)])


def _exact_parity(weights: np.ndarray, phases: np.ndarray, control: float,
                  flip_z: float, twirl: bool) -> tuple[float, float]:
    """``<X^{⊗N}>`` and the GHZ fidelity, by enumerating every Pauli error exactly.

    Pair k's error ``P`` (probability ``weights[k-1, P]``) acts on GHZ qubit k; every
    qubit then suffers Z with probability ``flip_z`` (dephasing); the twirl rotates
    qubits 0 and k by ``+π/2`` and ``-π/2`` or leaves them, with probability 1/2; the
    phases and the control phase
    (on qubit 0) follow, and X is measured on every qubit.
    """
    n = phases.size
    dim = 2**n
    ghz = np.zeros(dim, complex)
    ghz[0] = ghz[-1] = 1 / math.sqrt(2)
    x_all = np.array([[1.0 + 0j]])
    for _ in range(n):
        x_all = np.kron(x_all, PAULI_MATRICES[1])
    rotation = _op_on(_phase(control), 0, n)
    for q in range(n):
        rotation = rotation @ _op_on(_phase(phases[q]), q, n)
    signs_list = list(itertools.product((0, 1), repeat=n - 1)) if twirl else [(0,) * (n - 1)]
    parity = fidelity = 0.0
    for errors in itertools.product(range(4), repeat=n - 1):
        p_err = math.prod(weights[k, e] for k, e in enumerate(errors))
        state = ghz.copy()
        for k, e in enumerate(errors):
            state = _op_on(PAULI_MATRICES[e], k + 1, n) @ state
        fidelity += p_err * abs(np.vdot(ghz, state)) ** 2
        for zs in itertools.product((0, 1), repeat=n):
            p_z = math.prod(flip_z if z else 1 - flip_z for z in zs)
            dephased = state
            for q, z in enumerate(zs):
                if z:
                    dephased = _op_on(PAULI_MATRICES[3], q, n) @ dephased
            for signs in signs_list:
                twirled = dephased
                for k, s in enumerate(signs):
                    twirled = (_op_on(_phase(s * math.pi / 2), 0, n)
                               @ _op_on(_phase(-s * math.pi / 2), k + 1, n) @ twirled)
                final = rotation @ twirled
                value = np.vdot(final, x_all @ final).real
                parity += p_err * p_z * value / len(signs_list)
    return parity, fidelity


@pytest.mark.parametrize("n", [3, 4])
def test_parity_contrast_is_product_of_pair_coherences(n):
    # Pairs with unequal Ψ+ and Ψ- weights: without the twirl their bit-flipped branches
    # would bias the signal, so the twirl's role is tested as well.
    rng = np.random.default_rng(11)
    weights = rng.dirichlet([20, 1, 3, 2], size=n - 1)
    phases = np.array([0.3, -0.1, 0.7, 0.2][:n])
    control, t_over_t2 = 0.4, 0.05
    flip_z = (1 - math.exp(-t_over_t2)) / 2
    parity, fidelity = _exact_parity(weights, phases, control, flip_z, twirl=True)
    contrast = sensing.ghz_contrast(weights) * sensing.dephasing_factor(t_over_t2, 1.0, n)
    assert parity == pytest.approx(contrast * math.cos(phases.sum() + control), abs=1e-12)
    assert fidelity == pytest.approx(sensing.ghz_fidelity(weights), abs=1e-12)
    untwirled, _ = _exact_parity(weights, phases, control, flip_z, twirl=False)
    assert abs(untwirled - parity) > 1e-3


def test_werner_pairs_coherence():
    f = 0.9
    weights = werner_weights([f] * 3)
    assert sensing.ghz_contrast(weights) == pytest.approx(((4 * f - 1) / 3) ** 3)


@pytest.mark.parametrize(("n", "fidelity", "t_s", "phase_rad"), [
    (4, 1.0, 0.0, 0.0),
    (5, 0.95, 0.02, 0.05),   # noisy pairs, dephasing, off the operating point
    (3, 0.9, 0.1, -0.1),
])
def test_estimator_spread_meets_cramer_rao(n, fidelity, t_s, phase_rad):
    report = sensing.compare_phase_sensing(
        phases_rad=[phase_rad] * n, pair_weights=werner_weights(fidelity), rounds=2000,
        trials=TRIALS, rng=np.random.default_rng(5), t2_s=1.0, interrogation_time_s=t_s)
    for est in (report.ghz, report.independent):
        assert est.phase_std_rad == pytest.approx(est.cramer_rao_std_rad, rel=STD_REL_TOL)
        # unbiased within 5 standard errors of the mean
        assert abs(est.phase_mean_rad - phase_rad) < 5 * est.phase_std_rad / math.sqrt(TRIALS)
    assert report.gain_over_independent == pytest.approx(
        report.predicted_gain_over_independent, rel=RATIO_REL_TOL)


def test_heisenberg_and_standard_quantum_limit_scaling():
    sizes = np.array([2, 4, 8, 16, 32])
    rounds = 1000
    ghz, ind = [], []
    for n in sizes:
        report = sensing.compare_phase_sensing(
            phases_rad=[0.2 / n] * n, pair_weights=None, rounds=rounds, trials=TRIALS,
            rng=np.random.default_rng(int(n)))
        ghz.append(report.ghz.phase_std_rad)
        ind.append(report.independent.phase_std_rad)
        # the closed forms themselves: 1/(N sqrt(nu)) and 1/sqrt(N nu)
        assert report.ghz.cramer_rao_std_rad == pytest.approx(1 / (n * math.sqrt(rounds)))
        assert report.independent.cramer_rao_std_rad == pytest.approx(1 / math.sqrt(n * rounds))
    x = np.log(sizes)
    # slope of a least-squares fit; each log(std) has error 1/sqrt(2(M-1))
    slope_tol = STD_REL_TOL / math.sqrt(np.sum((x - x.mean()) ** 2))
    ghz_slope = np.polyfit(x, np.log(ghz), 1)[0]
    ind_slope = np.polyfit(x, np.log(ind), 1)[0]
    assert ghz_slope == pytest.approx(-1.0, abs=slope_tol)
    assert ind_slope == pytest.approx(-0.5, abs=slope_tol)


def test_dephasing_crossover_reverses_the_advantage():
    n, t2, fidelity = 4, 1.0, 0.99
    pair_c = (4 * fidelity - 1) / 3
    v_pairs = pair_c ** (n - 1)
    t_star = sensing.crossover_time_s(sensors=n, pair_contrast=v_pairs, t2_s=t2)
    assert t_star == pytest.approx(t2 * math.log(n * v_pairs**2) / (2 * (n - 1)))
    gains = {}
    for factor in (0.5, 1.0, 2.0):
        t = factor * t_star
        report = sensing.compare_phase_sensing(
            phases_rad=[0.0] * n, pair_weights=werner_weights(fidelity), rounds=2000,
            trials=TRIALS, rng=np.random.default_rng(17), t2_s=t2, interrogation_time_s=t)
        predicted = sensing.predicted_gain(sensors=n, pair_contrast=v_pairs,
                                           interrogation_time_s=t, t2_s=t2)
        assert report.predicted_gain_over_independent == pytest.approx(predicted)
        assert report.gain_over_independent == pytest.approx(predicted, rel=RATIO_REL_TOL)
        gains[factor] = report.gain_over_independent
    assert gains[1.0] == pytest.approx(1.0, rel=RATIO_REL_TOL)
    assert report.bell_pairs_per_estimate == 2000 * (n - 1)
    assert gains[0.5] > 1 + RATIO_REL_TOL
    assert gains[2.0] < 1 - RATIO_REL_TOL


def test_poor_pairs_never_give_an_advantage():
    # N V_pairs^2 <= 1: the GHZ loses already at t = 0
    n, fidelity = 6, 0.85
    v_pairs = ((4 * fidelity - 1) / 3) ** (n - 1)
    assert n * v_pairs**2 < 1
    assert sensing.crossover_time_s(sensors=n, pair_contrast=v_pairs, t2_s=1.0) == 0.0
    report = sensing.compare_phase_sensing(
        phases_rad=[0.0] * n, pair_weights=werner_weights(fidelity), rounds=2000,
        trials=TRIALS, rng=np.random.default_rng(3))
    assert report.gain_over_independent < 1 - RATIO_REL_TOL
    assert report.gain_over_independent == pytest.approx(math.sqrt(n) * v_pairs,
                                                         rel=RATIO_REL_TOL)


@pytest.mark.parametrize("entangled", [True, False])
def test_optimal_interrogation_time_under_dephasing(entangled):
    # Huelga et al. 1997: at fixed total time the frequency error is least at T2/(2n)
    n, t2, total_s = 4, 1.0, 600.0
    t_opt = sensing.optimal_interrogation_time_s(t2_s=t2, qubits=n if entangled else 1)
    sampled = {}
    for factor in (0.5, 1.0, 2.0):
        t = factor * t_opt
        report = sensing.compare_phase_sensing(
            phases_rad=[0.0] * n, pair_weights=None, rounds=round(total_s / t), trials=TRIALS,
            rng=np.random.default_rng(23), t2_s=t2, interrogation_time_s=t)
        est = report.ghz if entangled else report.independent
        sampled[factor] = est.phase_std_rad / t
        closed = sensing.angular_frequency_std_rad_per_s(
            sensors=n, entangled=entangled, total_time_s=total_s, interrogation_time_s=t,
            t2_s=t2)
        assert sampled[factor] == pytest.approx(closed, rel=STD_REL_TOL)
    assert sampled[1.0] < sampled[0.5]
    assert sampled[1.0] < sampled[2.0]
    # at its optimum either strategy reaches sqrt(2e/(N T T2)): no entanglement gain
    assert sampled[1.0] == pytest.approx(math.sqrt(2 * math.e / (n * total_s * t2)),
                                         rel=STD_REL_TOL)


def test_same_seed_same_numbers():
    def run():
        return sensing.compare_phase_sensing(phases_rad=[0.1, 0.0, -0.05], pair_weights=None,
                                             rounds=100, trials=50, rng=np.random.default_rng(9))
    assert run() == run()


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"phases_rad": [0.1]}, "phases_rad"),
    ({"phases_rad": [1.0, 1.0]}, "phases_rad"),
    ({"phases_rad": [0.0, float("nan")]}, "phases_rad"),
    ({"prior_phases_rad": [0.0, 0.0, float("inf")]}, "prior_phases_rad"),
    ({"rounds": 0}, "rounds"),
    ({"trials": 1}, "trials"),
    ({"pair_weights": [[1, 0, 0, 0]] * 3}, "pair_weights"),
    ({"pair_weights": [0.5, 0.5, 0.5, 0.5]}, "pair_weights"),
    ({"t2_s": -1.0}, "t2_s"),
    ({"interrogation_time_s": -1.0}, "interrogation_time_s"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"phases_rad": [0.0, 0.0, 0.0], "pair_weights": None, "rounds": 10, "trials": 10,
            "rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(ConfigError) as err:
        sensing.compare_phase_sensing(**args)
    assert err.value.field == field


def test_the_docs_example_runs_and_prints_what_it_shows(tmp_path, monkeypatch):
    doc = Path(__file__).resolve().parents[2] / "docs" / "apps-sensing.md"
    text = doc.read_text(encoding="utf-8")
    (code,) = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    (shown,) = re.findall(r"^```text\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(doc), "exec"), {"__name__": "__doc_example__"})
    assert out.getvalue() == shown
    plot = tmp_path / "qinet-sensing-vs-n.png"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("topology", ["star", "chain"])
def test_contrast_on_the_fusion_circuit_exact_register(topology):
    # An independent implementation: the fusion circuit of qinet.apps.ghz (CX, Z
    # measurement and X feed-forward per pair) run on the exact density-matrix simulator,
    # with the phases, the dephasing and the S/S† twirl across every fused edge.
    n, t_over_t2, control = 4, 0.1, 0.3
    weights = np.random.default_rng(4).dirichlet([12, 2, 1, 2], size=n - 1)
    phases = [0.2, -0.4, 0.5, 0.1]
    flip_z = (1 - math.exp(-t_over_t2)) / 2
    sim = DensityMatrixSimulator()
    parity = 0.0
    for bits in itertools.product((0, 1), repeat=n - 1):
        fusion = ghz_fusion(n, topology=topology, pair_weights=weights)
        circuit, q = fusion.circuit, fusion.ghz_qubits
        for (u, v), bit in zip(fusion.edges, bits, strict=True):
            if bit:
                circuit.append("s", q[u]).append("sdg", q[v])
        for node in range(n):
            circuit.append("pauli1", q[node], params=(0.0, 0.0, flip_z))
            circuit.append("p", q[node], params=(phases[node],))
        circuit.append("p", q[0], params=(control,))
        (value,) = sim.expectations(circuit, [dict.fromkeys(q, "X")])
        parity += value.value / 2 ** (n - 1)
    contrast = sensing.ghz_contrast(weights) * math.exp(-n * t_over_t2)
    assert parity == pytest.approx(contrast * math.cos(sum(phases) + control), abs=1e-12)
