"""A seeded, reproducible mutation engine for the engine fuzzing tests (issue 14, item 2).

It takes the bytes of a fixture app's file and breaks them the ways editors, merges, disks and
people do: lines and tokens deleted, duplicated or swapped, the file truncated (mid UTF-8
sequence too), bytes that are not UTF-8, NUL bytes, byte order marks, CRLF/CR mixes, form feeds
and other separators, deep nesting, huge lines, odd Unicode, coding declarations and Flash
snippets dropped in the middle of anything.

Everything is a pure function of ``(data, seed, huge)``: ``Mutator(seed).mutate(data)`` gives the
same bytes on every machine, so a failing case is reproduced from the seed its test prints::

    python tests/fuzz/mutate.py fixtures/apps/demo/gpu_worker.py 1234 > /tmp/case.py
    python tests/fuzz/mutate.py fixtures/apps/demo/gpu_worker.py 1234 truncate > /tmp/case.py

``huge`` (the long mode's) lets a huge line reach a megabyte; the bounded suite stops at 100 kB.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURE_APPS = REPO / "fixtures" / "apps"

# Tokens as a byte regex: identifiers (and non-ASCII runs), numbers, short strings, operators,
# whitespace runs, line ends. Anything else is a one-byte token.
_TOKEN = re.compile(
    rb"[A-Za-z_][A-Za-z0-9_]*|[\x80-\xff]+|[0-9][0-9_.xXoObBeEjJ]*"
    rb"|\"[^\"\n]*\"|'[^'\n]*'|\"\"\"|'''"
    rb"|\*\*=?|//=?|->|:=|[-+*/%&|^<>=!]=|<<|>>|[][(){}@:.,;=+\-*/%&|^~<>!\\#]"
    rb"|[ \t]+|\r\n|\r|\n|."
)
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")

# Flash code to drop anywhere: what the rules read, whole or in pieces.
FLASH_SNIPPETS: tuple[bytes, ...] = (
    b"from runpod_flash import Endpoint, GpuGroup, GpuType, CpuInstanceType, DataCenter\n",
    b"from runpod_flash import *\n",
    b"import runpod_flash as rf\n",
    b'@Endpoint(name="fuzz", gpu=GpuGroup.ADA_24, workers=(0, 3))\n',
    b'@Endpoint(name="fuzz", cpu="cpu3c-1-2", dependencies=["torch", "numpy>=1"])\n',
    b'@rf.Endpoint(name="fuzz", gpu=[GpuType.NVIDIA_L4, GpuGroup.AMPERE_48], workers=5)\n',
    b'api = Endpoint(name="api", cpu=CpuInstanceType.CPU3C_1_2)\n',
    b'@api.post("/items/{id}")\n',
    b'@api.get("/ping")\n',
    b'@api.head("/x", timeout=5)\n',
    b"def handler(data: dict) -> dict:\n    import torch\n    return data\n",
    b"async def handler(data):\n    return {}\n",
    b"class Worker:\n    def __init__(self):\n        self.model = load()\n",
    b"if __name__ == '__main__':\n    import torch\n",
    b"# flash-ls: ignore[FL101]\n",
    b"# flash-ls: ignore-file[FL3]\n",
    b"x = 1  # flash-ls: ignore\n",
    b"name = 'fuzz' + \\\n    'y'\n",
    b'"""an unterminated docstring\n',
    b'f"{x!r:>{width}}"\n',
    b"match x:\n    case {**rest}:\n        pass\n",
    b"try:\n    import torch\nexcept* ImportError:\n    pass\n",
    b"type Alias = int\n",
    b"@Endpoint(name=make_name())\n",
    b'@Endpoint(name="a/b", id="x", image="img")\n',
)
# Bytes Python's UTF-8 decoder refuses: lone continuation bytes, a cut sequence, an encoded
# surrogate, overlong forms, bytes never valid in UTF-8.
INVALID_UTF8: tuple[bytes, ...] = (
    b"\xff",
    b"\xfe\xff",
    b"\x80",
    b"\xc3",
    b"\xe2\x82",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf8\x88\x80\x80\x80",
    b"caf\xe9",
)
# Valid UTF-8 that stresses positions: 2-, 3- and 4-byte characters, combining marks, wide CJK,
# zero-width and bidi controls, separators ``str.splitlines`` breaks on but Python does not.
UNICODE: tuple[str, ...] = (
    "\u00e9",
    "e\u0301",
    "\U0001d518",
    "\U0001f600",
    "\u6f22\u5b57",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\x85",
    "\x1c",
    "\x1d",
    "\x1e",
    "\x0b",
    "\x0c",
    "\u0394x",
    "\u00b5",
)
CODING_LINES: tuple[bytes, ...] = (
    b"# -*- coding: latin-1 -*-\n",
    b"# coding: utf-8\n",
    b"# vim: set fileencoding=cp1252 :\n",
    b"# -*- coding: no-such-codec -*-\n",
    b"# coding: utf-16\n",
    b"# coding=ascii\n",
)
NESTING_DEPTHS = (20, 150, 199, 200, 201, 990, 1000, 10_000)
HUGE_SIZES = (10_000, 100_000, 1_000_000)  # bytes of a huge line


