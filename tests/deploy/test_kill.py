"""``flash-ls deploy`` killed with SIGKILL mid-flight: ``.flash/`` stays readable and a rerun
converges.

The deploy runs as a subprocess against the emulator; one call is made to hang (a ``timeout``
fault: the emulator records the call, holds it, and never answers). Once the call log shows it
started, the process gets SIGKILL: no handler, no cleanup, no ``finally``. Then every state file
under ``.flash/`` must parse, no temporary file may be left behind, and a rerun without faults
must end in the account a clean deploy of the same app reaches on a fresh emulator (normalized
snapshot, without the build history a killed run adds). The API key must appear in no output
and no file of ``.flash/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_runner import FlashLs, flash_ls_runner
from test_no_key_leaks import DISTINCTIVE_KEY, assert_no_key_leaks

from tests.runpod_api import UPLOAD, RunpodEmulator

APP = "mixed_workers"
ARGS = ("deploy", "--no-deps", "--env", "staging")
STARTED_WITHIN_S = 120.0  # the build before the upload takes a few seconds


def end_state(api: RunpodEmulator) -> dict[str, Any]:
    """The account without the build history: apps with their environments (minus the active
    build id), endpoints, templates and network volumes, ids replaced by labels."""
    snapshot = api.snapshot(normalize=True)
    apps = {
        name: {
            env_name: {k: v for k, v in env.items() if k != "activeBuildId"}
            for env_name, env in app["environments"].items()
        }
        for name, app in snapshot["apps"].items()
    }
    return {
        "apps": apps,
        "endpoints": snapshot["endpoints"],
        "templates": snapshot["templates"],
        "networkVolumes": snapshot["networkVolumes"],
    }


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The end state of one deploy without faults, on a fresh emulator."""
    with RunpodEmulator(api_key=DISTINCTIVE_KEY) as api:
        cli = flash_ls_runner(api, APP, tmp_path_factory.mktemp("clean"))
        cli.deploy("--env", "staging").check()
        yield end_state(api)


@pytest.fixture
def api() -> Iterator[RunpodEmulator]:
    with RunpodEmulator(api_key=DISTINCTIVE_KEY) as emulator:
        yield emulator


@contextlib.contextmanager
def deploying_until(cli: FlashLs, operation: str, logs: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A deploy in a subprocess, handed over once ``operation`` shows in the call log (the
    process is killed when the block ends, if it still runs)."""
    with (logs / "stdout.txt").open("w") as stdout, (logs / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "flash_ls", *ARGS],
            cwd=cli.project,
            env=cli.env(),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + STARTED_WITHIN_S
            while cli.api.count(operation) == 0:
                if process.poll() is not None:
                    pytest.fail(f"the deploy ended ({process.returncode}) before {operation}")
                if time.monotonic() > deadline:
                    pytest.fail(f"{operation} did not start in {STARTED_WITHIN_S:g} s")
                time.sleep(0.02)
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def kill_when_started(cli: FlashLs, operation: str, logs: Path) -> tuple[str, str]:
    """Start the deploy, SIGKILL it once ``operation`` shows in the call log; its output."""
    with deploying_until(cli, operation, logs) as process:
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    return (logs / "stdout.txt").read_text(), (logs / "stderr.txt").read_text()


def test_a_second_deploy_of_the_app_waits_for_no_one_and_says_why(
    api: RunpodEmulator, tmp_path: Path, clean: dict[str, Any]
) -> None:
    cli = flash_ls_runner(api, APP, tmp_path / "work")
    api.fail("saveEndpoint", "timeout", times=None, seconds=600)
    with deploying_until(cli, "saveEndpoint", tmp_path) as first:
        second = cli.deploy("--env", "staging")
        build = cli.run("build", "--no-deps")

        for run in (second, build):
            assert run.returncode == 1, run.output
            assert (
                f"another build or deploy of {APP} is running (deploy, pid {first.pid}"
                in run.stderr
            )
            assert "Traceback" not in run.output
        assert second.mutations() == []  # refused before changing anything
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)

    # The lock went with the killed process: the next deploy runs and converges.
    api.clear_faults()
    cli.deploy("--env", "staging").check()
    assert end_state(api) == clean


def assert_state_files_readable(project: Path) -> None:
    """Every JSON file of ``.flash/`` parses, and no temporary file is left behind."""
    flash = project / ".flash"
    for name in ("flash_manifest.json", "environment.json", "deployed.json"):
        path = flash / name
        if path.exists():
            json.loads(path.read_text())
    leftovers = [
        p.name for p in flash.rglob("*") if p.name.endswith((".tmp", ".part")) or ".tmp" in p.name
    ]
    assert leftovers == [], f"temporary files left in .flash/: {leftovers}"


@pytest.mark.parametrize(
    ("operation", "after"),
    [(UPLOAD, False), ("saveEndpoint", False), ("saveEndpoint", True)],
    ids=["upload", "save-endpoint", "save-endpoint-committed"],
)
def test_a_killed_deploy_leaves_readable_state_and_a_rerun_converges(
    api: RunpodEmulator,
    tmp_path: Path,
    clean: dict[str, Any],
    operation: str,
    after: bool,
) -> None:
    cli = flash_ls_runner(api, APP, tmp_path / "work")
    # Every matching call hangs until the emulator stops; with ``after`` the server commits
    # the change first (the client never learns it).
    api.fail(operation, "timeout", times=None, seconds=600, after=after)
    stdout, stderr = kill_when_started(cli, operation, tmp_path)
    hung = [c for c in api.calls if c.operation == operation]
    assert hung and all(c.fault == "timeout" and c.status is None for c in hung)
    if operation == UPLOAD:
        assert api.count("FinalizeArtifactUpload") == 0  # killed before the build existed
    else:
        assert api.count("deployBuildToEnvironment") == 1  # killed while endpoints were saved
    assert_state_files_readable(cli.project)

    api.clear_faults()
    rerun = cli.deploy("--env", "staging").check()
    assert end_state(api) == clean
    assert_state_files_readable(cli.project)
    cli.state_files()
    # Nothing was created twice: one endpoint and one template per resource.
    assert len(api.snapshot()["endpoints"]) == len(clean["endpoints"])
    assert len(api.snapshot()["templates"]) == len(clean["templates"])
    # Converged: a further deploy has nothing to save.
    again = cli.deploy("--env", "staging").check()
    assert "saveEndpoint" not in again.operations()

    assert_no_key_leaks(
        DISTINCTIVE_KEY,
        outputs={
            "killed stdout": stdout,
            "killed stderr": stderr,
            "rerun output": rerun.output,
            "redeploy output": again.output,
        },
        directories=[cli.project / ".flash"],
    )
