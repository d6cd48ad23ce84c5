"""Decoy BB84 over a channel that changes along a satellite pass, and the pass's record.

A pass is cut into time steps (:class:`PassChannel`); over step ``k`` the channel
transmittance ``eta_k`` and the background counts of the receiver are taken as constant
(their values at the step's middle). Step ``k`` sends ``round(R t_k)`` pulses when the
link may send (above the minimum elevation, and in the dark when it is night-only), and
its click counts are drawn with the sampler of a link of that transmittance
(:class:`~qinet.qkd.protocols._bb84_channel.ChannelSampler`). The counts of all steps add
up to the pass's statistics, on which the decoy bounds and the finite key of Lim et al.
(PRA 89, 022307 (2014)) are evaluated once: a pass is distilled as one run, as Liao et
al. (Nature 549, 43 (2017)) distilled each pass of Micius. The record keeps, per step,
the sifted bits and the asymptotic key of that step's own statistics (Ma et al. 2005's
GLLP rate on the step's gains), so that the pass's totals are the sums of its series.

The prepare-and-measure sampler sees its channel only through ``fibre.transmittance``; a
step's channel is handed to it as a span of ``L = -10 log10(eta_k)`` km at 1 dB/km,
whose transmittance is exactly ``eta_k``.

Examples:
    >>> from qinet.physical import Detector, Fibre, WeakCoherentSource
    >>> from qinet.qkd.protocols._bb84_channel import PrepareMeasureLink
    >>> base = PrepareMeasureLink(WeakCoherentSource(intensities=(0.8, 0.1, 0.0),
    ...     probabilities=(0.5, 0.25, 0.25)), Fibre(0.0), Detector(0.5, 100.0))
    >>> steps = PassChannel(name="s-g", start_utc="2017-01-01T00:00:00+00:00",
    ...     start_s=0.0, step_s=np.ones(3), elevation_rad=np.full(3, 1.0),
    ...     range_m=np.full(3, 6e5), transmittance=np.full(3, 1e-3),
    ...     background_hz=np.zeros(3), sending=np.array([True, True, False]))
    >>> run, record = run_decoy_pass(base, steps, rate_hz=1e6, rng=RngTree(1),
    ...                              block_size=10_000)
    >>> record.pulses, int(record.sifted_rate_bps.sum()) == record.sifted_bits
    (2000000, True)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.qkd.bounds import F_EC, bbm92_key_fraction
from qinet.qkd.postprocessing.estimation import qber_upper_bound
from qinet.qkd.protocols._bb84_channel import (
    ChannelSampler,
    LinkStatistics,
    PrepareMeasureLink,
    Z,
    key_blocks,
    label_counts,
)
from qinet.qkd.protocols._blocks import (
    BlockTally,
    check_run_options,
    distill_in_blocks,
    phase_error_key_length,
)
from qinet.qkd.protocols._prepare_measure import qber_table
from qinet.qkd.protocols.bb84_decoy import CLASS_NAMES, decoy_security
from qinet.qkd.protocols.result import QkdRunResult
from qinet.rng import RngTree

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class PassChannel:
    """One pass of a satellite over a station, in time steps, as the link sees it.

    Attributes:
        name: the link's name (``satellite-station``).
        start_utc: the calendar time of the first step's start (ISO 8601, UTC).
        start_s: the first step's start, seconds after the run's start.
        step_s: each step's length (the last may be shorter).
        elevation_rad: elevation of the satellite at each step's middle.
        range_m: slant range at each step's middle.
        transmittance: mean channel transmittance at each step's middle, receiving
            optics included, detectors excluded.
        background_hz: background counts per second of each receiving detector.
        sending: whether the link sends during the step (above the minimum elevation,
            and in the dark for a night-only link).
        arm_transmittance: for a pair source sending one photon to each of two
            stations, each arm's transmittance per step, shape ``(2, steps)``
            (``transmittance`` is then their product, ``range_m`` the summed length,
            ``elevation_rad`` the lower of the two elevations); ``None`` otherwise.
        arm_background_hz: background counts per second of each arm's detectors.
    """

    name: str
    start_utc: str
    start_s: float
    step_s: FloatArray
    elevation_rad: FloatArray
    range_m: FloatArray
    transmittance: FloatArray
    background_hz: FloatArray
    sending: BoolArray
    arm_transmittance: FloatArray | None = None
    arm_background_hz: FloatArray | None = None

    @property
    def end_s(self) -> float:
        """The last step's end, seconds after the run's start."""
        return self.start_s + float(self.step_s.sum())

    @property
    def mid_s(self) -> FloatArray:
        """Each step's middle, seconds after the run's start."""
        edges = self.start_s + np.concatenate([[0.0], np.cumsum(self.step_s)])
        mids: FloatArray = 0.5 * (edges[:-1] + edges[1:])
        return mids

    @property
    def loss_db(self) -> FloatArray:
        """``-10 log10`` of the transmittance (inf where no light arrives)."""
        with np.errstate(divide="ignore"):
            loss: FloatArray = -10.0 * np.log10(self.transmittance)
        return loss


@dataclass(frozen=True, slots=True, eq=False)
class PassRecord:
    """A pass's key and its time series; totals are the sums of the series times the steps.

    Attributes:
        link: the link's name.
        start_utc, end_utc: the pass (the part of it inside the run), ISO 8601 UTC.
        start_s, end_s: the same, seconds after the run's start.
        max_elevation_deg: the highest elevation among the steps' middles.
        min_range_km: the shortest slant range among the steps' middles.
        time_s: each step's middle, seconds after the run's start.
        step_s: each step's length.
        elevation_deg, range_km, loss_db: the geometry and channel loss per step.
        sending: whether the link sent during the step.
        sifted_rate_bps: sifted (key-basis) bits per second of each step.
        secret_rate_bps: asymptotic secret bits per second of each step (the decoy
            GLLP rate on the step's own counts).
        pulses: pulses sent over the pass.
        sifted_bits: sifted bits of the pass.
        asymptotic_key_bits: the sum of the secret-rate series times the steps.
        key_bits: the finite key distilled from the whole pass.
        qber: the key basis' error rate over the pass (``None``: nothing sifted).
    """

    link: str
    start_utc: str
    end_utc: str
    start_s: float
    end_s: float
    max_elevation_deg: float
    min_range_km: float
    time_s: FloatArray
    step_s: FloatArray
    elevation_deg: FloatArray
    range_km: FloatArray
    loss_db: FloatArray
    sending: BoolArray
    sifted_rate_bps: FloatArray
    secret_rate_bps: FloatArray
    pulses: int
    sifted_bits: int
    asymptotic_key_bits: float
    key_bits: int
    qber: float | None

    @property
    def duration_s(self) -> float:
        """How long the pass lasted inside the run."""
        return self.end_s - self.start_s


PassRunner = Callable[[PassChannel, RngTree, int], tuple[QkdRunResult, PassRecord]]
"""``runner(pass, rng, block_size)``: one pass of a link's protocol."""


@dataclass(frozen=True, slots=True, eq=False)
class PassSchedule:
    """A satellite link's passes inside a run and the protocol that runs over each.

    Attributes:
        channels: the passes, in time order, each inside the run.
        runner: runs the protocol over one pass.
    """

    channels: tuple[PassChannel, ...]
    runner: PassRunner


def _step_link(base: PrepareMeasureLink, eta: float, background_hz: float) -> PrepareMeasureLink:
    d = base.detector
    return dataclasses.replace(
        base, fibre=Fibre(length_km=-10.0 * math.log10(eta), attenuation_db_per_km=1.0),
        detector=Detector(d.efficiency, d.dark_count_rate_hz + background_hz, d.dead_time_s,
                          d.jitter_fwhm_s))


def run_decoy_pass(base: PrepareMeasureLink, steps: PassChannel, *, rate_hz: float,
                   rng: RngTree, block_size: int, epsilon_sec: float = 1e-10,
                   epsilon_cor: float = 1e-15,
                   distill_options: Mapping[str, Any] | None = None
                   ) -> tuple[QkdRunResult, PassRecord]:
    """Send decoy BB84 over a pass step by step; distil the pass's key as one run.

    Args:
        base: the source, the receiver's detector (without background), the window,
            misalignment and basis choice; its fibre is replaced per step.
        steps: the pass.
        rate_hz: pulses per second.
        rng: the pass's random tree (``bb84-decoy/channel``, ``/bits``, ``/block-<i>``).
        block_size: sifted bits per post-processing block.
        epsilon_sec, epsilon_cor: the key's security parameters.
        distill_options: forwarded to the distillation.

    Returns:
        The pass's protocol record (its ``transmittance`` the pulse-weighted mean of the
        steps') and its :class:`PassRecord`.
    """
    options = check_run_options(block_size, epsilon_sec, epsilon_cor, distill_options)
    channel = rng.generator("bb84-decoy/channel")
    n = steps.step_s.size
    sifted = np.zeros(n)
    secret = np.zeros(n)
    chunks: list[LinkStatistics] = []
    pulses_sent = 0
    weighted_eta = 0.0
    for k in range(n):
        eta = float(steps.transmittance[k])
        pulses = round(rate_hz * float(steps.step_s[k])) if steps.sending[k] and eta > 0 else 0
        if not pulses:
            continue
        link = _step_link(base, eta, float(steps.background_hz[k]))
        stats = ChannelSampler(link).draw(pulses, rng=channel)
        chunks.append(stats)
        pulses_sent += pulses
        weighted_eta += pulses * eta
        sifted[k] = int(stats.key_counts.sum()) / steps.step_s[k]
        sec = decoy_security(link, stats, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
        secret[k] = sec.asymptotic_bits_per_pulse * pulses / steps.step_s[k]
    record_base: dict[str, Any] = _geometry(steps)
    if not chunks:
        run = QkdRunResult("bb84-decoy", 0, 0, 0, transmittance=0.0)
        return run, PassRecord(**record_base, sifted_rate_bps=sifted, secret_rate_bps=secret,
                               pulses=0, sifted_bits=0, asymptotic_key_bits=0.0, key_bits=0,
                               qber=None)
    total = LinkStatistics.total(chunks)
    sec = decoy_security(base, total, epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor)
    tallies = []
    blocks = key_blocks(chunks, block_size=block_size, rng=rng.generator("bb84-decoy/bits"))
    for i, (alice, bob, labels) in enumerate(blocks):
        counts = label_counts(labels, len(CLASS_NAMES))
        tallies.append(distill_in_blocks(
            alice, bob, rng=rng, stream=f"bb84-decoy/block-{i}", block_size=block_size,
            epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
            key_length=sec.block_key_length(counts), distill_options=options))
    tally = BlockTally.joined(tallies)
    sifted_bits = int(total.key_counts.sum())
    run = QkdRunResult(
        protocol="bb84-decoy", pulses=total.pulses, detections=total.detections,
        sifted_bits=sifted_bits, qber=qber_table(total, CLASS_NAMES),
        gains=dict(zip(CLASS_NAMES, map(float, total.gains()), strict=True)),
        estimates=dict(sec.estimates), asymptotic_bits_per_pulse=sec.asymptotic_bits_per_pulse,
        transmittance=weighted_eta / pulses_sent, **tally.result_fields())
    errors = int(total.errors(Z).sum())
    record = PassRecord(
        **record_base, sifted_rate_bps=sifted, secret_rate_bps=secret, pulses=pulses_sent,
        sifted_bits=sifted_bits, asymptotic_key_bits=float(secret @ steps.step_s),
        key_bits=run.key_bits,
        qber=errors / max(int(total.sifted(Z).sum()), 1))
    return run, record


def _geometry(steps: PassChannel) -> dict[str, Any]:
    start = datetime.fromisoformat(steps.start_utc)
    end = start + timedelta(seconds=float(steps.step_s.sum()))
    return {"link": steps.name, "start_utc": start.isoformat(), "end_utc": end.isoformat(),
            "start_s": steps.start_s, "end_s": steps.end_s,
            "max_elevation_deg": float(np.degrees(steps.elevation_rad.max())),
            "min_range_km": float(steps.range_m.min() / 1e3), "time_s": steps.mid_s,
            "step_s": steps.step_s, "elevation_deg": np.degrees(steps.elevation_rad),
            "range_km": steps.range_m / 1e3, "loss_db": steps.loss_db,
            "sending": steps.sending}


def run_bbm92_pass(steps: PassChannel, *, pair_rate_hz: float, detector: Detector,
                   window_s: float, misalignment: float, rng: RngTree, block_size: int,
                   z_basis_probability: float = 0.5, epsilon_sec: float = 1e-10,
                   epsilon_cor: float = 1e-15,
                   distill_options: Mapping[str, Any] | None = None
                   ) -> tuple[QkdRunResult, PassRecord]:
    """BBM92 between two stations fed by one pair source over a pass, step by step.

    Over step ``k`` of length ``t_k``, with ``R`` pairs per second, arm ``j``'s photon
    detected with probability ``e_j = T_j eta_d`` and each side's two detectors adding
    ``n_j = 2 (dark + background_j)`` noise clicks per second:

    * true coincidences are Poisson with mean ``R e_A e_B t_k``;
    * accidental coincidences (a click at each side within the window ``tau`` that is
      not one pair) Poisson with mean ``s_A s_B tau t_k``, singles ``s_j = R e_j + n_j``
      (the standard accidental rate for ``s tau << 1``);
    * both sides measure in Z with probability ``q^2`` and in X with ``(1 - q)^2``
      (other coincidences are sifted out); a true coincidence's bits differ with the
      probability ``misalignment`` (the source's and analysers' error), an accidental's
      with 1/2.

    The key is the Z coincidences of the whole pass; the phase error is bounded from
    the X coincidences (Clopper-Pearson at ``epsilon_sec``) and privacy amplification
    follows Shor and Preskill, as :class:`~qinet.qkd.protocols.bbm92.Bbm92Stream`
    does. The step's ``secret_rate_bps`` is the asymptotic Shor-Preskill key of its own
    counts, ``n_Z (1 - f H2(E_Z) - H2(E_X)) / t_k`` (0 when negative). The record's
    ``pulses`` are the pairs the source emitted while the link ran.
    """
    if steps.arm_transmittance is None or steps.arm_background_hz is None:
        raise ConfigError("steps", "a pair source's pass needs each arm's transmittance")
    options = check_run_options(block_size, epsilon_sec, epsilon_cor, distill_options)
    draw = rng.generator("bbm92/channel")
    q = z_basis_probability
    eta_d = float(detector.efficiency) * float(detector.window_efficiency(window_s))
    n = steps.step_s.size
    sifted = np.zeros(n)
    secret = np.zeros(n)
    totals = np.zeros(4, dtype=np.int64)  # n_Z, errors_Z, n_X, errors_X
    pairs = 0
    coincidences = 0
    for k in range(n):
        if not steps.sending[k]:
            continue
        t = float(steps.step_s[k])
        e_a, e_b = (float(x) * eta_d for x in steps.arm_transmittance[:, k])
        noise = [2.0 * (detector.dark_count_rate_hz + float(b))
                 for b in steps.arm_background_hz[:, k]]
        s_a, s_b = pair_rate_hz * e_a + noise[0], pair_rate_hz * e_b + noise[1]
        true = int(draw.poisson(pair_rate_hz * e_a * e_b * t))
        accidental = int(draw.poisson(s_a * s_b * window_s * t))
        pairs += round(pair_rate_hz * t)
        coincidences += true + accidental
        counts = []
        for share in (q * q, (1.0 - q) ** 2):
            n_true, n_acc = draw.binomial(true, share), draw.binomial(accidental, share)
            wrong = draw.binomial(n_true, misalignment) + draw.binomial(n_acc, 0.5)
            counts += [int(n_true + n_acc), int(wrong)]
        totals += np.asarray(counts, dtype=np.int64)
        n_z, e_z, n_x, e_x = counts
        sifted[k] = n_z / t
        if n_z and n_x:
            secret[k] = float(bbm92_key_fraction(e_z / n_z, e_x / n_x, F_EC)) * n_z / t
    n_z, e_z, n_x, e_x = (int(v) for v in totals)
    base: dict[str, Any] = _geometry(steps)
    if not n_z:
        run = QkdRunResult("bbm92", pairs, coincidences, 0, transmittance=0.0)
        return run, PassRecord(**base, sifted_rate_bps=sifted, secret_rate_bps=secret,
                               pulses=pairs, sifted_bits=0, asymptotic_key_bits=0.0,
                               key_bits=0, qber=None)
    phase_error = min(qber_upper_bound(e_x, n_x, epsilon=epsilon_sec), 0.5) if n_x else 0.5
    bits = draw.integers(0, 2, n_z, dtype=np.uint8)
    flips = np.zeros(n_z, dtype=np.uint8)
    flips[draw.choice(n_z, e_z, replace=False)] = 1
    tally = distill_in_blocks(
        bits, bits ^ flips, rng=rng, stream="bbm92", block_size=block_size,
        epsilon_sec=epsilon_sec, epsilon_cor=epsilon_cor,
        key_length=phase_error_key_length(phase_error, epsilon_sec=epsilon_sec,
                                          epsilon_cor=epsilon_cor),
        distill_options=options)
    qber_z, qber_x = e_z / n_z, (e_x / n_x if n_x else 0.0)
    run = QkdRunResult(
        protocol="bbm92", pulses=pairs, detections=coincidences, sifted_bits=n_z,
        qber={"Z": qber_z, "X": qber_x}, estimates={"phase_error_upper": phase_error},
        asymptotic_bits_per_pulse=(n_z / pairs * float(bbm92_key_fraction(qber_z, qber_x, F_EC))
                                   if n_x else 0.0),
        transmittance=float(steps.transmittance[steps.sending].mean()),
        **tally.result_fields())
    record = PassRecord(**base, sifted_rate_bps=sifted, secret_rate_bps=secret, pulses=pairs,
                        sifted_bits=n_z, asymptotic_key_bits=float(secret @ steps.step_s),
                        key_bits=run.key_bits, qber=qber_z)
    return run, record
