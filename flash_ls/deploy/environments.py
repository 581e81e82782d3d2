"""Apps, environments and the active environment: what ``flash-ls app`` / ``env`` do, and how a
deploy finds where it goes.

The app name defaults to the app directory's name (as ``flash`` takes the working directory's).
The target environment of a deploy is, in order: ``--env``, ``FLASH_ENV``, the app's active
environment (``flash-ls env use``, kept in ``.flash/environment.json``), the app's only
environment, or ``production`` for an app that has none (the official CLI's default). Several
environments and none chosen is an error that lists them. ``production`` is protected: deploying
to it or deleting it needs the user's confirmation (``confirmed=True``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from flash_ls import platform
from flash_ls.deploy import state
from flash_ls.deploy.client import NotFound, RunpodClient
from flash_ls.deploy.errors import ConfirmationRequired, DeployError
from flash_ls.deploy.models import EndpointRef, FlashApp, FlashEnvironment
from flash_ls.deploy.recovery import mutate
from flash_ls.progress import Progress
from flash_ls.project.roots import is_app_root

PRODUCTION = "production"
PROTECTED_ENVIRONMENTS = frozenset({PRODUCTION})

SOURCE_OPTION = "--env"
SOURCE_FLASH_ENV = platform.ENVIRONMENT_ENV
SOURCE_ACTIVE = "active (flash-ls env use)"
SOURCE_ONLY = "the app's only environment"
SOURCE_DEFAULT = "default for a new app"


def app_dir_for(start: Path) -> Path:
    """The app directory holding ``start``: the nearest one with an app marker (pyproject.toml,
    requirements.txt, .flash/), else ``start`` itself."""
    start = Path(os.path.abspath(start))
    for directory in (start, *start.parents):
        if is_app_root(directory):
            return directory
    return start


def app_name_for(app_root: Path, override: str | None = None) -> str:
    """The Flash app name: ``--app`` when given, else the app directory's name."""
    return override or Path(os.path.abspath(app_root)).name


def is_protected(environment: str) -> bool:
    return environment in PROTECTED_ENVIRONMENTS


