"""The API key never leaves config.toml: not in output, logs, tracebacks or any other file.

Every command that handles a key (``login``, ``auth status``) runs as a subprocess against the
emulator with a distinctive key, on its success and failure paths and with ``--verbose``; its
stdout, stderr and every file written under the throwaway HOME and the app are searched.

Reusable by other tests (deploy, env, app commands)::

    from test_no_key_leaks import Sandbox, assert_no_key_leaks

    sandbox = Sandbox.create(tmp_path, runpod_api)
    done = sandbox.run("deploy", env={"RUNPOD_API_KEY": key})
    assert_no_key_leaks(key, outputs={"stdout": done.stdout, "stderr": done.stderr},
                        directories=[sandbox.home, sandbox.app], allowed=[sandbox.config])
"""

from __future__ import annotations

import base64
import gzip
import io
import os
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.runpod_api import RunpodEmulator

GUARD_DIR = Path(__file__).parent / "offline"
# A key no output or file could hold by chance.
DISTINCTIVE_KEY = "rpa_LEAKCANARY7Q2W9E4R1T6Y3U8I5O0P7A2S9D4F1G6H3J8"
WINDOW = 12  # a run of this many of the key's characters counts as a leak (a truncated key too)
CLI_TIMEOUT = 60.0
_SCRUBBED_PREFIXES = ("RUNPOD_", "FLASH_", "CONSOLE_BASE_URL", "PYTHON_DOTENV", "XDG_")
_SCRUBBED = frozenset(
    {
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "DISPLAY",
        "WAYLAND_DISPLAY",
        "BROWSER",
        "PYTHONPATH",
    }
)


# -- the reusable part ----------------------------------------------------------------------


def _forms(key: str) -> list[bytes]:
    """The byte strings whose presence means the key leaked: runs of ``WINDOW`` characters,
    as written, URL-encoded, and base64 of the whole key (an ``Authorization`` header)."""
    size = min(WINDOW, len(key))
    runs = {key[start : start + size] for start in range(len(key) - size + 1)}
    forms = {run.encode() for run in runs} | {quote(run, safe="").encode() for run in runs}
    forms.add(base64.b64encode(key.encode()).rstrip(b"="))
    return sorted(forms)


def _contents(path: Path) -> Iterator[tuple[str, bytes]]:
    """``path``'s bytes, and the members of an archive (tar, gzip, zip, wheel) as their own."""
    data = path.read_bytes()
    yield str(path), data
    name = path.name
    if name.endswith((".zip", ".whl")):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield f"{path}!{member}", archive.read(member)
        except zipfile.BadZipFile:
            return
        return
    if name.endswith((".gz", ".tgz")):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return
        yield f"{path}!gunzip", data
    if name.endswith((".tar", ".tar.gz", ".tgz")):
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                for entry in archive.getmembers():
                    extracted = archive.extractfile(entry) if entry.isfile() else None
                    if extracted is not None:
                        yield f"{path}!{entry.name}", extracted.read()
        except tarfile.TarError:
            return


def key_leaks(
    key: str,
    *,
    outputs: Mapping[str, str] | Iterable[str] = (),
    directories: Iterable[Path] = (),
    allowed: Iterable[Path] = (),
) -> list[str]:
    """Where ``key`` (or a long run of it) shows up: names of ``outputs`` (a mapping of name
    to text, or texts), and files under ``directories`` (archives opened) but ``allowed``."""
    forms = _forms(key)
    found: list[str] = []
    named = (
        outputs.items()
        if isinstance(outputs, Mapping)
        else ((f"output {n}", t) for n, t in enumerate(outputs))
    )
    for name, text in named:
        if any(form in text.encode(errors="surrogateescape") for form in forms):
            found.append(name)
    skip = {Path(os.path.realpath(p)) for p in allowed}
    for directory in directories:
        for folder, _dirs, files in os.walk(directory):
            for file in files:
                path = Path(folder, file)
                if path.is_symlink() or not path.is_file() or Path(os.path.realpath(path)) in skip:
                    continue
                for where, data in _contents(path):
                    if any(form in data for form in forms):
                        found.append(where)
    return found


def assert_no_key_leaks(
    key: str,
    *,
    outputs: Mapping[str, str] | Iterable[str] = (),
    directories: Iterable[Path] = (),
    allowed: Iterable[Path] = (),
) -> None:
    """Fail, naming each place, when ``key`` shows up (see :func:`key_leaks`)."""
    leaks = key_leaks(key, outputs=outputs, directories=directories, allowed=allowed)
    assert leaks == [], f"the API key leaked into: {', '.join(leaks)}"


