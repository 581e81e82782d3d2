"""Just enough GraphQL to answer the official client like a real server: parse, validate, execute.

Supported: operations (``query``/``mutation``, named or anonymous, variables with defaults),
fields with aliases and arguments (literals or variables), nested selection sets. Not supported
(the official client uses none of them; a document that does gets a 400 naming the feature):
fragments, directives, subscriptions. The schema is read from SDL (``type``, ``input``,
``scalar``, ``enum``), so what the emulator assumes about Runpod's schema is one readable file.

Validation follows graphql-js (the reference implementation behind Apollo Server) and uses its
messages: unknown fields and arguments, missing required arguments, leaf/object selections,
undefined, unused and mistyped variables, and input coercion of variable values (unknown input
fields, missing required ones, scalar types, 32-bit ``Int``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


class GraphQLError(Exception):
    """An error for the response's ``errors`` list (``path`` and ``code`` are optional)."""

    def __init__(
        self, message: str, *, path: list[str | int] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.code = code

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if self.path is not None:
            error["path"] = self.path
        if self.code is not None:
            error["extensions"] = {"code": self.code}
        return error


class RequestError(Exception):
    """The request as a whole is invalid (syntax, validation, variables): HTTP 400."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


# ---------------------------------------------------------------------------------------------
# Lexing


@dataclass(frozen=True)
class _Token:
    kind: str  # punct, name, int, float, string, eof
    value: str
    pos: int


_TOKEN = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&()\[\]{}:=@|])
  | (?P<float>-?(?:0|[1-9]\d*)(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+))
  | (?P<int>-?(?:0|[1-9]\d*))
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<block>\"\"\"(?:\\\"\"\"|[^"]|"(?!""))*\"\"\")
  | (?P<string>"(?:\\.|[^"\\\n\r])*")
    """,
    re.VERBOSE,
)


