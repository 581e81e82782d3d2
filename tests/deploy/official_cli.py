"""The official Flash CLI as the deploy tests run it: against the emulator, offline, homeless.

The official CLI (runpod-flash 1.21.0, a test extra) runs as a subprocess pointed at the
emulator by its own URL variables, with a throwaway HOME (no ~/.runpod is read or written),
pip limited to a local wheelhouse, and a network guard (offline/sitecustomize.py) that refuses
and records every lookup or connection to a host other than this machine. flash-ls runs in the
same sandbox (:func:`sandbox_env`, used by deploy_runner.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.runpod_api import Call, RunpodEmulator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
FLASH = Path(sys.executable).with_name("flash")
GUARD_DIR = Path(__file__).parent / "offline"
CLI_TIMEOUT = 300  # seconds; a command takes a few on a loaded 2-core machine

# Variables of this machine that would change what the CLI does or where it connects.
SCRUBBED_PREFIXES = ("RUNPOD_", "FLASH_", "PIP_", "CONSOLE_BASE_URL", "VIRTUAL_ENV")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def sandbox_env(
    api: RunpodEmulator,
    home: Path,
    network_log: Path,
    wheelhouse: Path | None,
    *,
    api_key: str | None = None,
    scrubbed_prefixes: tuple[str, ...] = SCRUBBED_PREFIXES,
) -> dict[str, str]:
    """The environment of a CLI run in the sandbox, offline and homeless.

    This machine's variables that start with one of ``scrubbed_prefixes`` and its proxies are
    left out; the emulator's URL variables (and ``RUNPOD_API_KEY``: see
    :meth:`RunpodEmulator.env`) point at ``api``; HOME and XDG_CONFIG_HOME are in ``home``; the
    network guard (offline/sitecustomize.py) records refused lookups and connections in
    ``network_log``; pip reads no configuration and no index, only ``wheelhouse`` (if given).
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(scrubbed_prefixes) and k not in _PROXIES
    }
    env.update(api.env(api_key=api_key))
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        NO_COLOR="1",
        COLUMNS="200",
        NO_PROXY="127.0.0.1,localhost",
        PYTHONPATH=str(GUARD_DIR),
        FLASH_TEST_NETWORK_LOG=str(network_log),
        PIP_NO_INDEX="1",
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_CACHE_DIR="1",
    )
    if wheelhouse is not None:
        env["PIP_FIND_LINKS"] = str(wheelhouse)
    return env


@dataclass
class Run:
    """One official CLI command: exit code, output (stdout then stderr), the calls it made."""

    args: tuple[str, ...]
    returncode: int
    output: str
    calls: list[Call]
    seconds: float

    def operations(self, kind: str | None = None) -> list[str]:
        return [c.operation or "?" for c in self.calls if kind is None or c.kind == kind]

    def check(self) -> Run:
        assert self.returncode == 0, f"flash {' '.join(self.args)} failed:\n{self.output}"
        return self


class OfficialCli:
    """Runs ``flash`` in ``project`` against ``api``, as a user with an empty home would."""

    def __init__(self, api: RunpodEmulator, home: Path, project: Path, wheelhouse: Path) -> None:
        self.api = api
        self.home = home
        self.project = project
        self.wheelhouse = wheelhouse
        self.network_log = home.parent / "network.log"

    def env(self, api_key: str | None = None) -> dict[str, str]:
        env = sandbox_env(self.api, self.home, self.network_log, self.wheelhouse, api_key=api_key)
        env.update(FLASH_NO_UPDATE_CHECK="1", CI="1", RUNPOD_FLASH_SILENCE_DEPRECATION="1")
        return env

    def run(self, *args: str, input: str | None = None, api_key: str | None = None) -> Run:
        before = len(self.api.calls)
        started = time.perf_counter()
        done = subprocess.run(
            [str(FLASH), *args],
            cwd=self.project,
            env=self.env(api_key),
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
        )
        return Run(
            args,
            done.returncode,
            done.stdout + done.stderr,
            self.api.calls[before:],
            time.perf_counter() - started,
        )

    def network_attempts(self) -> list[str]:
        """Lookups and connections the guard refused (every one is a test failure)."""
        if not self.network_log.exists():
            return []
        return self.network_log.read_text().splitlines()


def copy_app(name: str, into: Path) -> Path:
    """A writable copy of fixtures/apps/``name`` (the CLI writes .flash/ into it)."""
    target = into / name
    shutil.copytree(FIXTURES / name, target)
    return target


def official_cli(
    api: RunpodEmulator, app: str | None, workdir: Path, wheelhouse: Path
) -> OfficialCli:
    """The official CLI in a copy of fixture ``app`` (or an empty directory), home in workdir."""
    home = workdir / "home"
    home.mkdir(parents=True)
    if app is None:
        project = workdir / "project"
        project.mkdir()
    else:
        project = copy_app(app, workdir)
    return OfficialCli(api, home, project, wheelhouse)
