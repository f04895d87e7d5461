"""The strict YAML loader: refusals, exact scalars, source positions and limits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evalrules.limits import Limits
from evalrules.yamlsource import Document, load_yaml

# These tests quote the English messages; tests/test_diagnostics_i18n.py shows both languages.
pytestmark = pytest.mark.lang("en_US")


def load(text: str, **kwargs: object) -> tuple[Document | None, list]:
    return load_yaml(text, "f.yaml", **kwargs)  # type: ignore[arg-type]


def codes(problems: list) -> list[str]:
    return [p.code for p in problems]


def test_clean_document_has_no_problems_and_plain_data() -> None:
    """A well-formed document loads to plain dicts, lists and typed scalars without problems."""
    doc, problems = load("a: 1\nb: [x, true, false, null]\nc: {d: 2.5}\n")
    assert problems == []
    assert doc is not None
    assert doc.data == {"a": 1, "b": ["x", True, False, None], "c": {"d": Decimal("2.5")}}
    assert doc.file == "f.yaml"


# -- duplicate keys


def test_duplicate_key_is_an_error_naming_both_lines_and_keeping_the_first() -> None:
    """A key given twice is Y002 at the second occurrence, naming both lines; the first wins."""
    doc, problems = load("a: 1\nb: 2\na: 3\n")
    assert codes(problems) == ["Y002"]
    problem = problems[0]
    assert problem.name == "duplicate-key"
    assert (problem.location.line, problem.location.column) == (3, 1)
    assert "line 1" in problem.message and "line 3" in problem.message
    assert [r.line for r in problem.related] == [1]
    assert doc is not None and doc.data == {"a": 1, "b": 2}


def test_duplicate_key_in_nested_mapping_keeps_first_container() -> None:
    """Inside a nested mapping the duplicate is reported and the first container value is kept."""
    doc, problems = load("top:\n  k: {x: 1}\n  k: {y: 2}\n")
    assert codes(problems) == ["Y002"]
    assert problems[0].location.line == 3
    assert doc is not None and doc.data == {"top": {"k": {"x": 1}}}


def test_same_key_in_different_mappings_is_not_a_duplicate() -> None:
    """Keys only clash within one mapping: siblings may reuse a key."""
    _, problems = load("- {id: a}\n- {id: b}\n")
    assert problems == []


# -- anchors, aliases, merge keys, tags


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("a: &x 1\nb: 2\n", "Y003", 1, 4),
        ("a: 1\nb: *x\n", "Y003", 2, 4),
        ("base: {x: 1}\nc:\n  <<: {y: 2}\n", "Y003", 3, 3),
        ("a: 1\nb: !!str 5\n", "Y004", 2, 4),
        ("a: 1\nb: !!python/object:os.system x\n", "Y004", 2, 4),
        ("a: !!map {b: 1}\n", "Y004", 1, 4),
        ("a: !custom x\n", "Y004", 1, 4),
    ],
    ids=["anchor", "alias", "merge-key", "str-tag", "python-tag", "map-tag", "local-tag"],
)
def test_anchors_aliases_merge_keys_and_tags_are_refused_at_their_line(
        text: str, code: str, line: int, column: int) -> None:
    """Anchors, aliases and `<<` are Y003, explicit tags Y004, each positioned where written."""
    _, problems = load(text)
    matching = [p for p in problems if p.code == code]
    assert matching, problems
    assert (matching[0].location.line, matching[0].location.column) == (line, column)


def test_anchor_and_alias_each_reported() -> None:
    """An anchor and its alias are two separate problems; the alias never copies the value."""
    doc, problems = load("a: &x [1, 2]\nb: *x\n")
    assert [(p.code, p.location.line) for p in problems] == [("Y003", 1), ("Y003", 2)]
    assert doc is not None and doc.data["b"] is None


def test_quoted_merge_key_is_ordinary_text() -> None:
    """Only a plain `<<` is a merge key; a quoted one is an ordinary key."""
    doc, problems = load('"<<": 1\n')
    assert problems == []
    assert doc is not None and doc.data == {"<<": 1}


def test_python_tag_builds_no_object() -> None:
    """A python/object tag is refused and the value stays plain text (nothing is constructed)."""
    doc, problems = load("b: !!python/object/apply:os.system [echo hi]\n")
    assert "Y004" in codes(problems)
    assert doc is not None and doc.data == {"b": ["echo hi"]}


# -- YAML 1.1 surprises and exact numbers


@pytest.mark.parametrize("word", ["no", "on", "yes", "off", "y", "n", "No", "ON", "Yes", "OFF"])
def test_yaml11_booleans_stay_text(word: str) -> None:
    """yes/no/on/off are text, never booleans."""
    doc, problems = load(f"a: {word}\n")
    assert problems == []
    assert doc is not None and doc.data["a"] == word


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("false", False), ("True", True), ("FALSE", False),
    ("null", None), ("~", None), ("", None),
])
def test_booleans_and_nulls(text: str, value: object) -> None:
    """true/false are booleans and null/~/empty are None."""
    doc, problems = load(f"a: {text}\n")
    assert problems == []
    assert doc is not None and doc.data["a"] is value


@pytest.mark.parametrize("text", ["12:30:00", "12:30", "2024-01-01", "1,000", "1.5.2", "."])
def test_time_like_and_date_like_values_stay_text(text: str) -> None:
    """Sexagesimal numbers, dates and other number-looking words are plain text."""
    doc, problems = load(f"a: {text}\n")
    assert problems == []
    assert doc is not None and doc.data["a"] == text


def test_leading_zero_is_refused_with_a_hint_to_quote() -> None:
    """`010` is Y005 at the value, and the message says to quote it ("010") if it is an id."""
    doc, problems = load("id: 010\n")
    assert codes(problems) == ["Y005"]
    problem = problems[0]
    assert problem.name == "ambiguous-scalar"
    assert (problem.location.line, problem.location.column) == (1, 5)
    assert '"010"' in problem.message
    assert "quote" in problem.hint
    assert doc is not None and doc.data["id"] == "010"


@pytest.mark.parametrize("text", ["010", "00", "007.5", "0x1F", "0o17", "0b101", ".inf", "-.inf",
                                  ".nan", ".NaN", "1_000", "1_000.5"])
def test_special_number_forms_are_refused(text: str) -> None:
    """Octal-looking, hex, infinity, NaN and underscore numbers are Y005, never silently typed."""
    _, problems = load(f"a: {text}\n")
    assert codes(problems) == ["Y005"], text
    assert problems[0].location.line == 1


@pytest.mark.parametrize(("text", "value"), [
    ("1.10", Decimal("1.10")), ("0.1", Decimal("0.1")), ("-2.50", Decimal("-2.50")),
    ("1e3", Decimal("1e3")), ("0", 0), ("-7", -7), ("+3", 3), ("100", 100),
    (".5", Decimal("0.5")), ("-.25", Decimal("-0.25")), ("1.", Decimal("1")),
])
def test_numbers_are_exact(text: str, value: object) -> None:
    """Integers are int and other numbers are Decimal exactly as written (1.10 keeps its zero)."""
    doc, problems = load(f"a: {text}\n")
    assert problems == []
    assert doc is not None
    got = doc.data["a"]
    assert type(got) is type(value)
    assert got == value
    if isinstance(value, Decimal):
        assert str(got) == str(value)  # same digits, not merely an equal value


def test_point_one_is_not_a_binary_float() -> None:
    """0.1 is Decimal('0.1'), so 0.1 + 0.2 == 0.3 holds for loaded values."""
    doc, _ = load("a: 0.1\nb: 0.2\n")
    assert doc is not None
    assert isinstance(doc.data["a"], Decimal)
    assert doc.data["a"] + doc.data["b"] == Decimal("0.3")


@pytest.mark.parametrize("text", ['"010"', "'010'", '"yes"', '"1.10"', '"12"'])
def test_quoted_values_stay_text(text: str) -> None:
    """Quoted scalars are text whatever they look like, and are not refused."""
    doc, problems = load(f"a: {text}\n")
    assert problems == []
    assert doc is not None and doc.data["a"] == text[1:-1]


def test_number_like_keys_become_text_as_written() -> None:
    """A key that looks like a number is kept as the text the author typed."""
    doc, problems = load("1.10: a\n5: b\n")
    assert problems == []
    assert doc is not None and doc.data == {"1.10": "a", "5": "b"}


# -- positions


POSITIONS = """\
top:
  inner:
    - first
    - name: x
      value: 3
  other: {k: v, list: [a, b]}
