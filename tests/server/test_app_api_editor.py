"""Editor features on the app API of ``runpod`` (``runpod.App``, ``@app.queue/api/task``): hover,
completion, document and workspace symbols and code lenses, through the real server.

A runpod_flash endpoint sits in the same project: its features are unchanged (the endpoint tree,
``flash.endpoints``, lists the app API's resources too: ``test_endpoint_tree_app_api.py``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from lsp_session import Session
from lsprotocol import types

from flash_ls import platform

pytestmark = pytest.mark.asyncio(loop_scope="module")

MAIN = textwrap.dedent(
    """
    import runpod
    from runpod import App, GpuType

    app = App("basic-app")


    @app.queue(name="transcribe", gpu="H100", dependencies=["numpy"])
    async def transcribe(audio_url: str) -> dict:
        return {"url": audio_url}


    @app.queue(cpu="cpu5c-2-4", workers=(0, 2))
    def cpu_fn(x: int) -> int:
        return x * 2


    @app.api(gpu=GpuType.NVIDIA_L4)
    class Inference:
        @runpod.init
        def setup(self) -> None:
            self.ready = True

        @runpod.post("/generate")
        async def generate(self, body: dict) -> dict:
            return body


    @app.task(name="finetune", gpu="B200", gpu_count=2)
    def finetune(steps: int) -> None:
        print(steps)
    """
).lstrip("\n")
FLASH = textwrap.dedent(
    """
    from runpod_flash import Endpoint


    @Endpoint(name="legacy", cpu="cpu3c-1-2")
    async def legacy(x: int) -> int:
        return x
    """
).lstrip("\n")


def _at(text: str, needle: str, offset: int = 0) -> types.Position:
    """The position of ``needle`` (its first occurrence) plus ``offset`` columns."""
    for number, line in enumerate(text.split("\n")):
        column = line.find(needle)
        if column >= 0:
            return types.Position(line=number, character=column + offset)
    raise AssertionError(f"{needle!r} not in the text")


def _line(needle: str) -> int:
    """The 1-based line of ``needle`` in MAIN, as hovers write it."""
    return _at(MAIN, needle).line + 1


@pytest.fixture(scope="module")
def app(session: Session) -> dict[str, str]:
    root = session.new_app({"main.py": MAIN, "flash_worker.py": FLASH})
    return {
        "root": str(root),
        "main": session.open(root / "main.py"),
        "flash": session.uri(root / "flash_worker.py"),
    }


async def _hover(session: Session, uri: str, position: types.Position) -> str | None:
    result = await session.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    if result is None:
        return None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


# -- hover ------------------------------------------------------------------------------------------


async def test_hover_on_a_queue_decorator(session: Session, app: dict[str, str]) -> None:
    text = await _hover(session, app["main"], _at(MAIN, "@app.queue(name", 2))
    assert text is not None
    assert text.startswith("**Resource `transcribe`**: queue-based (`@app.queue`)")
    assert "- Name: `transcribe` (`name=`)" in text
    assert f"- App: `basic-app` (`app`, main.py:{_line('app = App')})" in text
    assert (
        '- GPU `"H100"` resolves to NVIDIA H100 80GB HBM3, NVIDIA H100 PCIe, NVIDIA H100 NVL; '
        "the endpoint selects the pool `ADA_80_PRO`"
    ) in text
    assert "- Workers: 0-3 (default)" in text
    assert "- Idle timeout: 60 s (default)" in text
    assert '- Dependencies: `"numpy"`' in text
    assert "- Serves: `transcribe`" in text
    # No runpod_flash facts: no flash image, deploy state, curl or artifact estimate.
    assert "runpod/flash" not in text and "curl" not in text and "Artifact" not in text


async def test_hover_on_a_derived_name_and_cpu(session: Session, app: dict[str, str]) -> None:
    text = await _hover(session, app["main"], _at(MAIN, "def cpu_fn", 5))
    assert text is not None
    assert text.startswith("**Resource `cpu_fn`**: queue-based (`@app.queue`)")
    assert (
        "- Name: `cpu_fn`, derived from the function's name (no `name=`): renaming the "
        "function renames the endpoint"
    ) in text
    assert "- CPU `cpu5c-2-4`: Compute optimised (gen 5): 2 vCPU, 4 GB RAM" in text
    assert "- datacenter `EU-RO-1` only (the default for it)" in text
    assert "- Workers: 0-2" in text


async def test_hover_on_an_api_class_route_and_task(session: Session, app: dict[str, str]) -> None:
    on_class = await _hover(session, app["main"], _at(MAIN, "class Inference", 8))
    assert on_class is not None
    assert on_class.startswith("**Resource `Inference`**: load-balanced (`@app.api`)")
    assert "derived from the class's name" in on_class
    assert "- GPU `NVIDIA L4` (pool `AMPERE_24`)" in on_class
    assert f"  - `POST /generate` → `generate` (main.py:{_line('@runpod.post')})" in on_class
    assert f"- Init: `setup` (main.py:{_line('@runpod.init')})" in on_class
    on_route = await _hover(session, app["main"], _at(MAIN, "@runpod.post", 3))
    on_method = await _hover(session, app["main"], _at(MAIN, "def generate", 6))
    assert on_route is not None and on_route.startswith("**Resource `Inference`**")
    assert on_method == on_route

    task = await _hover(session, app["main"], _at(MAIN, "@app.task", 3))
    assert task is not None
    assert task.startswith("**Resource `finetune`**: task (`@app.task`)")
    assert '- GPU `"B200"` resolves to NVIDIA B200' in task
    assert "- GPU count: 2" in task
    assert "- Runs on a pod per call (no endpoint, no workers)" in task
    assert "Workers" not in task and "Idle timeout" not in task


async def test_hover_on_the_app(session: Session, app: dict[str, str]) -> None:
    text = await _hover(session, app["main"], _at(MAIN, "app = App", 1))
    assert text is not None
    assert text.startswith("**App `basic-app`** (`runpod.App`)")
    assert "- Environment: `default` (default)" in text
    assert "- Resources: 4" in text
    assert (
        "  - `transcribe`: queue-based · GPU H100 · workers 0-3 (default) "
        f"(main.py:{_line('@app.queue(name')})"
    ) in text
    assert f"  - `finetune`: task · GPU B200 (main.py:{_line('@app.task')})" in text
    assert await _hover(session, app["main"], _at(MAIN, '"basic-app"', 3)) == text


async def test_hover_on_decorator_keywords(session: Session, app: dict[str, str]) -> None:
    text = await _hover(session, app["main"], _at(MAIN, "gpu_count=", 2))
    assert text is not None and text.startswith("**`gpu_count`**`: int = 1`")
    text = await _hover(session, app["main"], _at(MAIN, "workers=(0", 2))
    assert text is not None and text.startswith("**`workers`**`: int | (min, max) | None = None`")
    assert "(0, 3)" in text


async def test_flash_hover_is_unchanged(session: Session, app: dict[str, str]) -> None:
    text = await _hover(session, app["flash"], _at(FLASH, "@Endpoint", 2))
    assert text is not None and text.startswith("**Endpoint `legacy`**: queue-based")
    assert "Workers: 0-1 (default)" in text


# -- completion -------------------------------------------------------------------------------------

HEAD = 'import runpod\n\napp = runpod.App("c")\n\n'


async def _complete(
    session: Session, uri: str, text: str, position: types.Position
) -> list[types.CompletionItem]:
    session.change(uri, text)
    result = await session.client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position
        )
    )
    if result is None:
        return []
    return list(result.items) if isinstance(result, types.CompletionList) else list(result)


def _end(text: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(line=len(lines) - 1, character=len(lines[-1]))


@pytest.fixture(scope="module")
def editing(session: Session) -> str:
    root = session.new_app({"edit.py": HEAD})
    return session.open(root / "edit.py")


@pytest.mark.parametrize("kind", platform.APP_RESOURCE_DECORATORS)
async def test_completion_of_decorator_keywords(session: Session, editing: str, kind: str) -> None:
    text = HEAD + f"@app.{kind}("
    items = await _complete(session, editing, text, _end(text))
    assert [i.label for i in items] == [f"{n}=" for n in platform.APP_RESOURCE_PARAMETERS[kind]]
    gpu = next(i for i in items if i.label == "gpu=")
    assert gpu.documentation is not None and "fragment" in str(gpu.documentation)

    text = HEAD + f'@app.{kind}(name="x", gpu="H100",\n    '
    labels = [i.label for i in await _complete(session, editing, text, _end(text))]
    assert "name=" not in labels and "gpu=" not in labels and "cpu=" in labels


async def test_completion_of_gpu_strings(session: Session, editing: str) -> None:
    text = HEAD + "@app.queue(gpu="
    items = await _complete(session, editing, text, _end(text))
    labels = [i.label for i in items]
    assert labels[:3] == ['"any"', '"ADA_24"', '"ADA_32_PRO"']
    assert '"NVIDIA H100 PCIe"' in labels and '"NVIDIA B200"' in labels
    ada = items[1]
    assert ada.detail == "NVIDIA GeForce RTX 4090"
    # Inside the string, with a space in the partial value: replaces what is typed.
    text = HEAD + '@app.queue(gpu="NVIDIA H1'
    items = await _complete(session, editing, text, _end(text))
    h100 = next(i for i in items if i.label == "NVIDIA H100 NVL")
    assert isinstance(h100.text_edit, types.TextEdit)
    assert h100.text_edit.range.start.character == len('@app.queue(gpu="')
    # In a list.
    text = HEAD + '@app.api(gpu=["AMPERE_24", '
    assert '"AMPERE_80"' in [i.label for i in await _complete(session, editing, text, _end(text))]


async def test_completion_of_cpu_datacenter_and_others(session: Session, editing: str) -> None:
    text = HEAD + '@app.task(cpu="cpu3'
    items = await _complete(session, editing, text, _end(text))
    assert [i.label for i in items] == [c.value for c in platform.APP_CPU_INSTANCES]
    small = next(i for i in items if i.label == "cpu3c-1-2")
    assert small.detail == "Compute optimised: 1 vCPU, 2 GB RAM, max container disk 10 GB"

    text = HEAD + "@app.queue(datacenter="
    labels = [i.label for i in await _complete(session, editing, text, _end(text))]
    assert labels == [f'"{d.value}"' for d in platform.APP_DATACENTERS]

    text = HEAD + "@app.api(scaler_type="
    labels = [i.label for i in await _complete(session, editing, text, _end(text))]
    assert labels == ['"QUEUE_DELAY"', '"REQUEST_COUNT"']
    # A keyword the kind does not take gets nothing.
    text = HEAD + "@app.task(scaler_type="
    assert await _complete(session, editing, text, _end(text)) == []


async def test_completion_of_markers_decorators_and_enums(session: Session, editing: str) -> None:
    text = HEAD + "@app.api()\nclass S:\n    @runpod."
    labels = [i.label for i in await _complete(session, editing, text, _end(text))]
    assert labels == ["get", "post", "put", "delete", "patch", "init"]

    text = HEAD + "@app."
    labels = [i.label for i in await _complete(session, editing, text, _end(text))]
    assert labels == ["queue", "api", "task"]

    text = HEAD + "x = runpod.GpuType."
    items = await _complete(session, editing, text, _end(text))
    labels = [i.label for i in items]
    assert labels[0] == "ANY" and "NVIDIA_H100_NVL" in labels  # rc2's members

    # Not a decorator, not an App: nothing.
    text = HEAD + "x = runpod."
    assert await _complete(session, editing, text, _end(text)) == []
    text = HEAD + "other = object()\n\n@other.queue("
    assert await _complete(session, editing, text, _end(text)) == []


# -- symbols and lenses -----------------------------------------------------------------------------


async def test_document_symbols(session: Session, app: dict[str, str]) -> None:
    result = await session.client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=app["main"]))
    )
    assert result is not None
    symbols = [s for s in result if isinstance(s, types.DocumentSymbol)]
    if not symbols:  # a client without hierarchical symbols: a flat list, nested by container
        flat = [s for s in result if isinstance(s, types.SymbolInformation)]
        assert [(s.name, s.container_name) for s in flat] == [
            ("basic-app", None),
            ("transcribe", "basic-app"),
            ("transcribe", "transcribe"),
            ("cpu_fn", "basic-app"),
            ("cpu_fn", "cpu_fn"),
            ("Inference", "basic-app"),
            ("Inference", "Inference"),
            ("POST /generate", "Inference"),
            ("finetune", "basic-app"),
            ("finetune", "finetune"),
        ]
        return
    assert [s.name for s in symbols] == ["basic-app"]
    top = symbols[0]
    assert top.kind == types.SymbolKind.Namespace and top.detail == "App · 4 resources"
    assert top.selection_range.start == _at(MAIN, "app = App")
    resources = top.children or []
    assert [r.name for r in resources] == ["transcribe", "cpu_fn", "Inference", "finetune"]
    assert resources[0].detail == "queue-based · GPU H100 · workers 0-3 (default)"
    assert resources[1].detail == "queue-based · CPU cpu5c-2-4 (2 vCPU, 4 GB) · workers 0-2"
    assert resources[3].detail == "task · GPU B200"
    inference = resources[2]
    assert inference.selection_range.start == _at(MAIN, "Inference:")
    children = inference.children or []
    assert [(c.name, c.kind) for c in children] == [
        ("Inference", types.SymbolKind.Class),
        ("POST /generate", types.SymbolKind.Method),
    ]
    assert children[1].detail == "generate"
    assert children[1].selection_range.start == _at(MAIN, "generate(self")


async def test_workspace_symbols(session: Session, app: dict[str, str]) -> None:
    result = await session.client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query="generate")
    )
    assert result is not None
    found = {(s.name, s.container_name) for s in result if isinstance(s, types.SymbolInformation)}
    assert ("POST /generate", "Inference") in found
    result = await session.client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query="basic-app")
    )
    assert result is not None
    assert any(s.name == "basic-app" and s.kind == types.SymbolKind.Namespace for s in result)


async def test_code_lenses(session: Session, app: dict[str, str]) -> None:
    result = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=app["main"]))
    )
    assert result is not None
    lenses = [
        (lens.range.start.line, lens.command.title, lens.command.command)
        for lens in result
        if lens.command
    ]
    # Labels only: Deploy, Show manifest entry and Copy curl work on runpod_flash endpoints.
    assert lenses == [
        (_at(MAIN, "app = App").line, "App basic-app · 4 resources", ""),
        (_at(MAIN, "@app.queue(name").line, "queue-based · GPU H100 · workers 0-3 (default)", ""),
        (
            _at(MAIN, "@app.queue(cpu").line,
            "queue-based · CPU cpu5c-2-4 (2 vCPU, 4 GB) · workers 0-2",
            "",
        ),
        (
            _at(MAIN, "@app.api").line,
            "load-balanced · GPU NVIDIA L4 · workers 0-3 (default)",
            "",
        ),
        (_at(MAIN, "@app.task").line, "task · GPU B200", ""),
    ]


async def test_flash_lenses_and_tree_are_unchanged(session: Session, app: dict[str, str]) -> None:
    result = await session.client.text_document_code_lens_async(
        types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=app["flash"]))
    )
    assert result is not None
    titles = [lens.command.title for lens in result if lens.command]
    assert titles[1:] == ["Deploy", "Show manifest entry", "Copy curl"]
    tree = await session.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="flash.endpoints", arguments=[{}])
    )
    [found] = [a for a in tree["apps"] if a["root"] == Path(app["root"]).as_uri()]
    flash = [e["name"] for e in found["endpoints"] if e["sdk"] == platform.SDK_MODULE]
    assert flash == ["legacy"]
