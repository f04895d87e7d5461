"""Help text wrapped by display width, so that Chinese help fits the terminal.

click wraps help by counting characters, but a Chinese character (East Asian width W or F)
takes two columns of a terminal. `HelpFormatter` measures every line in columns, breaks
Chinese text between any two characters (it has no spaces), and keeps Chinese punctuation off
the start of a line (a closing mark stays with the character before it, an opening one with
the character after it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

import click

from ..i18n import click_gettext

# Marks that must not begin a line, and marks that must not end one.
_CLOSING = set("，。、；：？！）》」』】〕”’…—%％,.;:?!)]}")
_OPENING = set("（《「『【〔“‘([{")


def width(text: str) -> int:
    """The columns `text` takes in a terminal: wide and full-width characters count 2,
    combining marks 0."""
    if text.isascii():  # no ASCII character is wide or combining
        return len(text)
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Words, single wide characters and runs of spaces; punctuation glued to its neighbour
    so that no line starts with a closing mark or ends with an opening one."""
    raw: list[str] = []
    for match in re.finditer(r"\s+|[^\s]", text):
        piece = match.group()
        if piece.isspace():
            raw.append(" ")
        elif not _wide(piece) and raw and raw[-1] != " " and not _wide(raw[-1][-1]):
            raw[-1] += piece  # a narrow character continuing a narrow word
        else:
            raw.append(piece)
    out: list[str] = []
    pending_open = ""
    for piece in raw:
        if piece == " ":
            if pending_open:
                out.append(pending_open)
                pending_open = ""
            out.append(piece)
        elif all(ch in _OPENING for ch in piece):
            pending_open += piece
        elif all(ch in _CLOSING for ch in piece) and out and out[-1] != " ":
            out[-1] += pending_open + piece
            pending_open = ""
        else:
            out.append(pending_open + piece)
            pending_open = ""
    if pending_open:
        out.append(pending_open)
    return out


def _split_long(word: str, room: int) -> Iterator[str]:
    """`word` in pieces of at most `room` columns (at least one character each)."""
    piece = ""
    for ch in word:
        if piece and width(piece + ch) > room:
            yield piece
            piece = ""
        piece += ch
    if piece:
        yield piece


def fill(text: str, limit: int, initial_indent: str = "", subsequent_indent: str = "") -> str:
    """One paragraph, wrapped to `limit` columns."""
    lines: list[str] = []
    line = initial_indent
    used = width(line)  # the columns of `line`, kept as it grows (widths add up)
    empty = True  # nothing but the indent on the line yet
    space = False
    for token in _tokens(" ".join(text.split()) if text.strip() else ""):
        if token == " ":
            space = not empty
            continue
        size = width(token)
        if not empty and used + size + (1 if space else 0) > limit:
            lines.append(line.rstrip())
            line, used = subsequent_indent, width(subsequent_indent)
        elif space:
            line += " "
            used += 1
        if used + size > limit:  # longer than a whole line: break inside it
            pieces = list(_split_long(token, max(limit - used, 1)))
            for piece in pieces[:-1]:
                lines.append(line + piece)
                line, used = subsequent_indent, width(subsequent_indent)
            token = pieces[-1]
            size = width(token)
        line += token
        used += size
        empty = False
        space = False
    if not empty:
        lines.append(line)
    return "\n".join(lines)


def wrap_text(text: str, limit: int = 78, initial_indent: str = "",
              subsequent_indent: str = "", preserve_paragraphs: bool = False) -> str:
    """click's `wrap_text`, measuring columns: paragraphs are separated by empty lines, and a
    paragraph that starts with a line holding only `\\b` is kept as it is written."""
    text = text.expandtabs()
    if not preserve_paragraphs:
        return fill(text, limit, initial_indent, subsequent_indent)
    paragraphs: list[tuple[int, bool, list[str]]] = []
    buf: list[str] = []
    indent = 0

    def flush() -> None:
        if buf:
            raw = buf[0].strip() == "\b"
            paragraphs.append((indent, raw, buf[1:] if raw else list(buf)))
            buf.clear()

    for line in text.splitlines():
        if not line:
            flush()
            continue
        if not buf:
            indent = len(line) - len(line.lstrip())
        buf.append(line.lstrip() if not buf else line)
    flush()
    out = []
    for extra, raw, lines in paragraphs:
        first = initial_indent + " " * extra
        rest = subsequent_indent + " " * extra
        if raw:
            out.append("\n".join((first if i == 0 else rest) + line.strip()
                                 for i, line in enumerate(lines)))
        else:
            out.append(fill(" ".join(lines), limit, first, rest))
    return "\n\n".join(out)


class HelpFormatter(click.HelpFormatter):
    """click's help formatter, wrapping by display width."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = click_gettext("Usage:") + " "
        usage_prefix = f"{prefix:>{self.current_indent}}{prog} "
        text_width = self.width - self.current_indent
        if not args:
            self.write(usage_prefix.rstrip(" ") + "\n")
            return
        if text_width >= width(usage_prefix) + 20:
            indent = " " * width(usage_prefix)
            self.write(wrap_text(args, text_width, initial_indent=usage_prefix,
                                 subsequent_indent=indent))
        else:
            self.write(usage_prefix.rstrip() + "\n")
            indent = " " * (max(self.current_indent, width(prefix)) + 4)
            self.write(wrap_text(args, text_width, initial_indent=indent,
                                 subsequent_indent=indent))
        self.write("\n")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}:\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        self.write(wrap_text(text, self.width, initial_indent=indent, subsequent_indent=indent,
                             preserve_paragraphs=True))
        self.write("\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        rows = list(rows)
        first_width = max((width(first) for first, _ in rows), default=0)
        first_col = min(first_width, col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - width(first)))
            else:
                self.write("\n")
                self.write(" " * (first_col + self.current_indent))
            text_width = max(self.width - first_col - self.current_indent, 10)
            lines = wrap_text(second, text_width, preserve_paragraphs=True).splitlines()
            if lines:
                self.write(f"{lines[0]}\n")
                for line in lines[1:]:
                    self.write(f"{'':>{first_col + self.current_indent}}{line}\n" if line
                               else "\n")
            else:
                self.write("\n")


def shorten(text: str, limit: int) -> str:
    """The first sentence of `text`, cut to `limit` columns (with "...") when longer."""
    paragraph = " ".join(text.split("\n\n")[0].split())
    match = re.search(r"(?<=[。！？])|\.(?=\s|$)", paragraph)
    sentence = paragraph[:match.start()] if match else paragraph
    sentence = sentence.rstrip("。.")
    if width(sentence) <= limit:
        return sentence
    out = ""
    for token in _tokens(sentence):
        if width(out + token) + 3 > limit:
            break
        out += token
    return out.rstrip() + "..."


def widest(lines: Sequence[str]) -> int:
    return max((width(line) for line in lines), default=0)
