"""The planner of the migration of one runpod_flash module (``flash_ls.fixes.migrate_rewrite``).

``Planner(module, app_name).plan()`` reads a libcst module and decides, without changing it,
what each use of a ``runpod_flash`` name becomes: a queue or api ``Resource`` (with its
``ArgPlan``), a call edit, the ``__main__`` block turned entrypoint, or a ``Reason`` it does not
migrate. ``flash_ls.fixes.migrate_transform`` then applies the plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import libcst as cst
from libcst.metadata import (
    CodeRange,
    GlobalScope,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ScopeProvider,
)

from flash_ls import platform
from flash_ls.fixes.migrate import Reason
from flash_ls.fixes.migrate_cst import (
    ArgPlan,
    accepted_string,
    attribute,
    dotted,
    edit_args,
    enum_string,
    global_names,
    has_parameters,
    is_flash_module,
    is_main_test,
    string,
    string_value,
    walk,
    within,
)
from flash_ls.span import Span

_SDK = platform.SDK_MODULE
FLASH_DEFAULT_WORKERS = 1  # runpod_flash: None -> (0, 1); rc2: None -> (0, 3)
FLASH_VOLUME_SIZE = platform.DEFAULT_VOLUME_SIZE_GB  # runpod_flash NetworkVolume (rc2: 50)
_ROUTE_VERBS = frozenset(platform.APP_ROUTE_MARKERS)
_RC2_RESERVED = frozenset(platform.APP_RESERVED_ROUTE_PATHS)

# runpod_flash Endpoint keyword -> what the app API takes: the same keyword, a converted enum
# value, or nothing (client mode, templates).
_KEPT = frozenset(
    {
        "name",
        "gpu_count",
        "workers",
        "idle_timeout",
        "dependencies",
        "system_dependencies",
        "accelerate_downloads",
        "env",
        "execution_timeout_ms",
        "flashboot",
        "scaler_value",
        "max_concurrency",
    }
)
_ENUM_KEYWORDS: dict[str, tuple[str, ...]] = {
    "gpu": ("GpuGroup", "GpuType"),
    "cpu": ("CpuInstanceType",),
    "datacenter": ("DataCenter",),
    "scaler_type": ("ServerlessScalerType",),
    "min_cuda_version": ("CudaVersion",),
}
_LISTS = frozenset({"gpu", "cpu", "datacenter"})
_BLOCKED = {
    "id": "client endpoint (id=): use runpod.Endpoint or runpod.Queue/Api stubs",
    "image": "Endpoint(image=) is a client of a prebuilt image; it has no resource",
    "template": "template= has no app API equivalent",
}


@dataclass(eq=False, slots=True)
class Resource:
    """One queue function or load-balanced API the module's Endpoint becomes."""

    kind: str  # "queue" | "api"
    call: cst.Call  # the Endpoint(...) call
    args: ArgPlan
    function: cst.FunctionDef | None = None  # queue: the decorated function
    decorator: cst.Decorator | None = None  # queue: the decorator to replace
    statement: cst.SimpleStatementLine | None = None  # instance form: ``x = Endpoint(...)``
    variable: str | None = None
    routes: list[tuple[cst.FunctionDef, cst.Decorator, str]] = field(default_factory=list)
    class_name: str = ""


