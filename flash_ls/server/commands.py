"""``workspace/executeCommand``: ``flash.*`` commands, JSON in and out.

Each command calls the shared engine function. Engines still being written answer with a clear
"not available yet" error until their issue wires them here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcException

from flash_ls.diagnostic import Diagnostic, Fix
from flash_ls.project.app import App
from flash_ls.server.positions import path_to_uri

CHECK = "flash.check"
BUILD = "flash.build"
DEPLOY = "flash.deploy"
MANIFEST_PREVIEW = "flash.manifest.preview"
ENV_LIST = "flash.env.list"
ENV_USE = "flash.env.use"
ENV_CREATE = "flash.env.create"
ENV_DELETE = "flash.env.delete"
APP_LIST = "flash.app.list"

DEPLOY_COMMANDS = (DEPLOY, ENV_LIST, ENV_USE, ENV_CREATE, ENV_DELETE, APP_LIST)
ALL_COMMANDS = (CHECK, BUILD, MANIFEST_PREVIEW, *DEPLOY_COMMANDS)

NOT_AVAILABLE_DEPLOY = "not available yet: deploy engine (issue: deploy)"
NOT_AVAILABLE_BUILD = "not available yet: build engine (issue: build)"


class RequestFailed(JsonRpcException):
    """LSP ``RequestFailed``: the request was valid but could not be carried out."""

    CODE = -32803
    MESSAGE = "Request failed"


class InvalidParams(JsonRpcException):
    CODE = -32602
    MESSAGE = "Invalid params"


class RequestCancelled(JsonRpcException):
    CODE = -32800
    MESSAGE = "Request cancelled"


def options(arguments: tuple[Any, ...]) -> dict[str, Any]:
    """The single JSON object a command takes (none: empty)."""
    if not arguments:
        return {}
    if len(arguments) == 1 and arguments[0] is None:
        return {}
    if len(arguments) != 1 or not isinstance(arguments[0], Mapping):
        raise InvalidParams("flash.* commands take one JSON object argument")
    return dict(arguments[0])


def diagnostic_json(diagnostic: Diagnostic, root: Path, uri: str) -> dict[str, Any]:
    """One finding as in ``flash-ls check --output-format json`` (plus its URI)."""
    span = diagnostic.span
    return {
        "code": diagnostic.code,
        "rule": diagnostic.slug,
        "severity": diagnostic.severity.label,
        "path": _relative(diagnostic.path, root),
        "uri": uri,
        "line": span.start_line + 1,
        "column": span.start_col + 1,
        "end_line": span.end_line + 1,
        "end_column": span.end_col + 1,
        "message": diagnostic.message,
        "fix": (
            _fix_json(diagnostic.fix, root)
            if diagnostic.fix is not None and diagnostic.fix.available
            else None
        ),
    }


def _fix_json(fix: Fix, root: Path) -> dict[str, Any]:
    return {
        "message": fix.message,
        "safe": fix.safe,
        "edits": [
            {
                "path": _relative(edit.path, root),
                "line": edit.span.start_line + 1,
                "column": edit.span.start_col + 1,
                "end_line": edit.span.end_line + 1,
                "end_column": edit.span.end_col + 1,
                "new_text": edit.new_text,
            }
            for edit in fix.edits
        ],
    }


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def manifest_entry(manifest: Any, endpoint: str) -> dict[str, Any]:
    """The parts of a manifest (as JSON) about one resource."""
    if not isinstance(manifest, Mapping):
        return {}
    resources = manifest.get("resources")
    routes = manifest.get("routes")
    registry = manifest.get("function_registry")
    urls = manifest.get("resources_endpoints")
    return {
        "resource": resources.get(endpoint) if isinstance(resources, Mapping) else None,
        "routes": routes.get(endpoint) if isinstance(routes, Mapping) else None,
        "functions": sorted(f for f, r in registry.items() if r == endpoint)
        if isinstance(registry, Mapping)
        else [],
        "url": urls.get(endpoint) if isinstance(urls, Mapping) else None,
    }


def build_manifest(app: App) -> Any:
    """``flash_ls.build.manifest.build_manifest`` (imported when first used)."""
    try:
        from flash_ls.build.manifest import build_manifest as engine_build_manifest
    except ImportError as error:
        raise RequestFailed(f"{NOT_AVAILABLE_BUILD}: {error}") from None
    with build_errors(app):
        return engine_build_manifest(app)


def build_api() -> tuple[Any, Any]:
    """``(build_app, BuildOptions)`` from ``flash_ls.build.api``."""
    try:
        from flash_ls.build.api import BuildOptions, build_app
    except ImportError as error:
        raise RequestFailed(f"{NOT_AVAILABLE_BUILD}: {error}") from None
    return build_app, BuildOptions


@contextlib.contextmanager
def build_errors(app: App) -> Iterator[None]:
    """A ``BuildError`` becomes ``RequestFailed`` with its message and blocking findings."""
    try:
        yield
    except Exception as error:
        try:
            from flash_ls.build.errors import BuildError
        except ImportError:
            raise error from None
        if not isinstance(error, BuildError):
            raise
        findings = [diagnostic_json(d, app.root, path_to_uri(d.path)) for d in error.diagnostics]
        raise RequestFailed(error.message, data={"diagnostics": findings}) from None
