"""Deterministic benchmark workspaces: Flash apps mixed with an ordinary Python library tree.

Sizes (issue 5): S is one Flash app of 5 files; M is 300 files with 20 apps; L is 3,000 files,
about 300k lines, 150 Flash files. The Flash apps follow the styles of the flash-examples
repository (flash-platform.md section 8): queue-based GPU/CPU functions and classes, load-balanced
files with ``api = Endpoint(...)`` and routes, cross-endpoint calls through in-function imports,
``dependencies`` lists, and, in some apps, deliberate mistakes the rules report. The rest is a
library-sized tree (packages of modules with classes, functions, docstrings, imports, tests) that
never mentions Flash.

App 0 is the same in every size: ``service.py`` (a 1,000-line Flash file, the P1 subject),
``cpu_worker.py`` and ``gpu_worker.py`` (the P2 pair: renaming the CPU endpoint to the GPU
endpoint's name makes the GPU file report FL102), ``pipeline.py`` and ``utils.py``.

Everything is a pure function of (size, seed): random choices come from ``random.Random`` seeded
per app and per library module, so S is a subset of M and L.

    python -m benchmarks.generate --size L /tmp/ws-L
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import textwrap
from dataclasses import asdict, dataclass, field
from pathlib import Path

GENERATOR_VERSION = 1
DEFAULT_SEED = 5
STAMP = ".flash-ls-bench.json"


@dataclass(frozen=True)
class SizeSpec:
    name: str
    apps: int
    flash_files: int  # files importing runpod_flash
    total_files: int  # every .py file
    total_lines: int  # target for the whole workspace (0: whatever the apps need)


SIZES: dict[str, SizeSpec] = {
    "S": SizeSpec("S", apps=1, flash_files=4, total_files=5, total_lines=0),
    "M": SizeSpec("M", apps=20, flash_files=60, total_files=300, total_lines=30_000),
    "L": SizeSpec("L", apps=30, flash_files=150, total_files=3000, total_lines=300_000),
}


@dataclass
class EditSite:
    """One line of one file that a benchmark edits: ``text[start:end]`` is the part replaced."""

    rel: str
    line: int
    text: str
    start: int
    end: int


@dataclass
class WorkspaceInfo:
    root: Path
    size: str
    seed: int
    files: int = 0
    lines: int = 0
    flash_files: int = 0
    apps: list[str] = field(default_factory=list)
    big_file: str = ""
    big_file_lines: int = 0
    edit: EditSite | None = None  # P1: a statement inside a route body of the big file
    rename: EditSite | None = None  # P2: the name literal of the endpoint in file A
    rename_to: str = ""
    partner: str = ""  # P2: file B, reports FL102 while A uses B's name
    opened: str = ""  # P6: the file opened after initialize

    def to_json(self) -> str:
        data = asdict(self)
        data["root"] = str(self.root)
        data["generator_version"] = GENERATOR_VERSION
        return json.dumps(data, indent=2)

    @classmethod
    def from_json(cls, text: str) -> WorkspaceInfo:
        data = json.loads(text)
        data.pop("generator_version", None)
        data["root"] = Path(data["root"])
        for key in ("edit", "rename"):
            if data.get(key):
                data[key] = EditSite(**data[key])
        return cls(**data)


# -- vocabulary ----------------------------------------------------------------------------------

NOUNS = (
    "image", "audio", "text", "token", "batch", "frame", "vector", "score", "label", "record",
    "sample", "chunk", "prompt", "voice", "caption", "document", "query", "result", "model",
    "feature", "signal", "window", "report", "metric", "schedule", "invoice", "order", "account",
    "session", "message", "payload", "segment", "profile", "asset", "archive", "column", "table",
)  # fmt: skip
VERBS = (
    "load", "parse", "render", "encode", "decode", "score", "rank", "filter", "merge", "split",
    "resize", "transcribe", "summarise", "classify", "embed", "normalise", "validate", "export",
    "collect", "compute", "build", "update", "resolve", "format", "detect", "extract", "convert",
)  # fmt: skip
APP_WORDS = (
    "vision", "speech", "ranker", "captioner", "tagger", "upscaler", "translator", "scorer",
    "indexer", "moderator", "transcriber", "detector", "summariser", "recommender", "segmenter",
    "forecaster", "matcher", "embedder", "router", "clipper", "denoiser", "painter", "reader",
)  # fmt: skip
LIB_WORDS = (
    "core", "io", "util", "config", "storage", "cache", "http", "auth", "metrics", "events",
    "schema", "query", "graph", "text", "time", "net", "codec", "jobs", "plugins", "render",
    "model", "stats", "tools", "policy", "index", "stream", "shell", "views", "report", "sync",
)  # fmt: skip
GPU_TYPES = (
    "NVIDIA_GEFORCE_RTX_4090", "NVIDIA_GEFORCE_RTX_5090", "NVIDIA_L4", "NVIDIA_A40",
    "NVIDIA_RTX_A6000", "NVIDIA_H100_80GB_HBM3", "NVIDIA_RTX_A5000",
)  # fmt: skip
GPU_GROUPS = ("ADA_24", "ADA_32_PRO", "AMPERE_24", "AMPERE_48", "AMPERE_80", "ADA_48_PRO")
CPU_STRINGS = ("cpu3c-1-2", "cpu3c-2-4", "cpu3g-2-8", "cpu3g-4-16", "cpu5c-2-4")
CPU_MEMBERS = ("CPU3C_1_2", "CPU3C_2_4", "CPU3G_2_8", "CPU5C_4_8")
DEPENDENCIES = (
    "pandas", "numpy", "scipy>=1.11.0", "matplotlib", "requests==2.32.3", "Pillow>=10.0.0",
    "python-dateutil<3.0.0", "httpx", "opencv-python", "soundfile", "transformers", "diffusers",
    "accelerate", "sentencepiece", "scikit-learn", "librosa",
)  # fmt: skip
HEAVY_IMPORTS = ("torch", "transformers", "numpy as np", "PIL.Image", "soundfile", "cv2")
STDLIB = ("json", "re", "math", "time", "hashlib", "base64", "itertools", "statistics", "uuid")


def _block(text: str) -> list[str]:
    return textwrap.dedent(text).strip("\n").split("\n")


class _Source:
    """Lines of one file being written."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, text: str, blank: int = 0) -> int:
        """Append a dedented block (after ``blank`` empty lines); returns its first line index."""
        self.lines.extend([""] * blank)
        first = len(self.lines)
        self.lines.extend(_block(text))
        return first

    def __len__(self) -> int:
        return len(self.lines)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _ident(rng: random.Random, *pools: tuple[str, ...]) -> str:
    return "_".join(rng.choice(pool) for pool in pools)


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


