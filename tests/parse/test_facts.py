"""FileFacts: imports, bindings, definitions, bodies, suppressions, with exact positions."""

from __future__ import annotations

import textwrap

from flash_ls.parse import parse_file
from flash_ls.parse.facts import CallExpr, Literal, NameExpr, SequenceExpr


def facts(text: str):  # type: ignore[no-untyped-def]
    return parse_file(textwrap.dedent(text).lstrip("\n"), full=True)


def test_qualify_follows_every_import_form() -> None:
    f = facts(
        """
        import runpod_flash as rf
        import runpod_flash
        from runpod_flash import Endpoint as E, GpuType
        from .common import api
        from workers import gpu
        """
    )
    assert f.qualify("rf.Endpoint") == "runpod_flash:Endpoint"
    assert f.qualify("runpod_flash.GpuGroup.ADA_24") == "runpod_flash:GpuGroup.ADA_24"
    assert f.qualify("E") == "runpod_flash:Endpoint"
    assert f.qualify("GpuType.NVIDIA_L4") == "runpod_flash:GpuType.NVIDIA_L4"
    assert f.qualify("api") == ".common:api"
    assert f.qualify("gpu.work") == "workers:gpu.work"
    assert f.qualify("local_name") == ":local_name"


def test_keyword_values_and_positions() -> None:
    f = facts(
        """
        from runpod_flash import Endpoint, GpuType

        @Endpoint(name="tts", gpu=[GpuType.NVIDIA_L4, "ADA_24"], workers=(0, 3), idle_timeout=-1)
        async def speak(text: str, *, voice="a"):
            return text
        """
    )
    (definition,) = f.definitions
    assert (
        definition.name == "speak"
        and definition.is_async
        and definition.params == ("text", "voice")
    )
    call = definition.decorators[0].expr
    assert isinstance(call, CallExpr)
    name = call.keyword("name")
    assert name is not None and isinstance(name.value, Literal) and name.value.value == "tts"
    assert (name.value.span.start_line, name.value.span.start_col) == (2, 15)
    gpu = call.keyword("gpu")
    assert gpu is not None and isinstance(gpu.value, SequenceExpr)
    assert (
        isinstance(gpu.value.items[0], NameExpr)
        and gpu.value.items[0].dotted == "GpuType.NVIDIA_L4"
    )
    idle = call.keyword("idle_timeout")
    assert idle is not None and isinstance(idle.value, Literal) and idle.value.value == -1


def test_columns_count_code_points_not_bytes() -> None:
    f = facts('x = "é😀"; api = Endpoint(name="a")\n')
    (binding,) = f.bindings["api"]
    assert binding.span.start_col == 10


def test_guarded_imports_and_main_blocks() -> None:
    f = facts(
        """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import torch
        try:
            import orjson as json
        except ImportError:
            import json
        if __name__ == "__main__":
            import requests
            def not_an_endpoint(): ...
        """
    )
    by_module = {n.name: imp for imp in f.imports for n in imp.names}
    assert by_module["torch"].guarded and by_module["requests"].guarded
    assert by_module["orjson"].nested and not by_module["orjson"].guarded
    assert [d.name for d in f.definitions] == []


def test_body_free_names_imports_and_calls() -> None:
    f = facts(
        """
        import os
        MODEL = "m"

        def work(x):
            \"\"\"Doc.\"\"\"
            from PIL import Image
            total = [y for y in range(x)]
            model = from_pretrained(MODEL)
            return os.path.join(Image.open(model), total, len)
        """
    )
    body = f.definitions[0].body
    assert [imp.module for imp in body.imports] == ["PIL"]
    assert [u.name for u in body.free_names] == ["from_pretrained", "MODEL", "os"]
    assert {c.callee for c in body.calls} >= {
        "from_pretrained",
        "os.path.join",
        "Image.open",
        "range",
    }
    assert body.docstring_end is not None and body.first_statement is not None
    assert body.first_statement.start_line == 5 and body.indent == "    "


def test_class_methods_and_required_init_params() -> None:
    f = facts(
        """
        from runpod_flash import Endpoint

        class Model:
            def __init__(self, path):
                self.path = path
            async def predict(self, x): ...
            def _helper(self): ...
        """
    )
    methods = {m.name: m for m in f.definitions[0].methods}
    assert methods["predict"].is_async and methods["predict"].params == ("x",)
    assert methods["__init__"].required_params == 1


def test_suppression_comments() -> None:
    f = facts(
        """
        # flash-ls: ignore-file[FL302]
        import torch  # flash-ls: ignore[FL301, top-level-import]
        import numpy  # flash-ls: ignore
        s = "# flash-ls: ignore"
        """
    )
    assert f.suppressions[1].codes == frozenset({"FL301", "top-level-import"})
    assert f.suppressions[2].codes is None
    assert 3 not in f.suppressions
    assert [s.codes for s in f.file_suppressions] == [frozenset({"FL302"})]


def test_syntax_error_is_reported_at_its_statement_and_the_rest_parses() -> None:
    f = facts(
        """
        import os

        def broken(:
            pass

        @Endpoint(name="w")
        def w(): ...
        """
    )
    assert [(p.span.start_line, p.span.start_col) for p in f.syntax_errors] == [(2, 11)]
    assert f.syntax_errors[0].message == "invalid syntax"
    assert [d.name for d in f.definitions] == ["w"]


def test_files_without_flash_only_parse_imports() -> None:
    f = parse_file("import os\nfrom worker import work\n\ndef helper():\n    return 1\n")
    assert not f.fully_parsed
    assert [imp.module for imp in f.imports] == [None, "worker"]
    assert f.definitions == []


def test_cached_statements_are_shifted_not_shared() -> None:
    block = "@Endpoint(name='w')\ndef w(): ...\n"
    a = parse_file("from runpod_flash import Endpoint\n" + block)
    b = parse_file("from runpod_flash import Endpoint\n\n\n" + block)
    assert a.definitions[0].span.start_line == 1  # decorators included
    assert b.definitions[0].span.start_line == 3
    assert a.definitions[0].span.start_line == 1  # the cache was not mutated
