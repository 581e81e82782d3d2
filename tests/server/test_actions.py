"""Code actions: every action offered is applied and the file re-checked clean of that finding."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from lsp_session import Session, codes_of
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="module")

TTS = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="tts", gpu=GpuGroup.ADA_24, workers=(0, 3))
async def generate_speech(text: str):
    return {"text": text}

@Endpoint(name="tts")
async def get_voices():
    return {"voices": []}
"""

UNUSED = """
from runpod_flash import Endpoint

api = Endpoint(name="api", cpu="cpu3c-1-2")

@Endpoint(name="worker", cpu="cpu3c-1-2")
async def work(x: int):
    return x
"""

YAML_WORKER = """
import yaml
from runpod_flash import Endpoint


@Endpoint(name="w", cpu="cpu3c-1-2")
async def work(text: str) -> dict:
    return yaml.safe_load(text)
"""


async def _actions(
    session: Session, uri: str, items: Sequence[types.Diagnostic], only: list[str] | None = None
) -> list[types.CodeAction]:
    first = items[0].range if items else types.Range(types.Position(0, 0), types.Position(0, 0))
    result = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=first,
            context=types.CodeActionContext(diagnostics=list(items), only=only),
        )
    )
    return [action for action in result or [] if isinstance(action, types.CodeAction)]


async def _finding(session: Session, uri: str, code: str) -> types.Diagnostic:
    items = await session.diagnostics(uri, lambda found: code in codes_of(found))
    return next(item for item in items if item.code == code)


async def test_fl101_rename_quickfix(session: Session) -> None:
    root = session.new_app({"gpu_worker.py": TTS})
    uri = session.open(root / "gpu_worker.py")
    finding = await _finding(session, uri, "FL101")
    actions = await _actions(session, uri, [finding])
    titles = [a.title for a in actions]
    assert titles[:2] == ['Rename the endpoint to "tts-get-voices"', "Suppress FL101 on this line"]
    rename = actions[0]
    assert rename.kind == types.CodeActionKind.QuickFix
    assert not rename.is_preferred  # unsafe: the name is the deployed endpoint's identity
    assert rename.diagnostics and rename.diagnostics[0].code == "FL101"
    assert rename.edit is not None
    text = session.apply(rename.edit)[uri]
    assert '@Endpoint(name="tts-get-voices")' in text
    assert "FL101" not in await session.codes(uri, lambda c: "FL101" not in c)


async def test_suppress_quickfix(session: Session) -> None:
    root = session.new_app({"gpu_worker.py": TTS})
    uri = session.open(root / "gpu_worker.py")
    finding = await _finding(session, uri, "FL101")
    actions = await _actions(session, uri, [finding])
    suppress = next(a for a in actions if a.title == "Suppress FL101 on this line")
    assert suppress.edit is not None
    text = session.apply(suppress.edit)[uri]
    assert '@Endpoint(name="tts")  # flash-ls: ignore[FL101]' in text
    assert "FL101" not in await session.codes(uri, lambda c: "FL101" not in c)


async def test_fl105_remove_quickfix(session: Session) -> None:
    root = session.new_app({"main.py": UNUSED})
    uri = session.open(root / "main.py")
    finding = await _finding(session, uri, "FL105")
    actions = await _actions(session, uri, [finding])
    remove = next(a for a in actions if a.title == "Remove the unused Endpoint")
    assert remove.edit is not None
    text = session.apply(remove.edit)[uri]
    assert "api = Endpoint" not in text
    assert "FL105" not in await session.codes(uri, lambda c: "FL105" not in c)


async def test_cross_file_suppression_and_actions_found_by_range(session: Session) -> None:
    a_text = 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef a(): ...\n'
    b_text = a_text.replace("def a()", "def b()")
    root = session.new_app({"a.py": a_text, "b.py": b_text})
    uri = session.open(root / "a.py")
    finding = await _finding(session, uri, "FL102")
    # No diagnostics in the context: the server finds the findings at the range itself.
    result = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=finding.range,
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    actions = [a for a in result or [] if isinstance(a, types.CodeAction)]
    suppress = next(a for a in actions if a.title == "Suppress FL102 on this line")
    assert suppress.edit is not None
    session.apply(suppress.edit)
    assert "FL102" not in await session.codes(uri, lambda c: "FL102" not in c)


async def test_only_filter(session: Session) -> None:
    root = session.new_app({"gpu_worker.py": TTS})
    uri = session.open(root / "gpu_worker.py")
    finding = await _finding(session, uri, "FL101")
    assert await _actions(session, uri, [finding], only=["refactor"]) == []
    quickfixes = await _actions(session, uri, [finding], only=["quickfix"])
    assert quickfixes and all(a.kind == types.CodeActionKind.QuickFix for a in quickfixes)


async def test_fix_all_applies_every_safe_fix(session: Session) -> None:
    # Every safe fix some rule family offers on this file is applied by source.fixAll.flash.
    text = """
    from runpod_flash import CpuInstanceType, DataCenter, Endpoint, GpuType

    api = Endpoint(name="api", cpu="CPU3C-1-2")

    @api.get("items")
    async def items():
        return []

    @Endpoint(name="gpu", gpu=GpuType.NVIDIA_L4, datacenter="eu-ro-1", workers=(0, 3))
    async def infer(x: int):
        return x
    """
    root = session.new_app({"main.py": text})
    uri = session.open(root / "main.py")
    items = await session.diagnostics(uri, lambda found: bool(found))
    safe = [i for i in items if isinstance(i.data, dict) and i.data.get("safe")]
    actions = await _actions(session, uri, [], only=["source.fixAll"])
    # FL204's '/' prefix and FL503's spelling are safe fixes: the file must offer them.
    assert {str(i.code) for i in safe} >= {"FL204", "FL503"}
    assert [a.kind for a in actions] == ["source.fixAll.flash"]
    assert actions[0].edit is not None
    session.apply(actions[0].edit)
    fixed_codes = {str(i.code) for i in safe}
    remaining = await session.diagnostics(uri, lambda found: not any(_is_safe(i) for i in found))
    assert not any(_is_safe(i) for i in remaining), fixed_codes


async def test_fix_all_applies_the_fixes_its_own_fixes_reveal(session: Session) -> None:
    # Moving `import yaml` into the body makes pyyaml an undeclared dependency (FL303): one
    # fix-all applies that fix too, as `flash-ls check --fix` does.
    root = session.new_app({"w.py": YAML_WORKER})
    uri = session.open(root / "w.py")
    await _finding(session, uri, "FL301")
    [action] = await _actions(session, uri, [], only=["source.fixAll"])
    assert action.edit is not None
    text = session.apply(action.edit)[uri]
    assert '@Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["pyyaml"])' in text
    assert "    import yaml\n" in text
    assert await session.codes(uri, lambda found: found == []) == []


def _is_safe(item: types.Diagnostic) -> bool:
    return isinstance(item.data, dict) and bool(item.data.get("safe"))
