"""VS Code itself with the flash-ls extension: code-server 4.100.3 (VS Code 1.100.3) in headless
Chromium, driven by playwright-core with the keyboard as a person would, against the real
server and the Runpod API emulator.

One code-server session serves the whole module (its start costs ~10 s on a loaded machine); the
tests run in file order on one copy of a small app: diagnostics appear, a quick fix clears one,
environments are created and switched, the app is deployed, and "Copy curl" copies the request
of each endpoint. What happened is read from the extension's test hook (``FLASH_LS_TEST_HOOK``:
one JSON event a line) and from the emulator and the disk, not from the DOM.

Needs code-server, Debian's Chromium, node with vscode-client/e2e's playwright-core and the
extension's .vsix (``make vscode-e2e-deps``). Without them the module is skipped, unless
``FLASH_LS_E2E=1`` (CI): then it fails. ``FLASH_LS_SCREENSHOT=1`` also writes
docs/images/vscode.png.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.deploy.deploy_runner import FlashLs
from tests.runpod_api import RunpodEmulator

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "vscode-client"
E2E = CLIENT / "e2e"
SCREENSHOT = REPO / "docs" / "images" / "vscode.png"
CODE_SERVER_VERSION = "4.100.3"
REQUIRED = os.environ.get("FLASH_LS_E2E") == "1"

# Seconds. CI is a loaded 2-core machine: every wait is on an event, bounded generously.
START_TIMEOUT = 180  # code-server up, the workbench loaded, the language client running
UI_TIMEOUT = 60  # one keyboard interaction of the driver
EVENT_TIMEOUT = 90  # a hook event after an action (a deploy builds, uploads, saves endpoints)

APP_NAME = "notes-app"
APP = {
    "pyproject.toml": """
        [project]
        name = "notes-app"
        version = "0.1.0"
        requires-python = ">=3.10"
        dependencies = ["runpod-flash"]
        """,
    # A queue endpoint with typed parameters; FL601 (info, no fix) on workers=.
    "worker.py": """
        # Queue endpoint: summarise a text on a GPU.
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(name="summarizer", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_48], workers=(0, 2))
        async def summarize(text: str, max_words: int = 40, temperature: float = 0.5) -> dict:
            \"\"\"Summarise ``text`` in at most ``max_words`` words.\"\"\"
            return {"summary": " ".join(text.split()[:max_words]), "temperature": temperature}
        """,
    # A load-balanced endpoint with a POST and a GET route; FL204 (error, safe fix) on "notes".
    "api.py": """
        # Load-balanced HTTP API on CPU.
        from runpod_flash import CpuInstanceType, Endpoint

        api = Endpoint(name="notes-api", cpu=CpuInstanceType.CPU5C_2_4, workers=(0, 2))


        @api.post("/notes")
        async def create_note(title: str, body: str = "", pinned: bool = False) -> dict:
            \"\"\"Store a note.\"\"\"
            return {"title": title, "body": body, "pinned": pinned}


        @api.get("notes")
        async def list_notes(limit: int = 10) -> dict:
            \"\"\"The latest notes.\"\"\"
            return {"notes": [], "limit": limit}
        """,
}


def _text(rel: str) -> str:
    return textwrap.dedent(APP[rel]).lstrip("\n")


def _line_of(rel: str, needle: str) -> int:
    """0-based line of the first line of ``rel`` that contains ``needle``."""
    return next(i for i, line in enumerate(_text(rel).split("\n")) if needle in line)


FL204_LINE = _line_of("api.py", '@api.get("notes")')
FL601_LINE = _line_of("worker.py", "@Endpoint(")
POST_ROUTE_LINE = _line_of("api.py", '@api.post("/notes")')
GET_ROUTE_LINE = FL204_LINE

EDITOR_LINES = ".editor-group-container.active .monaco-editor .view-lines"  # the shown text
STATUS_BAR = "#workbench\\.parts\\.statusbar"


# -- what the machine has -------------------------------------------------------------------------


def _code_server() -> Path | None:
    candidates = [
        os.environ.get("FLASH_LS_CODE_SERVER"),
        str(
            Path.home()
            / ".cache"
            / "flash-ls"
            / f"code-server-{CODE_SERVER_VERSION}"
            / "node_modules"
            / ".bin"
            / "code-server"
        ),
        str(E2E / ".code-server" / "node_modules" / ".bin" / "code-server"),
        shutil.which("code-server"),
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def _vsix() -> Path | None:
    try:
        version = json.loads((CLIENT / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    found = CLIENT / f"flash-ls-{version}.vsix"
    return found if found.is_file() else None


@dataclass(frozen=True)
class Tools:
    code_server: Path
    chromium: Path
    node: Path
    vsix: Path


def _tools() -> Tools | str:
    """The programs the module needs, or why it cannot run."""
    code_server = _code_server()
    chromium = os.environ.get("FLASH_LS_CHROMIUM") or shutil.which("chromium")
    if chromium is not None and not os.access(chromium, os.X_OK):
        chromium = None
    node = shutil.which("node")
    vsix = _vsix()
    missing = []
    if code_server is None:
        missing.append(f"code-server {CODE_SERVER_VERSION}")
    if chromium is None:
        missing.append("chromium (apt-get install chromium)")
    if node is None:
        missing.append("node")
    if not (E2E / "node_modules" / "playwright-core").is_dir():
        missing.append("playwright-core (npm ci in vscode-client/e2e)")
    if vsix is None:
        missing.append("the extension's .vsix (npm run package in vscode-client)")
    if missing or code_server is None or chromium is None or node is None or vsix is None:
        return "VS Code end-to-end tests need " + ", ".join(missing) + " (make vscode-e2e-deps)"
    return Tools(code_server, Path(chromium), Path(node), vsix)


# -- processes ------------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    """Every process's children, by parent pid (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return children


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children = _children()
    found, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(proc: subprocess.Popen[Any], grace: float = 5.0) -> None:
    """End ``proc`` (started in its own session), every process under it and their process
    groups: the extension host outlives the browser, Chromium runs in a group of its own."""
    pids = _tree(proc.pid)
    own = os.getpgrp()
    groups = set()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    groups.discard(own)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for group in groups:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, sig)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        if sig == signal.SIGTERM:
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and any(_alive(p) for p in pids):
                time.sleep(0.1)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


