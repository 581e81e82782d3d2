"""A real package index on 127.0.0.1 for tests, serving synthetic wheels it builds itself.

A test describes the index as data, starts it (a context manager; the port is picked by the OS)
and points pip, or flash-ls, at it::

    DISTS = [
        Dist("app-lib", "1.0", requires=["helper>=2", 'gpu-only; sys_platform == "linux"'],
             payload=3_000_000),
        Dist("helper", "2.1", payload=500_000),
        Dist("gpu-only", "9.28", tags=["cp313-cp313-manylinux_2_28_x86_64"]),
        Dist("gpu-only", "9.5", tags=["py3-none-manylinux2014_x86_64"]),
        Dist("source-only", "1.0", sdist_only=True),
    ]

    with PackageIndex(DISTS) as index:
        run = pip_install(index, ["app-lib"], target=tmp_path / "t", report=tmp_path / "r.json")
        index.simple_url   # http://127.0.0.1:PORT/simple   (pip --index-url)
        index.pypi_url     # http://127.0.0.1:PORT/pypi     (FLASH_LS_PYPI_URL)
        index.requests     # [Request(method, path, status, ...)], in arrival order

What it serves, as PyPI does:

- ``/simple/`` and ``/simple/<normalized-name>/``: PEP 503 HTML or PEP 691 JSON by content
  negotiation (``Accept``, or PyPI's ``?format=``), with the PEP 700 fields (``versions``,
  ``size``, ``upload-time``), ``hashes`` (sha256; a ``#sha256=`` fragment in HTML),
  ``requires-python``, PEP 592 ``yanked``, and PEP 658/714 ``core-metadata`` (and the older
  ``dist-info-metadata`` name; ``data-core-metadata``/``data-dist-info-metadata`` in HTML). A
  name that is not normalized is redirected (301) to the normalized one, as on PyPI.
- ``/files/<filename>`` (GET, and HEAD with ``Content-Length``) and ``/files/<wheel>.metadata``;
  a single byte range (``Range: bytes=a-b``, ``bytes=a-``, ``bytes=-n``) is answered with 206
  and ``Content-Range``, as PyPI's file host does (``ranges=False``: ignored, the whole file).
- PyPI's JSON API: ``/pypi/<name>/json`` (``info``, ``last_serial``, ``releases``, ``urls``,
  ``vulnerabilities``, in that order) and ``/pypi/<name>/<version>/json`` (no ``releases``, as
  on PyPI), with ``urls[].size``, ``digests``, ``packagetype``, ``python_version``,
  ``info.requires_dist`` ...

Pages (not files) are gzip-compressed for clients that accept it, as PyPI does. Everything is
deterministic: the payload of a wheel is random bytes from a seed (the index's ``seed`` and the
file name), zip entries carry a fixed timestamp, and upload times default to one day apart per
version of a project, oldest version first, from :data:`DEFAULT_UPLOAD_TIME`. Wheels are built
in memory when the index is created: payloads of a few megabytes cost milliseconds.

:func:`pip_install` runs the real pip (``sys.executable -m pip``) against an index with the flags
``flash build`` uses (:data:`FLASH_PIP_PLATFORMS`), isolated from this machine's pip
configuration (:func:`hermetic_pip_env`).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import http.client
import io
import json
import os
import random
import re
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.loopback import LoopbackServer

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
TEXT_HTML = "text/html"
API_VERSION = "1.1"  # PEP 700 (versions, size, upload-time)

DEFAULT_UPLOAD_TIME = datetime(2024, 1, 1, tzinfo=timezone.utc)
"""Upload time of the oldest version of a project (the next one a day later, and so on)."""

FLASH_PIP_PLATFORMS: tuple[str, ...] = (
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
)
"""The ``--platform`` values of ``flash build``'s pip install (flash-platform.md section 5.2)."""

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_PAYLOAD = "_payload.bin"
_VALID_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)  # PEP 508


# ---------------------------------------------------------------------------------------------
# What a test declares


