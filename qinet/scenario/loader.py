"""Reading scenarios: YAML or dict in, a checked :class:`Scenario` out, or a ConfigError.

A file is read as UTF-8 (UTF-8 or UTF-16 with a byte-order mark too), parsed with
libyaml's C parser when PyYAML has it (the pure-Python one otherwise), and refused when
it repeats a key, is larger than :data:`MAX_FILE_BYTES`, expands (through YAML
aliases) to more than :data:`MAX_NODES` values, or contains itself through an alias.
Values are built straight from the parser's events (PyYAML's node graph only for
explicit tags and the like), so a network of 100,000 nodes reads in seconds.
Every problem the schema finds is reported at once, as ``field.path: reason, got value``
lines with a did-you-mean for misspelt fields, and for a field of another variant (a
``bbm92`` demand given ``misalignment``) the variants that take it; then the
cross-references (nodes named by links and demands, hardware named by nodes and links,
demands on connected nodes) are checked the same way.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import gc
import re
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from qinet.errors import ConfigError, ConfigErrors
from qinet.scenario.pair_sources import check_pair_sources
from qinet.scenario.schema import (
    DEFAULT_QKD_PROTOCOL,
    ENTANGLEMENT_PROTOCOLS,
    PREPARE_MEASURE_PROTOCOLS,
    BB84Demand,
    DecoyBB84Demand,
    FourPhaseDemand,
    MdiDemand,
    OneDecoyBB84Demand,
    PulseQkdDemand,
    Scenario,
    SnsDemand,
    TwinFieldDemand,
)
from qinet.scenario.schema_apps import MultiNodeAppDemand, pair_app_node_problems
from qinet.scenario.schema_space import (
    SPACE_SCHEMES,
    DownlinkLink,
    DualDownlinkLink,
    UplinkLink,
)
from qinet.scenario.space_checks import space_problems

MAX_FILE_BYTES = 16 * 2**20  # 16 MiB: a network of 100,000 links fits several times
MAX_NODES = 2_000_000  # values after YAML aliases are expanded (alias bombs)
_DISCRIMINATORS = ("kind", "scheme", "protocol")  # most specific last


class _NoRepeatedKeys(yaml.constructor.SafeConstructor):
    """The safe constructor, refusing a key repeated in one mapping (YAML merge keys,
    ``<<: *base``, may still be overridden)."""

    def construct_mapping(self, node: yaml.MappingNode,
                          deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        merge_line: int | None = None
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                # `<<: *base` may be overridden by design, but it may appear once: PyYAML
                # versions differ on which of two merge keys wins
                line = key_node.start_mark.line + 1
                if merge_line is not None:
                    raise ConfigError("", _second_merge(line, merge_line))
                merge_line = line
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: the base constructor reports it
            line = key_node.start_mark.line + 1
            if first is not None:
                raise ConfigError("", f"duplicate key {key!r} at line {line} (first at "
                                      f"line {first}); a key may appear once in a mapping")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _second_merge(line: int, first: int) -> str:
    return (f"duplicate key '<<' at line {line} (first at line {first}); a mapping takes "
            f"one merge key: merge several mappings with a list, `<<: [*a, *b]`")


class StrictSafeLoader(_NoRepeatedKeys, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader that refuses repeated keys."""


YAML_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = StrictSafeLoader
if getattr(yaml, "__with_libyaml__", False):
    class StrictCSafeLoader(_NoRepeatedKeys, yaml.CSafeLoader):
        """libyaml's safe loader (about ten times faster) that refuses repeated keys."""

    YAML_LOADER = StrictCSafeLoader


def load_scenario(source: str | Path | Mapping[str, Any], **overrides: Any) -> Scenario:
    """A validated scenario from a YAML file, a YAML string or a dict.

    Args:
        source: a path to a ``.yaml`` file, YAML text, or an already parsed mapping.
        **overrides: top-level fields to replace (``seed=3``, ``duration="2 s"``).

    Raises:
        ConfigError: the file is missing, unreadable, not UTF-8, too large or not
            valid YAML, or fields are invalid: one problem as a :class:`ConfigError`
            naming its field (``links[1].length: must be positive, got -3``), several
            as a :class:`~qinet.errors.ConfigErrors` listing them all.

    Examples:
        >>> s = load_scenario('''
        ... nodes: [{name: a}, {name: b}]
        ... links: [{between: [a, b], length: 20 km, scheme: double-click}]
        ... ''')
        >>> s.links[0].length, s.duration
        (20.0, 1.0)
    """
    return read_scenario(source, **overrides).scenario


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    """A validated scenario and the notes on what was chosen for the user.

    Attributes:
        scenario: the scenario, every choice filled in.
        notes: one line per choice made where the file left a field out and the
            default depends on the rest of the file (``links[0] a-b: no scheme given;
            using qkd ...``).
    """

    scenario: Scenario
    notes: tuple[str, ...] = ()