# -- the extension's test hook --------------------------------------------------------------------


class Hook:
    """The JSON lines the extension appends to ``FLASH_LS_TEST_HOOK``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.events: list[dict[str, Any]] = []
        self._offset = 0
        self._partial = b""

    def read(self) -> list[dict[str, Any]]:
        try:
            with self.path.open("rb") as file:
                file.seek(self._offset)
                data = file.read()
        except FileNotFoundError:
            return self.events
        self._offset += len(data)
        data = self._partial + data
        lines = data.split(b"\n")
        self._partial = lines.pop()  # an unfinished last line waits for the rest
        for line in lines:
            if line.strip():
                self.events.append(json.loads(line))
        return self.events

    def mark(self) -> int:
        """A position: waits ``since`` it only see later events."""
        return len(self.read())

    def wait(
        self,
        what: str,
        matches: Callable[[dict[str, Any]], bool],
        *,
        since: int = 0,
        timeout: float = EVENT_TIMEOUT,
        describe: Callable[[], str] = lambda: "",
    ) -> dict[str, Any]:
        """The first event from ``since`` on that ``matches``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.read()
            for event in events[since:]:
                if matches(event):
                    return event
            if time.monotonic() > deadline:
                raise AssertionError(f"no hook event {what} within {timeout} s\n{describe()}")
            time.sleep(0.1)

    def last_state(self) -> dict[str, Any] | None:
        states = [e for e in self.read() if e.get("event") == "state"]
        return states[-1] if states else None

    def tail(self, n: int = 15) -> str:
        return "\n".join(json.dumps(e)[:800] for e in self.read()[-n:])


# -- the browser driver (vscode-client/e2e/drive.js) ----------------------------------------------