@dataclass(frozen=True)
class Dist:
    """One release of a project: its wheels (one per entry of ``tags``) and optionally an sdist.

    - ``requires``: ``Requires-Dist`` lines, markers allowed (``'x; sys_platform == "win32"'``,
      ``"y[extra]>=2"``).
    - ``extras``: extra name -> its requirements; each becomes ``Provides-Extra`` and
      ``Requires-Dist: <req>; extra == "<name>"`` (an own marker is kept: ``(m) and extra == ..``).
    - ``tags``: wheel tags, compressed tag sets allowed
      (``"cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"``); ``()`` for no wheel.
    - ``payload``: bytes of incompressible random data in ``<top_level>/_payload.bin`` of each
      wheel (stored, not deflated: a wheel is about ``payload`` + 2 KB).
    - ``files``: more files in each wheel (path in the wheel -> content).
    - ``requires_python``: ``Requires-Python`` of the metadata and ``requires-python`` of every
      file on the index.
    - ``sdist``: also serve ``<name>-<version>.tar.gz``; ``sdist_only``: serve only that.
    - ``yanked``: every file of the release is yanked (PEP 592): True, or the reason.
    - ``uploaded``: upload time of every file (default: see :data:`DEFAULT_UPLOAD_TIME`).
    - ``core_metadata``: serve the PEP 658 ``.metadata`` file of the wheels (False: like old
      PyPI uploads, pip must download the wheel to read its metadata).
    - ``top_level``: the wheel's package directory (default: the normalized name, ``_`` for ``-``).
    """

    name: str
    version: str
    requires: Sequence[str] = ()
    extras: Mapping[str, Sequence[str]] = field(default_factory=dict)
    tags: Sequence[str] = ("py3-none-any",)
    payload: int = 1024
    files: Mapping[str, bytes] = field(default_factory=dict)
    requires_python: str | None = None
    sdist: bool = False
    sdist_only: bool = False
    yanked: bool | str = False
    uploaded: datetime | None = None
    core_metadata: bool = True
    top_level: str | None = None
    summary: str = "A synthetic distribution for tests"

    def __post_init__(self) -> None:
        # Fail where the index is declared, not in pip's output.
        if not _VALID_NAME.fullmatch(self.name):
            raise ValueError(f"invalid project name {self.name!r}")
        Version(self.version)
        for attribute in ("requires", "tags"):
            if isinstance(getattr(self, attribute), str):
                raise TypeError(f"{attribute} is a list of strings, not one string")
        for line in [*self.requires, *(r for reqs in self.extras.values() for r in reqs)]:
            Requirement(line)
        if self.requires_python is not None:
            SpecifierSet(self.requires_python)
        if self.sdist_only and tuple(self.tags) not in {(), ("py3-none-any",)}:
            raise ValueError("sdist_only with wheel tags")
        for tag in self.tags:
            if len(tag.split("-")) != 3 or not parse_tag(tag):
                raise ValueError(f"invalid wheel tag {tag!r}")
        if self.payload < 0:
            raise ValueError("payload must be >= 0")
        if self.uploaded is not None and self.uploaded.tzinfo is None:
            raise ValueError("uploaded must be timezone-aware")
        object.__setattr__(self, "requires", tuple(self.requires))
        object.__setattr__(self, "tags", () if self.sdist_only else tuple(self.tags))

    @property
    def project(self) -> str:
        """The PEP 503 normalized name."""
        return canonicalize_name(self.name)

    @property
    def file_stem(self) -> str:
        """``<name>-<version>`` as distribution file names spell it (``app_lib-1.0``)."""
        return f"{self.project.replace('-', '_')}-{str(Version(self.version)).replace('-', '_')}"

    @property
    def dist_info(self) -> str:
        return f"{self.file_stem}.dist-info"

    @property
    def package_dir(self) -> str:
        return self.top_level or self.project.replace("-", "_")

    @property
    def wheel_filenames(self) -> list[str]:
        return [f"{self.file_stem}-{tag}.whl" for tag in self.tags]

    @property
    def sdist_filename(self) -> str | None:
        return f"{self.file_stem}.tar.gz" if self.sdist or self.sdist_only else None

    def requires_dist(self) -> list[str]:
        """Every ``Requires-Dist`` line, the extras' with their ``extra == ..`` marker."""
        lines = list(self.requires)
        for extra, requirements in self.extras.items():
            name = canonicalize_name(extra)
            for line in requirements:
                requirement = Requirement(line)
                own = f"({requirement.marker}) and " if requirement.marker is not None else ""
                requirement.marker = Marker(f'{own}extra == "{name}"')
                lines.append(str(requirement))
        return lines

    def metadata(self) -> bytes:
        """The core metadata (``METADATA`` of the wheels, the PEP 658 file, ``PKG-INFO``)."""
        lines = [
            "Metadata-Version: 2.1",
            f"Name: {self.name}",
            f"Version: {self.version}",
            f"Summary: {self.summary}",
        ]
        if self.requires_python is not None:
            lines.append(f"Requires-Python: {self.requires_python}")
        lines += [f"Provides-Extra: {canonicalize_name(extra)}" for extra in self.extras]
        lines += [f"Requires-Dist: {line}" for line in self.requires_dist()]
        return ("\n".join(lines) + "\n\n").encode("utf-8")


