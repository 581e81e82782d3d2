"""Editor settings: ``initializationOptions`` and ``workspace/configuration`` section ``flash-ls``.

Server settings (``debounce_ms``, ``log_level``) are the server's own; every other key is a
``[tool.flash-ls]`` key (``select``, ``ignore``, ``severity``, ``size-budget-mb`` ...) laid over each
app's configuration through ``Workspace.overrides``. Keys may be written snake_case, kebab-case or
camelCase (``debounceMs``) as editors like. An invalid key is left out with a message; the others
still apply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flash_ls.project.config import Config, ConfigError

SECTION = "flash-ls"
DEFAULT_DEBOUNCE_MS = 100
MAX_DEBOUNCE_MS = 10_000
LOG_LEVELS = ("error", "warning", "info", "debug")
_SERVER_KEYS = frozenset({"debounce_ms", "log_level"})
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


@dataclass
class Settings:
    """The effective settings of the server."""

    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    log_level: str = "warning"
    overrides: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


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
    """Effective settings from payload layers (initializationOptions, then workspace/configuration)."""
    values = merge_layers(*layers)
    settings = Settings()
    debounce = values.pop("debounce_ms", None)
    if debounce is not None:
        if isinstance(debounce, (int, float)) and not isinstance(debounce, bool) and debounce >= 0:
            settings.debounce_ms = int(min(debounce, MAX_DEBOUNCE_MS))
        else:
            settings.problems.append(
                f"flash-ls settings: `debounce_ms` must be a number >= 0, got {debounce!r}"
            )
    level = values.pop("log_level", None)
    if level is not None:
        if isinstance(level, str) and level.lower() in LOG_LEVELS:
            settings.log_level = level.lower()
        else:
            settings.problems.append(
                f"flash-ls settings: `log_level` must be one of {', '.join(LOG_LEVELS)}, got {level!r}"
            )
    for key in _SERVER_KEYS:
        values.pop(key, None)
    overrides = {key: value for key, value in values.items() if value is not None}
    settings.overrides, problems = validated_overrides(overrides)
    settings.problems.extend(problems)
    return settings


def validated_overrides(overrides: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The overrides ``Config.merged`` accepts, and a message for each one left out."""
    kept = dict(overrides)
    messages: list[str] = []
    for _ in range(len(overrides) + 1):
        try:
            Config().merged(kept)
        except ConfigError as error:
            dropped = False
            for problem in error.problems:
                messages.append(problem.message)
                name = _snake(problem.key) if problem.key else None
                if name is not None and name in kept:
                    del kept[name]
                    dropped = True
            if not dropped:
                return {}, messages
            continue
        return kept, messages
    return {}, messages
