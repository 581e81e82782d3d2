"""The deploy, environment, app and auth commands (``flash.deploy``, ``flash.env.*``,
``flash.app.list``, ``flash.auth.status``): each runs an engine coroutine through ``deploying.py``
with work-done progress, cancellation and one-line errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lsprotocol import types

from flash_ls.deploy import environments
from flash_ls.progress import Cancelled
from flash_ls.project.app import App
from flash_ls.server import commands, deploying, unnamed
from flash_ls.server.plumbing import (
    app_root,
    finish,
    first_line,
    flag_argument,
    prepared,
    progress_for,
    refresh_lenses,
    root_argument,
    string_argument,
)

if TYPE_CHECKING:
    from flash_ls.server.server import FlashLanguageServer

T = TypeVar("T")
log = logging.getLogger("flash_ls.server")


async def deploy(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    from flash_ls.build.api import BuildOptions
    from flash_ls.deploy.flow import DeployOptions, deploy_app

    root = app_root(ls, args, commands.DEPLOY)
    build = args.get("build") or {}
    if not isinstance(build, dict):
        raise commands.InvalidParams("flash.deploy: `build` must be a JSON object")
    try:
        options = DeployOptions(
            environment=string_argument(args, "env", commands.DEPLOY),
            app_name=string_argument(args, "app", commands.DEPLOY),
            build=BuildOptions(**build),
            dry_run=bool(args.get("dryRun", False)),
            prune=bool(args.get("prune", False)),
            confirmed=flag_argument(args, "confirmed", commands.DEPLOY),
        )
    except (TypeError, ValueError) as error:
        raise commands.InvalidParams(f"flash.deploy options: {first_line(str(error))}") from None
    app = await ls.engine.call(lambda: prepared(ls.engine.workspace.app(root)))

    async def run(client: Any, progress: Any) -> Any:
        return await deploy_app(app, options, progress, client=client)

    title = f"flash-ls: deploy {app.name}"
    try:
        result = await _with_api(ls, title, root, run, app=app)
    except deploying.NeedsConfirmation as error:
        environment = error.environment
        question = f"Deploy to {environment}? ({app.name})"
        if not await _confirm(ls, question, "Deploy"):
            return {"deployed": False, "cancelled": True, "environment": environment}
        options.confirmed = True
        result = await _with_api(ls, title, root, run, app=app)
    if not result.dry_run:
        await _environment_changed(ls, root)
    return {"deployed": not result.dry_run, **result.model_dump(mode="json")}


async def env_list(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root = app_root(ls, args, commands.ENV_LIST)
    name = environments.app_name_for(root, string_argument(args, "app", commands.ENV_LIST))

    found = await _with_api(
        ls,
        f"flash-ls: environments of {name}",
        root,
        lambda client, _: environments.list_environments(client, name),
    )
    active, source = deploying.active_environment(root)
    return {
        "app": name,
        "active": active,
        "source": source,
        "environments": [env.model_dump(mode="json") for env in found],
    }


async def env_current(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root = app_root(ls, args, commands.ENV_CURRENT)
    active, source = deploying.active_environment(root)
    return {"appRoot": root.as_posix(), "environment": active, "source": source}


async def env_use(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root, env, name = _environment_args(ls, args, commands.ENV_USE)
    await _with_api(
        ls,
        f"flash-ls: use {env}",
        root,
        lambda client, _: environments.use_environment(client, root, name, env),
    )
    active, source = await _environment_changed(ls, root)
    return {"appRoot": root.as_posix(), "environment": active, "source": source}


async def env_create(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root, env, name = _environment_args(ls, args, commands.ENV_CREATE)
    created = await _with_api(
        ls,
        f"flash-ls: create {env}",
        root,
        lambda client, _: environments.create_environment(client, name, env),
    )
    return {"app": name, "environment": created.model_dump(mode="json")}


async def env_delete(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root, env, name = _environment_args(ls, args, commands.ENV_DELETE)
    question = f"Delete environment {env} of {name} and its endpoints?"
    confirmed = flag_argument(args, "confirmed", commands.ENV_DELETE)
    if not confirmed and not await _confirm(ls, question, "Delete"):
        return {"deleted": False, "cancelled": True, "environment": env}

    count = await _with_api(
        ls,
        f"flash-ls: delete {env}",
        root,
        lambda client, progress: environments.delete_environment(
            client, name, env, progress, confirmed=True, app_root=root
        ),
    )
    await _environment_changed(ls, root)
    return {"deleted": True, "environment": env, "endpoints": count}


async def app_list(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    root = root_argument(ls, args) or (ls.folders[0] if ls.folders else None)

    found = await _with_api(
        ls, "flash-ls: apps", root, lambda client, _: environments.list_apps(client)
    )
    return {"apps": [app.model_dump(mode="json") for app in found]}


async def auth_status(ls: FlashLanguageServer, args: dict[str, Any]) -> dict[str, Any]:
    from flash_ls.deploy.credentials import MissingApiKey, resolve_api_key
    from flash_ls.deploy.login import check_api_key

    root = root_argument(ls, args) or (ls.folders[0] if ls.folders else None)
    try:
        key = resolve_api_key(root)
    except MissingApiKey as error:
        return {"authenticated": False, "message": str(error)}
    # As `flash-ls auth status`: ask the API whose key it is (valid, rejected, unreachable).
    checked = await asyncio.to_thread(check_api_key, key)
    return {
        "authenticated": checked.status == "valid",
        "status": checked.status,
        "source": key.source,
        "shadows": key.shadows,
        "key": key.hint,
    }


# -- shared by these commands -------------------------------------------------------------------


def _environment_args(
    ls: FlashLanguageServer, args: dict[str, Any], command: str
) -> tuple[Path, str, str]:
    """The app root, the environment (``name``, required) and the app name of a command."""
    root = app_root(ls, args, command)
    env = string_argument(args, "name", command, required=True)
    assert env is not None
    return root, env, environments.app_name_for(root, string_argument(args, "app", command))


async def _environment_changed(
    ls: FlashLanguageServer, root: Path
) -> tuple[str | None, str | None]:
    """After a deploy or an environment switch: tell the client, refresh code lenses and the
    endpoint tree."""
    active, source = ls.announce_environment(root, force=True)
    if not unnamed.is_stand_in(root):
        try:
            ls.tree_changed(root, await ls.engine.call(ls.current_tree, root))
        except Exception as error:  # the command itself succeeded
            log.warning("the endpoint tree of %s failed: %s", root, error)
    await refresh_lenses(ls)
    return active, source


async def _confirm(ls: FlashLanguageServer, question: str, action: str) -> bool:
    """Ask with ``window/showMessageRequest``; only ``action`` chosen means yes."""
    answer = await ls.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Warning,
            message=question,
            actions=[
                types.MessageActionItem(title=action),
                types.MessageActionItem(title="Cancel"),
            ],
        )
    )
    return answer is not None and answer.title == action


async def _engine(
    ls: FlashLanguageServer,
    title: str,
    work: Callable[[Any], Awaitable[T]],
    *,
    app: App | None = None,
    root: Path | None = None,
) -> T:
    """Run ``work(progress)`` (engine coroutine) off the loop with work-done progress and
    cancellation; engine errors become one-line ``UserError``s."""
    progress = await progress_for(ls, title)
    key: list[str] = []

    async def run() -> T:
        from flash_ls.deploy.credentials import resolve_api_key

        with deploying.engine_errors(app, lambda: key[0] if key else None):
            key.append(resolve_api_key(root).value)  # a missing key: one line, before any work
            return await work(progress)

    try:
        return await deploying.run_engine(ls.jobs, progress, run)
    except Cancelled:
        raise commands.RequestCancelled(f"{title} was cancelled") from None
    finally:
        finish(ls, progress, "cancelled" if progress.cancelled else "done")


def _client(root: Path | None) -> Any:
    """A Runpod API client with the app's key and the URLs of the server's environment."""
    import os

    from flash_ls.deploy.client import RunpodClient
    from flash_ls.deploy.credentials import resolve_api_key
    from flash_ls.deploy.urls import ApiUrls

    return RunpodClient(resolve_api_key(root).value, ApiUrls.from_environ(os.environ))


async def _with_api(
    ls: FlashLanguageServer,
    title: str,
    root: Path | None,
    call: Callable[[Any, Any], Awaitable[T]],
    *,
    app: App | None = None,
) -> T:
    """``call(client, progress)`` with a Runpod API client for ``root``'s key, run by
    ``_engine`` (work-done progress, cancellation, one-line errors)."""

    async def run(progress: Any) -> T:
        async with _client(root) as client:
            return await call(client, progress)

    return await _engine(ls, title, run, app=app, root=root)
