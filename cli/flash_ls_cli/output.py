"""Render findings for ``flash-ls check --output-format text|json|github|sarif|junit``.

Every format shows 1-based lines and 1-based columns counted in code points, and paths relative to
the current directory (``/``-separated) when the file lies under it. Rendering never reads files
itself: the caller passes ``read_lines`` so the CLI can reuse the texts it already checked.
"""

from __future__ import annotations

import contextlib
import re
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from flash_ls.diagnostic import Diagnostic, Fix, Severity
from flash_ls.finding_json import finding_json, position_json
from flash_ls.fixes.apply import applicable
from flash_ls.span import Span

# Start-up discipline: ``flash-ls manifest`` and ``check`` import this module on every run, so the
# heavy renderers' modules load when a report needs them (rich for coloured text only, json,
# xml.etree and difflib in their formats); plain text needs none of them.
if TYPE_CHECKING:
    from rich.text import Text

    from flash_ls.rules.registry import Rule

FORMATS = ("text", "json", "github", "sarif", "junit")

INFORMATION_URI = "https://github.com/flash-ls/flash-ls"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

ReadLines = Callable[[Path], list[str] | None]

_TAB_WIDTH = 4
_STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.INFO: "bold blue",
    Severity.HINT: "bold cyan",
}
_PLURALS = {
    Severity.ERROR: ("error", "errors"),
    Severity.WARNING: ("warning", "warnings"),
    Severity.INFO: ("info", "info"),
    Severity.HINT: ("hint", "hints"),
}
_SARIF_LEVELS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "note",
    Severity.HINT: "note",
}
_GITHUB_COMMANDS = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.INFO: "notice",
    Severity.HINT: "notice",
}
# Characters XML 1.0 cannot carry at all (a form feed in a source line would break the report).
_XML_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
# What rich's Text drops from the text it is given (bell, backspace, vertical tab, form feed,
# carriage return): plain text drops the same, so it reads as the coloured report does.
_CONTROL_CODES = dict.fromkeys((0x07, 0x08, 0x0B, 0x0C, 0x0D))
# An ANSI control sequence (CSI ... final byte): what ``echo`` removes when the stream is no
# terminal, as the typer front end does.
_ANSI_SEQUENCE = r"\x1b\[[;?0-9]*[a-zA-Z]"


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print ``message`` to stdout (``err``: stderr) and flush, like the typer front end's echo.

    ANSI control sequences are removed when the stream is not a terminal.
    """
    stream: TextIO = sys.stderr if err else sys.stdout
    text = message + "\n" if nl else message
    if text:
        if "\x1b" in text and not _isatty(stream):
            text = re.sub(_ANSI_SEQUENCE, "", text)
        stream.write(text)
    stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except ValueError:  # a closed stream
        return False


def render(
    diagnostics: Sequence[Diagnostic],
    fmt: str = "text",
    *,
    cwd: Path,
    read_lines: ReadLines,
    tool_version: str,
    color: bool = False,
    rules: Sequence[Rule] | None = None,
    fail_on: Severity | None = Severity.ERROR,
    unsafe_fixes: bool = False,
) -> str:
    """The report for ``diagnostics`` in output format ``fmt`` (one of ``FORMATS``).

    ``read_lines(path)`` returns a file's lines (line endings optional) or None when unavailable;
    only ``text`` and ``junit`` show source lines. ``color`` applies to ``text`` only. ``rules`` is
    the rule catalogue for ``sarif`` (default: the registry). ``fail_on`` is the severity from
    which a finding fails the run (None: none does): ``junit`` reports only those as failures.
    ``unsafe_fixes`` says that ``--fix`` applies unsafe fixes too (what ``text`` calls fixable).
    Non-empty reports end with a newline.
    """
    context = _Context(cwd, read_lines)
    ordered = sorted(diagnostics, key=context.sort_key)
    if fmt == "text":
        return _render_text(ordered, context, color=color, unsafe_fixes=unsafe_fixes)
    if fmt == "json":
        return _render_json(ordered, context)
    if fmt == "github":
        return _render_github(ordered, context)
    if fmt == "sarif":
        from flash_ls.rules.registry import all_rules

        catalogue = list(all_rules() if rules is None else rules)
        return _render_sarif(ordered, context, tool_version, catalogue)
    if fmt == "junit":
        return _render_junit(ordered, context, fail_on)
    raise ValueError(f"unknown output format {fmt!r} (expected {', '.join(FORMATS)})")


def summary_counts(
    diagnostics: Sequence[Diagnostic], *, unsafe_fixes: bool = False
) -> dict[str, int]:
    """``total``, one count per severity label (``error``, ``warning``, ``info``, ``hint``),
    ``fixable`` (findings whose fix ``--fix`` applies, with ``--unsafe-fixes`` if
    ``unsafe_fixes``) and ``unsafe`` (the further findings ``--unsafe-fixes`` would let it fix)."""
    counts = {"total": len(diagnostics)}
    for severity in sorted(Severity, reverse=True):
        counts[severity.label] = sum(1 for d in diagnostics if d.severity is severity)
    counts["fixable"] = sum(1 for d in diagnostics if applicable(d, unsafe=unsafe_fixes))
    counts["unsafe"] = 0
    if not unsafe_fixes:
        counts["unsafe"] = (
            sum(1 for d in diagnostics if applicable(d, unsafe=True)) - counts["fixable"]
        )
    return counts


def render_diff(original: str, fixed: str, path: str) -> str:
    """A unified diff (``--- a/path`` / ``+++ b/path``) of a fixed file; empty when unchanged."""
    if original == fixed:
        return ""
    import difflib

    lines = difflib.unified_diff(
        _split_keepends(original), _split_keepends(fixed), f"a/{path}", f"b/{path}"
    )
    out: list[str] = []
    for line in lines:
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)


def display_path(path: Path, cwd: Path) -> str:
    """``path`` relative to ``cwd`` with ``/`` separators when under it, else absolute POSIX."""
    if not path.is_absolute():
        return path.as_posix()
    base = cwd.absolute()
    with contextlib.suppress(ValueError):
        return path.relative_to(base).as_posix()
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except (ValueError, OSError):
        return path.as_posix()


class _Context:
    """Paths and source lines for one report, each looked up once."""

    def __init__(self, cwd: Path, read_lines: ReadLines) -> None:
        self.cwd = cwd.absolute()
        self._read_lines = read_lines
        self._paths: dict[Path, str] = {}
        self._lines: dict[Path, list[str] | None] = {}
        self._shown: dict[tuple[Path, int], tuple[str, list[int]]] = {}

    def path(self, path: Path) -> str:
        if path not in self._paths:
            self._paths[path] = display_path(path, self.cwd)
        return self._paths[path]

    def is_relative(self, path: Path) -> bool:
        return not Path(self.path(path)).is_absolute()

    def line(self, path: Path, line: int) -> str | None:
        if path not in self._lines:
            self._lines[path] = self._read_lines(path)
        lines = self._lines[path]
        if lines is None or not 0 <= line < len(lines):
            return None
        return lines[line].rstrip("\r\n")

    def display(self, path: Path, line: int, source: str) -> tuple[str, list[int]]:
        """``_display(source)`` of a line, worked out once: many findings can share one long
        line (a thousand keywords on one line would cost a thousand walks of it)."""
        key = (path, line)
        found = self._shown.get(key)
        if found is None:
            found = self._shown[key] = _display(source)
        return found

    def sort_key(self, d: Diagnostic) -> tuple[str, int, int, str, int, int, str]:
        s = d.span
        return (
            self.path(d.path),
            s.start_line,
            s.start_col,
            d.code,
            s.end_line,
            s.end_col,
            d.message,
        )


def _split_keepends(text: str) -> list[str]:
    # str.splitlines would also split on form feeds and other separators that are not line ends.
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


# -- text ---------------------------------------------------------------------------------------


class _Line:
    """One line of the text report: (text, style) segments and a style for the whole line.

    Plain output joins the segments; coloured output turns the line into a rich ``Text`` (rich
    loads only then).
    """

    __slots__ = ("segments", "style")

    def __init__(self, *segments: str | tuple[str, str], style: str = "") -> None:
        self.segments = [(part, "") if isinstance(part, str) else part for part in segments]
        self.style = style

    def append(self, text: str, style: str = "") -> None:
        self.segments.append((text, style))

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.segments).translate(_CONTROL_CODES)

    def rich(self) -> Text:
        from rich.text import Text

        parts = [(text, style) if style else text for text, style in self.segments]
        return Text.assemble(*parts, style=self.style)


def _render_text(
    diagnostics: Sequence[Diagnostic], context: _Context, *, color: bool, unsafe_fixes: bool
) -> str:
    lines: list[_Line] = []
    for d in diagnostics:
        lines.extend(_text_block(d, context, unsafe_fixes=unsafe_fixes))
        lines.append(_Line())
    lines.extend(_text_summary(diagnostics, unsafe_fixes=unsafe_fixes))
    if not color:
        return "".join(line.plain + "\n" for line in lines)
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        color_system="standard",
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    for line in lines:
        console.print(line.rich())
    return buffer.getvalue()


def _text_block(d: Diagnostic, context: _Context, *, unsafe_fixes: bool = False) -> list[_Line]:
    """The lines for one finding, without the blank line that separates findings."""
    style = _STYLES[d.severity]
    s = d.span
    header = _Line(
        (context.path(d.path), "bold"),
        f":{s.start_line + 1}:{s.start_col + 1}: ",
        (d.code, style),
        (f" [{d.slug}] ", "dim"),
        d.message,
    )
    block = [header]

    source = context.line(d.path, s.start_line)
    if source is not None:
        gutter = str(s.start_line + 1)
        pad = " " * len(gutter)
        shown, columns = context.display(d.path, s.start_line, source)
        start = min(s.start_col, len(source))
        end = s.end_col if s.end_line == s.start_line else len(source)
        end = max(min(end, len(source)), start)
        width = max(columns[end] - columns[start], 1)
        block.append(_Line(f"{pad} |", style="blue"))
        block.append(_Line((f"{gutter} | ", "blue"), shown))
        block.append(_Line((f"{pad} | ", "blue"), " " * columns[start], ("^" * width, style)))
        if d.related or d.notes or d.fix is not None:
            block.append(_Line(f"{pad} |", style="blue"))
        indent = pad
    else:
        indent = " "  # as under a one-digit gutter

    def labelled(label: str, style: str, text: str) -> list[_Line]:
        # A multi-line text continues under its first line, not at column 0.
        first, *rest = text.split("\n")
        hang = " " * len(f"{indent} = {label}: ")
        return [
            _Line(f"{indent} = ", (label, style), f": {first}"),
            *(_Line(hang + line) for line in rest),
        ]

    for related in d.related:
        where = context.path(related.path)
        r = related.span
        block.extend(
            labelled(
                "note", "bold", f"{where}:{r.start_line + 1}:{r.start_col + 1}: {related.message}"
            )
        )
    for note in d.notes:
        block.extend(labelled("note", "bold", note))
    if d.fix is not None:
        help_lines = labelled("help", "bold cyan", d.fix.message)
        if applicable(d, unsafe=unsafe_fixes):
            help_lines[-1].append(" (fixable with --fix)", style="green")
        block.extend(help_lines)
        for note in _fix_notes(d):
            block.extend(labelled("note", "bold", note))
    return block


def _fix_notes(d: Diagnostic) -> tuple[str, ...]:
    """Why the finding's fix is not applied, when that was known as it was planned."""
    reason = d.fix.unavailable_reason if d.fix is not None else None
    return (f"no automatic fix: {reason}",) if reason else ()


