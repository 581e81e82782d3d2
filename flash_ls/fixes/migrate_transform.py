"""The transformer of the migration: applies a ``Planner``'s plan to the libcst module.

Endpoint calls become ``app.queue(...)``/``app.api(...)``, route functions an ``@app.api``
class, the runpod_flash imports ``import runpod``, the ``__main__`` block a
``@runpod.local_entrypoint`` function, and ``app = runpod.App("<name>")`` is inserted after the
module's imports. Every node the plan does not name is kept as it is.
"""

from __future__ import annotations

from typing import cast

import libcst as cst

from flash_ls import platform
from flash_ls.fixes.migrate_cst import attribute, edit_args, string
from flash_ls.fixes.migrate_plan import Planner, Resource

_BODY_VERBS = frozenset({"post", "put", "delete", "patch"})  # route markers that take a body


class Transformer(cst.CSTTransformer):
    """Applies a finished plan (one without reasons)."""

    def __init__(self, planner: Planner) -> None:
        super().__init__()
        self.plan = planner
        self.calls: dict[int, cst.Call] = {}  # instance form: converted Endpoint calls by var
        self.queue_decorators = {
            id(r.decorator): r for r in planner.resources if r.decorator is not None
        }
        self.inline_calls = {id(r.call): r for r in planner.resources if r.statement is None}
        self.queue_functions = {
            id(r.function): r for r in planner.resources if r.function is not None
        }
        self.moved: dict[int, list[cst.EmptyLine]] = {}  # comments of removed instances

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        plan = self.plan
        edit = plan.call_edits.get(id(original_node))
        if edit is not None:
            return edit(updated_node)
        resource = self.inline_calls.get(id(original_node)) or plan.instance_calls.get(
            id(original_node)
        )
        if resource is not None:
            converted = edit_args(
                updated_node.with_changes(func=attribute(plan.app_var, resource.kind)),
                resource.args,
            )
            self.calls[id(resource)] = converted
            return converted
        return updated_node

    def leave_Decorator(
        self, original_node: cst.Decorator, updated_node: cst.Decorator
    ) -> cst.Decorator:
        resource = self.queue_decorators.get(id(original_node))
        if resource is not None and resource.statement is not None:
            return updated_node.with_changes(decorator=self.calls[id(resource)])
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        plan = self.plan
        body: list[cst.BaseStatement] = []
        carried: list[cst.EmptyLine] = []  # comments of removed statements
        flash_imports = {id(s) for s in plan.flash_imports}
        route_lists: dict[int, list[cst.FunctionDef]] = {}
        last_route = {
            id(r.routes[-1][0]): r for r in plan.resources if r.kind == "api" and r.routes
        }
        added_runpod = plan.has_runpod_import
        index_map: dict[int, int] = {}  # original index -> position in body (kept statements)

        def keep(statement: cst.BaseStatement) -> None:
            nonlocal carried
            if carried:
                leading = list(getattr(statement, "leading_lines", ()))
                statement = statement.with_changes(leading_lines=[*carried, *leading])
                carried = []
            body.append(statement)

        def drop(statement: cst.BaseStatement) -> None:
            nonlocal carried
            lines = list(getattr(statement, "leading_lines", ()))
            if any(line.comment is not None for line in lines):
                carried = [*carried, *lines]

        for index, (original, updated) in enumerate(
            zip(original_node.body, updated_node.body, strict=True)
        ):
            if id(original) in flash_imports:
                if not added_runpod and plan.needs_runpod:
                    added_runpod = True
                    keep(
                        cst.SimpleStatementLine(
                            body=[
                                cst.Import(
                                    names=[cst.ImportAlias(name=cst.Name(platform.APP_API_MODULE))]
                                )
                            ],
                            leading_lines=cast("cst.SimpleStatementLine", updated).leading_lines,
                        )
                    )
                else:
                    drop(updated)
            elif id(original) in plan.removed:
                # The comments above ``x = Endpoint(...)`` go with the resource.
                resource = plan.removed[id(original)]
                lines = list(cast("cst.SimpleStatementLine", updated).leading_lines)
                while lines and lines[0].comment is None:
                    lines.pop(0)
                self.moved[id(resource)] = lines
            elif id(original) in plan.route_functions:
                resource = plan.route_functions[id(original)]
                route_lists.setdefault(id(resource), []).append(cast("cst.FunctionDef", updated))
                if id(original) in last_route:
                    keep(self._api_class(resource, route_lists[id(resource)]))
                else:
                    drop(updated)
            elif id(original) in self.queue_functions:
                resource = self.queue_functions[id(original)]
                function = cast("cst.FunctionDef", updated)
                moved = self.moved.get(id(resource), [])
                if moved:
                    lines = list(function.leading_lines)
                    blank = 0
                    while blank < len(lines) and lines[blank].comment is None:
                        blank += 1
                    function = function.with_changes(
                        leading_lines=[*lines[:blank], *moved, *lines[blank:]]
                    )
                keep(function)
            elif original is plan.main_block:
                keep(self._entrypoint(cast("cst.If", updated)))
            else:
                keep(updated)
            index_map[index] = len(body) - 1
        if plan.resources:
            position = index_map.get(plan.insert_after, -1) + 1
            body.insert(position, app_statement(plan.app_var, plan.app_name))
        return updated_node.with_changes(body=body)

    def _api_class(self, resource: Resource, functions: list[cst.FunctionDef]) -> cst.ClassDef:
        methods: list[cst.FunctionDef] = []
        for position, (function, (_, _, verb)) in enumerate(
            zip(functions, resource.routes, strict=True)
        ):
            decorator = function.decorators[0]
            call = cast("cst.Call", decorator.decorator)
            marker = call.with_changes(func=attribute(platform.APP_API_MODULE, verb))
            params = [cst.Param(name=cst.Name("self"))]
            if verb in _BODY_VERBS:
                params.append(
                    cst.Param(
                        name=cst.Name("body"),
                        default=cst.Name("None"),
                        equal=cst.AssignEqual(
                            whitespace_before=cst.SimpleWhitespace(""),
                            whitespace_after=cst.SimpleWhitespace(""),
                        ),
                    )
                )
            leading = list(function.leading_lines)
            while leading and leading[0].comment is None:
                leading.pop(0)
            if position:
                leading.insert(0, cst.EmptyLine(indent=False))
            methods.append(
                function.with_changes(
                    decorators=[decorator.with_changes(decorator=marker)],
                    params=function.params.with_changes(params=params),
                    leading_lines=leading,
                )
            )
        call = self.calls[id(resource)]
        return cst.ClassDef(
            name=cst.Name(resource.class_name),
            body=cst.IndentedBlock(body=methods),
            decorators=[cst.Decorator(decorator=call)],
            leading_lines=[
                cst.EmptyLine(indent=False),
                cst.EmptyLine(indent=False),
                *self.moved.get(id(resource), []),
            ],
        )

    def _entrypoint(self, block: cst.If) -> cst.FunctionDef:
        return cst.FunctionDef(
            name=cst.Name(self.plan.main_name),
            params=cst.Parameters(),
            body=block.body,
            decorators=[
                cst.Decorator(decorator=attribute(platform.APP_API_MODULE, "local_entrypoint"))
            ],
            leading_lines=block.leading_lines,
        )


def app_statement(variable: str, name: str) -> cst.SimpleStatementLine:
    return cst.SimpleStatementLine(
        body=[
            cst.Assign(
                targets=[cst.AssignTarget(target=cst.Name(variable))],
                value=cst.Call(
                    func=attribute(platform.APP_API_MODULE, "App"), args=[cst.Arg(string(name))]
                ),
            )
        ],
        leading_lines=[cst.EmptyLine(indent=False)],
    )
