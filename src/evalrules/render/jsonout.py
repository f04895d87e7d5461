"""JSON renderings with exact decimals: points are written as JSON numbers digit for digit.

The explanation format is versioned (`format`, `format_version`) and documented in
docs/explanation-format.md. NaN and infinities are refused (OutputError), never written; a number
whose exponent is beyond +-100 is written in exponent form (1E+400, still a JSON number), so that
no value can expand into megabytes of zeros.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..diagnostics import Diagnostic, Location
from ..errors import OutputError
from ..evaluate import Result
from ..explain import FORMAT, FORMAT_VERSION, ExplainedNode, Explanation
from ..i18n import _

RESULTS_FORMAT = "evalrules.results"
RESULTS_FORMAT_VERSION = 1


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON text in which every Decimal keeps its exact digits.

    Raises OutputError for NaN or an infinity: JSON has no such numbers, and Python's json module
    would write `NaN`, which other readers reject.
    """
    return _encode(value, indent, 0)


_PLAIN_EXPONENT = 100  # beyond this, 1E+400 rather than a 401-digit number


def _encode(value: Any, indent: int | None, level: int) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise OutputError(_("refusing to write a non-finite number ({value}) as JSON")
                              .format(value=value))
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        if abs(exponent) > _PLAIN_EXPONENT:
            return str(value).replace("e", "E")
        return format(value, "f")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise OutputError(_("refusing to write NaN or infinity as JSON"))
        return json.dumps(value)
    if value is None or isinstance(value, (bool, int, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (dt.date, dt.datetime)):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        items = [(json.dumps(str(k), ensure_ascii=False), v) for k, v in value.items()]
        if not items:
            return "{}"
        if indent is None:
            return "{" + ", ".join(f"{k}: {_encode(v, None, 0)}" for k, v in items) + "}"
        pad = " " * (indent * (level + 1))
        body = ",\n".join(f"{pad}{k}: {_encode(v, indent, level + 1)}" for k, v in items)
        return "{\n" + body + "\n" + " " * (indent * level) + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        if indent is None or all(not isinstance(v, (Mapping, list, tuple)) for v in value):
            return "[" + ", ".join(_encode(v, None, 0) for v in value) + "]"
        pad = " " * (indent * (level + 1))
        body = ",\n".join(pad + _encode(v, indent, level + 1) for v in value)
        return "[\n" + body + "\n" + " " * (indent * level) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def location(loc: Location) -> dict[str, Any]:
    return {"file": loc.file, "line": loc.line, "column": loc.column}


def diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {"code": d.code, "name": d.name, "severity": d.severity.value, "message": d.message,
            "hint": d.hint, **location(d.location),
            "path": [p for p in d.location.path if "\u0000" not in str(p)],
            "related": [location(r) for r in d.related]}


def diagnostics(items: Sequence[Diagnostic]) -> dict[str, Any]:
    return {"diagnostics": [diagnostic(d) for d in items],
            "errors": sum(1 for d in items if d.is_error),
            "warnings": sum(1 for d in items if not d.is_error)}


def _value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _value(v) for k, v in value.items()}
    return value


def _plainify(obj: Any) -> Any:
    """Dataclasses to dicts; locations to {file, line, column}; records to lists."""
    if isinstance(obj, Location):
        return location(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plainify(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _plainify(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plainify(v) for v in obj]
    return obj


def _node(n: ExplainedNode) -> dict[str, Any]:
    out = _plainify(dataclasses.replace(n, children=()))
    out["children"] = [_node(c) for c in n.children]
    return dict(out)


def explanation(e: Explanation) -> dict[str, Any]:
    """The explanation as plain data (format evalrules.explanation, version 1)."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "scheme": {"id": e.scheme_id, "title": e.scheme_title, "version": e.scheme_version,
                   "hash": e.scheme_hash, "file": e.scheme_file},
        "unit": {"id": e.unit, "name": e.name, "category": e.category,
                 "category_label": e.category_label, "facts_digest": e.facts_digest},
        "total": e.total,
        "scale": e.scale,
        "ratings": {r.id: r.level for r in e.ratings},
        "fired": list(e.fired),
        "award_eligible": e.award_eligible,
        "tree": _node(e.root),
        "rules": _plainify(e.rules),
        "vetoes": _plainify(e.vetoes),
        "rating_steps": _plainify(e.ratings),
        "derived": _plainify(e.derived),
    }


def result(r: Result) -> dict[str, Any]:
    return {"unit": r.unit, "name": r.name, "category": r.category, "total": r.total,
            "points": dict(r.points), "ratings": dict(r.ratings), "fired": list(r.fired),
            "award_eligible": r.award_eligible, "facts_digest": r.facts_digest}


def results(items: Sequence[Result], *, scheme_id: str, scheme_version: str, scheme_hash: str,
            facts_file: str = "", facts_hash: str = "", period: str = "",
            adjusted: Sequence[Any] | None = None) -> dict[str, Any]:
    """The results document; `adjusted` (the period's records after rankings and quotas)
    replaces each unit's ratings and adds its ranks and the quotas that applied."""
    rows = [result(r) for r in items]
    if adjusted is not None:
        for row, record in zip(rows, adjusted, strict=True):
            row["ratings"] = dict(record.ratings)
            row["ranks"] = dict(record.notes.get("ranks", {}))
            row["quotas"] = list(record.notes.get("quotas", []))
    return {"format": RESULTS_FORMAT, "format_version": RESULTS_FORMAT_VERSION,
            "scheme": {"id": scheme_id, "version": scheme_version, "hash": scheme_hash},
            "facts": {"file": facts_file, "hash": facts_hash, "period": period},
            "results": rows}
