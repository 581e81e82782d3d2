"""Run ``flash-ls check`` in-process on an app folder and judge what it printed.

``check_app_folder`` calls the CLI's own ``run_check`` (the function ``flash-ls check`` runs) once
per output format, capturing stdout and stderr, and measures each run's CPU time; the
``validate_*`` functions say whether an output is what its format promises. Error log records of
the engine count as defects too: a rule that crashes, or a statement the extractor could not
analyse, is caught and logged by the engine (so the check goes on) and would otherwise go unseen.
"""

from __future__ import annotations

import ast
import contextlib
import gc
import io
import itertools
import json
import logging
import os
import re
import shutil
import time
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from json_contract import EDIT_KEYS, FINDING_KEYS

from flash_ls.checking import fix_paths
from flash_ls.parse.split import split_lines
from flash_ls.project.encoding import SourceDecodeError, decode_source
from flash_ls_cli.output import FORMATS, SARIF_SCHEMA
from flash_ls_cli.runner import ExitCode, run_check

# A file's check may take this much CPU time (the 2 s per file; CPU time, not wall time,
# so a loaded machine does not make the test flaky). The objects of the test process are frozen
# while a check runs (``gc.freeze``): the collector's passes then cost what they would cost in a
# fresh `flash-ls check` process, not in proportion to everything earlier tests left alive.
CPU_LIMIT_SECONDS = 2.0
SEVERITIES = {"error", "warning", "info", "hint"}
_GITHUB_LINE = re.compile(
    r"::(error|warning|notice) file=[^,:\n]+,line=(\d+),col=(\d+),endLine=(\d+),endColumn=(\d+),"
    r"title=(FL\d{3}) ([a-z0-9-]+)::[^\n\r]*"
)
_TEXT_HEADER = re.compile(r"(\S[^\n]*?):(\d+):(\d+): (FL\d{3}) \[([a-z0-9-]+)\] ")
_TEXT_SUMMARY = re.compile(r"Found (\d+) problems? \(")
# The tests run offline (tests/conftest.py), where these rules have no estimate to report on, and
# a check that started a size estimate offline is never stored: without them, the second check
# of a case replays the first one's stored result, which is part of what is compared.
SIZE_RULES = ("FL401", "FL402")
# Past times for the files of an app under test: the results cache does not trust files modified
# within the file system's timestamp granularity, so fresh files would never replay. Each call of
# ``age`` takes the next second: two cases never share a stamp (size, mtime and inode: a case
# whose file had the size of the previous one's, in a recycled inode, would replay its result).
_PAST = itertools.count(1_600_000_000)


class Defect(AssertionError):
    """What a fuzz case found; the message names the case (seed, mutations) and the failure."""


class TooSlow(Defect):
    """A case that did everything right, but spent more than ``CPU_LIMIT_SECONDS`` on a run."""

    def __init__(self, message: str, cpu: float, size: int) -> None:
        super().__init__(message)
        self.cpu = cpu
        self.size = size


@dataclass
class Run:
    output: str
    stderr: str
    status: int
    cpu: float
    wall: float
    errors: list[str] = field(default_factory=list)  # error log records


@dataclass
class Checked:
    runs: dict[str, Run]

    @property
    def cpu(self) -> float:
        return max(run.cpu for run in self.runs.values())


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = ""
        if record.exc_info and record.exc_info[1] is not None:
            exc = f": {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
        self.records.append(f"{record.name}: {record.getMessage()}{exc}")


@contextlib.contextmanager
def engine_errors() -> Iterator[list[str]]:
    """Error records logged by ``flash_ls`` while the block runs (a rule's or a statement's
    crash, isolated by the engine)."""
    handler = _Collect()
    logger = logging.getLogger("flash_ls")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def age(root: Path) -> None:
    """Give every file and folder under ``root`` an old modification time (replayable)."""
    when = next(_PAST)
    for path in [root, *root.rglob("*")]:
        os.utime(path, (when, when), follow_symlinks=False)


