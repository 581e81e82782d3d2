"""The defects the engine fuzzing found, each with its minimal reproducer (docs/reliability.md,
"Engine fuzzing")."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from apps import check, write_app
from fuzz.harness import compiles, run_files, run_once

from flash_ls.checking import fix_paths
from flash_ls.diagnostic import Diagnostic, Severity, TextEdit
from flash_ls.fixes.apply import apply_edits
from flash_ls.parse import parse_file
from flash_ls.parse.split import line_texts
from flash_ls.span import Span
from flash_ls_cli.output import render

SDK = "from runpod_flash import Endpoint\n"


# 1. A syntax error's range lay past the end of its line (CPython puts some errors one or two
#    columns past it, or on the line after the last): JSON, SARIF and editors got a column that
#    does not exist.
@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("def f():\n", Span(0, 8, 0, 8)),
        ("from runpod_flash import CpuInstanceType, \n", Span(0, 42, 0, 42)),
        ("if x:\n    a = 1\n  b = 2\n", Span(2, 7, 2, 7)),
        ("class C:", Span(0, 8, 0, 8)),
        ("def f():\r", Span(0, 8, 0, 8)),
        # a statement that cannot be parsed at all: on its first character, not a blank line
        ("\n\n\nx = f" + "()" * 3000 + "\n", Span(3, 0, 3, 1)),
    ],
)
def test_syntax_errors_lie_inside_the_text(text: str, span: Span) -> None:
    [problem] = parse_file(text, full=True).syntax_errors
    assert problem.span == span
    lines = line_texts(text)
    assert span.end_col <= len(lines[span.end_line])


# 2. Text (and JUnit) output showed the wrong source line under a finding in a file with a form
#    feed (or \x1c, \x85, \u2028...) before it: the CLI split the file with str.splitlines.
FORM_FEED_WORKER = (
    SDK + "# section\x0c two\n"
    '@Endpoint(name="w")\ndef a(x): ...\n'
    '@Endpoint(name="w")\ndef b(x): ...\n'
)


def test_the_excerpt_is_the_findings_line_after_a_form_feed(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"w.py": FORM_FEED_WORKER})
    run = run_once(root, "text", cached=False)
    assert run.status == 0 and "FL101" in run.output
    assert '5 | @Endpoint(name="w")' in run.output, run.output


# 3. Rules read a file's lines with str.splitlines too: after a form feed, FL508's "make it
#    async" fix was missing and the "suppress on this line" action edited the wrong line.
def test_line_based_fixes_after_a_form_feed(tmp_path: Path) -> None:
    source = (
        SDK + "# page\x0cbreak\n"
        '@Endpoint(name="r", cpu="cpu3c-1-2", max_concurrency=4)\n'
        "def resize(x: int) -> int:\n"
        "    return x\n"
    )
    [finding] = [d for d in check(tmp_path, {"w.py": source}) if d.code == "FL508"]
    assert finding.fix is not None
    assert apply_edits(source, finding.fix.edits).endswith(
        "async def resize(x: int) -> int:\n    return x\n"
    )
    [suppress] = finding.alternatives
    line = finding.span.start_line
    assert [e.span for e in suppress.edits] == [Span.point(line, len(line_texts(source)[line]))]


# 4. One long line with many findings: the text output walked the whole line once per finding
#    (a thousand FL514 findings on an 8 kB line took 8 s).
def test_many_findings_on_one_long_line_render_in_linear_time() -> None:
    line = "x" * 20_000
    path = Path("/work/app/w.py")
    diagnostics = [
        Diagnostic(
            code="FL514",
            slug="unknown-endpoint-argument",
            severity=Severity.ERROR,
            path=path,
            span=Span(0, i, 0, i + 1),
            message="unknown argument",
        )
        for i in range(2_000)
    ]
    start = time.process_time()
    for fmt in ("text", "junit"):
        render(
            diagnostics,
            fmt,
            cwd=Path("/work/app"),
            read_lines=lambda _: [line],
            tool_version="0",
        )
    assert time.process_time() - start < 2.0  # quadratic: 2 x 40 million characters walked


# 5. Fix edits in a file with CR line ends (old Mac style, which Python accepts) were placed as
#    if the whole file were one line: --fix wrote code that does not compile.
def test_edits_count_cr_line_ends() -> None:
    path = Path("w.py")
    assert apply_edits("a\rb\rc\r", [TextEdit(path, Span(1, 0, 1, 1), "X")]) == "a\rX\rc\r"
    assert apply_edits("a\r\nb\rc\n", [TextEdit(path, Span(2, 1, 2, 1), "!")]) == "a\r\nb\rc!\n"
    assert apply_edits("a\rb", [TextEdit(path, Span(0, 5, 1, 0), "-")]) == "a-b"


CR_SDK = SDK.replace("\n", "\r")


@pytest.mark.parametrize(
    ("source", "fixed"),
    [
        # FL503's value fix (as `mutate.py fixtures/apps/demo/cpu_worker.py 30714 - huge`): the
        # new value went to the end of the file
        (
            CR_SDK
            + '@Endpoint(name="p", cpu="CPU3C_1_2")\rdef p(text: str) -> dict:\r    return {}\r',
            CR_SDK
            + '@Endpoint(name="p", cpu="cpu3c-1-2")\rdef p(text: str) -> dict:\r    return {}\r',
        ),
        # FL301's import move, by libcst (`... demo/gpu_worker.py 30031 line_endings huge`): the
        # whole file was replaced by the import
        (
            "import numpy as np\r" + CR_SDK + '@Endpoint(name="a", cpu="cpu3c-1-2")\r'
            "async def f(x):\r    import io\r    return np.x\r",
            CR_SDK + '@Endpoint(name="a", cpu="cpu3c-1-2", dependencies=["numpy"])\r'
            "async def f(x):\r    import io\r    import numpy as np\r    return np.x\r",
        ),
        # FL508's async fix (`... async_concurrency/resizer.py 30259 line_endings huge`):
        # "async " was appended to the file, which then no longer compiled
        (
            CR_SDK + '@Endpoint(name="r", cpu="cpu3c-1-2", max_concurrency=4)\r\n'
            "def resize(x: int) -> int:\r    return x\n",
            CR_SDK + '@Endpoint(name="r", cpu="cpu3c-1-2", max_concurrency=4)\r\n'
            "async def resize(x: int) -> int:\r    return x\n",
        ),
        # FL105's removal of an unused Endpoint: there was no edit
        (
            CR_SDK + 'api = Endpoint(name="unused", cpu="cpu3c-1-2")\r'
            '@Endpoint(name="a", cpu="cpu3c-1-2")\rasync def f(x):\r    return 1\r',
            CR_SDK + '@Endpoint(name="a", cpu="cpu3c-1-2")\rasync def f(x):\r    return 1\r',
        ),
        # FL303's new dependency: appended to the end of the file, which no longer compiled
        (
            CR_SDK + '@Endpoint(name="a", cpu="cpu3c-1-2", dependencies=[\r    "numpy",\r])\r'
            "async def f(x):\r    import PIL\r    return 1\r",
            CR_SDK + '@Endpoint(name="a", cpu="cpu3c-1-2", dependencies=[\r    "numpy",\r'
            '    "pillow",\n])\rasync def f(x):\r    import PIL\r    return 1\r',
        ),
    ],
)
def test_fixes_in_files_with_cr_line_ends(tmp_path: Path, source: str, fixed: str) -> None:
    root = write_app(tmp_path / "app", {"w.py": source.encode()})
    result = fix_paths([root], write=False, unsafe=True, cwd=tmp_path)
    assert [after for _, after in result.changed.values()] == [fixed]
    assert compiles(fixed)


# 6. FL101's rename could pick a name another endpoint already has (so the fix loop renamed
#    that one next, a finding that was never there), and same-named functions all got the same
#    new name: with twelve of them the fix loop never settled.
def test_fl101_renames_to_unused_names(tmp_path: Path) -> None:
    source = (
        SDK + '@Endpoint(name="e")\ndef a(d): ...\n'
        '@Endpoint(name="e")\ndef b(d): ...\n'
        '@Endpoint(name="e-b")\ndef c(d): ...\n'
    )
    [finding] = [d for d in check(tmp_path / "one", {"w.py": source}) if d.code == "FL101"]
    assert finding.fix is not None and finding.fix.message == 'Rename the endpoint to "e-b-2"'
    twelve = SDK + '@Endpoint(name="e")\ndef e(d): ...\n' * 12
    root = write_app(tmp_path / "twelve", {"w.py": twelve})
    result = fix_paths([root], write=False, unsafe=True, cwd=tmp_path)
    assert result.converged
    [(_, after)] = result.changed.values()
    assert after.count('name="e-e') == 11 and 'name="e-e-11"' in after


# 7. The statement and line caches were bounded by their number of entries only: every version of
#    a huge statement stayed cached (30 distinct 1 MB lists kept 1.6 GB alive; the long run's
#    process reached 1.1 GB, and the garbage collector's passes over it made 1 kB files take 2 s).
def test_the_statement_cache_is_bounded_by_size() -> None:
    from flash_ls.parse import _ChunkCache
    from flash_ls.parse.extract import ChunkFacts

    cache = _ChunkCache(100, lambda text, line: ChunkFacts(), chars=1_000)
    for i in range(50):
        cache.get(f"x{i} = '{'a' * 300}'\n", 0)
    assert cache._chars <= 1_000 and len(cache._data) == 3
    cache.get("y = 1\n", 0)
    assert len(cache._data) == 4  # small statements still fit beside them
    cache.clear()
    assert cache._chars == 0 and not cache._data


def test_the_line_cache_is_bounded_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    from flash_ls.parse import split

    monkeypatch.setattr(split, "_LINE_CACHE_CHARS", 10_000)
    split._LINES.clear()
    monkeypatch.setattr(split, "_line_chars", 0)
    for i in range(20):
        split.split_statements(f"x{i} = '{'a' * 3_000}'\n")
    assert sum(len(key[0]) for key in split._LINES) <= 10_000


def test_the_reproducers_pass_the_whole_harness(tmp_path: Path) -> None:
    run_files({"ff.py": FORM_FEED_WORKER.encode()}, tmp_path)
