"""Build throwaway Flash apps on disk and check them: the vocabulary of the rule tests."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import textwrap
from pathlib import Path

import pytest

from flash_ls import platform
from flash_ls.diagnostic import Diagnostic, Fix
from flash_ls.project.app import App
from flash_ls.project.workspace import Workspace
from flash_ls.rules.engine import check_app
from flash_ls.span import Span


def _rc2_installed() -> bool:
    """Whether runpod 2.x (the app API) is installed, without importing it (``import runpod``
    reads ~/.runpod/config.toml)."""
    if importlib.util.find_spec("runpod") is None:
        return False
    try:
        return importlib.metadata.version(platform.APP_API_DISTRIBUTION).startswith("2.")
    except importlib.metadata.PackageNotFoundError:
        return False


# Tests that compare with runpod 2.0.0rc2 itself (the `test` extra installs it).
needs_rc2 = pytest.mark.skipif(not _rc2_installed(), reason="runpod 2.0 is not installed")

# A worker with a PEP 263 coding line, non-ASCII text in Latin-1 and a heavy module-level import
# (FL301 at line 3, FL302 at line 9); then the same file once FL301's fix has moved the import into
# the endpoint. Tests write it with ``.encode("latin-1")``.
LATIN1_TORCH_WORKER = (
    "# -*- coding: latin-1 -*-\n"
    "# Pr\xe9paration des donn\xe9es.\n"
    "import torch\n"
    "from runpod_flash import Endpoint, GpuGroup\n"
    "\n"
    "\n"
    '@Endpoint(name="caf\xe9", gpu=GpuGroup.ADA_24)\n'
    "async def infer(data: dict) -> dict:\n"
    '    return {"cuda": torch.cuda.is_available(), "note": "d\xe9j\xe0"}\n'
)
LATIN1_TORCH_WORKER_FIXED = LATIN1_TORCH_WORKER.replace("import torch\n", "", 1).replace(
    "-> dict:\n", "-> dict:\n    import torch\n", 1
)


def write_app(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text, dedented) under ``root``; adds a pyproject.toml."""
    root.mkdir(parents=True, exist_ok=True)
    if "pyproject.toml" not in files:
        (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk space (for size limits and budgets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def load_app(root: Path) -> App:
    return Workspace([root]).app(root)


def check(
    root: Path, files: dict[str, str | bytes] | None = None, **kwargs: object
) -> list[Diagnostic]:
    """Write the app (when ``files`` is given) and return every finding."""
    if files is not None:
        write_app(root, files)
    return check_app(load_app(root), **kwargs)  # type: ignore[arg-type]


def codes(diagnostics: list[Diagnostic], prefix: str = "FL") -> list[str]:
    return [d.code for d in diagnostics if d.code.startswith(prefix)]


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def where(diagnostic: Diagnostic) -> tuple[str, int]:
    """(file name, 1-based line) of a finding, for compact assertions."""
    return diagnostic.path.name, diagnostic.span.start_line + 1


def full(diagnostic: Diagnostic, *, suppressions: bool = False) -> list[str]:
    """A finding as the user sees it, one line per part: where (1-based line, 0-based columns),
    message, notes, related locations, fix and alternatives with their edits (file names only;
    the "Suppress ..." alternative every finding has only with ``suppressions``). For tests that
    pin a finding whole (mutation testing: docs/reliability.md)."""

    def at(path: Path, s: Span) -> str:
        return f"{path.name}:{s.start_line + 1}:{s.start_col}-{s.end_line + 1}:{s.end_col}"

    d = diagnostic
    lines = [f"{at(d.path, d.span)} {d.code} {d.severity.label}: {d.message}"]
    lines += [f"note: {note}" for note in d.notes]
    lines += [f"related {at(r.path, r.span)}: {r.message}" for r in d.related]
    for label, fix in [("fix", d.fix), *(("alternative", a) for a in d.alternatives)]:
        if fix is None or (label == "alternative" and not suppressions and _suppression(fix)):
            continue
        lines.append(f"{label} (safe={fix.safe}): {fix.message}")
        lines += [f"  edit {at(e.path, e.span)} {e.new_text!r}" for e in fix.edits]
    return lines


def _suppression(fix: Fix) -> bool:
    return fix.message.startswith("Suppress ") and all(
        "flash-ls: ignore" in e.new_text for e in fix.edits
    )
