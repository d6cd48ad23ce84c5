"""A midpoint-source link reports the CAR of its pair source; other links report none."""

from __future__ import annotations

import pytest

from qinet import simulate
from qinet.scenario import load_scenario
from qinet.scenario.coincidences import link_car

_YAML = """
hardware:
  src: {{kind: spdc, mean_pairs: {mu}, statistics: poisson}}
  det: {{kind: detector, efficiency: 0.5, dark_count_rate: {dark} Hz}}
nodes: [{{name: a}}, {{name: b}}]
links: [{{between: [a, b], length: {km} km, scheme: midpoint-source, source: src,
          detector: det}}]
demands: [{{kind: entanglement, between: [a, b], pairs: 3}}]
duration: 1 s
"""


def test_low_efficiency_and_no_dark_counts_give_one_plus_one_over_mu():
    # 200 km of fibre (20 dB per arm) and 50 % detectors: eta ~ 4e-3 per end
    s = load_scenario(_YAML.format(mu=0.02, dark=0, km=200))
    assert link_car(s, s.links[0]) == pytest.approx(1 + 1 / 0.02, rel=0.01)


def test_dark_counts_lower_the_ratio():
    quiet = load_scenario(_YAML.format(mu=0.02, dark=0, km=50))
    noisy = load_scenario(_YAML.format(mu=0.02, dark=1e5, km=50))
    assert link_car(noisy, noisy.links[0]) < link_car(quiet, quiet.links[0])


def test_the_run_reports_it_per_link():
    run = simulate(_YAML.format(mu=0.02, dark=10, km=10))
    s = load_scenario(_YAML.format(mu=0.02, dark=10, km=10))
    assert run.links[0].car == pytest.approx(link_car(s, s.links[0]), rel=1e-12)
    other = simulate("""
nodes: [{name: a}, {name: b}]
links: [{between: [a, b], length: 5 km, scheme: double-click}]
demands: [{kind: entanglement, between: [a, b], pairs: 2}]
duration: 1 s
""")
    assert other.links[0].car is None
