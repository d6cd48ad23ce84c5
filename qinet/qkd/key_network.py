"""The key network on the timeline: QKD links fill key pools, consumers take relayed keys.

Every QKD link runs its protocol in slices of about one post-processing block: a slice's
pulses are sent from the moment the previous slice ended, and its key enters the link's
pool (:class:`~qinet.network.key_relay.KeyRelay`) when its last pulse has been sent.
Consumers take end-to-end keys from the pools by one-time-pad relay through trusted
nodes, under one policy:

* a consumer with a rate (a ``kind: key`` demand with ``rate``) asks for a key at that
  rate; its requests are served first in first out, before anything else, and the
  consumers without a rate must leave them a reserve in every pool on their routes;
* consumers without a rate (greedy demands, or the pairs of key managers of the key
  service) share what is left, round robin, one key each per round.

A key is delivered when the trusted nodes' announcements have crossed the route's fibre
(the fibre's group index counts). Slices, deposits, requests and deliveries are events
of a :class:`~qinet.kernel.timeline.Timeline`; :meth:`KeyNetwork.result` builds the
typed record of a run (:mod:`qinet.qkd.key_records`).

Examples:
    >>> from qinet.kernel.timeline import Timeline
    >>> from qinet.qkd.key_records import KeyConsumerSpec, QkdLinkSpec
    >>> from qinet.qkd.protocols.result import QkdRunResult
    >>> def runner(pulses, rng, block_size):  # one key bit per 1000 pulses
    ...     return QkdRunResult("bb84", pulses, pulses // 100, pulses // 100,
    ...                         key_alice=np.ones(pulses // 1000, np.uint8))
    >>> link = QkdLinkSpec(between=("a", "b"), length_km=10.0, delay_ps=50_000_000,
    ...                    source_rate_hz=1e6, block_size_bits=1000, protocol="bb84",
    ...                    runner=runner)
    >>> tl = Timeline()
    >>> net = KeyNetwork([link], [KeyConsumerSpec(("a", "b"), key_size_bits=8)],
    ...                  trusted={"a": False, "b": False}, timeline=tl, rng=RngTree(1),
    ...                  end_ps=10**12)
    >>> net.start(); net.run(10**12); out = net.finish()
    >>> out.links[0].stats.pulses, out.demands[0].keys, out.links[0].pool_level_bits
    (1000000, 125, 0)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from qinet.errors import ResourceUnavailable
from qinet.kernel.timeline import EventHandle, Timeline
from qinet.network.key_relay import KeyRelay, RelayOutcome
from qinet.qkd.key_records import (
    KeyConsumerSpec,
    KeyDemandResult,
    KeyNetworkResult,
    QkdLinkResult,
    QkdLinkSpec,
    QkdLinkStats,
    RelayedKey,
)
from qinet.qkd.pass_link import PassRecord
from qinet.rng import RngTree
from qinet.units import ps_to_s, s_to_ps

_PILOT_PULSES = 2_000_000
_MAX_SLICES = 200



class _LinkSource:
    """One QKD link's protocol, played forward slice by slice."""

    __slots__ = ("handle", "link", "passes", "pulses_sent", "rng", "slice_pulses", "slices",
                 "stats")

    def __init__(self, link: QkdLinkSpec, rng: RngTree) -> None:
        self.link = link
        self.rng = rng
        self.pulses_sent = 0
        self.slices = 0
        self.slice_pulses = 0  # sized at the first slice
        # a satellite link that sees no pass in the run had no channel at all
        self.stats = QkdLinkStats() if link.passes is None else QkdLinkStats(transmittance=0.0)
        self.handle: EventHandle | None = None
        self.passes: list[PassRecord] = []  # a satellite link's passes, as they end

    def size_slices(self, total_pulses: int) -> None:
        """Pulses per slice: enough for one block, from a pilot run on its own stream."""
        pilot_pulses = min(total_pulses, _PILOT_PULSES)
        pilot = self.link.runner(pilot_pulses, self.rng.child("pilot"), 2**62)
        per_pulse = pilot.sifted_bits / max(pilot_pulses, 1)
        wanted = self.link.block_size_bits / per_pulse if per_pulse > 0 else total_pulses
        self.slice_pulses = max(math.ceil(wanted), math.ceil(total_pulses / _MAX_SLICES), 1)

    def at_pulse(self, pulses: int) -> int:
        """The clock time at which the source has sent ``pulses``."""
        return s_to_ps(pulses / self.link.source_rate_hz)


