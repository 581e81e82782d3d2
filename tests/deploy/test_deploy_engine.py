"""The deploy engine as the language server will call it: ``deploy_app`` with a progress
callback and cancellation, and the API client on its own."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest

from flash_ls.build.api import BuildOptions
from flash_ls.deploy.client import (
    ApiError,
    ApiKeyRejected,
    OutcomeUnknown,
    RunpodClient,
    user_agent,
)
from flash_ls.deploy.credentials import ApiKey
from flash_ls.deploy.errors import ConfirmationRequired, DeployError
from flash_ls.deploy.flow import DeployOptions, deploy_app, resolve
from flash_ls.deploy.plan import Action
from flash_ls.deploy.urls import ApiUrls, InvalidUrl
from flash_ls.progress import Cancelled, SilentProgress
from flash_ls.project.app import App
from flash_ls.project.workspace import Workspace
from tests.runpod_api import UPLOAD, RunpodEmulator

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


def load(tmp_path: Path, name: str = "mixed_workers") -> App:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    return Workspace([root]).app(root)


def options(env: str | None = "staging", **kwargs: object) -> DeployOptions:
    return DeployOptions(environment=env, build=BuildOptions(no_deps=True), **kwargs)  # type: ignore[arg-type]


def key_for(api: RunpodEmulator) -> ApiKey:
    return ApiKey(api.api_key, "RUNPOD_API_KEY")


def test_deploy_app_reports_each_step(runpod_api: RunpodEmulator, tmp_path: Path) -> None:
    app = load(tmp_path)
    progress = SilentProgress()
    result = asyncio.run(
        deploy_app(app, options(), progress, api_key=key_for(runpod_api), environ=runpod_api.env())
    )
    assert progress.steps == [
        "resolve",
        "check",
        "discover",
        "install",
        "package",
        "plan",
        "prepare",
        "upload",
        "activate",
        "endpoints",
        "manifest",
    ]
    assert result.count(Action.CREATE) == 4
    assert result.created_app and result.created_environment
    assert all(e.url and e.calls for e in result.endpoints)
    assert result.model_dump(mode="json")["endpoints"][0]["action"] == "create"


def test_resolve_changes_nothing(runpod_api: RunpodEmulator, tmp_path: Path) -> None:
    app = load(tmp_path)
    target = asyncio.run(
        resolve(app, options(env=None), api_key=key_for(runpod_api), environ=runpod_api.env())
    )
    assert (target.environment, target.protected, target.app) == ("production", True, None)
    with pytest.raises(ConfirmationRequired):
        asyncio.run(
            deploy_app(
                app,
                options(env=None),
                SilentProgress(),
                api_key=key_for(runpod_api),
                environ=runpod_api.env(),
            )
        )
    assert runpod_api.snapshot()["apps"] == {}


class CancelAt(SilentProgress):
    def __init__(self, step: str) -> None:
        super().__init__()
        self.at = step

    def step(self, title: str, total: int | None = None) -> None:
        super().step(title, total)
        if title == self.at:
            self.cancel()


@pytest.mark.parametrize("step", ["plan", "upload", "endpoints"])
def test_cancelled_between_steps_then_a_rerun_converges(
    runpod_api: RunpodEmulator, tmp_path: Path, step: str
) -> None:
    app = load(tmp_path)
    run = {"api_key": key_for(runpod_api), "environ": runpod_api.env()}
    with pytest.raises(Cancelled):
        asyncio.run(deploy_app(app, options(), CancelAt(step), **run))  # type: ignore[arg-type]
    after_cancel = runpod_api.operations()
    if step == "plan":
        assert "createFlashApp" not in after_cancel
    result = asyncio.run(deploy_app(app, options(), SilentProgress(), **run))  # type: ignore[arg-type]
    names = sorted(
        runpod_api.snapshot()["apps"]["mixed_workers"]["environments"]["staging"]["endpoints"]
    )
    assert len(names) == 4
    assert {e.action for e in result.endpoints} <= {Action.CREATE, Action.KEEP}


def test_a_task_cancelled_mid_mutation_lets_it_land(
    runpod_api: RunpodEmulator, tmp_path: Path
) -> None:
    app = load(tmp_path)
    run = {"api_key": key_for(runpod_api), "environ": runpod_api.env()}
    runpod_api.fail("saveEndpoint", "timeout", seconds=1.0, after=True)

    async def cancel_during_save() -> None:
        task = asyncio.ensure_future(deploy_app(app, options(), SilentProgress(), **run))  # type: ignore[arg-type]
        while runpod_api.count("saveEndpoint") == 0:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_during_save())
    # The save that was in flight landed; nothing after it was sent.
    assert runpod_api.count("saveEndpoint") == 1
    assert len(runpod_api.snapshot()["endpoints"]) == 1
    result = asyncio.run(deploy_app(app, options(), SilentProgress(), **run))  # type: ignore[arg-type]
    assert len(runpod_api.snapshot()["endpoints"]) == 4
    assert result.count(Action.CREATE) == 3


def test_several_environments_is_a_deploy_error(runpod_api: RunpodEmulator, tmp_path: Path) -> None:
    app = load(tmp_path)
    run = {"api_key": key_for(runpod_api), "environ": runpod_api.env()}
    for env in ("a", "b"):
        asyncio.run(deploy_app(app, options(env), SilentProgress(), **run))  # type: ignore[arg-type]
    with pytest.raises(DeployError, match=r"several environments \(a, b\)"):
        asyncio.run(deploy_app(app, options(None), SilentProgress(), **run))  # type: ignore[arg-type]
    chosen = asyncio.run(
        deploy_app(
            app,
            options(None),
            SilentProgress(),
            **{**run, "environ": {**runpod_api.env(), "FLASH_ENV": "b"}},  # type: ignore[arg-type]
        )
    )
    assert chosen.environment == "b" and chosen.count(Action.KEEP) == 4


# -- the client ---------------------------------------------------------------------------------


def client_for(api: RunpodEmulator, key: str | None = None, **kwargs: object) -> RunpodClient:
    return RunpodClient(
        key or api.api_key, ApiUrls.from_environ(api.env()), backoff_base=0.01, **kwargs
    )  # type: ignore[arg-type]


def test_requests_carry_the_key_and_a_user_agent() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"myself": {"flashApps": []}}})

    async def main() -> None:
        client = RunpodClient("rpa_HEADERTEST", transport=httpx.MockTransport(answer))
        async with client:
            assert await client.list_apps() == []

    asyncio.run(main())
    (request,) = seen
    assert str(request.url) == "https://api.runpod.io/graphql"
    assert request.headers["Authorization"] == "Bearer rpa_HEADERTEST"
    assert request.headers["User-Agent"] == user_agent()
    assert user_agent().startswith("flash-ls/")


def test_queries_are_retried_and_give_up(runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("getFlashApps", "http502", times=None)

    async def main() -> None:
        async with client_for(runpod_api) as client:
            with pytest.raises(ApiError, match="HTTP 502"):
                await client.list_apps()

    asyncio.run(main())
    assert runpod_api.operations() == ["getFlashApps"] * 4


def test_transient_graphql_messages_are_retried(runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("getFlashApps", "graphql_error", message="Please try again later")
    runpod_api.fail("getFlashApps", "malformed")

    async def main() -> None:
        async with client_for(runpod_api) as client:
            assert await client.list_apps() == []

    asyncio.run(main())
    assert runpod_api.operations() == ["getFlashApps"] * 3


def test_a_mutation_is_sent_once_and_a_lost_answer_is_unknown(runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("createFlashApp", "http503")
    runpod_api.fail("createFlashApp", "reset", after=True)

    async def main() -> None:
        async with client_for(runpod_api) as client:
            with pytest.raises(ApiError, match="HTTP 503") as failed:
                await client.create_app("x")
            assert not isinstance(failed.value, OutcomeUnknown)
            with pytest.raises(OutcomeUnknown):
                await client.create_app("x")

    asyncio.run(main())
    assert runpod_api.operations() == ["createFlashApp", "createFlashApp"]
    assert list(runpod_api.snapshot()["apps"]) == ["x"]  # the lost answer's change was made


def test_a_timeout_is_an_error_not_a_hang(runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("createFlashApp", "timeout", seconds=5)

    async def main() -> None:
        async with client_for(runpod_api, timeout=httpx.Timeout(0.5)) as client:
            with pytest.raises(OutcomeUnknown, match="timed out"):
                await client.create_app("x")

    asyncio.run(main())


def test_a_rejected_key(runpod_api: RunpodEmulator) -> None:
    async def main() -> None:
        async with client_for(runpod_api, key="rpa_WRONG000000000000000000") as client:
            with pytest.raises(ApiKeyRejected) as rejected:
                await client.list_apps()
            assert "rpa_WRONG" not in rejected.value.message

    asyncio.run(main())
    assert runpod_api.operations() == ["getFlashApps"]


def test_upload_errors_never_show_the_presigned_url(
    runpod_api: RunpodEmulator, tmp_path: Path
) -> None:
    artifact = tmp_path / "a.tar.gz"
    artifact.write_bytes(b"\x1f\x8b" + b"0" * 100)
    runpod_api.fail(UPLOAD, "http5xx", status=500, times=None)

    async def main() -> None:
        async with client_for(runpod_api) as client:
            app = await client.create_app("x")
            prepared = await client.prepare_upload(app.id, artifact.stat().st_size)
            with pytest.raises(ApiError) as failed:
                await client.upload(prepared.upload_url, artifact)
            assert "X-Amz-Signature" not in failed.value.message
            assert prepared.upload_url not in str(failed.value)

    asyncio.run(main())
    assert runpod_api.operations("storage") == [UPLOAD] * 4


def test_the_upload_is_retried_after_a_dropped_connection(
    runpod_api: RunpodEmulator, tmp_path: Path
) -> None:
    artifact = tmp_path / "a.tar.gz"
    artifact.write_bytes(b"\x1f\x8b" + b"1" * 5000)
    runpod_api.fail(UPLOAD, "reset")

    async def main() -> None:
        async with client_for(runpod_api) as client:
            app = await client.create_app("x")
            prepared = await client.prepare_upload(app.id, artifact.stat().st_size)
            sent: list[int] = []
            await client.upload(prepared.upload_url, artifact, sent.append)
            assert runpod_api.object_bytes(prepared.object_key) == artifact.read_bytes()

    asyncio.run(main())
    uploads = [c for c in runpod_api.calls if c.operation == UPLOAD]
    assert [c.fault for c in uploads] == ["reset", None]
    assert uploads[-1].variables["contentType"] == "application/gzip"


def test_url_variables_are_validated() -> None:
    assert ApiUrls.from_environ({}).graphql == "https://api.runpod.io/graphql"
    urls = ApiUrls.from_environ(
        {"RUNPOD_API_BASE_URL": "http://127.0.0.1:9/", "RUNPOD_ENDPOINT_BASE_URL": " "}
    )
    assert urls.graphql == "http://127.0.0.1:9/graphql"
    assert urls.queue_url("abc") == "https://api.runpod.ai/v2/abc"
    assert urls.load_balancer_url("abc") == "https://abc.api.runpod.ai"
    assert (
        ApiUrls.from_environ({"CONSOLE_BASE_URL": "https://c.example"}).console
        == "https://c.example"
    )
    for bad in ("ftp://x", "api.runpod.io", "http://x:port"):
        with pytest.raises(InvalidUrl):
            ApiUrls.from_environ({"RUNPOD_API_BASE_URL": bad})
