"""A :class:`~qinet.analysis.metrics.RunResult` read back from the JSON document that
``qinet run --json`` prints, so a saved result can be reported (tables and figure) as
the run that made it was.

The document is ``RunResult.to_dict()`` plus a few keys ``qinet run`` adds (``partial``,
``simulated_s``, ``requested_duration_s``, ``notes``), which are returned apart. Each
field is rebuilt from its annotation: dataclasses field by field, lists and tuples item by
item, and a union of dataclasses (a demand's ``bound`` or ``key``) as the member whose
fields the object holds.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any

from qinet.analysis.metrics import RunResult
from qinet.errors import ConfigError

RUN_KEYS = ("partial", "simulated_s", "requested_duration_s", "notes")


def result_from_document(document: Mapping[str, Any], *, option: str = "RESULT"
                         ) -> tuple[RunResult, dict[str, Any]]:
    """The run's result, and the keys ``qinet run`` added to it.

    Raises:
        ConfigError: naming ``option``: the document is not a run's result (a field is
            missing or of the wrong kind), e.g. from another version of qinet.
    """
    extra = {key: document[key] for key in RUN_KEYS if key in document}
    try:
        result = _build(RunResult, {k: v for k, v in document.items() if k not in RUN_KEYS})
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(option, f"not the JSON result of qinet run: {exc}") from None
    if not isinstance(result, RunResult):
        raise ConfigError(option, "not the JSON result of qinet run")
    return result, extra


def _build(kind: Any, value: Any) -> Any:
    # the leaves first: most of a large result's values are numbers and names
    if kind is float:
        return float(value) if isinstance(value, int | float) else value
    if kind is int or kind is str or kind is bool:
        return value
    origin = typing.get_origin(kind)
    if kind is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(kind), value)
    if value is None:
        return None
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        if not isinstance(value, Mapping):
            raise TypeError(f"{kind.__name__} expects an object, got {value!r}")
        hints, fields = _annotations(kind)
        unknown = set(value) - fields
        if unknown:
            raise TypeError(f"{kind.__name__} has no field {sorted(unknown)[0]!r}")
        return kind(**{name: _build(hints[name], item) for name, item in value.items()})
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_build(item, v) for v in value]
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=True))
    if origin is dict:
        _, item = typing.get_args(kind)
        return {k: _build(item, v) for k, v in value.items()}
    if kind is float and isinstance(value, int | float):
        return float(value)
    return value


@functools.cache
def _annotations(kind: type) -> tuple[dict[str, Any], frozenset[str]]:
    """A dataclass's field types and the names its constructor takes, read once per
    class: ``typing.get_type_hints`` evaluates every annotation anew (a 1,000-demand
    result took 16 s of it)."""
    return (typing.get_type_hints(kind),
            frozenset(f.name for f in dataclasses.fields(kind) if f.init))


@functools.cache
def _field_names(kind: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(kind))


def _union(members: tuple[Any, ...], value: Any) -> Any:
    if value is None:
        return None
    classes = [m for m in members if isinstance(m, type) and dataclasses.is_dataclass(m)]
    if classes and isinstance(value, Mapping):
        # the member whose fields the object holds: the first whose fields include them
        for member in classes:
            if set(value) <= _field_names(member):
                return _build(member, value)
        raise TypeError(f"no kind of {', '.join(c.__name__ for c in classes)} has the "
                        f"fields {sorted(value)}")
    others = [m for m in members if m is not type(None) and not dataclasses.is_dataclass(m)]
    return _build(others[0], value) if len(others) == 1 else value
