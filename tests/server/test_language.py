"""Hover, completion, symbols, navigation, code lens, and position encodings."""

from __future__ import annotations

import json

import pytest
from lsp_session import Session, apply_text_edits, codes_of
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="module")

MAIN = """
from runpod_flash import Endpoint, GpuGroup, GpuType

api = Endpoint(name="api", cpu="cpu3c-2-4", workers=(1, 4), idle_timeout=120, dependencies=["fastapi", "torch"])

@api.post("/run")
async def run(x: int):  # flash-ls: ignore[FL302]
    return x

@Endpoint(name="gpu", gpu=[GpuGroup.ADA_24, GpuType.NVIDIA_L4], dependencies=["numpy", "transformers"])
async def infer(x: int):
    return x
"""
CLIENT = """
from main import api

def call():
    return api
"""


@pytest.fixture(scope="module")
def app(session: Session) -> dict[str, str]:
    root = session.new_app({"main.py": MAIN, "client.py": CLIENT})
    (root / ".flash").mkdir()
    (root / ".flash" / "flash_manifest.json").write_text(
        json.dumps({"resources_endpoints": {"api": "https://api.example.test/v2/abc"}})
    )
    return {
        "root": str(root),
        "main": session.open(root / "main.py"),
        "client": session.uri(root / "client.py"),
    }


def _pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


async def _hover(session: Session, uri: str, line: int, character: int) -> str | None:
    result = await session.client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=_pos(line, character)
        )
    )
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


async def test_hover_on_instance(session: Session, app: dict[str, str]) -> None:
    text = await _hover(session, app["main"], 2, 1)
    assert text is not None
    assert "**Endpoint `api`**: load-balanced" in text
    assert "CPU `cpu3c-2-4`: Compute optimised: 2 vCPU, 4 GB RAM, max container disk 20 GB" in text
    assert "Workers: 1-4" in text and "Idle timeout: 120 s" in text
    assert "`runpod/flash-lb-cpu:py3.12-latest`" in text
    assert "`torch`: excluded from the artifact (CPU images have no torch)" in text
    assert "`POST /run` (main.py:5)" in text
    assert "Files: main.py" in text
    assert "deployed: https://api.example.test/v2/abc" in text


async def test_hover_on_decorator_with_gpu_pools(session: Session, app: dict[str, str]) -> None:
    text = await _hover(session, app["main"], 8, 3)
    assert text is not None
    assert "**Endpoint `gpu`**: queue-based" in text
    assert "GPU pool `ADA_24`: NVIDIA GeForce RTX 4090" in text
    assert "GPU `NVIDIA L4` (pool `AMPERE_24`)" in text
    assert "`numpy`: preinstalled in the base image" in text
    assert "Workers: 0-1 (default)" in text
    assert "`runpod/flash:py3.12-latest`" in text
    assert "not deployed" in text


async def test_hover_on_route_and_function_name(session: Session, app: dict[str, str]) -> None:
    on_route = await _hover(session, app["main"], 4, 2)
    on_function = await _hover(session, app["main"], 5, 11)
    assert on_route is not None and "**Endpoint `api`**" in on_route
    assert on_function is not None and "**Endpoint `api`**" in on_function


async def test_hover_on_keyword_and_rule_code(session: Session, app: dict[str, str]) -> None:
    keyword = await _hover(session, app["main"], 2, 46)
    assert keyword is not None and keyword.startswith("**`workers`**")
    line = MAIN.lstrip("\n").split("\n")[5]
    rule = await _hover(session, app["main"], 5, line.index("FL302") + 2)
    assert rule is not None and rule.startswith("**FL302** `module-global-in-endpoint`")
    assert "## What it does" in rule
    assert await _hover(session, app["main"], 6, 4) is None


async def _complete(
    session: Session, uri: str, text: str, line: int, character: int
) -> list[types.CompletionItem]:
    session.change(uri, text)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=_pos(line, character)
        )
    )
    if result is None:
        return []
    return list(result.items) if isinstance(result, types.CompletionList) else list(result)


