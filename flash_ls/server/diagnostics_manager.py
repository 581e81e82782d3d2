"""Diagnostics: checking apps on the engine thread, then pushing or serving them to the editor.

A check covers one app (cross-file rules need all of it). Every file of the app whose findings
changed is republished, so fixing a duplicate name in one file clears the finding in the other.
Each open document's results carry the buffer version they were computed from; results for an
older version than the editor holds are dropped (a newer check is already scheduled).

When to check after an edit adapts to what checks cost: an edit made while the app's checks are
idle (its previous edits checked: a check that costs 10 ms is done before the next keystroke) is
checked at once. An edit made while a check of the app runs or waits (the edits come faster than
the checks finish) waits the ``debounce_ms`` setting, and a newer edit of the same document
replaces the waiting check, so such a burst is checked once it pauses. At most one check of an app runs at a time: edits that arrive while
it runs are checked together by one more check when it ends (the engine applies every buffer
change at the start of a check), never by one check each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from flash_ls.diagnostic import Diagnostic
from flash_ls.project.app import App
from flash_ls.project.config import ConfigProblem
from flash_ls.project.encoding import read_small_text
from flash_ls.project.sizes import computed_estimate, resolution
from flash_ls.rules.engine import check_app, diagnostics_by_file
from flash_ls.server import unnamed
from flash_ls.server.convert import (
    config_diagnostic,
    diagnostic_key,
    result_id,
    to_lsp_diagnostic,
)
from flash_ls.server.engine_thread import Documents, Engine
from flash_ls.server.plumbing import document_path, guard
from flash_ls.server.positions import LineIndex, path_to_uri

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer


log = logging.getLogger(__name__)

EMPTY_RESULT_ID = result_id([])
_MAX_ROUNDS = 8  # a document edited while we check it: check again, but not forever
TREE_PAUSE_SECONDS = 0.2
"""After an edit's check, the endpoint tree (``flash/endpointsChanged``) waits for this pause
in the app's checks: it is no part of the diagnostics the editor waits for."""


@dataclass
class FileReport:
    """The findings of one file from one check, in engine and LSP form."""

    path: Path
    root: Path
    version: int | None  # buffer version checked; None for the file on disk
    diagnostics: list[Diagnostic]
    items: list[types.Diagnostic]
    keys: list[str]
    result_id: str
    text: str | None

    def find(self, key: str) -> Diagnostic | None:
        for candidate, found in zip(self.keys, self.diagnostics, strict=True):
            if candidate == key:
                return found
        return None


@dataclass
class AppReport:
    root: Path
    app: App
    generation: int
    sizes_pending: int | None = None
    """The resolution generation its size estimate was made at, while a dependency resolution
    was under way (None: not waiting for one): the app is re-checked when one lands."""
    files: dict[Path, FileReport] = field(default_factory=dict)
    # The app's configuration problems, and as diagnostics of the pyproject.toml they are in.
    config_problems: list[ConfigProblem] = field(default_factory=list)
    config: dict[Path, list[types.Diagnostic]] = field(default_factory=dict)
    tree: Any = None  # the app's ``flash.endpoints`` entry (None: not computed)
    # How its positions were converted: the next check reuses the LSP form of a finding that
    # did not change when the lines it points at did not either.
    encoding: str = field(default="utf-16", repr=False)
    indexes: dict[Path, LineIndex] = field(default_factory=dict, repr=False)
    uris: dict[Path, str] = field(default_factory=dict, repr=False)

    def text(self, path: Path) -> str | None:
        report = self.files.get(path)
        if report is not None:
            return report.text
        for source in self.app.files.values():
            if source.path == path:
                return source.text
        return None


# Engine thread: an app's endpoint tree, given each file's line index (positions for the client).
TreeOf = Callable[[App, Callable[[Path], LineIndex]], Any]


