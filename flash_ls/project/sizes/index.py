"""Wheel sizes and layouts, from the wheel URLs pip's resolution names.

For each wheel the estimate needs two facts: its size (the compressed bytes it adds to the
artifact) and its *layout*, the top-level entries it installs into the build directory with
their bytes (``nvidia-cudnn-cu12`` installs into ``nvidia/``): the build's exclusion strips
top-level directories by name, so the layout decides what an exclusion removes.

- ``file://`` wheels (a local index or ``--find-links``): ``stat`` and the zip's central
  directory, read from disk.
- http(s) wheels: one ranged ``GET`` of the file's last 64 KiB with httpx. The answer's
  ``Content-Range`` gives the size and its bytes the zip's central directory (a second ranged
  request fetches a central directory that does not fit, as for torch). Chosen over the index's
  PEP 691 JSON (PEP 700 ``size``): pip's report names the file URL but not the index or project
  page it came from, the JSON has no layout, and one request answers both questions on any
  server that honours ranges (PyPI's file host does, as pip's lazy wheels rely on). A server
  that ignores ``Range`` answers 200: its ``Content-Length`` is the size, and the body is read
  for the layout only when it is small (:data:`FULL_BODY_LIMIT`).

Answers are cached on disk by URL, forever: a file on an index never changes. Failures are not
cached. Requests run :data:`CONNECTIONS` at a time, each with :data:`REQUEST_TIMEOUT`.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import json
import logging
import os
import threading
import urllib.parse
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls import __version__
from flash_ls.project.cache import default_cache_dir, write_cache_file

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

TAIL_BYTES = 64 * 1024
"""Bytes of a wheel's end asked for first: the central directory of most wheels fits."""
FULL_BODY_LIMIT = 32 * 1024 * 1024
"""A server that ignores ``Range``: bodies up to this size are read for the layout."""
CONNECTIONS = 8
REQUEST_TIMEOUT = 30.0
_CACHE_VERSION = 1
_HEADERS = {
    "User-Agent": f"flash-ls/{__version__} (artifact size estimate)",
    "Accept-Encoding": "identity",  # byte ranges of the file itself, not of a re-encoding
}


@dataclass(frozen=True, slots=True)
class WheelInfo:
    """What the estimate knows about one wheel file."""

    bytes: int
    """Size of the file (its compressed bytes)."""
    tops: tuple[tuple[str, int], ...] | None
    """Top-level entries it installs into the build directory (``nvidia``, ``torch``,
    ``torch-2.7.1.dist-info``, ``bin``) with their compressed bytes; None when unknown."""

    def shipped_bytes(self, stripped: Iterable[str]) -> int:
        """Its bytes once the build drops the top-level entries ``stripped`` (all of it, when its
        layout is unknown and ``stripped`` names none of it: the caller decides that case)."""
        gone = set(stripped)
        if not gone or self.tops is None:
            return self.bytes
        total = sum(size for _, size in self.tops)
        if total <= 0:
            return self.bytes
        kept = sum(size for name, size in self.tops if name not in gone)
        return round(self.bytes * kept / total)


def sizes_cache_dir() -> Path:
    """Where resolutions and wheel answers are cached: beside the parse cache, but not under its
    version tag (they do not depend on the parser)."""
    return default_cache_dir().parent / "sizes"


def install_top(entry: str) -> str | None:
    """The top-level entry of the build directory a wheel member lands in (``pip --target``), or
    None when it is not installed there (directories, headers of ``.data``)."""
    if entry.endswith("/"):
        return None
    parts = entry.split("/")
    if len(parts) >= 3 and parts[0].endswith(".data"):
        kind = parts[1]
        if kind in ("purelib", "platlib", "data"):
            return parts[2]
        if kind == "scripts":
            return "bin"
        if kind == "headers":
            return "include"
        return None
    return parts[0]


def layout(archive: zipfile.ZipFile) -> tuple[tuple[str, int], ...]:
    """Top-level entries of a wheel with the bytes of their members (compressed, with headers)."""
    found: dict[str, int] = {}
    for info in archive.infolist():
        top = install_top(info.filename)
        if top is not None:
            name_bytes = len(info.filename.encode("utf-8"))
            found[top] = found.get(top, 0) + info.compress_size + 76 + 2 * name_bytes
    return tuple(sorted(found.items()))


