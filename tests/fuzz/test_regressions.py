"""The defects the engine fuzzing found, each with its minimal reproducer (docs/reliability.md,
"Engine fuzzing")."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from apps import check, only, write_app
from fuzz.harness import age, cache_dir, compiles, run_files, run_once

from flash_ls import results
from flash_ls.checking import fix_paths
from flash_ls.diagnostic import Diagnostic, Fix, NoEdits, Severity, TextEdit
from flash_ls.fixes import moves
from flash_ls.fixes.apply import apply_edits
from flash_ls.parse import parse_file
from flash_ls.parse.split import line_texts
from flash_ls.project import workspace
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


# 8. The same check printed different text and JUnit reports depending on the cache: a fresh run
#    called a move-import finding "fixable with --fix" (text never computes fix edits and took
#    them to exist), a replay of the result a json run stored (edits computed: none) did not.
#    libcst could not make the edits: it runs out of recursion on deep nesting, and puts a
#    function after a form feed at another column than ast (the sites did not compare equal).
FORM_FEED_DEF = (
    SDK + "import torch\n\x0c\n"
    '@Endpoint(name="e", cpu="cpu3c-1-2")\n\x0casync def e(data):\n    return torch.x\n'
)
DEEP = {
    "brackets-199-in-decorator": SDK
    + 'import torch\n@Endpoint(name="e", env='
    + "[" * 199
    + "]" * 199
    + ")\ndef e(data):\n    return torch.x\n",
    "call-chain-900-in-endpoint": SDK
    + 'import torch\n@Endpoint(name="e")\ndef e(data):\n    return torch.x(f'
    + "()" * 900
    + ")\n",
}


def test_a_move_fix_after_a_form_feed_has_its_edits(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"w.py": FORM_FEED_DEF.encode()})
    result = fix_paths([root], write=False, cwd=tmp_path)
    [(_, after)] = result.changed.values()
    assert after == FORM_FEED_DEF.replace("import torch\n", "", 1).replace(
        "(data):\n", "(data):\n    import torch\n"
    )


def _formats(root: Path, cache: Path) -> dict[str, str]:
    """Fresh json, text and junit reports, then the same replayed (json first: it stores)."""
    age(root)
    with cache_dir(cache):
        runs = {f"fresh {fmt}": run_once(root, fmt, cached=False) for fmt in ("json", "text")}
        runs |= {f"replayed {fmt}": run_once(root, fmt, cached=True) for fmt in ("json", "text")}
        runs["fresh junit"] = run_once(root, "junit", cached=False)
        runs["replayed junit"] = run_once(root, "junit", cached=True)
    assert list(cache.glob(f"*/{results.PACK_NAME}"))  # stored, so the second runs replayed
    return {what: run.output for what, run in runs.items()}


@pytest.mark.parametrize("name", list(DEEP))
def test_a_move_fix_libcst_cannot_make_is_no_fix_in_any_format(tmp_path: Path, name: str) -> None:
    root = write_app(tmp_path / "app", {"w.py": DEEP[name].encode()})
    out = _formats(root, tmp_path / "cache")
    for fmt in ("json", "text", "junit"):
        assert out[f"fresh {fmt}"] == out[f"replayed {fmt}"], fmt
    moved = [f for f in json.loads(out["fresh json"]) if f["code"] in ("FL301", "FL302")]
    assert moved and all(f["fix"] is None for f in moved)
    assert "(fixable with --fix)" not in out["fresh text"]
    # Nested 202 deep: planned without edits, and said why. 900 calls deep: too deep for the
    # ast reading of the uses as well, so no fix is planned at all.
    noted = "= note: no automatic fix: the code that mentions 'torch' is nested 202 levels deep"
    assert (noted in out["fresh text"]) == (name == "brackets-199-in-decorator")


# A fix whose producer finds no edits although ast planned it (libcst reads a match capture as a
# use): a replay takes its edits to exist in text, as a fresh text check does.
MATCH_CAPTURE = {
    "pre.py": SDK + '@Endpoint(name="pre", cpu="cpu3c-1-2")\nasync def preprocess(t): ...\n',
    "pipeline.py": "from pre import preprocess\n"
    + SDK
    + 'api = Endpoint(name="pipeline", cpu="cpu3c-1-2")\n\n\n@api.post("/run")\n'
    "async def run(step: object) -> object:\n"
    "    match step:\n        case preprocess:\n            return None\n",
}


def test_a_replay_prints_what_a_fresh_check_prints_when_edits_are_none(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", MATCH_CAPTURE)
    out = _formats(root, tmp_path / "cache")
    for fmt in ("json", "text", "junit"):
        assert out[f"fresh {fmt}"] == out[f"replayed {fmt}"], fmt
    [fl108] = [f for f in json.loads(out["fresh json"]) if f["code"] == "FL108"]
    assert fl108["fix"] is None


def test_the_results_cache_keeps_why_a_fix_has_no_edits() -> None:
    path = Path("/app/w.py")
    edit = TextEdit(path, Span(0, 0, 0, 1), "x")
    fixes = [Fix("none", NoEdits("too long")), Fix("found none", lambda: None), Fix("e", [edit])]
    for fix in fixes:
        assert fix.edits is not None  # computed, as a json run does before storing
    stored = results.AppResult(
        tuple(
            Diagnostic("FL301", "s", Severity.WARNING, path, Span(0, 0, 0, 1), "m", fix=f)
            for f in fixes
        ),
        (),
    )
    replayed = [d.fix for d in results._unpack(results._pack(stored, with_edits=True)).diagnostics]
    assert [f.unavailable_reason if f else None for f in replayed] == ["too long", None, None]
    assert [f.computed if f else None for f in replayed] == [True, False, True]
    assert [f.edits if f else None for f in replayed] == [(), (), (edit,)]


# 9. FL301/FL302's move-import fix read every statement mentioning the name with libcst (about
#    1 ms a line, json, sarif and --fix only): a 3,000-line endpoint took 3 s, a 1.1 MB decorator
#    33 s. Beyond MAX_FIX_SOURCE_CHARS the fix is planned without edits, and says why (the whole
#    files: ``big-endpoint-body-fix-edits`` and the others in test_extremes.py).
def test_a_move_fix_over_the_size_limit_is_planned_without_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moves, "MAX_FIX_SOURCE_CHARS", 200)
    body = "".join(f"    x{i} = torch.f({i})\n" for i in range(20))
    source = SDK + 'import torch\n@Endpoint(name="e", cpu="cpu3c-1-2")\ndef e(d):\n' + body
    [finding] = only(check(tmp_path, {"w.py": source.encode()}), "FL301")
    assert finding.fix is not None and finding.fix.message == "Move `import torch` into e()"
    assert finding.fix.computed and not finding.fix.available
    chars = len(source) - len(SDK)  # the import and the endpoint mention the name
    assert finding.fix.unavailable_reason == (
        f"the statements that mention 'torch' are {chars:,} characters long; the fix edits at "
        "most 200"
    )
    text = render([finding], "text", cwd=tmp_path, read_lines=lambda _: None, tool_version="0")
    assert "(fixable with --fix)" not in text
    assert "= note: no automatic fix: the statements that mention 'torch' are" in text
    assert fix_paths([tmp_path], write=False, cwd=tmp_path).changed == {}


# 10. FL105 reported only the last of several `api = Endpoint(...)` bindings of one name (the
#     endpoint model keeps one endpoint per variable), so --fix removed one per round: with
#     eleven, the fix loop stopped after 10 rounds, "fixes were still changing files".
ELEVEN = SDK + 'api = Endpoint(name="a", cpu="cpu3c-1-2")\n' * 11


def test_fl105_removes_the_declarations_it_overwrites_in_one_round(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"w.py": ELEVEN})
    [finding] = only(check(root), "FL105")
    assert finding.fix is not None
    assert finding.fix.message == "Remove the unused Endpoint and 10 earlier ones it overwrites"
    assert [r.span.start_line for r in finding.related] == list(range(1, 11))
    result = fix_paths([root], write=False, unsafe=True, cwd=tmp_path)
    assert result.converged and result.fixed == 1
    assert [after for _, after in result.changed.values()] == [SDK]


def test_fl105_keeps_a_declaration_read_before_it_is_overwritten(tmp_path: Path) -> None:
    source = (
        SDK + 'api = Endpoint(name="a", cpu="cpu3c-1-2")\n'
        'api = Endpoint(name="b", cpu="cpu3c-1-2")\n'
        "first = api\n"
        'api = Endpoint(name="c", cpu="cpu3c-1-2")\n'
    )
    [finding] = only(check(tmp_path, {"w.py": source}), "FL105")
    assert finding.fix is not None
    assert finding.fix.message == "Remove the unused Endpoint"
    assert [e.span.start_line for e in finding.fix.edits] == [4]


# 11. A file deleted between the workspace's listing and its reading was FL901 ("cannot read
#     file: No such file or directory") in a one-shot check: a file that vanished is no error.
def test_a_file_deleted_after_the_listing_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_app(tmp_path / "app", {"w.py": FORM_FEED_WORKER, "gone.py": FORM_FEED_WORKER})
    listed = workspace.python_files

    def list_then_delete(*args: object, **kwargs: object) -> list[tuple[str, Path]]:
        found = listed(*args, **kwargs)  # type: ignore[arg-type]
        (root / "gone.py").unlink(missing_ok=True)
        return found

    monkeypatch.setattr(workspace, "python_files", list_then_delete)
    run = run_once(root, "json", cached=False)
    findings = json.loads(run.output)
    assert findings and {f["path"] for f in findings} == {"app/w.py"}, findings


def test_the_reproducers_pass_the_whole_harness(tmp_path: Path) -> None:
    run_files({"ff.py": FORM_FEED_WORKER.encode()}, tmp_path / "ff")
    run_files({"w.py": FORM_FEED_DEF.encode()}, tmp_path / "form-feed-def")
    for name, source in DEEP.items():
        run_files({"w.py": source.encode()}, tmp_path / name)
    run_files({rel: text.encode() for rel, text in MATCH_CAPTURE.items()}, tmp_path / "match")
    run_files({"w.py": ELEVEN.encode()}, tmp_path / "eleven")
