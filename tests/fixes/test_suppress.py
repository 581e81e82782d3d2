"""The "suppress on this line" fix: a new comment, or a code added to the one already there."""

from __future__ import annotations

from pathlib import Path

import pytest

from flash_ls.fixes.apply import apply_edits
from flash_ls.fixes.suppress import suppression_fix
from flash_ls.parse import parse_file

PATH = Path("/app/worker.py")


def suppressed(line: str, code: str) -> str:
    """``line`` after the fix that suppresses ``code`` on it."""
    fix = suppression_fix(PATH, line, 0, code, parse_file(line + "\n"))
    return apply_edits(line + "\n", fix.edits).rstrip("\n")


def test_a_line_without_a_suppression_gets_one() -> None:
    assert suppressed("x = 1", "FL101") == "x = 1  # flash-ls: ignore[FL101]"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x = 1  # flash-ls: ignore[FL102]", "x = 1  # flash-ls: ignore[FL102, FL101]"),
        ("x = 1  #flash-ls:ignore[ FL102 ]", "x = 1  #flash-ls:ignore[FL102, FL101]"),
        # The parser honours any case, so the fix extends the comment instead of adding another.
        ("x = 1  # FLASH-LS: IGNORE[FL102]", "x = 1  # FLASH-LS: IGNORE[FL102, FL101]"),
        (
            "x = 1  # Flash-Ls: Ignore[FL102]  # why",
            "x = 1  # Flash-Ls: Ignore[FL102, FL101]  # why",
        ),
    ],
)
def test_the_code_joins_the_suppression_already_there(line: str, expected: str) -> None:
    assert suppressed(line, "FL101") == expected


def test_a_bare_suppression_is_left_alone() -> None:
    # `# flash-ls: ignore` already suppresses every rule; the fix adds a comment naming the code.
    assert suppressed("x = 1  # flash-ls: ignore", "FL101") == (
        "x = 1  # flash-ls: ignore  # flash-ls: ignore[FL101]"
    )
