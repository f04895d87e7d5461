"""Check a loaded scheme document against the JSON Schema of the scheme language.

All errors are collected (jsonschema's iter_errors) and turned into diagnostics positioned at
the offending key or value. No `$ref` is ever fetched: the registry holds only the schema.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from numbers import Number
from typing import Any

from . import diagnostics as dg
from .diagnostics import Diagnostic
from .i18n import N_, _
from .yamlsource import Document

RESERVED_TOP_LEVEL: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def scheme_json_schema() -> dict[str, Any]:
    """The JSON Schema of scheme format version 1, as shipped in the package."""
    # Beside this module, read directly: importlib.resources (and the tempfile, shutil and
    # zipfile modules it imports) would add some 15 ms to every `evalrules check`.
    path = os.path.join(os.path.dirname(__file__), "schemas", "scheme.schema.json")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:  # installed in a zip file, say
        from importlib.resources import files

        text = files("evalrules").joinpath("schemas/scheme.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@lru_cache(maxsize=1)
def _validator() -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry

    # The shipped schema is checked against the metaschema by the test suite
    # (tests/test_validate.py), not on every run: check_schema takes most of a second.
    # An empty registry: a $ref to anything outside the schema fails instead of being fetched,
    # and the document being validated is data only: none of its text becomes a schema, a $ref
    # or a regular expression (the schema's patterns are fixed and linear).
    return Draft202012Validator(scheme_json_schema(), registry=Registry())


class _Unsupported(Exception):
    """The schema uses a keyword the fast check does not implement: always use jsonschema."""


_Check = Callable[[Any], bool]

# Keywords that assert nothing (annotations and containers read elsewhere).
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "examples",
                          "$comment"})


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is int or kind is Decimal or kind is float:  # the usual ones, before the ABC
        return True
    return isinstance(value, Number) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    # As jsonschema's Draft 2020-12 type checker: an int (not a bool), or a float such as 1.0.
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())


# The types whose test is isinstance() alone ("boolean": a bool is an int, never the reverse).
_CLASSES: dict[str, type] = {"object": dict, "array": list, "string": str, "boolean": bool}
_TYPES: dict[str, _Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _equal_to(expected: Any) -> _Check:
    """Equality as jsonschema's `equal` has it for a scalar: true is not 1, "1" is not 1."""
    if isinstance(expected, bool) or expected is None:
        return lambda v: v is expected
    if isinstance(expected, str):
        return lambda v: isinstance(v, str) and v == expected
    if isinstance(expected, (int, float)):
        return lambda v: not isinstance(v, (bool, str, list, dict)) and v == expected
    raise _Unsupported(f"const/enum value {expected!r}")