@dataclass
class Sandbox:
    """``flash-ls`` as a user with an empty home would run it, against the emulator, offline.

    HOME and the XDG directories (and flash-ls's cache) are under ``home``; the app is
    ``app``; a guard (offline/sitecustomize.py) refuses and records non-local connections.
    """

    root: Path
    home: Path
    app: Path
    api: RunpodEmulator

    @classmethod
    def create(cls, root: Path, api: RunpodEmulator, app: str = "myapp") -> Sandbox:
        home, project = root / "home", root / app
        home.mkdir(parents=True)
        project.mkdir()
        (project / "pyproject.toml").write_text(f'[project]\nname = "{app}"\n')
        return cls(root, home, project, api)

    @property
    def config(self) -> Path:
        return self.home / ".runpod" / "config.toml"

    @property
    def network_log(self) -> Path:
        return self.root / "network.log"

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED
        }
        env.update(self.api.env(api_key=""))
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_STATE_HOME=str(self.home / ".local" / "state"),
            FLASH_LS_CACHE_DIR=str(self.home / ".cache" / "flash-ls"),
            FLASH_LS_OFFLINE="1",
            NO_COLOR="1",
            NO_PROXY="127.0.0.1,localhost",
            PYTHONPATH=str(GUARD_DIR),
            FLASH_TEST_NETWORK_LOG=str(self.network_log),
        )
        env.update(extra or {})
        return env

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "flash_ls", *args]

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = CLI_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """``flash-ls *args`` in the app (or ``cwd``), to completion."""
        return subprocess.run(
            self.command(*args),
            cwd=cwd or self.app,
            env=self.env(env),
            input="",
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[str]:
        """``flash-ls *args`` in the app, running (stdout and stderr piped)."""
        return subprocess.Popen(
            self.command(*args),
            cwd=self.app,
            env=self.env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def network_attempts(self) -> list[str]:
        """Connections the guard refused (each is a test failure)."""
        return self.network_log.read_text().splitlines() if self.network_log.exists() else []

    def assert_no_leaks(self, key: str, *outputs: subprocess.CompletedProcess[str]) -> None:
        """No trace of ``key`` in the runs' output nor in any file but config.toml."""
        texts = {
            f"{' '.join(map(str, run.args[3:]))} {stream}": getattr(run, stream)
            for run in outputs
            for stream in ("stdout", "stderr")
        }
        assert_no_key_leaks(
            key, outputs=texts, directories=[self.home, self.app], allowed=[self.config]
        )


# -- the commands of this module's scope ------------------------------------------------------


@pytest.fixture
def api() -> Iterator[RunpodEmulator]:
    with RunpodEmulator(api_key=DISTINCTIVE_KEY) as emulator:
        yield emulator


@pytest.fixture
def sandbox(tmp_path: Path, api: RunpodEmulator) -> Sandbox:
    return Sandbox.create(tmp_path, api)


def test_the_helper_finds_a_key_in_outputs_files_archives_and_truncated(tmp_path: Path) -> None:
    key = DISTINCTIVE_KEY
    (tmp_path / "plain.log").write_text(f"sent Bearer {key}\n")
    (tmp_path / "cut.txt").write_text(f"key={key[:20]}...")
    (tmp_path / "ok.txt").write_text(f"key …{key[-4:]}")
    with tarfile.open(tmp_path / "artifact.tar.gz", "w:gz") as archive:
        data = f"RUNPOD_API_KEY={key}\n".encode()
        member = tarfile.TarInfo(".env")
        member.size = len(data)
        archive.addfile(member, io.BytesIO(data))
    encoded = base64.b64encode(key.encode()).decode()
    allowed = tmp_path / "config.toml"
    allowed.write_text(f'api_key = "{key}"\n')

    leaks = key_leaks(
        key,
        outputs={"stdout": "fine", "stderr": f"Authorization: Basic {encoded}"},
        directories=[tmp_path],
        allowed=[allowed],
    )

    assert sorted(leaks) == sorted(
        [
            "stderr",
            str(tmp_path / "plain.log"),
            str(tmp_path / "cut.txt"),
            str(tmp_path / "artifact.tar.gz") + "!gunzip",
            str(tmp_path / "artifact.tar.gz") + "!.env",
        ]
    )


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_login_keeps_the_key_in_config_toml_only(
    sandbox: Sandbox, api: RunpodEmulator, verbose: bool
) -> None:
    api.auto_approve_login = True
    args = ("login", "--no-open", "--timeout", "30", *(["--verbose"] if verbose else []))

    done = sandbox.run(*args)

    assert done.returncode == 0, done.stderr
    assert DISTINCTIVE_KEY in sandbox.config.read_text()
    if verbose:
        assert "flashAuthRequestStatus" in api.operations() and "DEBUG" in done.stderr
    sandbox.assert_no_leaks(DISTINCTIVE_KEY, done)
    assert sandbox.network_attempts() == []


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
@pytest.mark.parametrize("output_format", ["text", "json"])
@pytest.mark.parametrize("where", ["environment", "dotenv", "config"])
def test_auth_status_never_shows_the_key(
    sandbox: Sandbox, where: str, output_format: str, verbose: bool
) -> None:
    env: dict[str, str] = {}
    if where == "environment":
        env["RUNPOD_API_KEY"] = DISTINCTIVE_KEY
    elif where == "dotenv":
        (sandbox.app / ".env").write_text(f"RUNPOD_API_KEY={DISTINCTIVE_KEY}\n")
    else:
        sandbox.config.parent.mkdir()
        sandbox.config.write_text(f'[default]\napi_key = "{DISTINCTIVE_KEY}"\n')
    args = ["auth", "status", "-f", output_format, *(["-v"] if verbose else [])]

    done = sandbox.run(*args, env=env)

    assert done.returncode == 0, done.stderr
    assert DISTINCTIVE_KEY[-4:] in done.stdout  # the last 4 are all a person sees
    if verbose:
        assert "DEBUG" in done.stderr
    assert_no_key_leaks(
        DISTINCTIVE_KEY,
        outputs={"stdout": done.stdout, "stderr": done.stderr},
        directories=[sandbox.home, sandbox.app],
        allowed=[sandbox.config, sandbox.app / ".env"],  # the user's own files
    )


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_failures_never_show_the_key(sandbox: Sandbox, api: RunpodEmulator, verbose: bool) -> None:
    flag = ["--verbose"] if verbose else []
    wrong = DISTINCTIVE_KEY.replace("LEAK", "LEAX")
    stored = DISTINCTIVE_KEY.replace("CANARY", "CANARZ")
    sandbox.config.parent.mkdir()
    sandbox.config.write_text(f'[default]\napi_key = "{stored}"\n')
    runs = [
        # a rejected key, a stored key checked after it, an API that does not answer
        sandbox.run("auth", "status", *flag, env={"RUNPOD_API_KEY": wrong}),
        sandbox.run(
            "auth",
            "status",
            *flag,
            env={"RUNPOD_API_KEY": wrong, "RUNPOD_API_BASE_URL": "http://127.0.0.1:9"},
        ),
        # a key with characters a header cannot carry (httpx would quote the header)
        sandbox.run("auth", "status", *flag, env={"RUNPOD_API_KEY": wrong[:20] + "\x7f" + wrong}),
    ]
    api.fail("flashAuthRequestStatus", "graphql_error", message=f"boom {DISTINCTIVE_KEY}")
    runs.append(sandbox.run("login", "--no-open", "--timeout", "10", *flag))

    assert [run.returncode for run in runs] == [1, 1, 1, 1], [r.stderr for r in runs]
    assert all("Traceback" not in run.stderr for run in runs)
    for key in (wrong, stored, DISTINCTIVE_KEY):
        assert_no_key_leaks(
            key,
            outputs={
                f"run {n} {s}": getattr(r, s)
                for n, r in enumerate(runs)
                for s in ("stdout", "stderr")
            },
            directories=[sandbox.home, sandbox.app],
            allowed=[sandbox.config],
        )


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_a_crash_after_the_key_arrived_is_redacted(
    sandbox: Sandbox, api: RunpodEmulator, tmp_path: Path, verbose: bool
) -> None:
    # A bug once the key is known: the error line (and the --verbose traceback) holds it.
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        (GUARD_DIR / "sitecustomize.py").read_text() + "\nimport flash_ls.deploy.login as _login\n"
        "def _broken(key, home=None):\n"
        "    raise RuntimeError(f'disk on fire while saving {key}')\n"
        "_login._save = _broken\n"
    )
    api.auto_approve_login = True
    flag = ["--verbose"] if verbose else []

    done = sandbox.run("login", "--no-open", *flag, env={"PYTHONPATH": str(hook)})

    assert done.returncode == 2, done.stderr
    assert "internal error: RuntimeError: disk on fire while saving <redacted>" in done.stderr
    assert ("Traceback (most recent call last)" in done.stderr) is verbose
    assert not sandbox.config.exists()
    sandbox.assert_no_leaks(DISTINCTIVE_KEY, done)
