"""A year of monthly facts for the example enterprise, coherent from month to month.

    python examples/star-branch-5521-monthly/year.py OUT_DIR [--units 359] [--seed 2024]
    python examples/star-branch-5521-monthly/year.py OUT_DIR --run results.db   # and run it

writes OUT_DIR/2024-01.yaml … OUT_DIR/2024-12.yaml for schemes/star-branch-5521-monthly.yaml.
Each month starts from `evalrules generate` (the units of facts.yaml beside this file, varied
with the seed plus the month), then the facts that only make sense across months are made
coherent:

- what does not change within a year (members, committee, election date, brand, venue, …)
  keeps the January value;
- quarter-to-date facts (党员大会, 党课) never go down within a quarter and restart each
  quarter; year-to-date facts (training hours, 组织生活会, 民主评议) never go down within the year;
- dates (evaluation date, deadlines, accidents) fall in their month;
- a problem that opens a rectification item (通报批评, 党费管理不规范) is reported rectified one
  to three months later, or never, so that some items run past their deadline.

With --run STORE the script also runs the year through the command line (twelve monthly
evaluations, four quarterly roll-ups, the annual roll-up and the ranking) and prints the wall
time of each step. The same seed always gives the same files.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import os
import random
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCHEME = ROOT / "schemes" / "star-branch-5521-monthly.yaml"
EXAMPLES = HERE / "facts.yaml"

# Facts that stay as they were in January for the whole year.
STATIC = ("full_members", "probationary_members", "committee_size", "committee_vacancies",
          "last_election_date", "term_extension_approved", "secretary_party_years",
          "brand_level", "activity_venue", "activists", "pioneer_members", "weak_lax_listed")
HALF = Decimal("0.5")


def _month_date(value: dt.date, year: int, month: int) -> dt.date:
    return dt.date(year, month, min(value.day, calendar.monthrange(year, month)[1]))


def _halves(value: float) -> Decimal:
    return (Decimal(str(value)) / HALF).quantize(Decimal(1)) * HALF


def _plan(unit_id: str, seed: int) -> dict[str, Any]:
    """One unit's year: when its meetings, lectures and 组织生活会 happen, its training pace."""
    rng = random.Random(f"{seed}:{unit_id}")
    quarters = []
    for _ in range(4):
        meeting = rng.choices((1, 2, 3, None), weights=(30, 30, 36, 4))[0]
        lecture = rng.choices((1, 2, 3, None), weights=(30, 30, 36, 4))[0]
        quarters.append({"meeting": meeting, "lecture": lecture,
                         "planned": rng.random() < 0.97,
                         "secretary": rng.random() < 0.8, "uploaded": rng.random() < 0.95})
    olm = rng.choices((11, 12, None), weights=(35, 60, 5))[0]
    pace = rng.uniform(0.8, 1.2)
    return {"quarters": quarters, "olm": olm, "olm_rect": rng.random() < 0.9,
            "appraisal": rng.random() < 0.95,
            "member_hours": [_halves(rng.uniform(2.0, 3.4) * pace) for _ in range(12)],
            "committee_hours": [_halves(rng.uniform(3.8, 5.6) * pace) for _ in range(12)],
            "rng": rng}


