"""Size estimate vs the official build's real archive, and time to the size finding.

    python -m benchmarks.sizes [--apps small,medium,large] [--official] [--write]

Three apps with real dependencies, resolved against the package index this machine's pip uses
(network needed):

- small: a CPU queue endpoint with requests and pydantic;
- medium: a CPU queue endpoint with pandas, numpy, scipy and matplotlib;
- large: a GPU queue endpoint with sentence-transformers (the official build fails on it: torch's
  nvidia-* CUDA wheels are shipped, only the torch family itself is stripped).

For each app, ``flash-ls check`` runs twice with one fresh cache directory: cold (pip resolves,
wheel sizes are fetched) and cached; both are timed to their output, and the estimate is read from
the second run's ``--verbose`` breakdown. With ``--official`` the official ``flash build`` runs
too (minutes for the large app: it installs 5 GB), timed, and its archive size taken from the
file, or from its "Archive exceeds RunPod limit (X MB ...)" message when it refuses the archive.
``--write`` replaces the results table in ``benchmarks/sizes.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import replace_results

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "sizes.md"
MB = 1024 * 1024

APPS = {
    "small": (
        'cpu="cpu3c-1-2", dependencies=["requests", "pydantic"]',
        "def fetch(url: str) -> dict:\n    import requests\n    return {'ok': bool(requests)}\n",
    ),
    "medium": (
        'cpu="cpu3g-2-8", dependencies=["pandas", "numpy", "scipy>=1.11.0", "matplotlib"]',
        "def stats(values: list) -> dict:\n    import pandas as pd\n"
        "    return {'mean': float(pd.Series(values).mean())}\n",
    ),
    "large": (
        'gpu=GpuGroup.AMPERE_24, dependencies=["sentence-transformers"]',
        "async def embed(text: str) -> list:\n"
        "    from sentence_transformers import SentenceTransformer\n"
        "    return SentenceTransformer('all-MiniLM-L6-v2').encode(text).tolist()\n",
    ),
}
ESTIMATE = re.compile(r"Estimated artifact: (?:about|at least) ([\d.]+) (KB|MB|GB)")
REFUSED = re.compile(r"Archive exceeds RunPod limit \(([\d.]+) MB")
UNITS = {"KB": 1024, "MB": MB, "GB": 1024 * MB}


@dataclass
class Row:
    app: str
    estimate_mb: float | None
    cold_s: float
    cached_s: float
    finding: str
    official_mb: float | None = None
    official_s: float | None = None
    official_note: str = ""


def _write_app(root: Path, name: str) -> Path:
    hardware, body = APPS[name]
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n')
    (root / "worker.py").write_text(
        "from runpod_flash import Endpoint, GpuGroup\n\n"
        f'@Endpoint(name="{name}", {hardware})\n{body}'
    )
    return root


def _flash_ls(app: Path, cache: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "FLASH_LS_CACHE_DIR": str(cache)}
    env.pop("FLASH_LS_OFFLINE", None)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flash_ls", "check", *args, str(app)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    return time.perf_counter() - started, done


def _official(app: Path) -> tuple[float, float | None, str]:
    env = {
        **os.environ,
        "FLASH_NO_UPDATE_CHECK": "1",
        "CI": "1",
        "RUNPOD_FLASH_SILENCE_DEPRECATION": "1",
    }
    flash = Path(sys.executable).with_name("flash")
    started = time.perf_counter()
    done = subprocess.run(
        [str(flash), "build"], cwd=app, capture_output=True, text=True, env=env, timeout=1800
    )
    seconds = time.perf_counter() - started
    archive = app / ".flash" / "artifact.tar.gz"
    if done.returncode == 0 and archive.exists():
        return seconds, archive.stat().st_size / MB, "built"
    refused = REFUSED.search(done.stdout + done.stderr)
    if refused:
        return seconds, float(refused.group(1)), "refused: above the limit"
    return seconds, None, f"failed (exit {done.returncode})"


def measure(name: str, official: bool) -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        app = _write_app(Path(tmp) / name, name)
        cache = Path(tmp) / "cache"
        cold, _ = _flash_ls(app, cache, "--output-format", "json")
        cached, done = _flash_ls(app, cache, "--verbose")
        found = ESTIMATE.search(done.stdout + done.stderr)
        estimate = float(found.group(1)) * UNITS[found.group(2)] / MB if found else None
        codes = sorted(set(re.findall(r"FL40[12]", done.stdout)))
        row = Row(name, estimate, cold, cached, ", ".join(codes) or "none")
        if official:
            row.official_s, row.official_mb, row.official_note = _official(app)
        return row


def table(rows: list[Row]) -> str:
    lines = [
        "| app | estimate | official archive | estimate / official | size finding "
        "| flash-ls cold | flash-ls cached | official build |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        estimate = f"{row.estimate_mb:.1f} MB" if row.estimate_mb is not None else "?"
        official = f"{row.official_mb:.1f} MB" if row.official_mb is not None else "not run"
        ratio = (
            f"{row.estimate_mb / row.official_mb:.3f}"
            if row.estimate_mb is not None and row.official_mb
            else "-"
        )
        build = f"{row.official_s:.1f} s, {row.official_note}" if row.official_s else "not run"
        lines.append(
            f"| {row.app} | {estimate} | {official} | {ratio} | {row.finding} "
            f"| {row.cold_s:.1f} s | {row.cached_s:.2f} s | {build} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", default=",".join(APPS))
    parser.add_argument("--official", action="store_true", help="run the official flash build")
    parser.add_argument("--write", action="store_true", help="update benchmarks/sizes.md")
    args = parser.parse_args(argv)
    rows = [measure(name, args.official) for name in args.apps.split(",")]
    text = table(rows)
    print(text)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        replace_results(RESULTS, f"Run {stamp}.\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
