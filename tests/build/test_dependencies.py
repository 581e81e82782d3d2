"""Dependencies: collected from requirements.txt and every endpoint, installed offline from a local
wheelhouse of tiny wheels, excluded packages removed before pip and from the installed tree."""

from __future__ import annotations

import json
import sys
import tarfile
from pathlib import Path

import pytest
from apps import load_app, write_app
from buildkit import build

from flash_ls.build.api import BuildError, BuildOptions
from flash_ls.build.deps import collect_requirements, pip_command
from flash_ls.platform import PIP_PLATFORMS
from flash_ls.project.sizes import SizeReport, native_platform

WORKER = """
    from runpod_flash import CpuInstanceType, Endpoint

    @Endpoint(name="worker", cpu=CpuInstanceType.CPU3C_1_2, dependencies={deps!r})
    def work(x: int) -> int:
        return x
    """


def _names(artifact: Path) -> set[str]:
    with tarfile.open(artifact) as tar:
        return {m.name.removeprefix("./") for m in tar.getmembers()}


def _tops(artifact: Path) -> set[str]:
    return {name.split("/", 1)[0] for name in _names(artifact)}


def _read(artifact: Path, name: str) -> str:
    with tarfile.open(artifact) as tar:
        member = tar.extractfile(f"./{name}")
        assert member is not None
        return member.read().decode()


@pytest.fixture(autouse=True)
def _offline(offline_pip: dict[str, str]) -> None:
    """Every test here installs from the wheelhouse only."""


def test_requirements_and_dependencies_are_installed(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {
            "requirements.txt": "# pinned for the workers\ntinyreq==2.1.0\nrunpod-flash>=1.0\n",
            "deps.py": 'VISION = ["opencv-python-tiny"]\n',
            "worker.py": WORKER.format(deps=["bigpkg"]),
            "vision.py": """
                from runpod_flash import Endpoint as EP

                from deps import VISION

                vision = EP(name="vision", dependencies=VISION)

                @vision
                async def see(url: str) -> str:
                    return url
                """,
        },
    )

    result = build(root, BuildOptions())
    tops = _tops(Path(result.artifact_path))

    assert {"tinyreq", "tinydep", "bigpkg", "cv2tiny"} <= tops
    assert "tinydep-0.3.0.dist-info" in tops  # transitive: installed without --no-deps
    # the SDK is bundled (the real package), never pip-installed from requirements.txt
    assert not any(t.startswith("runpod_flash-") for t in tops)
    assert "runpod_flash/endpoint.py" in _names(Path(result.artifact_path))
    assert (
        _read(Path(result.artifact_path), "requirements.txt")
        == "# pinned for the workers\ntinyreq==2.1.0\n"
    )


