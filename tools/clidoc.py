"""Render the command-line reference from the click objects themselves.

    python tools/clidoc.py            # rewrite docs/reference/cli.md and docs/zh/reference/cli.md
    python tools/clidoc.py --check    # exit 1 if either differs from what the code gives

Each command's usage line, help text and options are taken from `evalrules.cli.main`, in the
language of the page (English for docs/reference/cli.md, Chinese for docs/zh/reference/cli.md),
so the reference follows the code and its message catalogs.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import click  # noqa: E402

from evalrules.cli import main  # noqa: E402
from evalrules.i18n import language  # noqa: E402

PAGES = {
    "en_US": ROOT / "docs" / "reference" / "cli.md",
    "zh_CN": ROOT / "docs" / "zh" / "reference" / "cli.md",
}
INTRO = {
    "en_US": ("# Command-line reference\n\n"
              "Generated from the command definitions by `python tools/clidoc.py`; do not edit. "
              "[The command line](../cli.md) explains each command with examples.\n"),
    "zh_CN": ("# 命令行参考\n\n"
              "由 `python tools/clidoc.py` 根据命令定义生成，请勿手工修改。"
              "[命令行](../../cli.md)（英文）用示例说明了每个命令。\n"),
}


def _help(command: click.Command, ctx: click.Context) -> str:
    formatter = ctx.make_formatter()
    command.format_help(ctx, formatter)
    return formatter.getvalue()


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """A context with the command's own settings (help option names, widths)."""
    ctx = command.make_context(name, [], parent=parent, resilient_parsing=True)
    ctx.max_content_width = ctx.terminal_width = 100
    return ctx


def render(lang: str) -> str:
    out = [INTRO[lang]]
    with language(lang):
        root = _context(main, "evalrules", None)
        out += ["\n## evalrules\n", "```text", _help(main, root).rstrip(), "```"]
        assert isinstance(main, click.Group)
        for name in sorted(main.commands):
            command = main.commands[name]
            ctx = _context(command, name, root)
            out += [f"\n## evalrules {name}\n", "```text", _help(command, ctx).rstrip(), "```"]
    return "\n".join(out) + "\n"


def main_(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for lang, path in PAGES.items():
        text = render(lang)
        if check:
            if not path.exists() or path.read_text("utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    if stale:
        print("out of date (run python tools/clidoc.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main_(sys.argv[1:]))
