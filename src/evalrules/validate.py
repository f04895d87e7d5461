"""Check a loaded scheme document against the JSON Schema of the scheme language.

All errors are collected (jsonschema's iter_errors) and turned into diagnostics positioned at
the offending key or value. No `$ref` is ever fetched: the registry holds only the schema.
"""

from __future__ import annotations

import difflib
import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from . import diagnostics as dg
from .diagnostics import Diagnostic
from .yamlsource import Document

RESERVED_TOP_LEVEL: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def scheme_json_schema() -> dict[str, Any]:
    """The JSON Schema of scheme format version 1, as shipped in the package."""
    text = resources.files("evalrules").joinpath("schemas/scheme.schema.json").read_text("utf-8")
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


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, Decimal, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "nothing" if value is None else type(value).__name__


_EXPECTED = {"string": "text", "number": "a number", "integer": "a whole number",
             "boolean": "true or false", "array": "a list", "object": "a mapping",
             "null": "null"}


def _where(path: tuple[Any, ...]) -> str:
    if not path:
        return "the scheme"
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
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


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
                    f"`{key}` is reserved for periods, rankings, quotas and awards, which this "
                    f"release of evalrules does not evaluate yet",
                    doc.locate((*path, key), key=True), "remove it for now"))
                continue
            hint = _suggest(key, allowed) or f"allowed here: {', '.join(sorted(allowed))}"
            out.append(dg.make("unknown-property", f"unknown key `{key}` in {_where(path)}",
                               doc.locate((*path, key), key=True), hint))
        return out
    location = doc.locate(path)
    if validator == "required":
        missing = [name for name in error.validator_value if name not in instance]
        return [dg.make("missing-property", f"{_where(path)} lacks the required key `{name}`",
                        location, f"add `{name}:`") for name in missing]
    if validator == "const" and path == ("evalrules",):
        return [dg.make("wrong-format-version",
                        f"format version {instance!r} is not supported; this release reads 1",
                        location, "write `evalrules: 1` at the top")]
    if validator == "type":
        expected = error.validator_value
        expected_list = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_EXPECTED.get(str(t), str(t)) for t in expected_list)
        hint = "write the value as " + wanted
        if "string" in expected_list and isinstance(instance, (int, Decimal, bool)):
            hint = f"quote it: \"{doc_scalar_text(doc, path, instance)}\""
        return [dg.make("wrong-type",
                        f"{_where(path)} must be {wanted}, not {_type_name(instance)}",
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
                sub_types.add("one of its forms")
        # Errors inside the value (a non-empty relative path) come from the form that matched
        # its shape, whatever their kind: report those rather than "must be a mapping or ...".
        deeper = [e for e in error.context
                  if e.relative_path or e.validator not in ("type", "const")]
        if deeper:
            from jsonschema.exceptions import best_match

            return _translate(best_match(deeper), doc)
        wanted = " or ".join(sorted(sub_types)) or "another form"
        return [dg.make("wrong-type",
                        f"{_where(path)} must be {wanted}, not {_type_name(instance)}",
                        location, error.schema.get("description", "see docs/scheme-language.md"))]
    if validator == "enum":
        options = [str(v) for v in error.validator_value]
        hint = _suggest(str(instance), options) or f"one of: {', '.join(options)}"
        return [dg.make("invalid-value", f"{_where(path)} cannot be {instance!r}", location, hint)]
    if validator == "pattern":
        description = error.schema.get("description", "")
        return [dg.make("invalid-value",
                        f"{_where(path)} value {instance!r} is not in the expected form",
                        location, description or f"it must match {error.validator_value}")]
    messages = {
        "minItems": "needs at least {v} item(s)",
        "maxItems": "takes at most {v} item(s)",
        "minimum": "must be at least {v}",
        "maximum": "must be at most {v}",
        "exclusiveMinimum": "must be more than {v}",
        "minLength": "must not be empty",
        "maxLength": "is longer than {v} characters",
        "minProperties": "must not be empty",
        "const": "must be {v!r}",
    }
    text = messages.get(validator, error.message).format(v=error.validator_value)
    return [dg.make("invalid-value", f"{_where(path)} {text}", location,
                    error.schema.get("description", "see docs/scheme-language.md"))]


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
        return [dg.make("wrong-type", "a scheme must be a mapping of keys (evalrules, id, ...)",
                        doc.locate(()), "start the file with `evalrules: 1`")]
    if data.get("evalrules") != 1:
        location = doc.locate(("evalrules",)) if "evalrules" in data else doc.locate(())
        return [dg.make("wrong-format-version",
                        "the file does not declare `evalrules: 1`", location,
                        "write `evalrules: 1` on the first line of every scheme")]
    out: list[Diagnostic] = []
    for error in _validator().iter_errors(data):
        out.extend(_translate(error, doc))
    return out
