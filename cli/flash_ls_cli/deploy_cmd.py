"""``flash-ls deploy``, ``flash-ls env ...`` and ``flash-ls app ...``: the typer front end of the
deploy engine (``flash_ls.deploy``), which is imported when a command runs.

Exit status: 0 done, 1 the deploy or the API call failed (a missing or rejected key, a refused
confirmation, a mutation that failed), 2 usage errors, 130 Ctrl-C. Every line printed or logged
passes through the redaction of the API key in use.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from flash_ls_cli.options import (
    DEFAULT_ARCHIVE,
    AppArgument,
    ArchiveOption,
    ExcludeOption,
    NoDepsOption,
    OutputFormatOption,
    PythonOption,
    VerboseOption,
    command_group,
    emit,
    guarded,
    stop,
)
from flash_ls_cli.output import echo
from flash_ls_cli.runner import ExitCode, build_failure

if TYPE_CHECKING:
    from rich.console import Console

    from flash_ls.deploy.client import RunpodClient
    from flash_ls.deploy.credentials import ApiKey, RedactingFilter
    from flash_ls.deploy.flow import DeployResult
    from flash_ls.deploy.models import FlashApp, FlashEnvironment

T = TypeVar("T")

AppNameOption = Annotated[
    str | None,
    typer.Option(
        "--app", "-a", metavar="NAME", help="Flash app name (default: the app directory's name)."
    ),
]
YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for CI).")
]
EnvArgument = Annotated[str, typer.Argument(help="Environment name.")]
AppNameArgument = Annotated[str | None, typer.Argument(help="App name (default: this app's).")]


def register(app: typer.Typer) -> None:
    """Add ``deploy`` and the ``env`` and ``app`` groups to the ``flash-ls`` app."""
    app.command("deploy")(deploy_command)
    env = command_group("env", "Deployment environments of a Flash app.")
    env.command("list")(env_list)
    env.command("get")(env_get)
    env.command("create")(env_create)
    env.command("delete")(env_delete)
    env.command("use")(env_use)
    env.command("current")(env_current)
    app.add_typer(env, name="env")
    apps = command_group("app", "Flash apps of the account.")
    apps.command("list")(app_list)
    apps.command("get")(app_get)
    apps.command("create")(app_create)
    apps.command("delete")(app_delete)
    app.add_typer(apps, name="app")


# -- running engine calls -------------------------------------------------------------------------


class _Run:
    """One command's key, client and redaction."""

    def __init__(self, secrets: RedactingFilter, app_root: Path) -> None:
        self.secrets = secrets
        self.app_root = app_root
        self._key: ApiKey | None = None

    @property
    def key(self) -> ApiKey:
        from flash_ls.deploy.credentials import resolve_api_key

        if self._key is None:
            self._key = resolve_api_key(self.app_root)
            self.secrets.add(self._key.value)
        return self._key

    def client(self) -> RunpodClient:
        from flash_ls.deploy.client import RunpodClient
        from flash_ls.deploy.urls import ApiUrls

        return RunpodClient(self.key.value, ApiUrls.from_environ(os.environ))

    def call(self, work: Callable[[RunpodClient], Awaitable[T]]) -> T:
        """Run ``work`` with a client on a fresh event loop."""

        async def main() -> T:
            async with self.client() as client:
                return await work(client)

        return asyncio.run(main())


@contextmanager
def _guarded(verbose: bool, what: str, app_root: Path) -> Iterator[_Run]:
    """Errors of the engine as one line and an exit status; secrets redacted everywhere."""
    from flash_ls.progress import Cancelled

    run: _Run | None = None

    def known(err: Exception, secrets: RedactingFilter) -> typer.Exit | None:
        return _engine_failure(err, secrets, what, run._key if run is not None else None)

    with guarded(verbose, what, known, (Cancelled, asyncio.CancelledError)) as secrets:
        run = _Run(secrets, app_root)
        yield run


