"""The engine and the registry as users meet them (mutation testing, docs/reliability.md): a rule
that crashes, suppressions of findings over several lines, the suppression fix on any line,
severities, selection, and what ``@rule`` records.

A stand-in rule (``stand_in``) reports findings at chosen places, so that each test states the
finding it is about instead of relying on a real rule's spans.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from apps import load_app, only, write_app

from flash_ls.diagnostic import Severity
from flash_ls.project.app import App
from flash_ls.rules import registry
from flash_ls.rules.engine import check_app, diagnostics_by_file, selected_rules
from flash_ls.rules.registry import Finding, FixAvailability
from flash_ls.span import Span

TWO = """\
from runpod_flash import Endpoint

@Endpoint(name="w")
def a(): ...

@Endpoint(name="w")
def b(): ...
"""

# Six lines; the stand-in's findings point into them.
PLAIN = """\
from runpod_flash import Endpoint

x = 1
y = 2
z = 3
"""


def stand_in(
    monkeypatch: pytest.MonkeyPatch, code: str, report: Callable[[App], Iterable[Finding]]
) -> None:
    """Rule ``code`` reports what ``report`` returns (its code, slug and severity are kept)."""
    known = registry.lookup(code)
    assert known is not None
    monkeypatch.setitem(registry._RULES, code, dataclasses.replace(known, check=report))


def at(root: Path, *spans: Span) -> Callable[[App], list[Finding]]:
    return lambda app: [Finding(root / "w.py", span, "stand-in") for span in spans]


def test_a_crash_names_the_rule_and_the_app_and_later_rules_still_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_app(tmp_path, {"w.py": TWO + "\nx = (\n"})

    def explode(app: App) -> list[Finding]:
        raise RuntimeError("boom")

    stand_in(monkeypatch, "FL102", explode)
    with caplog.at_level(logging.ERROR, logger="flash_ls.rules.engine"):
        found = check_app(load_app(tmp_path))
    assert only(found, "FL101") and only(found, "FL901")  # before and after the crash
    assert [r.getMessage() for r in caplog.records] == [f"rule FL102 failed on app {tmp_path}"]


@pytest.mark.parametrize("comment_on", [2, 4])
def test_a_finding_over_several_lines_is_suppressed_from_its_first_or_last_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, comment_on: int
) -> None:
    lines = PLAIN.splitlines()
    lines[comment_on] += "  # flash-ls: ignore[FL102]"
    write_app(tmp_path, {"w.py": "\n".join(lines) + "\n"})
    stand_in(monkeypatch, "FL102", at(tmp_path, Span(2, 0, 4, 5), Span(3, 0, 3, 5)))
    found = only(check_app(load_app(tmp_path)), "FL102")
    # The suppressed one is dropped, and the one after it still reported.
    assert [d.span for d in found] == [Span(3, 0, 3, 5)]


def test_a_file_suppression_of_one_rule_leaves_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app(tmp_path, {"w.py": "# flash-ls: ignore-file[FL101]\n" + TWO})
    stand_in(monkeypatch, "FL102", at(tmp_path, Span(3, 0, 3, 5)))
    found = check_app(load_app(tmp_path))
    assert only(found, "FL101") == []
    assert [d.span for d in only(found, "FL102")] == [Span(3, 0, 3, 5)]


def test_the_suppression_fix_of_a_finding_past_the_last_line_goes_at_its_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app(tmp_path, {"w.py": PLAIN})
    past = len(PLAIN.splitlines())
    stand_in(monkeypatch, "FL102", at(tmp_path, Span(past, 0, past, 0)))
    (finding,) = only(check_app(load_app(tmp_path)), "FL102")
    (suppress,) = finding.alternatives
    [edit] = suppress.edits
    assert (edit.span, edit.new_text) == (Span.point(past, 0), "  # flash-ls: ignore[FL102]")


def test_the_suppression_fix_adds_to_a_suppression_already_on_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = "x = 1  # flash-ls: ignore[FL101]"
    write_app(tmp_path, {"w.py": PLAIN.replace("x = 1", line)})
    stand_in(monkeypatch, "FL102", at(tmp_path, Span(2, 0, 2, 5)))
    (finding,) = only(check_app(load_app(tmp_path)), "FL102")
    [edit] = finding.alternatives[0].edits
    codes = line.index("FL101")
    assert (edit.span, edit.new_text) == (Span(2, codes, 2, codes + 5), "FL101, FL102")


def test_an_unknown_severity_does_not_drop_the_ones_after_it(tmp_path: Path) -> None:
    # A loaded config never holds one (it is a config problem then), a constructed one may.
    write_app(tmp_path, {"w.py": TWO})
    app = load_app(tmp_path)
    severity = {"FL901": "loud", "queue-name-reused": "error"}
    app.config = dataclasses.replace(app.config, severity=severity)
    assert [d.severity for d in only(check_app(app), "FL101")] == [Severity.ERROR]


def test_ignoring_one_rule_keeps_every_other() -> None:
    every = [r.code for r in registry.all_rules()]
    assert [r.code for r in selected_rules(None, ["FL101"])] == [c for c in every if c != "FL101"]
    assert [r.code for r in selected_rules(["FL1"], ["queue-name-reused"])] == [
        c for c in every if c.startswith("FL1") and c != "FL101"
    ]


def test_diagnostics_are_grouped_by_file_with_every_file_listed(tmp_path: Path) -> None:
    write_app(tmp_path, {"w.py": TWO, "other.py": "x = 1\n"})
    app = load_app(tmp_path)
    found = check_app(app)
    outside = dataclasses.replace(found[0], path=tmp_path / "elsewhere.py")
    grouped = diagnostics_by_file(app, [*found, outside])
    assert grouped[tmp_path / "other.py"] == []
    assert grouped[tmp_path / "w.py"] == found
    assert grouped[tmp_path / "elsewhere.py"] == [outside]
    assert set(grouped) == {tmp_path / "w.py", tmp_path / "other.py", tmp_path / "elsewhere.py"}


# ---------------------------------------------------------------------------------------------
# The registry


def test_rule_records_what_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_RULES", dict(registry._RULES))

    def check(app: App) -> list[Finding]:
        """
        ## What it does
        Nothing.
        """
        return []

    def undocumented(app: App) -> list[Finding]:
        return []

    returned = registry.rule(
        "FL998", "a-slug", Severity.HINT, "A summary", fix=FixAvailability.SAFE
    )(check)
    registry.rule("FL999", "b-slug", Severity.ERROR, "B summary", app_api=True)(undocumented)
    assert returned is check
    assert registry.lookup("fl998") == registry.Rule(
        "FL998",
        "a-slug",
        Severity.HINT,
        "A summary",
        "## What it does\nNothing.",
        FixAvailability.SAFE,
        check,
        False,
    )
    assert registry.lookup("B-Slug") == registry.Rule(
        "FL999", "b-slug", Severity.ERROR, "B summary", "", FixAvailability.NONE, undocumented, True
    )
    with pytest.raises(ValueError, match="rule FL999 registered twice"):
        registry.rule("FL999", "c-slug", Severity.ERROR, "C")(undocumented)
    assert registry.lookup("c-slug") is None


def test_lookup_by_code_or_slug_in_any_case() -> None:
    assert [registry.lookup(k) for k in ("FL999", "no-such-rule")] == [None, None]
    for key in ("FL303", "fl303", " undeclared-dependency ", "Undeclared-Dependency"):
        found = registry.lookup(key)
        assert found is not None and found.code == "FL303", key


@pytest.mark.parametrize(
    ("selector", "named"),
    [
        ("ALL", True),
        ("all", True),
        ("All", True),
        ("fl3", True),
        ("FL30", True),
        ("FL303", True),
        ("undeclared-dependency", True),
        ("UNDECLARED-DEPENDENCY", True),
        ("FL304", False),
        ("FL4", False),
        ("F", False),
        ("", False),
        ("top-level-import", False),
    ],
)
def test_selectors(selector: str, named: bool) -> None:
    fl303 = registry.lookup("FL303")
    assert fl303 is not None
    assert registry.matches(selector, fl303) is named


@pytest.mark.parametrize(
    ("selector", "known"),
    [("ALL", True), ("FL3", True), ("top-level-import", True), ("FL999", False), ("FLX", False)],
)
def test_known_selectors(selector: str, known: bool) -> None:
    assert registry.is_known_selector(selector) is known
