"""``flash-ls login``, ``flash-ls logout`` and ``flash-ls auth status`` against the emulator.

The flow itself (``login()``) runs in-process where a test scripts time or faults; the CLI runs
as a real subprocess with a throwaway HOME, offline but for the emulator on 127.0.0.1.
"""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_imports import imported_by, loaded
from test_no_key_leaks import GUARD_DIR, Sandbox, assert_no_key_leaks

from flash_ls import __version__
from flash_ls.deploy.client import user_agent
from flash_ls.deploy.credentials import CredentialsFileError
from flash_ls.deploy.login import (
    LoginError,
    LoginResult,
    can_open_browser,
    check_api_key,
    login,
)
from flash_ls.deploy.urls import InvalidUrl
from tests.runpod_api import DEFAULT_API_KEY, RunpodEmulator

KEY = DEFAULT_API_KEY  # the emulator's account key: what an approval hands out
OTHER_KEY = "rpa_SOMEBODYELSESKEY000000000000000000000000000"
CONFIG = "~/.runpod/config.toml"
LEGACY = "~/.config/runpod/credentials.toml"


def short_lines(*texts: str) -> bool:
    """Every line of ``texts`` fits a narrow terminal."""
    return all(len(line) < 80 for text in texts for line in text.splitlines())


def put_legacy(sandbox: Sandbox, text: str = f'api_key = "{OTHER_KEY}"\n') -> Path:
    """runpod-flash's old credentials file, as its login once wrote it."""
    path = sandbox.home / ".config" / "runpod" / "credentials.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def started_with(code: str, directory: Path) -> dict[str, str]:
    """The environment that runs ``code`` when flash-ls starts, after the offline guard."""
    directory.mkdir()
    guard = (GUARD_DIR / "sitecustomize.py").read_text()
    (directory / "sitecustomize.py").write_text(f"{guard}\n{code}")
    return {"PYTHONPATH": str(directory)}


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


# -- the flow, in-process ------------------------------------------------------------------------


class Flow:
    """``login()`` against the emulator with a home in a temp dir and a fast poll."""

    def __init__(self, api: RunpodEmulator, home: Path) -> None:
        self.api = api
        self.home = home
        self.urls: list[tuple[str, bool]] = []
        self.sleeps: list[float] = []
        self.now = 0.0

    @property
    def config(self) -> Path:
        return self.home / ".runpod" / "config.toml"

    def run(
        self,
        *,
        then: Callable[[], None] = lambda: None,
        timeout: float = 30.0,
        fake_time: bool = False,
    ) -> LoginResult:
        """Log in; ``then`` runs once the approval URL is shown (the user in the browser)."""

        def on_url(url: str, opened: bool) -> None:
            self.urls.append((url, opened))
            then()

        def sleep(seconds: float) -> None:
            self.sleeps.append(seconds)
            if fake_time:
                self.now += seconds
            else:
                time.sleep(min(seconds, 0.01))

        return login(
            open_browser=False,
            timeout=timeout,
            environ=self.api.env(api_key=""),
            home=self.home,
            on_url=on_url,
            sleep=sleep,
            clock=(lambda: self.now) if fake_time else time.monotonic,
        )


@pytest.fixture
def flow(runpod_api: RunpodEmulator, tmp_path: Path) -> Flow:
    return Flow(runpod_api, tmp_path / "home")


def test_an_approved_login_saves_the_key(flow: Flow, runpod_api: RunpodEmulator) -> None:
    result = flow.run(then=runpod_api.approve_login)

    assert result.path == flow.config
    assert flow.config.read_text() == f'[default]\napi_key = "{KEY}"\n'
    request_id = next(iter(runpod_api.account.auth_requests))
    assert result.request_id == request_id
    assert flow.urls == [(f"{runpod_api.url}/console/flash/login?request={request_id}", False)]
    assert [(c.operation, c.authorized) for c in runpod_api.calls] == [
        ("createFlashAuthRequest", False),  # no key is sent, not even a stored one
        ("flashAuthRequestStatus", False),
    ]