def test_no_deps_installs_only_what_is_named(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", {"worker.py": WORKER.format(deps=["tinyreq"])})

    result = build(root, BuildOptions(no_deps=True))

    tops = _tops(Path(result.artifact_path))
    assert "tinyreq" in tops
    assert "tinydep" not in tops


def test_excluded_packages_are_removed_before_and_after_install(tmp_path: Path) -> None:
    # torch is named directly (left out before pip) and pulled in by tinyml (removed afterwards)
    root = write_app(tmp_path / "app", {"worker.py": WORKER.format(deps=["torch~=2.4", "tinyml"])})

    result = build(root, BuildOptions())

    tops = _tops(Path(result.artifact_path))
    assert {"tinyml", "tinydep"} <= tops
    assert not any(t == "torch" or t.startswith("torch-") for t in tops)
    report = SizeReport.model_validate_json(Path(result.size_report_path).read_text())
    torch = next(d for d in report.distributions if d.name == "torch")
    assert torch.excluded and torch.bytes > 64 * 1024
    assert report.requirements == ["tinyml"]


def test_exclude_removes_every_file_of_the_distribution(tmp_path: Path) -> None:
    # opencv-python-tiny installs the import package cv2tiny: matched through its RECORD
    root = write_app(
        tmp_path / "app", {"worker.py": WORKER.format(deps=["opencv-python-tiny", "bigpkg"])}
    )

    result = build(root, BuildOptions(exclude=["OpenCV_Python_Tiny", "not-installed"]))

    tops = _tops(Path(result.artifact_path))
    assert "bigpkg" in tops
    assert not any(t.startswith(("cv2tiny", "opencv")) for t in tops)
    assert result.warnings == ["No packages matched exclusions: not-installed"]


def test_exclude_packages_of_the_app_config_drops_top_level_names(tmp_path: Path) -> None:
    # A top-level name, as the size finding suggests one (nvidia/ for the nvidia-* wheels):
    # cv2tiny/ goes, the distribution's dist-info stays, as in the official build's tarball
    # filter; --exclude adds to the setting.
    config = '[project]\nname = "app"\n[tool.flash-ls]\nexclude-packages = ["cv2tiny"]\n'
    root = write_app(
        tmp_path / "app",
        {
            "worker.py": WORKER.format(deps=["opencv-python-tiny", "bigpkg"]),
            "pyproject.toml": config,
        },
    )

    result = build(root, BuildOptions(exclude=["bigpkg"]))

    tops = _tops(Path(result.artifact_path))
    assert "opencv_python_tiny-4.0.0.dist-info" in tops
    assert not {"cv2tiny", "bigpkg"} & tops
    assert result.warnings == []  # cv2tiny matched a top-level entry
    report = SizeReport.model_validate_json(Path(result.size_report_path).read_text())
    assert report.exclusions == ["cv2tiny", "bigpkg"]
    opencv = next(d for d in report.distributions if d.name == "opencv-python-tiny")
    assert not opencv.excluded and opencv.tops is not None and "cv2tiny" in opencv.tops
    assert opencv.bytes == opencv.tops["opencv_python_tiny-4.0.0.dist-info"]  # what is left


def test_failed_install_names_the_package(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app", {"worker.py": WORKER.format(deps=["tinyreq", "no-such-package==1.0"])}
    )

    with pytest.raises(BuildError) as raised:
        build(root, BuildOptions())

    assert "no installable wheel of 'no-such-package==1.0'" in raised.value.message
    assert "CPython 3.12" in raised.value.message
    assert not (root / ".flash" / "artifact.tar.gz").exists()
    assert not list((root / ".flash").glob(".build-*"))  # the staging directory is gone


def test_pip_gets_the_official_platform_flags(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {
            "requirements.txt": "--extra-index-url https://mirror.example/simple\ntinyreq\n",
            "worker.py": WORKER.format(deps=["bigpkg", "torch"]),
        },
    )
    requirements = collect_requirements(load_app(root), ["bigpkg"])

    cmd = pip_command(tmp_path / "target", requirements, "3.11", no_deps=True)

    assert cmd[:3] == [sys.executable, "-m", "pip"]
    assert cmd[3:7] == ["install", "--target", str(tmp_path / "target"), "--python-version"]
    assert cmd[7:9] == ["3.11", "--upgrade"]
    assert [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--platform"] == list(PIP_PLATFORMS)
    assert {"--implementation", "cp", "--only-binary=:all:", "--no-deps"} <= set(cmd)
    assert cmd[-3:] == ["--extra-index-url", "https://mirror.example/simple", "tinyreq"]
    assert requirements.excluded == ["bigpkg", "torch"]


def test_dependencies_are_collected_however_they_are_written(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {
            "shared.py": 'EXTRA = ("tinydep",)\n',
            "forms.py": """
                import runpod_flash as rf
                from runpod_flash import Endpoint, remote, LiveServerless
                from runpod_flash import Endpoint as EP

                from shared import EXTRA

                DEPS = ["bigpkg", "tinyreq"]

                aliased = EP(name="aliased", dependencies=DEPS)
                annotated: Endpoint = Endpoint(name="annotated", dependencies=EXTRA)

                @rf.Endpoint(name="inline", dependencies=["tinyml", "bigpkg"])
                def inline() -> None: ...

                @remote(LiveServerless(name="legacy"), dependencies=["opencv-python-tiny"])
                def legacy() -> None: ...

                @Endpoint(name="computed", dependencies=[f"pkg{1}"])
                def computed() -> None: ...
                """,
        },
    )

    requirements = collect_requirements(load_app(root))

    assert requirements.install == ["bigpkg", "tinyreq", "tinydep", "tinyml", "opencv-python-tiny"]
    assert len(requirements.warnings) == 1
    assert "forms.py:18" in requirements.warnings[0] and "not all known" in requirements.warnings[0]


def test_size_report_lists_files_and_distributions(tmp_path: Path) -> None:
    root = write_app(
        tmp_path / "app",
        {"worker.py": WORKER.format(deps=["tinyreq"]), "data/weights.bin": b"\0" * 5000},
    )

    result = build(root, BuildOptions())
    report = SizeReport.model_validate_json(Path(result.size_report_path).read_text())

    files = {f.path: f.bytes for f in report.files}
    assert files["data/weights.bin"] == 5000
    assert set(files) == {"data/weights.bin", "pyproject.toml", "worker.py"}
    by_name = {d.name: d for d in report.distributions}
    assert set(by_name) == {"runpod-flash", "tinydep", "tinyreq"}
    assert by_name["tinyreq"].version == "2.1.0" and by_name["tinyreq"].requires == ["tinydep"]
    assert by_name["runpod-flash"].bytes > 100_000 and not by_name["runpod-flash"].excluded
    assert report.total_bytes == sum(files.values()) + sum(d.bytes for d in report.distributions)
    assert report.archive_bytes == result.size_bytes
    assert report.python_version == "3.12"
    assert report.platform == native_platform() and report.exclusions == []
    assert by_name["tinyreq"].tops is not None and "tinyreq" in by_name["tinyreq"].tops
    assert json.loads(Path(result.size_report_path).read_text())["version"] == 1
