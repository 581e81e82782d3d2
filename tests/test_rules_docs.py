"""The rules reference (docs/rules.md) and `flash-ls rules CODE`, rendered from Rule objects."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flash_ls.diagnostic import Severity
from flash_ls.rules.docs import anchor, render_rule_text, render_rules_markdown
from flash_ls.rules.registry import Finding, FixAvailability, Rule


def _no_check(app: object) -> list[Finding]:
    return []


QUEUE = Rule(
    "FL101",
    "queue-name-reused",
    Severity.WARNING,
    "Two queue endpoints in one file share a name",
    "## What it does\nFlags queue endpoints that share a name.\n\n"
    "## Example\n```python\n# not a heading\n```\n\n### Fix\nRename one of them.",
    FixAvailability.SAFE,
    _no_check,
)
IMPORT = Rule(
    "FL301",
    "top-level-import",
    Severity.WARNING,
    "Third-party import | at module level",
    "",
    FixAvailability.UNSAFE,
    _no_check,
)
SYNTAX = Rule(
    "FL901",
    "syntax-error",
    Severity.ERROR,
    "File cannot be parsed",
    "A file of the app cannot be parsed.",
    FixAvailability.NONE,
    _no_check,
)


def headings(markdown: str) -> list[str]:
    """Markdown headings outside code fences."""
    found = []
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            found.append(line)
    return found


def test_title_index_and_one_section_per_rule_in_code_order() -> None:
    markdown = render_rules_markdown([SYNTAX, QUEUE, IMPORT])
    assert markdown.startswith("# flash-ls rules\n")
    sections = [h for h in headings(markdown) if h.startswith("## ")]
    assert sections == [
        "## FL101 queue-name-reused",
        "## FL301 top-level-import",
        "## FL901 syntax-error",
    ]
    assert markdown.endswith("\n")
    assert not markdown.endswith("\n\n")


def test_index_table_rows() -> None:
    markdown = render_rules_markdown([QUEUE, IMPORT, SYNTAX])
    assert "| Code | Rule | Severity | Fix | Summary |" in markdown
    assert (
        "| [FL101](#fl101-queue-name-reused) | `queue-name-reused` | warning | safe "
        "| Two queue endpoints in one file share a name |"
    ) in markdown
    # A pipe in a summary must not split the table cell.
    assert "| unsafe | Third-party import \\| at module level |" in markdown
    assert "| [FL901](#fl901-syntax-error) | `syntax-error` | error | none |" in markdown


def test_index_links_and_doc_urls_point_at_the_section_anchors() -> None:
    markdown = render_rules_markdown([QUEUE, IMPORT, SYNTAX])
    anchors = {anchor(h.lstrip("#")) for h in headings(markdown)}
    for rule in (QUEUE, IMPORT, SYNTAX):
        fragment = rule.doc_url.split("#", 1)[1]
        assert fragment in anchors
        assert f"(#{fragment})" in markdown


def test_github_anchor_rules() -> None:
    assert anchor("FL101 queue-name-reused") == "fl101-queue-name-reused"
    assert anchor("What it does?") == "what-it-does"
    assert anchor("Fix `safety`, and more") == "fix-safety-and-more"


def test_section_has_severity_fix_and_doc_with_demoted_headings() -> None:
    markdown = render_rules_markdown([QUEUE])
    section = markdown.split("## FL101 queue-name-reused\n", 1)[1]
    assert "**Default severity:** warning" in section
    assert "**Fix:** safe fix" in section
    assert "### What it does\nFlags queue endpoints that share a name." in section
    assert "### Example" in section
    assert "#### Fix" in section
    # Code inside fences is left alone.
    assert "```python\n# not a heading\n```" in section


def test_rule_without_doc_falls_back_to_its_summary() -> None:
    section = render_rules_markdown([IMPORT]).split("## FL301 top-level-import\n", 1)[1]
    assert "Third-party import | at module level" in section


def test_empty_catalogue() -> None:
    markdown = render_rules_markdown([])
    assert markdown.startswith("# flash-ls rules\n")
    assert [h for h in headings(markdown) if h.startswith("## ")] == []


def test_rule_text_for_the_terminal() -> None:
    text = render_rule_text(QUEUE)
    lines = text.splitlines()
    assert lines[0] == "FL101 queue-name-reused"
    assert "Default severity: warning" in lines
    assert any(line.startswith("Fix: safe fix") for line in lines)
    assert f"Docs: {QUEUE.doc_url}" in lines
    assert "Flags queue endpoints that share a name." in text
    assert text.endswith("Rename one of them.\n")
    assert "`" not in render_rule_text(SYNTAX)


def test_every_registered_rule_renders() -> None:
    from flash_ls.rules import registry

    rules = registry.all_rules()
    markdown = render_rules_markdown(rules)
    for rule in rules:
        assert re.search(rf"^## {re.escape(rule.code)} {re.escape(rule.slug)}$", markdown, re.M)
        assert f"(#{rule.doc_url.split('#', 1)[1]})" in markdown
        assert render_rule_text(rule).startswith(f"{rule.code} {rule.slug}\n")


def test_docs_rules_md_is_up_to_date() -> None:
    from flash_ls.rules import registry

    committed = (Path(__file__).parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_rules_markdown(registry.all_rules()), (
        "docs/rules.md is stale: run `python -m flash_ls.rules.docs docs/rules.md`"
    )


def test_every_rule_of_the_contract_is_registered() -> None:
    from flash_ls.rules import registry

    contract = Path(__file__).parent.parent.parent / "shared" / "rules.md"
    if not contract.exists():
        pytest.skip("shared/rules.md is not beside this checkout")
    rows = re.findall(r"^\| (FL\d{3}) \| ([a-z0-9-]+) \| (\w+)", contract.read_text(), re.M)
    registered = {r.code: (r.slug, r.severity.label) for r in registry.all_rules()}
    for code, slug, severity in rows:
        assert code in registered, f"{code} is not implemented"
        assert registered[code][0] == slug
        assert registered[code][1] == severity, (
            f"{code}: default severity differs from the contract"
        )


def test_codes_beyond_the_contract_are_app_api_rules_and_documented() -> None:
    """The contract (shared/rules.md) fixes FL1xx-FL6xx and FL9xx; the app API family FL7xx
    (runpod 2.0's ``runpod.App``) is flash-ls's own: allowed beyond it, but in docs/rules.md."""
    from flash_ls.rules import registry
    from flash_ls.rules.engine import APP_API_FAMILIES

    contract = Path(__file__).parent.parent.parent / "shared" / "rules.md"
    if not contract.exists():
        pytest.skip("shared/rules.md is not beside this checkout")
    listed = set(re.findall(r"^\| (FL\d{3}) \|", contract.read_text(), re.M))
    committed = (Path(__file__).parent.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    beyond = [r for r in registry.all_rules() if r.code not in listed]
    assert beyond, "the app API rules are missing"
    for rule in beyond:
        assert rule.family in APP_API_FAMILIES, f"{rule.code} is neither in the contract nor FL7xx"
        assert f"\n## {rule.code} {rule.slug}\n" in committed, (
            f"{rule.code} is not in docs/rules.md"
        )
