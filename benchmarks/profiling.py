"""Profiles for RESULTS.md: cold and warm ``flash-ls check`` and single edits in the engine
(``edit-times``: the same edits timed without a profile, for E1).

Each profile runs in a fresh interpreter (``python -m benchmarks.profiling KIND ROOT OUT``) so
import time is included and nothing leaks between runs. pyinstrument (sampling, low overhead) is
used when installed, cProfile otherwise; either way the output is a JSON summary: total seconds,
the functions with the most self time, and the cumulative time of the flash-ls functions (plus
imports and libcst's parser entry points).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

INTERESTING = {
    "_find_and_load",  # imports
    "parse_module",  # libcst
    "parse_statement",
    "visit",
    "load",  # pickle
    "dump",
    "scandir",
    "read_bytes",
}


def _short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _ours(path: str) -> bool:
    return path.startswith(("flash_ls/", "cli/"))


def _summarise(
    rows: list[tuple[str, str, int, float, float]], total: float, top: int
) -> dict[str, Any]:
    """rows: (function, short path, line, self seconds, cumulative seconds) per function."""
    by_self = sorted(rows, key=lambda r: -r[3])[:top]
    cumulative = [r for r in rows if _ours(r[1]) or r[0] in INTERESTING]
    by_cum = sorted(cumulative, key=lambda r: -r[4])[: top + 10]

    def row(r: tuple[str, str, int, float, float]) -> dict[str, Any]:
        return {"function": r[0], "where": f"{r[1]}:{r[2]}", "self": r[3], "cumulative": r[4]}

    return {
        "total": total,
        "self": [row(r) for r in by_self],
        "cumulative": [row(r) for r in by_cum],
    }


def _run_pyinstrument(work: Callable[[], None], top: int) -> dict[str, Any]:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    work()
    session = profiler.stop()
    root = session.root_frame()
    if root is None:
        return _summarise([], 0.0, top)
    self_time: dict[tuple[str, str, int], float] = {}
    cumulative: dict[tuple[str, str, int], float] = {}
    # iterative walk; 'active' counts keys on the current path so recursion is counted once
    active: dict[tuple[str, str, int], int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        frame, leaving = stack.pop()
        key = (frame.function, _short(frame.file_path), frame.line_no or 0)
        if leaving:
            active[key] -= 1
            continue
        if frame.is_synthetic:
            continue
        real = [c for c in frame.children if not c.is_synthetic]
        self_time[key] = self_time.get(key, 0.0) + frame.time - sum(c.time for c in real)
        if not active.get(key):
            cumulative[key] = cumulative.get(key, 0.0) + frame.time
        active[key] = active.get(key, 0) + 1
        stack.append((frame, True))
        stack.extend((c, False) for c in real)
    rows = [(k[0], k[1], k[2], self_time.get(k, 0.0), v) for k, v in cumulative.items()]
    summary = _summarise(rows, root.time, top)
    summary["profiler"] = "pyinstrument"
    return summary


def _run_cprofile(work: Callable[[], None], top: int) -> dict[str, Any]:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(work)
    total = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    rows = [
        (func[2], _short(func[0]), func[1], tt, ct)
        for func, (_cc, _nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
    ]
    summary = _summarise(rows, total, top)
    summary["profiler"] = "cProfile"
    return summary


def profile(work: Callable[[], None], top: int = 20) -> dict[str, Any]:
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        return _run_cprofile(work, top)
    return _run_pyinstrument(work, top)


def _check(root: Path, *options: str) -> Callable[[], None]:
    def work() -> None:
        from flash_ls_cli.main import main

        argv = sys.argv
        sys.argv = ["flash-ls", "check", str(root), "--fail-on", "never", *options]
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                main()
        finally:
            sys.argv = argv

    return work


def _edits(
    root: Path, rel: str, line: int, start: int, end: int, count: int, *, profiled: bool = True
) -> dict[str, Any]:
    """Engine-only edit latency: what a server does per keystroke, without the protocol (E1).

    The times are taken without the profiler; ``profiled`` then profiles as many other edits."""
    import ast

    from flash_ls import heap
    from flash_ls.project.workspace import Workspace
    from flash_ls.rules.engine import check_app

    path = root / rel
    lines = path.read_text(encoding="utf-8").split("\n")
    workspace = Workspace([root])
    check_app(workspace.app_for(path))  # index and warm the caches, like a server after start
    heap.settle()  # and treat the indexed heap as the server does once indexing is done

    def edited(value: int) -> str:
        changed = list(lines)
        changed[line] = changed[line][:start] + str(value) + changed[line][end:]
        return "\n".join(changed)

    # new statement text on every edit (as when typing): nothing is a chunk-cache hit
    timed_texts = [edited(1000 + i) for i in range(count)]
    profiled_texts = [edited(5000 + i) for i in range(count)]
    times: list[float] = []
    floors: list[float] = []

    def edits(texts: list[str], *, with_floor: bool = False) -> None:
        for text in texts:
            began = time.perf_counter()
            workspace.update(path, text)
            check_app(workspace.app_for(path))
            times.append(time.perf_counter() - began)
            if with_floor:
                # ``ast.parse`` of the same text at once, not in a pass of its own afterwards:
                # this VM's speed drifts by up to 1.7x within minutes, and a floor measured
                # later than the edits compared them with another machine.
                began = time.perf_counter()
                ast.parse(text)
                floors.append(time.perf_counter() - began)

    edits(timed_texts, with_floor=True)  # timed without the profiler
    unprofiled = list(times)
    summary = profile(lambda: edits(profiled_texts)) if profiled else {}
    summary["edit_seconds"] = unprofiled
    summary["ast_seconds"] = floors
    return summary


def _bounds(root: Path) -> dict[str, Any]:
    """What the parsing strategies cost on this workspace: reading every file, and parsing the
    files that mention the SDK with ``ast``, libcst, and libcst with positions (seconds)."""
    import ast
    import hashlib

    began = time.perf_counter()
    import libcst
    from libcst.metadata import MetadataWrapper, PositionProvider

    libcst_import = time.perf_counter() - began
    paths = sorted(root.rglob("*.py"))
    began = time.perf_counter()
    texts = []
    for path in paths:
        data = path.read_bytes()
        hashlib.blake2b(data, digest_size=16).digest()
        texts.append(data.decode("utf-8", "replace"))
    read_hash = time.perf_counter() - began
    sdk = [t for t in texts if "runpod_flash" in t]

    def cost(parse: Callable[[str], object]) -> float:
        began = time.perf_counter()
        for text in sdk:
            with contextlib.suppress(Exception):
                parse(text)
        return time.perf_counter() - began

    def positions(text: str) -> object:
        return MetadataWrapper(libcst.parse_module(text)).resolve(PositionProvider)

    return {
        "files": len(paths),
        "sdk_files": len(sdk),
        "sdk_lines": sum(t.count("\n") for t in sdk),
        "libcst_import": libcst_import,
        "read_hash": read_hash,
        "ast": cost(ast.parse),
        "libcst": cost(libcst.parse_module),
        "libcst_positions": cost(positions),
    }


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    kind, root, out = args[0], Path(args[1]), Path(args[2])
    os.environ.setdefault("FLASH_LS_CACHE_DIR", str(out.parent / "profile-cache"))
    if kind == "check":  # cold: nothing cached
        result = profile(_check(root, "--no-cache"))
    elif kind == "warm":  # FLASH_LS_CACHE_DIR already filled by an earlier check
        result = profile(_check(root))
    elif kind == "bounds":
        result = _bounds(root)
    elif kind in ("edit", "edit-times"):
        rel, line, start, end, count = args[3], *map(int, args[4:8])
        result = _edits(root, rel, line, start, end, count, profiled=kind == "edit")
    else:
        raise SystemExit(f"unknown profile kind {kind!r}")
    out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
