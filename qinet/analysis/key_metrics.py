"""Figures of the key network: QKD links against the PLOB bound, relayed key demands, pools."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinet.physical.bounds import plob_bound
from qinet.scenario.key_network import KeyDemandLog, KeyNetworkRecord, merge_results


@dataclass(frozen=True, slots=True)
class QkdLinkMetrics:
    """Per QKD link: the protocol's statistics, its key, and the bound at that loss.

    Rates are per second of simulated time; ``*_bits_per_pulse`` per pulse sent.
    """

    name: str
    between: tuple[str, str]
    length_km: float
    protocol: str
    demand: int | None
    source_rate_hz: float
    pulses: int
    sifted_bits: int
    raw_rate_bps: float
    sifted_rate_bps: float
    qber: dict[str, float]
    gains: dict[str, float]
    estimates: dict[str, float]
    key_bits: int
    secret_key_rate_bps: float
    secret_bits_per_pulse: float
    asymptotic_key_rate_bps: float
    asymptotic_bits_per_pulse: float
    finite_key_bits: int
    leaked_ec_bits: int
    blocks: int
    blocks_aborted: int
    abort_reasons: dict[str, int]
    keys_equal: bool
    transmittance: float
    plob_bits_per_pulse: float
    plob_bound_bps: float
    pool_level_bits: int
    pool_spent_bits: int
    attack: str | None


@dataclass(frozen=True, slots=True)
class KeyDemandMetrics:
    """Per key demand: relayed keys, their rate and latency, and who saw them."""

    between: tuple[str, str]
    key_size_bits: int
    keys: int
    key_rate_bps: float
    keys_per_s: float
    rate_target_hz: float | None
    requests: int
    unserved_requests: int
    latency_p50_s: float | None
    latency_p99_s: float | None
    paths: dict[str, int]
    exposed_to: dict[str, int]
    keys_equal: bool
    demand: int = 0


def qkd_link_metrics(record: KeyNetworkRecord, duration_s: float) -> list[QkdLinkMetrics]:
    """Metrics of every QKD link of a run that lasted ``duration_s``."""
    out = []
    for plan, results, pool in record.links:
        merged = merge_results(results)
        demand = plan.demand
        seconds = merged["pulses"] / demand.source_rate if merged["pulses"] else duration_s
        eta = merged["transmittance"]
        plob = float(plob_bound(eta))
        out.append(QkdLinkMetrics(
            name="-".join(plan.spec.between), between=plan.spec.between,
            length_km=plan.spec.length, protocol=demand.protocol,
            demand=plan.demand_index, source_rate_hz=demand.source_rate,
            pulses=merged["pulses"], sifted_bits=merged["sifted_bits"],
            raw_rate_bps=merged["detections"] / seconds,
            sifted_rate_bps=merged["sifted_bits"] / seconds, qber=merged["qber"],
            gains=merged["gains"], estimates=merged["estimates"],
            key_bits=merged["key_bits"], secret_key_rate_bps=merged["key_bits"] / seconds,
            secret_bits_per_pulse=merged["key_bits"] / max(merged["pulses"], 1),
            asymptotic_key_rate_bps=merged["asymptotic_bits_per_pulse"] * demand.source_rate,
            asymptotic_bits_per_pulse=merged["asymptotic_bits_per_pulse"],
            finite_key_bits=merged["finite_key_bits"], leaked_ec_bits=merged["leaked_ec_bits"],
            blocks=merged["blocks"], blocks_aborted=merged["blocks_aborted"],
            abort_reasons=merged["abort_reasons"], keys_equal=merged["keys_equal"],
            transmittance=eta, plob_bits_per_pulse=plob,
            plob_bound_bps=plob * demand.source_rate, pool_level_bits=pool["level_bits"],
            pool_spent_bits=pool["spent_bits"],
            attack=demand.attack.kind if demand.attack else None))
    return out


def key_demand_metrics(log: KeyDemandLog, duration_s: float) -> KeyDemandMetrics:
    """Metrics of one relayed key demand."""
    delivered = np.asarray(log.delivered_s)
    requested = np.asarray(log.requested_s)
    rated = log.spec.rate is not None
    # with a request rate, latency runs from each request to its key, first in first out
    latency = (delivered - requested[:delivered.size]) if rated else np.zeros(0)
    return KeyDemandMetrics(
        demand=log.index, between=log.spec.between, key_size_bits=log.spec.key_size,
        keys=log.keys, key_rate_bps=log.keys * log.spec.key_size / duration_s,
        keys_per_s=log.keys / duration_s, rate_target_hz=log.spec.rate,
        requests=int(requested.size), unserved_requests=len(log.pending),
        latency_p50_s=float(np.percentile(latency, 50)) if latency.size else None,
        latency_p99_s=float(np.percentile(latency, 99)) if latency.size else None,
        paths=dict(log.paths), exposed_to=dict(log.exposed_to), keys_equal=log.keys_equal)
