"""Checks of the parameters every QKD protocol and bound takes, with one message per kind.

Each check raises :class:`~qinet.errors.ConfigError` naming the field and showing the
value, and returns nothing; the callers keep their values as given.

Examples:
    >>> check_open_probability("z_basis_probability", 1.0)
    Traceback (most recent call last):
    ...
    qinet.errors.ConfigError: z_basis_probability: must lie in (0, 1), got 1.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qinet.errors import ConfigError


def check_whole_number(field: str, value: object, *, least: int) -> None:
    """``value`` is an integer (not a bool) of at least ``least`` (0 or 1).

    Examples:
        >>> check_whole_number("pulses", 2.0, least=0)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: pulses: must be a non-negative integer, got 2.0
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        kind = "positive" if least == 1 else "non-negative"
        raise ConfigError(field, f"must be a {kind} integer, got {value!r}")


def check_open_probability(field: str, value: float) -> None:
    """``0 < value < 1``: a basis choice, a secrecy or correctness parameter."""
    if not 0.0 < value < 1.0:
        raise ConfigError(field, f"must lie in (0, 1), got {value!r}")


def check_epsilons(epsilon_sec: float, epsilon_cor: float) -> None:
    """Secrecy and correctness parameters, each in (0, 1)."""
    check_open_probability("epsilon_sec", epsilon_sec)
    check_open_probability("epsilon_cor", epsilon_cor)


def check_misalignment(value: float) -> None:
    """``e_d`` in [0, 1/2]: beyond 1/2 the detectors' labels would simply swap.

    Examples:
        >>> check_misalignment(0.6)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: misalignment: must lie in [0, 0.5], got 0.6
    """
    if not 0.0 <= value <= 0.5:
        raise ConfigError("misalignment", f"must lie in [0, 0.5], got {value}")


def is_signal_decoy_vacuum(intensities: Sequence[float]) -> bool:
    """Whether the intensities are (signal μ, weak decoy ν, vacuum 0) with ``μ > ν > 0``.

    Examples:
        >>> is_signal_decoy_vacuum((0.5, 0.1, 0.0)), is_signal_decoy_vacuum((0.5, 0.1))
        (True, False)
    """
    mus = tuple(intensities)
    return len(mus) == 3 and mus[0] > mus[1] > mus[2] == 0.0