class _FastSchema:
    """A yes/no check of a document against the scheme's JSON Schema, compiled once from the
    schema into nested closures: no error objects, no paths, no reference registry.

    It implements the keywords the schema uses with jsonschema's Draft 2020-12 semantics and
    refuses (raises _Unsupported when built) any other, so it can only answer "valid" where
    jsonschema would (tests/test_validate.py checks the two agree on generated documents).
    Any doubt — a False, an exception — sends the document to jsonschema, which reports every
    error with its path as before.
    """

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.defs: dict[str, _Check] = {}
        self.pending: set[str] = set()  # definitions being compiled
        self.check = self.compile(root)
        for name in root.get("$defs", {}):
            self.ref(f"#/$defs/{name}")  # every definition compiles now: none is unsupported

    def ref(self, ref: str) -> _Check:
        if not ref.startswith("#/$defs/") or "/" in ref[len("#/$defs/"):]:
            raise _Unsupported(f"$ref {ref}")
        name = ref[len("#/$defs/"):]
        if name not in self.defs:
            target = self.root.get("$defs", {}).get(name)
            if target is None:
                raise _Unsupported(f"$ref {ref}")
            self.defs[name] = lambda v: False  # placeholder while compiling a recursive one
            self.pending.add(name)
            compiled = self.compile(target)
            self.pending.discard(name)
            self.defs[name] = compiled
        if name not in self.pending:
            return self.defs[name]
        defs = self.defs  # a definition that refers to itself: found when called
        return lambda v: defs[name](v)

    def compile(self, schema: Any) -> _Check:
        if schema is True:
            return lambda v: True
        if schema is False:
            return lambda v: False
        if not isinstance(schema, dict):
            raise _Unsupported(repr(schema))
        checks: list[_Check] = []
        for key, value in schema.items():
            if key in _ANNOTATIONS or key in ("properties", "additionalProperties"):
                continue
            checks.append(self.keyword(key, value, schema))
        if "properties" in schema or "additionalProperties" in schema:
            checks.append(self.properties(schema))
        return _every(checks)

    def keyword(self, key: str, value: Any, schema: dict[str, Any]) -> _Check:
        if key == "$ref":
            return self.ref(value)
        if key == "type":
            kinds = value if isinstance(value, list) else [value]
            if any(kind not in _TYPES for kind in kinds):
                raise _Unsupported(f"type {value!r}")
            if all(kind in _CLASSES for kind in kinds):  # one isinstance() call
                classes = tuple(_CLASSES[kind] for kind in kinds)
                return lambda v: isinstance(v, classes)
            tests = [_TYPES[kind] for kind in kinds]
            if len(tests) == 1:
                return tests[0]
            return lambda v: any(test(v) for test in tests)
        if key == "required":
            names = list(value)
            return lambda v: not isinstance(v, dict) or all(n in v for n in names)
        if key == "enum":
            options = [_equal_to(option) for option in value]
            return lambda v: any(option(v) for option in options)
        if key == "const":
            return _equal_to(value)
        if key in ("minimum", "maximum", "exclusiveMinimum"):
            return _bound(key, value)
        if key in ("minLength", "maxLength", "minItems", "maxItems", "minProperties"):
            return _size(key, value)
        if key == "pattern":
            search = re.compile(value).search
            return lambda v: not isinstance(v, str) or search(v) is not None
        if key == "items":
            if "prefixItems" in schema:
                raise _Unsupported("prefixItems")
            item = self.compile(value)

            def items(v: Any) -> bool:
                if isinstance(v, list):
                    for x in v:
                        if not item(x):
                            return False
                return True
            return items
        if key == "propertyNames":
            name = self.compile(value)
            return lambda v: not isinstance(v, dict) or all(name(k) for k in v)
        if key in ("anyOf", "allOf"):
            subs = [self.compile(sub) for sub in value]
            if key == "anyOf":
                return lambda v: any(sub(v) for sub in subs)
            return lambda v: all(sub(v) for sub in subs)
        if key == "unevaluatedProperties" and value is False:
            known = frozenset(self.evaluated(schema))
            return lambda v: not isinstance(v, dict) or all(k in known for k in v)
        raise _Unsupported(key)

    def properties(self, schema: dict[str, Any]) -> _Check:
        if "patternProperties" in schema:
            raise _Unsupported("patternProperties")
        props = {name: self.compile(sub) for name, sub in schema.get("properties", {}).items()}
        extra = schema.get("additionalProperties", True)
        rest = None if extra is True else self.compile(extra)

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, item in v.items():
                sub = props.get(key, rest)
                if sub is not None and not sub(item):
                    return False
            return True
        return check

    def evaluated(self, schema: dict[str, Any]) -> set[str]:
        """The property names that `unevaluatedProperties` counts as evaluated in a valid
        instance: those of `properties` here and in what `allOf` and `$ref` bring in. Any other
        applicator on the way is not followed: the fast check does not answer for it."""
        allowed = _ANNOTATIONS | {"type", "required", "properties", "allOf", "$ref",
                                  "unevaluatedProperties", "minProperties"}
        if any(key not in allowed for key in schema):
            raise _Unsupported("unevaluatedProperties with other applicators")
        names = set(schema.get("properties", {}))
        for sub in schema.get("allOf", []):
            names |= self.evaluated(sub)
        if "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/$defs/") or ref[len("#/$defs/"):] not in self.root["$defs"]:
                raise _Unsupported(f"$ref {ref}")
            names |= self.evaluated(self.root["$defs"][ref[len("#/$defs/"):]])
        return names


