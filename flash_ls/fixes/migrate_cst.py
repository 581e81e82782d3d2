"""libcst pieces of the migration shared by its planner and its transformer.

``ArgPlan`` and ``edit_args``: what becomes of the arguments of one ``Endpoint(...)`` or
``NetworkVolume(...)`` call, applied keeping the call's layout. Then node builders
(``attribute``, ``string``) and readers (``string_value``, ``dotted``, ``walk``, ...), and the
mapping of runpod_flash's enum members to the strings rc2 accepts (``enum_string``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import libcst as cst
from libcst.metadata import GlobalScope

from flash_ls import platform
from flash_ls.span import Span


@dataclass(slots=True)
class ArgPlan:
    """What becomes of the arguments of one Endpoint or NetworkVolume call."""

    to_keyword: set[int] = field(default_factory=set)  # positional name -> name=
    values: dict[int, cst.BaseExpression] = field(default_factory=dict)  # converted values
    mounts: dict[int, int | None] = field(default_factory=dict)  # volume= (list index)
    dropped: set[int] = field(default_factory=set)
    added: list[tuple[str, cst.BaseExpression]] = field(default_factory=list)


def edit_args(call: cst.Call, plan: ArgPlan, rename: dict[str, str] | None = None) -> cst.Call:
    """``call`` with the planned argument edits: positional name to ``name=``, converted values,
    ``volume=`` to ``mounts=``, drops and additions, keeping the call's layout."""
    rename = rename or {}
    args = list(call.args)
    result: list[cst.Arg] = []
    for index, arg in enumerate(args):
        if index in plan.dropped:
            continue
        if index in plan.values:
            arg = arg.with_changes(value=plan.values[index])
        if index in plan.to_keyword:
            keyword = arg.keyword.value if arg.keyword is not None else "name"
            arg = arg.with_changes(
                keyword=cst.Name(rename.get(keyword, keyword)),
                equal=arg.equal
                if arg.keyword is not None
                else cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
        if index in plan.mounts:
            list_index = plan.mounts[index]
            value = arg.value
            if list_index is not None:
                value = cast("cst.List", value).elements[list_index].value
            arg = arg.with_changes(
                keyword=cst.Name("mounts"),
                value=cst.Dict(
                    elements=[
                        cst.DictElement(key=string(platform.APP_ENDPOINT_MOUNT_PATH), value=value)
                    ]
                ),
            )
        result.append(arg)
    if args and (len(args) - 1) in plan.dropped and result:
        result[-1] = result[-1].with_changes(comma=args[-1].comma)
    for keyword, value in plan.added:
        result = append_arg(call, result, keyword, value)
    return call.with_changes(args=result)


def append_arg(
    call: cst.Call, args: list[cst.Arg], keyword: str, value: cst.BaseExpression
) -> list[cst.Arg]:
    new = cst.Arg(
        keyword=cst.Name(keyword),
        value=value,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        ),
    )
    if not args:
        return [new]
    last = args[-1]
    trailing = last.comma
    if isinstance(trailing, cst.Comma) and isinstance(
        trailing.whitespace_after, cst.ParenthesizedWhitespace
    ):
        # One argument per line with a trailing comma: the new line looks like the others.
        separator: cst.BaseParenthesizableWhitespace = (
            cast("cst.Comma", args[-2].comma).whitespace_after
            if len(args) > 1 and isinstance(args[-2].comma, cst.Comma)
            else call.whitespace_before_args
        )
        return [
            *args[:-1],
            last.with_changes(comma=trailing.with_changes(whitespace_after=separator)),
            new.with_changes(comma=trailing),
        ]
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    if isinstance(trailing, cst.Comma):
        return [*args[:-1], last.with_changes(comma=comma), new.with_changes(comma=trailing)]
    return [*args[:-1], last.with_changes(comma=comma), new]


def attribute(base: str, attr: str) -> cst.Attribute:
    return cst.Attribute(value=cst.Name(base), attr=cst.Name(attr))


def string(value: str) -> cst.SimpleString:
    if '"' not in value and "\\" not in value and value.isprintable():
        return cst.SimpleString(f'"{value}"')
    return cst.SimpleString(repr(value))


def string_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(node, cst.ConcatenatedString):
        joined = node.evaluated_value
        return joined if isinstance(joined, str) else None
    return None


def enum_string(enum: str, member: str) -> str | None:
    """The string rc2 resolves to what runpod_flash's ``enum.member`` selects."""
    if enum == "GpuGroup":
        pool = platform.GPU_GROUPS_BY_MEMBER.get(member)
        return None if pool is None else pool.value
    if enum == "GpuType":
        model = platform.GPU_TYPES_BY_MEMBER.get(member)
        return None if model is None else model.value
    if enum == "CpuInstanceType":
        instance = platform.CPU_INSTANCES_BY_MEMBER.get(member)
        return None if instance is None else instance.value
    if enum == "DataCenter":
        datacenter = platform.DATACENTERS_BY_MEMBER.get(member)
        return None if datacenter is None else datacenter.value
    if enum == "CudaVersion":
        cuda = platform.CUDA_VERSIONS_BY_MEMBER.get(member)
        return None if cuda is None else cuda.value
    if enum == "ServerlessScalerType":
        scaler = platform.SCALER_TYPES_BY_MEMBER.get(member)
        return None if scaler is None else scaler.value
    return None


def accepted_string(keyword: str, text: str) -> bool:
    """Whether runpod_flash accepts ``text`` for ``keyword`` and rc2 reads it the same way."""
    if keyword == "gpu":
        # In a list only (pydantic coerces values): a pool id or an exact device name.
        return text in platform.GPU_GROUPS_BY_VALUE or text in platform.GPU_TYPES_BY_VALUE
    if keyword == "cpu":
        return text in platform.CPU_INSTANCES_BY_VALUE
    if keyword == "datacenter":
        return platform.datacenter_from_string(text) is not None
    if keyword == "scaler_type":
        return text in platform.SCALER_TYPES_BY_MEMBER
    if keyword == "min_cuda_version":
        return text in platform.CUDA_VERSIONS_BY_VALUE
    return False


def has_parameters(params: cst.Parameters) -> bool:
    return bool(
        params.params
        or params.posonly_params
        or params.kwonly_params
        or isinstance(params.star_arg, cst.Param)
        or params.star_kwarg is not None
    )


def is_main_test(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = (test.left, target.comparator)
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [s for s in sides if string_value(s) == "__main__"]
    return len(names) == 1 and len(strings) == 1


def global_names(scope: GlobalScope) -> list[tuple[str, Sequence[Any]]]:
    names: dict[str, list[Any]] = {}
    for assignment in scope.assignments:
        names.setdefault(assignment.name, []).append(assignment)
    return sorted(names.items())


def within(inner: Span, outer: Span) -> bool:
    return (outer.start_line, outer.start_col) <= (inner.start_line, inner.start_col) and (
        inner.end_line,
        inner.end_col,
    ) <= (outer.end_line, outer.end_col)


def dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


_FLASH_MODULE = re.compile(rf"^{platform.SDK_MODULE}(\.|$)")


def is_flash_module(module: str) -> bool:
    return bool(_FLASH_MODULE.match(module))


def walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(current.children)
    return found
