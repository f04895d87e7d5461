"""The documentation site builds strictly: no broken link, missing anchor or page left out."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT


def _mkdocs() -> list[str]:
    pytest.importorskip("mkdocs")  # in the test extras; skipped only where it is absent
    found = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "mkdocs"]


def test_site_builds_strictly_without_warnings(tmp_path: Path) -> None:
    """`mkdocs build --strict` passes and prints no warning at all."""
    done = subprocess.run([*_mkdocs(), "build", "--strict", "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    warnings = [line for line in output.splitlines() if re.match(r"(WARNING|ERROR)\b", line)]
    assert done.returncode == 0 and not warnings, output
    assert (tmp_path / "site" / "zh" / "tutorial" / "index.html").is_file()


def _nav_pages(items: object) -> list[str]:
    if isinstance(items, str):
        return [items]
    if isinstance(items, list):
        return [p for item in items for p in _nav_pages(item)]
    if isinstance(items, dict):
        return [p for value in items.values() for p in _nav_pages(value)]
    return []


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def test_nav_lists_every_page_once_with_an_english_and_a_chinese_section() -> None:
    config = yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=_Loader)
    pages = _nav_pages(config["nav"])
    docs = sorted(str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md"))
    assert sorted(pages) == docs
    sections = [next(iter(item)) for item in config["nav"]]
    assert "中文" in sections
    chinese = _nav_pages(config["nav"][sections.index("中文")]["中文"])
    assert chinese and all(p.startswith("zh/") for p in chinese)
    assert config["theme"]["name"] in ("mkdocs", "readthedocs")
