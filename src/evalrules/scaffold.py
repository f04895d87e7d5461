"""A commented scaffold of a new scheme (`evalrules init`) that checks, tests and lints clean.

The scaffold shows one of everything an author needs first: the five branch categories, facts
of each common type, a derived value, criteria of each kind (a condition, a deduction formula,
a proportion, tiers), maxima per category, a deduction per occurrence, a discretionary
deduction, a veto, a star rating and two embedded tests that exercise every criterion and rule.
"""

from __future__ import annotations

import re

from .i18n import N_, _

SCHEME_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

_TEMPLATE = """\
# yaml-language-server: $schema=../schemas/scheme.schema.json
#
# {heading}
{c_intro}
evalrules: 1
id: {id}
title: {title}
version: "{year}.1"                 # {c_version}
effective: {year}-01-01
owner: 党委组织部
description: >-
  按照“党支部分类定级、党建工作分类指导”的要求，对各类党支部开展百分制考评：
  基础指标为通用标准，专项指标按支部类别设置分值。
scale: 100                          # {c_scale}
numeric:
  places: 2                         # {c_places}
  rounding: half_up                 # {c_rounding}

{c_categories}
categories:
  - {{id: production, label: 生产类}}
  - {{id: auxiliary, label: 辅助类}}
  - {{id: general_management, label: 综合管理类}}
  - {{id: market_operation, label: 市场经营类}}
  - {{id: non_public_restructured, label: 非公改制类}}

{c_facts}
facts:
  - {{id: full_members, label: 正式党员人数, type: integer, unit: 人, min: 0, max: 500}}
  - id: committee_meetings
    label: 本季度支委会召开次数
    type: integer
    unit: 次
    min: 0
    max: 31
  - id: training_hours
    label: 党员人均集中培训学时（本季度）
    type: number
    unit: 学时
    min: 0
    max: 200
  - id: expected_person_times
    label: 组织生活应到人次
    type: integer
    unit: 人次
    min: 1
    max: 5000
  - id: attended_person_times
    label: 组织生活实到人次
    type: integer
    unit: 人次
    min: 0
    max: 5000
  - {{id: output_plan, label: 产量（工作量）计划, type: number, min: 0.01, max: 100000000}}
  - {{id: output_actual, label: 产量（工作量）实际完成, type: number, min: 0, max: 100000000}}
  - id: major_accidents
    label: 本季度重大安全生产事故起数
    type: integer
    unit: 起
    min: 0
    max: 10
    default: 0                      # {c_default}
  - id: late_items
    label: 逾期提交的重点工作任务数
    type: integer
    unit: 项
    min: 0
    max: 50
    default: 0
{c_discretionary}
  - id: dues_discretion
    label: 党费收缴管理不规范酌情扣分
    type: discretionary
    min: 0
    max: 3
    default: 0

{c_derived}
derived:
  - id: attendance_rate
    label: 组织生活出勤率
    formula: ratio(attended_person_times, expected_person_times, cap=1)

{c_indicators}
indicators:
  - id: basic
    label: 基础指标
    description: 各类党支部通用的基础考核指标。
    basis: 党支部考核评价办法
    max: 60
    children:
{c_condition}
      - id: branch_size
        label: 正式党员3人以上成立党支部
        basis: 《中国共产党支部工作条例（试行）》第四条
        max: 10
        when: full_members >= 3
{c_formula}
      - id: committee_meetings_held
        label: 支委会每月召开1次（每季度3次）
        basis: 《中国共产党支部工作条例（试行）》第十二条
        max: 20
        points: full - 5 * max(0, 3 - committee_meetings)
{c_proportion}
      - id: member_training
        label: 党员集中培训学时达标（每季度8学时）
        basis: 《全国党员教育培训工作规划》
        max: 20
        points: ratio(training_hours, 8, cap=1) * full
{c_tiers}
      - id: attendance
        label: 党员参加组织生活出勤率
        basis: 《中国共产党支部工作条例（试行）》三会一课制度
        max: 10
        points: band(attendance_rate, (0.7, 0.8, 0.9), (4, 7, 10))
  - id: special
    label: 专项指标
    description: 按支部类别设置分值的专项考核指标。
    basis: 党支部考核评价办法
    max: 40
    children:
{c_per_category}
      - id: output
        label: 产量（工作量）完成
        basis: 党支部考核评价办法
        max: {{production: 25, auxiliary: 20, general_management: 15, market_operation: 20,
              default: 20}}
        points: ratio(output_actual, output_plan, cap=1) * full
      - id: safety
        label: 安全生产无重大事故
        basis: 党支部考核评价办法
        max: {{production: 15, auxiliary: 20, general_management: 25, market_operation: 20,
              default: 20}}
        when: major_accidents == 0

{c_deductions}
deductions:
  - id: late_work_items
    label: 重点工作任务逾期提交
    description: 每逾期1项扣0.5分，最多扣3分。
    basis: 党支部考核评价办法
    points: 0.5
    per: late_items
    cap: 3
  - id: dues_mismanagement
    label: 党费收缴管理不规范（酌情扣1-3分）
    basis: 中共中央组织部《关于中国共产党党费收缴、使用和管理的规定》
    applies_to: basic
    points: dues_discretion
    range: [0, 3]
    cap: 3

{c_vetoes}
vetoes:
  - id: major_safety_accident
    label: 发生重大安全生产事故
    basis: 党支部考核评价办法（否决项）
    when: major_accidents > 0
    reason: 发生重大安全生产事故，实行一票否决，本期不得评星，取消评先资格
    effects:
      - {{rating: stars, set: "0"}}
      - {{no_award: true}}

{c_ratings}
ratings:
  - id: stars
    label: 星级
    of: total
    levels:
      - {{id: "5", label: 五星级, range: "[90, +inf)"}}
      - {{id: "4", label: 四星级, range: "[80, 90)"}}
      - {{id: "3", label: 三星级, range: "[70, 80)"}}
      - {{id: "2", label: 二星级, range: "[60, 70)"}}
      - {{id: "1", label: 一星级, range: "(-inf, 60)"}}
      - {{id: "0", label: 无星}}          # {c_no_band}

{c_tests}
tests:
  - name: 各项满分评为五星级
    category: production
    facts:
      {{
        full_members: 12, committee_meetings: 3, training_hours: 8,
        expected_person_times: 60, attended_person_times: 58,
        output_plan: 5000, output_actual: 5200
      }}
    expect:
      total: 100
      points: {{basic: 60, special: 40}}
      ratings: {{stars: "5"}}
      fired: []
      award_eligible: true
{c_second_test}
  - name: 各项失分、扣分并一票否决
    category: auxiliary
    facts:
      {{
        full_members: 2, committee_meetings: 2, training_hours: 6,
        expected_person_times: 100, attended_person_times: 80,
        output_plan: 5000, output_actual: 4500,
        major_accidents: 1, late_items: 2,
        dues_discretion: {{value: 1, reason: 党费收缴台账个别月份未登记}}
      }}
    expect:
      total: 53
      points:
        {{
          basic: 36, special: 18, branch_size: 0, committee_meetings_held: 15,
          member_training: 15, attendance: 7, output: 18, safety: 0
        }}
      ratings: {{stars: "0"}}
      fired: [late_work_items, dues_mismanagement, major_safety_accident]
      award_eligible: false
"""


