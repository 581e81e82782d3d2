"""The ``flash-ls`` command line: check, rules, serve (build and deploy commands register themselves)."""

from __future__ import annotations

import gc
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flash_ls import __version__
from flash_ls.diagnostic import Severity
from flash_ls_cli.output import FORMATS, display_path, render, render_diff

if TYPE_CHECKING:
    from flash_ls.project.app import App
    from flash_ls.project.cache import FactsCache

app = typer.Typer(
    name="flash-ls",
    help="Static checks, fixes, build and deploy for Runpod Flash apps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FAIL_ON = ("error", "warning", "info", "hint", "never")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flash-ls {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Static checks, fixes, build and deploy for Runpod Flash apps."""


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"flash-ls: {message}", err=True)
    return typer.Exit(code)


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="flash-ls: %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: .).")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--output-format", "-f", help=f"One of {', '.join(FORMATS)}.")
    ] = "text",
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on", help="Exit 1 on a finding at or above: error, warning, info, hint, never."
        ),
    ] = "error",
    select: Annotated[
        list[str] | None, typer.Option("--select", help="Codes, prefixes or slugs to enable.")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Codes, prefixes or slugs to disable.")
    ] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes in place.")] = False,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show what --fix would change; write nothing.")
    ] = False,
    watch: Annotated[bool, typer.Option("--watch", help="Re-check when files change.")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Do not read or write the parse cache.")
    ] = False,
    color: Annotated[
        bool | None, typer.Option("--color/--no-color", help="Colour text output.")
    ] = None,
    python: Annotated[
        Path | None,
        typer.Option("--python", help="Interpreter or venv whose packages size the dependencies."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log details (and tracebacks).")
    ] = False,
) -> None:
    """Check Flash apps and report findings (exit 0: none at --fail-on, 1: some, 2: usage/internal error)."""
    _setup_logging(verbose)
    if output_format not in FORMATS:
        raise _fail(f"unknown --output-format {output_format!r} (choose from {', '.join(FORMATS)})")
    if fail_on not in FAIL_ON:
        raise _fail(f"unknown --fail-on {fail_on!r} (choose from {', '.join(FAIL_ON)})")
    selected = _split(select) or None
    ignored = _split(ignore)
    from flash_ls.rules.registry import is_known_selector

    for selector in [*(selected or []), *ignored]:
        if not is_known_selector(selector):
            raise _fail(f"unknown rule selector {selector!r} (see `flash-ls rules`)")
    from flash_ls.project.cache import FactsCache, default_cache_dir

    run = _CheckRun(
        targets=paths or [Path(".")],
        output_format=output_format,
        fail_on=fail_on,
        select=selected,
        ignore=ignored,
        fix=fix,
        diff=diff,
        color=sys.stdout.isatty() if color is None else color,
        verbose=verbose,
        cache=FactsCache(None if no_cache else default_cache_dir()),
        overrides={"python": str(python.resolve())} if python else {},
    )
    if watch:
        run.watch()
        return
    raise typer.Exit(run.once())


@dataclass
class _CheckRun:
    targets: list[Path]
    output_format: str
    fail_on: str
    select: list[str] | None
    ignore: list[str]
    fix: bool
    diff: bool
    color: bool
    verbose: bool
    cache: FactsCache
    overrides: dict[str, object]

    def once(self) -> int:
        try:
            return self._once()
        finally:
            self.cache.flush()  # write what this run parsed (a warm run writes nothing)

    def _once(self) -> int:
        from flash_ls.checking import CheckInputError, check_paths, fix_paths

        cwd = Path.cwd()
        try:
            if self.fix or self.diff:
                result = fix_paths(
                    self.targets,
                    write=self.fix and not self.diff,
                    select=self.select,
                    ignore=self.ignore,
                    cache=self.cache,
                    cwd=cwd,
                    overrides=self.overrides,
                )
            else:
                result = check_paths(
                    self.targets,
                    select=self.select,
                    ignore=self.ignore,
                    cache=self.cache,
                    cwd=cwd,
                    overrides=self.overrides,
                )
        except CheckInputError as err:
            typer.echo(f"flash-ls: {err}", err=True)
            return 2
        except Exception as err:  # an internal error is exit 2 with one line, never a traceback
            if self.verbose:
                raise
            typer.echo(
                f"flash-ls: internal error: {type(err).__name__}: {err} (run with --verbose for details)",
                err=True,
            )
            return 2
        for problem in result.problems:
            typer.echo(f"flash-ls: warning: {problem}", err=True)
        if self.verbose:
            self._describe_sizes(result.apps)
        texts = {s.path: s.text for a in result.apps for s in a.files.values()}

        def read_lines(path: Path) -> list[str] | None:
            text = texts.get(path)
            if text is None:
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    return None
            return text.splitlines()

        if self.diff:
            for path, (before, after) in sorted(result.changed.items()):
                typer.echo(render_diff(before, after, display_path(path, cwd)), nl=False)
        elif self.fix and result.fixed:
            typer.echo(f"Fixed {result.fixed} problem{'s' if result.fixed != 1 else ''}.", err=True)
        output = render(
            result.diagnostics,
            self.output_format,
            cwd=cwd,
            read_lines=read_lines,
            tool_version=__version__,
            color=self.color and self.output_format == "text",
        )
        if output and not (self.diff and self.output_format == "text" and not result.diagnostics):
            sys.stdout.write(output)
            sys.stdout.flush()  # --watch prints into pipes (CI logs, editors) as it goes
        if self.fail_on == "never":
            return 0
        threshold = Severity.parse(self.fail_on)
        return 1 if any(d.severity >= threshold for d in result.diagnostics) else 0

    def _describe_sizes(self, apps: list[App]) -> None:
        # What the size budget rules estimated, and what they could not know (offline, unknown).
        from flash_ls.project.sizes import cached_estimate

        for checked in apps:
            estimate = cached_estimate(checked)
            typer.echo(f"flash-ls: size estimate for {checked.root}:", err=True)
            for line in estimate.describe(checked.config.size_budget_mb):
                typer.echo(f"  {line}", err=True)

    def watch(self) -> None:
        import watchfiles

        self.once()
        ready = False
        try:
            # yield_on_timeout: the first (empty) yield proves the watcher is running, so the
            # "Watching" line never promises more than it does.
            for changes in watchfiles.watch(
                *self.targets,
                watch_filter=_watch_filter,
                raise_interrupt=False,
                yield_on_timeout=True,
                rust_timeout=500,
            ):
                if not ready:
                    typer.echo("Watching for changes (Ctrl-C to stop)...", err=True)
                    ready = True
                if changes:
                    typer.echo("\x1b[2J\x1b[H" if sys.stdout.isatty() else "", nl=False)
                    self.once()
        except KeyboardInterrupt:
            return


