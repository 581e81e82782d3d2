"""Editor buffers with no file behind them: VS Code's ``untitled:`` documents and Neovim's unnamed
buffers (which it sends as ``file://`` with no path).

The engine works on paths, so each such buffer gets a stand-in path in a directory that does not
exist, one directory per buffer: the buffer is then checked as a one-file app with no neighbours on
disk (no other files, no ``pyproject.toml``, no ``requirements.txt``). Nothing is ever written there.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from urllib.parse import unquote

UNTITLED_SCHEME = "untitled:"
NEOVIM_UNNAMED = "file://"

# At the filesystem root rather than in the temp dir: a workspace folder holding the stand-in
# would make the buffer part of that folder's app.
_BASE = Path(os.path.abspath(os.sep)) / f".flash-ls-unnamed-{secrets.token_hex(4)}"
_NOT_IN_NAME = re.compile(r"\W")


def is_unnamed(uri: str) -> bool:
    """Whether ``uri`` names an editor buffer that has no file."""
    return uri.startswith(UNTITLED_SCHEME) or uri == NEOVIM_UNNAMED


def display_name(uri: str) -> str:
    """How the editor calls the buffer (``Untitled-1``), for messages."""
    if uri == NEOVIM_UNNAMED:
        return "[No Name]"
    name = unquote(uri[len(UNTITLED_SCHEME) :]).rstrip("/").rpartition("/")[2]
    return name or "Untitled"


def path_for(uri: str) -> Path:
    """The stand-in path of an unnamed buffer (the same for the same URI)."""
    stem = display_name(uri).removesuffix(".py")
    module = _NOT_IN_NAME.sub("_", stem).strip("_") or "unnamed"
    if module[0].isdigit():
        module = f"_{module}"  # a module name the build could import
    digest = hashlib.sha256(uri.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return _BASE / digest / module / f"{module}.py"


def is_stand_in(path: Path) -> bool:
    """Whether ``path`` is (inside) the stand-in of an unnamed buffer."""
    return _BASE in path.parents
