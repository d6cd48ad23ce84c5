"""The pass panel of ``qinet run --plot``: a satellite link's passes against time.

One panel per link with passes (``qkd_links[i].passes``): on the left axis the
elevation (deg) and the channel loss (dB) of each step, on the right axis (log) the
sifted and the asymptotic secret key rate (bit/s); time in seconds from the run's start.
Steps where the link did not send (below the minimum elevation, or in daylight for a
night-only link) have no rate, and a zero rate is not drawn on the log axis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qinet.analysis.key_metrics import QkdLinkMetrics

if TYPE_CHECKING:
    from matplotlib.axes import Axes

PANEL_HEIGHT_IN = 3.0  # inches per link with passes


def plot_passes(ax: Axes, link: QkdLinkMetrics) -> None:
    """Draw every pass of ``link`` on ``ax`` (and on a twin log axis for the rates).

    Side Effects:
        Draws on ``ax`` and adds a twin axis to its figure.
    """
    rates = ax.twinx()
    rates.set_yscale("log")
    for number, one in enumerate(link.passes, 1):
        label = "" if number > 1 else "{}"
        ax.plot(one.time_s, one.elevation_deg, color="#1f77b4",
                label=label.format("elevation (deg)"))
        ax.plot(one.time_s, [x if x is not None else float("nan") for x in one.loss_db],
                color="#7f7f7f", linestyle="--", label=label.format("loss (dB)"))
        sifted = [r if s and r > 0 else float("nan")
                  for r, s in zip(one.sifted_rate_bps, one.sending, strict=True)]
        secret = [r if s and r > 0 else float("nan")
                  for r, s in zip(one.secret_rate_bps, one.sending, strict=True)]
        rates.plot(one.time_s, sifted, color="#2ca02c", marker=".",
                   label=label.format("sifted (bit/s)"))
        rates.plot(one.time_s, secret, color="#ff7f0e", marker=".",
                   label=label.format("secret, asymptotic (bit/s)"))
    ax.set_xlabel("time from the run's start (s)")
    ax.set_ylabel("elevation (deg), loss (dB)")
    rates.set_ylabel("key rate (bit/s)")
    total = sum(p.key_bits for p in link.passes)
    ax.set_title(f"{link.name} ({link.protocol}): {len(link.passes)} pass(es), "
                 f"{total:,} key bits distilled", fontsize=9)
    lines = ax.get_legend_handles_labels()
    twin = rates.get_legend_handles_labels()
    ax.legend(lines[0] + twin[0], lines[1] + twin[1], fontsize=7, loc="upper left")
