"""``workspace/executeCommand``: ``flash.*`` commands, JSON in and out.

Each command calls the shared engine function (build, deploy, environments) that the CLI calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pygls.exceptions import JsonRpcException

from flash_ls.diagnostic import Diagnostic
from flash_ls.finding_json import finding_json
from flash_ls.project.app import App
from flash_ls.server.positions import path_to_uri

CHECK = "flash.check"
BUILD = "flash.build"
DEPLOY = "flash.deploy"
MANIFEST_PREVIEW = "flash.manifest.preview"
MANIFEST_SHOW = "flash.manifest.show"
ENV_LIST = "flash.env.list"
ENV_USE = "flash.env.use"
ENV_CREATE = "flash.env.create"
ENV_DELETE = "flash.env.delete"
ENV_CURRENT = "flash.env.current"
APP_LIST = "flash.app.list"
AUTH_STATUS = "flash.auth.status"
ENDPOINTS = "flash.endpoints"
ENDPOINT_REQUEST = "flash.endpoint.request"

DEPLOY_COMMANDS = (
    DEPLOY,
    ENV_LIST,
    ENV_USE,
    ENV_CREATE,
    ENV_DELETE,
    ENV_CURRENT,
    APP_LIST,
    AUTH_STATUS,
)
ENDPOINT_COMMANDS = (ENDPOINTS, ENDPOINT_REQUEST)
ALL_COMMANDS = (CHECK, BUILD, MANIFEST_PREVIEW, MANIFEST_SHOW, *DEPLOY_COMMANDS, *ENDPOINT_COMMANDS)


class UserError(JsonRpcException):
    """A command the user asked for that cannot run as asked: their mistake, not a crash.

    The server shows the message (one line) and answers with the error; nothing is logged.
    ``warning``: a state to change (save the file, add an endpoint) rather than a failure.
    """

    def __init__(self, message: str, *, data: Any = None, warning: bool = False) -> None:
        super().__init__(message, data=data)
        self.warning = warning
        self.logged = False  # set once shown: the answer then goes out without a log entry


class RequestFailed(UserError):
    """LSP ``RequestFailed``: the request was valid but could not be carried out."""

    CODE = -32803
    MESSAGE = "Request failed"


class InvalidParams(UserError):
    """LSP ``InvalidParams``: a command argument is missing or wrong."""

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
    """One finding as in ``flash-ls check --output-format json``, paths relative to the app root,
    plus its ``uri``."""
    return {**finding_json(diagnostic, lambda path: _relative(path, root)), "uri": uri}


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
    from flash_ls.build.manifest import build_manifest as engine_build_manifest

    with build_errors(app):
        return engine_build_manifest(app)


def build_api() -> tuple[Any, Any]:
    """``(build_app, BuildOptions)`` from ``flash_ls.build.api``."""
    from flash_ls.build.api import BuildOptions, build_app

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
