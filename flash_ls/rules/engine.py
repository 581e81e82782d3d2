"""Run the registered rules over an App: selection, severities, suppressions, crash isolation."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from flash_ls.diagnostic import Diagnostic, Fix, Severity
from flash_ls.fixes.suppress import suppression_fix
from flash_ls.parse.facts import FileFacts
from flash_ls.project.app import App
from flash_ls.rules.registry import Rule, all_rules, matches

log = logging.getLogger(__name__)

# Rule families for the app API of ``runpod`` (runpod 2.0): with the FL1xx-FL6xx rules that carry
# over to its resources (registered with ``app_api=True``), the only ones that run on a project
# that does not use runpod_flash.
APP_API_FAMILIES = frozenset({"FL7"})


def selected_rules(select: Sequence[str] | None = None, ignore: Sequence[str] = ()) -> list[Rule]:
    """Rules enabled by ``select`` (default: all) minus ``ignore``; selectors are codes, prefixes or slugs."""
    chosen = []
    for candidate in all_rules():
        if select is not None and not any(matches(s, candidate) for s in select):
            continue
        if any(matches(s, candidate) for s in ignore):
            continue
        chosen.append(candidate)
    return chosen


def check_app(
    app: App,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] = (),
) -> list[Diagnostic]:
    """Every finding of the app's enabled rules, sorted, with suppressed ones removed.

    ``select``/``ignore`` (CLI flags, editor settings) narrow what the app's own config selects.
    """
    if not app.uses_sdk:
        return []
    config = app.config
    rules = selected_rules(config.select, [*config.ignore, *ignore])
    if select is not None:
        rules = [r for r in rules if any(matches(s, r) for s in select)]
    if not app.uses_flash:  # only the app API: the rules that check its resources
        rules = [r for r in rules if r.family in APP_API_FAMILIES or r.app_api]
    overrides = _severity_overrides(config.severity)
    by_path = {source.path: source for source in app.files.values()}
    # split once per file and check, only for files with findings (a huge file is not kept
    # by the shared split of parse/split.py)
    lines_of: dict[Path, Sequence[str]] = {}
    found: list[Diagnostic] = []
    for current in rules:
        try:
            findings = list(current.check(app))
        except Exception:  # one broken rule must not hide the others' findings
            log.exception("rule %s failed on app %s", current.code, app.root)
            continue
        for finding in findings:
            source = by_path.get(finding.path)
            facts = source.facts if source is not None else None
            if facts is not None and _suppressed(
                facts, current, finding.span.start_line, finding.span.end_line
            ):
                continue
            severity = overrides.get(current.code) or finding.severity or current.severity
            alternatives: tuple[Fix, ...] = ()
            if source is not None and source.text is not None:
                lines = lines_of.get(source.path)
                if lines is None:
                    lines = lines_of[source.path] = source.lines()
                line = finding.span.start_line
                line_text = lines[line] if 0 <= line < len(lines) else ""
                alternatives = (suppression_fix(source.path, line_text, line, current.code, facts),)
            found.append(
                Diagnostic(
                    code=current.code,
                    slug=current.slug,
                    severity=severity,
                    path=finding.path,
                    span=finding.span,
                    message=finding.message,
                    related=finding.related,
                    fix=finding.fix,
                    alternatives=alternatives,
                    notes=finding.notes,
                )
            )
    found.sort(key=Diagnostic.sort_key)
    return found


def diagnostics_by_file(
    app: App, diagnostics: Sequence[Diagnostic]
) -> dict[Path, list[Diagnostic]]:
    """Group by file, with an empty list for every file of the app (so stale results get cleared)."""
    grouped: dict[Path, list[Diagnostic]] = {source.path: [] for source in app.files.values()}
    for diagnostic in diagnostics:
        grouped.setdefault(diagnostic.path, []).append(diagnostic)
    return grouped


def _severity_overrides(configured: Mapping[str, str]) -> dict[str, Severity]:
    result: dict[str, Severity] = {}
    for selector, level in configured.items():
        try:
            severity = Severity.parse(level)
        except ValueError:
            continue  # reported as a config problem when the config is loaded
        for candidate in all_rules():
            if matches(selector, candidate):
                result[candidate.code] = severity
    return result


def _suppressed(facts: FileFacts, current: Rule, start_line: int, end_line: int) -> bool:
    for suppression in facts.file_suppressions:
        if suppression.codes is None or _names(suppression.codes, current):
            return True
    for line in {start_line, end_line}:
        on_line = facts.suppressions.get(line)
        if on_line is not None and (on_line.codes is None or _names(on_line.codes, current)):
            return True
    return False


def _names(codes: frozenset[str], current: Rule) -> bool:
    return any(code.upper() == current.code or code.lower() == current.slug for code in codes)
