"""Fuzz the facts readers: any bytes read as YAML, JSON, CSV or XLSX facts give units or
diagnostics, never an exception, a hang or a crash.

    python fuzz/fuzz_facts.py -max_total_time=600 fuzz/corpus/facts   # the longer run
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["evalrules"]):
    from common import BASE_SCHEME, FUZZ_LIMITS, ROOT

    from evalrules import api
    from evalrules.facts import check_facts_data, check_facts_file
    from evalrules.limits import Limits

LIMITS = Limits(**FUZZ_LIMITS)
SCHEME = api.load_scheme(BASE_SCHEME).model
XLSX = (ROOT / "tests" / "hostile" / "base" / "facts.xlsx").read_bytes()
FOLDER = Path(tempfile.mkdtemp(prefix="evalrules-fuzz-"))


def TestOneInput(data: bytes) -> None:  # atheris's name
    if not data:
        return
    kind, body = data[0] % 4, data[1:]
    if kind == 0:  # YAML or JSON text
        check_facts_data(SCHEME, body, "fuzz.yaml", LIMITS)
        return
    if kind == 3:  # a valid workbook with some of its bytes replaced
        mutated = bytearray(XLSX)
        for i in range(0, len(body) - 2, 3):
            mutated[(body[i] << 8 | body[i + 1]) % len(mutated)] = body[i + 2]
        body = bytes(mutated)
    path = FOLDER / ("fuzz.csv" if kind == 1 else "fuzz.xlsx")
    path.write_bytes(body)
    check_facts_file(SCHEME, path, LIMITS)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
