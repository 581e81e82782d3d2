"""`flash-ls` command lines as subprocesses, as CI runs them: their output, and which modules they
import (the vocabulary of the CLI tests and of the import-budget tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Runs a CLI command line in-process, then prints every module it imported (on stderr).
LIST_IMPORTS = """
import sys
from flash_ls_cli.main import main
sys.argv = ["flash-ls", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as stop:
    code = stop.code
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def _python(
    cwd: Path, cache: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python *argv`` in ``cwd`` with the flash-ls cache in ``cache``; ``env`` adds to (or
    overrides) the environment."""
    return subprocess.run(
        [sys.executable, *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLASH_LS_CACHE_DIR": str(cache), **(env or {})},
    )


def flash_ls(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``flash-ls *args`` in ``cwd`` (cache dir: ``cwd/.cache-for-test``); ``env`` adds to (or
    overrides) the environment."""
    return _python(cwd, cwd / ".cache-for-test", "-m", "flash_ls", *args, env=env)


def imported_by(
    cwd: Path, *args: str, cache: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run ``flash-ls *args`` in ``cwd`` (cache dir: ``cache``, else beside ``cwd``); the run and
    the modules it imported."""
    done = _python(cwd, cache or cwd.parent / "cache", "-c", LIST_IMPORTS, *args)
    modules = {line for line in done.stderr.splitlines() if line and " " not in line}
    return done, modules


def loaded(modules: set[str], name: str) -> bool:
    """Whether ``name`` or one of its submodules is among ``modules``."""
    return any(m == name or m.startswith(name + ".") for m in modules)
