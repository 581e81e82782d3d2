"""``flash-ls login`` and the key check of ``flash-ls auth status``: the official approval flow.

The flow of ``flash login`` (runpod_flash/cli/commands/login.py, 1.21): ``createFlashAuthRequest``
(no key), the console page ``{console}/flash/login?request=<id>`` in a browser, then
``flashAuthRequestStatus`` every 2 s until the request is approved (the answer carries the key
once), denied or expired, or the deadline passes: the earlier of ``--timeout`` and the request's
``expiresAt``. Once the key is saved, runpod-flash's old ``~/.config/runpod/credentials.toml``
is deleted, as the official login does after migrating it: nothing reads it, and the new key
replaces the one it holds.

The URLs come from the official variables (``urls.py``): ``RUNPOD_API_BASE_URL`` (GraphQL at
``{base}/graphql``) and ``RUNPOD_CONSOLE_URL`` (or the deprecated ``CONSOLE_BASE_URL``). The calls
go through the deploy client (``client.py``: its operation documents, User-Agent and transport,
one POST per call with a 30 s timeout); this module reads the answers and keeps its own errors.
The functions are synchronous: each runs its calls on an event loop of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import email.utils
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from flash_ls.deploy.credentials import (
    ApiKey,
    check_config,
    redact,
    remove_legacy_credentials,
    save_api_key,
)
from flash_ls.deploy.urls import ApiUrls

if TYPE_CHECKING:
    import httpx

    from flash_ls.deploy.client import RunpodClient

log = logging.getLogger(__name__)

POLL_INTERVAL_SECONDS = 2.0
DEFAULT_TIMEOUT_SECONDS = 600.0
CHECK_ATTEMPTS = 3  # a key check is a query: retried on transient failures, as the official client

# Console browsers that webbrowser falls back to: they would take over the terminal.
_TERMINAL_BROWSERS = frozenset({"www-browser", "links", "elinks", "lynx", "w3m"})

_T = TypeVar("_T")


class LoginError(Exception):
    """The login did not save a key; the message is one line saying why and what to do."""


class ApiCallError(Exception):
    """A GraphQL call failed. ``kind``: ``unreachable`` (no answer), ``rejected`` (401/403),
    ``error`` (any other failed answer); ``transient`` when a retry may succeed."""

    def __init__(
        self, kind: str, message: str, *, status: int | None = None, transient: bool = False
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.transient = transient


# -- configuration ----------------------------------------------------------------------------


def graphql_url(environ: Mapping[str, str] | None = None) -> str:
    """``{RUNPOD_API_BASE_URL}/graphql`` (default ``https://api.runpod.io/graphql``).

    Raises :class:`~flash_ls.deploy.urls.InvalidUrl` for a URL variable that is not http(s).
    """
    return ApiUrls.from_environ(os.environ if environ is None else environ).graphql


def console_url(environ: Mapping[str, str] | None = None) -> str:
    """``RUNPOD_CONSOLE_URL`` (or the deprecated ``CONSOLE_BASE_URL``), default the console."""
    return ApiUrls.from_environ(os.environ if environ is None else environ).console


def _client(urls: ApiUrls, api_key: str | None = None) -> RunpodClient:
    """The deploy client for one login or key check: a short timeout per call."""
    from flash_ls.deploy.client import LOGIN_TIMEOUT, RunpodClient

    return RunpodClient(api_key, urls, timeout=LOGIN_TIMEOUT, max_attempts=1)


def _run(make: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to the end from synchronous code, on a thread of its own when this
    thread already runs an event loop (a front end's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="flash-ls-login") as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


# -- GraphQL ------------------------------------------------------------------------------------


async def _call(
    api: RunpodClient,
    operation: str,
    document: str,
    variables: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], httpx.Response]:
    """One GraphQL operation, not retried: its ``data`` and the response, or
    :class:`ApiCallError`."""
    from flash_ls.deploy.client import TRANSIENT_MESSAGES, ApiError

    url = api.urls.graphql
    secrets = (api.api_key,) if api.api_key else ()
    try:
        response = await api.post_graphql(operation, document, variables)
    except ApiError as err:
        if err.timed_out:
            raise ApiCallError(
                "unreachable", f"no answer from {url} in time", transient=True
            ) from None
        reason = redact(err.no_answer or err.message, *secrets)
        raise ApiCallError("unreachable", f"cannot reach {url}: {reason}", transient=True) from None
    status = response.status_code
    if status in (401, 403):
        raise ApiCallError("rejected", f"the API rejected the key ({status})", status=status)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    messages = _error_messages(answer, secrets)
    if status >= 400:
        detail = f": {messages[0]}" if messages else ""
        raise ApiCallError(
            "error",
            f"the API answered {status}{detail}",
            status=status,
            transient=status >= 500 or status == 429,
        )
    if not isinstance(answer, dict):
        raise ApiCallError("error", "the API's answer is not JSON", status=status, transient=True)
    if messages:
        text = "; ".join(messages)
        transient = any(word in text.lower() for word in TRANSIENT_MESSAGES)
        raise ApiCallError("error", f"the API answered: {text}", status=status, transient=transient)
    data = answer.get("data")
    return (data if isinstance(data, dict) else {}), response


def _error_messages(answer: Any, secrets: tuple[str, ...]) -> list[str]:
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if not isinstance(errors, list):
        return []
    return [
        redact(str(e.get("message") if isinstance(e, dict) else e), *secrets)[:200] for e in errors
    ]


@dataclass(frozen=True)
class AuthRequest:
    """A login request: its id, status, and seconds left by the API's own clock (None if
    it did not say)."""

    id: str
    status: str
    expires_in: float | None


@dataclass(frozen=True, repr=False)
class AuthRequestStatus:
    """A poll's answer; ``api_key`` is set once, when the request is approved."""

    status: str
    api_key: str | None

    def __repr__(self) -> str:
        return f"AuthRequestStatus({self.status!r}, api_key={'<set>' if self.api_key else None})"


