"""Prometheus metrics of one KME: pool levels and key counts from the store, request
latency and response codes from ASGI middleware.

Each :class:`KmeMetrics` owns its own ``CollectorRegistry``: all KMEs of a service run
in one process, and the global registry would mix them (and outlive a test). The
metrics (names as exposed in the text format):

* ``qinet_kms_keys_issued_total{peer}``, ``qinet_kms_keys_delivered_total{peer}``,
  ``qinet_kms_keys_expired_total{peer}`` — keys taken from, handed out of, and erased
  unfetched from, the pool this KME shares with ``peer``;
* ``qinet_kms_pool_stored_bytes{peer}``, ``qinet_kms_pool_stored_keys{peer}`` — what
  that pool holds now, in bytes and in keys of the default key size;
* ``qinet_kms_pool_deposited_bytes_total{peer}``,
  ``qinet_kms_pool_discarded_bytes_total{peer}`` — bytes the key supply gave it and
  bytes that overflowed its capacity;
* ``qinet_kms_request_duration_seconds{endpoint,method}`` — a histogram, from the
  request's start to the last byte of its answer;
* ``qinet_kms_responses_total{endpoint,code}`` — answers by HTTP status code;
* ``qinet_kme_info{kme}`` — always 1: which KME this is.

The pool figures are read from :meth:`KeyStore.levels` at scrape time, not counted by
the process: the store is the truth, survives restarts and is shared by every KME of
the process. A pool belongs to two KMEs, so both report the same figures for it (keys
issued by either side's masters); never sum them across KMEs. ``endpoint`` is one of
``status``, ``enc_keys``, ``dec_keys`` (the three ETSI GS QKD 014 calls under
``/api/v1/keys/{SAE_ID}/``) or ``other``, and ``method`` one of the standard HTTP
methods or ``other``, so no caller can make new time series. Nothing here reads key
material: the store's levels are counts of bytes and keys.

Examples:
    >>> import tempfile
    >>> from prometheus_client.parser import text_string_to_metric_families
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = KeyStore.open(tmp)
    ...     _ = store.deposit("alice", "bob", bytes(64)).result()
    ...     body, content_type = KmeMetrics("alice", store).render()
    ...     store.close()
    >>> families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    >>> [(s.labels, s.value) for s in families["qinet_kms_pool_stored_keys"].samples]
    [({'peer': 'bob'}, 2.0)]
    >>> endpoint_kind("/api/v1/keys/bob-app/enc_keys"), endpoint_kind("/docs")
    ('enc_keys', 'other')
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qinet.errors import ConfigError
from qinet.service.kms.store import KeyStore

# Request latency in seconds: the service answers in 1-10 ms when not saturated (see
# docs/kms.md, "Load"), up to ~0.1 s at saturation; the top buckets catch stalls.
LATENCY_BUCKETS_S: tuple[float, ...] = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                        0.1, 0.25, 0.5, 1.0, 2.5, 10.0)
ENDPOINT_KINDS: tuple[str, ...] = ("status", "enc_keys", "dec_keys", "other")
_METHODS = frozenset({"GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"})
_API_PREFIX = "/api/v1/keys/"


def endpoint_kind(path: str) -> str:
    """The endpoint label of a request path: an ETSI call's name, or ``other``.

    Only ``/api/v1/keys/{one segment}/{status|enc_keys|dec_keys}`` counts as an ETSI
    call; the service page ``/status``, the docs and unknown paths are ``other``.

    Args:
        path: the decoded request path (ASGI ``scope["path"]``).

    Returns:
        One of :data:`ENDPOINT_KINDS`.

    Examples:
        >>> [endpoint_kind(p) for p in ("/api/v1/keys/b/status", "/status",
        ...                             "/api/v1/keys/b/dec_keys", "/api/v1/keys/a/b/status")]
        ['status', 'other', 'dec_keys', 'other']
    """
    if not path.startswith(_API_PREFIX):
        return "other"
    sae, slash, kind = path[len(_API_PREFIX):].partition("/")
    if sae and slash and kind in ("status", "enc_keys", "dec_keys"):
        return kind
    return "other"


def method_label(method: str) -> str:
    """The method label: a standard HTTP method, or ``other`` for anything else.

    Examples:
        >>> method_label("GET"), method_label("BREW")
        ('GET', 'other')
    """
    return method if method in _METHODS else "other"


class _PoolCollector(Collector):
    """Reads the pools of one KME from the store at every scrape."""

    def __init__(self, kme: str, store: KeyStore, key_size_bits: int) -> None:
        self._kme = kme
        self._store = store
        self._key_size_bits = key_size_bits

    def collect(self) -> Iterator[Metric]:
        """Yield the pool metrics of this KME, one sample per peer KME."""
        issued = CounterMetricFamily(
            "qinet_kms_keys_issued", "Keys issued to master SAEs from the pool shared "
            "with the peer KME (by either KME).", labels=["peer"])
        delivered = CounterMetricFamily(
            "qinet_kms_keys_delivered", "Keys delivered to slave SAEs from the pool shared "
            "with the peer KME (one per slave).", labels=["peer"])
        expired = CounterMetricFamily(
            "qinet_kms_keys_expired", "Issued keys erased because no slave fetched them "
            "within the key lifetime, from the pool shared with the peer KME.",
            labels=["peer"])
        deposited = CounterMetricFamily(
            "qinet_kms_pool_deposited_bytes", "Secret bytes accepted into the pool shared "
            "with the peer KME.", labels=["peer"])
        discarded = CounterMetricFamily(
            "qinet_kms_pool_discarded_bytes", "Secret bytes dropped because the pool shared "
            "with the peer KME was full.", labels=["peer"])
        stored_bytes = GaugeMetricFamily(
            "qinet_kms_pool_stored_bytes", "Secret bytes ready to be issued in the pool "
            "shared with the peer KME.", labels=["peer"])
        stored_keys = GaugeMetricFamily(
            "qinet_kms_pool_stored_keys", f"Keys of {self._key_size_bits} bits (the default "
            "key size) the pool shared with the peer KME can give now.", labels=["peer"])
        info = GaugeMetricFamily("qinet_kme_info", "The KME these metrics describe.",
                                 labels=["kme"])
        info.add_metric([self._kme], 1)
        for (kme_a, kme_b), level in sorted(self._store.levels().items()):
            if self._kme not in (kme_a, kme_b):
                continue
            peer = [kme_b if kme_a == self._kme else kme_a]
            issued.add_metric(peer, level.keys_issued)
            delivered.add_metric(peer, level.keys_delivered)
            expired.add_metric(peer, level.keys_expired)
            deposited.add_metric(peer, level.deposited_bytes)
            discarded.add_metric(peer, level.discarded_bytes)
            stored_bytes.add_metric(peer, level.stored_bytes)
            stored_keys.add_metric(peer, 8 * level.stored_bytes // self._key_size_bits)
        yield from (info, issued, delivered, expired, deposited, discarded, stored_bytes,
                    stored_keys)


class KmeMetrics:
    """The metrics of one KME, in a registry of its own.

    Args:
        kme: this KME's name.
        store: the key store holding this KME's pools (read at each scrape).
        key_size_bits: the default key size, for ``qinet_kms_pool_stored_keys``.
        buckets_s: upper bounds of the latency histogram's buckets, in seconds.

    Raises:
        ConfigError: ``key_size_bits`` is not a positive multiple of 8, or the buckets
            are empty or not increasing.
    """

    def __init__(self, kme: str, store: KeyStore, *, key_size_bits: int = 256,
                 buckets_s: Sequence[float] = LATENCY_BUCKETS_S) -> None:
        if key_size_bits <= 0 or key_size_bits % 8:
            raise ConfigError("key_size_bits",
                              f"must be a positive multiple of 8, got {key_size_bits}")
        bounds = list(buckets_s)
        if not bounds or any(b <= a for a, b in itertools.pairwise(bounds)):
            raise ConfigError("buckets_s", f"must be non-empty and increasing, got {bounds}")
        self.kme = kme
        self.registry = CollectorRegistry()
        self._latency = Histogram(
            "qinet_kms_request_duration_seconds",
            "Time from the start of an HTTP request to the last byte of its answer.",
            ["endpoint", "method"], buckets=bounds, registry=self.registry)
        self._responses = Counter(
            "qinet_kms_responses", "HTTP answers by endpoint and status code.",
            ["endpoint", "code"], registry=self.registry)
        self.registry.register(_PoolCollector(kme, store, key_size_bits))
        # labelled children cached: .labels() takes a lock and builds a tuple each call
        self._latency_children: dict[tuple[str, str], Histogram] = {}
        self._response_children: dict[tuple[str, int], Counter] = {}

    def observe(self, *, endpoint: str, method: str, status: int, duration_s: float) -> None:
        """Record one answered request.

        Args:
            endpoint: one of :data:`ENDPOINT_KINDS`.
            method: a label from :func:`method_label`.
            status: the HTTP status code sent.
            duration_s: seconds from the request's start to the end of its answer.
        """
        latency = self._latency_children.get((endpoint, method))
        if latency is None:
            latency = self._latency.labels(endpoint, method)
            self._latency_children[endpoint, method] = latency
        latency.observe(duration_s)
        responses = self._response_children.get((endpoint, status))
        if responses is None:
            responses = self._responses.labels(endpoint, str(status))
            self._response_children[endpoint, status] = responses
        responses.inc()

    def render(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format.

        Returns:
            The body and its content type, for a ``GET /metrics`` answer.
        """
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def asgi_middleware(self, app: ASGIApp) -> MetricsMiddleware:
        """``app`` wrapped so that every HTTP request it answers is recorded here."""
        return MetricsMiddleware(app, metrics=self)


class MetricsMiddleware:
    """Plain ASGI middleware recording the latency and status of every HTTP request.

    The clock (``time.perf_counter``) starts when the request reaches the middleware
    and stops once the answer's last body message has been handed to the server. A
    request whose application raises before answering is recorded as 500 (the server
    answers it so); one whose client went away mid-answer, with the status already sent.
    Other ASGI traffic (lifespan, websockets) passes through untouched.

    Args:
        app: the application to wrap (the outermost one, so the fast lane is measured).
        metrics: where to record.
    """

    def __init__(self, app: ASGIApp, metrics: KmeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        done = False

        async def send_and_time(message: Message) -> None:
            nonlocal status, done
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)
            if (message["type"] == "http.response.body" and not message.get("more_body")
                    and not done):
                done = True
                self._record(scope, status, time.perf_counter() - start)

        try:
            await self.app(scope, receive, send_and_time)
        finally:
            if not done:
                done = True
                self._record(scope, status, time.perf_counter() - start)

    def _record(self, scope: Scope, status: int, duration_s: float) -> None:
        self.metrics.observe(endpoint=endpoint_kind(scope["path"]),
                             method=method_label(scope["method"]),
                             status=status, duration_s=duration_s)
