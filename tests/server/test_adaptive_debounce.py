"""When the server checks after an edit (issue 13): at once while the app's checks are idle (a
check that costs 10 ms is over before the next keystroke), after the debounce while one runs or
waits (edits faster than the checks), and never two checks of one app at a time: edits that
arrive while a check runs are checked together by one more check."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flash_ls.server.diagnostics_manager import AppReport, DiagnosticsManager
from flash_ls.server.engine_thread import Documents


class FakeEngine:
    """Stands for the engine thread: each check takes ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: list[float] = []
        self.running = 0
        self.most_at_once = 0

    async def call(self, fn: Callable[..., Any], *args: Any) -> AppReport:
        _engine, root, generation = args[:3]
        self.started.append(asyncio.get_running_loop().time())
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.running -= 1
        return AppReport(root, None, generation)  # type: ignore[arg-type]


def _manager(
    tmp_path: Path, seconds: float, debounce: float = 0.1
) -> tuple[DiagnosticsManager, FakeEngine, Path, list[int | None]]:
    engine = FakeEngine(seconds)
    documents = Documents()
    path = tmp_path / "worker.py"
    documents.open(path, path.as_uri(), 1, "x = 1\n")
    versions: list[int | None] = []
    manager = DiagnosticsManager(
        engine,  # type: ignore[arg-type]
        documents,
        lambda uri, items, version: versions.append(version),
        lambda: None,
        lambda message: None,
    )
    manager.debounce = debounce
    return manager, engine, path, versions


async def _settle(manager: DiagnosticsManager) -> None:
    for _ in range(200):
        await asyncio.sleep(0.01)
        if not manager._pending and not manager._running:
            return
    raise AssertionError("checks never finished")


def test_the_wait_follows_the_checks(tmp_path: Path) -> None:
    async def scenario() -> None:
        manager, _, _, _ = _manager(tmp_path, 0.0, debounce=0.1)
        root = tmp_path
        assert manager.wait_for(root) == 0.0  # idle: at once
        busy = asyncio.get_running_loop().create_future()
        manager._running[root] = busy  # type: ignore[assignment]
        assert manager.wait_for(root) == 0.1  # a check runs: the edits outpace the checks
        busy.set_result(None)
        assert manager.wait_for(root) == 0.0
        manager._waiting["key"] = root
        assert manager.wait_for(root) == 0.1  # a check waits
        manager.debounce = 0.0
        assert manager.wait_for(root) == 0.0  # 0: never wait

    asyncio.run(scenario())


def test_after_a_fast_check_an_edit_is_checked_at_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        manager, engine, path, versions = _manager(tmp_path, 0.002, debounce=1.0)
        manager.schedule(path, tmp_path, trigger=path)
        await _settle(manager)
        manager.documents.change(path, 2, "x = 2\n")
        sent = asyncio.get_running_loop().time()
        manager.schedule(path, tmp_path, trigger=path)
        await _settle(manager)
        assert engine.started[-1] - sent < 0.5  # not the 1 s debounce
        assert versions[-1] == 2

    asyncio.run(scenario())


def test_edits_during_a_check_are_checked_together_once_it_ends(tmp_path: Path) -> None:
    async def scenario() -> None:
        manager, engine, path, versions = _manager(tmp_path, 0.05, debounce=0.0)
        manager.schedule(path, tmp_path, trigger=path)
        await asyncio.sleep(0.01)  # the check runs
        for version in range(2, 12):
            manager.documents.change(path, version, f"x = {version}\n")
            manager.touch(tmp_path)
            manager.schedule(path, tmp_path, trigger=path)
            await asyncio.sleep(0)
        await _settle(manager)
        assert len(engine.started) == 2  # the running one, then one for all ten edits
        assert engine.most_at_once == 1
        assert versions[-1] == 11  # the follow-up publishes the edited file's last version

    asyncio.run(scenario())


def test_a_burst_of_edits_during_a_slow_check_is_checked_when_it_pauses(tmp_path: Path) -> None:
    async def scenario() -> None:
        manager, engine, path, _ = _manager(tmp_path, 0.3, debounce=0.2)
        manager.schedule(path, tmp_path, trigger=path)  # idle: at once
        await asyncio.sleep(0.01)
        assert len(engine.started) == 1
        for _ in range(5):  # faster than the check: each replaces the waiting one
            manager.schedule(path, tmp_path, trigger=path)
            await asyncio.sleep(0.05)
        assert len(engine.started) == 1  # the first still runs, the next one waits
        await _settle(manager)
        assert len(engine.started) == 2

    asyncio.run(scenario())
