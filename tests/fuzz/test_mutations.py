"""Mutated fixture apps: `flash-ls check` never raises, stays under 2 s of CPU time per file,
prints valid output in every format, and prints the same twice (issue 14, item 2).

Each case copies one fixture app, replaces one of its files with a mutation of it (tests/fuzz/
mutate.py: seeded, so the failure message's command line rebuilds the file), and runs the CLI's
`run_check` in this process once per output format, without caches and then with them (the
second run stores and replays results); then `--diff` and the fix loop. The bounded cases below
run in CI; `FLASH_LS_FUZZ=long` adds `test_long_run` (docs/reliability.md, "Engine fuzzing").
"""

from __future__ import annotations

import collections
import json
import resource
import shutil
import sys
import time
from pathlib import Path

import pytest
from fuzz import budget
from fuzz.harness import Defect, TooSlow, run_case
from fuzz.mutate import (
    FIXTURE_APPS,
    MUTATION_NAMES,
    fixture_sources,
    make_case,
    reproduce_command,
)

SOURCES = fixture_sources()
CASES = [
    (category, index) for category in MUTATION_NAMES for index in range(budget.CASES_PER_CATEGORY)
] + [(None, index) for index in range(budget.STACKED_CASES)]


def _app_of(source: Path) -> tuple[Path, str]:
    app = FIXTURE_APPS / source.relative_to(FIXTURE_APPS).parts[0]
    return app, source.relative_to(app).as_posix()


def _resident_mib() -> float:
    """The process's resident memory now (Linux), else its peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _seed(category: str | None, index: int) -> int:
    return 7919 * index + (MUTATION_NAMES.index(category) if category else len(MUTATION_NAMES))


def test_the_cases_cover_every_fixture_app_and_category() -> None:
    apps = {path.name for path in FIXTURE_APPS.iterdir() if path.is_dir()}
    seeded = {_app_of(SOURCES[_seed(c, i) % len(SOURCES)])[0].name for c, i in CASES}
    assert apps and seeded == apps
    assert {c for c, _ in CASES} == {*MUTATION_NAMES, None}


@pytest.mark.parametrize(
    ("category", "index"), CASES, ids=[f"{c or 'stacked'}-{i}" for c, i in CASES]
)
def test_a_mutated_fixture_app_checks_cleanly(
    category: str | None, index: int, tmp_path: Path
) -> None:
    seed = _seed(category, index)
    source = SOURCES[seed % len(SOURCES)]
    app, rel = _app_of(source)
    case = make_case(source, seed, category)
    try:
        run_case(app, rel, case.data, tmp_path)
    except Defect as defect:
        command = reproduce_command(source, seed, category, huge=False)
        pytest.fail(f"{defect}\n{case.describe()}\nreproduce: {command}", pytrace=False)


@pytest.mark.skipif(not budget.LONG, reason="the long mode: FLASH_LS_FUZZ=long")
def test_long_run(tmp_path: Path) -> None:
    """Mutations for ``FLASH_LS_FUZZ_SECONDS``: half of the cases one mutation of a category in
    turn, half a random stack, huge lines up to a megabyte. Every defect is collected (not only
    the first) with the command that rebuilds its file; cases over 2 s of CPU time are listed
    apart (they did everything else right). The figures go to stderr and ``FLASH_LS_FUZZ_REPORT``.
    """
    deadline = time.monotonic() + budget.LONG_SECONDS
    print(
        f"\nfuzz: long run, seed {budget.LONG_SEED}, {budget.LONG_SECONDS:.0f} s", file=sys.stderr
    )
    categories: collections.Counter[str] = collections.Counter()
    defects: dict[str, list[str]] = {}
    too_slow: list[tuple[float, int, str]] = []
    slowest = (0.0, 0, "")
    memory: list[float] = []  # resident MiB every 500 cases: a leak shows as growth
    cases = 0
    started = time.monotonic()
    while time.monotonic() < deadline:
        seed = budget.LONG_SEED + cases
        source = SOURCES[seed % len(SOURCES)]
        app, rel = _app_of(source)
        category = MUTATION_NAMES[(cases // 2) % len(MUTATION_NAMES)] if cases % 2 else None
        case = make_case(source, seed, category, huge=True)
        categories.update(set(case.categories))
        cases += 1
        command = f"{reproduce_command(source, seed, category, huge=True)}  # {case.describe()}"
        try:
            result = run_case(app, rel, case.data, tmp_path)
        except TooSlow as slow:
            too_slow.append((round(slow.cpu, 2), slow.size, command))
            continue
        except Defect as defect:
            key = str(defect).split("\n", 1)[0][:160]
            defects.setdefault(key, []).append(command)
            continue
        finally:
            shutil.rmtree(tmp_path / "app", ignore_errors=True)
        if result.cpu > slowest[0]:
            slowest = (result.cpu, result.size, command)
        if cases % 500 == 0:
            memory.append(_resident_mib())
    too_slow.sort(reverse=True)
    figures = {
        "seed": budget.LONG_SEED,
        "seconds": round(time.monotonic() - started),
        "cases": cases,
        "cases_per_category": dict(sorted(categories.items())),
        "defects": {key: found[:5] for key, found in defects.items()},
        "defect_cases": sum(len(found) for found in defects.values()),
        "over_2s_cases": len(too_slow),
        "over_2s": too_slow[:10],
        "slowest_within_2s": {
            "cpu_seconds": round(slowest[0], 3),
            "bytes": slowest[1],
            "case": slowest[2],
        },
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_mib_every_500_cases": memory,
    }
    text = json.dumps(figures, indent=2)
    print(text, file=sys.stderr)
    if budget.REPORT:
        Path(budget.REPORT).write_text(text + "\n")
    assert not defects and not too_slow, text
