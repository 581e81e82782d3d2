"""Check paths (files or folders), and apply fixes until nothing more changes.

Shared by ``flash-ls check`` and the server's ``flash.check`` command.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls.diagnostic import Diagnostic
from flash_ls.project.roots import app_root_in, app_roots_in
from flash_ls.results import INDEX_REPLAY_SECONDS, AppResult, ResultCache

if TYPE_CHECKING:  # the engine is imported when an app has to be checked, not for a replay
    from flash_ls.project.app import App
    from flash_ls.project.cache import FactsCache
    from flash_ls.project.config import ConfigProblem


_SIZE_RULES = ("FL401", "FL402")


class CheckInputError(Exception):
    """A path that does not exist or cannot be read: a usage error, not a finding."""


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    apps: list[App]
    problems: list[ConfigProblem] = field(default_factory=list)  # with any, nothing is trusted
    fixed: int = 0  # findings whose fix was applied
    changed: dict[Path, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)
    files: int = 0  # Python files of Flash apps checked under the paths (0: no Flash app there)
    converged: bool = True  # False: fixes still applied when the fix loop stopped


def _boundary(path: Path, cwd: Path) -> Path:
    """The folder app-root discovery may not go above: the checked folder, or for a file the cwd."""
    if path.is_dir():
        return path
    if path == cwd or cwd in path.parents:
        return cwd
    return path.parent


def _within(path: Path, targets: Sequence[Path]) -> bool:
    return any(path == t or t in path.parents for t in targets)


def check_paths(
    paths: Sequence[Path],
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    cache: FactsCache | None = None,
    cwd: Path | None = None,
    overlays: dict[Path, str] | None = None,
    overrides: dict[str, object] | None = None,
    results: ResultCache | None = None,
    need_edits: bool = False,
    notice: Callable[[str], None] | None = None,
) -> CheckResult:
    """Findings for ``paths``: every app under a folder; for a file, its app's findings in that file.

    With ``results``, an app whose files did not change since a stored check is replayed instead of
    checked (it is then missing from ``CheckResult.apps``); ``need_edits`` says that the caller
    will read fix edits, so they are stored, and a result stored without them is not replayed.
    ``notice(message)`` hears when the check waits for a dependency resolution.
    """
    cwd = (cwd or Path.cwd()).resolve()
    targets: list[Path] = []
    for raw in paths:
        path = (cwd / raw) if not raw.is_absolute() else raw
        if not path.exists():
            raise CheckInputError(f"{raw}: no such file or directory")
        if not os.access(path, os.R_OK):
            raise CheckInputError(f"{raw}: permission denied")
        targets.append(path.resolve())
    folders = sorted({_boundary(t, cwd).resolve() for t in targets})
    roots: set[Path] = set()
    everywhere = app_roots_in(folders) if any(t.is_dir() for t in targets) else None
    for target in targets:
        if everywhere is not None and target.is_dir():
            roots.update(r for r in everywhere if _within(r, [target]) or r in target.parents)
        else:
            roots.add(app_root_in(target, folders))
    by_root: dict[Path, AppResult] = {}  # replayed, then checked
    stamps: dict[Path, str] = {}
    if results is not None and not overlays:
        options = {"select": select, "ignore": ignore, "overrides": overrides}
        for root in sorted(roots):
            stamp = results.stamp(root, options)
            if stamp is None:
                continue
            found = results.get(root, stamp, need_edits=need_edits)
            if found is not None:
                by_root[root] = found
            else:
                stamps[root] = stamp
    apps: list[App] = []
    if len(by_root) < len(roots):
        from flash_ls.project.cache import FactsCache
        from flash_ls.project.sizes import resolution, start_size_lookups
        from flash_ls.project.workspace import Workspace
        from flash_ls.rules.engine import check_app, selected_rules
        from flash_ls.rules.registry import is_known_selector

        resolution.set_waiting_notice(notice)
        workspace = Workspace(
            folders,
            cache=cache or FactsCache(),
            overrides=dict(overrides or {}),
            known_roots=everywhere,
            known_selector=is_known_selector,
        )
        for path, text in (overlays or {}).items():
            workspace.update(path, text)
        # Each app's dependency resolution starts as it loads: it overlaps the rest of the work
        # (unless the options leave the size rules out).
        sized = any(r.code in _SIZE_RULES for r in selected_rules(select, ignore))
        for root in sorted(roots):
            if root not in by_root:
                loaded = workspace.app(root)
                apps.append(start_size_lookups(loaded) if sized else loaded)
    diagnostics: list[Diagnostic] = []
    problems: list[ConfigProblem] = []
    for app in apps:
        result = AppResult(
            tuple(check_app(app, select=select, ignore=ignore)),
            tuple(app.config_problems),
            tuple(s.path for s in app.files.values()) if app.uses_sdk else (),
        )
        stamp = stamps.get(app.root)
        if results is not None and stamp is not None and _replayable(app):
            # Size findings rest on a pip resolution (the app API's too, once it declares any).
            sized_app = app.uses_flash or app.uses_app_api
            expires = time.time() + INDEX_REPLAY_SECONDS if sized_app else float("inf")
            results.put(app.root, stamp, result, expires=expires, with_edits=need_edits)
        by_root[app.root] = result
    files = 0
    for root in sorted(by_root):
        result = by_root[root]
        problems.extend(result.problems)
        files += sum(1 for path in result.files if _within(path, targets))
        for diagnostic in result.diagnostics:
            if _within(diagnostic.path, targets) or diagnostic.path in targets:
                diagnostics.append(diagnostic)
    diagnostics.sort(key=Diagnostic.sort_key)
    if results is not None:
        results.flush()
    return CheckResult(diagnostics, apps, problems, files=files)


def _replayable(app: App) -> bool:
    """Whether the app's findings may be replayed while its files do not change: not when its
    dependencies are resolved by an interpreter outside it (a configured one), nor when its
    size estimate rests on something of the moment (offline, a timeout, an unreachable index):
    the next check may know more."""
    from flash_ls.project.sizes import computed_estimate
    from flash_ls.project.sizes.app_api_estimate import computed_artifacts

    if app.config.python is not None:
        return False
    estimate = computed_estimate(app)
    if estimate is not None and not estimate.settled:
        return False
    return all(a.estimate.settled for a in computed_artifacts(app) or ())


def fix_paths(
    paths: Sequence[Path],
    *,
    write: bool,
    unsafe: bool = False,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    cache: FactsCache | None = None,
    cwd: Path | None = None,
    overrides: dict[str, object] | None = None,
    notice: Callable[[str], None] | None = None,
) -> CheckResult:
    """Apply safe fixes (``unsafe``: every fix) until none applies, re-checking after each round
    (a fix can reveal or enable another); the result is the check of the fixed texts.

    With ``write=False`` nothing touches the disk; ``changed`` holds what would change.
    """
    from flash_ls.fixes.apply import fix_until_stable

    run_check = functools.partial(
        check_paths,
        paths,
        select=select,
        ignore=ignore,
        cache=cache,
        cwd=cwd,
        overrides=overrides,
        notice=notice,
    )
    result = run_check()
    if result.problems:
        return result  # a configuration that is not applied decides nothing, fixes included
    loaded = {s.path: s.text for app in result.apps for s in app.files.values()}

    def read(path: Path) -> str | None:
        text = loaded.get(path)
        if text is not None:
            return text
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""  # a fix may create a file (e.g. .gitignore)
        except (OSError, UnicodeDecodeError):
            return None

    def recheck(texts: Mapping[Path, str]) -> list[Diagnostic]:
        nonlocal result
        result = run_check(overlays=dict(texts))
        return result.diagnostics

    run = fix_until_stable(result.diagnostics, read, recheck, unsafe=unsafe)
    changed = {p: (run.originals[p], t) for p, t in run.texts.items() if run.originals[p] != t}
    if write:
        for path, (_, text) in changed.items():
            write_text_atomic(path, text)
        if any(path.suffix != ".py" for path in changed):
            result = run_check()  # the checks above saw only Python files' new texts
    result.fixed = run.fixed
    result.changed = changed
    result.converged = run.converged
    return result


def write_text_atomic(path: Path, text: str) -> None:
    """Replace a file's text without ever leaving it half-written; keeps its mode, a UTF-8 BOM and,
    for Python files, the encoding their coding declaration names (PEP 263)."""
    from flash_ls.project.encoding import encode_source

    bom = False
    mode = None
    if path.exists():
        bom = path.read_bytes().startswith(b"\xef\xbb\xbf")
        mode = path.stat().st_mode & 0o7777
    if path.suffix == ".py":
        data = encode_source(text, bom=bom)
    else:
        data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