class Driver:
    """drive.js: one JSON request a line in, one answer a line out."""

    def __init__(self, node: Path, url: str, env: dict[str, str], log: Path) -> None:
        self._log = log.open("w")
        self.proc = subprocess.Popen(
            [str(node), str(E2E / "drive.js"), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=E2E,
            text=True,
            start_new_session=True,
        )
        self._answers: queue.Queue[str | None] = queue.Queue()
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._answers.put(line)
        self._answers.put(None)

    def request(self, op: str, timeout: float = UI_TIMEOUT, **args: Any) -> dict[str, Any]:
        self._next += 1
        request = {"id": self._next, "op": op, "timeout": int(timeout * 1000), **args}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout + 30  # the driver answers on its own timeout first
        while True:
            try:
                line = self._answers.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                return {"ok": False, "error": f"drive.js did not answer {op} in time"}
            if line is None:
                return {"ok": False, "error": f"drive.js exited ({self.proc.poll()})"}
            answer: dict[str, Any] = json.loads(line)
            if answer.get("id") == self._next:
                return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(Exception):
                self.request("close", timeout=15)
            with contextlib.suppress(Exception):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
        kill_tree(self.proc)
        self._log.close()


# -- the session ----------------------------------------------------------------------------------


def _write_app(root: Path) -> None:
    root.mkdir(parents=True)
    for rel in APP:
        (root / rel).write_text(_text(rel))


USER_SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "workbench.editor.enablePreview": False,
    "security.workspace.trust.enabled": False,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "git.enabled": False,
    "files.autoSave": "off",
    "editor.codeLens": True,
    "editor.minimap.enabled": False,
    "workbench.reduceMotion": "on",  # no fading hovers or sliding widgets
    "editor.hover.above": False,  # the screenshot's hover leaves the code lenses in sight
    "flash.debounceMs": 50,
}


