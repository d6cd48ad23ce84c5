"""Metrics, reports and plots of finished runs."""

from qinet.analysis.metrics import DemandMetrics, LinkMetrics, RunResult, summarize

__all__ = ["DemandMetrics", "LinkMetrics", "RunResult", "summarize"]
