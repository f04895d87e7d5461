"""The command line's shared parts: the `evalrules` group, options, output and errors.

Only the cli package touches argv, stdout, stderr and exit codes.

Exit codes: 0 success; 1 embedded tests failed (`test`) or warnings with --strict (`check`);
2 usage error; 3 the scheme has errors; 4 the facts have errors; 5 a formula failed for a unit;
6 an output file could not be written.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .. import i18n
from ..errors import EvalrulesError, FactsError, SchemeError, UsageError
from ..i18n import N_, _
from .formatting import HelpFormatter, shorten

if TYPE_CHECKING:
    from ..api import CompiledScheme
    from ..diagnostics import Diagnostic
    from ..facts import FactsFile

F = TypeVar("F", bound=Callable[..., Any])

EXIT_TESTS_FAILED = 1

# Output formats of `evaluate`, and the extensions that choose them.
FORMATS = ("text", "json", "csv", "xlsx", "md", "html")
EXTENSIONS = {".json": "json", ".csv": "csv", ".xlsx": "xlsx", ".md": "md", ".markdown": "md",
              ".html": "html", ".htm": "html", ".txt": "text"}
REPORT_FORMATS = ("csv", "xlsx", "md", "html")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
        return
    from ..atomic import write_atomic

    write_atomic(output, (text.rstrip("\n") + "\n").encode("utf-8"))
    click.echo(_("wrote {file}").format(file=output), err=True)


def _emit_bytes(data: bytes, output: Path | None) -> None:
    if output is None:
        click.echo(data, nl=False)
        return
    from ..atomic import write_atomic

    write_atomic(output, data)
    click.echo(_("wrote {file} ({size} bytes)").format(file=output, size=f"{len(data):,}"),
               err=True)


@contextmanager
def _progress(length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""
    stream = sys.stderr
    if not stream.isatty() or length == 0:
        yield lambda n: None
        return
    with click.progressbar(length=length, label=label, file=stream, show_pos=True,
                           show_eta=True, width=30) as bar:
        yield bar.update


def _fail(exc: EvalrulesError) -> None:
    """Print an evalrules error the way its class asks, and exit with its code."""
    from ..render.text import format_diagnostics

    if isinstance(exc, (SchemeError, FactsError)) and exc.diagnostics:
        click.echo(format_diagnostics(exc.diagnostics), err=True)
    else:
        click.echo(_("error: {message}").format(message=exc), err=True)
    sys.exit(exc.exit_code)


def handle_errors(func: F) -> F:
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except EvalrulesError as exc:
            _fail(exc)
    return wrapper  # type: ignore[return-value]


def _load(path: Path) -> CompiledScheme:
    from ..api import load_scheme

    return load_scheme(path)


def _list_files(pairs: Sequence[str]) -> dict[str, Path]:
    out = {}
    for pair in pairs:
        fact, sep, file = pair.partition("=")
        if not sep or not fact or not file:
            raise UsageError(_("--list takes FACT=FILE, not {value}").format(value=repr(pair)))
        out[fact.strip()] = Path(file)
    return out


def _read_facts_for(scheme: CompiledScheme, facts: Path, lists: dict[str, Path],
                    skip_invalid: bool, period: str | None = None
                    ) -> tuple[FactsFile, tuple[str, ...]]:
    """The facts to evaluate, and the units skipped (only with --skip-invalid); `period`
    (--period) overrides the file's for the scheme's `source: period` facts."""
    from ..facts import check_facts_file
    from ..render.text import format_diagnostics

    checked = check_facts_file(scheme.model, facts, lists=lists or None, period=period)
    if not skip_invalid or not checked.problems:
        return checked.strict(), ()
    data = checked.lenient()  # raises when the file as a whole is unusable
    click.echo(format_diagnostics(checked.problems), err=True)
    click.echo(_("skipped {count} unit(s) with errors (--skip-invalid): {units}").format(
        count=len(checked.skipped), units=", ".join(checked.skipped)), err=True)
    return data, checked.skipped


scheme_argument = click.argument("scheme", type=click.Path(exists=True, dir_okay=False,
                                                           path_type=Path))
facts_argument = click.argument("facts", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path))
output_option = click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                             help=N_("Write to this file (atomically) instead of standard "
                                     "output."))


def _route_click_messages() -> None:
    """click marks its own messages (usage lines, "Error: ...") for gettext's default domain;
    send them to evalrules' click catalog so that they follow `--lang` too."""
    import importlib

    for name in ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types",
                 "utils", "shell_completion"):
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # pragma: no cover - a click without that module
            continue
        if callable(getattr(module, "_", None)):
            module._ = i18n.click_gettext  # type: ignore[attr-defined]
        if callable(getattr(module, "ngettext", None)):
            module.ngettext = i18n.click_ngettext  # type: ignore[attr-defined]