def _display(source: str) -> tuple[str, list[int]]:
    """A source line as a terminal shows it (tabs expanded) and the display column of every
    code-point column, including the one just past the end."""
    shown: list[str] = []
    columns = [0]
    width = 0
    for char in source:
        if char == "\t":
            step = _TAB_WIDTH - width % _TAB_WIDTH
            shown.append(" " * step)
        else:
            step = _char_width(char)
            shown.append(char)
        width += step
        columns.append(width)
    return "".join(shown), columns


def _char_width(char: str) -> int:
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _text_summary(diagnostics: Sequence[Diagnostic], *, unsafe_fixes: bool) -> list[_Line]:
    if not diagnostics:
        return [_Line("All checks passed!", style="bold green")]
    counts = summary_counts(diagnostics, unsafe_fixes=unsafe_fixes)
    total = counts["total"]
    parts = []
    for severity in sorted(Severity, reverse=True):
        count = counts[severity.label]
        if count:
            singular, plural = _PLURALS[severity]
            parts.append(f"{count} {singular if count == 1 else plural}")
    noun = "problem" if total == 1 else "problems"
    lines = [_Line(f"Found {total} {noun} ({', '.join(parts)}).", style="bold")]
    if counts["fixable"]:
        lines.append(_Line(f"{counts['fixable']} fixable with --fix.", style="green"))
    if counts["unsafe"]:
        more = counts["unsafe"]
        noun = "fix" if more == 1 else "fixes"
        lines.append(_Line(f"{more} more {noun} available with --unsafe-fixes.", style="dim"))
    return lines


