"""The language of every user-facing message.

Messages are written in English in the code; that text is the gettext msgid, and the Chinese
catalog under `evalrules/locale/` translates it. The language is, first to last:

1. the one chosen in code (`set_language`, `language(...)`) or with `evalrules --lang`;
2. the locale: the first of LANGUAGE, LC_ALL, LC_MESSAGES and LANG that is set;
3. Chinese, when none of them names a language (unset, `C`, `POSIX`).

A locale in Chinese (`zh`, `zh_CN.UTF-8`, `zh_TW`, ...) gives Chinese, any other language gives
English. The chosen language is held per thread and per asyncio task (a context variable), so
a service can answer two requests in two languages at once.

Mark text with `_()` where it is shown; with `N_()` where it is stored first (module constants)
and translated with `_()` when shown.
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import IO, Final

CHINESE: Final = "zh_CN"
ENGLISH: Final = "en_US"
LANGUAGES: Final[tuple[str, ...]] = (CHINESE, ENGLISH)
DEFAULT_LANGUAGE: Final = CHINESE
DOMAIN: Final = "evalrules"
# Messages of click itself (usage lines, "Error: ...") live in their own catalog.
CLICK_DOMAIN: Final = "click"
LOCALE_VARIABLES: Final = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_chosen: ContextVar[str | None] = ContextVar("evalrules_language", default=None)


def normalize(tag: str) -> str | None:
    """The supported language a locale or language tag names, or None for "no preference".

    >>> normalize("zh_CN.UTF-8"), normalize("en"), normalize("fr_FR"), normalize("C.UTF-8")
    ('zh_CN', 'en_US', 'en_US', None)
    """
    name = tag.strip().split(":")[0].split(".")[0].split("@")[0].replace("-", "_")
    if not name or name.upper() in ("C", "POSIX"):
        return None
    return CHINESE if name.lower().startswith("zh") else ENGLISH


def environment_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale variables ask for (see the module text for the order)."""
    env = os.environ if environ is None else environ
    for variable in LOCALE_VARIABLES:
        value = env.get(variable, "")
        if value:
            chosen = normalize(value)
            return chosen if chosen is not None else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def current_language() -> str:
    """The language messages are given in now."""
    chosen = _chosen.get()
    # The locale is read each time: a test or a host program may change it.
    return chosen if chosen is not None else environment_language()


def set_language(lang: str | None) -> None:
    """Give messages in `lang` from now on in this context; None follows the locale again.

    `lang` is a language tag or locale name (`zh_CN`, `en`, `en_US.UTF-8`).
    """
    _chosen.set(None if lang is None else _require(lang))


@contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Give messages in `lang` inside the block (None: as the locale says)."""
    token = _chosen.set(None if lang is None else _require(lang))
    try:
        yield current_language()
    finally:
        _chosen.reset(token)


def _require(lang: str) -> str:
    chosen = normalize(lang)
    if chosen is None:
        raise ValueError(f"{lang!r} names no language; use one of {', '.join(LANGUAGES)}")
    return chosen


@cache
def translations(lang: str, domain: str = DOMAIN) -> _gettext.NullTranslations:
    """The catalog of `domain` in `lang`. English is the text of the code itself."""
    if lang == ENGLISH:
        return _gettext.NullTranslations()
    # Beside this module, read directly: importlib.resources (and the tempfile, shutil and
    # zipfile modules it imports) would add some 20 ms to every start of the command line.
    path = os.path.join(os.path.dirname(__file__), "locale", lang, "LC_MESSAGES", f"{domain}.mo")
    handle: IO[bytes]
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:  # installed in a zip file, say
        from importlib.resources import files

        handle = files("evalrules").joinpath("locale", lang, "LC_MESSAGES",
                                             f"{domain}.mo").open("rb")
    with handle:
        return _gettext.GNUTranslations(handle)


def gettext(message: str) -> str:
    """`message` in the current language."""
    return translations(current_language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The singular or plural form for `count`, in the current language."""
    return translations(current_language()).ngettext(singular, plural, count)


def click_gettext(message: str) -> str:
    """A message of click itself, in the current language."""
    return translations(current_language(), CLICK_DOMAIN).gettext(message)


def click_ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current_language(), CLICK_DOMAIN).ngettext(singular, plural, count)


@cache
def known_patterns(table: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The patterns of a `translate_known` table, compiled the first time a message needs them
    (a run without a parser error compiles none)."""
    return tuple((re.compile(pattern), message) for pattern, message in table)


def translate_known(text: str, table: tuple[tuple[str, str], ...]) -> str:
    """Another library's message in the current language, when `table` knows it.

    `table` pairs a pattern (regular expression) of the library's English text with the msgid
    to show; named groups fill the msgid's placeholders. A message the table does not know is
    kept as is.
    """
    for pattern, message in known_patterns(table):
        match = pattern.fullmatch(text.strip())
        if match is not None:
            groups = match.groupdict()
            return gettext(message).format(**groups) if groups else gettext(message)
    return text


def N_(message: str) -> str:
    """Mark `message` for translation where it is stored; `_()` translates it when shown."""
    return message


_ = gettext

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "N_", "_", "current_language",
           "environment_language", "gettext", "language", "ngettext", "normalize",
           "set_language"]
