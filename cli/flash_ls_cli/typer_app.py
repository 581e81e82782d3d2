"""The typer front end of ``flash-ls``: check, rules, serve (build and deploy commands register themselves).

``main`` builds it only for command lines its fast path leaves alone (``--help``, usage errors,
``rules``, ``serve``, ``build`` ...); the command bodies live in ``runner``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flash_ls import __version__
from flash_ls_cli.options import OutputFormatOption, VerboseOption, emit
from flash_ls_cli.output import FORMATS
from flash_ls_cli.runner import ExitCode, run_check, setup_logging

app = typer.Typer(
    name="flash-ls",
    help="Static checks, fixes, build and deploy for Runpod Flash apps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: typer's rich panels print a type after every flag (``--fix <bool>``).
    rich_markup_mode=None,
)


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


@app.command()
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", help="Files or folders (default: .)."),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--output-format", "-f", metavar="FORMAT", help=f"One of {', '.join(FORMATS)}."
        ),
    ] = "text",
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Exit 1 on a finding at or above: error, warning, info, hint, never.",
        ),
    ] = "error",
    select: Annotated[
        list[str] | None,
        typer.Option("--select", metavar="RULE", help="Codes, prefixes or slugs to enable."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option("--ignore", metavar="RULE", help="Codes, prefixes or slugs to disable."),
    ] = None,
    fix: Annotated[bool, typer.Option("--fix", help="Apply safe fixes in place.")] = False,
    unsafe_fixes: Annotated[
        bool,
        typer.Option("--unsafe-fixes", help="Apply unsafe fixes too (with --fix or --diff)."),
    ] = False,
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
        typer.Option(
            "--python",
            metavar="PYTHON",
            help="Interpreter or venv whose pip resolves the dependencies (size estimate).",
        ),
    ] = None,
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Size dependencies from the cache only (no pip, no index)."),
    ] = False,
    size_platform: Annotated[
        str | None,
        typer.Option(
            "--size-platform",
            metavar="PLATFORM",
            help="Resolve dependencies for this platform (linux-x86_64 ...); default: this machine.",
        ),
    ] = None,
    size_timeout: Annotated[
        float | None,
        typer.Option(
            "--size-timeout",
            metavar="SECONDS",
            help="Longest a dependency resolution may take (default 180).",
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Check Flash apps and report findings.

    Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 for usage errors,
    unreadable paths and internal errors. Paths that hold no Flash app get a warning and exit 0;
    --watch exits 0 on Ctrl-C or SIGTERM.
    """
    try:
        code = run_check(
            paths,
            output_format=output_format,
            fail_on=fail_on,
            select=select,
            ignore=ignore,
            fix=fix,
            unsafe_fixes=unsafe_fixes,
            diff=diff,
            watch=watch,
            no_cache=no_cache,
            color=color,
            python=python,
            offline=offline,
            size_platform=size_platform,
            size_timeout=size_timeout,
            verbose=verbose,
        )
    except ExitCode as stop:
        raise typer.Exit(stop.code) from None
    raise typer.Exit(code)


@app.command()
def rules(
    rule: Annotated[
        str | None, typer.Argument(help="A rule code or slug (default: list all).")
    ] = None,
    output_format: OutputFormatOption = "text",
) -> None:
    """Show a rule's documentation, or list every rule."""
    from flash_ls.rules.docs import render_rule_text
    from flash_ls.rules.registry import Rule, all_rules, lookup

    def summary(r: Rule) -> dict[str, str]:
        return {
            "code": r.code,
            "rule": r.slug,
            "severity": r.severity.label,
            "fix": r.fix.value,
            "summary": r.summary,
        }

    if rule is None:
        listing = all_rules()

        def table() -> None:
            for r in listing:
                typer.echo(f"{r.code}  {r.slug:<30} {r.severity.label:<8} {r.summary}")

        emit(output_format, [summary(r) for r in listing], table)
        return
    found = lookup(rule)
    if found is None:
        raise _fail(f"unknown rule {rule!r} (see `flash-ls rules`)")
    data = {**summary(found), "doc": found.doc, "url": found.doc_url}
    emit(output_format, data, lambda: typer.echo(render_rule_text(found)))


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
    setup_logging(verbose)
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

    for module in (
        "flash_ls_cli.build_cmd",
        "flash_ls_cli.deploy_cmd",
        "flash_ls_cli.auth_cmd",
        "flash_ls_cli.migrate_cmd",
    ):
        try:
            importlib.import_module(module).register(app)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise


_register_optional_commands()
