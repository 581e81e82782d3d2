"""The ``flash-ls`` entry point: ``check``, ``manifest`` and ``build`` straight from argv, typer
for the rest.

Start-up is most of a small run: typer, click and the pydantic type adapters typer builds for each
parameter cost more than checking or building a small app. So the common command lines of the
commands CI runs most, ``flash-ls check ...``, ``flash-ls manifest ...`` and ``flash-ls build ...``
with their documented options, are read here and run by ``runner`` (``building``) directly; so is
``flash-ls --version``. Anything else (``--help``, a short-option cluster, an unknown or repeated
option, an option value that looks like an option, ``--``, another command) goes to the typer app
in ``typer_app``, which also gives every usage error its message. Both paths run the same
functions, so output and exit codes are the same.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# What an option does with its value: a flag sets True (or False for its --no- form), the others
# take the next argument (or the text after ``=``); a multiple option collects every occurrence.
_TRUE, _FALSE, _VALUE, _MULTIPLE = "true", "false", "value", "multiple"
Spec = dict[str, tuple[str, str]]  # option -> (parameter, kind)

MANIFEST_OPTIONS: Spec = {"--python-version": ("python_version", _VALUE)}
BUILD_OPTIONS: Spec = {
    "--no-deps": ("no_deps", _TRUE),
    "--output": ("output", _VALUE),
    "-o": ("output", _VALUE),
    "--exclude": ("exclude", _MULTIPLE),
    "--python-version": ("python_version", _VALUE),
}
CHECK_OPTIONS: Spec = {
    "--output-format": ("output_format", _VALUE),
    "-f": ("output_format", _VALUE),
    "--fail-on": ("fail_on", _VALUE),
    "--select": ("select", _MULTIPLE),
    "--ignore": ("ignore", _MULTIPLE),
    "--fix": ("fix", _TRUE),
    "--unsafe-fixes": ("unsafe_fixes", _TRUE),
    "--diff": ("diff", _TRUE),
    "--watch": ("watch", _TRUE),
    "--no-cache": ("no_cache", _TRUE),
    "--color": ("color", _TRUE),
    "--no-color": ("color", _FALSE),
    "--python": ("python", _VALUE),
    "--offline": ("offline", _TRUE),
    "--size-platform": ("size_platform", _VALUE),
    "--size-timeout": ("size_timeout", _VALUE),
    "--verbose": ("verbose", _TRUE),
    "-v": ("verbose", _TRUE),
}


def main() -> None:
    """Console-script entry point."""
    # A CLI run builds a few hundred thousand small, acyclic objects (facts from the cache) and
    # exits: the default thresholds spend ~60% of the cache load in collections (measured on L).
    # Collect rarely instead (mypy does the same); cycles are still collected, just later.
    gc.set_threshold(200_000, 30, 30)
    command = fast_command(sys.argv[1:])
    if command is not None:
        sys.exit(_run(command))
    from flash_ls_cli.typer_app import app

    app()


def __getattr__(name: str) -> Any:
    # ``flash_ls_cli.main.app``: the typer app, built when first asked for.
    if name == "app":
        from flash_ls_cli.typer_app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fast_command(argv: Sequence[str]) -> Callable[[], int] | None:
    """The run of ``flash-ls <argv>`` when the fast path reads it exactly as typer would, else None."""
    if not argv or any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ):
        return None  # help, or a shell-completion request
    if os.name == "nt":
        return None  # click expands wildcards in the arguments there
    name, rest = argv[0], argv[1:]
    if name == "--version" and not rest:
        return _print_version
    if name == "manifest":
        parsed = parse_options(rest, MANIFEST_OPTIONS, max_arguments=1)
        if parsed is None:
            return None
        options, arguments = parsed
        from flash_ls_cli.runner import run_manifest

        app_dir = Path(arguments[0]) if arguments else Path(".")
        return lambda: run_manifest(app_dir, **options)
    if name == "build":
        parsed = parse_options(rest, BUILD_OPTIONS, max_arguments=1)
        if parsed is None:
            return None
        options, arguments = parsed
        from flash_ls_cli.building import run_build

        app_dir = Path(arguments[0]) if arguments else Path(".")
        return lambda: run_build(app_dir, **options)
    if name == "check":
        parsed = parse_options(rest, CHECK_OPTIONS)
        if parsed is None:
            return None
        options, arguments = parsed
        from flash_ls_cli.runner import run_check

        if "python" in options:
            options["python"] = Path(options["python"])
        if "size_timeout" in options:
            try:
                options["size_timeout"] = float(options["size_timeout"])
            except ValueError:
                return None  # typer says what is wrong with it
        paths = [Path(argument) for argument in arguments] or None
        return lambda: run_check(paths, **options)
    return None


def _print_version() -> int:
    from flash_ls import __version__

    sys.stdout.write(f"flash-ls {__version__}\n")
    sys.stdout.flush()
    return 0


def parse_options(
    args: Sequence[str], spec: Spec, *, max_arguments: int | None = None
) -> tuple[dict[str, Any], list[str]] | None:
    """``args`` as (parameter values, positional arguments), or None where typer must decide.

    Only the unambiguous forms are read: a long option with its value after ``=`` or in the next
    argument, a short option on its own, each non-multiple option at most once, positional
    arguments that are not empty and do not start with ``-``.
    """
    options: dict[str, Any] = {}
    arguments: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if not arg.startswith("-"):
            if not arg:
                return None
            arguments.append(arg)
            continue
        name, equals, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        found = spec.get(name)
        if found is None:
            return None
        parameter, kind = found
        if kind in (_TRUE, _FALSE):
            if equals:
                return None
            value: Any = kind == _TRUE
        else:
            if equals:
                value = inline
            elif index < len(args):
                value = args[index]
                index += 1
            else:
                return None
            if not value or value.startswith("-"):
                return None
        if kind == _MULTIPLE:
            options.setdefault(parameter, []).append(value)
        elif parameter in options:
            return None
        else:
            options[parameter] = value
    if max_arguments is not None and len(arguments) > max_arguments:
        return None
    return options, arguments


def _run(command: Callable[[], int]) -> int:
    """Run a fast-path command; failures end as they do under typer."""
    try:
        return command()
    except KeyboardInterrupt:
        return 130
    except Exception as err:
        from flash_ls_cli.runner import ExitCode  # loaded by every command but --version

        if isinstance(err, ExitCode):
            return err.code
        if isinstance(err, EOFError):
            sys.stderr.write("\nAborted.\n")
            return 1
        import errno

        if isinstance(err, OSError) and err.errno == errno.EPIPE:
            _discard_output()  # the reader went away (`| head`): no traceback, no error at exit
            return 1
        raise


def _discard_output() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            continue
    os.close(devnull)


if __name__ == "__main__":
    main()
