"""An edited file is rescanned from its edit only: the result must be the fresh scan's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flash_ls.parse import split
from flash_ls.parse.split import split_statements

# Lines that change the scanner's state (brackets, strings, continuations, clauses, decorators)
PIECES = [
    "import os\n",
    "x = (\n",
    "    1,\n",
    ")\n",
    "]\n",
    "def f():\n",
    "    return 1  # a comment\n",
    "@decorator\n",
    "class C:\n",
    "    pass\n",
    's = """\n',
    '"""\n',
    "t = '''x\n",
    "'''\n",
    "y = 1 + \\\n",
    "    2\n",
    "else:\n",
    "try:\n",
    "except ValueError:\n",
    "# only a comment\n",
    "\n",
    "    \n",
    "z = {'a': [1, (2\n",
    "async def g():\n",
    "from x import (a,\n",
    "    b)\n",
    "\r\n",
    "w = 1\r",
    "\ufeffv = 2\n",
    "\fu = 3\n",
    "last = 1",
]


def fresh(text: str) -> tuple[list[split.Chunk], list[split.Comment]]:
    split._RECENT.clear()
    return split_statements(text)


@given(
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.lists(
        st.tuples(
            st.integers(0, 40), st.integers(0, 3), st.lists(st.sampled_from(PIECES), max_size=4)
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_an_edited_text_splits_as_a_fresh_one(
    pieces: list[str], edits: list[tuple[int, int, list[str]]]
) -> None:
    text = "".join(pieces)
    split._RECENT.clear()
    split_statements(text)
    for at, removed, inserted in edits:
        lines = split.split_lines(text)
        at = min(at, len(lines))
        text = "".join([*lines[:at], *inserted, *lines[at + removed :]])
        incremental = split_statements(text)  # the previous version is among the recent scans
        assert incremental == fresh(text)
        split_statements(text)  # recent again, for the next edit


def test_chunks_after_the_edit_move_with_it() -> None:
    """Typing a line above two functions: both functions' chunks are found again, one line down
    (reused, not rebuilt), and a comment below them moves too."""
    text = "import os\n\ndef f():\n    return 1\n\ndef g():\n    pass  # note\n"
    split._RECENT.clear()
    before, _ = split_statements(text)
    edited = text.replace("import os\n", "import os\nimport sys\n")
    chunks, comments = split_statements(edited)
    assert [c.start_line for c in chunks] == [0, 1, 3, 6]
    assert chunks[3].text == before[2].text
    assert [(c.line, c.text) for c in comments] == [(7, "# note")]
    assert (chunks, comments) == fresh(edited)


def test_another_file_with_the_same_first_line_is_not_confused_with_it() -> None:
    one = "import os\nx = (\n1,\n)\n"
    two = "import os\ny = '''\nstill a string\n'''\n"
    split._RECENT.clear()
    split_statements(one)
    assert split_statements(two) == fresh(two)