# -- plain Python bodies (shared by Flash helpers and the library) ---------------------------------


def _body(rng: random.Random, indent: str, arg: str) -> list[str]:
    """A few realistic statements using ``arg``, ending in a return."""
    noun = rng.choice(NOUNS)
    verb = rng.choice(VERBS)
    n = rng.randint(2, 9)
    choices = [
        f"""
        total = 0
        for index, item in enumerate({arg}):
            if index % {n} == 0:
                total += len(str(item))
            elif item is None:
                continue
            else:
                total -= 1
        return total
        """,
        f"""
        {noun}s = [str(item).strip() for item in {arg} if item]
        seen: set[str] = set()
        unique = []
        for {noun} in {noun}s:
            if {noun} not in seen:
                seen.add({noun})
                unique.append({noun})
        return unique[:{n * 10}]
        """,
        f"""
        try:
            value = int({arg})
        except (TypeError, ValueError):
            log.debug("cannot {verb} %r", {arg})
            return None
        if value < 0:
            raise ValueError(f"{noun} must be positive, got {{value}}")
        return value * {n}
        """,
        f"""
        result: dict[str, int] = {{}}
        for key in sorted({arg}):
            bucket = key[:{n}]
            result[bucket] = result.get(bucket, 0) + 1
        return result
        """,
        f"""
        parts = str({arg}).split("/")
        if len(parts) > {n}:
            parts = parts[-{n}:]
        name = "-".join(part.lower() for part in parts if part)
        return name or "{noun}"
        """,
        f"""
        with open({arg}, encoding="utf-8") as handle:
            rows = [line.rstrip("\\n").split(",") for line in handle]
        header, *body = rows or [[]]
        return [dict(zip(header, row)) for row in body]
        """,
        f"""
        if not {arg}:
            return []
        {noun}_{verb} = sorted({arg}, key=lambda item: (len(str(item)), str(item)))
        step = max(1, len({noun}_{verb}) // {n})
        return {noun}_{verb}[::step]
        """,
        f"""
        chunks = []
        buffer = []
        for item in {arg}:
            buffer.append(item)
            if len(buffer) >= {n}:
                chunks.append(tuple(buffer))
                buffer = []
        if buffer:
            chunks.append(tuple(buffer))
        return chunks
        """,
    ]
    return [indent + line if line else "" for line in _block(rng.choice(choices))]


def _function(rng: random.Random, name: str, indent: str = "", method: bool = False) -> list[str]:
    arg = rng.choice(("items", "values", "path", "data", "records", "raw"))
    noun = rng.choice(NOUNS)
    params = f"self, {arg}" if method else arg
    ret = rng.choice(("object", "list[str]", "int | None", "dict[str, int]"))
    lines = [f"{indent}def {name}({params}) -> {ret}:"]
    if rng.random() < 0.7:
        lines.append(f'{indent}    """{_camel(rng.choice(VERBS))} the {noun}s in ``{arg}``."""')
    lines.extend(_body(rng, indent + "    ", arg))
    return lines


# -- the library tree (no Flash) -----------------------------------------------------------------


def _library_unit(rng: random.Random, decorated: bool, siblings: list[str]) -> list[str]:
    noun = rng.choice(NOUNS)
    kind = rng.random()
    if kind < 0.35:
        return _function(rng, _ident(rng, VERBS, NOUNS) + f"_{rng.randint(1, 99)}")
    if kind < 0.45:
        member_names = rng.sample(NOUNS, 4)
        name = f"{_camel(noun)}Kind{rng.randint(1, 99)}"
        lines = [f"class {name}(enum.Enum):", f'    """Kinds of {noun}."""', ""]
        lines += [f'    {m.upper()} = "{m}"' for m in member_names]
        return lines
    if kind < 0.52:
        name = f"{_camel(noun)}Error{rng.randint(1, 99)}"
        return [f"class {name}(Exception):", f'    """Raised when a {noun} is invalid."""']
    suffix = rng.choice(("Store", "Manager", "Builder", "Index", "Client", "Registry", "View"))
    name = f"{_camel(noun)}{suffix}{rng.randint(1, 99)}"
    lines = []
    if decorated and rng.random() < 0.5:
        lines += ["@dataclass", f"class {name}:", f'    """A {noun} and what it holds."""', ""]
        lines += [
            "    name: str",
            "    size: int = 0",
            "    tags: list[str] = field(default_factory=list)",
        ]
    else:
        base = f"({rng.choice(siblings)})" if siblings and rng.random() < 0.2 else ""
        lines += [f"class {name}{base}:", f'    """{_camel(rng.choice(VERBS))}s {noun}s."""', ""]
        lines += [
            f"    def __init__(self, name: str, limit: int = {rng.randint(1, 500)}) -> None:",
            "        self.name = name",
            "        self.limit = limit",
            f"        self._{noun}s: list[object] = []",
        ]
    for _ in range(rng.randint(1, 4)):
        lines.append("")
        if decorated and rng.random() < 0.25:
            lines += [
                "    @property",
                f"    def {rng.choice(NOUNS)}_count(self) -> int:",
                f"        return len(self.name) + {rng.randint(1, 9)}",
            ]
        elif decorated and rng.random() < 0.2:
            lines += ["    @staticmethod", *_function(rng, _ident(rng, VERBS, NOUNS), "    ")]
        else:
            lines += _function(rng, _ident(rng, VERBS, NOUNS), "    ", method=True)
    return lines


