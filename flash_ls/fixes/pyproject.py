"""Edits of an app's ``[tool.flash-ls]`` table (``exclude-packages``), made on the text so the
rest of ``pyproject.toml`` (comments, order, spacing) stays as written."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from flash_ls.diagnostic import TextEdit
from flash_ls.project.toml_keys import layout
from flash_ls.span import Span

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PYPROJECT = "pyproject.toml"
TABLE = ("tool", "flash-ls")
KEY = "exclude-packages"


def toml_array(names: Sequence[str]) -> str:
    """``["nvidia", "cusparselt"]``."""
    return "[" + ", ".join(json.dumps(name) for name in names) + "]"


def exclude_packages_edit(app_root: Path, names: Sequence[str]) -> TextEdit | None:
    """The edit that adds ``names`` to ``exclude-packages`` in ``[tool.flash-ls]``: the array
    extended, else the key added under the table's header, else the table appended (a missing
    ``pyproject.toml`` is created). None when the file cannot be edited safely (unreadable,
    invalid, or the table written as dotted keys or inline)."""
    path = app_root / PYPROJECT
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return TextEdit(path, Span(0, 0, 0, 0), f"[tool.flash-ls]\n{KEY} = {toml_array(names)}\n")
    except (OSError, UnicodeDecodeError):
        return None
    return _exclude_packages_edit(path, text, tuple(names))


@lru_cache(maxsize=16)  # FL401 offers it on every check of an app over its budget
def _exclude_packages_edit(path: Path, text: str, names: tuple[str, ...]) -> TextEdit | None:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    tool = document.get("tool")
    table = tool.get("flash-ls") if isinstance(tool, dict) else None
    spans = layout(text)
    if isinstance(table, dict):
        for key in (KEY, KEY.replace("-", "_")):
            where = spans.values.get((*TABLE, key))
            existing = table.get(key)
            if where is not None and isinstance(existing, list):
                merged = [*existing, *(name for name in names if name not in existing)]
                return TextEdit(path, where, toml_array([str(name) for name in merged]))
    header = spans.headers.get(TABLE)
    line = f"{KEY} = {toml_array(names)}\n"
    lines = text.split("\n")
    if header is not None:
        if header + 1 < len(lines):
            return TextEdit(path, Span(header + 1, 0, header + 1, 0), line)
        return TextEdit(path, _end(text), "\n" + line)
    if table is not None:
        return None  # written as dotted keys or an inline table: no line to add to
    separator = "" if not text or text.endswith("\n") else "\n"
    blank = "\n" if text.strip() else ""
    return TextEdit(path, _end(text), f"{separator}{blank}[tool.flash-ls]\n{line}")


def _end(text: str) -> Span:
    line = text.count("\n")
    column = len(text) - (text.rfind("\n") + 1)
    return Span(line, column, line, column)
