"""Limits on what evalrules reads and computes, as one object passed in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    scheme_bytes: int = 2_000_000
    yaml_depth: int = 64
    yaml_nodes: int = 200_000
    facts_bytes: int = 500_000_000
    formula_chars: int = 2_000
    formula_nodes: int = 400
    formula_depth: int = 40
    max_exponent: int = 100
    max_list_records: int = 100_000


DEFAULT_LIMITS = Limits()
