"""Published figures recomputed with qinet: a registry of reproductions.

Each :class:`Reproduction` names a paper, one number it publishes (with its unit and,
where the paper gives one, its uncertainty), a tolerance with the reason for it, and a
``compute`` callable that recomputes the number from the paper's stated parameters with
qinet's own functions, with no fitted factor. ``qinet reproduce`` prints them side by
side and fails when one leaves its tolerance, so a change in the physics that moves a
published figure shows up as a failed command.

The entries live in one module per family, listed in :data:`FAMILIES`:
``closed_forms`` (bounds and key-rate formulas), and the experiment families, whose
entries run a preset (``Reproduction.preset``) with ``quick`` shortening the simulated
time::

    def _fibre_record(*, quick: bool = False) -> float:
        run = simulate_preset("fibre-record", seed=1, duration="1 s" if quick else "30 s")
        return run.qkd_links[0].secret_key_rate_bps

    Reproduction(name="<first-author><year>-<figure>", paper=Paper(...),
                 quantity="secret-key rate at <length>", unit="bit/s", published=...,
                 tolerance=..., why="the paper's own error bar, plus 5 sigma of the "
                                    "30 s run's shot noise",
                 compute=_fibre_record, preset="fibre-record")

The preset holds the paper's stated parameters (its comments say which come from the
paper, with table or page, and which are assumed); the tolerance covers the statistical
spread of the run next to the paper's own precision, and docs/experiments.md says what
qinet models against what the paper measured.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from qinet.errors import ConfigError

# The modules of this package that hold entries (each an ``ENTRIES`` tuple), in the
# order ``qinet reproduce`` lists them.
FAMILIES: tuple[str, ...] = ("closed_forms", "fibre_experiments", "satellite")


@dataclass(frozen=True, slots=True)
class Paper:
    """Where a published figure comes from."""

    authors: str
    journal: str
    year: int
    doi: str = ""
    arxiv: str = ""

    def cite(self) -> str:
        """``authors, journal (year), doi:...`` (or ``arXiv:...``)."""
        ref = f"doi:{self.doi}" if self.doi else f"arXiv:{self.arxiv}"
        return f"{self.authors}, {self.journal} ({self.year}), {ref}"


class Compute(Protocol):
    """Recomputes a figure; ``quick`` asks for a short run where the figure is simulated."""

    def __call__(self, *, quick: bool = False) -> float: ...


@dataclass(frozen=True, slots=True)
class Reproduction:
    """One published figure, its tolerance and how qinet recomputes it.

    ``compute(quick=...)`` returns qinet's figure in ``unit``; the figure reproduces
    the paper when ``|qinet - published| <= tolerance`` (``tolerance`` in ``unit`` too).
    """

    name: str
    paper: Paper
    quantity: str
    unit: str
    published: float
    tolerance: float
    why: str
    compute: Compute
    published_uncertainty: float | None = None
    preset: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """A reproduction with the figure qinet gave."""

    reproduction: Reproduction
    qinet: float

    @property
    def ratio(self) -> float:
        """qinet's figure over the published one."""
        return self.qinet / self.reproduction.published

    @property
    def within(self) -> bool:
        """True when qinet's figure lies within the tolerance (never for nan)."""
        r = self.reproduction
        return abs(self.qinet - r.published) <= r.tolerance

    def to_dict(self) -> dict[str, Any]:
        """The row of ``qinet reproduce --json``."""
        r, p = self.reproduction, self.reproduction.paper
        return {"name": r.name,
                "paper": {"authors": p.authors, "journal": p.journal, "year": p.year,
                          "doi": p.doi or None, "arxiv": p.arxiv or None},
                "quantity": r.quantity, "unit": r.unit, "published": r.published,
                "published_uncertainty": r.published_uncertainty,
                "qinet": self.qinet, "ratio": self.ratio, "tolerance": r.tolerance,
                "why": r.why, "preset": r.preset or None, "within_tolerance": self.within}


def all_reproductions() -> tuple[Reproduction, ...]:
    """Every entry of every family, in the order of :data:`FAMILIES`."""
    return tuple(entry for family in FAMILIES
                 for entry in importlib.import_module(f"{__name__}.{family}").ENTRIES)


def reproductions() -> Mapping[str, Reproduction]:
    """The registry by name, in the order of :func:`all_reproductions`."""
    return {r.name: r for r in all_reproductions()}


def for_preset(preset: str) -> tuple[Reproduction, ...]:
    """The entries that run the built-in scenario ``preset``."""
    return tuple(r for r in all_reproductions() if r.preset == preset)


def select(names: tuple[str, ...] = ()) -> tuple[Reproduction, ...]:
    """The named reproductions (all when none are named), in the order given.

    Raises:
        ConfigError: a name not in the registry; the message lists the known ones.
    """
    known = reproductions()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError("NAME", f"unknown {', '.join(map(repr, unknown))}; known: "
                                  f"{', '.join(known)}")
    return tuple(known[n] for n in names) if names else tuple(known.values())


def run(selected: tuple[Reproduction, ...], *, quick: bool = False) -> list[Outcome]:
    """Recompute each selected figure."""
    return [Outcome(r, float(r.compute(quick=quick))) for r in selected]
