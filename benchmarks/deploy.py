"""Deploy calls and wall time of flash-ls against the official ``flash deploy``, on the emulator.

    python -m benchmarks.deploy [--runs 3] [--apps mixed_workers,network_volume] [--write]

For each app, each tool and each run: a fresh Runpod API emulator (``tests/runpod_api``) and a
fresh copy of the app, then two commands, each timed as a whole process:

- first deploy: ``deploy --env staging --no-deps`` to an empty account;
- unchanged redeploy: the same command again, nothing edited.

Calls come from the emulator's call log, by kind: GraphQL queries, GraphQL mutations, the
artifact PUT, REST (network volumes) and data-plane health checks; "saved" is the number of
``saveEndpoint`` calls. Both CLIs run as the deploy tests run them (``tests/deploy``): a
throwaway HOME, pip limited to a local wheelhouse, and the network guard that refuses every
non-local connection. Counts and seconds are medians of ``--runs`` runs (seconds also min/max).
``--write`` replaces the results table in ``benchmarks/deploy.md``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks.build_compare import parse_args, seconds_summary, write_or_print

REPO = Path(__file__).resolve().parents[1]
APPS = ("mixed_workers", "network_volume")
RESULTS = REPO / "benchmarks" / "deploy.md"
ARGS = ("deploy", "--env", "staging", "--no-deps")
TOOLS = ("official", "flash-ls")
FLOWS = ("first deploy", "unchanged redeploy")
KINDS = ("queries", "mutations", "PUT", "REST", "health", "other")
TIME_TARGET = 0.3  # flash-ls's deploy wall time <= 0.3x the official CLI's


class _TestSupport(NamedTuple):
    emulator: Any  # RunpodEmulator
    flash_ls_runner: Any
    official_cli: Any
    make_wheel: Any
    mutations: frozenset[str]  # the deploy tests' mutation names


def _import_test_support() -> _TestSupport:
    """The emulator, both CLI runners, the wheel maker and the mutation names of the deploy
    tests (test support, not shipped)."""
    for folder in (REPO, REPO / "tests" / "deploy", REPO / "tests" / "build"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    from deploy_runner import MUTATIONS, flash_ls_runner
    from official_cli import official_cli
    from wheels import make_wheel

    from tests.runpod_api import RunpodEmulator

    return _TestSupport(RunpodEmulator, flash_ls_runner, official_cli, make_wheel, MUTATIONS)


def classify(call: Any) -> str:
    """The kind of one emulator call: queries, mutations, PUT, REST, health or other."""
    if call.kind == "graphql":
        mutations = _import_test_support().mutations
        return "mutations" if call.operation in mutations else "queries"
    if call.kind == "storage" and call.method == "PUT":
        return "PUT"
    if call.kind == "rest":
        return "REST"
    if call.kind == "data-plane" and str(call.path).endswith("/health"):
        return "health"
    return "other"


@dataclass
class Measure:
    """One command: its calls by kind, the endpoints it saved, its wall time."""

    counts: dict[str, int]
    saved: int
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _measure(calls: Sequence[Any], seconds: float) -> Measure:
    counts = dict.fromkeys(KINDS, 0)
    for call in calls:
        counts[classify(call)] += 1
    saved = sum(1 for c in calls if c.operation == "saveEndpoint")
    return Measure(counts, saved, seconds)


def _run_once(tool: str, app: str, base: Path, wheelhouse: Path) -> dict[str, Measure]:
    """A first deploy and an unchanged redeploy of ``app`` by ``tool`` on a fresh emulator."""
    support = _import_test_support()
    measures: dict[str, Measure] = {}
    with support.emulator() as api:
        if tool == "official":
            cli = support.official_cli(api, app, base, wheelhouse)
        else:
            cli = support.flash_ls_runner(api, app, base, wheelhouse)
        for flow in FLOWS:
            before = len(api.calls)
            started = time.perf_counter()
            run = cli.run(*ARGS)
            seconds = time.perf_counter() - started
            if run.returncode != 0:
                output = getattr(run, "output", "")
                raise SystemExit(f"{tool} {' '.join(ARGS)} failed on {app} ({flow}):\n{output}")
            if cli.network_attempts():
                raise SystemExit(f"{tool} reached beyond the emulator: {cli.network_attempts()}")
            measures[flow] = _measure(api.calls[before:], seconds)
    return measures


def _median_int(values: list[int]) -> int:
    return int(statistics.median_low(values))


def _table(runs: int, rows: list[str], verdicts: list[str]) -> str:
    """The results section: the calls and seconds of each app, flow and tool, then the verdicts
    against the targets."""
    return "\n".join(
        [
            f"Calls: medians of {runs} runs, from the emulator's call log. Seconds: whole "
            f"process, min / median / max of {runs} runs.",
            "",
            "| app | flow | tool | calls | queries | mutations | PUT | REST | health | other "
            "| endpoints saved | seconds |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Targets: total calls of flash-ls <= the official CLI's; wall time <= {TIME_TARGET}x "
            "the official CLI's (median / median).",
            "",
            "| app | flow | calls (flash-ls vs official) | wall time (flash-ls / official) |",
            "|---|---|---|---|",
            *verdicts,
        ]
    )


def main() -> int:
    args = parse_args(__doc__, runs=3, apps=APPS, results=RESULTS, binaries=("flash",))
    make_wheel = _import_test_support().make_wheel

    rows: list[str] = []
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="flash-deploy-bench-") as tmp:
        base = Path(tmp)
        wheelhouse = base / "wheelhouse"
        make_wheel(wheelhouse, "diffusers", "0.30.0")
        for app in args.apps.split(","):
            runs: dict[str, list[dict[str, Measure]]] = {tool: [] for tool in TOOLS}
            for number in range(args.runs):
                for tool in TOOLS:  # interleaved, so a load spike hits both tools alike
                    workdir = base / f"{app}-{tool}-{number}"
                    runs[tool].append(_run_once(tool, app, workdir, wheelhouse))
            medians: dict[tuple[str, str], tuple[int, float]] = {}
            for flow in FLOWS:
                for tool in TOOLS:
                    measures = [run[flow] for run in runs[tool]]
                    counts = {k: _median_int([m.counts[k] for m in measures]) for k in KINDS}
                    total = _median_int([m.total for m in measures])
                    saved = _median_int([m.saved for m in measures])
                    times = [m.seconds for m in measures]
                    medians[flow, tool] = (total, statistics.median(times))
                    rows.append(
                        f"| {app} | {flow} | {tool} | {total} | "
                        + " | ".join(str(counts[k]) for k in KINDS)
                        + f" | {saved} | {seconds_summary(times)} |"
                    )
                    print(rows[-1], flush=True)
                ours, theirs = medians[flow, "flash-ls"], medians[flow, "official"]
                ratio = ours[1] / theirs[1]
                verdicts.append(
                    f"| {app} | {flow} | {ours[0]} vs {theirs[0]}: "
                    f"{'met' if ours[0] <= theirs[0] else 'missed'} | "
                    f"{ratio:.2f}x: {'met' if ratio <= TIME_TARGET else 'missed'} |"
                )

    write_or_print(_table(args.runs, rows, verdicts), RESULTS, write=args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
