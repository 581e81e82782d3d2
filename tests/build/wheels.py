"""Tiny wheels built on the fly, for offline dependency installs (``--no-index --find-links``)."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def _record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_wheel(
    wheelhouse: Path,
    name: str,
    version: str = "1.0.0",
    *,
    requires: tuple[str, ...] = (),
    modules: dict[str, str] | None = None,
    payload_bytes: int = 0,
) -> Path:
    """A pure-Python ``py3-none-any`` wheel; ``modules`` maps file paths to their source.

    By default the wheel holds one package named after the distribution. ``payload_bytes``
    adds a data file of that size (to make a distribution measurably big).
    """
    wheelhouse.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    top = dist.lower()
    files: dict[str, bytes] = {}
    for path, source in (
        modules or {f"{top}/__init__.py": f"NAME = {name!r}\nVERSION = {version!r}\n"}
    ).items():
        files[path] = source.encode()
    if payload_bytes:
        files[f"{top}/payload.bin"] = bytes(range(256)) * (payload_bytes // 256) + b"x" * (
            payload_bytes % 256
        )
    info = f"{dist}-{version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {req}" for req in requires]
    files[f"{info}/METADATA"] = ("\n".join(metadata) + "\n").encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: flash-ls-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/top_level.txt"] = (top + "\n").encode()
    record = [f"{path},{_record_hash(data)},{len(data)}" for path, data in files.items()]
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    target = wheelhouse / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info_entry = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info_entry.external_attr = 0o644 << 16
            archive.writestr(info_entry, files[path])
    return target