async def create_auth_request(api: RunpodClient) -> AuthRequest:
    """``createFlashAuthRequest`` (no key sent)."""
    from flash_ls.deploy.client import CREATE_FLASH_AUTH_REQUEST

    sent = time.time()
    data, response = await _call(api, "createFlashAuthRequest", CREATE_FLASH_AUTH_REQUEST)
    request = data.get("createFlashAuthRequest")
    if not isinstance(request, dict) or not isinstance(request.get("id"), str):
        raise ApiCallError("error", "the API did not open a login request")
    expires_at = _parse_time(request.get("expiresAt"))
    # Seconds left by the API's clock (its Date header), so a skewed local clock cannot end
    # the wait early or late; without a Date header, by this machine's clock.
    now = _parse_http_date(response.headers.get("date")) or sent
    expires_in = expires_at - now if expires_at is not None else None
    return AuthRequest(request["id"], str(request.get("status") or ""), expires_in)


async def auth_request_status(api: RunpodClient, request_id: str) -> AuthRequestStatus:
    """``flashAuthRequestStatus`` (no key sent)."""
    from flash_ls.deploy.client import FLASH_AUTH_REQUEST_STATUS

    data, _ = await _call(
        api,
        "flashAuthRequestStatus",
        FLASH_AUTH_REQUEST_STATUS,
        {"flashAuthRequestId": request_id},
    )
    answer = data.get("flashAuthRequestStatus")
    if not isinstance(answer, dict):
        raise ApiCallError("error", "the API does not know the login request")
    key = answer.get("apiKey")
    return AuthRequestStatus(
        str(answer.get("status") or ""), key if isinstance(key, str) and key.strip() else None
    )


def _parse_http_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


# -- login ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    """Where the approved key was saved (the key itself is not kept)."""

    path: Path
    request_id: str
    legacy_removed: bool = False
    """runpod-flash's old ``~/.config/runpod/credentials.toml`` was deleted."""
    legacy_error: str | None = None
    """Why that old file is still there, when deleting it failed (the login succeeded)."""


def login(
    *,
    open_browser: bool = True,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    on_url: Callable[[str, bool], None] = lambda url, opened: None,
    poll_interval: float = POLL_INTERVAL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    secrets: Callable[[str], None] = lambda key: None,
) -> LoginResult:
    """Run the browser approval flow and save the approved key; :class:`LoginError` if not.

    ``on_url(url, opened)`` shows the approval URL (``opened``: a browser was started);
    ``secrets(key)`` learns the key the moment it arrives (to redact it from logs).
    """
    environ = os.environ if environ is None else environ
    urls = ApiUrls.from_environ(environ)  # an InvalidUrl fails now
    check_config(home)  # a config.toml the key could not be saved to fails now, not after

    async def flow() -> LoginResult:
        async with _client(urls) as api:
            try:
                request = await create_auth_request(api)
            except ApiCallError as err:
                raise LoginError(f"cannot start the login: {err}") from None
            url = f"{urls.console}/flash/login?request={request.id}"
            on_url(url, open_browser and open_in_browser(url, environ))
            limit = timeout if request.expires_in is None else min(timeout, request.expires_in)
            deadline = clock() + max(limit, 0.0)
            last_failure: ApiCallError | None = None
            while True:
                try:
                    answer = await auth_request_status(api, request.id)
                except ApiCallError as err:
                    if not err.transient:
                        raise LoginError(f"login failed: {err}") from None
                    log.debug("login status poll failed: %s", err)
                    last_failure, answer = err, None
                if answer is not None:
                    last_failure = None
                    if answer.api_key is not None and answer.status in ("APPROVED", "CONSUMED"):
                        secrets(answer.api_key)
                        path = _save(answer.api_key, home)
                        return LoginResult(path, request.id, *_remove_legacy(home))
                    _refuse(answer.status)
                now = clock()
                if now >= deadline:
                    raise LoginError(_late(timeout, request.expires_in, last_failure))
                sleep(min(poll_interval, deadline - now))  # the only task of this loop

    return _run(flow)


