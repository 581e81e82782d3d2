"""Validation of ``[tool.flash-ls]`` values written by a user (pyproject table, editor settings).

Imported by :mod:`flash_ls.project.config` only when there is something to validate, because it
loads pydantic: an app without a ``[tool.flash-ls]`` table, checked without overrides, never pays
for it. :class:`ConfigModel` states the rules (types, bounds, severity names, selectors that name
a rule: the caller passes the rule registry's check, as a ``known_selector`` validation context);
the result is the plain :class:`~flash_ls.project.config.Config` dataclass, or every problem
found, each as one short line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from flash_ls.diagnostic import Severity
from flash_ls.project.config import (
    FIELD_NAMES,
    KNOWN_KEYS,
    SETTINGS,
    TABLE,
    Config,
    ConfigError,
    ConfigProblem,
    KnownSelector,
    SeverityName,
    field_name,
    kebab,
    kind,
)
from flash_ls.span import Span

MAX_MESSAGE = 79
"""Messages longer than this leave out the value they quote."""


def _severity_label(value: Any) -> Any:
    # Accept "Error" / "information" as the editor does; anything else fails the Literal check.
    if isinstance(value, str):
        try:
            return Severity.parse(value).label
        except ValueError:
            return value
    return value


_KNOWN_SELECTOR = "known_selector"
"""The validation context's entry holding the caller's :data:`KnownSelector`."""


def _known_selector(selector: str, info: ValidationInfo) -> str:
    known: KnownSelector | None = (info.context or {}).get(_KNOWN_SELECTOR)
    if known is not None and not known(selector):
        raise PydanticCustomError("unknown_rule", "unknown rule {selector}", {"selector": selector})
    return selector


Selector = Annotated[str, AfterValidator(_known_selector)]
"""A rule code, code prefix, slug or ``ALL`` that names at least one rule."""

_PACKAGE_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


def _package_name(name: str) -> str:
    # A name as `flash build --exclude` takes it: no commas, spaces or version specifiers.
    if not _PACKAGE_NAME.fullmatch(name.strip()):
        raise PydanticCustomError("package_name", "not a package name: {name}", {"name": name})
    return name.strip()


def _size_platform(name: str) -> str:
    from flash_ls.platform import SIZE_PLATFORMS

    if name not in SIZE_PLATFORMS:
        raise PydanticCustomError(
            "size_platform", "one of {names}", {"names": ", ".join(SIZE_PLATFORMS)}
        )
    return name


_DEFAULTS = Config()


class ConfigModel(BaseModel):
    """The validation rules of each :class:`~flash_ls.project.config.Config` field (same names,
    types and defaults)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=True,
        alias_generator=kebab,
    )

    select: list[Selector] | None = None
    ignore: list[Selector] = Field(default_factory=list)
    severity: dict[Selector, Annotated[SeverityName, BeforeValidator(_severity_label)]] = Field(
        default_factory=dict
    )
    size_budget_mb: float = Field(default=_DEFAULTS.size_budget_mb, gt=0)
    size_warn_ratio: float = Field(default=_DEFAULTS.size_warn_ratio, gt=0, le=1)
    large_file_mb: float = Field(default=_DEFAULTS.large_file_mb, gt=0)
    exclude: list[str] = Field(default_factory=list)
    python: str | None = None
    exclude_packages: list[Annotated[str, AfterValidator(_package_name)]] = Field(
        default_factory=list
    )
    size_platform: Annotated[str, AfterValidator(_size_platform)] | None = None
    size_timeout: float = Field(default=_DEFAULTS.size_timeout, gt=0)
    offline: bool = False

    def to_config(self) -> Config:
        """The validated values as a :class:`~flash_ls.project.config.Config`."""
        return Config(
            select=self.select,
            ignore=self.ignore,
            severity=self.severity,
            size_budget_mb=self.size_budget_mb,
            size_warn_ratio=self.size_warn_ratio,
            large_file_mb=self.large_file_mb,
            exclude=self.exclude,
            python=self.python,
            exclude_packages=self.exclude_packages,
            size_platform=self.size_platform,
            size_timeout=self.size_timeout,
            offline=self.offline,
        )


Locate = Callable[[Sequence[str]], Span]
"""The span of a key path inside the table, as written (``("severity", "FL301")``)."""


def validate(
    table: Mapping[str, Any],
    path: Path,
    locate: Locate,
    known_selector: KnownSelector | None = None,
) -> tuple[Config, list[ConfigProblem]]:
    """Validate a ``[tool.flash-ls]`` table read from ``path``.

    Returns the configuration and no problems, or the defaults and every problem found, each
    located in the file: a table with a problem is not applied at all.
    """
    model, problems = _validate(table, _IN_FILE, known_selector)
    if problems:
        located = [ConfigProblem(p.message, path, locate(p.key_path)) for p in problems]
        return Config(), sorted(located, key=lambda problem: problem.span or Span.point(0))
    return model.to_config(), []