@dataclass(frozen=True)
class IndexFile:
    """A file the index serves, built from a :class:`Dist`."""

    dist: Dist
    filename: str
    data: bytes
    upload_time: datetime
    tag: str | None  # None for an sdist
    metadata: bytes | None  # the PEP 658 file (wheels with core_metadata)

    @property
    def is_wheel(self) -> bool:
        return self.tag is not None

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def metadata_sha256(self) -> str | None:
        return None if self.metadata is None else hashlib.sha256(self.metadata).hexdigest()

    @property
    def yanked(self) -> bool | str:
        return self.dist.yanked

    @property
    def path(self) -> str:
        """The path the index serves it at."""
        return f"/files/{quote(self.filename)}"


@dataclass(frozen=True)
class Request:
    """One request the index answered (logged before the answer is sent)."""

    method: str
    path: str
    status: int
    accept: str | None = None
    user_agent: str | None = field(default=None, repr=False)

    @property
    def filename(self) -> str | None:
        """The file name of a ``/files/...`` request (``x.whl``, ``x.whl.metadata``), else None."""
        path = urlsplit(self.path).path
        return unquote(path[len("/files/") :]) if path.startswith("/files/") else None


class RequestLog(list[Request]):
    """Requests in arrival order, with the questions tests ask of them."""

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self if method is None or r.method == method]

    def downloads(self, method: str = "GET") -> list[str]:
        """Names of the distribution files (not ``.metadata``) answered with 200 to ``method``."""
        return [
            r.filename
            for r in self
            if r.method == method
            and r.filename is not None
            and r.status == 200
            and not r.filename.endswith(".metadata")
        ]

    def metadata_downloads(self) -> list[str]:
        """Names of the distribution files whose PEP 658 metadata file was fetched."""
        return [
            r.filename.removesuffix(".metadata")
            for r in self
            if r.method == "GET"
            and r.filename is not None
            and r.status == 200
            and r.filename.endswith(".metadata")
        ]


# ---------------------------------------------------------------------------------------------
# Building the files


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _zip_entry(name: str, *, stored: bool = False) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, wherever the index runs: the same bytes everywhere
    info.external_attr = 0o100644 << 16
    return info


def payload_bytes(seed: int, filename: str, size: int) -> bytes:
    """The incompressible payload of ``filename`` (the same bytes for the same seed)."""
    return random.Random(f"{seed}:{filename}").randbytes(size)


