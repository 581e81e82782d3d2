"""The rules reference (``docs/rules.md``) and ``flash-ls rules CODE``, both from the registry.

Regenerate the reference with ``python -m flash_ls.rules.docs docs/rules.md``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from flash_ls import suppression
from flash_ls.rules.registry import FixAvailability, Rule, all_rules

TITLE = "flash-ls rules"

_FIX_LABELS = {
    FixAvailability.NONE: "none",
    FixAvailability.SAFE: "safe",
    FixAvailability.UNSAFE: "unsafe",
    FixAvailability.SOMETIMES: "sometimes",
}
_FIX_NOTES = {
    FixAvailability.NONE: "no automatic fix",
    FixAvailability.SAFE: "safe fix, applied by `flash-ls check --fix` and fix-all",
    FixAvailability.UNSAFE: "unsafe fix: a code action, or `flash-ls check --fix --unsafe-fixes`",
    FixAvailability.SOMETIMES: "fix available in some cases",
}
_HEADING = re.compile(r"^(#{1,6})(\s)")
_FENCE = re.compile(r"^\s*(```|~~~)")
# Rule sections are level 2, so headings inside a rule's doc start at level 3.
_DOC_HEADING_LEVEL = 3


def heading(rule: Rule) -> str:
    """The rule's section heading in ``docs/rules.md``: ``FL101 queue-name-reused``."""
    return f"{rule.code} {rule.slug}"


def anchor(text: str) -> str:
    """The fragment GitHub gives a heading: lowercased, punctuation dropped, spaces to ``-``."""
    lowered = text.strip().lower()
    kept = "".join(ch for ch in lowered if ch.isalnum() or ch in "-_ ")
    return kept.replace(" ", "-")


def render_rules_markdown(rules: Sequence[Rule]) -> str:
    """The whole rules reference: title, index table, then one section per rule (by code)."""
    ordered = sorted(rules, key=lambda r: r.code)
    out = [
        f"# {TITLE}",
        "",
        "Generated from the rule registry (`python -m flash_ls.rules.docs docs/rules.md`); "
        "do not edit by hand.",
        "",
        f"Suppress a finding with `{suppression.line_comment('CODE')}` at the end of its line, or "
        "configure rules under `[tool.flash-ls]` in the app's `pyproject.toml`.",
        "",
        "| Code | Rule | Severity | Fix | Summary |",
        "|---|---|---|---|---|",
    ]
    for rule in ordered:
        cells = [
            f"[{rule.code}](#{anchor(heading(rule))})",
            f"`{rule.slug}`",
            rule.severity.label,
            _FIX_LABELS[rule.fix],
            _table_cell(rule.summary),
        ]
        out.append("| " + " | ".join(cells) + " |")
    for rule in ordered:
        out += ["", f"## {heading(rule)}", ""]
        out.append(f"- **Default severity:** {rule.severity.label}")
        out.append(f"- **Fix:** {_FIX_NOTES[rule.fix]}")
        out += ["", rule.summary if not rule.doc else _demote_headings(rule.doc)]
    return "\n".join(out).rstrip("\n") + "\n"


def render_rule_text(rule: Rule) -> str:
    """A rule's documentation for a terminal (``flash-ls rules CODE``)."""
    lines = [
        heading(rule),
        "",
        f"Default severity: {rule.severity.label}",
        f"Fix: {_FIX_NOTES[rule.fix].replace('`', '')}",
        f"Summary: {rule.summary}",
        f"Docs: {rule.doc_url}",
    ]
    if rule.doc:
        lines += ["", rule.doc.strip("\n")]
    return "\n".join(lines) + "\n"


def _table_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _demote_headings(doc: str) -> str:
    """Shift the doc's markdown headings (outside code fences) so the top one is level 3."""
    lines = doc.strip("\n").split("\n")
    levels = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _HEADING.match(line)):
            levels.append(len(match.group(1)))
    shift = max(0, _DOC_HEADING_LEVEL - min(levels)) if levels else 0
    if not shift:
        return "\n".join(lines)
    out = []
    in_fence = False
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and (match := _HEADING.match(line)):
            level = min(len(match.group(1)) + shift, 6)
            line = "#" * level + line[len(match.group(1)) :]
        out.append(line)
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the reference to the path given (or stdout)."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = render_rules_markdown(all_rules())
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