class _PathName:
    """click.Path's name ("file", "directory", "path"), translated when it is read: click
    translates it once, when an option is made at import time, so it would miss `--lang`."""

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if obj.file_okay and not obj.dir_okay:
            return i18n.click_gettext("file")
        if obj.dir_okay and not obj.file_okay:
            return i18n.click_gettext("directory")
        return i18n.click_gettext("path")

    def __set__(self, obj: Any, value: str) -> None:
        pass  # worked out from the flags when read


_route_click_messages()
click.Path.name = _PathName()  # type: ignore[assignment]


class _TranslatedHelp:
    """Help text is kept in English (the msgid) and translated each time it is shown."""

    _help: str | None = None
    _short_help: str | None = None

    @property
    def help(self) -> str | None:
        return _(self._help) if self._help else self._help

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value

    @property
    def short_help(self) -> str | None:
        return _(self._short_help) if self._short_help else self._short_help

    @short_help.setter
    def short_help(self, value: str | None) -> None:
        self._short_help = value

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        options = [(p, p.help) for p in self.get_params(ctx)  # type: ignore[attr-defined]
                   if isinstance(p, click.Option) and p.help]
        try:
            for param, text in options:
                param.help = _(text)
            super().format_options(ctx, formatter)  # type: ignore[misc]
        finally:
            for param, text in options:
                param.help = text


    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        """click makes the help option once, its text in the language of that moment; keep the
        msgid instead, translated with the other options' help when shown."""
        fresh = getattr(self, "_help_option", None) is None
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and fresh:
            option.help = N_("Show this message and exit.")
        return option  # type: ignore[no-any-return]

    def get_short_help_str(self, limit: int = 45) -> str:
        """The short help, or the first sentence of the help, cut by display width."""
        text = self.short_help or (shorten(inspect.cleandoc(self.help), limit)
                                   if self.help else "")
        return text.strip()


class Context(click.Context):
    """Help wrapped by display width, so that Chinese help fits the terminal."""

    formatter_class = HelpFormatter


class Command(_TranslatedHelp, click.Command):
    context_class = Context


class Group(_TranslatedHelp, click.Group):
    command_class = Command
    context_class = Context

    def main(self, args: Sequence[str] | None = None, *pargs: Any, **kwargs: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        # Chosen before parsing, so that `--help` and click's own errors follow `--lang` too.
        with i18n.language(_requested_language(argv)):
            return super().main(argv, *pargs, **kwargs)


def _requested_language(argv: Sequence[str]) -> str:
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value is not None and i18n.normalize(value) is not None:
            return i18n.normalize(value) or i18n.DEFAULT_LANGUAGE
    return i18n.environment_language()


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("evalrules: evaluation schemes as declarative YAML, every point "
                     "explained."))
@click.option("--lang", type=click.Choice(["zh_CN", "en_US", "zh", "en"]),
              expose_value=False,
              help=N_("Language of messages, help and reports: zh_CN (Chinese) or en_US "
                      "(English). Default: the locale (LANG), Chinese when it names none."))
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, param, value: _show_version(ctx, value),
              help=N_("Show the version and exit."))
def main() -> None:
    pass


def _show_version(ctx: click.Context, value: bool) -> None:
    """`--version`, in the language of the run (click's own option translates its text once,
    when the module is imported)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(_("{program}, version {version}").format(
        program=ctx.find_root().info_name, version=version("evalrules")), color=ctx.color)
    ctx.exit()



def report_diagnostics(every: Sequence[Diagnostic], fmt: str, strict: bool, clean: str) -> None:
    """Print a check's diagnostics (text or JSON) and exit as they ask: 3 for errors, 1 for
    warnings with --strict. `clean` is printed when there is nothing to report."""
    if fmt == "json":
        from ..render import jsonout

        click.echo(jsonout.dumps(jsonout.diagnostics(every)))
    elif every:
        from ..render.text import format_diagnostics

        click.echo(format_diagnostics(every), err=True)
    else:
        click.echo(clean)
    if any(d.is_error for d in every):
        sys.exit(SchemeError.exit_code)
    if strict and every:
        sys.exit(EXIT_TESTS_FAILED)
