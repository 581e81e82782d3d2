"""The project files a build ships, and the source fingerprint computed over them.

The selection is the official one (``flash_ls.project.ignore.iter_shipped_files``: root ``.gitignore``
plus built-in patterns) with two guards the official build lacks: nothing that resolves outside the
app through a symlink, and nothing that looks like a credential (``.env*`` in any directory, SSH and
cloud keys, package-index tokens). Both are listed in docs/compatibility.md.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from flash_ls.platform import PROJECT_DIR
from flash_ls.project.app import App
from flash_ls.project.ignore import iter_shipped_files

# Never shipped, whatever the ignore rules say: matched against every path component.
CREDENTIAL_DIRS: frozenset[str] = frozenset(
    {".git", PROJECT_DIR, ".runpod", ".ssh", ".aws", ".gnupg"}
)
CREDENTIAL_FILES: tuple[str, ...] = (
    ".env",
    ".env.*",
    ".envrc",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
    ".dockercfg",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "credentials",
    "credentials.json",
    "service-account*.json",
)

_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ShippedFile:
    """A project file that goes into the artifact under ``rel`` (POSIX, relative to the app)."""

    rel: str
    path: Path


def credential_reason(rel: str) -> str | None:
    """Why ``rel`` must never ship (a credential-like name), or None."""
    parts = rel.split("/")
    for part in parts[:-1]:
        if part in CREDENTIAL_DIRS:
            return f"{part}/ directory"
    name = parts[-1]
    for pattern in CREDENTIAL_FILES:
        if _matches(name, pattern):
            return f"matches {pattern!r}"
    return None


def _matches(name: str, pattern: str) -> bool:
    # ``fnmatch.fnmatchcase`` for patterns with at most one ``*`` and no other wildcard (all of
    # CREDENTIAL_FILES), without compiling a regex per pattern on every run.
    head, star, tail = pattern.partition("*")
    if not star:
        return name == pattern
    return len(name) >= len(head) + len(tail) and name.startswith(head) and name.endswith(tail)


def shipped_files(app: App) -> tuple[list[ShippedFile], list[str]]:
    """The files the build ships, sorted by relative path, and the credential-like ones left out."""
    files: list[ShippedFile] = []
    withheld: list[str] = []
    for path in iter_shipped_files(app.root, app.ignore):
        rel = path.relative_to(app.root).as_posix()
        reason = credential_reason(rel)
        if reason is not None:
            withheld.append(f"{rel} ({reason})")
            continue
        files.append(ShippedFile(rel, path))
    files.sort(key=lambda f: f.rel)
    return files, withheld


def source_fingerprint(files: list[ShippedFile]) -> str:
    """``compute_source_fingerprint``: SHA-256 over (len, path, len, content) of each file, by path."""
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f.rel):
        rel = item.rel.encode("utf-8")
        with item.path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            digest.update(len(rel).to_bytes(8, "big"))
            digest.update(rel)
            digest.update(size.to_bytes(8, "big"))
            remaining = size
            while remaining > 0:
                chunk = handle.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                digest.update(chunk)
                remaining -= len(chunk)
            if remaining:
                raise OSError(f"{item.rel} changed while it was read")
    return digest.hexdigest()