# -- the cache -----------------------------------------------------------------------------------

_MEMO: dict[str, WheelInfo] = {}
_LOCK = threading.Lock()


def _cache_file(url: str) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return sizes_cache_dir() / f"wheels-{_CACHE_VERSION}" / digest[:2] / f"{digest}.json"


def cached_wheel(url: str) -> WheelInfo | None:
    """The cached answer for ``url`` (memory, then disk), never asking anyone."""
    with _LOCK:
        found = _MEMO.get(url)
    if found is not None:
        return found
    try:
        data = json.loads(_cache_file(url).read_text(encoding="utf-8"))
        if data["url"] != url:
            return None
        tops = data["tops"]
        found = WheelInfo(
            int(data["bytes"]),
            None if tops is None else tuple((str(n), int(s)) for n, s in tops),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with _LOCK:
        _MEMO[url] = found
    return found


def _store(url: str, info: WheelInfo) -> None:
    data = {"url": url, "bytes": info.bytes, "tops": info.tops}
    write_cache_file(_cache_file(url), json.dumps(data).encode("utf-8"))
    with _LOCK:
        _MEMO[url] = info


def clear_caches() -> None:
    """Forget the answers held in memory (tests; the disk cache stays)."""
    with _LOCK:
        _MEMO.clear()


# -- asking --------------------------------------------------------------------------------------


class WheelUnavailable(Exception):
    """A wheel's size could not be learnt (the message says why, for a note)."""


def wheel_infos(
    urls: Iterable[str], *, timeout: float = REQUEST_TIMEOUT
) -> dict[str, WheelInfo | str]:
    """Each URL's :class:`WheelInfo`, from the cache or asked for (at most :data:`CONNECTIONS`
    at once); a string says why one is unknown. Never raises."""
    found: dict[str, WheelInfo | str] = {}
    missing = []
    for url in dict.fromkeys(urls):
        cached = cached_wheel(url)
        if cached is not None:
            found[url] = cached
        else:
            missing.append(url)
    if not missing:
        return found
    batch = _Batch(timeout, remote=any(not url.startswith("file:") for url in missing))
    try:
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=min(CONNECTIONS, len(missing)), thread_name_prefix="flash-ls-wheels"
        ) as pool:
            futures = {url: pool.submit(batch.ask, url) for url in missing}
            for url, future in futures.items():
                try:
                    info = future.result()
                except WheelUnavailable as exc:
                    found[url] = str(exc)
                except Exception as exc:  # never let one wheel fail the estimate
                    log.debug("sizing %s failed", url, exc_info=True)
                    found[url] = f"cannot size {_file_name(url)}: {exc}"
                else:
                    _store(url, info)
                    found[url] = info
    finally:
        batch.close()
    return found


class _Batch:
    """The requests of one :func:`wheel_infos` call: one httpx client, and the hosts that did not
    answer (the other wheels of an unreachable host fail at once instead of each timing out)."""

    def __init__(self, timeout: float, *, remote: bool) -> None:
        self.client = _client(timeout) if remote else None
        self.dead: dict[str, str] = {}
        self.lock = threading.Lock()

    def ask(self, url: str) -> WheelInfo:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "file":
            from urllib.request import url2pathname  # for file URLs only (loads http.client)

            return _local(Path(url2pathname(parts.path)))
        if parts.scheme not in ("http", "https") or self.client is None:
            raise WheelUnavailable(f"cannot size {url}: not a file or http(s) URL")
        with self.lock:
            dead = self.dead.get(parts.netloc)
        if dead is not None:
            raise WheelUnavailable(dead)
        try:
            return _remote(self.client, url)
        except _Unreachable as exc:
            with self.lock:
                self.dead.setdefault(parts.netloc, str(exc))
            raise WheelUnavailable(str(exc)) from None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def _client(timeout: float) -> httpx.Client:
    import httpx

    return httpx.Client(
        headers=_HEADERS,
        follow_redirects=True,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS),
    )


