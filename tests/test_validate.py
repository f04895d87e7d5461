"""Validation of scheme documents against the JSON Schema, as positioned diagnostics."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import ClassVar

import pytest
from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for
from referencing.exceptions import Unresolvable

from evalrules.diagnostics import Diagnostic
from evalrules.validate import _validator, fast_accepts, scheme_json_schema, validate_document
from evalrules.yamlsource import load_yaml

# These tests quote the English messages; tests/test_diagnostics_i18n.py shows both languages.
pytestmark = pytest.mark.lang("en_US")

ROOT = Path(__file__).resolve().parents[1]

MINIMAL = """\
evalrules: 1
id: minimal
title: 最小方案
version: "1"
scale: 100
categories:
  - {id: production, label: 生产类}
facts:
  - {id: meetings, label: 会议次数, type: integer, min: 0}
indicators:
  - id: basic
    label: 基础
    max: 100
    points: meetings * 10
"""


def check(text: str) -> list[Diagnostic]:
    doc, problems = load_yaml(text, "s.yaml")
    assert problems == [], problems
    assert doc is not None
    # The fast check (which spares importing jsonschema) agrees with jsonschema on every
    # document of this module.
    assert fast_accepts(doc.data) == _validator().is_valid(doc.data)
    return validate_document(doc)


def where(d: Diagnostic) -> tuple[int, int]:
    return d.location.line, d.location.column


def test_minimal_scheme_is_valid() -> None:
    """The minimal scheme of this module yields no diagnostics."""
    assert check(MINIMAL) == []


def test_full_featured_scheme_is_valid() -> None:
    """Every optional section written correctly validates cleanly."""
    text = MINIMAL + """\
effective: 2024-01-01
owner: 党建部
numeric: {places: 1, rounding: half_even}
total: {label: 总分}
derived:
  - {id: rate, label: 比率, formula: "ratio(meetings, 12)"}
deductions:
  - {id: late, label: 逾期, points: 0.5, per: meetings, cap: 3, applies_to: basic}
  - {id: open, label: 上不封顶, points: 1, per: meetings, cap: none}
bonuses:
  - {id: extra, label: 加分, points: 2, above_max: true}
vetoes:
  - id: stop
    label: 否决
    when: meetings > 100
    effects: [{zero: total}, {rating: stars, at_most: "1"}, {no_award: true}]
ratings:
  - id: stars
    label: 星级
    levels:
      - {id: "2", label: 二星, range: "[60, +inf)"}
      - {id: "1", label: 一星, range: "(-inf, 60)"}
tests:
  - name: 例
    category: production
    facts: {meetings: 10}
    expect: {total: 100, ratings: {stars: "2"}, fired: []}
"""
    assert check(text) == []


# -- format version


@pytest.mark.parametrize(("text", "line", "column"), [
    (MINIMAL.replace("evalrules: 1\n", ""), 1, 1),
    (MINIMAL.replace("evalrules: 1\n", "evalrules: 2\n"), 1, 12),
    (MINIMAL.replace("evalrules: 1\n", 'evalrules: "1"\n'), 1, 12),
    (MINIMAL.replace("evalrules: 1\n", "evalrules: true\n"), 1, 12),
], ids=["missing", "two", "quoted", "boolean"])
def test_missing_or_wrong_format_version_is_s105(text: str, line: int, column: int) -> None:
    """Without `evalrules: 1` the only diagnostic is S105, at the version value if there is one."""
    diagnostics = check(text)
    assert [d.code for d in diagnostics] == ["S105"]
    assert diagnostics[0].name == "wrong-format-version"
    assert where(diagnostics[0]) == (line, column)
    assert "evalrules: 1" in diagnostics[0].hint


def test_document_that_is_not_a_mapping_is_wrong_type() -> None:
    """A list at the top is S103 with a hint to start with `evalrules: 1`."""
    diagnostics = check("- a\n- b\n")
    assert [d.code for d in diagnostics] == ["S103"]
    assert "evalrules: 1" in diagnostics[0].hint


# -- unknown, missing, wrong type, bad value


def test_unknown_key_is_s101_at_the_key_with_did_you_mean() -> None:
    """A misspelt key is S101 positioned at the key itself, suggesting the right one."""
    text = MINIMAL.replace("    max: 100\n", "    max: 100\n    lable: x\n")
    diagnostics = check(text)
    assert [d.code for d in diagnostics] == ["S101"]
    d = diagnostics[0]
    assert d.name == "unknown-property"
    assert where(d) == (14, 5)
    assert "`lable`" in d.message
    assert d.hint == "did you mean `label`?"


def test_unknown_key_in_flow_mapping_is_positioned_at_the_key() -> None:
    """Inside a flow mapping the column is the key's own column."""
    text = MINIMAL + "deductions:\n  - {id: d, label: D, points: 1, cpa: 3}\n"
    diagnostics = check(text)
    assert [(d.code, where(d), d.hint) for d in diagnostics] == [
        ("S101", (16, 34), "did you mean `cap`?")]


