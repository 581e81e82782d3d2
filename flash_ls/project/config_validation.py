"""Validation of ``[tool.flash-ls]`` values written by a user (pyproject table, editor settings).

Imported by :mod:`flash_ls.project.config` only when there is something to validate, because it
loads pydantic: an app without a ``[tool.flash-ls]`` table, checked without overrides, never pays
for it. :class:`ConfigModel` states the rules (types, bounds, severity names); the result is the
plain :class:`~flash_ls.project.config.Config` dataclass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from flash_ls.diagnostic import Severity
from flash_ls.project.config import (
    FIELD_NAMES,
    KNOWN_KEYS,
    SETTINGS,
    Config,
    ConfigError,
    ConfigProblem,
    KeyLocator,
    SeverityName,
    field_name,
    kebab,
)


def _severity_label(value: Any) -> Any:
    # Accept "Error" / "information" as the editor does; anything else fails the Literal check.
    if isinstance(value, str):
        try:
            return Severity.parse(value).label
        except ValueError:
            return value
    return value


class ConfigModel(BaseModel):
    """The validation rules of each :class:`~flash_ls.project.config.Config` field (same names,
    types and defaults)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=True,
        alias_generator=kebab,
    )

    select: list[str] | None = None
    ignore: list[str] = Field(default_factory=list)
    severity: dict[str, Annotated[SeverityName, BeforeValidator(_severity_label)]] = Field(
        default_factory=dict
    )
    size_budget_mb: float = Field(default=1500.0, gt=0)
    size_warn_ratio: float = Field(default=0.8, gt=0, le=1)
    large_file_mb: float = Field(default=50.0, gt=0)
    exclude: list[str] = Field(default_factory=list)
    python: str | None = None

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
        )


def _values(config: Config) -> dict[str, Any]:
    return {name: getattr(config, name) for name in FIELD_NAMES}


def validate(
    table: Mapping[str, Any], source: str, locate: KeyLocator | None = None
) -> tuple[Config, list[ConfigProblem]]:
    """Validate ``table``, dropping each bad key or entry with a problem, keeping the rest."""
    model, problems = _validate(table, source, locate)
    return model.to_config(), problems


def merge(config: Config, overrides: Mapping[str, Any]) -> Config:
    """``config`` with ``overrides`` laid over it (see :meth:`Config.merged`)."""
    overlay, problems = _validate(overrides, SETTINGS)
    if problems:
        raise ConfigError(problems)
    values = _values(config)
    for name in overlay.model_fields_set:
        values[name] = getattr(overlay, name)
    if "severity" in overlay.model_fields_set:
        values["severity"] = {**config.severity, **overlay.severity}
    return ConfigModel.model_validate(values).to_config()


def _validate(
    table: Mapping[str, Any], source: str, locate: KeyLocator | None = None
) -> tuple[ConfigModel, list[ConfigProblem]]:
    def problem(message: str, key: str | None) -> ConfigProblem:
        return ConfigProblem(message, locate.line(key) if locate else None, key)

    problems: list[ConfigProblem] = []
    data: dict[str, Any] = {}
    written: dict[str, str] = {}  # field name -> key as the user wrote it
    for key, value in table.items():
        name = field_name(key)
        if name is None:
            problems.append(problem(_unknown_key_message(key, source), key))
        elif name in data:
            message = f"{source}: `{key}` repeats `{written[name]}`; the first one is used"
            problems.append(problem(message, key))
        else:
            data[name] = value
            written[name] = key
    # Each round drops what failed; a key can fail at most once per nesting level.
    for _ in range(3):
        try:
            return ConfigModel.model_validate(data), problems
        except ValidationError as exc:
            errors = exc.errors()
            for error in errors:
                loc = error["loc"]
                name = str(loc[0])
                key = written.get(name, kebab(name))
                where = key + "".join(f"[{part!r}]" for part in loc[1:])
                message = f"{source}: invalid `{where}`: {error['msg']} (got {error['input']!r})"
                problems.append(problem(message, key))
            # Later list entries first: dropping one must not move the others' indices.
            for loc in sorted((e["loc"] for e in errors), key=_drop_order):
                _drop(data, loc)
    return ConfigModel(), problems


def _drop_order(loc: tuple[int | str, ...]) -> tuple[str, int]:
    entry = loc[1] if len(loc) > 1 else None
    return str(loc[0]), -entry if isinstance(entry, int) else 0


def _drop(data: dict[str, Any], loc: tuple[int | str, ...]) -> None:
    """Remove the value at ``loc`` (a list or dict entry if possible, else the whole key)."""
    name = str(loc[0])
    if name not in data:
        return
    value = data[name]
    entry = loc[1] if len(loc) > 1 else None
    if isinstance(value, list) and isinstance(entry, int) and 0 <= entry < len(value):
        data[name] = [item for index, item in enumerate(value) if index != entry]
    elif isinstance(value, dict) and isinstance(entry, str) and entry in value:
        data[name] = {k: v for k, v in value.items() if k != entry}
    else:
        del data[name]


def _unknown_key_message(key: str, source: str) -> str:
    import difflib  # only for hints

    close = difflib.get_close_matches(kebab(key), KNOWN_KEYS, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return f"{source}: unknown key `{key}`; {hint}known keys: {', '.join(KNOWN_KEYS)}"
