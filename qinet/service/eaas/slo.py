"""Whether a request gets what it asked for: its SLO status, and its delivery against the
estimate it was admitted on.

A request is in **outage** for any of these reasons (each is listed):

* ``rate``: over the last window, fewer pairs were delivered than were asked, by more
  than counting noise: ``n_w < a_w - 3 sqrt(a_w) - 1``, ``a_w`` the requests that
  arrived in the window (shifted back by the path's estimated latency, the time a served
  request takes) and ``n_w`` the pairs delivered in it. The window is the last
  ``max(1 s, 50 / rate_hz)`` of simulated time, so it holds 50 asked pairs or more and
  a request served at its rate is flagged with a probability below that of a 3-sigma
  Poisson excursion; it is judged once the request has run a window and a latency;
* ``backlog``: more requests wait unserved than the latency and a window's counting
  noise explain (``2 rate_hz latency_s + 3 sqrt(rate_hz window_s) + 1``: requests queue
  behind one another when the link is busy, beyond the low-load latency);
* ``fidelity``: the mean fidelity of the window's pairs is below ``min_fidelity``;
* ``deadline``: for ``count`` pairs by ``deadline_s``: the deadline passed with fewer
  pairs, or, while it runs, the pairs still missing cannot arrive in the time left at
  the window's delivered rate (beyond a 3-sigma Poisson margin).

The delivery check (:func:`delivery_check`) sets what was delivered against what the
estimate promised: admission promised the request its rate (``rate_hz`` at most the
path's estimated rate), so over a run of ``T`` seconds ``a`` requests arrive and
``a - d`` of them may still be in flight or queued at the end, ``d <= 3 sqrt(a) +
rate_hz latency_s + 1`` (Poisson counts of the link's pairs, plus the requests younger
than the latency); the pairs' mean fidelity must not exceed the estimate's fidelity, an
upper bound (exact for one link), by more than three standard errors.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

SLO_WINDOW_S = 1.0  # at least this much simulated time per window
SLO_WINDOW_PAIRS = 50  # and at least this many asked pairs
SIGMAS = 3.0


@dataclass(frozen=True, slots=True)
class SloStatus:
    """A request's SLO status at one moment (see the module docstring).

    Attributes:
        outage: whether any reason holds.
        reasons: one sentence per reason, each starting with its kind
            (``rate:``, ``backlog:``, ``fidelity:``, ``deadline:``).
        kinds: the reasons' kinds, in the same order.
        window_s: the window's length (simulated seconds).
        window_asked: requests the window should have served.
        window_pairs: pairs delivered in it.
        window_rate_hz: ``window_pairs / window_s``.
        window_mean_fidelity: mean fidelity of the window's pairs (``None``: none).
        backlog: requests waiting unserved.
    """

    outage: bool
    reasons: tuple[str, ...]
    kinds: tuple[str, ...]
    window_s: float
    window_asked: int
    window_pairs: int
    window_rate_hz: float
    window_mean_fidelity: float | None
    backlog: int

    def as_json(self) -> dict[str, Any]:
        """The status as the request page shows it."""
        return {"status": "outage" if self.outage else "ok", "reasons": list(self.reasons),
                "window_s": self.window_s, "window_asked": self.window_asked,
                "window_pairs": self.window_pairs, "window_rate_hz": self.window_rate_hz,
                "window_mean_fidelity": self.window_mean_fidelity, "backlog": self.backlog}


@dataclass(frozen=True, slots=True)
class SloInput:
    """What the SLO is judged on.

    Attributes:
        rate_hz: the rate the demand runs at.
        min_fidelity: asked of every pair.
        latency_s: the path's estimated latency.
        admitted_ps: when the request was admitted.
        now_ps: the end of the judged stretch (now, or when the request ended).
        times_ps: delivery times, in order.
        fidelities: the pairs' fidelities, in the same order.
        requests_by: requests arrived by a time (capped by the count).
        count: pairs asked in all, or ``None``.
        deadline_s: the deadline after admission, or ``None``.
        missed: the deadline passed before ``count`` pairs.
        squeezed_by: requests of higher priority admitted over its links since.
    """

    rate_hz: float
    min_fidelity: float
    latency_s: float
    admitted_ps: int
    now_ps: int
    times_ps: Sequence[int]
    fidelities: Sequence[float]
    requests_by: Callable[[int], int]
    count: int | None = None
    deadline_s: float | None = None
    missed: bool = False
    squeezed_by: Sequence[str] = field(default_factory=tuple)


def window_s(rate_hz: float) -> float:
    """The SLO window for a request at ``rate_hz``: ``max(1 s, 50 / rate_hz)``."""
    return max(SLO_WINDOW_S, SLO_WINDOW_PAIRS / rate_hz) if rate_hz > 0 else SLO_WINDOW_S


def _short(asked: float) -> float:
    """Pairs below which ``asked`` expected ones are short beyond counting noise."""
    return asked - SIGMAS * math.sqrt(max(asked, 0.0)) - 1.0


def assess(slo: SloInput) -> SloStatus:
    """The SLO status of a request (see the module docstring)."""
    latency_ps = round(slo.latency_s * 1e12) if math.isfinite(slo.latency_s) else 0
    length_s = window_s(slo.rate_hz)
    length_ps = round(length_s * 1e12)
    now = slo.now_ps
    elapsed_ps = now - slo.admitted_ps
    first = bisect.bisect_right(slo.times_ps, now - length_ps)
    pairs = len(slo.times_ps) - first
    window = slo.fidelities[first:]
    mean = math.fsum(window) / len(window) if window else None
    asked = max(0, slo.requests_by(now - latency_ps) - slo.requests_by(now - latency_ps
                                                                       - length_ps))
    backlog = max(0, slo.requests_by(now) - len(slo.times_ps))
    rate_w = pairs / length_s
    reasons, kinds = [], []
    squeezed = (f" (requests of higher priority share its links: "
                f"{', '.join(slo.squeezed_by)})" if slo.squeezed_by else "")
    judged = elapsed_ps >= length_ps + latency_ps
    if judged and pairs < _short(asked):
        kinds.append("rate")
        reasons.append(f"rate: {pairs} pairs in the last {length_s:.3g} s, {asked} asked "
                       f"({rate_w:.4g} Hz delivered, {slo.rate_hz:.4g} Hz asked){squeezed}")
    allowed = 2.0 * slo.rate_hz * slo.latency_s + SIGMAS * math.sqrt(
        slo.rate_hz * length_s) + 1.0
    if backlog > allowed:
        kinds.append("backlog")
        reasons.append(f"backlog: {backlog} requests unserved, more than the {allowed:.3g} "
                       f"the latency and counting noise explain{squeezed}")
    if mean is not None and mean < slo.min_fidelity:
        kinds.append("fidelity")
        reasons.append(f"fidelity: mean {mean:.4f} over the last {length_s:.3g} s, below "
                       f"{slo.min_fidelity:g}")
    if slo.count is not None and slo.deadline_s is not None:
        delivered = len(slo.times_ps)
        missing = slo.count - delivered
        if slo.missed:
            kinds.append("deadline")
            reasons.append(f"deadline: {delivered} of {slo.count} pairs by the deadline of "
                           f"{slo.deadline_s:g} s{squeezed}")
        elif missing > 0 and judged:
            left_s = max(0.0, (slo.admitted_ps - now) * 1e-12 + slo.deadline_s)
            if _short(missing) > rate_w * left_s:  # even a lucky stretch will not do
                kinds.append("deadline")
                need = f"{missing / rate_w:.4g} s" if rate_w > 0 else "forever"
                reasons.append(f"deadline: {missing} pairs missing need {need} at the "
                               f"delivered {rate_w:.4g} Hz, {left_s:.4g} s left{squeezed}")
    return SloStatus(bool(reasons), tuple(reasons), tuple(kinds), length_s, asked, pairs,
                     rate_w, mean, backlog)


@dataclass(frozen=True, slots=True)
class DeliveryCheck:
    """Delivered against estimated (see the module docstring).

    Attributes:
        estimated_rate_hz: the rate admission promised (the asked rate, within the
            path's estimate).
        path_rate_hz: the estimator's rate for the whole path.
        delivered_rate_hz: pairs delivered per second of the request's run.
        asked_pairs: requests that arrived over the run.
        delivered_pairs: pairs delivered.
        tolerance_pairs: how many fewer the estimate allows.
        rate_ok: ``asked - tolerance <= delivered <= asked``.
        estimated_fidelity: the estimator's fidelity (an upper bound).
        mean_fidelity: of the delivered pairs (``None``: none).
        fidelity_stderr: standard error of that mean.
        fidelity_ok: the mean is at most the estimate plus three standard errors.
    """

    estimated_rate_hz: float
    path_rate_hz: float
    delivered_rate_hz: float
    asked_pairs: int
    delivered_pairs: int
    tolerance_pairs: float
    rate_ok: bool
    estimated_fidelity: float
    mean_fidelity: float | None
    fidelity_stderr: float | None
    fidelity_ok: bool

    def as_json(self) -> dict[str, Any]:
        """The check as the request page shows it."""
        return {name: getattr(self, name) for name in self.__slots__}


def delivery_check(slo: SloInput, *, path_rate_hz: float,
                   estimated_fidelity: float) -> DeliveryCheck:
    """Delivered rate and fidelity against the estimate (see the module docstring)."""
    elapsed_s = (slo.now_ps - slo.admitted_ps) * 1e-12
    asked = slo.requests_by(slo.now_ps)
    delivered = len(slo.times_ps)
    latency_s = slo.latency_s if math.isfinite(slo.latency_s) else 0.0
    tolerance = SIGMAS * math.sqrt(asked) + slo.rate_hz * latency_s + 1.0
    n = len(slo.fidelities)
    mean = math.fsum(slo.fidelities) / n if n else None
    stderr = None
    if mean is not None and n > 1:
        variance = math.fsum((f - mean) ** 2 for f in slo.fidelities) / (n - 1)
        stderr = math.sqrt(variance / n)
    fidelity_ok = mean is None or mean <= estimated_fidelity + SIGMAS * (stderr or 0) + 1e-9
    return DeliveryCheck(
        estimated_rate_hz=min(slo.rate_hz, path_rate_hz), path_rate_hz=path_rate_hz,
        delivered_rate_hz=delivered / elapsed_s if elapsed_s > 0 else 0.0,
        asked_pairs=asked, delivered_pairs=delivered, tolerance_pairs=tolerance,
        rate_ok=asked - tolerance <= delivered <= asked, estimated_fidelity=estimated_fidelity,
        mean_fidelity=mean, fidelity_stderr=stderr, fidelity_ok=fidelity_ok)
