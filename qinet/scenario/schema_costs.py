"""The scenario's ``costs`` section: how its fibre is paid for, and prices that replace
those of the cost catalogue (``qinet/scenario/cost_catalogue.yaml``).

This model is imported by :mod:`qinet.scenario.schema`, which puts it into the
scenario's top level; :mod:`qinet.analysis.costs` prices the scenario with it.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator

from qinet.errors import ConfigError
from qinet.scenario.cost_catalogue import check_price
from qinet.scenario.schema import _Strict


class Costs(_Strict):
    """How the scenario's capital cost is counted (euros)."""

    fibre: Literal["dark", "leased"] = Field(
        "dark", description="dark: fibre bought as a right of use, priced per km once "
                            "(`fibre_dark_eur_per_km`); leased: fibre leased per km and year, "
                            "counted over `fibre_lease_years`")
    prices_eur: dict[str, float] = Field(
        default_factory=dict,
        description="entries of the cost catalogue replaced by name, e.g. "
                    "`{snspd_channel_eur: 40000, trusted_node_eur: 1e5}` (euros; the two "
                    "counts `snspd_channels_per_cryostat` and `fibre_lease_years` are "
                    "plain numbers); see docs/planning.md for the entries")

    @field_validator("prices_eur")
    @classmethod
    def _known_entries(cls, prices: dict[str, float]) -> dict[str, float]:
        for name, value in prices.items():
            if not math.isfinite(value):
                raise ValueError(f"{name}: must be finite, got {value!r}")
            try:
                check_price(name, value)
            except ConfigError as exc:
                raise ValueError(f"{name}: {exc.reason}") from None
        return prices
