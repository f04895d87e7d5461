"""The facts checker's fast path: one function per scheme, generated from its fact declarations.

Most units of a large facts file are well formed. For those, the generated function builds
exactly the typed values the checker builds (the same types, the same order, the same
reasons), in straight-line code with no message text in sight. It never reports a problem: on
anything it does not accept outright — a wrong type, a value out of range, a missing required
fact, a fact named by its label, a duplicate id, a default that is itself wrong — it answers
None, and the checker examines the unit again, slowly, to describe every problem with its
place. tests/test_factcode.py holds both to the same results on generated and mutated units.

Identifiers are written into the code only as `repr()` literals and every other constant
(bounds, enum values, typed defaults) is passed in the function's namespace, so no scheme text
is ever run as code.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .model import Fact, Field, Scheme

# (raw unit, ids seen so far, period values or None, most list records) ->
# (id, category, values, name, reasons) or None
FastUnit = Callable[[Any, Mapping[str, Any], Mapping[str, Any] | None, int],
                    tuple[str, str, dict[str, Any], str, dict[str, str]] | None]

UNIT_KEYS = frozenset(("id", "name", "category", "facts"))
# Units of a scheme checked slowly before its function is generated (about a millisecond for a
# hundred facts): generating pays for itself on a file of many units, not on a single one.
FAST_AFTER = 20
_CACHE_SIZE = 8  # schemes whose function is kept; a service rarely holds more at once
_cache: OrderedDict[int, list[Any]] = OrderedDict()  # id -> [scheme, function, units seen]
_lock = threading.Lock()


def unit_checker(scheme: Scheme, now: bool = False) -> FastUnit | None:
    """The function for `scheme`, generated once FAST_AFTER of its units have been asked for
    (by any checker: each unit may have its own), or `now`, and kept for the last few
    schemes."""
    key = id(scheme)
    with _lock:
        entry = _cache.get(key)
        if entry is None or entry[0] is not scheme:  # the scheme is held: its id stays its own
            entry = _cache[key] = [scheme, None, 0]
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        else:
            _cache.move_to_end(key)
        if entry[1] is not None:
            return entry[1]  # type: ignore[no-any-return]
        entry[2] += 1
        if entry[2] < FAST_AFTER and not now:
            return None
    function = _generate(scheme)
    with _lock:
        entry[1] = function
    return function


class _Source:
    """Lines of Python and the constants they name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: dict[str, Any] = {}

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def constant(self, value: Any) -> str:
        name = f"_c{len(self.constants)}"
        self.constants[name] = value
        return name


def _generate(scheme: Scheme) -> FastUnit:
    src = _Source()
    categories = src.constant(frozenset(c.id for c in scheme.categories))
    fact_ids = src.constant(frozenset(f.id for f in scheme.facts))
    src.line(0, "def fast_unit(raw, seen, period, list_limit):")
    body = [
        "if type(raw) is not dict:", "    return None",
        "for key in raw:", "    if key not in _UNIT_KEYS:", "        return None",
        "unit_id = raw.get('id')",
        "if type(unit_id) is not str:",
        "    if type(unit_id) is not int:", "        return None",
        "    unit_id = str(unit_id)",
        "if not unit_id or unit_id in seen:", "    return None",
        "category = raw.get('category')",
        f"if type(category) is not str or category not in {categories}:", "    return None",
        "facts = raw.get('facts', {})",
        "if type(facts) is not dict:", "    return None",
        "for key in facts:", f"    if key not in {fact_ids}:", "        return None",
        "values = {}", "reasons = {}", "get = facts.get",
    ]
    for text in body:
        src.line(1, text)
    for fact in scheme.facts:
        _fact(src, scheme, fact)
    src.line(1, "return unit_id, category, values, str(raw.get('name') or ''), reasons")
    namespace: dict[str, Any] = {"_UNIT_KEYS": UNIT_KEYS, "_Decimal": Decimal,
                                 "_date": dt.date.fromisoformat, "_frozen": MappingProxyType,
                                 **src.constants}
    code = compile("\n".join(src.lines) + "\n", f"<evalrules facts {scheme.id}>", "exec")
    exec(code, namespace)  # generated above from declarations; ids only as repr() literals
    function: FastUnit = namespace["fast_unit"]
    return function


def _fact(src: _Source, scheme: Scheme, fact: Fact) -> None:
    key = repr(fact.id)
    src.line(1, f"v = get({key})")
    if fact.source == "period":
        # Filled from the period when there is one; a unit that also states it is compared
        # with the period by the checker.
        src.line(1, "if period is not None:")
        src.line(2, "if v is not None:")
        src.line(3, "return None")
        src.line(2, f"values[{key}] = period.get({key})")
        src.line(1, "elif v is None:")
    else:
        src.line(1, "if v is None:")
    _missing(src, scheme, fact)
    src.line(1, "else:")
    if fact.is_list:
        _list(src, scheme, fact, 2)
    elif fact.type == "discretionary":
        _discretionary(src, fact, 2)
    else:
        _value(src, fact, "v", 2)
    src.line(2, f"values[{key}] = v")


def _missing(src: _Source, scheme: Scheme, fact: Fact) -> None:
    """An absent (or null) fact: its default, nothing, or the checker's word."""
    if fact.has_default:
        typed = _typed_default(scheme, fact)
        if typed is _NO:
            src.line(2, "return None")
        else:
            src.line(2, f"values[{fact.id!r}] = {src.constant(typed)}")
    elif fact.required:
        src.line(2, "return None")
    else:
        src.line(2, "pass")


