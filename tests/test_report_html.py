"""The HTML audit report: self-contained, escaped, and working in a real headless Chromium.

The end-to-end path of the issue: `evalrules template` → the workbook filled in with openpyxl →
`evalrules evaluate ... -o report.html` and `-o results.xlsx`; the report is then opened in
Debian's chromium (driven over the DevTools protocol, see tests/browser.py).

Browser tests skip when chromium is absent, unless the CI variable is set: then they fail.
`pytest --update-goldens` (or a missing file) rewrites docs/report-screenshot.png and
docs/report-drilldown.png from the screenshots taken here.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

import evalrules

from .browser import Browser, find_chromium
from .conftest import ROOT, invoke, scheme_text
from .sheets import fill_template

SCHEME = ROOT / "schemes" / "star-branch-5521.yaml"
FACTS = ROOT / "examples" / "star-branch-5521" / "facts.yaml"
DOCS = ROOT / "docs"
URL = re.compile(r"(?:https?|ftp|wss?)://|//[a-z0-9.-]+\.[a-z]{2,}/|url\(", re.I)


@pytest.fixture(scope="module")
def end_to_end(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """template → filled in → report.html and results.xlsx, as a department would."""
    folder = tmp_path_factory.mktemp("e2e")
    scheme = evalrules.load_scheme(SCHEME)
    template = folder / "facts-template.xlsx"
    relative = SCHEME.relative_to(ROOT)  # source lines read schemes/star-branch-5521.yaml:NN
    with contextlib.chdir(ROOT):
        assert invoke("template", relative, "-o", template)[0] == 0
        facts = folder / "facts.xlsx"
        fill_template(template, FACTS, scheme, facts)
        report, results = folder / "report.html", folder / "results.xlsx"
        for out in (report, results):
            code, _, err = invoke("evaluate", relative, facts, "-o", out)
            assert code == 0, err
    return {"facts": facts, "report": report, "results": results}


HOSTILE_SCHEME = """
    facts:
      - {id: n, label: "次数<img src=x onerror=\\"window.pwned=1\\">", type: integer, min: 0}
    indicators:
      - id: a
        label: "</title><script>window.pwned=2</script>"
        tags: [star_team, star_brand]
        description: "x\\" onmouseover=\\"window.pwned=3"
        max: 10
        basis: "《条例》</li><script>window.pwned=4</script>"
        points: min(n, 10)
      - {id: b, label: 乙, max: 5, when: n > 1, tags: [star_team, star_management]}
