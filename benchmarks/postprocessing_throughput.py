#!/usr/bin/env python3
"""Post-processing throughput: sifted bits per wall second, Cascade vs LDPC.

Workload: Alice's random sifted key of ``--bits`` bits (default 10^6) and Bob's copy with
exactly round(Q n) flipped bits (:func:`qinet.qkd.postprocessing.synthetic.noisy_key_pair`),
for each Q of ``--qber``. Each key goes through ``qinet.qkd.postprocessing.distill``
(10 % sample for estimation, reconciliation, 64-bit verification tag, Toeplitz privacy
amplification) with ``reconciliation`` set to ``cascade`` or ``ldpc``, ``--repeat`` times;
the row reports the fastest run. Reported per row: wall time, sifted Mbit per wall second,
the efficiency f = (bits disclosed by reconciliation) / (n H2(Q)) with n the reconciled
length and Q the true error rate, LDPC frames retried or discarded, the final key, and
the 1-minute load average of the machine when the row finished (the machine is shared:
a load above the core count means the timing was taken with fewer than one free core).

Threads: the LDPC decoder decodes a key's frames at once, one per thread, on as many
threads as the process has cores (``ldpc_reconcile(threads=None)``). ``--threads N``
pins the process to N of its cores (its CPU affinity, which that default follows, so
``distill`` uses N as well) and passes ``threads=N`` to the reconciliation timed alone.
Mbit per wall second is then what N cores give together, Mbit per CPU second what each
core's second gives: the table prints both, with N, and they differ by up to N.

The LDPC parity-check matrices and decoders are built on first use and cached per code,
as are Cascade's public permutations, and numba (the optional extra ``fast``) loads its
compiled kernels on first use; ``--warm`` runs each case once before timing it, so that
the timed runs exclude that. ``--no-compiled`` runs the numpy paths alone, as without
numba. Besides the wall time of the whole ``distill`` call, each row gives its CPU time
(on a shared machine the process may wait for a core; CPU seconds say what one free core
needs) and the CPU time of the reconciliation alone (``cascade`` or ``ldpc_reconcile`` on
the same estimated keys, with the true QBER, followed by the 64-bit verification of the
corrected key, best of ``--repeat``; also per wall second). For LDPC that covers the
syndromes of both ends, the frame tags, the decoding and the check of every frame, and
the verification hash.

``--decoders`` measures the LDPC decoders alone instead: for each QBER, ``--frames``
frames of 2^17 bits (the default frame) with Bernoulli(Q) errors, decoded at the
syndrome length of each f in ``--decoder-f`` (0 stands for the starting efficiency f0(Q)
of the reconciliation; m rounded up to a multiple of 128, as both code families allow)
by the compiled quasi-cyclic decoder on the QC code (used with numba; int16 fixed
point, ``qc``), and on the random
code of the same (n, m) by the compiled layered sum-product decoder (used before) and
the compiled self-corrected min-sum decoder (the earlier one), on the same frames in the
same run, 60 iterations at most, no retries, one thread. Per row: the frame error rate, the mean
iterations per frame (a failed frame counts its 60), corrected key bits per CPU second
of the decoding, CPU ns per edge and iteration, and the time to build the parity-check
matrix (done once per code and cached, so not on the decoding path).

Usage::

    python benchmarks/postprocessing_throughput.py --warm
    python benchmarks/postprocessing_throughput.py --bits 200000 --qber 0.03   # quick
    python benchmarks/postprocessing_throughput.py --decoders --qber 0.01 0.02 0.03 0.05
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from qinet.qkd.bounds import binary_entropy
from qinet.qkd.postprocessing import (
    DistillResult,
    ParityOracle,
    cascade,
    distill,
    estimate_qber,
    ldpc_codes,
    ldpc_qc,
)
from qinet.qkd.postprocessing.ldpc_decoder import LayeredSumProductDecoder, MinSumDecoder
from qinet.qkd.postprocessing.ldpc_qc import QCDecoder, circulant_size
from qinet.qkd.postprocessing.ldpc_reconciliation import (
    DEFAULT_FRAME_BITS,
    MAX_ITERATIONS,
    initial_efficiency,
    ldpc_reconcile,
    syndrome_bits,
)
from qinet.qkd.postprocessing.reconciliation import prefer_compiled_search
from qinet.qkd.postprocessing.synthetic import noisy_key_pair
from qinet.qkd.postprocessing.verification import DEFAULT_TAG_BITS, verify


def _run(alice: np.ndarray, bob: np.ndarray, method: str) -> tuple[DistillResult, float, float]:
    start, cpu = time.perf_counter(), time.process_time()
    res = distill(alice, bob, rng_shared=np.random.default_rng(1),
                  rng_alice=np.random.default_rng(2), reconciliation=method)
    return res, time.perf_counter() - start, time.process_time() - cpu


def _reconcile_only(alice: np.ndarray, bob: np.ndarray, method: str, qber: float,
                    threads: int) -> tuple[float, float]:
    """Wall and CPU seconds of the reconciliation step alone, on the keys left after
    estimation."""
    est = estimate_qber(alice, bob, sample_fraction=0.1, rng=np.random.default_rng(2))
    start, cpu = time.perf_counter(), time.process_time()
    if method == "cascade":
        rec = cascade(est.bob, ParityOracle(est.alice), qber=qber, rng=np.random.default_rng(1))
        alice, bob = est.alice, rec.bits
    else:
        ldpc = ldpc_reconcile(est.alice, est.bob, qber=qber, rng=np.random.default_rng(2),
                              threads=threads)
        alice, bob = est.alice[ldpc.kept], ldpc.bits
    if not verify(alice, bob, rng=np.random.default_rng(3), tag_bits=DEFAULT_TAG_BITS).equal:
        raise SystemExit(f"{method}: keys differ after reconciliation")
    return time.perf_counter() - start, time.process_time() - cpu


def _decoders(qbers: list[float], fs: list[float], frames: int) -> None:
    """Decoder-alone table: both compiled decoders on the same frames and codes."""
    n = DEFAULT_FRAME_BITS
    print(f"# decoders alone: {frames} frames of {n} bits per row, Bernoulli(Q) errors, "
          f"at most {MAX_ITERATIONS} iterations, no retries; Mbit/CPU s = corrected key bits "
          f"(decoded frames x n) per CPU second of decoding")
    header = (f"{'decoder':12} {'QBER':>5} {'f':>6} {'edges/bit':>9} {'build s':>7} "
              f"{'FER':>5} {'mean it':>7} {'Mbit/CPU s':>10} {'ns/edge-it':>10} {'load':>5}")
    print(header)
    print("-" * len(header))
    for qber in qbers:
        rng = np.random.default_rng(round(qber * 1e4))
        errors = (rng.random((frames, n)) < qber).astype(np.uint8)
        llr = np.full(errors.shape, np.log((1 - qber) / qber), dtype=np.float32)
        for f_wanted in fs:
            f_set = initial_efficiency(qber, n) if f_wanted == 0 else f_wanted
            m = syndrome_bits(n, n, qber, f_set, circulant_size(n))
            f = m / (n * float(binary_entropy(qber)))
            for name in ("qc", "sum-product", "min-sum"):
                start = time.process_time()
                if name == "qc":
                    ldpc_qc.qc_code.cache_clear()
                    code = ldpc_qc.qc_code(n, m)
                    h = code.matrix()
                    decoder: QCDecoder | LayeredSumProductDecoder | MinSumDecoder = QCDecoder(
                        code)
                else:
                    ldpc_codes.parity_check_matrix.cache_clear()
                    h = ldpc_codes.parity_check_matrix(n, m)
                    decoder = (LayeredSumProductDecoder(h) if name == "sum-product"
                               else MinSumDecoder(h))
                build = time.process_time() - start
                syndromes = np.ascontiguousarray(
                    ((h @ errors.T.astype(np.int32)).T & 1).astype(np.uint8))
                decoder.resume(llr[:1], syndromes[:1], max_iter=1, threads=1)  # compile
                start = time.process_time()
                words, ok, _ = decoder.resume(llr, syndromes, max_iter=MAX_ITERATIONS,
                                              threads=1)
                cpu = time.process_time() - start
                good = ok & (words == errors).all(axis=1)
                iterations = decoder.total_iterations
                print(f"{name:12} {qber:5.2f} {f:6.3f} {h.nnz / n:9.2f} {build:7.2f} "
                      f"{1 - good.mean():5.2f} {iterations / frames:7.1f} "
                      f"{good.sum() * n / cpu / 1e6:10.3f} "
                      f"{cpu / iterations / h.nnz * 1e9:10.2f} "
                      f"{os.getloadavg()[0]:5.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", type=int, default=1_000_000, help="sifted key length")
    parser.add_argument("--qber", type=float, nargs="+", default=[0.01, 0.03, 0.05])
    parser.add_argument("--methods", nargs="+", default=["cascade", "ldpc"])
    parser.add_argument("--warm", action="store_true", help="untimed run first (code caches)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per row (best kept)")
    parser.add_argument("--decoders", action="store_true",
                        help="the compiled LDPC decoders alone, side by side (needs numba)")
    parser.add_argument("--decoder-f", type=float, nargs="+", default=[0.0, 1.15],
                        help="efficiencies for --decoders (0: the reconciliation's f0)")
    parser.add_argument("--frames", type=int, default=8, help="frames per --decoders row")
    parser.add_argument("--no-compiled", action="store_true",
                        help="numpy paths only, as without numba (the optional extra 'fast')")
    parser.add_argument("--threads", type=int, default=None,
                        help="cores for the LDPC frames (default: all the process may use)")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    threads = len(cores) if args.threads is None else max(1, min(args.threads, len(cores)))
    os.sched_setaffinity(0, cores[:threads])  # ldpc_reconcile's default follows it
    if args.decoders:
        print(f"# {platform.python_version()} on {platform.machine()}, {os.cpu_count()} "
              f"cores; load average at start {os.getloadavg()[0]:.2f} (shared machine)")
        _decoders(args.qber, args.decoder_f, args.frames)
        return
    if args.no_compiled:
        from qinet.qkd.postprocessing import _compiled
        _compiled.locate_errors = None
        _compiled.self_corrected_min_sum = None
        _compiled.layered_sum_product = None
        from qinet.qkd.postprocessing import _compiled_qc
        _compiled_qc.qc_fixed = None
    else:
        prefer_compiled_search()  # Cascade's too: a process would switch to it after ~1e6 bits
    print(f"# {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores; "
          f"load average at start {os.getloadavg()[0]:.2f} (shared machine)")
    print(f"# sifted key: {args.bits} bits; best of {args.repeat} distill call(s) per row; "
          f"compiled kernels {'off' if args.no_compiled else 'as installed'}; "
          f"Mbit/CPU s = sifted bits per CPU second of this process (what one free core would "
          f"do); Mbit/s = sifted bits per wall second on {threads} thread(s) (LDPC frames "
          f"decoded in parallel on the process's {threads} core(s)); rec. = the same for the "
          f"reconciliation and verification alone")
    header = (f"{'method':8} {'QBER':>5} {'thr':>3} {'wall s':>7} {'Mbit/s':>7} {'CPU s':>6} "
              f"{'Mbit/CPU s':>10} {'rec. Mbit/s':>11} {'rec. Mbit/CPU s':>15} {'f':>6} "
              f"{'retried':>7} {'dropped':>7} {'final bits':>10} {'load':>5}")
    print(header)
    print("-" * len(header))
    for qber in args.qber:
        alice, bob = noisy_key_pair(args.bits, qber, np.random.default_rng(round(qber * 1e4)))
        for method in args.methods:
            if args.warm:
                _run(alice, bob, method)
                _reconcile_only(alice, bob, method, qber, threads)
            runs = [_run(alice, bob, method) for _ in range(max(args.repeat, 1))]
            res, wall, cpu = min(runs, key=lambda run: run[1])
            alone = [_reconcile_only(alice, bob, method, qber, threads)
                     for _ in range(max(args.repeat, 1))]
            rec_wall = min(run[0] for run in alone)
            rec = min(run[1] for run in alone)
            reconciled = args.bits - res.disclosed - res.discarded
            leak = res.leaked_ec - DEFAULT_TAG_BITS
            f = leak / (reconciled * float(binary_entropy(qber))) if reconciled else float("nan")
            print(f"{method:8} {qber:5.2f} {threads:3d} {wall:7.2f} {args.bits / wall / 1e6:7.3f} "
                  f"{cpu:6.2f} {args.bits / cpu / 1e6:10.3f} {args.bits / rec_wall / 1e6:11.3f} "
                  f"{args.bits / rec / 1e6:15.3f} "
                  f"{f:6.3f} "
                  f"{res.ec_retries:7d} {res.ec_failed_frames:7d} {res.final_length:10d} "
                  f"{os.getloadavg()[0]:5.2f}", flush=True)


if __name__ == "__main__":
    main()
