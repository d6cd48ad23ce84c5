"""Clock synchronisation on delivered GHZ states, and the classical time transfer it needs.

**The quantum comparison.** N clocks keep time with offsets ``τ_i`` from the network's
reference time. Each node holds one qubit of a GHZ state (delivered as in
:mod:`qinet.apps.sensing`) with transition frequency ``f``; it starts and ends its
Ramsey interrogation by its own clock, so in the reference frame its qubit carries the
extra phase ``φ_i = ω τ_i`` with ``ω = 2π f`` (the entanglement-based clock comparison
of Jozsa et al., Phys. Rev. Lett. 85, 2010 (2000); the network of clocks of Komar et
al., Nat. Phys. 10, 582 (2014), reads the same sum of phases from a GHZ parity). The
parity ``<X^{⊗N}>`` then reads ``Φ = ω Σ τ_i = N ω τ̄``: the mean offset ``τ̄`` of the
clocks, which sets the network's common time scale. With ν rounds and contrast V::

    GHZ:          σ_τ̄ = 1 / (ω N V √ν)                (Heisenberg scaling)
    independent:  σ_τ̄ = 1 / (ω e^{-t/T2} √(N ν))      (each clock compared on its own)

where ``V = Π_k (w_Φ+ - w_Φ-)_k e^{-N t/T2}``; for Werner pairs of fidelity F the pair
coherence is ``(4F-1)/3``, so the GHZ gain ``√N ((4F-1)/3)^{N-1}`` (at t = 0) falls to 1
at the pair fidelity ``F* = (1 + 3 N^{-1/(2(N-1))}) / 4``
(:func:`crossover_pair_fidelity`).

**The price in range.** One parity resolves ``Φ`` only within ``±π/2`` of the operating
point, so the GHZ needs a prior on the mean offset within ``±π/(2Nω)``, N times
narrower than a single clock comparison's ``±π/(2ω)``. That prior comes from classical
time transfer.

**The classical part.** Two-way time transfer (Einstein synchronisation): the hub
sends a request at its reading ``t1``, the remote clock stamps its arrival ``t2`` and
its reply ``t3``, the hub stamps the reply's arrival ``t4``; then::

    τ̂ = ((t2 - t1) - (t4 - t3)) / 2 = τ + (d_out - d_back) / 2,   round trip = d_out + d_back

exact for symmetric paths, wrong by half the delay asymmetry otherwise (the principle
of two-way satellite and fibre time transfer, e.g. ITU-R TF.1153). A drifting clock is
read at the mean of its two stamps, and tag jitters ``σ_hub, σ_remote`` give each
exchange a spread ``sqrt((σ_hub² + σ_remote²)/2)``. It runs here on the kernel's
timeline with the network's one-way message delays and the clocks of
:class:`qinet.physical.timing.Clock` (:func:`two_way_time_transfer`). The hub must
also collect the N parity bits of every round, so an estimate is ready one message
latency after the last round.

Examples:
    >>> import numpy as np
    >>> report = synchronise_clocks(offsets_s=[1e-18, -2e-18, 0.0], qubit_frequency_hz=4.29e14,
    ...     pair_weights=None, rounds=1000, trials=100, rng=np.random.default_rng(3),
    ...     message_latency_s=5e-4)
    >>> round(report.predicted_gain_over_independent, 4)  # √3
    1.7321
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
from numpy.typing import ArrayLike

from qinet.apps import sensing
from qinet.errors import ConfigError
from qinet.kernel.ports import ClassicalChannel
from qinet.kernel.timeline import Timeline
from qinet.physical.timing import Clock
from qinet.units import ps_to_s, s_to_ps


@dataclass(frozen=True, slots=True)
class ClockSyncReport:
    """The mean clock offset read from a GHZ, against N independent clock comparisons.

    Attributes:
        clocks: number of clocks N.
        rounds: parity rounds ν per estimate.
        trials: repetitions that give the sampled spreads.
        qubit_frequency_hz: the clock qubits' transition frequency f.
        interrogation_time_s: time each qubit dephases per round.
        ghz_fidelity: fidelity of the delivered GHZ state.
        ghz_contrast: the GHZ parity's contrast V (dephasing included).
        mean_offset_s: the true mean offset τ̄ of the clocks.
        ghz_mean_offset_estimate_s: the GHZ estimate of τ̄, averaged over the trials.
        ghz_time_offset_std_s: sampled spread of the GHZ estimate of τ̄.
        ghz_cramer_rao_std_s: its Cramér-Rao bound.
        independent_time_offset_std_s: sampled spread of the mean of N single-clock
            estimates.
        independent_cramer_rao_std_s: its Cramér-Rao bound.
        gain_over_independent: sampled ratio of the spreads, independent over GHZ.
        predicted_gain_over_independent: the same ratio from the bounds.
        ghz_unambiguous_range_s: half-width ``π/(2Nω)`` within which the prior on τ̄ must lie.
        independent_unambiguous_range_s: the same for one clock comparison, ``π/(2ω)``.
        message_latency_s: one-way classical latency from the farthest clock to the hub.
        time_to_estimate_s: ``rounds × max(interrogation_time_s, 1/ghz_rate_hz) +
            message_latency_s``: a round waits for its GHZ state, and the hub for the
            last round's parity bits.
        independent_time_to_estimate_s: ``rounds × interrogation_time_s +
            message_latency_s`` (the independent comparisons wait for no pairs).
    """

    clocks: int
    rounds: int
    trials: int
    qubit_frequency_hz: float
    interrogation_time_s: float
    ghz_fidelity: float
    ghz_contrast: float
    mean_offset_s: float
    ghz_mean_offset_estimate_s: float
    ghz_time_offset_std_s: float
    ghz_cramer_rao_std_s: float
    independent_time_offset_std_s: float
    independent_cramer_rao_std_s: float
    gain_over_independent: float
    predicted_gain_over_independent: float
    ghz_unambiguous_range_s: float
    independent_unambiguous_range_s: float
    message_latency_s: float
    time_to_estimate_s: float
    independent_time_to_estimate_s: float


def synchronise_clocks(*, offsets_s: ArrayLike, qubit_frequency_hz: float,
                       pair_weights: ArrayLike | None, rounds: int, trials: int,
                       rng: np.random.Generator, message_latency_s: float,
                       prior_offsets_s: ArrayLike | None = None, t2_s: float = math.inf,
                       interrogation_time_s: float = 0.0,
                       ghz_rate_hz: float = math.inf) -> ClockSyncReport:
    """Estimate the clocks' mean offset from GHZ parities and from independent comparisons.

    Args:
        offsets_s: each clock's true offset τ_i from the reference time (N >= 2).
        qubit_frequency_hz: transition frequency f of the clock qubits (ω = 2πf).
        pair_weights: Bell weights of the N-1 pairs fused into the GHZ (one row for all,
            or one per pair); ``None`` for perfect pairs.
        rounds: parity rounds ν per estimate.
        trials: repetitions, for the sampled spread.
        rng: the random stream.
        message_latency_s: one-way latency from the farthest clock to the hub that
            collects the parity bits (see :func:`hub_latencies_s`).
        prior_offsets_s: the offsets known beforehand (classical time transfer); zero
            if None.
        t2_s: the memories' T2.
        interrogation_time_s: time each qubit dephases per round.
        ghz_rate_hz: GHZ states the network delivers per second (``inf``: as fast as
            the rounds run).

    Raises:
        ConfigError: a bad argument, or a prior outside the GHZ's unambiguous range.
    """
    offsets, prior = sensing.node_values("offsets_s", offsets_s, "prior_offsets_s",
                                         prior_offsets_s, what="clocks")
    n = offsets.size
    f = _positive("qubit_frequency_hz", qubit_frequency_hz)
    latency = _non_negative("message_latency_s", message_latency_s)
    if isinstance(ghz_rate_hz, bool) or not isinstance(ghz_rate_hz, int | float) or not (
            ghz_rate_hz > 0):
        raise ConfigError("ghz_rate_hz", f"must be positive, got {ghz_rate_hz!r}")
    omega = 2 * math.pi * f
    # Phases relative to the prior, so large offsets at optical frequencies lose no digits.
    try:
        phases = sensing.compare_phase_sensing(
            phases_rad=omega * (offsets - prior), pair_weights=pair_weights, rounds=rounds,
            trials=trials, rng=rng, t2_s=t2_s, interrogation_time_s=interrogation_time_s)
    except ConfigError as error:
        if error.field == "phases_rad":
            raise ConfigError("prior_offsets_s", f"the mean offset must be known within "
                              f"±{math.pi / (2 * n * omega)!r} s for the GHZ to resolve it; "
                              f"{error.reason}") from error
        raise
    ghz, ind = phases.ghz, phases.independent
    return ClockSyncReport(
        clocks=n, rounds=ghz.rounds, trials=ghz.trials, qubit_frequency_hz=f,
        interrogation_time_s=phases.interrogation_time_s, ghz_fidelity=phases.ghz_fidelity,
        ghz_contrast=ghz.contrast, mean_offset_s=float(offsets.mean()),
        ghz_mean_offset_estimate_s=float(prior.mean()) + ghz.phase_mean_rad / omega,
        ghz_time_offset_std_s=ghz.phase_std_rad / omega,
        ghz_cramer_rao_std_s=ghz.cramer_rao_std_rad / omega,
        independent_time_offset_std_s=ind.phase_std_rad / omega,
        independent_cramer_rao_std_s=ind.cramer_rao_std_rad / omega,
        gain_over_independent=phases.gain_over_independent,
        predicted_gain_over_independent=phases.predicted_gain_over_independent,
        ghz_unambiguous_range_s=math.pi / (2 * n * omega),
        independent_unambiguous_range_s=math.pi / (2 * omega),
        message_latency_s=latency,
        time_to_estimate_s=ghz.rounds * max(phases.interrogation_time_s, 1.0 / ghz_rate_hz)
        + latency,
        independent_time_to_estimate_s=ghz.rounds * phases.interrogation_time_s + latency,
    )


def crossover_pair_fidelity(clocks: int) -> float:
    """Werner pair fidelity below which the GHZ loses to independent clocks (t = 0).

    Solves ``√N ((4F-1)/3)^{N-1} = 1``: ``F* = (1 + 3 N^{-1/(2(N-1))}) / 4``.

    Examples:
        >>> round(crossover_pair_fidelity(2), 6)  # (1 + 3/√2)/4
        0.78033
    """
    if isinstance(clocks, bool) or not isinstance(clocks, int) or clocks < 2:
        raise ConfigError("clocks", f"must be an integer of at least 2, got {clocks!r}")
    exponent = -1.0 / (2 * (clocks - 1))
    return (1.0 + 3.0 * math.pow(clocks, exponent)) / 4.0


@dataclass(frozen=True, slots=True)
class TimeTransfer:
    """Repeated two-way exchanges between the hub and a remote clock.

    Attributes:
        exchanges: number of request-reply exchanges.
        offset_estimate_s: mean over the exchanges of ``((t2 - t1) - (t4 - t3)) / 2``.
        offset_error_s: mean of each estimate minus the remote clock's true error
            averaged over its two stamps: half the delay asymmetry, plus jitter.
        offset_spread_s: sample standard deviation of one exchange's estimate (0 for
            a single exchange).
        predicted_offset_spread_s: ``sqrt((σ_hub² + σ_remote²) / 2)`` from the jitters.
        round_trip_s: ``(t4 - t1) - (t3 - t2)`` of the first exchange without jitter:
            the two one-way latencies.
        message_latency_s: the outbound one-way latency.
    """

    exchanges: int
    offset_estimate_s: float
    offset_error_s: float
    offset_spread_s: float
    predicted_offset_spread_s: float
    round_trip_s: float
    message_latency_s: float


@dataclass(frozen=True, slots=True)
class _TimeRequest:
    hub_send_reading_s: float


@dataclass(frozen=True, slots=True)
class _TimeReply:
    hub_send_reading_s: float
    remote_receive_reading_s: float
    remote_send_reading_s: float
    remote_true_error_s: float


def two_way_time_transfer(*, remote_clock: Clock, delay_out_s: float, delay_back_s: float,
                          hold_s: float = 0.0, exchanges: int = 1, period_s: float = 1e-3,
                          hub_jitter_rms_s: float = 0.0,
                          rng: np.random.Generator | None = None) -> TimeTransfer:
    """Run two-way time transfer between a hub and ``remote_clock`` on the kernel's timeline.

    The hub's clock reads the reference time (its time tagger adds ``hub_jitter_rms_s``);
    the remote reads by ``remote_clock`` (offset, drift, jitter,
    :class:`qinet.physical.timing.Clock`). Exchange j starts at ``j × period_s``; the
    messages take the given one-way latencies. Each exchange estimates the remote's
    error at its stamps, ``τ + (d_out - d_back)/2``, and with tag jitters
    ``σ_hub, σ_remote`` (four stamps, each entering with weight ½) its spread is
    ``sqrt((σ_hub² + σ_remote²) / 2)``.

    Args:
        remote_clock: the clock being compared with the reference.
        delay_out_s: one-way message latency hub → remote.
        delay_back_s: one-way message latency remote → hub.
        hold_s: the remote's wait between receiving and replying.
        exchanges: number of exchanges.
        period_s: time between the starts of two exchanges.
        hub_jitter_rms_s: RMS jitter of the hub's time tags.
        rng: the random stream for the jitters (required when a jitter is non-zero).

    Examples:
        >>> tt = two_way_time_transfer(remote_clock=Clock(offset_s=3e-6), delay_out_s=5e-4,
        ...                            delay_back_s=5e-4)
        >>> round(tt.offset_estimate_s * 1e6, 9), tt.round_trip_s
        (3.0, 0.001)
    """
    count = _count("exchanges", exchanges)
    hub_jitter = _non_negative("hub_jitter_rms_s", hub_jitter_rms_s)
    if (hub_jitter or remote_clock.jitter_rms_s) and rng is None:
        raise ConfigError("rng", "is needed to draw the time tags' jitter")
    period_ps = s_to_ps(_positive("period_s", period_s))
    hold_ps = s_to_ps(_non_negative("hold_s", hold_s))
    timeline = Timeline()
    replies: list[tuple[_TimeReply, float]] = []

    def jitter(rms_s: float) -> float:
        return float(rng.normal(0.0, rms_s)) if rng is not None and rms_s else 0.0

    def remote_reading() -> tuple[float, float]:
        true_s = ps_to_s(timeline.now_ps)
        error = float(remote_clock.error_s(true_s))
        return true_s + error + jitter(remote_clock.jitter_rms_s), error

    def hub_reading() -> float:
        return ps_to_s(timeline.now_ps) + jitter(hub_jitter)

    def hub_receives(reply: _TimeReply) -> None:
        replies.append((reply, hub_reading()))

    back = ClassicalChannel(timeline, delay_ps=s_to_ps(_non_negative("delay_back_s", delay_back_s)),
                            receiver=hub_receives, name="time-transfer-back")

    def remote_replies(request: _TimeRequest, received_s: float, error_in_s: float) -> None:
        sent_s, error_out_s = remote_reading()
        back.send(_TimeReply(request.hub_send_reading_s, received_s, sent_s,
                             (error_in_s + error_out_s) / 2))

    def remote_receives(request: _TimeRequest) -> None:
        received_s, error_s = remote_reading()  # stamped by the remote's own clock
        timeline.schedule_after(hold_ps, remote_replies, request, received_s, error_s)

    out = ClassicalChannel(timeline, delay_ps=s_to_ps(_non_negative("delay_out_s", delay_out_s)),
                           receiver=remote_receives, name="time-transfer-out")

    def hub_sends() -> None:
        out.send(_TimeRequest(hub_reading()))

    for j in range(count):
        timeline.schedule_at(j * period_ps, hub_sends)
    timeline.run()
    estimates = np.array([((r.remote_receive_reading_s - r.hub_send_reading_s)
                           - (t4 - r.remote_send_reading_s)) / 2 for r, t4 in replies])
    errors = estimates - np.array([r.remote_true_error_s for r, _ in replies])
    return TimeTransfer(
        exchanges=count,
        offset_estimate_s=float(estimates.mean()),
        offset_error_s=float(errors.mean()),
        offset_spread_s=float(estimates.std(ddof=1)) if count > 1 else 0.0,
        predicted_offset_spread_s=math.sqrt((hub_jitter**2 + remote_clock.jitter_rms_s**2) / 2),
        round_trip_s=ps_to_s(out.delay_ps + back.delay_ps),
        message_latency_s=ps_to_s(out.delay_ps),
    )


def hub_latencies_s(graph: nx.Graph[str], hub: str) -> dict[str, float]:
    """One-way classical latency from ``hub`` to every node, over the fastest path.

    Uses the ``delay_ps`` of the network's edges
    (:func:`qinet.network.topology.build_graph`).

    Examples:
        >>> from qinet.network.topology import LinkInfo, build_graph
        >>> g = build_graph(["h", "a", "b"], {
        ...     ("h", "a"): LinkInfo("h-a", 10.0, 48_974_000, 100.0, 0.9),
        ...     ("a", "b"): LinkInfo("a-b", 10.0, 48_974_000, 100.0, 0.9)})
        >>> hub_latencies_s(g, "h")["b"]
        9.7948e-05
    """
    if hub not in graph:
        raise ConfigError("hub", f"is not a node of the network, got {hub!r}")
    lengths = nx.single_source_dijkstra_path_length(graph, hub, weight="delay_ps")
    return {node: ps_to_s(delay) for node, delay in lengths.items()}


def _count(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(field, f"must be a positive integer, got {value!r}")
    return int(value)


def _finite(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ConfigError(field, f"must be a number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ConfigError(field, f"must be finite, got {value!r}")
    return float(value)


def _positive(field: str, value: object) -> float:
    number = _finite(field, value)
    if not number > 0:
        raise ConfigError(field, f"must be positive, got {value!r}")
    return number


def _non_negative(field: str, value: object) -> float:
    number = _finite(field, value)
    if number < 0:
        raise ConfigError(field, f"must be non-negative, got {value!r}")
    return number
