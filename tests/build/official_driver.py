"""Runs the official `flash build` (runpod-flash's own CLI entry point) on several apps in one process.

Usage: ``python official_driver.py plan.json``; the plan lists ``{"root", "env", "args"}`` runs.
Each run happens in its app directory with its environment, exactly as ``flash <args>`` would run
there; importing the SDK once instead of once per app saves about two seconds per app. Modules a
run imports from its app are forgotten afterwards, so apps cannot see each other's code.
Prints ``[{"root", "returncode", "output", "seconds"}]`` as JSON on the last line of stdout.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path


def _forget_modules_under(root: Path) -> None:
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        if origin and Path(origin).resolve().is_relative_to(root):
            del sys.modules[name]


def main() -> None:
    plan = json.loads(Path(sys.argv[1]).read_text())
    from runpod_flash.cli.main import app  # the `flash` console script

    results = []
    for run in plan:
        started = time.perf_counter()
        root = Path(run["root"]).resolve()
        saved = {key: os.environ.get(key) for key in run["env"]}
        os.environ.update(run["env"])
        os.chdir(root)
        output = io.StringIO()
        code = 0
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            try:
                app(args=run["args"], prog_name="flash")
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception as exc:  # reported like the CLI would crash
                code = 1
                print(f"{type(exc).__name__}: {exc}")
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _forget_modules_under(root)
        results.append(
            {
                "root": str(root),
                "returncode": code,
                "output": output.getvalue(),
                "seconds": round(time.perf_counter() - started, 2),
            }
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
