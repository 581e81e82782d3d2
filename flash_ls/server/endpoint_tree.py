"""``flash.endpoints`` and ``flash.endpoint.request``: every app's endpoints as JSON, and the
request that calls one endpoint (or route) in the app's active environment.

The tree is what a client's endpoint view shows (name, kind, hardware, where it is declared, where
it is deployed, its routes, the SDK it is written for); the server sends ``flash/endpointsChanged``
when an app's tree changes. It lists the runpod_flash endpoints, then the resources of the app API
of ``runpod`` (``@app.queue/api/task`` on a ``runpod.App``, with the App's name), which flash-ls
neither deploys nor calls: they are never deployed in the tree, and a request for one is a
``NoRequest``. Requests come from :mod:`flash_ls.deploy.examples`, which the deploy's curl examples
come from too, with a resource built from the endpoint alone (another endpoint's mistake does not
keep this one from being called).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flash_ls import platform
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import Endpoint, EndpointKind, Route
from flash_ls.server import deploying, endpoints
from flash_ls.span import Span

ENDPOINTS = "flash.endpoints"
REQUEST = "flash.endpoint.request"
ENDPOINTS_CHANGED = "flash/endpointsChanged"
PLACEHOLDER_ID = "<endpoint-id>"

# (file, span) -> {"uri": ..., "range": {...}} in the client's position encoding
Locate = Callable[[Path, Span], dict[str, Any]]


class NoRequest(Exception):
    """The endpoint cannot be called (not served, no such route): one line for the user."""


def app_tree(app: App, root_uri: str, locate: Locate) -> dict[str, Any]:
    """One app of ``flash.endpoints``: its runpod_flash endpoints, then its app API resources."""
    environment, source = _environment(app)
    state = endpoints.deploy_state(app)
    return {
        "root": root_uri,
        "name": app.name,
        "environment": environment,
        "environmentSource": source,
        "endpoints": [
            *(_endpoint(e, state, locate) for e in app.endpoints),
            *(_endpoint(e, None, locate) for e in endpoints.app_api_resources(app)),
        ],
    }


def _environment(app: App) -> tuple[str | None, str | None]:
    try:
        return deploying.active_environment(app.root, {**os.environ, **app.environ})
    except (OSError, ValueError):
        return None, None


def _endpoint(
    endpoint: Endpoint, state: endpoints.DeployState | None, locate: Locate
) -> dict[str, Any]:
    """One endpoint; an app API resource also names its App and is never deployed (flash-ls
    keeps no deploy state for ``runpod.App``: ``.flash/`` is runpod_flash's)."""
    label = endpoint.key  # what the commands take as `endpoint`
    app_api = endpoints.is_app_api(endpoint)
    entry: dict[str, Any] = {"name": label, "label": label, "sdk": endpoint.sdk}
    if app_api:
        decl = endpoint.app_decl
        entry["app"] = endpoints.app_name_text(decl) if decl is not None else None
    entry.update(
        kind=endpoint.kind.value,
        kindLabel=endpoints.kind_label(endpoint),
        hardware=endpoints.hardware(endpoint).short,
        location=locate(endpoint.decl.file.path, endpoints.declaration_span(endpoint)),
        deployed=None if app_api else _deployed(label, state),
        routes=_routes(endpoint, locate),
    )
    return entry


def _routes(endpoint: Endpoint, locate: Locate) -> list[dict[str, Any]]:
    """Its routes; ``function`` is the function that serves one (an ``@app.api`` class's
    method)."""
    return [
        {
            "method": route.method.upper(),
            "path": _path_text(route),
            "function": route.handler_name,
            "location": locate(route.file.path, route.decorator.span),
        }
        for route in endpoint.routes
    ]


def _deployed(label: str, state: endpoints.DeployState | None) -> dict[str, Any] | None:
    url = state.urls.get(label) if state is not None else None
    if state is None or not url:
        return None
    return {
        "environment": state.environment,
        "url": url,
        "endpointId": state.ids.get(label),
        "deployedAt": state.deployed_at,
    }


def _path_text(route: Route) -> str:
    """The route's path; not a literal: its expression as written (``?``: none given)."""
    if route.path is not None:
        return route.path
    return route.path_expr.text if route.path_expr is not None else "?"


def route_key(route: Route) -> str | None:
    """``METHOD /path`` (None: the path is not a literal)."""
    return f"{route.method.upper()} {route.path}" if route.path is not None else None


# -- requests -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    endpoint: str
    route: str | None
    environment: str | None
    deployed: bool
    method: str
    url: str
    body: Any
    curl: str

    def json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"endpoint": self.endpoint}
        if self.route is not None:
            found["route"] = self.route
        found.update(
            environment=self.environment,
            deployed=self.deployed,
            method=self.method,
            url=self.url,
            body=self.body,
            curl=self.curl,
        )
        return found