def merge(
    config: Config, overrides: Mapping[str, Any], known_selector: KnownSelector | None = None
) -> Config:
    """``config`` with ``overrides`` laid over it (see :meth:`Config.merged`)."""
    overlay, problems = _validate(overrides, _IN_SETTINGS, known_selector)
    if problems:
        raise ConfigError([ConfigProblem(problem.message) for problem in problems])
    values = {name: getattr(config, name) for name in FIELD_NAMES}
    for name in overlay.model_fields_set:
        values[name] = getattr(overlay, name)
    if "severity" in overlay.model_fields_set:
        values["severity"] = {**config.severity, **overlay.severity}
    return ConfigModel.model_validate(values, context=_context(known_selector)).to_config()


@dataclass(frozen=True, slots=True)
class _Source:
    """How messages name where the values were written."""

    prefix: str  # before every message
    unknown_in: str  # after "unknown key `x`"


_IN_FILE = _Source("", f" in {TABLE}")
_IN_SETTINGS = _Source(f"{SETTINGS}: ", "")


@dataclass(frozen=True, slots=True)
class _Problem:
    message: str
    key_path: tuple[str, ...]  # as written: ("severity", "FL301")


def _context(known_selector: KnownSelector | None) -> dict[str, Any]:
    return {_KNOWN_SELECTOR: known_selector}


def _validate(
    values: Mapping[str, Any], source: _Source, known_selector: KnownSelector | None
) -> tuple[ConfigModel, list[_Problem]]:
    """The validated model, or the defaults and every problem (unknown keys, then bad values)."""
    problems: list[_Problem] = []
    data: dict[str, Any] = {}
    written: dict[str, str] = {}  # field name -> key as the user wrote it
    for key, value in values.items():
        name = field_name(key)
        if name is None:
            message = f"unknown key `{key}`{source.unknown_in}{_suggestion(key)}"
            problems.append(_Problem(source.prefix + message, (key,)))
        elif name in data:
            message = f"`{written[name]}` and `{key}` are the same key; keep one"
            problems.append(_Problem(source.prefix + message, (key,)))
        else:
            data[name] = value
            written[name] = key
    try:
        model = ConfigModel.model_validate(data, context=_context(known_selector))
    except ValidationError as exc:
        for error in exc.errors():
            name = field_name(str(error["loc"][0]))
            key = written.get(name or "", str(error["loc"][0]))
            inner = [part for part in error["loc"][1:] if part != "[key]"]
            text, detail = _invalid(error, key, inner)
            names = tuple(part for part in inner if isinstance(part, str))
            problems.append(_Problem(_fit(source.prefix + text, detail), (key, *names)))
        return ConfigModel(), problems
    return (ConfigModel(), problems) if problems else (model, [])


_EXPECTED = {
    "list_type": "an array",
    "dict_type": "a table",
    "string_type": "a string",
    "float_type": "a number",
    "bool_type": "true or false",
}


def _invalid(error: ErrorDetails, key: str, inner: Sequence[int | str]) -> tuple[str, str]:
    """A bad value's message, and what it quotes of the value (left out when too long)."""
    where = f"`{key}{''.join(_part(part) for part in inner)}`"
    kind_of, value, context = error["type"], error["input"], error.get("ctx", {})
    if kind_of == "unknown_rule":
        return f"unknown rule `{value}` in `{key}`", "; see `flash-ls rules`"
    if kind_of == "package_name":
        return f"{where} is not a package name", f": {value!r}"
    if kind_of == "size_platform":
        return f"{where} must be {context['names']}", f", not {value!r}"
    if kind_of in _EXPECTED:
        return f"{where} must be {_EXPECTED[kind_of]}", f", not {kind(value)}"
    if kind_of == "greater_than":
        return f"{where} must be greater than {context['gt']:g}", f", not {value!r}"
    if kind_of == "less_than_equal":
        return f"{where} must be at most {context['le']:g}", f", not {value!r}"
    if kind_of == "literal_error":
        expected = str(context["expected"]).replace("'", "")
        return f"{where} must be {expected}", f", not {value!r}"
    return f"{where}: {error['msg']}", f" (got {value!r})"


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _part(part: int | str) -> str:
    """One step of a key path as TOML writes it: ``[1]``, ``.FL301``, ``."a b"``."""
    if isinstance(part, int):
        return f"[{part}]"
    return f".{part}" if _BARE_KEY.fullmatch(part) else f".{json.dumps(part, ensure_ascii=False)}"


def _fit(text: str, detail: str) -> str:
    return text + detail if len(text + detail) <= MAX_MESSAGE else text


def _suggestion(key: str) -> str:
    import difflib  # only for hints

    close = difflib.get_close_matches(kebab(key), KNOWN_KEYS, n=1)
    return f"; did you mean `{close[0]}`?" if close else ""