def chosen_environment(
    app_root: Path,
    app_name: str,
    requested: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[str | None, str | None]:
    """The environment chosen without asking the API, and where the choice came from:
    ``--env``, then ``FLASH_ENV``, then the active one. ``(None, None)`` when none is chosen."""
    environ = os.environ if environ is None else environ
    if requested:
        return requested, SOURCE_OPTION
    from_env = environ.get(platform.ENVIRONMENT_ENV, "").strip()
    if from_env:
        return from_env, SOURCE_FLASH_ENV
    active = state.read_active_environment(app_root, app_name)
    if active:
        return active, SOURCE_ACTIVE
    return None, None


@dataclass(frozen=True)
class Target:
    """Where a deploy goes; ``app``/``existing`` are None for what the deploy will create."""

    app_name: str
    environment: str
    source: str
    app: FlashApp | None
    existing: FlashEnvironment | None

    @property
    def protected(self) -> bool:
        return is_protected(self.environment)


async def resolve_target(
    client: RunpodClient,
    app_root: Path,
    app_name: str,
    requested: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Target:
    """The environment a deploy of ``app_name`` goes to (read-only: nothing is created).

    Raises ``DeployError`` when the app has several environments and none is chosen.
    """
    name, source = chosen_environment(app_root, app_name, requested, environ)
    app = await client.app_by_name(app_name)
    environments = app.flash_environments if app is not None else []
    if name is None:
        if not environments:
            name, source = PRODUCTION, SOURCE_DEFAULT
        elif len(environments) == 1:
            name, source = environments[0].name, SOURCE_ONLY
        else:
            names = ", ".join(sorted(e.name for e in environments))
            raise DeployError(
                f"{app_name} has several environments ({names}): choose one with "
                "--env NAME or `flash-ls env use NAME`"
            )
    existing = next((e for e in environments if e.name == name), None)
    return Target(app_name, name, source or SOURCE_OPTION, app, existing)


async def ensure_app(client: RunpodClient, name: str) -> tuple[FlashApp, bool]:
    """The app called ``name``, created when missing; whether it was created."""
    app = await client.app_by_name(name)
    if app is not None:
        return app, False

    async def created() -> FlashApp | None:
        return await client.app_by_name(name)

    made = await mutate(f"create app {name}", lambda: client.create_app(name), created)
    return made, True


async def ensure_environment(
    client: RunpodClient, app: FlashApp, name: str
) -> tuple[FlashEnvironment, bool]:
    """The app's environment ``name`` (with its endpoints), created when missing."""
    env = await client.environment_by_name(app.id, name)
    if env is not None:
        return env, False

    async def created() -> FlashEnvironment | None:
        return await client.environment_by_name(app.id, name)

    await mutate(
        f"create environment {name}", lambda: client.create_environment(app.id, name), created
    )
    env = await client.environment_by_name(app.id, name)
    if env is None:
        raise DeployError(f"environment {name} was created but cannot be read back")
    return env, True


# -- apps -----------------------------------------------------------------------------------------


async def list_apps(client: RunpodClient) -> list[FlashApp]:
    return await client.list_apps()


async def get_app(client: RunpodClient, name: str) -> FlashApp:
    """The app with its environments and builds; ``DeployError`` when there is none."""
    app = await client.app_by_name(name)
    if app is None:
        raise DeployError(f"no app named {name}: `flash-ls deploy` creates it")
    return app


async def create_app(client: RunpodClient, name: str) -> FlashApp:
    if await client.app_by_name(name) is not None:
        raise DeployError(f"app {name} already exists")
    app, _ = await ensure_app(client, name)
    return app


async def delete_app(
    client: RunpodClient,
    name: str,
    progress: Progress,
    *,
    confirmed: bool = False,
    app_root: Path | None = None,
) -> int:
    """Delete the app, its environments' endpoints first; the number of endpoints deleted."""
    if not confirmed:
        raise ConfirmationRequired("deleting app", name)
    app = await get_app(client, name)
    deleted = 0
    for summary in app.flash_environments:
        progress.check_cancelled()
        env = await client.environment(summary.id)
        if env is not None:
            deleted += await _delete_endpoints(client, env, progress)
        if app_root is not None:
            state.forget_environment(app_root, summary.id)

    async def gone() -> bool:
        return await client.app_by_name(name) is None

    await _delete(f"delete app {name}", lambda: client.delete_app(app.id), gone)
    if app_root is not None and state.read_active_environment(app_root, name):
        state.write_active_environment(app_root, name, None)
    return deleted


# -- environments ---------------------------------------------------------------------------------


async def list_environments(client: RunpodClient, app_name: str) -> list[FlashEnvironment]:
    app = await get_app(client, app_name)
    return await client.list_environments(app.id)


async def get_environment(client: RunpodClient, app_name: str, name: str) -> FlashEnvironment:
    """The environment with its endpoints; ``DeployError`` when it (or the app) is missing."""
    app = await get_app(client, app_name)
    env = await client.environment_by_name(app.id, name)
    if env is None:
        raise DeployError(_missing_environment(app, name))
    return env


async def create_environment(client: RunpodClient, app_name: str, name: str) -> FlashEnvironment:
    """Create environment ``name`` (and the app, when it is missing)."""
    app, _ = await ensure_app(client, app_name)
    if app.environment(name) is not None:
        raise DeployError(f"environment {name} already exists in {app_name}")
    env, _ = await ensure_environment(client, app, name)
    return env


async def delete_environment(
    client: RunpodClient,
    app_name: str,
    name: str,
    progress: Progress,
    *,
    confirmed: bool = False,
    app_root: Path | None = None,
) -> int:
    """Delete the environment's endpoints, then the environment; the endpoints deleted."""
    if not confirmed:
        raise ConfirmationRequired("deleting environment", name)
    env = await get_environment(client, app_name, name)
    deleted = await _delete_endpoints(client, env, progress)
    app = await get_app(client, app_name)

    async def gone() -> bool:
        return await client.environment_by_name(app.id, name) is None

    await _delete(f"delete environment {name}", lambda: client.delete_environment(env.id), gone)
    if app_root is not None:
        state.forget_environment(app_root, env.id)
        if state.read_active_environment(app_root, app_name) == name:
            state.write_active_environment(app_root, app_name, None)
    return deleted


async def use_environment(client: RunpodClient, app_root: Path, app_name: str, name: str) -> Path:
    """Make ``name`` the app's active environment (it must exist); the state file's path."""
    app = await get_app(client, app_name)
    if app.environment(name) is None:
        raise DeployError(_missing_environment(app, name))
    return state.write_active_environment(app_root, app_name, name)


def _missing_environment(app: FlashApp, name: str) -> str:
    names = ", ".join(sorted(e.name for e in app.flash_environments)) or "none"
    return f"no environment {name} in {app.name} (it has: {names})"


async def delete_endpoint(client: RunpodClient, endpoint: EndpointRef) -> None:
    """Delete one endpoint; one that is already gone counts as deleted."""

    async def gone() -> bool:
        return not await client.endpoint_exists(endpoint.id)

    what = f"delete endpoint {endpoint.name or endpoint.id}"
    await _delete(what, lambda: client.delete_endpoint(endpoint.id), gone)


async def _delete(
    what: str, call: Callable[[], Awaitable[object]], gone: Callable[[], Awaitable[bool]]
) -> None:
    """Run delete mutation ``call`` once; a thing already gone counts as deleted, and a lost
    answer is settled by asking whether it is ``gone``."""

    async def delete() -> bool:
        with contextlib.suppress(NotFound):
            await call()
        return True

    async def deleted() -> bool | None:
        return True if await gone() else None

    await mutate(what, delete, deleted)


async def _delete_endpoints(client: RunpodClient, env: FlashEnvironment, progress: Progress) -> int:
    if not env.endpoints:
        return 0
    progress.step(f"delete endpoints of {env.name}", total=len(env.endpoints))
    for endpoint in env.endpoints:
        progress.check_cancelled()
        await delete_endpoint(client, endpoint)
        progress.advance(1, endpoint.name)
    return len(env.endpoints)
