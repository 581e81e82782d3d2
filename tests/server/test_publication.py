"""Diagnostics are published as pygls would publish them, each serialised once."""

from __future__ import annotations

import json
from typing import Any

from lsprotocol import types

from flash_ls.server.server import FlashLanguageServer


class _Writer:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def write(self, data: bytes) -> None:
        header, _, body = data.decode("utf-8").partition("\r\n\r\n")
        length = int(header.split("Content-Length: ")[1].split("\r\n")[0])
        assert length == len(body.encode("utf-8"))
        self.messages.append(json.loads(body))

    def close(self) -> None:
        return None


def _diagnostic(line: int, message: str) -> types.Diagnostic:
    span = types.Range(types.Position(line, 4), types.Position(line, 9))
    return types.Diagnostic(
        range=span,
        message=message,
        severity=types.DiagnosticSeverity.Warning,
        code="FL301",
        code_description=types.CodeDescription(href="https://example.invalid/rules#fl301"),
        source="flash-ls",
        related_information=[
            types.DiagnosticRelatedInformation(
                types.Location("file:///app/other.py", span), "used here: 'np' — ünïcode"
            )
        ],
        data={"fixable": True, "edits": [1, 2]},
        tags=[types.DiagnosticTag.Unnecessary],
    )


def _published(version: int | None, items: list[types.Diagnostic]) -> tuple[Any, Any]:
    ours, theirs = _Writer(), _Writer()
    server = FlashLanguageServer()
    protocol = server.protocol
    protocol.set_writer(ours)  # type: ignore[arg-type]
    protocol.publish_diagnostics("file:///app/main.py", items, version)  # type: ignore[attr-defined]
    protocol.set_writer(theirs)  # type: ignore[arg-type]
    server.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams("file:///app/main.py", items, version)
    )
    return ours.messages, theirs.messages


def test_the_message_is_the_one_pygls_writes() -> None:
    items = [_diagnostic(3, "'numpy' imported at module level"), _diagnostic(7, 'a "quote"')]
    for version in (12, None):
        ours, theirs = _published(version, items)
        assert ours == theirs
    ours, theirs = _published(None, [])
    assert ours == theirs


def test_a_diagnostic_found_again_is_not_serialised_again() -> None:
    server = FlashLanguageServer()
    protocol = server.protocol
    writer = _Writer()
    protocol.set_writer(writer)  # type: ignore[arg-type]
    kept, changed = _diagnostic(3, "kept"), _diagnostic(5, "before")
    protocol.publish_diagnostics("file:///a.py", [kept, changed], 1)  # type: ignore[attr-defined]
    fragment = protocol._serialised["file:///a.py"][id(kept)]  # type: ignore[attr-defined]
    edited = _diagnostic(5, "after")
    protocol.publish_diagnostics("file:///a.py", [kept, edited], 2)  # type: ignore[attr-defined]
    assert protocol._serialised["file:///a.py"][id(kept)] is fragment  # type: ignore[attr-defined]
    assert [d["message"] for d in writer.messages[-1]["params"]["diagnostics"]] == ["kept", "after"]
    protocol.publish_diagnostics("file:///a.py", [], 3)  # type: ignore[attr-defined]
    assert "file:///a.py" not in protocol._serialised  # type: ignore[attr-defined]
