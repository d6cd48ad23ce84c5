"""The one error tree of qinet.

Every exception that qinet raises on purpose is a :class:`QinetError`. Each layer has its
branch, so callers can catch what they can handle, and the messages carry the offending
field and value (``links[1].length: must be positive, got "-3 km"``).
"""

from __future__ import annotations


class QinetError(Exception):
    """Root of every error qinet raises on purpose."""


class ConfigError(QinetError, ValueError):
    """A scenario, a parameter or a unit string is invalid.

    Attributes:
        field: dotted path of the offending field (``links[1].length``), or ``""``.
        reason: what is wrong, with the value that was given.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}" if field else reason)


class ConfigErrors(ConfigError):
    """Several problems found in one scenario, all reported at once.

    ``field`` and ``reason`` are those of the first problem, so a caller that handles a
    single :class:`ConfigError` still reads a sensible one; the message lists every
    problem on a line of its own.

    Attributes:
        problems: each problem as a :class:`ConfigError` naming its field.

    Examples:
        >>> err = ConfigErrors([ConfigError("a", "bad, got 1"), ConfigError("b", "worse")])
        >>> print(err)
        2 problems:
          a: bad, got 1
          b: worse
        >>> err.field
        'a'
    """

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = tuple(problems)
        super().__init__(problems[0].field, problems[0].reason)
        self.args = (f"{len(problems)} problems:\n"
                     + "\n".join(f"  {p}" for p in self.problems),)

    def __str__(self) -> str:
        return str(self.args[0])


class UnitError(ConfigError):
    """A quantity string could not be read, or has the wrong dimension."""


class SimulationError(QinetError, RuntimeError):
    """The discrete-event run stopped: a callback raised, or the clock would go backwards."""


class BackendError(QinetError, ValueError):
    """A quantum backend was asked for an impossible operation (bad shape, unknown pair)."""


class ProtocolError(QinetError, RuntimeError):
    """A protocol received a message it cannot handle in its current state."""


class ResourceUnavailable(QinetError, RuntimeError):
    """A memory, a link or a key pool has nothing free to give right now."""


class PrescribedRefusal(ConfigError):
    """A refusal whose wording a standard fixes (ETSI GS QKD 014's Error messages).

    ``message`` is the standard's text, word for word; what was wrong in this request
    goes to ``details`` (a list of JSON objects), never into the message.

    Attributes:
        message: the prescribed text.
        details: the Error object's ``details``.

    Examples:
        >>> error = PrescribedRefusal("size shall be a multiple of 8",
        ...                           [{"field": "size", "reason": "got 250"}])
        >>> str(error), error.field
        ('size shall be a multiple of 8', 'size')
    """

    def __init__(self, message: str, details: list[dict[str, object]]) -> None:
        self.message = message
        self.details = details
        field = str(details[0].get("field", "")) if details else ""
        super().__init__(field, message)
        self.args = (message,)

    def __str__(self) -> str:
        return self.message


class Unauthorized(QinetError, PermissionError):
    """The caller is authenticated but may not have what it asked for (HTTP 401)."""