def _library_module(rng: random.Random, package: str, siblings: list[str], target: int) -> str:
    decorated = rng.random() < 0.6  # decorators (``@``) defeat a purely textual prefilter
    src = _Source()
    topic = rng.choice(NOUNS)
    src.add(
        f'''
        """{_camel(rng.choice(VERBS))} and manage {topic}s for the {package} package.

        The helpers here are pure functions over plain data; nothing is read from the network.
        """
        '''
    )
    src.add("from __future__ import annotations", blank=1)
    stdlib = sorted(rng.sample(("os", "re", "json", "math", "time", "itertools", "hashlib"), 3))
    src.add("\n".join(f"import {m}" for m in sorted({"enum", "logging", *stdlib})), blank=1)
    if decorated:
        src.add("from dataclasses import dataclass, field")
    src.add("from collections.abc import Iterable")
    local = [s for s in siblings if s]
    if local and rng.random() < 0.7:
        other = rng.choice(local)
        src.add(f"from .{other} import {_ident(rng, VERBS, NOUNS)} as _{other}_helper", blank=1)
    if rng.random() < 0.02:  # an HTTP-ish library that says "Endpoint" without being Flash
        src.add("class EndpointConfig:\n    url = 'http://localhost'", blank=2)
    src.add("log = logging.getLogger(__name__)", blank=1)
    src.add(f"DEFAULT_{topic.upper()}_LIMIT = {rng.randint(10, 5000)}", blank=1)
    classes: list[str] = []
    while len(src) < target:
        unit = _library_unit(rng, decorated, classes)
        if unit[0].startswith("class ") and "(enum" not in unit[0] and "Error" not in unit[0]:
            classes.append(unit[0][6:].split("(")[0].rstrip(":"))
        elif unit[0] == "@dataclass":
            classes.append(unit[1][6:].rstrip(":"))
        src.lines.extend(["", ""])
        src.lines.extend(unit)
    return src.text()


def _test_module(rng: random.Random, package: str, module: str, target: int) -> str:
    src = _Source()
    src.add(f'"""Tests for {package}.{module}."""')
    src.add("import pytest", blank=1)
    src.add(f"from {package} import {module}", blank=1)
    while len(src) < target:
        name = _ident(rng, VERBS, NOUNS)
        if rng.random() < 0.5:
            values = ", ".join(str(rng.randint(0, 99)) for _ in range(rng.randint(2, 5)))
            src.add(
                f"""
                @pytest.mark.parametrize("value", [{values}])
                def test_{name}(value):
                    assert {module} is not None
                    assert value >= 0
                """,
                blank=2,
            )
        else:
            src.lines.extend(["", ""])
            src.lines.extend(_function(rng, f"test_{name}_{rng.randint(1, 99)}"))
    return src.text()


def _library_files(seed: int, count: int, lines: int) -> dict[str, str]:
    """``count`` files of about ``lines`` lines in all, in a few installable packages."""
    files: dict[str, str] = {}
    if count <= 0:
        return files
    packages = max(1, round(count / 700))
    per_package = [count // packages + (1 if i < count % packages else 0) for i in range(packages)]
    mean = max(20, lines / count)
    sigma = 0.8
    for p, n_files in enumerate(per_package):
        rng = random.Random(f"{seed}:lib:{p}")
        package = f"{rng.choice(LIB_WORDS)}kit{p}"
        base = f"libs/{package}"
        files[f"{base}/pyproject.toml"] = (
            f'[project]\nname = "{package}"\nversion = "1.{p}.0"\nrequires-python = ">=3.10"\n'
        )
        py: list[str] = []
        # packages of 8-30 modules, one test file per ~6 modules, an __init__ each
        remaining = n_files
        sub_index = 0
        while remaining > 0:
            size = min(remaining, rng.randint(8, 30))
            sub = f"{rng.choice(LIB_WORDS)}{sub_index}"
            sub_index += 1
            directory = f"{base}/src/{package}/{sub}"
            modules = [f"{_ident(rng, LIB_WORDS, NOUNS)}{i}" for i in range(size)]
            py.append(f"{directory}/__init__.py")
            for i, module in enumerate(modules[1:], start=1):
                if i % 6 == 0:
                    py.append(f"{base}/tests/{sub}/test_{module}.py")
                else:
                    py.append(f"{directory}/{module}.py")
            remaining -= size
        for rel in py:
            rrng = random.Random(f"{seed}:lib:{rel}")
            # lognormal sizes with the requested mean, like a real tree: many small, a few huge
            target = int(
                min(2500, max(8, rrng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)))
            )
            directory, name = rel.rsplit("/", 1)
            siblings = [p.rsplit("/", 1)[1][:-3] for p in py if p.startswith(directory + "/")]
            siblings = [s for s in siblings if s != "__init__" and s != name[:-3]]
            if name == "__init__.py":
                exports = siblings[:3]
                body = [f'"""The {directory.rsplit("/", 1)[1]} subpackage."""', ""]
                body += [f"from . import {s}" for s in exports]
                body += ["", f"__all__ = {exports!r}"]
                files[rel] = "\n".join(body) + "\n"
            elif name.startswith("test_"):
                files[rel] = _test_module(rrng, package, name[5:-3], target)
            else:
                files[rel] = _library_module(rrng, package, siblings, target)
    return files


