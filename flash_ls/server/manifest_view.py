"""The manifest as a read-only file an editor can open ("Show manifest entry").

Files go to a temporary directory of this server, not to the app's ``.flash/``: a preview is a view
of the editor's (maybe unsaved) text, not a build output, so it must never be mistaken for the
official ``.flash/flash_manifest.json`` (which the last deploy's state is read from), and it works
for read-only checkouts and unnamed buffers. The directory is removed when the server exits.

A file is named after its content, so a client that keeps an opened file in a buffer (Neovim does
not reload it) never shows an older manifest under the current one's name.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flash_ls.platform import MANIFEST_FILE
from flash_ls.span import Span

_NOT_IN_NAME = re.compile(r"[^\w.-]")
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


@dataclass(frozen=True)
class ManifestFile:
    """Where a manifest was written, and the span of the endpoint's entry name in it."""

    path: Path
    text: str
    selection: Span | None


class ManifestFiles:
    """The server's directory of manifest previews (created on first use)."""

    def __init__(self) -> None:
        self._directory: Path | None = None

    def write(
        self, app_name: str, root: Path, manifest: Mapping[str, Any], endpoint: str | None
    ) -> ManifestFile:
        """Write ``manifest`` (JSON) read-only; select ``endpoint``'s entry when given."""
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        # The build time changes on every preview; the same manifest otherwise is the same file.
        stable = {key: value for key, value in manifest.items() if key != "generated_at"}
        digest = hashlib.sha256(json.dumps(stable, sort_keys=True).encode("utf-8")).hexdigest()
        where = hashlib.sha256(str(root).encode("utf-8", "surrogatepass")).hexdigest()[:8]
        app_dir = f"{_NOT_IN_NAME.sub('_', app_name) or 'app'}-{where}"
        path = self._root() / app_dir / digest[:12] / MANIFEST_FILE
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{MANIFEST_FILE}.tmp")
            partial.write_text(text, encoding="utf-8")
            partial.chmod(_READ_ONLY)
            os.replace(partial, path)
        return ManifestFile(path, text, entry_span(text, endpoint) if endpoint else None)

    def _root(self) -> Path:
        if self._directory is None or not self._directory.is_dir():
            self._directory = Path(tempfile.mkdtemp(prefix="flash-ls-manifests-"))
        return self._directory

    def remove(self) -> None:
        """Delete every preview written (server exit)."""
        if self._directory is not None:
            # Windows refuses to delete read-only files: those are left to the temp cleaner.
            shutil.rmtree(self._directory, ignore_errors=True)
            self._directory = None


def entry_span(text: str, endpoint: str) -> Span | None:
    """The quoted name of ``endpoint``'s entry under ``resources`` in ``text`` (``indent=2`` JSON)."""
    key = f"    {json.dumps(endpoint, ensure_ascii=False)}: "
    in_resources = False
    for number, line in enumerate(text.split("\n")):
        if line.startswith('  "'):
            in_resources = line.startswith('  "resources": ')
        elif in_resources and line.startswith(key):
            return Span(number, 4, number, len(key) - 2)
    return None