def test_unknown_key_allowed_only_on_bonuses() -> None:
    """above_max is a bonus key: on a deduction it is unknown, on a bonus it is fine."""
    assert check(MINIMAL + "bonuses:\n  - {id: b, label: B, points: 1, above_max: true}\n") == []
    diagnostics = check(MINIMAL + "deductions:\n  - {id: d, label: D, points: 1, above_max: true}\n")
    assert [d.code for d in diagnostics] == ["S101"]


def test_unknown_key_without_close_match_lists_allowed_keys() -> None:
    """With no near miss the hint lists what is allowed there."""
    diagnostics = check(MINIMAL + "colour: red\n")
    assert [d.code for d in diagnostics] == ["S101"]
    assert where(diagnostics[0]) == (15, 1)
    assert "allowed here:" in diagnostics[0].hint and "indicators" in diagnostics[0].hint


@pytest.mark.parametrize(("old", "new", "key", "line"), [
    ("title: 最小方案\n", "", "title", 1),
    ("  - {id: production, label: 生产类}", "  - {id: production}", "label", 7),
    ("    label: 基础\n", "", "label", 11),
])
def test_missing_required_key_is_s102(old: str, new: str, key: str, line: int) -> None:
    """A required key that is absent is S102 naming the key, at the mapping that lacks it."""
    diagnostics = check(MINIMAL.replace(old, new))
    assert [d.code for d in diagnostics] == ["S102"]
    assert f"`{key}`" in diagnostics[0].message
    assert diagnostics[0].location.line == line
    assert diagnostics[0].hint == f"add `{key}:`"


def test_wrong_type_is_s103_at_the_value() -> None:
    """A value of the wrong type is S103 positioned at the value, not at its key."""
    diagnostics = check(MINIMAL.replace("scale: 100", "scale: hundred"))
    assert [d.code for d in diagnostics] == ["S103"]
    d = diagnostics[0]
    assert d.name == "wrong-type"
    assert where(d) == (5, 8)
    assert "number" in d.message and "text" in d.message


def test_unquoted_version_is_s103_with_hint_to_quote_as_typed() -> None:
    """An unquoted version 1.10 is S103 and the hint quotes exactly what was typed ("1.10")."""
    diagnostics = check(MINIMAL.replace('version: "1"', "version: 1.10"))
    assert [d.code for d in diagnostics] == ["S103"]
    assert where(diagnostics[0]) == (4, 10)
    assert diagnostics[0].hint == 'quote it: "1.10"'


def test_wrong_type_inside_per_category_max_points_at_the_inner_value() -> None:
    """In a per-category max the bad entry is reported at itself, not as a contradiction."""
    diagnostics = check(MINIMAL.replace("max: 100", "max: {production: x}"))
    assert [d.code for d in diagnostics] == ["S103"]
    d = diagnostics[0]
    assert d.location.path == ("indicators", 0, "max", "production")
    assert where(d) == (13, 23)
    assert "not a mapping" not in d.message


@pytest.mark.parametrize(("old", "new", "line", "column", "suggestion"), [
    ("type: integer", "type: integr", 9, 39, "integer"),
    ("scale: 100\n", "scale: 100\nnumeric: {rounding: half_upp}\n", 6, 21, "half_up"),
])
def test_enum_violation_is_s104_with_suggestion(
        old: str, new: str, line: int, column: int, suggestion: str) -> None:
    """A value outside an enum is S104 at the value, suggesting the nearest allowed value."""
    diagnostics = check(MINIMAL.replace(old, new))
    assert [d.code for d in diagnostics] == ["S104"]
    d = diagnostics[0]
    assert d.name == "invalid-value"
    assert where(d) == (line, column)
    assert d.hint == f"did you mean `{suggestion}`?"


def test_enum_violation_without_close_match_lists_the_options() -> None:
    """A far-off enum value gets the list of allowed values as its hint."""
    diagnostics = check(MINIMAL.replace("scale: 100\n", "scale: 100\nnumeric: {rounding: zz}\n"))
    assert [d.code for d in diagnostics] == ["S104"]
    assert diagnostics[0].hint.startswith("one of: half_up, half_even")


