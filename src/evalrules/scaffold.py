"""A commented scaffold of a new scheme (`evalrules init`) that checks, tests and lints clean.

The scaffold shows one of everything an author needs first: the five branch categories, facts
of each common type, a derived value, criteria of each kind (a condition, a deduction formula,
a proportion, tiers), maxima per category, a deduction per occurrence, a discretionary
deduction, a veto, a star rating and two embedded tests that exercise every criterion and rule.
"""

from __future__ import annotations

import re

SCHEME_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

_TEMPLATE = """\
# yaml-language-server: $schema=../schemas/scheme.schema.json
#
# {heading}
# 由 `evalrules init` 生成的方案骨架：每一节都有一个可运行的例子，按本单位的考核办法修改。
# 修改后依次运行：
#   evalrules check {file}     # 格式、名称、分值、分数段
#   evalrules test {file}      # 运行文末的嵌入测试
#   evalrules lint {file}      # 分值是否合计、分数段能否达到、测试是否覆盖每一项
# 语法说明见 docs/scheme-language.md，编写与审核工具见 docs/authoring.md。
evalrules: 1
id: {id}
title: {title}
version: "{year}.1"                 # 版本号用引号，每年修订时递增
effective: {year}-01-01
owner: 党委组织部
description: >-
  按照“党支部分类定级、党建工作分类指导”的要求，对各类党支部开展百分制考评：
  基础指标为通用标准，专项指标按支部类别设置分值。
scale: 100                          # 满分；顶层指标的 max 合计应等于它
numeric:
  places: 2                         # 得分保留2位小数
  rounding: half_up                 # 四舍五入

# 支部类别：id 用英文，label 用中文。指标、扣分项、否决项都可以只适用于部分类别。
categories:
  - {{id: production, label: 生产类}}
  - {{id: auxiliary, label: 辅助类}}
  - {{id: general_management, label: 综合管理类}}
  - {{id: market_operation, label: 市场经营类}}
  - {{id: non_public_restructured, label: 非公改制类}}

# 各单位填报的事实。没有 default 的事实必须填报；min/max 既用于校验填报值，
# 也让 `evalrules lint` 推算每个指标能得到的分数范围。
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
    default: 0                      # 有默认值的事实可以不填报
  - id: late_items
    label: 逾期提交的重点工作任务数
    type: integer
    unit: 项
    min: 0
    max: 50
    default: 0
  # 酌情扣分：填报时写 {{value: 2, reason: 理由}}，非零值必须写明理由
  - id: dues_discretion
    label: 党费收缴管理不规范酌情扣分
    type: discretionary
    min: 0
    max: 3
    default: 0

# 由事实计算的中间值，可在任何公式中引用。
derived:
  - id: attendance_rate
    label: 组织生活出勤率
    formula: ratio(attended_person_times, expected_person_times, cap=1)

# 指标树：分组（children）的得分是子项之和，并以 max 封顶；
# 指标（criterion）用 when（条件成立得满分）或 points（分值或公式，full 表示满分）计分。
indicators:
  - id: basic
    label: 基础指标
    description: 各类党支部通用的基础考核指标。
    basis: 党支部考核评价办法
    max: 60
    children:
      # 条件型：条件成立得满分，否则不得分
      - id: branch_size
        label: 正式党员3人以上成立党支部
        basis: 《中国共产党支部工作条例（试行）》第四条
        max: 10
        when: full_members >= 3
      # 扣减型：每少开1次扣5分，最低0分
      - id: committee_meetings_held
        label: 支委会每月召开1次（每季度3次）
        basis: 《中国共产党支部工作条例（试行）》第十二条
        max: 20
        points: full - 5 * max(0, 3 - committee_meetings)
      # 比例型：按完成比例得分，最高为满分
      - id: member_training
        label: 党员集中培训学时达标（每季度8学时）
        basis: 《全国党员教育培训工作规划》
        max: 20
        points: ratio(training_hours, 8, cap=1) * full
      # 分档型：出勤率90%以上10分，80%以上7分，70%以上4分，低于70%不得分
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
      # 分值按类别不同：每个类别两项合计40分；default 用于未列出的类别
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

# 扣分项：默认从总分扣除（applies_to 可指定节点）；按次数计算或由公式计算的须写明 cap（上限）。
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

# 否决项：条件成立时清零、限定或取消评级、取消评优资格。
vetoes:
  - id: major_safety_accident
    label: 发生重大安全生产事故
    basis: 党支部考核评价办法（否决项）
    when: major_accidents > 0
    reason: 发生重大安全生产事故，实行一票否决，本期不得评星，取消评先资格
    effects:
      - {{rating: stars, set: "0"}}
      - {{no_award: true}}

# 评级：分数段从高到低，边界写明开闭（[ 含，( 不含），各段首尾相接。
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
      - {{id: "0", label: 无星}}          # 没有分数段：只由否决项产生

# 嵌入测试：期望值按上面的规则手算；`evalrules test` 逐项核对，`evalrules test --coverage`
# 报告哪些指标、档次、扣分项和否决项被测试覆盖。
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
  # 基础 = 0 + (20 - 5) + 6/8×20 + 7 = 37，扣党费1分 → 36；专项 = 4500/5000×20 + 0 = 18；
  # 总分 = 36 + 18 - 逾期2项×0.5 = 53，一星级；发生重大事故一票否决 → 无星。
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


def scaffold(scheme_id: str = "new-scheme", title: str = "党支部考核评价方案",
             year: int = 2025, file: str = "scheme.yaml") -> str:
    """The text of a new scheme; raise ValueError for an id the language does not accept."""
    if not SCHEME_ID.match(scheme_id):
        raise ValueError(f"`{scheme_id}` is not a scheme id: lower-case letters, digits, `_`, "
                         "`.` and `-`, starting with a letter or digit")
    if not title.strip() or "\n" in title or len(title) > 200:
        raise ValueError("the title must be one line of at most 200 characters")
    return _TEMPLATE.format(id=scheme_id, title=_quoted(title), heading=title, year=year,
                            file=file)


def _quoted(title: str) -> str:
    """The title as a YAML scalar that reads back as itself."""
    if any(ch in title for ch in ":#{}[],&*!|>'\"%@`") or title != title.strip():
        return '"' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return title
