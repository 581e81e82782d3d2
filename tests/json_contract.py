"""The keys of ``flash-ls check --output-format json``: the contract CI scripts rely on, spelled
out once for the CLI tests and the fuzzing harness (not read from the code that writes them)."""

from __future__ import annotations

FINDING_KEYS = frozenset(
    {
        "code",
        "rule",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "fix",
    }
)
"""The keys of each finding."""
EDIT_KEYS = frozenset({"path", "line", "column", "end_line", "end_column", "new_text"})
"""The keys of each edit of a finding's ``fix``."""
