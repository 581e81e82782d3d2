"""The endpoint commands: ``flash.endpoints`` (each app's endpoint tree, ``endpoint_tree.py``) and
``flash.endpoint.request`` (the request that calls an endpoint)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from flash_ls.server import commands, endpoint_tree, unnamed
from flash_ls.server.plumbing import root_argument, string_argument

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer


async def endpoints(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root = root_argument(ls, args)
    known = [] if root is not None else ls.diagnostics.known_roots()

    def compute() -> list[tuple[Path, dict[str, Any]]]:
        roots = [root] if root is not None else ls.engine.workspace.app_roots()
        found = []
        for app_root in sorted(set(roots) | set(known)):
            if unnamed.is_stand_in(app_root):
                continue
            app = ls.engine.workspace.app(app_root)
            if app.uses_flash or app.endpoints or app.uses_app_api:  # either SDK
                found.append((app_root, ls.current_tree(app_root)))
        return found

    trees = await ls.engine.call(compute)
    for app_root, tree in trees:
        ls.tree_changed(app_root, tree, notify=False)  # the client has this one
    return {"apps": [tree for _, tree in trees]}


async def endpoint_request(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    command = commands.ENDPOINT_REQUEST
    root = root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
    if root is None:
        raise commands.InvalidParams(f"{command} needs `uri` or `path`")
    name = string_argument(args, "endpoint", command, required=True)
    route = string_argument(args, "route", command)

    def compute() -> dict[str, Any]:
        app = ls.engine.workspace.app(root)
        endpoint = endpoint_tree.find_endpoint(app, name or "")
        if endpoint is None:
            raise commands.RequestFailed(f"No endpoint '{name}' in {app.name}", warning=True)
        try:
            return endpoint_tree.request(app, endpoint, route).json()
        except endpoint_tree.NoRequest as error:
            raise commands.RequestFailed(str(error), warning=True) from None

    return await ls.engine.call(compute)
