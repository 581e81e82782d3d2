"""Faults during ``flash-ls deploy``: queries are retried, mutations are not, a rerun converges.

Two phases of one app's life: a first deploy to staging (with an extra endpoint), then a
redeploy that changes the GPU endpoint's image and prunes the extra one. Each operation of a
phase fails once (HTTP 500): a query is retried and the deploy succeeds; a mutation is sent
once, the deploy exits 1 naming it, and a rerun ends in the state a deploy without faults
reaches. Answers lost after the change was made (a dropped connection) are recovered from the
state. ``.flash/`` stays readable throughout.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from deploy_runner import FlashLs, Run, flash_ls_runner
from test_deploy import EXTRA

from tests.runpod_api import UPLOAD, RunpodEmulator

APP = "mixed_workers"
GPU_IMAGE = {"FLASH_GPU_IMAGE": "example/gpu:2"}


def phase_one(cli: FlashLs) -> Run:
    (cli.project / "extra.py").write_text(EXTRA)
    return cli.deploy("--env", "staging")


def phase_two(cli: FlashLs) -> Run:
    (cli.project / "extra.py").unlink(missing_ok=True)
    return cli.deploy("--env", "staging", "--prune", env=GPU_IMAGE)


PHASES = {1: phase_one, 2: phase_two}


def end_state(api: RunpodEmulator) -> dict[str, Any]:
    """The account without the build history (a failed run leaves an extra build)."""
    snapshot = api.snapshot(normalize=True)
    apps = {}
    for name, app in snapshot["apps"].items():
        envs = {
            env_name: {k: v for k, v in env.items() if k != "activeBuildId"}
            for env_name, env in app["environments"].items()
        }
        apps[name] = envs
    return {"apps": apps, "endpoints": snapshot["endpoints"]}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, dict[str, Any]]]:
    """The end state after each phase, without faults."""
    with RunpodEmulator() as api:
        cli = flash_ls_runner(api, APP, tmp_path_factory.mktemp("reference"))
        phase_one(cli).check()
        first = end_state(api)
        phase_two(cli).check()
        yield {1: first, 2: end_state(api)}


def prepared(api: RunpodEmulator, tmp_path: Path, phase: int) -> FlashLs:
    cli = flash_ls_runner(api, APP, tmp_path)
    if phase == 2:
        phase_one(cli).check()
    return cli


@dataclass
class Phase:
    """Phase ``number``, ready to run on the ``runpod_api`` account (phase two after phase one),
    and the end state it reaches without faults."""

    api: RunpodEmulator
    cli: FlashLs
    number: int
    expected: dict[str, Any]

    def run(self) -> Run:
        return PHASES[self.number](self.cli)


@pytest.fixture
def ready(
    runpod_api: RunpodEmulator,
    tmp_path: Path,
    reference: dict[int, dict[str, Any]],
    phase: int,
) -> Phase:
    """The test's ``phase`` (a parameter), prepared in ``tmp_path``."""
    return Phase(runpod_api, prepared(runpod_api, tmp_path, phase), phase, reference[phase])


QUERIES = [
    (1, "getFlashAppByName"),
    (1, "getFlashEnvironmentByName"),
    (2, "getFlashBuild"),
    (2, "getTemplate"),
    (1, UPLOAD),
]
MUTATIONS = [
    (1, "createFlashApp"),
    (1, "createFlashEnvironment"),
    (1, "PrepareArtifactUpload"),
    (1, "FinalizeArtifactUpload"),
    (1, "deployBuildToEnvironment"),
    (1, "saveEndpoint"),
    (1, "updateFlashBuildManifest"),
    (2, "saveEndpoint"),
    (2, "saveTemplate"),
    (2, "deleteEndpoint"),
]


@pytest.mark.parametrize(("phase", "operation"), QUERIES)
def test_a_failing_query_is_retried(ready: Phase, operation: str) -> None:
    ready.api.fail(operation, "http503")
    run = ready.run().check()
    attempts = [(c.status, c.fault) for c in run.calls if c.operation == operation]
    assert attempts[:2] == [(503, "http503"), (200, None)]
    assert end_state(ready.api) == ready.expected


def test_a_rate_limit_is_honoured(runpod_api: RunpodEmulator, tmp_path: Path) -> None:
    cli = prepared(runpod_api, tmp_path, 1)
    runpod_api.fail("getFlashAppByName", "http429", retry_after=0.2)
    run = phase_one(cli).check()
    first = [(c.status, c.fault) for c in run.calls if c.operation == "getFlashAppByName"]
    assert first[:2] == [(429, "http429"), (200, None)]


@pytest.mark.parametrize(("phase", "operation"), MUTATIONS)
def test_a_failing_mutation_stops_the_deploy_and_a_rerun_converges(
    ready: Phase, operation: str
) -> None:
    ready.api.fail(operation, "http500")
    failed = ready.run()
    assert failed.returncode == 1, failed.output
    assert [c.fault for c in failed.calls if c.operation == operation] == ["http500"]
    message = failed.stderr.strip().splitlines()[-2]
    assert message.startswith("flash-ls: ") and "HTTP 500" in message
    assert "again: it goes on from what exists" in failed.stderr
    assert "Traceback" not in failed.output
    ready.cli.state_files()  # every state file still parses

    ready.run().check()
    assert end_state(ready.api) == ready.expected
    ready.cli.state_files()


@pytest.mark.parametrize(
    "operation",
    [
        "createFlashApp",
        "createFlashEnvironment",
        "FinalizeArtifactUpload",
        "deployBuildToEnvironment",
        "saveEndpoint",
        "updateFlashBuildManifest",
    ],
)
def test_a_lost_answer_is_recovered_from_the_state(
    runpod_api: RunpodEmulator,
    tmp_path: Path,
    reference: dict[int, dict[str, Any]],
    operation: str,
) -> None:
    cli = prepared(runpod_api, tmp_path, 1)
    runpod_api.fail(operation, "reset", after=True)
    run = phase_one(cli).check()
    assert next(c.fault for c in run.calls if c.operation == operation) == "reset"
    assert end_state(runpod_api) == reference[1]
    # Nothing was created twice.
    assert len(runpod_api.snapshot()["endpoints"]) == 5


def test_a_lost_update_is_checked_then_sent_again(
    runpod_api: RunpodEmulator, tmp_path: Path, reference: dict[int, dict[str, Any]]
) -> None:
    cli = prepared(runpod_api, tmp_path, 2)
    runpod_api.fail("saveEndpoint", "reset", after=True)
    run = phase_two(cli).check()
    operations = run.operations()
    at = operations.index("saveEndpoint")
    assert operations[at : at + 3] == ["saveEndpoint", "getEndpoint", "saveEndpoint"]
    assert end_state(runpod_api) == reference[2]


def test_a_failing_network_volume_listing_is_retried(
    runpod_api: RunpodEmulator, tmp_path: Path, deploy_wheelhouse: Path
) -> None:
    cli = flash_ls_runner(runpod_api, "network_volume", tmp_path, deploy_wheelhouse)
    runpod_api.fail("GET /networkvolumes", "http502")
    run = cli.run("deploy", "--env", "staging").check()
    rest = [(c.operation, c.status) for c in run.calls if c.kind == "rest"]
    assert rest[:2] == [("GET /networkvolumes", 502), ("GET /networkvolumes", 200)]
