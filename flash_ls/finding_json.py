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


def position_json(span: Span) -> dict[str, int]:
    """``line``, ``column``, ``end_line``, ``end_column``: 1-based, columns in code points."""
    return {
        "line": span.start_line + 1,
        "column": span.start_col + 1,
        "end_line": span.end_line + 1,
        "end_column": span.end_col + 1,
    }


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
