"""The artifact size estimate: shipped files, declared dependencies and the size providers."""

from __future__ import annotations

import concurrent.futures
import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from apps import load_app, sparse, write_app

from flash_ls.platform import BYTES_PER_MB
from flash_ls.project import sizes
from flash_ls.project.app import App
from flash_ls.project.sizes import (
    SOURCE_ENVIRONMENT,
    SOURCE_INDEX,
    SOURCE_REPORT,
    DistributionRequest,
    EnvironmentProvider,
    IndexProvider,
    ProviderChain,
    ReportDistribution,
    ReportFile,
    SizeReport,
    cached_estimate,
    declared_dependencies,
    default_provider,
    estimate_artifact,
    find_site_packages,
    index_url,
    load_size_report,
    shipped_files,
    start_size_lookups,
    write_size_report,
)

MB = BYTES_PER_MB


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    sizes.clear_caches()
    yield
    sizes.clear_caches()


def make_venv(
    root: Path,
    dists: dict[str, tuple[str, int, list[str]]],
    *,
    name: str = ".venv",
    python: str = "3.12",
) -> Path:
    """A virtualenv layout with one dist-info per distribution: (version, bytes, Requires-Dist)."""
    venv = root / name
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "bin" / "python").write_text("")
    site = venv / "lib" / f"python{python}" / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    for dist, (version, size, requires) in dists.items():
        folder = dist.replace("-", "_")
        info = site / f"{folder}-{version}.dist-info"
        info.mkdir()
        metadata = [f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}"]
        metadata += [f"Requires-Dist: {r}" for r in requires]
        (info / "METADATA").write_text("\n".join(metadata) + "\n\nLong description.\n")
        record = (
            f"{folder}/__init__.py,sha256=abc,{{:012d}}\n"
            f"{folder}/__pycache__/__init__.cpython-312.pyc,sha256=def,5000\n"
            f"{folder}-{version}.dist-info/METADATA,sha256=ghi,100\n"
            f"{folder}-{version}.dist-info/RECORD,,\n"
        )
        # RECORD lists itself without a size (it is stat'ed): make the total exactly ``size``.
        width = len(record.format(0))
        (info / "RECORD").write_text(record.format(size - 100 - width))
    return site


WORKER = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="worker", gpu=GpuGroup.ADA_24, dependencies=["transformers", "pillow"])
async def run(prompt: str):
    import transformers
    return prompt
"""


# -- shipped files ------------------------------------------------------------------------------


def test_shipped_files_follow_the_ignore_rules_and_use_stat_sizes(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "worker.py": WORKER,
            "README.md": "# app\n",
            "NOTES.md": "notes\n",
            "tests/test_worker.py": "",
            ".gitignore": "data/\n",
            "data/train.csv": "a,b\n",
        },
    )
    sparse(tmp_path / "models" / "weights.bin", 60 * MB)
    files = {f.rel: f.bytes for f in shipped_files(load_app(tmp_path))}
    assert set(files) == {"README.md", "models/weights.bin", "pyproject.toml", "worker.py"}
    assert files["models/weights.bin"] == 60 * MB
    assert files["worker.py"] == (tmp_path / "worker.py").stat().st_size


def test_shipped_files_see_new_files_and_editor_buffers(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    assert [f.rel for f in shipped_files(load_app(tmp_path))] == ["pyproject.toml", "worker.py"]
    sparse(tmp_path / "big.bin", 2 * MB)
    app = load_app(tmp_path)
    assert [f.rel for f in shipped_files(app)] == ["big.bin", "pyproject.toml", "worker.py"]

    from flash_ls.project.workspace import Workspace

    workspace = Workspace([tmp_path])
    workspace.update(tmp_path / "worker.py", "x = 1\n")
    workspace.update(tmp_path / "unsaved.py", "y = 2\n")
    by_rel = {f.rel: f.bytes for f in shipped_files(workspace.app(tmp_path))}
    assert by_rel["worker.py"] == 6 and by_rel["unsaved.py"] == 6


# -- declared dependencies ----------------------------------------------------------------------


def test_declared_dependencies_as_the_build_collects_them(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "requirements.txt": "# pinned\nnumpy==1.26.4\n-r other.txt\nnot valid!!\n",
            "worker.py": WORKER,
            "more.py": """
            from runpod_flash import Endpoint
            from runpod_flash import Endpoint as EP

            DEPS = ["scipy"]
            api = Endpoint(name="api", cpu="cpu3c-1-2", dependencies=["fastapi>=0.110", 42])
            aliased = EP(name="b", dependencies=["not-collected-alias"])
            annotated: Endpoint = Endpoint(name="c", dependencies=["not-collected-annotated"])
            by_name = Endpoint(name="d", dependencies=DEPS)
            as_tuple = Endpoint(name="e", dependencies=("not-collected-tuple",))

            @api.get("/x")
            def x(): ...
            """,
            "tests/ignored.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="t", dependencies=["not-shipped"])
            def t(): ...
            """,
        },
    )
    found = declared_dependencies(load_app(tmp_path))
    assert [d.raw for d in found] == [
        "numpy==1.26.4",
        "not valid!!",
        "fastapi>=0.110",
        "transformers",
        "pillow",
    ]
    assert [d.name for d in found] == ["numpy", None, "fastapi", "transformers", "pillow"]
    fastapi = found[2]
    assert fastapi.path == tmp_path / "more.py"
    assert (fastapi.span.start_line, fastapi.span.start_col) == (4, 58)
    assert found[0].path == tmp_path / "requirements.txt" and found[0].span.start_line == 1


