"""How to call a deployed endpoint: URLs and curl examples whose JSON bodies come from the
served function's parameters (annotation or literal default -> an example value).

Queue-based: ``POST <url>/runsync`` with ``{"input": {...}}`` (a class with several methods
gets a ``"method"`` key, as the generated handler dispatches on it). Load-balanced: each route
``METHOD <url><path>``, path parameters filled in, a JSON body for POST/PUT/PATCH and the other
parameters in the query string for the other methods (GET, DELETE ...).

Values come from :mod:`flash_ls.project.annotations`: a parameter annotated with a class (a
pydantic model, a dataclass, a ``TypedDict``) of the app or of an installed package is filled in
field by field, within a time budget per call; past it, a class is ``{}``.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flash_ls.platform import API_KEY_ENV
from flash_ls.project.annotations import BUDGET, Examples, Where
from flash_ls.project.annotations import warm_up as warm_up_jedi
from flash_ls.project.app import App

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_PATH_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_SKIPPED = frozenset({"self", "cls", "request", "background_tasks"})


@dataclass(frozen=True)
class Call:
    """One way to call an endpoint: ``METHOD url``, the JSON body (None: none) and a curl command
    line; ``route`` is ``METHOD /path`` for a load-balanced route."""

    method: str
    url: str
    curl: str
    body: Any = None
    route: str | None = None


def examples_for(app: App, *, budget: float = BUDGET) -> Examples:
    """Example values for ``app``'s annotations: its interpreter and sources, one time budget."""
    texts = {source.path: source.text for source in app.files.values()}
    return Examples(app.root, _python(app), texts, budget=budget)


def warm_up(app: App) -> None:
    """Get class resolution for ``app`` ready in the background (the server, once per app)."""
    warm_up_jedi(app.root, _python(app))


def _python(app: App) -> Path | None:
    """The app's interpreter (``[tool.flash-ls] python``, its ``.venv`` ...), as pip's."""
    from flash_ls.project.sizes.resolution import interpreter_for

    try:
        return interpreter_for(app).path
    except (OSError, ValueError):
        return None


def queue_call(
    app: App, resource: Mapping[str, Any], url: str, *, examples: Examples | None = None
) -> Call:
    """``POST <url>/runsync`` with an input built from the first served function."""
    examples = examples or examples_for(app)
    target = f"{url}/runsync"
    body = {"input": _queue_input(app, resource, examples)}
    return Call("POST", target, _curl("POST", target, body), body)


def route_calls(
    app: App,
    resource: Mapping[str, Any],
    url: str,
    *,
    examples: Examples | None = None,
    only: str | None = None,
) -> list[Call]:
    """One call per route of a load-balanced resource, in the manifest's order (``only``: the
    route ``METHOD /path`` alone)."""
    examples = examples or examples_for(app)
    calls = []
    for function in resource.get("functions") or []:
        method = str(function.get("http_method") or "").upper()
        path = str(function.get("http_path") or "")
        if not method or not path:
            continue
        route = f"{method} {path}"
        if only is not None and route != only:
            continue
        params = _parameters(
            app, _file(resource, function), str(function.get("name")), None, examples
        )
        in_path = set(_PATH_PARAMETER.findall(path))
        rest = {k: v for k, v in params.items() if k not in in_path}
        target = f"{url}{_fill_path(path, params)}"
        body = None
        if method in BODY_METHODS:
            body = rest
        elif rest:
            target += "?" + _query(rest)
        calls.append(Call(method, target, _curl(method, target, body), body, route))
    return calls


def _fill_path(path: str, params: Mapping[str, Any]) -> str:
    return _PATH_PARAMETER.sub(lambda m: str(_plain(params.get(m.group(1), "1"))), path)


def _query(params: Mapping[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, _query_value(item)))
    return urlencode(pairs)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _queue_input(app: App, resource: Mapping[str, Any], examples: Examples) -> dict[str, Any]:
    functions = resource.get("functions") or []
    if not functions:
        return {}
    first = functions[0]
    if first.get("is_class"):
        methods = [str(m) for m in first.get("class_methods") or []]
        method = methods[0] if methods else None
        params = _parameters(app, _file(resource, first), str(first.get("name")), method, examples)
        return {"method": method, **params} if len(methods) > 1 else params
    return _parameters(app, _file(resource, first), str(first.get("name")), None, examples)


def _file(resource: Mapping[str, Any], function: Mapping[str, Any]) -> str:
    """The file defining ``function``: the resource's (a manifest's functions share one)."""
    return str(function.get("file_path") or resource.get("file_path") or "")


def _parameters(
    app: App, rel: str, name: str, method: str | None, examples: Examples
) -> dict[str, Any]:
    """Example values of the parameters of ``name`` (or its ``method``) in the file ``rel``."""
    source = app.files.get(rel)
    if source is None or source.text is None:
        return {}
    definition = next((d for d in source.facts.definitions if d.name == name), None)
    if definition is None:
        return {}
    lines = source.lines()
    text = "\n".join(lines[definition.span.start_line : definition.span.end_line + 1])
    try:
        node = ast.parse(text).body[0]
    except (SyntaxError, IndexError, ValueError, RecursionError):
        return {}
    if method is not None and isinstance(node, ast.ClassDef):
        node = next(
            (
                n
                for n in node.body
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == method
            ),
            node,
        )
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return {}
    where = Where(source.path, source.text, definition.span.start_line)
    return _examples(node.args, examples, where)


def _examples(args: ast.arguments, examples: Examples, where: Where) -> dict[str, Any]:
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    pairs = [
        *zip(positional, defaults, strict=True),
        *zip(args.kwonlyargs, args.kw_defaults, strict=True),
    ]
    found: dict[str, Any] = {}
    for arg, default in pairs:
        if arg.arg in _SKIPPED:
            continue
        found[arg.arg] = examples.value(arg.annotation, default, where)
    return found


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float)) else "1"


def _curl(method: str, url: str, body: Any | None) -> str:
    lines = [f"curl -X {method} {shlex.quote(url)}", f'  -H "Authorization: Bearer ${API_KEY_ENV}"']
    if body is not None:
        text = json.dumps(body, ensure_ascii=False).replace("'", "'\\''")
        lines.append('  -H "Content-Type: application/json"')
        lines.append(f"  -d '{text}'")
    return " \\\n".join(lines)