# The guidance comments of the scaffold, by the placeholder that takes them: (indent of a comment
# on lines of its own, or None for one at the end of a line; the text, one line per line, with
# `{file}` for the scheme's file name and braces doubled). The scheme content around them (ids,
# labels, tests) is an example an author replaces, and is the same in every language.
_COMMENTS: dict[str, tuple[str | None, str]] = {
    "intro": ("", N_(
        "A scheme scaffold written by `evalrules init`: every section has a working example;\n"
        "change it to follow your organisation's evaluation rules.\n"
        "After each change, run in turn:\n"
        "  evalrules check {file}     # format, names, points, grade bands\n"
        "  evalrules test {file}      # run the embedded tests at the end of the file\n"
        "  evalrules lint {file}      # points add up, bands reachable, every item tested\n"
        "The language is described in docs/scheme-language.md, the authoring and review\n"
        "tools in docs/authoring.md.")),
    "version": (None, N_("quote the version; raise it at each yearly revision")),
    "scale": (None, N_("full marks; the top-level indicators' max add up to it")),
    "places": (None, N_("points are kept to 2 decimal places")),
    "rounding": (None, N_("rounded half up")),
    "categories": ("", N_(
        "Branch categories: ids in lower-case English, labels as readers should see them.\n"
        "Indicators, deductions and vetoes may each apply to some categories only.")),
    "facts": ("", N_(
        "The facts each unit reports. A fact without a default must be reported; min/max check\n"
        "the reported values and let `evalrules lint` work out the points each indicator can "
        "give.")),
    "default": (None, N_("a fact with a default may be left out")),
    "discretionary": ("  ", N_(
        "discretionary deduction: report it as {{value: 2, reason: ...}}; a value other than 0\n"
        "must give its reason")),
    "derived": ("", N_("Values computed from the facts; any formula may use them.")),
    "indicators": ("", N_(
        "The indicator tree: a group (children) scores the sum of its items, capped at its max;\n"
        "a criterion scores by `when` (full marks when the condition holds) or by `points`\n"
        "(points or a formula, where `full` stands for the full marks).")),
    "condition": ("      ", N_("condition: full marks when it holds, otherwise no points")),
    "formula": ("      ", N_("deduction formula: 5 points off for each meeting short of 3, "
                             "at least 0")),
    "proportion": ("      ", N_("proportion: points in proportion to completion, at most full "
                                "marks")),
    "tiers": ("      ", N_("tiers: attendance of 90% or more 10 points, 80% or more 7, 70% or "
                           "more 4,\nbelow 70% no points")),
    "per_category": ("      ", N_("points differ by category: the two items add up to 40 in "
                                  "every category;\n`default` holds for categories not "
                                  "listed")),
    "deductions": ("", N_(
        "Deductions: taken from the total unless `applies_to` names a node; a deduction per\n"
        "occurrence or by formula must give its `cap` (the most it can take).")),
    "vetoes": ("", N_(
        "Vetoes: when the condition holds, they zero the score, limit or remove a rating, or\n"
        "remove award eligibility.")),
    "ratings": ("", N_(
        "Ratings: bands from high to low, each edge open or closed ([ includes, ( excludes),\n"
        "each band starting where the one below ends.")),
    "no_band": (None, N_("no band: given only by a veto")),
    "tests": ("", N_(
        "Embedded tests: expected values worked out by hand from the rules above; `evalrules "
        "test`\nchecks them one by one, `evalrules test --coverage` reports which indicators, "
        "tiers,\ndeductions and vetoes the tests cover.")),
    "second_test": ("  ", N_(
        "basic = 0 + (20 - 5) + 6/8×20 + 7 = 37, less 1 for party dues → 36;\n"
        "special = 4500/5000×20 + 0 = 18;\n"
        "total = 36 + 18 - 2 late items × 0.5 = 53, one star; a major accident is a veto → no "
        "star.")),
}


