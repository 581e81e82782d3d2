"""Lifecycle and workspace handlers: initialize, initialized, shutdown, exit, configuration,
workspace folders and watched files."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types

from flash_ls.project import sizes
from flash_ls.project.workspace import Workspace
from flash_ls.rules.registry import is_known_selector
from flash_ls.server.plumbing import guard, local_path
from flash_ls.server.positions import negotiate_encoding, uri_to_path
from flash_ls.server.settings import SECTION, parse_settings
from flash_ls.server.watcher import WATCH_GLOBS, Changes, FileWatcher, is_watched

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer

log = logging.getLogger("flash_ls.server")
_WATCH_REGISTRATION = "flash-ls/watched-files"
_CONFIG_REGISTRATION = "flash-ls/configuration"


def initialize(ls: FlashLanguageServer, params: types.InitializeParams) -> None:
    ls.loop = asyncio.get_event_loop()
    logging.getLogger("flash_ls").addHandler(ls.log_handler)
    offered = ls.capability("general.position_encodings")
    ls.encoding = negotiate_encoding(offered)
    ls.diagnostics.encoding = ls.encoding
    ls.diagnostics.pull = ls.client_pulls
    ls.folders = _folders(params)
    ls.engine.workspace = Workspace(ls.folders, known_selector=is_known_selector)
    sizes.set_background(True)  # never wait on pip or the network while typing
    sizes.on_landed(ls.sizes_landed)
    ls.engine.warm_up()
    ls.init_options = params.initialization_options
    settings = parse_settings(ls.init_options)
    ls.settings_problems = settings.problems  # shown once the client is initialized
    if not settings.problems:
        ls.settings = settings
    ls.diagnostics.debounce = ls.settings.debounce_ms / 1000
    ls.engine.workspace.overrides = dict(ls.settings.overrides)
    ls.set_log_level(ls.settings.log_level)
    if params.process_id is not None:
        watch_parent(params.process_id, ls.end_abruptly)


@guard(types.INITIALIZED, notification=True)
async def initialized(ls: FlashLanguageServer, params: types.InitializedParams) -> None:
    ls.loop = asyncio.get_running_loop()
    ls.announce_settings_problems()
    await fetch_client_settings(ls)
    if ls.client_settings is not None:
        await ls.apply_settings(reindex=False)
    await register_dynamic(ls)
    ls.reindex()


def shutdown(ls: FlashLanguageServer, params: None) -> None:
    ls.stop_background()


def exit_(ls: FlashLanguageServer, params: None) -> None:
    # ``serve`` ends the process within its deadline once pygls leaves the loop.
    ls.stop_background()


PARENT_POLL_SECONDS = 0.5


def watch_parent(pid: int, on_death: Callable[[], None]) -> threading.Thread | None:
    """Call ``on_death`` when process ``pid`` (the client's, from ``initialize``) is gone.

    Polled, as LSP asks: an editor that crashes or is killed sends neither ``exit`` nor always
    an end of input (another process may hold the pipe). POSIX only: elsewhere ``os.kill`` with
    signal 0 would terminate the process it asks about.
    """
    if os.name != "posix" or pid <= 0 or pid == os.getpid():
        return None

    def watch() -> None:
        while _alive(pid):
            time.sleep(PARENT_POLL_SECONDS)
        log.info("the client process %d is gone: ending", pid)
        on_death()

    thread = threading.Thread(target=watch, name="flash-ls-parent-watch", daemon=True)
    thread.start()
    return thread


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, owned by someone else
        return True
    return True


@guard(types.WORKSPACE_DID_CHANGE_CONFIGURATION, notification=True)
async def did_change_configuration(
    ls: FlashLanguageServer, params: types.DidChangeConfigurationParams
) -> None:
    if ls.capability("workspace.configuration", False):
        await fetch_client_settings(ls)
    elif params.settings is not None:
        ls.client_settings = params.settings
    await ls.apply_settings(reindex=True)


@guard(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS, notification=True)
async def did_change_folders(
    ls: FlashLanguageServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    removed = {p for p in (local_path(f.uri) for f in params.event.removed) if p is not None}
    added = [p for p in (local_path(f.uri) for f in params.event.added) if p is not None]
    ls.folders = [f for f in ls.folders if f not in removed] + [
        f for f in added if f not in ls.folders
    ]
    folders = list(ls.folders)
    await ls.engine.call(ls.engine.replace_workspace, folders)
    ls.diagnostics.forget_outside(folders)
    if ls.watcher is not None:
        ls.watcher.stop()
        ls.watcher = None
        start_watcher(ls)
    ls.reindex()


@guard(types.WORKSPACE_DID_CHANGE_WATCHED_FILES, notification=True)
async def did_change_watched_files(
    ls: FlashLanguageServer, params: types.DidChangeWatchedFilesParams
) -> None:
    kinds = {
        types.FileChangeType.Created: "created",
        types.FileChangeType.Changed: "changed",
        types.FileChangeType.Deleted: "deleted",
    }
    changes: Changes = []
    for event in params.changes:
        path = uri_to_path(event.uri)
        if path is not None:
            changes.append((path, kinds.get(event.type, "changed")))
    files_changed(ls, changes)


def _folders(params: types.InitializeParams) -> list[Path]:
    found: list[Path] = []
    for folder in params.workspace_folders or []:
        path = local_path(folder.uri)
        if path is not None:
            found.append(path)
    if not found:
        root = local_path(params.root_uri) if params.root_uri else None
        if root is None and params.root_path:
            root = Path(params.root_path).resolve()
        if root is not None:
            found.append(root)
    return found


# -- settings, watchers -------------------------------------------------------------------------


async def fetch_client_settings(ls: FlashLanguageServer) -> None:
    if not ls.capability("workspace.configuration", False):
        return
    try:
        values = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
            ),
            timeout=5,
        )
    except Exception as error:
        log.warning("workspace/configuration failed: %s", error)
        return
    ls.client_settings = values[0] if values else None


def files_changed(ls: FlashLanguageServer, changes: Changes) -> None:
    """Event loop: files changed on disk (watchers). Open buffers win over the disk."""
    relevant = [
        (path, kind)
        for path, kind in changes
        if is_watched(path) and not (ls.documents.is_open(path.resolve()) and kind != "deleted")
    ]
    if not relevant:
        return
    ls.spawn(_apply_file_changes(ls, relevant))


async def _apply_file_changes(ls: FlashLanguageServer, changes: Changes) -> None:
    def invalidate() -> list[Path]:
        roots = []
        for path, _ in changes:
            roots.append(ls.engine.workspace.invalidate(path.resolve()))
        return roots

    roots = await ls.engine.call(invalidate)
    if any(path.suffix != ".py" for path, _ in changes):
        ls.reindex()  # configuration, ignore rules or app boundaries may have changed
        return
    for root in sorted(set(roots)):
        ls.diagnostics.touch(root)
        ls.diagnostics.schedule(("files", root), root)


def start_watcher(ls: FlashLanguageServer) -> None:
    if ls.watcher is not None or not ls.folders or ls.loop is None:
        return
    loop = ls.loop

    def on_changes(changes: Changes) -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(files_changed, ls, changes)

    ls.watcher = FileWatcher(ls.folders, on_changes)
    if not ls.watcher.start():
        ls.watcher = None


async def register_dynamic(ls: FlashLanguageServer) -> None:
    registrations = []
    if ls.capability("workspace.did_change_watched_files.dynamic_registration", False):
        registrations.append(
            types.Registration(
                id=_WATCH_REGISTRATION,
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCH_GLOBS]
                ),
            )
        )
    else:
        start_watcher(ls)
    if ls.capability("workspace.did_change_configuration.dynamic_registration", False):
        registrations.append(
            types.Registration(
                id=_CONFIG_REGISTRATION,
                method=types.WORKSPACE_DID_CHANGE_CONFIGURATION,
                register_options=types.DidChangeConfigurationRegistrationOptions(section=SECTION),
            )
        )
    if not registrations:
        return
    try:
        await asyncio.wait_for(
            ls.client_register_capability_async(
                types.RegistrationParams(registrations=registrations)
            ),
            timeout=5,
        )
    except Exception as error:
        log.warning("client/registerCapability failed (%s); watching files myself", error)
        start_watcher(ls)
