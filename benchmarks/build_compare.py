"""Build time of flash-ls against the official ``flash build --no-deps`` on ``fixtures/apps``.

    python -m benchmarks.build_compare [--runs 5] [--apps hello_world,mixed_workers] [--write]

Three measurements per app, each repeated ``--runs`` times in its own temp copy of the app:

- ``flash build --no-deps``: the official CLI (runpod-flash), one process per build.
- ``flash-ls build --no-deps``: the flash-ls CLI, one process per build (parse cache on disk).
- engine: ``build_app`` in a warm process with a reused workspace, as the language server runs
  ``flash.build``.

Builds run offline: pip only sees a local wheelhouse with stand-ins for the fixtures' dependencies.
flash-ls is byte-compiled first, as an installed copy is (``run.compile_sources``). ``--write``
replaces the results table in ``benchmarks/build.md``. ``python -m benchmarks --only P8`` measures
the same comparison with the package index reachable, summed over the apps, as a target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import replace_results
from tests.build.buildkit import OFFICIAL_ENV, PARITY_APPS

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures" / "apps"
APPS = PARITY_APPS  # the apps the build tests check both tools on
RESULTS = REPO / "benchmarks" / "build.md"


def _wheelhouse(folder: Path) -> Path:
    sys.path.insert(0, str(REPO / "tests" / "build"))
    from wheels import make_wheel

    make_wheel(folder, "diffusers", "0.30.0", requires=("huggingface-hub>=0.20",))
    make_wheel(folder, "huggingface-hub", "0.24.0")
    make_wheel(
        folder, "runpod-flash", "1.21.0", modules={"runpod_flash/__init__.py": "STUB = True\n"}
    )
    return folder


def _timed(action: Callable[[], None], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def _command(cmd: list[str], cwd: Path, env: dict[str, str]) -> Callable[[], None]:
    def run() -> None:
        done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed in {cwd}:\n{done.stdout}{done.stderr}")

    return run


def _engine(root: Path) -> Callable[[], None]:
    from flash_ls.build.api import BuildOptions, build_app
    from flash_ls.progress import SilentProgress
    from flash_ls.project.workspace import Workspace

    workspace = Workspace([root])

    def run() -> None:
        workspace.invalidate_all()  # a build after an edit: the app is rebuilt, parses are cached
        build_app(workspace.app(root), BuildOptions(no_deps=True), SilentProgress())

    return run


# Shared with benchmarks/deploy.py: the timings, the options, the results.


def seconds_summary(times: list[float]) -> str:
    """``min / median / max`` of ``times``, two decimals each."""
    return f"{min(times):.2f} / {statistics.median(times):.2f} / {max(times):.2f}"


def parse_args(
    doc: str, *, runs: int, apps: Sequence[str], results: Path, binaries: Sequence[str]
) -> argparse.Namespace:
    """The options of a comparison with the official CLI (described by the first line of
    ``doc``): ``--runs`` (default ``runs``), ``--apps`` (comma-separated; default ``apps``) and
    ``--write`` (update ``results``).

    Exits unless each of ``binaries`` is installed next to this Python."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--apps", default=",".join(apps))
    parser.add_argument("--write", action="store_true", help=f"update {results.name}")
    args = parser.parse_args()
    for name in binaries:
        binary = Path(sys.executable).with_name(name)
        if not binary.exists():
            raise SystemExit(f"{binary} not found: pip install -e .[test]")
    return args


def write_or_print(table: str, results: Path, *, write: bool) -> None:
    """Put ``table`` in the results section of ``results`` (``--write``), or print it."""
    if write:
        replace_results(results, table)
    else:
        print(table)


def _table(runs: int, rows: list[str]) -> str:
    """The results section: how to read it, then one row an app."""
    return "\n".join(
        [
            f"Seconds, min / median / max of {runs} runs; speedup = official median / "
            "flash-ls CLI median (the target, P8 in RESULTS.md: >= 10x).",
            "",
            "| app | `flash build --no-deps` | `flash-ls build --no-deps` | engine (warm) | speedup |",
            "|---|---|---|---|---|",
            *rows,
        ]
    )


def main() -> int:
    from benchmarks.run import compile_sources, official_cli

    args = parse_args(__doc__, runs=5, apps=APPS, results=RESULTS, binaries=("flash", "flash-ls"))
    compile_sources()
    bin_dir = Path(sys.executable).parent
    flash_ls = bin_dir / "flash-ls"
    # as users install it (runpod 1.x), not beside the test extra's runpod 2.0 pre-release
    workdir = Path(tempfile.gettempdir()) / "flash-ls-bench"
    found = official_cli(workdir, lambda text: print(f"note: {text}", file=sys.stderr))
    official = Path(found[0]) if found else bin_dir / "flash"

    rows = []
    with tempfile.TemporaryDirectory(prefix="flash-build-bench-") as tmp:
        base = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASH_", "RUNPOD_"))}
        env.update(
            OFFICIAL_ENV,
            FLASH_LS_OFFLINE="1",
            PIP_NO_INDEX="1",
            PIP_FIND_LINKS=str(_wheelhouse(base / "wheelhouse")),
            XDG_CACHE_HOME=str(base / "cache"),
        )
        os.environ.update(
            {k: env[k] for k in ("PIP_NO_INDEX", "PIP_FIND_LINKS", "FLASH_LS_OFFLINE")}
        )
        for app_name in args.apps.split(","):
            copies = {}
            for tool in ("official", "flash-ls", "engine"):
                copies[tool] = base / tool / app_name
                shutil.copytree(
                    FIXTURES / app_name, copies[tool], ignore=shutil.ignore_patterns(".flash")
                )
            measured = {
                "official": _timed(
                    _command([str(official), "build", "--no-deps"], copies["official"], env),
                    args.runs,
                ),
                "flash-ls": _timed(
                    _command([str(flash_ls), "build", "--no-deps"], copies["flash-ls"], env),
                    args.runs,
                ),
                "engine": _timed(_engine(copies["engine"]), args.runs),
            }
            speedup = statistics.median(measured["official"]) / statistics.median(
                measured["flash-ls"]
            )
            rows.append(
                f"| {app_name} | {seconds_summary(measured['official'])} | "
                f"{seconds_summary(measured['flash-ls'])} | "
                f"{seconds_summary(measured['engine'])} | {speedup:.1f}x |"
            )
            print(rows[-1], flush=True)

    write_or_print(_table(args.runs, rows), RESULTS, write=args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
