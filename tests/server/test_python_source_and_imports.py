"""The server on apps Python reads as the build does: a Latin-1 file with its coding declaration,
`from runpod_flash import *`, package re-exports (FL307) and routes registered outside the
declaring module (FL109)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from lsp_session import Session, codes_of
from lsprotocol import types

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLEAN = """
from runpod_flash import Endpoint

@Endpoint(name="clean")
async def work(x: int):
    return x
"""

LATIN1_WORKER = (
    "# -*- coding: latin-1 -*-\n"
    '"""Caf\xe9 workers."""\n'
    "from runpod_flash import Endpoint\n"
    "\n"
    '@Endpoint(name="caf\xe9/menu")\n'
    "def menu(): ...\n"
).encode("latin-1")

STAR = """
from runpod_flash import *

@Endpoint(name="tts", gpu=GpuGroup.ADA_24)
async def generate_speech(text: str):
    return text

@Endpoint(name="tts")
async def get_voices():
    return []
"""

ROUTES = """
from service import api


@api.post("/echo")
async def echo(text: str):
    return text
"""


async def _finding(session: Session, uri: str, code: str) -> types.Diagnostic:
    items = await session.diagnostics(uri, lambda found: code in codes_of(found))
    return next(item for item in items if item.code == code)


def _related(item: types.Diagnostic) -> Sequence[types.DiagnosticRelatedInformation]:
    return item.related_information or []


async def test_latin1_file_on_disk_is_read_by_its_coding_declaration(session: Session) -> None:
    root = session.new_app({"main.py": CLEAN})
    (root / "worker.py").write_bytes(LATIN1_WORKER)
    session.open(root / "main.py")
    worker = session.uri(root / "worker.py")  # not open: read from disk
    finding = await _finding(session, worker, "FL106")
    assert "FL901" not in codes_of(await session.diagnostics(worker))
    assert finding.message == "endpoint name 'caf\xe9/menu' contains '/'"
    end = 27 if session.profile == "neovim" else 26  # UTF-8 counts the é twice
    assert (finding.range.start.line, finding.range.start.character) == (4, 15)
    assert finding.range.end.character == end


async def test_star_import_of_the_sdk_is_checked(session: Session) -> None:
    root = session.new_app({"tts.py": STAR})
    uri = session.open(root / "tts.py")
    finding = await _finding(session, uri, "FL101")
    assert finding.message == "'get_voices' is never served as endpoint 'tts'"


async def test_package_reexport_is_reported_and_fixed(session: Session) -> None:
    root = session.new_app(
        {
            "service/__init__.py": "from .api import api\n",
            "service/api.py": 'from runpod_flash import Endpoint\n\napi = Endpoint(name="svc")\n',
            "routes.py": ROUTES,
        }
    )
    uri = session.open(root / "routes.py")
    finding = await _finding(session, uri, "FL307")
    assert finding.message == "'api' is imported through service/__init__.py"
    assert (finding.range.start.line, finding.range.start.character) == (0, 20)
    assert finding.severity == types.DiagnosticSeverity.Error
    places = [(r.location.uri.rsplit("/", 2)[-2:], r.message) for r in _related(finding)]
    assert places[0] == (["service", "__init__.py"], "'api' is bound here")
    assert any("imports the module service.api instead" in message for _, message in places)
    actions = await session.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=finding.range,
            context=types.CodeActionContext(diagnostics=[finding]),
        )
    )
    title = "Import from the defining module: `from service.api import api`"
    fix = next(a for a in actions or [] if isinstance(a, types.CodeAction) and a.title == title)
    assert fix.is_preferred and fix.edit is not None  # safe: the same object under Python
    assert session.apply(fix.edit)[uri].startswith("from service.api import api\n")
    assert "FL307" not in await session.codes(uri, lambda c: "FL307" not in c)


async def test_routes_outside_the_declaring_module(session: Session) -> None:
    root = session.new_app(
        {
            "common.py": 'from runpod_flash import Endpoint\n\napi = Endpoint(name="api")\n',
            "routes.py": ROUTES.replace("from service import api", "from common import api"),
        }
    )
    uri = session.open(root / "routes.py")
    finding = await _finding(session, uri, "FL109")
    assert finding.message == "routes of endpoint 'api' are all outside its module"
    assert (finding.range.start.line, finding.range.start.character) == (0, 19)
    declared = _related(finding)[0]
    assert declared.location.uri.endswith("/common.py")
    assert declared.location.range.start.line == 2
    assert declared.message == "endpoint 'api' is declared here"