async def test_completion(session: Session) -> None:
    root = session.new_app({"work.py": "from runpod_flash import Endpoint\n"})
    uri = session.open(root / "work.py")
    head = "from runpod_flash import CpuInstanceType, Endpoint, GpuGroup\n\n"

    items = await _complete(session, uri, head + "ep = Endpoint(", 2, 14)
    labels = [i.label for i in items]
    assert labels[:4] == ["name=", "id=", "gpu=", "cpu="]
    gpu = items[2]
    assert (
        isinstance(gpu.documentation, types.MarkupContent) and "GpuGroup" in gpu.documentation.value
    )

    items = await _complete(session, uri, head + 'ep = Endpoint(name="x",\n    wor', 3, 7)
    labels = [i.label for i in items]
    assert "name=" not in labels and "workers=" in labels
    workers = next(i for i in items if i.label == "workers=")
    assert workers.text_edit is not None and workers.text_edit.range.start == _pos(3, 4)  # type: ignore[union-attr]

    items = await _complete(session, uri, head + 'ep = Endpoint(name="x", gpu=GpuGroup.', 2, 38)
    ada = next(i for i in items if i.label == "ADA_24")
    assert ada.documentation is not None and "RTX 4090" in str(ada.documentation)

    items = await _complete(session, uri, head + "ep = Endpoint(cpu=CpuInstanceType.", 2, 34)
    assert "CPU3C_1_2" in [i.label for i in items]

    items = await _complete(session, uri, head + 'ep = Endpoint(name="x", cpu="cpu3', 2, 33)
    small = next(i for i in items if i.label == "cpu3c-1-2")
    assert small.detail == "Compute optimised: 1 vCPU, 2 GB RAM, max container disk 10 GB"
    assert small.text_edit is not None and small.text_edit.range.start == _pos(2, 29)  # type: ignore[union-attr]

    items = await _complete(session, uri, head + 'ep = Endpoint(name="a b', 2, 23)
    assert items == []  # inside a string value: nothing to complete


async def test_completion_of_route_methods(session: Session) -> None:
    text = 'from runpod_flash import Endpoint\n\napi = Endpoint(name="api", cpu="cpu3c-1-2")\n\n@api.\n'
    root = session.new_app({"lb.py": text})
    uri = session.open(root / "lb.py")
    items = await _complete(session, uri, text, 4, 5)
    assert [i.label for i in items] == ["get", "post", "put", "delete", "patch"]
    assert await _complete(session, uri, text + "x = unknown.\n", 5, 12) == []


def _apply(session: Session, text: str, item: types.CompletionItem) -> str:
    """The text after accepting ``item`` (its edit and the imports it adds)."""
    assert isinstance(item.text_edit, types.TextEdit)
    edits = [item.text_edit, *(item.additional_text_edits or [])]
    return apply_text_edits(text, edits, session.profile == "neovim")


async def test_completion_of_enum_values(session: Session) -> None:
    head = "from runpod_flash import Endpoint, GpuGroup\n\n"
    root = session.new_app({"hw.py": head})
    uri = session.open(root / "hw.py")

    text = head + "ep = Endpoint(gpu="
    items = await _complete(session, uri, text, 2, 18)
    labels = [i.label for i in items]
    assert labels[:2] == ["GpuGroup.ANY", "GpuGroup.ADA_24"]
    ada = items[1]
    assert ada.documentation is not None and "RTX 4090" in str(ada.documentation)
    assert _apply(session, text, ada) == head + "ep = Endpoint(gpu=GpuGroup.ADA_24"
    # GpuType is not imported: accepting one of its members imports it (as auto-import does).
    l4 = next(i for i in items if i.label == "GpuType.NVIDIA_L4")
    assert _apply(session, text, l4) == (
        "from runpod_flash import Endpoint, GpuGroup, GpuType\n\n"
        "ep = Endpoint(gpu=GpuType.NVIDIA_L4"
    )

    text = head + "ep = Endpoint(gpu=[GpuGroup.ADA_24, Gpu"
    items = await _complete(session, uri, text, 2, 39)
    assert "GpuType.NVIDIA_L4" in [i.label for i in items]
    assert _apply(session, text, items[0]).endswith("gpu=[GpuGroup.ADA_24, GpuGroup.ANY")

    text = head + 'ep = Endpoint(name="x", datacenter='
    items = await _complete(session, uri, text, 2, 35)
    labels = [i.label for i in items]
    assert "DataCenter.EU_RO_1" in labels and '"EU-RO-1"' in labels
    quoted = next(i for i in items if i.label == '"EU-RO-1"')
    assert _apply(session, text, quoted).endswith('datacenter="EU-RO-1"')
    assert _apply(session, text, items[0]).startswith(
        "from runpod_flash import DataCenter, Endpoint, GpuGroup\n"
    )

    # Spelled through the module's alias when the file imports the module.
    text = "import runpod_flash as rf\n\nep = rf.Endpoint(datacenter=["
    items = await _complete(session, uri, text, 2, 29)
    assert items[0].label == "rf.DataCenter.US_CA_2" and not items[0].additional_text_edits