def _every(checks: list[_Check]) -> _Check:
    """One check made of several, tried in order (a loop: no generator per value)."""
    if len(checks) == 1:
        return checks[0]

    def every(v: Any) -> bool:
        for check in checks:  # noqa: SIM110 - a loop makes no generator per value
            if not check(v):
                return False
        return True
    return every


def _bound(key: str, limit: Any) -> _Check:
    # The comparisons jsonschema makes, on numbers only (a bool is not one).
    if key == "minimum":
        return lambda v: not _is_number(v) or not v < limit
    if key == "maximum":
        return lambda v: not _is_number(v) or not v > limit
    return lambda v: not _is_number(v) or not v <= limit


def _size(key: str, limit: int) -> _Check:
    kind = {"minLength": str, "maxLength": str, "minItems": list, "maxItems": list,
            "minProperties": dict}[key]
    if key.startswith("min"):
        return lambda v: not isinstance(v, kind) or not len(v) < limit
    return lambda v: not isinstance(v, kind) or not len(v) > limit


@lru_cache(maxsize=1)
def _fast_schema() -> _FastSchema | None:
    try:
        return _FastSchema(scheme_json_schema())
    except _Unsupported:  # a keyword added to the schema and not to the fast check
        return None


def fast_accepts(data: Any) -> bool:
    """True only when the document certainly satisfies the JSON Schema; False when it may not
    (then jsonschema decides, and lists every error)."""
    fast = _fast_schema()
    if fast is None:
        return False
    try:
        return fast.check(data)
    except Exception:  # e.g. a NaN compared: let jsonschema judge
        return False


def _type_name(value: Any) -> str:
    """What kind of value the author wrote, in the current language."""
    if isinstance(value, bool):
        return _("true/false")
    if isinstance(value, (int, Decimal, float)):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, dict):
        return _("a mapping")
    return _("nothing") if value is None else type(value).__name__


# JSON Schema types as the messages name them (translated where shown).
_EXPECTED = {"string": N_("text"), "number": N_("a number"), "integer": N_("a whole number"),
             "boolean": N_("true or false"), "array": N_("a list"), "object": N_("a mapping"),
             "null": "null"}


def _expected(kind: str) -> str:
    return _(_EXPECTED[kind]) if kind in _EXPECTED else kind


def _either(options: list[str]) -> str:
    """`a or b or c`, in the current language."""
    return _(" or ").join(options)


def _where(path: tuple[Any, ...]) -> str:
    if not path:
        return _("the scheme")
    parts: list[str] = []
    for p in path:
        parts.append(f"[{p}]" if isinstance(p, int) else (f".{p}" if parts else str(p)))
    return "`" + "".join(parts) + "`"


def _allowed_properties(schema: dict[str, Any], root: dict[str, Any]) -> list[str]:
    names: list[str] = list(schema.get("properties", {}))
    for sub in schema.get("allOf", []):
        ref = sub.get("$ref", "")
        if ref.startswith("#/$defs/"):
            names += _allowed_properties(root["$defs"][ref.split("/")[-1]], root)
    return names


def _suggest(word: str, options: list[str]) -> str:
    import difflib  # only for a scheme with a problem

    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return _("did you mean `{name}`?").format(name=close[0]) if close else ""


def _description(schema: dict[str, Any], fallback: str = "") -> str:
    """The schema's description of a value, in the current language (see _DESCRIPTIONS)."""
    text = schema.get("description", "")
    if isinstance(text, str) and text:
        return _(text)
    return fallback


