"""Shared pieces of the atheris harnesses: a scheme to fuzz against, and the rule every target
follows: the only exceptions that may come out of evalrules are its own (EvalrulesError)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE_SCHEME = ROOT / "tests" / "hostile" / "base" / "scheme.yaml"

# Small limits make the fuzzer reach the limits' edges quickly.
FUZZ_LIMITS = dict(scheme_bytes=20_000, yaml_depth=12, yaml_nodes=2_000, text_chars=2_000,
                   formula_chars=400, formula_nodes=120, formula_depth=16, facts_bytes=50_000,
                   facts_nodes=5_000, table_rows=500, table_columns=60, unit_work=200_000,
                   max_list_records=200, xlsx_bytes=2_000_000, xlsx_members=60)