def read_scenario(source: str | Path | Mapping[str, Any], **overrides: Any) -> LoadedScenario:
    """Like :func:`load_scenario`, with the notes on the schemes implied for links.

    Raises:
        ConfigError: as :func:`load_scenario`; a link without a ``scheme`` whose
            demands and nodes do not imply one names the schemes it could have.

    Examples:
        >>> loaded = read_scenario('''
        ... nodes: [{name: a}, {name: b}]
        ... links: [{between: [a, b], length: 20 km}]
        ... demands: [{kind: qkd, protocol: bb84-decoy, between: [a, b]}]
        ... ''')
        >>> loaded.scenario.links[0].scheme
        'qkd'
        >>> print(loaded.notes[0])
        links[0] a-b: no scheme given; using qkd: demands[0] (qkd, bb84-decoy) sends pulses over it
    """
    with _collection_paused():
        data = _read(source)
        _read_qasm_files(data, source)
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
        data, notes = imply_schemes(data)
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            # names that refer to no node are reported with the schema's problems, so
            # that one pass over the file shows both
            problems = _problems(exc)
            seen = {p.field for p in problems}
            problems += [p for p in _unknown_nodes(data) if p.field not in seen]
            _raise(sorted(problems, key=partial(_file_order, list(data))))
        check_references(scenario)
    return LoadedScenario(scenario, tuple(notes))


def _read_qasm_files(data: dict[str, Any], source: str | Path | Mapping[str, Any]) -> None:
    """Put the text of each ``app: circuit`` demand's ``.qasm`` file in its ``qasm``, the
    path read relative to the scenario file (to the working directory otherwise)."""
    demands = data.get("demands")
    if not isinstance(demands, list):
        return
    demands = data["demands"] = list(demands)  # the caller's list stays as it was
    is_file = isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                           and source.endswith((".yaml", ".yml")))
    base = Path(source).parent if is_file and not isinstance(source, Mapping) else Path()
    for i, demand in enumerate(demands):
        if not (isinstance(demand, dict) and demand.get("app") == "circuit"):
            continue
        qasm = demand.get("qasm")
        if isinstance(qasm, str) and "\n" not in qasm and qasm.strip().endswith(".qasm"):
            path = base / qasm.strip()
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"demands[{i}].qasm", f"cannot read {str(path)!r}: "
                                                       f"{exc}") from None
            demands[i] = {**demand, "qasm": text}


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a scenario is read.

    Reading a large network makes millions of values (dicts, lists, models), none in a
    cycle; the collector would rescan them all again and again as they pile up, which
    costs about a third of the reading. Reference counting still frees everything, and
    the collector is resumed (if it was running) as soon as the scenario is made.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _raise(problems: list[ConfigError]) -> typing.NoReturn:
    unique = list({(p.field, p.reason): p for p in problems}.values())
    raise (unique[0] if len(unique) == 1 else ConfigErrors(unique)) from None


# ---------------------------------------------------------------- implied schemes

DEFAULT_HERALDED_SCHEME = "double-click"  # what the presets use between memories
SCHEMES = ("single-click", "double-click", "midpoint-source", "qkd")


