"""The project commands: ``flash.check``, ``flash.manifest.preview``, ``flash.manifest.show`` and
``flash.build``."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

from flash_ls.progress import Cancelled
from flash_ls.server import commands, unnamed
from flash_ls.server.plumbing import finish, prepared, progress_for, root_argument
from flash_ls.server.positions import path_to_uri

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer

log = logging.getLogger("flash_ls.server")


async def check(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root = root_argument(ls, args)
    if root is not None:
        roots = [root]
    else:
        roots = await ls.engine.call(lambda: ls.engine.workspace.app_roots())
        roots = sorted(set(roots) | set(ls.diagnostics.known_roots()))
    progress = await progress_for(ls, "flash-ls: check")
    result: list[dict[str, Any]] = []
    counts = {"error": 0, "warning": 0, "info": 0, "hint": 0}
    try:
        progress.step("checking apps", len(roots))
        for app_root in roots:
            progress.check_cancelled()
            ls.diagnostics.touch(app_root)
            report = await ls.diagnostics.check(app_root)
            items = []
            for file_report in report.files.values():
                for diagnostic in file_report.diagnostics:
                    counts[diagnostic.severity.label] += 1
                    items.append(
                        commands.diagnostic_json(
                            diagnostic, app_root, ls.diagnostics.uri_for(diagnostic.path)
                        )
                    )
            items.sort(key=lambda item: (item["path"], item["line"], item["column"], item["code"]))
            result.append(
                {"app": report.app.name, "root": app_root.as_posix(), "diagnostics": items}
            )
            progress.advance(1, report.app.name)
    finally:
        finish(ls, progress, f"{sum(counts.values())} finding(s)")
    return {"apps": result, "counts": counts}


async def manifest_preview(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    preview = await _manifest(ls, args, commands.MANIFEST_PREVIEW)
    return preview.result()


async def manifest_show(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    preview = await _manifest(ls, args, commands.MANIFEST_SHOW)
    if not preview.manifest.get("resources"):
        raise commands.RequestFailed(
            f"{preview.app_name} has no endpoints yet: decorate a function with Endpoint()",
            warning=True,
        )
    written = ls.manifests.write(preview.app_name, preview.root, preview.manifest, preview.endpoint)
    uri = path_to_uri(written.path)
    shown = False
    if ls.capability("window.show_document.support", False):
        selection = written.selection
        request = ls.window_show_document_async(
            types.ShowDocumentParams(
                uri=uri,
                take_focus=True,
                selection=ls.index(written.text).range(selection) if selection else None,
            )
        )
        try:
            shown = (await asyncio.wait_for(request, timeout=10)).success
        except (asyncio.TimeoutError, JsonRpcException) as error:
            log.warning("window/showDocument failed: %s", error)
    if not shown:
        what = f"Manifest entry '{preview.endpoint}'" if preview.endpoint else "Manifest"
        ls.show_message(f"{what} (read-only): {written.path}", types.MessageType.Info)
    return {**preview.result(), "path": str(written.path), "uri": uri, "shown": shown}


async def build(ls: FlashLanguageServer, args: dict[str, Any]) -> Any:
    root = root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
    if root is None:
        raise commands.InvalidParams("flash.build needs `uri` or `path`")
    if unnamed.is_stand_in(root):
        raise commands.RequestFailed(
            f"Save {unnamed.display_name(args.get('uri') or args['path'])} to a folder "
            "first: a build packs files from disk",
            warning=True,
        )
    build_app, build_options = commands.build_api()
    raw_options = args.get("options", {k: v for k, v in args.items() if k not in ("uri", "path")})
    if not isinstance(raw_options, dict):
        raise commands.InvalidParams("flash.build options must be a JSON object")
    known = list(getattr(build_options, "model_fields", ()) or ())
    unknown = sorted(set(raw_options) - set(known)) if known else []
    if unknown:
        raise commands.InvalidParams(
            f"flash.build options: unknown {', '.join(unknown)} (known: {', '.join(known)})"
        )
    try:
        options = build_options(**raw_options)
    except (TypeError, ValueError) as error:
        raise commands.InvalidParams(f"flash.build options: {error}") from None
    app = await ls.engine.call(lambda: prepared(ls.engine.workspace.app(root)))
    progress = await progress_for(ls, f"flash-ls: build {app.name}")
    loop = asyncio.get_running_loop()
    from flash_ls.server.convert import to_jsonable

    def run() -> Any:
        with commands.build_errors(app):
            return build_app(app, options, progress)

    try:
        result = await loop.run_in_executor(ls.jobs, run)
    except Cancelled:
        raise commands.RequestCancelled("flash.build was cancelled") from None
    except asyncio.CancelledError:
        progress.cancel()
        raise
    finally:
        finish(ls, progress, "cancelled" if progress.cancelled else "done")
    return to_jsonable(result)


@dataclass(frozen=True)
class _Manifest:
    """The manifest a build of the app at ``root`` would write, and the entry asked about."""

    root: Path
    app_name: str
    manifest: dict[str, Any]
    endpoint: str | None

    def result(self) -> dict[str, Any]:
        """The ``flash.manifest.preview`` answer."""
        found: dict[str, Any] = {"root": self.root.as_posix(), "manifest": self.manifest}
        if self.endpoint is not None:
            found["endpoint"] = self.endpoint
            found["entry"] = commands.manifest_entry(self.manifest, self.endpoint)
        return found


async def _manifest(ls: FlashLanguageServer, args: dict[str, Any], name: str) -> _Manifest:
    root = root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
    if root is None:
        raise commands.InvalidParams(f"{name} needs `uri` or `path`")
    endpoint = args.get("endpoint")
    if endpoint is not None and not isinstance(endpoint, str):
        raise commands.InvalidParams(f"{name}: `endpoint` must be a string")
    from flash_ls.server.convert import to_jsonable

    def compute() -> tuple[str, Any]:
        app = ls.engine.workspace.app(root)
        return app.name, to_jsonable(commands.build_manifest(app))

    app_name, manifest = await ls.engine.call(compute)
    found = _Manifest(root, app_name, manifest, endpoint)
    if endpoint is not None and not commands.manifest_entry(manifest, endpoint)["resource"]:
        raise commands.RequestFailed(
            f"No manifest entry '{endpoint}' in {app_name}: it serves no function or route",
            warning=True,
        )
    return found
