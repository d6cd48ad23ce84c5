"""Where repeaters swap: as soon as possible, or in a nested (doubling) order.

Swap-ASAP: a repeater swaps whenever it holds a qubit entangled towards each side.

Nested: the path is halved recursively; the repeater in the middle of a span swaps only
pairs that reach exactly the two ends of its span, so spans double at every level
(Briegel, Dür, Cirac and Zoller, PRL 81, 5932 (1998)). For a path that is not a power of
two the split point is the middle, rounded down.
"""

from __future__ import annotations

from qinet.errors import ConfigError

POLICIES = ("asap", "nested")


def nested_spans(n_links: int) -> dict[int, tuple[int, int]]:
    """For each repeater position, the span ``(lo, hi)`` it joins in the nested scheme.

    Examples:
        >>> nested_spans(4)
        {2: (0, 4), 1: (0, 2), 3: (2, 4)}
        >>> nested_spans(3)
        {1: (0, 3), 2: (1, 3)}
    """
    if n_links < 1:
        raise ConfigError("path", f"needs at least one link, got {n_links}")
    spans: dict[int, tuple[int, int]] = {}
    stack = [(0, n_links)]
    while stack:
        lo, hi = stack.pop(0)
        if hi - lo < 2:
            continue
        mid = (lo + hi) // 2
        spans[mid] = (lo, hi)
        stack += [(lo, mid), (mid, hi)]
    return spans


def nesting_level(n_links: int) -> dict[int, int]:
    """Level of every repeater in the nested scheme (1 joins two links).

    Examples:
        >>> nesting_level(4)
        {2: 2, 1: 1, 3: 1}
    """
    levels = {}
    for position, (lo, hi) in nested_spans(n_links).items():
        levels[position] = max(1, (hi - lo - 1).bit_length())
    return levels
