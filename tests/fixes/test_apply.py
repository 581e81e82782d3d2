"""Applying text edits and whole fixes (``--fix``, ``--diff``, fix-all)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from flash_ls.diagnostic import Diagnostic, Fix, Severity, TextEdit
from flash_ls.fixes.apply import (
    MAX_FIX_ROUNDS,
    apply_edits,
    apply_fixes,
    apply_fixes_detailed,
    fix_until_stable,
)
from flash_ls.span import Span

MAIN = Path("/app/main.py")
OTHER = Path("/app/other.py")


def edit(span: Span, new_text: str, path: Path = MAIN) -> TextEdit:
    return TextEdit(path, span, new_text)


def span_of(text: str, start: int, end: int) -> Span:
    """The Span of text[start:end] (lines split on \\n, columns in code points)."""

    def position(offset: int) -> tuple[int, int]:
        line = text.count("\n", 0, offset)
        line_start = text.rfind("\n", 0, offset) + 1
        return line, offset - line_start

    return Span(*position(start), *position(end))


# -- apply_edits --------------------------------------------------------------------------------


def test_replace_insert_and_delete() -> None:
    text = "import torch\nx = 1\n"
    edits = [
        edit(Span(0, 0, 1, 0), ""),
        edit(Span(1, 4, 1, 5), "2"),
        edit(Span(2, 0, 2, 0), "y = 3\n"),
    ]
    assert apply_edits(text, edits) == "x = 2\ny = 3\n"


def test_edits_are_independent_of_their_order() -> None:
    text = "abc\ndef\n"
    edits = [edit(Span(1, 0, 1, 1), "D"), edit(Span(0, 2, 0, 3), "C")]
    assert apply_edits(text, edits) == apply_edits(text, edits[::-1]) == "abC\nDef\n"


def test_columns_are_code_points() -> None:
    text = "name = '日本語'\n"
    assert apply_edits(text, [edit(Span(0, 9, 0, 10), "X")]) == "name = '日X語'\n"
    assert apply_edits("x = '🐍'; y\n", [edit(Span(0, 9, 0, 10), "z")]) == "x = '🐍'; z\n"


def test_crlf_line_ends_stay_intact() -> None:
    text = "a = 1\r\nb = 2\r\n"
    # A column past the end of a CRLF line lands before its \r.
    assert apply_edits(text, [edit(Span(0, 5, 0, 99), "0")]) == "a = 10\r\nb = 2\r\n"
    assert apply_edits(text, [edit(Span(0, 0, 1, 0), "")]) == "b = 2\r\n"
    assert apply_edits(text, [edit(Span(1, 0, 1, 5), "c")]) == "a = 1\r\nc\r\n"


def test_positions_past_the_end_are_clamped() -> None:
    assert apply_edits("abc", [edit(Span(5, 0, 9, 9), "!")]) == "abc!"
    assert apply_edits("abc\n", [edit(Span(0, 10, 0, 10), "!")]) == "abc!\n"


def test_overlapping_edits_keep_the_first_by_start() -> None:
    text = "0123456789"
    edits = [edit(Span(0, 4, 0, 8), "B"), edit(Span(0, 2, 0, 6), "A"), edit(Span(0, 8, 0, 9), "C")]
    assert apply_edits(text, edits) == "01A67C9"


def test_inserts_at_one_point_all_apply_in_order_and_duplicates_once() -> None:
    text = "ab"
    edits = [
        edit(Span(0, 1, 0, 1), "x"),
        edit(Span(0, 1, 0, 2), "B"),
        edit(Span(0, 1, 0, 1), "y"),
        edit(Span(0, 1, 0, 1), "x"),
    ]
    assert apply_edits(text, edits) == "axyB"


def test_no_edits() -> None:
    assert apply_edits("same\n", []) == "same\n"


# Text with CRLF and LF line ends and multi-byte characters; the reference cuts never split \r\n.
texts = st.lists(st.sampled_from(["a", "b", " ", "é", "日", "🐍", "\n", "\r\n"]), max_size=30).map(
    "".join
)


# Inserted text: a small alphabet that can make or split a \r\n pair with its neighbours.
new_texts = st.text(alphabet="x\r\né🐍", max_size=3)


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    text = draw(texts)
    # Valid cut points: not between \r and \n.
    cuts = [
        i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1 : i + 1] == "\r\n")
    ]
    # Distinct cut indices, drawn as small integers (sampling from a list re-draws on collisions).
    picked = draw(st.lists(st.integers(0, len(cuts) - 1), max_size=10, unique=True))
    points = sorted(cuts[i] for i in picked)
    edits = []
    for start, end in zip(points[::2], points[1::2], strict=False):
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        if kind == "insert":
            edits.append((start, start, draw(new_texts)))
        elif kind == "delete":
            edits.append((start, end, ""))
        else:
            edits.append((start, end, draw(new_texts)))
    return text, edits


def reference(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new_text in reversed(edits):
        text = text[:start] + new_text + text[end:]
    return text


@given(text_and_edits(), st.randoms())
def test_non_overlapping_edits_match_string_slicing(
    case: tuple[str, list[tuple[int, int, str]]], rng: random.Random
) -> None:
    text, offsets = case
    edits = [edit(span_of(text, s, e), new) for s, e, new in offsets]
    shuffled = list(edits)
    rng.shuffle(shuffled)
    expected = reference(text, offsets)
    assert apply_edits(text, edits) == expected
    assert apply_edits(text, shuffled) == expected


@given(text_and_edits())
def test_applying_one_edit_at_a_time_from_the_last_agrees(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    text, offsets = case
    result = text
    for s, e, new in reversed(offsets):
        result = apply_edits(result, [edit(span_of(text, s, e), new)])
    assert result == apply_edits(text, [edit(span_of(text, s, e), new) for s, e, new in offsets])


@given(texts, st.data())
def test_span_of_a_slice_round_trips(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    if text[start - 1 : start + 1] == "\r\n" or text[end - 1 : end + 1] == "\r\n":
        return
    assert apply_edits(text, [edit(span_of(text, start, end), "")]) == text[:start] + text[end:]


# -- apply_fixes --------------------------------------------------------------------------------


def test_fixes_group_edits_by_path() -> None:
    texts = {MAIN: "import torch\ndef f():\n    pass\n", OTHER: "x = 1\n"}
    move = Fix(
        "move import",
        (edit(Span(0, 0, 1, 0), ""), edit(Span(2, 0, 2, 0), "    import torch\n")),
    )
    rename = Fix("rename", (edit(Span(0, 0, 0, 1), "y", OTHER),))
    assert apply_fixes(texts, [move, rename]) == {
        MAIN: "def f():\n    import torch\n    pass\n",
        OTHER: "y = 1\n",
    }


def test_a_conflicting_fix_is_skipped_as_a_whole() -> None:
    texts = {MAIN: "abcdef\n", OTHER: "123\n"}
    first = Fix("first", (edit(Span(0, 0, 0, 2), "AB"),))
    # Its OTHER edit is fine, but its MAIN edit overlaps `first`: nothing of it applies.
    second = Fix("second", (edit(Span(0, 0, 0, 1), "X", OTHER), edit(Span(0, 1, 0, 3), "Q")))
    third = Fix("third", (edit(Span(0, 4, 0, 6), "EF"),))
    outcome = apply_fixes_detailed(texts, [first, second, third])
    assert outcome.texts == {MAIN: "ABcdEF\n"}
    assert outcome.applied == [first, third]
    assert outcome.skipped == [second]


def test_a_fix_whose_own_edits_overlap_is_skipped() -> None:
    broken = Fix("broken", (edit(Span(0, 0, 0, 3), "x"), edit(Span(0, 1, 0, 2), "y")))
    outcome = apply_fixes_detailed({MAIN: "abc"}, [broken])
    assert outcome.texts == {}
    assert outcome.skipped == [broken]


def test_a_fix_for_an_unknown_file_is_skipped() -> None:
    elsewhere = Fix("elsewhere", (edit(Span(0, 0, 0, 0), "x", OTHER),))
    outcome = apply_fixes_detailed({MAIN: "abc"}, [elsewhere])
    assert outcome.texts == {}
    assert outcome.skipped == [elsewhere]


def test_a_fix_shared_by_two_findings_applies_once() -> None:
    add = Fix("add import", (edit(Span(0, 0, 0, 0), "import os\n"),))
    outcome = apply_fixes_detailed({MAIN: "x = 1\n"}, [add, add])
    assert outcome.texts == {MAIN: "import os\nx = 1\n"}
    assert outcome.applied == [add]
    assert outcome.skipped == []


def test_different_inserts_at_one_point_apply_in_fix_order() -> None:
    a = Fix("a", (edit(Span(0, 0, 0, 0), "import a\n"),))
    b = Fix("b", (edit(Span(0, 0, 0, 0), "import b\n"),))
    assert apply_fixes({MAIN: "x\n"}, [a, b]) == {MAIN: "import a\nimport b\nx\n"}


def test_unchanged_files_are_not_returned() -> None:
    noop = Fix("noop", (edit(Span(0, 0, 0, 1), "a"),))
    assert apply_fixes({MAIN: "abc"}, [noop]) == {}


@given(text_and_edits())
def test_fixes_of_disjoint_edits_match_apply_edits(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    text, offsets = case
    edits = [edit(span_of(text, s, e), new) for s, e, new in offsets]
    fixes = [Fix(f"fix {i}", (e,)) for i, e in enumerate(edits)]
    expected = apply_edits(text, edits)
    assert apply_fixes({MAIN: text}, fixes).get(MAIN, text) == expected


# -- fix_until_stable ---------------------------------------------------------------------------


def finding(fix: Fix) -> Diagnostic:
    return Diagnostic("FL999", "test", Severity.WARNING, MAIN, Span(0, 0, 0, 1), "bad", fix=fix)


def test_fix_loop_counts_findings_and_applies_a_shared_fix_once() -> None:
    remove = Fix("remove", (edit(Span(0, 0, 0, 3), ""),))
    run = fix_until_stable([finding(remove), finding(remove)], {MAIN: "abc\n"}.get, lambda _: [])
    assert (run.texts, run.originals, run.fixed, run.converged) == (
        {MAIN: "\n"},
        {MAIN: "abc\n"},
        2,
        True,
    )


def test_fix_loop_applies_what_each_recheck_reveals_and_only_safe_fixes() -> None:
    def recheck(texts: Mapping[Path, str]) -> list[Diagnostic]:
        if texts[MAIN].startswith("#"):
            return [finding(Fix("unsafe", (edit(Span(0, 0, 0, 0), "!"),), safe=False))]
        return [finding(Fix("revealed", (edit(Span(0, 0, 0, 0), "#"),)))]

    first = finding(Fix("first", (edit(Span(0, 0, 0, 1), "B"),)))
    run = fix_until_stable([first], {MAIN: "b\n"}.get, recheck)
    assert (run.texts, run.fixed, run.converged) == ({MAIN: "#B\n"}, 2, True)
    assert [d.fix.message for d in run.diagnostics if d.fix is not None] == ["unsafe"]


def test_fix_loop_never_repeats_a_fix_the_check_cannot_see() -> None:
    # A .gitignore line: the re-check still reports the finding and offers the same fix.
    append = Fix("append", (edit(Span(1, 0, 1, 0), "/data\n", OTHER),), safe=False)
    run = fix_until_stable(
        [finding(append)], {OTHER: "a\n"}.get, lambda _: [finding(append)], unsafe=True
    )
    assert (run.texts, run.fixed, run.converged) == ({OTHER: "a\n/data\n"}, 1, True)


def test_fix_loop_gives_up_and_says_so_when_fixes_never_run_out() -> None:
    def another(count: int) -> Diagnostic:
        return finding(Fix(f"add x number {count}", (edit(Span(0, 0, 0, 0), "x"),)))

    run = fix_until_stable(
        [another(0)], {MAIN: ""}.get, lambda texts: [another(texts[MAIN].count("x"))]
    )
    assert not run.converged
    assert run.texts == {MAIN: "x" * MAX_FIX_ROUNDS}
    assert run.fixed == MAX_FIX_ROUNDS
