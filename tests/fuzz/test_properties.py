"""Hypothesis properties of the parser and of the whole check, on generated Python-ish text.

- ``parse_file`` never raises, on any text (NUL, lone surrogates, every separator); every span of
  its facts lies inside the text; it is a function of the text alone: the same facts with a cold
  statement cache, and after parsing another version of the file (the editor's incremental path,
  statements shifted from the cache);
- reading any bytes as a Python file never raises;
- the whole check of a generated Flash module, or of token soup, behaves as the mutation cases
  require (tests/fuzz/harness.py: valid output in every format, deterministic, within 2 s of CPU;
  for the modules, fixes that never turn code Python compiles into code it does not).

``FLASH_LS_FUZZ=long`` raises the number of examples (tests/fuzz/budget.py).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fuzz.budget import examples
from fuzz.harness import Defect, run_files
from fuzz.strategies import any_text, flash_module, token_soup
from hypothesis import given, note, target
from hypothesis import strategies as st

from flash_ls.parse import clear_cache, parse_file
from flash_ls.parse.split import line_texts, split_statements
from flash_ls.project.workspace import read_source
from flash_ls.span import Span


def spans(value: object) -> Iterator[tuple[str, Span]]:
    """Every ``Span`` reachable from ``value`` (facts are dataclasses, lists, tuples, dicts),
    with the path of fields that leads to it."""
    stack: list[tuple[str, object]] = [("facts", value)]
    seen: set[int] = set()
    while stack:
        where, item = stack.pop()
        if isinstance(item, Span):
            yield where, item
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            if id(item) in seen:
                continue
            seen.add(id(item))
            for field in dataclasses.fields(item):
                stack.append((f"{where}.{field.name}", getattr(item, field.name)))
        elif isinstance(item, (list, tuple)):
            stack.extend((f"{where}[{i}]", x) for i, x in enumerate(item))
        elif isinstance(item, dict):
            stack.extend((f"{where}[{k!r}]", x) for k, x in item.items())


def assert_inside(text: str, facts: object) -> None:
    lines = line_texts(text)
    for where, span in spans(facts):
        start, end = (span.start_line, span.start_col), (span.end_line, span.end_col)
        assert start <= end, f"{where}: {span} ends before it starts"
        for line, col in (start, end):
            if line == len(lines) and col == 0:
                continue  # just past a final line end
            assert 0 <= line < len(lines), f"{where}: {span} past the last line ({len(lines)})"
            assert 0 <= col <= len(lines[line]), f"{where}: {span} past the end of {lines[line]!r}"


def assert_parses_alone(text: str) -> None:
    """Facts with a warm cache are the facts of a cold one; spans inside the text."""
    warm = parse_file(text)
    assert_inside(text, warm)
    clear_cache()
    assert repr(parse_file(text)) == repr(warm)
    assert repr(parse_file(text, full=True)) == repr(parse_file(text, full=True))


@examples(300, 30_000)
@given(any_text())
def test_parse_file_takes_any_text(text: str) -> None:
    assert_parses_alone(text)
    chunks, _ = split_statements(text)
    assert "".join(c.text for c in chunks) == text


@examples(200, 5_000)
@given(token_soup(surrogates=True))
def test_parse_file_takes_flash_token_soup(text: str) -> None:
    assert_parses_alone(text)
    assert_parses_alone("from runpod_flash import Endpoint\n" + text)


@examples(100, 5_000)
@given(flash_module())
def test_parse_file_reads_generated_flash_modules(text: str) -> None:
    assert_parses_alone(text)


@examples(150, 10_000)
@given(
    st.one_of(flash_module(), token_soup()),
    st.integers(0, 40),
    st.integers(0, 3),
    st.lists(
        st.sampled_from(("", "x = 1", "@d", "def g():", "    pass", "(", '"""', "\x0c")), max_size=3
    ),
)
def test_an_edit_gives_the_facts_of_a_fresh_parse(
    text: str, at: int, removed: int, inserted: list[str]
) -> None:
    lines = text.splitlines(keepends=True)
    at = min(at, len(lines))
    edited = "".join([*lines[:at], *(line + "\n" for line in inserted), *lines[at + removed :]])
    note(f"edited: {edited!r}")
    parse_file(text)  # the statements of the old version are cached at their old lines
    incremental = repr(parse_file(edited))
    clear_cache()
    assert repr(parse_file(edited)) == incremental


@examples(300, 10_000)
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_refused(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.py"
        path.write_bytes(data)
        loaded = read_source(path)
    assert (loaded.text is None) != (loaded.error is None)
    if loaded.text is not None:
        assert_parses_alone(loaded.text)


def check_text(files: dict[str, bytes], *, fixes: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        try:
            result = run_files(files, Path(folder), fixes=fixes)
        except Defect as defect:
            raise AssertionError(f"{defect}\nfiles: {files!r}") from None
    target(float(result.findings), label="findings")  # toward modules with more to report


@examples(40, 1_000, slow=True)
@given(flash_module(), st.sampled_from(("\n", "\r\n", "\r")), st.booleans())
def test_checking_generated_flash_modules(text: str, end: str, bom: bool) -> None:
    data = ("\ufeff" if bom else "") + text.replace("\n", end)
    check_text({"worker.py": data.encode("utf-8")}, fixes=True)


@examples(30, 1_000, slow=True)
@given(token_soup(), flash_module())
def test_checking_token_soup_next_to_a_flash_module(soup: str, module: str) -> None:
    data = ("from runpod_flash import Endpoint\n" + soup).encode("utf-8", "surrogatepass")
    check_text({"soup.py": data, "worker.py": module.encode("utf-8")}, fixes=False)