"""


@pytest.mark.parametrize(("path", "key", "line", "column"), [
    (("top",), True, 1, 1),
    (("top", "inner"), True, 2, 3),
    (("top", "inner"), False, 3, 5),
    (("top", "inner", 0), False, 3, 7),
    (("top", "inner", 1), False, 4, 7),
    (("top", "inner", 1, "name"), True, 4, 7),
    (("top", "inner", 1, "value"), True, 5, 7),
    (("top", "inner", 1, "value"), False, 5, 14),
    (("top", "other"), False, 6, 10),
    (("top", "other", "k"), True, 6, 11),
    (("top", "other", "k"), False, 6, 14),
    (("top", "other", "list", 1), False, 6, 27),
])
def test_locate_gives_line_and_column_of_values_and_keys(
        path: tuple, key: bool, line: int, column: int) -> None:
    """locate() points at a value, or with key=True at its key, in block and flow style alike."""
    doc, problems = load(POSITIONS)
    assert problems == [] and doc is not None
    location = doc.locate(path, key=key)
    assert (location.line, location.column) == (line, column)
    assert location.file == "f.yaml"
    assert location.path == path


def test_locate_missing_path_falls_back_to_nearest_ancestor() -> None:
    """A path that does not exist is located at its nearest existing ancestor, keeping the path."""
    doc, _ = load(POSITIONS)
    assert doc is not None
    location = doc.locate(("top", "inner", 1, "missing", "deeper"))
    assert (location.line, location.column) == (4, 7)
    assert location.path == ("top", "inner", 1, "missing", "deeper")
    assert (doc.locate(("nowhere",), key=True).line, doc.locate(("nowhere",)).column) == (1, 1)


# -- malformed input and limits


def test_syntax_error_is_y001_with_its_line() -> None:
    """Malformed YAML is Y001 at the line where the parser gave up, and no document."""
    doc, problems = load("a: 1\nb: [1, 2\nc: 3\n")
    assert doc is None
    assert codes(problems) == ["Y001"]
    assert problems[0].location.line == 3
    assert problems[0].hint


def test_bad_indentation_is_y001() -> None:
    """A mapping value indented wrongly is a syntax error on that line."""
    doc, problems = load("a:\n  b: 1\n c: 2\n")
    assert doc is None
    assert codes(problems) == ["Y001"]
    assert problems[0].location.line == 3


def test_second_document_is_y006() -> None:
    """A second `---` document is Y006 at its line; the first document is still returned."""
    doc, problems = load("a: 1\n---\nb: 2\n")
    assert codes(problems) == ["Y006"]
    assert problems[0].location.line == 2
    assert doc is not None and doc.data == {"a": 1}


def test_single_explicit_document_is_fine() -> None:
    """One document with an explicit `---` start is accepted."""
    doc, problems = load("---\na: 1\n")
    assert problems == []
    assert doc is not None and doc.data == {"a": 1}


def test_depth_limit_allows_exactly_the_limit() -> None:
    """Nesting as deep as yaml_depth loads; one level more is Y007 and no document."""
    five = "a: {b: {c: {d: {e: 1}}}}\n"
    doc, problems = load(five, limits=Limits(yaml_depth=5))
    assert problems == [] and doc is not None
    doc, problems = load("a: {b: {c: {d: {e: {f: 1}}}}}\n", limits=Limits(yaml_depth=5))
    assert doc is None
    assert codes(problems) == ["Y007"]
    assert problems[0].name == "too-large"
    assert (problems[0].location.line, problems[0].location.column) == (1, 20)


def test_depth_limit_stops_reading_before_the_rest() -> None:
    """Past the depth limit nothing more is read: a later syntax error is never reached."""
    text = "a: {b: {c: {d: {e: {f: {g: 1}}}}}}\nz: [unclosed\n"
    doc, problems = load(text, limits=Limits(yaml_depth=5))
    assert doc is None
    assert codes(problems) == ["Y007"]


def test_node_limit_allows_exactly_the_limit() -> None:
    """A file with yaml_nodes nodes loads; one node more is Y007."""
    ok = "[" + ", ".join(["1"] * 49) + "]"  # the list and 49 items: 50 nodes
    doc, problems = load(ok, limits=Limits(yaml_nodes=50))
    assert problems == [] and doc is not None
    doc, problems = load(ok[:-1] + ", 1]", limits=Limits(yaml_nodes=50))
    assert doc is None
    assert codes(problems) == ["Y007"]


def test_node_limit_stops_at_the_first_node_over() -> None:
    """Y007 is positioned at the first node over the limit and nothing after it is read."""
    items = ", ".join(["1"] * 200)
    text = f"[{items}]\nbroken: [\n"
    doc, problems = load(text, limits=Limits(yaml_nodes=50))
    assert doc is None
    assert codes(problems) == ["Y007"]
    # node 1 is the list at column 1; item n is at column 2 + 3 * (n - 1); node 51 is item 50.
    assert (problems[0].location.line, problems[0].location.column) == (1, 2 + 3 * 49)


def test_file_over_max_bytes_is_refused_before_parsing() -> None:
    """A file larger than max_bytes (counted in UTF-8 bytes) is Y007, whatever it contains."""
    text = "a: 党建\n"  # 10 bytes, 6 characters
    doc, problems = load(text, max_bytes=9)
    assert doc is None
    assert codes(problems) == ["Y007"]
    doc, problems = load(text, max_bytes=10)
    assert problems == [] and doc is not None
    doc, problems = load("[" * 50, limits=Limits(scheme_bytes=10))
    assert codes(problems) == ["Y007"] and "10 bytes" in problems[0].message


@pytest.mark.parametrize("text", ["[" * 10_000, "[" * 10_000 + "]" * 10_000, "- " * 10_000 + "x",
                                  "{a: " * 10_000 + "}" * 10_000])
def test_very_deep_input_is_a_diagnostic_not_a_crash(text: str) -> None:
    """10,000 levels of nesting give a Y007 diagnostic, never RecursionError."""
    doc, problems = load(text)
    assert doc is None
    assert codes(problems) == ["Y007"]


def test_non_string_keys_are_refused() -> None:
    """A mapping or a list used as a key is Y008 at the key; later keys still load."""
    doc, problems = load("? {a: 1}\n: 2\n? [b]\n: 3\nc: 4\n")
    assert [(p.code, p.location.line) for p in problems] == [("Y008", 1), ("Y008", 3)]
    assert all(p.name == "non-string-key" for p in problems)
    assert doc is not None and doc.data["c"] == 4


def test_null_key_is_refused() -> None:
    """A null key (`~:`) is not plain text either."""
    _, problems = load("~: a\n")
    assert codes(problems) == ["Y008"]


def test_every_problem_is_reported_in_one_run() -> None:
    """Independent problems in one file are all reported, each at its line."""
    text = "a: 1\na: 2\nb: &x 3\nc: 010\nd: !!str e\n"
    _, problems = load(text)
    assert [(p.code, p.location.line) for p in problems] == [
        ("Y002", 2), ("Y003", 3), ("Y005", 4), ("Y004", 5)]


def test_empty_file_loads_as_none() -> None:
    """An empty file is a document whose data is None (the schema then says what is missing)."""
    doc, problems = load("")
    assert problems == []
    assert doc is not None and doc.data is None