def build_report(
    engine: Engine,
    root: Path,
    generation: int,
    encoding: str,
    uri_for: Callable[[Path], str],
    tree_of: TreeOf | None = None,
    previous: AppReport | None = None,
) -> AppReport:
    """Engine thread: check the app at ``root`` and convert its findings for the editor (and
    with ``tree_of``, its endpoint tree). A finding of ``previous`` (the app's last report)
    found again keeps its LSP form when the lines it points at are unchanged."""
    app = engine.workspace.app(root)
    landed = resolution.generation()
    findings = check_app(app)
    estimate = computed_estimate(app)
    pending = landed if estimate is not None and estimate.provisional else None
    texts = {source.path: source.text for source in app.files.values()}
    report = AppReport(root, app, generation, pending, config_problems=list(app.config_problems))
    report.encoding = encoding
    indexes, uris = report.indexes, report.uris

    def index_for(path: Path) -> LineIndex:
        found = indexes.get(path)
        if found is None:
            text = texts.get(path)
            if text is None:
                # Not a source (pyproject.toml, .gitignore, model weights): FL403 places its
                # finding on a big file at 0:0, which needs no line of it.
                text = read_small_text(path) or ""
            found = indexes[path] = LineIndex(text, encoding)
        return found

    def uri_of(path: Path) -> str:
        found = uris.get(path)
        if found is None:
            found = uris[path] = uri_for(path)
        return found

    reuse = _Reuse(previous, encoding, index_for, uri_of)
    for problem in app.config_problems:
        if problem.path is not None:
            item = config_diagnostic(problem, index_for(problem.path))
            report.config.setdefault(problem.path, []).append(item)
    for path, diagnostics in diagnostics_by_file(app, findings).items():
        keys: list[str] = []
        items: list[types.Diagnostic] = []
        for diagnostic in diagnostics:
            known = reuse.get(diagnostic)
            key = known[1] if known is not None else diagnostic_key(diagnostic)
            keys.append(key)
            items.append(
                known[0]
                if known is not None
                else to_lsp_diagnostic(diagnostic, index_for, key, uri_of)
            )
        report.files[path] = FileReport(
            path=path,
            root=root,
            version=engine.versions.get(path),
            diagnostics=diagnostics,
            items=items,
            keys=keys,
            result_id=reuse.result_id(path, items),
            text=texts.get(path),
        )
    if tree_of is not None:
        report.tree = report_tree(report, tree_of)
    return report


def report_tree(report: AppReport, tree_of: TreeOf) -> Any:
    """Engine thread: the endpoint tree of the report's App (None for a stand-in's app, or
    when it fails: the diagnostics go out all the same)."""
    if unnamed.is_stand_in(report.root):
        return None
    texts = {source.path: source.text for source in report.app.files.values()}
    indexes = report.indexes

    def index_for(path: Path) -> LineIndex:
        found = indexes.get(path)
        if found is None:
            text = texts.get(path)
            if text is None:
                text = read_small_text(path) or ""
            found = indexes[path] = LineIndex(text, report.encoding)
        return found

    try:
        return tree_of(report.app, index_for)
    except Exception:
        log.exception("the endpoint tree of %s failed", report.root)
        return None