def test_polls_every_two_seconds_until_approved(flow: Flow, runpod_api: RunpodEmulator) -> None:
    polls = 0

    def approve_on_the_third_poll() -> None:
        nonlocal polls
        polls += 1
        if polls == 3:
            runpod_api.approve_login()

    original = runpod_api.account._query_flashAuthRequestStatus

    def counting(flashAuthRequestId: str) -> dict[str, object]:
        approve_on_the_third_poll()
        return original(flashAuthRequestId)

    runpod_api.account._query_flashAuthRequestStatus = counting  # type: ignore[method-assign]
    flow.run()

    assert flow.sleeps == [2.0, 2.0]
    assert runpod_api.operations() == ["createFlashAuthRequest"] + ["flashAuthRequestStatus"] * 3


def test_a_denied_login_saves_nothing(flow: Flow, runpod_api: RunpodEmulator) -> None:
    with pytest.raises(LoginError, match=r"^login denied in the browser$"):
        flow.run(then=runpod_api.deny_login)

    assert not flow.config.exists()


def test_an_expired_request_ends_the_login(flow: Flow, runpod_api: RunpodEmulator) -> None:
    with pytest.raises(LoginError, match=r"^the login request expired: run `flash-ls login`"):
        flow.run(then=lambda: runpod_api.account.clock.advance(601))


def test_a_request_consumed_by_someone_else_ends_the_login(
    flow: Flow, runpod_api: RunpodEmulator
) -> None:
    def consumed_elsewhere() -> None:
        with runpod_api.account.lock:
            next(iter(runpod_api.account.auth_requests.values())).status = "CONSUMED"

    with pytest.raises(LoginError, match=r"^the login request was already used: run"):
        flow.run(then=consumed_elsewhere)


def test_the_timeout_ends_the_wait_polling_up_to_the_deadline(flow: Flow) -> None:
    with pytest.raises(LoginError) as raised:
        flow.run(timeout=5, fake_time=True)

    assert str(raised.value) == "login timed out after 5 s: run `flash-ls login` again"
    assert flow.sleeps == [2.0, 2.0, 1.0]  # the last poll is at the deadline
    assert flow.api.operations().count("flashAuthRequestStatus") == 4


def test_the_request_expiry_ends_the_wait_before_a_longer_timeout(
    flow: Flow, runpod_api: RunpodEmulator
) -> None:
    # The API's clock says the request lives 3 more seconds (the Date header is the API's now).
    runpod_api.account.clock.advance(-597)

    with pytest.raises(LoginError, match=r"^the login request expired"):
        flow.run(timeout=600, fake_time=True)

    assert 2.0 <= sum(flow.sleeps) <= 4.0


def test_transient_failures_while_polling_are_waited_out(
    flow: Flow, runpod_api: RunpodEmulator
) -> None:
    runpod_api.fail("flashAuthRequestStatus", "http503")
    runpod_api.fail("flashAuthRequestStatus", "reset")
    runpod_api.fail("flashAuthRequestStatus", "graphql_error", message="Please try again later")

    flow.run(then=runpod_api.approve_login)

    assert flow.config.exists()
    assert [c.fault for c in runpod_api.calls] == [None, "http503", "reset", "graphql_error", None]