def _engine_failure(
    err: Exception, secrets: RedactingFilter, what: str, key: ApiKey | None
) -> typer.Exit | None:
    """The exit for an error of the engine (its message printed, redacted); None for a bug."""
    from flash_ls.build.errors import BuildError
    from flash_ls.deploy.client import ApiError, ApiKeyRejected
    from flash_ls.deploy.credentials import MissingApiKey, redact
    from flash_ls.deploy.errors import DeployError
    from flash_ls.deploy.urls import InvalidUrl
    from flash_ls.platform import API_KEY_ENV

    if isinstance(err, ExitCode):
        return typer.Exit(err.code)
    if isinstance(err, MissingApiKey):
        return stop(redact(str(err), *secrets.secrets), 1)
    if isinstance(err, ApiKeyRejected):
        source = key.source if key is not None else API_KEY_ENV
        return stop(f"API key from {source} rejected ({err.status}): run `flash-ls login`")
    if isinstance(err, InvalidUrl):
        return stop(str(err), 2)
    if isinstance(err, BuildError):
        return typer.Exit(build_failure(err).code)
    if isinstance(err, DeployError):
        echo(f"flash-ls: {redact(err.message, *secrets.secrets)}", err=True)
        if err.rerun:
            echo(f"flash-ls: run `flash-ls {what}` again: it goes on from what exists", err=True)
        return typer.Exit(1)
    if isinstance(err, ApiError):
        return stop(redact(err.message, *secrets.secrets), 1)
    return None


def _on_api(
    what: str, verbose: bool, root: Path, work: Callable[[RunpodClient], Awaitable[T]]
) -> T:
    """``work``'s answer, run with a client for the app at ``root`` in the guard of ``what``."""
    with _guarded(verbose, what, root) as run:
        return run.call(work)


def _confirm(question: str, yes: bool, refusal: str) -> None:
    """Go on when ``yes`` or the user agrees; with no terminal to ask, stop with ``refusal``."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise stop(f"{refusal}: pass --yes (there is no terminal to ask)", 1)
    if not typer.confirm(question, default=False, err=True):
        raise stop("cancelled", 1)


def _here() -> Path:
    from flash_ls.deploy.environments import app_dir_for

    return app_dir_for(Path.cwd())


# -- deploy ---------------------------------------------------------------------------------------


def deploy_command(
    app_dir: AppArgument = Path("."),
    env_name: Annotated[
        str | None,
        typer.Option(
            "--env",
            "-e",
            metavar="NAME",
            help="Target environment (default: FLASH_ENV, the active one, the only one).",
        ),
    ] = None,
    app_name: AppNameOption = None,
    no_deps: NoDepsOption = False,
    exclude: ExcludeOption = None,
    output: ArchiveOption = DEFAULT_ARCHIVE,
    python_version: PythonOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Build and show the plan; change nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete endpoints the code no longer declares."),
    ] = False,
    yes: YesOption = False,
    output_format: OutputFormatOption = "text",
    verbose: VerboseOption = False,
) -> None:
    """Build the app and deploy it to an environment.

    Only new or changed endpoints are saved; endpoints the code no longer declares are listed
    and deleted with --prune. Deploying to production asks first (--yes in CI). With
    --output-format json, the result (endpoints, their URLs) is JSON on stdout; progress is on
    stderr either way. Exit status: 0 deployed, 1 failed (a rerun continues from what exists),
    2 usage errors, 130 Ctrl-C.
    """
    from flash_ls.deploy.flow import DeployOptions, deploy_app, resolve
    from flash_ls_cli.building import load_build

    try:
        app, build = load_build(app_dir, no_deps, output, exclude, python_version)
    except ExitCode as stop:  # reported already
        raise typer.Exit(stop.code) from None
    options = DeployOptions(
        environment=env_name, app_name=app_name, build=build, dry_run=dry_run, prune=prune
    )
    with _guarded(verbose, "deploy", app.root) as run:
        key = run.key

        async def main() -> DeployResult:
            from rich.console import Console

            async with run.client() as client:
                target = await resolve(app, options, api_key=key, client=client)
                options.environment = target.environment
                if target.protected and not dry_run:
                    _confirm(
                        f"Deploy {target.app_name} to {target.environment}?",
                        yes,
                        f"refusing to deploy to {target.environment} without confirmation",
                    )
                    options.confirmed = True
                console = Console(stderr=True)
                with _progress(console) as progress:
                    return await deploy_app(
                        app, options, progress, api_key=key, client=client, target=target
                    )

        result = asyncio.run(main())
    for warning in result.warnings:
        echo(f"flash-ls: warning: {warning}", err=True)
    emit(output_format, result.model_dump(mode="json"), lambda: _print_result(result))


def _progress(console: Console) -> Any:
    """rich bars on a terminal, one plain line per step otherwise (CI logs)."""
    if console.is_terminal:
        from flash_ls_cli.building import RichProgress

        return RichProgress(console)
    return _LineProgress()


class _LineProgress:
    """The engine's ``Progress`` as plain lines on stderr."""

    def __enter__(self) -> _LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def step(self, title: str, total: int | None = None) -> None:
        echo(f"flash-ls: {title}...", err=True)

    def advance(self, amount: int = 1, message: str | None = None) -> None:
        return None

    def log(self, message: str) -> None:
        echo(message, err=True)

    def check_cancelled(self) -> None:
        return None


