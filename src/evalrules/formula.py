"""The formula language: parse once, check against an allow-list, compile, evaluate.

A formula is a Python-syntax expression restricted to arithmetic, comparisons, boolean logic,
conditional expressions and calls of the functions in FUNCTION_NAMES. Parsing yields a
`Formula` that knows the names it reads (with their columns) and holds a compiled code object,
so no text is parsed per unit. `reference_evaluate` evaluates the same text with simpleeval;
tests use it to check the compiled path.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import CodeType, MappingProxyType
from typing import Any

from .i18n import N_, _, translate_known
from .limits import DEFAULT_LIMITS, Limits, effective, result_problem
from .numeric import CONTEXT, ZERO, NumericPolicy, to_decimal

_AGGREGATE_ORDER = ("count", "sum", "avg", "min_of", "max_of", "any", "all")
AGGREGATES = frozenset(_AGGREGATE_ORDER)
SCALARS = frozenset({"min", "max", "abs", "clamp", "round", "floor", "ceil", "ratio", "band",
                     "days", "date"})
FUNCTION_NAMES = AGGREGATES | SCALARS
# Keyword arguments each function accepts.
KEYWORDS: dict[str, frozenset[str]] = {
    "count": frozenset({"where"}), "sum": frozenset({"where"}),
    "avg": frozenset({"where", "default"}), "min_of": frozenset({"where", "default"}),
    "max_of": frozenset({"where", "default"}), "any": frozenset({"where"}),
    "all": frozenset({"where"}), "round": frozenset({"places"}), "ratio": frozenset({"cap"}),
    "band": frozenset({"default"}),
}
# (fewest, most) positional arguments; None: no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    "count": (1, 1), "sum": (2, 2), "avg": (2, 2), "min_of": (2, 2), "max_of": (2, 2),
    "any": (1, 1), "all": (1, 1), "min": (1, None), "max": (1, None), "abs": (1, 1),
    "clamp": (3, 3), "round": (1, 2), "floor": (1, 1), "ceil": (1, 1), "ratio": (2, 3),
    "band": (3, 4), "days": (2, 2), "date": (1, 1),
}

# Python syntax the formula language refuses, named for the message (translated where shown).
_REFUSED: dict[type, str] = {
    ast.Attribute: N_("attribute access (a.b)"),
    ast.Subscript: N_("indexing (a[0])"),
    ast.ListComp: N_("comprehensions"),
    ast.SetComp: N_("comprehensions"),
    ast.DictComp: N_("comprehensions"),
    ast.GeneratorExp: N_("comprehensions"),
    ast.Lambda: "lambda",
    ast.JoinedStr: N_("f-strings"),
    ast.FormattedValue: N_("f-strings"),
    ast.NamedExpr: N_("assignment (:=)"),
    ast.Starred: N_("unpacking (*a)"),
    ast.Dict: N_("mappings ({...})"),
    ast.Set: N_("sets ({...})"),
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: N_("slices"),
}
_CONSTANT_IDS = itertools.count()
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_UNARY = (ast.Not, ast.USub, ast.UAdd)


def _literal_number(node: ast.expr) -> int | float | None:
    """The number a literal (or a negated literal) writes, else None."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return sign * node.value
    return None


@dataclass(frozen=True, slots=True)
class FormulaProblem:
    """One problem in a formula; `column` is 1-based within the formula text."""

    kind: str  # a diagnostics name: formula-syntax, unknown-name, ...
    message: str
    column: int
    hint: str = ""