def _tokens(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN.match(source, pos)
        if match is None:
            raise _syntax(f'Unexpected character: "{source[pos]}".', source, pos)
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "string":
            tokens.append(_Token("string", json.loads(text), pos))
        elif kind == "block":
            tokens.append(_Token("string", _block_string(text[3:-3]), pos))
        elif kind == "spread":
            tokens.append(_Token("punct", "...", pos))
        elif kind != "skip":
            tokens.append(_Token(kind, text, pos))
        pos = match.end()
    tokens.append(_Token("eof", "", len(source)))
    return tokens


def _block_string(raw: str) -> str:
    lines = raw.replace('\\"""', '"""').splitlines()
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    common = min(indents, default=0)
    lines = lines[:1] + [line[common:] for line in lines[1:]]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def _syntax(message: str, source: str, pos: int) -> RequestError:
    line = source.count("\n", 0, pos) + 1
    column = pos - (source.rfind("\n", 0, pos) + 1) + 1
    return RequestError(
        [GraphQLError(f"Syntax Error: {message} ({line}:{column})", code="GRAPHQL_PARSE_FAILED")]
    )


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass(frozen=True)
class Variable:
    name: str


@dataclass(frozen=True)
class EnumValue:
    name: str


@dataclass
class Selection:
    name: str
    alias: str | None
    arguments: dict[str, Any]
    selections: list[Selection] | None

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class VariableDefinition:
    type: str
    default: Any = None
    has_default: bool = False


@dataclass
class Operation:
    kind: str  # query | mutation
    name: str | None
    variables: dict[str, VariableDefinition]
    selections: list[Selection]

    @property
    def root_fields(self) -> list[str]:
        return [s.name for s in self.selections]


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.i = 0

    # -- token helpers ----------------------------------------------------------------------

    def peek(self, value: str | None = None, kind: str | None = None) -> bool:
        token = self.tokens[self.i]
        return (value is None or token.value == value) and (kind is None or token.kind == kind)

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token.value != value or token.kind not in ("punct", "name"):
            raise self.unexpected(token, f'Expected "{value}"')

    def expect_name(self) -> str:
        token = self.take()
        if token.kind != "name":
            raise self.unexpected(token, "Expected Name")
        return token.value

    def skip(self, value: str) -> bool:
        if self.peek(value) and self.tokens[self.i].kind in ("punct", "name"):
            self.i += 1
            return True
        return False

    def unexpected(self, token: _Token, expected: str) -> RequestError:
        found = "<EOF>" if token.kind == "eof" else f'"{token.value}"'
        return _syntax(f"{expected}, found {found}.", self.source, token.pos)

    # -- executable documents ---------------------------------------------------------------

    def document(self) -> list[Operation]:
        operations = []
        while not self.peek(kind="eof"):
            operations.append(self.operation())
        if not operations:
            raise self.unexpected(self.tokens[self.i], "Unexpected <EOF>")
        return operations

    def operation(self) -> Operation:
        if self.peek("{"):
            return Operation("query", None, {}, self.selection_set())
        token = self.take()
        if token.value == "fragment":
            raise _unsupported("fragments")
        if token.value == "subscription":
            raise _unsupported("subscriptions")
        if token.value not in ("query", "mutation"):
            raise self.unexpected(token, "Unexpected Name")
        name = self.expect_name() if self.peek(kind="name") else None
        variables: dict[str, VariableDefinition] = {}
        if self.skip("("):
            while not self.skip(")"):
                self.expect("$")
                var = self.expect_name()
                self.expect(":")
                definition = VariableDefinition(self.type_ref())
                if self.skip("="):
                    definition.default = self.value(const=True)
                    definition.has_default = True
                variables[var] = definition
        self.no_directives()
        return Operation(token.value, name, variables, self.selection_set())

    def no_directives(self) -> None:
        if self.peek("@"):
            raise _unsupported("directives")

    def selection_set(self) -> list[Selection]:
        self.expect("{")
        selections = []
        while not self.skip("}"):
            if self.peek("..."):
                raise _unsupported("fragments")
            name = self.expect_name()
            alias = None
            if self.skip(":"):
                alias, name = name, self.expect_name()
            arguments = self.arguments(const=False)
            self.no_directives()
            nested = self.selection_set() if self.peek("{") else None
            selections.append(Selection(name, alias, arguments, nested))
        return selections

    def arguments(self, *, const: bool) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        if self.skip("("):
            while not self.skip(")"):
                name = self.expect_name()
                self.expect(":")
                arguments[name] = self.value(const=const)
        return arguments

    def type_ref(self) -> str:
        if self.skip("["):
            inner = self.type_ref()
            self.expect("]")
            text = f"[{inner}]"
        else:
            text = self.expect_name()
        return text + "!" if self.skip("!") else text

    def value(self, *, const: bool) -> Any:
        token = self.take()
        if token.value == "$" and token.kind == "punct":
            if const:
                raise self.unexpected(token, "Unexpected variable")
            return Variable(self.expect_name())
        if token.kind == "int":
            return int(token.value)
        if token.kind == "float":
            return float(token.value)
        if token.kind == "string":
            return token.value
        if token.kind == "name":
            return {"true": True, "false": False, "null": None}.get(
                token.value, EnumValue(token.value)
            )
        if token.value == "[":
            items = []
            while not self.skip("]"):
                items.append(self.value(const=const))
            return items
        if token.value == "{":
            fields = {}
            while not self.skip("}"):
                name = self.expect_name()
                self.expect(":")
                fields[name] = self.value(const=const)
            return fields
        raise self.unexpected(token, "Unexpected token")

    # -- schema definition language ---------------------------------------------------------

    def schema(self) -> Schema:
        schema = Schema()
        while not self.peek(kind="eof"):
            keyword = self.expect_name()
            name = self.expect_name()
            if keyword == "scalar":
                schema.scalars.add(name)
            elif keyword == "enum":
                self.expect("{")
                values = set()
                while not self.skip("}"):
                    values.add(self.expect_name())
                schema.enums[name] = values
            elif keyword in ("type", "input"):
                self.expect("{")
                fields: dict[str, FieldDefinition] = {}
                while not self.skip("}"):
                    field_name = self.expect_name()
                    args: dict[str, str] = {}
                    if self.skip("("):
                        while not self.skip(")"):
                            arg = self.expect_name()
                            self.expect(":")
                            args[arg] = self.type_ref()
                    self.expect(":")
                    fields[field_name] = FieldDefinition(self.type_ref(), args)
                (schema.objects if keyword == "type" else schema.inputs)[name] = fields
            else:
                raise _syntax(f'Unexpected Name "{keyword}".', self.source, 0)
        return schema


def _unsupported(feature: str) -> RequestError:
    return RequestError(
        [GraphQLError(f"The Runpod API emulator does not support {feature}.", code="UNSUPPORTED")]
    )


def parse(source: str) -> list[Operation]:
    """Parse an executable document into its operations (raises :class:`RequestError`)."""
    return _Parser(source).document()


# ---------------------------------------------------------------------------------------------
# Schema


@dataclass
class FieldDefinition:
    type: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass
class Schema:
    objects: dict[str, dict[str, FieldDefinition]] = field(default_factory=dict)
    inputs: dict[str, dict[str, FieldDefinition]] = field(default_factory=dict)
    scalars: set[str] = field(default_factory=lambda: set(BUILTIN_SCALARS))
    enums: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_sdl(cls, sdl: str) -> Schema:
        return _Parser(sdl).schema()

    def is_leaf(self, type_ref: str) -> bool:
        name = named_type(type_ref)
        return name in self.scalars or name in self.enums

    def is_input(self, type_ref: str) -> bool:
        name = named_type(type_ref)
        return self.is_leaf(name) or name in self.inputs


def named_type(type_ref: str) -> str:
    return type_ref.strip("[]!")


def _unwrap_non_null(type_ref: str) -> tuple[str, bool]:
    return (type_ref[:-1], True) if type_ref.endswith("!") else (type_ref, False)


def _is_list(type_ref: str) -> bool:
    return type_ref.startswith("[")


def _list_item(type_ref: str) -> str:
    return type_ref[1:-1]


def _type_fits(variable_type: str, location_type: str) -> bool:
    """graphql-js ``isTypeSubTypeOf``: may a variable of ``variable_type`` be used here?"""
    location, location_required = _unwrap_non_null(location_type)
    variable, variable_required = _unwrap_non_null(variable_type)
    if location_required and not variable_required:
        return False
    if _is_list(location) or _is_list(variable):
        return (
            _is_list(location)
            and _is_list(variable)
            and _type_fits(_list_item(variable), _list_item(location))
        )
    return location == variable


# ---------------------------------------------------------------------------------------------
# Validation


def _variable_uses(value: Any) -> Iterator[Variable]:
    if isinstance(value, Variable):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _variable_uses(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _variable_uses(item)


def validate(schema: Schema, operation: Operation) -> None:
    """Raise :class:`RequestError` with every validation error graphql-js would report."""
    errors: list[GraphQLError] = []
    used: set[str] = set()
    op_label = f' by operation "{operation.name}"' if operation.name else ""
    root = "Query" if operation.kind == "query" else "Mutation"

    for var_name, definition in operation.variables.items():
        if named_type(definition.type) not in schema.scalars | set(schema.enums) | set(
            schema.inputs
        ):
            errors.append(GraphQLError(f'Unknown type "{named_type(definition.type)}".'))
        elif not schema.is_input(definition.type):
            errors.append(
                GraphQLError(
                    f'Variable "${var_name}" cannot be non-input type "{definition.type}".'
                )
            )

    def check_value(value: Any, expected: str) -> None:
        if isinstance(value, Variable):
            used.add(value.name)
            definition = operation.variables.get(value.name)
            if definition is None:
                errors.append(GraphQLError(f'Variable "${value.name}" is not defined{op_label}.'))
            elif not _type_fits(definition.type, expected) and not (
                definition.has_default and _type_fits(definition.type + "!", expected)
            ):
                errors.append(
                    GraphQLError(
                        f'Variable "${value.name}" of type "{definition.type}" used in position '
                        f'expecting type "{expected}".'
                    )
                )
            return
        for nested in _variable_uses(value):  # literal lists/objects: checked when coerced
            check_value(nested, "JSON")

    def walk(type_name: str, selections: list[Selection]) -> None:
        fields = schema.objects[type_name]
        for selection in selections:
            definition = fields.get(selection.name)
            if definition is None:
                errors.append(
                    GraphQLError(f'Cannot query field "{selection.name}" on type "{type_name}".')
                )
                continue
            for arg, value in selection.arguments.items():
                if arg not in definition.args:
                    errors.append(
                        GraphQLError(
                            f'Unknown argument "{arg}" on field "{type_name}.{selection.name}".'
                        )
                    )
                else:
                    check_value(value, definition.args[arg])
            for arg, arg_type in definition.args.items():
                if arg_type.endswith("!") and arg not in selection.arguments:
                    errors.append(
                        GraphQLError(
                            f'Field "{selection.name}" argument "{arg}" of type "{arg_type}" '
                            "is required, but it was not provided."
                        )
                    )
            target = named_type(definition.type)
            if schema.is_leaf(target):
                if selection.selections is not None:
                    errors.append(
                        GraphQLError(
                            f'Field "{selection.name}" must not have a selection since type '
                            f'"{definition.type}" has no subfields.'
                        )
                    )
            elif selection.selections is None:
                errors.append(
                    GraphQLError(
                        f'Field "{selection.name}" of type "{definition.type}" must have a '
                        f'selection of subfields. Did you mean "{selection.name} {{ ... }}"?'
                    )
                )
            else:
                walk(target, selection.selections)

    walk(root, operation.selections)
    for var_name in operation.variables:
        if var_name not in used:
            in_op = f' in operation "{operation.name}"' if operation.name else ""
            errors.append(GraphQLError(f'Variable "${var_name}" is never used{in_op}.'))
    if errors:
        for error in errors:
            error.code = "GRAPHQL_VALIDATION_FAILED"
        raise RequestError(errors)


# ---------------------------------------------------------------------------------------------
# Input coercion


class _CoercionError(Exception):
    def __init__(self, reason: str, path: list[str | int]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


def _show(value: Any) -> str:
    return json.dumps(value, default=str)


def coerce_input(schema: Schema, value: Any, type_ref: str, path: list[str | int]) -> Any:
    """A JSON value coerced to ``type_ref`` (raises ``_CoercionError`` like graphql-js)."""
    inner, required = _unwrap_non_null(type_ref)
    if value is None:
        if required:
            raise _CoercionError(f'Expected non-nullable type "{type_ref}" not to be null.', path)
        return None
    if _is_list(inner):
        item_type = _list_item(inner)
        if isinstance(value, list):
            return [coerce_input(schema, v, item_type, [*path, i]) for i, v in enumerate(value)]
        return [coerce_input(schema, value, item_type, path)]
    if inner in schema.inputs:
        if not isinstance(value, dict):
            raise _CoercionError(f'Expected type "{inner}" to be an object.', path)
        fields = schema.inputs[inner]
        for key in value:
            if key not in fields:
                raise _CoercionError(f'Field "{key}" is not defined by type "{inner}".', path)
        coerced = {}
        for name, definition in fields.items():
            if name in value:
                coerced[name] = coerce_input(schema, value[name], definition.type, [*path, name])
            elif definition.type.endswith("!"):
                raise _CoercionError(
                    f'Field "{name}" of required type "{definition.type}" was not provided.', path
                )
        return coerced
    return _coerce_scalar(schema, inner, value, path)


def _coerce_scalar(schema: Schema, name: str, value: Any, path: list[str | int]) -> Any:
    if name in schema.enums:
        if not isinstance(value, str) or value not in schema.enums[name]:
            raise _CoercionError(f'Value {_show(value)} does not exist in "{name}" enum.', path)
        return value
    if name == "String":
        if not isinstance(value, str):
            raise _CoercionError(
                f"String cannot represent a non string value: {_show(value)}", path
            )
        return value
    if name == "ID":
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise _CoercionError(f"ID cannot represent value: {_show(value)}", path)
        return str(value)
    if name == "Boolean":
        if not isinstance(value, bool):
            raise _CoercionError(
                f"Boolean cannot represent a non boolean value: {_show(value)}", path
            )
        return value
    if name == "Int":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise _CoercionError(f"Int cannot represent non-integer value: {_show(value)}", path)
        if not INT_MIN <= value <= INT_MAX:
            raise _CoercionError(
                f"Int cannot represent non 32-bit signed integer value: {_show(value)}", path
            )
        return int(value)
    if name == "Float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _CoercionError(f"Float cannot represent non numeric value: {_show(value)}", path)
        return float(value)
    return value  # custom scalars (JSON, Void) accept any JSON value


def coerce_variables(
    schema: Schema, operation: Operation, values: dict[str, Any]
) -> dict[str, Any]:
    errors = []
    coerced: dict[str, Any] = {}
    for name, definition in operation.variables.items():
        if name not in values:
            if definition.has_default:
                coerced[name] = definition.default
            elif definition.type.endswith("!"):
                errors.append(
                    GraphQLError(
                        f'Variable "${name}" of required type "{definition.type}" was not '
                        "provided.",
                        code="BAD_USER_INPUT",
                    )
                )
            continue
        try:
            coerced[name] = coerce_input(schema, values[name], definition.type, [])
        except _CoercionError as exc:
            where = (
                f' at "{name}'
                + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path)
                + '"'
                if exc.path
                else ""
            )
            errors.append(
                GraphQLError(
                    f'Variable "${name}" got invalid value {_show(values[name])}{where}; '
                    f"{exc.reason}",
                    code="BAD_USER_INPUT",
                )
            )
    if errors:
        raise RequestError(errors)
    return coerced


def _argument_values(
    schema: Schema,
    definition: FieldDefinition,
    selection: Selection,
    variables: dict[str, Any],
    path: list[str | int],
) -> dict[str, Any]:
    def resolve(value: Any) -> Any:
        if isinstance(value, Variable):
            return variables.get(value.name)
        if isinstance(value, EnumValue):
            return value.name
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    args: dict[str, Any] = {}
    for name, arg_type in definition.args.items():
        if name not in selection.arguments:
            continue
        raw = resolve(selection.arguments[name])
        try:
            args[name] = coerce_input(schema, raw, arg_type, [])
        except _CoercionError as exc:
            raise GraphQLError(
                f'Argument "{name}" has invalid value {_show(raw)}: {exc.reason}', path=path
            ) from exc
    return args


# ---------------------------------------------------------------------------------------------
# Execution

# A resolved object is a dict; a value may be a callable taking the field's arguments (a field
# with arguments, or one that is costly to compute).
Resolver = Callable[[str, dict[str, Any]], Any]


def execute(
    schema: Schema,
    operation: Operation,
    variables: dict[str, Any],
    resolve_root: Resolver,
) -> tuple[dict[str, Any], list[GraphQLError]]:
    """Run a validated operation: ``(data, errors)``; a failing field is null plus an error."""
    root = "Query" if operation.kind == "query" else "Mutation"
    errors: list[GraphQLError] = []
    data: dict[str, Any] = {}
    for selection in operation.selections:  # in order: mutations run one after the other
        definition = schema.objects[root][selection.name]
        path: list[str | int] = [selection.key]
        try:
            args = _argument_values(schema, definition, selection, variables, path)
            value = resolve_root(selection.name, args)
            data[selection.key] = _complete(
                schema, definition.type, selection, value, variables, path, errors
            )
        except GraphQLError as exc:
            exc.path = exc.path or path
            errors.append(exc)
            data[selection.key] = None
    return data, errors


def _complete(
    schema: Schema,
    type_ref: str,
    selection: Selection,
    value: Any,
    variables: dict[str, Any],
    path: list[str | int],
    errors: list[GraphQLError],
) -> Any:
    inner, _required = _unwrap_non_null(type_ref)
    if value is None:
        return None
    if _is_list(inner):
        return [
            _complete(schema, _list_item(inner), selection, item, variables, [*path, i], errors)
            for i, item in enumerate(value)
        ]
    if schema.is_leaf(inner):
        return value
    result: dict[str, Any] = {}
    fields = schema.objects[inner]
    for sub in selection.selections or []:
        definition = fields[sub.name]
        sub_path = [*path, sub.key]
        try:
            raw = value.get(sub.name)
            if callable(raw):
                raw = raw(_argument_values(schema, definition, sub, variables, sub_path))
            result[sub.key] = _complete(
                schema, definition.type, sub, raw, variables, sub_path, errors
            )
        except GraphQLError as exc:
            exc.path = exc.path or sub_path
            errors.append(exc)
            result[sub.key] = None
    return result