_MARKS = {"create": "+", "update": "~", "keep": "=", "remove": "-"}
_DONE = {"create": "created", "update": "updated", "keep": "unchanged", "remove": "removed"}
_PLANNED = {"create": "create", "update": "update", "keep": "keep", "remove": "remove"}


def _print_result(result: DeployResult) -> None:
    """What the deploy did (or would do), the URLs to call and curl examples."""
    from flash_ls.deploy.plan import Action

    if not result.endpoints and not result.removed:
        return
    counts = {a: result.count(Action(a)) for a in _MARKS}
    width = max(len(e.name) for e in [*result.endpoints, *result.removed])
    if result.dry_run:
        echo(f"Plan for {result.app} in {result.environment} (dry run: nothing was changed)")
        if result.created_app or result.created_environment:
            made = "app and environment" if result.created_app else "environment"
            echo(f"  + {made} {result.environment} (new)")
        if result.artifact_unchanged:
            echo("  = artifact unchanged: the active build stays, nothing to upload")
        words = _PLANNED
    else:
        build = f"  (build {result.build_id[:8]})" if result.build_id else ""
        if result.artifact_unchanged:
            build = f"  (build {(result.build_id or '')[:8]} kept: artifact unchanged)"
        echo(f"✓ deployed {result.app} to {result.environment}{build}")
        words = _DONE
    for endpoint in result.endpoints:
        action = endpoint.action.value
        line = f"  {_MARKS[action]} {endpoint.name:<{width}}  {words[action]:<9}"
        if endpoint.changes:
            line += "  " + ", ".join(endpoint.changes)
        elif endpoint.url and not result.dry_run:
            line += "  " + _main_url(endpoint)
        echo(line.rstrip())
    for endpoint in result.removed:
        if result.pruned:
            echo(f"  - {endpoint.name:<{width}}  deleted")
        else:
            echo(f"  - {endpoint.name:<{width}}  not in the code: --prune deletes it")
    summary = [
        f"{counts['create']} to create" if result.dry_run else f"{counts['create']} created",
        f"{counts['update']} to update" if result.dry_run else f"{counts['update']} updated",
        f"{counts['keep']} unchanged",
    ]
    if counts["remove"]:
        removed = "deleted" if result.pruned else "to remove (--prune)"
        summary.append(f"{counts['remove']} {removed}")
    echo("  " + ", ".join(summary))
    if result.dry_run:
        return
    calls = [e for e in result.endpoints if e.calls]
    if not calls:
        return
    echo("")
    echo("Call it:" if len(calls) == 1 else "Call them:")
    for endpoint in calls:
        kind = "load-balanced" if endpoint.load_balanced else "queue"
        echo(f"  {endpoint.name} ({kind})")
        for call in endpoint.calls:
            echo(f"    {call.method} {call.url}")
            echo("    " + call.curl.replace("\n", "\n    "))


