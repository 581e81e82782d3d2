"""What parsing one file yields: a pure function of (path, text), independent of the rest of the app.

Names are kept as written; ``FileFacts.qualify`` maps them through the file's own imports, and the
project layer resolves what crosses files (``from common import api``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flash_ls.platform import SDK_EXPORT_SET, SDK_MODULE
from flash_ls.span import Span

# ---------------------------------------------------------------------------------------------
# Expressions: a static description of a value as written in source.


@dataclass(frozen=True, slots=True)
class Expr:
    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    value: str | int | float | bool | bytes | None


@dataclass(frozen=True, slots=True)
class SequenceExpr(Expr):
    kind: str  # "list" | "tuple" | "set"
    items: tuple[Expr, ...]
    has_star: bool = False


@dataclass(frozen=True, slots=True)
class MappingExpr(Expr):
    items: tuple[tuple[Expr | None, Expr], ...]  # key None for ``**spread``


@dataclass(frozen=True, slots=True)
class NameExpr(Expr):
    """A name or attribute chain: ``api``, ``GpuType.NVIDIA_L4``, ``rf.Endpoint``."""

    dotted: str


@dataclass(frozen=True, slots=True)
class Keyword:
    name: str | None  # None for ``**kwargs``
    value: Expr
    span: Span  # the whole ``name=value``
    name_span: Span


@dataclass(frozen=True, slots=True)
class CallExpr(Expr):
    func: Expr
    args: tuple[Expr, ...]
    keywords: tuple[Keyword, ...]
    has_star_args: bool = False

    def keyword(self, name: str) -> Keyword | None:
        for kw in self.keywords:
            if kw.name == name:
                return kw
        return None


@dataclass(frozen=True, slots=True)
class OtherExpr(Expr):
    """Anything whose value is only known at run time (calls aside): f-strings, operators, ..."""


# ---------------------------------------------------------------------------------------------
# Statements.


@dataclass(frozen=True, slots=True)
class ImportedName:
    name: str  # "Endpoint" / "*"; for ``import a.b`` the module itself ("a.b")
    alias: str | None
    span: Span

    @property
    def bound(self) -> str:
        """The name this import binds in the module namespace."""
        if self.alias:
            return self.alias
        return self.name.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Import:
    """``import a.b as c`` (module=None, names=[a.b]) or ``from .x import y`` (module="x", level=1)."""

    module: str | None
    names: tuple[ImportedName, ...]
    level: int
    span: Span  # the whole statement
    guarded: bool = False  # under ``if TYPE_CHECKING:`` or ``if __name__ == "__main__":``
    nested: bool = False  # inside if/try/with at module level (still runs at import)

    @property
    def is_from(self) -> bool:
        return self.module is not None or self.level > 0

    def top_level_modules(self) -> list[str]:
        """Top-level package names this import needs (``a`` for ``import a.b`` / ``from a.b import c``)."""
        if self.level:
            return []
        if self.module is not None:
            return [self.module.split(".", 1)[0]]
        return [n.name.split(".", 1)[0] for n in self.names]


@dataclass(frozen=True, slots=True)
class Binding:
    """A module-level name. ``kind``: import | function | class | assign | annotated | other."""

    name: str
    kind: str
    span: Span  # where the name is bound (the target)
    value: Expr | None = None  # assign/annotated: the right-hand side
    import_: Import | None = None
    imported: ImportedName | None = None


@dataclass(frozen=True, slots=True)
class NameUse:
    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class Method:
    name: str
    is_async: bool
    params: tuple[str, ...]
    span: Span  # the method name
    required_params: int = 0  # excluding self; for __init__
    decorators: tuple[Decorator, ...] = ()  # ``@runpod.post("/x")`` on an app API class


@dataclass(slots=True)
class Body:
    """What a function or class body does, for rules about the worker's view of it."""

    imports: list[Import] = field(default_factory=list)
    free_names: list[NameUse] = field(default_factory=list)  # loaded, never bound inside
    calls: list[CallSite] = field(default_factory=list)
    first_statement: Span | None = None  # after the docstring; where inserted imports go
    docstring_end: Span | None = None
    indent: str = "    "
    inline_body: bool = False  # ``def f(): return 1``


