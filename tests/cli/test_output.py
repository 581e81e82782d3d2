"""Output formats of ``flash-ls check``: text, json, github, sarif, junit, and ``--diff``."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from json_contract import EDIT_KEYS, FINDING_KEYS

from flash_ls.diagnostic import Diagnostic, Fix, Related, Severity, TextEdit
from flash_ls.rules.registry import Finding, FixAvailability, Rule
from flash_ls.span import Span
from flash_ls_cli.output import FORMATS, render, render_diff, summary_counts

CWD = Path("/work/app")
MAIN = CWD / "src" / "main.py"
WORKER = CWD / "worker.py"
OUTSIDE = Path("/elsewhere/shared.py")

SOURCES = {
    MAIN: ["import torch\r\n", "from runpod_flash import Endpoint\n", "\tname = '日本'\n"],
    WORKER: ['@Endpoint(name="gpu")\n', "def infer(x):\n"],
}


def _no_check(app: object) -> list[Finding]:
    return []


RULES = [
    Rule(
        "FL102",
        "name-in-multiple-files",
        Severity.ERROR,
        "Endpoint name defined in several files",
        "## What it does\nFlags an endpoint name used in two files.",
        FixAvailability.NONE,
        _no_check,
    ),
    Rule(
        "FL301",
        "top-level-import",
        Severity.WARNING,
        "Third-party import at module level",
        "## What it does\nFlags module-level imports.",
        FixAvailability.SAFE,
        _no_check,
    ),
]


def top_level_import(safe: bool = True) -> Diagnostic:
    return Diagnostic(
        code="FL301",
        slug="top-level-import",
        severity=Severity.WARNING,
        path=MAIN,
        span=Span(0, 0, 0, 12),
        message="`torch` is imported at module level",
        fix=Fix(
            "Move `import torch` into `infer`",
            (
                TextEdit(MAIN, Span(0, 0, 1, 0), ""),
                TextEdit(WORKER, Span(2, 0, 2, 0), "    import torch\n"),
            ),
            safe=safe,
        ),
    )


def duplicate_name() -> Diagnostic:
    return Diagnostic(
        code="FL102",
        slug="name-in-multiple-files",
        severity=Severity.ERROR,
        path=WORKER,
        span=Span(0, 15, 0, 20),
        message='endpoint name "gpu" is also defined in shared.py',
        related=(Related(OUTSIDE, Span(3, 4, 3, 9), "also defined here"),),
    )


def unknown_name() -> Diagnostic:
    return Diagnostic(
        code="FL903",
        slug="not-statically-known",
        severity=Severity.HINT,
        path=MAIN,
        span=Span(2, 1, 2, 5),
        message="name is computed at run time",
    )


def out(
    diagnostics: list[Diagnostic],
    fmt: str,
    *,
    color: bool = False,
    fail_on: Severity | None = Severity.ERROR,
    unsafe_fixes: bool = False,
) -> str:
    return render(
        diagnostics,
        fmt,
        cwd=CWD,
        read_lines=SOURCES.get,
        tool_version="1.2.3",
        color=color,
        rules=RULES,
        fail_on=fail_on,
        unsafe_fixes=unsafe_fixes,
    )


def with_notes(diagnostic: Diagnostic) -> Diagnostic:
    notes = ("flash build imports this file", "a worker never sees it:\nimport it in the body")
    return dataclasses.replace(diagnostic, notes=notes)


def without_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[;?0-9]*[a-zA-Z]", "", text)


ALL = [unknown_name(), duplicate_name(), top_level_import()]


# -- text ---------------------------------------------------------------------------------------


def test_text_shows_location_code_slug_and_message() -> None:
    text = out([top_level_import()], "text")
    assert text.splitlines()[0] == (
        "src/main.py:1:1: FL301 [top-level-import] `torch` is imported at module level"
    )


def test_text_shows_the_source_line_with_carets_under_the_range() -> None:
    lines = out([top_level_import()], "text").splitlines()
    source = next(i for i, line in enumerate(lines) if line.endswith("import torch"))
    assert lines[source] == "1 | import torch"
    assert lines[source + 1] == "  | ^^^^^^^^^^^^"


def test_text_carets_follow_tabs_and_wide_characters() -> None:
    lines = out([unknown_name()], "text").splitlines()
    source = next(i for i, line in enumerate(lines) if line.startswith("3 |"))
    assert lines[source] == "3 |     name = '日本'"
    assert lines[source + 1] == "  |     ^^^^"


def test_text_point_range_gets_one_caret() -> None:
    point = Diagnostic("FL901", "syntax-error", Severity.ERROR, WORKER, Span.point(1, 4), "bad")
    lines = out([point], "text").splitlines()
    assert "  |     ^" in lines


def test_text_help_line_and_fixable_marker() -> None:
    safe = out([top_level_import()], "text")
    assert "= help: Move `import torch` into `infer` (fixable with --fix)" in safe
    assert "1 fixable with --fix." in safe
    unsafe = out([top_level_import(safe=False)], "text")
    assert "= help: Move `import torch` into `infer`" in unsafe
    assert "fixable with --fix" not in unsafe


def test_text_related_locations_are_notes() -> None:
    text = out([duplicate_name()], "text")
    assert "= note: /elsewhere/shared.py:4:5: also defined here" in text


def test_text_notes_follow_the_source_excerpt() -> None:
    lines = out([with_notes(top_level_import())], "text").splitlines()
    assert lines[1:9] == [
        "  |",
        "1 | import torch",
        "  | ^^^^^^^^^^^^",
        "  |",
        "  = note: flash build imports this file",
        "  = note: a worker never sees it:",
        "          import it in the body",
        "  = help: Move `import torch` into `infer` (fixable with --fix)",
    ]


def test_text_notes_without_a_source_excerpt_keep_their_indent() -> None:
    unreadable = dataclasses.replace(with_notes(top_level_import()), path=CWD / "gone.py")
    lines = out([unreadable], "text").splitlines()
    assert lines[1:5] == [
        "  = note: flash build imports this file",
        "  = note: a worker never sees it:",
        "          import it in the body",
        "  = help: Move `import torch` into `infer` (fixable with --fix)",
    ]


@pytest.mark.parametrize("path", [MAIN, CWD / "gone.py"], ids=["excerpt", "no-excerpt"])
def test_coloured_text_reads_as_the_plain_text(path: Path) -> None:
    diagnostic = dataclasses.replace(with_notes(top_level_import()), path=path)
    colored = out([diagnostic, duplicate_name()], "text", color=True)
    assert "\x1b[" in colored
    assert without_ansi(colored) == out([diagnostic, duplicate_name()], "text")


def test_text_without_source_still_reports() -> None:
    gone = Diagnostic(
        "FL405", "flashignore-unsupported", Severity.WARNING, CWD / "x", Span(0, 0, 0, 1), "m"
    )
    text = out([gone], "text")
    assert text.splitlines()[0] == "x:1:1: FL405 [flashignore-unsupported] m"
    assert "|" not in text


def test_text_summary() -> None:
    text = out(ALL, "text")
    assert text.endswith("Found 3 problems (1 error, 1 warning, 1 hint).\n1 fixable with --fix.\n")
    assert out([], "text") == "All checks passed!\n"


def test_text_summary_counts_unsafe_fixes_apart_unless_they_are_applied() -> None:
    unsafe = dataclasses.replace(top_level_import(safe=False), span=Span(1, 0, 1, 4))
    text = out([top_level_import(), unsafe], "text")
    assert text.endswith("1 fixable with --fix.\n1 more fix available with --unsafe-fixes.\n")
    applied = out([top_level_import(), unsafe], "text", unsafe_fixes=True)
    assert applied.endswith("Found 2 problems (2 warnings).\n2 fixable with --fix.\n")
    assert applied.count("(fixable with --fix)") == 2


def test_text_is_sorted_by_path_line_column() -> None:
    headers = [line for line in out(ALL, "text").splitlines() if ": FL" in line and "=" not in line]
    assert [h.split(" ")[0] for h in headers] == [
        "src/main.py:1:1:",
        "src/main.py:3:2:",
        "worker.py:1:16:",
    ]


def test_text_is_plain_unless_color() -> None:
    assert "\x1b[" not in out(ALL, "text")
    colored = out(ALL, "text", color=True)
    assert "\x1b[" in colored
    assert "import torch" in colored


# -- json ---------------------------------------------------------------------------------------


def test_json_has_exactly_the_contract_keys_and_one_based_positions() -> None:
    items = json.loads(out(ALL, "json"))
    assert isinstance(items, list)
    assert len(items) == 3
    for item in items:
        assert set(item) == FINDING_KEYS
    first = items[0]
    assert first == {
        "code": "FL301",
        "rule": "top-level-import",
        "severity": "warning",
        "path": "src/main.py",
        "line": 1,
        "column": 1,
        "end_line": 1,
        "end_column": 13,
        "message": "`torch` is imported at module level",
        "fix": {
            "message": "Move `import torch` into `infer`",
            "safe": True,
            "edits": [
                {
                    "path": "src/main.py",
                    "line": 1,
                    "column": 1,
                    "end_line": 2,
                    "end_column": 1,
                    "new_text": "",
                },
                {
                    "path": "worker.py",
                    "line": 3,
                    "column": 1,
                    "end_line": 3,
                    "end_column": 1,
                    "new_text": "    import torch\n",
                },
            ],
        },
    }
    for edit in first["fix"]["edits"]:
        assert set(edit) == EDIT_KEYS


def test_json_sorting_severity_labels_and_null_fix() -> None:
    items = json.loads(out(ALL, "json"))
    assert [(i["path"], i["line"], i["column"], i["code"]) for i in items] == [
        ("src/main.py", 1, 1, "FL301"),
        ("src/main.py", 3, 2, "FL903"),
        ("worker.py", 1, 16, "FL102"),
    ]
    assert [i["severity"] for i in items] == ["warning", "hint", "error"]
    assert items[1]["fix"] is None
    # Columns are code points: '日本' counts two.
    assert (items[1]["column"], items[1]["end_column"]) == (2, 6)


def test_a_fix_whose_edits_cannot_be_made_is_reported_as_no_fix() -> None:
    # Lazily computed edits that turn out impossible: JSON says null and SARIF lists no fix,
    # rather than promising a fix with no edits.
    lost = dataclasses.replace(
        top_level_import(), fix=Fix("Move `import torch` into `infer`", lambda: None)
    )
    assert json.loads(out([lost], "json"))[0]["fix"] is None
    sarif = json.loads(out([lost], "sarif"))
    assert "fixes" not in sarif["runs"][0]["results"][0]


def test_json_paths_outside_cwd_are_absolute_posix() -> None:
    outside = Diagnostic(
        "FL104", "duplicate-function-name", Severity.ERROR, OUTSIDE, Span(0, 0, 0, 1), "m"
    )
    [item] = json.loads(out([outside], "json"))
    assert item["path"] == "/elsewhere/shared.py"


def test_json_empty_is_an_empty_array() -> None:
    assert json.loads(out([], "json")) == []


def test_json_is_indented_by_two() -> None:
    assert out([unknown_name()], "json").startswith('[\n  {\n    "code": "FL903"')


# -- github -------------------------------------------------------------------------------------


def test_github_commands_per_severity() -> None:
    lines = out(ALL, "github").splitlines()
    assert lines == [
        "::warning file=src/main.py,line=1,col=1,endLine=1,endColumn=13,"
        "title=FL301 top-level-import::`torch` is imported at module level",
        "::notice file=src/main.py,line=3,col=2,endLine=3,endColumn=6,"
        "title=FL903 not-statically-known::name is computed at run time",
        "::error file=worker.py,line=1,col=16,endLine=1,endColumn=21,"
        'title=FL102 name-in-multiple-files::endpoint name "gpu" is also defined in shared.py',
    ]


def test_github_escapes_data_and_properties() -> None:
    odd = CWD / "a,b:c%.py"
    diagnostic = Diagnostic(
        "FL204",
        "invalid-route-path",
        Severity.INFO,
        odd,
        Span(0, 0, 0, 1),
        "100% wrong:\r\nuse /x, not x",
    )
    [line] = out([diagnostic], "github").splitlines()
    assert line.startswith("::notice file=a%2Cb%3Ac%25.py,line=1,")
    assert line.endswith("::100%25 wrong:%0D%0Ause /x, not x")


def test_github_and_sarif_messages_carry_the_notes() -> None:
    # A pull-request annotation and a code-scanning alert show a multi-line text: the notes
    # (why, what to do) follow the one-line message there.
    [line] = out([with_notes(top_level_import())], "github").splitlines()
    assert line.endswith(
        "::`torch` is imported at module level%0Aflash build imports this file"
        "%0Aa worker never sees it:%0Aimport it in the body"
    )
    [result] = json.loads(out([with_notes(top_level_import())], "sarif"))["runs"][0]["results"]
    assert result["message"]["text"].splitlines() == [
        "`torch` is imported at module level",
        "flash build imports this file",
        "a worker never sees it:",
        "import it in the body",
    ]


def test_github_empty() -> None:
    assert out([], "github") == ""


# -- sarif --------------------------------------------------------------------------------------


def test_sarif_structure() -> None:
    log = json.loads(out(ALL, "sarif"))
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "flash-ls"
    assert driver["version"] == "1.2.3"
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules[:2]] == ["FL102", "FL301"]
    fl301 = rules[1]
    assert fl301["name"] == "top-level-import"
    assert fl301["shortDescription"]["text"] == "Third-party import at module level"
    assert "module-level imports" in fl301["fullDescription"]["text"]
    assert "module-level imports" in fl301["help"]["markdown"]
    assert fl301["helpUri"].endswith("#fl301-top-level-import")
    assert fl301["defaultConfiguration"]["level"] == "warning"

    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("FL301", "warning"),
        ("FL903", "note"),
        ("FL102", "error"),
    ]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["message"]["text"]
        [location] = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith("/")
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 13}


def test_sarif_related_locations_and_fixes() -> None:
    results = json.loads(out(ALL, "sarif"))["runs"][0]["results"]
    [related] = results[2]["relatedLocations"]
    assert related["message"]["text"] == "also defined here"
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "file:///elsewhere/shared.py"
    assert related["physicalLocation"]["region"]["startLine"] == 4

    [fix] = results[0]["fixes"]
    assert fix["description"]["text"] == "Move `import torch` into `infer`"
    assert fix["properties"] == {"safe": True}
    changes = {c["artifactLocation"]["uri"]: c["replacements"] for c in fix["artifactChanges"]}
    assert set(changes) == {"src/main.py", "worker.py"}
    [insert] = changes["worker.py"]
    assert insert["deletedRegion"] == {
        "startLine": 3,
        "startColumn": 1,
        "endLine": 3,
        "endColumn": 1,
    }
    assert insert["insertedContent"]["text"] == "    import torch\n"
    assert "fixes" not in results[1]


def test_sarif_lists_every_catalogue_rule_even_without_results() -> None:
    log = json.loads(out([], "sarif"))
    assert [r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == ["FL102", "FL301"]
    assert log["runs"][0]["results"] == []


def test_sarif_uri_is_percent_encoded() -> None:
    spaced = Diagnostic(
        "FL901", "syntax-error", Severity.ERROR, CWD / "my app.py", Span(0, 0, 0, 1), "m"
    )
    [result] = json.loads(out([spaced], "sarif"))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "my%20app.py"


# -- junit --------------------------------------------------------------------------------------


def test_junit_one_failing_testcase_per_finding_at_fail_on() -> None:
    root = ET.fromstring(out(ALL, "junit", fail_on=Severity.HINT))
    assert root.tag == "testsuites"
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "flash-ls"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "3", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "FL301 src/main.py:1:1",
        "FL903 src/main.py:3:2",
        "FL102 worker.py:1:16",
    ]
    assert [c.get("classname") for c in cases] == ["src/main.py", "src/main.py", "worker.py"]
    failure = cases[2].find("failure")
    assert failure is not None
    assert failure.get("type") == "FL102"
    assert failure.get("message") == 'endpoint name "gpu" is also defined in shared.py'
    assert failure.text is not None
    assert '@Endpoint(name="gpu")' in failure.text


def test_junit_findings_below_fail_on_pass_with_their_report() -> None:
    root = ET.fromstring(out(ALL, "junit"))  # --fail-on error
    [suite] = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    cases = {str(case.get("name")).split()[0]: case for case in suite.findall("testcase")}
    assert cases["FL102"].find("failure") is not None
    for code in ("FL301", "FL903"):
        assert cases[code].find("failure") is None
        output = cases[code].find("system-out")
        assert output is not None and output.text is not None and code in output.text
    nothing_fails = ET.fromstring(out(ALL, "junit", fail_on=None))
    assert nothing_fails.get("failures") == "0"


def test_junit_without_findings_has_one_passing_testcase() -> None:
    root = ET.fromstring(out([], "junit"))
    [suite] = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    [case] = suite.findall("testcase")
    assert case.get("name") == "flash-ls"
    assert case.find("failure") is None


def test_junit_escapes_markup_and_control_characters() -> None:
    nasty = Diagnostic(
        "FL512", "invalid-env", Severity.ERROR, WORKER, Span(0, 0, 0, 1), 'a <b> & "c"\x0c]]>'
    )
    root = ET.fromstring(out([nasty], "junit"))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == 'a <b> & "c"\ufffd]]>'


# -- shared -------------------------------------------------------------------------------------


def test_unknown_format_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        out(ALL, "xml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_survives_unreadable_sources(fmt: str) -> None:
    rendered = render(
        ALL, fmt, cwd=CWD, read_lines=lambda path: None, tool_version="0", rules=RULES
    )
    assert rendered.endswith("\n")


def test_summary_counts() -> None:
    assert summary_counts([*ALL, top_level_import(safe=False)]) == {
        "total": 4,
        "error": 1,
        "warning": 2,
        "info": 0,
        "hint": 1,
        "fixable": 1,
        "unsafe": 1,
    }


def test_render_diff() -> None:
    diff = render_diff("import torch\nx = 1\n", "x = 1\n", "src/main.py")
    assert diff.splitlines() == [
        "--- a/src/main.py",
        "+++ b/src/main.py",
        "@@ -1,2 +1 @@",
        "-import torch",
        " x = 1",
    ]
    assert render_diff("same\n", "same\n", "a.py") == ""


def test_render_diff_marks_missing_final_newline_and_keeps_form_feeds() -> None:
    diff = render_diff("a\x0cb\nc", "a\x0cb\nd", "a.py")
    assert diff.splitlines(keepends=False)[-4:] == [
        "-c",
        "\\ No newline at end of file",
        "+d",
        "\\ No newline at end of file",
    ]
    assert " a\x0cb\n" in diff