def _save(key: str, home: Path | None) -> Path:
    try:
        return save_api_key(key, home)
    except Exception as err:  # the key was handed out once: say so rather than lose it silently
        reason = getattr(err, "strerror", None) or str(err)
        raise LoginError(
            f"approved, but the key could not be saved: {redact(reason, key)}"
        ) from None


def _remove_legacy(home: Path | None) -> tuple[bool, str | None]:
    """Delete the old credentials file: (whether one was deleted, why it could not be)."""
    try:
        return remove_legacy_credentials(home), None
    except OSError as err:
        return False, err.strerror or type(err).__name__


def _refuse(status: str) -> None:
    """Raise for a request that can no longer succeed."""
    if status == "DENIED":
        raise LoginError("login denied in the browser")
    if status == "EXPIRED":
        raise LoginError("the login request expired: run `flash-ls login` again")
    if status == "CONSUMED":
        raise LoginError("the login request was already used: run `flash-ls login` again")


def _late(timeout: float, expires_in: float | None, failure: ApiCallError | None) -> str:
    if failure is not None:
        return f"login timed out: {failure}"
    if expires_in is not None and expires_in < timeout:
        return "the login request expired: run `flash-ls login` again"
    return f"login timed out after {timeout:g} s: run `flash-ls login` again"


def can_open_browser(environ: Mapping[str, str]) -> bool:
    """Whether a graphical browser can be started: macOS, Windows, a display, or ``$BROWSER``."""
    import sys

    if sys.platform in ("darwin", "win32") or environ.get("BROWSER"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str, environ: Mapping[str, str] | None = None) -> bool:
    """Start a browser on ``url`` in the background; whether one was started."""
    environ = os.environ if environ is None else environ
    if not can_open_browser(environ):
        return False
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if getattr(browser, "name", "") in _TERMINAL_BROWSERS:
        return False
    # Some browser commands run until the browser exits: never hold the poll loop on one.
    threading.Thread(target=browser.open, args=(url,), daemon=True).start()
    return True


# -- key check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyCheck:
    """What the API says of a key: ``valid``, ``rejected``, ``unreachable`` or ``error``."""

    status: str
    url: str
    http_status: int | None = None
    detail: str | None = None
    user_id: str | None = None


def check_api_key(
    key: ApiKey | str,
    environ: Mapping[str, str] | None = None,
    *,
    attempts: int = CHECK_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> KeyCheck:
    """Ask the API who the key belongs to (``myself { id }``, the cheapest authenticated query)."""
    value = key.value if isinstance(key, ApiKey) else key
    urls = ApiUrls.from_environ(os.environ if environ is None else environ)
    url = urls.graphql

    async def check() -> KeyCheck:
        from flash_ls.deploy.client import MYSELF

        failure = ApiCallError("unreachable", "not tried")
        async with _client(urls, value) as api:
            for attempt in range(max(attempts, 1)):
                if attempt:
                    sleep(min(0.5 * 2 ** (attempt - 1), 4.0))
                try:
                    data, _ = await _call(api, "myself", MYSELF)
                except ApiCallError as err:
                    failure = err
                    if err.transient:
                        log.debug("key check failed (attempt %d): %s", attempt + 1, err)
                        continue
                    break
                myself = data.get("myself")
                if not isinstance(myself, dict):
                    return KeyCheck("error", url, detail="the API did not answer `myself`")
                user = myself.get("id")
                return KeyCheck("valid", url, user_id=user if isinstance(user, str) else None)
        return KeyCheck(failure.kind, url, failure.status, str(failure))

    return _run(check)
