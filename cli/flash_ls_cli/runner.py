"""What ``flash-ls check`` and ``flash-ls manifest`` do, without the typer front end.

Both front ends call these: ``main`` runs them straight from ``sys.argv`` for the common command
lines (typer, click and pydantic's type adapters are most of a small run's start-up), and the typer
commands in ``typer_app`` / ``build_cmd`` wrap them for everything else (help, usage errors). Each
function returns the exit status, or raises ``ExitCode`` once its message is printed.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls import __version__
from flash_ls_cli.output import FORMATS, echo

if TYPE_CHECKING:
    from collections.abc import Sequence

    from flash_ls.build.errors import BuildError
    from flash_ls.diagnostic import Diagnostic
    from flash_ls.project.app import App
    from flash_ls.project.cache import FactsCache
    from flash_ls.project.config import ConfigProblem
    from flash_ls.results import ResultCache

FAIL_ON = ("error", "warning", "info", "hint", "never")
EDIT_FORMATS = ("json", "sarif")
"""Output formats that print fix edits (a replayed result must carry them)."""


class ExitCode(Exception):
    """Stop the command with exit status ``code``; what went wrong is already printed."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def fail(message: str, code: int = 2) -> ExitCode:
    """Print ``flash-ls: message`` on stderr; raise the result to exit with ``code``."""
    echo(f"flash-ls: {message}", err=True)
    return ExitCode(code)