def _translate(error: Any, doc: Document) -> list[Diagnostic]:
    path = tuple(error.absolute_path)
    instance = error.instance
    validator = error.validator
    root = scheme_json_schema()
    closed = validator in ("additionalProperties", "unevaluatedProperties")
    if closed and isinstance(instance, dict):
        allowed = _allowed_properties(error.schema, root)
        out = []
        for key in instance:
            if key in allowed:
                continue
            if path == () and key in RESERVED_TOP_LEVEL:
                out.append(dg.make(
                    "reserved-feature",
                    _("`{key}` is reserved for periods, rankings, quotas and awards, which this "
                      "release of evalrules does not evaluate yet").format(key=key),
                    doc.locate((*path, key), key=True), _("remove it for now")))
                continue
            hint = _suggest(key, allowed) or _("allowed here: {keys}").format(
                keys=", ".join(sorted(allowed)))
            out.append(dg.make("unknown-property",
                               _("unknown key `{key}` in {where}").format(key=key,
                                                                          where=_where(path)),
                               doc.locate((*path, key), key=True), hint))
        return out
    location = doc.locate(path)
    if validator == "required":
        missing = [name for name in error.validator_value if name not in instance]
        return [dg.make("missing-property",
                        _("{where} lacks the required key `{key}`").format(where=_where(path),
                                                                           key=name),
                        location, _("add `{key}:`").format(key=name)) for name in missing]
    if validator == "const" and path == ("evalrules",):
        return [dg.make("wrong-format-version",
                        _("format version {version} is not supported; this release reads "
                          "1").format(version=repr(instance)),
                        location, _("write `evalrules: 1` at the top"))]
    if validator == "type":
        expected = error.validator_value
        expected_list = expected if isinstance(expected, list) else [expected]
        wanted = _either([_expected(str(t)) for t in expected_list])
        hint = _("write the value as {wanted}").format(wanted=wanted)
        if "string" in expected_list and isinstance(instance, (int, Decimal, bool)):
            hint = _("quote it: \"{text}\"").format(text=doc_scalar_text(doc, path, instance))
        return [dg.make("wrong-type",
                        _("{where} must be {wanted}, not {actual}").format(
                            where=_where(path), wanted=wanted, actual=_type_name(instance)),
                        location, hint)]
    if validator in ("anyOf", "oneOf"):
        sub_types = set()
        for sub in error.validator_value:
            target = sub
            if "$ref" in sub:
                target = root["$defs"][sub["$ref"].split("/")[-1]]
            if "type" in target:
                sub_types.add(_EXPECTED.get(target["type"], target["type"]))
            elif "const" in target:
                sub_types.add(f"`{target['const']}`")
            elif "anyOf" in target:
                sub_types.add(N_("one of its forms"))
        # Errors inside the value (a non-empty relative path) come from the form that matched
        # its shape, whatever their kind: report those rather than "must be a mapping or ...".
        deeper = [e for e in error.context
                  if e.relative_path or e.validator not in ("type", "const")]
        if deeper:
            from jsonschema.exceptions import best_match

            return _translate(best_match(deeper), doc)
        # In the order of the English words, translated (a code span stays as it is).
        wanted = _either([_(t) for t in sorted(sub_types)]) or _("another form")
        return [dg.make("wrong-type",
                        _("{where} must be {wanted}, not {actual}").format(
                            where=_where(path), wanted=wanted, actual=_type_name(instance)),
                        location, _description(error.schema, _("see docs/scheme-language.md")))]
    if validator == "enum":
        options = [str(v) for v in error.validator_value]
        hint = _suggest(str(instance), options) or _("one of: {options}").format(
            options=", ".join(options))
        return [dg.make("invalid-value", _("{where} cannot be {value}").format(
            where=_where(path), value=repr(instance)), location, hint)]
    if validator == "pattern":
        return [dg.make("invalid-value",
                        _("{where} value {value} is not in the expected form").format(
                            where=_where(path), value=repr(instance)),
                        location, _description(error.schema) or _("it must match {pattern}").format(
                            pattern=error.validator_value))]
    template = _BOUNDS.get(validator)
    value = error.validator_value
    if validator == "const":
        value = repr(value)
    text = _(template).format(where=_where(path), v=value) if template else _(
        "{where} has a value the scheme language does not allow").format(where=_where(path))
    return [dg.make("invalid-value", text, location,
                    _description(error.schema, _("see docs/scheme-language.md")))]


# Messages for the other JSON Schema keywords the scheme schema uses; {v} is the keyword's value.
_BOUNDS = {
    "minItems": N_("{where} needs at least {v} item(s)"),
    "maxItems": N_("{where} takes at most {v} item(s)"),
    "minimum": N_("{where} must be at least {v}"),
    "maximum": N_("{where} must be at most {v}"),
    "exclusiveMinimum": N_("{where} must be more than {v}"),
    "minLength": N_("{where} must not be empty"),
    "maxLength": N_("{where} is longer than {v} characters"),
    "minProperties": N_("{where} must not be empty"),
    "const": N_("{where} must be {v}"),
}