class _Reuse:
    """The LSP form of the findings of the previous report, for the findings found again."""

    def __init__(
        self,
        previous: AppReport | None,
        encoding: str,
        index_for: Callable[[Path], LineIndex],
        uri_of: Callable[[Path], str],
    ) -> None:
        self.previous = previous if previous is not None and previous.encoding == encoding else None
        self.index_for = index_for
        self.uri_of = uri_of
        self._known: dict[Diagnostic, tuple[types.Diagnostic, str]] | None = None

    def get(self, diagnostic: Diagnostic) -> tuple[types.Diagnostic, str] | None:
        """The previous (item, key) of an equal finding whose places read the same now."""
        if self.previous is None:
            return None
        if self._known is None:
            self._known = {}
            for file_report in self.previous.files.values():
                pairs = zip(file_report.items, file_report.keys, strict=True)
                for diagnostic_before, pair in zip(file_report.diagnostics, pairs, strict=True):
                    try:
                        self._known.setdefault(diagnostic_before, pair)
                    except TypeError:  # an unhashable fix producer: converted anew
                        continue
        try:
            found = self._known.get(diagnostic)
        except TypeError:
            return None
        if found is None:
            return None
        places = [(diagnostic.path, diagnostic.span)]
        places.extend((item.path, item.span) for item in diagnostic.related)
        for path, span in places:
            if not self._same_place(path, span.start_line, span.end_line):
                return None
        return found

    def _same_place(self, path: Path, *lines: int) -> bool:
        assert self.previous is not None
        before = self.previous.indexes.get(path)
        if before is None or self.previous.uris.get(path) != self.uri_of(path):
            return False
        now = self.index_for(path)
        for line in lines:
            if line < len(before.lines) and line < len(now.lines):
                if before.lines[line] != now.lines[line]:
                    return False
            elif before.lines != now.lines:  # past the end: positions depend on the last line
                return False
        return True

    def result_id(self, path: Path, items: list[types.Diagnostic]) -> str:
        """The file's result id: the previous one when its items are all the same objects."""
        before = self.previous.files.get(path) if self.previous is not None else None
        if (
            before is not None
            and len(before.items) == len(items)
            and all(a is b for a, b in zip(before.items, items, strict=True))
        ):
            return before.result_id
        return result_id(items)


Publish = Callable[[str, list[types.Diagnostic], "int | None"], None]
Warn = Callable[[str], None]