def imply_schemes(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``data`` with a ``scheme`` for every link that has none, and a note per choice.

    A link's demands decide: prepare-and-measure QKD (``bb84``, ``bb84-decoy``, ``mdi``,
    ``tf``) or relayed keys between its two ends need ``qkd``; entanglement (pairs, or
    ``bbm92`` / ``e91`` keys) needs a heralded scheme between the end nodes' memories,
    :data:`DEFAULT_HERALDED_SCHEME`. A link no demand names directly takes the family
    of the file's demands: ``qkd`` when only keys are asked for and each end is trusted
    or an end of a key demand, the heralded scheme when only entanglement is, and the
    heralded scheme in a file without demands (every node holds memories) unless an end
    is a trusted node. Links that are not mappings, or whose ends are malformed, are
    left to the schema's messages.

    Raises:
        ConfigError: the demands ask for both families over one link, or neither family
            fits it; the message lists the schemes possible.
    """
    links, nodes = data.get("links"), data.get("nodes")
    demands: list[Any] = data["demands"] if isinstance(data.get("demands"), list) else []
    if not isinstance(links, list) or not any(
            isinstance(link, dict) and "scheme" not in link for link in links):
        return data, []
    trusted = {n.get("name") for n in nodes if isinstance(n, dict) and n.get("trusted") is True
               } if isinstance(nodes, list) else set()
    families: list[tuple[int, str, frozenset[Any]]] = []  # (index, family, ends)
    for i, demand in enumerate(demands):
        if isinstance(demand, dict) and demand.get("kind") == "app":
            # applications on a centre's pairs or a circuit's nodes name no `between`
            families += [(i, "entanglement", ends) for ends in _app_ends(demand)]
        if not isinstance(demand, dict) or not _pair(demand.get("between")):
            continue
        family = _family(demand)
        if family is not None:
            families.append((i, family, frozenset(demand["between"])))
    key_ends = {end for _, family, ends in families if family == "qkd" for end in ends}
    present = {family for _, family, _ in families}
    new_links, notes, problems = [], [], []
    for index, link in enumerate(links):
        if not isinstance(link, dict) or "scheme" in link or not _pair(link.get("between")):
            new_links.append(link)
            continue
        ends = frozenset(link["between"])
        name = "-".join(link["between"])
        direct = [(i, f) for i, f, e in families if e == ends]
        direct_families = {f for _, f in direct}
        if len(direct_families) == 2:
            problems.append(ConfigError(
                f"links[{index}].scheme", f"not given, and demands between {name} ask for "
                f"both qkd and entanglement; give one link `scheme: qkd` and another a "
                f"heralded scheme ({', '.join(SCHEMES[:3])})"))
            new_links.append(link)
            continue
        if direct:
            i, family = direct[0]
            scheme = "qkd" if family == "qkd" else DEFAULT_HERALDED_SCHEME
            why = _reason(demands[i], i)
        else:
            relay = "qkd" in present and ends <= (trusted | key_ends)
            if relay and "entanglement" not in present:
                scheme, why = "qkd", ("the file asks only for keys, and its ends are trusted "
                                      "nodes or ends of key demands")
            elif not relay and "entanglement" in present:
                scheme, why = DEFAULT_HERALDED_SCHEME, ("the file asks for entanglement, and "
                                                         "both ends hold memories")
            elif not present and not ends & trusted:
                scheme, why = DEFAULT_HERALDED_SCHEME, ("both ends hold memories, and no "
                                                         "demand asks for keys")
            elif not present:
                scheme, why = "qkd", "an end is a trusted node, and no demand asks for pairs"
            else:
                problems.append(ConfigError(
                    f"links[{index}].scheme", f"not given, and nothing implies one for "
                    f"{name}: no demand is between its ends, and the file asks for both "
                    f"keys and entanglement; use one of {', '.join(SCHEMES)}"))
                new_links.append(link)
                continue
        new_links.append({**link, "scheme": scheme})
        notes.append(f"links[{index}] {name}: no scheme given; using {scheme}: {why}")
    if problems:
        _raise(problems)
    return {**data, "links": new_links}, notes


def _app_ends(demand: dict[str, Any]) -> list[frozenset[Any]]:
    """The node pairs an application without ``between`` may ask pairs of: its centre
    with each participant, or any two nodes of a circuit's qubits."""
    centre, participants, qubits = (demand.get(k) for k in ("centre", "participants",
                                                            "qubits"))
    if isinstance(centre, str) and isinstance(participants, list):
        return [frozenset((centre, p)) for p in participants
                if isinstance(p, str) and p != centre]
    if isinstance(qubits, dict):
        nodes = sorted({n for n in qubits.values() if isinstance(n, str)})
        return [frozenset((a, b)) for j, a in enumerate(nodes) for b in nodes[j + 1:]]
    return []


def _pair(between: object) -> bool:
    return (isinstance(between, list | tuple) and len(between) == 2
            and all(isinstance(end, str) for end in between) and between[0] != between[1])


def _family(demand: dict[str, Any]) -> str | None:
    """``qkd`` (a qkd link), ``entanglement`` (a heralded link), or None if unknown."""
    kind = demand.get("kind")
    if kind == "key":
        return "qkd"
    if kind in ("entanglement", "app"):  # applications run over delivered pairs
        return "entanglement"
    if kind == "qkd":
        protocol = demand.get("protocol", DEFAULT_QKD_PROTOCOL)
        if protocol in PREPARE_MEASURE_PROTOCOLS:
            return "qkd"
        if protocol in ENTANGLEMENT_PROTOCOLS:
            return "entanglement"
    return None


def _reason(demand: dict[str, Any], index: int) -> str:
    kind = demand.get("kind")
    if kind == "key":
        return f"demands[{index}] (key) relays keys over it"
    if kind == "entanglement":
        return f"demands[{index}] (entanglement) needs pairs over it, and both ends hold memories"
    if kind == "app":
        return (f"demands[{index}] (app, {demand.get('app')}) runs over pairs over it, and "
                f"both ends hold memories")
    protocol = demand.get("protocol", DEFAULT_QKD_PROTOCOL)
    if protocol in PREPARE_MEASURE_PROTOCOLS:
        return f"demands[{index}] (qkd, {protocol}) sends pulses over it"
    return (f"demands[{index}] (qkd, {protocol}) distils keys from pairs over it, and both "
            f"ends hold memories")


# ---------------------------------------------------------------- reading


def _read(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source
                                    and source.endswith((".yaml", ".yml"))):
        text = _read_file(Path(source))
    else:
        text = str(source)
        if len(text) > MAX_FILE_BYTES:
            raise ConfigError("", f"the scenario text is {len(text):,} characters; the "
                                  f"limit is {MAX_FILE_BYTES:,}")
    data = _parse(text)
    if not isinstance(data, dict):
        raise ConfigError("", f"a scenario must be a mapping of fields, got {type(data).__name__}")
    for key in data:
        if not isinstance(key, str):
            raise ConfigError(str(key), f"field names are text, got {key!r}")
    return data