@pytest.mark.parametrize(("old", "new", "message"), [
    ("scale: 100", "scale: 0", "must be more than 0"),
    ("max: 100", "max: -1", "must be at least 0"),
    ("id: minimal", "id: Minimal", "not in the expected form"),
    ("{id: production,", "{id: 1production,", "not in the expected form"),
])
def test_bounds_and_patterns_are_s104(old: str, new: str, message: str) -> None:
    """Numbers out of bounds and ids of the wrong form are S104."""
    diagnostics = check(MINIMAL.replace(old, new))
    assert [d.code for d in diagnostics] == ["S104"]
    assert message in diagnostics[0].message


def test_cap_none_or_positive_number() -> None:
    """cap takes a positive number or `none`; anything else is reported at the cap value."""
    text = MINIMAL + ("deductions:\n"
                      "  - {id: a, label: A, points: 1, cap: none}\n"
                      "  - {id: b, label: B, points: 1, cap: 0}\n"
                      "  - {id: c, label: C, points: 1, cap: nne}\n")
    diagnostics = check(text)
    assert [(d.code, d.location.line) for d in diagnostics] == [("S104", 17), ("S103", 18)]


def test_every_error_is_reported_in_one_run() -> None:
    """Three independent schema errors are all reported, each at its own line."""
    text = (MINIMAL.replace("scale: 100", "scale: hundred")
            .replace("type: integer", "type: integr")
            .replace("    max: 100\n", "    max: 100\n    lable: x\n"))
    diagnostics = check(text)
    assert sorted((d.code, d.location.line) for d in diagnostics) == [
        ("S101", 14), ("S103", 5), ("S104", 9)]


@pytest.mark.parametrize("key", ["rollups", "rankings", "quotas", "awards"])
def test_multi_unit_and_period_sections_are_part_of_the_language(key: str) -> None:
    """The sections once reserved for periods, rankings, quotas and awards are accepted."""
    assert check(MINIMAL + f"{key}: []\n") == []


def test_multi_unit_key_below_the_top_is_just_unknown() -> None:
    """Those names mean something only at the top level; elsewhere they are S101."""
    diagnostics = check(MINIMAL.replace("    max: 100\n", "    max: 100\n    rankings: 1\n"))
    assert [d.code for d in diagnostics] == ["S101"]


# -- the schema itself and remote references


def test_packaged_schema_is_identical_to_the_repository_schema() -> None:
    """src/evalrules/schemas/scheme.schema.json is byte-for-byte schemas/scheme.schema.json."""
    repo = (ROOT / "schemas" / "scheme.schema.json").read_bytes()
    packaged = (ROOT / "src" / "evalrules" / "schemas" / "scheme.schema.json").read_bytes()
    installed = resources.files("evalrules").joinpath("schemas/scheme.schema.json").read_bytes()
    assert packaged == repo
    assert installed == repo
    assert scheme_json_schema() == json.loads(repo)


def test_schema_is_valid_draft_2020_12() -> None:
    """The schema declares Draft 2020-12 and passes that draft's meta-schema."""
    schema = json.loads((ROOT / "schemas" / "scheme.schema.json").read_text("utf-8"))
    assert validator_for(schema) is Draft202012Validator
    Draft202012Validator.check_schema(schema)


def test_validator_uses_the_packaged_schema_and_an_empty_registry() -> None:
    """The module's validator is Draft 2020-12 over the packaged schema with no resources."""
    validator = _validator()
    assert isinstance(validator, Draft202012Validator)
    assert validator.schema == scheme_json_schema()
    assert len(list(validator._registry)) == 0


class _Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = json.dumps({"type": "integer"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def schema_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that serves a schema and records each request."""
    _Counter.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/remote.json", _Counter.hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_remote_ref_is_never_fetched(schema_server: tuple[str, list[str]]) -> None:
    """A $ref to an http URL fails to resolve under the module's validator; nothing is fetched."""
    url, hits = schema_server
    # Control: jsonschema's default (no registry) does fetch, so the server would see a request.
    with pytest.warns(DeprecationWarning):
        assert Draft202012Validator({"$ref": url}).is_valid(1)
    assert hits == ["/remote.json"]
    hits.clear()
    strict = _validator().evolve(schema={"$ref": url})
    with pytest.raises(Unresolvable):
        strict.is_valid(1)
    assert hits == []
