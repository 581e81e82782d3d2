"""Static values of ``Endpoint(...)`` arguments for the build, where "unknown" is an error.

Rules tolerate values they cannot know; the build cannot: a manifest with a guessed GPU list would
deploy the wrong thing. Every argument is followed to the module-level constant it names (also in
another file of the app, evaluated in that file so its own imports apply), and a value only known at
run time stops the build with a message that points at the argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flash_ls.build.errors import BuildError
from flash_ls.parse.facts import CallExpr, Expr, Literal, NameExpr, SequenceExpr
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import EndpointDecl
from flash_ls.project.evaluation import EnumValue, Unknown, evaluate

_MAX_DEPTH = 16


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""An argument that was not given (distinct from an explicit ``None``)."""


def where(source: SourceFile, expr: Expr) -> str:
    """``file.py:12`` for messages (1-based line)."""
    return f"{source.rel}:{expr.span.start_line + 1}"


def _has_unknown(value: object) -> bool:
    if isinstance(value, Unknown):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_unknown(item) for item in value)
    if isinstance(value, dict):
        return any(_has_unknown(k) or _has_unknown(v) for k, v in value.items())
    return False


def known_value(app: App, source: SourceFile, expr: Expr, what: str) -> object:
    """The value of ``expr``; a ``BuildError`` naming ``what`` when it is only known at run time."""
    target, followed = app.resolve_constant(source, expr)
    value = evaluate(app, target, followed)
    if _has_unknown(value):
        raise BuildError(
            f"{where(source, expr)}: {what} is `{expr.text}`, which flash-ls cannot evaluate "
            "without running your code; write it as a literal (or a module-level constant)"
        )
    return value


@dataclass(frozen=True)
class SdkCall:
    """A call of an SDK class such as ``NetworkVolume(...)``, with its keyword values."""

    source: SourceFile
    call: CallExpr
    keywords: Mapping[str, Expr]


def sdk_call(app: App, source: SourceFile, expr: Expr, sdk_name: str, what: str) -> SdkCall:
    """``expr`` as a call of ``runpod_flash.<sdk_name>`` (followed through constants), or BuildError."""
    target, followed = app.resolve_constant(source, expr)
    if (
        isinstance(followed, CallExpr)
        and isinstance(followed.func, NameExpr)
        and app.is_sdk_name(target, followed.func.dotted, sdk_name)
    ):
        if (
            followed.has_star_args
            or followed.args
            or any(k.name is None for k in followed.keywords)
        ):
            raise BuildError(
                f"{where(target, followed)}: {sdk_name}(...) must be called with keyword "
                "arguments only for flash-ls to read it"
            )
        keywords = {k.name: k.value for k in followed.keywords if k.name is not None}
        return SdkCall(target, followed, keywords)
    raise BuildError(
        f"{where(source, expr)}: {what} is `{expr.text}`; flash-ls expects a {sdk_name}(...) call "
        "(directly or through a module-level constant)"
    )


def sdk_calls(
    app: App, source: SourceFile, expr: Expr, sdk_name: str, what: str, *, many: bool = True
) -> list[SdkCall]:
    """No call (``None``), one ``sdk_name(...)`` call or, when ``many``, a list of them."""
    target, followed = app.resolve_constant(source, expr)
    if isinstance(followed, Literal) and followed.value is None:
        return []
    if many and isinstance(followed, SequenceExpr) and followed.kind == "list":
        if followed.has_star:
            raise BuildError(f"{where(source, expr)}: {what} uses `*`; list the values explicitly")
        return [sdk_call(app, target, item, sdk_name, what) for item in followed.items]
    return [sdk_call(app, source, expr, sdk_name, what)]


class Arguments:
    """The statically known arguments of one ``Endpoint(...)`` (or legacy resource) call."""

    def __init__(self, app: App, decl: EndpointDecl) -> None:
        self.app = app
        self.decl = decl
        call = decl.call
        calls = [call] if decl.resource_call is None else [call, decl.resource_call]
        for item in calls:
            if item.has_star_args or any(k.name is None for k in item.keywords):
                raise BuildError(
                    f"{where(decl.file, item)}: `{item.text.splitlines()[0]}` passes *args or "
                    "**kwargs; flash-ls reads endpoint settings only from explicit arguments"
                )

    def expr(self, name: str) -> Expr | None:
        return self.decl.argument(name)

    def get(self, name: str, default: object = MISSING) -> object:
        """The value given for ``name`` (``default`` when absent); BuildError when not static."""
        expr = self.expr(name)
        if expr is None:
            return default
        return known_value(self.app, self.decl.file, expr, f"`{name}`")

    def resource_get(self, name: str, default: object = MISSING) -> object:
        """A keyword of the legacy resource config call (``LiveServerless(workersMax=3)``)."""
        call = self.decl.resource_call
        kw = call.keyword(name) if call is not None else None
        if kw is None:
            return default
        return known_value(self.app, self.decl.file, kw.value, f"`{name}`")

    def where(self) -> str:
        return where(self.decl.file, self.decl.call)


def enum_member(value: object, enum: str) -> str | None:
    """The member name when ``value`` is ``<enum>.<member>``."""
    if isinstance(value, EnumValue) and value.enum == enum:
        return value.member
    return None