@dataclass
class Mutated:
    """The mutated bytes and what was done, for the failure message."""

    data: bytes
    seed: int
    steps: list[str] = field(default_factory=list)

    @property
    def categories(self) -> list[str]:
        return [step.split(":", 1)[0] for step in self.steps]

    def describe(self) -> str:
        return f"seed={self.seed} steps={self.steps}"


def lines_of(data: bytes) -> list[bytes]:
    return _LINE.findall(data)


def tokens_of(data: bytes) -> list[bytes]:
    return _TOKEN.findall(data)


class Mutator:
    """Applies random mutations, all drawn from ``random.Random(seed)``."""

    def __init__(self, seed: int, *, huge: bool = False) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.huge = huge

    def mutate(self, data: bytes, rounds: int | None = None) -> Mutated:
        """``rounds`` mutations (default: 1 to 3, most often 1) applied one after the other."""
        rng = self.rng
        if rounds is None:
            rounds = rng.choice((1, 1, 1, 2, 2, 3))
        result = Mutated(data, self.seed)
        for _ in range(rounds):
            name = rng.choice(MUTATION_NAMES)
            result.data, detail = self._run(name, result.data)
            result.steps.append(f"{name}:{detail}" if detail else name)
        return result

    def apply(self, name: str, data: bytes) -> Mutated:
        """One named mutation (a category of the long run's figures)."""
        out, detail = self._run(name, data)
        return Mutated(out, self.seed, [f"{name}:{detail}" if detail else name])

    def _run(self, name: str, data: bytes) -> tuple[bytes, str]:
        if name == "huge_line":
            return huge_line(self.rng, data, sizes=HUGE_SIZES if self.huge else HUGE_SIZES[:2])
        return MUTATIONS[name](self.rng, data)


Mutation = Callable[[random.Random, bytes], tuple[bytes, str]]


def _pick_line(rng: random.Random, lines: list[bytes]) -> int:
    return rng.randrange(len(lines)) if lines else 0


def _pick_token(rng: random.Random, tokens: list[bytes]) -> int:
    # Mostly tokens that carry meaning (not whitespace), so the code really changes.
    for _ in range(8):
        i = rng.randrange(len(tokens))
        if tokens[i].strip():
            return i
    return rng.randrange(len(tokens))