def split_values(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values, stripped, empty ones dropped."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="flash-ls: %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


# -- check ----------------------------------------------------------------------------------------


def run_check(
    paths: list[Path] | None = None,
    *,
    output_format: str = "text",
    fail_on: str = "error",
    select: list[str] | None = None,
    ignore: list[str] | None = None,
    fix: bool = False,
    unsafe_fixes: bool = False,
    diff: bool = False,
    watch: bool = False,
    no_cache: bool = False,
    color: bool | None = None,
    python: Path | None = None,
    offline: bool = False,
    size_platform: str | None = None,
    size_timeout: float | None = None,
    verbose: bool = False,
) -> int:
    """``flash-ls check``: 0 when nothing is at ``fail_on`` or above, 1 otherwise, 2 on misuse.

    Paths holding no Flash app are not a failure: a warning says so and the status is 0. A
    ``--watch`` stopped by Ctrl-C or SIGTERM exits 0.
    """
    setup_logging(verbose)
    if output_format not in FORMATS:
        raise fail(f"unknown --output-format {output_format!r} (choose from {', '.join(FORMATS)})")
    if fail_on not in FAIL_ON:
        raise fail(f"unknown --fail-on {fail_on!r} (choose from {', '.join(FAIL_ON)})")
    selected = split_values(select) or None
    ignored = split_values(ignore)
    from flash_ls.rules.registry import is_known_selector

    for selector in [*(selected or []), *ignored]:
        if not is_known_selector(selector):
            raise fail(f"unknown rule selector {selector!r} (see `flash-ls rules`)")
    overrides: dict[str, object] = {
        "python": str(python.resolve()) if python else None,
        "offline": True if offline else None,
        "size_platform": size_platform,
        "size_timeout": size_timeout,
    }
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if overrides:
        from flash_ls.project.config import SETTINGS, Config, ConfigError

        try:
            Config().merged(overrides, is_known_selector)
        except ConfigError as err:
            message = str(err)
            for key in overrides:  # name the option, not the setting it becomes
                message = message.replace(f"{SETTINGS}: `{key}`", f"--{key.replace('_', '-')}")
            raise fail(message) from None
    from flash_ls.project.cache import FactsCache, default_cache_dir

    run = CheckRun(
        targets=paths or [Path(".")],
        output_format=output_format,
        fail_on=fail_on,
        select=selected,
        ignore=ignored,
        fix=fix,
        unsafe_fixes=unsafe_fixes,
        diff=diff,
        color=sys.stdout.isatty() if color is None else color,
        verbose=verbose,
        cache=FactsCache(None if no_cache else default_cache_dir()),
        overrides=overrides,
    )
    if watch:
        run.watch()
        return 0
    return run.once()


class CheckRun:
    """One ``check`` configuration, run once or on every change (``--watch``)."""

    def __init__(
        self,
        *,
        targets: list[Path],
        output_format: str,
        fail_on: str,
        select: list[str] | None,
        ignore: list[str],
        fix: bool,
        unsafe_fixes: bool,
        diff: bool,
        color: bool,
        verbose: bool,
        cache: FactsCache,
        overrides: dict[str, object],
    ) -> None:
        self.targets = targets
        self.output_format = output_format
        self.fail_on = fail_on
        self.select = select
        self.ignore = ignore
        self.fix = fix
        self.unsafe_fixes = unsafe_fixes
        self.diff = diff
        self.color = color
        self.verbose = verbose
        self.cache = cache
        self.overrides = overrides
        self.summary = ""  # of the last run, for the line --watch prints after it

    def once(self) -> int:
        """Check (and fix) once and print the report; the exit status."""
        try:
            return self._once()
        finally:
            self.cache.flush()  # write what this run parsed (a warm run writes nothing)

    def _results(self) -> ResultCache | None:
        """Where unchanged apps' results are replayed from: the facts cache's directory, unless
        the run needs the apps themselves (``--verbose`` prints their size breakdown)."""
        if self.cache.directory is None or self.verbose:
            return None
        from flash_ls.results import ResultCache

        return ResultCache(self.cache.directory)

    def _once(self) -> int:
        from flash_ls.checking import CheckInputError, check_paths, fix_paths
        from flash_ls.diagnostic import Severity
        from flash_ls.fixes.apply import MAX_FIX_ROUNDS
        from flash_ls_cli.output import display_path, render, render_diff

        cwd = Path.cwd()
        try:
            if self.fix or self.diff:
                result = fix_paths(
                    self.targets,
                    write=self.fix and not self.diff,
                    unsafe=self.unsafe_fixes,
                    select=self.select,
                    ignore=self.ignore,
                    cache=self.cache,
                    cwd=cwd,
                    overrides=self.overrides,
                    notice=_notice,
                )
            else:
                result = check_paths(
                    self.targets,
                    select=self.select,
                    ignore=self.ignore,
                    cache=self.cache,
                    cwd=cwd,
                    overrides=self.overrides,
                    results=self._results(),
                    need_edits=self.output_format in EDIT_FORMATS,
                    notice=_notice,
                )
        except CheckInputError as err:
            echo(f"flash-ls: {err}", err=True)
            return 2
        except Exception as err:  # an internal error is exit 2 with one line, never a traceback
            if self.verbose:
                raise
            echo(
                f"flash-ls: internal error: {type(err).__name__}: {err} (run with --verbose for details)",
                err=True,
            )
            return 2
        if result.problems:
            report_config_problems(result.problems)
            self.summary = "Configuration errors"
            return 2
        if not result.files:
            where = ", ".join(str(target) for target in self.targets)
            echo(f"flash-ls: warning: {no_flash_app(where)}", err=True)
        self.summary = _summary(result.diagnostics) if result.files else "No Flash app found"
        if self.verbose:
            self._describe_sizes(result.apps)
        else:
            self._incomplete_sizes(result.apps)
        texts = {s.path: s.text for a in result.apps for s in a.files.values()}

        def read_lines(path: Path) -> list[str] | None:
            text = texts.get(path)
            return source_lines(text) if text is not None else excerpt_lines(path)

        if self.diff:
            for path, (before, after) in sorted(result.changed.items()):
                echo(render_diff(before, after, display_path(path, cwd)), nl=False)
        elif self.fix and result.fixed:
            echo(f"Fixed {result.fixed} problem{'s' if result.fixed != 1 else ''}.", err=True)
        if not result.converged:
            echo(
                f"flash-ls: warning: fixes were still changing files after {MAX_FIX_ROUNDS} "
                "rounds; the result of the last round is shown (a fix may undo another)",
                err=True,
            )
        threshold = None if self.fail_on == "never" else Severity.parse(self.fail_on)
        output = render(
            result.diagnostics,
            self.output_format,
            cwd=cwd,
            read_lines=read_lines,
            tool_version=__version__,
            color=self.color and self.output_format == "text",
            fail_on=threshold,
            unsafe_fixes=self.unsafe_fixes,
        )
        quiet_text = self.output_format == "text" and not result.diagnostics
        # "All checks passed!" would claim a check that nothing was given to (the warning says so).
        if output and not (quiet_text and (self.diff or not result.files)):
            sys.stdout.write(output)
            sys.stdout.flush()  # --watch prints into pipes (CI logs, editors) as it goes
        if threshold is None:
            return 0
        return 1 if any(d.severity >= threshold for d in result.diagnostics) else 0

    def _describe_sizes(self, apps: list[App]) -> None:
        # What the size budget rules estimated, and what they could not know (offline, unknown).
        from flash_ls.project.sizes import cached_estimate

        for checked in apps:
            estimate = cached_estimate(checked)
            echo(f"flash-ls: size estimate for {checked.root}:", err=True)
            for line in estimate.describe(checked.config.size_budget_mb):
                echo(f"  {line}", err=True)

    def _incomplete_sizes(self, apps: list[App]) -> None:
        # Said even without a finding: an estimate that could not count the dependencies
        # (offline, a timeout, a package pip cannot install) may hide one.
        if not apps:
            return  # all replayed: not even the estimate's module is needed
        from flash_ls.project.sizes import computed_estimate

        for checked in apps:
            estimate = computed_estimate(checked)
            for problem in estimate.problems if estimate is not None else ():
                echo(
                    f"flash-ls: note: {checked.name}: dependency sizes not counted: "
                    f"{problem.message}",
                    err=True,
                )

    def watch(self) -> None:
        """Check, then check again on every change until Ctrl-C or SIGTERM (both end it quietly).

        After each run a line with the time and the summary separates it from the next one.
        """
        import signal

        import watchfiles

        # SIGTERM stops the watch as Ctrl-C does: wherever it lands (in a check or while
        # waiting), KeyboardInterrupt unwinds to here and the process exits 0 without a trace.
        signal.signal(signal.SIGTERM, _interrupt)
        ready = False
        try:
            self.once()
            # yield_on_timeout: the first (empty) yield proves the watcher is running, so the
            # "Watching" line never promises more than it does. raise_interrupt: a signal ends
            # the loop with KeyboardInterrupt instead of watchfiles' logged warning.
            for changes in watchfiles.watch(
                *self.targets,
                watch_filter=_watch_filter,
                raise_interrupt=True,
                yield_on_timeout=True,
                rust_timeout=500,
            ):
                if changes:
                    echo("\x1b[2J\x1b[H" if sys.stdout.isatty() else "", nl=False)
                    self.once()
                if changes or not ready:
                    ready = True
                    stamp = time.strftime("%H:%M:%S")
                    echo(
                        f"[{stamp}] {self.summary}. Watching for file changes (Ctrl-C to stop).",
                        err=True,
                    )
        except KeyboardInterrupt:
            return


def _notice(message: str) -> None:
    echo(f"flash-ls: {message}", err=True)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _summary(diagnostics: list[Diagnostic]) -> str:
    """``Found 3 problems`` (``Found 0 problems``) for the line between two watched runs."""
    count = len(diagnostics)
    return f"Found {count} problem{'s' if count != 1 else ''}"


def no_flash_app(where: str) -> str:
    """What ``check``, ``manifest`` and ``build`` say when ``where`` holds no Flash app."""
    return f"no Flash app found under {where}"


def _watch_filter(change: object, path: str) -> bool:
    name = Path(path).name
    return name.endswith(".py") or name in (
        "pyproject.toml",
        "requirements.txt",
        ".gitignore",
        ".flashignore",
    )


# -- manifest (and what build shares with it) -----------------------------------------------------


def run_manifest(app_dir: Path = Path("."), python_version: str | None = None) -> int:
    """``flash-ls manifest``: print the flash_manifest.json `flash build` would write.

    Exit 1 when error findings or the build engine stop it, 2 when ``app_dir`` is no directory.
    """
    from flash_ls.build.errors import BuildError
    from flash_ls.build.manifest import build_manifest, manifest_json

    app = load_app(app_dir)
    stop_on_errors(app)
    try:
        manifest = build_manifest(app, python_version=python_version)
    except BuildError as err:
        raise build_failure(err) from None
    echo(manifest_json(manifest))
    return 0


def load_app(app_dir: Path) -> App:
    """The app rooted at ``app_dir``, parsed through the on-disk cache.

    Exit 2 when ``app_dir`` is no directory or holds no Flash app (nothing to build).
    """
    from flash_ls.project.cache import FactsCache, default_cache_dir
    from flash_ls.project.workspace import Workspace
    from flash_ls.rules.registry import is_known_selector

    root = app_dir.resolve()
    if not root.is_dir():
        raise fail(f"{app_dir} is not a directory")
    cache = FactsCache(default_cache_dir())
    loaded = Workspace([root], cache=cache, known_selector=is_known_selector).app(root)
    cache.flush()
    if loaded.config_problems:
        report_config_problems(loaded.config_problems)
        raise ExitCode(2)
    if not loaded.uses_flash:
        from flash_ls.build.errors import app_api_only

        raise fail(app_api_only(loaded) or no_flash_app(str(app_dir)))
    return loaded


def report_config_problems(problems: Sequence[ConfigProblem]) -> None:
    """Print each ``[tool.flash-ls]`` problem as ``path:line: message`` on stderr; the command
    then exits 2, as for a bad option."""
    from flash_ls_cli.output import display_path

    cwd = Path.cwd()
    for problem in problems:
        echo(problem.located(lambda path: display_path(path, cwd)), err=True)


def stop_on_errors(app: App) -> None:
    """Print the app's blocking error findings as ``check`` does and exit 1, if there are any."""
    from flash_ls.build.blocking import blocking_findings

    errors = blocking_findings(app)
    if errors:
        print_findings(errors)
        raise ExitCode(1)


def build_failure(err: BuildError) -> ExitCode:
    """Print why the build engine stopped (its findings first); raise the result to exit 1."""
    if err.diagnostics:
        print_findings(list(err.diagnostics))
    return fail(err.message, 1)


def excerpt_lines(path: Path) -> list[str] | None:
    """The lines of a file that is not a checked source, for the text output's excerpt: only a
    small text file is read (a finding on model weights shows no excerpt and costs no memory)."""
    from flash_ls.project.encoding import read_small_text

    text = read_small_text(path)
    return source_lines(text) if text is not None else None


def source_lines(text: str) -> list[str]:
    """A file's lines as findings number them: only ``\\n``, ``\\r\\n`` and ``\\r`` end a line
    (``str.splitlines`` also breaks at form feeds, ``\\x1c``, ``\\x85``, ``\\u2028``...; the
    parser is not imported for this: a replayed check has none)."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "":
        lines.pop()  # the end of the last line, or an empty text
    return lines


def print_findings(diagnostics: list[Diagnostic]) -> None:
    """The findings on stderr in ``check``'s text format (coloured on a terminal)."""
    from flash_ls_cli.output import render

    text = render(
        diagnostics,
        "text",
        cwd=Path.cwd(),
        read_lines=excerpt_lines,
        tool_version=__version__,
        color=sys.stderr.isatty(),
    )
    echo(text, err=True, nl=False)
