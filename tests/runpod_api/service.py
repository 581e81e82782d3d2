"""The emulated Runpod account: in-memory state and what each operation does to it.

Nothing here knows about HTTP. :class:`Account` answers GraphQL root fields (``query``/
``mutation``), the REST network-volume calls, the presigned artifact PUT/GET and the data-plane
health check; the server (server.py) turns requests into these calls. Every method runs under
one lock, so the official CLI's parallel ``saveEndpoint`` calls see a consistent account.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import random
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .graphql import GraphQLError

MAX_TARBALL_BYTES = 1500 * 1024 * 1024  # MAX_TARBALL_SIZE_MB in runpod_flash constants
GZIP_MAGIC = b"\x1f\x8b"
UPLOAD_URL_TTL = 3600.0  # seconds a presigned upload/download URL stays valid
AUTH_REQUEST_TTL = 600.0  # seconds a login request stays open
# Injected once into a load-balanced endpoint's template when it is created (the client keeps
# them across template updates, serverless.py::_preserve_platform_env). The values are a guess.
LB_PLATFORM_ENV = (("PORT", "80"), ("PORT_HEALTH", "80"))
DATA_CENTERS = frozenset(
    {
        "US-CA-2",
        "US-IL-1",
        "US-KS-2",
        "US-MO-1",
        "US-MO-2",
        "US-NC-2",
        "US-NE-1",
        "US-WA-1",
        "EU-CZ-1",
        "EU-RO-1",
        "EUR-NO-1",
    }
)
# saveEndpoint fields whose change makes a new endpoint version (workers are recreated); the
# client's _has_structural_changes docstring lists them.
VERSIONED_FIELDS = (
    "templateId",
    "gpuIds",
    "gpuCount",
    "allowedCudaVersions",
    "minCudaVersion",
    "instanceIds",
    "locations",
    "networkVolumeId",
    "networkVolumeIds",
    "flashBootType",
)
# Root fields a caller may use without an API key (the login flow has none yet).
PUBLIC_FIELDS = frozenset({"createFlashAuthRequest", "flashAuthRequestStatus"})


def iso(epoch: float) -> str:
    """Timestamps as the API writes them: ISO 8601, UTC, milliseconds, ``Z``."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Clock:
    """Wall time plus an offset tests can advance (expiring URLs and login requests)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class App:
    id: str
    name: str
    created_at: float


@dataclass
class Environment:
    id: str
    app_id: str
    name: str
    created_at: float
    state: str = "PENDING"
    active_build_id: str | None = None


@dataclass
class Build:
    id: str
    app_id: str
    object_key: str
    manifest: Any
    created_at: float


@dataclass
class Template:
    id: str
    fields: dict[str, Any]  # name, imageName, containerDiskInGb, env [{key, value}], ...
    created_at: float


@dataclass
class Endpoint:
    id: str
    fields: dict[str, Any]  # every saved EndpointInput field but id and template
    ai_key: str
    created_at: float
    version: int = 0


@dataclass
class NetworkVolume:
    id: str
    name: str
    size: int
    data_center_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "dataCenterId": self.data_center_id,
        }


@dataclass
class PreparedUpload:
    object_key: str
    app_id: str
    size: int
    expires: float


@dataclass
class StoredObject:
    key: str
    data: bytes
    content_type: str | None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class AuthRequest:
    id: str
    expires: float
    status: str = "PENDING"
    api_key: str | None = None


@dataclass
class HttpAnswer:
    """A non-GraphQL answer: status, JSON (or raw bytes) body, extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


def _s3_error(status: int, code: str, message: str) -> HttpAnswer:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return HttpAnswer(status, raw=xml.encode(), headers={"Content-Type": "application/xml"})