# -- json ---------------------------------------------------------------------------------------


def _render_json(diagnostics: Sequence[Diagnostic], context: _Context) -> str:
    import json

    items = [finding_json(d, context.path) for d in diagnostics]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# -- github -------------------------------------------------------------------------------------


def _render_github(diagnostics: Sequence[Diagnostic], context: _Context) -> str:
    lines = []
    for d in diagnostics:
        properties = {
            "file": context.path(d.path),
            **position_json(d.span, ("line", "col", "endLine", "endColumn")),
            "title": f"{d.code} {d.slug}",
        }
        joined = ",".join(f"{k}={_github_property(str(v))}" for k, v in properties.items())
        lines.append(f"::{_GITHUB_COMMANDS[d.severity]} {joined}::{_github_data(_with_notes(d))}\n")
    return "".join(lines)


def _with_notes(d: Diagnostic) -> str:
    """The message, then one line per note: for outputs whose readers show a multi-line text
    (an annotation on a pull request, a code-scanning alert) and have no field for notes."""
    return "\n".join((d.message, *d.notes, *_fix_notes(d)))


def _github_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(value: str) -> str:
    return _github_data(value).replace(":", "%3A").replace(",", "%2C")


# -- sarif --------------------------------------------------------------------------------------


def _render_sarif(
    diagnostics: Sequence[Diagnostic],
    context: _Context,
    tool_version: str,
    catalogue: list[Rule],
) -> str:
    descriptors = [_sarif_rule(r) for r in catalogue]
    index = {r.code: i for i, r in enumerate(catalogue)}
    results = []
    for d in diagnostics:
        if d.code not in index:
            # A finding whose rule is not in the catalogue still needs a valid ruleIndex.
            index[d.code] = len(descriptors)
            descriptors.append({"id": d.code, "name": d.slug})
        results.append(_sarif_result(d, index[d.code], context))
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "flash-ls",
                "version": tool_version,
                "semanticVersion": tool_version,
                "informationUri": INFORMATION_URI,
                "rules": descriptors,
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"uri": context.cwd.as_uri().rstrip("/") + "/"}},
        # Our columns count code points; SARIF's default unit is UTF-16 code units.
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    import json

    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    doc = rule.doc or rule.summary
    return {
        "id": rule.code,
        "name": rule.slug,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc},
        "help": {"text": doc, "markdown": doc},
        "helpUri": rule.doc_url,
        "defaultConfiguration": {"level": _SARIF_LEVELS[rule.severity]},
        "properties": {"fix": rule.fix.value},
    }


