"""An async client for the Runpod API: the official Flash CLI's GraphQL operations, the REST
network-volume calls and the presigned artifact upload.

Operation names, variables and selected fields are those of ``runpod_flash/core/api/runpod.py``
(flash-platform.md 7.3), so the API sees the same requests from flash-ls as from ``flash``.
Every call has a timeout. Queries (and the upload PUT, which a presigned URL makes idempotent)
are retried with capped exponential backoff on connection errors, 5xx, 429 (honouring
``Retry-After``) and the API's transient error messages. A mutation is sent once: when it fails
after it may have reached the server, ``OutcomeUnknown`` tells the caller to re-read the state.
Errors never carry the API key or a presigned URL.

It is also the one GraphQL transport of ``login.py`` (the approval flow and the key check): a
client without a key sends no ``Authorization`` header, and ``post_graphql`` is one POST whose
answer the caller reads. Every operation document and the User-Agent are defined here.
"""

from __future__ import annotations

import json
import logging
import os
import platform
from collections.abc import AsyncIterator, Callable, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from flash_ls import __version__
from flash_ls.deploy.credentials import redact
from flash_ls.deploy.models import (
    ArtifactUpload,
    FlashApp,
    FlashBuildInfo,
    FlashEnvironment,
    NetworkVolume,
    PodTemplateInfo,
    SavedEndpoint,
)
from flash_ls.deploy.urls import ApiUrls

log = logging.getLogger(__name__)

REQUEST_TIMEOUT = httpx.Timeout(60.0, connect=15.0)
UPLOAD_TIMEOUT = httpx.Timeout(600.0, connect=15.0)  # the official upload's per-attempt limit
LOGIN_TIMEOUT = httpx.Timeout(30.0, connect=10.0)  # one call of the login flow or the key check
MAX_ATTEMPTS = 4  # the official client: 3 retries
BACKOFF_BASE_S = 1.0
BACKOFF_MAX_S = 15.0
RETRY_AFTER_MAX_S = 60.0
UPLOAD_CHUNK = 1 << 20
# GraphQL error messages the official client treats as transient (runpod.py).
TRANSIENT_MESSAGES = (
    "try again later",
    "internal server error",
    "service unavailable",
    "too many requests",
    "temporarily unavailable",
)
NOT_FOUND_MESSAGES = ("not found",)
# Answer fields that hold presigned URLs: never in an error or a log line.
SECRET_FIELDS = frozenset({"uploadUrl", "downloadUrl", "presignedUrl"})

