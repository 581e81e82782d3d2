"""Example values of parameter annotations, classes filled in field by field.

``str`` -> ``"text"``, ``int`` -> ``1``, ``list[...]`` -> ``[]``, ``Optional[X]`` -> X's value ...
An annotation naming a class (a pydantic ``BaseModel``, a dataclass, a ``TypedDict``, an ``Enum``)
is resolved with jedi, in the app (its sources as the editor holds them) or in an installed
package of the app's interpreter, and becomes an object of its fields: literal defaults, else the
fields' own annotations, recursively (bounded depth, a class inside itself is ``{}``).

jedi is imported when a class is first looked up, runs on one thread of its own, and has a time
budget per :class:`Examples`: whatever it cannot answer in time, or at all, falls back to the
value the annotation's name alone gives (``{}`` for a capitalised name).
"""

from __future__ import annotations

import ast
import copy
import json
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

BUDGET = 2.0  # seconds of jedi per Examples (one request)
MAX_DEPTH = 4  # classes inside classes
SCALARS: Mapping[str, Any] = {
    "str": "text",
    "int": 1,
    "float": 1.0,
    "bool": True,
    "list": [],
    "List": [],
    "tuple": [],
    "Tuple": [],
    "set": [],
    "Set": [],
    "frozenset": [],
    "FrozenSet": [],
    "Sequence": [],
    "Iterable": [],
    "dict": {},
    "Dict": {},
    "Mapping": {},
    "bytes": "",
    "datetime": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00",
    "UUID": "00000000-0000-0000-0000-000000000000",
    "Decimal": 1.0,
}
_SEQUENCES = frozenset(name for name, value in SCALARS.items() if value == [])
_WRAPPERS = frozenset(
    {"Optional", "Union", "Annotated", "Required", "NotRequired", "ReadOnly", "Final"}
)
_NOT_CLASSES = frozenset({"Any", "object", "None", "Self", "Callable", "Type", "type"})
_PYDANTIC_BASES = frozenset({"BaseModel", "BaseSettings"})  # not RootModel: no fields
_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})
_PLAIN_BASES = frozenset({"object", "Generic", "Protocol", "ABC"})
_PROBE = "__flash_ls_probe__"


@dataclass(frozen=True)
class Where:
    """The file an annotation is written in: ``lineno`` of its nodes counts from ``first_line``
    (0-based) of ``code``; ``probe`` when node positions are not in ``code`` (a string annotation)."""

    path: Path | None
    code: str | None
    first_line: int = 0
    probe: bool = False


@dataclass(frozen=True)
class _ClassRef:
    path: Path
    line: int  # 1-based, the line of the class name


@dataclass
class _Model:
    kind: str  # "pydantic" | "dataclass" | "typeddict" | "enum"
    fields: dict[str, Any]


