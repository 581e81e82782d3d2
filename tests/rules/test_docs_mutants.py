"""The rules reference and `flash-ls rules CODE` (rules/docs.py): the cases mutation testing
found unchecked. Each test pins the rendered text whole.

tests/test_rules_docs.py is not among the tests of `[tool.mutmut]`, and its comparison with the
committed docs/rules.md cannot run in the copy mutmut works in (it has no docs/): these tests
stand for both. See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flash_ls.diagnostic import Severity
from flash_ls.rules.docs import main, render_rule_text, render_rules_markdown
from flash_ls.rules.registry import Finding, FixAvailability, Rule, all_rules


def _no_check(app: object) -> list[Finding]:
    return []


# A doc with blank lines around it, headings from level 2 to 6 (the deepest stays at 6), fenced
# lines that look like headings, and a markdown hard break (two spaces) at its very end.
QUEUE = Rule(
    "FL101",
    "queue-name-reused",
    Severity.WARNING,
    "Two queue endpoints in one file share a name",
    "\n## What it does\nFlags queue endpoints that share a name.\n\n"
    "```python\n# not a heading\n## nor this\n```\n\n"
    "### Fix\nRename one of them.\n###### Deepest\nA hard break follows:  \n",
    FixAvailability.SAFE,
    _no_check,
)
# Headings already at level 3 (left as they are); a doc and a summary ending in an X.
DEEP = Rule(
    "FL301",
    "top-level-import",
    Severity.WARNING,
    "Third-party import | at module level",
    "### Already level 3\nUses JAX",
    FixAvailability.UNSAFE,
    _no_check,
)
LAST = Rule(
    "FL901",
    "syntax-error",
    Severity.ERROR,
    "File cannot be parsed on JAX\n",
    "",
    FixAvailability.NONE,
    _no_check,
)

HEADER = [
    "# flash-ls rules",
    "",
    "Generated from the rule registry (`python -m flash_ls.rules.docs docs/rules.md`); "
    "do not edit by hand.",
    "",
    "Suppress a finding with `# flash-ls: ignore[CODE]` at the end of its line, or configure "
    "rules under `[tool.flash-ls]` in the app's `pyproject.toml`.",
    "",
    "| Code | Rule | Severity | Fix | Summary |",
    "|---|---|---|---|---|",
]
QUEUE_ROW = (
    "| [FL101](#fl101-queue-name-reused) | `queue-name-reused` | warning | safe "
    "| Two queue endpoints in one file share a name |"
)
QUEUE_SECTION = [
    "",
    "## FL101 queue-name-reused",
    "",
    "- **Default severity:** warning",
    "- **Fix:** safe fix, applied by `flash-ls check --fix` and fix-all",
    "",
    "### What it does",
    "Flags queue endpoints that share a name.",
    "",
    "```python",
    "# not a heading",
    "## nor this",
    "```",
    "",
    "#### Fix",
    "Rename one of them.",
    "###### Deepest",
    "A hard break follows:  ",
]


def test_reference_whole() -> None:
    assert render_rules_markdown([LAST, QUEUE, DEEP]) == "\n".join(
        [
            *HEADER,
            QUEUE_ROW,
            "| [FL301](#fl301-top-level-import) | `top-level-import` | warning | unsafe "
            "| Third-party import \\| at module level |",
            "| [FL901](#fl901-syntax-error) | `syntax-error` | error | none "
            "| File cannot be parsed on JAX |",
            *QUEUE_SECTION,
            "",
            "## FL301 top-level-import",
            "",
            "- **Default severity:** warning",
            "- **Fix:** unsafe fix: a code action, or `flash-ls check --fix --unsafe-fixes`",
            "",
            "### Already level 3",
            "Uses JAX",
            "",
            "## FL901 syntax-error",
            "",
            "- **Default severity:** error",
            "- **Fix:** no automatic fix",
            "",
            "File cannot be parsed on JAX",
            "",
        ]
    )


def test_reference_ends_with_the_last_doc_as_written() -> None:
    assert render_rules_markdown([QUEUE]) == "\n".join([*HEADER, QUEUE_ROW, *QUEUE_SECTION, ""])


def test_rule_text_whole() -> None:
    assert render_rule_text(QUEUE) == "\n".join(
        [
            "FL101 queue-name-reused",
            "",
            "Default severity: warning",
            "Fix: safe fix, applied by flash-ls check --fix and fix-all",
            "Summary: Two queue endpoints in one file share a name",
            "Docs: https://github.com/flash-ls/flash-ls/blob/main/docs/rules.md"
            "#fl101-queue-name-reused",
            "",
            "## What it does",
            "Flags queue endpoints that share a name.",
            "",
            "```python",
            "# not a heading",
            "## nor this",
            "```",
            "",
            "### Fix",
            "Rename one of them.",
            "###### Deepest",
            "A hard break follows:  ",
            "",
        ]
    )
    assert render_rule_text(DEEP) == "\n".join(
        [
            "FL301 top-level-import",
            "",
            "Default severity: warning",
            "Fix: unsafe fix: a code action, or flash-ls check --fix --unsafe-fixes",
            "Summary: Third-party import | at module level",
            "Docs: https://github.com/flash-ls/flash-ls/blob/main/docs/rules.md"
            "#fl301-top-level-import",
            "",
            "### Already level 3",
            "Uses JAX",
            "",
        ]
    )


def test_main_writes_the_reference_to_the_path_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = render_rules_markdown(all_rules())
    # ASCII: every locale encoding writes it the same (docs.main's encoding= is equivalent).
    assert expected.isascii()
    monkeypatch.setattr(sys, "argv", ["flash_ls.rules.docs"])
    assert main([str(tmp_path / "given.md")]) == 0
    assert (tmp_path / "given.md").read_bytes() == expected.encode("utf-8")
    monkeypatch.setattr(sys, "argv", ["flash_ls.rules.docs", str(tmp_path / "argv.md")])
    assert main() == 0
    assert (tmp_path / "argv.md").read_bytes() == expected.encode("utf-8")
    assert capsys.readouterr().out == ""


def test_main_without_a_path_prints_the_reference(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["flash_ls.rules.docs"])
    assert main() == 0
    assert capsys.readouterr().out == render_rules_markdown(all_rules())
    assert main([]) == 0
    assert capsys.readouterr().out == render_rules_markdown(all_rules())


def test_doc_without_headings_is_kept_as_written() -> None:
    plain = Rule(
        "FL902",
        "python-version-conflict",
        Severity.ERROR,
        "Versions differ",
        "No heading here.\n\nNor here.",
        FixAvailability.SOMETIMES,
        _no_check,
    )
    section = render_rules_markdown([plain]).split("\n\n## ", 1)[1]
    assert section == (
        "FL902 python-version-conflict\n\n"
        "- **Default severity:** error\n"
        "- **Fix:** fix available in some cases\n\n"
        "No heading here.\n\nNor here.\n"
    )
