"""``[tool.flash-ls]`` in an app's ``pyproject.toml``: the model, loading, and overlays.

Loading never raises: a broken file, an unknown key or a bad value becomes a
:class:`ConfigProblem` (with the line where it can be found) and the rest of the configuration
still applies. Keys may be written kebab-case (``size-budget-mb``) or snake_case
(``size_budget_mb``). Whether ``select``/``ignore``/``severity`` entries name real rules is
checked by the rules layer, which knows the registry.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from flash_ls.diagnostic import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TABLE = "[tool.flash-ls]"
"""How messages name the configuration table."""

SETTINGS = "flash-ls settings"
"""How messages name editor settings and CLI flags overlaid with :meth:`Config.merged`."""


def _severity_label(value: Any) -> Any:
    # Accept "Error" / "information" as the editor does; anything else fails the Literal check.
    if isinstance(value, str):
        try:
            return Severity.parse(value).label
        except ValueError:
            return value
    return value


SeverityName = Annotated[
    Literal["error", "warning", "info", "hint"], BeforeValidator(_severity_label)
]


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class Config(BaseModel):
    """The ``[tool.flash-ls]`` settings of one app (defaults when the table is absent)."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        populate_by_name=True,
        alias_generator=_kebab,
    )

    select: list[str] | None = None
    """Codes, slugs or prefixes of the rules to run; None runs every default rule."""
    ignore: list[str] = Field(default_factory=list)
    """Codes, slugs or prefixes of rules never reported."""
    severity: dict[str, SeverityName] = Field(default_factory=dict)
    """Rule code/slug -> "error" / "warning" / "info" / "hint"."""
    size_budget_mb: float = Field(default=1500.0, gt=0)
    """Artifact size limit in MB (1024**2 bytes), the official tarball limit by default."""
    size_warn_ratio: float = Field(default=0.8, gt=0, le=1)
    """Fraction of the budget above which the artifact is reported as near the limit."""
    large_file_mb: float = Field(default=50.0, gt=0)
    """Size above which one shipped project file is reported."""
    exclude: list[str] = Field(default_factory=list)
    """Globs (relative to the app root) of files that are not checked."""
    python: str | None = None
    """Interpreter or virtualenv used to measure installed dependency sizes."""

    def merged(self, overrides: Mapping[str, Any]) -> Config:
        """This configuration with ``overrides`` (editor settings, CLI flags) laid over it.

        Keys may be kebab- or snake_case; a None value means "not given". Lists replace the file's
        value, ``severity`` entries are merged into it. Raises :class:`ConfigError`, naming each
        bad key, when an override is unknown or invalid.
        """
        given = {key: value for key, value in overrides.items() if value is not None}
        overlay, problems = _validate(given, SETTINGS)
        if problems:
            raise ConfigError(problems)
        values = self.model_dump()
        for name in overlay.model_fields_set:
            values[name] = getattr(overlay, name)
        if "severity" in overlay.model_fields_set:
            values["severity"] = {**self.severity, **overlay.severity}
        return Config.model_validate(values)


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """Why (part of) a configuration was not applied; ``line`` is 0-based, None when unknown."""

    message: str
    line: int | None = None
    key: str | None = None


