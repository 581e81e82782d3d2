"""The ``runpod_flash`` package every artifact bundles (the workers import it from the tarball).

The official build copies the ``runpod_flash`` it runs from. flash-ls does not import the SDK, so it
looks for an installed copy without importing it: the app's own virtualenv first (the version the
app is written against), then the active virtualenv, then flash-ls's own environment.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

from flash_ls.build.errors import BuildError
from flash_ls.platform import SDK_DISTRIBUTION, SDK_MODULE

# Left out of the bundled copy, as the official build does.
_SKIPPED_DIRS = frozenset({"__pycache__", ".pytest_cache"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_APP_VENVS = (".venv", "venv", "env")


@dataclass(frozen=True)
class BundledRuntime:
    """An installed ``runpod_flash`` package directory and its version (when known)."""

    path: Path
    version: str | None

    def files(self) -> Iterator[tuple[str, Path]]:
        """(path relative to the package's parent, file) for every file to bundle, sorted."""
        root = self.path
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
            base = Path(directory)
            for name in sorted(filenames):
                if name.endswith(_SKIPPED_SUFFIXES):
                    continue
                path = base / name
                rel = path.relative_to(root.parent).as_posix()
                yield rel, path


def _site_packages(prefix: Path) -> Iterator[Path]:
    for lib in ("lib", "lib64"):
        base = prefix / lib
        if base.is_dir():
            yield from sorted(base.glob("python3*/site-packages"), reverse=True)
    windows = prefix / "Lib" / "site-packages"
    if windows.is_dir():
        yield windows


def _candidates(app_root: Path, environ: Mapping[str, str]) -> Iterator[Path]:
    for name in _APP_VENVS:
        venv = app_root / name
        if (venv / "pyvenv.cfg").is_file():
            for site in _site_packages(venv):
                yield site / SDK_MODULE
    active = environ.get("VIRTUAL_ENV")
    if active:
        for site in _site_packages(Path(active)):
            yield site / SDK_MODULE
    spec = importlib.util.find_spec(SDK_MODULE)  # locates the top-level package without running it
    if spec is not None and spec.origin:
        yield Path(spec.origin).parent


def _version(package: Path) -> str | None:
    for info in sorted(package.parent.glob(f"{SDK_MODULE}-*.dist-info")):
        try:
            metadata = Parser().parsestr(
                (info / "METADATA").read_text(encoding="utf-8"), headersonly=True
            )
        except OSError:
            continue
        if metadata.get("Name", "").lower().replace("_", "-") == SDK_DISTRIBUTION:
            return metadata.get("Version")
    return None


def find_runtime(app_root: Path, environ: Mapping[str, str] | None = None) -> BundledRuntime:
    """The ``runpod_flash`` to bundle; ``BuildError`` when none is installed anywhere we look."""
    env = os.environ if environ is None else environ
    for candidate in _candidates(app_root, env):
        if (candidate / "__init__.py").is_file():
            return BundledRuntime(candidate, _version(candidate))
    raise BuildError(
        f"cannot find an installed {SDK_MODULE} to bundle into the artifact: install "
        f"{SDK_DISTRIBUTION} in the app's virtualenv ({app_root / '.venv'}) or in flash-ls's "
        f"environment ({sys.executable} -m pip install {SDK_DISTRIBUTION})"
    )
