"""Editor settings: ``initializationOptions`` and ``workspace/configuration`` section ``flash-ls``.

Server settings (``debounce_ms``, ``log_level``, ``code_lens``) are the server's own; every other
key is a ``[tool.flash-ls]`` key (``select``, ``ignore``, ``severity``, ``size-budget-mb`` ...) laid
over each app's configuration through ``Workspace.overrides``. Keys may be written snake_case, kebab-case or
camelCase (``debounceMs``) as editors like. Settings with an invalid key are reported (one
message per problem) and not applied: the last good settings stay in force.

``debounce_ms`` is how long the server waits after an edit made while a check of the same app runs
or waits (edits coming faster than the checks finish): such a burst is checked once it pauses that
long. An edit made while the app's checks are idle is checked at once, so a check that costs 10 ms
is never waited for. 0 never waits. Whatever the value, one check of an app runs at a time and
edits made meanwhile are checked together after it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flash_ls.project.config import SETTINGS, Config, ConfigError
from flash_ls.rules.registry import is_known_selector

SECTION = "flash-ls"
DEFAULT_DEBOUNCE_MS = 100  # the wait after an edit made while a check runs or waits
MAX_DEBOUNCE_MS = 10_000
LOG_LEVELS = ("error", "warning", "info", "debug")
_LEVEL_NAMES = "error, warning, info or debug"
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


@dataclass
class Settings:
    """The effective settings of the server."""

    debounce_ms: int = DEFAULT_DEBOUNCE_MS  # used only in bursts (module docstring)
    log_level: str = "warning"
    code_lens: bool = True  # false: textDocument/codeLens answers no lenses
    overrides: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # any: these settings are not applied


def _snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).replace("-", "_").lower()


def unwrap(raw: Any) -> dict[str, Any]:
    """The flash-ls settings in a client payload: ``{"flash-ls": {...}}``, ``{"settings": ...}`` or flat."""
    if not isinstance(raw, Mapping):
        return {}
    for wrapper in (SECTION, "flash_ls", "flashLs", "settings"):
        inner = raw.get(wrapper)
        if isinstance(inner, Mapping):
            return unwrap(inner) if wrapper == "settings" else dict(inner)
    return dict(raw)


def merge_layers(*layers: Any) -> dict[str, Any]:
    """Later layers win key by key (after normalising key spelling)."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in unwrap(layer).items():
            merged[_snake(str(key))] = value
    return merged


def parse_settings(*layers: Any) -> Settings:
    """Effective settings from payload layers (initializationOptions, then workspace/configuration).

    Settings with ``problems`` are not to be applied: the server keeps the last good ones.
    """
    values = merge_layers(*layers)
    settings = Settings()
    debounce = values.pop("debounce_ms", None)
    if debounce is not None:
        if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
            settings.debounce_ms = int(min(debounce, MAX_DEBOUNCE_MS))
        else:
            settings.problems.append(
                f"{SETTINGS}: `debounce_ms` must be a number >= 0, not {debounce!r}"
            )
    level = values.pop("log_level", None)
    if level is not None:
        if isinstance(level, str) and level.lower() in LOG_LEVELS:
            settings.log_level = level.lower()
        else:
            settings.problems.append(
                f"{SETTINGS}: `log_level` must be {_LEVEL_NAMES}, not {level!r}"
            )
    lenses = values.pop("code_lens", None)
    if lenses is not None:
        if isinstance(lenses, bool):
            settings.code_lens = lenses
        else:
            settings.problems.append(
                f"{SETTINGS}: `code_lens` must be true or false, not {lenses!r}"
            )
    overrides = {key: value for key, value in values.items() if value is not None}
    try:
        Config().merged(overrides, is_known_selector)
    except ConfigError as error:
        settings.problems.extend(problem.message for problem in error.problems)
    else:
        settings.overrides = overrides
    return settings
