"""JSON log lines, configure_logging and clip."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinet.errors import ConfigError
from qinet.service.log_format import JsonLogFormatter, clip, configure_logging


@pytest.fixture
def json_log():
    """A logger writing JSON lines to a StringIO, and a function reading them back."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger("qinet.test.json_log")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    def lines() -> list[dict]:
        text = stream.getvalue()
        assert text.endswith("\n")
        return [json.loads(line) for line in text.splitlines()]

    yield logger, lines
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.fixture
def clean_root():
    """Restore the root logger's level and handlers after a test that configures it."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_one_json_object_per_line_with_the_standard_fields(json_log):
    logger, lines = json_log
    before = dt.datetime.now(dt.UTC)
    logger.info("served %d keys to %s", 3, "bob-app")
    logger.warning("second\nline")
    first, second = lines()
    assert set(first) == {"ts", "level", "logger", "message"}
    assert (first["level"], first["logger"], first["message"]) == (
        "INFO", "qinet.test.json_log", "served 3 keys to bob-app")
    assert second["message"] == "second\nline"
    assert first["ts"].endswith("Z")
    stamp = dt.datetime.fromisoformat(first["ts"])
    assert stamp.utcoffset() == dt.timedelta(0)
    assert before - dt.timedelta(milliseconds=1) <= stamp <= dt.datetime.now(dt.UTC)


def test_extra_fields_that_json_can_hold_are_kept_others_left_out(json_log):
    logger, lines = json_log
    logger.info("request", extra={
        "kme": "alice", "number": 10, "ratio": 0.5, "ok": True, "nothing": None,
        "ids": ["a", "b"], "limits": {"max": 128},
        "material": b"\x01\x02secret", "obj": object(), "nan": float("nan"),
        "level": "forged", "ts": "forged"})
    (entry,) = lines()
    assert entry == {
        "ts": entry["ts"], "level": "INFO", "logger": "qinet.test.json_log",
        "message": "request", "kme": "alice", "number": 10, "ratio": 0.5, "ok": True,
        "nothing": None, "ids": ["a", "b"], "limits": {"max": 128}}
    assert entry["ts"] != "forged"


def test_exception_text_goes_under_exc(json_log):
    logger, lines = json_log
    try:
        raise ValueError("size: must be a multiple of 8, got 257")
    except ValueError:
        logger.exception("refused")
    (entry,) = lines()
    assert entry["level"] == "ERROR"
    assert entry["message"] == "refused"
    assert entry["exc"].startswith("Traceback (most recent call last)")
    assert entry["exc"].rstrip().endswith("ValueError: size: must be a multiple of 8, got 257")


def test_stack_info_goes_under_stack(json_log):
    logger, lines = json_log
    logger.info("where", stack_info=True)
    (entry,) = lines()
    assert entry["stack"].startswith("Stack (most recent call last)")
    assert "exc" not in entry


def test_non_ascii_stays_on_one_line(json_log):
    logger, _ = json_log
    stream = logger.handlers[0].stream
    logger.info("sae \u2028 \u00e9\u2029")
    assert stream.getvalue().count("\n") == 1
    assert stream.getvalue().isascii()
    assert json.loads(stream.getvalue())["message"] == "sae \u2028 \u00e9\u2029"


def test_caplog_records_render_as_json(caplog):
    with caplog.at_level(logging.INFO, logger="qinet.service"):
        logging.getLogger("qinet.service").info("serving %s", "alice", extra={"port": 8443})
    (record,) = caplog.records
    entry = json.loads(JsonLogFormatter().format(record))
    assert (entry["message"], entry["port"], entry["logger"]) == (
        "serving alice", 8443, "qinet.service")


@pytest.mark.usefixtures("clean_root")
def test_configure_logging_json_on_stderr(capsys):
    handler = configure_logging(level="info", fmt="json")
    assert handler.stream is sys.stderr
    logging.getLogger("qinet.service").debug("hidden")
    logging.getLogger("qinet.service").info("shown", extra={"kme": "bob"})
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    entry = json.loads(line)
    assert (entry["message"], entry["kme"], entry["level"]) == ("shown", "bob", "INFO")


@pytest.mark.usefixtures("clean_root")
def test_configure_logging_again_replaces_its_own_handler_only(capsys):
    root = logging.getLogger()
    others = list(root.handlers)
    configure_logging(level="DEBUG", fmt="json")
    second = configure_logging(level="WARNING", fmt="text")
    assert [h for h in root.handlers if h not in others] == [second]
    assert root.level == logging.WARNING
    logging.getLogger("qinet.service").info("hidden")
    logging.getLogger("qinet.service").warning("pool %s empty", "alice-bob")
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith(" WARNING pool alice-bob empty")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"level": "LOUD", "fmt": "json"}, "level"),
    ({"level": "INFO", "fmt": "xml"}, "fmt"),
])
@pytest.mark.usefixtures("clean_root")
def test_configure_logging_refuses_unknown_values(kwargs, field):
    with pytest.raises(ConfigError) as error:
        configure_logging(**kwargs)
    assert error.value.field == field


def test_clip_marks_the_original_length():
    assert clip("a" * 1_048_576) == "'" + "a" * 64 + "…' (1048576 chars)"
    assert clip("a" * 64) == "'" + "a" * 64 + "'"
    assert clip("x" * 10, 3, quote=False) == "xxx… (10 chars)"
    assert clip(b"\x00" * 100, 8) == "b'\\x00\\x… (403 chars)"
    with pytest.raises(ConfigError):
        clip("a", 0)


@given(st.text(), st.integers(min_value=1, max_value=80), st.booleans())
def test_clip_is_one_short_printable_line(value, limit, quote):
    text = clip(value, limit, quote=quote)
    assert "\n" not in text
    assert "\r" not in text
    assert text.isprintable()
    marker = f" ({len(value)} chars)"
    if len(value) > limit:
        # repr quotes with " when the text holds a ' and no "
        ends = ("…",) if not quote else ("…'", '…"')
        assert text.endswith(tuple(end + marker for end in ends))
        assert len(text) <= 10 * limit + len(marker) + 3  # at worst \UNNNNNNNN per char
    else:
        assert text == (repr(value) if quote else repr(value)[1:-1])