@dataclass
class VsCode:
    """One code-server with the extension, a browser on it, the app and the emulator."""

    tools: Tools
    work: Path
    api: RunpodEmulator
    cli: FlashLs
    hook: Hook
    env: dict[str, str]
    code_server: subprocess.Popen[Any] | None = None
    driver: Driver | None = None
    url: str = ""
    memo: dict[str, Any] = field(default_factory=dict)

    @property
    def app(self) -> Path:
        return self.cli.project

    @property
    def user_data(self) -> Path:
        return self.work / "user-data"

    def uri(self, rel: str) -> str:
        return (self.app / rel).as_uri()

    # starting and stopping

    def start(self) -> None:
        extensions = self.work / "extensions"
        (self.user_data / "User").mkdir(parents=True)
        settings = {**USER_SETTINGS, "flash.interpreter": sys.executable}
        (self.user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
        common = ["--user-data-dir", str(self.user_data), "--extensions-dir", str(extensions)]
        installed = subprocess.run(
            [str(self.tools.code_server), *common, "--install-extension", str(self.tools.vsix)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
            start_new_session=True,
        )
        assert installed.returncode == 0, (
            f"installing the .vsix failed:\n{installed.stdout}\n{installed.stderr}"
        )

        log_path = self.work / "code-server.log"
        self._cs_log = log_path.open("w")
        self.code_server = subprocess.Popen(
            [
                str(self.tools.code_server),
                "--bind-addr",
                "127.0.0.1:0",  # code-server picks a free port and prints it: no race
                "--auth",
                "none",
                *common,
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                str(self.app),
            ],
            env=self.env,
            cwd=self.work,
            stdout=self._cs_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.url:
            for line in log_path.read_text().splitlines():
                if "HTTP server listening on " in line:
                    self.url = line.split("HTTP server listening on ", 1)[1].strip()
            if self.code_server.poll() is not None:
                raise AssertionError(f"code-server exited:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"code-server did not listen:\n{log_path.read_text()}")
            time.sleep(0.1)

        driver_env = {
            **self.env,
            "FLASH_LS_CHROMIUM": str(self.tools.chromium),
            "FLASH_LS_E2E_ARTIFACTS": str(self.work / "artifacts"),
        }
        self.driver = Driver(self.tools.node, self.url, driver_env, self.work / "drive.log")
        self.do("open", timeout=START_TIMEOUT)
        self.hook.wait(
            "ready",
            lambda e: e.get("event") == "ready",
            timeout=START_TIMEOUT,
            describe=self.report,
        )

    def stop(self) -> None:
        if self.driver is not None:
            self.driver.close()
        if self.code_server is not None:
            kill_tree(self.code_server)
            self._cs_log.close()

    # driving

    def do(self, op: str, timeout: float = UI_TIMEOUT, **args: Any) -> dict[str, Any]:
        """One driver request; a failure fails the test with what the UI and the hook show."""
        assert self.driver is not None
        answer = self.driver.request(op, timeout=timeout, **args)
        if not answer.get("ok"):
            raise AssertionError(
                f"VS Code: {op} {json.dumps(args)} failed: {answer.get('error')}\n"
                f"screenshot: {answer.get('screenshot')}\n{self.report()}"
            )
        return answer

    def report(self) -> str:
        """What a failure message shows: the UI's state, the hook's last events, the logs."""
        parts = []
        if self.driver is not None and self.driver.proc.poll() is None:
            state = self.driver.request("state", timeout=10)
            parts.append(f"UI: {json.dumps(state)[:1500]}")
        parts.append(f"hook (last events):\n{self.hook.tail()}")
        for log in sorted(self.user_data.glob("logs/*/exthost*/flash-ls.flash-ls/*.log")):
            parts.append(f"{log.name}:\n{log.read_text()[-3000:]}")
        for log in (self.work / "drive.log", self.work / "code-server.log"):
            if log.exists():
                parts.append(f"{log.name}:\n{log.read_text()[-2000:]}")
        return "\n".join(parts)

    def wait_event(
        self,
        what: str,
        matches: Callable[[dict[str, Any]], bool],
        since: int,
        timeout: float = EVENT_TIMEOUT,
    ) -> dict[str, Any]:
        return self.hook.wait(what, matches, since=since, timeout=timeout, describe=self.report)

    def wait_state(
        self,
        what: str,
        matches: Callable[[dict[str, Any]], bool],
        since: int = 0,
        timeout: float = EVENT_TIMEOUT,
    ) -> dict[str, Any]:
        return self.wait_event(
            what, lambda e: e.get("event") == "state" and matches(e), since, timeout
        )

    def wait_command(
        self, command: str, since: int, timeout: float = EVENT_TIMEOUT
    ) -> dict[str, Any]:
        """The hook's report of ``command``'s end (after ``since``); it must have succeeded."""
        event = self.wait_event(
            f"command {command}",
            lambda e: e.get("event") == "command" and e.get("command") == command,
            since,
            timeout,
        )
        assert event.get("ok"), f"{command} failed: {event.get('error')}\n{self.report()}"
        return event

    def diagnostics(self, state: dict[str, Any], rel: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = state.get("diagnostics", {}).get(self.uri(rel), [])
        return found

    def lenses(self, state: dict[str, Any], rel: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = state.get("codeLenses", {}).get(self.uri(rel), [])
        return found

    def open_file(self, rel: str) -> None:
        self.do("openFile", path=rel)

    def goto(self, line: int, character: int | None = None) -> None:
        """Ctrl+G to a 0-based line (and character)."""
        if character is None:
            self.do("gotoLine", line=line + 1)
        else:
            self.do("gotoLine", line=line + 1, column=character + 1)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="module")
def vscode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VsCode]:
    tools = _tools()
    if isinstance(tools, str):
        if REQUIRED:
            pytest.fail(f"FLASH_LS_E2E=1 but {tools}")
        pytest.skip(tools)
    work = tmp_path_factory.mktemp("vscode")
    home = work / "home"
    home.mkdir()
    _write_app(work / APP_NAME)
    xdg = work / "xdg"
    # Sockets go in TMPDIR and XDG_RUNTIME_DIR: a short path keeps them under the 107-byte
    # limit of a socket's path whatever pytest's base directory is.
    short = Path(
        tempfile.mkdtemp(prefix="flash-vsc-", dir="/tmp" if Path("/tmp").is_dir() else None)
    )
    with RunpodEmulator() as api, contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, short, ignore_errors=True)
        cli = FlashLs(api, home, work / APP_NAME)
        hook = Hook(work / "hook.jsonl")
        env = cli.env(
            {
                "XDG_DATA_HOME": str(xdg / "data"),
                "XDG_STATE_HOME": str(xdg / "state"),
                "XDG_CONFIG_HOME": str(xdg / "config"),
                "XDG_RUNTIME_DIR": str(short / "run"),
                "TMPDIR": str(short / "tmp"),
                "FLASH_LS_OFFLINE": "1",  # no pip resolution for size estimates
                "FLASH_LS_TEST_HOOK": str(hook.path),
            }
        )
        for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "TMPDIR"):
            Path(env[var]).mkdir(parents=True, exist_ok=True)
        Path(env["XDG_RUNTIME_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
        session = VsCode(tools, work, api, cli, hook, env)
        # A CI timeout's SIGTERM still ends code-server and Chromium (they run in sessions of
        # their own, so no terminal signal reaches them): it unwinds through the finally below.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            session.start()
            yield session
        finally:
            session.stop()
            signal.signal(signal.SIGTERM, previous)


# -- the tests, in order --------------------------------------------------------------------------


def _codes(diagnostics: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(d["code"], d["line"]) for d in diagnostics}


def test_diagnostics_appear_on_their_lines(vscode: VsCode) -> None:
    # The CLI's findings on the same files: what the editor must show.
    found = json.loads(vscode.cli.run("check", "-f", "json", ".").stdout)
    assert {(f["path"], f["code"], f["line"] - 1) for f in found} == {
        ("api.py", "FL204", FL204_LINE),
        ("worker.py", "FL601", FL601_LINE),
    }

    vscode.open_file("worker.py")
    vscode.open_file("api.py")
    state = vscode.wait_state(
        "with FL204 in api.py and FL601 in worker.py",
        lambda s: (
            ("FL204", FL204_LINE) in _codes(vscode.diagnostics(s, "api.py"))
            and ("FL601", FL601_LINE) in _codes(vscode.diagnostics(s, "worker.py"))
        ),
    )
    fl204 = next(d for d in vscode.diagnostics(state, "api.py") if d["code"] == "FL204")
    assert fl204["severity"] == "error"
    assert fl204["character"] == _text("api.py").split("\n")[FL204_LINE].index('"notes"')
    assert "does not start with '/'" in fl204["message"]
    fl601 = next(d for d in vscode.diagnostics(state, "worker.py") if d["code"] == "FL601")
    assert fl601["severity"] == "info"
    assert _codes(vscode.diagnostics(state, "api.py")) == {("FL204", FL204_LINE)}
    assert _codes(vscode.diagnostics(state, "worker.py")) == {("FL601", FL601_LINE)}


def test_quick_fix_changes_the_file_and_clears_the_diagnostic(vscode: VsCode) -> None:
    vscode.open_file("api.py")
    line = _text("api.py").split("\n")[FL204_LINE]
    vscode.goto(FL204_LINE, line.index('"notes"') + 1)
    vscode.wait_state(
        "with FL204 in api.py",
        lambda s: ("FL204", FL204_LINE) in _codes(vscode.diagnostics(s, "api.py")),
    )
    since = vscode.hook.mark()
    vscode.do("quickFix", title="Prefix the path with '/'")
    # The edit is in the editor (then Ctrl+S writes it): the file on disk only changes on save.
    vscode.do("waitFor", selector=EDITOR_LINES, contains='@api.get("/notes")')
    assert '/notes")\nasync def list_notes' not in (vscode.app / "api.py").read_text()
    vscode.do("key", keys=["Control+S"])

    deadline = time.monotonic() + EVENT_TIMEOUT
    while '@api.get("/notes")' not in (vscode.app / "api.py").read_text():
        assert time.monotonic() < deadline, f"api.py not saved with the fix:\n{vscode.report()}"
        time.sleep(0.1)
    text = (vscode.app / "api.py").read_text()
    assert text == _text("api.py").replace('@api.get("notes")', '@api.get("/notes")')
    vscode.wait_state(
        "without FL204 in api.py",
        lambda s: (
            not vscode.diagnostics(s, "api.py")
            and ("FL601", FL601_LINE) in _codes(vscode.diagnostics(s, "worker.py"))
        ),
        since=since,
    )


def _status_text(state: dict[str, Any]) -> str:
    status = state.get("status") or {}
    return str(status.get("text", "")) if status.get("visible", True) else ""


def _environments(vscode: VsCode) -> None:
    """staging through the palette's "Flash: Create Environment", dev through the CLI."""
    if vscode.memo.get("environments"):
        return
    since = vscode.hook.mark()
    vscode.do("palette", command="Flash: Create Environment")
    vscode.do("type", prompt="Environment name", text="staging")
    vscode.wait_command("flash-ls.createEnvironment", since)
    vscode.cli.run("env", "create", "dev").check()
    names = set(vscode.api.snapshot()["apps"][APP_NAME]["environments"])
    assert names == {"staging", "dev"}
    vscode.memo["environments"] = True


def _switch(vscode: VsCode, name: str) -> dict[str, Any]:
    """ "Flash: Switch Environment", then ``name`` in its quick pick; the state after it."""
    since = vscode.hook.mark()
    vscode.do("palette", command="Flash: Switch Environment")
    vscode.do("pick", label=name)
    state = vscode.wait_state(
        f"with {name} active",
        lambda s: name in _status_text(s) and name in (s.get("activeEnvironment") or {}).values(),
        since=since,
    )
    vscode.do("waitFor", selector=STATUS_BAR, contains=f"flash: {name}")  # what the user sees
    return state


def _active(state: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The hook's ``activeEnvironment``: (the app root's last path segment, environment)."""
    active = state.get("activeEnvironment") or {}
    return [(root.rstrip("/").rsplit("/", 1)[-1], env) for root, env in active.items()]


def test_switch_environment_changes_the_status_item(vscode: VsCode) -> None:
    _environments(vscode)
    vscode.open_file("worker.py")  # the status item shows the current Python file's app
    state = _switch(vscode, "dev")
    assert _status_text(state).endswith("dev"), state["status"]
    assert _active(state) == [(APP_NAME, "dev")]
    state = _switch(vscode, "staging")
    assert _status_text(state).endswith("staging"), state["status"]
    assert _active(state) == [(APP_NAME, "staging")]


def _deployed(vscode: VsCode) -> dict[str, Any]:
    """ "Flash: Deploy" to staging (once): the command's result."""
    if "deploy" in vscode.memo:
        result: dict[str, Any] = vscode.memo["deploy"]
        return result
    if '@api.get("notes")' in (vscode.app / "api.py").read_text():  # run without the fix's test
        vscode.cli.run("check", "--fix", ".")
    _environments(vscode)
    vscode.open_file("worker.py")  # the status item shows the current Python file's app
    state = vscode.hook.last_state()
    if state is None or "staging" not in _status_text(state):
        _switch(vscode, "staging")
    since = vscode.hook.mark()
    vscode.do("palette", command="Flash: Deploy")
    event = vscode.wait_command("flash-ls.deploy", since, timeout=EVENT_TIMEOUT * 2)
    deployed: dict[str, Any] = event["result"]
    vscode.memo["deploy"] = deployed
    return deployed


def test_deploy_against_the_emulator(vscode: VsCode) -> None:
    result = _deployed(vscode)
    assert result["deployed"] is True
    assert result["environment"] == "staging"

    staging = vscode.api.snapshot()["apps"][APP_NAME]["environments"]["staging"]
    assert staging["state"] == "DEPLOYED"
    assert set(staging["endpoints"]) == {"summarizer", "notes-api"}
    assert staging["endpoints"]["summarizer"]["type"] == "QB"
    assert staging["endpoints"]["notes-api"]["type"] == "LB"
    assert vscode.api.snapshot()["apps"][APP_NAME]["environments"]["dev"]["endpoints"] == {}

    vscode.open_file("worker.py")
    state = vscode.wait_state(
        "with a 'Deployed to staging' lens in worker.py",
        lambda s: any(
            lens["title"].startswith("Deployed to staging") and lens["line"] == FL601_LINE
            for lens in vscode.lenses(s, "worker.py")
        ),
    )
    titles = [lens["title"] for lens in vscode.lenses(state, "worker.py")]
    assert "Deploy" in titles and "Copy curl" in titles
    # ... and the editor shows it (not only the provider answers it).
    shown = vscode.do("shownLenses", contains="Deployed to staging")["lines"]
    assert any(text.startswith("queue-based") and "Deployed to staging" in text for text in shown)
    assert vscode.cli.network_attempts() == []  # the server called nothing but the emulator


def _curl(vscode: VsCode, rel: str, line: int) -> dict[str, Any]:
    """The "Copy curl" lens of ``rel`` at 0-based ``line``, run with the keyboard: the command
    line it copied, parsed."""
    vscode.open_file(rel)
    vscode.wait_state(
        f"with a Copy curl lens on line {line} of {rel}",
        lambda s: any(
            lens["title"] == "Copy curl" and lens["line"] == line for lens in vscode.lenses(s, rel)
        ),
    )
    vscode.do("shownLenses", contains="Copy curl")
    vscode.goto(line)
    since = vscode.hook.mark()
    vscode.do("lens", title="Copy curl")
    event = vscode.wait_event(
        "clipboard", lambda e: e.get("event") == "clipboard", since=since, timeout=UI_TIMEOUT
    )
    text: str = event["text"]
    assert vscode.api.api_key not in text  # the key is read from $RUNPOD_API_KEY
    words = shlex.split(text.replace("\\\n", " "))
    assert words[0] == "curl"
    method = words[words.index("-X") + 1]
    url = next(w for w in words[1:] if w.startswith("http"))
    body = json.loads(words[words.index("-d") + 1]) if "-d" in words else None
    headers = [words[i + 1] for i, w in enumerate(words) if w == "-H"]
    return {"text": text, "method": method, "url": url, "body": body, "headers": headers}


def test_copy_curl_for_the_queue_endpoint(vscode: VsCode) -> None:
    _deployed(vscode)
    endpoint_id = vscode.api.endpoint("summarizer")["id"]
    curl = _curl(vscode, "worker.py", FL601_LINE)
    assert curl["method"] == "POST"
    assert curl["url"] == f"{vscode.env['RUNPOD_ENDPOINT_BASE_URL']}/{endpoint_id}/runsync"
    assert curl["body"] == {"input": {"text": "text", "max_words": 40, "temperature": 0.5}}
    assert "Authorization: Bearer $RUNPOD_API_KEY" in curl["headers"]


def test_copy_curl_for_a_load_balanced_route(vscode: VsCode) -> None:
    result = _deployed(vscode)
    endpoint_id = vscode.api.endpoint("notes-api")["id"]
    deployed_url = next(e["url"] for e in result["endpoints"] if e["name"] == "notes-api")
    assert endpoint_id in urlsplit(deployed_url).netloc

    post = _curl(vscode, "api.py", POST_ROUTE_LINE)
    assert post["method"] == "POST"
    assert post["url"] == f"{deployed_url.rstrip('/')}/notes"
    assert post["body"] == {"title": "text", "body": "", "pinned": False}

    get = _curl(vscode, "api.py", GET_ROUTE_LINE)
    assert get["method"] == "GET"
    assert get["url"] == f"{deployed_url.rstrip('/')}/notes?limit=10"
    assert get["body"] is None


@pytest.mark.skipif(
    os.environ.get("FLASH_LS_SCREENSHOT") != "1",
    reason="writes docs/images/vscode.png only with FLASH_LS_SCREENSHOT=1",
)
def test_screenshot(vscode: VsCode) -> None:
    _deployed(vscode)
    vscode.do("palette", command="Notifications: Clear All Notifications")
    vscode.do("palette", command="Explorer: Focus on Flash View")
    vscode.do("waitFor", selector=".pane-body .monaco-list-row", contains="summarizer")
    vscode.open_file("worker.py")
    state = vscode.wait_state(
        "with FL601 in worker.py",
        lambda s: ("FL601", FL601_LINE) in _codes(vscode.diagnostics(s, "worker.py")),
    )
    fl601 = next(d for d in vscode.diagnostics(state, "worker.py") if d["code"] == "FL601")
    vscode.goto(FL601_LINE, fl601["character"] + 1)  # inside the finding: its hover
    vscode.do("hover", contains=["FL601", "Endpoint"])  # the finding and the endpoint
    vscode.do("shownLenses", contains="Deployed to staging")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    vscode.do("screenshot", path=str(SCREENSHOT))