class FormulaRejected(Exception):
    def __init__(self, problems: list[FormulaProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


@dataclass(frozen=True, slots=True)
class Filter:
    """A `where=` condition, compiled, evaluated against each record of a list fact."""

    text: str
    code: CodeType
    outer: tuple[str, ...]
    constants: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Formula:
    """A checked, compiled formula and the names it reads (with their columns)."""

    text: str
    code: CodeType = field(repr=False, compare=False)
    names: frozenset[str]
    name_columns: tuple[tuple[str, int], ...]
    constants: Mapping[str, Any] = field(repr=False, compare=False)
    # The checked, rewritten tree (exact constants, bounded power), for code generation.
    expression: ast.expr | None = field(default=None, repr=False, compare=False)
    # Per record of a list fact: how many parts of this formula run (each list function
    # counts 1, plus the size of its where= condition or per-record expression).
    work: int = field(default=0, compare=False)

    def evaluate(self, globals_: dict[str, Any], values: Mapping[str, Any]) -> Any:
        return eval(self.code, globals_, values)


def _segment(source: str, node: ast.AST) -> str | None:
    """ast.get_source_segment, without splitting the text into lines (for every literal) when
    the formula is one line of ASCII, where columns are character offsets."""
    line, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
    if line == end == 1 and source.isascii() and "\n" not in source and "\r" not in source:
        return source[node.col_offset:node.end_col_offset]  # type: ignore[attr-defined]
    return ast.get_source_segment(source, node)


def _literal(node: ast.Constant, source: str) -> Any:
    """A literal's value; numbers as exact decimals read from the source text, so that digits
    beyond a binary float's precision (and magnitudes beyond its range) are kept."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    segment = _segment(source, node) if source else None
    if segment:
        try:
            exact = Decimal(segment, context=CONTEXT)
        except ArithmeticError:  # 0x1F and other forms Decimal does not read
            pass
        else:
            if exact.is_finite():
                return exact
    return to_decimal(value)


_SUGGEST_AMONG = 20  # names compared per suggestion (those closest in length)


def _suggest(name: str, options: Iterable[str]) -> str:
    """A close name, among the options of about the same length: a scheme with thousands of
    names and thousands of typos stays near linear, not thousands squared comparisons."""
    near = list(options)
    if len(near) > _SUGGEST_AMONG:
        size = len(name)
        lengths = [len(o) for o in near]
        picked: list[str] = []
        for distance in range(size // 2 + 2):  # the same length first, then one more or less
            picked += [o for o, n in zip(near, lengths, strict=True)
                       if n == size + distance or n == size - distance]
            if len(picked) >= _SUGGEST_AMONG:
                break
        near = picked[:_SUGGEST_AMONG]
    import difflib  # only for a scheme with a problem

    close = difflib.get_close_matches(name, near, n=1, cutoff=0.7)
    return _("did you mean `{name}`?").format(name=close[0]) if close else ""


# What Python's parser says about a formula, in the current language. Each English message is
# the parser's own text; other messages are shown as the parser wrote them. The patterns are
# compiled on the first syntax error (i18n.known_patterns): a valid scheme needs none of them.
_PARSER_WORDS: tuple[tuple[str, str], ...] = (
    (r"invalid syntax", N_("invalid syntax")),
    (r"invalid syntax\. Perhaps you forgot a comma\?",
     N_("invalid syntax. Perhaps you forgot a comma?")),
    (r"invalid syntax\. Maybe you meant '==' or ':=' instead of '='\?",
     N_("invalid syntax. Maybe you meant '==' or ':=' instead of '='?")),
    (r"'(?P<bracket>.)' was never closed", N_("'{bracket}' was never closed")),
    (r"unmatched '(?P<bracket>.)'", N_("unmatched '{bracket}'")),
    (r"closing parenthesis '(?P<closing>.)' does not match opening parenthesis "
     r"'(?P<opening>.)'",
     N_("closing parenthesis '{closing}' does not match opening parenthesis '{opening}'")),
    (r"unterminated string literal \(detected at line (?P<line>\d+)\)",
     N_("unterminated string literal (detected at line {line})")),
    (r"invalid character '(?P<char>.)' \((?P<code>U\+[0-9A-F]+)\)",
     N_("invalid character '{char}' ({code})")),
    (r"invalid non-printable character (?P<code>U\+[0-9A-F]+)",
     N_("invalid non-printable character {code}")),
    (r"invalid decimal literal", N_("invalid decimal literal")),
    (r"leading zeros in decimal integer literals are not permitted; use an 0o prefix for "
     r"octal integers",
     N_("leading zeros in decimal integer literals are not permitted; use an 0o prefix for "
        "octal integers")),
    (r"expected 'else' after 'if' expression", N_("expected 'else' after 'if' expression")),
    (r"positional argument follows keyword argument",
     N_("positional argument follows keyword argument")),
    (r"unexpected EOF while parsing", N_("unexpected EOF while parsing")),
    (r"unexpected indent", N_("unexpected indent")),
)


def _parser_words(text: str) -> str:
    """Python's description of a syntax error in a formula, in the current language."""
    return translate_known(text, _PARSER_WORDS)


class _Checker(ast.NodeVisitor):
    """Walks a parsed formula, collecting problems and the free names it reads."""

    def __init__(self, known: Mapping[str, Any], fields: Mapping[str, Any] | None,
                 list_fields: Mapping[str, Mapping[str, Any]], limits: Limits,
                 source: str = "") -> None:
        self.source = source
        self.known = known
        self.fields = fields
        self.list_fields = list_fields
        self.limits = limits
        self.problems: list[FormulaProblem] = []
        self.names: list[tuple[str, int]] = []
        self.count = 0
        self.work = 0  # parts run per record of a list fact (see Formula.work)

    def column(self, node: ast.AST) -> int:
        """The node's 1-based column in characters (the parser counts UTF-8 bytes)."""
        offset: int = getattr(node, "col_offset", 0)
        lines = self.source.split("\n")
        lineno: int = getattr(node, "lineno", 1)
        if not self.source or not 1 <= lineno <= len(lines):
            return offset + 1
        return len(lines[lineno - 1].encode("utf-8")[:offset].decode("utf-8", "ignore")) + 1

    def problem(self, kind: str, node: ast.AST, message: str, hint: str = "") -> None:
        self.problems.append(FormulaProblem(kind, message, self.column(node), hint))

    def generic_visit(self, node: ast.AST) -> None:
        self.count += 1
        refused = _REFUSED.get(type(node))
        if refused is not None:
            self.problem("unsupported-syntax", node,
                         _("{what} is not part of the formula language").format(what=_(refused)),
                         _("use the functions listed in docs/scheme-language.md"))
            return
        allowed = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare,
                   ast.Call, ast.Constant, ast.Name, ast.Tuple, ast.List, ast.keyword, ast.Load,
                   ast.And, ast.Or, *_BINOPS, *_CMPOPS, *_UNARY)
        if not isinstance(node, allowed):
            what = type(node).__name__
            if isinstance(node, (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
                                 ast.Invert, ast.MatMult)):
                what = _("bitwise operators")
            elif isinstance(node, (ast.Is, ast.IsNot)):
                what = _("`is` comparisons (use ==)")
            self.problem("unsupported-syntax", node,
                         _("{what} is not part of the formula language").format(what=what),
                         _("see docs/scheme-language.md#formulas"))
            return
        super().generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        self.count += 1
        if node.value is None or isinstance(node.value, (bytes, complex)) or node.value is ...:
            self.problem("unsupported-syntax", node,
                         _("the constant {value} is not part of the formula language").format(
                             value=repr(node.value)), _("use numbers, text or true/false"))
        elif isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            # Literals keep their digits (1e400 is fine: each result is bounded by _result);
            # only numbers beyond the range of the arithmetic itself are refused.
            value = _literal(node, self.source)
            if not isinstance(value, Decimal) or not value.is_finite() \
                    or abs(value.adjusted()) > CONTEXT.Emax:
                shown = ast.get_source_segment(self.source, node) or repr(node.value)
                self.problem("formula-too-complex", node,
                             _("the number {number} is beyond the range of exact arithmetic "
                               "(1E±{emax})").format(number=shown[:40], emax=CONTEXT.Emax),
                             _("write a smaller number, or compute it from facts"))

    def visit_Name(self, node: ast.Name) -> None:
        self.count += 1
        name = node.id
        if name in ("true", "false", "True", "False"):
            return
        if self.fields is not None and name in self.fields:
            return
        if name in FUNCTION_NAMES:
            self.problem("unsupported-syntax", node,
                         _("`{name}` is a function: call it, e.g. {name}(...)").format(name=name))
            return
        if name not in self.known:
            options = list(self.known) + (list(self.fields) if self.fields else [])
            self.problem("unknown-name", node, _("unknown name `{name}`").format(name=name),
                         _suggest(name, options) or _("declare it under `facts` or `derived`, "
                                                      "or use the id of a node"))
            return
        if name in self.list_fields:
            self.problem("unsupported-syntax", node,
                         _("`{name}` is a list fact: it can only be the first argument of "
                           "{functions}").format(
                             name=name, functions=", ".join(f"{a}()" for a in _AGGREGATE_ORDER)),
                         _("e.g. count({name}) or sum({name}, \"field\")").format(name=name))
            return
        self.names.append((name, self.column(node)))

    def visit_Compare(self, node: ast.Compare) -> None:
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)) and not (
                    isinstance(right, (ast.Tuple, ast.List))
                    and all(isinstance(e, ast.Constant) for e in right.elts)):
                self.problem("unsupported-syntax", right,
                             _("`in` needs a literal list of values, e.g. level in (\"a\", "
                               "\"b\")"))
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.count += 1
        if not isinstance(node.func, ast.Name):
            self.problem("unsupported-syntax", node, _("only the listed functions can be called"),
                         _("call a function by name, e.g. max(a, b)"))
            return
        name = node.func.id
        if name not in FUNCTION_NAMES:
            self.problem("unknown-function", node.func,
                         _("unknown function `{name}`").format(name=name),
                         _suggest(name, FUNCTION_NAMES) or
                         _("available: {names}").format(names=", ".join(sorted(FUNCTION_NAMES))))
            for arg in node.args:
                self.visit(arg)
            return
        low, high = ARITY[name]
        if len(node.args) < low or (high is not None and len(node.args) > high):
            if low == high:
                message = _("{name}() takes {low} argument(s), got {count}")
            elif high is None:
                message = _("{name}() takes {low} or more argument(s), got {count}")
            else:
                message = _("{name}() takes {low} to {high} argument(s), got {count}")
            self.problem("bad-arguments", node, message.format(name=name, low=low, high=high,
                                                               count=len(node.args)))
        for kw in node.keywords:
            if kw.arg is None or kw.arg not in KEYWORDS.get(name, frozenset()):
                allowed = ", ".join(sorted(KEYWORDS.get(name, frozenset()))) or _("none")
                self.problem("bad-arguments", kw.value if kw.arg else node,
                             _("{name}() has no keyword `{keyword}`").format(name=name,
                                                                            keyword=kw.arg),
                             _("keywords: {allowed}").format(allowed=allowed))
        if name in AGGREGATES:
            if self.fields is not None:
                self.problem("unsupported-syntax", node,
                             _("{name}() inside a where= condition or a per-record expression "
                               "would read the whole list once per record").format(name=name),
                             _("compute it once as a derived value and use its name"))
                return
            self._check_aggregate(name, node)
            return
        if name == "band" and len(node.args) > 1:
            self._check_band_edges(node.args[1])
        if name == "date" and node.args and isinstance(node.args[0], ast.Constant):
            try:
                parse_date(node.args[0].value)
            except FormulaRuntimeError as exc:
                self.problem("bad-arguments", node.args[0], str(exc),
                             _("write date(\"2024-03-31\")"))
        for arg in node.args:
            self.visit(arg)
        for kw in node.keywords:
            self.visit(kw.value)

    def _check_band_edges(self, edges: ast.expr) -> None:
        """band() picks the highest edge reached, which reads right only when the edges rise."""
        if not isinstance(edges, (ast.Tuple, ast.List)):
            return
        literal = [value for value in map(_literal_number, edges.elts) if value is not None]
        if len(literal) == len(edges.elts) and any(
                b <= a for a, b in itertools.pairwise(literal)):
            self.problem("bad-arguments", edges,
                         _("the edges of band() must rise strictly from left to right"),
                         _("list the edges from lowest to highest, each value under its edge"))

    def _check_aggregate(self, name: str, node: ast.Call) -> None:
        self.work += 1
        if not node.args:
            return
        subject = node.args[0]
        fields: Mapping[str, Any] | None = None
        if isinstance(subject, ast.Name) and subject.id in self.list_fields:
            fields = self.list_fields[subject.id]
            self.names.append((subject.id, self.column(subject)))
        else:
            self.problem("bad-arguments", subject,
                         _("{name}() needs a list fact as its first argument").format(name=name),
                         _("list facts: {names}").format(
                             names=", ".join(self.list_fields) or _("none")))
        if len(node.args) > 1:
            field_arg = node.args[1]
            if not (isinstance(field_arg, ast.Constant) and isinstance(field_arg.value, str)):
                self.problem("bad-arguments", field_arg,
                             _("{name}() needs the field name as text, e.g. "
                               "\"points\"").format(name=name))
            elif fields is not None and not field_arg.value.strip().isidentifier():
                self._check_where(field_arg, fields, per_record=True)
            elif fields is not None and field_arg.value.strip() not in fields:
                self.problem("unknown-name", field_arg,
                             _("the list has no field `{field}`").format(field=field_arg.value),
                             _suggest(field_arg.value, fields) or
                             _("fields: {names}").format(names=", ".join(fields)))
        for kw in node.keywords:
            if kw.arg == "where":
                if not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)):
                    self.problem("bad-arguments", kw.value,
                                 _("where= needs a condition written as text, e.g. "
                                   "where=\"level == 'major'\""))
                elif fields is not None:
                    self._check_where(kw.value, fields)
            elif kw.arg is not None:
                self.visit(kw.value)

    def _check_where(self, node: ast.Constant, fields: Mapping[str, Any],
                     per_record: bool = False) -> None:
        """Check a where= condition, or (per_record) a per-record value of a list function."""
        text = str(node.value).strip()
        inner = _Checker(self.known, fields, self.list_fields, self.limits, text)
        try:
            tree = ast.parse(text, mode="eval")
        except SyntaxError as exc:
            message = _("the per-record value does not parse: {detail}") if per_record else \
                _("the where= condition does not parse: {detail}")
            self.problem("formula-syntax", node, message.format(detail=_parser_words(exc.msg)))
            return
        except (ValueError, RecursionError, MemoryError):
            self.problem("formula-too-complex", node,
                         _("the per-record value is too deeply nested") if per_record else
                         _("the where= condition is too deeply nested"))
            return
        if _depth(tree) > self.limits.formula_depth:
            message = _("the per-record value nests deeper than {limit} levels") if per_record \
                else _("the where= condition nests deeper than {limit} levels")
            self.problem("formula-too-complex", node,
                         message.format(limit=self.limits.formula_depth),
                         _("split it into derived values"))
            return
        inner.visit(tree)
        inside = _("in the per-record value: {message}") if per_record else \
            _("in where=: {message}")
        for p in inner.problems:
            self.problems.append(FormulaProblem(p.kind, inside.format(message=p.message),
                                                self.column(node), p.hint))
        self.names.extend((n, self.column(node)) for n, _ in inner.names)
        self.count += inner.count
        self.work += inner.count


