"""The example-enterprise generator: deterministic, valid, and realistically spread."""

from __future__ import annotations

from collections import Counter

import evalrules
from evalrules.facts import parse_facts
from evalrules.generate import generate, to_yaml

from .conftest import ROOT

SCHEME = evalrules.load_scheme(ROOT / "schemes" / "star-branch-5521.yaml")
EXAMPLES = SCHEME.read_facts(ROOT / "examples" / "star-branch-5521" / "facts.yaml").units


def test_same_seed_same_file_other_seed_other_file() -> None:
    first = to_yaml(generate(SCHEME.model, EXAMPLES, 40, seed=7), SCHEME.id)
    assert first == to_yaml(generate(SCHEME.model, EXAMPLES, 40, seed=7), SCHEME.id)
    assert first != to_yaml(generate(SCHEME.model, EXAMPLES, 40, seed=8), SCHEME.id)


def test_generated_enterprise_is_valid_and_mostly_three_or_four_stars() -> None:
    """359 branches over the five categories; every fact valid; few vetoes."""
    text = to_yaml(generate(SCHEME.model, EXAMPLES), SCHEME.id, "2024-Q1")
    facts = parse_facts(SCHEME.model, text.encode("utf-8"), "enterprise.yaml")
    assert len(facts.units) == 359
    assert len({u.id for u in facts.units}) == 359 and len({u.name for u in facts.units}) == 359
    assert {u.category for u in facts.units} == {c.id for c in SCHEME.model.categories}
    results = [SCHEME.evaluate(u) for u in facts.units]
    stars = Counter(r.ratings["stars"] for r in results)
    assert stars["3"] + stars["4"] > 0.5 * 359
    vetoed = sum(1 for r in results if not r.award_eligible)
    assert 0 < vetoed < 0.15 * 359


def test_shipped_enterprise_file_is_the_generator_output() -> None:
    """examples/star-branch-5521/enterprise.yaml is reproducible from the seed."""
    shipped = (ROOT / "examples" / "star-branch-5521" / "enterprise.yaml").read_text("utf-8")
    regenerated = to_yaml(generate(SCHEME.model, EXAMPLES), SCHEME.id, "2024-Q1",
                          shipped.split("\n", 1)[0].removeprefix("# "))
    assert shipped == regenerated