# -- the size report ----------------------------------------------------------------------------


def report(distributions: list[ReportDistribution], requirements: list[str] | None) -> SizeReport:
    return SizeReport(
        generated_at=datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc),
        python_version="3.12",
        files=[ReportFile(path="worker.py", bytes=300)],
        distributions=distributions,
        total_bytes=sum(d.bytes for d in distributions if not d.excluded) + 300,
        requirements=requirements,
    )


def test_size_report_schema_round_trips(tmp_path: Path) -> None:
    written = report(
        [ReportDistribution(name="Pillow", version="10.3.0", bytes=12 * MB, requires=[])],
        ["pillow"],
    )
    path = write_size_report(tmp_path, written)
    assert path == tmp_path / ".flash" / "size-report.json"
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["generated_at"] == "2026-03-01T12:00:00Z"
    assert data["distributions"][0] == {
        "name": "Pillow",
        "version": "10.3.0",
        "bytes": 12 * MB,
        "excluded": False,
        "requires": [],
    }
    assert load_size_report(tmp_path) == (written, None)


def test_invalid_size_report_is_ignored_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / ".flash").mkdir()
    (tmp_path / ".flash" / "size-report.json").write_text('{"version": 2}')
    found, problem = load_size_report(tmp_path)
    assert found is None
    assert problem == ".flash/size-report.json is not a valid size report (4 problems); rebuild"


def test_unreadable_size_report_is_ignored_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / ".flash" / "size-report.json").mkdir(parents=True)
    assert load_size_report(tmp_path) == (
        None,
        ".flash/size-report.json cannot be read: Is a directory",
    )


def test_report_models_are_imported_on_first_use() -> None:
    from flash_ls.project import size_report

    assert sizes.SizeReport is size_report.SizeReport
    assert sizes.ReportFile is size_report.ReportFile
    assert sizes.ReportDistribution is size_report.ReportDistribution
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        sizes.Nope  # type: ignore[attr-defined]  # noqa: B018


SIZE_IMPORTS = """
import sys
from pathlib import Path
from flash_ls.project.sizes import load_size_report
before = "pydantic" in sys.modules
report, problem = load_size_report(Path(sys.argv[1]))
print(before, "pydantic" in sys.modules, report is not None, problem)
"""


