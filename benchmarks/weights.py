"""Model weights in the app cost nothing: server memory and time to first diagnostics.

    python -m benchmarks.weights [--runs 3] [--write]

One app (a GPU queue endpoint) with no weights, 1 GB and 4 GB of sparse ``model.safetensors``
beside it. For each, a fresh ``flash-ls serve`` opens ``worker.py``; measured: time from didOpen to
the first diagnostics of the weights file (FL403, placed at 0:0) or of worker.py when there are
none, and the server's peak RSS (VmHWM) at that point. Also the CLI: ``flash-ls check --no-cache``
wall time. Targets (issue 10): within +20 MB of the app without weights, time
unchanged. ``--write`` replaces the results table in ``benchmarks/weights.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import replace_results
from benchmarks.lsp import Session, rss_kib, uri_of
from benchmarks.run import SETTINGS, environment, flash_ls_command, scratch

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "weights.md"
GB = 1024**3
WORKER = (
    "from runpod_flash import Endpoint, GpuGroup\n\n"
    '@Endpoint(name="embedder", gpu=GpuGroup.AMPERE_24)\n'
    "async def embed(text: str) -> list:\n    return [len(text)]\n"
)


def _app(root: Path, weights_gb: int) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text('[project]\nname = "weights"\n')
    (root / "worker.py").write_text(WORKER)
    if weights_gb:
        with (root / "model.safetensors").open("wb") as handle:
            handle.truncate(weights_gb * GB)
    return root


async def _server(root: Path, cache: Path) -> tuple[float, int]:
    session = Session(
        [*flash_ls_command(), "serve"], root, SETTINGS, environment(FLASH_LS_CACHE_DIR=str(cache))
    )
    await session.start()
    try:
        await session.initialize(timeout=120)
        weights = root / "model.safetensors"
        target = weights if weights.exists() else root / "worker.py"
        opened = time.perf_counter()
        session.open(root / "worker.py", WORKER)
        first = await session.diagnostics_for(uri_of(target), 0, timeout=120)
        return first.at - opened, rss_kib(session.pid, "VmHWM")
    finally:
        await session.stop()


def _cli(root: Path, cache: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [*flash_ls_command(), "check", "--no-cache", str(root)],
        capture_output=True,
        env=environment(FLASH_LS_CACHE_DIR=str(cache)),
        timeout=300,
        check=False,
    )
    return time.perf_counter() - started


def measure(weights_gb: int, runs: int) -> dict[str, float]:
    first, server_rss, cli_s = [], [], []
    for _ in range(runs):
        with scratch("weights") as tmp:
            root = _app(tmp / "app", weights_gb)
            seconds, rss = asyncio.run(_server(root, tmp / "cache"))
            first.append(seconds * 1000)
            server_rss.append(rss / 1024)
            cli_s.append(_cli(root, tmp / "cache"))
    return {
        "first_ms": statistics.median(first),
        "server_mb": statistics.median(server_rss),
        "cli_s": statistics.median(cli_s),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    rows = {gb: measure(gb, args.runs) for gb in (0, 1, 4)}
    base = rows[0]
    lines = [
        f"Median of {args.runs} runs.",
        "",
        "| weights | first diagnostics | server peak RSS | over no weights "
        "| `flash-ls check --no-cache` |",
        "|---|---|---|---|---|",
    ]
    for gb, row in rows.items():
        extra = row["server_mb"] - base["server_mb"]
        lines.append(
            f"| {gb} GB | {row['first_ms']:.0f} ms | {row['server_mb']:.0f} MB "
            f"| {extra:+.1f} MB | {row['cli_s']:.2f} s |"
        )
    text = "\n".join(lines)
    print(text)
    if args.write:
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        replace_results(RESULTS, f"Run {stamp}, {sys.platform}.\n\n{text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
