"""Check paths (files or folders), and apply safe fixes until nothing more changes.

Shared by ``flash-ls check`` and the server's ``flash.check`` command.
"""

from __future__ import annotations

import functools
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls.diagnostic import Diagnostic, Fix
from flash_ls.project.roots import app_root_in, app_roots_in
from flash_ls.results import INDEX_REPLAY_SECONDS, AppResult, ResultCache

if TYPE_CHECKING:  # the engine is imported when an app has to be checked, not for a replay
    from flash_ls.project.app import App
    from flash_ls.project.cache import FactsCache

MAX_FIX_ROUNDS = 10


class CheckInputError(Exception):
    """A path that does not exist or cannot be read: a usage error, not a finding."""


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    apps: list[App]
    problems: list[str] = field(default_factory=list)  # config problems, as "path:line: message"
    fixed: int = 0
    changed: dict[Path, tuple[str, str]] = field(default_factory=dict)  # path -> (before, after)


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
) -> CheckResult:
    """Findings for ``paths``: every app under a folder; for a file, its app's findings in that file.

    With ``results``, an app whose files did not change since a stored check is replayed instead of
    checked (it is then missing from ``CheckResult.apps``); ``need_edits`` says that the caller
    will read fix edits, so they are stored, and a result stored without them is not replayed.
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
        from flash_ls.project.sizes import start_size_lookups
        from flash_ls.project.workspace import Workspace
        from flash_ls.rules.engine import check_app

        workspace = Workspace(
            folders,
            cache=cache or FactsCache(),
            overrides=dict(overrides or {}),
            known_roots=everywhere,
        )
        for path, text in (overlays or {}).items():
            workspace.update(path, text)
        # Each app's package index lookups start as it loads: they overlap the rest of the work.
        apps = [
            start_size_lookups(workspace.app(root)) for root in sorted(roots) if root not in by_root
        ]
    diagnostics: list[Diagnostic] = []
    problems: list[str] = []
    for app in apps:
        result = AppResult(
            tuple(check_app(app, select=select, ignore=ignore)), tuple(_config_problems(app))
        )
        stamp = stamps.get(app.root)
        if results is not None and stamp is not None and _replayable(app):
            expires = time.time() + INDEX_REPLAY_SECONDS if app.uses_flash else float("inf")
            results.put(app.root, stamp, result, expires=expires, with_edits=need_edits)
        by_root[app.root] = result
    for root in sorted(by_root):
        result = by_root[root]
        problems.extend(result.problems)
        for diagnostic in result.diagnostics:
            if _within(diagnostic.path, targets) or diagnostic.path in targets:
                diagnostics.append(diagnostic)
    diagnostics.sort(key=Diagnostic.sort_key)
    if results is not None:
        results.flush()
    return CheckResult(diagnostics, apps, problems)


def _replayable(app: App) -> bool:
    """Whether the app's findings may be replayed while its files do not change: not when its
    packages live outside it (a configured interpreter), nor while a dependency size is still
    on its way from the package index (the next check will know it)."""
    from flash_ls.project.sizes import computed_estimate

    if app.config.python is not None:
        return False
    estimate = computed_estimate(app)
    return estimate is None or not estimate.provisional


def _config_problems(app: App) -> list[str]:
    """The app's ``[tool.flash-ls]`` problems as ``path:line: message``."""
    found = []
    for problem in app.config_problems:
        where = f"{app.root / 'pyproject.toml'}"
        if problem.line is not None:
            where += f":{problem.line + 1}"
        found.append(f"{where}: {problem.message}")
    return found


def fix_paths(
    paths: Sequence[Path],
    *,
    write: bool,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    cache: FactsCache | None = None,
    cwd: Path | None = None,
    overrides: dict[str, object] | None = None,
) -> CheckResult:
    """Apply safe fixes repeatedly (a fix can reveal or enable another) and re-check.

    With ``write=False`` nothing touches the disk; ``changed`` holds what would change.
    """
    originals: dict[Path, str] = {}
    current: dict[Path, str] = {}
    fixed = 0
    run_check = functools.partial(
        check_paths, paths, select=select, ignore=ignore, cache=cache, cwd=cwd, overrides=overrides
    )
    from flash_ls.fixes.apply import apply_fixes_detailed

    result = run_check()
    for _ in range(MAX_FIX_ROUNDS):
        fixes = [d.fix for d in result.diagnostics if d.fix is not None and d.fix.safe]
        if not fixes:
            break
        texts = _texts_for(fixes, current, result.apps)
        applied = apply_fixes_detailed(texts, fixes)
        if not applied.texts:
            break
        fixed += len(applied.applied)
        for path, text in applied.texts.items():
            originals.setdefault(path, texts[path])
            current[path] = text
        result = run_check(overlays=current)
    changed = {p: (originals[p], t) for p, t in current.items() if originals[p] != t}
    if write:
        for path, (_, text) in changed.items():
            write_text_atomic(path, text)
    result.fixed = fixed
    result.changed = changed
    return result


def _texts_for(fixes: list[Fix], current: dict[Path, str], apps: list[App]) -> dict[Path, str]:
    by_path = {s.path: s for app in apps for s in app.files.values()}
    texts: dict[Path, str] = {}
    for fix in fixes:
        for edit in fix.edits:
            path = edit.path
            if path in texts:
                continue
            if path in current:
                texts[path] = current[path]
            elif path in by_path and by_path[path].text is not None:
                texts[path] = by_path[path].text or ""
            elif path.exists():
                texts[path] = path.read_text(encoding="utf-8")
            else:
                texts[path] = ""  # a fix may create a file (e.g. .gitignore)
    return texts


def write_text_atomic(path: Path, text: str) -> None:
    """Replace a file's text without ever leaving it half-written; keeps its mode and a UTF-8 BOM."""
    data = text.encode("utf-8")
    mode = None
    if path.exists():
        raw = path.read_bytes()
        if raw.startswith(b"\xef\xbb\xbf"):
            data = b"\xef\xbb\xbf" + data
        mode = path.stat().st_mode & 0o7777
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