class Planner:
    """Reads the module and plans its rewrite: ``reasons`` empty means it migrates."""

    def __init__(self, module: cst.Module, app_name: str) -> None:
        self.module = module
        self.app_name = app_name
        self.wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self.positions = cast(
            "dict[cst.CSTNode, CodeRange]", self.wrapper.resolve(PositionProvider)
        )
        self.parents = cast(
            "dict[cst.CSTNode, cst.CSTNode]", self.wrapper.resolve(ParentNodeProvider)
        )
        scopes = self.wrapper.resolve(ScopeProvider)
        scope = scopes[module]
        assert isinstance(scope, GlobalScope)
        self.scope = scope
        self.reasons: list[Reason] = []
        self.notes: list[Reason] = []
        self.functions: dict[str, Span] = {}
        self.resources: list[Resource] = []
        self.converted_anything = False
        # Every expression standing for a runpod_flash name (``Endpoint``, ``rf.GpuType``):
        # node id -> (node, exported name). What the plan maps is consumed; the rest are reasons.
        self.flash: dict[int, tuple[cst.BaseExpression, str]] = {}
        self.pending: set[int] = set()
        self.flash_imports: list[cst.SimpleStatementLine] = []
        self.has_runpod_import = False
        self.call_edits: dict[int, Callable[[cst.Call], cst.BaseExpression]] = {}
        self.instance_calls: dict[int, Resource] = {}
        self.removed: dict[int, Resource] = {}  # ``x = Endpoint(...)`` statements dropped
        self.route_functions: dict[int, Resource] = {}
        self.main_block: cst.If | None = None
        self.main_name = "main"
        self.app_var = "app"
        self.insert_after = -1  # index of the top-level statement the App follows

    # -- helpers ------------------------------------------------------------------------------

    def span(self, node: cst.CSTNode) -> Span:
        found = self.positions[node]
        return Span(found.start.line - 1, found.start.column, found.end.line - 1, found.end.column)

    def reason(self, node: cst.CSTNode, message: str) -> None:
        self.reasons.append(Reason(self.span(node), message))

    def note(self, node: cst.CSTNode, message: str) -> None:
        self.notes.append(Reason(self.span(node), message))

    def consume(self, node: cst.CSTNode) -> None:
        self.pending.discard(id(node))

    def exported(self, node: cst.CSTNode) -> str | None:
        found = self.flash.get(id(node))
        return found[1] if found is not None else None

    def bound(self, name: str) -> bool:
        return name in self.scope

    def unique(self, *candidates: str) -> str:
        for candidate in candidates:
            if not self.bound(candidate):
                return candidate
        base = candidates[-1]
        number = 2
        while self.bound(f"{base}{number}"):
            number += 1
        return f"{base}{number}"

    def is_top_level(self, node: cst.CSTNode) -> bool:
        return self.parents.get(node) is self.module

    # -- the plan -----------------------------------------------------------------------------

    def plan(self) -> None:
        self._imports()
        if not self.flash_imports:
            return
        self.app_var = self.unique("app", "runpod_app")
        for node, name in list(self.flash.values()):
            if name == "Endpoint":
                self._endpoint(node)
        for node, name in list(self.flash.values()):
            if name == "NetworkVolume":
                self._network_volume(node)
        self._names()
        self._calls()
        self._main_block()
        for key in sorted(self.pending, key=lambda k: self.span(self.flash[k][0])):
            node, name = self.flash[key]
            self.reason(node, f"{_SDK}.{name} has no app API mapping here")
        if self.bound(platform.APP_API_MODULE) and not self.has_runpod_import:
            self.reason(self.flash_imports[0], "the name 'runpod' is taken in this module")
        self._placement()

    @property
    def needs_runpod(self) -> bool:
        return bool(self.resources) or self.converted_anything

    def _imports(self) -> None:
        for statement in self.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Import):
                    modules = [dotted(a.name) for a in small.names]
                    if platform.APP_API_MODULE in modules:
                        self.has_runpod_import = True
                    if any(is_flash_module(m) for m in modules):
                        if len(statement.body) > 1 or len(modules) > 1:
                            self.reason(statement, f"import {_SDK} on a shared line")
                        self.flash_imports.append(statement)
                        for alias in small.names:
                            self._bind_module(alias)
                elif isinstance(small, cst.ImportFrom) and small.module is not None:
                    if small.relative or not is_flash_module(dotted(small.module)):
                        continue
                    if len(statement.body) > 1:
                        self.reason(statement, f"import {_SDK} on a shared line")
                    self.flash_imports.append(statement)
                    if isinstance(small.names, cst.ImportStar):
                        self.reason(small, f"star import of {_SDK}")
                        continue
                    for alias in small.names:
                        bound = dotted(alias.asname.name) if alias.asname else dotted(alias.name)
                        self._bind_name(bound, dotted(alias.name))
        top = {id(s) for s in self.flash_imports}
        for node in walk(self.module):
            if isinstance(node, (cst.Import, cst.ImportFrom)):
                owner = self.parents.get(node)
                if id(owner) in top:
                    continue
                names = (
                    [dotted(a.name) for a in node.names]
                    if isinstance(node, cst.Import)
                    else [dotted(node.module)]
                    if node.module is not None and not node.relative
                    else []
                )
                if any(is_flash_module(n) for n in names):
                    self.reason(node, f"{_SDK} imported below the module's top level")

    def _bind_name(self, bound: str, exported: str) -> None:
        for assignment in self.scope.assignments[bound]:
            for access in assignment.references:
                self._flash_expr(access.node, exported)

    def _bind_module(self, alias: cst.ImportAlias) -> None:
        bound = dotted(alias.asname.name) if alias.asname else dotted(alias.name).split(".")[0]
        for assignment in self.scope.assignments[bound]:
            for access in assignment.references:
                node: cst.CSTNode = access.node
                found: cst.Attribute | None = None
                # Follow ``rf.X`` / ``runpod_flash.core.X`` up to the exported name: the first
                # attribute that is no submodule.
                while True:
                    parent = self.parents.get(node)
                    if not isinstance(parent, cst.Attribute) or parent.value is not node:
                        break
                    node = parent
                    if not parent.attr.value.islower():
                        found = parent
                        break
                if found is not None:
                    self._flash_expr(found, found.attr.value)
                else:
                    self.reason(access.node, f"{_SDK} module used as a value")

    def _flash_expr(self, node: cst.CSTNode, exported: str) -> None:
        if isinstance(node, cst.BaseExpression):
            self.flash[id(node)] = (node, exported)
            self.pending.add(id(node))

    # -- Endpoint(...) ------------------------------------------------------------------------

    def _endpoint(self, node: cst.BaseExpression) -> None:
        call = self.parents.get(node)
        if not isinstance(call, cst.Call) or call.func is not node:
            return  # left pending: a reason
        self.consume(node)
        parent = self.parents.get(call)
        if isinstance(parent, cst.Decorator) and parent.decorator is call:
            self._inline(call, parent)
            return
        if isinstance(parent, cst.Assign):
            statement = self.parents.get(parent)
            if (
                isinstance(statement, cst.SimpleStatementLine)
                and self.is_top_level(statement)
                and len(statement.body) == 1
                and len(parent.targets) == 1
                and isinstance(parent.targets[0].target, cst.Name)
            ):
                self._instance(call, statement, parent.targets[0].target.value)
                return
        self._blocked(call, "Endpoint(...) used here has no app API form")

    def consume_within(self, node: cst.CSTNode) -> None:
        """A call that does not migrate: its arguments need no reasons of their own."""
        for inner in walk(node):
            self.consume(inner)

    def _blocked(self, call: cst.Call, message: str) -> None:
        self.reason(call, message)
        self._endpoint_args(call, "queue")  # what else stands in the way
        self.consume_within(call)

    def _inline(self, call: cst.Call, decorator: cst.Decorator) -> None:
        target = self.parents.get(decorator)
        if isinstance(target, cst.ClassDef):
            self._blocked(call, "class as queue resource: rc2 has queue functions only")
            return
        if not isinstance(target, cst.FunctionDef) or not self.is_top_level(target):
            self._blocked(call, "endpoint on a nested function")
            return
        args = self._endpoint_args(call, "queue")
        if args is None:
            self.consume_within(call)
            return
        if self._queue_function(target, decorator, call):
            self.resources.append(Resource("queue", call, args, target, decorator))

    def _queue_function(
        self, function: cst.FunctionDef, decorator: cst.Decorator, call: cst.CSTNode
    ) -> bool:
        if len(function.decorators) > 1:
            self.reason(decorator, "other decorators on an endpoint function")
            return False
        self.functions[function.name.value] = self.span(function.name)
        return True

    def _instance(self, call: cst.Call, statement: cst.SimpleStatementLine, name: str) -> None:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in ("id", "image"):
                self.reason(arg, _BLOCKED[arg.keyword.value])  # a client: its uses are calls
                self.consume_within(call)
                return
        assignments = list(self.scope.assignments[name])
        if len(assignments) != 1:
            self.reason(call, f"'{name}' is bound more than once")
            return
        queue: list[tuple[cst.FunctionDef, cst.Decorator]] = []
        routes: list[tuple[cst.FunctionDef, cst.Decorator, str]] = []
        ok = True
        for access in sorted(assignments[0].references, key=lambda a: self.span(a.node)):
            use = access.node
            parent = self.parents.get(use)
            if isinstance(parent, cst.Decorator) and parent.decorator is use:
                target = self.parents.get(parent)
                if isinstance(target, cst.FunctionDef) and self.is_top_level(target):
                    queue.append((target, parent))
                    continue
                message = "class as queue resource: rc2 has queue functions only"
                if not isinstance(target, cst.ClassDef):
                    message = "endpoint on a nested function"
                self.reason(parent, message)
                ok = False
                continue
            route = self._route_use(use, parent)
            if route is not None:
                routes.append(route)
                continue
            self.reason(use, f"'{name}' is used outside decorators; app API handles differ")
            ok = False
        if not ok:
            self.consume_within(call)
            return
        if queue and routes:
            self._blocked(call, "endpoint both decorates and routes")
            return
        if len(queue) > 1:
            self._blocked(call, f"'{name}' decorates {len(queue)} functions; rc2 needs one each")
            return
        if not queue and not routes:
            self._blocked(call, f"endpoint '{name}' is never used")
            return
        kind = "queue" if queue else "api"
        args = self._endpoint_args(call, kind)
        if args is None:
            self.consume_within(call)
            return
        resource = Resource(kind, call, args, statement=statement, variable=name)
        if queue:
            function, decorator = queue[0]
            if not self._queue_function(function, decorator, call):
                return
            resource.function, resource.decorator = function, decorator
        else:
            if not self._routes(resource, routes):
                return
        self.resources.append(resource)
        self.instance_calls[id(call)] = resource
        self.removed[id(statement)] = resource

    def _route_use(
        self, use: cst.CSTNode, parent: cst.CSTNode | None
    ) -> tuple[cst.FunctionDef, cst.Decorator, str] | None:
        if not isinstance(parent, cst.Attribute) or parent.value is not use:
            return None
        call = self.parents.get(parent)
        if not isinstance(call, cst.Call) or call.func is not parent:
            return None
        decorator = self.parents.get(call)
        function = self.parents.get(decorator) if decorator is not None else None
        if not isinstance(decorator, cst.Decorator) or not isinstance(function, cst.FunctionDef):
            return None
        if parent.attr.value not in _ROUTE_VERBS:
            return None
        return function, decorator, parent.attr.value

    def _routes(
        self, resource: Resource, routes: list[tuple[cst.FunctionDef, cst.Decorator, str]]
    ) -> bool:
        ok = True
        names: set[str] = set()
        for function, decorator, _verb in routes:
            call = cast("cst.Call", decorator.decorator)
            path = string_value(call.args[0].value) if len(call.args) == 1 else None
            if path is None or call.args[0].keyword is not None:
                self.reason(call, "route path is not one string literal")
                ok = False
                continue
            if not self.is_top_level(function) or len(function.decorators) > 1:
                self.reason(decorator, "route handler with other decorators or nested")
                ok = False
            elif "{" in path or "?" in path:
                self.reason(call.args[0], "path parameters: rc2 passes routes only the body")
                ok = False
            elif not path.startswith("/"):
                self.reason(call.args[0], "route path does not start with '/'")
                ok = False
            elif path in _RC2_RESERVED:
                self.reason(call.args[0], f"route path {path} is reserved by the rc2 runtime")
                ok = False
            elif has_parameters(function.params):
                self.reason(
                    function.params, "handler parameters: rc2 passes a route only its JSON body"
                )
                ok = False
            elif function.name.value in names:
                self.reason(function.name, "two route handlers share one name")
                ok = False
            names.add(function.name.value)
            self.functions[function.name.value] = self.span(function.name)
        if not ok:
            return False
        resource.routes = routes
        variable = resource.variable or "api"
        camel = "".join(part[:1].upper() + part[1:] for part in variable.split("_") if part)
        resource.class_name = self.unique(camel or "Api", f"{camel}Service")
        for function, _, _ in routes:
            self.route_functions[id(function)] = resource
        return True

    def _endpoint_args(self, call: cst.Call, kind: str) -> ArgPlan | None:
        plan = ArgPlan()
        ok = True
        seen: set[str] = set()
        for index, arg in enumerate(call.args):
            if arg.star:
                self.reason(arg, "*args/**kwargs in Endpoint(...)")
                ok = False
                continue
            if arg.keyword is None:
                if index == 0:
                    plan.to_keyword.add(index)
                    seen.add("name")
                    continue
                self.reason(arg, "positional argument in Endpoint(...)")
                ok = False
                continue
            keyword = arg.keyword.value
            seen.add(keyword)
            if keyword in _BLOCKED:
                self.reason(arg, _BLOCKED[keyword])
                ok = False
            elif keyword == "name":
                if string_value(arg.value) == "":
                    self.reason(arg, "name='' (rc2 takes the function's name instead)")
                    ok = False
            elif keyword == "max_concurrency" and kind == "api":
                plan.dropped.add(index)
                self.note(arg, f"max_concurrency dropped: {_SDK} ignores it on an LB")
            elif keyword in _ENUM_KEYWORDS:
                converted = self._enum_value(arg, keyword)
                if converted is None:
                    ok = False
                else:
                    plan.values[index] = converted
            elif keyword == "volume":
                element = self._volume(arg)
                if element is False:
                    ok = False
                else:
                    plan.mounts[index] = element
            elif keyword not in _KEPT:
                self.reason(arg, f"unknown Endpoint keyword {keyword}=")
                ok = False
        if "workers" not in seen:
            plan.added.append(("workers", cst.Integer(str(FLASH_DEFAULT_WORKERS))))
        return plan if ok else None

    def _enum_value(self, arg: cst.Arg, keyword: str) -> cst.BaseExpression | None:
        enums = _ENUM_KEYWORDS[keyword]
        value = arg.value
        if isinstance(value, cst.List) and keyword in _LISTS:
            elements = []
            members: list[tuple[str, str]] = []
            for element in value.elements:
                if isinstance(element, cst.StarredElement):
                    self.reason(element, f"{keyword}= list with a starred element")
                    return None
                converted = self._enum_item(element.value, keyword, enums, members)
                if converted is None:
                    return None
                elements.append(element.with_changes(value=converted))
            self._gpu_note(arg, members)
            return value.with_changes(elements=elements)
        members = []
        converted = self._enum_item(value, keyword, enums, members)
        if converted is not None:
            self._gpu_note(arg, members)
        return converted

    def _enum_item(
        self,
        value: cst.BaseExpression,
        keyword: str,
        enums: tuple[str, ...],
        members: list[tuple[str, str]],
    ) -> cst.BaseExpression | None:
        if isinstance(value, cst.Attribute):
            enum = self.exported(value.value)
            member = value.attr.value
            if enum in enums:
                text = enum_string(enum, member)
                if text is None:
                    self.reason(value, f"{enum}.{member} is no member of {_SDK}'s {enum}")
                    return None
                self.consume(value.value)
                members.append((enum, member))
                return string(text).with_changes(lpar=value.lpar, rpar=value.rpar)
        text = string_value(value)
        if (
            text is not None
            and keyword == "gpu"
            and not members
            and not isinstance(self.parents.get(value), cst.Element)
        ):
            self.reason(value, f"gpu= as a bare string fails in {_SDK}")
            return None
        if text is not None and accepted_string(keyword, text):
            if keyword == "gpu":
                found = platform.GPU_TYPES_BY_VALUE.get(text)
                if found is not None:
                    members.append(("GpuType", found.member))
            return value
        if text is not None:
            self.reason(value, f"{keyword}={text!r} is not a value {_SDK} accepts")
        else:
            self.reason(value, f"{keyword}= is not written as enum members or strings")
        return None

    def _gpu_note(self, arg: cst.Arg, members: list[tuple[str, str]]) -> None:
        """rc2 selects endpoint GPUs by pool: one device admits its whole pool (section 1.6),
        where runpod_flash excluded the pool's other devices."""
        chosen = {m for e, m in members if e == "GpuType"}
        pools = {m for e, m in members if e == "GpuGroup"}
        widened: list[str] = []
        for member in sorted(chosen):
            pool = platform.TYPE_TO_POOL.get(member)
            if pool is None or pool in pools or pool in widened:
                continue
            if not set(platform.POOLS_TO_TYPES.get(pool, ())) <= chosen:
                widened.append(pool)
        if widened:
            self.note(arg, f"rc2 admits whole GPU pools here: {', '.join(widened)}")

    def _volume(self, arg: cst.Arg) -> int | bool | None:
        """The list index of the one volume (None: not a list); False when it does not map."""
        value = arg.value
        if isinstance(value, (cst.List, cst.Tuple)):
            if len(value.elements) != 1 or isinstance(value.elements[0], cst.StarredElement):
                self.reason(
                    arg, f"rc2 endpoints take one volume, at {platform.APP_ENDPOINT_MOUNT_PATH}"
                )
                return False
            return 0
        return None

    # -- NetworkVolume(...) -------------------------------------------------------------------

    def _network_volume(self, node: cst.BaseExpression) -> None:
        call = self.parents.get(node)
        if not isinstance(call, cst.Call) or call.func is not node:
            return
        plan = ArgPlan()
        seen: set[str] = set()
        for index, arg in enumerate(call.args):
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword in ("dataCenterId", "datacenter"):
                converted = self._enum_value(arg, "datacenter")
                if converted is None:
                    return
                plan.values[index] = converted
                if keyword == "dataCenterId":
                    plan.to_keyword.add(index)  # renamed below
                seen.add("datacenter")
            elif keyword in ("name", "size"):
                seen.add(keyword)
            else:
                self.reason(arg, "NetworkVolume argument without an rc2 equivalent")
                return
        if "name" not in seen:
            self.reason(call, "NetworkVolume without name=")
            return
        if "size" not in seen:
            plan.added.append(("size", cst.Integer(str(FLASH_VOLUME_SIZE))))
        if "datacenter" not in seen:
            plan.added.append(("datacenter", string(platform.NETWORK_VOLUME_DEFAULT_DATACENTER)))
        self.consume(node)
        self.converted_anything = True
        self.call_edits[id(call)] = lambda updated: edit_args(
            updated.with_changes(func=attribute(platform.APP_API_MODULE, "NetworkVolume")),
            plan,
            rename={"dataCenterId": "datacenter"},
        )

    def _names(self) -> None:
        """rc2 raises on a name used twice in one App and fails the build under 3 characters
        (runpod_flash accepted both: one name shared by two functions served only the first)."""
        seen: dict[str, cst.CSTNode] = {}
        for resource in self.resources:
            name, where = self._resource_name(resource)
            if name is None:
                continue
            if name in seen:
                self.reason(where, f"resource name '{name}' is used twice; rc2 rejects it")
            elif len(name) < platform.APP_MIN_RESOURCE_NAME_LENGTH:
                self.reason(where, f"resource name '{name}' is under 3 characters (rc2 build)")
            seen.setdefault(name, where)

    def _resource_name(self, resource: Resource) -> tuple[str | None, cst.CSTNode]:
        for index, arg in enumerate(resource.call.args):
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword == "name" or (keyword is None and index in resource.args.to_keyword):
                if isinstance(arg.value, cst.Name) and arg.value.value == "None":
                    break
                return string_value(arg.value), arg
        if resource.function is not None:
            return resource.function.name.value, resource.function.name
        return None, resource.call

    # -- calls of queue functions and the __main__ block --------------------------------------

    def _calls(self) -> None:
        for resource in self.resources:
            functions = ([resource.function] if resource.function is not None else []) + [
                f for f, _, _ in resource.routes
            ]
            for function in functions:
                name = function.name.value
                assignments = list(self.scope.assignments[name])
                if len(assignments) != 1:
                    self.reason(function.name, f"'{name}' is bound more than once")
                    continue
                for access in assignments[0].references:
                    use = access.node
                    parent = self.parents.get(use)
                    if (
                        resource.kind == "queue"
                        and isinstance(parent, cst.Call)
                        and parent.func is use
                    ):
                        self.call_edits[id(parent)] = lambda updated: updated.with_changes(
                            func=cst.Attribute(
                                value=cst.Attribute(value=updated.func, attr=cst.Name("remote")),
                                attr=cst.Name("aio"),
                            )
                        )
                        continue
                    what = (
                        "queue handles are not callable"
                        if resource.kind == "queue"
                        else ("route handlers become methods")
                    )
                    self.reason(use, f"'{name}' used as a value: rc2 {what}")

    def _main_block(self) -> None:
        blocks = [
            statement
            for statement in self.module.body
            if isinstance(statement, cst.If) and is_main_test(statement.test)
        ]
        if not blocks or not self.resources:
            return
        if len(blocks) > 1:
            self.reason(blocks[1], "several __main__ blocks (rc2 runs one entrypoint)")
            return
        block = blocks[0]
        if block.orelse is not None:
            self.reason(block.orelse, "__main__ block with an else branch")
            return
        inside = self.span(block)
        for name, assignments in global_names(self.scope):
            for assignment in assignments:
                node = assignment.node
                if node not in self.positions or not within(self.span(node), inside):
                    continue
                for access in assignment.references:
                    if not within(self.span(access.node), inside):
                        self.reason(node, f"'{name}' set in the __main__ block is used elsewhere")
                        return
        self.main_block = block
        self.main_name = self.unique("main", "local_main", "entrypoint")

    def _placement(self) -> None:
        """The App goes after the last top-level import before the first endpoint."""
        first_use = len(self.module.body)
        uses = {id(r.statement) for r in self.resources if r.statement is not None}
        uses |= {id(r.function) for r in self.resources if r.function is not None}
        uses |= {id(f) for r in self.resources for f, _, _ in r.routes}
        for index, statement in enumerate(self.module.body):
            if id(statement) in uses:
                first_use = index
                break
        last_import = -1
        for index, statement in enumerate(self.module.body[:first_use]):
            if isinstance(statement, cst.SimpleStatementLine) and all(
                isinstance(s, (cst.Import, cst.ImportFrom)) for s in statement.body
            ):
                last_import = index
        self.insert_after = last_import
