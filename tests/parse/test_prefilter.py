"""Which files get full facts: the SDK mention, plus imports of relevant app modules (cross-file)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from flash_ls.parse import parse_file
from flash_ls.parse.facts import CallExpr, Literal, MappingExpr, NameExpr, SequenceExpr
from tests.apps import load_app, write_app

ENDPOINT = """
from runpod_flash import Endpoint

api = Endpoint(name="api", cpu="cpu3c-1-2")
"""


def test_decorated_file_importing_an_endpoint_is_fully_parsed(tmp_path: Path) -> None:
    app = load_app(
        write_app(
            tmp_path,
            {
                "common.py": ENDPOINT,
                "routes.py": """
                from common import api

                @api.post("/x")
                async def x(data: dict) -> dict:
                    return data
                """,
                "plain.py": """
                import common

                @common.api.get("/y")
                async def y() -> dict:
                    return {}
                """,
                "models.py": """
                import os

                class Model:
                    @property
                    def name(self) -> str:
                        return os.sep
                """,
            },
        )
    )
    assert app.files["routes.py"].facts.fully_parsed
    assert [d.name for d in app.files["routes.py"].facts.definitions] == ["x"]
    assert app.files["plain.py"].facts.fully_parsed
    assert not app.files["models.py"].facts.fully_parsed
    assert app.files["models.py"].facts.definitions == []
    paths = sorted(route.path for endpoint in app.endpoints for route in endpoint.routes)
    assert paths == ["/x", "/y"]


def test_chains_of_re_exports_and_relative_imports(tmp_path: Path) -> None:
    app = load_app(
        write_app(
            tmp_path,
            {
                "pkg/__init__.py": "",
                "pkg/endpoints.py": ENDPOINT,
                "pkg/shared.py": "from .endpoints import api as shared_api\n",
                "pkg/views.py": """
                from pkg.shared import shared_api

                @shared_api.post("/v")
                async def v(data: dict) -> dict:
                    return data
                """,
                "unrelated.py": "from dataclasses import dataclass\n\n@dataclass\nclass A:\n    x: int\n",
            },
        )
    )
    assert app.files["pkg/shared.py"].facts.fully_parsed
    assert app.files["pkg/views.py"].facts.fully_parsed
    assert not app.files["unrelated.py"].facts.fully_parsed
    assert [r.path for e in app.endpoints for r in e.routes] == ["/v"]


def test_property_only_file_is_light_and_keeps_imports_and_constants() -> None:
    text = textwrap.dedent(
        """
        import os as o
        from .cfg import (A,
            B as bee)
        NAME = "é😀"; GPUS = ["a", *x]
        COUNT: int = -3
        CFG = {"k": 1, **extra}
        CALL = make(1, key="v", **kw)

        class Model:
            @property
            def name(self) -> str:
                import json
                return NAME
        """
    ).lstrip("\n")
    f = parse_file(text)
    assert not f.fully_parsed and f.definitions == []
    assert [(i.module, i.level) for i in f.imports] == [(None, 0), ("cfg", 1)]
    bee = f.bindings["bee"][0]
    assert bee.imported is not None and bee.imported.name == "B" and bee.span.start_line == 2
    assert f.bindings["o"][0].span == f.imports[0].names[0].span
    name = f.bindings["NAME"][0]
    assert isinstance(name.value, Literal) and name.value.value == "é😀"
    gpus = f.bindings["GPUS"][0]
    assert gpus.span.start_col == 13  # code points, not UTF-8 bytes (17)
    assert isinstance(gpus.value, SequenceExpr) and gpus.value.has_star
    count = f.bindings["COUNT"][0]
    assert count.kind == "annotated" and isinstance(count.value, Literal)
    assert count.value.value == -3
    assert isinstance(f.bindings["CFG"][0].value, MappingExpr)
    call = f.bindings["CALL"][0].value
    assert isinstance(call, CallExpr) and isinstance(call.func, NameExpr)
    key = call.keyword("key")
    assert key is not None and key.name_span.end_col - key.name_span.start_col == 3


def test_light_facts_match_full_facts_for_imports_and_constants() -> None:
    text = textwrap.dedent(
        """
        import a.b, c as d
        from x.y import (z,
                         w as v)
        try:
            import orjson as json
        except ImportError:
            import json
        if TYPE_CHECKING:
            import torch
        LIMIT = 10
        NAMES = ("a", 'b', b"c", 1.5, None, True)
        T: str = "x" "y"
        KW = dict(a=1, **rest)
        """
    ).lstrip("\n")
    light = parse_file(text, full=False)
    full = parse_file(text, full=True)
    assert light.imports == full.imports
    assert light.bindings == full.bindings


def test_syntax_error_in_an_import_statement_of_a_light_file() -> None:
    f = parse_file("import os\nfrom x import (a,\nX = 1\n")
    assert f.syntax_errors and not f.fully_parsed


def test_import_flash_ls_parse_does_not_import_libcst() -> None:
    code = (
        "import sys, flash_ls.parse as p; p.parse_file('import os\\nX = 1\\n');"
        "print('libcst' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_shifted_statements_keep_their_facts_after_line_changes() -> None:
    body = 'from runpod_flash import Endpoint\napi = Endpoint(name="a")\n\n@api.get("/x")\ndef x(): ...\n'
    first = parse_file(body)
    moved = parse_file("\n\n" + body)
    again = parse_file(body)
    assert [d.span.start_line for d in first.definitions] == [3]
    assert [d.span.start_line for d in moved.definitions] == [5]
    assert moved.definitions[0].decorators[0].span.start_line == 5
    assert again.definitions[0].span == first.definitions[0].span
    imp = moved.bindings["Endpoint"][0]
    assert imp.import_ is not None and imp.imported in imp.import_.names


def test_relevance_follows_edits_of_the_imported_module(tmp_path: Path) -> None:
    from flash_ls.project.workspace import Workspace

    root = write_app(
        tmp_path,
        {
            "common.py": "api = None\n",
            "routes.py": "from common import api\n\n@api.post('/x')\nasync def x(): ...\n",
        },
    )
    workspace = Workspace([root])
    assert not workspace.app(root).files["routes.py"].facts.fully_parsed
    workspace.update(root / "common.py", textwrap.dedent(ENDPOINT).lstrip("\n"))
    app = workspace.app(root)
    assert app.files["routes.py"].facts.fully_parsed
    assert [r.path for e in app.endpoints for r in e.routes] == ["/x"]