class ConfigError(ValueError):
    """Raised by :meth:`Config.merged` for invalid overrides; ``problems`` lists each one."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


KNOWN_KEYS: tuple[str, ...] = tuple(_kebab(name) for name in Config.model_fields)
"""The configuration keys, as documented (kebab-case)."""


def load_config(app_root: Path) -> tuple[Config, list[ConfigProblem]]:
    """Read ``[tool.flash-ls]`` from ``app_root/pyproject.toml``; never raises.

    A missing file or table gives the defaults and no problems. An unreadable or invalid TOML file
    gives one problem and the defaults. Unknown keys and bad values each give a problem and are
    left out; the remaining keys still apply.
    """
    path = app_root / "pyproject.toml"
    if not path.is_file():
        return Config(), []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return Config(), [ConfigProblem(f"cannot read pyproject.toml: {exc}")]
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = f"pyproject.toml is not valid TOML, {TABLE} was not read: {exc}"
        return Config(), [ConfigProblem(message, _error_line(exc, text))]
    tool = document.get("tool")
    if not isinstance(tool, dict) or "flash-ls" not in tool:
        return Config(), []
    table = tool["flash-ls"]
    locate = _KeyLocator(text)
    if not isinstance(table, dict):
        message = f"{TABLE} must be a table, got {type(table).__name__}"
        return Config(), [ConfigProblem(message, locate.line(None))]
    return _validate(table, TABLE, locate)


def _error_line(exc: Exception, text: str) -> int | None:
    lineno = getattr(exc, "lineno", None)  # Python 3.14+
    if isinstance(lineno, int):
        return lineno - 1
    match = re.search(r"at line (\d+)", str(exc))
    if match:
        return int(match.group(1)) - 1
    if "end of document" in str(exc):
        return max(len(text.splitlines()) - 1, 0)
    return None


def _field_name(key: str) -> str | None:
    name = key.replace("-", "_")
    return name if name in Config.model_fields else None


def _validate(
    table: Mapping[str, Any], source: str, locate: _KeyLocator | None = None
) -> tuple[Config, list[ConfigProblem]]:
    """Validate ``table``, dropping each bad key or entry with a problem, keeping the rest."""

    def problem(message: str, key: str | None) -> ConfigProblem:
        return ConfigProblem(message, locate.line(key) if locate else None, key)

    problems: list[ConfigProblem] = []
    data: dict[str, Any] = {}
    written: dict[str, str] = {}  # field name -> key as the user wrote it
    for key, value in table.items():
        name = _field_name(key)
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
            return Config.model_validate(data), problems
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"]
                name = str(loc[0])
                key = written.get(name, _kebab(name))
                where = key + "".join(f"[{part!r}]" for part in loc[1:])
                message = f"{source}: invalid `{where}`: {error['msg']} (got {error['input']!r})"
                problems.append(problem(message, key))
                _drop(data, loc)
    return Config(), problems


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
    import difflib  # only for hints: not loaded at start-up

    close = difflib.get_close_matches(_kebab(key), KNOWN_KEYS, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return f"{source}: unknown key `{key}`; {hint}known keys: {', '.join(KNOWN_KEYS)}"


_TABLE_HEADER = re.compile(
    r"""^\s*\[\s*tool\s*\.\s*(?:"flash-ls"|'flash-ls'|flash-ls)\s*(?:\.\s*(?P<sub>[^\]]*?))?\s*\]"""
)
_ANY_HEADER = re.compile(r"^\s*\[")


class _KeyLocator:
    """Finds the line of a ``[tool.flash-ls]`` key in the source text (best effort)."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._header: int | None = None
        self._subtables: dict[str, int] = {}
        self._section: range = range(0)
        for index, line in enumerate(self._lines):
            match = _TABLE_HEADER.match(line)
            if not match:
                continue
            sub = match.group("sub")
            if sub:
                self._subtables.setdefault(sub.strip().strip("\"'"), index)
            elif self._header is None:
                self._header = index
                end = next(
                    (
                        i
                        for i in range(index + 1, len(self._lines))
                        if _ANY_HEADER.match(self._lines[i])
                    ),
                    len(self._lines),
                )
                self._section = range(index + 1, end)

    def line(self, key: str | None) -> int | None:
        """0-based line of ``key`` (or of the table when ``key`` is None); None if not found."""
        if key is not None:
            if key in self._subtables:
                return self._subtables[key]
            at_start = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*[=.]""")
            for index in self._section:
                if at_start.match(self._lines[index]):
                    return index
            dotted = re.compile(rf"""flash-ls["']?\s*\.\s*["']?{re.escape(key)}["']?\s*[=.]""")
            for index, text in enumerate(self._lines):
                if dotted.search(text):
                    return index
        if self._header is not None:
            return self._header
        inline = re.compile(r"""^\s*(?:tool\s*\.\s*)?["']?flash-ls["']?\s*[=.]""")
        return next((i for i, text in enumerate(self._lines) if inline.match(text)), None)
