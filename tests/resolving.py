"""Turn the size estimate's pip resolution on, against a test index and nothing else.

Tests run offline (``FLASH_LS_OFFLINE=1``, see conftest.py); :func:`online` lifts that for one
test: pip (the estimate's, and ``flash-ls build``'s) sees only the given index, none of this
machine's pip configuration (``/etc/xdg/pip/pip.conf`` adds indexes and a torch constraint
here), and the size caches live under ``cache``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from package_index import PackageIndex, hermetic_pip_env

from flash_ls.project import sizes


def pip_env(index: PackageIndex, cache: Path) -> dict[str, str]:
    """The environment of a process that resolves from ``index`` only (a server, a CLI run)."""
    env = hermetic_pip_env()
    env["PIP_INDEX_URL"] = f"{index.simple_url}/"
    env["FLASH_LS_CACHE_DIR"] = str(cache)
    env.pop("FLASH_LS_OFFLINE", None)
    return env


def online(monkeypatch: pytest.MonkeyPatch, index: PackageIndex, cache: Path) -> None:
    """This process resolves from ``index`` (see :func:`pip_env`); memory caches are cleared."""
    wanted = pip_env(index, cache)
    for key in list(os.environ):
        if key not in wanted:
            monkeypatch.delenv(key)
    for key, value in wanted.items():
        if os.environ.get(key) != value:
            monkeypatch.setenv(key, value)
    sizes.clear_caches()
