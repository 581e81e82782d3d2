"""A finding as JSON, in the shape of ``flash-ls check --output-format json`` (rules.md, "CLI contract").

The CLI's json output and the server's ``flash.check`` command both render findings with
``finding_json``, so the two never differ; each front end decides only how a path is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flash_ls.diagnostic import Diagnostic, Fix
from flash_ls.span import Span

PathText = Callable[[Path], str]
"""How a front end writes a path (relative to the current directory, to the app root...)."""


POSITION_KEYS = ("line", "column", "end_line", "end_column")


def position_json(span: Span, keys: tuple[str, str, str, str] = POSITION_KEYS) -> dict[str, int]:
    """The span's start line, start column, end line and end column, 1-based (columns in code
    points), under ``keys``: by default the contract's ``line``, ``column``, ``end_line``,
    ``end_column``; another format names them its own way (SARIF's ``startLine`` ...)."""
    one_based = (span.start_line + 1, span.start_col + 1, span.end_line + 1, span.end_col + 1)
    return dict(zip(keys, one_based, strict=True))


def fix_json(fix: Fix, path_text: PathText) -> dict[str, Any]:
    """``{"message", "safe", "edits"}``; each edit is its path, position and ``new_text``."""
    return {
        "message": fix.message,
        "safe": fix.safe,
        "edits": [
            {"path": path_text(edit.path), **position_json(edit.span), "new_text": edit.new_text}
            for edit in fix.edits
        ],
    }


def finding_json(diagnostic: Diagnostic, path_text: PathText) -> dict[str, Any]:
    """The finding with exactly the contract's keys; ``fix`` is null when it has no edits."""
    fix = diagnostic.fix
    return {
        "code": diagnostic.code,
        "rule": diagnostic.slug,
        "severity": diagnostic.severity.label,
        "path": path_text(diagnostic.path),
        **position_json(diagnostic.span),
        "message": diagnostic.message,
        # ``available`` computes lazy edits: a fix that has none after all is no fix.
        "fix": fix_json(fix, path_text) if fix is not None and fix.available else None,
    }