def doc_scalar_text(doc: Document, path: tuple[Any, ...], value: Any) -> str:
    """The value as the author typed it (1.10 stays 1.10)."""
    position = doc.positions.get(path)
    if position is not None:
        line = doc.text.splitlines()[position[0] - 1]
        token = line[position[1] - 1:].split("#")[0].strip().rstrip(",}]").strip()
        if token:
            return token
    return str(value).lower() if isinstance(value, bool) else str(value)


def validate_document(doc: Document) -> list[Diagnostic]:
    """Every JSON Schema violation in the document, as positioned diagnostics."""
    data = doc.data
    if not isinstance(data, dict):
        return [dg.make("wrong-type",
                        _("a scheme must be a mapping of keys (evalrules, id, ...)"),
                        doc.locate(()), _("start the file with `evalrules: 1`"))]
    if data.get("evalrules") != 1:
        location = doc.locate(("evalrules",)) if "evalrules" in data else doc.locate(())
        return [dg.make("wrong-format-version",
                        _("the file does not declare `evalrules: 1`"), location,
                        _("write `evalrules: 1` on the first line of every scheme"))]
    if fast_accepts(data):  # the usual case, without importing jsonschema
        return []
    out: list[Diagnostic] = []
    for error in _validator().iter_errors(data):
        out.extend(_translate(error, doc))
    return out


