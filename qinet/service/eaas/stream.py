"""Server-sent event streams of the entanglement service: a request's changes and pairs as
they happen, and the network's state about twice a second.

* ``GET /v1/requests/{id}/events``: one of the caller's requests (404 for another
  tenant's, as ``GET /v1/requests/{id}`` answers); ends after the request ends;
* ``GET /v1/events``: all of the caller's requests, plus a ``network`` snapshot every
  ``snapshot_period_s`` of wall time.

Both authenticate the caller as every route does (bearer token, or client certificate
with mutual TLS). Each event is an SSE ``event:`` name and one line of JSON ``data:``:

* ``request``: a request's page as ``GET /v1/requests/{id}`` gives it, less its list of
  pairs; sent on connecting (per-request stream) and whenever its state or its SLO
  status (ok, or outage and its kinds of reason) changes;
* ``pairs``: ``{"request", "pairs": [{"id", "time_s", "fidelity"}], "pairs_delivered"}``,
  the pairs one tick delivered (``time_s`` simulated, ``fidelity`` the simulated state's
  fidelity to Φ+, the same numbers the request's page lists); on the per-request
  stream its SSE ``id`` is ``pairs_delivered``, and a client that reconnects with
  ``Last-Event-ID: N`` (as ``EventSource`` does) first gets pairs ``N`` onwards, in
  events of up to ``REPLAY_BATCH`` pairs, so no pair is lost (``0``: all of them);
* ``network``: ``GET /v1/network``'s body, each link with ``pairs_hz`` added (heralded
  link pairs per simulated second over the last ``pairs_window_s`` simulated seconds,
  since the previous snapshot any stream got), and ``requests``: the caller's latest
  requests' pages (state, pairs delivered, SLO status), less their pairs;
* ``dropped``: ``{"events": n}``, events left out because the client read too slowly
  (each stream buffers ``max_events``); the pages say where things stand;
* ``end``: ``{"reason"}``, the last event: the request ended, or the service stops.

A comment line (``: keep-alive``) goes out when nothing else has for ``keepalive_s``.

The live network calls its hooks (``on_state``, ``on_pairs``, ``on_slo``) from its
driver thread with its lock held; :class:`EventHub` hands each event to the streams of
the request's tenant through their event loops (``call_soon_threadsafe``), so a hook
never waits on a client. An event is encoded once however many streams send it, and a
tenant's streams share one snapshot per half period. The per-request stream subscribes
and reads the request's page under the network's lock, so its pair events follow the
page's ``pairs_delivered`` with no pair missing or sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from qinet.errors import ConfigError
from qinet.service.eaas.live import LiveNetwork, LiveRequest
from qinet.service.eaas.slo import SloStatus
from qinet.service.log_format import clip

SNAPSHOT_PERIOD_S = 0.5
KEEPALIVE_S = 15.0
MAX_EVENTS = 1024  # events one stream buffers for a slow reader before it drops some
REPLAY_BATCH = 1000  # pairs per event when a stream replays those a client missed
REQUESTS_SHOWN = 50  # a snapshot lists the caller's latest requests only
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def sse(name: str, data: dict[str, Any], event_id: str | None = None) -> bytes:
    """One server-sent event: its name, its data as one line of JSON, and its id.

    Examples:
        >>> sse("end", {"reason": "done"})
        b'event: end\\ndata: {"reason":"done"}\\n\\n'
        >>> sse("pairs", {}, "12")
        b'id: 12\\nevent: pairs\\ndata: {}\\n\\n'
    """
    body = json.dumps(data, separators=(",", ":"), allow_nan=False)
    head = "" if event_id is None else f"id: {event_id}\n"
    return f"{head}event: {name}\ndata: {body}\n\n".encode()


class Event:
    """One event of the live network, encoded at most once (with and without its id)
    however many streams send it.

    Attributes:
        name: the SSE event name.
        data: its JSON data (never changed once made).
        event_id: its SSE id where it has one (a ``pairs`` event: the count so far).
    """

    __slots__ = ("_wire", "data", "event_id", "name")

    def __init__(self, name: str, data: dict[str, Any], event_id: str | None = None) -> None:
        self.name = name
        self.data = data
        self.event_id = event_id
        self._wire: dict[bool, bytes] = {}

    def encoded(self, *, with_id: bool) -> bytes:
        """The event as it goes on the wire, with its ``id:`` line or without."""
        wire = self._wire.get(with_id)
        if wire is None:
            wire = self._wire[with_id] = sse(self.name, self.data,
                                             self.event_id if with_id else None)
        return wire


class Subscriber:
    """One open stream: the events waiting for it, filled from any thread.

    Attributes:
        tenant: whose requests it follows.
        request_id: the one request it follows (``None``: all of the tenant's).
        closed: the service is stopping.
    """

    def __init__(self, tenant: str, request_id: str | None, loop: asyncio.AbstractEventLoop,
                 max_events: int) -> None:
        self.tenant = tenant
        self.request_id = request_id
        self.closed = False
        self._dropped = 0
        self._dropped_lock = threading.Lock()  # counted by the driver, read by the loop
        self._loop = loop
        self._max_events = max_events
        self._events: deque[Event] = deque()
        self._wake = asyncio.Event()

    def wants(self, request: LiveRequest) -> bool:
        """Whether the stream follows ``request``."""
        return request.tenant == self.tenant and self.request_id in (None, request.id)

    def offer(self, event: Event) -> None:
        """Queue an event (any thread); a full queue counts it as dropped."""
        if len(self._events) >= self._max_events:
            with self._dropped_lock:
                self._dropped += 1
        else:
            self._events.append(event)
        self._signal()

    def close(self) -> None:
        """End the stream after the events already queued."""
        self.closed = True
        self._signal()

    def _signal(self) -> None:
        with contextlib.suppress(RuntimeError):  # its loop has closed: nobody reads
            self._loop.call_soon_threadsafe(self._wake.set)

    async def wait(self, timeout_s: float) -> list[Event]:
        """The events queued, waiting up to ``timeout_s`` for one when there are none."""
        if not self._events and not self.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout_s)
        self._wake.clear()  # before draining: an event offered meanwhile sets it again
        taken = []
        while self._events:
            taken.append(self._events.popleft())
        return taken

    def take_dropped(self) -> int:
        """Events left out since the last call."""
        with self._dropped_lock:
            dropped, self._dropped = self._dropped, 0
        return dropped


class EventHub:
    """The live network's events, handed to the open streams of each request's tenant.

    Args:
        network: the live network (:meth:`attach` chains its hooks to this hub).
        snapshot_period_s: wall seconds between two ``network`` snapshots.
        keepalive_s: wall seconds of silence before a keep-alive comment.
        max_events: events a stream buffers before it drops new ones.
    """

    def __init__(self, network: LiveNetwork, *, snapshot_period_s: float = SNAPSHOT_PERIOD_S,
                 keepalive_s: float = KEEPALIVE_S, max_events: int = MAX_EVENTS) -> None:
        self.network = network
        self.snapshot_period_s = snapshot_period_s
        self.keepalive_s = keepalive_s
        self.max_events = max_events
        self.closed = False
        self._subscribers: set[Subscriber] = set()
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._snapshots: dict[str, tuple[float, bytes]] = {}  # tenant -> the event sent
        self._counts = self._link_counts()

    # -- hooks ------------------------------------------------------------------------

    def attach(self) -> None:
        """Chain the network's ``on_state``, ``on_pairs`` and ``on_slo`` hooks to this
        hub (after whatever they already call: the metrics)."""
        network = self.network
        before_state, before_pairs = network.on_state, network.on_pairs
        before_slo = network.on_slo

        def on_state(request: LiveRequest, before: str | None) -> None:
            if before_state is not None:
                before_state(request, before)
            self.on_state(request)

        def on_pairs(request: LiveRequest, fidelities: list[float]) -> None:
            if before_pairs is not None:
                before_pairs(request, fidelities)
            self.on_pairs(request, len(fidelities))

        def on_slo(request: LiveRequest, before: SloStatus | None) -> None:
            if before_slo is not None:
                before_slo(request, before)
            self.on_state(request)

        network.on_state = on_state
        network.on_pairs = on_pairs
        network.on_slo = on_slo

    def on_state(self, request: LiveRequest) -> None:
        """A request was admitted or ended, or its SLO status changed: its page goes to
        its streams."""
        if self._subscribers:
            self._publish(request, Event("request", self.page(request)))

    def on_pairs(self, request: LiveRequest, new: int) -> None:
        """``new`` pairs were delivered to ``request`` (the last ``new`` of its record)."""
        if not self._subscribers:
            return
        delivered = len(request.fidelities)
        self._publish(request, Event("pairs", pairs_event(request, delivered - new, delivered),
                                     str(delivered)))

    def _publish(self, request: LiveRequest, event: Event) -> None:
        with self._lock:
            streams = [s for s in self._subscribers if s.wants(request)]
        for stream in streams:
            stream.offer(event)

    # -- streams ----------------------------------------------------------------------

    def subscribe(self, tenant: str, request_id: str | None = None) -> Subscriber:
        """A new stream (call it from the event loop that will read it)."""
        stream = Subscriber(tenant, request_id, asyncio.get_running_loop(), self.max_events)
        with self._lock:
            self._subscribers.add(stream)
            if self.closed:
                stream.close()
        return stream

    def unsubscribe(self, stream: Subscriber) -> None:
        """Forget a stream (its client left, or it ended)."""
        with self._lock:
            self._subscribers.discard(stream)

    @property
    def streams(self) -> int:
        """Streams open now."""
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        """The service stops: every stream sends ``end`` and finishes; new ones too."""
        with self._lock:
            self.closed = True
            streams = list(self._subscribers)
        for stream in streams:
            stream.close()

    # -- pages --------------------------------------------------------------------------

    def page(self, request: LiveRequest) -> dict[str, Any]:
        """A request's page, less its pairs."""
        view = self.network.view(request)
        view.pop("pairs", None)
        return view

    def _link_counts(self) -> tuple[int, dict[frozenset[str], int]]:
        """The simulated time and each link's heralded pairs so far."""
        with self.network.lock:
            return (self.network.timeline.now_ps,
                    {key: link.successes for key, link in self.network.links.items()})

    def network_state(self) -> dict[str, Any]:
        """``GET /v1/network``'s body with each link's measured ``pairs_hz``; computed at
        most once per half snapshot period and shared by every stream."""
        now = time.monotonic()
        cached = self._cached
        if cached is not None and now - cached[0] < self.snapshot_period_s / 2:
            return cached[1]
        with self.network.lock:
            state = self.network.network_view()
            before_ps, before = self._counts
            now_ps, counts = self._link_counts()
            elapsed_s = (now_ps - before_ps) * 1e-12
            for link in state["links"]:
                key = frozenset(link["between"])
                link["pairs_hz"] = ((counts[key] - before.get(key, 0)) / elapsed_s
                                    if elapsed_s > 0 else 0.0)
            state["pairs_window_s"] = elapsed_s
            if elapsed_s > 0:
                self._counts = (now_ps, counts)
        self._cached = (now, state)
        return state

    def snapshot(self, tenant: str) -> dict[str, Any]:
        """The ``network`` event's data for ``tenant``: the network's state and the
        tenant's latest requests' pages."""
        mine = [r for r in list(self.network.requests.values()) if r.tenant == tenant]
        return {**self.network_state(),
                "requests": [self.page(r) for r in mine[-REQUESTS_SHOWN:]]}

    def snapshot_event(self, tenant: str) -> bytes:
        """The ``network`` event for ``tenant``, made at most once per half snapshot
        period and shared by the tenant's streams."""
        now = time.monotonic()
        cached = self._snapshots.get(tenant)
        if cached is not None and now - cached[0] < self.snapshot_period_s / 2:
            return cached[1]
        event = sse("network", self.snapshot(tenant))
        self._snapshots[tenant] = (now, event)
        return event

    # -- the two streams ------------------------------------------------------------------

    async def request_events(self, request: LiveRequest,
                             after: int | None = None) -> AsyncIterator[bytes]:
        """One request's stream: its page, the pairs after the first ``after`` (none
        when ``None``), then its new pairs and changes, then ``end``."""
        with self.network.lock:  # no pair can land between the page and the subscription
            stream = self.subscribe(request.tenant, request.id)
            page = self.page(request)
            seen = int(page["pairs_delivered"])
            replay = [pairs_event(request, k, min(k + REPLAY_BATCH, seen))
                      for k in range(min(after, seen), seen, REPLAY_BATCH)
                      ] if after is not None else []
        try:
            yield sse("request", page)
            for data in replay:
                yield sse("pairs", data, str(data["pairs_delivered"]))
            ended = page["state"] != "active"
            while not ended:
                events = await stream.wait(self.keepalive_s)
                if not events and not stream.closed:
                    yield b": keep-alive\n\n"
                for event in events:
                    if event.name == "pairs" and event.data["pairs_delivered"] <= seen:
                        continue  # already counted in the page sent on connecting
                    yield event.encoded(with_id=True)
                    ended = ended or (event.name == "request"
                                      and event.data["state"] != "active")
                dropped = stream.take_dropped()
                if dropped:
                    yield sse("dropped", {"events": dropped})
                if stream.closed and not ended:
                    yield sse("end", {"reason": "the service is stopping"})
                    return
            yield sse("end", {"reason": f"request {request.id} is {request.state}"})
        finally:
            self.unsubscribe(stream)

    async def tenant_events(self, tenant: str) -> AsyncIterator[bytes]:
        """A tenant's stream: its requests' events and the network's state."""
        stream = self.subscribe(tenant)
        try:
            yield self.snapshot_event(tenant)
            due = time.monotonic() + self.snapshot_period_s
            while True:
                events = await stream.wait(max(0.0, due - time.monotonic()))
                for event in events:  # ids only on the per-request stream
                    yield event.encoded(with_id=False)
                dropped = stream.take_dropped()
                if dropped:
                    yield sse("dropped", {"events": dropped})
                if stream.closed:
                    yield sse("end", {"reason": "the service is stopping"})
                    return
                if time.monotonic() >= due:
                    yield self.snapshot_event(tenant)
                    due = time.monotonic() + self.snapshot_period_s
        finally:
            self.unsubscribe(stream)


def pairs_event(request: LiveRequest, start: int, stop: int) -> dict[str, Any]:
    """The ``pairs`` event of the request's pairs ``start`` to ``stop - 1``."""
    pairs = [{"id": f"{request.id}.{k}", "time_s": request.times_ps[k] * 1e-12,
              "fidelity": request.fidelities[k]} for k in range(start, stop)]
    return {"request": request.id, "pairs": pairs, "pairs_delivered": stop}


def last_event_id(header: str | None) -> int | None:
    """The pairs a client already has, from its ``Last-Event-ID`` header.

    Raises:
        ConfigError: a header that is not a count of pairs.

    Examples:
        >>> last_event_id("12"), last_event_id(None)
        (12, None)
    """
    if header is None:
        return None
    text = header.strip()
    if not text.isdigit() or len(text) > 12:
        raise ConfigError("Last-Event-ID", f"must be a count of pairs (the id of the last "
                                           f"pairs event received), got {clip(header)}")
    return int(text)


def add_stream_routes(app: FastAPI, network: LiveNetwork, *,
                      tenant: Callable[[Request], str],
                      owned: Callable[[Request, str], LiveRequest]) -> EventHub:
    """Add the two event routes to ``app`` and chain the network's hooks to their hub.

    Args:
        app: the service's application (the hub is kept as ``app.state.event_hub``).
        network: the live network.
        tenant: the caller's tenant, or the API's 401.
        owned: the caller's request of that id, or the API's 404.
    """
    hub = EventHub(network)
    hub.attach()
    app.state.event_hub = hub
    responses: dict[int | str, dict[str, Any]] = {
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
        401: {"description": "no valid bearer token"}, 404: {"description": "no such request"}}

    @app.get("/v1/requests/{request_id}/events", response_class=StreamingResponse,
             responses=responses)
    async def request_events(request: Request, request_id: str) -> StreamingResponse:
        """One request's events: its page, each batch of pairs, its state changes, end."""
        found = owned(request, request_id)
        after = last_event_id(request.headers.get("last-event-id"))
        return StreamingResponse(hub.request_events(found, after),
                                 media_type="text/event-stream", headers=SSE_HEADERS)

    @app.get("/v1/events", response_class=StreamingResponse, responses=responses)
    async def tenant_events(request: Request) -> StreamingResponse:
        """The caller's requests' events and the network's state twice a second."""
        caller = tenant(request)
        return StreamingResponse(hub.tenant_events(caller), media_type="text/event-stream",
                                 headers=SSE_HEADERS)

    return hub


def close_streams(app: FastAPI) -> None:
    """End every open stream of ``app`` (the service is stopping)."""
    hub = getattr(app.state, "event_hub", None)
    if isinstance(hub, EventHub):
        hub.close()
