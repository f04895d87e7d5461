"""Fuzz the formula compiler and evaluator: any formula text either is refused with
diagnostics or compiles; a compiled formula evaluated on any unit's values gives a value or one
of the failures the evaluator reports as EvaluationError, never another exception. One input in
sixteen also goes through the whole library (a scheme around the formula, `evaluate` and
`score` on a unit), where only EvalrulesError may come out.

    python fuzz/fuzz_formula.py -max_total_time=600 fuzz/corpus/formula   # the longer run
"""

from __future__ import annotations

import contextlib
import decimal
import json
import sys
from decimal import Decimal
from types import MappingProxyType

import atheris

with atheris.instrument_imports(include=["evalrules"]):
    from common import BASE_SCHEME, FUZZ_LIMITS

    from evalrules import api
    from evalrules.errors import EvalrulesError
    from evalrules.formula import (
        FormulaRejected,
        FormulaRuntimeError,
        build_globals,
        compile_tree,
        make_functions,
    )
    from evalrules.limits import Limits
    from evalrules.numeric import CONTEXT, NumericPolicy

LIMITS = Limits(**FUZZ_LIMITS)
POLICY = NumericPolicy()
BASE = BASE_SCHEME.read_text("utf-8")
TARGET = "        points: full - 5 * max(0, 12 - meetings)\n"
KNOWN = {"meetings": None, "members": None, "rate": None, "note": None, "brand": None,
         "full": None}
LISTS = {"incidents": {"level": None, "persons": None}}
# What the evaluator turns into EvaluationError for one unit (evaluate.Evaluator._run).
UNIT_FAILURES = (FormulaRuntimeError, ArithmeticError, TypeError, ValueError)


def _values(fdp: atheris.FuzzedDataProvider) -> dict[str, object]:
    records = tuple(MappingProxyType({"level": fdp.PickValueInList(["major", "ordinary"]),
                                      "persons": Decimal(fdp.ConsumeIntInRange(0, 99))})
                    for _ in range(fdp.ConsumeIntInRange(0, 5)))
    number = Decimal(fdp.ConsumeIntInRange(-10**6, 10**6)).scaleb(fdp.ConsumeIntInRange(-8, 8))
    return {"meetings": number, "members": Decimal(fdp.ConsumeIntInRange(0, 50)),
            "rate": Decimal(fdp.ConsumeIntInRange(0, 100)), "full": Decimal(50),
            "note": fdp.ConsumeUnicodeNoSurrogates(12),
            "brand": fdp.PickValueInList(["none", "company", "city"]), "incidents": records}


def TestOneInput(data: bytes) -> None:  # atheris's name
    fdp = atheris.FuzzedDataProvider(data)
    whole = fdp.ConsumeIntInRange(0, 15) == 0
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 300))
    try:
        formula = compile_tree(text, known=KNOWN, known_lists=LISTS, limits=LIMITS)
    except FormulaRejected:
        formula = None
    if formula is not None:
        env = build_globals(make_functions(POLICY, LIMITS), [formula])
        with decimal.localcontext(CONTEXT), contextlib.suppress(UNIT_FAILURES):
            formula.evaluate(env, _values(fdp))
    if whole:
        compiled, _ = api.check(BASE.replace(TARGET, f"        points: {json.dumps(text)}\n"),
                                LIMITS)
        if compiled is None:
            return
        unit = {"id": "F1", "category": "production",
                "facts": {"meetings": fdp.ConsumeIntInRange(0, 40),
                          "members": fdp.ConsumeIntInRange(0, 40),
                          "note": fdp.ConsumeUnicodeNoSurrogates(20)}}
        for run in (compiled.evaluate, compiled.score):
            with contextlib.suppress(EvalrulesError):
                run(unit)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
