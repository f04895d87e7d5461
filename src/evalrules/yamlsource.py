"""Load YAML strictly, keeping the source position of every key and value.

The document is built from PyYAML's event stream rather than its constructor, so that
duplicate keys, anchors, aliases, merge keys and tags are refused with their positions, depth
and size are checked before objects are built, and plain scalars follow one predictable rule
set (no YAML 1.1 booleans, no sexagesimal numbers, numbers as exact decimals).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from . import diagnostics as dg
from .diagnostics import Diagnostic, Location, Path
from .limits import DEFAULT_LIMITS, Limits

_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+(\.[0-9]*)?")
_OTHER_NUMBER = re.compile(r"[-+]?(0[xXoObB][0-9a-fA-F_]+|\.(inf|Inf|INF|nan|NaN|NAN)"
                           r"|[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?)")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data (dict, list, str, int, Decimal, bool, None) with a map of source positions."""

    data: Any
    file: str
    text: str
    positions: dict[Path, tuple[int, int]]
    key_positions: dict[Path, tuple[int, int]]

    def locate(self, path: Path, *, key: bool = False) -> Location:
        """The position of the value at `path` (or of its key), else of its nearest ancestor."""
        probe = tuple(path)
        if key and probe in self.key_positions:
            line, col = self.key_positions[probe]
            return Location(self.file, line, col, tuple(path))
        while True:
            if probe in self.positions:
                line, col = self.positions[probe]
                return Location(self.file, line, col, tuple(path))
            if not probe:
                return Location(self.file, 1, 1, tuple(path))
            probe = probe[:-1]


class _Frame:
    __slots__ = ("container", "key_lines", "path", "pending_key")

    def __init__(self, container: Any, path: Path) -> None:
        self.container = container
        self.path = path
        self.pending_key: Any = _NO_KEY
        self.key_lines: dict[str, tuple[int, int]] = {}


_NO_KEY = object()