# -- Flash apps ----------------------------------------------------------------------------------


@dataclass
class _Flash:
    """One Flash file being written: its source and the queue functions others may import."""

    rel: str
    src: _Source = field(default_factory=_Source)
    exports: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # endpoint names declared here
    lb: bool = False


def _helpers(rng: random.Random, src: _Source, target: int) -> None:
    """Module-level plain helpers until the file has ``target`` lines."""
    while len(src) < target:
        src.lines.extend(["", ""])
        src.lines.extend(_function(rng, "_" + _ident(rng, VERBS, NOUNS)))


def _qb_function(
    rng: random.Random,
    app: str,
    name: str,
    fn: str,
    hardware: str,
    extra: str = "",
    heavy: bool = True,
) -> str:
    imports = rng.choice(HEAVY_IMPORTS) if heavy else rng.choice(STDLIB)
    keyword = f'name="{name}", {hardware}{extra}'
    sync = "async def" if rng.random() < 0.7 else "def"
    noun = rng.choice(NOUNS)
    return f'''
        @Endpoint({keyword})
        {sync} {fn}(input_data: dict) -> dict:
            """{_camel(rng.choice(VERBS))} one {noun} on a worker."""
            import {imports}

            {noun}s = input_data.get("{noun}s", [])
            limit = int(input_data.get("limit", {rng.randint(1, 64)}))
            processed = [str(item)[:limit] for item in {noun}s]
            return {{"{noun}s": processed, "count": len(processed), "app": "{app}"}}
        '''


def _deps(rng: random.Random) -> str:
    picked = rng.sample(DEPENDENCIES, rng.randint(1, 4))
    return ", dependencies=[" + ", ".join(f'"{d}"' for d in picked) + "]"


