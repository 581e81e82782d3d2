"""Python source bytes <-> text, the way the interpreter (and so ``flash build``) reads them.

A file is decoded by its PEP 263 coding declaration (``# -*- coding: latin-1 -*-`` on line 1 or 2),
else as UTF-8 with an optional byte order mark; the stdlib's ``tokenize.detect_encoding`` decides,
so flash-ls accepts exactly the files Python imports. Fixes write a file back in that encoding.

:func:`read_small_text` is how the front ends read a file that is not a loaded source, to place
a finding on it or show its line: weights and archives next to the code are stat'ed, never read.
"""

from __future__ import annotations

import codecs
import io
import os
import tokenize
from pathlib import Path

_UTF8 = ("utf-8", "utf-8-sig")


class SourceDecodeError(ValueError):
    """The bytes are not Python source Python can decode; the message says why, for FL901."""


def decode_source(data: bytes) -> str:
    """The text of a Python file's bytes; ``SourceDecodeError`` when Python would refuse them."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as err:
        reason = str(err.msg)
        if reason.startswith("unknown encoding"):
            name = reason.rpartition(": ")[2]
            raise SourceDecodeError(
                f"unknown source encoding '{name}'; flash build cannot import it"
            ) from None
        if reason.startswith("encoding problem"):
            raise SourceDecodeError(
                "coding declaration contradicts the UTF-8 BOM; flash build cannot import it"
            ) from None
        encoding = "utf-8-sig"  # no declaration, first lines not UTF-8: report the bad byte below
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        label = "UTF-8" if encoding in _UTF8 else encoding
        raise SourceDecodeError(
            f"file is not valid {label} (byte {err.start}); flash build cannot import it"
        ) from None


def encode_source(text: str, *, bom: bool = False) -> bytes:
    """The bytes of ``text`` in the encoding its own coding declaration names, else UTF-8.

    ``bom`` keeps a UTF-8 byte order mark the file had. Raises ``UnicodeEncodeError`` when the
    text holds a character its declared encoding cannot represent.
    """
    head = "\n".join(text.split("\n", 2)[:2]).encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
    except SyntaxError:
        encoding = "utf-8"  # an unknown declaration: the file was not readable before either
    if codecs.lookup(encoding).name in _UTF8:
        return (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    return text.encode(encoding)


SMALL_TEXT_BYTES = 2 * 1024 * 1024
"""Files larger than this are not read to place or show a finding (sources are already loaded)."""

_BINARY_PROBE = 8192  # a NUL byte in the first bytes marks a binary file, as git decides


def read_small_text(path: Path, limit: int = SMALL_TEXT_BYTES) -> str | None:
    """The text of ``path`` when it is a small text file, else None.

    The size is checked with ``stat`` first, so a model checkpoint or an archive costs no read
    and no memory; a file with a NUL byte near its start is binary. ``.py`` files decode as Python
    reads them (PEP 263), others as UTF-8.
    """
    try:
        if os.stat(path).st_size > limit:
            return None
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError:
        return None
    if len(data) > limit or b"\0" in data[:_BINARY_PROBE]:
        return None
    try:
        return decode_source(data) if path.suffix == ".py" else data.decode("utf-8")
    except (SourceDecodeError, UnicodeDecodeError):
        return None