def build_wheel(dist: Dist, tag: str, seed: int = 0) -> bytes:
    """A valid wheel of ``dist`` for ``tag``: the package, its payload, METADATA, WHEEL, RECORD."""
    filename = f"{dist.file_stem}-{tag}.whl"
    version = dist.version
    contents: dict[str, bytes] = {
        f"{dist.package_dir}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    if dist.payload:
        contents[f"{dist.package_dir}/{_PAYLOAD}"] = payload_bytes(seed, filename, dist.payload)
    contents.update(dist.files)
    pure = all(t.platform == "any" for t in parse_tag(tag))
    wheel = [
        "Wheel-Version: 1.0",
        "Generator: flash-ls-tests (package_index.py)",
        f"Root-Is-Purelib: {'true' if pure else 'false'}",
        *(f"Tag: {t}" for t in sorted(parse_tag(tag), key=str)),
    ]
    contents[f"{dist.dist_info}/METADATA"] = dist.metadata()
    contents[f"{dist.dist_info}/WHEEL"] = ("\n".join(wheel) + "\n\n").encode()
    record_name = f"{dist.dist_info}/RECORD"
    record = io.StringIO()
    for name, data in contents.items():
        record.write(f"{name},{_record_hash(data)},{len(data)}\n")
    record.write(f"{record_name},,\n")
    contents[record_name] = record.getvalue().encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in contents.items():
            stored = name.endswith(_PAYLOAD)  # random bytes do not deflate
            archive.writestr(_zip_entry(name, stored=stored), data)
    return buffer.getvalue()


def build_sdist(dist: Dist) -> bytes:
    """A valid sdist of ``dist`` (PKG-INFO, pyproject.toml, the package), gzip mtime 0."""
    base = dist.file_stem
    contents = {
        f"{base}/PKG-INFO": dist.metadata(),
        f"{base}/pyproject.toml": (
            '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
            f'\n[project]\nname = "{dist.name}"\nversion = "{dist.version}"\n'
        ).encode(),
        f"{base}/{dist.package_dir}/__init__.py": f'__version__ = "{dist.version}"\n'.encode(),
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in contents.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


# ---------------------------------------------------------------------------------------------
# The index


class PackageIndex(LoopbackServer):
    """A package index serving ``dists`` on 127.0.0.1 while started (``with`` or start/stop).

    ``json=False`` serves HTML only (an index without PEP 691), ``html=False`` JSON only;
    ``compress=False`` never gzips pages; ``ranges=False`` ignores ``Range`` headers. Files are built when the index is created (and by
    :meth:`add`); the pages are made for each request from the current files.
    """

    kind = "index"

    def __init__(
        self,
        dists: Iterable[Dist] = (),
        *,
        json: bool = True,
        html: bool = True,
        compress: bool = True,
        ranges: bool = True,
        seed: int = 0,
    ) -> None:
        super().__init__()
        if not (json or html):
            raise ValueError("an index serves JSON, HTML or both")
        self.serve_json = json
        self.serve_html = html
        self.compress = compress
        self.ranges = ranges
        self.seed = seed
        self._lock = threading.Lock()
        self._dists: list[Dist] = []
        self._files: dict[str, IndexFile] = {}
        self._requests: list[Request] = []
        self._serial = 0
        self.add(*dists)

    # -- declaring --------------------------------------------------------------------------

    def add(self, *dists: Dist) -> None:
        """Publish more releases (also while the index runs: the next page lists them)."""
        with self._lock:
            declared = list(self._dists)
            known = {(d.project, Version(d.version)) for d in declared}
            for dist in dists:
                key = (dist.project, Version(dist.version))
                if key in known:
                    raise ValueError(f"{dist.name} {dist.version} is declared twice")
                known.add(key)
                declared.append(dist)
            files = self._build_files(declared)  # raises before anything changes
            self._dists, self._files = declared, files
            self._serial += len(dists)

    def _build_files(self, dists: list[Dist]) -> dict[str, IndexFile]:
        old = self._files
        ranks: dict[str, list[Version]] = {}
        for dist in dists:
            ranks.setdefault(dist.project, []).append(Version(dist.version))
        files: dict[str, IndexFile] = {}
        for dist in dists:
            rank = sorted(ranks[dist.project]).index(Version(dist.version))
            uploaded = dist.uploaded or DEFAULT_UPLOAD_TIME + timedelta(days=rank)
            for tag, filename in zip(dist.tags, dist.wheel_filenames, strict=True):
                if filename in files:
                    raise ValueError(f"{filename} is declared twice")
                known = old.get(filename)
                data = known.data if known else build_wheel(dist, tag, self.seed)
                metadata = dist.metadata() if dist.core_metadata else None
                files[filename] = IndexFile(dist, filename, data, uploaded, tag, metadata)
            sdist = dist.sdist_filename
            if sdist is not None:
                known = old.get(sdist)
                data = known.data if known else build_sdist(dist)
                files[sdist] = IndexFile(dist, sdist, data, uploaded, None, None)
        return files

    # -- what tests look at -----------------------------------------------------------------

    @property
    def simple_url(self) -> str:
        """The ``--index-url`` of pip."""
        return f"{self.url}/simple"

    @property
    def pypi_url(self) -> str:
        """The JSON API base (``FLASH_LS_PYPI_URL``)."""
        return f"{self.url}/pypi"

    @property
    def dists(self) -> list[Dist]:
        with self._lock:
            return list(self._dists)

    @property
    def files(self) -> dict[str, IndexFile]:
        """Every file served, by file name."""
        with self._lock:
            return dict(self._files)

    def file(self, filename: str) -> IndexFile:
        return self.files[filename]

    def files_of(self, name: str, version: str | None = None) -> list[IndexFile]:
        """The files of a project (of one version), in the order the index lists them."""
        project = canonicalize_name(name)
        return [
            f
            for f in self._project_files(project)
            if version is None or Version(f.dist.version) == Version(version)
        ]

    def wheel(self, name: str, version: str, tag: str | None = None) -> IndexFile:
        """The wheel of a release (its only one, or the one for ``tag``)."""
        wheels = [f for f in self.files_of(name, version) if f.is_wheel]
        if tag is not None:
            wheels = [f for f in wheels if f.tag == tag]
        if len(wheels) != 1:
            raise LookupError(f"{len(wheels)} wheels of {name} {version} (tag {tag})")
        return wheels[0]

    def file_url(self, filename: str) -> str:
        return f"{self.url}/files/{quote(filename)}"

    @property
    def requests(self) -> RequestLog:
        """Every request answered so far, in arrival order (a copy: keep it as a snapshot)."""
        with self._lock:
            return RequestLog(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def downloads(self, method: str = "GET") -> list[str]:
        """``self.requests.downloads(method)``."""
        return self.requests.downloads(method)

    def metadata_downloads(self) -> list[str]:
        """``self.requests.metadata_downloads()``."""
        return self.requests.metadata_downloads()

    def fetch(
        self, path: str, *, method: str = "GET", headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """``(status, headers, body)`` of one request to the running index (no redirects
        followed, no proxy, no decompression); it is logged like any other."""
        connection = http.client.HTTPConnection(urlsplit(self.url).netloc, timeout=30)
        try:
            connection.request(method, path, headers=dict(headers or {}))
            response = connection.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            connection.close()

    # -- running ----------------------------------------------------------------------------

    def _make_server(self, address: tuple[str, int]) -> _Server:
        server = _Server(address, _Handler)
        server.index = self
        return server

    # -- answering --------------------------------------------------------------------------

    def _project_files(self, project: str) -> list[IndexFile]:
        with self._lock:
            files = [f for f in self._files.values() if f.dist.project == project]
        return sorted(files, key=lambda f: (Version(f.dist.version), f.filename))

    def _projects(self) -> dict[str, str]:
        """Normalized name -> the name as first declared."""
        with self._lock:
            dists = list(self._dists)
        names: dict[str, str] = {}
        for dist in dists:
            names.setdefault(dist.project, dist.name)
        return dict(sorted(names.items()))

    def _respond(self, method: str, target: str, headers: Mapping[str, str]) -> _Response:
        """The answer to one request."""
        split = urlsplit(target)
        path, query = unquote(split.path), parse_qs(split.query)
        parts = path.split("/")
        if path == "/simple":
            return _redirect("/simple/")
        if path == "/simple/":
            return self._page(headers, query, self._root_json, self._root_html)
        if len(parts) == 3 and parts[1] == "simple":
            return _redirect(f"/simple/{quote(parts[2])}/")
        if len(parts) == 4 and parts[1] == "simple" and parts[3] == "":
            name = parts[2]
            if canonicalize_name(name) != name:
                return _redirect(f"/simple/{quote(canonicalize_name(name))}/")
            if name not in self._projects():
                return _not_found()
            return self._page(
                headers,
                query,
                lambda: self._project_json(name),
                lambda: self._project_html(name),
            )
        if len(parts) == 3 and parts[1] == "files":
            found = self._file(parts[2])
            wanted = headers.get("range")
            if wanted is None or not self.ranges or method != "GET" or found.status != 200:
                return found
            return _byte_range(found, wanted)
        if len(parts) in (4, 5) and parts[1] == "pypi" and parts[-1] == "json":
            return self._legacy(parts[2], parts[3] if len(parts) == 5 else None, headers)
        return _not_found()

    def _page(
        self,
        headers: Mapping[str, str],
        query: Mapping[str, list[str]],
        as_json: Callable[[], dict[str, Any]],
        as_html: Callable[[], str],
    ) -> _Response:
        # PyPI's ?format= overrides Accept (an unescaped "+" reads as a space: allowed).
        formats = query.get("format")
        asked = formats[0].replace(" ", "+") if formats else headers.get("accept", "")
        chosen = self._negotiate(asked)
        if chosen is None:
            return _Response(406, {"Content-Type": "text/plain"}, b"Not Acceptable\n")
        if chosen == SIMPLE_JSON:
            body = json.dumps(as_json(), indent=None).encode()
        else:
            body = as_html().encode()
        response = _Response(200, {"Content-Type": chosen, "Vary": "Accept, Accept-Encoding"}, body)
        return self._maybe_gzip(response, headers)

    def _negotiate(self, accept: str) -> str | None:
        """The content type of a simple page for ``accept`` (PEP 691): the highest quality, an
        exact type before a wildcard, JSON first among equals; HTML for none or ``*/*``."""
        offered = [
            t
            for t, on in (
                (SIMPLE_JSON, self.serve_json),
                (SIMPLE_HTML, self.serve_html),
                (TEXT_HTML, self.serve_html),
            )
            if on
        ]
        default = TEXT_HTML if self.serve_html else SIMPLE_JSON
        if not accept.strip():
            return default
        best: tuple[float, int, int] | None = None
        chosen: str | None = None
        for item in accept.split(","):
            media, *params = (p.strip().lower() for p in item.split(";"))
            quality = 1.0
            for param in params:
                key, _, value = param.partition("=")
                if key.strip() == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            if quality <= 0:
                continue
            for preference, candidate in enumerate(offered):
                if media == candidate:
                    exact = 2
                elif media == "application/*" and candidate.startswith("application/"):
                    exact = 1
                elif media == "*/*" and candidate == default:
                    exact = 0
                else:
                    continue
                rank = (quality, exact, -preference)
                if best is None or rank > best:
                    best, chosen = rank, candidate
        return chosen

    def _maybe_gzip(self, response: _Response, headers: Mapping[str, str]) -> _Response:
        accepted = {
            e.split(";")[0].strip().lower() for e in headers.get("accept-encoding", "").split(",")
        }
        if not self.compress or "gzip" not in accepted:
            return response
        body = gzip.compress(response.body, mtime=0)
        return _Response(response.status, {**response.headers, "Content-Encoding": "gzip"}, body)

    def _root_json(self) -> dict[str, Any]:
        return {
            "meta": {"api-version": API_VERSION, "_last-serial": self._serial},
            "projects": [{"name": name} for name in self._projects().values()],
        }

    def _root_html(self) -> str:
        links = "\n".join(
            f'    <a href="/simple/{quote(project)}/">{html.escape(name)}</a><br />'
            for project, name in self._projects().items()
        )
        return (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
            "    <title>Simple index</title>\n  </head>\n  <body>\n"
            f"{links}\n  </body>\n</html>\n"
        )

    def _project_json(self, project: str) -> dict[str, Any]:
        files = self._project_files(project)
        entries = []
        for f in files:
            entry: dict[str, Any] = {
                "filename": f.filename,
                "url": self.file_url(f.filename),
                "hashes": {"sha256": f.sha256},
            }
            if f.dist.requires_python is not None:
                entry["requires-python"] = f.dist.requires_python
            metadata: dict[str, str] | bool = (
                {"sha256": f.metadata_sha256} if f.metadata_sha256 is not None else False
            )
            entry["core-metadata"] = metadata
            entry["dist-info-metadata"] = metadata  # PEP 714: both names, as PyPI does
            entry["yanked"] = f.yanked
            entry["size"] = f.size
            entry["upload-time"] = _iso(f.upload_time)
            entries.append(entry)
        versions = sorted({Version(f.dist.version) for f in files})
        return {
            "meta": {"api-version": API_VERSION, "_last-serial": self._serial},
            "name": project,
            "versions": [str(v) for v in versions],
            "files": entries,
        }

    def _project_html(self, project: str) -> str:
        links = []
        for f in self._project_files(project):
            attributes = [f'href="{html.escape(self.file_url(f.filename))}#sha256={f.sha256}"']
            if f.dist.requires_python is not None:
                attributes.append(f'data-requires-python="{html.escape(f.dist.requires_python)}"')
            if f.metadata_sha256 is not None:
                attributes.append(f'data-dist-info-metadata="sha256={f.metadata_sha256}"')
                attributes.append(f'data-core-metadata="sha256={f.metadata_sha256}"')
            if f.yanked is not False:
                reason = f.yanked if isinstance(f.yanked, str) else ""
                attributes.append(f'data-yanked="{html.escape(reason)}"')
            links.append(f"    <a {' '.join(attributes)}>{html.escape(f.filename)}</a><br />")
        return (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
            f"    <title>Links for {html.escape(project)}</title>\n  </head>\n  <body>\n"
            f"    <h1>Links for {html.escape(project)}</h1>\n"
            + "\n".join(links)
            + "\n  </body>\n</html>\n"
        )

    def _file(self, filename: str) -> _Response:
        with self._lock:
            found = self._files.get(filename)
            if found is None and filename.endswith(".metadata"):
                wheel = self._files.get(filename.removesuffix(".metadata"))
                if wheel is not None and wheel.metadata is not None:
                    return _Response(200, {"Content-Type": "binary/octet-stream"}, wheel.metadata)
        if found is None:
            return _not_found()
        kind = "application/zip" if found.is_wheel else "application/x-tar"
        return _Response(200, {"Content-Type": kind}, found.data)

    def _legacy(self, name: str, version: str | None, headers: Mapping[str, str]) -> _Response:
        project = canonicalize_name(name)
        if project != name:
            tail = f"/{version}" if version is not None else ""
            return _redirect(f"/pypi/{quote(project)}{tail}/json")
        files = self._project_files(project)
        if not files:
            return _json_not_found()
        by_version: dict[Version, list[IndexFile]] = {}
        for f in files:
            by_version.setdefault(Version(f.dist.version), []).append(f)
        if version is None:
            chosen = _latest(by_version)
        else:
            try:
                chosen = Version(version)
            except ValueError:
                return _json_not_found()
            if chosen not in by_version:
                return _json_not_found()
        release = by_version[chosen]
        dist = release[0].dist
        page: dict[str, Any] = {"info": self._legacy_info(dist), "last_serial": self._serial}
        if version is None:
            page["releases"] = {
                str(v): [self._legacy_file(f) for f in fs] for v, fs in by_version.items()
            }
        page["urls"] = [self._legacy_file(f) for f in release]
        page["vulnerabilities"] = []
        body = json.dumps(page).encode()
        response = _Response(200, {"Content-Type": "application/json"}, body)
        return self._maybe_gzip(response, headers)

    def _legacy_info(self, dist: Dist) -> dict[str, Any]:
        project_url = f"{self.url}/project/{dist.project}/"
        return {
            "author": "",
            "author_email": "",
            "bugtrack_url": None,
            "classifiers": [],
            "description": "",
            "description_content_type": None,
            "docs_url": None,
            "download_url": "",
            "downloads": {"last_day": -1, "last_month": -1, "last_week": -1},
            "dynamic": None,
            "home_page": "",
            "keywords": "",
            "license": "",
            "license_expression": None,
            "license_files": None,
            "maintainer": "",
            "maintainer_email": "",
            "name": dist.name,
            "package_url": project_url,
            "platform": None,
            "project_url": project_url,
            "project_urls": None,
            "provides_extra": [canonicalize_name(e) for e in dist.extras] or None,
            "release_url": f"{project_url}{dist.version}/",
            "requires_dist": dist.requires_dist() or None,
            "requires_python": dist.requires_python,
            "summary": dist.summary,
            "version": dist.version,
            "yanked": dist.yanked is not False,
            "yanked_reason": dist.yanked if isinstance(dist.yanked, str) else None,
        }

    def _legacy_file(self, f: IndexFile) -> dict[str, Any]:
        python_tag = f.tag.split("-")[0] if f.tag is not None else "source"
        return {
            "comment_text": "",
            "digests": {
                "blake2b_256": hashlib.blake2b(f.data, digest_size=32).hexdigest(),
                "md5": hashlib.md5(f.data).hexdigest(),
                "sha256": f.sha256,
            },
            "downloads": -1,
            "filename": f.filename,
            "has_sig": False,
            "md5_digest": hashlib.md5(f.data).hexdigest(),
            "packagetype": "bdist_wheel" if f.is_wheel else "sdist",
            "python_version": python_tag,
            "requires_python": f.dist.requires_python,
            "size": f.size,
            "upload_time": f.upload_time.strftime("%Y-%m-%dT%H:%M:%S"),
            "upload_time_iso_8601": _iso(f.upload_time),
            "url": self.file_url(f.filename),
            "yanked": f.yanked is not False,
            "yanked_reason": f.yanked if isinstance(f.yanked, str) else None,
        }

    def _log(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)


def _latest(by_version: Mapping[Version, list[IndexFile]]) -> Version:
    """The release PyPI's JSON API describes: the newest final release with a file not yanked
    (else the newest not yanked, else the newest)."""
    versions = sorted(by_version)
    live = [v for v in versions if any(f.yanked is False for f in by_version[v])]
    final = [v for v in live if not v.is_prerelease]
    return (final or live or versions)[-1]


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _byte_range(whole: _Response, wanted: str) -> _Response:
    """The part of a file one ``Range`` header asks for (206), or 416 when it lies outside."""
    size = len(whole.body)
    found = _RANGE.fullmatch(wanted.strip())
    if found is None or not (found.group(1) or found.group(2)):
        return whole  # not a single byte range: servers may answer with the whole file
    first, last = found.groups()
    if not first:
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(size - 1, int(last)) if last else size - 1
    if start >= size or start > end:
        return _Response(416, {"Content-Range": f"bytes */{size}"}, b"")
    headers = {**whole.headers, "Content-Range": f"bytes {start}-{end}/{size}"}
    return _Response(206, headers, whole.body[start : end + 1])


def _redirect(location: str) -> _Response:
    return _Response(301, {"Location": location, "Content-Type": "text/plain"}, b"")


def _not_found() -> _Response:
    return _Response(404, {"Content-Type": "text/plain"}, b"Not Found\n")


def _json_not_found() -> _Response:
    return _Response(404, {"Content-Type": "application/json"}, b'{"message": "Not Found"}')


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128  # a client's burst of parallel connections is never dropped
    index: PackageIndex


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as pip's session expects of an index
    timeout = 60  # an idle kept-alive connection of a client that went away
    server: _Server

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, *, head: bool) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        index = self.server.index
        try:
            response = index._respond(self.command, self.path, headers)
        except Exception as exc:  # a bug here should fail the test loudly, not hang pip
            body = f"{type(exc).__name__}: {exc}\n".encode()
            response = _Response(500, {"Content-Type": "text/plain"}, body)
        # Logged before the answer leaves: once a client has it, the log shows it.
        index._log(
            Request(
                self.command,
                self.path,
                response.status,
                headers.get("accept"),
                headers.get("user-agent"),
            )
        )
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


# ---------------------------------------------------------------------------------------------
# Running pip against an index


def hermetic_pip_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` for a pip that sees no configuration of this machine.

    ``--isolated`` ignores ``PIP_*`` variables and the user's config file, but still reads the
    global (``/etc/xdg/pip/pip.conf``, ``/etc/pip.conf``) and site (``<venv>/pip.conf``) files;
    ``PIP_CONFIG_FILE=os.devnull`` makes pip skip every config file. Proxies are bypassed for
    the loopback index.
    """
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if not k.upper().startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_CACHE_DIR"] = "1"
    env["PIP_NO_INPUT"] = "1"
    for key in ("NO_PROXY", "no_proxy"):
        env[key] = ",".join(filter(None, [env.get(key, ""), "127.0.0.1", "localhost"]))
    return env


@dataclass(frozen=True)
class PipRun:
    """What one pip run did: its command, exit status, output and ``--report`` (if asked)."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None

    @property
    def installed(self) -> dict[str, str]:
        """Normalized name -> version of the report's install set."""
        assert self.report is not None, "no --report"
        return {
            canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
            for item in self.report["install"]
        }

    @property
    def urls(self) -> dict[str, str]:
        """Normalized name -> the URL pip chose for it."""
        assert self.report is not None, "no --report"
        return {
            canonicalize_name(item["metadata"]["name"]): item["download_info"]["url"]
            for item in self.report["install"]
        }

    def check(self) -> PipRun:
        """Self, after asserting pip succeeded (with its output in the failure message)."""
        assert self.returncode == 0, (
            f"pip failed ({self.returncode}):\n{self.stderr}\n{self.stdout}"
        )
        return self


def pip_install(
    index: PackageIndex,
    requirements: Sequence[str],
    *,
    target: Path,
    report: Path | None = None,
    dry_run: bool = True,
    python_version: str = "3.12",
    platforms: Sequence[str] = FLASH_PIP_PLATFORMS,
    extra_args: Sequence[str] = (),
    timeout: float = 120.0,
) -> PipRun:
    """``pip install`` of ``requirements`` from ``index`` with ``flash build``'s flags.

    ``--target <target> --python-version <X.Y> --upgrade --platform ... --implementation cp
    --only-binary=:all:``, plus ``--dry-run --ignore-installed --report`` for a dry run, with the
    machine's configuration shut out (``--isolated``, :func:`hermetic_pip_env`) and no cache.
    """
    args = [
        sys.executable,
        "-m",
        "pip",
        "--isolated",
        "--disable-pip-version-check",
        "--no-cache-dir",
        "--no-input",
        "install",
        "--index-url",
        f"{index.simple_url}/",
        "--target",
        str(target),
        "--python-version",
        python_version,
        "--upgrade",
        *(f"--platform={p}" for p in platforms),
        "--implementation",
        "cp",
        "--only-binary=:all:",
    ]
    if dry_run:
        args += ["--dry-run", "--ignore-installed"]
    if report is not None:
        args += ["--report", str(report)]
    args += [*extra_args, *requirements]
    if report is not None and report.exists():
        report.unlink()
    done = subprocess.run(
        args,
        env=hermetic_pip_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    data = None
    if report is not None and report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
    return PipRun(args, done.returncode, done.stdout, done.stderr, data)


def record_problems(target: Path, dist_info: str) -> list[str]:
    """What is wrong with an installed ``dist_info``'s RECORD under ``target`` (empty: valid):
    every listed file exists with the listed hash and size."""
    problems = []
    record = target / dist_info / "RECORD"
    for line in record.read_text(encoding="utf-8").splitlines():
        name, digest, size = line.rsplit(",", 2)
        path = target / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        if not digest:
            continue  # RECORD itself, and files pip writes after (INSTALLER, REQUESTED ...)
        data = path.read_bytes()
        if _record_hash(data) != digest or str(len(data)) != size:
            problems.append(f"{name}: hash or size differs")
    return problems
