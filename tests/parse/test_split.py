"""The statement splitter: contiguous chunks, tolerant of broken code."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flash_ls.parse.split import split_lines, split_statements


def starts(text: str) -> list[int]:
    return [c.start_line for c in split_statements(text)[0]]


def test_decorators_stay_with_their_definition() -> None:
    text = "import os\n@a\n@b(\n  1)\ndef f():\n    return 1\nx = 1\n"
    assert starts(text) == [0, 1, 6]


def test_strings_brackets_and_continuations_do_not_split() -> None:
    text = 's = """\nnot = code\n"""\ny = (1,\n2)\nz = 1 + \\\n2\nw = "a\\\nb"\nv = 1\n'
    assert starts(text) == [0, 3, 5, 7, 9]


def test_clauses_stay_with_their_statement() -> None:
    text = "try:\n    pass\nexcept E:\n    pass\nelse:\n    pass\nfinally:\n    pass\nif a:\n    pass\nelif b:\n    pass\n"
    assert starts(text) == [0, 8]


def test_unclosed_bracket_does_not_swallow_the_next_definition() -> None:
    text = "x = (1,\n\n@decorator\ndef f():\n    pass\n"
    assert starts(text) == [0, 2]


def test_comments_are_collected_outside_strings_only() -> None:
    _, comments = split_statements('x = "# not a comment"  # real\n# own line\n')
    assert [(c.line, c.text) for c in comments] == [(0, "# real"), (1, "# own line")]


def test_lines_end_where_python_and_editors_end_them() -> None:
    assert split_lines("a\r\nb\rc\x0cd\x85e\u2028f\ng") == [
        "a\r\n",
        "b\r",
        "c\x0cd\x85e\u2028f\n",
        "g",
    ]
    assert split_lines("") == [] and split_lines("x\n") == ["x\n"]
    text = "x = '\u2028'\n\x0c\ndef f():\n    pass\n\x0cdef g(): ...\n"
    assert starts(text) == [0, 2, 4]


def test_a_byte_order_mark_does_not_separate_a_decorator_from_its_definition() -> None:
    assert starts("\ufeff@decorator\ndef f(): ...\nx = 1\n") == [0, 2]


@given(st.text(alphabet=st.sampled_from(list("ab()[]{}'\"#\\\n @:=def "))))
def test_chunks_always_concatenate_to_the_text(text: str) -> None:
    chunks, _ = split_statements(text)
    assert "".join(c.text for c in chunks) == text
