"""The test package index (tests/package_index.py) is a faithful index: the real pip resolves and
installs from it as it would from PyPI, with the flags of ``flash build``.

Five pip runs in all (about a second each): one dry run shared by most tests, the same dry run
against an HTML-only index, a source-only requirement, a real ``--target`` install, and an
``--uploaded-prior-to`` run. The rest asks the index over HTTP directly.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import sys
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from package_index import (
    DEFAULT_UPLOAD_TIME,
    SIMPLE_HTML,
    SIMPLE_JSON,
    Dist,
    PackageIndex,
    PipRun,
    RequestLog,
    build_wheel,
    payload_bytes,
    pip_install,
    record_problems,
)
from packaging.utils import canonicalize_name

from flash_ls.project import sizes

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pip") is None, reason="pip is not installed in this interpreter"
)

TARGET = "3.12"  # --python-version of every pip run
HOST = f"{sys.version_info[0]}.{sys.version_info[1]}"  # the interpreter running pip
NEVER = 'sys_platform == "emscripten"'  # false wherever these tests run

DISTS = [
    Dist(
        "App.Lib",  # not normalized: pip asks for /simple/app-lib/
        "1.0",
        requires=[
            "helper>=2",
            "gpu-only",
            "extra-host[fast]",
            "old-upload",
            f"browser-only; {NEVER}",
            f'host-python-dep; python_version == "{HOST}"',
            f'target-python-dep; python_version == "{TARGET}"',
        ],
        payload=300_000,
    ),
    Dist("helper", "1.0"),  # excluded by helper>=2
    Dist("helper", "2.1", payload=50_000),
    Dist("helper", "2.2", yanked="broken upload"),
    Dist("helper", "3.0", requires_python=">=3.13"),
    Dist("gpu-only", "9.28", tags=["cp313-cp313-manylinux_2_28_x86_64"]),  # no cp312 wheel
    Dist(
        "gpu-only",
        "9.5",
        tags=[
            "cp312-cp312-macosx_11_0_arm64",
            "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
            "cp312-cp312-musllinux_1_2_x86_64",
        ],
        sdist=True,
        payload=200_000,
    ),
    Dist("extra-host", "1.0", extras={"fast": ["speedup"], "slow": ["never-installed"]}),
    Dist("speedup", "1.0", tags=["cp312-abi3-manylinux_2_28_x86_64"]),
    Dist("never-installed", "1.0"),
    Dist("old-upload", "1.0", core_metadata=False),  # no PEP 658 file: pip needs the wheel
    Dist("browser-only", "1.0"),
    Dist("host-python-dep", "1.0"),
    Dist("target-python-dep", "1.0"),
    Dist("source-only", "1.0", sdist_only=True),
]

EXPECTED = {
    "app-lib": "1.0",
    "helper": "2.1",
    "gpu-only": "9.5",
    "extra-host": "1.0",
    "speedup": "1.0",
    "old-upload": "1.0",
    "host-python-dep": "1.0",
    **({"target-python-dep": "1.0"} if HOST == TARGET else {}),
}
WHEELS = {
    "app-lib": "app_lib-1.0-py3-none-any.whl",
    "helper": "helper-2.1-py3-none-any.whl",
    "gpu-only": "gpu_only-9.5-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
    "extra-host": "extra_host-1.0-py3-none-any.whl",
    "speedup": "speedup-1.0-cp312-abi3-manylinux_2_28_x86_64.whl",
    "old-upload": "old_upload-1.0-py3-none-any.whl",
    "host-python-dep": "host_python_dep-1.0-py3-none-any.whl",
    "target-python-dep": "target_python_dep-1.0-py3-none-any.whl",
}


@pytest.fixture(scope="module")
def index() -> Iterator[PackageIndex]:
    with PackageIndex(DISTS) as running:
        yield running


@pytest.fixture(scope="module")
def dry_run(
    index: PackageIndex, tmp_path_factory: pytest.TempPathFactory
) -> tuple[PipRun, RequestLog]:
    """One dry run of ``app-lib``, and the requests the index answered meanwhile."""
    tmp = tmp_path_factory.mktemp("dry-run")
    index.clear_requests()
    run = pip_install(index, ["app-lib"], target=tmp / "target", report=tmp / "report.json")
    return run.check(), index.requests


# -- resolution (one dry run) -------------------------------------------------------------------


def test_dry_run_resolves_transitive_dependencies(
    index: PackageIndex, dry_run: tuple[PipRun, RequestLog]
) -> None:
    run, _ = dry_run
    assert run.installed == EXPECTED
    # The pip report lists the wheel the index serves, with the index's hash and metadata.
    assert run.report is not None
    for item in run.report["install"]:
        filename = WHEELS[canonicalize_name(item["metadata"]["name"])]
        served = index.file(filename)
        assert item["download_info"]["url"] == index.file_url(filename)
        assert item["download_info"]["archive_info"]["hashes"] == {"sha256": served.sha256}
        assert item["metadata"].get("requires_dist", []) == served.dist.requires_dist()
    assert not (Path(run.args[run.args.index("--target") + 1])).exists()  # a dry run


def test_a_false_marker_excludes_a_dependency(dry_run: tuple[PipRun, RequestLog]) -> None:
    run, log = dry_run
    assert "browser-only" not in run.installed
    assert "/simple/browser-only/" not in log.paths()  # not even looked up


def test_markers_are_evaluated_for_the_interpreter_running_pip_not_the_target(
    dry_run: tuple[PipRun, RequestLog],
) -> None:
    # pip evaluates environment markers against its own interpreter and platform; only wheel
    # tags and Requires-Python follow --python-version/--platform. (flash build runs pip with the
    # developer's Python, so `python_version`/`sys_platform` markers follow the developer's
    # machine, not the worker's.)
    run, _ = dry_run
    assert "host-python-dep" in run.installed
    assert ("target-python-dep" in run.installed) == (HOST == TARGET)


def test_the_newest_release_without_a_matching_wheel_falls_back_to_an_older_one(
    index: PackageIndex, dry_run: tuple[PipRun, RequestLog]
) -> None:
    run, _ = dry_run
    assert run.installed["gpu-only"] == "9.5"  # 9.28 has a cp313 wheel only
    # Of 9.5's wheels (macOS, manylinux, musllinux) and sdist, the manylinux wheel.
    assert run.urls["gpu-only"] == index.file_url(WHEELS["gpu-only"])


def test_yanked_and_requires_python_excluded_releases_are_skipped(
    dry_run: tuple[PipRun, RequestLog],
) -> None:
    run, log = dry_run
    # 3.0 needs Python >= 3.13 (the target is 3.12), 2.2 is yanked, 1.0 is below helper>=2.
    assert run.installed["helper"] == "2.1"
    assert "helper-3.0-py3-none-any.whl.metadata" not in log.metadata_downloads()


def test_an_extra_brings_its_own_requirements_only(dry_run: tuple[PipRun, RequestLog]) -> None:
    run, _ = dry_run
    assert "speedup" in run.installed  # extra-host[fast]
    assert "never-installed" not in run.installed  # extra-host[slow]


def test_the_dry_run_downloads_metadata_only(dry_run: tuple[PipRun, RequestLog]) -> None:
    _, log = dry_run
    # PEP 658: the .metadata file of every chosen wheel, never the wheel itself ...
    assert sorted(log.metadata_downloads()) == sorted(
        WHEELS[name] for name in EXPECTED if name != "old-upload"
    )
    # ... except the one release without a metadata file, whose wheel pip must download.
    assert log.downloads() == [WHEELS["old-upload"]]
    assert [r for r in log if r.method != "GET"] == []
    # Pages were asked for as JSON (PEP 691) and answered as such.
    pages = [r for r in log if r.path.startswith("/simple/")]
    assert pages and all(r.status == 200 and SIMPLE_JSON in (r.accept or "") for r in pages)


def test_an_html_only_index_resolves_the_same(tmp_path: Path) -> None:
    with PackageIndex(DISTS, json=False) as html_index:
        run = pip_install(
            html_index, ["app-lib"], target=tmp_path / "t", report=tmp_path / "r.json"
        ).check()
        assert run.installed == EXPECTED
        assert run.urls["gpu-only"] == html_index.file_url(WHEELS["gpu-only"])
        # data-core-metadata works as the JSON core-metadata does.
        assert html_index.downloads() == [WHEELS["old-upload"]]
        assert len(html_index.metadata_downloads()) == len(EXPECTED) - 1


# -- other pip runs -----------------------------------------------------------------------------


def test_a_source_only_package_is_refused(index: PackageIndex, tmp_path: Path) -> None:
    index.clear_requests()
    run = pip_install(index, ["source-only"], target=tmp_path / "t", report=tmp_path / "r.json")
    assert run.returncode == 1
    assert "No matching distribution found for source-only" in run.stderr
    assert "(from versions: none)" in run.stderr
    # The index did list the sdist: pip refused it (--only-binary=:all:) without fetching it.
    assert index.requests.paths() == ["/simple/source-only/"]
    _, _, body = index.fetch("/simple/source-only/", headers={"Accept": SIMPLE_JSON})
    assert [f["filename"] for f in json.loads(body)["files"]] == ["source_only-1.0.tar.gz"]


def test_pip_install_target_installs_the_wheels_the_dry_run_chose(
    index: PackageIndex, dry_run: tuple[PipRun, RequestLog], tmp_path: Path
) -> None:
    target = tmp_path / "target"
    index.clear_requests()
    pip_install(index, ["app-lib"], target=target, dry_run=False).check()
    chosen = {url.rsplit("/", 1)[1] for url in dry_run[0].urls.values()}
    assert set(index.downloads()) == chosen
    for filename in chosen:
        served = index.file(filename)
        dist = served.dist
        assert record_problems(target, dist.dist_info) == [], filename
        payload = target / dist.package_dir / "_payload.bin"
        assert payload.read_bytes() == payload_bytes(index.seed, filename, dist.payload)
        assert (target / dist.dist_info / "METADATA").read_bytes() == dist.metadata()
    assert (target / "app_lib" / "_payload.bin").stat().st_size == 300_000


def test_pip_reads_the_upload_time(index: PackageIndex, tmp_path: Path) -> None:
    # helper 1.0 was uploaded on DEFAULT_UPLOAD_TIME, 2.1 a day later.
    cutoff = (DEFAULT_UPLOAD_TIME + timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    run = pip_install(
        index,
        ["helper"],
        target=tmp_path / "t",
        report=tmp_path / "r.json",
        extra_args=["--uploaded-prior-to", cutoff],
    )
    if "no such option: --uploaded-prior-to" in run.stderr:
        pytest.skip("this pip has no --uploaded-prior-to")
    assert run.check().installed == {"helper": "1.0"}


# -- the index over HTTP ------------------------------------------------------------------------


def test_json_pages_carry_the_pep_691_700_658_and_592_fields(index: PackageIndex) -> None:
    status, headers, body = index.fetch("/simple/helper/", headers={"Accept": SIMPLE_JSON})
    assert status == 200 and headers["content-type"] == SIMPLE_JSON
    page = json.loads(body)
    assert page["meta"]["api-version"] == "1.1"
    assert page["name"] == "helper"
    assert page["versions"] == ["1.0", "2.1", "2.2", "3.0"]
    by_name = {f["filename"]: f for f in page["files"]}
    for filename, entry in by_name.items():
        served = index.file(filename)
        assert entry["url"] == index.file_url(filename)
        assert entry["size"] == served.size
        assert entry["hashes"] == {"sha256": served.sha256}
        _, _, metadata = index.fetch(f"/files/{filename}.metadata")
        expected = {"sha256": hashlib.sha256(metadata).hexdigest()}
        assert entry["core-metadata"] == entry["dist-info-metadata"] == expected
    assert by_name["helper-1.0-py3-none-any.whl"]["upload-time"] == "2024-01-01T00:00:00.000000Z"
    assert by_name["helper-2.1-py3-none-any.whl"]["upload-time"] == "2024-01-02T00:00:00.000000Z"
    assert by_name["helper-2.2-py3-none-any.whl"]["yanked"] == "broken upload"
    assert by_name["helper-2.1-py3-none-any.whl"]["yanked"] is False
    assert by_name["helper-3.0-py3-none-any.whl"]["requires-python"] == ">=3.13"
    assert "requires-python" not in by_name["helper-2.1-py3-none-any.whl"]

    _, _, body = index.fetch("/simple/", headers={"Accept": SIMPLE_JSON})
    projects = [p["name"] for p in json.loads(body)["projects"]]
    assert "App.Lib" in projects and "helper" in projects


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, dict[str, str | None]] = {}
        self._attributes: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._attributes = dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._attributes is not None:
            self.links[data] = self._attributes
            self._attributes = None


def test_html_pages_carry_hashes_and_the_data_attributes(index: PackageIndex) -> None:
    status, headers, body = index.fetch("/simple/helper/")  # no Accept: text/html, as PyPI
    assert status == 200 and headers["content-type"] == "text/html"
    parser = _Links()
    parser.feed(body.decode())
    links = parser.links
    assert sorted(links) == [f.filename for f in index.files_of("helper")]
    for filename, attributes in links.items():
        served = index.file(filename)
        assert attributes["href"] == f"{index.file_url(filename)}#sha256={served.sha256}"
        metadata = f"sha256={served.metadata_sha256}"
        assert attributes["data-core-metadata"] == attributes["data-dist-info-metadata"] == metadata
    assert links["helper-3.0-py3-none-any.whl"]["data-requires-python"] == ">=3.13"  # unescaped
    assert links["helper-2.2-py3-none-any.whl"]["data-yanked"] == "broken upload"
    assert "data-yanked" not in links["helper-2.1-py3-none-any.whl"]
    _, _, body = index.fetch("/simple/gpu-only/", headers={"Accept": SIMPLE_HTML})
    parser = _Links()
    parser.feed(body.decode())
    assert "data-core-metadata" not in parser.links["gpu_only-9.5.tar.gz"]  # an sdist


def test_content_negotiation_redirects_and_compression(index: PackageIndex) -> None:
    def content_type(path: str, accept: str | None = None) -> tuple[int, str | None]:
        status, headers, _ = index.fetch(path, headers={"Accept": accept} if accept else {})
        return status, headers.get("content-type")

    pip_accept = f"{SIMPLE_JSON}, {SIMPLE_HTML}; q=0.1, text/html; q=0.01"
    assert content_type("/simple/helper/", pip_accept) == (200, SIMPLE_JSON)
    assert content_type("/simple/helper/", f"{SIMPLE_JSON}; q=0.1, {SIMPLE_HTML}") == (
        200,
        SIMPLE_HTML,
    )
    assert content_type(f"/simple/helper/?format={quote(SIMPLE_JSON)}") == (200, SIMPLE_JSON)
    assert content_type(f"/simple/helper/?format={SIMPLE_HTML}", SIMPLE_JSON) == (200, SIMPLE_HTML)
    assert content_type("/simple/helper/", "*/*") == (200, "text/html")
    assert content_type("/simple/helper/", "application/x-unknown")[0] == 406

    for path, location in [
        ("/simple/App.Lib/", "/simple/app-lib/"),
        ("/simple/helper", "/simple/helper/"),
        ("/simple", "/simple/"),
        ("/pypi/App_Lib/json", "/pypi/app-lib/json"),
    ]:
        status, headers, _ = index.fetch(path)
        assert (status, headers["location"]) == (301, location)
    assert index.fetch("/simple/no-such-project/")[0] == 404
    assert index.fetch("/files/no-such-file.whl")[0] == 404

    plain = index.fetch("/simple/helper/", headers={"Accept": SIMPLE_JSON})[2]
    status, headers, body = index.fetch(
        "/simple/helper/", headers={"Accept": SIMPLE_JSON, "Accept-Encoding": "gzip"}
    )
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain


def test_files_answer_get_and_head_and_wheels_have_metadata_files(index: PackageIndex) -> None:
    wheel = index.file(WHEELS["app-lib"])
    status, headers, body = index.fetch(wheel.path, method="HEAD")
    assert (status, int(headers["content-length"]), body) == (200, wheel.size, b"")
    assert ("HEAD", wheel.path, 200) in [(r.method, r.path, r.status) for r in index.requests]
    status, headers, body = index.fetch(wheel.path, headers={"Accept-Encoding": "gzip"})
    assert (status, body) == (200, wheel.data) and "content-encoding" not in headers
    # The PEP 658 file is the wheel's METADATA, byte for byte.
    _, _, metadata = index.fetch(f"{wheel.path}.metadata")
    with zipfile.ZipFile(io.BytesIO(wheel.data)) as archive:
        assert archive.read("app_lib-1.0.dist-info/METADATA") == metadata
    assert index.fetch("/files/old_upload-1.0-py3-none-any.whl.metadata")[0] == 404
    assert index.fetch("/files/source_only-1.0.tar.gz.metadata")[0] == 404
    assert index.fetch("/files/source_only-1.0.tar.gz")[0] == 200


def test_wheels_are_valid_deterministic_and_sized_by_their_payload(tmp_path: Path) -> None:
    dist = Dist("Sized", "2.0", requires=["x>=1"], payload=1_000_000, files={"sized/a.txt": b"a"})
    wheel = build_wheel(dist, "py3-none-any", seed=7)
    assert wheel == build_wheel(dist, "py3-none-any", seed=7)
    assert wheel != build_wheel(dist, "py3-none-any", seed=8)
    # Incompressible payload: the wheel is the payload plus a little.
    assert 1_000_000 < len(wheel) < 1_000_000 + 4096
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        assert archive.testzip() is None
        archive.extractall(tmp_path)
        wheel_file = archive.read("sized-2.0.dist-info/WHEEL").decode()
    assert record_problems(tmp_path, "sized-2.0.dist-info") == []
    assert "Root-Is-Purelib: true" in wheel_file and "Tag: py3-none-any" in wheel_file
    platform = build_wheel(dist, "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64")
    with zipfile.ZipFile(io.BytesIO(platform)) as archive:
        wheel_file = archive.read("sized-2.0.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in wheel_file
    assert "Tag: cp312-cp312-manylinux2014_x86_64" in wheel_file
    assert "Tag: cp312-cp312-manylinux_2_17_x86_64" in wheel_file


def test_declaration_mistakes_fail_early() -> None:
    with pytest.raises(ValueError):
        Dist("x", "not a version")
    with pytest.raises(ValueError):
        Dist("x", "1.0", requires=["not a requirement!"])
    with pytest.raises(ValueError):
        Dist("x", "1.0", tags=["py3-none"])
    with pytest.raises(TypeError):
        Dist("x", "1.0", tags="py3-none-any")
    with pytest.raises(TypeError):
        Dist("x", "1.0", requires="helper")
    with pytest.raises(ValueError, match="twice"):
        PackageIndex([Dist("x", "1.0"), Dist("X", "1.0.0")])


# -- PyPI's JSON API ----------------------------------------------------------------------------


def test_the_legacy_json_api_has_pypis_shape(index: PackageIndex) -> None:
    status, headers, body = index.fetch("/pypi/helper/json")
    assert status == 200 and headers["content-type"] == "application/json"
    page = json.loads(body)
    assert list(page) == ["info", "last_serial", "releases", "urls", "vulnerabilities"]
    assert page["info"]["version"] == "3.0"  # the newest release, as on PyPI
    assert page["info"]["requires_python"] == ">=3.13"
    assert list(page["releases"]) == ["1.0", "2.1", "2.2", "3.0"]
    assert [f["filename"] for f in page["urls"]] == ["helper-3.0-py3-none-any.whl"]
    (entry,) = page["releases"]["2.1"]
    served = index.file("helper-2.1-py3-none-any.whl")
    assert entry["size"] == served.size and entry["digests"]["sha256"] == served.sha256
    assert (entry["packagetype"], entry["python_version"]) == ("bdist_wheel", "py3")
    assert entry["upload_time_iso_8601"] == "2024-01-02T00:00:00.000000Z"
    assert page["releases"]["2.2"][0]["yanked_reason"] == "broken upload"

    page = json.loads(index.fetch("/pypi/app-lib/1.0/json")[2])
    assert "releases" not in page  # as on PyPI's version endpoint
    assert page["info"]["requires_dist"] == DISTS[0].requires_dist()
    page = json.loads(index.fetch("/pypi/extra-host/json")[2])
    assert page["info"]["provides_extra"] == ["fast", "slow"]
    assert page["info"]["requires_dist"] == [
        'speedup; extra == "fast"',
        'never-installed; extra == "slow"',
    ]
    page = json.loads(index.fetch("/pypi/gpu-only/9.5/json")[2])
    kinds = sorted((f["packagetype"], f["python_version"]) for f in page["urls"])
    assert kinds == [("bdist_wheel", "cp312")] * 3 + [("sdist", "source")]
    assert index.fetch("/pypi/no-such-project/json")[0] == 404
    assert index.fetch("/pypi/helper/9.9/json")[0] == 404


def test_files_are_served_in_byte_ranges(index: PackageIndex) -> None:
    served = index.file(WHEELS["helper"])
    path = f"/files/{quote(served.filename)}"
    size = served.size
    status, headers, body = index.fetch(path, headers={"Range": "bytes=-100"})
    assert (status, headers["content-range"]) == (206, f"bytes {size - 100}-{size - 1}/{size}")
    assert body == served.data[-100:]
    status, headers, body = index.fetch(path, headers={"Range": "bytes=10-19"})
    assert (status, body) == (206, served.data[10:20])
    assert index.fetch(path, headers={"Range": f"bytes={size}-"})[0] == 416
    with PackageIndex(DISTS, ranges=False) as plain:
        status, _, body = plain.fetch(path, headers={"Range": "bytes=-100"})
    assert (status, len(body)) == (200, size)


def test_flash_ls_sizes_wheels_from_their_urls(index: PackageIndex) -> None:
    names = ["helper", "app-lib", "speedup"]
    urls = [index.file_url(WHEELS[name]) for name in names]
    try:
        found = sizes.index.wheel_infos(urls)
    finally:
        sizes.clear_caches()
    for name, url in zip(names, urls, strict=True):
        info = found[url]
        assert isinstance(info, sizes.index.WheelInfo)
        assert info.bytes == index.file(WHEELS[name]).size
        assert info.tops is not None and name.replace("-", "_") in dict(info.tops)