def _main_url(endpoint: Any) -> str:
    if endpoint.load_balanced or not endpoint.calls:
        return str(endpoint.url)
    return str(endpoint.calls[0].url)


# -- env ------------------------------------------------------------------------------------------


def _app_name(override: str | None) -> tuple[Path, str]:
    from flash_ls.deploy.environments import app_name_for

    root = _here()
    return root, app_name_for(root, override)


def env_list(
    app_name: AppNameOption = None,
    output_format: OutputFormatOption = "text",
    verbose: VerboseOption = False,
) -> None:
    """List the app's environments (* marks the one a deploy goes to)."""
    from flash_ls.deploy import environments

    root, name = _app_name(app_name)
    envs = _on_api("env list", verbose, root, lambda c: environments.list_environments(c, name))
    chosen, _ = environments.chosen_environment(root, name)
    emit(output_format, [_env_json(e) for e in envs], lambda: _print_envs(name, envs, chosen))


def _print_envs(app: str, envs: list[FlashEnvironment], chosen: str | None) -> None:
    if not envs:
        echo(f"{app} has no environments: `flash-ls deploy` creates production")
        return
    width = max(len(e.name) for e in envs)
    for env in envs:
        mark = "*" if env.name == chosen else " "
        build = (env.active_build_id or "-")[:12]
        echo(f"{mark} {env.name:<{width}}  {build:<12}  {env.created_at or ''}".rstrip())


def env_get(
    name: EnvArgument,
    app_name: AppNameOption = None,
    output_format: OutputFormatOption = "text",
    verbose: VerboseOption = False,
) -> None:
    """Show an environment: its active build, endpoints and network volumes."""
    from flash_ls.deploy import environments

    root, app = _app_name(app_name)
    env = _on_api("env get", verbose, root, lambda c: environments.get_environment(c, app, name))
    emit(output_format, _env_json(env), lambda: _print_env(app, env))


def _print_env(app: str, env: FlashEnvironment) -> None:
    echo(f"{env.name}  (app {app}, id {env.id})")
    echo(f"  build  {env.active_build_id or '-'}")
    if env.state:
        echo(f"  state  {env.state}")
    if not env.endpoints and not env.network_volumes:
        echo(f"  no endpoints: `flash-ls deploy --env {env.name}` creates them")
    for endpoint in env.endpoints:
        echo(f"  endpoint  {endpoint.name or '-'}  {endpoint.id}")
    for volume in env.network_volumes:
        echo(f"  volume    {volume.name or '-'}  {volume.id}")


