"""Hypothesis strategies for Python-ish and Flash-ish source text.

``token_soup``: lines of tokens of Flash code (decorators, ``Endpoint(...)``, brackets, strings,
indentation, comments, suppressions) mixed with the characters that stress positions and line
counting (non-ASCII, NUL, BOM, form feeds and the other ``str.splitlines`` separators, CR/CRLF),
and with ``surrogates=True`` lone surrogates (only where an API takes ``str``: an editor buffer
can hold them, a file read from disk cannot).

``flash_module``: a syntactically plausible Flash module (imports, decorated functions and
classes, ``Endpoint`` instances with routes) whose keyword arguments take random values, so the
rules see every shape of argument, valid or not.
"""

from __future__ import annotations

from hypothesis import strategies as st

TOKENS = (
    *("@", "Endpoint", "rf.Endpoint", "remote", "api", "api.post", "api.get", "api.head"),
    *("(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "->", "*", "**", "\\", "+", "-"),
    *("def", "async def", "class", "return", "await", "yield", "lambda", "if", "else", "elif"),
    *("try", "except", "except*", "finally", "with", "for", "in", "while", "match", "case"),
    *("import", "from", "as", "runpod_flash", "torch", "numpy", "common", ".", ".."),
    *("name=", "gpu=", "cpu=", "workers=", "dependencies=", "datacenter=", "env=", "id="),
    *("GpuGroup.ADA_24", "GpuType.NVIDIA_L4", "CpuInstanceType.CPU3C_1_2", "DataCenter.EU_RO_1"),
    *('"w"', "'w'", '"/x"', '"/items/{id}"', '"/ping"', '""', 'f"{x}"', "b'x'", 'r"\\d"'),
    *('"""', "'''", '"', "'", "#", "# flash-ls: ignore[FL101]", "# flash-ls: ignore-file"),
    *("x", "f", "self", "__init__", "__name__", "'__main__'", "TYPE_CHECKING", "None", "True"),
    *("0", "1", "-1", "0.5", "1e999", "0x_1", "10_000", "...", "pass", "global", "nonlocal"),
    *("\u00e9", "\U0001d518", "\u6f22\u5b57", "e\u0301", "\u200b", "\u202e", "\t", " "),
)
# Characters that change how lines and columns are counted, or that Python refuses.
ODD = ("\x00", "\ufeff", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r")
SURROGATES = ("\ud800", "\udfff", "\udc80")
INDENTS = ("", "", "", "    ", "        ", "\t", " ", "\x0c", "  \t")
LINE_ENDS = ("\n", "\n", "\n", "\n", "\r\n", "\r")


def token_soup(*, surrogates: bool = False, max_lines: int = 24) -> st.SearchStrategy[str]:
    odd = ODD + SURROGATES if surrogates else ODD
    token = st.one_of(
        st.sampled_from(TOKENS),
        st.sampled_from(odd),
        st.text(max_size=4).filter(lambda t: surrogates or t.isprintable()),
    )
    line = st.builds(
        lambda indent, parts, sep: indent + sep.join(parts),
        st.sampled_from(INDENTS),
        st.lists(token, max_size=12),
        st.sampled_from((" ", "", " ")),
    )
    return st.lists(st.tuples(line, st.sampled_from(LINE_ENDS)), max_size=max_lines).map(
        lambda lines: "".join(text + end for text, end in lines)
    )


def any_text(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Arbitrary text (every code point, surrogates too): what an editor buffer may hold."""
    if surrogates:
        return st.text(st.characters(codec=None, exclude_categories=()), max_size=400)
    return st.text(max_size=400)


# -- flash_module --------------------------------------------------------------------------------

KEYWORDS = (
    *("name", "gpu", "cpu", "workers", "idle_timeout", "dependencies", "datacenter", "env"),
    *("max_concurrency", "min_cuda_version", "scaler_type", "volume", "id", "image", "gpu_count"),
    *("execution_timeout_ms", "flashboot", "template", "system_dependencies", "python_version"),
    *("accelerate_downloads", "namee", "gpus", "workerz"),
)
NAMES = (
    *(
        "GpuGroup.ADA_24",
        "GpuGroup.AMPERE_48",
        "GpuGroup.ANY",
        "GpuGroup.NOPE",
        "GpuType.NVIDIA_L4",
    ),
    *("CpuInstanceType.CPU3C_1_2", "CpuInstanceType.CPU9X_1_2", "DataCenter.EU_RO_1"),
    *("DataCenter.US_GA_2", "CudaVersion.V12_1", "ServerlessScalerType.QUEUE_DELAY", "NAME"),
    *("make_name()", "os.environ['X']", "NetworkVolume(name='v', size=5)", "PodTemplate()"),
)
ROUTE_PATHS = ('"/x"', '"/x"', '"/items/{id}"', '"/items/me"', '"/ping"', '"/execute"', '""', "P")
METHODS = ("get", "post", "put", "delete", "patch", "head", "options")


def _literal() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(-10, 5000).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(("None", "True", "False", '"cpu3c-1-2"', '"ADA_24"', '"torch"')),
        st.sampled_from(('"numpy>=1"', '"not a requirement!"', '"EU-RO-1"', '"12.1"', '"3.11"')),
        st.text(max_size=8).map(repr),
        st.sampled_from(NAMES),
    )


def _value() -> st.SearchStrategy[str]:
    return st.recursive(
        _literal(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.lists(inner, max_size=3).map(lambda xs: "(" + ", ".join(xs) + ",)"),
            st.lists(st.tuples(inner, inner), max_size=3).map(
                lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"
            ),
            st.tuples(st.sampled_from(("f", "str", "Endpoint")), inner).map(
                lambda fx: f"{fx[0]}({fx[1]})"
            ),
            st.tuples(inner, inner).map(lambda ab: f"{ab[0]} + {ab[1]}"),
        ),
        max_leaves=5,
    )


def _call() -> st.SearchStrategy[str]:
    keyword = st.tuples(st.sampled_from(KEYWORDS), _value()).map(lambda kv: f"{kv[0]}={kv[1]}")
    args = st.lists(st.one_of(keyword, _value(), st.just("**opts")), max_size=5)
    callee = st.sampled_from(("Endpoint", "Endpoint", "rf.Endpoint", "EP", "remote"))
    return st.builds(lambda c, a: f"{c}({', '.join(a)})", callee, args)


def _function(name: str) -> st.SearchStrategy[str]:
    body = st.lists(
        st.sampled_from(
            (
                "import torch",
                "from transformers import pipeline",
                "model = pipeline('x')",
                "return torch.zeros(1)",
                "return helper(data)",
                "global model",
                "import PIL",
                "return {}",
                "await asyncio.sleep(0)",
            )
        ),
        min_size=1,
        max_size=3,
    )
    head = st.sampled_from((f"def {name}(data):", f"async def {name}(data: dict) -> dict:"))
    return st.builds(lambda h, b: h + "".join(f"\n    {line}" for line in b), head, body)


def _class(name: str) -> st.SearchStrategy[str]:
    return st.just(
        f"class {name}:\n    def __init__(self):\n        self.model = load()\n"
        f"    def predict(self, x):\n        return x\n    async def run(self, x):\n        return x"
    )


def _statement(index: int) -> st.SearchStrategy[str]:
    name = f"f{index % 3}"  # names repeat: duplicates are what FL101/FL104 are about
    decorated = st.builds(
        lambda deco, target: f"@{deco}\n{target}",
        _call(),
        st.one_of(_function(name), _class(name.upper())),
    )
    instance = st.builds(lambda call: f"api = {call}", _call())
    route = st.builds(
        lambda method, path, fn: f"@api.{method}({path})\n{fn}",
        st.sampled_from(METHODS),
        st.sampled_from(ROUTE_PATHS),
        _function(name),
    )
    other = st.sampled_from(
        (
            "import torch",
            "import numpy as np",
            "from common import api",
            "from .pkg import thing",
            "NAME = 'worker'",
            "P = '/y'",
            "EP = Endpoint",
            "opts = {}",
            "if __name__ == '__main__':\n    import torch",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch",
            "try:\n    import torch\nexcept ImportError:\n    torch = None",
            "Endpoint(name='bare')",
            "alias = f0",
        )
    )
    return st.one_of(decorated, decorated, instance, route, other)


_IMPORTS = st.sampled_from(
    (
        "from runpod_flash import *",
        "from runpod_flash import Endpoint, GpuGroup, GpuType, CpuInstanceType, DataCenter",
        "import runpod_flash as rf\nfrom runpod_flash import Endpoint, GpuGroup",
    )
)
_STATEMENTS = st.one_of(*(_statement(i) for i in range(3)))


def flash_module() -> st.SearchStrategy[str]:
    return st.builds(
        lambda imports, statements: imports + "\n\n" + "\n\n".join(statements) + "\n",
        _IMPORTS,
        st.lists(_STATEMENTS, min_size=1, max_size=6),
    )
