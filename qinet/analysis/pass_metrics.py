"""Figures of a satellite link's passes: one :class:`PassMetrics` per pass in the JSON's
``qkd_links[i].passes`` (keys listed in ``docs/metrics.md``).

Every series has one entry per time step of the pass (the link's ``time_step``, the
last one shorter), taken at the step's middle; the totals are the sums of the rate
series times the steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from qinet.qkd.pass_link import PassRecord


@dataclass(frozen=True, slots=True)
class PassMetrics:
    """One pass of a satellite over a station, as the run's JSON reports it."""

    start_utc: str
    end_utc: str
    start_s: float
    end_s: float
    duration_s: float
    max_elevation_deg: float
    min_range_km: float
    pulses: int
    sifted_bits: int
    asymptotic_key_bits: float
    key_bits: int
    qber: float | None
    time_s: tuple[float, ...]
    step_s: tuple[float, ...]
    elevation_deg: tuple[float, ...]
    range_km: tuple[float, ...]
    loss_db: tuple[float | None, ...]
    sending: tuple[bool, ...]
    sifted_rate_bps: tuple[float, ...]
    secret_rate_bps: tuple[float, ...]


def pass_metrics(record: PassRecord) -> PassMetrics:
    """The JSON figures of one pass (an infinite loss, no light at all, is ``None``).

    Examples:
        >>> import numpy as np
        >>> one = np.ones(1)
        >>> r = PassRecord("s-g", "t0", "t1", 0.0, 1.0, 80.0, 500.0, one * 0.5, one,
        ...                one * 80, one * 500, np.array([np.inf]), np.array([True]),
        ...                one * 10, one * 2, 100, 10, 2.0, 0, 0.01)
        >>> pass_metrics(r).loss_db, pass_metrics(r).sifted_bits
        ((None,), 10)
    """
    return PassMetrics(
        start_utc=record.start_utc, end_utc=record.end_utc, start_s=record.start_s,
        end_s=record.end_s, duration_s=record.duration_s,
        max_elevation_deg=record.max_elevation_deg, min_range_km=record.min_range_km,
        pulses=record.pulses, sifted_bits=record.sifted_bits,
        asymptotic_key_bits=record.asymptotic_key_bits, key_bits=record.key_bits,
        qber=record.qber, time_s=tuple(map(float, record.time_s)),
        step_s=tuple(map(float, record.step_s)),
        elevation_deg=tuple(map(float, record.elevation_deg)),
        range_km=tuple(map(float, record.range_km)),
        loss_db=tuple(float(x) if x < float("inf") else None for x in record.loss_db),
        sending=tuple(map(bool, record.sending)),
        sifted_rate_bps=tuple(map(float, record.sifted_rate_bps)),
        secret_rate_bps=tuple(map(float, record.secret_rate_bps)))