def test_an_api_down_until_the_deadline_says_so(flow: Flow, runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("flashAuthRequestStatus", "http503", times=None)

    with pytest.raises(LoginError, match=r"^login timed out: the API answered 503"):
        flow.run(timeout=5, fake_time=True)


def test_an_api_error_while_polling_ends_the_login(flow: Flow, runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("flashAuthRequestStatus", "graphql_error", message="request is malformed")

    with pytest.raises(LoginError, match=r"^login failed: the API answered: request is malformed$"):
        flow.run()


def test_a_failed_request_creation_is_not_retried(flow: Flow, runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("createFlashAuthRequest", "http500")

    with pytest.raises(LoginError, match=r"^cannot start the login: the API answered 500"):
        flow.run()

    assert runpod_api.operations() == ["createFlashAuthRequest"]  # a mutation: sent once


def test_a_malformed_config_fails_before_the_browser_is_asked(
    flow: Flow, runpod_api: RunpodEmulator
) -> None:
    flow.config.parent.mkdir(parents=True)
    flow.config.write_text("[default\n")

    with pytest.raises(CredentialsFileError, match="is not valid TOML"):
        flow.run(then=runpod_api.approve_login)

    assert runpod_api.calls == []  # no request was opened, so no key was handed out


def test_a_malformed_url_variable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidUrl, match=r"^RUNPOD_API_BASE_URL='api.runpod.io' is not an http"):
        login(environ={"RUNPOD_API_BASE_URL": "api.runpod.io"}, home=tmp_path)


def test_user_agent_names_flash_ls() -> None:
    assert user_agent().startswith(f"flash-ls/{__version__} (Python 3.")


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"BROWSER": "wslview"}, True),
    ],
    ids=["no display", "x11", "wayland", "browser variable"],
)
def test_a_browser_is_opened_only_where_one_can_show(
    environ: dict[str, str], expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")

    assert can_open_browser(environ) is expected


def test_the_key_check_tells_valid_from_rejected_from_unreachable(
    runpod_api: RunpodEmulator,
) -> None:
    env = runpod_api.env(api_key="")

    valid = check_api_key(KEY, env)
    rejected = check_api_key(OTHER_KEY, env)
    down = check_api_key(KEY, {"RUNPOD_API_BASE_URL": "http://127.0.0.1:9"}, sleep=lambda s: None)

    assert (valid.status, valid.user_id) == ("valid", runpod_api.account.user_id)
    assert (rejected.status, rejected.http_status) == ("rejected", 401)
    assert down.status == "unreachable" and "Connection refused" in (down.detail or "")
    assert [(c.operation, c.authorized) for c in runpod_api.calls] == [
        ("myself", True),
        ("myself", False),  # a 401 is not retried
    ]


def test_the_key_check_retries_transient_failures(runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("myself", "http502")

    check = check_api_key(KEY, runpod_api.env(api_key=""), sleep=lambda s: None)

    assert check.status == "valid"
    assert [c.status for c in runpod_api.calls] == [502, 200]


# -- flash-ls login, as a subprocess ------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path: Path, runpod_api: RunpodEmulator) -> Sandbox:
    return Sandbox.create(tmp_path, runpod_api)


@pytest.fixture
def running() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test started; any still running at the end is killed."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def pending_request(api: RunpodEmulator) -> str:
    wait_for(lambda: bool(api.account.auth_requests))
    return next(iter(api.account.auth_requests))


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr


def test_cli_login_approved(
    sandbox: Sandbox, runpod_api: RunpodEmulator, running: list[subprocess.Popen[str]]
) -> None:
    process = sandbox.start("login", "--no-open")
    running.append(process)

    request_id = pending_request(runpod_api)
    runpod_api.approve_login(request_id)
    code, stdout, stderr = finish(process)

    assert code == 0, stderr
    assert stdout == (
        "To approve flash-ls, open this URL in a browser:\n"
        f"  {runpod_api.url}/console/flash/login?request={request_id}\n"
        "Waiting for approval (Ctrl-C to cancel)...\n"
        f"Logged in: API key saved to {CONFIG}\n"
    )
    assert stderr == ""
    assert sandbox.config.read_text() == f'[default]\napi_key = "{KEY}"\n'
    assert stat.S_IMODE(sandbox.config.stat().st_mode) == 0o600
    assert KEY not in stdout + stderr
    assert sandbox.network_attempts() == []


@pytest.mark.parametrize(
    "act, message",
    [
        (lambda api: api.deny_login(), "flash-ls: login denied in the browser\n"),
        (
            lambda api: api.account.clock.advance(601),
            "flash-ls: the login request expired: run `flash-ls login` again\n",
        ),
    ],
    ids=["denied", "expired"],
)
def test_cli_login_refused(
    sandbox: Sandbox,
    runpod_api: RunpodEmulator,
    running: list[subprocess.Popen[str]],
    act: Callable[[RunpodEmulator], None],
    message: str,
) -> None:
    process = sandbox.start("login", "--no-open")
    running.append(process)

    pending_request(runpod_api)
    act(runpod_api)
    code, _stdout, stderr = finish(process)

    assert (code, stderr) == (1, message)
    assert not sandbox.config.exists()


def test_cli_login_times_out(sandbox: Sandbox) -> None:
    started = time.monotonic()
    done = sandbox.run("login", "--no-open", "--timeout", "1")

    assert done.returncode == 1
    assert done.stderr == "flash-ls: login timed out after 1 s: run `flash-ls login` again\n"
    assert time.monotonic() - started < 20


def test_cli_login_ctrl_c_ends_cleanly(
    sandbox: Sandbox, runpod_api: RunpodEmulator, running: list[subprocess.Popen[str]]
) -> None:
    process = sandbox.start("login", "--no-open")
    running.append(process)
    wait_for(lambda: runpod_api.count("flashAuthRequestStatus") >= 1)

    process.send_signal(signal.SIGINT)
    code, _stdout, stderr = finish(process)

    assert (code, stderr) == (130, "flash-ls: login cancelled\n")
    assert not sandbox.config.exists()


@pytest.fixture
def browser(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A stand-in browser (``$BROWSER``) that records the URL it is asked to open."""
    record = tmp_path / "opened.txt"
    script = tmp_path / "browser"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nopen({str(record)!r}, 'a').write(sys.argv[1] + '\\n')\n"
    )
    script.chmod(0o755)
    return record, {"DISPLAY": ":99", "BROWSER": str(script)}


def test_cli_login_opens_the_browser(
    sandbox: Sandbox,
    runpod_api: RunpodEmulator,
    running: list[subprocess.Popen[str]],
    browser: tuple[Path, dict[str, str]],
) -> None:
    record, env = browser
    process = sandbox.start("login", env=env)
    running.append(process)

    request_id = pending_request(runpod_api)
    wait_for(record.exists)
    runpod_api.approve_login(request_id)
    code, stdout, stderr = finish(process)

    assert code == 0, stderr
    url = f"{runpod_api.url}/console/flash/login?request={request_id}"
    assert record.read_text() == url + "\n"
    assert stdout.startswith(
        f"Opened your browser to approve flash-ls; if it did not open, visit:\n  {url}\n"
    )


def test_cli_login_no_open_leaves_the_browser_alone(
    sandbox: Sandbox, runpod_api: RunpodEmulator, browser: tuple[Path, dict[str, str]]
) -> None:
    record, env = browser
    runpod_api.auto_approve_login = True

    done = sandbox.run("login", "--no-open", env=env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("To approve flash-ls, open this URL in a browser:\n")
    assert not record.exists()


def test_cli_login_without_a_display_prints_the_url(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    runpod_api.auto_approve_login = True

    done = sandbox.run("login")  # no DISPLAY, WAYLAND_DISPLAY nor BROWSER in the sandbox

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("To approve flash-ls, open this URL in a browser:\n")


@pytest.mark.parametrize("where", ["environment", "dotenv"])
def test_cli_login_warns_when_another_key_overrides_it(
    sandbox: Sandbox, runpod_api: RunpodEmulator, where: str
) -> None:
    runpod_api.auto_approve_login = True
    env = {"RUNPOD_API_KEY": OTHER_KEY} if where == "environment" else {}
    if where == "dotenv":
        (sandbox.app / ".env").write_text(f"RUNPOD_API_KEY={OTHER_KEY}\n")

    done = sandbox.run("login", "--no-open", env=env)

    assert done.returncode == 0, done.stderr
    expected = {
        "environment": "RUNPOD_API_KEY overrides this login\n  unset RUNPOD_API_KEY to use it\n",
        "dotenv": "myapp/.env overrides this login\n"
        "  remove RUNPOD_API_KEY from myapp/.env to use it\n",
    }[where]
    assert done.stderr == f"flash-ls: warning: {expected}"


def test_cli_login_with_a_malformed_config_asks_nothing(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    sandbox.config.parent.mkdir()
    sandbox.config.write_text('apikey = "x"\n[default\n')

    done = sandbox.run("login", "--no-open")

    assert done.returncode == 1
    assert done.stderr == (
        "flash-ls: ~/.runpod/config.toml is not valid TOML (line 2, column 9): fix or remove it\n"
    )
    assert runpod_api.calls == []


@pytest.mark.parametrize("value", ["0", "-5"])
def test_cli_login_refuses_a_timeout_that_is_not_positive(sandbox: Sandbox, value: str) -> None:
    done = sandbox.run("login", "--timeout", value)

    assert done.returncode == 2
    assert "--timeout must be positive" in done.stderr


def test_cli_login_removes_the_legacy_credentials(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    runpod_api.auto_approve_login = True
    legacy = put_legacy(sandbox)

    done = sandbox.run("login", "--no-open")

    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(
        f"Logged in: API key saved to {CONFIG}\nRemoved the old {LEGACY} (no longer read)\n"
    )
    assert done.stderr == ""
    assert not legacy.exists() and not legacy.parent.exists()  # ~/.config/runpod was emptied
    assert (sandbox.home / ".config").is_dir()
    assert sandbox.config.read_text() == f'[default]\napi_key = "{KEY}"\n'  # the new key only
    assert OTHER_KEY not in done.stdout + done.stderr
    assert short_lines(done.stdout.splitlines()[-1])  # the approval URL above is the API's


def test_cli_login_keeps_the_legacy_directory_when_other_files_are_in_it(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    runpod_api.auto_approve_login = True
    legacy = put_legacy(sandbox)
    other = legacy.parent / "settings.toml"
    other.write_text("x = 1\n")

    done = sandbox.run("login", "--no-open")

    assert done.returncode == 0, done.stderr
    assert not legacy.exists()
    assert other.read_text() == "x = 1\n"


def test_cli_login_that_fails_keeps_the_legacy_credentials(sandbox: Sandbox) -> None:
    legacy = put_legacy(sandbox)

    done = sandbox.run("login", "--no-open", "--timeout", "1")

    assert done.returncode == 1
    assert legacy.read_text() == f'api_key = "{OTHER_KEY}"\n'
    assert "Removed" not in done.stdout


def test_cli_login_says_when_the_legacy_file_cannot_be_removed(
    sandbox: Sandbox, runpod_api: RunpodEmulator, tmp_path: Path
) -> None:
    # A file the user may not delete (root deletes anything, so the refusal is injected).
    refused = """
import flash_ls.deploy.login

def refuse(home=None):
    raise PermissionError(13, "Permission denied")

flash_ls.deploy.login.remove_legacy_credentials = refuse
"""
    runpod_api.auto_approve_login = True
    legacy = put_legacy(sandbox)

    done = sandbox.run("login", "--no-open", env=started_with(refused, tmp_path / "hook"))

    assert done.returncode == 0, done.stderr  # the key is saved: the login worked
    assert done.stdout.endswith(f"Logged in: API key saved to {CONFIG}\n")
    assert done.stderr == (
        f"flash-ls: warning: cannot remove the old {LEGACY}\n"
        "  Permission denied: nothing reads it; delete it by hand\n"
    )
    assert legacy.exists() and sandbox.config.exists()
    assert short_lines(done.stderr)


# -- flash-ls logout ------------------------------------------------------------------------------


def logout(sandbox: Sandbox, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``flash-ls logout`` in the app; no line of its output is long or shows a key."""
    done = sandbox.run("logout", env=env)
    assert short_lines(done.stdout, done.stderr), done.stdout + done.stderr
    for key in (KEY, OTHER_KEY):
        assert key[4:16] not in done.stdout + done.stderr
    return done


def write_config(sandbox: Sandbox, text: str, mode: int = 0o600) -> None:
    sandbox.config.parent.mkdir(exist_ok=True)
    sandbox.config.write_text(text)
    sandbox.config.chmod(mode)


LOGGED_OUT = f"Logged out: API key removed from {CONFIG}\n"
NOT_LOGGED_IN = f"Not logged in: no [default].api_key in {CONFIG}\n"


def test_logout_removes_the_key_and_keeps_the_rest_of_the_file(sandbox: Sandbox) -> None:
    before = (
        'apiurl = "https://api.runpod.io/graphql"  # runpodctl\n'
        'apikey = "rpa_RUNPODCTLKEEPSTHIS"\n'
        "\n"
        "[ default ]  # runpod-python's profile\n"
        f'api_key = "{KEY}"  # saved by flash-ls login\n'
        "region='eu'\n"
        "\n"
        "# my other account\n"
        "[work]\n"
        'api_key = "rpa_WORKPROFILE"\n'
    )
    write_config(sandbox, before, mode=0o644)

    done = logout(sandbox)

    assert (done.returncode, done.stdout, done.stderr) == (0, LOGGED_OUT, "")
    assert sandbox.config.read_text() == before.replace(
        f'api_key = "{KEY}"  # saved by flash-ls login\n', ""
    )
    assert stat.S_IMODE(sandbox.config.stat().st_mode) == 0o600
    # [default] stays (it holds region), so runpodctl's key is still hidden: no key at all now.
    status = sandbox.run("auth", "status")
    assert (status.returncode, status.stdout) == (1, "Key:  none\n")
    # The key is gone from the disk: no copy in a backup or temporary file either.
    assert_no_key_leaks(KEY, directories=[sandbox.home, sandbox.app])


def test_logout_drops_the_emptied_default_table_so_runpodctls_key_counts(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    write_config(
        sandbox,
        f'# runpodctl\napikey = "{KEY}"\n\n[default]\napi_key = "{OTHER_KEY}"\n'
        '\n# the work profile\n[work]\nregion = "eu"\n',
    )

    done = logout(sandbox)

    assert (done.returncode, done.stdout) == (0, LOGGED_OUT)
    assert done.stderr == f"flash-ls: warning: a key from {CONFIG} (runpodctl) is still in use\n"
    assert sandbox.config.read_text() == (
        f'# runpodctl\napikey = "{KEY}"\n\n\n# the work profile\n[work]\nregion = "eu"\n'
    )
    status = sandbox.run("auth", "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith(f"Key:  {CONFIG} (runpodctl) (…{KEY[-4:]})\n")


@pytest.mark.parametrize(
    "where, label", [("environment", "RUNPOD_API_KEY"), ("dotenv", "myapp/.env")]
)
def test_logout_names_a_key_still_in_use(sandbox: Sandbox, where: str, label: str) -> None:
    write_config(sandbox, f'[default]\napi_key = "{KEY}"\n')
    env = put_key(sandbox, where, OTHER_KEY)

    done = logout(sandbox, env)

    assert (done.returncode, done.stdout) == (0, LOGGED_OUT)
    assert done.stderr == f"flash-ls: warning: a key from {label} is still in use\n"
    assert sandbox.config.read_text() == ""


@pytest.mark.parametrize(
    "text",
    [None, f'apikey = "{KEY}"\n', '[default]\nregion = "eu"\n'],
    ids=["no file", "runpodctl only", "default without a key"],
)
def test_logout_when_not_logged_in_changes_nothing(sandbox: Sandbox, text: str | None) -> None:
    if text is not None:
        write_config(sandbox, text, mode=0o644)

    done = logout(sandbox, {"RUNPOD_API_KEY": OTHER_KEY})

    assert (done.returncode, done.stdout, done.stderr) == (0, NOT_LOGGED_IN, "")
    if text is None:
        assert not sandbox.config.parent.exists()
    else:
        assert sandbox.config.read_text() == text
        assert stat.S_IMODE(sandbox.config.stat().st_mode) == 0o644


@pytest.mark.parametrize(
    "content, message",
    [
        (
            f'[default]\napi_key = "{KEY}"\n[default\n'.encode(),
            f"{CONFIG} is not valid TOML (line 3, column 9): fix or remove it",
        ),
        (f'[default]\napi_key = "{KEY}\xff"\n'.encode("latin-1"), f"{CONFIG} is not UTF-8"),
    ],
    ids=["not toml", "not utf-8"],
)
def test_logout_leaves_a_config_it_cannot_read_untouched(
    sandbox: Sandbox, content: bytes, message: str
) -> None:
    sandbox.config.parent.mkdir()
    sandbox.config.write_bytes(content)

    done = sandbox.run("logout")

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"flash-ls: {message}")
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert sandbox.config.read_bytes() == content
    assert [p.name for p in sandbox.config.parent.iterdir()] == ["config.toml"]
    assert KEY[4:16] not in done.stderr


def test_logout_keeps_a_symlinked_config_a_link(sandbox: Sandbox, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "runpod.toml"
    target.write_text(f'[default]\napi_key = "{KEY}"\nregion = "eu"\n')
    sandbox.config.parent.mkdir()
    sandbox.config.symlink_to(target)

    done = logout(sandbox)

    assert (done.returncode, done.stdout) == (0, LOGGED_OUT)
    assert sandbox.config.is_symlink()
    assert target.read_text() == '[default]\nregion = "eu"\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


# -- flash-ls auth status --------------------------------------------------------------------------


def put_key(sandbox: Sandbox, where: str, key: str = KEY) -> dict[str, str]:
    """Put ``key`` in one source; the environment variables to run with."""
    if where == "environment":
        return {"RUNPOD_API_KEY": key}
    if where == "dotenv":
        (sandbox.app / ".env").write_text(f"RUNPOD_API_KEY={key}\n")
        return {}
    sandbox.config.parent.mkdir(exist_ok=True)
    text = f'[default]\napi_key = "{key}"\n' if where == "config" else f'apikey = "{key}"\n'
    sandbox.config.write_text(text)
    sandbox.config.chmod(0o600)
    return {}


@pytest.mark.parametrize(
    "where, label",
    [
        ("environment", "RUNPOD_API_KEY"),
        ("dotenv", "myapp/.env"),
        ("config", CONFIG),
        ("runpodctl", f"{CONFIG} (runpodctl)"),
    ],
)
def test_status_names_the_source_and_checks_the_key(
    sandbox: Sandbox, runpod_api: RunpodEmulator, where: str, label: str
) -> None:
    env = put_key(sandbox, where)

    done = sandbox.run("auth", "status", env=env)

    assert done.returncode == 0, done.stderr
    assert done.stdout == (f"Key:  {label} (…{KEY[-4:]})\nAPI:  valid ({runpod_api.url}/graphql)\n")
    warnings = {
        "dotenv": "flash-ls: warning: myapp/.env sets RUNPOD_API_KEY: keep that file out of git\n"
    }
    assert done.stderr == warnings.get(where, "")
    assert [(c.operation, c.authorized) for c in runpod_api.calls] == [("myself", True)]


def test_status_of_an_app_elsewhere(sandbox: Sandbox, tmp_path: Path) -> None:
    put_key(sandbox, "dotenv")

    done = sandbox.run("auth", "status", str(sandbox.app), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Key:  myapp/.env (")


def test_status_warns_when_the_variable_hides_the_login(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    put_key(sandbox, "config", OTHER_KEY)
    env = put_key(sandbox, "environment")

    done = sandbox.run("auth", "status", "--output-format", "json", env=env)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "key": {"source": "RUNPOD_API_KEY", "last4": KEY[-4:], "shadows": CONFIG},
        "warnings": [f"RUNPOD_API_KEY hides the key in {CONFIG}"],
        "api": {
            "status": "valid",
            "url": f"{runpod_api.url}/graphql",
            "http_status": None,
            "detail": None,
            "user_id": runpod_api.account.user_id,
        },
        "legacy_file": None,
        "error": None,
    }
    text = sandbox.run("auth", "status", env=env)
    assert text.stderr == f"flash-ls: warning: RUNPOD_API_KEY hides the key in {CONFIG}\n"


def test_status_warns_of_a_dotenv_key_hidden_by_the_variable(sandbox: Sandbox) -> None:
    put_key(sandbox, "dotenv", OTHER_KEY)
    env = put_key(sandbox, "environment")

    done = sandbox.run("auth", "status", env=env)

    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "flash-ls: warning: myapp/.env sets another RUNPOD_API_KEY; the environment's wins\n"
    )


def test_status_warns_of_a_dotenv_key_hiding_the_login(sandbox: Sandbox) -> None:
    put_key(sandbox, "config", OTHER_KEY)
    put_key(sandbox, "dotenv")

    done = sandbox.run("auth", "status")

    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"flash-ls: warning: myapp/.env sets RUNPOD_API_KEY, hiding the key in {CONFIG}\n"
    )


def test_status_warns_of_a_config_others_can_read(sandbox: Sandbox) -> None:
    put_key(sandbox, "config")
    sandbox.config.chmod(0o644)

    done = sandbox.run("auth", "status")

    assert done.returncode == 0, done.stderr
    assert done.stderr == f"flash-ls: warning: {CONFIG} is readable by others: chmod 600 it\n"


@pytest.mark.parametrize(
    "where, message",
    [
        (
            "environment",
            "key from RUNPOD_API_KEY rejected (401): unset it and run `flash-ls login`",
        ),
        ("dotenv", "key from myapp/.env rejected (401): fix or remove it there"),
        ("config", f"key from {CONFIG} rejected (401): run `flash-ls login`"),
    ],
)
def test_status_of_a_rejected_key_is_one_actionable_line(
    sandbox: Sandbox, where: str, message: str
) -> None:
    env = put_key(sandbox, where, OTHER_KEY)

    done = sandbox.run("auth", "status", env=env)

    assert done.returncode == 1
    assert done.stdout.endswith("API:  rejected (401)\n")
    assert done.stderr.splitlines()[-1] == f"flash-ls: {message}"


def test_status_points_at_the_working_login_behind_a_rejected_variable(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    put_key(sandbox, "config")
    env = put_key(sandbox, "environment", OTHER_KEY)

    done = sandbox.run("auth", "status", env=env)

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "flash-ls: key from RUNPOD_API_KEY rejected (401): unset it to use your login"
    )
    assert [(c.operation, c.status) for c in runpod_api.calls] == [("myself", 401), ("myself", 200)]


def test_status_without_a_key(sandbox: Sandbox, runpod_api: RunpodEmulator) -> None:
    text = sandbox.run("auth", "status")
    data = sandbox.run("auth", "status", "-f", "json")

    assert (text.returncode, data.returncode) == (1, 1)
    line = "no Runpod API key: run `flash-ls login` or set RUNPOD_API_KEY"
    assert (text.stdout, text.stderr) == ("Key:  none\n", f"flash-ls: {line}\n")
    report = json.loads(data.stdout)
    assert (report["key"], report["api"]["status"], report["error"]) == (None, "unchecked", line)
    assert runpod_api.calls == []


def test_status_with_the_api_down(sandbox: Sandbox) -> None:
    env = {**put_key(sandbox, "environment"), "RUNPOD_API_BASE_URL": "http://127.0.0.1:9"}

    done = sandbox.run("auth", "status", env=env)

    assert done.returncode == 1
    assert done.stdout.endswith("API:  unreachable\n")
    assert done.stderr.startswith(
        "flash-ls: API unreachable: cannot reach http://127.0.0.1:9/graphql:"
    )


def test_status_with_a_malformed_config_is_one_line(sandbox: Sandbox) -> None:
    sandbox.config.parent.mkdir()
    sandbox.config.write_text("[default]\napi_key = \n")
    sandbox.config.chmod(0o600)

    done = sandbox.run("auth", "status", "--verbose")

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(
        "flash-ls: ~/.runpod/config.toml is not valid TOML (line 2"
    )
    assert "Traceback" not in done.stderr


def test_status_mentions_legacy_credentials_it_does_not_read(
    sandbox: Sandbox, runpod_api: RunpodEmulator
) -> None:
    legacy = put_legacy(sandbox, f'api_key = "{KEY}"\n')  # a working key, still not used

    text = sandbox.run("auth", "status")
    data = sandbox.run("auth", "status", "-f", "json")

    assert (text.returncode, data.returncode) == (1, 1)
    assert text.stdout == (f"Key:  none\nOld:  {LEGACY}: not read; `flash-ls login` removes it\n")
    assert short_lines(text.stdout, text.stderr)
    assert json.loads(data.stdout)["legacy_file"] == LEGACY
    assert runpod_api.calls == []
    assert legacy.read_text() == f'api_key = "{KEY}"\n'
    assert KEY[4:16] not in text.stdout + text.stderr + data.stdout + data.stderr


def test_status_with_a_login_and_legacy_credentials(sandbox: Sandbox) -> None:
    put_key(sandbox, "config")
    put_legacy(sandbox)

    done = sandbox.run("auth", "status")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"Key:  {CONFIG} (…{KEY[-4:]})"
    assert done.stdout.splitlines()[-1].startswith(f"Old:  {LEGACY}: not read")


@pytest.mark.parametrize(
    "args, env, message",
    [
        (("-f", "xml"), {}, "unknown --output-format 'xml' (choose from text, json)"),
        (("nowhere",), {}, "nowhere is not a directory"),
        ((), {"RUNPOD_API_BASE_URL": "ftp://x"}, "RUNPOD_API_BASE_URL='ftp://x' is not an http(s)"),
    ],
    ids=["format", "app", "url"],
)
def test_status_usage_errors(
    sandbox: Sandbox, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    done = sandbox.run("auth", "status", *args, env=env)

    assert done.returncode == 2
    assert done.stderr.startswith(f"flash-ls: {message}")


# -- start-up budget -------------------------------------------------------------------------------

CREDENTIAL_MODULES = ("flash_ls.deploy", "httpx", "tomlkit", "dotenv", "flash_ls_cli.auth_cmd")


def test_check_imports_nothing_of_the_credentials(sandbox: Sandbox) -> None:
    (sandbox.app / "worker.py").write_text(
        'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\nasync def w() -> None: ...\n'
    )

    done, modules = imported_by(sandbox.app, "check", ".", "--no-color")

    assert done.returncode == 0, done.stderr
    assert [m for m in (*CREDENTIAL_MODULES, "typer") if loaded(modules, m)] == []


def test_help_imports_no_network_stack(sandbox: Sandbox) -> None:
    done, modules = imported_by(sandbox.app, "login", "--help")

    assert done.returncode == 0, done.stderr
    assert "--no-open" in done.stdout
    assert loaded(modules, "flash_ls_cli.auth_cmd")
    assert [m for m in CREDENTIAL_MODULES[:-1] if loaded(modules, m)] == []