async def test_no_flash_completion_for_an_endpoint_not_from_the_sdk(session: Session) -> None:
    root = session.new_app(
        {
            "common.py": "from runpod_flash import Endpoint\n",
            "local.py": "",
            "other.py": "",
            "reexported.py": "",
        }
    )
    local = "class Endpoint:\n    def __init__(self, **options): ...\n\nep = Endpoint("
    uri = session.open(root / "local.py", local)
    assert await _complete(session, uri, local, 3, 14) == []
    assert await _complete(session, uri, local + "gpu=", 3, 18) == []

    other = "from starlette.endpoints import Endpoint\n\nep = Endpoint("
    uri = session.open(root / "other.py", other)
    assert await _complete(session, uri, other, 2, 14) == []

    # The SDK's Endpoint by another name, or through a module of the app, still gets them.
    reexported = "from common import Endpoint as Worker\n\nep = Worker("
    uri = session.open(root / "reexported.py", reexported)
    labels = [i.label for i in await _complete(session, uri, reexported, 2, 12)]
    assert labels[:4] == ["name=", "id=", "gpu=", "cpu="]


async def test_document_symbols(session: Session, app: dict[str, str]) -> None:
    result = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=app["main"]))
    )
    assert result is not None
    symbols = [s for s in result if isinstance(s, types.DocumentSymbol)]
    assert [s.name for s in symbols] == ["api", "gpu"]
    api = symbols[0]
    assert api.detail is not None and api.detail.startswith("load-balanced · CPU cpu3c-2-4")
    assert api.selection_range.start == _pos(2, 0)
    assert [c.name for c in api.children or []] == ["POST /run"]
    assert [c.name for c in symbols[1].children or []] == ["infer"]


async def test_workspace_symbols(session: Session, app: dict[str, str]) -> None:
    result = await session.client.workspace_symbol_async(types.WorkspaceSymbolParams(query="run"))
    assert result is not None
    names = {(s.name, s.location.uri) for s in result if isinstance(s, types.SymbolInformation)}
    assert ("POST /run", app["main"]) in names


async def test_definition_and_references(session: Session, app: dict[str, str]) -> None:
    definition = await session.client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=app["main"]), position=_pos(4, 2)
        )
    )
    assert isinstance(definition, list) and len(definition) == 1
    assert definition[0].uri == app["main"] and definition[0].range.start == _pos(2, 0)

    from_client = await session.client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=app["client"]), position=_pos(3, 12)
        )
    )
    assert isinstance(from_client, list) and from_client[0].uri == app["main"]

    references = await session.client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=app["main"]),
            position=_pos(2, 1),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert references is not None
    found = sorted((r.uri, r.range.start.line) for r in references)
    assert found == sorted([(app["main"], 2), (app["main"], 4), (app["client"], 0)])


async def test_code_lens(session: Session, app: dict[str, str]) -> None:
    result = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=app["main"]))
    )
    assert result is not None
    lenses = [
        (lens.range.start.line, lens.command.title, lens.command.command)
        for lens in result
        if lens.command
    ]
    assert lenses[0][0] == 2 and lenses[0][1].startswith(
        "load-balanced · CPU cpu3c-2-4 (2 vCPU, 4 GB)"
    )
    assert "deployed" in lenses[0][1]
    assert lenses[1:3] == [
        (2, "Deploy", "flash.deploy"),
        (2, "Show manifest entry", "flash.manifest.show"),
    ]
    assert result[1].command is not None
    assert list(result[1].command.arguments or []) == [{"uri": app["main"], "endpoint": "api"}]
    assert lenses[3][0] == 2 and lenses[3][1].startswith("Deployed · ")  # manifest, no env
    # Copy curl above the load-balanced endpoint's route, then the queue endpoint's own.
    assert lenses[4] == (4, "Copy curl", "flash.endpoint.request")
    assert [line for line, _, _ in lenses[5:]] == [8, 8, 8, 8, 8]
    assert lenses[-2] == (8, "Copy curl", "flash.endpoint.request")
    assert lenses[-1][1] == "Not deployed"  # the manifest has no URL for `gpu`


async def test_positions_follow_the_negotiated_encoding(session: Session) -> None:
    text = (
        "from runpod_flash import Endpoint\n\n"
        '@Endpoint(env={"A": "é😀"}, name="tts")\nasync def b(): ...\n\n'
        '@Endpoint(name="tts")\nasync def a(): ...\n'
    )
    root = session.new_app({"enc.py": text})
    uri = session.open(root / "enc.py")
    line = text.split("\n")[2]
    column = line.index('"tts"')  # in code points
    prefix = line[:column]
    expected = (
        len(prefix.encode("utf-8"))
        if session.profile == "neovim"
        else len(prefix.encode("utf-16-le")) // 2
    )
    assert column != expected
    # b sorts after a, so b's name (after the emoji) carries FL101.
    items = await session.diagnostics(uri, lambda found: "FL101" in codes_of(found))
    fl101 = next(item for item in items if item.code == "FL101")
    assert fl101.range.start == _pos(2, expected)
    assert fl101.range.end == _pos(2, expected + len('"tts"'))
    # Requests convert back: a position inside "tts" finds the endpoints named tts.
    definition = await session.client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=_pos(2, expected + 1)
        )
    )
    assert isinstance(definition, list)
    assert _pos(2, expected) in [loc.range.start for loc in definition]