def delete_line(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = lines_of(data)
    if not lines:
        return data, "empty"
    i = _pick_line(rng, lines)
    del lines[i]
    return b"".join(lines), str(i)


def duplicate_line(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = lines_of(data)
    if not lines:
        return data, "empty"
    i = _pick_line(rng, lines)
    times = rng.choice((1, 1, 2, 5))
    line = lines[i] if lines[i].endswith((b"\n", b"\r")) else lines[i] + b"\n"
    lines[i:i] = [line] * times
    return b"".join(lines), f"{i}x{times}"


def swap_lines(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = lines_of(data)
    if len(lines) < 2:
        return data, "short"
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines), f"{i}<>{j}"


def reindent_line(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = lines_of(data)
    if not lines:
        return data, "empty"
    i = _pick_line(rng, lines)
    indent = rng.choice((b"", b" ", b"    ", b"\t", b" \t", b"\f", b"        " * 3))
    lines[i] = indent + lines[i].lstrip(b" \t")
    return b"".join(lines), f"{i}:{indent!r}"


def delete_token(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    tokens = tokens_of(data)
    if not tokens:
        return data, "empty"
    i = _pick_token(rng, tokens)
    removed = tokens.pop(i)
    return b"".join(tokens), f"{i}:{removed[:20]!r}"


def duplicate_token(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    tokens = tokens_of(data)
    if not tokens:
        return data, "empty"
    i = _pick_token(rng, tokens)
    tokens.insert(i, tokens[i])
    return b"".join(tokens), f"{i}:{tokens[i][:20]!r}"


def swap_tokens(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    tokens = tokens_of(data)
    if len(tokens) < 2:
        return data, "short"
    i, j = _pick_token(rng, tokens), _pick_token(rng, tokens)
    tokens[i], tokens[j] = tokens[j], tokens[i]
    return b"".join(tokens), f"{i}<>{j}"


def replace_token(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    tokens = tokens_of(data)
    if not tokens:
        return data, "empty"
    i = _pick_token(rng, tokens)
    vocabulary = [t for t in tokens if t.strip()] or [b"x"]
    extra = [b"(", b")", b"[", b"]", b"{", b"}", b":", b'"', b"'", b'"""', b"\\", b"@", b"#"]
    tokens[i] = rng.choice(vocabulary + extra)
    return b"".join(tokens), f"{i}:{tokens[i][:20]!r}"


def truncate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    if not data:
        return data, "empty"
    at = rng.randrange(len(data))
    return data[:at], str(at)


def insert_invalid_utf8(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    junk = rng.choice(INVALID_UTF8)
    at = rng.randrange(len(data) + 1)
    return data[:at] + junk + data[at:], f"{at}:{junk!r}"


def insert_nul(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    at = rng.randrange(len(data) + 1)
    count = rng.choice((1, 1, 4))
    return data[:at] + b"\x00" * count + data[at:], str(at)


def byte_order_mark(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    bom = b"\xef\xbb\xbf"
    where = rng.choice(("start", "start", "twice", "middle", "utf16"))
    if where == "start":
        return bom + data, where
    if where == "twice":
        return bom + bom + data, where
    if where == "utf16":
        return b"\xff\xfe" + data, where
    at = rng.randrange(len(data) + 1)
    return data[:at] + bom + data[at:], f"{where}:{at}"


def line_endings(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    style = rng.choice(("crlf", "cr", "mixed", "lone-cr"))
    if style == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"), style
    if style == "cr":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r"), style
    if style == "lone-cr":
        at = rng.randrange(len(data) + 1)
        return data[:at] + b"\r" + data[at:], f"{style}:{at}"
    ends = (b"\n", b"\r\n", b"\r")
    lines = [line.rstrip(b"\r\n") + rng.choice(ends) for line in lines_of(data)]
    return b"".join(lines), style


def separators(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """Form feeds, vertical tabs and the other characters ``str.splitlines`` breaks lines at."""
    char = rng.choice(("\x0c", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"))
    lines = lines_of(data)
    encoded = char.encode("utf-8")
    if lines and rng.random() < 0.5:
        i = _pick_line(rng, lines)
        lines[i] = encoded + lines[i]  # at the start of a line (indentation restarts after \f)
        return b"".join(lines), f"{char!r}@line{i}"
    at = rng.randrange(len(data) + 1)
    return data[:at] + encoded + data[at:], f"{char!r}@{at}"


def insert_unicode(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    text = rng.choice(UNICODE) * rng.choice((1, 1, 3, 200))
    tokens = tokens_of(data)
    if not tokens:
        return text.encode("utf-8"), repr(text[:4])
    i = rng.randrange(len(tokens) + 1)
    tokens.insert(i, text.encode("utf-8"))
    return b"".join(tokens), f"{i}:{text[:4]!r}"


def deep_nesting(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    depth = rng.choice(NESTING_DEPTHS)
    kind = rng.choice(
        ("parens", "brackets", "braces", "unclosed", "calls", "ifs", "decorator", "lambda", "not")
    )
    if kind == "parens":
        snippet = b"x = " + b"(" * depth + b"1" + b")" * depth + b"\n"
    elif kind == "brackets":
        snippet = b"x = " + b"[" * depth + b"]" * depth + b"\n"
    elif kind == "braces":
        snippet = b"x = " + b"{1: " * depth + b"1" + b"}" * depth + b"\n"
    elif kind == "unclosed":
        snippet = b"x = " + b"(" * depth + b"\n"
    elif kind == "calls":
        snippet = b"x = f" + b"()" * depth + b"\n"
    elif kind == "ifs":
        depth = min(depth, 1000)
        snippet = b"".join(b" " * i + b"if x:\n" for i in range(depth)) + b" " * depth + b"pass\n"
    elif kind == "decorator":
        snippet = (
            b'@Endpoint(name="deep", env='
            + b"[" * depth
            + b"]" * depth
            + b")\ndef deep(data):\n    return data\n"
        )
    elif kind == "lambda":
        snippet = b"x = " + b"lambda: " * depth + b"1\n"
    else:
        snippet = b"x = " + b"not " * depth + b"1\n"
    lines = lines_of(data)
    i = rng.randrange(len(lines) + 1)
    indent = rng.choice((b"", b"", b"    "))
    lines.insert(i, indent + snippet)
    return b"".join(lines), f"{kind}x{depth}@{i}"


def huge_line(
    rng: random.Random, data: bytes, sizes: tuple[int, ...] = HUGE_SIZES
) -> tuple[bytes, str]:
    size = rng.choice(sizes)
    kind = rng.choice(
        ("string", "sum", "names", "comment", "list", "endpoint", "dependencies", "keywords")
    )
    if kind == "string":
        snippet = b"x = '" + b"a" * size + b"'\n"
    elif kind == "sum":
        snippet = b"x = " + b"+".join([b"1"] * (size // 2)) + b"\n"
    elif kind == "names":
        snippet = b"x = " + b"a" * size + b"\n"
    elif kind == "comment":
        snippet = b"# " + b"\xc3\xa9" * (size // 2) + b"\n"
    elif kind == "list":
        snippet = b'dependencies = ["x", ' + b'"pkg", ' * (size // 7) + b"]\n"
    elif kind == "endpoint":
        snippet = b'@Endpoint(name="' + b"n" * size + b'", gpu=GpuGroup.ADA_24)\n'
    elif kind == "dependencies":
        count = size // 8
        snippet = b'@Endpoint(name="d", dependencies=[' + b'"torch", ' * count + b"])\n"
    else:
        # One finding (FL514) per keyword, each showing the line: the text report grows with
        # findings x line length, so this one stays at a thousand findings on a 10 kB line.
        count = min(size // 10, 1000)
        snippet = b"@Endpoint(" + b", ".join(b"k%d=1" % i for i in range(count)) + b")\n"
    lines = lines_of(data)
    i = rng.randrange(len(lines) + 1)
    lines.insert(i, snippet)
    return b"".join(lines), f"{kind}x{size}@{i}"


def coding_declaration(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    line = rng.choice(CODING_LINES)
    if rng.random() < 0.5:
        return line + data, line.decode()
    lines = lines_of(data)
    lines.insert(min(1, len(lines)), line)
    return b"".join(lines), "line 2: " + line.decode()


def flash_snippet(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    snippet = rng.choice(FLASH_SNIPPETS)
    lines = lines_of(data)
    i = rng.randrange(len(lines) + 1)
    if rng.random() < 0.3:  # mid-line, not at a statement boundary
        tokens = tokens_of(data)
        j = rng.randrange(len(tokens) + 1)
        tokens.insert(j, snippet)
        return b"".join(tokens), f"token {j}: {snippet[:30]!r}"
    lines.insert(i, snippet)
    return b"".join(lines), f"line {i}: {snippet[:30]!r}"


MUTATIONS: dict[str, Mutation] = {
    "delete_line": delete_line,
    "duplicate_line": duplicate_line,
    "swap_lines": swap_lines,
    "reindent_line": reindent_line,
    "delete_token": delete_token,
    "duplicate_token": duplicate_token,
    "swap_tokens": swap_tokens,
    "replace_token": replace_token,
    "truncate": truncate,
    "invalid_utf8": insert_invalid_utf8,
    "nul": insert_nul,
    "bom": byte_order_mark,
    "line_endings": line_endings,
    "separators": separators,
    "unicode": insert_unicode,
    "deep_nesting": deep_nesting,
    "huge_line": huge_line,
    "coding": coding_declaration,
    "flash_snippet": flash_snippet,
}
MUTATION_NAMES = tuple(MUTATIONS)


def fixture_sources() -> list[Path]:
    """Every Python file of the fixture apps, in path order (the seeds of the mutations)."""
    return sorted(FIXTURE_APPS.glob("*/**/*.py"))


def make_case(
    source: Path, seed: int, category: str | None = None, *, huge: bool = False
) -> Mutated:
    """The case a test ran: ``category`` alone (one mutation), else a random stack of them."""
    mutator = Mutator(seed, huge=huge)
    data = source.read_bytes()
    return mutator.mutate(data) if category is None else mutator.apply(category, data)


def reproduce_command(source: Path, seed: int, category: str | None, *, huge: bool) -> str:
    """The command line that writes a case's bytes to stdout."""
    where = source.relative_to(REPO) if source.is_relative_to(REPO) else source
    extra = f" {category or '-'}" + (" huge" if huge else "") if category or huge else ""
    return f"python tests/fuzz/mutate.py {where} {seed}{extra} > case.py"


if __name__ == "__main__":  # mutate.py FILE SEED [CATEGORY|- [huge]] > case.py
    category = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
    huge = sys.argv[4:5] == ["huge"]
    case = make_case(Path(sys.argv[1]), int(sys.argv[2]), category, huge=huge)
    print(case.describe(), file=sys.stderr)
    sys.stdout.buffer.write(case.data)
