"""The emulator's HTTP side: routes, authentication, scripted faults, the call log, snapshots."""

from __future__ import annotations

import copy
import json
import re
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from ..loopback import LoopbackServer
from . import graphql
from .graphql import GraphQLError, RequestError, Schema
from .service import PUBLIC_FIELDS, Account, HttpAnswer

SCHEMA = Schema.from_sdl((Path(__file__).parent / "schema.graphql").read_text())
DEFAULT_API_KEY = "rpa_EMULATOR0000000000000000000000000000000000000000"

# Where each service lives on the emulator's one port (the official CLI's URL variables).
GRAPHQL_PATH = "/graphql"
REST_PREFIX = "/rest/v1"
DATA_PLANE_PREFIX = "/v2"
STORAGE_PREFIX = "/storage/"
HAPI_PREFIX = "/hapi"
CONSOLE_PREFIX = "/console"

# Names of the calls that are not GraphQL operations, for fail() and the call log.
UPLOAD = "PUT /storage"
DOWNLOAD = "GET /storage"
HEALTH = "GET /health"
LIST_VOLUMES = "GET /networkvolumes"
CREATE_VOLUME = "POST /networkvolumes"

FAULT_KINDS = (
    "http5xx",
    "http500",
    "http502",
    "http503",
    "http429",
    "timeout",
    "reset",
    "malformed",
    "graphql_error",
)
MAX_HANG_SECONDS = 600.0
DRAIN_LIMIT = 64 * 1024 * 1024  # a refused upload body up to this size is read before answering

# Keys whose values are secrets: apiKey, aiKey, RUNPOD_API_KEY, HF_TOKEN, X-Amz-Signature, ...
_SECRET_KEY = re.compile(
    r"^(?:.*api_?key|ai_?key|.*secret.*|(?:.*_)?token|password|.*signature)$", re.IGNORECASE
)
REDACTED = "<redacted>"


@dataclass
class Fault:
    """A scripted failure of the next ``times`` calls named ``operation`` (see :meth:`fail`)."""

    operation: str
    kind: str
    times: int | None = 1  # None: every call until cleared
    status: int | None = None
    retry_after: float | None = None
    seconds: float = 30.0  # timeout: how long to hold the request before hanging up
    message: str | None = None
    after: bool = False  # apply the operation first, then fail the answer (a lost response)

    def matches(self, names: tuple[str, ...]) -> bool:
        return self.operation in names and (self.times is None or self.times > 0)


@dataclass
class Call:
    """One request the emulator answered (or failed on purpose), in arrival order."""

    operation: str | None  # GraphQL operation name (or its first root field), or UPLOAD, ...
    kind: str  # graphql, rest, storage, data-plane, other
    method: str
    path: str
    fields: tuple[str, ...] = ()  # GraphQL root fields
    variables: Any = None  # redacted copy (GraphQL variables, or the REST body)
    status: int | None = None  # None when the connection was dropped
    fault: str | None = None
    authorized: bool = True
    errors: list[str] = field(default_factory=list)  # GraphQL error messages answered


