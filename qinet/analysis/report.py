"""Human-readable reports of a run: rich tables with a unit on every number.

Each function takes a :class:`~qinet.analysis.metrics.RunResult` (or one of its parts)
and returns a rich renderable, so the command line and the service dashboard print the
same tables. Nothing here runs a simulation or prints by itself.

Examples:
    >>> format_time(0.00049474)
    '495 µs'
    >>> format_rate(13285.0, "pairs/s")
    '13,285 pairs/s'
    >>> format_si(13198.8, "Hz")
    '13.20 kHz'
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from qinet.analysis.app_metrics import AppMetrics
from qinet.analysis.key_metrics import KeyDemandMetrics, PulseKeyMetrics, QkdLinkMetrics
from qinet.analysis.metrics import DemandMetrics, LinkMetrics, PathBound, RunResult
from qinet.qkd.multi_user import UserPairResult

_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""),
             (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"))
_MISSING = "–"
_TABLE_WIDTH = 56  # characters; every table of a report lines up at this width


def format_si(value: float | None, unit: str, *, digits: int = 4) -> str:
    """``value`` with an SI prefix and ``digits`` significant figures.

    Examples:
        >>> format_si(9.894776e-05, "s")
        '98.95 µs'
        >>> format_si(0.0, "Hz"), format_si(None, "Hz")
        ('0 Hz', '–')
    """
    if value is None or not math.isfinite(value):
        return _MISSING
    if value == 0:
        return f"0 {unit}"
    value = float(f"{value:.{digits}g}")  # round first, so 999.96 Hz reads 1.000 kHz
    scale, prefix = next((p for p in _PREFIXES if abs(value) >= p[0]), _PREFIXES[-1])
    scaled = value / scale
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(scaled))))
    return f"{scaled:.{decimals}f} {prefix}{unit}"


def format_time(seconds: float | None) -> str:
    """A duration in s, ms, µs, ns or ps with 3 significant figures.

    Examples:
        >>> format_time(0.00326527), format_time(2.0), format_time(1e-10)
        ('3.27 ms', '2.00 s', '100 ps')
    """
    return format_si(seconds, "s", digits=3)


def format_number(value: float) -> str:
    """A count or a rate: thousands separators above 1000, else 4 significant figures.

    Examples:
        >>> format_number(101135), format_number(7.6021829), format_number(2.5e-5)
        ('101,135', '7.602', '2.5e-05')
    """
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_rate(value: float | None, unit: str = "pairs/s") -> str:
    """A rate in ``unit`` (``pairs/s``, ``bit/s``), e.g. ``'13,285 pairs/s'``."""
    return _MISSING if value is None else f"{format_number(value)} {unit}"


def format_fraction(value: float | None) -> str:
    """A probability as a percentage.

    Examples:
        >>> format_fraction(0.13135907), format_fraction(0.0), format_fraction(None)
        ('13.14 %', '0 %', '–')
    """
    if value is None:
        return _MISSING
    if value == 0:
        return "0 %"
    return f"{100 * value:.4g} %"


def run_header(result: RunResult) -> Text:
    """One line naming the scenario and how it ran."""
    return Text.assemble(
        (result.scenario, "bold"),
        f" · seed {result.seed} · {result.duration_s:g} s simulated · {result.mode} · "
        f"{result.backend}",
    )


def demand_table(demand: DemandMetrics, *, number: int = 1) -> Table:
    """The service one demand got: pairs, rate, fidelity, latency, outage, bound.

    Args:
        demand: the demand's metrics.
        number: its position in the scenario, from 1, for the title.
    """
    a, b = demand.between
    table = new_table(f"demand {number} · {demand.kind} · {a} ↔ {b}", "value")
    # in full, every node named: the value column wraps it at the arrows
    table.add_row("path", Text(" → ".join(demand.path)))
    table.add_row("hops", f"{demand.hops} links")
    table.add_row("pairs delivered", f"{format_number(demand.pairs)} pairs")
    if demand.completion_time_s is not None:
        table.add_row("completed at", format_time(demand.completion_time_s))
        table.add_row("rate while active", format_rate(demand.rate_hz))
    else:
        table.add_row("rate", format_rate(demand.rate_hz))
    if demand.rate_target_hz is not None:
        table.add_row("requested rate", format_rate(demand.rate_target_hz)
                      + ("" if demand.requests is None
                         else f" · {format_number(demand.requests)} requests"))
    table.add_row("fidelity (mean ± std)", _mean_std(demand.fidelity_mean, demand.fidelity_std))
    share = demand.pairs_meeting_fidelity / demand.pairs if demand.pairs else None
    table.add_row(f"pairs with fidelity ≥ {demand.min_fidelity or 0.0:g}",
                  f"{format_number(demand.pairs_meeting_fidelity)} pairs "
                  f"({format_fraction(share)})")
    table.add_row("latency mean", format_time(demand.latency_mean_s))
    table.add_row("latency p50", format_time(demand.latency_p50_s))
    table.add_row("latency p99", format_time(demand.latency_p99_s))
    outage = demand.outage_probability
    table.add_row("outage probability",
                  format_fraction(outage) if outage is not None
                  else f"{_MISSING} (no whole window, or one shorter than a request)")
    if demand.swaps:
        table.add_row("swaps (failed)", f"{format_number(demand.swaps)} "
                                        f"({format_number(demand.swap_failures)})")
    if demand.purifications:
        table.add_row("purifications (failed)",
                      f"{format_number(demand.purifications)} "
                      f"({format_number(demand.purification_failures)})")
    if demand.lost or demand.discarded:
        table.add_row("pairs lost / qubits cut off",
                      f"{format_number(demand.lost)} / {format_number(demand.discarded)}")
    if demand.rate_target_hz is not None:
        table.add_row("requests waiting at the end", f"{demand.unserved_requests}")
    bound = demand.bound if isinstance(demand.bound, PathBound) else None
    distillable = demand.distillable_ebits_per_s
    if bound is not None:
        # pairs are compared with a capacity in ebits only through what they distil
        table.add_row("distillable (hashing bound)",
                      _MISSING if distillable is None else
                      f"{format_rate(distillable, 'ebit/s')} · "
                      f"{demand.distillable_ebits_per_pair:.3g} ebit/pair")
        # the repeaterless (direct-fibre) bound: a repeater chain may beat it
        table.add_row("PLOB bound (no repeater)",
                      f"{format_rate(bound.direct_ebits_per_s, 'ebit/s')} at "
                      f"{format_si(bound.channel_uses_per_s, 'uses/s')}")
        if distillable is not None and bound.direct_ebits_per_s > 0:
            table.add_row("distillable / PLOB (no repeater)",
                          format_fraction(distillable / bound.direct_ebits_per_s))
    key = demand.key
    if key is not None:
        table.add_row(f"{key.protocol} QBER (Z / X)",
                      f"{format_fraction(key.qber)} / {format_fraction(key.qber_x)}")
        table.add_row("secret key", f"{format_number(key.key_bits)} bits"
                      + (f" (aborted: {key.reason})" if key.aborted else ""))
        table.add_row("secret-key rate", format_si(key.secret_key_rate_bps, "bit/s"))
    if bound is not None and demand.hops > 1:
        table.add_row("repeater-chain capacity",
                      f"{format_rate(bound.repeater_chain_ebits_per_s, 'ebit/s')} at "
                      f"{format_si(bound.repeater_chain_channel_uses_per_s, 'uses/s')}")
    return table


def link_table(link: LinkMetrics) -> Table:
    """One link: what was tried and what came out, measured against theory."""
    a, b = link.between
    table = new_table(f"link {link.name} · {a} ↔ {b}", "measured", "theory")
    table.add_row("scheme", Text(link.scheme), "")
    table.add_row("length", f"{link.length_km:g} km", "")
    modes = f" × {link.modes} modes" if link.modes > 1 else ""
    table.add_row("memory pairs", f"{link.memory_pairs} pairs{modes}", "")
    table.add_row("attempt period", format_time(link.attempt_period_s), "")
    table.add_row("attempts", f"{format_number(link.attempts)} attempts", "")
    table.add_row("successes", f"{format_number(link.successes)} pairs", "")
    table.add_row("success probability", format_fraction(link.success_probability),
                  format_fraction(link.success_probability_theory))
    table.add_row("pair rate", format_si(link.rate_hz, "Hz"), format_si(link.rate_theory_hz, "Hz"))
    table.add_row("heralded fidelity", "", f"{link.fidelity_heralded_theory:.4f}")
    table.add_row("utilisation (holding pairs)", format_fraction(link.utilisation), "")
    table.add_row("PLOB bound", "", f"{format_si(link.plob_ebits_per_s, 'ebit/s')} at "
                                       f"{format_si(link.channel_uses_per_s, 'uses/s')}")
    return table


_KEY_ORDER = ("Z", "X")


def qkd_link_table(link: QkdLinkMetrics) -> Table:
    """One QKD link: rates from raw to secret, QBERs, decoy estimates, key, bound."""
    demand = f" · demand {link.demand + 1}" if link.demand is not None else ""
    out = new_table(f"qkd link {link.name} · {link.protocol}{demand}", "value")
    # a satellite link's rates are per second it sent, and its length the shortest range
    per = " (per s of pass)" if link.passes else ""
    out.add_row("shortest range / transmittance" if link.passes else "length / transmittance",
                f"{link.length_km:g} km / {link.transmittance:.3g}")
    for number, p in enumerate(link.passes, start=1):
        out.add_row(f"pass {number}",
                    f"{p.start_utc[11:19]}–{p.end_utc[11:19]} UTC · {p.duration_s:.0f} s · "
                    f"max {p.max_elevation_deg:.1f}° · {p.min_range_km:.0f} km · "
                    f"{format_number(p.key_bits)} key bits")
    out.add_row("source", f"{format_si(link.source_rate_hz, 'Hz')} · "
                          f"{format_number(link.pulses)} pulses")
    out.add_row("raw detection rate" + per, format_si(link.raw_rate_bps, "bit/s"))
    out.add_row("sifted rate" + per, format_si(link.sifted_rate_bps, "bit/s"))
    names = sorted(link.qber, key=lambda k: (k.split("/")[0] not in _KEY_ORDER, k))
    for name in names:
        # an error rate needs detections to count errors among
        out.add_row(f"QBER {name}", format_fraction(link.qber[name] if link.sifted_bits
                                                    else None))
    for name, gain in link.gains.items():
        out.add_row(f"gain {name}", f"{gain:.4g} per pulse")
    for name, value in link.estimates.items():
        out.add_row(f"estimate {name}", f"{value:.4g}")
    out.add_row("secret key", f"{format_number(link.key_bits)} bits"
                + ("" if link.keys_equal else " (KEYS DIFFER)"))
    out.add_row("secret-key rate" + per, f"{format_si(link.secret_key_rate_bps, 'bit/s')} · "
                                   f"{link.secret_bits_per_pulse:.3g} bit/pulse")
    out.add_row("asymptotic key rate", f"{format_si(link.asymptotic_key_rate_bps, 'bit/s')} · "
                                       f"{link.asymptotic_bits_per_pulse:.3g} bit/pulse")
    out.add_row("finite-key bound", f"{format_number(link.finite_key_bits)} bits")
    out.add_row("leaked in error correction", f"{format_number(link.leaked_ec_bits)} bits")
    out.add_row("blocks (aborted)", f"{link.blocks} ({link.blocks_aborted})")
    for reason, count in link.abort_reasons.items():
        out.add_row("  aborted", Text(f"{count} × {reason}", style="yellow"))
    out.add_row("PLOB bound", f"{format_si(link.plob_bound_bps, 'bit/s')} · "
                              f"{link.plob_bits_per_pulse:.3g} bit/pulse")
    if link.plob_bound_bps > 0:
        out.add_row("key rate / PLOB", format_fraction(link.secret_key_rate_bps
                                                       / link.plob_bound_bps))
    out.add_row("key pool (spent)", f"{format_number(link.pool_level_bits)} bits "
                                    f"({format_number(link.pool_spent_bits)} bits)")
    if link.attack:
        out.add_row("eavesdropper", Text(link.attack, style="red"))
    return out


def key_demand_table(demand: KeyDemandMetrics) -> Table:
    """One relayed key demand: keys, rate, latency, routes and the nodes that saw them."""
    a, b = demand.between
    out = new_table(f"demand {demand.demand + 1} · key · {a} ↔ {b}", "value")
    out.add_row("keys delivered", f"{format_number(demand.keys)} keys × "
                                  f"{demand.key_size_bits} bits"
                + ("" if demand.keys_equal else " (KEYS DIFFER)"))
    out.add_row("key rate", f"{format_si(demand.key_rate_bps, 'bit/s')} · "
                            f"{format_number(demand.keys_per_s)} keys/s")
    if demand.rate_target_hz is not None:
        out.add_row("requested", f"{format_number(demand.rate_target_hz)} keys/s · "
                                 f"{demand.requests} requests")
        out.add_row("requests waiting at the end", f"{demand.unserved_requests}")
        out.add_row("latency p50 / p99", f"{format_time(demand.latency_p50_s)} / "
                                         f"{format_time(demand.latency_p99_s)}")
    for path, count in demand.paths.items():
        out.add_row("route", f"{path} ({format_number(count)} keys)")
    seen = ", ".join(f"{node} ({format_number(n)})" for node, n in demand.exposed_to.items())
    if demand.keys:
        out.add_row("seen by trusted nodes", seen or "none (direct link)")
    return out


def pair_source_tables(pairs: list[UserPairResult]) -> list[Table]:
    """One table per multi-user pair source: each user pair's sifted rate, QBER, CAR
    and key rate."""
    tables: dict[str, Table] = {}
    for p in pairs:
        if p.source not in tables:
            tables[p.source] = new_table(f"pair source {p.source}", "sifted", "QBER", "CAR",
                                         "key (asymptotic)", row_label="user pair")
        tables[p.source].add_row(f"{p.users[0]} ↔ {p.users[1]}",
                                 format_si(p.sifted_rate_bps, "bit/s", digits=3),
                                 format_fraction(p.qber), f"{p.car:.4g}",
                                 format_si(p.secret_key_rate_bps, "bit/s", digits=3))
    return list(tables.values())


def app_table(m: AppMetrics) -> Table:
    """One application demand: runs completed, rate, fidelities, classical latency."""
    if m.app not in ("teleport", "cnot", "cz"):
        return pair_app_table(m)
    a, b = m.between
    what = "teleports" if m.app == "teleport" else "gates"
    out = new_table(f"demand {m.demand + 1} · app {m.app} · {a} "
                    f"{'→' if m.app == 'teleport' else '↔'} {b}", "value")
    out.add_row(f"{what} completed", f"{format_number(m.completed)} of "
                                      f"{format_number(m.requested)} ({m.inputs} inputs)")
    out.add_row("rate", format_si(m.rate_hz, f"{what}/s"))
    out.add_row("process fidelity" if m.inputs == "choi" else "fidelity",
                _mean_std(m.fidelity_mean, m.fidelity_std))
    if m.fidelity_estimate is not None:
        out.add_row("fidelity (measured)", _mean_std(m.fidelity_estimate,
                                                     m.fidelity_estimate_error))
    if m.average_gate_fidelity is not None:
        out.add_row("average gate fidelity", f"{m.average_gate_fidelity:.4f}")
    out.add_row("pair fidelity at delivery", _mean_std(m.pair_fidelity_mean, None))
    out.add_row("pairs used", format_number(m.pairs_used))
    out.add_row("classical latency (mean)", format_time(m.latency_mean_s))
    return out


def pair_app_table(m: AppMetrics) -> Table:
    """An application computed from delivered pairs: runs, its figures beside their
    closed forms, the pairs it used."""
    if m.app == "circuit":
        ends = ", ".join(dict.fromkeys(m.between))
    elif m.app in ("chsh-randomness", "authentication", "blind"):
        ends = " ↔ ".join(m.between)
    else:  # a centre and its participants
        ends = f"{m.between[0]} → {', '.join(m.between[1:])}"
    out = new_table(f"demand {m.demand + 1} · app {m.app} · {ends}", "value")
    out.add_row("runs completed", f"{format_number(m.completed)} of "
                                  f"{format_number(m.requested)}")
    if m.chsh_estimate is not None:
        out.add_row("CHSH S", _mean_std(m.chsh_estimate, m.chsh_std_error))
        out.add_row("CHSH S (delivered pairs, closed form)", f"{m.chsh_expected:.4f}")
        out.add_row("CHSH S lower bound", f"{m.chsh_lower_bound:.4f}")
        out.add_row("certified randomness", f"{m.certified_bits:,.0f} bits "
                                            f"({m.min_entropy_bits_per_round:.4f} per round)")
    if m.fidelity_estimate is not None:
        what = "GHZ fidelity" if m.app == "ghz" else "circuit fidelity"
        out.add_row(what, _mean_std(m.fidelity_estimate, m.fidelity_estimate_error))
    if m.fidelity_expected is not None:
        out.add_row("GHZ fidelity (closed form)", f"{m.fidelity_expected:.4f}")
    if m.error_rate_expected is not None:
        out.add_row("error rate", format_fraction(m.error_rate))
        out.add_row("error rate (closed form)", format_fraction(m.error_rate_expected))
        out.add_row("secret bits", "aborted" if m.aborted else format_number(m.secret_bits or 0))
    if m.accept_rate is not None or m.failure_rate is not None:
        out.add_row("accepted", format_fraction(m.accept_rate))
    if m.accept_rate_expected is not None:
        out.add_row("accepted (closed form)", format_fraction(m.accept_rate_expected))
        out.add_row("wrong answers", f"{format_fraction(m.round_error_rate)} (closed form "
                                     f"{format_fraction(m.round_error_rate_expected)})")
        out.add_row("impostor accepted (closed form)", f"{m.false_accept_probability:.3g}")
    if m.trap_failure_rate is not None:
        out.add_row("traps failed", f"{format_fraction(m.trap_failure_rate)} (closed form "
                                    f"{format_fraction(m.trap_failure_rate_expected)})")
        out.add_row("runs rejected", format_fraction(m.detection_rate))
    if m.failure_rate is not None:
        out.add_row("failures", f"{format_fraction(m.failure_rate)} (closed form "
                                f"{format_fraction(m.failure_probability_expected)}, bound "
                                f"{m.failure_bound:.3g})")
    if m.phase_mean_rad is not None:
        out.add_row("average phase (rad) ± one estimate's spread",
                    _mean_std(m.phase_mean_rad, m.phase_std_rad))
        out.add_row("Cramér-Rao bound (rad)", f"{m.phase_cramer_rao_std_rad:.4g}")
    if m.offset_mean_s is not None:
        out.add_row("mean clock offset ± one estimate's spread",
                    f"{format_time(m.offset_mean_s)} ± {format_time(m.offset_std_s)}")
        out.add_row("Cramér-Rao bound", format_time(m.offset_cramer_rao_std_s))
        out.add_row("time to an estimate", format_time(m.time_to_estimate_s))
    if m.gain_expected is not None:
        gain = "–" if m.gain_over_independent is None else f"{m.gain_over_independent:.3f}"
        out.add_row("gain over independent", f"{gain} (closed form {m.gain_expected:.3f})")
    if m.note is not None:
        out.add_row("note", m.note)
    out.add_row("pair fidelity at delivery", _mean_std(m.pair_fidelity_mean, None))
    out.add_row("pairs used", format_number(m.pairs_used))
    out.add_row("rate", format_si(m.rate_hz, "runs/s"))
    return out


_MAX_LINK_TABLES = 8
_MAX_DEMAND_TABLES = 8  # beyond this, the demands are summarised (see demands_summary_table)
LEAST_SERVED_ROWS = 10
"""Rows of :func:`least_served_table` in a report of many demands."""


def run_report(result: RunResult) -> Group:
    """The whole report: the header line, a table per demand, then a table per link.

    With more than eight demands to show, their tables give way to
    :func:`demands_summary_table` and :func:`least_served_table` (a network of hundreds
    of demands would otherwise print tens of thousands of lines); ``--json`` keeps every
    demand's figures.
    """
    parts: list[RenderableType] = [run_header(result)]
    # a prepare-and-measure qkd demand is reported with its link, pulses to key
    shown = [(i, d) for i, d in enumerate(result.demands, 1)
             if d.pairs or not isinstance(d.key, PulseKeyMetrics)]
    if len(shown) <= _MAX_DEMAND_TABLES:
        parts += [demand_table(d, number=i) for i, d in shown]
    else:
        parts.append(demands_summary_table([d for _, d in shown]))
        parts.append(least_served_table(shown))
    parts += [qkd_link_table(link) for link in result.qkd_links]
    parts += [key_demand_table(d) for d in result.key_demands]
    parts += pair_source_tables(result.pair_sources)
    parts += [app_table(m) for m in result.apps]
    if not (result.demands or result.key_demands or result.pair_sources or result.apps):
        parts.append(Text("no demands: add some under `demands:` to measure service",
                          style="dim"))
    used = [link for link in result.links if link.demands]
    if len(used) <= _MAX_LINK_TABLES:
        parts += [link_table(link) for link in used]
    else:
        parts.append(Text(f"{len(used):,} links in use; --json lists every one", style="dim"))
    if result.cost is not None:
        parts.append(cost_table(result))
    return Group(*parts)


def demands_summary_table(demands: list[DemandMetrics]) -> Table:
    """Many demands at a glance: how many were served, what they got in all, and the
    spread over demands (least, median, most) of each one's rate, mean fidelity, median
    latency and hops.

    Fidelities and latencies are those of the demands that got pairs; a demand without
    pairs counts with rate 0.
    """
    served = [d for d in demands if d.pairs]
    out = new_table(f"{len(demands):,} demands · least / median / most over demands", "value")
    share = len(served) / len(demands) if demands else None
    out.add_row("demands served (≥ 1 pair)",
                f"{len(served):,} of {len(demands):,} ({format_fraction(share)})")
    pairs = sum(d.pairs for d in demands)
    out.add_row("pairs delivered, all demands", f"{format_number(pairs)} pairs")
    out.add_row("rate per demand", _spread([d.rate_hz for d in demands], format_number,
                                           "pairs/s"))
    out.add_row("fidelity per demand (mean of its pairs)",
                _spread([d.fidelity_mean for d in served if d.fidelity_mean is not None],
                        lambda f: f"{f:.4f}"))
    meeting = sum(d.pairs_meeting_fidelity for d in demands)
    out.add_row("pairs meeting their demand's fidelity",
                f"{format_number(meeting)} pairs "
                f"({format_fraction(meeting / pairs if pairs else None)})")
    out.add_row("latency p50 per demand",
                _spread([d.latency_p50_s for d in served if d.latency_p50_s is not None],
                        format_time))
    out.add_row("hops per demand", _spread([float(d.hops) for d in demands],
                                           lambda h: f"{h:g}", "links"))
    swaps = sum(d.swaps for d in demands)
    if swaps:
        failures = sum(d.swap_failures for d in demands)
        out.add_row("swaps (failed), all demands",
                    f"{format_number(swaps)} ({format_number(failures)})")
    if any(d.lost or d.discarded for d in demands):
        out.add_row("pairs lost / qubits cut off, all demands",
                    f"{format_number(sum(d.lost for d in demands))} / "
                    f"{format_number(sum(d.discarded for d in demands))}")
    distillable = [d.distillable_ebits_per_s for d in demands
                   if d.distillable_ebits_per_s is not None]
    if distillable:
        out.add_row("distillable (hashing bound), all demands",
                    format_rate(sum(distillable), "ebit/s"))
    keys = [d.key.secret_key_rate_bps for d in demands
            if d.key is not None and d.key.secret_key_rate_bps is not None]
    if keys:
        out.add_row("secret-key rate per key demand",
                    _spread(keys, lambda v: format_si(v, "bit/s")))
    if any(d.rate_target_hz is not None for d in demands):
        out.add_row("requests waiting at the end, all demands",
                    format_number(sum(d.unserved_requests for d in demands)))
    return out


def least_served_table(demands: list[tuple[int, DemandMetrics]], *,
                       rows: int = LEAST_SERVED_ROWS) -> Table:
    """A row each for the ``rows`` demands with the lowest rate (then the lowest mean
    fidelity), numbered as in the scenario: where a large network falls short.

    Args:
        demands: ``(number from 1, metrics)`` of each demand.
        rows: how many to list.
    """
    order = sorted(demands, key=lambda item: (item[1].rate_hz, item[1].fidelity_mean or 0.0,
                                              item[0]))
    listed = order[:rows]
    out = new_table(f"the {len(listed)} least-served demands of {len(demands):,} by rate "
                    f"(--json lists every one)", "hops", "pairs", "rate", "fidelity",
                    "latency p50", row_label="demand")
    for number, d in listed:
        a, b = d.between
        out.add_row(Text(f"{number} {a} ↔ {b}"), f"{d.hops}", format_number(d.pairs),
                    format_rate(d.rate_hz), _mean_std(d.fidelity_mean, None),
                    format_time(d.latency_p50_s))
    return out


def _least_median_most(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)
    return ordered[0], float(np.median(ordered)), ordered[-1]


def _spread(values: list[float], show: Callable[[float], str], unit: str = "") -> str:
    """``least / median / most`` of ``values``, each shown by ``show``, then ``unit``."""
    if not values:
        return _MISSING
    shown = " / ".join(show(v) for v in _least_median_most(values))
    return f"{shown} {unit}" if unit else shown


def wall_time_line(result: RunResult, wall_s: float) -> Text:
    """Wall time, event throughput and pulses sent (console only; never part of the JSON)."""
    parts = [f"wall time {format_time(wall_s)}"]
    if result.events or not result.qkd_links:
        rate = f"{format_number(result.events / wall_s)} events/s" if wall_s > 0 else _MISSING
        parts.append(f"{result.events:,} events · {rate}")
    pulses = sum(link.pulses for link in result.qkd_links)
    if pulses:
        parts.append(f"{pulses:.3g} pulses · {format_si(pulses / wall_s, 'pulses/s')}"
                     if wall_s > 0 else f"{pulses:.3g} pulses")
    return Text(" · ".join(parts), style="dim")


def new_table(title: str, *columns: str, row_label: str = "quantity") -> Table:
    """A report table: a cyan ``row_label`` column, then right-aligned value columns."""
    table = Table(title=Text(title, style="bold"), title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False, min_width=_TABLE_WIDTH)
    table.add_column(row_label, style="cyan", no_wrap=True)
    for column in columns:
        # values wrap (a long path, an abort reason) rather than widen the table past
        # the terminal; names and numbers are never cut short
        table.add_column(column, justify="right", overflow="fold")
    return table


def _mean_std(mean: float | None, std: float | None) -> str:
    if mean is None:
        return _MISSING
    if std is None:
        return f"{mean:.4f}"
    return f"{mean:.4f} ± {std:.4f}"


def cost_table(result: RunResult) -> Table:
    """The network's capital cost by component, then per demand the cost of one pair/s
    at its fidelity and of one secret bit/s (``–`` with the reason where a rate is 0)."""
    cost = result.cost
    if cost is None:
        raise ValueError("the run has no cost figures")
    out = new_table(f"capital cost ({cost.currency}, fibre {cost.fibre})", "count", "cost",
                    row_label="component")
    for item in cost.items:
        star = " *" if item.component in cost.overridden else ""
        out.add_row(item.component + star, f"{item.count:,.4g}", f"{item.cost_eur:,.0f}")
    out.add_row("total", "", f"{cost.capital_cost_eur:,.0f}", style="bold")
    if cost.satellite_passes:
        out.add_row("satellite passes (running)", f"{cost.satellite_passes}",
                    f"{cost.satellite_pass_cost_eur:,.0f}")
    rows = [(f"demand {i} {a} ↔ {b}", d) for i, d in enumerate(cost.demands, 1)
            for a, b in [d.between]]
    rows += [(f"key demand {i} {a} ↔ {b}", d) for i, d in enumerate(cost.key_demands, 1)
             for a, b in [d.between]]
    if len(rows) > _MAX_DEMAND_TABLES:
        # a row or two per demand would bury the bill: the spread over demands instead
        per_pair = [d.cost_per_pair_hz_eur for _, d in rows if d.cost_per_pair_hz_eur is not None]
        per_bit = [d.cost_per_secret_bps_eur for _, d in rows
                   if d.cost_per_secret_bps_eur is not None]
        for what, values in (("per pair/s at F", per_pair), ("per secret bit/s", per_bit)):
            if values:
                least, median, most = _least_median_most(values)
                out.add_row(f"{what}: least of {len(values):,} demands", "",
                            format_number(least))
                out.add_row(f"{what}: median", "", format_number(median))
                out.add_row(f"{what}: most", "", format_number(most))
        without = len(rows) - len(per_pair)
        if without:
            out.add_row(Text(f"{without:,} demand{'' if without == 1 else 's'} with no cost "
                             f"per pair/s (see --json)", style="dim"), "", "")
        rows = []
    for label, d in rows:
        if d.rate_at_fidelity_hz is not None:
            out.add_row(f"{label}: per pair/s at F", "",
                        _MISSING if d.cost_per_pair_hz_eur is None
                        else f"{d.cost_per_pair_hz_eur:,.4g}")
        if d.secret_key_rate_bps is not None:
            out.add_row(f"{label}: per secret bit/s", "",
                        _MISSING if d.cost_per_secret_bps_eur is None
                        else f"{d.cost_per_secret_bps_eur:,.4g}")
        if d.note:
            out.add_row("", "", Text(d.note, style="dim"))
    if cost.overridden:
        out.add_row(Text("* price set by the scenario's costs", style="dim"), "", "")
    return out
