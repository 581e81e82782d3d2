"""How to call a deployed endpoint: URLs and curl examples whose JSON bodies come from the
served function's parameters (annotation or literal default -> an example value).

Queue-based: ``POST <url>/runsync`` with ``{"input": {...}}`` (a class with several methods
gets a ``"method"`` key, as the generated handler dispatches on it). Load-balanced: each route
``METHOD <url><path>``, path parameters filled in, a JSON body for POST/PUT/PATCH.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flash_ls.project.app import App

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_PATH_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_EXAMPLES: Mapping[str, Any] = {
    "str": "text",
    "int": 1,
    "float": 1.0,
    "bool": True,
    "list": [],
    "List": [],
    "tuple": [],
    "Tuple": [],
    "set": [],
    "Sequence": [],
    "dict": {},
    "Dict": {},
    "Mapping": {},
    "bytes": "",
}
_SKIPPED = frozenset({"self", "cls", "request", "background_tasks"})


@dataclass(frozen=True)
class Call:
    """One way to call an endpoint: ``METHOD url`` and a curl command line."""

    method: str
    url: str
    curl: str


def queue_call(app: App, resource: Mapping[str, Any], url: str) -> Call:
    """``POST <url>/runsync`` with an input built from the first served function."""
    target = f"{url}/runsync"
    body = {"input": _queue_input(app, resource)}
    return Call("POST", target, _curl("POST", target, body))


def route_calls(app: App, resource: Mapping[str, Any], url: str) -> list[Call]:
    """One call per route of a load-balanced resource, in the manifest's order."""
    calls = []
    for function in resource.get("functions") or []:
        method = str(function.get("http_method") or "").upper()
        path = str(function.get("http_path") or "")
        if not method or not path:
            continue
        params = _parameters(app, resource, str(function.get("name")), None)
        in_path = set(_PATH_PARAMETER.findall(path))
        filled = _fill_path(path, params)
        target = f"{url}{filled}"
        body = {k: v for k, v in params.items() if k not in in_path}
        calls.append(
            Call(method, target, _curl(method, target, body if method in BODY_METHODS else None))
        )
    return calls


def _fill_path(path: str, params: Mapping[str, Any]) -> str:
    return _PATH_PARAMETER.sub(lambda m: str(_plain(params.get(m.group(1), "1"))), path)


def _queue_input(app: App, resource: Mapping[str, Any]) -> dict[str, Any]:
    functions = resource.get("functions") or []
    if not functions:
        return {}
    first = functions[0]
    if first.get("is_class"):
        methods = [str(m) for m in first.get("class_methods") or []]
        method = methods[0] if methods else None
        params = _parameters(app, resource, str(first.get("name")), method)
        return {"method": method, **params} if len(methods) > 1 else params
    return _parameters(app, resource, str(first.get("name")), None)


def _parameters(
    app: App, resource: Mapping[str, Any], name: str, method: str | None
) -> dict[str, Any]:
    """Example values of the parameters of ``name`` (or its ``method``) in the resource's file."""
    source = app.files.get(str(resource.get("file_path") or ""))
    if source is None or source.text is None:
        return {}
    definition = next((d for d in source.facts.definitions if d.name == name), None)
    if definition is None:
        return {}
    lines = source.text.splitlines()
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
    return _examples(node.args)


def _examples(args: ast.arguments) -> dict[str, Any]:
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
        found[arg.arg] = _example(arg.annotation, default)
    return found


def _example(annotation: ast.expr | None, default: ast.expr | None) -> Any:
    if default is not None:
        try:
            value = ast.literal_eval(default)
        except (ValueError, SyntaxError, TypeError, RecursionError):
            value = None
        if value is not None and _jsonable(value):
            return list(value) if isinstance(value, (tuple, set, frozenset)) else value
    return _from_annotation(annotation)


def _from_annotation(annotation: ast.expr | None) -> Any:
    if annotation is None:
        return "value"
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return _from_annotation(ast.parse(annotation.value, mode="eval").body)
        except SyntaxError:
            return "value"
    if isinstance(annotation, ast.BinOp):  # X | None
        return _from_annotation(annotation.left)
    if isinstance(annotation, ast.Subscript):
        outer = _name(annotation.value)
        if outer in ("Optional", "Union", "Annotated"):
            inner = annotation.slice
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return _from_annotation(first)
        if outer == "Literal":
            inner = annotation.slice
            first = inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
            return first.value if isinstance(first, ast.Constant) else "value"
        return _EXAMPLES.get(outer, {})
    name = _name(annotation)
    if name in _EXAMPLES:
        return _EXAMPLES[name]
    return {} if name and name[:1].isupper() else "value"  # a model class: an object


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(list(value) if isinstance(value, (set, frozenset)) else value)
    except (TypeError, ValueError):
        return False
    return True


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float)) else "1"


def _curl(method: str, url: str, body: Any | None) -> str:
    lines = [f"curl -X {method} {url}", '  -H "Authorization: Bearer $RUNPOD_API_KEY"']
    if body is not None:
        text = json.dumps(body, ensure_ascii=False).replace("'", "'\\''")
        lines.append('  -H "Content-Type: application/json"')
        lines.append(f"  -d '{text}'")
    return " \\\n".join(lines)
