"""The fibre distance records against qinet's two hardware-free yardsticks: the
repeaterless bound of their channel and their protocol's rate with ideal hardware."""

from __future__ import annotations

import math

import pytest

from qinet.analysis.reproductions.fibre_records import (
    RECORDS,
    bounds,
    ideal_rate_bits_per_pulse,
    published_bits_per_pulse,
)
from qinet.errors import ConfigError

MEASURED = [r for r in RECORDS if r.loss_db is not None and r.key_rate is not None]
TWIN_FIELD = ("four-phase", "sns-aopp")


def test_records_are_in_the_order_they_were_set_and_say_where_each_figure_is_from():
    assert [r.paper.year for r in RECORDS] == sorted(r.paper.year for r in RECORDS)
    assert all(r.source and r.paper.doi for r in RECORDS)
    assert {r.protocol for r in RECORDS} == {"one-decoy", "mdi", "four-phase", "sns-aopp"}


@pytest.mark.parametrize("record", MEASURED, ids=lambda r: r.name)
def test_published_rate_is_below_its_protocol_with_ideal_hardware(record):
    b = bounds(record)
    assert published_bits_per_pulse(record) < b.ideal_bits_per_pulse


@pytest.mark.parametrize("record", MEASURED, ids=lambda r: r.name)
def test_only_twin_field_records_pass_the_repeaterless_bound(record):
    b = bounds(record)
    above = published_bits_per_pulse(record) > b.plob_bits_per_pulse
    assert above == (record.protocol in TWIN_FIELD)
    # and a one-way protocol with ideal hardware stays below the bound too
    if record.protocol not in TWIN_FIELD:
        assert b.ideal_bits_per_pulse < b.plob_bits_per_pulse


def test_the_1002_km_record_is_four_orders_above_the_bound():
    liu = next(r for r in RECORDS if r.name == "liu2023-1002km")
    ratio = published_bits_per_pulse(liu) / bounds(liu).plob_bits_per_pulse
    # PLOB at 156.5 dB is 1.44 × 10^-15.65 = 3.23e-16 per pulse; 9.53e-12 over it
    assert ratio == pytest.approx(9.53e-12 / (10 ** -15.65 / math.log(2)), rel=1e-6)
    assert 2.9e4 < ratio < 3.0e4


def test_ideal_twin_field_rates_scale_with_the_square_root_of_the_channel():
    for protocol in TWIN_FIELD:
        near = ideal_rate_bits_per_pulse(protocol, 1e-10)
        far = ideal_rate_bits_per_pulse(protocol, 1e-12)
        # the optimum intensities do not move with loss here (no noise): exactly 10
        assert near / far == pytest.approx(10.0, rel=1e-3)


def test_missing_figures_are_named():
    yin = next(r for r in RECORDS if r.name == "yin2016-404km")
    with pytest.raises(ConfigError, match="yin2016-404km"):
        bounds(yin)
    with pytest.raises(ConfigError, match="yin2016-404km"):
        published_bits_per_pulse(yin)
    with pytest.raises(ConfigError, match="protocol"):
        ideal_rate_bits_per_pulse("bb92", 1e-3)
