"""EPR sockets with a minimum fidelity: what they keep, and what the waiting costs.

Oracles. Werner pairs whose fidelity F at delivery is uniform on [F_lo, 1] arrive every
tau. A socket with minimum F_min keeps each independently with probability
``p = (1 - F_min)/(1 - F_lo)``, and the kept fidelities are uniform on [F_min, 1] (mean
``(1 + F_min)/2``, standard deviation ``(1 - F_min)/sqrt(12)``). A half held while the
next kept pair comes waits ``K tau`` with K geometric on {1, 2, ...} of parameter p.
Both halves dephase (T1 = inf) with their nodes' T2, so the pair's Z flip has probability
``(1 - e^{-2t/T2})/2`` and a Werner pair of fidelity F keeps
``F(t) = q + (F - q)(1 + e^{-2t/T2})/2``, ``q = (1 - F)/3``; averaged over K,
``E[e^{-2K tau/T2}] = p r/(1 - (1 - p) r)`` with ``r = e^{-2 tau/T2}``.
"""

import numpy as np
import pytest

from qinet.apps.sdk import AppRuntime
from qinet.quantum.bell_diagonal import BellDiagonalBackend
from qinet.rng import RngTree

from .conftest import chain_network

PHI_PLUS = np.array([1, 0, 0, 1]) / np.sqrt(2)


def _werner_feed(runtime, socket, *, deliveries, period_ps, f_lo, seed):
    """Offer the socket one Werner pair every ``period_ps``, F uniform on [f_lo, 1]."""
    backend = BellDiagonalBackend()
    fidelity = np.random.default_rng(seed).uniform(f_lo, 1.0, deliveries)
    for k, f in enumerate(fidelity):
        q = (1 - f) / 3
        runtime.timeline.schedule_at((k + 1) * period_ps, socket.offer,
                                     backend.from_bell_weights([[f, q, q, q]]), backend)


def _runtime(t2="1e9 s"):
    sim = chain_network(1, t2=t2)
    return AppRuntime(sim.network, rng=RngTree(11))


def test_kept_fraction_and_mean_fidelity_follow_the_fidelity_distribution():
    # n deliveries, binomial p at 5 sigma; the kept mean at 5 standard errors
    n, f_lo, f_min = 4000, 0.5, 0.8
    runtime = _runtime()
    socket = runtime.connect("n0", "n1", pairs=n, min_fidelity=f_min)
    _werner_feed(runtime, socket, deliveries=n, period_ps=1_000_000, f_lo=f_lo, seed=3)
    runtime.start(start_network=False)
    runtime.timeline.run()
    record = socket.record()
    p = (1 - f_min) / (1 - f_lo)
    assert record.delivered == n
    assert record.kept == n - record.discarded
    assert abs(record.accepted_fraction - p) < 5 * np.sqrt(p * (1 - p) / n)
    sd = (1 - f_min) / np.sqrt(12)
    assert abs(record.fidelity_mean - (1 + f_min) / 2) < 5 * sd / np.sqrt(record.kept)
    assert abs(record.delivered_fidelity_mean - (1 + f_lo) / 2) < 5 * (
        (1 - f_lo) / np.sqrt(12) / np.sqrt(n))
    assert record.min_fidelity == f_min


def test_a_full_socket_lets_later_pairs_go_by():
    runtime = _runtime()
    socket = runtime.connect("n0", "n1", pairs=5, min_fidelity=0.6)
    _werner_feed(runtime, socket, deliveries=100, period_ps=1000, f_lo=0.5, seed=4)
    runtime.start(start_network=False)
    runtime.timeline.run()
    record = socket.record()
    assert record.kept == 5
    assert record.delivered == 5 + record.discarded
    # the fifth kept pair is the last counted: every later delivery went by uncounted
    assert record.delivered < 100