def _comments(file: str) -> dict[str, str]:
    """The comments in the current language, each laid out for its placeholder."""
    out = {}
    for name, (indent, text) in _COMMENTS.items():
        lines = _(text).format(file=file).split("\n")
        out[f"c_{name}"] = lines[0] if indent is None else "\n".join(
            f"{indent}# {line}" if line else f"{indent}#" for line in lines)
    return out


def default_title() -> str:
    """The title of a scaffold when none is given, in the current language."""
    return _("Party branch evaluation scheme")


def scaffold(scheme_id: str = "new-scheme", title: str = "",
             year: int = 2025, file: str = "scheme.yaml") -> str:
    """The text of a new scheme; raise ValueError for an id the language does not accept."""
    if not SCHEME_ID.match(scheme_id):
        raise ValueError(_("`{id}` is not a scheme id: lower-case letters, digits, `_`, `.` "
                           "and `-`, starting with a letter or digit").format(id=scheme_id))
    title = title or default_title()
    if not title.strip() or "\n" in title or len(title) > 200:
        raise ValueError(_("the title must be one line of at most 200 characters"))
    return _TEMPLATE.format(id=scheme_id, title=_quoted(title), heading=title, year=year,
                            **_comments(file))


def _quoted(title: str) -> str:
    """The title as a YAML scalar that reads back as itself."""
    if any(ch in title for ch in ":#{}[],&*!|>'\"%@`") or title != title.strip():
        return '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return title