"""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    scheme = folder / "scheme.yaml"
    text = scheme_text(HOSTILE_SCHEME).replace("title: 测试方案",
                                               'title: "测试<script>window.pwned=5</script>"')
    scheme.write_text(text, encoding="utf-8")
    facts = folder / "facts.yaml"
    facts.write_text(
        "units:\n"
        "  - {id: \"<script>alert(1)</script>\", name: \"<script>window.pwned=6</script>\", "
        "category: production, facts: {n: 3}}\n"
        "  - {id: \"x' onclick='window.pwned=7\", name: \"&lt;b&gt;\", category: office, "
        "facts: {n: 0}}\n", encoding="utf-8")
    out = folder / "report.html"
    code, _, err = invoke("evaluate", scheme, facts, "-o", out)
    assert code == 0, err
    return out


# ----------------------------------------------------------------------------------------------
# The file itself


def test_report_is_one_self_contained_file(end_to_end: dict[str, Path]) -> None:
    text = end_to_end["report"].read_text("utf-8")
    assert not URL.findall(text), URL.findall(text)[:5]
    assert not re.search(r"<(?:link|iframe|object|embed|img|base)\b", text)
    assert not re.search(r"\ssrc\s*=", text)
    assert text.count("<script>") == 1 and text.count("<style>") == 1
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text)
    assert csp is not None and "default-src &#x27;none&#x27;" in csp.group(1)
    assert "img-src data:" in csp.group(1)
    assert "@media print" in text and "size:A4" in text


def test_report_shows_labels_hashes_and_every_explanation(end_to_end: dict[str, Path]) -> None:
    text = end_to_end["report"].read_text("utf-8")
    scheme = evalrules.load_scheme(SCHEME)
    data = scheme.read_facts(end_to_end["facts"])
    assert f'id="scheme-hash">{scheme.hash}<' in text
    assert f'id="facts-hash">{data.digest}<' in text
    assert "star-branch-5521" in text and "2024.1" in text
    assert text.count('<details class="unit"') == 25
    assert "支委成员培训学时达标" in text and "星级队伍" in text
    # B06: the veto, its reason and source line, and the lost points with the formula
    b06 = text[text.index('id="unit-B06"'):text.index('id="unit-B07"')]
    assert "发生重大及以上安全生产事故" in b06 and "取消评优资格" in b06
    assert "schemes/star-branch-5521.yaml:" in b06 and "失分" in b06
    assert "ratio(committee_training_hours, 14, cap=1) * full" in b06


def test_every_piece_of_data_is_escaped(hostile: Path) -> None:
    text = hostile.read_text("utf-8")
    assert text.count("<script>") == 1  # only the report's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<img" not in text and "onerror=&quot;" in text
    assert 'onmouseover="' not in text and "onclick='" not in text
    assert "&amp;lt;b&amp;gt;" in text  # text that looks like an entity stays text


# ----------------------------------------------------------------------------------------------
# In the browser


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs these")
    return found


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with Browser(chromium) as b:
        b.open_page(1280, 1000)
        yield b


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _keep(shot: Path, name: str, request: pytest.FixtureRequest) -> None:
    target = DOCS / name
    if request.config.getoption("--update-goldens") or not target.exists():
        target.write_bytes(shot.read_bytes())


def test_report_in_chromium(end_to_end: dict[str, Path], browser: Browser, tmp_path: Path,
                            request: pytest.FixtureRequest) -> None:
    """Radar renders, drill-down opens, sorting and filtering work; no error, no request."""
    url = end_to_end["report"].as_uri()
    browser.navigate(url)
    assert browser.evaluate("document.title").startswith("“5521”党支部分类评星定级考核方案")
    shot = tmp_path / "overview.png"
    assert _png_size(browser.screenshot(shot)) == (1280, 1000)
    _keep(shot, "report-screenshot.png", request)

    # sorting: by total, highest first, then lowest first; ties keep their order
    column = browser.evaluate(
        "Array.from(document.querySelectorAll('#overview-table th')).findIndex("
        "th => th.textContent === '总分')")
    browser.evaluate(f"document.querySelectorAll('#overview-table th')[{column}].click()")
    totals = browser.evaluate(
        f"Array.from(document.querySelectorAll('#overview-table tbody tr')).map("
        f"r => parseFloat(r.cells[{column}].textContent))")
    assert totals == sorted(totals, reverse=True) and len(totals) == 25
    assert browser.evaluate(f"document.querySelectorAll('#overview-table th')[{column}]"
                            ".getAttribute('aria-sort')") == "descending"
    browser.evaluate(f"document.querySelectorAll('#overview-table th')[{column}].click()")
    totals = browser.evaluate(
        f"Array.from(document.querySelectorAll('#overview-table tbody tr')).map("
        f"r => parseFloat(r.cells[{column}].textContent))")
    assert totals == sorted(totals)
    names = browser.evaluate(
        "document.querySelectorAll('#overview-table th')[0].click();"
        "Array.from(document.querySelectorAll('#overview-table tbody tr')).map("
        "r => r.cells[0].textContent)")
    assert names == sorted(names)

    # filtering by category
    shown = browser.evaluate(
        "const f = document.getElementById('category-filter'); f.value = 'auxiliary';"
        "f.dispatchEvent(new Event('change'));"
        "Array.from(document.querySelectorAll('#overview-table tbody tr'))"
        ".filter(r => !r.hidden).map(r => r.cells[2].textContent)")
    assert shown == ["辅助类"] * 5
    assert browser.evaluate("document.getElementById('shown-count').textContent") == \
        "显示 5 / 25 个单位"
    browser.evaluate("const g = document.getElementById('category-filter'); g.value = '';"
                     "g.dispatchEvent(new Event('change'))")

    # the drill-down opens from the overview link, with its radar chart drawn
    assert browser.evaluate("document.getElementById('unit-B05').open") is False
    browser.evaluate("document.querySelector('#overview-table a[href=\"#unit-B05\"]').click()")
    deadline = time.monotonic() + 5
    while not browser.evaluate("document.getElementById('unit-B05').open"):
        assert time.monotonic() < deadline, "the drill-down did not open"
        time.sleep(0.05)
    box = browser.evaluate(
        "(() => { const a = document.querySelector('#unit-B05 svg.radar polygon.area');"
        "const b = a.getBBox(); const r = a.getBoundingClientRect();"
        "return [b.width, b.height, r.width, r.height,"
        "document.querySelectorAll('#unit-B05 svg.radar text').length]; })()")
    assert box[0] > 50 and box[1] > 50 and box[2] > 50 and box[4] == 5, box
    visible = browser.evaluate(
        "document.querySelector('#unit-B05 li[data-node=\"safety\"] .node-detail')"
        ".getBoundingClientRect().height")
    assert visible > 0
    assert "incident_persons" in browser.evaluate(
        "document.querySelector('#unit-B05 .rules').textContent")
    shot = tmp_path / "drilldown.png"
    browser.screenshot(shot)
    _keep(shot, "report-drilldown.png", request)

    # printing on A4 works
    pdf = browser.print_pdf()
    assert pdf.startswith(b"%PDF") and re.search(rb"/MediaBox \[0 0 59[45][.0-9]* 84[12]", pdf)

    assert browser.console_errors() == []
    assert browser.requests() == [url, f"{url}#unit-B05"] or browser.requests() == [url]


def test_hostile_names_stay_text_in_chromium(hostile: Path, browser: Browser) -> None:
    browser.events.clear()
    url = hostile.as_uri()
    browser.navigate(url)
    browser.evaluate("document.querySelectorAll('details.unit').forEach(d => d.open = true)")
    browser.evaluate("document.querySelectorAll('#overview-table a').forEach(a => a.click())")
    assert browser.evaluate("typeof window.pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('script').length") == 1
    assert browser.evaluate("document.querySelectorAll('img').length") == 0
    cell = browser.evaluate("document.querySelector('#overview-table tbody td').textContent")
    assert cell in ("<script>alert(1)</script>", "x' onclick='window.pwned=7")
    assert "<script>alert(1)</script>" in browser.evaluate("document.body.innerText")
    assert browser.evaluate("document.title").startswith("测试<script>")
    assert browser.console_errors() == []
    assert all(u.split("#")[0] == url for u in browser.requests())


def test_results_workbook_of_the_end_to_end_run(end_to_end: dict[str, Path]) -> None:
    book = openpyxl.load_workbook(end_to_end["results"])
    summary = {r[0]: r for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert len(summary) == 25 and summary["B01"][3] == 100 and summary["B06"][4] == "无星"
