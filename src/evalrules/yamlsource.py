"""Load YAML strictly, keeping the source position of every key and value.

The document is built from PyYAML's event stream rather than its constructor, so that
duplicate keys, anchors, aliases, merge keys and tags are refused with their positions, depth
and size are checked before objects are built, and plain scalars follow one predictable rule
set (no YAML 1.1 booleans, no sexagesimal numbers, numbers as exact decimals within the limits'
digits).

Events come from libyaml's parser when PyYAML has it (thirty times faster than the pure-Python
one, and never recursive), else from the pure-Python parser. Only events are used: PyYAML's
composer and constructor, which recurse and expand aliases, are never run. Characters YAML
forbids are found before parsing, and a syntax error is described in the pure-Python parser's
words (they say what was expected) whenever the file is small enough to parse twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from . import diagnostics as dg
from .diagnostics import Diagnostic, Location, Path
from .i18n import N_, _, translate_known
from .limits import DEFAULT_LIMITS, Limits, effective, number_problem

_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_DECIMAL = re.compile(r"[-+]?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+(\.[0-9]*)?")
_OTHER_NUMBER = re.compile(r"[-+]?(0[xXoObB][0-9a-fA-F_]+|\.(inf|Inf|INF|nan|NaN|NAN)"
                           r"|[0-9][0-9_]*_[0-9_]*(\.[0-9_]*)?)")
# Characters YAML does not allow in a stream (PyYAML's Reader.NON_PRINTABLE).
_NON_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD"
                            "\U00010000-\U0010ffff]")
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None) if yaml.__with_libyaml__ else None
# Up to this size a syntax error found by libyaml is described again by the pure parser.
_REPARSE_CHARS = 300_000
_NULLS = {"", "~", "null", "Null", "NULL"}
# Plain scalars that are not text (besides numbers): null, true and false.
_WORDS: dict[str, Any] = {**dict.fromkeys(("", "~", "null", "Null", "NULL")),
                          **dict.fromkeys(("true", "True", "TRUE"), True),
                          **dict.fromkeys(("false", "False", "FALSE"), False)}
# The first characters of anything resolve_plain may take for a number.
_NUMBER_START = frozenset("0123456789+-.")
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
    __slots__ = ("container", "is_list", "key_lines", "path", "pending_key")

    def __init__(self, container: Any, path: Path) -> None:
        self.container = container
        self.is_list = isinstance(container, list)
        self.path = path
        self.pending_key: Any = _NO_KEY
        self.key_lines: dict[str, tuple[int, int]] = {}


_NO_KEY = object()


def _mark(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def resolve_plain(value: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Any, str | None, str]:
    """Type a plain (unquoted) scalar: (value, problem, diagnostic name), where problem explains a
    refusal. Numbers beyond the limits' digits are refused (`number-too-large`)."""
    if value in _NULLS:
        return None, None, ""
    if value in _TRUE:
        return True, None, ""
    if value in _FALSE:
        return False, None, ""
    if _INT.fullmatch(value):
        digits = len(value.lstrip("+-"))
        if digits > limits.integer_digits:  # before int(): Python refuses over 4,300 digits
            return value, _("the number `{number}` has {digits} digits; numbers have at most "
                            "{most} before the decimal point").format(
                number=_short(value), digits=digits, most=limits.integer_digits), \
                "number-too-large"
        return int(value), None, ""
    if _DECIMAL.fullmatch(value):
        try:
            number = Decimal(value)
        except ArithmeticError:  # an exponent beyond what Decimal itself can hold
            return value, _("the number `{number}` has an exponent beyond any number "
                            "evalrules reads").format(number=_short(value)), "number-too-large"
        problem = number_problem(number, limits)
        if problem:
            return value, _("the number `{number}` {problem}").format(
                number=_short(value), problem=problem), "number-too-large"
        return number, None, ""
    if _LEADING_ZERO.fullmatch(value):
        return value, _("`{value}` has a leading zero, which YAML readers take as octal or "
                        "decimal; write it without the zero, or quote it (\"{value}\") if it is "
                        "an id").format(value=value), "ambiguous-scalar"
    if _OTHER_NUMBER.fullmatch(value):
        return value, _("`{value}` is a special number form (hex, octal, infinity, NaN or "
                        "digits with underscores); write a plain decimal, or quote it as "
                        "text").format(value=_short(value)), "ambiguous-scalar"
    return value, None, ""


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _is_plain(event: Any) -> bool:
    """A plain (unquoted) scalar: libyaml says style '', the pure parser None."""
    return not event.style


