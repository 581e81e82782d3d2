"""``[tool.flash-ls]`` in an app's ``pyproject.toml``: the settings, loading, and overlays.

Loading never raises: a broken file, an unknown key, a bad value or a selector that names no rule
becomes a :class:`ConfigProblem` (with its place in the file), and a table with problems is not
applied at all; the caller decides what applies instead (the language server keeps the app's
last good configuration, the CLI stops with exit status 2). Keys may be written kebab-case
(``size-budget-mb``) or snake_case (``size_budget_mb``).

:class:`Config` is a plain dataclass: most apps have no ``[tool.flash-ls]`` table, and their
defaults cost nothing. Values that come from a user (a table, editor settings, CLI flags) are
validated by :mod:`flash_ls.project.config_validation`, which uses pydantic and is imported only
when there is something to validate.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from flash_ls.platform import DEFAULT_LARGE_FILE_MB, DEFAULT_SIZE_WARN_RATIO, MAX_TARBALL_SIZE_MB
from flash_ls.span import Span

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

KnownSelector = Callable[[str], bool]
"""Whether a rule selector (code, code prefix, slug or ``ALL``) names at least one rule: the rule
registry's ``is_known_selector``, passed in by the caller (this layer does not import the rules).
Without it, selectors are not checked."""


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
    size_budget_mb: float = float(MAX_TARBALL_SIZE_MB)
    """Artifact size limit in MB (1024**2 bytes), the official tarball limit by default."""
    size_warn_ratio: float = DEFAULT_SIZE_WARN_RATIO
    """Fraction of the budget above which the artifact is reported as near the limit."""
    large_file_mb: float = float(DEFAULT_LARGE_FILE_MB)
    """Size above which one shipped project file is reported."""
    exclude: list[str] = field(default_factory=list)
    """Globs (relative to the app root) of files that are not checked."""
    python: str | None = None
    """Interpreter or virtualenv whose pip resolves the dependencies for the size estimate (the
    one `flash build` would run); default: the app's ``.venv``/``venv``/``env``, else flash-ls's."""
    exclude_packages: list[str] = field(default_factory=list)
    """Packages left out of the artifact on top of the torch family (``flash build --exclude``):
    requirement names dropped before pip, top-level directories dropped from the archive."""
    size_platform: str | None = None
    """Platform the dependencies are resolved for (``linux-x86_64`` ...); None: this machine."""
    size_timeout: float = 180.0
    """Seconds a dependency resolution may take (pip run and wheel sizes) before giving up."""
    offline: bool = False
    """Estimate dependency sizes from the caches only: never run pip nor ask the index."""

    def merged(
        self, overrides: Mapping[str, Any], known_selector: KnownSelector | None = None
    ) -> Config:
        """This configuration with ``overrides`` (editor settings, CLI flags) laid over it.

        Keys may be kebab- or snake_case; a None value means "not given". Lists replace the file's
        value, ``severity`` entries are merged into it. Raises :class:`ConfigError`, naming each
        bad key, when an override is unknown or invalid (a selector ``known_selector`` rejects).
        """
        given = {key: value for key, value in overrides.items() if value is not None}
        if not given:
            return self.copy()
        from flash_ls.project.config_validation import merge

        return merge(self, given, known_selector)

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
            exclude_packages=list(self.exclude_packages),
            size_platform=self.size_platform,
            size_timeout=self.size_timeout,
            offline=self.offline,
        )


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """Why a configuration was not applied, and where: ``path`` and ``span`` locate it in a
    ``pyproject.toml``; both are None for editor settings and CLI flags."""

    message: str
    path: Path | None = None
    span: Span | None = None

    def located(self, show: Callable[[Path], str] = Path.as_posix) -> str:
        """``path:line: message`` (1-based line, the path as ``show`` writes it), or the message."""
        if self.path is None:
            return self.message
        line = f":{self.span.start_line + 1}" if self.span is not None else ""
        return f"{show(self.path)}{line}: {self.message}"


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


def load_config(
    app_root: Path, known_selector: KnownSelector | None = None
) -> tuple[Config, list[ConfigProblem]]:
    """Read ``[tool.flash-ls]`` from ``app_root/pyproject.toml``; never raises.

    A missing file or table gives the defaults and no problems. Otherwise any problem (an
    unreadable file, invalid TOML, an unknown key, a bad value, a rule that does not exist
    according to ``known_selector``) rejects the whole table: the result is the defaults and
    every problem found, each with its place in the file.
    """
    path = app_root / "pyproject.toml"
    if not path.is_file():
        return Config(), []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Config(), [ConfigProblem(f"cannot read: {exc.strerror or exc}", path, Span.point(0))]
    except UnicodeDecodeError as exc:
        return Config(), [ConfigProblem(f"not UTF-8 (byte {exc.start})", path, Span.point(0))]
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return Config(), [_syntax_problem(exc, text, path)]
    tool = document.get("tool")
    if not isinstance(tool, dict) or "flash-ls" not in tool:
        return Config(), []
    table = tool["flash-ls"]
    if isinstance(table, dict) and not table:
        return Config(), []
    from flash_ls.project.toml_keys import key_spans, locate

    spans = key_spans(text)

    def where(key_path: Sequence[str]) -> Span:
        return locate(spans, ("tool", "flash-ls", *key_path)) or Span.point(0)

    if not isinstance(table, dict):
        message = f"{TABLE} must be a table, not {kind(table)}"
        return Config(), [ConfigProblem(message, path, where(()))]
    from flash_ls.project.config_validation import validate

    return validate(table, path, where, known_selector)


def kind(value: object) -> str:
    """How a TOML (or JSON) value's type is written in messages: ``a string``, ``an array``."""
    return _KINDS.get(type(value), f"a {type(value).__name__}")


_KINDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
}
_POSITION = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$")


def _syntax_problem(exc: tomllib.TOMLDecodeError, text: str, path: Path) -> ConfigProblem:
    """The TOML error on its line; tomllib writes the position into the message."""
    reason = str(exc)
    found = _POSITION.search(reason)
    lines = text.split("\n")
    if found is None:
        line = 0
    else:
        reason = reason[: found.start()]
        # At the end of the document: its last line with text.
        line = int(found.group(1)) - 1 if found.group(1) else text.rstrip().count("\n")
    line = min(max(line, 0), len(lines) - 1)
    reason = reason[:1].lower() + reason[1:]
    span = Span.whole_line(line, len(lines[line].rstrip("\r")))
    return ConfigProblem(f"invalid TOML: {reason}", path, span)
