"""The engine's finding type, shared by every front end (CLI, server)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from flash_ls.span import Span


class Severity(enum.IntEnum):
    """Ordered so that ``a >= Severity.WARNING`` reads naturally."""

    HINT = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """'error' / 'Warning' / 'information' -> member; ValueError otherwise."""
        key = text.strip().upper()
        if key == "INFORMATION":
            key = "INFO"
        try:
            return cls[key]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning, info or hint)"
            ) from None


@dataclass(frozen=True, slots=True)
class TextEdit:
    path: Path
    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    """Edits that resolve a finding. ``safe`` fixes are applied by ``--fix`` and fix-all."""

    message: str
    edits: tuple[TextEdit, ...]
    safe: bool = True


@dataclass(frozen=True, slots=True)
class Related:
    path: Path
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    slug: str
    severity: Severity
    path: Path
    span: Span
    message: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    # Extra fixes offered as code actions but never applied automatically (e.g. suppressions).
    alternatives: tuple[Fix, ...] = field(default=(), compare=False)

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path.as_posix(), self.span.start_line, self.span.start_col, self.code)
