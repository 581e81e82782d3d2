"""The benchmark runner: measures the targets of issues 5 and 13 and writes ``benchmarks/RESULTS.md``.

    python -m benchmarks                      # every target at its own size, 3 repetitions
    python -m benchmarks --only P1,P3 --repeat 5
    python -m benchmarks --size S --repeat 1 --edits 20 --out /tmp/r.md   # a quick smoke run

Every target is a ratio against a floor or a peer measured in the same repetition (absolute
times drift between runs and machines); each figure is reported as min / median / max over the
repetitions, and a target is judged on the median ratio. Targets that cannot be measured yet
(the server or the build command not written) are recorded as such, with the reason.

Default sizes: E1/P1/P2 on workspace M, A1 on a generated one-module app and its migration, P3/P4/P6/P7 on L, P5/P8 on every app in fixtures/apps/
(the official build of a generated app would pip-install its dependencies). ``--size`` puts every workspace target on one size.

The servers run with their shipped default settings (flash-ls's adaptive debounce included); P1
edits the file in flash-ls and in ``ruff server`` (the peer users have open beside it) at the same
moment, as an editor with both does, and compares their latencies edit by edit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.generate import DEFAULT_SEED, SIZES, EditSite, WorkspaceInfo, ensure_workspace
from benchmarks.lsp import ServerUnavailable, Session, rss_kib

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET_IDS = ("E1", "A1", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8")
DEFAULT_SIZES = {"E1": "M", "P1": "M", "P2": "M", "P3": "L", "P4": "L", "P6": "L", "P7": "L"}
NOTES_BEGIN = "<!-- notes:begin (kept by the runner; edit freely) -->"
NOTES_END = "<!-- notes:end -->"
SETTINGS: dict[str, Any] = {}  # the shipped defaults (debounce_ms 100, adaptive)
OFFICIAL_ENV = {"FLASH_NO_UPDATE_CHECK": "1", "CI": "1", "RUNPOD_FLASH_SILENCE_DEPRECATION": "1"}

AST_FLOOR = r"""
import ast, os, sys
count = 0
for directory, _dirs, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith(".py"):
            path = os.path.join(directory, name)
            with open(path, "rb") as handle:
                source = handle.read()
            try:
                ast.parse(source, path)
            except (SyntaxError, ValueError):
                pass
            count += 1
print(count)
"""
BARE_RSS = r"""
import flash_ls
with open("/proc/self/status") as handle:
    print(next(line.split()[1] for line in handle if line.startswith("VmRSS:")))
