"""Statically known values of expressions. Unknown is a value, never a guess.

Read by the endpoint model (``endpoint_model.py``), the rules, the build and the server alike: a
name is followed to the module-level constant it is bound to (also in another file of the app,
evaluated in that file so that its own imports apply); anything computed at run time is
``Unknown`` with its source text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flash_ls import platform
from flash_ls.parse.facts import (
    Expr,
    Literal,
    MappingExpr,
    NameExpr,
    SequenceExpr,
)

if TYPE_CHECKING:
    from flash_ls.project.app import App, SourceFile


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


def evaluate(app: App, source: SourceFile, expr: Expr, *, sdk: str = platform.SDK_MODULE) -> Value:
    """The value ``expr`` has when the module is imported, or ``Unknown``.

    Enum members are those of ``sdk`` (``runpod_flash``, or ``runpod`` for the app API).
    """
    # A constant from another file is evaluated where it is written (its names, its imports).
    source, expr = app.resolve_constant(source, expr)
    if isinstance(expr, Literal):
        return expr.value
    if isinstance(expr, SequenceExpr):
        if expr.has_star:
            return Unknown(expr.text)
        # A literal item is its value (no constant to resolve): long lists are mostly literals.
        items = [
            item.value if isinstance(item, Literal) else evaluate(app, source, item, sdk=sdk)
            for item in expr.items
        ]
        if expr.kind == "tuple":
            return tuple(items)
        return items
    if isinstance(expr, MappingExpr):
        result: dict[object, object] = {}
        for key, value in expr.items:
            if key is None:
                return Unknown(expr.text)
            key_value = evaluate(app, source, key, sdk=sdk)
            if isinstance(key_value, (Unknown, list, dict)):
                return Unknown(expr.text)
            result[key_value] = evaluate(app, source, value, sdk=sdk)
        return result
    if isinstance(expr, NameExpr):
        member = app.enum_member(source, expr, sdk=sdk)
        if member is not None:
            return EnumValue(*member)
    return Unknown(expr.text)