def _events(text: str, fast: bool) -> Any:
    if fast and _FAST_LOADER is not None:
        # libyaml's parser asked directly until it has no event left (None): the same events
        # as yaml.parse gives, without a Python generator step around each one.
        return iter(_FAST_LOADER(text).get_event, None)
    return yaml.parse(text, Loader=yaml.SafeLoader)


def _syntax_problem(exc: yaml.YAMLError, file: str) -> Diagnostic:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = _parser_words(exc.problem) if exc.problem else _("not well-formed YAML")
        if exc.context:
            what = _("{context}: {problem}").format(context=_parser_words(exc.context),
                                                    problem=what)
        return dg.make("yaml-syntax", what, Location(file, line, col),
                       _("check indentation, colons and quotes on this line"))
    return dg.make("yaml-syntax", _parser_words(str(exc)), Location(file, 1, 1),
                   _("check that the file is YAML"))


# What YAML parsers say (PyYAML's pure parser, then libyaml's), in the current language. Each
# English message is the parser's own text, so English output is what the parser wrote; the text
# a parser fills in (a token, a character) is kept as written. Other messages are shown as the
# parser wrote them. The patterns are compiled on the first syntax error
# (i18n.known_patterns): a well-formed file needs none of them.
_PARSER_WORDS: tuple[tuple[str, str], ...] = (
    (r"while parsing a block mapping", N_("while parsing a block mapping")),
    (r"while parsing a flow mapping", N_("while parsing a flow mapping")),
    (r"while parsing a block collection", N_("while parsing a block collection")),
    (r"while parsing a flow sequence", N_("while parsing a flow sequence")),
    (r"while parsing a node", N_("while parsing a node")),
    (r"while parsing a block node", N_("while parsing a block node")),
    (r"while parsing a flow node", N_("while parsing a flow node")),
    (r"while parsing a tag", N_("while parsing a tag")),
    (r"while scanning a simple key", N_("while scanning a simple key")),
    (r"while scanning a quoted scalar", N_("while scanning a quoted scalar")),
    (r"while scanning a double-quoted scalar", N_("while scanning a double-quoted scalar")),
    (r"while scanning a single-quoted scalar", N_("while scanning a single-quoted scalar")),
    (r"while scanning a block scalar", N_("while scanning a block scalar")),
    (r"while scanning an anchor", N_("while scanning an anchor")),
    (r"while scanning an alias", N_("while scanning an alias")),
    (r"while scanning a tag", N_("while scanning a tag")),
    (r"while scanning a directive", N_("while scanning a directive")),
    (r"while scanning for the next token", N_("while scanning for the next token")),
    (r"mapping values are not allowed here", N_("mapping values are not allowed here")),
    (r"mapping values are not allowed in this context",
     N_("mapping values are not allowed in this context")),
    (r"sequence entries are not allowed here", N_("sequence entries are not allowed here")),
    (r"mapping keys are not allowed here", N_("mapping keys are not allowed here")),
    (r"could not find expected ':'", N_("could not find expected ':'")),
    (r"did not find expected key", N_("did not find expected key")),
    (r"did not find expected '-' indicator", N_("did not find expected '-' indicator")),
    (r"did not find expected node content", N_("did not find expected node content")),
    (r"did not find expected (?P<first>'[^']*') or (?P<second>'[^']*')",
     N_("did not find expected {first} or {second}")),
    (r"expected <block end>, but found (?P<found>.+)",
     N_("expected <block end>, but found {found}")),
    (r"expected (?P<first>'[^']*') or (?P<second>'[^']*'), but got (?P<found>.+)",
     N_("expected {first} or {second}, but got {found}")),
    (r"expected the node content, but found (?P<found>.+)",
     N_("expected the node content, but found {found}")),
    (r"expected a comment or a line break, but found (?P<found>.+)",
     N_("expected a comment or a line break, but found {found}")),
    (r"expected alphabetic or numeric character, but found (?P<found>.+)",
     N_("expected alphabetic or numeric character, but found {found}")),
    (r"expected '<document start>', but found (?P<found>.+)",
     N_("expected '<document start>', but found {found}")),
    (r"found character (?P<found>.+) that cannot start any token",
     N_("found character {found} that cannot start any token")),
    (r"found character that cannot start any token",
     N_("found character that cannot start any token")),
    (r"found unexpected end of stream", N_("found unexpected end of stream")),
    (r"found unexpected document separator", N_("found unexpected document separator")),
    (r"found unknown escape character (?P<found>.+)",
     N_("found unknown escape character {found}")),
    (r"found unknown escape character", N_("found unknown escape character")),
    (r"found undefined tag handle (?P<found>.+)", N_("found undefined tag handle {found}")),
    (r"found a tab character that violates indentation",
     N_("found a tab character that violates indentation")),
    (r"found a tab character where an indentation space is expected",
     N_("found a tab character where an indentation space is expected")),
    (r"invalid indentation or unclosed '\[' or '\{'",
     N_("invalid indentation or unclosed '[' or '{'")),
)


