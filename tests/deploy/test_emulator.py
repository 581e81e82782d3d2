"""The emulator's own contract: GraphQL validation, authentication, state, uploads, faults, logs.

These talk plain HTTP to it (no official CLI: test_emulator_fidelity.py does that), so they are
fast and pin the behaviour flash-ls's deploy engine will be tested against.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.runpod_api import (
    CREATE_VOLUME,
    HEALTH,
    MAX_TARBALL_BYTES,
    REDACTED,
    UPLOAD,
    RunpodEmulator,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = gzip.compress(b"a tarball, as far as the emulator can tell")

CREATE_APP = "mutation createFlashApp($input: CreateFlashAppInput!) { createFlashApp(input: $input) { id name } }"
CREATE_ENV = (
    "mutation createFlashEnvironment($input: CreateFlashEnvironmentInput!) "
    "{ createFlashEnvironment(input: $input) { id name } }"
)
APP_BY_NAME = (
    "query getFlashAppByName($flashAppName: String!) { flashAppByName(flashAppName: $flashAppName)"
    " { id name flashEnvironments { id name state activeBuildId } flashBuilds { id objectKey } } }"
)
LIST_APPS = "query getFlashApps { myself { flashApps { id name } } }"
SAVE_ENDPOINT = (
    "mutation saveEndpoint($input: EndpointInput!) { saveEndpoint(input: $input) "
    "{ id name aiKey templateId gpuIds version workersMin workersMax flashEnvironmentId userId } }"
)
GET_ENDPOINT = "query getEndpoint($id: String!) { myself { endpoint(id: $id) { id } } }"
DELETE_ENDPOINT = "mutation deleteEndpoint($id: String!) { deleteEndpoint(id: $id) }"
PREPARE = (
    "mutation PrepareArtifactUpload($input: PrepareFlashArtifactUploadInput!) "
    "{ prepareFlashArtifactUpload(input: $input) { uploadUrl objectKey expiresAt } }"
)
FINALIZE = (
    "mutation FinalizeArtifactUpload($input: FinalizeFlashArtifactUploadInput!) "
    "{ finalizeFlashArtifactUpload(input: $input) { id manifest } }"
)
DEPLOY = (
    "mutation deployBuildToEnvironment($input: DeployBuildToEnvironmentInput!) "
    "{ deployBuildToEnvironment(input: $input) { id name activeArtifact { objectKey downloadUrl expiresAt } } }"
)
UPDATE_MANIFEST = (
    "mutation updateFlashBuildManifest($input: UpdateFlashBuildManifestInput!) "
    "{ updateFlashBuildManifest(input: $input) { id manifest } }"
)
AUTH_REQUEST = "mutation createFlashAuthRequest { createFlashAuthRequest { id status expiresAt } }"
AUTH_STATUS = (
    "query flashAuthRequestStatus($flashAuthRequestId: String!) "
    "{ flashAuthRequestStatus(flashAuthRequestId: $flashAuthRequestId) { id status expiresAt apiKey } }"
)


def request(
    url: str,
    method: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def gql(
    api: RunpodEmulator, query: str, variables: dict[str, Any] | None = None, key: str | None = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    key = api.api_key if key is None else key
    if key:
        headers["Authorization"] = f"Bearer {key}"
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    status, _, raw = request(api.graphql_url, "POST", body, headers)
    return status, json.loads(raw)


def ok(api: RunpodEmulator, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    status, answer = gql(api, query, variables)
    assert status == 200 and "errors" not in answer, answer
    return answer["data"]


def new_env(api: RunpodEmulator, app: str = "demo", env: str = "staging") -> tuple[str, str]:
    app_id = ok(api, CREATE_APP, {"input": {"name": app}})["createFlashApp"]["id"]
    env_id = ok(api, CREATE_ENV, {"input": {"flashAppId": app_id, "name": env}})
    return app_id, env_id["createFlashEnvironment"]["id"]


def endpoint_input(env_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "worker",
        "gpuIds": "ADA_24",
        "workersMin": 0,
        "workersMax": 3,
        "flashEnvironmentId": env_id,
        "template": {
            "name": "LiveServerless_x__PodTemplate_y",
            "imageName": "runpod/flash:py3.12-latest",
            "env": [{"key": "FLASH_APP", "value": "demo"}],
        },
        **fields,
    }


def prepare(api: RunpodEmulator, app_id: str, size: int = len(ARTIFACT)) -> dict[str, Any]:
    variables = {"input": {"flashAppId": app_id, "tarballSize": size}}
    return ok(api, PREPARE, variables)["prepareFlashArtifactUpload"]


def put(url: str, data: bytes, length: int | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/gzip"}
    headers["Content-Length"] = str(len(data) if length is None else length)
    status, _, body = request(url, "PUT", data, headers)
    return status, body


# ---------------------------------------------------------------------------------------------
# GraphQL


def test_answers_exactly_the_selected_fields(runpod_api: RunpodEmulator) -> None:
    data = ok(runpod_api, CREATE_APP, {"input": {"name": "demo"}})
    assert list(data["createFlashApp"]) == ["id", "name"]
    aliased = ok(runpod_api, '{ app: flashAppByName(flashAppName: "demo") { appName: name } }')
    assert aliased == {"app": {"appName": "demo"}}


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            '{ flashAppByName(flashAppName: "x") { id bogus } }',
            {},
            'Cannot query field "bogus" on type "FlashApp".',
        ),
        (
            "query q($n: String) { flashAppByName(flashAppName: $n) { id } }",
            {"n": "x"},
            'Variable "$n" of type "String" used in position expecting type "String!".',
        ),
        (
            "query q($n: String!) { flashAppByName(flashAppName: $n) { id } }",
            {},
            'Variable "$n" of required type "String!" was not provided.',
        ),
        (
            "query q($n: String!, $unused: Int) { flashAppByName(flashAppName: $n) { id } }",
            {"n": "x"},
            'Variable "$unused" is never used in operation "q".',
        ),
        (
            SAVE_ENDPOINT,
            {"input": {"name": "x", "gpuTypeIds": "ADA_24"}},
            'Field "gpuTypeIds" is not defined by type "EndpointInput".',
        ),
        (
            SAVE_ENDPOINT,
            {"input": {"gpuIds": "ADA_24"}},
            'Field "name" of required type "String!" was not provided.',
        ),
        (
            PREPARE,
            {"input": {"flashAppId": "a", "tarballSize": 2**31}},
            "Int cannot represent non 32-bit signed integer value: 2147483648",
        ),
        ("{ myself { id { x } } }", {}, 'Field "id" must not have a selection'),
        ("{ myself }", {}, 'Field "myself" of type "User" must have a selection of subfields'),
        ("{ myself { id }", {}, "Syntax Error: Expected Name, found <EOF>."),
    ],
)
def test_invalid_requests_are_400_with_graphql_js_messages(
    runpod_api: RunpodEmulator, query: str, variables: dict[str, Any], message: str
) -> None:
    status, answer = gql(runpod_api, query, variables)
    assert status == 400
    assert any(message in e["message"] for e in answer["errors"]), answer


def test_requests_need_the_accounts_bearer_key(runpod_api: RunpodEmulator) -> None:
    for key in ("", "rpa_WRONG"):
        status, answer = gql(runpod_api, LIST_APPS, key=key)
        assert (status, answer) == (401, {"errors": [{"message": "Unauthorized"}]})
    # The login flow has no key yet.
    status, answer = gql(runpod_api, AUTH_REQUEST, key="")
    assert status == 200 and answer["data"]["createFlashAuthRequest"]["status"] == "PENDING"
    assert [c.authorized for c in runpod_api.calls] == [False, False, False]


def test_a_missing_app_is_an_error_saying_app_not_found(runpod_api: RunpodEmulator) -> None:
    status, answer = gql(runpod_api, APP_BY_NAME, {"flashAppName": "nope"})
    assert status == 200
    assert answer["data"] == {"flashAppByName": None}
    (error,) = answer["errors"]
    assert "app not found" in error["message"].lower()  # what FlashApp.from_name matches
    assert error["path"] == ["flashAppByName"]


def test_apps_and_environments(runpod_api: RunpodEmulator) -> None:
    app_id, env_id = new_env(runpod_api)
    _, answer = gql(runpod_api, CREATE_APP, {"input": {"name": "demo"}})
    assert "already exists" in answer["errors"][0]["message"]
    app = ok(runpod_api, APP_BY_NAME, {"flashAppName": "demo"})["flashAppByName"]
    assert app == {
        "id": app_id,
        "name": "demo",
        "flashEnvironments": [
            {"id": env_id, "name": "staging", "state": "PENDING", "activeBuildId": None}
        ],
        "flashBuilds": [],
    }
    ok(
        runpod_api,
        "mutation d($e: String!) { deleteFlashEnvironment(flashEnvironmentId: $e) }",
        {"e": env_id},
    )
    ok(runpod_api, "mutation d($a: String!) { deleteFlashApp(flashAppId: $a) }", {"a": app_id})
    assert runpod_api.snapshot()["apps"] == {}


def test_save_endpoint_creates_updates_and_deletes(runpod_api: RunpodEmulator) -> None:
    _, env_id = new_env(runpod_api)
    created = ok(runpod_api, SAVE_ENDPOINT, {"input": endpoint_input(env_id)})["saveEndpoint"]
    assert (
        len(created["id"]) == 14 and created["templateId"] and created["aiKey"].startswith("aik_")
    )
    assert (created["version"], created["userId"]) == (0, runpod_api.account.user_id)

    # With an id, saveEndpoint updates: sent fields change, others stay; a GPU change is a
    # new version.
    update = {"id": created["id"], "name": "worker", "gpuIds": "AMPERE_80", "workersMax": 5}
    updated = ok(runpod_api, SAVE_ENDPOINT, {"input": update})["saveEndpoint"]
    assert updated["id"] == created["id"] and updated["templateId"] == created["templateId"]
    assert (updated["gpuIds"], updated["workersMax"], updated["workersMin"]) == ("AMPERE_80", 5, 0)
    assert updated["version"] == 1
    assert runpod_api.endpoint("worker")["flashEnvironmentId"] == env_id

    both = endpoint_input(env_id, templateId=created["templateId"])
    unknown = {"id": "nope", "name": "worker"}
    bad_workers = endpoint_input(env_id, workersMin=4, workersMax=1)
    for bad in (both, unknown, bad_workers):
        status, answer = gql(runpod_api, SAVE_ENDPOINT, {"input": bad})
        assert status == 200 and answer["data"] == {"saveEndpoint": None} and answer["errors"]

    assert ok(runpod_api, GET_ENDPOINT, {"id": created["id"]}) == {
        "myself": {"endpoint": {"id": created["id"]}}
    }
    assert ok(runpod_api, DELETE_ENDPOINT, {"id": created["id"]}) == {"deleteEndpoint": None}
    assert ok(runpod_api, GET_ENDPOINT, {"id": created["id"]}) == {"myself": {"endpoint": None}}
    status, answer = gql(runpod_api, DELETE_ENDPOINT, {"id": created["id"]})
    assert answer["errors"][0]["message"] == "Endpoint not found"


def test_load_balancers_get_the_platform_env(runpod_api: RunpodEmulator) -> None:
    _, env_id = new_env(runpod_api)
    ok(runpod_api, SAVE_ENDPOINT, {"input": endpoint_input(env_id, type="LB")})
    env = runpod_api.endpoint("worker")["template"]["env"]
    assert env == [
        {"key": "FLASH_APP", "value": "demo"},
        {"key": "PORT", "value": "80"},
        {"key": "PORT_HEALTH", "value": "80"},
    ]


# ---------------------------------------------------------------------------------------------
# Artifacts


def test_upload_finalize_deploy_download(runpod_api: RunpodEmulator) -> None:
    app_id, env_id = new_env(runpod_api)
    upload = prepare(runpod_api, app_id)
    assert upload["uploadUrl"].startswith(f"{runpod_api.url}/storage/{upload['objectKey']}?")
    assert "X-Amz-Signature=" in upload["uploadUrl"]
    # finalize needs the object
    variables = {
        "input": {
            "flashAppId": app_id,
            "objectKey": upload["objectKey"],
            "manifest": {"resources": {}},
        }
    }
    status, answer = gql(runpod_api, FINALIZE, variables)
    assert "upload it before finalizing" in answer["errors"][0]["message"]

    assert put(upload["uploadUrl"], ARTIFACT) == (200, b"")
    build = ok(runpod_api, FINALIZE, variables)["finalizeFlashArtifactUpload"]
    assert build["manifest"] == {"resources": {}}
    deployed = ok(
        runpod_api, DEPLOY, {"input": {"flashEnvironmentId": env_id, "flashBuildId": build["id"]}}
    )
    artifact = deployed["deployBuildToEnvironment"]["activeArtifact"]
    assert artifact["objectKey"] == upload["objectKey"]
    status, _, data = request(artifact["downloadUrl"], "GET")
    assert (status, data) == (200, ARTIFACT)
    assert runpod_api.object_bytes(upload["objectKey"]) == ARTIFACT
    env = runpod_api.snapshot()["apps"]["demo"]["environments"]["staging"]
    assert (env["state"], env["activeBuildId"]) == ("DEPLOYED", build["id"])

    manifest = {"resources": {"w": {"endpoint_id": "e", "aiKey": "aik_SECRET"}}}
    ok(runpod_api, UPDATE_MANIFEST, {"input": {"flashBuildId": build["id"], "manifest": manifest}})
    assert runpod_api.snapshot(redacted=False)["apps"]["demo"]["builds"][0]["manifest"] == manifest


def test_upload_is_checked_like_the_real_storage(runpod_api: RunpodEmulator) -> None:
    app_id, _ = new_env(runpod_api)
    upload = prepare(runpod_api, app_id)
    url = upload["uploadUrl"]
    # Content-Length is signed: it must be the size prepare announced.
    assert put(url, ARTIFACT + b"x")[0] == 403
    # Only gzip archives (magic 1f 8b).
    plain = prepare(runpod_api, app_id, size=5)
    status, body = put(plain["uploadUrl"], b"plain")
    assert status == 400 and b"not a gzip file" in body
    # A signature that does not match.
    assert put(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), ARTIFACT)[0] == 403
    # No Content-Length (chunked).
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    conn.request("PUT", f"{parts.path}?{parts.query}", body=iter([ARTIFACT]), encode_chunked=True)
    assert conn.getresponse().status == 411
    conn.close()
    # Over the 1500 MB limit: refused from the header, before any body.
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=30)
    conn.putrequest("PUT", f"{parts.path}?{parts.query}")
    conn.putheader("Content-Length", str(MAX_TARBALL_BYTES + 1))
    conn.endheaders()
    response = conn.getresponse()
    assert (response.status, b"EntityTooLarge" in response.read()) == (400, True)
    conn.close()
    status, answer = gql(
        runpod_api, PREPARE, {"input": {"flashAppId": app_id, "tarballSize": MAX_TARBALL_BYTES + 1}}
    )
    assert "exceeds the maximum" in answer["errors"][0]["message"]
    # Presigned URLs expire.
    runpod_api.account.clock.advance(3601)
    status, body = put(url, ARTIFACT)
    assert status == 403 and b"Request has expired" in body
    assert [c.status for c in runpod_api.calls if c.operation == UPLOAD] == [
        403,
        400,
        403,
        411,
        400,
        403,
    ]


# ---------------------------------------------------------------------------------------------
# Faults


def test_http_faults_then_recovery(runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("getFlashApps", "http500", times=2)
    assert gql(runpod_api, LIST_APPS)[0] == 500
    assert gql(runpod_api, LIST_APPS) == (500, {"errors": [{"message": "Internal Server Error"}]})
    assert gql(runpod_api, LIST_APPS)[0] == 200
    runpod_api.fail("getFlashApps", "http5xx", status=504)
    assert gql(runpod_api, LIST_APPS)[0] == 504

    runpod_api.fail("getFlashApps", "http429", retry_after=7)
    status, headers, _ = request(
        runpod_api.graphql_url,
        "POST",
        json.dumps({"query": LIST_APPS}).encode(),
        {"Authorization": f"Bearer {runpod_api.api_key}"},
    )
    assert (status, headers["retry-after"]) == (429, "7")

    runpod_api.fail("getFlashApps", "graphql_error", message="Service temporarily unavailable")
    assert gql(runpod_api, LIST_APPS) == (
        200,
        {"data": None, "errors": [{"message": "Service temporarily unavailable"}]},
    )
    runpod_api.fail("getFlashApps", "malformed")
    status, _, raw = request(
        runpod_api.graphql_url,
        "POST",
        json.dumps({"query": LIST_APPS}).encode(),
        {"Authorization": f"Bearer {runpod_api.api_key}"},
    )
    assert status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    assert [c.fault for c in runpod_api.calls] == [
        "http500",
        "http500",
        None,
        "http5xx",
        "http429",
        "graphql_error",
        "malformed",
    ]


def test_dropped_connections(runpod_api: RunpodEmulator) -> None:
    runpod_api.fail("flashAppByName", "reset")  # a root field names the operation too
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        gql(runpod_api, APP_BY_NAME, {"flashAppName": "x"})

    runpod_api.fail("getFlashApps", "timeout", seconds=0.3)
    started = time.monotonic()
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        gql(runpod_api, LIST_APPS)
    assert time.monotonic() - started >= 0.25

    # after=True: the change is made, the answer is lost.
    runpod_api.fail("createFlashApp", "reset", after=True)
    with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
        gql(runpod_api, CREATE_APP, {"input": {"name": "lost-answer"}})
    assert list(runpod_api.snapshot()["apps"]) == ["lost-answer"]
    assert [(c.operation, c.status, c.fault) for c in runpod_api.calls] == [
        ("getFlashAppByName", None, "reset"),
        ("getFlashApps", None, "timeout"),
        ("createFlashApp", None, "reset"),
    ]


def test_faults_until_cleared_and_on_other_calls(runpod_api: RunpodEmulator) -> None:
    app_id, _ = new_env(runpod_api)
    upload = prepare(runpod_api, app_id)
    runpod_api.fail(UPLOAD, "http503", times=None)
    assert put(upload["uploadUrl"], ARTIFACT)[0] == 503
    assert put(upload["uploadUrl"], ARTIFACT)[0] == 503
    runpod_api.clear_faults()
    assert put(upload["uploadUrl"], ARTIFACT)[0] == 200
    with pytest.raises(ValueError, match="unknown fault kind"):
        runpod_api.fail("saveEndpoint", "explode")


# ---------------------------------------------------------------------------------------------
# Call log and snapshots


def test_call_log_redacts_secrets(runpod_api: RunpodEmulator) -> None:
    _, env_id = new_env(runpod_api)
    env = [
        {"key": "RUNPOD_API_KEY", "value": runpod_api.api_key},
        {"key": "HF_TOKEN", "value": "hf_secret"},
        {"key": "MODEL", "value": "tiny"},
    ]
    payload = endpoint_input(env_id, template={"name": "t", "imageName": "i", "env": env})
    ok(runpod_api, SAVE_ENDPOINT, {"input": payload})
    (call,) = [c for c in runpod_api.calls if c.operation == "saveEndpoint"]
    assert call.variables["input"]["template"]["env"] == [
        {"key": "RUNPOD_API_KEY", "value": REDACTED},
        {"key": "HF_TOKEN", "value": REDACTED},
        {"key": "MODEL", "value": "tiny"},
    ]
    assert runpod_api.count("saveEndpoint") == 1
    assert runpod_api.operations("graphql") == [
        "createFlashApp",
        "createFlashEnvironment",
        "saveEndpoint",
    ]
    saved = runpod_api.snapshot()["endpoints"]
    (endpoint,) = saved.values()
    assert endpoint["aiKey"] == REDACTED
    assert runpod_api.api_key not in json.dumps(runpod_api.snapshot())


def test_normalized_snapshots_compare_across_accounts() -> None:
    states = []
    for seed in (1, 2):
        with RunpodEmulator(seed=seed) as api:
            _, env_id = new_env(api)
            ok(api, SAVE_ENDPOINT, {"input": endpoint_input(env_id)})
            states.append(api.snapshot(normalize=True))
    assert states[0] == states[1]
    endpoint = states[0]["apps"]["demo"]["environments"]["staging"]["endpoints"]["worker"]
    assert endpoint["id"] == "<endpoint:worker>"
    assert endpoint["flashEnvironmentId"] == "<env:demo/staging>"
    assert endpoint["templateId"] == "<template:worker>"


# ---------------------------------------------------------------------------------------------
# REST, data plane, login


def test_network_volumes_over_rest(runpod_api: RunpodEmulator) -> None:
    url = runpod_api.env()["RUNPOD_REST_API_URL"] + "/networkvolumes"
    auth = {"Authorization": f"Bearer {runpod_api.api_key}", "Content-Type": "application/json"}
    assert request(url, "GET")[0] == 401
    volume = {"name": "models", "size": 50, "dataCenterId": "EU-RO-1"}
    for bad in (
        {**volume, "size": 0},
        {**volume, "dataCenterId": "MARS-1"},
        {**volume, "extra": 1},
    ):
        assert request(url, "POST", json.dumps(bad).encode(), auth)[0] == 400
    status, _, body = request(url, "POST", json.dumps(volume).encode(), auth)
    created = json.loads(body)
    assert status == 200 and set(created) == {"id", "name", "size", "dataCenterId"}
    assert json.loads(request(url, "GET", headers=auth)[2]) == [created]
    assert runpod_api.count(CREATE_VOLUME) == 4


def test_data_plane_health(runpod_api: RunpodEmulator) -> None:
    _, env_id = new_env(runpod_api)
    endpoint_id = ok(runpod_api, SAVE_ENDPOINT, {"input": endpoint_input(env_id)})["saveEndpoint"][
        "id"
    ]
    base = runpod_api.env()["RUNPOD_ENDPOINT_BASE_URL"]
    auth = {"Authorization": f"Bearer {runpod_api.api_key}"}
    status, _, body = request(f"{base}/{endpoint_id}/health", "GET", headers=auth)
    assert status == 200 and set(json.loads(body)) == {"jobs", "workers"}
    assert request(f"{base}/nope/health", "GET", headers=auth)[0] == 404
    assert request(f"{base}/{endpoint_id}/health", "GET")[0] == 401
    assert runpod_api.count(HEALTH) == 3


def test_login_requests(runpod_api: RunpodEmulator) -> None:
    def status_of(request_id: str) -> dict[str, Any]:
        _, answer = gql(runpod_api, AUTH_STATUS, {"flashAuthRequestId": request_id}, key="")
        return answer["data"]["flashAuthRequestStatus"]

    def new_request() -> str:
        return gql(runpod_api, AUTH_REQUEST, key="")[1]["data"]["createFlashAuthRequest"]["id"]

    first = new_request()
    assert status_of(first)["status"] == "PENDING"
    runpod_api.approve_login()
    assert (status_of(first)["status"], status_of(first)["status"]) == ("APPROVED", "CONSUMED")
    runpod_api.approve_login(first)
    assert status_of(first)["apiKey"] == runpod_api.api_key

    denied = new_request()
    runpod_api.deny_login(denied)
    assert status_of(denied)["status"] == "DENIED"

    expired = new_request()
    runpod_api.account.clock.advance(601)
    assert status_of(expired) | {"expiresAt": None} == {
        "id": expired,
        "status": "EXPIRED",
        "expiresAt": None,
        "apiKey": None,
    }


def test_runs_standalone() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.runpod_api", "--port", "0", "--api-key", "rpa_STANDALONE"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        env = {}
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "ready":
                break
            key, _, value = line.strip().partition("=")
            env[key] = value
        assert env["RUNPOD_API_KEY"] == "rpa_STANDALONE"
        body = json.dumps({"query": LIST_APPS}).encode()
        headers = {"Authorization": "Bearer rpa_STANDALONE"}
        status, _, raw = request(env["RUNPOD_API_BASE_URL"] + "/graphql", "POST", body, headers)
        assert (status, json.loads(raw)) == (200, {"data": {"myself": {"flashApps": []}}})
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "POST getFlashApps -> 200" in stderr