def redact(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """A deep copy with secrets replaced: keys that name one, ``{key, value}`` pairs whose key
    names one (template env), URL signatures, and any occurrence of a string in ``secrets``."""
    if isinstance(value, dict):
        if set(value) == {"key", "value"} and _SECRET_KEY.match(str(value["key"])):
            return {"key": value["key"], "value": REDACTED}
        return {
            k: REDACTED if _SECRET_KEY.match(k) and v is not None else redact(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, REDACTED)
        return re.sub(r"(X-Amz-Signature=)[0-9a-f]+", r"\1" + REDACTED, value)
    return value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: RunpodEmulator


class RunpodEmulator(LoopbackServer):
    """The Runpod API on 127.0.0.1 while started (``with RunpodEmulator() as api:``).

    ``api_key`` is the account's key (requests need ``Authorization: Bearer <it>``); ``seed``
    makes ids reproducible; ``port`` 0 is one the OS picks. ``api.env()`` gives the variables
    that point the official CLI (or flash-ls) at the emulator.
    """

    kind = "emulator"

    def __init__(self, *, api_key: str = DEFAULT_API_KEY, seed: int = 0, port: int = 0) -> None:
        super().__init__(port)
        self.account = Account(api_key=api_key, base_url=lambda: self.url, seed=seed)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._calls: list[Call] = []
        self._stopping = threading.Event()

    # -- running ----------------------------------------------------------------------------

    def _make_server(self, address: tuple[str, int]) -> _Server:
        server = _Server(address, _Handler)
        server.emulator = self
        return server

    def start(self) -> RunpodEmulator:
        self._stopping.clear()
        return super().start()

    def stop(self) -> None:
        self._stopping.set()  # releases requests held by a timeout fault
        super().stop()

    # -- pointing clients at it -------------------------------------------------------------

    @property
    def api_key(self) -> str:
        return self.account.api_key

    @property
    def graphql_url(self) -> str:
        return self.url + GRAPHQL_PATH

    def env(self, *, api_key: str | None = None) -> dict[str, str]:
        """Every URL variable of runpod_flash/core/urls.py (and runpod-python's data-plane one)
        pointed here, plus ``RUNPOD_API_KEY`` (``api_key=""`` leaves it out)."""
        env = {
            "RUNPOD_API_BASE_URL": self.url,
            "RUNPOD_REST_API_URL": self.url + REST_PREFIX,
            "RUNPOD_ENDPOINT_BASE_URL": self.url + DATA_PLANE_PREFIX,
            "RUNPOD_HAPI_URL": self.url + HAPI_PREFIX,
            "RUNPOD_CONSOLE_URL": self.url + CONSOLE_PREFIX,
        }
        key = self.api_key if api_key is None else api_key
        if key:
            env["RUNPOD_API_KEY"] = key
        return env

    # -- scripting ----------------------------------------------------------------------------

    def fail(
        self,
        operation: str,
        kind: str = "http500",
        *,
        times: int | None = 1,
        status: int | None = None,
        retry_after: float | None = None,
        seconds: float = 30.0,
        message: str | None = None,
        after: bool = False,
    ) -> Fault:
        """Fail the next ``times`` calls of ``operation`` (``None``: until :meth:`clear_faults`).

        ``operation`` is a GraphQL operation name (``saveEndpoint``, ``getFlashAppByName``) or
        root field (``flashAppByName``, ``prepareFlashArtifactUpload``), or :data:`UPLOAD`,
        :data:`DOWNLOAD`, :data:`HEALTH`, :data:`LIST_VOLUMES`, :data:`CREATE_VOLUME`. Kinds:

        - ``http500``/``http502``/``http503``, or ``http5xx`` with ``status``: that status and a
          GraphQL-style JSON error body;
        - ``http429``: 429 with ``Retry-After: retry_after`` (default 1);
        - ``timeout``: hold the request ``seconds`` (at most 600; released when the emulator
          stops), then close the connection without an answer;
        - ``reset``: close the connection with a TCP RST, no answer;
        - ``malformed``: 200 with a body that is not JSON;
        - ``graphql_error``: 200 with ``{"data": null, "errors": [{"message": message}]}``.

        ``after=True`` runs the operation before failing (the answer is lost, the change is
        made), as when a connection breaks after the server committed.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
        if kind == "http5xx" and status is None:
            raise ValueError("http5xx needs a status")
        fault = Fault(
            operation,
            kind,
            times,
            status,
            retry_after,
            min(seconds, MAX_HANG_SECONDS),
            message,
            after,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, names: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(names):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def approve_login(self, request_id: str | None = None, api_key: str | None = None) -> None:
        """Approve a pending ``flash login`` request (the latest one by default)."""
        with self.account.lock:
            requests = self.account.auth_requests
            request = requests[request_id] if request_id else list(requests.values())[-1]
            request.status, request.api_key = "APPROVED", api_key or self.api_key

    def deny_login(self, request_id: str | None = None) -> None:
        with self.account.lock:
            requests = self.account.auth_requests
            request = requests[request_id] if request_id else list(requests.values())[-1]
            request.status = "DENIED"

    @property
    def auto_approve_login(self) -> bool:
        """When true, the first status poll of a pending login request approves it."""
        return self.account.auto_approve_login

    @auto_approve_login.setter
    def auto_approve_login(self, value: bool) -> None:
        self.account.auto_approve_login = value

    # -- the call log ---------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def operations(self, kind: str | None = None) -> list[str]:
        """Operation names in arrival order (``kind``: only graphql, rest, storage, ...)."""
        return [c.operation or "?" for c in self.calls if kind is None or c.kind == kind]

    def count(self, operation: str) -> int:
        return sum(1 for c in self.calls if operation in (c.operation, *c.fields))

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    # -- the state ------------------------------------------------------------------------------

    def snapshot(self, *, normalize: bool = False, redacted: bool = True) -> dict[str, Any]:
        """The account as data: apps (environments with their endpoints' saved fields, builds),
        endpoints by id, templates, network volumes, stored objects. Secrets (the API key,
        aiKeys, secret-named env values) are redacted unless ``redacted=False``.

        ``normalize=True`` replaces generated ids, keys and timestamps by stable labels
        (``<endpoint:NAME>``, ``<env:APP/NAME>``, ``<build:APP#N>``, ...), so two runs of
        different clients that did the same things compare equal."""
        account = self.account
        with account.lock:
            endpoints = {e.id: _endpoint_view(account, e.id) for e in account.endpoints.values()}
            apps = {}
            for app in account.apps.values():
                envs = {}
                for env in account.environments.values():
                    if env.app_id != app.id:
                        continue
                    env_obj = account._env_obj(env)
                    envs[env.name] = {
                        "id": env.id,
                        "state": env.state,
                        "activeBuildId": env.active_build_id,
                        "endpoints": {e["name"]: endpoints[e["id"]] for e in env_obj["endpoints"]},
                        "networkVolumes": env_obj["networkVolumes"],
                    }
                builds = [
                    {"id": b.id, "objectKey": b.object_key, "manifest": copy.deepcopy(b.manifest)}
                    for b in account.builds.values()
                    if b.app_id == app.id
                ]
                apps[app.name] = {"id": app.id, "environments": envs, "builds": builds}
            state = {
                "apps": apps,
                "endpoints": endpoints,
                "templates": {t.id: {"id": t.id, **t.fields} for t in account.templates.values()},
                "networkVolumes": {v.id: v.to_dict() for v in account.volumes.values()},
                "objects": {
                    o.key: {"size": len(o.data), "sha256": o.sha256, "contentType": o.content_type}
                    for o in account.objects.values()
                },
            }
            labels = _labels(account) if normalize else {}
        if redacted:
            state = redact(state, (self.api_key,))
        return _relabel(state, labels) if labels else state

    def normalize(self, value: Any) -> Any:
        """``value`` (a call's variables, a manifest, ...) redacted, with the account's generated
        ids replaced by the labels :meth:`snapshot` uses."""
        with self.account.lock:
            labels = _labels(self.account)
        return _relabel(redact(value, (self.api_key,)), labels)

    def endpoint(self, name: str) -> dict[str, Any]:
        """The saved fields of the endpoint called ``name`` (exactly one must exist)."""
        with self.account.lock:
            found = [e.id for e in self.account.endpoints.values() if e.fields.get("name") == name]
            if len(found) != 1:
                raise LookupError(f"{len(found)} endpoints named {name!r}")
            return _endpoint_view(self.account, found[0])

    def object_bytes(self, key: str) -> bytes:
        """The stored artifact ``key`` (as uploaded)."""
        with self.account.lock:
            return self.account.objects[key].data

    # -- answering ----------------------------------------------------------------------------

    def _authorized(self, headers: dict[str, str]) -> bool:
        return headers.get("authorization", "") == f"Bearer {self.api_key}"

    def answer_graphql(
        self, body: bytes, headers: dict[str, str]
    ) -> tuple[Call, Fault | None, Any]:
        """Parse, fault-check, authenticate and run a GraphQL request.

        Returns the call record, the fault to apply (or None) and ``(status, json_body)``.
        """
        call = Call(None, "graphql", "POST", GRAPHQL_PATH)
        try:
            request = json.loads(body)
            if not isinstance(request, dict) or not isinstance(request.get("query"), str):
                raise ValueError("a GraphQL request is a JSON object with a query string")
            variables = request.get("variables") or {}
            if not isinstance(variables, dict):
                raise ValueError("variables must be a JSON object")
        except ValueError as exc:
            call.status = 400
            return (
                call,
                None,
                (400, {"errors": [{"message": f"POST body sent invalid JSON: {exc}"}]}),
            )
        call.variables = redact(variables, (self.api_key,))
        try:
            operations = graphql.parse(request["query"])
            name = request.get("operationName")
            chosen = [o for o in operations if name is None or o.name == name]
            if len(chosen) != 1:
                raise RequestError(
                    [
                        GraphQLError(
                            "Must provide operation name if query contains multiple operations."
                        )
                    ]
                )
            operation = chosen[0]
        except RequestError as exc:
            call.status = 400
            return call, None, (400, {"errors": [e.to_dict() for e in exc.errors]})
        call.fields = tuple(operation.root_fields)
        call.operation = operation.name or (call.fields[0] if call.fields else None)
        call.authorized = self._authorized(headers)
        fault = self._take_fault((call.operation or "", *call.fields))
        if fault is not None and not fault.after:
            return call, fault, None
        if not call.authorized and not set(call.fields) <= PUBLIC_FIELDS:
            # Like the real API: 401, which runpod-python reports as a bad key. The Flash
            # client does not retry it (only 5xx and transient messages are retried).
            call.status = 401
            return call, fault, (401, {"errors": [{"message": "Unauthorized"}]})
        status, answer = self._run(operation, variables)
        call.status = status
        call.errors = [e["message"] for e in answer.get("errors", [])]
        return call, fault, (status, answer)

    def _run(
        self, operation: graphql.Operation, variables: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        root = "Query" if operation.kind == "query" else "Mutation"
        try:
            graphql.validate(SCHEMA, operation)
            coerced = graphql.coerce_variables(SCHEMA, operation, variables)
        except RequestError as exc:
            return 400, {"errors": [e.to_dict() for e in exc.errors]}
        with self.account.lock:
            data, errors = graphql.execute(
                SCHEMA,
                operation,
                coerced,
                lambda name, args: self.account.resolve(root, name, args),
            )
        answer: dict[str, Any] = {"data": data}
        if errors:
            answer["errors"] = [e.to_dict() for e in errors]
        return 200, answer


def _endpoint_view(account: Account, endpoint_id: str) -> dict[str, Any]:
    endpoint = account.endpoints[endpoint_id]
    template = account.templates.get(endpoint.fields.get("templateId") or "")
    return {
        "id": endpoint.id,
        **copy.deepcopy(endpoint.fields),
        "aiKey": endpoint.ai_key,
        "version": endpoint.version,
        "template": None
        if template is None
        else {"id": template.id, **copy.deepcopy(template.fields)},
    }


def _labels(account: Account) -> dict[str, str]:
    """Generated id -> stable label, longest ids first (an object key contains an app id)."""
    labels: dict[str, str] = {account.user_id: "<user>"}
    app_names = {a.id: a.name for a in account.apps.values()}
    for app in account.apps.values():
        labels[app.id] = f"<app:{app.name}>"
        builds = [b for b in account.builds.values() if b.app_id == app.id]
        for n, build in enumerate(builds, 1):
            labels[build.id] = f"<build:{app.name}#{n}>"
            labels[build.object_key] = f"<object:{app.name}#{n}>"
    for env in account.environments.values():
        labels[env.id] = f"<env:{app_names.get(env.app_id, '?')}/{env.name}>"
    for endpoint in account.endpoints.values():
        name = endpoint.fields.get("name", "?")
        labels[endpoint.id] = f"<endpoint:{name}>"
        labels[endpoint.ai_key] = f"<aiKey:{name}>"
        template_id = endpoint.fields.get("templateId")
        if template_id:
            labels[template_id] = f"<template:{name}>"
    for volume in account.volumes.values():
        labels[volume.id] = f"<volume:{volume.name}@{volume.data_center_id}>"
    for key in account.uploads:
        labels.setdefault(key, "<object:unfinalized>")
    return dict(sorted(labels.items(), key=lambda item: -len(item[0])))


def _relabel(value: Any, labels: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {_relabel(k, labels): _relabel(v, labels) for k, v in value.items()}
    if isinstance(value, list):
        return [_relabel(v, labels) for v in value]
    if isinstance(value, str):
        for raw, label in labels.items():
            value = value.replace(raw, label)
    return value


# ---------------------------------------------------------------------------------------------
# HTTP


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as aiohttp and requests expect
    timeout = 120  # an idle kept-alive connection of a client that went away
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def emulator(self) -> RunpodEmulator:
        return self.server.emulator

    def _headers(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.headers.items()}

    def _length(self) -> int | None:
        value = self.headers.get("Content-Length")
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def _body(self) -> bytes:
        length = self._length()
        return self.rfile.read(length) if length else b""

    # -- dispatch -------------------------------------------------------------------------------

    def do_POST(self) -> None:
        self._dispatch()

    def do_GET(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query))
        try:
            if path == GRAPHQL_PATH and self.command == "POST":
                self._graphql()
            elif path.startswith(STORAGE_PREFIX) and self.command in ("PUT", "GET"):
                self._storage(path[len(STORAGE_PREFIX) :], query)
            elif path.rstrip("/") == REST_PREFIX + "/networkvolumes" and self.command in (
                "GET",
                "POST",
            ):
                self._rest_volumes()
            elif (
                m := re.fullmatch(re.escape(DATA_PLANE_PREFIX) + r"/([^/]+)/health", path)
            ) and self.command == "GET":
                self._health(m.group(1))
            else:
                body = self._body()
                call = Call(None, "other", self.command, path, variables=len(body), status=404)
                self.emulator._record(call)
                self._send(HttpAnswer(404, {"error": f"no route for {self.command} {path}"}))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- GraphQL ----------------------------------------------------------------------------

    def _graphql(self) -> None:
        call, fault, result = self.emulator.answer_graphql(self._body(), self._headers())
        if fault is not None:
            self._fault(call, fault)
            return
        status, answer = result
        self.emulator._record(call)
        self._send(HttpAnswer(status, answer))

    # -- REST -------------------------------------------------------------------------------

    def _rest_volumes(self) -> None:
        operation = CREATE_VOLUME if self.command == "POST" else LIST_VOLUMES
        raw = self._body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        call = Call(
            operation, "rest", self.command, REST_PREFIX + "/networkvolumes", variables=body
        )
        call.authorized = self.emulator._authorized(self._headers())

        def answer() -> HttpAnswer:
            if not call.authorized:
                return HttpAnswer(401, {"error": "Unauthorized"})
            if operation == CREATE_VOLUME:
                return self.emulator.account.create_network_volume(body)
            return self.emulator.account.list_network_volumes()

        self._answer(call, answer)

    # -- storage ----------------------------------------------------------------------------

    def _storage(self, key: str, query: dict[str, str]) -> None:
        account = self.emulator.account
        headers = self._headers()
        operation = UPLOAD if self.command == "PUT" else DOWNLOAD
        call = Call(operation, "storage", self.command, STORAGE_PREFIX + key)
        length = self._length() if "chunked" not in headers.get("transfer-encoding", "") else None
        call.variables = {
            "objectKey": key,
            "contentLength": length,
            "contentType": headers.get("content-type"),
        }

        def answer() -> HttpAnswer:
            if self.command == "GET":
                return account.download(key, query)
            refused = account.check_upload(key, query, length)
            if refused is not None:
                self._drain(length)
                return refused
            return account.store_upload(
                key, self.rfile.read(length or 0), headers.get("content-type")
            )

        self._answer(call, answer)

    def _drain(self, length: int | None) -> None:
        """Read a refused body so the answer is not lost to a RST; a large one is not read:
        the connection is closed after the answer, as S3 does."""
        self.close_connection = True
        if length is None:
            if "chunked" in self.headers.get("Transfer-Encoding", ""):
                self._drain_chunked()
            return
        if length > DRAIN_LIMIT:
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                return
            length -= len(chunk)

    def _drain_chunked(self) -> None:
        total = 0
        while total <= DRAIN_LIMIT:
            size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():  # trailers
                    pass
                return
            total += len(self.rfile.read(size + 2))  # the chunk and its CRLF

    # -- data plane -------------------------------------------------------------------------

    def _health(self, endpoint_id: str) -> None:
        call = Call(HEALTH, "data-plane", "GET", f"{DATA_PLANE_PREFIX}/{endpoint_id}/health")
        call.variables = {"endpointId": endpoint_id}
        call.authorized = self.emulator._authorized(self._headers())

        def answer() -> HttpAnswer:
            if not call.authorized:
                return HttpAnswer(401, {"error": "Unauthorized"})
            return self.emulator.account.health(endpoint_id)

        self._answer(call, answer)

    # -- answers and faults -----------------------------------------------------------------

    def _answer(self, call: Call, answer: Callable[[], HttpAnswer]) -> None:
        """Send what ``answer()`` gives for ``call`` (and log it), unless a fault scripted for
        ``call.operation`` fails it: before ``answer`` runs, or (``after=True``) once it ran."""
        fault = self.emulator._take_fault((call.operation or "",))
        if fault is not None and not fault.after:
            self._fault(call, fault)
            return
        result = answer()
        if fault is not None:
            self._fault(call, fault)
            return
        call.status = result.status
        self.emulator._record(call)
        self._send(result)

    def _send(self, answer: HttpAnswer) -> None:
        if answer.raw is not None:
            body = answer.raw
            headers = dict(answer.headers)
        else:
            body = json.dumps(answer.body).encode()
            headers = {"Content-Type": "application/json", **answer.headers}
        self.send_response(answer.status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _fault(self, call: Call, fault: Fault) -> None:
        call.fault = fault.kind
        kind = fault.kind
        if kind in ("timeout", "reset"):
            call.status = None  # no answer leaves (with after=True the operation did run)
            self.emulator._record(call)
            if kind == "timeout":
                self.emulator._stopping.wait(fault.seconds)
            self._drop()
            return
        if kind == "malformed":
            call.status = 200
            answer = HttpAnswer(
                200, raw=b'{"data": {"', headers={"Content-Type": "application/json"}
            )
        elif kind == "graphql_error":
            call.status = 200
            message = fault.message or "Something went wrong. Please try again later."
            call.errors = [message]
            answer = HttpAnswer(200, {"data": None, "errors": [{"message": message}]})
        elif kind == "http429":
            call.status = 429
            retry_after = 1 if fault.retry_after is None else fault.retry_after
            answer = HttpAnswer(
                429,
                {"errors": [{"message": fault.message or "Too Many Requests"}]},
                headers={"Retry-After": f"{retry_after:g}"},
            )
        else:
            status = fault.status or {"http500": 500, "http502": 502, "http503": 503}[kind]
            call.status = status
            message = fault.message or {502: "Bad Gateway", 503: "Service Unavailable"}.get(
                status, "Internal Server Error"
            )
            answer = HttpAnswer(status, {"errors": [{"message": message}]})
        self.emulator._record(call)
        self.close_connection = True
        self._send(answer)

    def _drop(self) -> None:
        """Hang up with a TCP RST (SO_LINGER 0), answering nothing."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # The descriptor closes (and the RST leaves) only once rfile, a file object made from
            # the socket, is closed too. wfile writes to the socket itself.
            self.rfile.close()
            self.connection.close()
        except OSError:
            pass