class _Consumer:
    """A consumer's requests and what it got."""

    __slots__ = ("delivered_ps", "exposed_to", "handle", "keys_equal", "latency_ps",
                 "paths", "pending_ps", "requested_ps", "spec")

    def __init__(self, spec: KeyConsumerSpec) -> None:
        self.spec = spec
        self.requested_ps: list[int] = []
        self.pending_ps: list[int] = []
        self.delivered_ps: list[int] = []
        self.latency_ps: list[int] = []
        self.paths: dict[str, int] = {}
        self.exposed_to: dict[str, int] = {}
        self.keys_equal = True
        self.handle: EventHandle | None = None


class KeyNetwork:
    """QKD links, their pools, and the consumers of relayed keys, on a timeline.

    Args:
        links: the QKD links.
        consumers: the consumers, served in this order within each policy.
        trusted: for every node, whether it may relay keys.
        timeline: the clock the key network's events run on.
        rng: the key network's random tree; each link draws from ``qkd-link/<a>-<b>``.
        end_ps: when the run ends (each link's last slice stops there); ``None`` for an
            open-ended run, where links send whole slices only.
        greedy_at_deposits: serve the consumers without a rate at every deposit; with
            ``False`` they are served only when :meth:`serve` is called (in rounds).
        on_relay: called with every :class:`RelayedKey`, when it leaves the pools.
    """

    def __init__(self, links: Sequence[QkdLinkSpec], consumers: Sequence[KeyConsumerSpec], *,
                 trusted: Mapping[str, bool], timeline: Timeline, rng: RngTree,
                 end_ps: int | None = None, greedy_at_deposits: bool = True,
                 on_relay: Callable[[RelayedKey], None] | None = None) -> None:
        self.timeline = timeline
        self.end_ps = end_ps
        self.relay = KeyRelay(trusted)
        self._sources: list[_LinkSource] = []
        self._delay_ps: dict[frozenset[str], int] = {}
        for link in links:
            a, b = link.between
            self.relay.add_pool(a, b)
            self._delay_ps[frozenset((a, b))] = link.delay_ps
            self._sources.append(_LinkSource(link, rng.child(f"qkd-link/{a}-{b}")))
        self._consumers = [_Consumer(spec) for spec in consumers]
        self._rated = [c for c in self._consumers if c.spec.rate_hz]
        self._greedy = [c for c in self._consumers if not c.spec.rate_hz]
        self.keys_seen = dict.fromkeys(trusted, 0)
        self._greedy_at_deposits = greedy_at_deposits
        self._on_relay = on_relay
        self._reserve: dict[frozenset[str], int] | None = None
        self._horizon_ps = end_ps or 0
        self._last_arrival_ps = 0

    @property
    def links(self) -> list[QkdLinkSpec]:
        """The QKD links, in the order given."""
        return [s.link for s in self._sources]

    def start(self) -> None:
        """Schedule every link's first slice now and every rated consumer's first request.

        Side Effects:
            Schedules events on the timeline.
        """
        now = self.timeline.now_ps
        for source in self._sources:
            if source.link.passes is not None:
                self._schedule_pass(source, 0)
                continue
            source.handle = self.timeline.schedule_at(now, self._on_slice, source)
        for consumer in self._rated:
            self._schedule_request(consumer, 1)

    def run(self, until_ps: int) -> None:
        """Run the timeline up to ``until_ps``.

        In an open-ended network, a link's first slice is sized for this horizon.
        """
        if self.end_ps is None:
            self._horizon_ps = max(self._horizon_ps, until_ps)
        self.timeline.run(until_ps=until_ps)

    def finish(self) -> KeyNetworkResult:
        """End the run: links stop sending, consumers stop asking, and announcements
        already on their way land; then the record of the run.

        Side Effects:
            Cancels the links' and consumers' next events and runs the timeline until
            the last announcement has arrived.
        """
        handles = [s.handle for s in self._sources] + [c.handle for c in self._consumers]
        for handle in handles:
            if handle is not None:
                Timeline.cancel(handle)
        if self._last_arrival_ps > self.timeline.now_ps:
            self.timeline.run(until_ps=self._last_arrival_ps)
        return self.result()

    def result(self) -> KeyNetworkResult:
        """The record of the run so far: slices whose last pulse was sent, keys that
        reached their destination."""
        links = tuple(QkdLinkResult(s.link, s.stats, self.relay.pool(*s.link.between).level,
                                    self.relay.pool(*s.link.between).spent, tuple(s.passes))
                      for s in self._sources)
        demands = tuple(KeyDemandResult(
            consumer=c.spec, requested_ps=np.asarray(c.requested_ps, dtype=np.int64),
            delivered_ps=np.asarray(c.delivered_ps, dtype=np.int64),
            latency_ps=np.asarray(c.latency_ps, dtype=np.int64),
            unserved_requests=len(c.pending_ps), paths=dict(c.paths),
            exposed_to=dict(c.exposed_to), keys_equal=c.keys_equal) for c in self._consumers)
        return KeyNetworkResult(links, demands, dict(self.keys_seen))

    # ---------------------------------------------------------------- events

    def _on_slice(self, source: _LinkSource) -> None:
        """Send the link's next slice of pulses; its key is deposited when it ends."""
        source.handle = None
        link = source.link
        if not source.slice_pulses:
            horizon = self._horizon_ps
            source.size_slices(max(int(ps_to_s(horizon) * link.source_rate_hz), _PILOT_PULSES))
        pulses = source.slice_pulses
        if self.end_ps is not None:
            remaining = round(ps_to_s(self.end_ps) * link.source_rate_hz) - source.pulses_sent
            pulses = min(pulses, remaining)
            if pulses <= 0:
                return
        number = source.slices
        source.slices += 1
        source.pulses_sent += pulses
        # the block and its key are there once its last pulse has been sent
        done = max(source.at_pulse(source.pulses_sent), self.timeline.now_ps)
        self.timeline.schedule_at(done, self._on_deposit, source, pulses, number)
        source.handle = self.timeline.schedule_at(done, self._on_slice, source)

    def _on_deposit(self, source: _LinkSource, pulses: int, number: int) -> None:
        """Distil the slice's key (its own random stream, so it does not matter when)
        and put it in the link's pool."""
        link = source.link
        # a slice is sized for one block; twice the size keeps a fluctuation from
        # splitting off a tiny second block
        run = link.runner(pulses, source.rng.child(f"slice/{number}"),
                          2 * link.block_size_bits)
        source.stats = source.stats + QkdLinkStats.of(run)
        self.relay.deposit(*link.between, run.key_alice)
        self._serve(greedy=self._greedy_at_deposits)

    def _schedule_pass(self, source: _LinkSource, number: int) -> None:
        """A satellite link's pass ``number`` ends (and is distilled) at its set time."""
        schedule = source.link.passes
        if schedule is None or number >= len(schedule.channels):
            return
        end_ps = max(s_to_ps(schedule.channels[number].end_s), self.timeline.now_ps)
        if self.end_ps is None or end_ps <= self.end_ps:
            source.handle = self.timeline.schedule_at(end_ps, self._on_pass, source, number)

    def _on_pass(self, source: _LinkSource, number: int) -> None:
        """Distil a satellite link's pass as one run, put its key in the pool, and wait
        for the next pass."""
        source.handle = None
        link = source.link
        if link.passes is None:
            return
        run, record = link.passes.runner(link.passes.channels[number],
                                         source.rng.child(f"pass/{number}"),
                                         link.block_size_bits)
        source.slices += 1
        source.pulses_sent += run.pulses
        source.stats = source.stats + QkdLinkStats.of(run)
        source.passes.append(record)
        self.relay.deposit(*link.between, run.key_alice)
        self._serve(greedy=self._greedy_at_deposits)
        self._schedule_pass(source, number + 1)

    def _schedule_request(self, consumer: _Consumer, number: int) -> None:
        rate_hz = consumer.spec.rate_hz
        if not rate_hz:
            return  # a consumer without a rate makes no requests
        when = s_to_ps(number / rate_hz)
        if self.end_ps is None or when <= self.end_ps:
            consumer.handle = self.timeline.schedule_at(when, self._on_request, consumer,
                                                        number)

    def _on_request(self, consumer: _Consumer, number: int) -> None:
        now = self.timeline.now_ps
        consumer.handle = None
        consumer.requested_ps.append(now)
        consumer.pending_ps.append(now)
        self._serve(greedy=self._greedy_at_deposits)
        self._schedule_request(consumer, number + 1)

    def _on_delivered(self, consumer: _Consumer, outcome: RelayOutcome,
                      requested_ps: int | None) -> None:
        now = self.timeline.now_ps
        consumer.delivered_ps.append(now)
        if requested_ps is not None:
            consumer.latency_ps.append(now - requested_ps)
        name = " → ".join(outcome.path)
        consumer.paths[name] = consumer.paths.get(name, 0) + 1
        for node in outcome.exposed_to:
            consumer.exposed_to[node] = consumer.exposed_to.get(node, 0) + 1
            self.keys_seen[node] += 1
        consumer.keys_equal &= bool(np.array_equal(outcome.key_source,
                                                   outcome.key_destination))

    # ---------------------------------------------------------------- policy

    def serve(self) -> None:
        """Serve now: waiting requests first in first out, then the consumers without a
        rate, round robin, one key each per round, until no pool can pay one more.

        Side Effects:
            Takes key from the pools and schedules its deliveries.
        """
        self._serve(greedy=True)

    def _serve(self, *, greedy: bool) -> None:
        progress = True
        while progress:
            progress = False
            for consumer in self._rated:
                if consumer.pending_ps and self._relay(consumer, consumer.pending_ps[0]):
                    consumer.pending_ps.pop(0)
                    progress = True
        if not (greedy and self._greedy):
            return
        if self._reserve is None:
            self._reserve = self._reserve_for_rates()
        active = self._greedy
        while active:
            active = [c for c in active if self._relay(c, None, self._reserve)]

    def _reserve_for_rates(self) -> dict[frozenset[str], int]:
        """Key that consumers without a rate must leave in each pool: what the rated
        consumers routed over it ask for until the slowest link's next block arrives."""
        longest_slice_s = max((s.slice_pulses / s.link.source_rate_hz for s in self._sources),
                              default=0.0)
        reserve: dict[frozenset[str], int] = {}
        for consumer in self._rated:
            spec = consumer.spec
            need = math.ceil((spec.rate_hz or 0.0) * spec.key_size_bits * longest_slice_s)
            for path in self.relay.routes(*spec.between):
                for hop in itertools.pairwise(path):
                    key = frozenset(hop)
                    reserve[key] = reserve.get(key, 0) + need
        return reserve

    def _relay(self, consumer: _Consumer, requested_ps: int | None,
               reserve: dict[frozenset[str], int] | None = None) -> bool:
        """Relay one key to ``consumer`` if the pools can pay; it lands after the
        announcements' flight over the route."""
        source, destination = consumer.spec.between
        try:
            out = self.relay.relay(source, destination, consumer.spec.key_size_bits,
                                   reserve=reserve)
        except ResourceUnavailable:
            return False
        travel_ps = sum(self._delay_ps[frozenset(hop)] for hop in itertools.pairwise(out.path))
        now = self.timeline.now_ps
        arrival = now + travel_ps
        self._last_arrival_ps = max(self._last_arrival_ps, arrival)
        self.timeline.schedule_at(arrival, self._on_delivered, consumer, out, requested_ps)
        if self._on_relay is not None:
            self._on_relay(RelayedKey(consumer.spec, consumer.spec.key_size_bits, now, arrival))
        return True
