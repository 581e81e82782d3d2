"""``flash-ls`` as the deploy tests run it: a subprocess against the emulator, offline, homeless.

The same sandbox as the official CLI's (``sandbox_env`` of official_cli.py): the emulator's URL
variables, a throwaway HOME, pip limited to a local wheelhouse, and the guard
(offline/sitecustomize.py) that refuses and records every connection to a host other than this
machine. This machine's ``XDG_*`` variables are left out too, and the caches are in HOME.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.deploy.official_cli import CLI_TIMEOUT, SCRUBBED_PREFIXES, copy_app, sandbox_env
from tests.runpod_api import Call, RunpodEmulator

MUTATIONS = frozenset(
    {
        "createFlashApp",
        "createFlashEnvironment",
        "deleteFlashApp",
        "deleteFlashEnvironment",
        "PrepareArtifactUpload",
        "FinalizeArtifactUpload",
        "deployBuildToEnvironment",
        "saveEndpoint",
        "saveTemplate",
        "deleteEndpoint",
        "updateFlashBuildManifest",
        "PUT /storage",
        "POST /networkvolumes",
    }
)


@dataclass
class Run:
    """One flash-ls command: exit code, stdout, stderr and the API calls it made."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    calls: list[Call]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def operations(self, kind: str | None = None) -> list[str]:
        return [c.operation or "?" for c in self.calls if kind is None or c.kind == kind]

    def mutations(self) -> list[str]:
        return [op for op in self.operations() if op in MUTATIONS]

    def check(self) -> Run:
        assert self.returncode == 0, f"flash-ls {' '.join(self.args)} failed:\n{self.output}"
        return self


@dataclass
class FlashLs:
    """Runs ``flash-ls`` in ``project`` against ``api`` as a user with an empty home would."""

    api: RunpodEmulator
    home: Path
    project: Path
    wheelhouse: Path | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    @property
    def network_log(self) -> Path:
        return self.home.parent / "network.log"

    def env(
        self, extra: dict[str, str] | None = None, api_key: str | None = None
    ) -> dict[str, str]:
        env = sandbox_env(
            self.api,
            self.home,
            self.network_log,
            self.wheelhouse,
            api_key=api_key,
            scrubbed_prefixes=(*SCRUBBED_PREFIXES, "XDG_"),
        )
        env.update(
            XDG_CACHE_HOME=str(self.home / ".cache"),
            FLASH_LS_CACHE_DIR=str(self.home / ".cache" / "flash-ls"),
        )
        env.update(self.env_extra)
        env.update(extra or {})
        return env

    def run(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        api_key: str | None = None,
        cwd: Path | None = None,
    ) -> Run:
        before = len(self.api.calls)
        done = subprocess.run(
            [sys.executable, "-m", "flash_ls", *args],
            cwd=cwd or self.project,
            env=self.env(env, api_key),
            input="",
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
        )
        return Run(args, done.returncode, done.stdout, done.stderr, self.api.calls[before:])

    def deploy(self, *args: str, env: dict[str, str] | None = None) -> Run:
        return self.run("deploy", "--no-deps", *args, env=env)

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.project / ".flash" / "flash_manifest.json").read_text())

    def state_files(self) -> dict[str, Any]:
        """Every JSON file under ``.flash/``, parsed (a half-written one fails the test)."""
        return {
            p.name: json.loads(p.read_text())
            for p in sorted((self.project / ".flash").glob("*.json"))
        }

    def network_attempts(self) -> list[str]:
        return self.network_log.read_text().splitlines() if self.network_log.exists() else []


def flash_ls_runner(
    api: RunpodEmulator, app: str, workdir: Path, wheelhouse: Path | None = None
) -> FlashLs:
    """flash-ls in a copy of fixture ``app``, its home in ``workdir``."""
    home = workdir / "home"
    home.mkdir(parents=True)
    return FlashLs(api, home, copy_app(app, workdir), wheelhouse)