class Examples:
    """Example values for the annotations of one app (one request: one time budget).

    ``root`` is the app root (jedi's project), ``python`` its interpreter (None: the one running
    flash-ls), ``texts`` the app's sources by path (open buffers win over the disk).
    """

    def __init__(
        self,
        root: Path | None = None,
        python: Path | None = None,
        texts: Mapping[Path, str | None] | None = None,
        *,
        budget: float = BUDGET,
        resolve: bool = True,
    ) -> None:
        self.root = root
        self.python = python
        self.texts = dict(texts or {})
        self.resolve = resolve and root is not None
        self._deadline = time.monotonic() + budget
        self._trees: dict[Path, ast.Module | None] = {}
        self._models: dict[_ClassRef, _Model | None] = {}

    # -- values --------------------------------------------------------------------------------

    def value(self, annotation: ast.expr | None, default: ast.expr | None, where: Where) -> Any:
        """The example value of a parameter (or field): its literal default, else its annotation's."""
        return self._value(annotation, default, where, 0, frozenset())

    def _value(
        self,
        annotation: ast.expr | None,
        default: ast.expr | None,
        where: Where,
        depth: int,
        seen: frozenset[_ClassRef],
    ) -> Any:
        if default is not None:
            found = literal(default)
            if found is not None:
                return found
        return self._annotation(annotation, where, depth, seen)

    def _annotation(
        self, node: ast.expr | None, where: Where, depth: int, seen: frozenset[_ClassRef]
    ) -> Any:
        if node is None:
            return "value"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                inner = ast.parse(node.value.strip(), mode="eval").body
            except (SyntaxError, ValueError, RecursionError):
                return "value"
            return self._annotation(inner, replace(where, probe=True), depth, seen)
        if isinstance(node, ast.BinOp):  # X | None
            left_none = isinstance(node.left, ast.Constant) and node.left.value is None
            return self._annotation(node.right if left_none else node.left, where, depth, seen)
        if isinstance(node, ast.Subscript):
            outer = name_of(node.value)
            items = _subscript_items(node)
            if outer in _WRAPPERS:
                first = next(
                    (i for i in items if not (isinstance(i, ast.Constant) and i.value is None)),
                    None,
                )
                return self._annotation(first, where, depth, seen)
            if outer == "Literal":
                first = items[0] if items else None
                return first.value if isinstance(first, ast.Constant) else "value"
            if outer in _SEQUENCES and items and self._class_like(items[0]):
                item = self._annotation(items[0], where, depth, seen)
                return [item] if item not in ({}, "value") else []  # a class it found: one
            return copy.deepcopy(SCALARS.get(outer, {}))
        name = name_of(node)
        if name in SCALARS:
            return copy.deepcopy(SCALARS[name])
        if self._class_like(node):
            model = self._model_of(node, where, depth, seen)
            if model is not None:
                return model
        return {} if name and name[:1].isupper() else "value"  # a class: an object

    def _class_like(self, node: ast.expr) -> bool:
        name = name_of(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return True
        return bool(name) and name not in SCALARS and name not in _NOT_CLASSES

    # -- classes ---------------------------------------------------------------------------------

    def _model_of(
        self, node: ast.expr, where: Where, depth: int, seen: frozenset[_ClassRef]
    ) -> Any | None:
        """The example of the class ``node`` names: its fields (an enum: its first value)."""
        if not self.resolve or where.path is None or where.code is None:
            return None
        try:
            ref = self._locate(node, where)
            if ref is None:
                return None
            if ref in seen or depth >= MAX_DEPTH:
                return {}
            model = self._model(ref, depth, seen)
        except Exception:  # code jedi found that this reading does not expect: no class
            log.debug("reading the class %s failed", ast.unparse(node), exc_info=True)
            return None
        if model is None:
            return None
        if model.kind == "enum":
            return next(iter(model.fields.values()), "value")
        return dict(model.fields)

    def _model(self, ref: _ClassRef, depth: int, seen: frozenset[_ClassRef]) -> _Model | None:
        if ref in self._models:
            return self._models[ref]
        self._models[ref] = None  # a class deriving from itself, through jedi's eyes
        found = self._read_model(ref, depth, seen | {ref})
        self._models[ref] = found
        return found

    def _read_model(self, ref: _ClassRef, depth: int, seen: frozenset[_ClassRef]) -> _Model | None:
        code = self._code(ref.path)
        tree = self._tree(ref.path, code)
        if code is None or tree is None:
            return None
        node = next(
            (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.lineno == ref.line),
            None,
        )
        if node is None:
            return None
        where = Where(ref.path, code)
        kind = "dataclass" if any(_is_dataclass(d) for d in node.decorator_list) else None
        fields: dict[str, Any] = {}
        for base in node.bases:
            base_name = name_of(base.value if isinstance(base, ast.Subscript) else base)
            if base_name in _PYDANTIC_BASES:
                kind = kind or "pydantic"
            elif base_name == "TypedDict":
                kind = kind or "typeddict"
            elif base_name in _ENUM_BASES:
                kind = "enum"
            elif base_name and base_name not in _PLAIN_BASES:
                target = base.value if isinstance(base, ast.Subscript) else base
                base_ref = self._locate(target, where)
                if base_ref is None or base_ref in seen:
                    continue
                inherited = self._model(base_ref, depth, seen)
                if inherited is not None:
                    kind = kind or inherited.kind
                    fields.update(inherited.fields)
        if kind is None:
            return None
        if kind == "enum":
            return _Model(kind, _enum_values(node) or fields)
        for statement in node.body:
            if not isinstance(statement, ast.AnnAssign) or not isinstance(
                statement.target, ast.Name
            ):
                continue
            name = statement.target.id
            if name_of(_unwrapped(statement.annotation)) in ("ClassVar", "KW_ONLY", "InitVar"):
                continue
            if kind == "pydantic" and (name.startswith("_") or name == "model_config"):
                continue
            default, key = _field_default(statement.value, name)
            fields[key] = self._value(statement.annotation, default, where, depth + 1, seen)
        return _Model(kind, fields)

    def _code(self, path: Path) -> str | None:
        if path in self.texts:
            return self.texts[path]
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def _tree(self, path: Path, code: str | None) -> ast.Module | None:
        if path not in self._trees:
            try:
                self._trees[path] = ast.parse(code) if code is not None else None
            except (SyntaxError, ValueError, RecursionError):
                self._trees[path] = None
        return self._trees[path]

    # -- jedi ------------------------------------------------------------------------------------

    def _locate(self, node: ast.expr, where: Where) -> _ClassRef | None:
        """The class ``node`` names in ``where``, found by jedi (None: not a class, or no answer)."""
        assert where.path is not None and where.code is not None
        path, code = where.path, where.code
        position = None if where.probe else _position(node, where)
        if position is None:
            text = ast.unparse(node)
            code = f"{code.rstrip()}\n{_PROBE} = {text}\n"
            position = (code.count("\n"), len(_PROBE) + 3 + len(text) - len(name_of(node)))
        line, column = position
        root, python = self.root, self.python
        assert root is not None

        def find() -> tuple[Path, int] | None:
            return _goto_class(root, python, path, code, line, column)

        found = self._run(find)
        return _ClassRef(found[0], found[1]) if found is not None else None

    def _run(self, work: Callable[[], T]) -> T | None:
        """``work()`` on jedi's thread, within the budget (None: no time left, or it failed)."""
        remaining = self._deadline - time.monotonic()
        if not self.resolve or remaining <= 0:
            self.resolve = False
            return None
        future = _WORKER.submit(work)
        try:
            return future.result(timeout=remaining)
        except FutureTimeout:
            future.cancel()
            log.debug("jedi ran out of time")
            self.resolve = False
            return None
        except Exception as error:  # jedi fails on some code: no class, not an error
            log.debug("jedi failed: %s", error)
            return None


def name_of(node: ast.expr | None) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def literal(node: ast.expr) -> Any | None:
    """The JSON value of a literal expression (None: not a literal, or not JSON)."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if isinstance(value, (tuple, set, frozenset)):
        value = list(value)
    if value is None or not _jsonable(value):
        return None
    return value


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _subscript_items(node: ast.Subscript) -> list[ast.expr]:
    inner = node.slice
    return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]


def _unwrapped(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Subscript) else node


def _is_dataclass(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return name_of(target) in ("dataclass", "define", "frozen")


def _field_default(value: ast.expr | None, name: str) -> tuple[ast.expr | None, str]:
    """A field's default expression and its JSON key: ``Field(5, alias="n")`` -> ``5``, ``n``."""
    if not isinstance(value, ast.Call) or name_of(value.func) not in ("Field", "field"):
        return value, name
    key = name
    default: ast.expr | None = value.args[0] if value.args else None
    for keyword in value.keywords:
        if keyword.arg == "default":
            default = keyword.value
        elif keyword.arg == "default_factory" and name_of(keyword.value) in SCALARS:
            default = ast.parse(repr(SCALARS[name_of(keyword.value)]), mode="eval").body
        elif (
            keyword.arg in ("alias", "serialization_alias")
            and isinstance(keyword.value, ast.Constant)
            and isinstance(keyword.value.value, str)
        ):
            key = keyword.value.value
    return default, key


def _enum_values(node: ast.ClassDef) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for statement in node.body:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
            continue
        target = statement.targets[0]
        if not isinstance(target, ast.Name) or target.id.startswith("_"):
            continue
        found = literal(statement.value)
        values[target.id] = found if found is not None else target.id
    return values


def _position(node: ast.expr, where: Where) -> tuple[int, int] | None:
    """jedi's (1-based line, code-point column) of the name ``node`` ends with, in ``where``."""
    assert where.code is not None
    if isinstance(node, ast.Name):
        line, byte = node.lineno, node.col_offset
    elif isinstance(node, ast.Attribute) and node.end_lineno is not None:
        assert node.end_col_offset is not None
        line, byte = node.end_lineno, node.end_col_offset - len(node.attr.encode("utf-8"))
    else:
        return None
    number = where.first_line + line  # 1-based in the file
    lines = where.code.split("\n")
    if not 0 < number <= len(lines):
        return None
    text = lines[number - 1].encode("utf-8")
    return number, len(text[:byte].decode("utf-8", errors="ignore"))


# -- jedi's thread ---------------------------------------------------------------------------------


class _Worker:
    """One daemon thread running jedi calls in turn (jedi is not thread-safe; a call stuck past
    its budget delays only later lookups, which then time out and fall back)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, work: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="flash-ls-jedi", daemon=True
                )
                self._thread.start()
        self._queue.put((work, future))
        return future

    def _serve(self) -> None:
        while True:
            work, future = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(work())
            except BaseException as error:
                future.set_exception(error)


_WORKER = _Worker()
# jedi's thread only: one environment (a subprocess of that Python) per interpreter, shared by
# the apps that use it, and one project per app root.
_ENVIRONMENTS: dict[Path | None, Any] = {}
_PROJECTS: dict[Path, Any] = {}
_MAX_CACHED = 16


def _cached(cache: dict[Any, Any], key: Any, make: Callable[[], Any]) -> Any:
    found = cache.get(key)
    if found is None:
        if len(cache) >= _MAX_CACHED:
            cache.pop(next(iter(cache)))
        found = cache[key] = make()
    return found


def _environment(python: Path | None) -> Any:
    """jedi's environment of ``python`` (None, or one jedi cannot use: flash-ls's own)."""
    import jedi

    if python is not None and python == Path(sys.executable):
        python = None

    def make() -> Any:
        if python is None:
            return jedi.create_environment(sys.executable, safe=False)
        try:
            return jedi.create_environment(str(python), safe=False)
        except Exception as error:  # a configured interpreter that is not one
            log.debug("jedi cannot use %s (%s): using flash-ls's Python", python, error)
            return _environment(None)

    return _cached(_ENVIRONMENTS, python, make)


def _script(root: Path, python: Path | None, code: str, path: Path) -> Any:
    import jedi

    project = _cached(_PROJECTS, root, lambda: jedi.Project(root))
    return jedi.Script(code, path=str(path), project=project, environment=_environment(python))


def warm_up(root: Path, python: Path | None) -> None:
    """Start jedi for an app in the background (its interpreter, the typing stubs), so that the
    first request spends its budget on the app's classes (not awaited; failures are ignored)."""

    def work() -> None:
        code = "from typing import TypedDict\nfrom dataclasses import dataclass\nTypedDict\n"
        _script(root, python, code, root / "__flash_ls_warm_up__.py").goto(
            3, 1, follow_imports=True
        )

    _WORKER.submit(work)


def _goto_class(
    root: Path, python: Path | None, path: Path, code: str, line: int, column: int
) -> tuple[Path, int] | None:
    """jedi's thread: where the class named at (line, column) is defined (file, 1-based line)."""
    script = _script(root, python, code, path)
    for name in [*script.goto(line, column, follow_imports=True), *script.infer(line, column)]:
        if name.type == "class" and name.module_path is not None and name.line is not None:
            return Path(name.module_path), int(name.line)
    return None