"""


# -- results -------------------------------------------------------------------------------------


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    values: list[float] = field(default_factory=list)

    def stats(self) -> tuple[float, float, float]:
        return min(self.values), statistics.median(self.values), max(self.values)


@dataclass(frozen=True)
class Target:
    id: str
    what: str
    measured: str  # figure keys
    peer: str
    ratio: str
    op: str  # "<=" or ">="
    bound: float
    text: str


TARGETS = (
    Target(
        "E1",
        "engine-only edit (Workspace.update + check_app), 1,000-line file in {size} (p95)",
        "E1.p95",
        "E1.floor",
        "E1.ratio",
        "<=",
        1.0,
        "p95 <= 1.0x ast.parse",
    ),
    Target(
        "A1",
        "engine-only edit of an app-API module vs its Flash twin (p95)",
        "A1.app",
        "A1.flash",
        "A1.ratio",
        "<=",
        1.0,
        "p95 <= 1.0x the Flash twin",
    ),
    Target(
        "P1",
        "edit -> diagnostics, 1,000-line Flash file in {size}, shipped defaults (p95)",
        "P1.p95",
        "P1.floor",
        "P1.ratio",
        "<=",
        1.5,
        "p95 <= 1.5x ast.parse",
    ),
    Target(
        "P1r",
        "edit -> diagnostics vs `ruff server` on the same file, same edits (p95)",
        "P1.p95",
        "P1.ruff_p95",
        "P1.ratio_ruff",
        "<=",
        1.5,
        "p95 <= 1.5x ruff server",
    ),
    Target(
        "P2",
        "cross-file republish after a rename in {size} (p95)",
        "P2.p95",
        "P1.p95",
        "P2.ratio",
        "<=",
        1.5,
        "<= 1.5x P1 p95",
    ),
    Target(
        "P3",
        "cold `flash-ls check` of {size} (empty cache dir)",
        "P3.cold",
        "P3.floor",
        "P3.ratio_floor",
        "<=",
        0.25,
        "<= 0.25x ast floor",
    ),
    Target(
        "P3r",
        "cold `flash-ls check` of {size} vs ruff",
        "P3.cold",
        "P3.ruff",
        "P3.ratio_ruff",
        "<=",
        2.0,
        "<= 2x ruff E9",
    ),
    Target(
        "P4",
        "warm `flash-ls check` of {size} (disk cache)",
        "P4.warm",
        "P3.cold",
        "P4.ratio",
        "<=",
        0.15,
        "<= 0.15x P3",
    ),
    Target(
        "P5",
        "`flash-ls manifest` vs `flash build --no-deps`",
        "P5.manifest",
        "P5.official",
        "P5.speedup",
        ">=",
        10.0,
        ">= 10x faster",
    ),
    Target(
        "P6",
        "server start on {size} -> first diagnostics",
        "P6.first",
        "P6.floor",
        "P6.ratio",
        "<=",
        1.0,
        "<= 1.0x ast floor",
    ),
    Target(
        "P7",
        "server RSS after indexing {size}, over bare import",
        "P7.rss",
        "P7.bare",
        "P7.delta",
        "<=",
        150.0,
        "<= +150 MB",
    ),
    Target(
        "P8",
        "`flash-ls build --no-deps` vs `flash build --no-deps`",
        "P8.build",
        "P8.official",
        "P8.speedup",
        ">=",
        10.0,
        ">= 10x faster",
    ),
)


@dataclass
class Results:
    figures: dict[str, Figure] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # figure prefix -> reason
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    workspaces: dict[str, WorkspaceInfo] = field(default_factory=dict)
    apps: dict[str, AppRun] = field(default_factory=dict)  # P5, per fixture app
    sizes: dict[str, str] = field(default_factory=dict)  # target -> workspace size used
    load_start: str = ""
    machine: dict[str, str] = field(default_factory=dict)  # taken when the run starts
    phases: list[tuple[float, str]] = field(default_factory=list)  # (seconds from start, phase)

    def add(self, key: str, label: str, unit: str, value: float) -> None:
        figure = self.figures.setdefault(key, Figure(key, label, unit))
        figure.values.append(value)

    def skip(self, prefix: str, reason: str) -> None:
        self.unavailable.setdefault(prefix, reason)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def median(self, key: str) -> float | None:
        figure = self.figures.get(key)
        return statistics.median(figure.values) if figure and figure.values else None


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (q in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


# -- processes -----------------------------------------------------------------------------------


@dataclass
class Timed:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    cpu: float = 0.0  # user + system seconds of the process (and its children)

    def last_error(self) -> str:
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else f"exit code {self.returncode}"


def timed(
    command: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Timed:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        list(command),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=1800,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timed(elapsed, done.returncode, done.stdout, done.stderr, cpu)


def _bin(name: str) -> list[str] | None:
    local = Path(sys.executable).with_name(name)
    if local.exists():
        return [str(local)]
    found = shutil.which(name)
    return [found] if found else None


def flash_ls_command() -> list[str]:
    return _bin("flash-ls") or [sys.executable, "-m", "flash_ls"]


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"flash-ls-bench-{prefix}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def ast_floor(root: Path) -> Timed:
    return timed([sys.executable, "-c", AST_FLOOR, str(root)])


def _rule_crashes(stderr: str) -> int:
    return len(re.findall(r"rule FL\d+ failed", stderr))


# -- P3 / P4: the CLI on workspace L ---------------------------------------------------------------


def measure_check(
    info: WorkspaceInfo, repeat: int, which: set[str], cache: Path, results: Results
) -> None:
    """P3 and P4; ``cache`` is left filled for the warm profile."""
    root = info.root
    check = [*flash_ls_command(), "check", str(root), "--fail-on", "never"]
    ruff = _bin("ruff")
    if ruff is None:
        results.skip("P3.ruff", "ruff is not installed in this environment")
    from flash_ls.parse import is_flash_relevant

    prefiltered = sum(
        1 for path in root.rglob("*.py") if is_flash_relevant(path.read_text(encoding="utf-8"))
    )
    results.note(
        f"{info.size}: {prefiltered} of {info.files} files mention `runpod_flash` (the engine's "
        "text prefilter; files importing an analysed module are fully parsed too)"
    )
    warm_env = environment(FLASH_LS_CACHE_DIR=str(cache))
    for repetition in range(repeat):
        floor = ast_floor(root)
        results.add(
            "P3.floor",
            "ast floor: one process reads + ast.parses every .py",
            "s",
            floor.seconds,
        )
        if ruff is not None:
            peer = timed([*ruff, "check", "--no-cache", "--select", "E9", str(root)])
            results.add("P3.ruff", "ruff check --no-cache --select E9", "s", peer.seconds)
        # cold = an empty FLASH_LS_CACHE_DIR (the first check a user runs; it writes the cache);
        # the first repetition fills ``cache``, which P4 then reuses warm
        with scratch("empty") as empty:
            cold_dir = cache if repetition == 0 else empty
            cold = timed(check, env=environment(FLASH_LS_CACHE_DIR=str(cold_dir)))
        if cold.returncode not in (0, 1):
            results.skip("P3", f"flash-ls check exited {cold.returncode}: {cold.last_error()}")
            return
        found = re.search(r"Found (\d+) problems?", cold.stdout)
        results.note(
            f"P3: `flash-ls check` of {info.size} reports {found.group(1) if found else 'no'} "
            f"findings; {_rule_crashes(cold.stderr)} rule crashes logged on stderr"
        )
        results.add("P3.cold", "flash-ls check, empty FLASH_LS_CACHE_DIR (cold)", "s", cold.seconds)
        results.add("P3.cold_cpu", "cold check: CPU time (user+sys)", "s", cold.cpu)
        results.add("P3.ratio_floor", "P3 cold / ast floor", "x", cold.seconds / floor.seconds)
        if ruff is not None:
            results.add("P3.ratio_ruff", "P3 cold / ruff", "x", cold.seconds / peer.seconds)
        if "P4" not in which:
            continue
        if repetition == 0 and not any(path.is_file() for path in cache.rglob("*")):
            results.note("P4: the cold run wrote nothing to FLASH_LS_CACHE_DIR")
        warm = timed(check, env=warm_env)
        results.add(
            "P4.warm", "flash-ls check, warm disk cache, nothing changed", "s", warm.seconds
        )
        results.add("P4.warm_cpu", "warm check: CPU time (user+sys)", "s", warm.cpu)
        results.add("P4.ratio", "P4 warm / P3 cold", "x", warm.seconds / cold.seconds)


# -- P5: manifest vs the official build ------------------------------------------------------------


def _clean(line: str) -> str:
    """A rich/typer error line without its box drawing."""
    return re.sub(r"[\u2500-\u257f]+", "", line).strip() or line


def _official_error(build: Timed) -> str:
    """The reason ``flash build`` gives after "Failed to load:" (or its last words)."""
    text = build.stdout + "\n" + build.stderr
    if "Failed to load:" in text:
        tail = text.split("Failed to load:", 1)[1]
        return " ".join(tail.split())[:200]
    return _clean(build.last_error())[:200]


def fixture_apps(fixtures: Path) -> list[Path]:
    if not fixtures.is_dir():
        return []
    return sorted(p for p in fixtures.iterdir() if p.is_dir() and any(p.rglob("*.py")))


@dataclass
class AppRun:
    """P5/P8 on one app: times per repetition and what each side did."""

    official: list[float] = field(default_factory=list)
    manifest: list[float] = field(default_factory=list)
    build: list[float] = field(default_factory=list)
    official_error: str = ""
    manifest_error: str = ""
    build_error: str = ""
    installed: bool = False

    @property
    def comparable(self) -> bool:
        """The official build succeeded without a pip download (the precondition of both)."""
        return not (self.official_error or self.installed)


@dataclass
class _Totals:
    """One repetition of P5 or P8: the official and the flash-ls times of the comparable apps."""

    official: float = 0.0
    mine: float = 0.0
    apps: int = 0

    def add(self, official: float, mine: float) -> None:
        self.official += official
        self.mine += mine
        self.apps += 1


def official_cli(workdir: Path, note: Callable[[str], None]) -> list[str] | None:
    """The official ``flash`` as a user installs it: runpod-flash (the version installed here)
    in a virtualenv of its own, with the runpod pip resolves for it. The test extra puts
    runpod 2.0.0rc2 beside runpod-flash in this environment, and with it ``flash build`` imports
    far less than with the runpod 1.x a plain ``pip install runpod-flash`` brings; timing that
    would compare against a setup no user has. Falls back to this environment's ``flash``
    (noted in the results) when the virtualenv cannot be made (offline)."""
    try:
        version = metadata.version("runpod-flash")
    except metadata.PackageNotFoundError:
        return None
    venv = workdir / f"official-runpod-flash-{version}"
    flash = venv / "bin" / "flash"
    if not flash.exists():
        shutil.rmtree(venv, ignore_errors=True)
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        if made.returncode == 0:
            made = subprocess.run(
                [*pip, f"runpod-flash=={version}"], capture_output=True, text=True, timeout=600
            )
        if made.returncode != 0 or not flash.exists():
            note(
                "the official CLI ran in this environment (a virtualenv with runpod-flash "
                f"could not be made: {made.stderr.strip()[-200:]})"
            )
            return _bin("flash")
    runpod = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('runpod'))",
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()
    note(f"the official CLI: runpod-flash {version} with runpod {runpod}, in {venv}")
    return [str(flash)]


def measure_manifest(
    apps: list[Path], repeat: int, which: set[str], results: Results, workdir: Path
) -> None:
    """P5 (``flash-ls manifest``) and P8 (``flash-ls build --no-deps``) against the official
    ``flash build --no-deps``, each app copied afresh for every command and repetition."""
    official = official_cli(workdir, results.note)
    if official is None:
        for target in ("P5", "P8"):
            results.skip(target, "runpod-flash is not installed (pip install runpod-flash==1.21.0)")
        return
    manifest = [*flash_ls_command(), "manifest"]
    build_cmd = [*flash_ls_command(), "build", "--no-deps"]
    for _ in range(repeat):
        results.add(
            "P5.startup",
            "`flash-ls --version` (CLI start-up alone)",
            "s",
            timed([*flash_ls_command(), "--version"]).seconds,
        )
        results.add(
            "P5.python",
            "`python -c pass` (interpreter start-up)",
            "s",
            timed([sys.executable, "-c", "pass"]).seconds,
        )
    ignore = shutil.ignore_patterns(".flash", "__pycache__")
    for repetition in range(repeat):
        totals = {"P5": _Totals(), "P8": _Totals()}
        for app in apps:
            state = results.apps.setdefault(app.name, AppRun())
            with scratch("p5") as tmp:
                copies = {side: tmp / side / app.name for side in ("official", "P5", "P8")}
                for copy in copies.values():
                    shutil.copytree(app, copy, ignore=ignore)
                build = timed(
                    [*official, "build", "--no-deps"],
                    cwd=copies["official"],
                    env=environment(**OFFICIAL_ENV),
                )
                state.official.append(build.seconds)
                if build.returncode != 0:
                    state.official_error = f"exit {build.returncode}: {_official_error(build)}"
                if re.search(r"installed \d+ packages?", build.stdout + build.stderr):
                    state.installed = True
                if "P5" in which:
                    run = timed([*manifest, str(copies["P5"])], cwd=copies["P5"])
                    if run.returncode != 0:
                        state.manifest_error = f"exit {run.returncode}: {_clean(run.last_error())}"
                    state.manifest.append(run.seconds)
                    if state.comparable and not state.manifest_error:
                        totals["P5"].add(build.seconds, run.seconds)
                if "P8" in which:
                    run = timed(build_cmd, cwd=copies["P8"])
                    if run.returncode != 0:
                        state.build_error = f"exit {run.returncode}: {_clean(run.last_error())}"
                    state.build.append(run.seconds)
                    if state.comparable and not state.build_error:
                        totals["P8"].add(build.seconds, run.seconds)
        for target, mine, label in (
            ("P5", "manifest", "flash-ls manifest"),
            ("P8", "build", "flash-ls build --no-deps"),
        ):
            if target not in which:
                continue
            total = totals[target]
            if not total.apps:
                if repetition == 0:
                    results.skip(
                        target,
                        f"no fixture app where both the official build and {label} succeed "
                        "without a pip download",
                    )
                continue
            # one figure per repetition: total over the comparable apps, like building each once
            results.add(
                f"{target}.official",
                "flash build --no-deps, summed over comparable apps",
                "s",
                total.official,
            )
            results.add(
                f"{target}.{mine}", f"{label}, summed over comparable apps", "s", total.mine
            )
            results.add(
                f"{target}.speedup",
                "official / flash-ls (comparable apps)",
                "x",
                total.official / total.mine,
            )


def _p5_rows(results: Results) -> list[list[str]]:
    rows = []

    def median(values: list[float]) -> float | None:
        return statistics.median(values) if values else None

    def cells(theirs: float | None, mine: float | None) -> list[str]:
        if mine is None:
            return ["-", "-"]
        speedup = _fmt(theirs / mine, "x") if theirs is not None and mine else "-"
        return [_fmt(mine, "s"), speedup]

    for name, state in sorted(results.apps.items()):
        official = median(state.official)
        if state.official_error:
            status = f"official build fails ({state.official_error})"
        elif state.installed:
            status = "official build pip-installs dependencies (network): not compared"
        else:
            failed = [
                f"flash-ls {what} fails ({error})"
                for what, error in (
                    ("manifest", state.manifest_error),
                    ("build", state.build_error),
                )
                if error
            ]
            status = "; ".join(failed) or "compared"
        rows.append(
            [
                name,
                _fmt(official, "s") if official is not None else "-",
                *cells(official, median(state.manifest)),
                *cells(official, median(state.build)),
                status,
            ]
        )
    return rows


# -- P1 / P2: edits in the server ------------------------------------------------------------------


def _edited(lines: list[str], site: EditSite, replacement: str) -> tuple[str, int]:
    """The text with ``site`` replaced, and the end column of the replacement."""
    line = lines[site.line]
    lines[site.line] = line[: site.start] + replacement + line[site.end :]
    return "\n".join(lines), site.start + len(replacement)


async def _start_peer(root: Path, results: Results) -> Session | None:
    """``ruff server`` on the same workspace (the peer users run beside flash-ls), or None."""
    ruff = _bin("ruff")
    if ruff is None:
        results.skip("P1.ruff", "ruff is not installed in this environment")
        return None
    peer = Session([*ruff, "server"], root, {})
    try:
        await peer.start()
        await peer.initialize(timeout=60)
    except ServerUnavailable as err:
        results.skip("P1.ruff", f"ruff server: {err}")
        await peer.stop()
        return None
    return peer


async def _edit_session(
    info: WorkspaceInfo,
    command: Sequence[str],
    edits: int,
    which: set[str],
    results: Results,
    resolutions: Path | None = None,
) -> None:
    assert info.edit is not None and info.rename is not None
    with scratch("server-cache") as cache:
        if resolutions is not None and resolutions.is_dir():
            shutil.copytree(resolutions, cache / resolutions.name)
        session = Session(command, info.root, SETTINGS, environment(FLASH_LS_CACHE_DIR=str(cache)))
        peer: Session | None = None
        try:
            await session.start()
            await session.initialize(timeout=120)
            peer = await _start_peer(info.root, results)
            big = info.root / info.big_file
            text = big.read_text(encoding="utf-8")
            lines = text.split("\n")
            uri = session.open(big, text, version=1)
            opened = time.perf_counter()
            peer_uri = peer.open(big, text, version=1) if peer is not None else ""
            first = await session.diagnostics_for(uri, 0, timeout=180, version=1)
            results.add(
                "P1.first",
                "P1 file: didOpen -> first diagnostics (while the workspace indexes)",
                "ms",
                (first.at - opened) * 1000,
            )
            if peer is not None:
                await peer.diagnostics_for(peer_uri, 0, timeout=60, version=1)
            how = await session.wait_indexed(timeout=180)  # measure the steady state, not indexing
            results.note(f"P1: edits start once the workspace is indexed ({how})")
            site = EditSite(**vars(info.edit))
            latencies: list[float] = []
            peer_latencies: list[float] = []
            texts: list[str] = []
            warmup = min(10, max(1, edits // 10))
            versions_seen = False
            for i in range(warmup + edits):
                version = i + 2
                value = str(26 + i)
                text, end = _edited(lines, site, value)
                mark = len(session.published)
                sent = time.perf_counter()
                session.change_line(uri, version, site.line, site.start, site.end, value, text)
                if peer is not None:  # the same keystroke reaches both servers, as in an editor
                    peer_mark = len(peer.published)
                    peer_sent = time.perf_counter()
                    peer.change_line(
                        peer_uri, version, site.line, site.start, site.end, value, text
                    )
                got = await session.diagnostics_for(uri, mark, timeout=15, version=version)
                versions_seen = versions_seen or got.version is not None
                if peer is not None:
                    peer_got = await peer.diagnostics_for(
                        peer_uri, peer_mark, timeout=15, version=version
                    )
                site.end = end
                if i >= warmup:
                    latencies.append(got.at - sent)
                    texts.append(text)
                    if peer is not None:
                        peer_latencies.append(peer_got.at - peer_sent)
            if not versions_seen:
                results.note(
                    "P1: the server publishes diagnostics without a version; the first publication after each edit was taken"
                )
            floors = []
            for edited in texts:
                began = time.perf_counter()
                compile(edited, str(big), "exec", 0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
                floors.append(time.perf_counter() - began)
            p95 = percentile(latencies, 95)
            floor = statistics.median(floors)
            results.add("P1.p50", "P1 edit latency p50", "ms", percentile(latencies, 50) * 1000)
            results.add("P1.p95", "P1 edit latency p95", "ms", p95 * 1000)
            results.add("P1.floor", "ast.parse of the same file (median)", "ms", floor * 1000)
            results.add("P1.ratio", "P1 p95 / ast.parse", "x", p95 / floor)
            if peer_latencies:
                peer_p95 = percentile(peer_latencies, 95)
                results.add(
                    "P1.ruff_p50",
                    "ruff server, same file and edits: latency p50",
                    "ms",
                    percentile(peer_latencies, 50) * 1000,
                )
                results.add(
                    "P1.ruff_p95",
                    "ruff server, same file and edits: latency p95",
                    "ms",
                    peer_p95 * 1000,
                )
                results.add("P1.ratio_ruff", "P1 p95 / ruff server p95", "x", p95 / peer_p95)
            results.note(
                f"P1/P2: server text sync is {session.sync_kind.name}; {edits} measured edits after {warmup} warm-up; "
                "both servers with their default settings"
                + (", ruff server edited alongside" if peer is not None else "")
            )
            if "P2" not in which:
                return
            if peer is not None:
                await peer.stop()
                peer = None
            await _rename_edits(session, info, max(5, edits // 4), p95, results)
        except ServerUnavailable as err:
            results.skip("P1", str(err))
            results.skip("P2", str(err))
        finally:
            if peer is not None:
                await peer.stop()
            await session.stop()


async def _rename_edits(
    session: Session, info: WorkspaceInfo, edits: int, p1_p95: float, results: Results
) -> None:
    assert info.rename is not None
    path_a, path_b = info.root / info.rename.rel, info.root / info.partner
    text_a = path_a.read_text(encoding="utf-8")
    mark = len(session.published)
    uri_a = session.open(path_a, text_a, version=1)
    uri_b = session.open(path_b, path_b.read_text(encoding="utf-8"), version=1)
    await session.diagnostics_for(uri_a, mark, timeout=60)
    await session.diagnostics_for(uri_b, mark, timeout=60)
    lines = text_a.split("\n")
    site = EditSite(**vars(info.rename))
    original = site.text[site.start : site.end]
    latencies: list[float] = []
    toggled = 0
    warmup = 2
    for i in range(warmup + edits):
        value = info.rename_to if i % 2 == 0 else original
        text, end = _edited(lines, site, value)
        mark = len(session.published)
        sent = time.perf_counter()
        session.change_line(uri_a, i + 2, site.line, site.start, site.end, value, text)
        got = await session.diagnostics_for(uri_b, mark, timeout=15)
        site.end = end
        if i >= warmup:
            latencies.append(got.at - sent)
            toggled += ("FL102" in got.codes) == (i % 2 == 0)
    p95 = percentile(latencies, 95)
    results.add("P2.p50", "P2 cross-file latency p50", "ms", percentile(latencies, 50) * 1000)
    results.add("P2.p95", "P2 cross-file latency p95", "ms", p95 * 1000)
    results.add("P2.ratio", "P2 p95 / P1 p95", "x", p95 / p1_p95)
    if toggled != len(latencies):
        results.note(
            f"P2: file B's FL102 followed the rename in {toggled} of {len(latencies)} publications"
        )


def warm_resolutions(info: WorkspaceInfo, folder: Path, results: Results) -> Path:
    """The dependency resolutions of the workspace's apps, made once (``flash-ls check`` with
    ``folder`` as its cache, kept with the workspaces: resolutions are cached for a day) so that
    the edit sessions measure typing, not pip resolving 20 apps in the background."""
    started = time.perf_counter()
    check = [*flash_ls_command(), "check", str(info.root), "--fail-on", "never"]
    done = timed(check, env=environment(FLASH_LS_CACHE_DIR=str(folder)))
    results.note(
        f"P1/P2: each server starts with an empty cache but the workspace's dependency "
        f"resolutions (made beforehand by `flash-ls check`, {time.perf_counter() - started:.0f} s, "
        f"exit {done.returncode}; kept for a day in {folder})"
    )
    return folder / "sizes"


def measure_edits(
    info: WorkspaceInfo,
    command: Sequence[str],
    repeat: int,
    edits: int,
    which: set[str],
    results: Results,
    resolutions: Path | None = None,
) -> None:
    for _ in range(repeat):
        asyncio.run(_edit_session(info, command, edits, which, results, resolutions))
        if "P1" in results.unavailable:
            return


# -- P6 / P7: the server on workspace L ------------------------------------------------------------


async def _start_session(info: WorkspaceInfo, command: Sequence[str], results: Results) -> None:
    with scratch("server-cache") as cache:
        session = Session(command, info.root, SETTINGS, environment(FLASH_LS_CACHE_DIR=str(cache)))
        try:
            await session.start()
            await session.initialize(timeout=300)
            initialized = time.perf_counter()
            path = info.root / info.opened
            uri = session.open(path, path.read_text(encoding="utf-8"))
            got = await session.diagnostics_for(uri, 0, timeout=300, version=1)
            results.add(
                "P6.initialize",
                "spawn -> initialize answered",
                "s",
                initialized - session.spawned_at,
            )
            results.add(
                "P6.first",
                "spawn -> first diagnostics of the opened file",
                "s",
                got.at - session.spawned_at,
            )
            how = await session.wait_indexed(timeout=300)
            results.add(
                "P7.indexed",
                "spawn -> indexing done",
                "s",
                time.perf_counter() - session.spawned_at,
            )
            results.note(f"P7: 'indexing done' = {how}")
            rss = rss_kib(session.pid) / 1024
            results.add("P7.rss", "server VmRSS after indexing", "MB", rss)
            results.add(
                "P7.hwm",
                "server VmHWM (peak) after indexing",
                "MB",
                rss_kib(session.pid, "VmHWM") / 1024,
            )
        except ServerUnavailable as err:
            results.skip("P6", str(err))
            results.skip("P7", str(err))
        finally:
            await session.stop()


def measure_server_start(
    info: WorkspaceInfo, command: Sequence[str], repeat: int, results: Results
) -> None:
    for _ in range(repeat):
        floor = ast_floor(info.root)
        results.add("P6.floor", "ast floor on the same workspace (P3 floor)", "s", floor.seconds)
        bare = timed([sys.executable, "-c", BARE_RSS])
        if bare.returncode == 0:
            results.add(
                "P7.bare", "bare `python -c 'import flash_ls'` VmRSS", "MB", int(bare.stdout) / 1024
            )
        asyncio.run(_start_session(info, command, results))
        if "P6" in results.unavailable:
            return
        first = results.figures["P6.first"].values[-1]
        results.add("P6.ratio", "P6 / ast floor", "x", first / floor.seconds)
        if "P7.bare" in results.figures:
            delta = results.figures["P7.rss"].values[-1] - results.figures["P7.bare"].values[-1]
            results.add("P7.delta", "server RSS - bare import RSS", "MB", delta)


# -- profiles ------------------------------------------------------------------------------------


def _profile(
    kind: str, root: Path, out: Path, *extra: str, env: dict[str, str] | None = None
) -> dict[str, Any] | str:
    """One profile in a fresh interpreter: its JSON summary, or why it failed."""
    command = [sys.executable, "-m", "benchmarks.profiling", kind, str(root), str(out), *extra]
    run = timed(command, cwd=REPO, env=env)
    if run.returncode != 0 or not out.exists():
        return run.last_error()
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def _add_bounds(data: dict[str, Any], size: str, results: Results) -> None:
    """What any design must pay: reading every file; parsing the files that mention the SDK."""
    sdk = f"the {data['sdk_files']} files mentioning runpod_flash ({data['sdk_lines']:,} lines)"
    results.add(
        "B.read_hash",
        f"read + blake2b every .py of {size} ({data['files']} files)",
        "s",
        data["read_hash"],
    )
    results.add("B.libcst_import", "import libcst", "s", data["libcst_import"])
    results.add("B.ast", f"ast.parse of {sdk}", "s", data["ast"])
    results.add("B.libcst", f"libcst.parse_module of {sdk}", "s", data["libcst"])
    results.add(
        "B.positions", f"libcst parse + PositionProvider of {sdk}", "s", data["libcst_positions"]
    )


def measure_profiles(
    check_ws: WorkspaceInfo, edit_ws: WorkspaceInfo, edits: int, cache: Path, results: Results
) -> None:
    """Profiles of a cold check, a warm check (when P4 filled ``cache``) and single edits."""
    assert edit_ws.edit is not None
    with scratch("profile") as tmp:
        env = environment(FLASH_LS_CACHE_DIR=str(tmp / "empty"))
        data = _profile("check", check_ws.root, tmp / "cold.json", env=env)
        if isinstance(data, str):
            results.note(f"profile of the cold check failed: {data}")
        else:
            results.profiles[f"cold `flash-ls check --no-cache` of {check_ws.size}"] = data
        if any(path.is_file() for path in cache.rglob("*")):
            env = environment(FLASH_LS_CACHE_DIR=str(cache))
            data = _profile("warm", check_ws.root, tmp / "warm.json", env=env)
            if isinstance(data, str):
                results.note(f"profile of the warm check failed: {data}")
            else:
                results.profiles[f"warm `flash-ls check` of {check_ws.size}"] = data
        data = _profile("bounds", check_ws.root, tmp / "bounds.json")
        if isinstance(data, str):
            results.note(f"parse-cost bounds failed: {data}")
        else:
            _add_bounds(data, check_ws.size, results)
        site = edit_ws.edit
        count = max(5, min(50, edits // 4))
        where = [site.rel, str(site.line), str(site.start), str(site.end), str(count)]
        data = _profile("edit", edit_ws.root, tmp / "edit.json", *where)
        if isinstance(data, str):
            results.note(f"profile of the engine edit failed: {data}")
            return
        title = f"{count} P1 edits in the engine (Workspace.update + check_app), {edit_ws.size}"
        data.pop("edit_seconds")
        data.pop("ast_seconds")
        results.profiles[title] = data


def measure_engine_edits(info: WorkspaceInfo, repeat: int, edits: int, results: Results) -> None:
    """E1: the P1 edits in the engine alone (``Workspace.update`` + ``check_app``), each
    repetition in a fresh interpreter, against ``ast.parse`` of the same texts."""
    site = info.edit
    assert site is not None
    where = [site.rel, str(site.line), str(site.start), str(site.end), str(edits)]
    with scratch("e1") as tmp:
        for repetition in range(repeat):
            # One cache for the repetitions: the dependency resolution runs once, while warming.
            env = environment(FLASH_LS_CACHE_DIR=str(tmp / "cache"))
            out = tmp / f"e1-{repetition}.json"
            data = _profile("edit-times", info.root, out, *where, env=env)
            if isinstance(data, str):
                results.skip("E1", f"the engine edits failed: {data}")
                return
            times, floors = data["edit_seconds"], data["ast_seconds"]
            p95, floor = percentile(times, 95), statistics.median(floors)
            label = "engine-only edit (update + check_app, no server)"
            results.add("E1.p50", f"{label} p50", "ms", percentile(times, 50) * 1000)
            results.add("E1.p95", f"{label} p95", "ms", p95 * 1000)
            results.add(
                "E1.floor",
                "ast.parse of the same texts, each right after its edit (median)",
                "ms",
                floor * 1000,
            )
            results.add("E1.ratio", "engine-only edit p95 / ast.parse", "x", p95 / floor)


def measure_app_api_edits(seed: int, repeat: int, edits: int, results: Results) -> None:
    """A1: E1's edit on a generated one-module Flash app and on its migration to ``runpod.App``
    (benchmarks/app_api.py), each repetition in fresh interpreters, twin after twin."""
    from benchmarks.app_api import twin_apps

    with scratch("a1") as tmp:
        try:
            twins = twin_apps(tmp, seed)
        except RuntimeError as err:
            results.skip("A1", str(err))
            return
        env = environment(FLASH_LS_CACHE_DIR=str(tmp / "cache"))
        for repetition in range(repeat):
            p95s = {}
            for label, (root, site) in zip(("flash", "app"), twins, strict=True):
                where = [site.rel, str(site.line), str(site.start), str(site.end), str(edits)]
                out = tmp / f"a1-{label}-{repetition}.json"
                data = _profile("edit-times", root, out, *where, env=env)
                if isinstance(data, str):
                    results.skip("A1", f"the engine edits of the {label} twin failed: {data}")
                    return
                p95s[label] = percentile(data["edit_seconds"], 95)
            what = "engine-only edit p95 of the"
            results.add("A1.flash", f"{what} Flash twin", "ms", p95s["flash"] * 1000)
            results.add("A1.app", f"{what} app-API twin", "ms", p95s["app"] * 1000)
            results.add(
                "A1.ratio", "app-API twin p95 / Flash twin p95", "x", p95s["app"] / p95s["flash"]
            )


# -- report --------------------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def source_mtimes() -> dict[str, float]:
    """Modification times of the flash-ls sources (other sessions may edit them mid-run)."""
    found: dict[str, float] = {}
    for folder in ("flash_ls", "cli"):
        for path in (REPO / folder).rglob("*.py"):
            try:
                found[path.relative_to(REPO).as_posix()] = path.stat().st_mtime
            except OSError:
                continue
    return found


def machine() -> dict[str, str]:
    cpu = "unknown"
    memory = "unknown"
    with contextlib.suppress(OSError):  # not Linux: the machine line says "unknown"
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo)
        cpu = found.group(1).strip() if found else cpu
        meminfo = Path("/proc/meminfo").read_text()
        kib = re.search(r"MemTotal:\s*(\d+)", meminfo)
        memory = f"{int(kib.group(1)) / 1024 / 1024:.1f} GiB" if kib else memory
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    packages = ", ".join(
        f"{name} {_version(name)}"
        for name in (
            "flash-ls",
            "libcst",
            "pygls",
            "lsprotocol",
            "ruff",
            "runpod-flash",
            "pyinstrument",
        )
    )
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": f"{cpu}, {os.cpu_count()} cores ({usable} usable)",
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": packages,
        "commit": commit or "unknown",
    }


def _fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def verdicts(results: Results, which: set[str]) -> list[list[str]]:
    rows = []
    for target in TARGETS:
        base = target.id.rstrip("r")
        if base not in which:
            continue
        what = target.what.format(size=results.sizes.get(base, "?"))
        reason = next(
            (why for key, why in results.unavailable.items() if key.split(".")[0] == base), None
        )
        measured = results.figures.get(target.measured)
        peer = results.figures.get(target.peer)
        ratio = results.figures.get(target.ratio)
        if ratio is None or measured is None or not ratio.values:
            if reason is None and target.peer in results.unavailable:
                reason = results.unavailable[target.peer]
            why = reason or "not measured"
            rows.append([target.id, what, "-", "-", "-", target.text, f"not measurable yet: {why}"])
            continue
        value = statistics.median(ratio.values)
        met = value <= target.bound if target.op == "<=" else value >= target.bound
        rows.append(
            [
                target.id,
                what,
                _fmt(statistics.median(measured.values), measured.unit),
                _fmt(statistics.median(peer.values), peer.unit) if peer else "-",
                _fmt(value, ratio.unit),
                target.text,
                "met" if met else "MISSED",
            ]
        )
    return rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def esc(cell: str) -> str:
        return str(cell).replace("|", "\\|")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


VERDICT_HEADER = [
    "id",
    "what",
    "measured (median)",
    "floor / peer (median)",
    "ratio (median)",
    "target",
    "status",
]
FIGURE_HEADER = ["figure", "n", "min", "median", "max"]
P5_HEADER = [
    "app",
    "flash build --no-deps",
    "flash-ls manifest",
    "speedup (P5)",
    "flash-ls build --no-deps",
    "speedup (P8)",
    "status",
]


def figure_rows(results: Results) -> list[list[str]]:
    rows = []
    for key in sorted(results.figures, key=_figure_order):
        figure = results.figures[key]
        low, mid, high = figure.stats()
        rows.append(
            [
                f"{key}: {figure.label}",
                str(len(figure.values)),
                _fmt(low, figure.unit),
                _fmt(mid, figure.unit),
                _fmt(high, figure.unit),
            ]
        )
    return rows


def _figure_order(key: str) -> tuple[str, str]:
    head, _, rest = key.partition(".")
    return head, rest


def _profile_md(title: str, data: dict[str, Any]) -> str:
    total = data.get("total", 0.0) or 1e-9
    lines = [f"### {title}", "", f"{data.get('profiler', '?')}, {total:.2f} s sampled in all.", ""]
    rows = [
        [r["function"], r["where"], f"{r['self']:.2f} s", f"{100 * r['self'] / total:.1f}%"]
        for r in data["self"][:15]
    ]
    lines += ["Most self time:", "", _md_table(["function", "where", "self", "share"], rows), ""]
    rows = [
        [
            r["function"],
            r["where"],
            f"{r['cumulative']:.2f} s",
            f"{100 * r['cumulative'] / total:.1f}%",
        ]
        for r in data["cumulative"][:22]
    ]
    lines += [
        "Cumulative (flash-ls code, imports, libcst entry points):",
        "",
        _md_table(["function", "where", "cumulative", "share"], rows),
        "",
    ]
    return "\n".join(lines)


def render_markdown(
    results: Results, which: set[str], args: argparse.Namespace, notes: str, elapsed: float
) -> str:
    info = results.machine or machine()
    phases = ", ".join(f"{name} at {seconds:.0f} s" for seconds, name in results.phases)
    out = [
        "# flash-ls benchmark results",
        "",
        "Written by `python -m benchmarks` (benchmarks/run.py); everything above the notes marker is "
        "regenerated on every run. Ratios are taken per repetition against a floor or peer measured "
        "in the same repetition; a target is judged on the median ratio.",
        "",
        "## Run",
        "",
        f"- started: {info['date']}; the run took {elapsed:.0f} s ({phases})",
        f"- load average (1/5/15 min) at start: {results.load_start}; at end: {loadavg()} "
        "(other work on the machine skews absolute times; ratios less so)",
        f"- machine: {info['cpu']}; {info['memory']} memory; {info['os']}",
        f"- Python: {info['python']}; {info['packages']}",
        f"- flash-ls commit: {info['commit']}",
        f"- command: `{' '.join(['python -m benchmarks', *args.argv])}`",
        f"- repetitions: {args.repeat}; P1 edits per repetition: {args.edits}; seed {args.seed}",
    ]
    for size, ws in sorted(results.workspaces.items()):
        out.append(
            f"- workspace {size}: {ws.files} .py files, {ws.lines:,} lines, {ws.flash_files} Flash "
            f"files, {len(ws.apps)} apps (P1 file: {ws.big_file}, {ws.big_file_lines} lines)"
        )
    out += ["", "## Targets", "", _md_table(VERDICT_HEADER, verdicts(results, which)), ""]
    out += ["## Figures (min / median / max over the repetitions)", ""]
    out += [_md_table(FIGURE_HEADER, figure_rows(results)), ""]
    if results.apps:
        out += [
            "P5/P8 per fixture app (medians):",
            "",
            _md_table(P5_HEADER, _p5_rows(results)),
            "",
        ]
    if results.notes:
        out += ["Observations from this run:", ""] + [f"- {n}" for n in results.notes] + [""]
    if results.profiles:
        out += ["## Profile (generated)", ""]
        for title, data in results.profiles.items():
            out += [_profile_md(title, data), ""]
    out += [NOTES_BEGIN, notes.strip("\n"), NOTES_END, ""]
    return "\n".join(out)


def kept_notes(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return "\n## Analysis\n\n(no notes yet)\n"
    if NOTES_BEGIN in text and NOTES_END in text:
        return text.split(NOTES_BEGIN, 1)[1].split(NOTES_END, 1)[0]
    return "\n## Analysis\n\n(no notes yet)\n"


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        help="run every workspace target on this size (default: M for P1/P2, L for P3/P4/P6/P7)",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="repetitions of every measurement (default 3)"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated targets, e.g. P1,P3 (add 'profile' for the profiles)",
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the profiles of a full run")
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "RESULTS.md",
        help="where to write the results (default benchmarks/RESULTS.md)",
    )
    parser.add_argument(
        "--edits",
        type=int,
        default=200,
        help="measured edits per P1 repetition (default 200; P2 uses a quarter)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "flash-ls-bench",
        help="where generated workspaces are kept between runs",
    )
    parser.add_argument(
        "--server",
        default=f"{shlex.quote(sys.executable)} -m flash_ls serve",
        help="the command that starts the language server on stdio",
    )
    parser.add_argument(
        "--fixtures",
        type=Path,
        default=REPO / "fixtures" / "apps",
        help="apps for P5 and P8 (each subdirectory)",
    )
    args = parser.parse_args(argv)
    args.argv = argv
    if args.repeat < 1 or args.edits < 1:
        parser.error("--repeat and --edits must be at least 1")
    return args


def selected(args: argparse.Namespace) -> tuple[set[str], bool]:
    if not args.only:
        return set(TARGET_IDS), not args.no_profile
    chosen = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    profile = "PROFILE" in chosen
    chosen.discard("PROFILE")
    unknown = chosen - set(TARGET_IDS)
    if unknown:
        raise SystemExit(f"unknown targets: {', '.join(sorted(unknown))}")
    if "P2" in chosen:
        chosen.add("P1")  # P2 is a ratio against P1 measured in the same session
    return chosen, profile


def compile_sources() -> None:
    """Byte-compile flash-ls as an installer would. An editable checkout run with
    PYTHONDONTWRITEBYTECODE set (as on some machines) would otherwise compile every flash-ls module
    again in every timed process, which no installed copy does."""
    import compileall

    import flash_ls
    import flash_ls_cli

    for package in (flash_ls, flash_ls_cli):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    which, profile = selected(args)
    compile_sources()
    started = time.perf_counter()
    results = Results(load_start=loadavg(), machine=machine())
    sources_at_start = source_mtimes()
    server = shlex.split(args.server)

    def log(message: str) -> None:
        elapsed = time.perf_counter() - started
        print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)
        if not message.startswith("workspace "):
            results.phases.append((elapsed, message.split(":")[0]))

    def workspace(target: str) -> WorkspaceInfo:
        size = args.size or DEFAULT_SIZES[target]
        for other, default in DEFAULT_SIZES.items():
            if default == DEFAULT_SIZES[target]:
                results.sizes[other] = size
        if size not in results.workspaces:
            log(f"workspace {size}")
            results.workspaces[size] = ensure_workspace(size, args.workdir, args.seed)
        return results.workspaces[size]

    with scratch("warm-cache") as warm_cache:
        if "P3" in which or "P4" in which:
            log("P3/P4: flash-ls check vs ast floor and ruff")
            measure_check(workspace("P3"), args.repeat, which, warm_cache, results)
        if "E1" in which:
            log("E1: edits in the engine")
            measure_engine_edits(workspace("E1"), args.repeat, args.edits, results)
        if "A1" in which:
            log("A1: edits of an app-API module and its Flash twin")
            measure_app_api_edits(args.seed, args.repeat, args.edits, results)
        if "P1" in which:
            log("P1/P2: edits in the server")
            info = workspace("P1")
            resolutions = warm_resolutions(info, args.workdir / f"resolutions-{info.size}", results)
            measure_edits(info, server, args.repeat, args.edits, which, results, resolutions)
        if "P6" in which or "P7" in which:
            log("P6/P7: server start and memory")
            measure_server_start(workspace("P6"), server, args.repeat, results)
        if "P5" in which or "P8" in which:
            log("P5/P8: flash-ls manifest and build vs flash build --no-deps")
            apps = fixture_apps(args.fixtures)
            if apps:
                measure_manifest(apps, args.repeat, which, results, args.workdir)
            else:
                for target in ("P5", "P8"):
                    results.skip(target, f"no fixture apps in {args.fixtures}")
        if profile:
            log("profiles")
            measure_profiles(workspace("P3"), workspace("P1"), args.edits, warm_cache, results)
    elapsed = time.perf_counter() - started
    changed = sorted(
        path for path, mtime in source_mtimes().items() if sources_at_start.get(path) != mtime
    )
    if changed:
        results.note(
            "flash-ls sources changed while this run was going (figures taken after the change "
            f"used the newer code; see the phase times above): {', '.join(changed[:8])}"
            + (f" and {len(changed) - 8} more" if len(changed) > 8 else "")
        )
    rows = verdicts(results, which)
    print(_table(VERDICT_HEADER, rows))
    print()
    print(_table(FIGURE_HEADER, figure_rows(results)))
    if results.apps:
        print()
        print(_table(P5_HEADER, _p5_rows(results)))
    for note in results.notes:
        print(f"- {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    notes = kept_notes(args.out)
    args.out.write_text(render_markdown(results, which, args, notes, elapsed), encoding="utf-8")
    log(f"wrote {args.out}")
    return 0