def _gpu(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.5:
        return "GpuType", f"gpu=GpuType.{rng.choice(GPU_TYPES)}"
    return "GpuGroup", f"gpu=GpuGroup.{rng.choice(GPU_GROUPS)}"


def _qb_file(rng: random.Random, app: str, rel: str, kind: str, bugs: set[str]) -> _Flash:
    """A queue-based worker file in one of the example styles."""
    flash = _Flash(rel)
    src = flash.src
    stem = rel[:-3].replace("/", "-").replace("_", "-")
    top = "import numpy as np\n" if "top-level-import" in bugs else ""
    if kind == "gpu":
        enum, hw = _gpu(rng)
        src.add(f'"""GPU worker: {rng.choice(VERBS)} {rng.choice(NOUNS)}s."""')
        src.add(f"{top}from runpod_flash import Endpoint, {enum}", blank=1)
        count = 2 if "same-file-name" in bugs else rng.randint(1, 2)
        for i in range(count):
            fn = f"{_ident(rng, VERBS, NOUNS)}_{i}"
            extra = _deps(rng) if rng.random() < 0.5 else ""
            if rng.random() < 0.3:
                extra += f", workers=(0, {rng.randint(1, 5)})"
            name = f"{app}-{stem}-{0 if 'same-file-name' in bugs else i}"  # FL101 when reused
            src.add(_qb_function(rng, app, name, fn, hw, extra), blank=2)
            flash.exports.append(fn)
            flash.names.append(name)
    elif kind == "cpu":
        src.add(f'"""CPU worker: {rng.choice(VERBS)} {rng.choice(NOUNS)}s."""')
        src.add(f"{top}from runpod_flash import CpuInstanceType, Endpoint", blank=1)
        for i in range(2 if "same-file-name" in bugs else rng.randint(1, 3)):
            fn = f"{_ident(rng, VERBS, NOUNS)}_{i}"
            member = rng.choice(CPU_MEMBERS)
            hw = f"cpu=CpuInstanceType.{member}"
            if rng.random() < 0.5:
                hw = f'cpu="{rng.choice(CPU_STRINGS)}", idle_timeout={rng.choice((3, 30, 60, 300))}'
            name = f"{app}-{stem}-{0 if 'same-file-name' in bugs else i}"  # FL101 when reused
            src.add(_qb_function(rng, app, name, fn, hw, heavy=False), blank=2)
            flash.exports.append(fn)
            flash.names.append(name)
    elif kind == "deps":
        src.add('"""Workers with pinned dependencies and system packages."""')
        src.add(f"{top}from runpod_flash import CpuInstanceType, Endpoint, GpuGroup", blank=1)
        hw_cpu = f'cpu="{rng.choice(CPU_STRINGS)}"'
        if "bad-cpu" in bugs:
            hw_cpu = 'cpu="CPU3C_1_2"'
        fn = _ident(rng, VERBS, NOUNS)
        src.add(_qb_function(rng, app, f"{app}-{stem}-cpu", fn, hw_cpu, _deps(rng)), blank=2)
        flash.exports.append(fn)
        fn = _ident(rng, VERBS, NOUNS) + "_gpu"
        extra = _deps(rng) + ', system_dependencies=["ffmpeg", "libgl1"]'
        hw = f"gpu=GpuGroup.{rng.choice(GPU_GROUPS)}"
        src.add(_qb_function(rng, app, f"{app}-{stem}-gpu", fn, hw, extra), blank=2)
        flash.exports.append(fn)
    elif kind == "class":
        cls = f"{_camel(rng.choice(NOUNS))}Model"
        dc = "US_GA_2" if "removed-datacenter" in bugs else "EU_RO_1"
        src.add(f'"""A class-based worker that keeps a model in memory: {cls}."""')
        src.add(
            """
            import logging

            from runpod_flash import DataCenter, Endpoint, GpuType, NetworkVolume
            """,
            blank=1,
        )
        src.add(
            f"""
            logger = logging.getLogger(__name__)
            MODEL_PATH = "/runpod-volume/models/{rng.choice(NOUNS)}"

            volume = NetworkVolume(name="{app}-volume", size={rng.choice((20, 50, 100))}, datacenter=DataCenter.{dc})
            """,
            blank=1,
        )
        idle = 0 if "idle-timeout" in bugs else rng.choice((60, 120, 300))
        src.add(
            f'''
            @Endpoint(
                name="{app}-{stem}",
                gpu=GpuType.{rng.choice(GPU_TYPES)},
                volume=volume,
                datacenter=DataCenter.{dc},
                idle_timeout={idle},
                env={{"MODEL_PATH": MODEL_PATH, "HF_HOME": "/runpod-volume/hf"}},
                dependencies=["torch", "diffusers", "transformers", "accelerate"],
            )
            class {cls}:
                """Loads the model once per worker, then serves requests."""

                def __init__(self):
                    import torch

                    self.device = "cuda" if torch.cuda.is_available() else "cpu"
                    self.ready = True

                async def generate(self, prompt: str, steps: int = {rng.randint(10, 50)}) -> dict:
                    import base64
                    import io

                    buffer = io.BytesIO(prompt.encode())
                    return {{"image": base64.b64encode(buffer.getvalue()).decode(), "steps": steps}}

                def _warm(self):
                    return self.device
            ''',
            blank=2,
        )
        flash.exports.append(cls)
    elif kind == "autoscale":
        src.add('"""Autoscaling workers: explicit scaler settings."""')
        src.add(
            f"{top}from runpod_flash import CpuInstanceType, Endpoint, GpuType, ServerlessScalerType",
            blank=1,
        )
        for i in range(rng.randint(1, 3)):
            fn = f"{_ident(rng, VERBS, NOUNS)}_{i}"
            if rng.random() < 0.6:
                hw = f"gpu=GpuType.{rng.choice(GPU_TYPES)}"
                extra = (
                    f", scaler_type=ServerlessScalerType.{rng.choice(('QUEUE_DELAY', 'REQUEST_COUNT'))}"
                    f", scaler_value={rng.randint(1, 8)}, workers=(1, {rng.randint(2, 10)})"
                )
            else:
                hw = f"cpu=CpuInstanceType.{rng.choice(CPU_MEMBERS)}"
                extra = f", idle_timeout={rng.choice((1, 30))}, workers=(1, 10)"
            src.add(_qb_function(rng, app, f"{app}-{stem}-{i}", fn, hw, extra), blank=2)
            flash.exports.append(fn)
    _helpers(rng, src, rng.randint(60, 200))
    return flash


def _lb_file(
    rng: random.Random,
    app: str,
    rel: str,
    callees: list[tuple[str, str]],
    bugs: set[str],
    variable: str = "api",
) -> _Flash:
    """A load-balanced file: ``api = Endpoint(...)`` and routes calling the app's workers."""
    flash = _Flash(rel, lb=True)
    src = flash.src
    stem = rel[:-3].replace("/", "-").replace("_", "-")
    gpu = rng.random() < 0.3
    if gpu:
        group = rng.choice(GPU_GROUPS)
        src.add('"""GPU load-balanced API."""')
        src.add("from runpod_flash import Endpoint, GpuGroup", blank=1)
        decl = f'{variable} = Endpoint(name="{app}-{stem}", gpu=GpuGroup.{group}, dependencies=["torch"])'
    else:
        src.add('"""CPU load-balanced API that fans out to the workers."""')
        src.add("from runpod_flash import Endpoint", blank=1)
        cpu = rng.choice(CPU_STRINGS)
        decl = f'{variable} = Endpoint(name="{app}-{stem}", cpu="{cpu}", workers=(1, {rng.randint(2, 5)}))'
    src.add(decl, blank=1)
    src.add(
        f"""
        @{variable}.get("/health")
        async def health() -> dict:
            return {{"status": "ok"}}
        """,
        blank=2,
    )
    routes = rng.randint(2, 5)
    used: set[tuple[str, str]] = {("get", "/health")}
    for i in range(routes):
        method = rng.choice(("post", "post", "get", "put", "delete"))
        noun = rng.choice(NOUNS)
        path = f"/{noun}s/{{{noun}_id}}" if method in ("get", "delete") else f"/{rng.choice(VERBS)}"
        while (method, path) in used:  # a duplicate route fails the build: keep them distinct
            path = f"/{rng.choice(VERBS)}{path}"
        used.add((method, path))
        if "bad-route" in bugs and i == 0:
            path = path.lstrip("/")  # FL2xx: the SDK rejects a path without a leading slash
        fn = f"{rng.choice(VERBS)}_{noun}_{i}"
        param = f"{noun}_id: str" if "{" in path else "payload: dict"
        body = [f"@{variable}.{method}({path!r})", f"async def {fn}({param}) -> dict:"]
        if callees:
            module, callee = rng.choice(callees)
            body += [f"    from {module} import {callee}", ""]
            arg = f"{{'{noun}s': [{param.split(':')[0]}]}}"
            body += [f"    result = await {callee}({arg})"]
        else:
            body += [f"    result = {{'{noun}': {param.split(':')[0]}}}"]
        body += ["    return {'ok': True, 'result': result}"]
        src.lines.extend(["", ""])
        src.lines.extend(body)
    _helpers(rng, src, rng.randint(50, 160))
    return flash


def _pyproject(app: str) -> str:
    return (
        f'[project]\nname = "{app}"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
        'dependencies = ["runpod-flash"]\n'
    )


def _app_zero(app: str) -> tuple[dict[str, str], dict[str, object]]:
    """The benchmark subjects: the 1,000-line service.py and the P2 pair."""
    rng = random.Random(f"app0:{app}")
    files: dict[str, str] = {}
    meta: dict[str, object] = {}

    cpu = _Source()
    cpu.add('"""Text clean-up on a CPU worker."""')
    cpu.add("from runpod_flash import CpuInstanceType, Endpoint", blank=1)
    first = cpu.add(
        f'''
        @Endpoint(name="{app}-preprocess", cpu=CpuInstanceType.CPU3C_1_2, idle_timeout=30)
        async def preprocess(text: str) -> dict:
            """Collapse whitespace."""
            import re

            cleaned = re.sub(r"\\s+", " ", text).strip()
            return {{"text": cleaned, "length": len(cleaned)}}
        ''',
        blank=2,
    )
    _helpers(rng, cpu, 60)
    files["cpu_worker.py"] = cpu.text()
    line = cpu.lines[first]
    start = line.index(f'"{app}-preprocess"')
    meta["rename"] = EditSite("cpu_worker.py", first, line, start, start + len(app) + 13)
    meta["rename_to"] = f'"{app}-embed"'

    gpu = _Source()
    gpu.add('"""Embeddings on a GPU worker."""')
    gpu.add("from runpod_flash import Endpoint, GpuGroup", blank=1)
    gpu.add(
        f'''
        @Endpoint(
            name="{app}-embed",
            gpu=GpuGroup.ADA_24,
            workers=(0, 3),
            idle_timeout=300,
            dependencies=["sentence-transformers"],
        )
        async def embed(text: str) -> dict:
            """One embedding vector."""
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer("all-MiniLM-L6-v2")
            return {{"vector": model.encode(text).tolist()}}
        ''',
        blank=2,
    )
    _helpers(rng, gpu, 70)
    files["gpu_worker.py"] = gpu.text()

    pipe = _Source()
    pipe.add('"""A load-balanced API that calls the workers."""')
    pipe.add("from runpod_flash import Endpoint", blank=1)
    pipe.add(
        f'pipeline = Endpoint(name="{app}-pipeline", cpu="cpu3c-1-2", workers=(1, 3))', blank=1
    )
    pipe.add(
        """
        @pipeline.post("/classify")
        async def classify(text: str) -> dict:
            from cpu_worker import preprocess
            from gpu_worker import embed

            cleaned = await preprocess(text)
            return await embed(cleaned["text"])
        """,
        blank=2,
    )
    _helpers(rng, pipe, 40)
    files["pipeline.py"] = pipe.text()

    utils = _Source()
    utils.add('"""Shared helpers (no Flash)."""')
    utils.add("import logging", blank=1)
    utils.add("log = logging.getLogger(__name__)", blank=1)
    _helpers(rng, utils, 120)
    files["utils.py"] = utils.text().replace("def _", "def ")

    svc = _Source()
    svc.add(
        '''
        """The public API of the app: load-balanced routes plus the GPU workers they call.

        A long file on purpose: it is what a real app's main module grows into.
        """
        '''
    )
    svc.add(
        "import logging\n\nfrom runpod_flash import CpuInstanceType, Endpoint, GpuGroup, GpuType",
        blank=1,
    )
    svc.add(
        f"""
        log = logging.getLogger(__name__)
        MODEL_NAME = "{app}/base-v2"
        DEFAULT_LIMIT = 50

        api = Endpoint(name="{app}-api", cpu=CpuInstanceType.CPU3C_2_4, workers=(1, 3))
        """,
        blank=1,
    )
    svc.add(
        """
        @api.get("/health")
        async def health() -> dict:
            return {"status": "ok"}
        """,
        blank=2,
    )
    edit_at = svc.add(
        '''
        @api.post("/search")
        async def search(query: str, limit: int = DEFAULT_LIMIT) -> dict:
            """Rank documents for a query."""
            from utils import normalise_text

            page_size = 25
            terms = [t for t in query.lower().split() if t]
            hits = await rank(terms)
            return {"hits": hits[: min(limit, page_size)], "query": normalise_text(query)}
        ''',
        blank=2,
    )
    edit_line = edit_at + 5
    workers: list[str] = []
    index = 0
    while len(svc) < 930:
        index += 1
        noun = rng.choice(NOUNS)
        verb = rng.choice(VERBS)
        if index % 4 == 0:
            fn = f"{verb}_{noun}_{index}"
            _, hw = _gpu(rng)
            svc.add(
                _qb_function(rng, app, f"{app}-{fn.replace('_', '-')}", fn, hw, _deps(rng)), blank=2
            )
            workers.append(fn)
        elif index % 4 == 1:
            method = rng.choice(("get", "delete"))
            svc.add(
                f'''
                @api.{method}("/{noun}s/{{{noun}_id}}/v{index}")
                async def {verb}_{noun}_{index}({noun}_id: str) -> dict:
                    """{_camel(verb)} one {noun}."""
                    import json

                    record = {{"id": {noun}_id, "kind": "{noun}"}}
                    log.info("{verb} %s", {noun}_id)
                    return json.loads(json.dumps(record))
                ''',
                blank=2,
            )
        elif index % 4 == 2:
            callee = rng.choice(workers) if workers else None
            lines = [
                f'@api.post("/{verb}-{noun}-{index}")',
                f"async def {verb}_{noun}_route_{index}(payload: dict) -> dict:",
                f'    """{_camel(verb)} {noun}s in the background."""',
            ]
            if callee:
                lines += [
                    f"    from service import {callee}",
                    "",
                    f"    out = await {callee}(payload)",
                ]
            else:
                lines += ["    out = dict(payload)"]
            lines += ['    return {"ok": True, "out": out}']
            svc.lines.extend(["", "", *lines])
        else:
            svc.lines.extend(["", ""])
            svc.lines.extend(_function(rng, f"_{verb}_{noun}_{index}"))
    svc.add(
        '''
        async def rank(terms: list[str]) -> list[dict]:
            """Score every term (plain helper, not an endpoint)."""
            return [{"term": t, "score": len(t)} for t in terms]
        ''',
        blank=2,
    )
    while True:  # whole helpers while they fit, then a table to land on exactly 1,000 lines
        unit = _function(rng, "_" + _ident(rng, VERBS, NOUNS))
        if len(svc) + len(unit) + 2 > 990:
            break
        svc.lines.extend(["", "", *unit])
    svc.lines.extend(["", "", "ROUTE_LIMITS = {"])
    while len(svc) < 999:
        svc.lines.append(f'    "{rng.choice(NOUNS)}-{len(svc)}": {rng.randint(1, 500)},')
    svc.lines.append("}")
    files["service.py"] = svc.text()
    line = svc.lines[edit_line]
    assert line.strip() == "page_size = 25", line
    start = line.index("25")
    meta["edit"] = EditSite("service.py", edit_line, line, start, start + 2)
    files["pyproject.toml"] = _pyproject(app)
    files["requirements.txt"] = "runpod-flash\n"
    files[".gitignore"] = ".venv/\n__pycache__/\n.env\n.flash/\n"
    return files, meta


BUGS = (
    "same-file-name",
    "cross-file-name",
    "bad-route",
    "top-level-import",
    "bad-cpu",
    "idle-timeout",
)
QB_KINDS = ("gpu", "cpu", "deps", "class", "autoscale")


def _app(seed: int, index: int, app: str, n_flash: int, syntax_error: bool) -> dict[str, str]:
    """An app of ``n_flash`` Flash files (workers, then load-balanced APIs), plus helpers."""
    rng = random.Random(f"{seed}:app:{index}")
    bugs: set[str] = set()
    if rng.random() < 0.3:
        bugs.update(rng.sample(BUGS, rng.randint(1, 2)))
        if rng.random() < 0.2:
            bugs.add("removed-datacenter")
    files: dict[str, str] = {"pyproject.toml": _pyproject(app)}
    if rng.random() < 0.5:
        files["requirements.txt"] = "runpod-flash\n" + "".join(
            f"{d}\n" for d in rng.sample(DEPENDENCIES[:8], 2)
        )
    if rng.random() < 0.6:
        files[".gitignore"] = ".venv/\n__pycache__/\n.env\n.flash/\n"
    n_lb = 1 if n_flash < 3 else rng.randint(1, max(1, n_flash // 3))
    n_qb = n_flash - n_lb
    flashes: list[_Flash] = []
    nested = rng.random() < 0.3
    for i in range(n_qb):
        kind = rng.choice(QB_KINDS) if i else rng.choice(("gpu", "cpu"))
        rel = f"workers/{kind}_{i}.py" if nested else f"{kind}_worker_{i}.py"
        flashes.append(_qb_file(rng, app, rel, kind, bugs if i == 0 else set()))
    callees = [
        (f.rel[:-3].replace("/", "."), name)
        for f in flashes
        for name in f.exports
        if not name[0].isupper()
    ]
    for i in range(n_lb):
        rel = "pipeline.py" if i == 0 else f"api_{i}.py"
        variable = "pipeline" if i == 0 and rng.random() < 0.5 else "api"
        flashes.append(_lb_file(rng, app, rel, callees, bugs if i == 0 else set(), variable))
    second = next((f for f in flashes[1:] if f.names and not f.lb), None)
    if "cross-file-name" in bugs and second is not None:
        # FL102: a second file reuses the first worker's endpoint name
        lines = second.src.lines
        at = next(k for k, text in enumerate(lines) if f'name="{second.names[0]}"' in text)
        lines[at] = lines[at].replace(second.names[0], flashes[0].names[0], 1)
    for f in flashes:
        files[f.rel] = f.src.text()
    if nested:
        files["workers/__init__.py"] = '"""Workers of the app."""\n'
    if syntax_error and flashes:
        rel = flashes[0].rel
        files[rel] = files[rel].replace(
            "return {", "return {{  # unfinished edit left in the file\n    return {", 1
        )
    return files


def _app_extras(seed: int, index: int, count: int) -> dict[str, str]:
    """Non-Flash files of an app: helpers, schemas, a load-test script (``*_test.py``, ignored)."""
    rng = random.Random(f"{seed}:extras:{index}")
    files: dict[str, str] = {}
    for i in range(count):
        if i == 1:
            files["load_test.py"] = (
                '"""Load test (excluded from the build by the *_test.py rule)."""\n\n'
                "import asyncio\n\nimport aiohttp\n\n\n"
                "async def main() -> None:\n"
                "    async with aiohttp.ClientSession() as session:\n"
                '        await asyncio.gather(*(session.get("http://localhost:8888/health") for _ in range(100)))\n'
            )
            continue
        name = "utils.py" if i == 0 else f"helpers_{i}.py"
        src = _Source()
        src.add(f'"""Helpers for the app ({rng.choice(NOUNS)}s)."""')
        src.add("import logging", blank=1)
        src.add("log = logging.getLogger(__name__)", blank=1)
        _helpers(rng, src, rng.randint(30, 150))
        files[name] = src.text()
    return files


def _scripts(seed: int, count: int) -> dict[str, str]:
    rng = random.Random(f"{seed}:scripts")
    files: dict[str, str] = {}
    for i in range(count):
        src = _Source()
        src.add(f'"""Maintenance script {i}."""')
        src.add("import logging\nimport sys", blank=1)
        src.add("log = logging.getLogger(__name__)", blank=1)
        _helpers(rng, src, rng.randint(30, 90))
        src.add('if __name__ == "__main__":\n    sys.exit(0)', blank=2)
        files[f"scripts/{_ident(rng, VERBS, NOUNS)}_{i}.py"] = src.text()
    return files


def build_files(size: str, seed: int = DEFAULT_SEED) -> tuple[dict[str, str], dict[str, object]]:
    """Every file of the workspace (relative path -> text) and the benchmark subjects."""
    spec = SIZES[size]
    files: dict[str, str] = {}
    names = [f"app{i:02d}-{APP_WORDS[i % len(APP_WORDS)]}" for i in range(spec.apps)]
    zero, meta = _app_zero(names[0])
    prefix = "apps/" if spec.apps > 1 else ""
    files.update({f"{prefix}{names[0]}/{rel}": text for rel, text in zero.items()})
    flash_left = spec.flash_files - 4
    others = spec.apps - 1
    per_app = [flash_left // others + (1 if i < flash_left % others else 0) for i in range(others)]
    for i, n_flash in enumerate(per_app, start=1):
        app_files = _app(seed, i, names[i], n_flash, syntax_error=(size == "L" and i == 7))
        rng = random.Random(f"{seed}:extras-count:{i}")
        app_files.update(_app_extras(seed, i, rng.randint(0, 3)))
        files.update({f"{prefix}{names[i]}/{rel}": text for rel, text in app_files.items()})
    py = sum(1 for rel in files if rel.endswith(".py"))
    remaining = spec.total_files - py
    scripts = min(5, max(0, remaining))
    files.update(_scripts(seed, scripts))
    remaining -= scripts
    used_lines = sum(t.count("\n") for rel, t in files.items() if rel.endswith(".py"))
    budget = max(remaining * 20, spec.total_lines - used_lines)
    files.update(_library_files(seed, remaining, budget))
    if spec.apps > 1:
        files["README.md"] = f"# Benchmark workspace {size} (seed {seed})\n"
    meta["prefix"] = f"{prefix}{names[0]}/"
    meta["apps"] = [f"{prefix}{n}" for n in names]
    return files, meta


def generate(size: str, root: Path, seed: int = DEFAULT_SEED) -> WorkspaceInfo:
    """Write the workspace of ``size`` under ``root`` (emptied first)."""
    files, meta = build_files(size, seed)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    prefix = str(meta["prefix"])
    edit = meta["edit"]
    rename = meta["rename"]
    assert isinstance(edit, EditSite) and isinstance(rename, EditSite)
    edit.rel = prefix + edit.rel
    rename.rel = prefix + rename.rel
    py = {rel: text for rel, text in files.items() if rel.endswith(".py")}
    info = WorkspaceInfo(
        root=root.resolve(),
        size=size,
        seed=seed,
        files=len(py),
        lines=sum(t.count("\n") for t in py.values()),
        flash_files=sum(1 for t in py.values() if "runpod_flash" in t),
        apps=list(meta["apps"]),  # type: ignore[call-overload]
        big_file=edit.rel,
        big_file_lines=py[edit.rel].count("\n"),
        edit=edit,
        rename=rename,
        rename_to=str(meta["rename_to"]),
        partner=prefix + "gpu_worker.py",
        opened=prefix + "pipeline.py",
    )
    (root / STAMP).write_text(info.to_json(), encoding="utf-8")
    return info


def ensure_workspace(size: str, base: Path, seed: int = DEFAULT_SEED) -> WorkspaceInfo:
    """The workspace of ``size`` under ``base``, generated unless an identical one is there."""
    root = base / f"ws-{size}-seed{seed}-v{GENERATOR_VERSION}"
    stamp = root / STAMP
    if stamp.is_file():
        try:
            info = WorkspaceInfo.from_json(stamp.read_text(encoding="utf-8"))
        except (ValueError, TypeError, KeyError):
            info = None
        if info is not None and info.root == root.resolve():
            present = sum(1 for _ in root.rglob("*.py"))
            if present == info.files:
                return info
    return generate(size, root, seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="S")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("root", type=Path)
    args = parser.parse_args(argv)
    info = generate(args.size, args.root, args.seed)
    print(
        f"{info.root}: {info.files} .py files, {info.lines} lines, {info.flash_files} Flash files, "
        f"{len(info.apps)} apps; P1 file {info.big_file} ({info.big_file_lines} lines)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