def _watch_filter(change: object, path: str) -> bool:
    name = Path(path).name
    return name.endswith(".py") or name in (
        "pyproject.toml",
        "requirements.txt",
        ".gitignore",
        ".flashignore",
    )


@app.command()
def rules(
    rule: Annotated[
        str | None, typer.Argument(help="A rule code or slug (default: list all).")
    ] = None,
    output_format: Annotated[
        str, typer.Option("--output-format", "-f", help="text or json.")
    ] = "text",
) -> None:
    """Show a rule's documentation, or list every rule."""
    import json

    from flash_ls.rules.docs import render_rule_text
    from flash_ls.rules.registry import all_rules, lookup

    if rule is None:
        listing = all_rules()
        if output_format == "json":
            typer.echo(
                json.dumps(
                    [
                        {
                            "code": r.code,
                            "rule": r.slug,
                            "severity": r.severity.label,
                            "fix": r.fix.value,
                            "summary": r.summary,
                        }
                        for r in listing
                    ],
                    indent=2,
                )
            )
            return
        for r in listing:
            typer.echo(f"{r.code}  {r.slug:<30} {r.severity.label:<8} {r.summary}")
        return
    found = lookup(rule)
    if found is None:
        raise _fail(f"unknown rule {rule!r} (see `flash-ls rules`)")
    if output_format == "json":
        typer.echo(
            json.dumps(
                {
                    "code": found.code,
                    "rule": found.slug,
                    "severity": found.severity.label,
                    "fix": found.fix.value,
                    "summary": found.summary,
                    "doc": found.doc,
                    "url": found.doc_url,
                },
                indent=2,
            )
        )
        return
    typer.echo(render_rule_text(found))


@app.command()
def serve(
    stdio: Annotated[
        bool, typer.Option("--stdio", help="Talk LSP over stdin/stdout (the default).")
    ] = False,
    tcp: Annotated[
        str | None, typer.Option("--tcp", help="Listen on HOST:PORT instead of stdio.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log details to stderr.")
    ] = False,
) -> None:
    """Run the language server."""
    _setup_logging(verbose)
    from flash_ls.server import serve as run_server

    if tcp:
        host, _, port = tcp.rpartition(":")
        if not port.isdigit():
            raise _fail(f"--tcp expects HOST:PORT, got {tcp!r}")
        run_server("tcp", host or "127.0.0.1", int(port))
    else:
        run_server("stdio")


def _register_optional_commands() -> None:
    # Build/deploy commands live in their own modules; each adds its commands to the app.
    import importlib

    for module in ("flash_ls_cli.build_cmd", "flash_ls_cli.deploy_cmd"):
        try:
            importlib.import_module(module).register(app)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


_register_optional_commands()


def main() -> None:
    """Console-script entry point."""
    # A CLI run builds a few hundred thousand small, acyclic objects (facts from the cache) and
    # exits: the default thresholds spend ~60% of the cache load in collections (measured on L).
    # Collect rarely instead (mypy does the same); cycles are still collected, just later.
    gc.set_threshold(200_000, 30, 30)
    app()


if __name__ == "__main__":
    main()