def run_once(root: Path, fmt: str, *, cached: bool, fix: str | None = None) -> Run:
    """``flash-ls check ROOT --output-format FMT`` in this process (cwd: ``root``'s parent);
    ``cached=False`` is ``--no-cache``, ``fix`` ``"diff"`` is ``--diff --unsafe-fixes``."""
    out, err = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    os.chdir(root.parent)
    gc.freeze()
    try:
        with (
            engine_errors() as errors,
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
        ):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                status = run_check(
                    [Path(root.name)],
                    output_format=fmt,
                    no_cache=not cached,
                    color=False,
                    diff=fix == "diff",
                    unsafe_fixes=fix == "diff",
                    ignore=list(SIZE_RULES),
                )
            except ExitCode as stop:
                status = stop.code
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        gc.unfreeze()
        os.chdir(previous)
    return Run(out.getvalue(), err.getvalue(), status, cpu, wall, list(errors))


def check_app_folder(root: Path, *, cached: bool = False) -> Checked:
    """Every output format of one check of the app at ``root``."""
    order = ("json", *(f for f in FORMATS if f != "json"))  # json first: replays need its edits
    return Checked({fmt: run_once(root, fmt, cached=cached) for fmt in order})


# -- judging ---------------------------------------------------------------------------------


def judge(checked: Checked, *, sources: dict[str, str | None] | None = None) -> list[dict]:
    """Raise ``Defect`` unless every run behaved; the JSON findings. (The time is judged by
    ``within_time``, last: a slow case is still checked for everything else.)

    ``sources`` maps a path as printed (relative to the cwd) to the file's text (None: not
    decodable), to check that positions fall inside the files.
    """
    for fmt, run in checked.runs.items():
        if run.status not in (0, 1):
            raise Defect(f"{fmt}: exit status {run.status}; stderr: {run.stderr[-2000:]}")
        if "Traceback" in run.stderr or "internal error" in run.stderr:
            raise Defect(f"{fmt}: stderr: {run.stderr[-2000:]}")
        if run.errors:
            raise Defect(f"{fmt}: the engine logged errors: {run.errors[:3]}")
    statuses = {run.status for run in checked.runs.values()}
    if len(statuses) != 1:
        raise Defect(f"exit status depends on the output format: {statuses}")
    no_app = "no Flash app found" in checked.runs["json"].stderr
    findings = validate_json(checked.runs["json"].output)
    count = len(findings)
    validate_text(checked.runs["text"].output, count, no_app=no_app)
    validate_github(checked.runs["github"].output, count)
    validate_sarif(checked.runs["sarif"].output, count)
    validate_junit(checked.runs["junit"].output, count)
    if sources is not None:
        validate_positions(findings, sources)
    return findings


def validate_json(output: str) -> list[dict]:
    try:
        items = json.loads(output)
    except ValueError as err:
        raise Defect(f"json: not JSON: {err}: {output[:500]!r}") from None
    if not isinstance(items, list):
        raise Defect(f"json: not an array: {output[:200]!r}")
    for item in items:
        if set(item) != FINDING_KEYS:
            raise Defect(f"json: keys {sorted(item)}")
        if item["severity"] not in SEVERITIES or not re.fullmatch(r"FL\d{3}", item["code"]):
            raise Defect(f"json: {item}")
        start, end = (item["line"], item["column"]), (item["end_line"], item["end_column"])
        if min(*start, *end) < 1 or end < start:
            raise Defect(f"json: bad range {item}")
        fix = item["fix"]
        if fix is not None:
            if not isinstance(fix.get("message"), str) or not fix.get("edits"):
                raise Defect(f"json: bad fix {fix}")
            for edit in fix["edits"]:
                if set(edit) != EDIT_KEYS or min(edit["line"], edit["column"]) < 1:
                    raise Defect(f"json: bad edit {edit}")
    return items


def validate_text(output: str, count: int, *, no_app: bool) -> None:
    if no_app and count == 0:
        if output:
            raise Defect(f"text: output for no Flash app: {output[:200]!r}")
        return
    if not output.endswith("\n"):
        raise Defect(f"text: does not end with a newline: {output[-200:]!r}")
    headers = [line for line in output.split("\n") if _TEXT_HEADER.match(line)]
    if count == 0:
        if output != "All checks passed!\n":
            raise Defect(f"text: {output[:300]!r}")
        return
    summary = _TEXT_SUMMARY.search(output)
    if summary is None or int(summary.group(1)) != count:
        raise Defect(f"text: summary does not count {count} findings: {output[-300:]!r}")
    if len(headers) < count:
        raise Defect(f"text: {len(headers)} finding headers for {count} findings")