def _read_file(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ConfigError("", f"scenario file {str(path)!r} is {size / 2**20:.1f} MiB; "
                                  f"the limit is {MAX_FILE_BYTES // 2**20} MiB")
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError("", f"cannot read scenario file {str(path)!r}: "
                              f"{exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:  # grew while we looked
        raise ConfigError("", f"scenario file {str(path)!r} is larger than the limit of "
                              f"{MAX_FILE_BYTES // 2**20} MiB")
    return decode(raw, str(path))


def decode(raw: bytes, name: str = "the scenario") -> str:
    """Text of a scenario file: UTF-8, or UTF-8 / UTF-16 behind a byte-order mark.

    Raises:
        ConfigError: any other encoding, naming the first byte that is not UTF-8.

    Examples:
        >>> decode("name: café".encode("utf-16"))
        'name: café'
        >>> decode("name: café".encode("latin-1"), "net.yaml")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: net.yaml is not UTF-8 text: byte 0xe9 at line 1, column 10 ...
    """
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise ConfigError("", f"{name} starts with a {codec.upper()} byte-order mark "
                                      f"but byte {exc.start} cannot be read in it; "
                                      f"save the file as UTF-8") from None
    head = raw[:200]
    if head.count(b"\x00") > len(head) // 4:
        raise ConfigError("", f"{name} is not UTF-8 text: it looks like UTF-16 without a "
                              f"byte-order mark; save the file as UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError("", f"{name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at "
                              f"line {line}, column {column} cannot be read; "
                              f"save the file as UTF-8") from None


def _parse(text: str,
           loader_class: type[yaml.SafeLoader] | type[yaml.CSafeLoader] | None = None) -> Any:
    make = loader_class or YAML_LOADER
    try:
        loader = make(text)
        try:
            return _build(loader)
        except _Unusual:
            pass
        finally:
            loader.dispose()
        loader = make(text)
        try:
            return _compose_and_construct(loader, text)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError("", f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise ConfigError("", "not a usable scenario: the YAML nests too deeply") from None
    except ConfigError:
        raise
    except ValueError as exc:  # PyYAML's constructor on a date that does not exist
        raise ConfigError("", f"not valid YAML: {exc}") from None


def _compose_and_construct(loader: yaml.SafeLoader | yaml.CSafeLoader, text: str) -> Any:
    """PyYAML's own way, for what :func:`_build` leaves to it: node graph, then values."""
    node = loader.get_single_node()
    if node is None:
        return None
    if "&" in text:  # only an anchor lets aliases expand past what the file holds
        _check_size(node)
    return loader.construct_document(node)


class _Unusual(Exception):
    """A document :func:`_build` leaves to PyYAML's composer and constructor."""


_NO_KEY = object()  # a mapping waiting for its next key
_MERGE = object()  # a mapping waiting for the value of a merge key (`<<`)
_MISSING = object()
_RECURSIVE = ("an alias refers to a value that contains it; a scenario cannot be "
              "recursive, write it out plainly")
_EXPANDS = (f"the scenario expands to more than {MAX_NODES:,} values (through YAML "
            f"aliases); write it out plainly")


def _build(loader: yaml.SafeLoader | yaml.CSafeLoader) -> Any:
    """The document's values straight from the parser's events, refusing a repeated key.

    Composing PyYAML's node graph first costs more than the values themselves: a node
    and two marks per scalar, kept until the whole document is built. Here each event
    becomes its value at once, and each distinct plain scalar (``20 km``, ``10``,
    ``double-click``) is resolved and constructed once. The values are those of
    ``construct_document``: the same resolver and constructors, the same objects for
    aliases, merge keys applied alike. Whatever is unusual (explicit tags, keys that are
    not scalars, a merge of something other than mappings, undefined or repeated
    anchors, several documents, a scalar its constructor refuses) raises
    :class:`_Unusual`, and PyYAML's own path reads the file instead, with its values and
    messages.
    """
    if loader.yaml_path_resolvers or None in loader.yaml_implicit_resolvers:
        raise _Unusual  # tags that depend on where a scalar sits: the composer's job
    # a plain scalar whose first character starts no implicit type (`r12`, `double-click`)
    # is text, as the resolver would find; only the rest go through it
    typed_starts = frozenset(loader.yaml_implicit_resolvers)
    get: Callable[[], Any] = loader.get_event  # events, typed loosely by PyYAML's stubs
    get()  # the stream's start
    event = get()
    if type(event) is yaml.StreamEndEvent:
        return None
    plain: dict[str, Any] = {}  # a plain scalar's text -> its value
    anchors: dict[str, Any] = {}
    open_anchors: set[str] = set()  # anchored collections not yet closed
    containers: list[Any] = []  # the open lists and dicts, innermost last
    keys: list[Any] = []  # for each open dict, the key whose value comes next
    lines: list[dict[Any, int]] = []  # for each open dict, the line of each key
    merges: list[list[Any] | None] = []  # for each open dict, what its `<<` keys merge in
    closing: list[str | None] = []  # each open collection's anchor
    root: Any = _MISSING
    aliased = False
    scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    collection_end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    while True:
        event = get()
        kind = type(event)
        is_key = bool(containers) and type(containers[-1]) is dict and keys[-1] is _NO_KEY
        if kind is scalar:
            if event.tag is not None:
                raise _Unusual
            value = event.value
            if is_key and value == "<<" and event.implicit[0] and event.anchor is None:
                line = event.start_mark.line + 1
                first = lines[-1].get(_MERGE)
                if first is not None:
                    raise ConfigError("", _second_merge(line, first))
                lines[-1][_MERGE] = line
                keys[-1] = _MERGE  # a merge key: its value is merged in when the dict closes
                continue
            if event.implicit[0] and (not value or value[0] in typed_starts):
                text = value
                value = plain.get(text, _MISSING)
                if value is _MISSING:
                    value = _plain_scalar(loader, event)
                    if value == value:  # nan is not equal to itself, so never shared
                        plain[text] = value
            anchor = event.anchor
        elif kind is mapping_start or kind is sequence_start:
            if event.tag is not None or is_key:
                raise _Unusual
            value = {} if kind is mapping_start else []
            anchor = event.anchor
        elif kind in collection_end:
            closed = containers.pop()
            if type(event) is yaml.MappingEndEvent:
                keys.pop()
                lines.pop()
                sources = merges.pop()
                if sources is not None:
                    _merge(closed, sources)
            done = closing.pop()
            if done is not None:
                open_anchors.discard(done)
            continue
        elif kind is alias:
            if is_key or event.anchor not in anchors:
                raise _Unusual
            if event.anchor in open_anchors:
                raise ConfigError("", _RECURSIVE)
            value, anchor, aliased = anchors[event.anchor], None, True
        elif kind is yaml.DocumentEndEvent:
            break
        else:
            raise _Unusual
        if anchor is not None:
            if anchor in anchors:
                raise _Unusual  # PyYAML names both places
            anchors[anchor] = value
        if not containers:
            root = value
        else:
            parent = containers[-1]
            if type(parent) is list:
                parent.append(value)
            elif is_key:
                if value in parent:
                    line = event.start_mark.line + 1
                    raise ConfigError("", f"duplicate key {value!r} at line {line} (first at "
                                          f"line {lines[-1][value]}); a key may appear once "
                                          f"in a mapping")
                keys[-1] = value
                lines[-1][value] = event.start_mark.line + 1
            elif keys[-1] is _MERGE:
                sources = merges[-1]
                if sources is None:
                    sources = merges[-1] = []
                sources.append(value)
                keys[-1] = _NO_KEY
            else:
                parent[keys[-1]] = value
                keys[-1] = _NO_KEY
        if kind is mapping_start or kind is sequence_start:
            containers.append(value)
            closing.append(anchor)
            if anchor is not None:
                open_anchors.add(anchor)
            if kind is mapping_start:
                keys.append(_NO_KEY)
                lines.append({})
                merges.append(None)
    if type(get()) is not yaml.StreamEndEvent:
        raise _Unusual  # another document: PyYAML says where
    if aliased and _expanded_size(root) > MAX_NODES:
        raise ConfigError("", _EXPANDS)
    return root


def _merge(mapping: dict[Any, Any], sources: list[Any]) -> None:
    """Apply a mapping's merge keys (``<<: *base``, ``<<: [*a, *b]``) as PyYAML does: the
    merged keys come first, the mapping's own keys override them, and within a list of
    mappings the earlier ones override the later."""
    merged: dict[Any, Any] = {}
    for source in sources:
        if type(source) is dict:
            merged.update(source)
        elif type(source) is list and all(type(item) is dict for item in source):
            for item in reversed(source):
                merged.update(item)
        else:
            raise _Unusual  # PyYAML says what a merge key takes
    merged.update(mapping)
    mapping.clear()
    mapping.update(merged)


def _plain_scalar(loader: yaml.SafeLoader | yaml.CSafeLoader, event: Any) -> Any:
    """A plain scalar's value, as PyYAML's resolver and safe constructor give it."""
    resolve: Callable[[type[yaml.Node], str, tuple[bool, bool]], str] = loader.resolve
    tag = resolve(yaml.ScalarNode, event.value, (True, False))
    construct = loader.yaml_constructors.get(tag)
    if construct is None:
        raise _Unusual  # a merge key (`<<`), which only PyYAML's constructor applies
    try:
        return construct(loader, yaml.ScalarNode(tag, event.value, event.start_mark,
                                                 event.end_mark, event.style))
    except Exception:
        raise _Unusual from None


def _expanded_size(root: Any) -> int:
    """How many values ``root`` holds with every alias written out (keys count too)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        value, done = stack.pop()
        if id(value) in sizes:
            continue
        children: list[Any] = []
        if isinstance(value, list):
            children = value
        elif isinstance(value, dict):
            children = [c for pair in value.items() for c in pair]
        if done or not children:
            size = 1 + sum(sizes.get(id(c), 1) for c in children)
            if size > MAX_NODES:
                return size
            if children:
                sizes[id(value)] = size
            continue
        stack.append((value, True))
        stack.extend((c, False) for c in children if isinstance(c, list | dict))
    return sizes.get(id(root), 1)


def _check_size(root: yaml.Node) -> None:
    """Refuse documents whose aliases expand to more than MAX_NODES values, or that
    contain themselves."""
    sizes: dict[int, int] = {}
    expanding: set[int] = set()  # the nodes whose children are being sized
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if not done and id(node) in expanding:
            raise ConfigError("", _RECURSIVE)  # only a node's own descendants lie above it
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done or not children:
            expanding.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 0) for c in children)
            if sizes[id(node)] > MAX_NODES:
                raise ConfigError("", _EXPANDS)
            continue
        expanding.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


# ---------------------------------------------------------------- schema errors


def _problems(exc: ValidationError) -> list[ConfigError]:
    return [_problem(error) for error in exc.errors()]


def _problem(error: Any) -> ConfigError:
    where = _describe(error["loc"])
    path = where.path
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        return _unknown_field(str(error["loc"][-1]), value, where)
    if kind == "missing":
        return ConfigError(path, "required field is missing")
    if kind == "union_tag_invalid":
        tag = _tag_name(ctx)
        return ConfigError(f"{path}.{tag}" if path else tag,
                           f"unknown {tag} {ctx.get('tag')!r}; use one of "
                           f"{ctx.get('expected_tags', '')}")
    if kind == "union_tag_not_found":
        tag = _tag_name(ctx)
        return ConfigError(f"{path}.{tag}" if path else tag, "required field is missing")
    message = error["msg"].removeprefix("Value error, ")
    if kind.startswith(("int_", "float_", "bool_", "string_", "literal_", "tuple_", "list_",
                        "dict_", "too_", "greater_", "less_", "model_", "multiple_")):
        message = f"{message[0].lower()}{message[1:]}, got {_show(value)}"
    return ConfigError(path, message)


def _tag_name(ctx: Mapping[str, Any]) -> str:
    # a field's name quoted ("'kind'"), or a callable discriminator named after its field
    return str(ctx.get("discriminator", "kind")).strip("'").removesuffix("()")


def _unknown_field(name: str, value: object, where: _Where) -> ConfigError:
    """An unknown field: named as a field of the other variants that take it (a bbm92
    demand given ``misalignment``), else with a did-you-mean among the fields here."""
    parent = where.parent
    tag = _variant_tag(parent) if parent is not None else None
    owners = [m for m in where.family if name in m.model_fields and m is not parent]
    if tag is not None and owners:
        values = list(dict.fromkeys(str(_tag_value(m, tag[0])) for m in owners))
        noun = _NOUNS.get(where.path.split("[", 1)[0].split(".", 1)[0], "entry")
        article = "an" if str(tag[1])[:1] in "aeiou" else "a"
        return ConfigError(where.path, f"not a field of {article} {tag[1]} {noun} (a field of "
                                       f"{tag[0]} {', '.join(values)}), got {_show(value)}")
    fields = sorted(parent.model_fields) if parent is not None else []
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else (
        f"; fields here are {', '.join(fields)}" if fields else "")
    return ConfigError(where.path, f"unknown field, got {value!r}{hint}")


_NOUNS = {"demands": "demand", "links": "link", "hardware": "hardware type"}


def _variant_tag(model: type[BaseModel]) -> tuple[str, object] | None:
    """The most specific discriminator of ``model`` and its one value, if it has one."""
    for tag in reversed(_DISCRIMINATORS):
        value = _tag_value(model, tag)
        if value is not None:
            return tag, value
    return None


def _tag_value(model: type[BaseModel], tag: str) -> object:
    field = model.model_fields.get(tag)
    values = typing.get_args(field.annotation) if field is not None else ()
    return values[0] if len(values) == 1 else None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a schema error lies, as the user wrote it.

    Attributes:
        path: the user's path (``demands[0].misalignment``), discriminator branches left out.
        parent: the model whose field the last part names, if one.
        family: the models of the last discriminated union the path went through (the
            variants ``parent`` was chosen from), or none.
    """

    path: str
    parent: type[BaseModel] | None
    family: tuple[type[BaseModel], ...]


def _describe(loc: tuple[int | str, ...]) -> _Where:
    """The user's path to ``loc``, the model holding its last part and that model's
    variants."""
    path = ""
    annotation: Any = Scenario
    family: tuple[type[BaseModel], ...] = ()
    for part in loc:
        step = _step(annotation, part) if annotation is not None else None
        if step is not None and step[1]:
            family = tuple(t for t in _leaves(annotation) if _is_model(t))
        annotation = step[0] if step is not None else None
        if step is not None and step[1]:
            continue  # the discriminator's branch, not a field the user wrote
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    # the model holding the last part: the annotation one step before the end
    annotation = _walk(loc[:-1])
    models = [t for t in _leaves(annotation) if _is_model(t)] if annotation is not None else []
    return _Where(path, models[0] if len(models) == 1 else None, family)


def _walk(loc: tuple[int | str, ...]) -> Any:
    """The annotation reached through ``loc``, or None where it leaves the schema."""
    annotation: Any = Scenario
    for part in loc:
        step = _step(annotation, part)
        if step is None:
            return None
        annotation = step[0]
    return annotation


def _step(annotation: Any, part: int | str) -> tuple[Any, bool] | None:
    """The annotation reached from ``annotation`` through ``part``, and whether ``part``
    was a discriminator's tag rather than a field or an index (then the annotation is
    the list of the models that carry the tag)."""
    tagged = []
    for t in _leaves(annotation):
        origin = typing.get_origin(t)
        if _is_model(t) and isinstance(part, str):
            if part in t.model_fields:
                return t.model_fields[part].annotation, False
            if any(part in typing.get_args(t.model_fields[tag].annotation)
                   for tag in _DISCRIMINATORS if tag in t.model_fields):
                tagged.append(t)
        elif origin in (list, tuple) and isinstance(part, int):
            args = [a for a in typing.get_args(t) if a is not Ellipsis]
            return (args[0] if origin is list or len(args) == 1 else
                    args[part] if part < len(args) else None), False
        elif origin is dict and isinstance(part, str):
            return typing.get_args(t)[1], False
    return (tagged, True) if tagged else None


def _leaves(annotation: Any) -> list[Any]:
    """The concrete types behind Annotated, unions and lists of them (None left out)."""
    if isinstance(annotation, list):
        return [leaf for arg in annotation for leaf in _leaves(arg)]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _leaves(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [leaf for arg in typing.get_args(annotation) for leaf in _leaves(arg)]
    return [] if annotation is type(None) else [annotation]


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


# ---------------------------------------------------------------- cross-references


def check_references(scenario: Scenario) -> None:
    """Check names across the file: nodes, hardware kinds, demands on linked nodes.

    The connectivity of the network is computed once, whatever the number of demands.

    Raises:
        ConfigError: every field that refers to something missing, all at once.
    """
    problems: list[ConfigError] = []
    names = [n.name for n in scenario.nodes]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            problems.append(ConfigError(f"nodes[{i}].name", f"duplicate node name {name!r}"))
        seen.add(name)
    hardware = scenario.hardware
    for i, node in enumerate(scenario.nodes):
        _check_hardware(problems, hardware, node.memory, "memory", f"nodes[{i}].memory")
    saes: dict[str, str] = {}
    for i, node in enumerate(scenario.nodes):
        for j, sae in enumerate(node.saes):
            if sae in saes:
                problems.append(ConfigError(f"nodes[{i}].saes[{j}]",
                                            f"SAE {sae!r} is already served by {saes[sae]}"))
            saes.setdefault(sae, node.name)
    unique = list(dict.fromkeys(names))
    known = ", ".join(unique) if len(unique) <= 20 else f"{', '.join(unique[:20])}, ..."
    pairs: set[frozenset[str]] = set()  # entanglement links
    qkd_pairs: set[frozenset[str]] = set()  # prepare-and-measure QKD links
    for i, link in enumerate(scenario.links):
        ends_known = True
        for j, end in enumerate(link.between):
            if end not in seen:
                ends_known = False
                problems.append(ConfigError(f"links[{i}].between[{j}]",
                                            f"unknown node {end!r}; nodes are {known}"))
        if link.between[0] == link.between[1]:
            problems.append(ConfigError(f"links[{i}].between", f"a link needs two different "
                                                               f"nodes, got {list(link.between)}"))
        elif ends_known:
            key = frozenset(link.between)
            family = qkd_pairs if link.scheme in ("qkd", *SPACE_SCHEMES) else pairs
            if key in family:
                problems.append(ConfigError(f"links[{i}].between", f"a second link between "
                                            f"{link.between[0]} and {link.between[1]}"))
            family.add(key)
        if not isinstance(link, DownlinkLink | UplinkLink | DualDownlinkLink):  # no fibre
            _check_hardware(problems, hardware, link.fibre, "fibre", f"links[{i}].fibre")
        _check_hardware(problems, hardware, link.detector, "detector", f"links[{i}].detector",
                        also=("gated_apd",) if link.scheme == "qkd" else ())
        if link.scheme == "midpoint-source":
            _check_hardware(problems, hardware, link.source, "spdc", f"links[{i}].source")
    problems.extend(space_problems(scenario))
    trusted = {n.name for n in scenario.nodes if n.trusted}
    entangled = _components(pairs)  # node -> label of its component, computed once
    relays = _components({e for e in qkd_pairs if e <= trusted})
    qkd_neighbours: dict[str, set[str]] = {}
    for edge in qkd_pairs:
        a, b = tuple(edge)
        qkd_neighbours.setdefault(a, set()).add(b)
        qkd_neighbours.setdefault(b, set()).add(a)
    for i, demand in enumerate(scenario.demands):
        where = f"demands[{i}]"
        if isinstance(demand, MultiNodeAppDemand):  # names other nodes than `between`
            problems.extend(pair_app_node_problems(
                demand, where, seen, known,
                lambda a, b: entangled.get(a, a) == entangled.get(b, b)))
            continue
        missing = [j for j, end in enumerate(demand.between) if end not in seen]
        for j in missing:
            problems.append(ConfigError(f"{where}.between[{j}]", f"unknown node "
                                        f"{demand.between[j]!r}; nodes are {known}"))
        a, b = demand.between
        if a == b:
            problems.append(ConfigError(f"{where}.between", f"a demand needs two different "
                                                            f"nodes, got {list(demand.between)}"))
            continue
        if missing:
            continue
        if demand.kind == "key":
            if not _relayed(a, b, qkd_pairs, qkd_neighbours, trusted, relays):
                problems.append(ConfigError(f"{where}.between", f"no chain of qkd links "
                                            f"through trusted nodes joins {a} and {b}"))
        elif isinstance(demand, PulseQkdDemand):
            if frozenset(demand.between) not in qkd_pairs:
                problems.append(ConfigError(f"{where}.between", f"protocol {demand.protocol} "
                                            f"needs a `scheme: qkd` link between {a} and {b}"))
            _check_hardware(problems, hardware, demand.detector, "detector",
                            f"{where}.detector", also=("gated_apd",))
            if not isinstance(demand, BB84Demand | SnsDemand | FourPhaseDemand):
                _check_intensities(problems, demand, where)
        elif entangled.get(a, a) != entangled.get(b, b):
            problems.append(ConfigError(f"{where}.between", f"no path of entanglement links "
                                                            f"joins {a} and {b}"))
    problems.extend(check_pair_sources(scenario))
    if problems:
        _raise(problems)


def _file_order(sections: list[str], problem: ConfigError) -> tuple[int, int]:
    """Where a problem's field sits: its section's place in the file, then its item's."""
    match = re.match(r"(\w+)(?:\[(\d+)\])?", problem.field)
    if match is None:
        return (len(sections), 0)
    root, index = match.groups()
    place = sections.index(root) if root in sections else len(sections)
    return (place, int(index) if index else -1)


def _unknown_nodes(data: Mapping[str, Any]) -> list[ConfigError]:
    """Ends of links and demands that name no node, read from the file's values before
    the schema accepts them (the full check is :func:`check_references`); nothing when
    the nodes themselves cannot be read."""
    nodes = data.get("nodes")
    if not isinstance(nodes, list) or not all(
            isinstance(n, Mapping) and isinstance(n.get("name"), str) for n in nodes):
        return []
    names = list(dict.fromkeys(n["name"] for n in nodes))
    known = ", ".join(names) if len(names) <= 20 else f"{', '.join(names[:20])}, ..."
    problems = []
    for section in ("links", "demands"):
        items = data.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            between = item.get("between") if isinstance(item, Mapping) else None
            for j, end in enumerate(between if isinstance(between, list) else []):
                if isinstance(end, str) and end not in names:
                    problems.append(ConfigError(f"{section}[{i}].between[{j}]",
                                                f"unknown node {end!r}; nodes are {known}"))
    return problems


def _relayed(a: str, b: str, qkd_pairs: set[frozenset[str]],
             neighbours: dict[str, set[str]], trusted: set[str],
             relays: dict[str, str]) -> bool:
    """Whether a chain of qkd links whose inner nodes are all trusted joins a and b.

    Either a and b share a link, or a trusted neighbour of each (a or b itself, when
    trusted) lies in the same component of the links among trusted nodes.
    """
    if frozenset((a, b)) in qkd_pairs:
        return True

    def reach(end: str) -> set[str]:
        near = {t for t in neighbours.get(end, ()) if t in trusted}
        if end in trusted:
            near.add(end)
        return {relays.get(t, t) for t in near}

    return bool(reach(a) & reach(b))


def _check_intensities(problems: list[ConfigError],
                       demand: DecoyBB84Demand | MdiDemand | TwinFieldDemand | OneDecoyBB84Demand,
                       where: str) -> None:
    mus, probs = demand.intensities, demand.intensity_probabilities
    if mus is not None and probs is not None and len(mus) != len(probs):
        problems.append(ConfigError(f"{where}.intensity_probabilities",
                                    f"{len(probs)} probabilities for {len(mus)} intensities"))
    if probs is not None and abs(sum(probs) - 1.0) > 1e-9:
        problems.append(ConfigError(f"{where}.intensity_probabilities",
                                    f"must sum to 1, got {sum(probs):g}"))


def _components(edges: set[frozenset[str]]) -> dict[str, str]:
    """Each node on ``edges`` mapped to one representative node of its component.

    Examples:
        >>> c = _components({frozenset("ab"), frozenset("bc"), frozenset("xy")})
        >>> c["a"] == c["c"] != c["x"] == c["y"]
        True
    """
    neighbours: dict[str, set[str]] = {}
    for edge in edges:
        a, b = tuple(edge)
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    label: dict[str, str] = {}
    for start in sorted(neighbours):
        if start in label:
            continue
        label[start] = start
        todo = [start]
        while todo:
            for nxt in neighbours[todo.pop()]:
                if nxt not in label:
                    label[nxt] = start
                    todo.append(nxt)
    return label


def _check_hardware(problems: list[ConfigError], hardware: Mapping[str, Any], name: str | None,
                    kind: str, field: str, *, also: tuple[str, ...] = ()) -> None:
    """``name`` must be hardware of ``kind`` (or of a kind in ``also``)."""
    if name is None:
        return
    kinds = (kind, *also)
    if name not in hardware:
        defined = [k for k, v in hardware.items() if v.kind in kinds]
        close = difflib.get_close_matches(name, defined, n=1, cutoff=0.6)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        problems.append(ConfigError(field, f"unknown {kind} {name!r}; defined: "
                                           f"{', '.join(defined) or 'none'}{hint}"))
    elif hardware[name].kind not in kinds:
        problems.append(ConfigError(field, f"{name!r} is a {hardware[name].kind}, not a "
                                           f"{' or '.join(kinds)}"))