def test_the_wait_for_a_kept_pair_shows_in_time_and_in_the_held_halfs_fidelity():
    # each round: hold a kept pair, wait for the next kept one, read the first
    rounds, f_lo, f_min, t2, period_s = 1500, 0.5, 0.9, 2e-3, 0.1e-3
    p = (1 - f_min) / (1 - f_lo)
    runtime = _runtime(t2=f"{t2} s")
    socket = runtime.connect("n0", "n1", pairs=2 * rounds, min_fidelity=f_min)
    _werner_feed(runtime, socket, deliveries=int(2 * rounds / p * 1.5),
                 period_ps=int(period_s * 1e12), f_lo=f_lo, seed=5)
    bob_halves = {}

    def bob(ctx):
        while True:
            half = yield ctx.pair("n0")
            bob_halves[half.pair] = half

    def alice(ctx):
        for _ in range(rounds):
            first = yield ctx.pair("n1")
            second = yield ctx.pair("n1")
            ctx.record("wait_s", (second.delivered_ps - first.delivered_ps) * 1e-12)
            ctx.record("fidelity", ctx.fidelity((first, bob_halves[first.pair]), PHI_PLUS))
            ctx.discard(first)
            ctx.discard(second)  # Bob's halves stay with him, alone and unread
        return ctx.now_s

    runtime.program("n1", bob)
    program = runtime.program("n0", alice)
    runtime.start(start_network=False)
    runtime.resume()
    waits = np.array(program.records["wait_s"])
    fidelity = np.array(program.records["fidelity"])
    # waits: tau times a geometric count, mean tau/p, sd tau sqrt(1 - p)/p
    assert abs(waits.mean() - period_s / p) < 5 * period_s * np.sqrt(1 - p) / p / np.sqrt(rounds)
    # fidelity: the mean over F uniform on [f_min, 1] and the geometric wait
    r = np.exp(-2 * period_s / t2)
    decay = p * r / (1 - (1 - p) * r)
    mean_f = (1 + f_min) / 2
    expected = (1 - mean_f) / 3 + (4 * mean_f - 1) / 3 * (1 + decay) / 2
    assert abs(fidelity.mean() - expected) < 5 * fidelity.std(ddof=1) / np.sqrt(rounds)
    # the same pairs unfiltered would have waited tau only: the threshold costs fidelity
    no_filter = (1 - mean_f) / 3 + (4 * mean_f - 1) / 3 * (1 + r) / 2
    assert expected < no_filter - 10 * fidelity.std(ddof=1) / np.sqrt(rounds)
    # the program ends at the 2R-th kept pair: a negative binomial count of deliveries,
    # mean 2R/p and sd sqrt(2R(1 - p))/p, times tau
    kept = 2 * rounds
    assert abs(program.value - (kept / p) * period_s) < 5 * period_s * np.sqrt(
        kept * (1 - p)) / p
    assert program.value == pytest.approx(program.finished_ps * 1e-12)


def test_a_network_socket_with_a_threshold_gets_every_pair_it_asked_for():
    # memories with T2 = 300 us and links that wait for attempts: some pairs are older
    # than others at delivery; the discarded ones are replaced by further pairs
    sim = chain_network(2, t2="300 us", efficiency=0.8)
    runtime = AppRuntime(sim.network, rng=RngTree(3))
    socket = runtime.connect("n0", "n2", pairs=200, min_fidelity=0.9)

    def take(ctx, peer):
        for _ in range(200):
            q = yield ctx.pair(peer)
            ctx.discard(q)
        return ctx.now_s

    runtime.program("n0", take, peer="n2")
    result = runtime.run(until_s=5.0)
    record = result.sockets[0]
    assert result.programs[0].finished
    assert result.programs[0].pairs_used == record.kept == 200
    assert record.discarded > 0
    assert record.delivered == 200 + record.discarded
    assert record.fidelity_mean >= 0.9 > record.delivered_fidelity_mean
    assert socket.full
    # each further demand asked for exactly the pairs still missing, and no pair more
    # was delivered than the socket counted
    assert len(socket.routes) > 1
    assert socket.routes[0].log.target_pairs == 200
    assert sum(r.log.delivered for r in socket.routes) == record.delivered
    assert sum(r.log.target_pairs for r in socket.routes) == record.delivered
    # the network is served when the last missing pair is delivered, not before
    assert sim.network.served_ps == result.programs[0].finished_ps
