"""Fuzz the strict YAML loader and the scheme checker: any text gives a document or diagnostics,
never an exception, a hang or a crash.

    python fuzz/fuzz_yaml.py -max_total_time=600 fuzz/corpus/yaml   # the longer run
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["evalrules"]):
    from common import FUZZ_LIMITS

    from evalrules import api
    from evalrules.limits import Limits
    from evalrules.yamlsource import load_yaml

LIMITS = Limits(**FUZZ_LIMITS)


def TestOneInput(data: bytes) -> None:  # atheris's name
    text = data.decode("utf-8", "replace")
    load_yaml(text, "fuzz.yaml", LIMITS)  # returns diagnostics; must never raise
    if data[:1] == b"e":  # sometimes as a whole scheme: schema, model, formulas, graph
        api.check("evalrules: 1\n" + text[1:], LIMITS)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