_NO = object()  # a default the fast path leaves to the checker


def _typed_default(scheme: Scheme, decl: Fact | Field) -> Any:
    """The typed value of a declared default, as the checker would type it, or _NO."""
    from .diagnostics import Location
    from .facts import _Checker
    from .limits import DEFAULT_LIMITS

    default = decl.default
    if isinstance(decl, Fact) and decl.is_list:
        # An empty default is (); records are typed against the run's list limit: the checker.
        return () if default in (None, []) else _NO
    checker = _Checker(scheme, lambda path, key=False: Location(), DEFAULT_LIMITS, fast=False)
    reasons: dict[str, str] = {}
    if isinstance(decl, Fact):
        value = checker.typed(decl, default, (), "", reasons)
    else:
        value = checker.value(decl, default, (), "")
    if checker.problems or reasons or value is None:
        return _NO
    return value


def _value(src: _Source, decl: Fact | Field, var: str, depth: int) -> None:
    """Check and type `var` in place; `return None` on anything the checker would refuse."""
    kind = decl.type
    if kind in ("integer", "number", "discretionary"):
        src.line(depth, f"if type({var}) is _Decimal:")
        src.line(depth + 1, f"if not {var}.is_finite():")
        src.line(depth + 2, "return None")
        if kind == "integer":
            src.line(depth + 1, f"if {var} != {var}.to_integral_value():")
            src.line(depth + 2, "return None")
        src.line(depth, f"elif type({var}) is int:")
        src.line(depth + 1, f"{var} = _Decimal({var})")
        src.line(depth, "else:")
        src.line(depth + 1, "return None")
        _refuse_outside(src, var, decl, depth)
    elif kind == "boolean":
        src.line(depth, f"if type({var}) is not bool:")
        src.line(depth + 1, "return None")
    elif kind == "enum":
        options = src.constant(frozenset(v for v, _label in decl.values))
        src.line(depth, f"if type({var}) is not str or {var} not in {options}:")
        src.line(depth + 1, "return None")
    elif kind == "text":
        src.line(depth, f"if type({var}) is not str:")
        src.line(depth + 1, "return None")
    elif kind == "date":
        src.line(depth, f"if type({var}) is not str:")
        src.line(depth + 1, "return None")
        src.line(depth, "try:")
        src.line(depth + 1, f"{var} = _date({var})")
        src.line(depth, "except ValueError:")
        src.line(depth + 1, "return None")
    else:  # a type this path does not know: always the checker
        src.line(depth, "return None")


def _refuse_outside(src: _Source, expression: str, decl: Fact | Field, depth: int) -> None:
    """`return None` when `expression` lies outside the declared [min, max]."""
    bounds = []
    if decl.min is not None:
        bounds.append(f"{expression} < {src.constant(decl.min)}")
    if decl.max is not None:
        bounds.append(f"{expression} > {src.constant(decl.max)}")
    if bounds:
        src.line(depth, f"if {' or '.join(bounds)}:")
        src.line(depth + 1, "return None")


def _discretionary(src: _Source, fact: Fact, depth: int) -> None:
    """A number, or {value, reason}; a value other than 0 needs a reason."""
    src.line(depth, "reason = ''")
    src.line(depth, "if type(v) is dict:")
    src.line(depth + 1, "for key in v:")
    src.line(depth + 2, "if key != 'value' and key != 'reason':")
    src.line(depth + 3, "return None")
    src.line(depth + 1, "given = v.get('reason')")
    src.line(depth + 1, "if isinstance(given, str):")
    src.line(depth + 2, "reason = given.strip()")
    src.line(depth + 1, "v = v.get('value')")
    _value(src, fact, "v", depth)
    src.line(depth, "if reason:")
    src.line(depth + 1, f"reasons[{fact.id!r}] = reason")
    src.line(depth, "elif v != 0:")
    src.line(depth + 1, "return None")


def _list(src: _Source, scheme: Scheme, fact: Fact, depth: int) -> None:
    """A list of records, each a mapping of the declared fields."""
    fields = src.constant(frozenset(f.id for f in fact.fields))
    src.line(depth, "if type(v) is not list or len(v) > list_limit:")
    src.line(depth + 1, "return None")
    _refuse_outside(src, "len(v)", fact, depth)
    src.line(depth, "records = []")
    src.line(depth, "for item in v:")
    inner = depth + 1
    src.line(inner, "if type(item) is not dict:")
    src.line(inner + 1, "return None")
    src.line(inner, "for key in item:")
    src.line(inner + 1, f"if key not in {fields}:")
    src.line(inner + 2, "return None")
    src.line(inner, "record = {}")
    for f in fact.fields:
        src.line(inner, f"x = item.get({f.id!r})")
        src.line(inner, "if x is None:")
        typed = _typed_default(scheme, f) if f.default is not None else _NO
        if typed is _NO:
            src.line(inner + 1, "return None")
        else:
            src.line(inner + 1, f"x = {src.constant(typed)}")
        src.line(inner, "else:")
        _value(src, f, "x", inner + 1)
        src.line(inner, f"record[{f.id!r}] = x")
    src.line(inner, "records.append(_frozen(record))")
    src.line(depth, "v = tuple(records)")