def validate_github(output: str, count: int) -> None:
    lines = output.split("\n")
    if lines[-1] != "":
        raise Defect(f"github: does not end with a newline: {output[-200:]!r}")
    lines.pop()
    if len(lines) != count:
        raise Defect(f"github: {len(lines)} lines for {count} findings")
    for line in lines:
        if not _GITHUB_LINE.fullmatch(line):
            raise Defect(f"github: not a workflow command: {line[:300]!r}")


def validate_sarif(output: str, count: int) -> None:
    try:
        log = json.loads(output)
    except ValueError as err:
        raise Defect(f"sarif: not JSON: {err}") from None
    if log.get("$schema") != SARIF_SCHEMA or log.get("version") != "2.1.0":
        raise Defect(f"sarif: header {str(log)[:200]}")
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    if len(results) != count:
        raise Defect(f"sarif: {len(results)} results for {count} findings")
    for result in results:
        if rules[result["ruleIndex"]]["id"] != result["ruleId"]:
            raise Defect(f"sarif: ruleIndex does not name {result['ruleId']}")
        region = result["locations"][0]["physicalLocation"]["region"]
        if min(region.values()) < 1:
            raise Defect(f"sarif: region {region}")


def validate_junit(output: str, count: int) -> None:
    try:
        root = ET.fromstring(output.encode("utf-8"))
    except (ET.ParseError, UnicodeEncodeError) as err:
        raise Defect(f"junit: not XML: {err}") from None
    cases = root.findall("./testsuite/testcase")
    if root.tag != "testsuites" or len(cases) != max(count, 1):
        raise Defect(f"junit: {len(cases)} testcases for {count} findings")
    if int(root.get("tests", "-1")) != max(count, 1):
        raise Defect(f"junit: tests={root.get('tests')} for {count} findings")


def validate_positions(findings: list[dict], sources: dict[str, str | None]) -> None:
    """Each finding (and fix edit) in a decodable source lies inside its text: the line exists
    (or is the one just past a final line end) and the column is at most one past its end."""
    cache: dict[str, list[str]] = {}

    def check(path: str, line: int, column: int, what: str) -> None:
        text = sources.get(path)
        if text is None:
            return
        lines = cache.get(path)
        if lines is None:
            lines = cache[path] = [part.rstrip("\r\n") for part in split_lines(text)]
        if line == len(lines) + 1 and column == 1:
            return  # the end of a file that ends with a line end
        if not 1 <= line <= len(lines) or column > len(lines[line - 1]) + 1:
            shown = repr(lines[line - 1][:120]) if 1 <= line <= len(lines) else "past the end"
            raise Defect(f"{what} at {path}:{line}:{column} is outside the text ({shown})")

    for item in findings:
        where = f"{item['code']} {item['message']!r}"
        check(item["path"], item["line"], item["column"], where)
        check(item["path"], item["end_line"], item["end_column"], where + " (end)")
        for edit in (item["fix"] or {}).get("edits", ()):
            check(edit["path"], edit["line"], edit["column"], where + " fix edit")
            check(edit["path"], edit["end_line"], edit["end_column"], where + " fix edit (end)")


def same_outputs(first: Checked, second: Checked) -> None:
    """Raise ``Defect`` unless both checks printed the same in every format."""
    for fmt, run in first.runs.items():
        other = second.runs[fmt]
        if (run.output, run.status) != (other.output, other.status):
            raise Defect(
                f"{fmt}: not deterministic (status {run.status} then {other.status}):\n"
                f"{_first_difference(run.output, other.output)}"
            )


def _first_difference(a: str, b: str) -> str:
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )
    return f"first run: {a[max(0, at - 200) : at + 200]!r}\nsecond run: {b[max(0, at - 200) : at + 200]!r}"


# -- one case: a fixture app with one mutated file ---------------------------------------------


@dataclass
class CaseResult:
    cpu: float  # the slowest run's CPU seconds
    findings: int
    size: int  # bytes of the mutated file


@contextlib.contextmanager
def cache_dir(path: Path) -> Iterator[None]:
    """``FLASH_LS_CACHE_DIR`` is ``path`` while the block runs (each case has its own caches)."""
    before = os.environ.get("FLASH_LS_CACHE_DIR")
    os.environ["FLASH_LS_CACHE_DIR"] = str(path)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("FLASH_LS_CACHE_DIR", None)
        else:
            os.environ["FLASH_LS_CACHE_DIR"] = before