def _sarif_result(d: Diagnostic, rule_index: int, context: _Context) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": _SARIF_LEVELS[d.severity],
        "message": {"text": _with_notes(d)},
        "locations": [{"physicalLocation": _sarif_physical(d.path, d.span, context)}],
    }
    if d.related:
        result["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": _sarif_physical(r.path, r.span, context),
                "message": {"text": r.message},
            }
            for i, r in enumerate(d.related)
        ]
    if d.fix is not None and d.fix.available:
        result["fixes"] = [_sarif_fix(d.fix, context)]
    return result


def _sarif_artifact(path: Path, context: _Context) -> dict[str, str]:
    from urllib.parse import quote

    if context.is_relative(path):
        return {"uri": quote(context.path(path), safe="/"), "uriBaseId": "%SRCROOT%"}
    return {"uri": Path(context.path(path)).as_uri()}


def _sarif_region(span: Span) -> dict[str, int]:
    return position_json(span, ("startLine", "startColumn", "endLine", "endColumn"))


def _sarif_physical(path: Path, span: Span, context: _Context) -> dict[str, Any]:
    return {"artifactLocation": _sarif_artifact(path, context), "region": _sarif_region(span)}


def _sarif_fix(fix: Fix, context: _Context) -> dict[str, Any]:
    by_path: dict[Path, list[dict[str, Any]]] = {}
    for edit in fix.edits:
        by_path.setdefault(edit.path, []).append(
            {"deletedRegion": _sarif_region(edit.span), "insertedContent": {"text": edit.new_text}}
        )
    return {
        "description": {"text": fix.message},
        "artifactChanges": [
            {"artifactLocation": _sarif_artifact(path, context), "replacements": replacements}
            for path, replacements in by_path.items()
        ],
        "properties": {"safe": fix.safe},
    }


# -- junit --------------------------------------------------------------------------------------


def _render_junit(
    diagnostics: Sequence[Diagnostic], context: _Context, fail_on: Severity | None
) -> str:
    """One testcase per finding: a failure at or above ``fail_on``; below it a passing testcase
    whose system-out holds the report (a dashboard shows it, but not as a failed test)."""
    import xml.etree.ElementTree as ET

    def fails(d: Diagnostic) -> bool:
        return fail_on is not None and d.severity >= fail_on

    tests = max(len(diagnostics), 1)
    failures = sum(1 for d in diagnostics if fails(d))
    counts = {"tests": str(tests), "failures": str(failures), "errors": "0"}
    root = ET.Element("testsuites", {"name": "flash-ls", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "flash-ls", **counts, "skipped": "0"})
    for d in diagnostics:
        path = context.path(d.path)
        name = f"{d.code} {path}:{d.span.start_line + 1}:{d.span.start_col + 1}"
        case = ET.SubElement(suite, "testcase", {"name": _xml(name), "classname": _xml(path)})
        report = _xml("\n".join(line.plain for line in _text_block(d, context)))
        if fails(d):
            failure = ET.SubElement(case, "failure", {"message": _xml(d.message), "type": d.code})
            failure.text = report
        else:
            ET.SubElement(case, "system-out").text = report
    if not diagnostics:
        ET.SubElement(suite, "testcase", {"name": "flash-ls", "classname": "flash-ls"})
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def _xml(value: str) -> str:
    return re.sub(_XML_ILLEGAL, "\ufffd", value)
