"""Message catalogs: extract, check and compile the translations of evalrules.

The English text in the code is the msgid. Chinese translations are kept in parts, one PO file
per area of the code, under catalogs/zh_CN/evalrules/*.po (click's own messages in
catalogs/zh_CN/click.po); `compile` joins the parts into the .mo files evalrules loads.

    python tools/catalogs.py update    # write catalogs/evalrules.pot; new msgids go to _new.po
    python tools/catalogs.py check     # missing, stale, empty or fuzzy translations; stale .mo
    python tools/catalogs.py compile   # write src/evalrules/locale/zh_CN/LC_MESSAGES/*.mo

Needs Babel (part of the test dependencies).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "evalrules"
CATALOGS = ROOT / "catalogs"
LOCALE = SOURCE / "locale"
LANGUAGE = "zh_CN"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
# Fixed so that compiling twice gives the same bytes.
STAMP = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

Key = str | tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    key: Key
    translation: str | tuple[str, ...]
    fuzzy: bool
    where: str


def _catalog(domain: str) -> Catalog:
    return Catalog(locale=LANGUAGE, domain=domain, project="evalrules", version="1",
                   creation_date=STAMP, revision_date=STAMP, fuzzy=False,
                   charset="utf-8")


def extract_code() -> dict[Key, list[str]]:
    """Every message marked in src/evalrules, with where it is used."""
    found: dict[Key, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(SOURCE), method_map=[("**.py", "python")], keywords=KEYWORDS):
        key: Key = tuple(message) if isinstance(message, tuple) else message
        if not key:
            continue
        found.setdefault(key, []).append(f"src/evalrules/{filename}:{lineno}")
    return found


def extract_click() -> dict[Key, list[str]]:
    """Every message click marks for translation in the installed click."""
    import click

    found: dict[Key, list[str]] = {}
    base = Path(click.__file__).parent
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(base), keywords={"_": None, "ngettext": (1, 2)}):
        key: Key = tuple(message) if isinstance(message, tuple) else message
        found.setdefault(key, []).append(f"click/{filename}:{lineno}")
    return found


def part_files(domain: str) -> list[Path]:
    if domain == "click":
        return [CATALOGS / LANGUAGE / "click.po"]
    return sorted((CATALOGS / LANGUAGE / domain).glob("*.po"))


def read_parts(domain: str) -> tuple[dict[Key, Entry], list[str]]:
    """The translations of `domain`, and the parts that disagree about one msgid."""
    entries: dict[Key, Entry] = {}
    conflicts: list[str] = []
    for path in part_files(domain):
        if not path.exists():
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=LANGUAGE, domain=domain)
        for message in catalog:
            if not message.id:
                continue
            key: Key = tuple(message.id) if isinstance(message.id, (list, tuple)) else message.id
            text = (tuple(message.string) if isinstance(message.string, (list, tuple))
                    else message.string)
            where = f"{path.relative_to(ROOT)}:{message.lineno}"
            entry = Entry(key, text, message.fuzzy, where)
            if key in entries and entries[key].translation != text:
                conflicts.append(f"{where}: {key!r} is translated differently in "
                                 f"{entries[key].where}")
            entries.setdefault(key, entry)
    return entries, conflicts


def _fields(text: str) -> set[str]:
    try:
        return {name for _lit, name, _spec, _conv in string.Formatter().parse(text)
                if name is not None}
    except ValueError:
        return {"<malformed>"}


def _percent_fields(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sdr]|%[sdr]", text))


def problems(domain: str) -> list[str]:
    """Everything wrong with the translations of `domain`; empty when all is well."""
    wanted = extract_code() if domain == "evalrules" else extract_click()
    entries, found = read_parts(domain)
    found = list(found)
    for key, uses in sorted(wanted.items(), key=lambda item: str(item[0])):
        entry = entries.get(key)
        if entry is None:
            found.append(f"{uses[0]}: no {LANGUAGE} translation for {key!r}")
            continue
        texts = entry.translation if isinstance(entry.translation, tuple) else (entry.translation,)
        if entry.fuzzy or not all(texts):
            found.append(f"{entry.where}: translation of {key!r} is empty or fuzzy")
            continue
        if isinstance(key, tuple):  # a translation may use either form's placeholders
            allowed = set().union(*map(_fields, key)), set().union(*map(_percent_fields, key))
            wrong = any(not _fields(t) <= allowed[0] or not _percent_fields(t) <= allowed[1]
                        for t in texts)
        else:
            wrong = _fields(texts[0]) != _fields(key) or \
                _percent_fields(texts[0]) != _percent_fields(key)
        if wrong:
            found.append(f"{entry.where}: translation of {key!r} does not use the same "
                         f"placeholders")
    for key, entry in entries.items():
        if key not in wanted:
            found.append(f"{entry.where}: {key!r} is no longer used in the code; remove it")
    mo = LOCALE / LANGUAGE / "LC_MESSAGES" / f"{domain}.mo"
    if not mo.exists() or mo.read_bytes() != compiled(domain):
        found.append(f"{mo.relative_to(ROOT)} is out of date: run python tools/catalogs.py "
                     f"compile")
    return found


def compiled(domain: str) -> bytes:
    entries, _conflicts = read_parts(domain)
    catalog = _catalog(domain)
    for key in sorted(entries, key=str):
        entry = entries[key]
        if not entry.fuzzy:
            catalog.add(list(key) if isinstance(key, tuple) else key,
                        list(entry.translation) if isinstance(entry.translation, tuple)
                        else entry.translation)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_all() -> None:
    for domain in ("evalrules", "click"):
        target = LOCALE / LANGUAGE / "LC_MESSAGES" / f"{domain}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(compiled(domain))
        print(f"wrote {target.relative_to(ROOT)}")


def update() -> None:
    """Write the template, and put msgids with no translation yet into _new.po."""
    wanted = extract_code()
    template = _catalog("evalrules")
    for key, uses in sorted(wanted.items(), key=lambda item: str(item[0])):
        locations = [(use.rsplit(":", 1)[0], int(use.rsplit(":", 1)[1])) for use in uses]
        template.add(list(key) if isinstance(key, tuple) else key, locations=locations)
    CATALOGS.mkdir(exist_ok=True)
    with (CATALOGS / "evalrules.pot").open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, include_lineno=False)
    for domain, wanted_here in (("evalrules", wanted), ("click", extract_click())):
        entries, _conflicts = read_parts(domain)
        missing = [key for key in wanted_here if key not in entries]
        if not missing:
            continue
        target = (CATALOGS / LANGUAGE / "click.po" if domain == "click"
                  else CATALOGS / LANGUAGE / domain / "_new.po")
        target.parent.mkdir(parents=True, exist_ok=True)
        catalog = _catalog(domain)
        if target.exists():
            with target.open("rb") as handle:
                catalog = read_po(handle, locale=LANGUAGE, domain=domain)
        for key in missing:
            catalog.add(list(key) if isinstance(key, tuple) else key,
                        locations=[(u.rsplit(":", 1)[0], int(u.rsplit(":", 1)[1]))
                                   for u in wanted_here[key]])
        with target.open("wb") as handle:
            write_po(handle, catalog, width=100, include_lineno=False, sort_output=True)
        print(f"{len(missing)} new message(s) for {LANGUAGE} in {target.relative_to(ROOT)}")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "check":
        found = problems("evalrules") + problems("click")
        for line in found:
            print(line)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
