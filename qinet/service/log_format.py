"""Log output of the service: JSON lines or text on stderr, and :func:`clip` for values
that a caller sent.

:class:`JsonLogFormatter` writes one JSON object per line, for log collectors::

    {"ts": "2026-12-06T19:01:02.345Z", "level": "INFO", "logger": "qinet.service",
     "message": "serving alice at https://127.0.0.1:8443", "kme": "alice"}

``ts`` is RFC 3339 in UTC with milliseconds; the fields given as ``extra`` to the log
call follow when JSON can hold them (strings, numbers, booleans, ``None``, lists and
dicts of those). ``bytes`` never can, so key material passed by mistake is dropped, not
written. An exception's traceback goes under ``exc``, a stack under ``stack``.

Whatever a request carries (an SAE ID, a key_ID, a size) may be long or hold control
characters; :func:`clip` makes it safe to echo in an error message or a log line.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any, Literal

from qinet.errors import ConfigError

TEXT_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_LOG_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message", "asctime", "taskName"}
_OWN_FIELDS = ("ts", "level", "logger", "message", "exc", "stack")
_INSTALLED = "_qinet_configure_logging"  # marks the handler configure_logging put on root


def clip(value: object, limit: int = 64, *, quote: bool = True) -> str:
    """Printable text of ``value``, at most ``limit`` characters of it, for messages.

    A string is shown as ``repr`` shows it (quoted, control characters escaped); any
    other value as its ``repr``. Past ``limit`` characters the text is cut, marked with
    ``…`` and followed by the original length, so an echoed megabyte stays a short line.

    Args:
        value: what the caller sent.
        limit: most characters of the value kept (of the string, or of the ``repr`` of
            anything else).
        quote: keep the quotes around a string (``False`` gives its escaped text alone,
            for JSON fields that hold the value itself).

    Returns:
        The text, one line.

    Raises:
        ConfigError: ``limit`` is less than 1.

    Examples:
        >>> clip("bob-app")
        "'bob-app'"
        >>> clip("a" * 1048576, 4)
        "'aaaa…' (1048576 chars)"
        >>> clip("a\\nb", quote=False)
        'a\\\\nb'
        >>> clip(2.5), clip(None), clip(list(range(100)), 10)
        ('2.5', 'None', '[0, 1, 2, … (390 chars)')
        >>> clip("x" * 10, 4, quote=False)
        'xxxx… (10 chars)'
    """
    if limit < 1:
        raise ConfigError("limit", f"must be at least 1, got {limit}")
    if isinstance(value, str):
        cut = len(value) > limit
        text = repr(value[:limit] + "…" if cut else value)
        if not quote:
            text = text[1:-1]
        return f"{text} ({len(value)} chars)" if cut else text
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} chars)"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per log record, on one line.

    Keys: ``ts`` (RFC 3339, UTC, milliseconds), ``level``, ``logger``, ``message``, then
    each ``extra`` field that JSON can hold (others are left out, as is an extra named
    like one of these keys), and ``exc`` / ``stack`` when the record has them. Output is
    ASCII, so no character of a message can split the line.

    Examples:
        >>> record = logging.LogRecord("qinet.service", logging.INFO, __file__, 1,
        ...                            "served %d keys", (3,), None)
        >>> record.created, record.msecs, record.peer = 0.0, 0.0, "bob"
        >>> JsonLogFormatter().format(record)
        '{"ts": "1970-01-01T00:00:00.000Z", "level": "INFO", "logger": "qinet.service", \
"message": "served 3 keys", "peer": "bob"}'
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC)
                    .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name in _LOG_RECORD_FIELDS or name in _OWN_FIELDS or name.startswith("_"):
                continue
            try:
                entry[name] = json.loads(json.dumps(value, allow_nan=False))
            except (TypeError, ValueError):
                continue  # not JSON (bytes, objects, NaN): never written
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=True)


def configure_logging(*, level: str, fmt: Literal["text", "json"]) -> logging.Handler:
    """Send the log of the whole process to stderr, as text lines or JSON lines.

    Puts one handler on the root logger, replacing the one an earlier call put there
    (other handlers, such as pytest's, are left alone), and sets the root level.

    Args:
        level: a level name (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``; any case).
        fmt: ``text`` for ``time LEVEL message`` lines, ``json`` for
            :class:`JsonLogFormatter`.

    Returns:
        The handler installed.

    Raises:
        ConfigError: unknown level or format.

    Side Effects:
        Changes the root logger's level and handlers.
    """
    number = logging.getLevelNamesMapping().get(str(level).upper())
    if number is None:
        raise ConfigError("level", f"must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; "
                                   f"got {clip(level)}")
    if fmt not in ("text", "json"):
        raise ConfigError("fmt", f"must be 'text' or 'json', got {clip(fmt)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLogFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    setattr(handler, _INSTALLED, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _INSTALLED, False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(number)
    return handler