def _parser_words(text: str) -> str:
    """A YAML parser's message in the current language, when it is one evalrules knows."""
    return translate_known(text, _PARSER_WORDS)


def _pure_syntax_problem(text: str, file: str) -> Diagnostic | None:
    """The pure parser's description of the first syntax error, or None if it finds none."""
    try:
        for _ in _events(text, fast=False):
            pass
    except yaml.YAMLError as exc:
        return _syntax_problem(exc, file)
    except RecursionError:  # pragma: no cover - the pure parser keeps its own stack
        return None
    return None


def _unprintable(text: str, file: str) -> Diagnostic | None:
    match = _NON_PRINTABLE.search(text)
    if match is None:
        return None
    start = match.start()
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return dg.make("yaml-syntax", _("unacceptable character #x{code}: special characters are "
                                    "not allowed").format(code=f"{ord(match.group()):04x}"),
                   Location(file, line, column),
                   _("remove the control character; save the file as UTF-8 text"))


def load_yaml(text: str, file: str = "<text>", limits: Limits = DEFAULT_LIMITS,
              *, max_bytes: int | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Parse `text`; return the document (None when unusable) and every problem found.

    A scheme by default. Facts files pass `max_bytes` (their size limit): the file is then read
    under the facts limits, `facts_bytes` and `facts_nodes`.
    """
    limits = effective(limits)
    problems: list[Diagnostic] = []
    if max_bytes is None:
        max_bytes, max_nodes = limits.scheme_bytes, limits.yaml_nodes
    else:
        max_bytes, max_nodes = min(max_bytes, limits.facts_bytes), limits.facts_nodes
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        problems.append(dg.make("too-large", _("the file is larger than {limit} bytes").format(
                                    limit=max_bytes),
                                Location(file, 1, 1), _("split it, or raise the size limit")))
        return None, problems
    unprintable = _unprintable(text, file)
    if unprintable is not None:
        return None, [unprintable]
    positions: dict[Path, tuple[int, int]] = {}
    key_positions: dict[Path, tuple[int, int]] = {}
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    nodes = 0
    flagged = False  # keys renamed for a duplicate or refused key, removed at the end

    def loc(event: Any, path: Path) -> Location:
        line, col = _mark(event)
        return Location(file, line, col, path)

    def child_path(frame: _Frame) -> Path:
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container))
        return (*frame.path, frame.pending_key)

    def attach(value: Any, event: Any) -> Path | None:
        """Place a finished value into the current container; return its path."""
        nonlocal root, flagged
        mark = event.start_mark
        if not stack:
            root = value
            positions[()] = (mark.line + 1, mark.column + 1)
            return ()
        frame = stack[-1]
        container = frame.container
        if frame.is_list:
            path = (*frame.path, len(container))
            container.append(value)
            positions[path] = (mark.line + 1, mark.column + 1)
            return path
        key = frame.pending_key
        if key is not _NO_KEY:
            path = (*frame.path, key)
            container[key] = value
            positions[path] = (mark.line + 1, mark.column + 1)
            frame.pending_key = _NO_KEY
            return path
        # This value is a key.
        if isinstance(value, (dict, list)) or value is None:
            problems.append(dg.make("non-string-key", _("a mapping key must be plain text"),
                                    loc(event, frame.path), _("write the key as a word")))
            frame.pending_key = f"\u0000bad key {nodes}"
            flagged = True
            return None
        key = value if isinstance(value, str) else event.value
        if key == "<<" and type(event) is yaml.ScalarEvent and _is_plain(event):
            problems.append(dg.make("alias-refused", _("merge keys (<<) are not accepted"),
                                    loc(event, frame.path),
                                    _("write the merged keys out in full")))
        where = (mark.line + 1, mark.column + 1)
        if key in frame.key_lines:
            first, first_column = frame.key_lines[key]
            problems.append(dg.make(
                "duplicate-key",
                _("key `{key}` is given twice: first on line {first}, again on line "
                  "{again}").format(key=_short(key), first=first, again=where[0]),
                loc(event, (*frame.path, key)),
                _("keep one of them; YAML readers silently drop the earlier one"),
                related=(Location(file, first, first_column, (*frame.path, key)),)))
            key = f"{key}\u0000dup{nodes}"  # keep both for positions, flagged as an error
            flagged = True
        frame.key_lines[key] = where
        frame.pending_key = key
        key_positions[(*frame.path, key)] = where
        return None

    def refuse_decorations(event: Any, path: Path) -> None:
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            problems.append(dg.make("alias-refused", _("anchor `&{anchor}` is not "
                                                       "accepted").format(anchor=_short(anchor)),
                                    loc(event, path), _("write the value out where it is used")))
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", True)
        explicit = (not implicit[0] and not implicit[1]) if isinstance(implicit, tuple) \
            else not implicit
        if tag is not None and tag != "!" and explicit:
            problems.append(dg.make("tag-refused",
                                    _("tag `{tag}` is not accepted").format(tag=_short(tag)),
                                    loc(event, path), _("remove the tag; quote text instead")))

    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    skipped = (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)
    text_chars, depth = limits.text_chars, limits.yaml_depth
    try:
        for event in _events(text, fast=True):
            kind = type(event)
            if kind is scalar_event:
                nodes += 1
                if nodes > max_nodes:
                    problems.append(dg.make("too-large", _("more than {limit} YAML nodes").format(
                        limit=max_nodes), loc(event, ()), _("split the file")))
                    return None, problems
                if event.anchor is not None or (event.tag is not None and event.tag != "!"
                                                and not event.implicit[0]
                                                and not event.implicit[1]):
                    refuse_decorations(event, child_path(stack[-1]) if stack else ())
                value: Any = event.value
                if len(value) > text_chars:
                    here = child_path(stack[-1]) if stack else ()
                    problems.append(dg.make("too-large", _("a value longer than {limit} "
                                                           "characters").format(limit=text_chars),
                                            loc(event, here),
                                            _("shorten it, or raise Limits.text_chars")))
                    return None, problems
                if not event.style and value and value[0] in _NUMBER_START \
                        and not (event.tag is not None and not event.implicit[0]):
                    value, problem, name = resolve_plain(value, limits)
                    is_key = bool(stack) and type(stack[-1].container) is dict \
                        and stack[-1].pending_key is _NO_KEY
                    if problem and not (is_key and name == "number-too-large"):
                        here = child_path(stack[-1]) if stack else ()
                        problems.append(dg.make(name, problem, loc(event, here),
                                                _("quote text; write numbers plainly") if
                                                name == "ambiguous-scalar" else
                                                _("write at most {integer} digits before the "
                                                  "decimal point and {fraction} after; quote it "
                                                  "if it is an id or a code").format(
                                                    integer=limits.integer_digits,
                                                    fraction=limits.fraction_digits)))
                elif not event.style and not (event.tag is not None and not event.implicit[0]):
                    value = _WORDS.get(value, value)
                attach(value, event)
                continue
            if kind in ends:
                stack.pop()  # the end of a container is not another node
                continue
            if kind is mapping_start or kind is sequence_start:
                nodes += 1
                here = child_path(stack[-1]) if stack else ()
                if nodes > max_nodes:
                    problems.append(dg.make("too-large", _("more than {limit} YAML nodes").format(
                        limit=max_nodes), loc(event, ()), _("split the file")))
                    return None, problems
                if event.anchor is not None or event.tag is not None:
                    refuse_decorations(event, here)
                if len(stack) >= depth:
                    problems.append(dg.make("too-large", _("nesting deeper than {limit} "
                                                           "levels").format(limit=depth),
                                            loc(event, here), _("flatten the structure")))
                    return None, problems
                container: Any = {} if kind is mapping_start else []
                path = attach(container, event)
                if path is None:  # a container used as a key
                    path = (*stack[-1].path, f"\u0000bad key {nodes}")
                stack.append(_Frame(container, path))
                continue
            if kind is alias_event:
                nodes += 1
                if nodes > max_nodes:
                    problems.append(dg.make("too-large", _("more than {limit} YAML nodes").format(
                        limit=max_nodes), loc(event, ()), _("split the file")))
                    return None, problems
                here = child_path(stack[-1]) if stack else ()
                problems.append(dg.make("alias-refused", _("alias `*{alias}` is not "
                                                           "accepted").format(
                    alias=_short(event.anchor)), loc(event, here),
                    _("write the value out where it is used")))
                attach(None, event)
                continue
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    problems.append(dg.make("multiple-documents",
                                            _("a second YAML document (---) is not accepted"),
                                            loc(event, ()), _("keep one document per file")))
                    break
                continue
            if kind in skipped:
                continue
    except yaml.YAMLError as exc:
        syntax = _syntax_problem(exc, file)
        if _FAST_LOADER is not None and len(text) <= _REPARSE_CHARS:
            syntax = _pure_syntax_problem(text, file) or syntax
        problems.append(syntax)
        return None, problems
    except RecursionError:  # pragma: no cover - neither parser recurses; kept as a guard
        problems.append(dg.make("too-large", _("nesting too deep to read"),
                                Location(file, 1, 1), _("flatten the structure")))
        return None, problems
    if flagged:
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