def _depth(node: ast.AST) -> int:
    best = 0
    stack = [(node, 1)]
    while stack:
        item, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in ast.iter_child_nodes(item))
    return best


class _Transformer(ast.NodeTransformer):
    """Rewrites a checked tree for exact, bounded evaluation."""

    def __init__(self, known: Mapping[str, Any], known_lists: Mapping[str, Mapping[str, Any]],
                 limits: Limits, source: str = "") -> None:
        self.source = source
        self.constants: dict[str, Any] = {}
        self.known = known
        self.known_lists = known_lists
        self.limits = limits
        # Nodes made here without a source position: compile() needs fix_missing_locations.
        self.unlocated = False

    def _const(self, value: Any, node: ast.AST) -> ast.Name:
        name = f"_k{next(_CONSTANT_IDS)}"  # unique across formulas sharing one globals dict
        self.constants[name] = value
        return ast.copy_location(ast.Name(id=name, ctx=ast.Load()), node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            return node
        return self._const(_literal(node, self.source), node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("true", "True"):
            return ast.copy_location(ast.Constant(True), node)
        if node.id in ("false", "False"):
            return ast.copy_location(ast.Constant(False), node)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        node.left = self.visit(node.left)
        comparators: list[ast.expr] = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (ast.Tuple, ast.List)):
                values = tuple(_literal(e, self.source)
                               for e in right.elts if isinstance(e, ast.Constant))
                comparators.append(self._const(frozenset(values), right))
            else:
                comparators.append(self.visit(right))
        node.comparators = comparators
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            self.unlocated = True
            call = ast.Call(func=ast.Name(id="_pow", ctx=ast.Load()),
                            args=[node.left, node.right], keywords=[])
            return ast.copy_location(call, node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        assert isinstance(node.func, ast.Name)
        name = node.func.id
        if name in AGGREGATES:
            self.unlocated = True  # new keywords, and _bind(...) calls for conditions
            subject = node.args[0]
            fields = self.known_lists.get(subject.id, {}) if isinstance(subject, ast.Name) else {}
            args: list[ast.expr] = [subject]
            for extra in node.args[1:]:
                # A field name stays text; an expression becomes a per-record function.
                if isinstance(extra, ast.Constant) and isinstance(extra.value, str) \
                        and not extra.value.strip().isidentifier():
                    args.append(self._where(extra.value.strip(), fields, extra))
                else:
                    args.append(extra)
            keywords = []
            for kw in node.keywords:
                if kw.arg == "where" and isinstance(kw.value, ast.Constant):
                    keywords.append(ast.keyword(arg="where",
                                                value=self._where(str(kw.value.value), fields,
                                                                  kw)))
                else:
                    keywords.append(ast.keyword(arg=kw.arg, value=self.visit(kw.value)))
            node.args = args
            node.keywords = keywords
            return node
        if name == "date" and node.args and isinstance(node.args[0], ast.Constant):
            return self._const(parse_date(node.args[0].value), node)
        self.generic_visit(node)
        return node

    def _where(self, text: str, fields: Mapping[str, Any], at: ast.AST) -> ast.expr:
        inner = compile_tree(text, known=self.known, fields=fields, known_lists=self.known_lists,
                             limits=self.limits)
        outer = tuple(sorted(n for n in inner.names if n not in fields))
        flt = Filter(text, inner.code, outer, inner.constants)
        self.constants.update(inner.constants)
        ref = self._const(flt, at)
        # _bind(filter, {outer names}) gives the per-record predicate.
        mapping = ast.Dict(keys=[ast.Constant(n) for n in outer],
                           values=[ast.Name(id=n, ctx=ast.Load()) for n in outer])
        return ast.Call(func=ast.Name(id="_bind", ctx=ast.Load()), args=[ref, mapping],
                        keywords=[])


def compile_tree(text: str, *, known: Mapping[str, Any] | None = None,
                 fields: Mapping[str, Any] | None = None,
                 known_lists: Mapping[str, Mapping[str, Any]] | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> Formula:
    """Parse, check and compile `text`. Raises FormulaRejected with every problem found.

    A formula (not a where= condition, `fields` None) returns its value through `_result`, which
    refuses numbers, text and lists beyond the limits.
    """
    limits = effective(limits)
    known = known if known is not None else {}
    known_lists = known_lists if known_lists is not None else {}
    if len(text) > limits.formula_chars:
        raise FormulaRejected([FormulaProblem(
            "formula-too-complex",
            _("formula longer than {limit} characters").format(limit=limits.formula_chars), 1,
            _("split it into derived values"))])
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        column = exc.offset or 1
        raise FormulaRejected([FormulaProblem(
            "formula-syntax",
            _("the formula does not parse: {detail}").format(detail=_parser_words(exc.msg)),
            column, _("check brackets, quotes and operators; `and`/`or`/`not` are words"))]) \
            from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaRejected([FormulaProblem("formula-too-complex",
                                              _("the formula is too deeply nested"), 1)]) from None
    if _depth(tree) > limits.formula_depth:
        raise FormulaRejected([FormulaProblem(
            "formula-too-complex",
            _("the formula nests deeper than {limit} levels").format(limit=limits.formula_depth),
            1, _("split it into derived values"))])
    checker = _Checker({**known, **{k: None for k in known_lists}}, fields, known_lists, limits,
                       text.strip())
    checker.visit(tree)
    if checker.count > limits.formula_nodes:
        checker.problems.append(FormulaProblem(
            "formula-too-complex",
            _("the formula has more than {limit} parts").format(limit=limits.formula_nodes), 1,
            _("split it into derived values")))
    if checker.problems:
        raise FormulaRejected(checker.problems)
    transformer = _Transformer(known, known_lists, limits, text.strip())
    tree = transformer.visit(tree)
    if fields is None:
        body = tree.body
        result = ast.copy_location(ast.Name(id="_result", ctx=ast.Load()), body)
        tree.body = ast.copy_location(ast.Call(func=result,
                                               args=[body], keywords=[]), body)
    if transformer.unlocated:
        tree = ast.fix_missing_locations(tree)
    code = compile(tree, "<formula>", "eval")
    names = [(n, c) for n, c in checker.names if fields is None or n not in fields]
    return Formula(text=text, code=code, names=frozenset(n for n, _ in names),
                   name_columns=tuple(names), constants=MappingProxyType(transformer.constants),
                   expression=tree.body, work=checker.work)


# ----------------------------------------------------------------------------------------------
# Functions available to formulas. All are pure and bounded.


# Significant digits of the arithmetic (numeric.CONTEXT): a result is kept exact when rounded.
RESULT_DIGITS = CONTEXT.prec


class FormulaRuntimeError(ArithmeticError):
    """A formula failed on one unit's values."""


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise FormulaRuntimeError(_("not a date (YYYY-MM-DD): {value}").format(
            value=repr(value))) from None


def _number(value: Any, what: str, **names: str) -> Decimal:
    """`value` as a number. `what` names the argument (marked with N_ when it has words; its
    placeholders are filled from `names`) and is only translated when the value is refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, bool)):
        return Decimal(int(value))
    raise FormulaRuntimeError(_("{what} needs a number, got {value}").format(
        what=_(what).format(**names), value=repr(value)))


def _records(value: Any, what: str) -> tuple[Mapping[str, Any], ...]:
    if isinstance(value, tuple):
        return value
    raise FormulaRuntimeError(_("{function}() needs a list fact").format(function=what))


def _select(records: tuple[Mapping[str, Any], ...],
            where: Callable[[Mapping[str, Any]], Any] | None) -> list[Mapping[str, Any]]:
    if where is None:
        return list(records)
    return [r for r in records if where(r)]


def _field_values(name: str, records: Any, field: str | Callable[[Mapping[str, Any]], Any],
                  where: Callable[[Mapping[str, Any]], Any] | None) -> list[Decimal]:
    """The chosen records' values of a field, or of a per-record expression."""
    chosen = _select(_records(records, name), where)
    if callable(field):
        return [_number(field(r), N_("{function}() per-record value"), function=name)
                for r in chosen]
    return [_number(r[field.strip()], N_("{function}() field `{field}`"), function=name,
                    field=field) for r in chosen]


def make_functions(policy: NumericPolicy, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The function table for one numeric policy (round() uses the scheme's rounding mode)."""
    limits = effective(limits)

    def f_count(records: Any, where: Any = None) -> Decimal:
        return Decimal(len(_select(_records(records, "count"), where)))

    def f_sum(records: Any, field_name: Any, where: Any = None) -> Decimal:
        return sum(_field_values("sum", records, field_name, where), ZERO)

    def f_avg(records: Any, field_name: Any, where: Any = None, default: Any = ZERO) -> Decimal:
        values = _field_values("avg", records, field_name, where)
        if not values:
            return _number(default, N_("avg() default"))
        return CONTEXT.divide(sum(values, ZERO), Decimal(len(values)))

    def f_min_of(records: Any, field_name: Any, where: Any = None, default: Any = ZERO) -> Any:
        values = _field_values("min_of", records, field_name, where)
        return min(values) if values else default

    def f_max_of(records: Any, field_name: Any, where: Any = None, default: Any = ZERO) -> Any:
        values = _field_values("max_of", records, field_name, where)
        return max(values) if values else default

    def f_any(records: Any, where: Any = None) -> bool:
        return bool(_select(_records(records, "any"), where))

    def f_all(records: Any, where: Any = None) -> bool:
        chosen = _records(records, "all")
        return len(_select(chosen, where)) == len(chosen)

    def f_min(*values: Any) -> Any:
        return min(values)

    def f_max(*values: Any) -> Any:
        return max(values)

    def f_abs(value: Any) -> Decimal:
        return abs(_number(value, "abs()"))

    def f_clamp(value: Any, low: Any, high: Any) -> Decimal:
        return max(_number(low, "clamp()"), min(_number(high, "clamp()"),
                                                _number(value, "clamp()")))

    def f_round(value: Any, places: Any = ZERO) -> Decimal:
        wanted = _number(places, N_("round() places"))
        if not 0 <= wanted <= 10:  # compared before int(): int(1E+999999) takes a minute
            raise FormulaRuntimeError(_("round() places must be between 0 and 10"))
        return policy.round_to(_number(value, "round()"), int(wanted))

    # to_integral_value stays a Decimal: math.floor would build a Python int of every digit.
    def f_floor(value: Any) -> Decimal:
        return _number(value, "floor()").to_integral_value(decimal.ROUND_FLOOR, CONTEXT) + 0

    def f_ceil(value: Any) -> Decimal:
        return _number(value, "ceil()").to_integral_value(decimal.ROUND_CEILING, CONTEXT) + 0

    def f_ratio(actual: Any, target: Any, cap: Any = None) -> Decimal:
        target_n = _number(target, N_("ratio() target"))
        if target_n == 0:
            return ZERO
        result = CONTEXT.divide(_number(actual, N_("ratio() actual")), target_n)
        if cap is not None:
            result = min(result, _number(cap, N_("ratio() cap")))
        return result

    def f_band(value: Any, edges: Any, values: Any, default: Any = ZERO) -> Any:
        if not isinstance(edges, (tuple, list)) or not isinstance(values, (tuple, list)) \
                or len(edges) != len(values):
            raise FormulaRuntimeError(_("band() needs two lists of the same length"))
        x = _number(value, "band()")
        chosen, previous = default, None
        for edge, result in zip(edges, values, strict=True):
            bound = _number(edge, N_("band() edge"))
            if previous is not None and bound <= previous:
                raise FormulaRuntimeError(
                    _("the edges of band() must rise strictly from left to right"))
            previous = bound
            if x >= bound:
                chosen = result
        return chosen

    def f_days(start: Any, end: Any) -> Decimal:
        return Decimal((parse_date(end) - parse_date(start)).days)

    def f_date(value: Any) -> dt.date:
        return parse_date(value)

    def power(base: Any, exponent: Any) -> Decimal:
        b = _number(base, "**")
        e = _number(exponent, "**")
        if abs(e) > limits.max_exponent:
            raise FormulaRuntimeError(_("exponent {exponent} is larger than {limit}").format(
                exponent=e, limit=limits.max_exponent))
        if b == 0 and e < 0:
            raise FormulaRuntimeError(_("zero to a negative power"))
        return CONTEXT.power(b, e)

    def bind(flt: Filter, outer: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], Any]:
        env = {**table, **flt.constants}  # the condition's own literals (_k names)

        def matches(record: Mapping[str, Any]) -> Any:
            scope = dict(outer)
            scope.update(record)
            return eval(flt.code, env, scope)

        return matches

    table: dict[str, Any] = {
        "count": f_count, "sum": f_sum, "avg": f_avg, "min_of": f_min_of, "max_of": f_max_of,
        "any": f_any, "all": f_all, "min": f_min, "max": f_max, "abs": f_abs,
        "clamp": f_clamp, "round": f_round, "floor": f_floor, "ceil": f_ceil,
        "ratio": f_ratio, "band": f_band, "days": f_days, "date": f_date,
        "_pow": power, "_bind": bind, "__builtins__": {},
        "_result": bounded_result(limits, policy), "_limits": limits,
    }
    return table


def bounded_result(limits: Limits, policy: NumericPolicy) -> Callable[[Any], Any]:
    """The check every formula's value passes (`_result`).

    A number must be exact once rounded to the policy's places: fewer than 34 - places digits
    before the decimal point (so rounding never needs more than the arithmetic's 34 digits), and,
    unless zero, at least 10**-fraction_digits; text at most text_chars characters; a list at
    most max_list_records records. Values inside one formula are bounded by its size; this keeps
    a chain of derived values from growing without end.
    """
    low, high = -limits.fraction_digits, RESULT_DIGITS - policy.places
    text_chars, records = limits.text_chars, limits.max_list_records

    def _result(value: Any) -> Any:
        kind = type(value)
        if kind is Decimal:
            if low <= value.adjusted() < high and value.is_finite():
                return value
            if not value and value.is_finite():
                return ZERO  # 0E-999999 is zero, written with a million zeros
            raise FormulaRuntimeError(_("the result {problem}").format(
                problem=result_problem(value, limits, high)))
        if kind is str and len(value) > text_chars:
            raise FormulaRuntimeError(_("the result is text of {length} characters, more than "
                                        "{limit}").format(length=len(value), limit=text_chars))
        if kind is tuple and len(value) > records:
            raise FormulaRuntimeError(_("the result is a list of {count} items, more than "
                                        "{limit}").format(count=len(value), limit=records))
        return value

    return _result


def _guarded(function: Callable[..., Any], name: str, most: int, work: int,
             limit: int) -> Callable[..., Any]:
    """A list function that refuses a list longer than `most` records before reading it."""

    def guarded(records: Any, *args: Any, **kwargs: Any) -> Any:
        if type(records) is tuple and len(records) > most:
            raise FormulaRuntimeError(_(
                "{name}() would read {count} records; this scheme's list functions and "
                "conditions ({work} parts per record) allow at most {most} records per list "
                "within the work limit of {limit} (Limits.unit_work)").format(
                    name=name, count=len(records), work=work, most=most, limit=limit))
        return function(records, *args, **kwargs)

    return guarded


def build_globals(functions: dict[str, Any], formulas: Iterable[Formula]) -> dict[str, Any]:
    """One globals dict holding the functions and every formula's constants.

    The list functions are guarded by the work limit: with W parts run per record over the whole
    scheme (each formula's `work`), a unit's list may have at most unit_work // W records, so
    that evaluating one unit never runs more than unit_work parts, however its facts look.
    """
    env = dict(functions)
    work = 0
    for formula in formulas:
        env.update(formula.constants)
        work += formula.work
    limits: Limits = functions.get("_limits", DEFAULT_LIMITS)
    if work:
        most = limits.unit_work // work
        for name in AGGREGATES:
            if name in env:
                env[name] = _guarded(env[name], name, most, work, limits.unit_work)
    return env


# ----------------------------------------------------------------------------------------------
# Reference evaluation with simpleeval, for checking the compiled path.


def reference_evaluate(text: str, values: Mapping[str, Any], policy: NumericPolicy) -> Any:
    """Evaluate `text` with simpleeval: no compilation, the same functions, exact decimals."""
    from simpleeval import SimpleEval

    table = make_functions(policy)

    class DecimalEval(SimpleEval):  # type: ignore[misc]
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            # Literal lists, for band() and `in`: SimpleEval itself refuses tuples and lists.
            self.nodes[ast.Tuple] = lambda node: tuple(self._eval(e) for e in node.elts)
            self.nodes[ast.List] = self.nodes[ast.Tuple]
            # Names are plain values: no attribute access (`facts.clear()`), no indexing.
            for refused in (ast.Attribute, ast.Subscript):
                self.nodes.pop(refused, None)

        def _eval_constant(self, node: ast.Constant) -> Any:
            return _literal(node, self.expr.strip())  # simpleeval parses expr.strip()

        def _eval_name(self, node: ast.Name) -> Any:
            if node.id in ("true", "True"):
                return True
            if node.id in ("false", "False"):
                return False
            return super()._eval_name(node)

        def _eval_binop(self, node: ast.BinOp) -> Any:
            if isinstance(node.op, ast.Pow):
                return table["_pow"](self._eval(node.left), self._eval(node.right))
            return super()._eval_binop(node)

    def where_of(where: Any) -> Any:
        if where is None:
            return None

        def matches(record: Mapping[str, Any]) -> Any:
            inner = DecimalEval(names={**values, **record}, functions=functions)
            return inner.eval(where)

        return matches

    def aggregate(name: str) -> Callable[..., Any]:
        target = table[name]

        def call(*args: Any, where: Any = None, **kwargs: Any) -> Any:
            if len(args) > 1 and isinstance(args[1], str) and not args[1].strip().isidentifier():
                args = (args[0], where_of(args[1].strip()), *args[2:])
            return target(*args, where=where_of(where), **kwargs)

        return call

    functions = {k: v for k, v in table.items() if not k.startswith("_")}
    functions.update({name: aggregate(name) for name in AGGREGATES})
    evaluator = DecimalEval(names=dict(values), functions=functions)
    evaluator.operators[ast.In] = lambda a, b: a in tuple(
        to_decimal(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else x
        for x in b)
    evaluator.operators[ast.NotIn] = lambda a, b: not evaluator.operators[ast.In](a, b)
    with decimal.localcontext(CONTEXT):  # the evaluator's context: 34 digits, traps on
        return evaluator.eval(text.strip())