class Account:
    """One Runpod account (one user, one API key) as the Flash CLI sees it."""

    def __init__(self, *, api_key: str, base_url: Callable[[], str], seed: int = 0) -> None:
        self.api_key = api_key
        self._base_url = base_url
        self.clock = Clock()
        self.lock = threading.RLock()
        self._rng = random.Random(seed)
        self._secret = self._rng.randbytes(32)
        self.user_id = "user_" + self._token(24, string.ascii_letters + string.digits)
        self.apps: dict[str, App] = {}
        self.environments: dict[str, Environment] = {}
        self.builds: dict[str, Build] = {}
        self.templates: dict[str, Template] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.volumes: dict[str, NetworkVolume] = {}
        self.uploads: dict[str, PreparedUpload] = {}
        self.objects: dict[str, StoredObject] = {}
        self.auth_requests: dict[str, AuthRequest] = {}
        self.auto_approve_login = False

    # -- ids ----------------------------------------------------------------------------------

    def _token(self, length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- GraphQL ------------------------------------------------------------------------------

    def resolve(self, root: str, name: str, args: dict[str, Any]) -> Any:
        """The value of root field ``name`` (``root`` is ``Query`` or ``Mutation``)."""
        with self.lock:
            return getattr(self, f"_{root.lower()}_{name}")(**args)

    # Queries ------------------------------------------------------------------------------

    def _query_myself(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "flashApps": lambda _args: [self._app_obj(a) for a in self.apps.values()],
            "endpoint": lambda args: self._endpoint_obj_or_none(args["id"]),
            "endpoints": lambda _args: [self._endpoint_obj(e) for e in self.endpoints.values()],
        }

    def _query_podTemplate(self, id: str) -> dict[str, Any]:
        template = self.templates.get(id)
        if template is None:
            raise GraphQLError("Template not found", code="NOT_FOUND")
        return self._template_obj(template)

    def _query_gpuTypes(self, input: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        ids = (input or {}).get("ids") or []
        return [
            {"id": gpu, "displayName": gpu, "lowestPrice": lambda _a: {"stockStatus": "High"}}
            for gpu in ids
        ]

    def _query_cpuFlavors(self, input: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        flavor = (input or {}).get("id")
        if not flavor:
            return []
        return [{"id": flavor, "specifics": lambda _a: {"stockStatus": "High"}}]

    def _query_flashApp(self, flashAppId: str) -> dict[str, Any]:
        app = self.apps.get(flashAppId)
        if app is None:
            raise GraphQLError("Flash app not found", code="NOT_FOUND")
        return self._app_obj(app)

    def _query_flashAppByName(self, flashAppName: str) -> dict[str, Any]:
        # The client tells "missing" from "broken" by the words "app not found" (app.py).
        for app in self.apps.values():
            if app.name == flashAppName:
                return self._app_obj(app)
        raise GraphQLError("Flash app not found", code="NOT_FOUND")

    def _query_flashEnvironment(self, flashEnvironmentId: str) -> dict[str, Any]:
        env = self.environments.get(flashEnvironmentId)
        if env is None:
            raise GraphQLError("Flash environment not found", code="NOT_FOUND")
        return self._env_obj(env)

    def _query_flashEnvironmentByName(self, input: dict[str, Any]) -> dict[str, Any]:
        self._app(input["flashAppId"])
        env = self._env_named(input["flashAppId"], input["name"])
        if env is None:
            raise GraphQLError("Flash environment not found", code="NOT_FOUND")
        return self._env_obj(env)

    def _query_flashBuild(self, flashBuildId: str) -> dict[str, Any]:
        build = self.builds.get(flashBuildId)
        if build is None:
            raise GraphQLError("Flash build not found", code="NOT_FOUND")
        return self._build_obj(build)

    def _query_flashAuthRequestStatus(self, flashAuthRequestId: str) -> dict[str, Any]:
        request = self.auth_requests.get(flashAuthRequestId)
        if request is None:
            raise GraphQLError("Flash auth request not found", code="NOT_FOUND")
        if request.status == "PENDING" and self.clock.now() >= request.expires:
            request.status = "EXPIRED"
        if request.status == "PENDING" and self.auto_approve_login:
            request.status, request.api_key = "APPROVED", self.api_key
        answer = {
            "id": request.id,
            "status": request.status,
            "expiresAt": iso(request.expires),
            "apiKey": request.api_key,
        }
        if request.status == "APPROVED":  # the key is handed out once
            request.status, request.api_key = "CONSUMED", None
        return answer

    # Mutations ----------------------------------------------------------------------------

    def _mutation_createFlashAuthRequest(self) -> dict[str, Any]:
        request = AuthRequest(self._uuid(), self.clock.now() + AUTH_REQUEST_TTL)
        self.auth_requests[request.id] = request
        return {"id": request.id, "status": request.status, "expiresAt": iso(request.expires)}

    def _mutation_createFlashApp(self, input: dict[str, Any]) -> dict[str, Any]:
        name = input["name"]
        if not name.strip():
            raise GraphQLError("Flash app name must not be empty", code="BAD_USER_INPUT")
        if any(a.name == name for a in self.apps.values()):
            raise GraphQLError(f"Flash app with name {name} already exists", code="BAD_USER_INPUT")
        app = App(self._uuid(), name, self.clock.now())
        self.apps[app.id] = app
        return self._app_obj(app)

    def _mutation_createFlashEnvironment(self, input: dict[str, Any]) -> dict[str, Any]:
        app = self._app(input["flashAppId"])
        name = input["name"]
        if not name.strip():
            raise GraphQLError("Flash environment name must not be empty", code="BAD_USER_INPUT")
        if self._env_named(app.id, name) is not None:
            raise GraphQLError(
                f"Flash environment with name {name} already exists", code="BAD_USER_INPUT"
            )
        env = Environment(self._uuid(), app.id, name, self.clock.now())
        self.environments[env.id] = env
        return self._env_obj(env)

    def _mutation_deleteFlashApp(self, flashAppId: str) -> None:
        app = self._app(flashAppId)
        for env in [e for e in self.environments.values() if e.app_id == app.id]:
            del self.environments[env.id]
        for build in [b for b in self.builds.values() if b.app_id == app.id]:
            del self.builds[build.id]
        del self.apps[app.id]

    def _mutation_deleteFlashEnvironment(self, flashEnvironmentId: str) -> None:
        if self.environments.pop(flashEnvironmentId, None) is None:
            raise GraphQLError("Flash environment not found", code="NOT_FOUND")

    def _mutation_prepareFlashArtifactUpload(self, input: dict[str, Any]) -> dict[str, Any]:
        app = self._app(input["flashAppId"])
        size = input["tarballSize"]
        if size <= 0:
            raise GraphQLError("tarballSize must be positive", code="BAD_USER_INPUT")
        if size > MAX_TARBALL_BYTES:
            raise GraphQLError(
                f"Tarball size {size} exceeds the maximum of {MAX_TARBALL_BYTES} bytes",
                code="BAD_USER_INPUT",
            )
        key = f"flash/{app.id}/builds/{self._uuid()}.tar.gz"
        expires = self.clock.now() + UPLOAD_URL_TTL
        self.uploads[key] = PreparedUpload(key, app.id, size, expires)
        return {
            "uploadUrl": self.presigned_url("PUT", key, expires, size),
            "objectKey": key,
            "expiresAt": iso(expires),
        }

    def _mutation_finalizeFlashArtifactUpload(self, input: dict[str, Any]) -> dict[str, Any]:
        app = self._app(input["flashAppId"])
        key = input["objectKey"]
        prepared = self.uploads.get(key)
        if prepared is None or prepared.app_id != app.id:
            raise GraphQLError("Unknown artifact object key", code="BAD_USER_INPUT")
        if key not in self.objects:
            raise GraphQLError(
                "Artifact not found in storage; upload it before finalizing", code="BAD_USER_INPUT"
            )
        if not isinstance(input["manifest"], dict):
            raise GraphQLError("manifest must be a JSON object", code="BAD_USER_INPUT")
        build = Build(self._uuid(), app.id, key, copy.deepcopy(input["manifest"]), self.clock.now())
        self.builds[build.id] = build
        return self._build_obj(build)

    def _mutation_updateFlashBuildManifest(self, input: dict[str, Any]) -> dict[str, Any]:
        build = self.builds.get(input["flashBuildId"])
        if build is None:
            raise GraphQLError("Flash build not found", code="NOT_FOUND")
        if not isinstance(input["manifest"], dict):
            raise GraphQLError("manifest must be a JSON object", code="BAD_USER_INPUT")
        build.manifest = copy.deepcopy(input["manifest"])
        return self._build_obj(build)

    def _mutation_deployBuildToEnvironment(self, input: dict[str, Any]) -> dict[str, Any]:
        env = self.environments.get(input["flashEnvironmentId"])
        if env is None:
            raise GraphQLError("Flash environment not found", code="NOT_FOUND")
        build = self.builds.get(input["flashBuildId"])
        if build is None or build.app_id != env.app_id:
            raise GraphQLError("Flash build not found", code="NOT_FOUND")
        env.active_build_id = build.id
        env.state = "DEPLOYED"
        return self._env_obj(env)

    def _mutation_saveTemplate(self, input: dict[str, Any] | None = None) -> dict[str, Any]:
        fields = dict(input or {})
        template_id = fields.pop("id", None)
        if template_id is None:
            template = Template(self._token(10), {}, self.clock.now())
            self.templates[template.id] = template
        elif template_id in self.templates:
            template = self.templates[template_id]
        else:
            raise GraphQLError("Template not found", code="NOT_FOUND")
        template.fields.update(copy.deepcopy(fields))
        return self._template_obj(template)

    def _mutation_saveEndpoint(self, input: dict[str, Any]) -> dict[str, Any]:
        fields = copy.deepcopy(input)
        endpoint_id = fields.pop("id", None)
        template_input = fields.pop("template", None)
        if template_input is not None and fields.get("templateId"):
            # The client's _payload_exclude: "RunPod rejects requests that contain both".
            raise GraphQLError(
                "Only one of template and templateId may be provided", code="BAD_USER_INPUT"
            )
        existing = None
        if endpoint_id is not None:
            existing = self.endpoints.get(endpoint_id)
            if existing is None:
                raise GraphQLError("Endpoint not found", code="NOT_FOUND")
        elif template_input is None and not fields.get("templateId"):
            raise GraphQLError(
                "A template or templateId is required to create an endpoint",
                code="BAD_USER_INPUT",
            )
        if fields.get("templateId") and fields["templateId"] not in self.templates:
            raise GraphQLError("Template not found", code="NOT_FOUND")
        env_id = fields.get("flashEnvironmentId")
        if env_id and env_id not in self.environments:
            raise GraphQLError("Flash environment not found", code="NOT_FOUND")
        for volume_id in self._volume_ids(fields):
            if volume_id not in self.volumes:
                raise GraphQLError(f"Network volume {volume_id} not found", code="NOT_FOUND")
        workers_min = fields.get("workersMin", existing.fields.get("workersMin") if existing else 0)
        workers_max = fields.get("workersMax", existing.fields.get("workersMax") if existing else 0)
        if workers_min is not None and workers_max is not None and workers_min > workers_max:
            raise GraphQLError(
                "workersMin cannot be greater than workersMax", code="BAD_USER_INPUT"
            )

        if template_input is not None:
            template = Template(
                self._token(10), self._template_fields(template_input), self.clock.now()
            )
            if fields.get("type") == "LB" and existing is None:
                present = {e["key"] for e in template.fields["env"]}
                template.fields["env"] += [
                    {"key": k, "value": v} for k, v in LB_PLATFORM_ENV if k not in present
                ]
            self.templates[template.id] = template
            fields["templateId"] = template.id

        if existing is None:
            endpoint = Endpoint(self._token(14), fields, self._ai_key(), self.clock.now())
            self.endpoints[endpoint.id] = endpoint
        else:
            endpoint = existing
            changed = any(
                key in fields and fields[key] != endpoint.fields.get(key)
                for key in VERSIONED_FIELDS
            )
            endpoint.fields.update(fields)
            if changed:
                endpoint.version += 1
        return self._endpoint_obj(endpoint)

    def _mutation_deleteEndpoint(self, id: str) -> None:
        if self.endpoints.pop(id, None) is None:
            raise GraphQLError("Endpoint not found", code="NOT_FOUND")

    # -- REST (network volumes) -----------------------------------------------------------

    def list_network_volumes(self) -> HttpAnswer:
        with self.lock:
            return HttpAnswer(200, [v.to_dict() for v in self.volumes.values()])

    def create_network_volume(self, body: Any) -> HttpAnswer:
        if not isinstance(body, dict):
            return HttpAnswer(400, {"error": "request body must be a JSON object"})
        unknown = sorted(set(body) - {"name", "size", "dataCenterId"})
        if unknown:
            return HttpAnswer(400, {"error": f"unknown fields: {', '.join(unknown)}"})
        name, size, dc = body.get("name"), body.get("size"), body.get("dataCenterId")
        if not isinstance(name, str) or not name.strip():
            return HttpAnswer(400, {"error": "name is required"})
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 4096:
            return HttpAnswer(400, {"error": "size must be an integer between 1 and 4096"})
        if dc not in DATA_CENTERS:
            return HttpAnswer(400, {"error": f"invalid dataCenterId: {dc!r}"})
        with self.lock:
            volume = NetworkVolume(self._token(10), name, size, dc)
            self.volumes[volume.id] = volume
            return HttpAnswer(200, volume.to_dict())

    # -- presigned storage ----------------------------------------------------------------

    def presigned_url(self, method: str, key: str, expires: float, size: int | None) -> str:
        signed_headers = "content-length;host" if size is not None else "host"
        query = (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            f"&X-Amz-Expires={int(UPLOAD_URL_TTL)}"
            f"&X-Amz-Date={int(expires - UPLOAD_URL_TTL)}"
            f"&X-Amz-SignedHeaders={signed_headers.replace(';', '%3B')}"
            f"&X-Amz-Signature={self._signature(method, key, expires, size)}"
        )
        return f"{self._base_url()}/storage/{key}?{query}"

    def _signature(self, method: str, key: str, expires: float, size: int | None) -> str:
        message = f"{method}\n{key}\n{int(expires)}\n{size}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _check_signature(
        self, method: str, key: str, query: dict[str, str], size: int | None
    ) -> HttpAnswer | None:
        try:
            expires = int(query["X-Amz-Date"]) + int(query["X-Amz-Expires"])
            signature = query["X-Amz-Signature"]
        except (KeyError, ValueError):
            return _s3_error(403, "AccessDenied", "Query-string authentication required")
        if not hmac.compare_digest(signature, self._signature(method, key, expires, size)):
            return _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided",
            )
        if self.clock.now() > expires:
            return _s3_error(403, "AccessDenied", "Request has expired")
        return None

    def check_upload(
        self, key: str, query: dict[str, str], length: int | None
    ) -> HttpAnswer | None:
        """Reasons to refuse a PUT before its body is read (``None``: read it)."""
        with self.lock:
            prepared = self.uploads.get(key)
        if prepared is None:
            return _s3_error(403, "AccessDenied", "Access Denied")
        if length is None:
            return _s3_error(
                411, "MissingContentLength", "You must provide the Content-Length HTTP header."
            )
        if length > MAX_TARBALL_BYTES:
            return _s3_error(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
            )
        # Content-Length is a signed header: the PUT must send the size prepare announced.
        return self._check_signature("PUT", key, query, length) or (
            None
            if length == prepared.size
            else _s3_error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided",
            )
        )

    def store_upload(self, key: str, data: bytes, content_type: str | None) -> HttpAnswer:
        if not data.startswith(GZIP_MAGIC):
            return _s3_error(400, "InvalidArgument", "The artifact is not a gzip file")
        with self.lock:
            self.objects[key] = StoredObject(key, data, content_type)
        etag = hashlib.md5(data).hexdigest()
        return HttpAnswer(200, raw=b"", headers={"ETag": f'"{etag}"'})

    def download(self, key: str, query: dict[str, str]) -> HttpAnswer:
        refused = self._check_signature("GET", key, query, None)
        if refused is not None:
            return refused
        with self.lock:
            stored = self.objects.get(key)
        if stored is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return HttpAnswer(200, raw=stored.data, headers={"Content-Type": "application/gzip"})

    # -- data plane -----------------------------------------------------------------------

    def health(self, endpoint_id: str) -> HttpAnswer:
        with self.lock:
            if endpoint_id not in self.endpoints:
                return HttpAnswer(404, {"error": "endpoint not found"})
        jobs = {"completed": 0, "failed": 0, "inProgress": 0, "inQueue": 0, "retried": 0}
        workers = {
            "idle": 0,
            "initializing": 0,
            "ready": 0,
            "running": 0,
            "throttled": 0,
            "unhealthy": 0,
        }
        return HttpAnswer(200, {"jobs": jobs, "workers": workers})

    # -- objects as the API shows them ----------------------------------------------------

    def _app(self, app_id: str) -> App:
        app = self.apps.get(app_id)
        if app is None:
            raise GraphQLError("Flash app not found", code="NOT_FOUND")
        return app

    def _env_named(self, app_id: str, name: str) -> Environment | None:
        for env in self.environments.values():
            if env.app_id == app_id and env.name == name:
                return env
        return None

    def _ai_key(self) -> str:
        return "aik_" + self._token(32, string.ascii_uppercase + string.digits)

    @staticmethod
    def _volume_ids(fields: dict[str, Any]) -> list[str]:
        ids = [fields["networkVolumeId"]] if fields.get("networkVolumeId") else []
        ids += [v["networkVolumeId"] for v in fields.get("networkVolumeIds") or []]
        return ids

    @staticmethod
    def _template_fields(template_input: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "name": "",
            "imageName": "",
            "containerDiskInGb": 5,
            "volumeInGb": 0,
            "dockerArgs": "",
            "env": [],
            "ports": "",
            "readme": "",
            "isServerless": True,
        }
        fields.update({k: v for k, v in template_input.items() if v is not None})
        fields["env"] = [dict(e) for e in fields.get("env") or []]
        return fields

    def _app_obj(self, app: App) -> dict[str, Any]:
        return {
            "id": app.id,
            "name": app.name,
            "createdAt": iso(app.created_at),
            "flashEnvironments": [
                self._env_obj(e) for e in self.environments.values() if e.app_id == app.id
            ],
            "flashBuilds": [self._build_obj(b) for b in self.builds.values() if b.app_id == app.id],
        }

    def _env_obj(self, env: Environment) -> dict[str, Any]:
        endpoints = [
            e for e in self.endpoints.values() if e.fields.get("flashEnvironmentId") == env.id
        ]
        volume_ids = dict.fromkeys(v for e in endpoints for v in self._volume_ids(e.fields))
        build = self.builds.get(env.active_build_id or "")
        artifact = None
        if build is not None:
            expires = self.clock.now() + UPLOAD_URL_TTL
            artifact = {
                "objectKey": build.object_key,
                "downloadUrl": self.presigned_url("GET", build.object_key, expires, None),
                "expiresAt": iso(expires),
            }
        return {
            "id": env.id,
            "name": env.name,
            "state": env.state,
            "activeBuildId": env.active_build_id,
            "createdAt": iso(env.created_at),
            "endpoints": [self._endpoint_obj(e) for e in endpoints],
            "networkVolumes": [self.volumes[v].to_dict() for v in volume_ids if v in self.volumes],
            "activeArtifact": artifact,
        }

    def _build_obj(self, build: Build) -> dict[str, Any]:
        return {
            "id": build.id,
            "objectKey": build.object_key,
            "createdAt": iso(build.created_at),
            "manifest": copy.deepcopy(build.manifest),
        }

    def _template_obj(self, template: Template) -> dict[str, Any]:
        return {"id": template.id, **copy.deepcopy(template.fields)}

    def _endpoint_obj_or_none(self, endpoint_id: str) -> dict[str, Any] | None:
        endpoint = self.endpoints.get(endpoint_id)
        return None if endpoint is None else self._endpoint_obj(endpoint)

    def _endpoint_obj(self, endpoint: Endpoint) -> dict[str, Any]:
        template = self.templates.get(endpoint.fields.get("templateId") or "")
        fields = copy.deepcopy(endpoint.fields)
        volumes = fields.pop("networkVolumeIds", None)
        return {
            **fields,
            "id": endpoint.id,
            "aiKey": endpoint.ai_key,
            "userId": self.user_id,
            "version": endpoint.version,
            "createdAt": iso(endpoint.created_at),
            "workersStandby": fields.get("workersMin"),
            "activeBuildid": None,
            "idePodId": None,
            "networkVolumeIds": [
                {
                    "networkVolumeId": v["networkVolumeId"],
                    "dataCenterId": self.volumes[v["networkVolumeId"]].data_center_id,
                }
                for v in volumes or []
                if v["networkVolumeId"] in self.volumes
            ],
            "template": None if template is None else self._template_obj(template),
        }