def _mark(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def resolve_plain(value: str) -> tuple[Any, str | None]:
    """Type a plain (unquoted) scalar. Returns (value, problem) where problem explains a refusal."""
    if value in _NULLS:
        return None, None
    if value in _TRUE:
        return True, None
    if value in _FALSE:
        return False, None
    if _INT.fullmatch(value):
        return int(value), None
    if _DECIMAL.fullmatch(value):
        return Decimal(value), None
    if _LEADING_ZERO.fullmatch(value):
        return value, (f"`{value}` has a leading zero, which YAML readers take as octal or "
                       f"decimal; write it without the zero, or quote it (\"{value}\") if it is "
                       "an id")
    if _OTHER_NUMBER.fullmatch(value):
        return value, (f"`{value}` is a special number form (hex, octal, infinity, NaN or digits "
                       f"with underscores); write a plain decimal, or quote it as text")
    return value, None


def load_yaml(text: str, file: str = "<text>", limits: Limits = DEFAULT_LIMITS,
              *, max_bytes: int | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Parse `text`; return the document (None when unusable) and every problem found.

    `max_bytes` defaults to the scheme size limit; facts files pass their own.
    """
    problems: list[Diagnostic] = []
    max_bytes = limits.scheme_bytes if max_bytes is None else max_bytes
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        problems.append(dg.make("too-large", f"the file is larger than {max_bytes} bytes",
                                Location(file, 1, 1), "split it, or raise the size limit"))
        return None, problems
    positions: dict[Path, tuple[int, int]] = {}
    key_positions: dict[Path, tuple[int, int]] = {}
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    nodes = 0

    def loc(event: Any, path: Path) -> Location:
        line, col = _mark(event)
        return Location(file, line, col, path)

    def child_path(frame: _Frame) -> Path:
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container))
        return (*frame.path, frame.pending_key)

    def attach(value: Any, event: Any) -> Path | None:
        """Place a finished value into the current container; return its path."""
        nonlocal root
        if not stack:
            root = value
            positions[()] = _mark(event)
            return ()
        frame = stack[-1]
        if isinstance(frame.container, list):
            path = child_path(frame)
            frame.container.append(value)
            positions[path] = _mark(event)
            return path
        if frame.pending_key is _NO_KEY:
            # This value is a key.
            if isinstance(value, (dict, list)) or value is None:
                problems.append(dg.make("non-string-key", "a mapping key must be plain text",
                                        loc(event, frame.path), "write the key as a word"))
                frame.pending_key = f"\u0000bad key {nodes}"
                return None
            key = value if isinstance(value, str) else str(value)
            if not isinstance(value, str):
                key_text = event.value if isinstance(event, yaml.ScalarEvent) else key
                key = key_text
            if key == "<<" and isinstance(event, yaml.ScalarEvent) and event.style is None:
                problems.append(dg.make("alias-refused", "merge keys (<<) are not accepted",
                                        loc(event, frame.path),
                                        "write the merged keys out in full"))
            if key in frame.key_lines:
                first, first_column = frame.key_lines[key]
                line, _ = _mark(event)
                problems.append(dg.make(
                    "duplicate-key",
                    f"key `{key}` is given twice: first on line {first}, again on line {line}",
                    loc(event, (*frame.path, key)),
                    "keep one of them; YAML readers silently drop the earlier one",
                    related=(Location(file, first, first_column, (*frame.path, key)),)))
                key = f"{key}\u0000dup{nodes}"  # keep both for positions, flagged as an error
            frame.key_lines[key] = _mark(event)
            frame.pending_key = key
            key_positions[(*frame.path, key)] = _mark(event)
            return None
        path = child_path(frame)
        frame.container[frame.pending_key] = value
        positions[path] = _mark(event)
        frame.pending_key = _NO_KEY
        return path

    def refuse_decorations(event: Any, path: Path) -> None:
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            problems.append(dg.make("alias-refused", f"anchor `&{anchor}` is not accepted",
                                    loc(event, path), "write the value out where it is used"))
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", True)
        explicit = (not implicit[0] and not implicit[1]) if isinstance(implicit, tuple) \
            else not implicit
        if tag is not None and tag != "!" and explicit:
            problems.append(dg.make("tag-refused", f"tag `{tag}` is not accepted",
                                    loc(event, path), "remove the tag; quote text instead"))

    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    problems.append(dg.make("multiple-documents",
                                            "a second YAML document (---) is not accepted",
                                            loc(event, ()), "keep one document per file"))
                    break
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent,
                                  yaml.DocumentEndEvent)):
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()  # the end of a container is not another node
                continue
            nodes += 1
            if nodes > limits.yaml_nodes:
                problems.append(dg.make("too-large", f"more than {limits.yaml_nodes} YAML nodes",
                                        loc(event, ()), "split the file"))
                return None, problems
            here = child_path(stack[-1]) if stack else ()
            if isinstance(event, yaml.AliasEvent):
                problems.append(dg.make("alias-refused", f"alias `*{event.anchor}` is not accepted",
                                        loc(event, here), "write the value out where it is used"))
                attach(None, event)
                continue
            if isinstance(event, yaml.ScalarEvent):
                refuse_decorations(event, here)
                value: Any = event.value
                if event.style is None and not (event.tag is not None and not event.implicit[0]):
                    value, problem = resolve_plain(event.value)
                    if problem:
                        problems.append(dg.make("ambiguous-scalar", problem, loc(event, here),
                                                "quote text; write numbers plainly"))
                attach(value, event)
                continue
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                refuse_decorations(event, here)
                if len(stack) >= limits.yaml_depth:
                    problems.append(dg.make("too-large",
                                            f"nesting deeper than {limits.yaml_depth} levels",
                                            loc(event, here), "flatten the structure"))
                    return None, problems
                container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
                path = attach(container, event)
                if path is None:  # a container used as a key
                    path = (*stack[-1].path, f"\u0000bad key {nodes}")
                stack.append(_Frame(container, path))
                continue
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or "not well-formed YAML"
        if exc.context:
            what = f"{exc.context}: {what}"
        problems.append(dg.make("yaml-syntax", what, Location(file, line, col),
                                "check indentation, colons and quotes on this line"))
        return None, problems
    except yaml.YAMLError as exc:
        problems.append(dg.make("yaml-syntax", str(exc), Location(file, 1, 1),
                                "check that the file is YAML"))
        return None, problems
    except RecursionError:
        problems.append(dg.make("too-large", "nesting too deep to read", Location(file, 1, 1),
                                "flatten the structure"))
        return None, problems
    _drop_duplicates(root)
    return Document(root, file, text, positions, key_positions), problems


def _drop_duplicates(value: Any) -> None:
    """Remove the flagged second copies of duplicate keys (already reported)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in [k for k in item if "\u0000" in k]:  # reported duplicates, bad keys
                del item[key]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
