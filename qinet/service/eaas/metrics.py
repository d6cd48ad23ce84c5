"""Prometheus metrics of the entanglement service, in a registry of its own (as each KME
has): requests by state and in outage, pairs delivered, their fidelity and latency, and
how long admission takes.

* ``qinet_eaas_requests{state}``: requests now in each state (active, completed,
  cancelled, missed);
* ``qinet_eaas_requests_in_outage``: active requests whose SLO is in outage now;
* ``qinet_eaas_outages_total{reason}``: times a request entered outage for a reason
  (rate, backlog, fidelity, deadline; :mod:`qinet.service.eaas.slo`);
* ``qinet_eaas_admissions_total{outcome}``: admission answers (accepted, rejected);
* ``qinet_eaas_pairs_delivered_total``: pairs delivered to all requests;
* ``qinet_eaas_pair_fidelity``: histogram of the delivered pairs' fidelity to Φ+;
* ``qinet_eaas_pair_latency_seconds``: histogram of each pair's delivery latency in
  simulated time (from its request's arrival to its delivery);
* ``qinet_eaas_admission_duration_seconds``: histogram of the wall time admission takes
  (estimate, routing and starting the demand).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from qinet.service.eaas.live import STATES, LiveNetwork, LiveRequest
from qinet.service.eaas.slo import SloStatus

FIDELITY_BUCKETS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 0.999, 1.0)
ADMISSION_BUCKETS_S = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)
LATENCY_BUCKETS_S = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0,
                     10.0)
OUTAGE_REASONS = ("rate", "backlog", "fidelity", "deadline")


class EaasMetrics:
    """The service's metrics; :meth:`on_state`, :meth:`on_pairs` and :meth:`on_slo` are
    the live network's hooks."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Gauge("qinet_eaas_requests", "Requests by state.", ["state"],
                              registry=self.registry)
        for state in STATES:
            self.requests.labels(state).set(0)
        self.in_outage = Gauge("qinet_eaas_requests_in_outage",
                               "Active requests whose SLO is in outage.",
                               registry=self.registry)
        self.outages = Counter("qinet_eaas_outages", "Times a request entered outage, by "
                               "reason.", ["reason"], registry=self.registry)
        for reason in OUTAGE_REASONS:
            self.outages.labels(reason)
        self.admissions = Counter("qinet_eaas_admissions", "Admission answers by outcome.",
                                  ["outcome"], registry=self.registry)
        self.pairs = Counter("qinet_eaas_pairs_delivered", "Pairs delivered to requests.",
                             registry=self.registry)
        self.fidelity = Histogram("qinet_eaas_pair_fidelity",
                                  "Fidelity to Phi+ of each delivered pair.",
                                  buckets=FIDELITY_BUCKETS, registry=self.registry)
        self.latency_s = Histogram("qinet_eaas_pair_latency_seconds",
                                   "Simulated time from a request's arrival to the "
                                   "delivery of its pair.",
                                   buckets=LATENCY_BUCKETS_S, registry=self.registry)
        self.admission_s = Histogram("qinet_eaas_admission_duration_seconds",
                                     "Time admission control takes per request.",
                                     buckets=ADMISSION_BUCKETS_S, registry=self.registry)

    def watch(self, network: LiveNetwork) -> None:
        """Take the live network's hooks, and count its requests in outage when scraped."""
        network.on_state = self.on_state
        network.on_pairs = self.on_pairs
        network.on_slo = self.on_slo

        def in_outage() -> float:
            with network.lock:
                return float(sum(r.state == "active" and r.slo is not None and r.slo.outage
                                 for r in network.requests.values()))

        self.in_outage.set_function(in_outage)

    def on_state(self, request: LiveRequest, before: str | None) -> None:
        """A request entered its state (from ``before``, ``None`` when admitted)."""
        if before is not None:
            self.requests.labels(before).dec()
        self.requests.labels(request.state).inc()

    def on_pairs(self, request: LiveRequest, fidelities: list[float]) -> None:
        """New pairs were delivered (their latencies are the request's latest)."""
        self.pairs.inc(len(fidelities))
        for f in fidelities:
            self.fidelity.observe(f)
        for latency_ps in request.latencies_ps[len(request.latencies_ps) - len(fidelities):]:
            self.latency_s.observe(latency_ps * 1e-12)

    def on_slo(self, request: LiveRequest, before: SloStatus | None) -> None:
        """A request's SLO status changed from ``before``: count each reason it newly
        has."""
        now = request.slo.kinds if request.slo is not None else ()
        for kind in set(now) - set(before.kinds if before is not None else ()):
            self.outages.labels(kind).inc()

    def render(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