@pytest.mark.parametrize("with_report", [False, True])
def test_pydantic_only_with_a_size_report(tmp_path: Path, with_report: bool) -> None:
    if with_report:
        write_size_report(tmp_path, report([], ["pillow"]))
    args = [sys.executable, "-c", SIZE_IMPORTS, str(tmp_path)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", str(with_report), str(with_report), "None"]


def test_a_current_report_counts_every_installed_distribution(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    dists = [
        ReportDistribution(
            name="transformers", version="4.40.0", bytes=40 * MB, requires=["tokenizers", "numpy"]
        ),
        ReportDistribution(name="tokenizers", version="0.19.1", bytes=10 * MB, requires=[]),
        ReportDistribution(name="numpy", version="1.26.4", bytes=60 * MB, requires=[]),
        ReportDistribution(name="pillow", version="10.3.0", bytes=12 * MB),
        ReportDistribution(name="triton", version="3.0.0", bytes=900 * MB, excluded=True),
        ReportDistribution(name="my-extra", version="1.0", bytes=5 * MB, excluded=True),
        ReportDistribution(name="orphan", version="1.0", bytes=1 * MB),
    ]
    write_size_report(tmp_path, report(dists, ["transformers", "pillow"]))
    app = load_app(tmp_path)
    estimate = estimate_artifact(app)
    assert estimate.deps_bytes == (40 + 10 + 60 + 12 + 1) * MB
    assert estimate.total_bytes == estimate.deps_bytes + estimate.files_bytes
    assert estimate.excluded == ["triton", "my-extra"]
    assert estimate.unknown == [] and estimate.complete
    assert {d.source for d in estimate.deps} == {SOURCE_REPORT}
    transformers = estimate.contribution_for("transformers")
    assert transformers is not None
    assert (transformers.bytes, transformers.dependencies) == (110 * MB, 2)
    orphan = next(d for d in estimate.deps if d.name == "orphan")
    assert orphan.required_by is None


def test_a_stale_report_only_sizes_what_is_still_required(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    dists = [
        ReportDistribution(name="transformers", version="4.40.0", bytes=40 * MB),
        ReportDistribution(name="diffusers", version="0.27.0", bytes=30 * MB),
    ]
    write_size_report(tmp_path, report(dists, ["transformers", "diffusers"]))
    estimate = estimate_artifact(load_app(tmp_path))
    assert [(d.name, d.bytes) for d in estimate.deps] == [
        ("transformers", 40 * MB),
        ("pillow", None),
    ]
    assert estimate.unknown == ["pillow"]
    assert estimate.partial == ["transformers"]
    assert any(n.startswith("pillow: not in the last build's size report") for n in estimate.notes)


# -- the installed environment ------------------------------------------------------------------


def test_environment_sizes_follow_requires_dist_for_the_linux_target(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    make_venv(
        tmp_path,
        {
            "transformers": (
                "4.40.0",
                40 * MB,
                [
                    "tokenizers>=0.19",
                    'pywin32; sys_platform == "win32"',
                    'accelerate; extra == "torch"',
                    'tomli; python_version < "3.11"',
                ],
            ),
            "tokenizers": ("0.19.1", 10 * MB, ["huggingface-hub[cli]"]),
            "huggingface-hub": ("0.23.0", 2 * MB, ['inquirerpy; extra == "cli"']),
            "inquirerpy": ("0.3.4", 1 * MB, []),
            "pillow": ("10.3.0", 12 * MB, []),
            "pywin32": ("306", 50 * MB, []),
            "accelerate": ("0.30.0", 50 * MB, []),
            "tomli": ("2.0.1", 50 * MB, []),
        },
    )
    estimate = estimate_artifact(load_app(tmp_path))
    assert [(d.name, d.bytes, d.required_by) for d in estimate.deps] == [
        ("transformers", 40 * MB, None),
        ("pillow", 12 * MB, None),
        ("tokenizers", 10 * MB, "transformers"),
        ("huggingface-hub", 2 * MB, "transformers"),
        ("inquirerpy", 1 * MB, "transformers"),
    ]
    assert all(d.source == SOURCE_ENVIRONMENT for d in estimate.deps)
    assert estimate.complete
    # Bytecode is not shipped: RECORD's .pyc entries are left out.
    assert estimate.deps_bytes == 65 * MB


def test_excluded_packages_are_subtracted_like_the_build_does(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="a", dependencies=["torch>=2.2", "sentence-transformers"])
            def a(): ...

            @Endpoint(name="b", dependencies=["torchaudio~=2.2", "mylib"])
            def b(): ...
            """
        },
    )
    make_venv(
        tmp_path,
        {
            "torch": (
                "2.3.0",
                800 * MB,
                ['nvidia-cudnn-cu12; platform_system == "Linux"', "sympy"],
            ),
            "torchaudio": ("2.3.0", 10 * MB, ["torch"]),
            "sentence-transformers": ("3.0.0", 1 * MB, ["torch>=1.11"]),
            "nvidia-cudnn-cu12": ("9.1.0", 600 * MB, []),
            "sympy": ("1.12", 30 * MB, []),
            "mylib": ("1.0", 3 * MB, []),
        },
    )
    estimate = estimate_artifact(load_app(tmp_path), excluded_packages=["MyLib"])
    # torch>=2.2 and mylib are filtered before pip; sentence-transformers still pulls torch in,
    # which the tarball step drops while its own dependencies stay.
    assert estimate.excluded == ["torch", "torchaudio", "mylib"]
    assert sorted(d.name for d in estimate.deps) == [
        "nvidia-cudnn-cu12",
        "sentence-transformers",
        "sympy",
    ]
    assert estimate.deps_bytes == 631 * MB
    sentence = estimate.contribution_for("sentence-transformers")
    assert sentence is not None and sentence.bytes == 631 * MB


def test_configured_environment_and_pinned_versions(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "pyproject.toml": '[tool.flash-ls]\npython = "envs/prod/bin/python"\n',
            "requirements.txt": "pillow==10.3.0\nnumpy==2.0.0\n",
            "worker.py": "",
        },
    )
    make_venv(
        tmp_path,
        {"pillow": ("10.3.0", 12 * MB, []), "numpy": ("1.26.4", 60 * MB, [])},
        name="envs/prod",
    )
    make_venv(tmp_path, {"pillow": ("9.0.0", 99 * MB, [])})  # .venv is not the configured one
    app = load_app(tmp_path)
    sites, label = find_site_packages(app)
    assert sites == [tmp_path / "envs/prod/lib/python3.12/site-packages"]
    assert "envs/prod/bin/python" in label
    estimate = estimate_artifact(app)
    assert [(d.name, d.bytes) for d in estimate.deps] == [("pillow", 12 * MB), ("numpy", None)]
    assert any("has 1.26.4, the app pins 2.0.0" in note for note in estimate.notes)


def test_site_packages_is_listed_once_per_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = make_venv(tmp_path, {"pillow": ("10.3.0", 12 * MB, [])})
    scans: list[Path] = []
    real_scandir = sizes.os.scandir

    def counting(path: Path) -> Iterator[os.DirEntry[str]]:
        scans.append(path)
        return real_scandir(path)

    monkeypatch.setattr(sizes.os, "scandir", counting)
    provider = EnvironmentProvider([site])
    for _ in range(3):
        found = provider.lookup([DistributionRequest("pillow", direct=True)]).found
        assert found["pillow"].bytes == 12 * MB
    assert scans == [site]


# -- the package index --------------------------------------------------------------------------


def wheel_page(
    name: str, version: str, files: list[tuple[str, int]], **releases: list[tuple[str, int]]
) -> dict[str, object]:
    def entries(items: list[tuple[str, int]]) -> list[dict[str, object]]:
        return [{"filename": f, "size": s, "yanked": False} for f, s in items]

    page: dict[str, object] = {"info": {"name": name, "version": version}, "urls": entries(files)}
    if releases:
        page["releases"] = {v.replace("_", "."): entries(items) for v, items in releases.items()}
    return page


class Index:
    """A loopback package index: JSON pages by path, the paths asked, an optional delay.

    ``raw`` answers a path with a status and body of its own; with ``gate`` set, every answer waits
    until the gate opens (``in_flight``/``most_in_flight`` count the requests waiting meanwhile).
    """

    def __init__(self) -> None:
        self.pages: dict[str, dict[str, object]] = {}
        self.raw: dict[str, tuple[int, bytes]] = {}
        self.requests: list[str] = []
        self.delay = 0.0
        self.url = ""
        self.gate: threading.Event | None = None
        self.content_encoding: str | None = None  # sent as is; "gzip" also compresses
        self.compress = False
        self.in_flight = 0
        self.most_in_flight = 0
        self.answered = 0
        self.changed = threading.Condition()

    def wait_for_requests(self, count: int) -> bool:
        """Whether ``count`` requests arrived (a generous safety timeout, not a measurement)."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.requests) >= count, timeout=30.0)


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Index]:
    state = Index()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.changed:
                state.requests.append(self.path)
                state.in_flight += 1
                state.most_in_flight = max(state.most_in_flight, state.in_flight)
                state.changed.notify_all()
            try:
                if state.gate is not None:
                    state.gate.wait(timeout=30.0)
                self.answer()
            finally:
                with state.changed:
                    state.in_flight -= 1
                    state.answered += 1

        def answer(self) -> None:
            if state.delay:
                time.sleep(state.delay)
            status, body = state.raw.get(self.path, (0, b""))
            page = state.pages.get(self.path)
            if not status and page is None:
                self.send_response(404)
                self.end_headers()
                return
            if not status:
                status, body = 200, json.dumps(page).encode()
            if state.compress:
                body = gzip.compress(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if state.content_encoding:
                self.send_header("Content-Encoding", state.content_encoding)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (the slow-index test)
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/pypi"
    monkeypatch.setenv("FLASH_LS_PYPI_URL", state.url)
    monkeypatch.setenv("FLASH_LS_CACHE_DIR", str(tmp_path / "cache"))
    yield state
    server.shutdown()
    server.server_close()


TRANSFORMERS = wheel_page(
    "transformers",
    "4.40.0",
    [("transformers-4.40.0-py3-none-any.whl", 9 * MB), ("transformers-4.40.0.tar.gz", 8 * MB)],
)
PILLOW = wheel_page(
    "pillow",
    "10.3.0",
    [
        ("pillow-10.3.0-cp312-cp312-macosx_11_0_arm64.whl", 3 * MB),
        ("pillow-10.3.0-cp311-cp311-manylinux_2_28_x86_64.whl", 5 * MB),
        ("pillow-10.3.0-cp312-cp312-manylinux_2_28_aarch64.whl", 6 * MB),
        ("pillow-10.3.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 7 * MB),
        ("pillow-10.3.0-cp312-cp312-musllinux_1_1_x86_64.whl", 8 * MB),
        ("pillow-10.3.0.tar.gz", 40 * MB),
    ],
)


def test_index_sizes_the_wheel_pip_would_pick(tmp_path: Path, index: Index) -> None:
    index.pages["/pypi/transformers/json"] = TRANSFORMERS
    index.pages["/pypi/pillow/json"] = PILLOW
    write_app(tmp_path, {"worker.py": WORKER})
    estimate = estimate_artifact(load_app(tmp_path))
    assert [(d.name, d.bytes, d.source, d.version) for d in estimate.deps] == [
        ("transformers", 9 * MB, SOURCE_INDEX, "4.40.0"),
        ("pillow", 7 * MB, SOURCE_INDEX, "10.3.0"),
    ]
    # The index gives no dependency tree: the estimate says it is partial.
    assert estimate.partial == ["transformers", "pillow"] and not estimate.complete
    assert any("direct requirements only" in note for note in estimate.notes)
    assert sorted(index.requests) == ["/pypi/pillow/json", "/pypi/transformers/json"]


def test_index_answers_are_cached_on_disk(tmp_path: Path, index: Index) -> None:
    index.pages["/pypi/pillow/json"] = PILLOW
    write_app(tmp_path, {"requirements.txt": "pillow\n", "worker.py": ""})
    first = estimate_artifact(load_app(tmp_path))
    assert first.deps_bytes == 7 * MB, first.notes
    sizes.clear_caches()  # a new process: only the disk cache is left
    index.pages.clear()
    assert estimate_artifact(load_app(tmp_path)).deps_bytes == 7 * MB
    assert index.requests == ["/pypi/pillow/json"]
    assert list((tmp_path / "cache").rglob("*.json"))


def test_index_pins_ranges_and_the_python_target(tmp_path: Path, index: Index) -> None:
    index.pages["/pypi/numpy/1.26.4/json"] = wheel_page(
        "numpy",
        "1.26.4",
        [
            ("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 18 * MB),
            ("numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 17 * MB),
        ],
    )
    index.pages["/pypi/scipy/json"] = wheel_page(
        "scipy",
        "1.14.0",
        [("scipy-1.14.0-cp311-cp311-manylinux_2_17_x86_64.whl", 40 * MB)],
        **{
            "1_13_1": [("scipy-1.13.1-cp311-cp311-manylinux_2_17_x86_64.whl", 38 * MB)],
            "1_14_0": [("scipy-1.14.0-cp311-cp311-manylinux_2_17_x86_64.whl", 40 * MB)],
            "2_0_0rc1": [("scipy-2.0.0rc1-cp311-cp311-manylinux_2_17_x86_64.whl", 1 * MB)],
        },
    )
    index.pages["/pypi/onlysdist/json"] = wheel_page(
        "onlysdist", "1.0", [("onlysdist-1.0.tar.gz", MB)]
    )
    write_app(
        tmp_path,
        {
            "requirements.txt": "numpy==1.26.4\nscipy<1.14\nonlysdist\nmissing-pkg\n",
            "worker.py": """
            from runpod_flash import LiveServerless, remote

            gpu = LiveServerless(name="w", python_version="3.11")

            @remote(gpu)
            def w(): ...
            """,
        },
    )
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.python_version == "3.11"
    assert [(d.name, d.bytes, d.version) for d in estimate.deps] == [
        ("numpy", 18 * MB, "1.26.4"),
        ("scipy", 38 * MB, "1.13.1"),
        ("onlysdist", None, None),
        ("missing-pkg", None, None),
    ]
    assert estimate.unknown == ["onlysdist", "missing-pkg"]
    notes = "\n".join(estimate.notes)
    assert "has no wheel for CPython 3.11 on manylinux x86_64" in notes
    assert "missing-pkg is not on the package index" in notes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_offline_means_unknown_never_a_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLASH_LS_PYPI_URL", f"http://127.0.0.1:{free_port()}/pypi")
    monkeypatch.setenv("FLASH_LS_CACHE_DIR", str(tmp_path / "cache"))
    write_app(tmp_path / "app", {"worker.py": WORKER})
    estimate = estimate_artifact(load_app(tmp_path / "app"))
    assert estimate.unknown == ["transformers", "pillow"]
    assert estimate.deps_bytes == 0
    assert any("unreachable" in note for note in estimate.notes)
    # Said once per minute, not retried on every check.
    started = time.monotonic()
    estimate_artifact(load_app(tmp_path / "app"))
    assert time.monotonic() - started < 0.5


def test_a_slow_index_never_blocks_longer_than_the_timeout(index: Index) -> None:
    index.pages["/pypi/pillow/json"] = PILLOW
    index.pages["/pypi/numpy/json"] = PILLOW
    index.delay = 1.5
    provider = IndexProvider(index.url, "3.12", cache_dir=None, timeout=0.3)
    started = time.monotonic()
    result = provider.lookup(
        [DistributionRequest("pillow", direct=True), DistributionRequest("numpy", direct=True)]
    )
    assert time.monotonic() - started < 1.0
    assert result.found == {}
    assert set(result.notes) == {"pillow", "numpy"}


def test_index_url_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLASH_LS_PYPI_URL")
    assert index_url({}) == "https://pypi.org/pypi"
    assert index_url({"FLASH_LS_PYPI_URL": "off"}) is None
    assert index_url({"FLASH_LS_PYPI_URL": ""}) is None
    assert index_url({"FLASH_LS_PYPI_URL": "http://127.0.0.1:1/pypi/"}) == "http://127.0.0.1:1/pypi"


def test_providers_are_tried_in_order(tmp_path: Path, index: Index) -> None:
    index.pages["/pypi/pillow/json"] = PILLOW
    index.pages["/pypi/transformers/json"] = TRANSFORMERS
    write_app(tmp_path, {"worker.py": WORKER})
    make_venv(tmp_path, {"transformers": ("4.40.0", 40 * MB, [])})
    write_size_report(
        tmp_path,
        report([ReportDistribution(name="transformers", version="4.40.0", bytes=41 * MB)], None),
    )
    app = load_app(tmp_path)
    chain = default_provider(app)
    assert isinstance(chain, ProviderChain) and len(chain.providers) == 3
    estimate = estimate_artifact(app, chain)
    # Size from the report, dependencies (none) from the environment, pillow from the index.
    assert [(d.name, d.bytes, d.source) for d in estimate.deps] == [
        ("transformers", 41 * MB, SOURCE_REPORT),
        ("pillow", 7 * MB, SOURCE_INDEX),
    ]
    assert estimate.partial == ["pillow"]
    assert index.requests == ["/pypi/pillow/json"]


def test_describe_lists_the_breakdown(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    sparse(tmp_path / "weights.bin", 70 * MB)
    make_venv(
        tmp_path,
        {"transformers": ("4.40.0", 40 * MB, ["tokenizers"]), "tokenizers": ("0.19", 10 * MB, [])},
    )
    text = "\n".join(estimate_artifact(load_app(tmp_path)).describe(1500))
    assert "Estimated artifact: at least 120.0 MB of the 1500 MB limit" in text
    assert "transformers: 50.0 MB with 1 dependency" in text
    assert "weights.bin: 70.0 MB" in text
    assert "unknown size: pillow" in text
    assert "pillow: not installed in the app's .venv" in text


# -- lookups across apps: started early, deduplicated, concurrent -------------------------------


def small_page(name: str, version: str, size: int) -> dict[str, object]:
    return wheel_page(name, version, [(f"{name}-{version}-py3-none-any.whl", size)])


def requirements_app(root: Path, requirements: str) -> App:
    write_app(root, {"requirements.txt": requirements, "worker.py": WORKER_NO_DEPS})
    return load_app(root)


WORKER_NO_DEPS = """
from runpod_flash import Endpoint

@Endpoint(name="w", cpu="cpu3c-1-2")
def w(): ...
"""


def wait_for_lookups() -> None:
    """Until every index request under way has landed (a safety timeout, not a measurement)."""
    with sizes._LOCK:
        futures = [fetch.future for fetch in sizes._FETCHES.values()]
    concurrent.futures.wait(futures, timeout=30.0)


@pytest.mark.parametrize("gated", [True, False], ids=["under-way", "answered"])
def test_each_distribution_is_asked_once_across_apps(
    tmp_path: Path, index: Index, gated: bool
) -> None:
    index.pages["/pypi/pillow/json"] = PILLOW
    index.pages["/pypi/transformers/json"] = TRANSFORMERS
    index.pages["/pypi/numpy/1.26.4/json"] = small_page("numpy", "1.26.4", 17 * MB)
    apps = [
        requirements_app(tmp_path / "a", "pillow\ntransformers\n"),
        requirements_app(tmp_path / "b", "Pillow>=10.0.0\nnumpy==1.26.4\n"),
        requirements_app(tmp_path / "c", "transformers\npillow\nnumpy==1.26.4\n"),
    ]
    gate = index.gate = threading.Event() if gated else None
    for app in apps:
        assert start_size_lookups(app) is app
    if gate is not None:
        # The requests of all three apps are under way together, before any answer.
        assert index.wait_for_requests(3)
        assert index.most_in_flight == 3 and index.answered == 0
        gate.set()
    estimates = [cached_estimate(app) for app in apps]
    assert sorted(index.requests) == [
        "/pypi/numpy/1.26.4/json",
        "/pypi/pillow/json",
        "/pypi/transformers/json",
    ]
    assert [e.deps_bytes for e in estimates] == [16 * MB, 24 * MB, 33 * MB]
    assert all(d.source == SOURCE_INDEX for e in estimates for d in e.deps)


def test_lookups_of_several_apps_take_one_round_trip(
    tmp_path: Path, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All apps' lookups are in flight at once: one round trip for the check, not one per app."""
    monkeypatch.setattr(sizes, "_FETCH_TIMEOUT", 30.0)
    names = ["alpha", "beta", "gamma", "delta"]
    for number, name in enumerate(names, 1):
        index.pages[f"/pypi/{name}/json"] = small_page(name, "1.0", number * MB)
    apps = [requirements_app(tmp_path / name, f"{name}\n") for name in names]
    index.gate = threading.Event()
    for app in apps:
        start_size_lookups(app)  # returns at once: nothing is answered yet
    assert index.wait_for_requests(len(names))
    assert index.most_in_flight == len(names)
    assert index.answered == 0
    index.gate.set()
    sized = [cached_estimate(app).deps_bytes for app in apps]
    assert sized == [1 * MB, 2 * MB, 3 * MB, 4 * MB]
    assert len(index.requests) == len(names)  # the estimates waited for the same requests


def test_start_size_lookups_skips_what_other_providers_know(tmp_path: Path, index: Index) -> None:
    index.pages["/pypi/pillow/json"] = PILLOW
    write_app(tmp_path / "app", {"worker.py": WORKER})
    make_venv(tmp_path / "app", {"transformers": ("4.40.0", 40 * MB, [])})
    app = load_app(tmp_path / "app")
    start_size_lookups(app)
    wait_for_lookups()
    assert index.requests == ["/pypi/pillow/json"]
    assert cached_estimate(app).deps_bytes == 47 * MB
    assert index.requests == ["/pypi/pillow/json"]
    # Not a Flash app, or lookups off: nothing is asked.
    write_app(tmp_path / "plain", {"requirements.txt": "numpy\n", "main.py": "print(1)\n"})
    start_size_lookups(load_app(tmp_path / "plain"))
    wait_for_lookups()
    assert index.requests == ["/pypi/pillow/json"]


def test_the_server_never_waits_and_knows_the_size_at_the_next_check(
    tmp_path: Path, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sizes, "_index_wait", 0.0)  # what set_index_wait(0) does in the server
    index.pages["/pypi/pillow/json"] = PILLOW
    index.gate = threading.Event()
    root = tmp_path / "app"
    first = estimate_artifact(requirements_app(root, "pillow\n"))  # returns: the gate is shut
    assert first.unknown == ["pillow"]
    assert any("being looked up" in note for note in first.notes)
    index.gate.set()
    wait_for_lookups()
    second = estimate_artifact(load_app(root))
    assert second.deps_bytes == 7 * MB and second.unknown == []
    assert index.requests == ["/pypi/pillow/json"]


@pytest.mark.parametrize(
    ("raw", "note"),
    [
        ((500, b"oops"), "the package index answered HTTP 500"),
        ((200, b"<html>not json</html>"), "unexpected package index answer"),
        ((200, b"[1, 2]"), "unexpected package index answer"),
        (
            (200, b'{"info": {"version": "1.0"}, "releases": {"1.0": []}, "urls": 7}'),
            "has no wheel",
        ),
    ],
)
def test_index_errors_are_notes_not_crashes(
    tmp_path: Path, index: Index, raw: tuple[int, bytes], note: str
) -> None:
    index.raw["/pypi/pillow/json"] = raw
    estimate = estimate_artifact(requirements_app(tmp_path / "app", "pillow\n"))
    assert estimate.unknown == ["pillow"]
    assert any(note in n for n in estimate.notes), estimate.notes


def test_compressed_answers(tmp_path: Path, index: Index) -> None:
    index.pages["/pypi/pillow/json"] = PILLOW
    index.content_encoding = "gzip"
    index.compress = True
    assert estimate_artifact(requirements_app(tmp_path / "a", "pillow\n")).deps_bytes == 7 * MB
    sizes.clear_caches()
    index.compress = False  # says gzip, is not
    estimate = estimate_artifact(requirements_app(tmp_path / "b", "pillow>=9\n"))
    assert estimate.unknown == ["pillow"]
    assert any("unexpected package index answer: broken compressed" in n for n in estimate.notes)


def pypi_layout(name: str, latest: str, releases: dict[str, int]) -> dict[str, object]:
    """A page laid out as PyPI writes it: info, releases, urls, then more members."""

    def files(version: str, size: int) -> list[dict[str, object]]:
        return [
            {"filename": f"{name}-{version}-py3-none-any.whl", "size": size, "yanked": False},
            {"filename": f"{name}-{version}.tar.gz", "size": 1, "yanked": False},
        ]

    return {
        "info": {"name": name, "version": latest, "description": '"releases": "urls": {[}]'},
        "last_serial": 1,
        "releases": {v: files(v, s) for v, s in releases.items()},
        "urls": files(latest, releases[latest]),
        "vulnerabilities": [],
        "ownership": {"roles": []},
    }


def test_a_page_is_read_without_its_releases_until_a_specifier_needs_them(
    tmp_path: Path, index: Index
) -> None:
    index.pages["/pypi/scipy/json"] = pypi_layout(
        "scipy", "1.14.0", {"1.13.1": 38 * MB, "1.14.0": 40 * MB}
    )
    latest = estimate_artifact(requirements_app(tmp_path / "a", "scipy>=1.11\n"))
    assert [(d.version, d.bytes) for d in latest.deps] == [("1.14.0", 40 * MB)]
    older = estimate_artifact(requirements_app(tmp_path / "b", "scipy<1.14\n"))
    assert [(d.version, d.bytes) for d in older.deps] == [("1.13.1", 38 * MB)]
    # The first answer was read without its releases: the second specifier needed a new one.
    assert index.requests == ["/pypi/scipy/json", "/pypi/scipy/json"]


def test_specifiers_known_before_the_answer_share_one_request(tmp_path: Path, index: Index) -> None:
    index.pages["/pypi/scipy/json"] = pypi_layout(
        "scipy", "1.14.0", {"1.13.1": 38 * MB, "1.14.0": 40 * MB}
    )
    apps = [
        requirements_app(tmp_path / "a", "scipy>=1.11\n"),
        requirements_app(tmp_path / "b", "scipy<1.14\n"),
    ]
    index.gate = threading.Event()
    for app in apps:
        start_size_lookups(app)
    assert index.wait_for_requests(1)
    index.gate.set()
    assert [cached_estimate(app).deps_bytes for app in apps] == [40 * MB, 38 * MB]
    assert index.requests == ["/pypi/scipy/json"]


def test_reading_a_page_without_its_releases_matches_reading_it_all() -> None:
    page = pypi_layout("scipy", "1.14.0", {"1.13.1": 38 * MB, "1.14.0": 40 * MB})
    text = json.dumps(page)
    partial = sizes._without_releases(text)
    assert partial is not None and "releases" not in partial
    assert partial == {k: v for k, v in json.loads(text).items() if k != "releases"}
    # Layouts it does not recognise are left to the full decoder.
    assert sizes._without_releases(json.dumps({"info": {}, "urls": [], "releases": {}})) is None
    assert sizes._without_releases(json.dumps({"info": {}, "urls": []})) is None
    nested = {"info": {"releases": {}}, "urls": [], "releases": {"1": [{"urls": []}]}}
    assert sizes._without_releases(json.dumps(nested)) is None
    escaped = {"info": {}, 'x\\"releases': 1, "releases": {}, "urls": []}
    assert sizes._without_releases(json.dumps(escaped)) is None


# -- memoised estimates -------------------------------------------------------------------------


def count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(owner, name)

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, counting)
    return calls


DEPENDENCIES_WORKER = """
from runpod_flash import Endpoint

@Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["transformers"])
def w(): ...
"""


def test_an_unchanged_app_is_not_estimated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app(tmp_path, {"worker.py": DEPENDENCIES_WORKER, "requirements.txt": "pillow\n"})
    make_venv(
        tmp_path,
        {
            "transformers": ("4.40.0", 40 * MB, ["tokenizers"]),
            "tokenizers": ("0.19.1", 10 * MB, []),
            "pillow": ("10.3.0", 12 * MB, []),
        },
    )
    lookups = count_calls(monkeypatch, EnvironmentProvider, "lookup")
    first = estimate_artifact(load_app(tmp_path))
    assert first.deps_bytes == 62 * MB and lookups
    asked = len(lookups)
    # A new App (an edit elsewhere, a new check) with the same inputs: no provider is asked.
    second = estimate_artifact(load_app(tmp_path))
    assert len(lookups) == asked
    assert second == first
    # The same App object: the very same estimate.
    app = load_app(tmp_path)
    assert cached_estimate(app) is cached_estimate(app)
    assert len(lookups) == asked


def test_an_edit_moving_the_dependencies_keeps_the_estimate_but_moves_its_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flash_ls.project.workspace import Workspace

    write_app(tmp_path, {"worker.py": DEPENDENCIES_WORKER})
    make_venv(tmp_path, {"transformers": ("4.40.0", 40 * MB, [])})
    workspace = Workspace([tmp_path])
    before = cached_estimate(workspace.app(tmp_path))
    runs = count_calls(monkeypatch, sizes._Resolver, "run")
    edited = "# a comment\n\n" + (tmp_path / "worker.py").read_text()
    workspace.update(tmp_path / "worker.py", edited)
    after = cached_estimate(workspace.app(tmp_path))
    assert runs == []
    assert after.deps_bytes == before.deps_bytes == 40 * MB
    assert after.files_bytes == before.files_bytes + len("# a comment\n\n")
    [contribution] = after.contributions
    assert (
        contribution.declared.span.start_line
        == before.contributions[0].declared.span.start_line + 2
    )


def test_changed_inputs_change_the_estimate(tmp_path: Path) -> None:
    write_app(tmp_path, {"worker.py": WORKER_NO_DEPS, "requirements.txt": "pillow\n"})
    make_venv(tmp_path, {"pillow": ("10.3.0", 12 * MB, [])})
    assert estimate_artifact(load_app(tmp_path)).deps_bytes == 12 * MB

    # The requirements.
    (tmp_path / "requirements.txt").write_text("pillow\nnumpy\n")
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.deps_bytes == 12 * MB and estimate.unknown == ["numpy"]

    # The environment: a distribution installed.
    make_venv(tmp_path, {"numpy": ("1.26.4", 60 * MB, [])})
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.deps_bytes == 72 * MB and estimate.unknown == []

    # The excluded packages.
    assert estimate_artifact(load_app(tmp_path), excluded_packages=["numpy"]).deps_bytes == 12 * MB
    assert estimate_artifact(load_app(tmp_path)).deps_bytes == 72 * MB

    # The size report.
    dists = [
        ReportDistribution(name="pillow", version="10.3.0", bytes=13 * MB),
        ReportDistribution(name="numpy", version="1.26.4", bytes=61 * MB),
    ]
    write_size_report(tmp_path, report(dists, ["pillow", "numpy"]))
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.deps_bytes == 74 * MB
    assert {d.source for d in estimate.deps} == {SOURCE_REPORT}

    # The target Python.
    (tmp_path / "worker.py").write_text(
        WORKER_NO_DEPS.replace('cpu="cpu3c-1-2"', 'cpu="cpu3c-1-2", python_version="3.11"')
    )
    estimate = estimate_artifact(load_app(tmp_path))
    assert estimate.python_version == "3.11"
    assert any("Python 3.11" in line for line in estimate.describe())


def test_the_listing_of_an_app_is_made_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_app(tmp_path, {"worker.py": WORKER})
    app = load_app(tmp_path)
    first = shipped_files(app)
    checks = count_calls(monkeypatch, sizes, "_still_valid")
    assert shipped_files(app) == first
    assert estimate_artifact(app).files == first
    assert checks == []
    first.clear()  # callers get their own list
    assert shipped_files(app) != []
