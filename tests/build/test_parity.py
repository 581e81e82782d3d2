"""Parity with the official `flash build --no-deps` (runpod-flash 1.21.0) on the same apps.

Manifests are compared key by key, key order included; the only differences allowed are
``generated_at`` and the ones docs/compatibility.md lists (by identifier).
"""

from __future__ import annotations

import fnmatch
import tarfile
from pathlib import Path
from typing import Any

import pytest
from buildkit import PARITY_APPS, RUNS, OfficialBuild, OurBuild, materialise

from flash_ls.build.manifest import build_manifest
from flash_ls.project.workspace import Workspace

COMPATIBILITY = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"

# run -> manifest path -> identifier in docs/compatibility.md
ALLOWED: dict[str, dict[str, str]] = {
    "edge": {
        # `aliases.alias_rf(x)` and `other()` (an aliased import) reach other resources.
        "resources.edge-caller.makes_remote_calls": "makes-remote-calls",
        # recursion is a call inside the same resource
        "resources.edge-self.makes_remote_calls": "makes-remote-calls",
        # routes on an Endpoint imported from another file: the official build's second import
        # registers them again, fails ("duplicate route") and drops the deployment config
        "resources.edge-split-api#keys": "deployment-config",
        # a relative import: the official re-import runs outside the package and fails
        "resources.edge-relative#keys": "deployment-config",
    },
}
# Files whose text is generated differently (same behaviour, tested in test_handlers.py).
GENERATED = (
    "flash_manifest.json",
    "handler_*.py",
    "runpod_flash/runtime/_flash_resource_config.py",
    "*.dist-info/RECORD",
)


def differences(official: Any, ours: Any, path: str = "") -> list[str]:
    """Paths (``resources.x.gpuIds``) where the two JSON values differ, key order included."""
    if isinstance(official, dict) and isinstance(ours, dict):
        found = []
        if list(official) != list(ours):
            found.append(f"{path or '<root>'}#keys")
        for key in official:
            if key in ours:
                found.extend(
                    differences(official[key], ours[key], f"{path}.{key}" if path else key)
                )
        return found
    if isinstance(official, list) and isinstance(ours, list) and len(official) == len(ours):
        found = []
        for index, (a, b) in enumerate(zip(official, ours, strict=True)):
            found.extend(differences(a, b, f"{path}[{index}]"))
        return found
    if official != ours or type(official) is not type(ours):
        return [path]
    return []


@pytest.mark.parametrize("key", list(RUNS))
def test_manifest_matches_official_build(
    key: str, official: dict[str, OfficialBuild], tmp_path: Path
) -> None:
    run = RUNS[key]
    built = official[key]
    assert built.returncode == 0, built.output
    assert built.manifest is not None
    root = materialise(run, tmp_path)
    app = Workspace([root], environ={}).app(root)
    ours = build_manifest(app, python_version=run.python_version, environ=run.env)

    found = [d for d in differences(built.manifest, ours) if d != "generated_at"]

    assert sorted(found) == sorted(ALLOWED.get(key, {})), _explain(built.manifest, ours, found)


def _explain(official: dict, ours: dict, paths: list[str]) -> str:
    lines = []
    for path in paths:
        a: Any = official
        b: Any = ours
        for part in path.removesuffix("#keys").split("."):
            a = a.get(part) if isinstance(a, dict) else None
            b = b.get(part) if isinstance(b, dict) else None
        if path.endswith("#keys"):
            a, b = list(a or ()), list(b or ())
        lines.append(f"{path}: official {a!r} / flash-ls {b!r}")
    return "\n".join(lines)


def test_allowed_differences_are_documented() -> None:
    text = COMPATIBILITY.read_text()
    for identifiers in ALLOWED.values():
        for identifier in identifiers.values():
            assert f"`{identifier}`" in text


def _members(artifact: Path) -> dict[str, bytes]:
    with tarfile.open(artifact) as tar:
        return {
            m.name.removeprefix("./"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


@pytest.mark.parametrize("name", PARITY_APPS)
def test_artifact_holds_the_same_files(
    name: str, official: dict[str, OfficialBuild], ours: dict[str, OurBuild]
) -> None:
    theirs = _members(official[name].artifact)
    mine = _members(ours[name].artifact)

    assert sorted(mine) == sorted(theirs)
    for path, data in mine.items():
        if not any(fnmatch.fnmatch(path, pattern) for pattern in GENERATED):
            assert data == theirs[path], path


@pytest.mark.parametrize("name", PARITY_APPS)
def test_artifact_manifest_is_the_written_manifest(name: str, ours: dict[str, OurBuild]) -> None:
    built = ours[name]
    inside = _members(built.artifact)["flash_manifest.json"].decode()

    assert inside == Path(built.result.manifest_path).read_text()


@pytest.mark.parametrize("name", PARITY_APPS)
def test_resource_config_module_matches(
    name: str,
    official: dict[str, OfficialBuild],
    ours: dict[str, OurBuild],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = "runpod_flash/runtime/_flash_resource_config.py"
    theirs: dict[str, Any] = {}
    mine: dict[str, Any] = {}
    exec(_members(official[name].artifact)[path], theirs)
    exec(_members(ours[name].artifact)[path], mine)

    assert mine["RESOURCE_LOCAL_FUNCTIONS"] == theirs["RESOURCE_LOCAL_FUNCTIONS"]
    assert mine["ALL_KNOWN_FUNCTIONS"] == theirs["ALL_KNOWN_FUNCTIONS"]
    functions = [*sorted(theirs["ALL_KNOWN_FUNCTIONS"]), "unknown_function"]
    for resource in [*theirs["RESOURCE_LOCAL_FUNCTIONS"], "other", ""]:
        for suffix in ("", "-fb"):
            monkeypatch.setenv("FLASH_RESOURCE_NAME", resource + suffix if resource else "")
            for function in functions:
                assert mine["is_local_function"](function) == theirs["is_local_function"](function)