def source_text(data: bytes) -> str | None:
    """The text the engine reads from these bytes (None: it cannot, the file is FL901)."""
    if b"\0" in data:
        return None
    try:
        return decode_source(data)
    except SourceDecodeError:
        return None


def run_case(app: Path, rel: str, data: bytes, work: Path, *, fixes: bool = True) -> CaseResult:
    """Check a copy of the app at ``app`` (under ``work``) whose file ``rel`` holds ``data``
    (see ``check_root``). Raises ``Defect``."""
    root = work / "app"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(app, root, symlinks=True)
    (root / rel).write_bytes(data)
    return check_root(root, {rel: data}, fixes=fixes)


def run_files(files: dict[str, bytes], work: Path, *, fixes: bool = True) -> CaseResult:
    """Check an app of these files (and a ``pyproject.toml``) under ``work``."""
    root = work / "app"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "fuzz"\n')
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return check_root(root, files, fixes=fixes)


def check_root(root: Path, changed: dict[str, bytes], *, fixes: bool = True) -> CaseResult:
    """Check the app at ``root`` (whose files ``changed`` are under test): every output format
    twice (without caches, then with the facts and results caches of a directory of its own:
    the second run stores and replays), judged and compared; then the fixes (``fixes``)."""
    age(root)
    caches = root.parent / "cache"
    shutil.rmtree(caches, ignore_errors=True)
    sources = {f"{root.name}/{rel}": source_text(data) for rel, data in changed.items()}
    with cache_dir(caches):
        first = check_app_folder(root)
        findings = judge(first, sources=sources)
        second = check_app_folder(root, cached=True)
        judge(second)
        same_outputs(first, second)
        if fixes:
            check_fixes(root)
    size = max((len(data) for data in changed.values()), default=0)
    within_time(first, size)
    within_time(second, size)
    return CaseResult(max(first.cpu, second.cpu), len(findings), size)


def within_time(checked: Checked, size: int) -> None:
    """Raise ``TooSlow`` when a run took more than ``CPU_LIMIT_SECONDS`` of CPU time."""
    for fmt, run in checked.runs.items():
        if run.cpu > CPU_LIMIT_SECONDS:
            message = f"{fmt}: the check took {run.cpu:.2f} s of CPU time ({size} bytes)"
            raise TooSlow(message, run.cpu, size)


def definitions(text: str) -> set[str]:
    """The module-level functions and classes of code that compiles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = ast.parse(text)
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in module.body if isinstance(node, kinds)}


def compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<fuzz>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
            compile(text, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_fixes(root: Path) -> None:
    """``--diff`` (the CLI, unsafe fixes included) and the fix loop ``--fix`` runs (safe fixes),
    in memory: no crash, no error log, a loop that settles, and no fix that turns code Python
    compiles into code it does not, or loses one of its functions or classes."""
    run = run_once(root, "text", cached=False, fix="diff")
    if run.status not in (0, 1) or "Traceback" in run.stderr or "internal error" in run.stderr:
        raise Defect(f"--diff: exit status {run.status}; stderr: {run.stderr[-2000:]}")
    if run.errors:
        raise Defect(f"--diff: the engine logged errors: {run.errors[:3]}")
    if "fixes were still changing files" in run.stderr:
        raise Defect(f"--diff --unsafe-fixes: the fix loop did not settle: {run.stderr[-500:]}")
    for unsafe in (False, True):
        what = "--fix --unsafe-fixes" if unsafe else "--fix"
        with engine_errors() as errors:
            result = fix_paths([root], write=False, unsafe=unsafe, cwd=root.parent)
        if errors:
            raise Defect(f"{what}: the engine logged errors: {errors[:3]}")
        if not result.converged:
            raise Defect(f"{what}: the fix loop did not settle")
        for path, (before, after) in result.changed.items():
            if path.suffix != ".py" or not compiles(before):
                continue
            if not compiles(after) or not definitions(before) <= definitions(after):
                raise Defect(f"{what} broke {path.name}:\n--- before\n{before}\n--- after\n{after}")
