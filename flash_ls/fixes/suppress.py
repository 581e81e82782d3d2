"""The "suppress on this line" fix every finding offers."""

from __future__ import annotations

from pathlib import Path

from flash_ls import suppression
from flash_ls.diagnostic import Fix, TextEdit
from flash_ls.parse.facts import FileFacts
from flash_ls.span import Span


def suppression_fix(
    path: Path, line_text: str, line: int, code: str, facts: FileFacts | None = None
) -> Fix:
    """Append ``# flash-ls: ignore[CODE]`` to ``line`` (whose text is ``line_text``), or add CODE to
    the suppression comment already there."""
    existing = facts.suppressions.get(line) if facts is not None else None
    if existing is not None and existing.codes is not None:
        comment = line_text[existing.span.start_col : existing.span.end_col]
        match = suppression.find(comment)
        if match is not None and match.group("codes") is not None:
            codes = [c.strip() for c in match.group("codes").split(",") if c.strip()]
            start = existing.span.start_col + match.start("codes")
            end = existing.span.start_col + match.end("codes")
            new = ", ".join([*codes, code])
            return Fix(
                f"Suppress {code} on this line",
                (TextEdit(path, Span(line, start, line, end), new),),
                safe=False,
            )
    end_col = len(line_text)
    edit = TextEdit(path, Span(line, end_col, line, end_col), "  " + suppression.line_comment(code))
    return Fix(f"Suppress {code} on this line", (edit,), safe=False)