def env_create(
    name: EnvArgument,
    app_name: AppNameOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Create an environment (and the app, when it does not exist yet)."""
    from flash_ls.deploy import environments

    root, app = _app_name(app_name)
    env = _on_api(
        "env create", verbose, root, lambda c: environments.create_environment(c, app, name)
    )
    echo(f"✓ created environment {env.name} in {app}")


def env_delete(
    name: EnvArgument,
    app_name: AppNameOption = None,
    yes: YesOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Delete an environment and its endpoints (asks first unless --yes)."""
    from flash_ls.deploy import environments
    from flash_ls.progress import SilentProgress

    root, app = _app_name(app_name)

    async def work(client: RunpodClient) -> int:
        env = await environments.get_environment(client, app, name)
        count = len(env.endpoints)
        _confirm(
            f"Delete environment {name} of {app} and its {count} endpoint(s)?",
            yes,
            f"refusing to delete environment {name} without confirmation",
        )
        return await environments.delete_environment(
            client, app, name, SilentProgress(), confirmed=True, app_root=root
        )

    deleted = _on_api("env delete", verbose, root, work)
    echo(f"✓ deleted environment {name} ({deleted} endpoint(s))")


def env_use(
    name: EnvArgument,
    app_name: AppNameOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Make an environment the active one: `flash-ls deploy` goes there without --env."""
    from flash_ls.deploy import environments
    from flash_ls.platform import ENVIRONMENT_ENV

    root, app = _app_name(app_name)
    _on_api("env use", verbose, root, lambda c: environments.use_environment(c, root, app, name))
    echo(f"✓ {name} is the active environment of {app}")
    override = os.environ.get(ENVIRONMENT_ENV, "").strip()
    if override and override != name:
        echo(f"flash-ls: note: {ENVIRONMENT_ENV}={override} overrides it in this shell", err=True)


def env_current(app_name: AppNameOption = None, output_format: OutputFormatOption = "text") -> None:
    """Print the environment a deploy goes to without --env, and why (no API call)."""
    from flash_ls.deploy import environments

    root, app = _app_name(app_name)
    name, source = environments.chosen_environment(root, app)
    data = {"app": app, "environment": name, "source": source}
    emit(output_format, data, lambda: _print_current(app, name, source))


def _print_current(app: str, name: str | None, source: str | None) -> None:
    if name is None:
        echo(f"flash-ls: no environment chosen for {app}: a deploy uses its only one", err=True)
        echo("  (or production for a new app); choose with `flash-ls env use NAME`", err=True)
        return
    echo(name)
    echo(f"  ({source})", err=True)


def _env_json(env: FlashEnvironment) -> dict[str, Any]:
    return env.model_dump(mode="json")


# -- app ------------------------------------------------------------------------------------------


def app_list(output_format: OutputFormatOption = "text", verbose: VerboseOption = False) -> None:
    """List the account's Flash apps."""
    from flash_ls.deploy import environments

    apps = _on_api("app list", verbose, _here(), environments.list_apps)
    emit(output_format, [_app_json(a) for a in apps], lambda: _print_apps(apps))


def _print_apps(apps: list[FlashApp]) -> None:
    if not apps:
        echo("no apps: `flash-ls deploy` creates one")
        return
    width = max(len(a.name) for a in apps)
    for found in apps:
        envs = len(found.flash_environments)
        builds = len(found.flash_builds)
        echo(f"{found.name:<{width}}  {envs} env(s)  {builds} build(s)")


def app_get(
    name: AppNameArgument = None,
    output_format: OutputFormatOption = "text",
    verbose: VerboseOption = False,
) -> None:
    """Show an app: its environments and builds."""
    from flash_ls.deploy import environments

    root, app = _app_name(name)
    found = _on_api("app get", verbose, root, lambda c: environments.get_app(c, app))
    emit(output_format, _app_json(found), lambda: _print_app(found))


def _print_app(found: FlashApp) -> None:
    echo(f"{found.name}  (id {found.id})")
    for env in found.flash_environments:
        echo(f"  environment  {env.name}  build {(env.active_build_id or '-')[:12]}")
    echo(f"  {len(found.flash_builds)} build(s)")


def app_create(
    name: AppNameArgument = None,
    verbose: VerboseOption = False,
) -> None:
    """Create an app (with no environment)."""
    from flash_ls.deploy import environments

    root, app = _app_name(name)
    created = _on_api("app create", verbose, root, lambda c: environments.create_app(c, app))
    echo(f"✓ created app {created.name}")


def app_delete(
    name: AppNameArgument = None,
    yes: YesOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Delete an app, its environments and their endpoints (asks first unless --yes)."""
    from flash_ls.deploy import environments
    from flash_ls.progress import SilentProgress

    root, app = _app_name(name)

    async def work(client: RunpodClient) -> int:
        found = await environments.get_app(client, app)
        envs = ", ".join(e.name for e in found.flash_environments) or "no environments"
        _confirm(
            f"Delete app {app} ({envs}) and all its endpoints?",
            yes,
            f"refusing to delete app {app} without confirmation",
        )
        return await environments.delete_app(
            client, app, SilentProgress(), confirmed=True, app_root=root
        )

    deleted = _on_api("app delete", verbose, root, work)
    echo(f"✓ deleted app {app} ({deleted} endpoint(s))")


def _app_json(app: FlashApp) -> dict[str, Any]:
    return app.model_dump(mode="json")
