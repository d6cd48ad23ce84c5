"""Figures of keys: QKD links against the PLOB bound, relayed key demands, the key of a
``kind: qkd`` demand, and the bound it is compared with.

Every key figure of the JSON document is built here, from the typed records of the key
network (:mod:`qinet.qkd.key_records`) and of the protocols
(:class:`~qinet.qkd.protocols.result.QkdRunResult`). The keys are listed in
``docs/metrics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinet.analysis.pass_metrics import PassMetrics, pass_metrics
from qinet.physical.bounds import plob_bound
from qinet.qkd.key_records import KeyDemandResult, KeyNetworkResult, QkdLinkResult
from qinet.qkd.protocols.result import QkdRunResult

_PS = 1e-12


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
    qber: dict[str, float | None]
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
    passes: tuple[PassMetrics, ...] = ()


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


@dataclass(frozen=True, slots=True)
class PairKeyMetrics:
    """The key of an entanglement-based ``kind: qkd`` demand (BBM92, E91): ``demands[i].key``.

    ``qber`` is the key's (Z for BBM92, the π/4 stream ``D`` for E91 when it has no Z),
    ``qber_x`` the X basis'.
    """

    protocol: str
    pairs_measured: int
    sifted_bits: int
    qber: float | None
    qber_x: float | None
    key_bits: int
    keys_equal: bool
    aborted: bool
    reason: str
    leaked_ec_bits: int
    estimates: dict[str, float]
    secret_key_rate_bps: float


@dataclass(frozen=True, slots=True)
class PulseKeyMetrics:
    """The key of a prepare-and-measure ``kind: qkd`` demand, over its QKD link:
    ``demands[i].key`` (the link's full figures are in ``qkd_links``)."""

    protocol: str
    pulses: int
    sifted_bits: int
    qber: float | None
    qber_x: float | None
    key_bits: int
    secret_key_rate_bps: float
    keys_equal: bool
    aborted: bool
    reason: str
    leaked_ec_bits: int


@dataclass(frozen=True, slots=True)
class KeyRateBound:
    """The PLOB bound a prepare-and-measure demand's key rate is compared with:
    ``demands[i].bound``, at the loss of its link and its source's pulse rate."""

    name: str
    ebits_per_channel_use: float
    channel_uses_per_s: float
    plob_bound_bps: float
    repeater_chain_bound_bps: float


def qkd_link_metrics(result: QkdLinkResult, duration_s: float) -> QkdLinkMetrics:
    """Metrics of one QKD link of a run that lasted ``duration_s``."""
    stats, link = result.stats, result.link
    seconds = result.sending_s if stats.pulses else duration_s
    eta = stats.transmittance
    plob = float(plob_bound(eta))
    return QkdLinkMetrics(
        name=result.name, between=link.between, length_km=link.length_km,
        protocol=link.protocol, demand=link.demand, source_rate_hz=link.source_rate_hz,
        pulses=stats.pulses, sifted_bits=stats.sifted_bits,
        raw_rate_bps=stats.detections / seconds, sifted_rate_bps=stats.sifted_bits / seconds,
        # no error rate without sifted bits to measure it on
        qber={name: (value if stats.sifted_bits else None) for name, value in stats.qber.items()},
        gains=dict(stats.gains), estimates=dict(stats.estimates),
        key_bits=stats.key_bits, secret_key_rate_bps=stats.key_bits / seconds,
        secret_bits_per_pulse=stats.key_bits / max(stats.pulses, 1),
        asymptotic_key_rate_bps=stats.asymptotic_bits_per_pulse * link.source_rate_hz,
        asymptotic_bits_per_pulse=stats.asymptotic_bits_per_pulse,
        finite_key_bits=stats.finite_key_bits, leaked_ec_bits=stats.leaked_ec_bits,
        blocks=stats.blocks, blocks_aborted=stats.blocks_aborted,
        abort_reasons=dict(stats.abort_reasons), keys_equal=stats.keys_equal,
        transmittance=eta, plob_bits_per_pulse=plob,
        plob_bound_bps=plob * link.source_rate_hz, pool_level_bits=result.pool_level_bits,
        pool_spent_bits=result.pool_spent_bits, attack=link.attack,
        passes=tuple(pass_metrics(p) for p in result.passes))


def key_demand_metrics(result: KeyDemandResult, duration_s: float) -> KeyDemandMetrics:
    """Metrics of one relayed key demand of a run that lasted ``duration_s``."""
    spec = result.consumer
    # with a request rate, latency runs from each request to its key, first in first out
    latency = result.latency_ps * _PS
    return KeyDemandMetrics(
        demand=spec.index, between=spec.between, key_size_bits=spec.key_size_bits,
        keys=result.keys, key_rate_bps=result.keys * spec.key_size_bits / duration_s,
        keys_per_s=result.keys / duration_s, rate_target_hz=spec.rate_hz,
        requests=int(result.requested_ps.size), unserved_requests=result.unserved_requests,
        latency_p50_s=float(np.percentile(latency, 50)) if latency.size else None,
        latency_p99_s=float(np.percentile(latency, 99)) if latency.size else None,
        paths=dict(result.paths), exposed_to=dict(result.exposed_to),
        keys_equal=result.keys_equal)


def key_network_metrics(result: KeyNetworkResult, duration_s: float
                        ) -> tuple[list[QkdLinkMetrics], list[KeyDemandMetrics]]:
    """Metrics of every QKD link and every key demand of a run."""
    return ([qkd_link_metrics(link, duration_s) for link in result.links],
            [key_demand_metrics(demand, duration_s) for demand in result.demands])


def pulse_key_metrics(link: QkdLinkMetrics) -> tuple[PulseKeyMetrics, KeyRateBound]:
    """The key of the prepare-and-measure demand that runs on ``link``, and PLOB at the
    link's loss."""
    key = PulseKeyMetrics(
        protocol=link.protocol, pulses=link.pulses, sifted_bits=link.sifted_bits,
        qber=link.qber.get("Z"), qber_x=link.qber.get("X"), key_bits=link.key_bits,
        secret_key_rate_bps=link.secret_key_rate_bps, keys_equal=link.keys_equal,
        aborted=link.key_bits == 0, reason="; ".join(link.abort_reasons),
        leaked_ec_bits=link.leaked_ec_bits)
    bound = KeyRateBound(name="PLOB", ebits_per_channel_use=link.plob_bits_per_pulse,
                         channel_uses_per_s=link.source_rate_hz,
                         plob_bound_bps=link.plob_bound_bps,
                         repeater_chain_bound_bps=link.plob_bound_bps)
    return key, bound


def pair_key_metrics(run: QkdRunResult, elapsed_s: float) -> PairKeyMetrics:
    """The key an entanglement-based protocol distilled from a demand's pairs, over a run
    of ``elapsed_s``."""
    return PairKeyMetrics(
        protocol=run.protocol, pairs_measured=run.pulses, sifted_bits=run.sifted_bits,
        qber=run.qber.get("Z", run.qber.get("D")), qber_x=run.qber.get("X"),
        key_bits=run.key_bits, keys_equal=run.keys_equal, aborted=run.key_bits == 0,
        reason="; ".join(run.abort_reasons), leaked_ec_bits=run.leaked_ec,
        estimates=run.estimates, secret_key_rate_bps=run.key_bits / elapsed_s)