def find_endpoint(app: App, name: str) -> Endpoint | None:
    """The endpoint ``flash.endpoints`` labels ``name`` (a runpod_flash endpoint before an app API
    resource of the same name)."""
    found = next((e for e in app.endpoints if e.key == name), None)
    if found is None:
        found = next((e for e in endpoints.app_api_resources(app) if e.key == name), None)
    return found


def request(app: App, endpoint: Endpoint, route: str | None = None) -> Request:
    """The request that calls ``endpoint`` (a load-balanced one: ``route``, else its first) in
    the app's active environment. Raises ``NoRequest`` when it cannot be called."""
    from flash_ls.deploy import examples

    label = endpoint.key
    if endpoints.is_app_api(endpoint):
        raise NoRequest(_app_api_refusal(endpoint))
    kind = endpoint.kind
    if kind not in (EndpointKind.QUEUE, EndpointKind.LOAD_BALANCED):
        raise NoRequest(f"'{label}' serves nothing to call ({endpoints.kind_label(endpoint)})")
    if route is not None and kind is not EndpointKind.LOAD_BALANCED:
        raise NoRequest(f"'{label}' is queue-based: it has no routes")
    environment, _ = _environment(app)
    state = endpoints.deploy_state(app)
    url = state.urls.get(label) if state is not None else None
    deployed = bool(url)
    lb = kind is EndpointKind.LOAD_BALANCED
    base = url or _placeholder(lb)
    values = examples.examples_for(app)  # one time budget for the whole request
    if not lb:
        call = examples.queue_call(app, _resource(endpoint, lb), base, examples=values)
    else:
        keys = [key for key in map(route_key, endpoint.routes) if key is not None]
        if not keys:
            raise NoRequest(f"'{label}' has no route with a literal path")
        wanted = _normal_route(route) if route is not None else keys[0]
        if wanted not in keys:
            raise NoRequest(f"'{label}' has no route {route}")
        found = examples.route_calls(
            app, _resource(endpoint, lb), base, examples=values, only=wanted
        )
        if not found:
            raise NoRequest(f"'{label}' has no route {route}")
        call = found[0]
    return Request(
        label, call.route, environment, deployed, call.method, call.url, call.body, call.curl
    )


def _app_api_refusal(endpoint: Endpoint) -> str:
    """Why an app API resource has no request: its calls go through the sentinel ``flash``
    endpoint with the App, environment and resource in headers, and flash-ls neither deploys it
    nor knows where it is deployed."""
    decl = endpoint.app_decl
    app = f" '{endpoints.app_name_text(decl)}'" if decl is not None else ""
    return (
        f"'{endpoint.key}' is a resource of {platform.APP_API_MODULE}.{platform.APP_CLASS}{app}: "
        f"flash-ls builds requests for {platform.SDK_MODULE} endpoints only"
    )


def _normal_route(route: str) -> str:
    method, _, path = route.strip().partition(" ")
    return f"{method.upper()} {path.strip()}"


def _placeholder(load_balanced: bool) -> str:
    from flash_ls.deploy.urls import ApiUrls, InvalidUrl

    try:
        urls = ApiUrls.from_environ(os.environ)
    except InvalidUrl:
        urls = ApiUrls()
    if load_balanced:
        return urls.load_balancer_url(PLACEHOLDER_ID)
    return urls.queue_url(PLACEHOLDER_ID)


def _resource(endpoint: Endpoint, load_balanced: bool) -> dict[str, Any]:
    """The manifest entry's parts the examples read, from this endpoint alone: its functions by
    name (the queue serves the first), each with its class methods and route."""
    from flash_ls.build.manifest import Function

    items = (
        [Function(r.definition.name, r.file, r.definition, endpoint, r) for r in endpoint.routes]
        if load_balanced
        else [Function(t.definition.name, t.file, t.definition, endpoint) for t in endpoint.targets]
    )
    # The scanner never imports __init__.py files (build_plan): what they declare is not served.
    items = sorted((f for f in items if f.source.path.name != "__init__.py"), key=lambda f: f.name)
    if not load_balanced:
        items = items[:1]
    functions = []
    for function in items:
        entry: dict[str, Any] = {"name": function.name, "is_class": function.is_class}
        if function.is_class:
            entry["class_methods"] = function.public_methods
        if function.route is not None:
            entry["http_method"] = function.route.method.upper()
            entry["http_path"] = function.route.path
            entry["file_path"] = function.source.rel
        functions.append(entry)
    file_path = items[0].source.rel if items else ""
    return {"file_path": file_path, "functions": functions}


def request_markdown(found: Request) -> list[str]:
    """Hover lines: where the request goes and its curl command (the key stays a variable)."""
    where = f" in `{found.environment}`" if found.environment else ""
    state = "" if found.deployed else f" (not deployed{where}: `{PLACEHOLDER_ID}` stands in)"
    head = f"**Request{where if found.deployed else ''}**{state}"
    return ["", head, "", f"`{found.method} {found.url}`", "", "```sh", found.curl, "```"]