@dataclass(frozen=True, slots=True)
class CallSite:
    callee: str  # dotted text: "from_pretrained" is "AutoModel.from_pretrained"
    span: Span


@dataclass(frozen=True, slots=True)
class Decorator:
    expr: Expr
    span: Span  # without the ``@``


@dataclass(slots=True)
class Definition:
    """A module-level ``def``/``async def``/``class`` (decorated or not)."""

    name: str
    kind: str  # "function" | "class"
    is_async: bool
    span: Span  # the whole statement, decorators included
    name_span: Span
    decorators: list[Decorator]
    params: tuple[str, ...]  # functions: parameter names without self/*args/**kwargs
    body: Body
    methods: list[Method] = field(default_factory=list)  # classes
    def_line_span: Span | None = None  # ``def f(...):`` header, for code lens


@dataclass(frozen=True, slots=True)
class ModuleCall:
    """A call at module level outside a binding (``Endpoint(...)`` as a bare statement)."""

    call: CallExpr


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Suppression:
    line: int
    codes: frozenset[str] | None  # None: every rule
    span: Span  # the comment


def split_qualified(qualified: str) -> tuple[str, str]:
    """A qualified name (``FileFacts.qualify``, ``App.qualified``) as (module, attr), split at the
    last colon: an app file's module name comes from its path, which may hold a colon; a Python
    name never does."""
    module, _, attr = qualified.rpartition(":")
    return module, attr


@dataclass(slots=True)
class FileFacts:
    """Everything flash-ls needs from one file."""

    text_hash: str
    line_count: int
    imports: list[Import] = field(default_factory=list)  # module-level, in order
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    definitions: list[Definition] = field(default_factory=list)
    module_calls: list[ModuleCall] = field(default_factory=list)
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)
    suppressions: dict[int, Suppression] = field(default_factory=dict)
    file_suppressions: list[Suppression] = field(default_factory=list)
    mentions_flash: bool = False  # text mentions the SDK at all (prefilter)
    fully_parsed: bool = True  # False: only imports were extracted (prefiltered file)
    mentions_app_api: bool = False  # imports ``runpod`` and names ``App`` (app API prefilter)

    def binding(self, name: str) -> Binding | None:
        """The last module-level binding of ``name`` (what the module attribute ends up as)."""
        found = self.bindings.get(name)
        return found[-1] if found else None

    def _sdk_star_binds(self, bound: Binding | None) -> bool:
        """Whether a ``from runpod_flash import *`` that runs on import binds one of the SDK's
        exported names after ``bound`` (the name's last explicit binding, if any)."""
        for imp in reversed(self.imports):
            if (
                imp.module == SDK_MODULE
                and imp.level == 0
                and not imp.guarded
                and any(n.name == "*" for n in imp.names)
            ):
                return bound is None or bound.span < imp.span
        return False

    def qualify(self, dotted: str) -> str:
        """Map a dotted name through this file's imports: ``rf.Endpoint`` -> ``runpod_flash:Endpoint``.

        The result is ``module:attr.path`` for imported names (relative modules keep their dots;
        ``from runpod_flash import *`` imports the SDK's ``__all__``) and ``:name.path`` for names
        defined in this file or unknown.
        """
        head, _, rest = dotted.partition(".")
        bound = self.binding(head)
        if head in SDK_EXPORT_SET and self._sdk_star_binds(bound):
            return f"{SDK_MODULE}:{dotted}"
        if bound is None or bound.kind != "import" or bound.imported is None:
            return f":{dotted}"
        imp, name = bound.import_, bound.imported
        assert imp is not None
        if imp.is_from:
            module = "." * imp.level + (imp.module or "")
            tail = f".{rest}" if rest else ""
            return f"{module}:{name.name}{tail}"
        if name.alias:
            # ``import a.b as c``: c is the module a.b
            return f"{name.name}:{rest}"
        # ``import a.b``: ``a.b.c`` -> module a.b, attr c (longest imported module prefix)
        full = dotted
        best = head
        for other in self.bindings.get(head, []):
            imported = other.imported
            if imported and full.startswith(imported.name + ".") and len(imported.name) > len(best):
                best = imported.name
        attr = full[len(best) + 1 :] if len(full) > len(best) else ""
        return f"{best}:{attr}"
