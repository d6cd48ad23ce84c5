"""Messages of the link layer, one frozen dataclass per kind."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HeraldMessage:
    """The station's verdict on one attempt, sent to both nodes.

    Attributes:
        link: the link's name.
        memory_pair: which of the link's memory pairs made the attempt.
        attempt: the attempt's number on that memory pair (from 1).
        success: whether exactly the right clicks heralded a pair.
    """

    link: str
    memory_pair: int
    attempt: int
    success: bool
