"""The artifact: reproducible bytes, what it never contains, symlinks, the size limit."""

from __future__ import annotations

import fnmatch
import hashlib
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from apps import write_app
from buildkit import build

from flash_ls import platform
from flash_ls.build.api import BuildError, BuildOptions
from flash_ls.build.files import CREDENTIAL_FILES, credential_reason
from flash_ls.build.tarball import Entry, overlay, write_artifact
from flash_ls.progress import SilentProgress
from flash_ls.project.sizes import SizeReport

WORKER = """
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="gpu-worker", gpu=GpuGroup.ADA_24)
    async def infer(prompt: str) -> dict:
        return {"prompt": prompt}
    """


@pytest.fixture(autouse=True)
def _offline(offline_pip: dict[str, str]) -> None:
    """No network: builds here have no dependencies, and pip must not look anywhere."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _members(artifact: Path) -> list[tarfile.TarInfo]:
    with tarfile.open(artifact) as tar:
        return tar.getmembers()


def _files(artifact: Path) -> set[str]:
    return {m.name.removeprefix("./") for m in _members(artifact) if m.isfile()}


def _project_files(artifact: Path) -> set[str]:
    generated = ("runpod_flash/", "handler_", "flash_manifest.json")
    return {name for name in _files(artifact) if not name.startswith(generated)}


def test_same_input_same_bytes(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER, "README.md": "# app\n"})

    first = _sha256(Path(build(root).artifact_path))
    second = _sha256(Path(build(root).artifact_path))

    assert first == second


def test_same_sources_elsewhere_same_bytes(tmp_path: Path) -> None:
    one = write_app(tmp_path / "one" / "app", {"worker.py": WORKER, "util/helpers.py": "X = 1\n"})
    two = tmp_path / "two" / "app"
    shutil.copytree(one, two)
    os.utime(two / "worker.py", (1_000_000_000, 1_000_000_000))  # checkouts differ in mtimes
    environ = {"SOURCE_DATE_EPOCH": "1700000000"}

    first = build(one, environ=environ)
    second = build(two, environ=environ)

    assert _sha256(Path(first.artifact_path)) == _sha256(Path(second.artifact_path))
    assert '"generated_at": "2023-11-14T22:13:20Z"' in Path(first.manifest_path).read_text()


def test_entries_are_normalised(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER, "scripts/run.sh": "#!/bin/sh\n"})
    (root / "scripts" / "run.sh").chmod(0o775)
    (root / "worker.py").chmod(0o600)

    artifact = Path(build(root, environ={"SOURCE_DATE_EPOCH": "1700000000"}).artifact_path)
    members = _members(artifact)
    raw = artifact.read_bytes()

    assert members[0].name == "." and members[0].isdir()
    names = [m.name for m in members[1:]]
    assert all(name.startswith("./") for name in names)
    assert names == sorted(names, key=lambda n: n.split("/"))
    assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {
        (0, 0, "", "", 1700000000)
    }
    modes = {m.name: m.mode for m in members}
    assert modes["./worker.py"] == 0o644
    assert modes["./scripts/run.sh"] == 0o755
    assert modes["./scripts"] == 0o755
    # gzip header: no file name (FNAME flag), no timestamp
    assert raw[:3] == b"\x1f\x8b\x08" and raw[3] & 0x08 == 0 and raw[4:8] == b"\0\0\0\0"


def test_secrets_and_ignored_files_are_never_shipped(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {
            "worker.py": WORKER,
            "README.md": "# shipped\n",
            "notes.md": "not shipped\n",
            "data.txt": "shipped\n",
            ".flashignore": "*.log\n",
            ".gitignore": "secret_dir/\n",
            "secret_dir/a.txt": "ignored\n",
            ".env": "RUNPOD_API_KEY=rp_x\n",
            ".env.production": "RUNPOD_API_KEY=rp_y\n",
            "config/.env.local": "TOKEN=z\n",
            "config/.env.staging": "TOKEN=w\n",
            ".git/config": "[core]\n",
            ".flash/flash_manifest.json": "{}",
            "keys/id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            "certs/server.pem": "-----BEGIN CERTIFICATE-----\n",
            ".pypirc": "[pypi]\n",
            "tests/test_worker.py": "def test(): ...\n",
            "load_test.py": "import aiohttp\n",
        },
    )

    result = build(root)

    assert _project_files(Path(result.artifact_path)) == {
        ".flashignore",
        "README.md",
        "data.txt",
        "pyproject.toml",
        "worker.py",
    }
    withheld = sorted(w.split(": ", 1)[1].split(" (")[0] for w in result.warnings)
    assert withheld == [
        ".env.production",
        ".pypirc",
        "certs/server.pem",
        "config/.env.staging",
        "keys/id_rsa",
    ]


def test_credential_names_match_as_fnmatch_would() -> None:
    names = [
        *(p.replace("*", "") for p in CREDENTIAL_FILES),
        *(p.replace("*", "x.y") for p in CREDENTIAL_FILES),
        ".env.local",
        ".envx",
        "env",
        "id_rsa.pub",
        "my_id_rsa",
        "server.pem",
        "server.pem.bak",
        ".pem",
        "service-account.json",
        "service-account-prod.json",
        "service-account.jsonx",
        "credentials.jsonl",
        "worker.py",
    ]
    assert all("?" not in p and "[" not in p and p.count("*") <= 1 for p in CREDENTIAL_FILES)

    for name in names:
        expected = next((p for p in CREDENTIAL_FILES if fnmatch.fnmatchcase(name, p)), None)
        assert credential_reason(name) == (None if expected is None else f"matches {expected!r}")


def test_symlinks_never_leave_the_app(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the app\n")
    root = write_app(tmp_path / "app", {"worker.py": WORKER, "data/real.txt": "inside\n"})
    (root / "escape.txt").symlink_to(outside / "secret.txt")
    (root / "escape_dir").symlink_to(outside, target_is_directory=True)
    (root / "alias.txt").symlink_to(root / "data" / "real.txt")
    (root / "data" / "loop").symlink_to(root, target_is_directory=True)

    artifact = Path(build(root).artifact_path)

    assert _project_files(artifact) == {"alias.txt", "data/real.txt", "pyproject.toml", "worker.py"}
    with tarfile.open(artifact) as tar:
        alias = tar.getmember("./alias.txt")
        assert alias.isfile()  # the content, not a link
        assert tar.extractfile(alias).read() == b"inside\n"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["../../x", "a\x00b", "models\\llama"])
def test_an_endpoint_name_cannot_write_outside_the_archive_root(tmp_path: Path, name: str) -> None:
    # The rule (FL106) is suppressed: the build must still refuse on its own.
    worker = f"""
    from runpod_flash import Endpoint

    @Endpoint(name={name!r}, cpu="cpu3c-1-2")  # flash-ls: ignore[FL106]
    def work(x: int) -> int:
        return x
    """
    root = write_app(tmp_path / "app", {"worker.py": worker})

    with pytest.raises(BuildError) as raised:
        build(root)

    assert "cannot be in a file name" in raised.value.message
    assert "\x00" not in raised.value.message  # shown escaped, never raw
    assert not (root / ".flash" / platform.DEFAULT_ARCHIVE_NAME).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app"]


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../b", "a//b", "./a", "a\x00b"])
def test_the_archive_refuses_entries_outside_its_root(tmp_path: Path, name: str) -> None:
    output = tmp_path / "artifact.tar.gz"
    entries = {"ok.py": Entry.text("x = 1\n"), name: Entry.text("y = 2\n")}

    with pytest.raises(BuildError) as raised:
        write_artifact(output, entries, mtime=0, progress=SilentProgress())

    assert "not a path inside the app" in raised.value.message
    assert list(tmp_path.iterdir()) == []


def test_size_limit_applies_to_the_compressed_archive(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    limit = platform.MAX_TARBALL_SIZE_MB * platform.BYTES_PER_MB
    big = root / "weights" / "model.bin"
    big.parent.mkdir()
    with big.open(
        "wb"
    ) as handle:  # sparse: no disk space, 1 MB over the limit, compresses to ~1.5 MB
        handle.truncate(limit + platform.BYTES_PER_MB)

    result = build(root)

    assert any("1.5 GB" in w and "uncompressed" in w for w in result.warnings)
    assert result.size_bytes < 10 * platform.BYTES_PER_MB
    report = SizeReport.model_validate_json((root / ".flash" / "size-report.json").read_text())
    assert {f.path: f.bytes for f in report.files}[
        "weights/model.bin"
    ] == limit + platform.BYTES_PER_MB
    assert report.archive_bytes == result.size_bytes


def test_a_failed_build_keeps_the_previous_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flash_ls.build import tarball

    root = write_app(tmp_path / "app", {"worker.py": WORKER})
    previous = build(root)
    before = _sha256(Path(previous.artifact_path))
    (root / "blob.bin").write_bytes(os.urandom(300 * 1024))
    real = tarball.write_artifact
    monkeypatch.setattr(
        "flash_ls.build.api.write_artifact",
        lambda *a, **k: real(*a, **{**k, "limit_bytes": 200 * 1024}),
    )

    with pytest.raises(BuildError) as raised:
        build(root)

    assert (
        "Archive exceeds RunPod limit" in raised.value.message
        and "blob.bin" in raised.value.message
    )
    assert _sha256(Path(previous.artifact_path)) == before


def test_compressed_archive_is_checked_while_written(tmp_path: Path) -> None:
    output = tmp_path / "artifact.tar.gz"
    entries = {f"blob{i}.bin": Entry(data=os.urandom(64 * 1024)) for i in range(8)}

    with pytest.raises(BuildError) as raised:
        write_artifact(output, entries, mtime=0, progress=SilentProgress(), limit_bytes=200 * 1024)

    assert "Archive exceeds RunPod limit" in raised.value.message
    assert list(tmp_path.iterdir()) == []  # neither the archive nor a partial file is left


def test_later_layers_replace_whole_top_level_trees() -> None:
    project = {
        "runpod_flash/custom.py": Entry(data=b"user"),
        "worker.py": Entry(data=b"user"),
        "handler_x.py": Entry(data=b"user"),
    }
    overlay(project, {"handler_x.py": Entry(data=b"generated")})
    overlay(project, {"runpod_flash/__init__.py": Entry(data=b"sdk")})

    assert {name: entry.data for name, entry in project.items()} == {
        "worker.py": b"user",
        "handler_x.py": b"generated",
        "runpod_flash/__init__.py": b"sdk",
    }


def test_output_name_and_outputs(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER})

    result = build(root, BuildOptions(output="release.tgz"))

    flash = root / ".flash"
    assert Path(result.artifact_path) == flash / "release.tgz"
    assert Path(result.manifest_path) == flash / "flash_manifest.json"
    assert Path(result.size_report_path) == flash / "size-report.json"
    assert sorted(p.name for p in flash.iterdir()) == [
        "flash_manifest.json",
        "lock",  # the app's build/deploy lock, released (never deleted: see build/lock.py)
        "release.tgz",
        "size-report.json",
    ]
    for bad in ("../artifact.tar.gz", "artifact.zip", ""):
        with pytest.raises(BuildError, match="--output"):
            build(root, BuildOptions(output=bad))