class DiagnosticsManager:
    """Owns checks, their results and their delivery (push or pull). Lives on the event loop."""

    def __init__(
        self,
        engine: Engine,
        documents: Documents,
        publish: Publish,
        refresh: Callable[[], None],
        warn: Warn,
    ) -> None:
        self.engine = engine
        self.documents = documents
        self._publish = publish
        self._refresh = refresh
        self._warn = warn
        self.encoding = "utf-16"
        self.pull = False  # the client pulls; nothing is pushed
        self.debounce = 0.1  # the wait after an edit made while a check runs or waits
        self.reports: dict[Path, AppReport] = {}
        self.files: dict[Path, FileReport] = {}
        self._published: dict[Path, str] = {}  # path -> result id last pushed
        self._generations: dict[Path, int] = {}
        self._epoch = 0  # bumped by changes that touch every app (settings, marker files)
        self._pending: dict[object, asyncio.Task[None]] = {}  # checks waiting to start
        self._waiting: dict[object, Path] = {}  # key of a waiting check -> its app root
        self._running: dict[Path, asyncio.Task[None]] = {}  # app root -> its running check
        self._queued: dict[Path, set[Path | None]] = {}  # root -> triggers of the next check
        self._trees: dict[Path, asyncio.Task[None]] = {}  # root -> endpoint tree to compute
        self._roots: dict[Path, Path] = {}  # file -> app root (cache)
        self._config_ids: dict[Path, dict[Path, str]] = {}  # root -> pyproject.toml -> result id
        self._announced: dict[Path, set[tuple[Path | None, str]]] = {}  # app root -> shown
        self.tree_of: TreeOf | None = None  # computed with each check when set
        self.on_checked: Callable[[AppReport], None] | None = None  # a report was accepted

    # -- bookkeeping -------------------------------------------------------------------------

    def generation(self, root: Path) -> int:
        return self._epoch + self._generations.get(root, 0)

    def touch(self, root: Path) -> None:
        """Something in the app at ``root`` changed: its results are stale."""
        self._generations[root] = self._generations.get(root, 0) + 1

    def touch_all(self) -> None:
        self._epoch += 1
        self._roots.clear()

    def root_of(self, path: Path) -> Path:
        root = self._roots.get(path)
        if root is None:
            root = self._roots[path] = self.engine.workspace.app_root(path)
        return root

    def known_roots(self) -> list[Path]:
        roots = set(self.reports)
        roots.update(self.root_of(path) for path in self.documents.paths())
        return sorted(roots)

    def uri_for(self, path: Path) -> str:
        return self.documents.uri(path) or path_to_uri(path)

    # -- checks ------------------------------------------------------------------------------

    def schedule(
        self, key: object, root: Path, *, trigger: Path | None = None, delay: float | None = None
    ) -> None:
        """Check ``root`` after ``delay`` (None: :meth:`wait_for` the app); a newer schedule
        under ``key`` replaces this one while it waits. A check of the app already running
        takes this one along: the app is checked once more when it ends."""
        wait = self.wait_for(root) if delay is None else delay  # this key's waiting one counts
        previous = self._pending.pop(key, None)
        self._waiting.pop(key, None)
        if previous is not None and not previous.done():
            previous.cancel()
        task = asyncio.get_running_loop().create_task(self._debounced(key, root, trigger, wait))
        self._pending[key] = task
        self._waiting[key] = root

    def wait_for(self, root: Path) -> float:
        """How long to wait before checking ``root`` after an edit: nothing while its checks are
        idle, the debounce while one runs or waits (edits faster than the checks finish)."""
        running = self._running.get(root)
        busy = running is not None and not running.done()
        if busy or root in self._waiting.values():
            return self.debounce
        return 0.0

    async def _debounced(self, key: object, root: Path, trigger: Path | None, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
        finally:
            if self._pending.get(key) is asyncio.current_task():
                del self._pending[key]  # started: a newer schedule no longer replaces it
                self._waiting.pop(key, None)
        running = self._running.get(root)
        if running is not None and not running.done():
            self._queued.setdefault(root, set()).add(trigger)
            return
        task = asyncio.current_task()
        assert task is not None
        self._running[root] = task
        triggers: set[Path | None] = {trigger}
        try:
            while True:
                try:
                    await self._check(root, {t for t in triggers if t is not None}, tree_now=False)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("checking %s failed", root)
                queued = self._queued.pop(root, None)
                if queued is None:
                    break
                triggers = queued  # edits that arrived while it ran, checked together
        finally:
            if self._running.get(root) is task:
                del self._running[root]

    async def check(self, root: Path, *, trigger: Path | None = None) -> AppReport:
        """Check the app now (its turn on the engine thread) and deliver the results."""
        return await self._check(root, {trigger} if trigger is not None else set())

    async def _check(
        self, root: Path, triggers: Collection[Path], *, tree_now: bool = True
    ) -> AppReport:
        """Check and deliver; the endpoint tree with it, or (``tree_now`` False: an edit's
        check) once the app's checks pause."""
        generation = self.generation(root)
        report = await self.engine.call(
            build_report,
            self.engine,
            root,
            generation,
            self.encoding,
            self.uri_for,
            self.tree_of if tree_now else None,
            self.reports.get(root),
        )
        self._accept(report, triggers)
        if self.reports.get(root) is report:
            later = self._trees.pop(root, None)
            if later is not None:
                later.cancel()
            if tree_now or self.tree_of is None:
                if self.on_checked is not None:
                    self.on_checked(report)
            else:
                loop = asyncio.get_running_loop()
                self._trees[root] = loop.create_task(self._tree_after_pause(report))
        if report.sizes_pending is not None and report.sizes_pending != resolution.generation():
            self.sizes_landed()  # it landed while the app was being checked
        return report

    async def _tree_after_pause(self, report: AppReport) -> None:
        """The endpoint tree of an edit's check, unless a newer check comes first."""
        root = report.root
        try:
            await asyncio.sleep(TREE_PAUSE_SECONDS)
            tree_of = self.tree_of
            if tree_of is None or self.reports.get(root) is not report:
                return
            report.tree = await self.engine.call(report_tree, report, tree_of)
            if self.on_checked is not None and self.reports.get(root) is report:
                self.on_checked(report)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the endpoint tree of %s failed", root)
        finally:
            if self._trees.get(root) is asyncio.current_task():
                del self._trees[root]

    async def fresh(
        self, root: Path, *, trigger: Path | None = None, tree_now: bool = True
    ) -> AppReport:
        """The app's results, checking it first when something changed since the last check."""
        report = self.reports.get(root)
        triggers = {trigger} if trigger is not None else set()
        for _ in range(_MAX_ROUNDS):
            if report is not None and report.generation >= self.generation(root):
                return report
            report = await self._check(root, triggers, tree_now=tree_now)
        assert report is not None
        return report

    async def fresh_file(self, path: Path) -> FileReport | None:
        """The results of one file, computed from the buffer version the editor holds now."""
        for _ in range(_MAX_ROUNDS):
            # A pull after an edit: the endpoint tree waits, as after a pushed edit's check.
            await self.fresh(self.root_of(path), trigger=path, tree_now=False)
            found = self.files.get(path)
            if found is None or found.version == self.documents.version(path):
                return found
            self.touch(self.root_of(path))
        return self.files.get(path)

    def sizes_landed(self) -> None:
        """Event loop: a dependency resolution finished; apps whose estimate waited for one are
        checked again (their size findings appear now, without an edit)."""
        for root, report in list(self.reports.items()):
            if report.sizes_pending is not None:
                self.touch(root)
                self.schedule(("sizes", root), root, delay=0)

    def forget_outside(self, folders: list[Path]) -> None:
        """Drop (and clear in the editor) the results of apps no longer in the workspace."""
        opened = self.documents.paths()
        for root in list(self.reports):
            inside = any(root == folder or folder in root.parents for folder in folders)
            if inside or any(root in path.parents for path in opened):
                continue
            report = self.reports.pop(root)
            self._deliver_config(root, {}, [])
            for path, file_report in report.files.items():
                if self.files.get(path) is file_report:
                    del self.files[path]
                    self._push(path, [], EMPTY_RESULT_ID)

    def cancel_all(self) -> None:
        for task in [*self._pending.values(), *self._running.values(), *self._trees.values()]:
            task.cancel()
        self._pending.clear()
        self._waiting.clear()
        self._running.clear()
        self._queued.clear()
        self._trees.clear()

    # -- delivery ----------------------------------------------------------------------------

    def _accept(self, report: AppReport, triggers: Path | Collection[Path] | None) -> None:
        """Deliver a check's results; ``triggers`` (the edited documents) are published even
        when their findings did not change, with their new version."""
        if triggers is None:
            triggers = ()
        elif isinstance(triggers, Path):
            triggers = (triggers,)
        previous = self.reports.get(report.root)
        if previous is not None and previous.generation > report.generation:
            return  # a newer check of this app already delivered
        self.reports[report.root] = report
        self._deliver_config(report.root, report.config, report.config_problems)
        others_changed = False
        # The files the editor is waiting on go out first.
        ordered = sorted(report.files.items(), key=lambda entry: entry[0] not in triggers)
        for path, file_report in ordered:
            current = self.documents.version(path)
            if self.documents.is_open(path) and file_report.version != current:
                continue  # computed from an older buffer: the newer check will deliver
            if unnamed.is_stand_in(path) and not self.documents.is_open(path):
                continue  # an unnamed buffer closed meanwhile: nothing to show it in
            if not self.documents.is_open(path):
                file_report.version = None
            before = self.files.get(path)
            self.files[path] = file_report
            changed = (before.result_id if before else EMPTY_RESULT_ID) != file_report.result_id
            if changed and path not in triggers:
                others_changed = True
            self._push(path, file_report.items, file_report.result_id, force=path in triggers)
        if previous is not None:
            for path in set(previous.files) - set(report.files):
                if self.files.get(path) is previous.files[path]:
                    del self.files[path]
                    self._push(path, [], EMPTY_RESULT_ID)
        for trigger in triggers:
            if trigger not in report.files and self.documents.is_open(trigger):
                self.files.pop(trigger, None)
                self._push(trigger, [], EMPTY_RESULT_ID, force=True)
        if self.pull and others_changed:
            self._refresh()

    def _deliver_config(
        self, root: Path, config: dict[Path, list[types.Diagnostic]], problems: list[ConfigProblem]
    ) -> None:
        """Push the app's config problems on its pyproject.toml, even to a client that pulls (it
        pulls only the Python files it checks), and show each problem once until it is fixed."""
        before = self._config_ids.get(root, {})
        now = {path: result_id(items) for path, items in config.items()}
        for path in before.keys() - now.keys():
            self._publish(self.uri_for(path), [], None)
        for path, rid in now.items():
            if before.get(path) != rid:
                self._publish(self.uri_for(path), config[path], None)
        self._config_ids[root] = now
        # Keyed without the line: the same problem moved by an edit above it is not news.
        current = {(problem.path, problem.message): problem for problem in problems}
        shown = self._announced.get(root, set())
        for key, problem in current.items():
            if key not in shown:
                self._warn(f"flash-ls: {problem.located(lambda path: _shown_path(path, root))}")
        self._announced[root] = set(current)

    def _push(
        self, path: Path, items: list[types.Diagnostic], rid: str, *, force: bool = False
    ) -> None:
        if self.pull:
            return
        if not force and self._published.get(path, EMPTY_RESULT_ID) == rid:
            return
        self._published[path] = rid
        self._publish(self.uri_for(path), items, self.documents.version(path))

    def closed(self, path: Path) -> None:
        """A document was closed: its next results are for the file on disk."""
        self._roots.pop(path, None)

    def discard(self, path: Path) -> None:
        """An unnamed buffer is closing (call while it is open): it has no file to fall back on,
        so its one-file app is gone; clear its diagnostics in the editor."""
        pending = self._pending.pop(path, None)
        self._waiting.pop(path, None)
        if pending is not None:
            pending.cancel()
        self.reports.pop(self.root_of(path), None)
        self._roots.pop(path, None)
        if self.files.pop(path, None) is not None:
            self._push(path, [], EMPTY_RESULT_ID, force=True)

    # -- pull --------------------------------------------------------------------------------

    async def document_report(
        self, path: Path, previous_result_id: str | None
    ) -> types.DocumentDiagnosticReport:
        found = await self.fresh_file(path)
        rid = found.result_id if found is not None else EMPTY_RESULT_ID
        if previous_result_id is not None and previous_result_id == rid:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
        items = found.items if found is not None else []
        return types.RelatedFullDocumentDiagnosticReport(items=list(items), result_id=rid)

    async def workspace_report(
        self, roots: list[Path], previous: dict[str, str]
    ) -> types.WorkspaceDiagnosticReport:
        reports: list[types.WorkspaceDocumentDiagnosticReport] = []
        for root in roots:
            app_report = await self.fresh(root)
            for path in sorted(app_report.files):
                found = self.files.get(path)
                if found is None:
                    continue
                uri = self.uri_for(path)
                version = self.documents.version(path)
                before = previous.get(uri)
                if before is not None and before == found.result_id:
                    reports.append(
                        types.WorkspaceUnchangedDocumentDiagnosticReport(
                            uri=uri, version=version, result_id=found.result_id
                        )
                    )
                elif found.items or before is not None:
                    reports.append(
                        types.WorkspaceFullDocumentDiagnosticReport(
                            uri=uri,
                            version=version,
                            items=list(found.items),
                            result_id=found.result_id,
                        )
                    )
        return types.WorkspaceDiagnosticReport(items=reports)


def _shown_path(path: Path, root: Path) -> str:
    """A problem's file as messages name it: from the app's folder (``app/pyproject.toml``)."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return path.as_posix()


# -- pull handlers --------------------------------------------------------------------------------


@guard(types.TEXT_DOCUMENT_DIAGNOSTIC)
async def document_diagnostic(
    ls: FlashLanguageServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    path = document_path(params.text_document.uri)
    if path is None:
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    return await ls.diagnostics.document_report(path, params.previous_result_id)


@guard(types.WORKSPACE_DIAGNOSTIC)
async def workspace_diagnostic(
    ls: FlashLanguageServer, params: types.WorkspaceDiagnosticParams
) -> types.WorkspaceDiagnosticReport:
    previous = {item.uri: item.value for item in params.previous_result_ids}
    roots = await ls.engine.call(lambda: ls.engine.workspace.app_roots())
    roots = sorted(set(roots) | set(ls.diagnostics.known_roots()))
    return await ls.diagnostics.workspace_report(roots, previous)
