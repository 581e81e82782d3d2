"""Shared fixtures of the deploy tests: the Runpod API emulator and the official Flash CLI."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.runpod_api import RunpodEmulator

sys.path.insert(0, str(Path(__file__).parent))  # official_cli.py
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "build"))  # wheels.py

from wheels import make_wheel


@pytest.fixture(scope="session")
def deploy_wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Wheels the fixture apps' ``dependencies=`` need, so the official build's pip stays local."""
    house = tmp_path_factory.mktemp("deploy-wheelhouse")
    make_wheel(house, "diffusers", "0.30.0")
    return house


@pytest.fixture
def runpod_api() -> Iterator[RunpodEmulator]:
    """A fresh emulated Runpod account on 127.0.0.1."""
    with RunpodEmulator() as api:
        yield api
