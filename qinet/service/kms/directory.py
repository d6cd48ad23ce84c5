"""Which SAE is attached to which KME, and which pool joins two KMEs.

Examples:
    >>> from types import SimpleNamespace as Kme
    >>> d = KmeDirectory.from_kmes([Kme(name="bob", saes=("b1",)),
    ...                             Kme(name="alice", saes=("a1", "a2"))])
    >>> d.kme_of("a2"), d.pair("bob", "alice"), d.kme_names
    ('alice', ('alice', 'bob'), ('alice', 'bob'))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from qinet.errors import ConfigError
from qinet.service.certs import KmeLike, check_name
from qinet.service.log_format import clip


@dataclass(frozen=True, slots=True)
class KmeDirectory:
    """The KMEs of a service and the SAEs each one serves.

    Attributes:
        kme_names: the KME names, sorted.
        sae_kme: SAE ID → the name of its KME.
    """

    kme_names: tuple[str, ...]
    sae_kme: Mapping[str, str]

    @classmethod
    def from_kmes(cls, kmes: Iterable[KmeLike]) -> KmeDirectory:
        """Build the directory, checking that names are usable and SAEs unique.

        Raises:
            ConfigError: a bad or repeated KME or SAE name.
        """
        sae_kme: dict[str, str] = {}
        names: list[str] = []
        for i, kme in enumerate(kmes):
            check_name(f"kmes[{i}].name", kme.name)
            if kme.name in names:
                raise ConfigError(f"kmes[{i}].name", f"KME {kme.name!r} is listed twice")
            names.append(kme.name)
            for j, sae in enumerate(kme.saes):
                check_name(f"kmes[{i}].saes[{j}]", sae)
                if sae in sae_kme:
                    raise ConfigError(f"kmes[{i}].saes[{j}]",
                                      f"SAE {sae!r} is already attached to {sae_kme[sae]!r}")
                sae_kme[sae] = kme.name
        return cls(kme_names=tuple(sorted(names)), sae_kme=MappingProxyType(sae_kme))

    def kme_of(self, sae: str, *, field: str = "SAE_ID") -> str:
        """The KME an SAE is attached to.

        Raises:
            ConfigError: the SAE is unknown (an HTTP 400 at the API).
        """
        try:
            return self.sae_kme[sae]
        except KeyError:
            raise ConfigError(field, f"unknown SAE {clip(sae)}") from None

    def saes_of(self, kme: str) -> tuple[str, ...]:
        """The SAEs attached to a KME, sorted."""
        return tuple(sorted(s for s, k in self.sae_kme.items() if k == kme))

    @staticmethod
    def pair(kme_x: str, kme_y: str) -> tuple[str, str]:
        """The pool of two KMEs, named by the two in sorted order."""
        return (kme_x, kme_y) if kme_x < kme_y else (kme_y, kme_x)

    def pairs(self) -> list[tuple[str, str]]:
        """Every pair of distinct KMEs (each shares one key pool)."""
        names = self.kme_names
        return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