def make_year(units: int = 359, seed: int = 2024, year: int = 2024
              ) -> dict[str, list[dict[str, Any]]]:
    """Period text → unit records (id, name, category, facts), January to December."""
    sys.path.insert(0, str(ROOT / "src"))
    import evalrules
    from evalrules.generate import generate

    scheme = evalrules.load_scheme(SCHEME)
    examples = scheme.read_facts(EXAMPLES).units
    plans: dict[str, dict[str, Any]] = {}
    january: dict[str, dict[str, Any]] = {}
    closing: dict[tuple[str, int], list[dict[str, str]]] = {}  # (unit, month) → items closed
    out: dict[str, list[dict[str, Any]]] = {}
    for month in range(1, 13):
        period = f"{year}-{month:02d}"
        quarter, position = (month - 1) // 3, (month - 1) % 3 + 1
        records = generate(scheme.model, examples, units, seed * 100 + month)
        for record in records:
            facts = record["facts"]
            plan = plans.setdefault(record["id"], _plan(record["id"], seed))
            rng: random.Random = plan["rng"]
            first = january.setdefault(record["id"], {k: facts.get(k) for k in STATIC})
            for key, value in first.items():
                if value is None:
                    facts.pop(key, None)
                else:
                    facts[key] = value
            facts["evaluation_date"] = dt.date(year, month, calendar.monthrange(year, month)[1])
            for item in facts.get("work_items", []):
                late = item["submitted"] > item["due"]
                item["due"] = _month_date(item["due"], year, month)
                item["submitted"] = item["due"] + dt.timedelta(days=rng.randint(1, 4)) if late \
                    else item["due"] - dt.timedelta(days=rng.randint(0, 3))
            for incident in facts.get("incidents", []):
                incident["occurred"] = _month_date(incident["occurred"], year, month)
            if facts.get("serious_cases") and rng.random() < 0.9:
                facts["serious_cases"] = Decimal(0)  # rarer than once a quarter
            if facts.get("dues_discretion") and rng.random() < 0.75:
                del facts["dues_discretion"]  # the 党费 ledger is not faulted every month
            # quarter-to-date: 党员大会 and 党课 counted from the quarter's first month
            q = plan["quarters"][quarter]
            held = q["lecture"] is not None and position >= q["lecture"]
            facts["general_meetings_qtd"] = Decimal(
                int(q["meeting"] is not None and position >= q["meeting"]))
            facts["party_lectures_qtd"] = Decimal(int(held))
            facts["lecture_planned"] = q["planned"]
            facts["secretary_lecture"] = held and q["secretary"]
            facts["lecture_record_uploaded"] = held and q["uploaded"]
            # year-to-date: training hours and the year's 组织生活会 and 民主评议
            facts["member_training_hours_ytd"] = sum(plan["member_hours"][:month], Decimal(0))
            facts["committee_training_hours_ytd"] = sum(plan["committee_hours"][:month],
                                                        Decimal(0))
            olm_done = plan["olm"] is not None and month >= plan["olm"]
            facts["olm_talks_done"] = plan["olm"] is not None and month >= plan["olm"] - 1
            facts["olm_held"] = olm_done
            facts["olm_rectification"] = olm_done and plan["olm_rect"]
            facts["appraisal_done"] = olm_done and plan["appraisal"]
            # rectification: this month's problems are reported rectified later, or never
            found = (["criticism"] if facts.get("criticism_notices") else []) + (
                ["dues_mismanagement"] if facts.get("dues_discretion") else [])
            for rule in found:
                delay = rng.choices((1, 2, 3, None), weights=(55, 20, 10, 15))[0]
                if delay is not None and month + delay <= 12:
                    closing.setdefault((record["id"], month + delay), []).append(
                        {"rule": rule, "found": period})
            closed = closing.get((record["id"], month))
            if closed:
                facts["rectified_items"] = closed
        out[period] = records
    return out


def write_year(directory: Path, units: int = 359, seed: int = 2024, year: int = 2024
               ) -> list[Path]:
    """Write the twelve facts files; return their paths in month order."""
    from evalrules.generate import to_yaml

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for period, records in make_year(units, seed, year).items():
        path = directory / f"{period}.yaml"
        path.write_text(to_yaml(records, "star-branch-5521-monthly", period,
                                f"{units} branches, {period}: examples/star-branch-5521-monthly/"
                                f"year.py (seed {seed})"), "utf-8")
        paths.append(path)
    return paths


def _run(store: Path, files: list[Path], year: int) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH", "")) if p)}

    def step(*args: str) -> None:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "evalrules.cli", *args],
                              capture_output=True, text=True, check=False, env=env)
        if done.returncode != 0:
            sys.exit(f"evalrules {' '.join(args)} failed:\n{done.stderr}")
        print(f"{time.perf_counter() - started:6.2f} s  evalrules {' '.join(args[:1])} "
              f"{' '.join(a for a in args[2:] if not a.endswith('.db'))}", flush=True)

    scheme = str(SCHEME)
    for path in files:
        step("evaluate", scheme, str(path), "--store", str(store))
    for quarter in range(1, 5):
        step("rollup", scheme, "--store", str(store), "--period", f"{year}-Q{quarter}")
    step("rollup", scheme, "--store", str(store), "--period", str(year))
    step("rank", scheme, "--store", str(store), "--period", str(year), "--kind", "annual")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--units", type=int, default=359)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--run", type=Path, default=None, metavar="STORE",
                        help="also run the year into this results store, timing each step")
    args = parser.parse_args()
    started = time.perf_counter()
    files = write_year(args.directory, args.units, args.seed, args.year)
    print(f"{time.perf_counter() - started:6.2f} s  generated {len(files)} months of "
          f"{args.units} units in {args.directory}", flush=True)
    if args.run is not None:
        begun = time.perf_counter()
        _run(args.run, files, args.year)
        print(f"{time.perf_counter() - begun:6.2f} s  the year, month → quarter → year")


if __name__ == "__main__":
    main()