_Model = TypeVar("_Model", bound=BaseModel)
# Transport failures a retry may get past (others, such as a malformed URL, would fail again).
_TRANSPORT_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class ApiError(Exception):
    """A call to the Runpod API failed; ``message`` is one line without secrets."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        status: int | None = None,
        transient: bool = False,
        retry_after: float | None = None,
        no_answer: str | None = None,
        timed_out: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.status = status
        self.transient = transient
        self.retry_after = retry_after
        # Why no answer came (the transport's error, redacted), when none did.
        self.no_answer = no_answer
        self.timed_out = timed_out


class ApiKeyRejected(ApiError):
    """The API refused the key (401/403)."""


class NotFound(ApiError):
    """The API says the object does not exist."""


class OutcomeUnknown(ApiError):
    """A mutation may or may not have been applied (timeout or dropped connection after the
    request was sent): re-read the state before going on."""


def user_agent() -> str:
    """``flash-ls/<version> (Python <x>; <OS> <release>; <arch>)``."""
    return (
        f"flash-ls/{__version__} (Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}; {platform.machine()})"
    )


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, ApiError) and error.transient


def _wait(base: float) -> Callable[[RetryCallState], float]:
    """Exponential backoff from ``base`` capped at ``BACKOFF_MAX_S``; a ``Retry-After`` wins."""
    exponential = wait_exponential(multiplier=base, min=base, max=BACKOFF_MAX_S)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, ApiError) and error.retry_after is not None:
            return min(error.retry_after, RETRY_AFTER_MAX_S)
        return float(exponential(state))

    return wait


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    from datetime import datetime, timezone

    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


def _strip_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: "<redacted>" if k in SECRET_FIELDS else _strip_secrets(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_strip_secrets(v) for v in value]
    return value


def _error_text(body: Any) -> str:
    """The messages of a GraphQL or REST error body, one line."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            messages = [str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors]
            return "; ".join(messages)
        for key in ("error", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return json.dumps(_strip_secrets(body))[:200] if body is not None else ""


class RunpodClient:
    """The Runpod API for one account (``async with RunpodClient(key) as api: ...``).

    ``api_key=None`` sends no ``Authorization`` header (the login operations need none).
    ``transport`` replaces httpx's network transport (tests); ``backoff_base`` is the first
    retry's wait in seconds.
    """

    def __init__(
        self,
        api_key: str | None,
        urls: ApiUrls | None = None,
        *,
        timeout: httpx.Timeout = REQUEST_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_base: float = BACKOFF_BASE_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.urls = urls or ApiUrls()
        self._key = api_key
        self._max_attempts = max(1, max_attempts)
        self._backoff_base = backoff_base
        self._http = httpx.AsyncClient(
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": user_agent()},
            follow_redirects=False,
        )

    async def __aenter__(self) -> RunpodClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- transport ------------------------------------------------------------------------------

    @property
    def api_key(self) -> str | None:
        return self._key

    def _redact(self, text: str) -> str:
        return redact(text, self._key) if self._key else redact(text)

    def _auth(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._key is not None:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    async def _retrying(self, call: Callable[[], Any], retried: bool) -> Any:
        if not retried:
            return await call()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=_wait(self._backoff_base),
            retry=retry_if_exception(_is_transient),
            reraise=True,
            before_sleep=lambda state: log.info(
                "retrying after a transient failure: %s",
                state.outcome.exception() if state.outcome else "",
            ),
        )
        return await retrying(call)

    async def _send(
        self, operation: str, method: str, url: str, *, mutation: bool, **kwargs: Any
    ) -> httpx.Response:
        """One request; transport failures become ``ApiError`` (or ``OutcomeUnknown`` for a
        mutation that may have reached the server)."""
        try:
            return await self._http.request(method, url, **kwargs)
        except httpx.ConnectError as err:
            # Nothing was sent: safe to say the call did not happen.
            detail = self._redact(_connect_reason(err)) or type(err).__name__
            raise ApiError(
                f"{operation}: cannot connect to {httpx.URL(url).host} ({detail})",
                operation=operation,
                transient=True,
                no_answer=detail,
            ) from None
        except httpx.HTTPError as err:
            # Timeouts, dropped connections, protocol errors: the request may have arrived.
            timed_out = isinstance(err, httpx.TimeoutException)
            reason = "timed out" if timed_out else "connection lost"
            detail = self._redact(str(err)) or type(err).__name__
            error_class = OutcomeUnknown if mutation else ApiError
            raise error_class(
                f"{operation}: {reason} ({detail})",
                operation=operation,
                transient=not mutation and isinstance(err, _TRANSPORT_TRANSIENT),
                no_answer=detail,
                timed_out=timed_out,
            ) from None

    def _http_error(self, operation: str, response: httpx.Response, body: Any) -> ApiError:
        status = response.status_code
        text = self._redact(_error_text(body) or response.reason_phrase)
        message = f"{operation}: HTTP {status} {text}".rstrip()
        if status in (401, 403):
            return ApiKeyRejected(message, operation=operation, status=status)
        return ApiError(
            message,
            operation=operation,
            status=status,
            transient=status >= 500 or status == 429,
            retry_after=_retry_after(response) if status in (429, 503) else None,
        )

    async def post_graphql(
        self, operation: str, document: str, variables: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        """One POST of ``document`` (one named operation), not retried, its answer unread.

        A transport failure is an :class:`ApiError` with ``no_answer`` set (an
        :class:`OutcomeUnknown` for a mutation that may have arrived)."""
        return await self._send(
            operation,
            "POST",
            self.urls.graphql,
            mutation=_is_mutation(document),
            json={"query": document, "variables": dict(variables or {})},
            headers=self._auth(),
        )

    async def graphql(
        self, operation: str, document: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run ``document`` (one named operation); its ``data``. Queries are retried."""
        mutation = _is_mutation(document)

        async def once() -> dict[str, Any]:
            response = await self.post_graphql(operation, document, variables)
            try:
                body = response.json()
            except ValueError:
                if response.status_code >= 400:
                    raise self._http_error(operation, response, None) from None
                message = f"{operation}: the API answered with a body that is not JSON"
                if mutation:
                    raise OutcomeUnknown(message, operation=operation) from None
                raise ApiError(message, operation=operation, transient=True) from None
            if response.status_code >= 400:
                raise self._http_error(operation, response, body)
            errors = body.get("errors") if isinstance(body, dict) else None
            if errors:
                text = self._redact(_error_text(body))
                lowered = text.lower()
                kind = NotFound if any(m in lowered for m in NOT_FOUND_MESSAGES) else ApiError
                raise kind(
                    f"{operation}: {text}",
                    operation=operation,
                    status=response.status_code,
                    transient=not mutation and any(m in lowered for m in TRANSIENT_MESSAGES),
                )
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict):
                raise ApiError(f"{operation}: the API answered without data", operation=operation)
            return data

        result: dict[str, Any] = await self._retrying(once, retried=not mutation)
        return result

    def _parse(self, operation: str, model: type[_Model], value: Any) -> _Model:
        try:
            return model.model_validate(value)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise ApiError(
                f"{operation}: unexpected answer ({where}: {first.get('msg')})",
                operation=operation,
            ) from None

    def _field(self, operation: str, data: dict[str, Any], *path: str) -> Any:
        value: Any = data
        for key in path:
            if not isinstance(value, dict) or key not in value:
                raise ApiError(
                    f"{operation}: the answer has no {'.'.join(path)}", operation=operation
                )
            value = value[key]
        return value

    # -- apps and environments ------------------------------------------------------------------

    async def list_apps(self) -> list[FlashApp]:
        data = await self.graphql("getFlashApps", GET_FLASH_APPS)
        apps = self._field("getFlashApps", data, "myself").get("flashApps") or []
        return [self._parse("getFlashApps", FlashApp, a) for a in apps]

    async def app_by_name(self, name: str) -> FlashApp | None:
        """The app called ``name``, or None when there is none."""
        try:
            data = await self.graphql(
                "getFlashAppByName", GET_FLASH_APP_BY_NAME, {"flashAppName": name}
            )
        except NotFound:
            return None
        app = data.get("flashAppByName")
        return None if app is None else self._parse("getFlashAppByName", FlashApp, app)

    async def environment_by_name(self, app_id: str, name: str) -> FlashEnvironment | None:
        """The environment with its endpoints and volumes, or None when there is none."""
        try:
            data = await self.graphql(
                "getFlashEnvironmentByName",
                GET_FLASH_ENVIRONMENT_BY_NAME,
                {"input": {"flashAppId": app_id, "name": name}},
            )
        except NotFound:
            return None
        env = data.get("flashEnvironmentByName")
        return (
            None if env is None else self._parse("getFlashEnvironmentByName", FlashEnvironment, env)
        )

    async def environment(self, environment_id: str) -> FlashEnvironment | None:
        try:
            data = await self.graphql(
                "getFlashEnvironment",
                GET_FLASH_ENVIRONMENT,
                {"flashEnvironmentId": environment_id},
            )
        except NotFound:
            return None
        env = data.get("flashEnvironment")
        return None if env is None else self._parse("getFlashEnvironment", FlashEnvironment, env)

    async def list_environments(self, app_id: str) -> list[FlashEnvironment]:
        data = await self.graphql(
            "listFlashEnvironments", LIST_FLASH_ENVIRONMENTS, {"flashAppId": app_id}
        )
        envs = self._field("listFlashEnvironments", data, "flashApp", "flashEnvironments") or []
        return [self._parse("listFlashEnvironments", FlashEnvironment, e) for e in envs]

    async def list_builds(self, app_id: str) -> list[FlashBuildInfo]:
        data = await self.graphql("listFlashBuilds", LIST_FLASH_BUILDS, {"flashAppId": app_id})
        builds = self._field("listFlashBuilds", data, "flashApp", "flashBuilds") or []
        return [self._parse("listFlashBuilds", FlashBuildInfo, b) for b in builds]

    async def build(self, build_id: str) -> FlashBuildInfo | None:
        try:
            data = await self.graphql("getFlashBuild", GET_FLASH_BUILD, {"input": build_id})
        except NotFound:
            return None
        build = data.get("flashBuild")
        return None if build is None else self._parse("getFlashBuild", FlashBuildInfo, build)

    async def create_app(self, name: str) -> FlashApp:
        data = await self.graphql("createFlashApp", CREATE_FLASH_APP, {"input": {"name": name}})
        return self._parse(
            "createFlashApp", FlashApp, self._field("createFlashApp", data, "createFlashApp")
        )

    async def create_environment(self, app_id: str, name: str) -> FlashEnvironment:
        data = await self.graphql(
            "createFlashEnvironment",
            CREATE_FLASH_ENVIRONMENT,
            {"input": {"flashAppId": app_id, "name": name}},
        )
        created = self._field("createFlashEnvironment", data, "createFlashEnvironment")
        return self._parse("createFlashEnvironment", FlashEnvironment, created)

    async def delete_app(self, app_id: str) -> None:
        await self.graphql("deleteFlashApp", DELETE_FLASH_APP, {"flashAppId": app_id})

    async def delete_environment(self, environment_id: str) -> None:
        await self.graphql(
            "deleteFlashEnvironment",
            DELETE_FLASH_ENVIRONMENT,
            {"flashEnvironmentId": environment_id},
        )

    # -- builds ---------------------------------------------------------------------------------

    async def prepare_upload(self, app_id: str, size: int) -> ArtifactUpload:
        data = await self.graphql(
            "PrepareArtifactUpload",
            PREPARE_ARTIFACT_UPLOAD,
            {"input": {"flashAppId": app_id, "tarballSize": size}},
        )
        prepared = self._field("PrepareArtifactUpload", data, "prepareFlashArtifactUpload")
        return self._parse("PrepareArtifactUpload", ArtifactUpload, prepared)

    async def upload(
        self, upload_url: str, path: Path, progress: Callable[[int], None] | None = None
    ) -> None:
        """PUT the artifact to its presigned URL: ``Content-Type: application/gzip``, no
        ``Authorization`` (the URL carries it). Retried like a query: a PUT replaces the object."""
        size = path.stat().st_size

        async def chunks() -> AsyncIterator[bytes]:
            with path.open("rb") as handle:
                while chunk := handle.read(UPLOAD_CHUNK):
                    if progress is not None:
                        progress(len(chunk))
                    yield chunk

        async def once() -> None:
            response = await self._send(
                "upload",
                "PUT",
                upload_url,
                mutation=False,
                content=chunks(),
                headers={"Content-Type": "application/gzip", "Content-Length": str(size)},
                timeout=UPLOAD_TIMEOUT,
            )
            if response.status_code >= 300:
                reason = self._redact(_storage_error(response.text)) or response.reason_phrase
                raise ApiError(
                    f"artifact upload: HTTP {response.status_code} {reason}".rstrip(),
                    operation="upload",
                    status=response.status_code,
                    transient=response.status_code >= 500 or response.status_code == 429,
                    retry_after=_retry_after(response),
                )

        await self._retrying(once, retried=True)

    async def finalize_upload(
        self, app_id: str, object_key: str, manifest: Mapping[str, Any]
    ) -> FlashBuildInfo:
        data = await self.graphql(
            "FinalizeArtifactUpload",
            FINALIZE_ARTIFACT_UPLOAD,
            {"input": {"flashAppId": app_id, "objectKey": object_key, "manifest": manifest}},
        )
        build = self._field("FinalizeArtifactUpload", data, "finalizeFlashArtifactUpload")
        return self._parse("FinalizeArtifactUpload", FlashBuildInfo, build)

    async def deploy_build(self, environment_id: str, build_id: str) -> None:
        await self.graphql(
            "deployBuildToEnvironment",
            DEPLOY_BUILD_TO_ENVIRONMENT,
            {"input": {"flashEnvironmentId": environment_id, "flashBuildId": build_id}},
        )

    async def update_build_manifest(self, build_id: str, manifest: Mapping[str, Any]) -> None:
        await self.graphql(
            "updateFlashBuildManifest",
            UPDATE_FLASH_BUILD_MANIFEST,
            {"input": {"flashBuildId": build_id, "manifest": manifest}},
        )

    # -- endpoints and templates ----------------------------------------------------------------

    async def save_endpoint(self, payload: Mapping[str, Any]) -> SavedEndpoint:
        data = await self.graphql("saveEndpoint", SAVE_ENDPOINT, {"input": payload})
        return self._parse(
            "saveEndpoint", SavedEndpoint, self._field("saveEndpoint", data, "saveEndpoint")
        )

    async def delete_endpoint(self, endpoint_id: str) -> None:
        await self.graphql("deleteEndpoint", DELETE_ENDPOINT, {"id": endpoint_id})

    async def endpoint_exists(self, endpoint_id: str) -> bool:
        try:
            data = await self.graphql("getEndpoint", GET_ENDPOINT, {"id": endpoint_id})
        except NotFound:
            return False
        found = (data.get("myself") or {}).get("endpoint")
        return isinstance(found, dict) and found.get("id") == endpoint_id

    async def endpoint_template_id(self, endpoint_id: str) -> str | None:
        """The id of the endpoint's template; None when the endpoint (or its template) is gone."""
        try:
            data = await self.graphql(
                "getEndpointTemplate", GET_ENDPOINT_TEMPLATE, {"id": endpoint_id}
            )
        except NotFound:
            return None
        found = (data.get("myself") or {}).get("endpoint")
        template_id = found.get("templateId") if isinstance(found, dict) else None
        return template_id if isinstance(template_id, str) and template_id else None

    async def template(self, template_id: str) -> PodTemplateInfo | None:
        try:
            data = await self.graphql("getTemplate", GET_TEMPLATE, {"id": template_id})
        except NotFound:
            return None
        found = data.get("podTemplate")
        return None if found is None else self._parse("getTemplate", PodTemplateInfo, found)

    async def save_template(self, payload: Mapping[str, Any]) -> PodTemplateInfo:
        data = await self.graphql("saveTemplate", SAVE_TEMPLATE, {"input": payload})
        return self._parse(
            "saveTemplate", PodTemplateInfo, self._field("saveTemplate", data, "saveTemplate")
        )

    # -- network volumes (REST) -----------------------------------------------------------------

    async def _rest(self, operation: str, method: str, body: Any = None) -> Any:
        url = f"{self.urls.rest}/networkvolumes"
        mutation = method != "GET"

        async def once() -> Any:
            response = await self._send(
                operation,
                method,
                url,
                mutation=mutation,
                headers=self._auth(),
                **({"json": body} if body is not None else {}),
            )
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if response.status_code >= 400:
                error = self._http_error(operation, response, answer)
                error.transient = error.transient and not mutation
                raise error
            return answer

        return await self._retrying(once, retried=not mutation)

    async def list_network_volumes(self) -> list[NetworkVolume]:
        answer = await self._rest("list network volumes", "GET")
        volumes = answer.get("networkVolumes", []) if isinstance(answer, dict) else answer
        return [self._parse("list network volumes", NetworkVolume, v) for v in volumes or []]

    async def create_network_volume(
        self, name: str, size: int, data_center_id: str
    ) -> NetworkVolume:
        answer = await self._rest(
            "create network volume",
            "POST",
            {"dataCenterId": data_center_id, "name": name, "size": size},
        )
        return self._parse("create network volume", NetworkVolume, answer)


def _connect_reason(error: BaseException) -> str:
    """Why a connection failed: the system's error (``[Errno 111] Connection refused``) when
    one caused it, else the error's text (the async stack only says "All connection attempts
    failed")."""
    cause: BaseException | None = error
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, OSError) and cause.errno:
            # Negative numbers are name-resolution errors (getaddrinfo), with their own text.
            text = os.strerror(cause.errno) if cause.errno > 0 else cause.strerror
            return f"[Errno {cause.errno}] {text or cause}"
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return str(error)


def _is_mutation(document: str) -> bool:
    return document.lstrip().startswith("mutation")


def _storage_error(text: str) -> str:
    """The ``<Message>`` of an S3-style XML error, else the first line of the body."""
    start, end = text.find("<Message>"), text.find("</Message>")
    if 0 <= start < end:
        return text[start + len("<Message>") : end]
    return text.strip().splitlines()[0][:200] if text.strip() else ""


# -- the operations (runpod_flash/core/api/runpod.py, 1.21.0) -----------------------------------

GET_FLASH_APPS = """query getFlashApps {
  myself {
    flashApps {
      id
      name
      flashEnvironments { id name state createdAt activeBuildId }
      flashBuilds { id createdAt }
    }
  }
}"""

GET_FLASH_APP_BY_NAME = """query getFlashAppByName($flashAppName: String!) {
  flashAppByName(flashAppName: $flashAppName) {
    id
    name
    flashEnvironments { id name state activeBuildId createdAt }
    flashBuilds { id objectKey createdAt }
  }
}"""

GET_FLASH_ENVIRONMENT = """query getFlashEnvironment($flashEnvironmentId: String!) {
  flashEnvironment(flashEnvironmentId: $flashEnvironmentId) {
    id
    name
    state
    activeBuildId
    createdAt
    endpoints { id name }
    networkVolumes { id name }
  }
}"""

GET_FLASH_ENVIRONMENT_BY_NAME = """query getFlashEnvironmentByName($input: FlashEnvironmentByNameInput!) {
  flashEnvironmentByName(input: $input) {
    id
    name
    state
    activeBuildId
    endpoints { id name }
    networkVolumes { id name }
  }
}"""

GET_FLASH_BUILD = """query getFlashBuild($input: String!) {
  flashBuild(flashBuildId: $input) { id manifest }
}"""

LIST_FLASH_BUILDS = """query listFlashBuilds($flashAppId: String!) {
  flashApp(flashAppId: $flashAppId) { flashBuilds { id objectKey createdAt } }
}"""

LIST_FLASH_ENVIRONMENTS = """query listFlashEnvironments($flashAppId: String!) {
  flashApp(flashAppId: $flashAppId) {
    flashEnvironments { id name state activeBuildId createdAt }
  }
}"""

GET_ENDPOINT = """query getEndpoint($id: String!) {
  myself { endpoint(id: $id) { id } }
}"""

# Not an official operation: flash-ls checks the key a remote-calling endpoint holds.
GET_ENDPOINT_TEMPLATE = """query getEndpointTemplate($id: String!) {
  myself { endpoint(id: $id) { id templateId } }
}"""

GET_TEMPLATE = """query getTemplate($id: String!) {
  podTemplate(id: $id) {
    id
    containerDiskInGb
    dockerArgs
    env { key value }
    imageName
    name
    readme
  }
}"""

SAVE_TEMPLATE = """mutation saveTemplate($input: SaveTemplateInput) {
  saveTemplate(input: $input) {
    id
    containerDiskInGb
    dockerArgs
    env { key value }
    imageName
    name
    readme
  }
}"""

SAVE_ENDPOINT = """mutation saveEndpoint($input: EndpointInput!) {
  saveEndpoint(input: $input) {
    aiKey
    gpuIds
    id
    idleTimeout
    locations
    name
    networkVolumeId
    networkVolumeIds { networkVolumeId dataCenterId }
    flashEnvironmentId
    scalerType
    scalerValue
    templateId
    type
    userId
    version
    workersMax
    workersMin
    workersStandby
    workersPFBTarget
    gpuCount
    allowedCudaVersions
    minCudaVersion
    executionTimeoutMs
    instanceIds
    activeBuildid
    idePodId
    flashBootType
  }
}"""

DELETE_ENDPOINT = """mutation deleteEndpoint($id: String!) {
  deleteEndpoint(id: $id)
}"""

PREPARE_ARTIFACT_UPLOAD = """mutation PrepareArtifactUpload($input: PrepareFlashArtifactUploadInput!) {
  prepareFlashArtifactUpload(input: $input) { uploadUrl objectKey expiresAt }
}"""

FINALIZE_ARTIFACT_UPLOAD = """mutation FinalizeArtifactUpload($input: FinalizeFlashArtifactUploadInput!) {
  finalizeFlashArtifactUpload(input: $input) { id manifest }
}"""

UPDATE_FLASH_BUILD_MANIFEST = """mutation updateFlashBuildManifest($input: UpdateFlashBuildManifestInput!) {
  updateFlashBuildManifest(input: $input) { id manifest }
}"""

DEPLOY_BUILD_TO_ENVIRONMENT = """mutation deployBuildToEnvironment($input: DeployBuildToEnvironmentInput!) {
  deployBuildToEnvironment(input: $input) {
    id
    name
    activeArtifact { objectKey downloadUrl expiresAt }
  }
}"""

CREATE_FLASH_APP = """mutation createFlashApp($input: CreateFlashAppInput!) {
  createFlashApp(input: $input) { id name }
}"""

CREATE_FLASH_ENVIRONMENT = """mutation createFlashEnvironment($input: CreateFlashEnvironmentInput!) {
  createFlashEnvironment(input: $input) { id name }
}"""

DELETE_FLASH_APP = """mutation deleteFlashApp($flashAppId: String!) {
  deleteFlashApp(flashAppId: $flashAppId)
}"""

DELETE_FLASH_ENVIRONMENT = """mutation deleteFlashEnvironment($flashEnvironmentId: String!) {
  deleteFlashEnvironment(flashEnvironmentId: $flashEnvironmentId)
}"""

# Login and the key check (runpod_flash/core/api/runpod.py and cli/commands/login.py, 1.21.0);
# the login operations are sent without a key.

CREATE_FLASH_AUTH_REQUEST = """
mutation createFlashAuthRequest {
    createFlashAuthRequest {
        id
        status
        expiresAt
    }
}
"""

FLASH_AUTH_REQUEST_STATUS = """
query flashAuthRequestStatus($flashAuthRequestId: String!) {
    flashAuthRequestStatus(flashAuthRequestId: $flashAuthRequestId) {
        id
        status
        expiresAt
        apiKey
    }
}
"""

MYSELF = """
query myself {
    myself {
        id
    }
}
"""
