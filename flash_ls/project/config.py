"""``[tool.flash-ls]`` in an app's ``pyproject.toml``: the settings, loading, and overlays.

Loading never raises: a broken file, an unknown key or a bad value becomes a
:class:`ConfigProblem` (with the line where it can be found) and the rest of the configuration
still applies. Keys may be written kebab-case (``size-budget-mb``) or snake_case
(``size_budget_mb``). Whether ``select``/``ignore``/``severity`` entries name real rules is
checked by the rules layer, which knows the registry.

:class:`Config` is a plain dataclass: most apps have no ``[tool.flash-ls]`` table, and their
defaults cost nothing. Values that come from a user (a table, editor settings, CLI flags) are
validated by :mod:`flash_ls.project.config_validation`, which uses pydantic and is imported only
when there is something to validate.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

TABLE = "[tool.flash-ls]"
"""How messages name the configuration table."""

SETTINGS = "flash-ls settings"
"""How messages name editor settings and CLI flags overlaid with :meth:`Config.merged`."""

SeverityName = Literal["error", "warning", "info", "hint"]
"""A severity as configured (``"Error"`` and ``"information"`` are accepted and normalised)."""


def kebab(name: str) -> str:
    """A field name as the documentation writes the key (``size_budget_mb`` -> ``size-budget-mb``)."""
    return name.replace("_", "-")


@dataclass(frozen=True, slots=True)
class Config:
    """The ``[tool.flash-ls]`` settings of one app (defaults when the table is absent).

    The constructor does not validate: build one from user input with :func:`load_config` or
    :meth:`merged`, which do.
    """

    select: list[str] | None = None
    """Codes, slugs or prefixes of the rules to run; None runs every default rule."""
    ignore: list[str] = field(default_factory=list)
    """Codes, slugs or prefixes of rules never reported."""
    severity: dict[str, SeverityName] = field(default_factory=dict)
    """Rule code/slug -> "error" / "warning" / "info" / "hint"."""
    size_budget_mb: float = 1500.0
    """Artifact size limit in MB (1024**2 bytes), the official tarball limit by default."""
    size_warn_ratio: float = 0.8
    """Fraction of the budget above which the artifact is reported as near the limit."""
    large_file_mb: float = 50.0
    """Size above which one shipped project file is reported."""
    exclude: list[str] = field(default_factory=list)
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
        if not given:
            return self.copy()
        from flash_ls.project.config_validation import merge

        return merge(self, given)

    def copy(self) -> Config:
        """An equal configuration whose lists and dict are its own."""
        return Config(
            select=None if self.select is None else list(self.select),
            ignore=list(self.ignore),
            severity=dict(self.severity),
            size_budget_mb=self.size_budget_mb,
            size_warn_ratio=self.size_warn_ratio,
            large_file_mb=self.large_file_mb,
            exclude=list(self.exclude),
            python=self.python,
        )


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


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Config))
"""The configuration's attributes (snake_case), in declaration order."""

KNOWN_KEYS: tuple[str, ...] = tuple(kebab(name) for name in FIELD_NAMES)
"""The configuration keys, as documented (kebab-case)."""


def field_name(key: str) -> str | None:
    """The attribute a key (kebab- or snake_case) sets, or None for an unknown key."""
    name = key.replace("-", "_")
    return name if name in FIELD_NAMES else None


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
    locate = KeyLocator(text)
    if not isinstance(table, dict):
        message = f"{TABLE} must be a table, got {type(table).__name__}"
        return Config(), [ConfigProblem(message, locate.line(None))]
    if not table:
        return Config(), []
    from flash_ls.project.config_validation import validate

    return validate(table, TABLE, locate)


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


_TABLE_HEADER = re.compile(
    r"""^\s*\[\s*tool\s*\.\s*(?:"flash-ls"|'flash-ls'|flash-ls)\s*(?:\.\s*(?P<sub>[^\]]*?))?\s*\]"""
)
_ANY_HEADER = re.compile(r"^\s*\[")


class KeyLocator:
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