def _file_name(url: str) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1]) or url


class _Unreachable(WheelUnavailable):
    """No HTTP answer from the host (connection refused, DNS, TLS, timeout)."""


def _local(path: Path) -> WheelInfo:
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            return WheelInfo(size, layout(archive))
    except zipfile.BadZipFile:
        raise WheelUnavailable(f"{path.name} is not a wheel (zip) file") from None
    except OSError as exc:
        raise WheelUnavailable(f"cannot read {path}: {exc.strerror or exc}") from None


def _remote(client: httpx.Client, url: str) -> WheelInfo:
    import httpx

    try:
        remote = _RemoteFile(client, url)
        if remote.body is None:
            return WheelInfo(remote.size, None)
        with zipfile.ZipFile(remote) as archive:
            return WheelInfo(remote.size, layout(archive))
    except httpx.HTTPError as exc:
        host = urllib.parse.urlsplit(url).netloc
        raise _Unreachable(f"{host} is unreachable ({type(exc).__name__})") from None
    except zipfile.BadZipFile:
        raise WheelUnavailable(f"{_file_name(url)} is not a wheel (zip) file") from None


class _RemoteFile(io.RawIOBase):
    """A remote file read through HTTP ranges, as much of it as ``zipfile`` looks at: the end
    first, then any other range it seeks to. ``body`` is None when the server ignores ranges and
    the file is too large to read whole (only ``size`` is known)."""

    def __init__(self, client: httpx.Client, url: str) -> None:
        super().__init__()
        self.client = client
        self.url = url
        self.position = 0
        self.chunks: list[tuple[int, bytes]] = []
        self.body: bytes | None = b""
        with client.stream("GET", url, headers={"Range": f"bytes=-{TAIL_BYTES}"}) as response:
            if response.status_code == 206:
                start, self.size = _content_range(response.headers.get("content-range", ""))
                self.chunks.append((start, response.read()))
                return
            if response.status_code != 200:
                raise WheelUnavailable(
                    f"{_file_name(url)}: HTTP {response.status_code} from "
                    f"{urllib.parse.urlsplit(url).netloc}"
                )
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > FULL_BODY_LIMIT:
                self.size, self.body = int(length), None
                return
            data = bytearray()
            for piece in response.iter_bytes():
                data += piece
                if len(data) > FULL_BODY_LIMIT:
                    raise WheelUnavailable(
                        f"{_file_name(url)}: the server sends no size and ignores ranges"
                    )
            self.size = len(data)
            self.chunks.append((0, bytes(data)))

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self.position, os.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def read(self, size: int | None = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self.position + size)
        if end <= self.position:
            return b""
        data = self._bytes(self.position, end)
        self.position = end
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _bytes(self, start: int, end: int) -> bytes:
        for chunk_start, chunk in self.chunks:
            if chunk_start <= start and end <= chunk_start + len(chunk):
                return chunk[start - chunk_start : end - chunk_start]
        # Not read yet: fetch it (at least a tail's worth, zipfile reads in small steps).
        stop = min(self.size, max(end, start + TAIL_BYTES))
        response = self.client.get(self.url, headers={"Range": f"bytes={start}-{stop - 1}"})
        if response.status_code != 206:
            raise WheelUnavailable(
                f"{_file_name(self.url)}: HTTP {response.status_code} to a range request"
            )
        chunk_start, _ = _content_range(response.headers.get("content-range", ""))
        self.chunks.append((chunk_start, response.content))
        offset = start - chunk_start
        return response.content[offset : offset + end - start]


def _content_range(value: str) -> tuple[int, int]:
    """``bytes 100-199/1000`` -> (100, 1000)."""
    try:
        unit, _, rest = value.partition(" ")
        span, _, total = rest.partition("/")
        first = span.split("-", 1)[0]
        if unit.strip().lower() != "bytes":
            raise ValueError(value)
        return int(first), int(total)
    except ValueError:
        raise WheelUnavailable(f"unexpected Content-Range {value!r}") from None
