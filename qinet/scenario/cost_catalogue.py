"""The catalogue of component capital costs (``cost_catalogue.yaml``), read into frozen
dataclasses.

Each entry is one figure: its value (euros, or a count for the two entries that are
not prices), what one unit is, its basis (a published source or ``estimate``), the date
it refers to and how it was reached. The scenario's ``costs.prices_eur`` overrides
entries by name; :mod:`qinet.analysis.costs` counts a scenario's components and prices
them.

Examples:
    >>> catalogue = load_catalogue()
    >>> catalogue.currency
    'EUR'
    >>> catalogue["ground_station_eur"].estimated
    False
    >>> catalogue.with_prices({"ground_station_eur": 1e6}).value("ground_station_eur")
    1000000.0
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from types import MappingProxyType

import yaml

from qinet.errors import ConfigError

CATALOGUE_FILE = "cost_catalogue.yaml"
# entries that are counts rather than prices (their names carry no `_eur`)
COUNT_ENTRIES = frozenset({"snspd_channels_per_cryostat", "fibre_lease_years"})


@dataclass(frozen=True, slots=True)
class CostEntry:
    """One figure of the catalogue.

    Attributes:
        name: the entry's name, with its unit (``snspd_channel_eur``,
            ``fibre_dark_eur_per_km``).
        value: the figure, in euros (or a count for :data:`COUNT_ENTRIES`).
        unit: what one unit of it is.
        basis: the published source, or ``estimate``.
        date: the year and month the figure refers to (``2026-12``).
        estimated: the figure is not read directly off its source.
        reasoning: how the figure was reached.
        overridden: the scenario set it (``costs.prices_eur``).
    """

    name: str
    value: float
    unit: str
    basis: str
    date: str
    estimated: bool
    reasoning: str
    overridden: bool = False


@dataclass(frozen=True, slots=True)
class CostCatalogue:
    """Every entry, by name, and the currency of the prices."""

    currency: str
    entries: Mapping[str, CostEntry]

    def __getitem__(self, name: str) -> CostEntry:
        return self.entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def value(self, name: str) -> float:
        """The entry's value (euros, or a count)."""
        return self.entries[name].value

    def with_prices(self, prices: Mapping[str, float]) -> CostCatalogue:
        """The catalogue with some entries' values replaced (marked ``overridden``).

        Raises:
            ConfigError: naming ``costs.prices_eur.<name>``: an unknown entry or a
                negative value.
        """
        entries = dict(self.entries)
        for name, value in prices.items():
            check_price(name, value)
            entries[name] = replace(entries[name], value=float(value), overridden=True)
        return CostCatalogue(self.currency, MappingProxyType(entries))


def check_price(name: str, value: float) -> None:
    """Refuse an override of an entry the catalogue lacks, or a negative value.

    Raises:
        ConfigError: naming ``costs.prices_eur.<name>``.
    """
    where = f"costs.prices_eur.{name}"
    known = load_catalogue().entries
    if name not in known:
        raise ConfigError(where, "not an entry of the cost catalogue; entries: "
                                 + ", ".join(sorted(known)))
    if not value >= 0:  # also refuses nan
        raise ConfigError(where, f"must be non-negative, got {value!r}")
    if name in COUNT_ENTRIES and value < 1:
        raise ConfigError(where, f"is a count and must be at least 1, got {value!r}")


@functools.cache
def load_catalogue() -> CostCatalogue:
    """The catalogue shipped with qinet (read once)."""
    text = resources.files("qinet.scenario").joinpath(CATALOGUE_FILE).read_text("utf-8")
    data = yaml.safe_load(text)
    entries = {name: CostEntry(name=name, value=float(item["value"]), unit=str(item["unit"]),
                               basis=" ".join(str(item["basis"]).split()),
                               date=str(item["date"]), estimated=bool(item["estimated"]),
                               reasoning=" ".join(str(item["reasoning"]).split()))
               for name, item in data["entries"].items()}
    return CostCatalogue(str(data["currency"]), MappingProxyType(entries))
