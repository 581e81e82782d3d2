"""The facts cache: content-hash keyed, one pack file on disk, written only when something is new."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

import flash_ls.parse
from flash_ls.parse import parse_file
from flash_ls.project import cache as cache_module
from flash_ls.project.cache import PACK_NAME, FactsCache, dumps
from flash_ls.project.workspace import Workspace

FLASH = '''from runpod_flash import Endpoint, GpuType

@Endpoint(name="gpu", gpu=GpuType.NVIDIA_L4, dependencies=["torch"])
def infer(x: int) -> dict:
    """Doc."""
    import torch
    return {"y": x}

api = Endpoint(name="api", cpu="cpu3c-1-2")

@api.post("/run")
async def run(data: dict) -> dict:
    return data
'''


def test_dumps_round_trips_facts_exactly() -> None:
    facts = parse_file(FLASH)
    assert pickle.loads(dumps(facts)) == facts
    light = parse_file("import os\nX = 1\n")
    assert pickle.loads(dumps(light)) == light


def test_second_process_reads_the_pack_instead_of_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = FactsCache(tmp_path)
    expected = first.facts(FLASH)
    first.flush()
    assert (tmp_path / PACK_NAME).is_file()
    monkeypatch.setattr(flash_ls.parse, "parse_file", _no_parse)
    second = FactsCache(tmp_path)
    assert second.facts(FLASH) == expected


def test_warm_run_does_not_rewrite_the_pack(tmp_path: Path) -> None:
    first = FactsCache(tmp_path)
    first.facts(FLASH)
    first.flush()
    stamp = (tmp_path / PACK_NAME).stat().st_mtime_ns
    os.utime(tmp_path / PACK_NAME, ns=(stamp - 10**9, stamp - 10**9))
    second = FactsCache(tmp_path)
    second.facts(FLASH)
    second.flush()
    assert (tmp_path / PACK_NAME).stat().st_mtime_ns == stamp - 10**9


def test_edit_with_same_size_and_restored_mtime_is_detected(tmp_path: Path) -> None:
    """The key is the content hash; mtime/size are never trusted (no racy-timestamp window)."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text('[project]\nname = "a"\n')
    main = app / "main.py"
    main.write_text(FLASH)
    stat = main.stat()
    cache_dir = tmp_path / "cache"
    cache = FactsCache(cache_dir)
    before = Workspace([app], cache=cache).app(app).files["main.py"].facts
    cache.flush()
    edited = FLASH.replace('name="gpu"', 'name="cpu"')
    assert len(edited) == len(FLASH)
    main.write_text(edited)
    os.utime(main, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert main.stat().st_size == stat.st_size
    after = Workspace([app], cache=FactsCache(cache_dir)).app(app).files["main.py"].facts
    assert after != before
    assert after == parse_file(edited)


def test_concurrent_writers_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = FactsCache(tmp_path), FactsCache(tmp_path)
    a.facts("import os\n")  # both load the (empty) pack first
    b.facts("import sys\n")
    a.flush()
    b.flush()  # merges what ``a`` wrote instead of dropping it
    monkeypatch.setattr(flash_ls.parse, "parse_file", _no_parse)
    fresh = FactsCache(tmp_path)
    assert fresh.facts("import os\n") == parse_file("import os\n")
    assert fresh.facts("import sys\n") == parse_file("import sys\n")


def test_corrupt_or_unwritable_pack_is_ignored(tmp_path: Path) -> None:
    (tmp_path / PACK_NAME).write_bytes(b"not a pickle")
    cache = FactsCache(tmp_path)
    assert cache.facts(FLASH) == parse_file(FLASH)
    cache.flush()
    assert FactsCache(tmp_path).facts(FLASH) == parse_file(FLASH)
    blocked = FactsCache(tmp_path / "file-not-dir" / "x")
    (tmp_path / "file-not-dir").write_text("")
    blocked.facts(FLASH)
    blocked.flush()  # no exception


def test_full_facts_are_cached_separately(tmp_path: Path) -> None:
    text = "import os\nX = os.environ.get('A')\n"
    cache = FactsCache(tmp_path)
    light, full = cache.facts(text), cache.full_facts(text)
    assert full == parse_file(text, full=True)
    assert light == parse_file(text)
    cache.flush()
    again = FactsCache(tmp_path)
    assert again.full_facts(text) == full
    assert again.facts(text) == light


def _no_parse(text: str, **_: object) -> None:
    raise AssertionError("parsed although the pack holds the facts")


def test_pack_keeps_what_this_run_used_and_drops_old_entries_over_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = FactsCache(tmp_path)
    first.facts("import os\n")
    first.facts("import sys\n")
    first.flush()
    monkeypatch.setattr(cache_module, "PACK_LIMIT_BYTES", 1)
    second = FactsCache(tmp_path)
    second.facts("import os\n")  # used: kept
    second.facts("import json\n")  # new: kept
    second.flush()
    kept = pickle.loads((tmp_path / PACK_NAME).read_bytes())
    assert len(kept) == 2
    monkeypatch.setattr(flash_ls.parse, "parse_file", _no_parse)
    third = FactsCache(tmp_path)
    third.facts("import os\n")
    third.facts("import json\n")
