#!/usr/bin/env python3
"""Design of the high-rate LDPC degree distribution, and its threshold against the decoder.

Three parts, each optional:

``--design``: the distribution of ``DESIGNED_DISTRIBUTIONS[0.91]`` in
:mod:`qinet.qkd.postprocessing.ldpc_codes`, from scratch. For the mean check degree
``--check-degree`` (80) and the crossover ``--p`` (0.0105): the Gaussian-approximation
linear programme (:func:`~qinet.qkd.postprocessing.ldpc_design.optimise_variable_degrees`)
solved at p·s for s = 1.05, 1.08, ... until the result converges by density evolution at
p (the approximation is optimistic at these rates: its thresholds came out 10-15 % above
density evolution's), then raised in rate by linear programming on the density-evolution
trajectory (:func:`~qinet.qkd.postprocessing.ldpc_design.refine_by_density_evolution`).
Deterministic (no randomness); a few minutes.

``--thresholds``: BP thresholds by discretised density evolution of the published
rate-0.9 distribution (Elkouss et al. 2009, mean check degree from rate 0.9) and of the
designed one, with the gap 1 − R over h(p*) (the asymptotic efficiency).

``--fer``: the decoder on the designed code at rate ``--rate`` (default 0.9096, the
rate the reconciliation uses at QBER 1 %), 2^17-bit frames with Bernoulli(p) errors for p
around the threshold: frame error rate and mean iterations (100 at most), to set the
density-evolution threshold beside the finite-length code.

Usage::

    python benchmarks/ldpc_design.py --thresholds --fer
    python benchmarks/ldpc_design.py --design
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import ldpc_codes
from qinet.qkd.postprocessing import ldpc_design as design
from qinet.qkd.postprocessing.ldpc_decoder import syndrome_decoder

DEGREES = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 18, 20, 25, 30, 40]
GRID = {"step": 0.1, "llr_max": 25.0}


def _design(p: float, check_degree: float) -> None:
    start = time.process_time()
    ens = None
    for scale in np.arange(1.05, 1.5, 0.03):
        ens = design.optimise_variable_degrees(p * scale, check_degree, DEGREES)
        if ens is not None and design.de_converges(p, ens.variable_edges, ens.check_edges, **GRID):
            print(f"# Gaussian-approximation start at p x {scale:.2f}: rate {ens.rate:.4f}")
            break
    if ens is None:
        raise SystemExit("no start converges by density evolution")
    refined = design.refine_by_density_evolution(ens, p, DEGREES, rounds=60)
    f = (1 - refined.rate) / float(binary_entropy(p))
    print(f"designed at p = {p}, mean check degree {check_degree}: rate {refined.rate:.4f}, "
          f"1 - R = {f:.4f} h(p); CPU {time.process_time() - start:.0f} s")
    print({d: round(w, 4) for d, w in refined.variable_edges.items()})


def _thresholds() -> None:
    published = ldpc_codes.EDGE_DEGREE_DISTRIBUTIONS[0.90]
    total = sum(published.values())
    published = {d: w / total for d, w in published.items()}
    mean_variable = 1.0 / sum(w / d for d, w in published.items())
    cases = [("published rate 0.9", published, mean_variable / 0.1),
             ("designed rate 0.91", ldpc_codes.DESIGNED_DISTRIBUTIONS[0.91], 80.0)]
    print(f"{'ensemble':20} {'mean dc':>7} {'rate':>6} {'p* (0.1)':>8} {'p* (0.05)':>9} "
          f"{'(1-R)/h(p*)':>11} {'CPU s':>6}")
    for name, lam, dc in cases:
        rho = design.concentrated_checks(dc)
        rate = design.design_rate(lam, rho)
        start = time.process_time()
        coarse = design.bsc_threshold(lam, rho, low=0.008, high=0.013, tolerance=5e-5, **GRID)
        fine = design.bsc_threshold(lam, rho, low=0.008, high=0.013, tolerance=5e-5, step=0.05,
                             llr_max=30.0)
        print(f"{name:20} {dc:7.1f} {rate:6.4f} {coarse:8.5f} {fine:9.5f} "
              f"{(1 - rate) / float(binary_entropy(fine)):11.4f} "
              f"{time.process_time() - start:6.1f}", flush=True)


def _fer(rate: float, frames: int, ps: list[float]) -> None:
    n = 2**17
    m = round((1.0 - rate) * n)
    start = time.process_time()
    h = ldpc_codes.parity_check_matrix(n, m)
    print(f"# designed code n = {n}, m = {m} (rate {1 - m / n:.4f}), built in "
          f"{time.process_time() - start:.2f} CPU s; {frames} frames per p, 100 iterations")
    decoder = syndrome_decoder(h)
    print(f"{'p':>7} {'f at p':>7} {'FER':>5} {'mean it':>7} {'load':>5}")
    for p in ps:
        rng = np.random.default_rng(round(p * 1e5))
        errors = (rng.random((frames, n)) < p).astype(np.uint8)
        llr = np.full(errors.shape, np.log((1 - p) / p), dtype=np.float32)
        syndromes = ((h @ errors.T.astype(np.int32)).T & 1).astype(np.uint8)
        words, ok = decoder.decode(llr, syndromes, max_iter=100)
        good = ok & (words == errors).all(axis=1)
        iterations = getattr(decoder, "total_iterations", 0) / frames
        print(f"{p:7.4f} {m / (n * float(binary_entropy(p))):7.3f} {1 - good.mean():5.2f} "
              f"{iterations:7.1f} {os.getloadavg()[0]:5.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--design", action="store_true")
    parser.add_argument("--p", type=float, default=0.0105)
    parser.add_argument("--check-degree", type=float, default=80.0)
    parser.add_argument("--thresholds", action="store_true")
    parser.add_argument("--fer", action="store_true")
    parser.add_argument("--rate", type=float, default=0.9096)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--fer-p", type=float, nargs="+",
                        default=[0.009, 0.0095, 0.010, 0.0103, 0.0106])
    args = parser.parse_args()
    if args.design:
        _design(args.p, args.check_degree)
    if args.thresholds:
        _thresholds()
    if args.fer:
        _fer(args.rate, args.frames, args.fer_p)


if __name__ == "__main__":
    main()
