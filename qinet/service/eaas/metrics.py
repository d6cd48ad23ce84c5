"""Prometheus metrics of the entanglement service, in a registry of its own (as each KME
has): requests by state, pairs delivered, their fidelity, and how long admission takes.

* ``qinet_eaas_requests{state}``: requests now in each state (active, completed,
  cancelled);
* ``qinet_eaas_admissions_total{outcome}``: admission answers (accepted, rejected);
* ``qinet_eaas_pairs_delivered_total``: pairs delivered to all requests;
* ``qinet_eaas_pair_fidelity``: histogram of the delivered pairs' fidelity to Φ+;
* ``qinet_eaas_admission_duration_seconds``: histogram of the time admission takes
  (estimate, routing and starting the demand).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from qinet.service.eaas.live import STATES, LiveRequest

FIDELITY_BUCKETS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99, 0.999, 1.0)
ADMISSION_BUCKETS_S = (1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0)


class EaasMetrics:
    """The service's metrics; :meth:`on_state` and :meth:`on_pairs` are the live
    network's hooks."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Gauge("qinet_eaas_requests", "Requests by state.", ["state"],
                              registry=self.registry)
        for state in STATES:
            self.requests.labels(state).set(0)
        self.admissions = Counter("qinet_eaas_admissions", "Admission answers by outcome.",
                                  ["outcome"], registry=self.registry)
        self.pairs = Counter("qinet_eaas_pairs_delivered", "Pairs delivered to requests.",
                             registry=self.registry)
        self.fidelity = Histogram("qinet_eaas_pair_fidelity",
                                  "Fidelity to Phi+ of each delivered pair.",
                                  buckets=FIDELITY_BUCKETS, registry=self.registry)
        self.admission_s = Histogram("qinet_eaas_admission_duration_seconds",
                                     "Time admission control takes per request.",
                                     buckets=ADMISSION_BUCKETS_S, registry=self.registry)

    def on_state(self, request: LiveRequest, before: str | None) -> None:
        """A request entered its state (from ``before``, ``None`` when admitted)."""
        if before is not None:
            self.requests.labels(before).dec()
        self.requests.labels(request.state).inc()

    def on_pairs(self, _request: LiveRequest, fidelities: list[float]) -> None:
        """New pairs were delivered."""
        self.pairs.inc(len(fidelities))
        for f in fidelities:
            self.fidelity.observe(f)

    def render(self) -> tuple[bytes, str]:
        """The metrics in Prometheus' text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