# The descriptions in schemas/scheme.schema.json, which hints quote: marked here so that they
# are translated (tests/test_validate.py checks that the two lists agree).
_DESCRIPTIONS = (
    N_("A fact holding the unit's own score for this node (自评), shown beside the assessed "
       "points."),
    N_("A list fact (fields rule, found) in which a unit reports the items it rectified this "
       "period (销号)."),
    N_("A list fact with `source: history` (fields rule, found, due) that the results store "
       "fills with the unit's items still open after their deadline."),
    N_("A number of units, or a share such as \"30%\" (rounded down)."),
    N_("A number, or a formula giving one."),
    N_("A number, or a number per category id (`default` for the rest)."),
    N_("A part with no result for a unit: refuse (default), leave it out with a note, or count "
       "it as 0."),
    N_("A rating level id, quoted: \"5\", \"A\"."),
    N_("A required fact must be supplied; otherwise give a default."),
    N_("An English identifier: letters, digits and underscores, not starting with a digit."),
    N_("An evaluation scheme: categories of units, declared facts, an indicator tree, "
       "deductions, bonuses, vetoes, ratings and embedded tests."),
    N_("An expression in the evalrules formula language."),
    N_("Bands on a node's points: stars, grades, classes."),
    N_("Best level first."),
    N_("Categories the node applies to (default: all)."),
    N_("Categories the rule applies to (default: all)."),
    N_("Category of the unit (taken from the test it extends when omitted)."),
    N_("Condition under which the rule fires."),
    N_("Condition; when false the node is not applicable to the unit."),
    N_("Conditions that alone zero a node or limit a rating (否决项)."),
    N_("Count among all units (default) or per category."),
    N_("Criterion: full points when true, none when false (得N分，否则不得分)."),
    N_("Criterion: the points, a number or formula (`full` is this criterion's max)."),
    N_("Date from which the scheme applies (YYYY-MM-DD)."),
    N_("Decimal places kept (default 2)."),
    N_("Deductions whose firing opens an item for the unit."),
    N_("Department that owns the scheme."),
    N_("Derived: a rating whose levels are grouped into these levels (each level lists the "
       "source levels it `includes`), e.g. stars into a three-tier ladder."),
    N_("Derived: the higher of these ratings."),
    N_("Derived: the lower of these ratings (dual track)."),
    N_("Equal points: shared ranks 1, 1, 3 (default) or dense 1, 1, 2."),
    N_("Evaluated periods allowed after the one where the problem was found (1: rectify by the "
       "end of the next period)."),
    N_("Every input a unit supplies."),
    N_("Exactly the deductions, bonuses and vetoes that fire."),
    N_("Examples embedded in the scheme: facts in, expected points and ratings out."),
    N_("Extra condition for this level; when false the unit falls to the next level."),
    N_("Factor applied to this node's points in its parent (default 1)."),
    N_("Fields of each record of a list fact."),
    N_("Format version of the scheme language. Always 1."),
    N_("Free ids for grouping in reports, e.g. the star index a rule feeds."),
    N_("Full marks of the total, e.g. 100."),
    N_("Group: scale the applicable children up to the group's max."),
    N_("How results of shorter periods become longer ones (季评星, 年定级)."),
    N_("How the parts' points become one figure per node."),
    N_("How the root of the indicator tree (id: total) is shown."),
    N_("Interval of points with explicit edges: \"[90, 100]\", \"[80, 90)\", \"(-inf, 60)\". A "
       "level without range is reached only by a veto."),
    N_("Kind of period a facts file covers (default month)."),
    N_("Largest amount in all; `none` states explicitly that there is no cap (上不封顶)."),
    N_("Limits on how many units may hold a rating level (五星级不超过30%)."),
    N_("Lowest points (default 0); null: no floor."),
    N_("Maximum points; may differ per category."),
    N_("Name of an earlier test whose facts this test starts from; its own facts replace or add "
       "to them."),
    N_("Named intermediate values computed from facts, e.g. an attendance rate."),
    N_("Node the points come off or go on (default: total)."),
    N_("Node whose points are banded (default: total)."),
    N_("Node whose points order the units (default total)."),
    N_("Nodes compared in order before units count as tied."),
    N_("Number of occurrences (persons, times, items); points are multiplied by it."),
    N_("Numeric policy: every point is an exact decimal rounded to `places` with `rounding`."),
    N_("One of: {zero: NODE} (清零); {rating: R, at_most: LEVEL}; {rating: R, set: LEVEL}; "
       "{rating: R, block: [LEVEL...]}; {no_award: true}."),
    N_("Orders of units by a node's points, within a category or overall."),
    N_("Overlapping rules sharing this group: only the largest applies (就高原则)."),
    N_("Points per occurrence, or in all."),
    N_("Rank among all units (default) or within each category."),
    N_("Ratings banded again on the rolled-up points."),
    N_("Rounding mode (default half_up: 0.005 becomes 0.01)."),
    N_("Rules that add points to a node (加分项)."),
    N_("Rules that subtract points from a node (扣分项)."),
    N_("Shown in the explanation when the veto fires."),
    N_("Stable identifier of the scheme, e.g. star-branch-5521."),
    N_("The bonus may lift the node above its max (totals above 100)."),
    N_("The kind of period whose results it honours (default: the evaluated period)."),
    N_("The kinds of unit evaluated (e.g. the five branch categories)."),
    N_("The longer period the results are rolled up to."),
    N_("The period one evaluation covers (月评价: month)."),
    N_("The ranking that decides who keeps the level: the best ranked."),
    N_("The regulation article or rule the node comes from."),
    N_("The top N units of a ranking per period (月度先锋岗, 年度十佳)."),
    N_("Title shown in reports (Chinese)."),
    N_("Top N overall (default) or per category."),
    N_("Top-level indicators; their points add up to the total."),
    N_("Value used when the unit does not supply the fact."),
    N_("Version of this scheme, quoted: \"2024.1\"."),
    N_("What is rolled up: `evaluation` (the evaluated periods) or the id of another roll-up."),
    N_("With `from`: the levels of the source rating that map to this level."),
    N_("[low, high] bounds the computed points must lie in (扣1-3分)."),
    N_("any (default): a veto that fired in any part applies to the roll-up's ratings and award "
       "eligibility."),
    N_("band: the level whose range holds the points; ladder: a level needs its own and every "
       "lower level's conditions."),
    N_("discretionary: a bounded number that must come with a justification (酌情扣分)."),
    N_("online: 线上自动考核 (from the platform); offline: 线下质量验收 (by an assessor); "
       "history: filled from the results store (overdue rectification items); period: filled "
       "from the evaluated period (month_of_year, month_of_quarter, quarter_of_year, "
       "is_quarter_end, is_half_end, is_year_end)."),
    N_("weighted: one weight per part, in period order."),
    N_("整改回头看: deductions that open a rectification item, the periods allowed to rectify "
       "it, and the facts that carry overdue and rectified items."),
)
