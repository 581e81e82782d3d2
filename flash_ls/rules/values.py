"""Statically known values of expressions, for rules. Unknown is a value, never a guess."""

from __future__ import annotations

from dataclasses import dataclass

from flash_ls.parse.facts import (
    CallExpr,
    Expr,
    Literal,
    MappingExpr,
    NameExpr,
    SequenceExpr,
)
from flash_ls.project.app import App, Endpoint, EndpointKind, SourceFile


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value only known at run time (``name=make_name()``)."""

    text: str

    def __bool__(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class EnumValue:
    """``GpuType.NVIDIA_L4`` however the enum was imported."""

    enum: str
    member: str

    def __str__(self) -> str:
        return f"{self.enum}.{self.member}"


Value = object  # str | int | float | bool | None | list | tuple | dict | EnumValue | Unknown


def evaluate(app: App, source: SourceFile, expr: Expr) -> Value:
    """The value ``expr`` has when the module is imported, or ``Unknown``."""
    # A constant from another file is evaluated where it is written (its names, its imports).
    source, expr = app.resolve_constant(source, expr)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, SequenceExpr):
        if expr.has_star:
            return Unknown(expr.text)
        items = [evaluate(app, source, item) for item in expr.items]
        if expr.kind == "tuple":
            return tuple(items)
        return items
    if isinstance(expr, MappingExpr):
        result: dict[object, object] = {}
        for key, value in expr.items:
            if key is None:
                return Unknown(expr.text)
            key_value = evaluate(app, source, key)
            if isinstance(key_value, (Unknown, list, dict)):
                return Unknown(expr.text)
            result[key_value] = evaluate(app, source, value)
        return result
    if isinstance(expr, NameExpr):
        member = app.enum_member(source, expr)
        if member is not None:
            return EnumValue(*member)
    return Unknown(expr.text)


def is_unknown(value: Value) -> bool:
    return isinstance(value, Unknown)


def endpoint_name(app: App, endpoint: Endpoint) -> str | Unknown | None:
    """The resource name the build groups by (``Endpoint.name``).

    A queue endpoint without ``name`` takes its function's name (only ``None`` does that, ``""``
    stays empty). ``None`` is returned when there is no name at all.
    """
    expr = endpoint.name_expr
    if expr is None:
        if endpoint.kind is EndpointKind.QUEUE and endpoint.targets:
            return endpoint.targets[0].definition.name
        return None
    value = evaluate(app, endpoint.decl.file, expr)
    if value is None and endpoint.kind is EndpointKind.QUEUE and endpoint.targets:
        return endpoint.targets[0].definition.name
    if isinstance(value, str):
        return value
    if isinstance(value, Unknown):
        return value
    return Unknown(expr.text)


def endpoint_label(app: App, endpoint: Endpoint) -> str:
    """How messages name an endpoint: by name, else its variable, else its function."""
    name = endpoint_name(app, endpoint)
    if isinstance(name, str):
        return f"endpoint '{name}'"
    if endpoint.decl.variable:
        return f"endpoint '{endpoint.decl.variable}'"
    if endpoint.targets:
        return f"the endpoint of '{endpoint.targets[0].definition.name}'"
    return "this endpoint"


def call_keyword_value(app: App, source: SourceFile, call: CallExpr, name: str) -> Value | None:
    """The evaluated value of keyword ``name`` of ``call``; None when it is not given."""
    kw = call.keyword(name)
    if kw is None:
        return None
    return evaluate(app, source, kw.value)
