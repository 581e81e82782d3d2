"""``flash-ls login``, ``flash-ls logout`` and ``flash-ls auth status``: the Runpod API key,
never shown.

The work is in ``flash_ls.deploy`` (``login``, ``credentials``), imported when a command runs so
``--help`` stays light. Every line these commands print, log or raise passes through the
redaction of the key in use (``RedactingFilter``), ``--verbose`` tracebacks included.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flash_ls_cli.options import (
    OutputFormatOption,
    VerboseOption,
    command_group,
    emit,
    guarded,
    stop,
)
from flash_ls_cli.output import echo

if TYPE_CHECKING:
    from flash_ls.deploy.credentials import ApiKey, RedactingFilter
    from flash_ls.deploy.login import KeyCheck


def register(app: typer.Typer) -> None:
    """Add ``login``, ``logout`` and the ``auth`` group (``auth status``) to the ``flash-ls``
    app."""
    app.command("login")(login_command)
    app.command("logout")(logout_command)
    auth = command_group("auth", "Runpod API credentials.")
    auth.command("status")(status_command)
    app.add_typer(auth, name="auth")


# -- login ----------------------------------------------------------------------------------------


def login_command(
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Print the approval URL; do not open a browser.")
    ] = False,
    timeout: Annotated[
        float,
        typer.Option("--timeout", metavar="SECONDS", help="Longest wait for the approval."),
    ] = 600.0,
    verbose: VerboseOption = False,
) -> None:
    """Log in with your browser and save a Runpod API key.

    The key goes to ~/.runpod/config.toml ([default].api_key, mode 0600), where the official
    Flash CLI and runpod-python read it; it is never printed. The old
    ~/.config/runpod/credentials.toml, which nothing reads, is deleted. Exit status: 0 when
    saved, 1 when the login is denied, expires or times out, 130 on Ctrl-C.
    """
    if timeout <= 0:
        raise stop(f"--timeout must be positive, got {timeout:g}", 2)
    with guarded(verbose, "login") as secrets:
        from flash_ls.deploy.credentials import LEGACY_LABEL, MissingApiKey
        from flash_ls.deploy.login import LoginError, login
        from flash_ls.deploy.urls import InvalidUrl

        try:
            result = login(
                open_browser=not no_open,
                timeout=timeout,
                on_url=_show_url,
                secrets=secrets.add,
            )
        except InvalidUrl as err:
            raise stop(str(err), 2) from None
        except (LoginError, MissingApiKey) as err:
            raise stop(str(err), 1) from None
        echo(f"Logged in: API key saved to {_home_relative(result.path)}")
        if result.legacy_removed:
            echo(f"Removed the old {LEGACY_LABEL} (no longer read)")
        if result.legacy_error is not None:
            echo(f"flash-ls: warning: cannot remove the old {LEGACY_LABEL}", err=True)
            echo(f"  {result.legacy_error}: nothing reads it; delete it by hand", err=True)
        active = _active_key(secrets)
        if active is not None and active.shadows is not None:
            echo(f"flash-ls: warning: {active.source} overrides this login", err=True)
            echo(f"  {_unhide(active.source)} to use it", err=True)


def _show_url(url: str, opened: bool) -> None:
    if opened:
        echo("Opened your browser to approve flash-ls; if it did not open, visit:")
    else:
        echo("To approve flash-ls, open this URL in a browser:")
    echo(f"  {url}")
    echo("Waiting for approval (Ctrl-C to cancel)...")


def _active_key(secrets: RedactingFilter) -> ApiKey | None:
    """The key a command run here would use now (learnt by ``secrets``), or None."""
    from flash_ls.deploy.credentials import MissingApiKey, resolve_api_key

    try:
        active = resolve_api_key(Path.cwd())
    except MissingApiKey:
        return None
    secrets.add(active.value)
    return active


def _unhide(source: str) -> str:
    """What to do so a stored key is used instead of the one from ``source``."""
    from flash_ls.platform import API_KEY_ENV

    if source == API_KEY_ENV:
        return f"unset {API_KEY_ENV}"
    return f"remove {API_KEY_ENV} from {source}"


def _home_relative(path: Path) -> str:
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):
        return str(path)


# -- logout ---------------------------------------------------------------------------------------


def logout_command(verbose: VerboseOption = False) -> None:
    """Remove the Runpod API key a login saved.

    Only [default].api_key of ~/.runpod/config.toml goes; the rest of the file stays (runpodctl's apikey, other profiles, comments). A key that is
    still in use afterwards (RUNPOD_API_KEY, the app's .env, runpodctl's apikey) is named.
    Exit status: 0 when no key is saved anymore (or none was), 1 when config.toml cannot be
    read or is not valid TOML (it is left untouched).
    """
    with guarded(verbose, "logout") as secrets:
        from flash_ls.deploy.credentials import CONFIG_LABEL, MissingApiKey, remove_api_key

        try:
            removed = remove_api_key()
        except MissingApiKey as err:  # CredentialsFileError: unreadable or not TOML
            raise stop(str(err), 1) from None
        if not removed:
            echo(f"Not logged in: no [default].api_key in {CONFIG_LABEL}")
            return
        echo(f"Logged out: API key removed from {CONFIG_LABEL}")
        active = _active_key(secrets)
        if active is not None:
            echo(f"flash-ls: warning: a key from {active.source} is still in use", err=True)


# -- auth status ------------------------------------------------------------------------------


def status_command(
    app_dir: Annotated[
        Path,
        typer.Argument(metavar="APP", help="The app directory (default: the current directory)."),
    ] = Path("."),
    output_format: OutputFormatOption = "text",
    verbose: VerboseOption = False,
) -> None:
    """Show which Runpod API key is in use (never the key) and whether the API accepts it.

    Sources, first found wins: RUNPOD_API_KEY, the app's .env, ~/.runpod/config.toml. Exit
    status: 0 when the API accepts the key, 1 when there is none or the API rejects it or
    cannot be reached, 2 for usage errors.
    """
    if not app_dir.is_dir():
        raise stop(f"{app_dir} is not a directory", 2)
    with guarded(verbose, "auth status") as secrets:
        from flash_ls.deploy.urls import InvalidUrl

        try:
            report = _status(app_dir.absolute(), secrets)
        except InvalidUrl as err:
            raise stop(str(err), 2) from None
        emit(output_format, report, lambda: _print_status(report))
        if report["error"]:
            raise stop(report["error"], 1)


def _status(app_root: Path, secrets: RedactingFilter) -> dict[str, Any]:
    """Everything ``auth status`` reports, as JSON-able data (no key, at most its last 4)."""
    from flash_ls.deploy.credentials import (
        LEGACY_LABEL,
        MissingApiKey,
        has_legacy_credentials,
        resolve_api_key,
    )
    from flash_ls.deploy.login import check_api_key, graphql_url

    url = graphql_url()  # a malformed URL variable is a usage error before anything else
    warnings: list[str] = []
    error: str | None = None
    active: ApiKey | None = None
    try:
        active = resolve_api_key(app_root)
        secrets.add(active.value)
    except MissingApiKey as err:
        error = str(err)
    warnings.extend(_warnings(app_root, active, secrets))
    api: dict[str, Any] = {"status": "unchecked", "url": url}
    if active is not None:
        check = check_api_key(active)
        api = {
            "status": check.status,
            "url": check.url,
            "http_status": check.http_status,
            "detail": check.detail,
            "user_id": check.user_id,
        }
        if check.status != "valid":
            error = _check_failure(active, check)
    return {
        "key": None if active is None else _describe(active),
        "warnings": warnings,
        "api": api,
        "legacy_file": LEGACY_LABEL if has_legacy_credentials() else None,
        "error": error,
    }


def _describe(key: ApiKey) -> dict[str, Any]:
    return {
        "source": key.source,
        "last4": key.hint[1:] or None,
        "shadows": key.shadows,
    }


def _warnings(app_root: Path, active: ApiKey | None, secrets: RedactingFilter) -> Iterator[str]:
    """What may make the key in use not the one meant: hidden keys, a .env key, loose modes."""
    from flash_ls.deploy.credentials import (
        CONFIG_LABEL,
        MissingApiKey,
        config_path,
        dotenv_key,
        read_stored_key,
    )
    from flash_ls.platform import API_KEY_ENV

    environ = os.environ
    if active is not None and active.source == API_KEY_ENV and active.shadows:
        yield f"{API_KEY_ENV} hides the key in {active.shadows}"
    try:
        dotenv = dotenv_key(app_root, environ)
    except MissingApiKey as err:
        yield str(err)
        dotenv = None
    if dotenv is not None:
        secrets.add(dotenv.value)
        if active is not None and active.source == dotenv.source:
            if active.shadows:
                yield f"{dotenv.source} sets {API_KEY_ENV}, hiding the key in {active.shadows}"
            else:
                yield f"{dotenv.source} sets {API_KEY_ENV}: keep that file out of git"
        elif environ.get(API_KEY_ENV, "").strip():
            if dotenv.value != environ[API_KEY_ENV].strip():
                yield f"{dotenv.source} sets another {API_KEY_ENV}; the environment's wins"
        elif API_KEY_ENV in environ:
            yield f"{dotenv.source}'s {API_KEY_ENV} is unused: {API_KEY_ENV} is set empty"
    if active is not None and active.source != CONFIG_LABEL:
        try:
            stored = read_stored_key()
        except MissingApiKey as err:
            yield str(err)  # not in the way now, but it would be without the variable
        else:
            if stored is not None:
                secrets.add(stored.value)
    if os.name == "nt":
        return  # no POSIX modes to check
    try:
        mode = config_path().stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        yield f"{CONFIG_LABEL} is readable by others: chmod 600 it"


def _check_failure(active: ApiKey, check: KeyCheck) -> str:
    """One line: what the API said of the key in use, and what to do."""
    from flash_ls.deploy.credentials import (
        CONFIG_LABEL,
        RUNPODCTL_LABEL,
        MissingApiKey,
        read_stored_key,
    )
    from flash_ls.deploy.login import check_api_key
    from flash_ls.platform import API_KEY_ENV

    if check.status == "unreachable":
        return f"API unreachable: {check.detail}"
    if check.status != "rejected":
        return f"API error: {check.detail}"
    rejected = f"key from {active.source} rejected ({check.http_status})"
    if active.shadows:
        try:
            stored = read_stored_key()
        except MissingApiKey:
            stored = None
        if stored is not None and check_api_key(stored).status == "valid":
            where = "unset it" if active.source == API_KEY_ENV else "remove it there"
            return f"{rejected}: {where} to use your login"
    if active.source == API_KEY_ENV:
        return f"{rejected}: unset it and run `flash-ls login`"
    if active.source not in (CONFIG_LABEL, RUNPODCTL_LABEL):
        return f"{rejected}: fix or remove it there"
    return f"{rejected}: run `flash-ls login`"


def _print_status(report: dict[str, Any]) -> None:
    key = report["key"]
    if key is None:
        echo("Key:  none")
    else:
        last4 = f" (…{key['last4']})" if key["last4"] else ""
        echo(f"Key:  {key['source']}{last4}")
    api = report["api"]
    if api["status"] == "valid":
        echo(f"API:  valid ({api['url']})")
    elif api["status"] == "rejected":
        echo(f"API:  rejected ({api['http_status']})")
    elif api["status"] != "unchecked":
        echo(f"API:  {api['status']}")
    if report["legacy_file"]:
        echo(f"Old:  {report['legacy_file']}: not read; `flash-ls login` removes it")
    for warning in report["warnings"]:
        echo(f"flash-ls: warning: {warning}", err=True)
