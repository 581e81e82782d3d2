"""Engine types -> lsprotocol types: diagnostics (with their fix key in ``data``) and edits."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from lsprotocol import types

from flash_ls.diagnostic import Diagnostic, Severity, TextEdit
from flash_ls.project.config import ConfigProblem
from flash_ls.rules.registry import lookup
from flash_ls.server.positions import LineIndex, path_to_uri
from flash_ls.span import Span

SOURCE = "flash-ls"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
    Severity.HINT: types.DiagnosticSeverity.Hint,
}

IndexFor = Callable[[Path], LineIndex]


def diagnostic_key(diagnostic: Diagnostic) -> str:
    """A stable id of a finding: the same finding on the same text gets the same key."""
    span = diagnostic.span
    raw = f"{diagnostic.path}|{diagnostic.code}|{span.start_line}:{span.start_col}-{span.end_line}:{span.end_col}|{diagnostic.message}"
    return f"{diagnostic.code}:{hashlib.blake2b(raw.encode('utf-8', 'surrogatepass'), digest_size=8).hexdigest()}"


def to_lsp_diagnostic(
    diagnostic: Diagnostic,
    index_for: IndexFor,
    key: str,
    uri_for: Callable[[Path], str] = path_to_uri,
) -> types.Diagnostic:
    """An LSP diagnostic; ``data`` carries the key the code actions look the fixes up by."""
    index = index_for(diagnostic.path)
    rule = lookup(diagnostic.code)
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri_for(item.path), index_for(item.path).range(item.span)),
            message=item.message,
        )
        for item in diagnostic.related
    ]
    if diagnostic.notes:
        # Clients show related information under the message (VS Code's Problems panel, Neovim's
        # float): the notes sit there, at the finding itself, keeping the message one line.
        here = types.Location(uri_for(diagnostic.path), index.range(diagnostic.span))
        related.extend(
            types.DiagnosticRelatedInformation(location=here, message=note)
            for note in diagnostic.notes
        )
    data: dict[str, Any] = {"id": key, "rule": diagnostic.slug}
    if diagnostic.fix is not None:
        data["fix"] = diagnostic.fix.message
        data["safe"] = diagnostic.fix.safe
    return types.Diagnostic(
        range=index.range(diagnostic.span),
        message=diagnostic.message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        code_description=types.CodeDescription(href=rule.doc_url) if rule is not None else None,
        source=SOURCE,
        related_information=related or None,
        data=data,
    )


def config_diagnostic(problem: ConfigProblem, index: LineIndex) -> types.Diagnostic:
    """A ``[tool.flash-ls]`` problem at its key in ``pyproject.toml``; an error, because the
    table is not applied until it is fixed."""
    return types.Diagnostic(
        range=index.range(problem.span or Span.point(0)),
        message=problem.message,
        severity=types.DiagnosticSeverity.Error,
        source=SOURCE,
    )


def result_id(items: Iterable[types.Diagnostic]) -> str:
    """A content hash of a file's diagnostics: equal ids mean an unchanged report.

    Hashes the fields this server sets (not a full cattrs serialisation: this runs on every edit,
    and pygls serialises the published items once more anyway).
    """
    digest = hashlib.blake2b(digest_size=12)
    for item in items:
        digest.update(repr(_fingerprint(item)).encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _range_tuple(range_: types.Range) -> tuple[int, int, int, int]:
    return (range_.start.line, range_.start.character, range_.end.line, range_.end.character)


def _fingerprint(item: types.Diagnostic) -> tuple[Any, ...]:
    data = item.data
    return (
        _range_tuple(item.range),
        int(item.severity) if item.severity is not None else None,
        item.code,
        item.message,
        item.source,
        item.code_description.href if item.code_description is not None else None,
        tuple(
            (info.location.uri, _range_tuple(info.location.range), info.message)
            for info in item.related_information or ()
        ),
        tuple(int(tag) for tag in item.tags or ()),
        tuple(sorted(data.items())) if isinstance(data, dict) else data,
    )


def to_text_edits(
    edits: Iterable[TextEdit], index_for: IndexFor
) -> dict[Path, list[types.TextEdit]]:
    """Engine edits grouped by file, as LSP text edits."""
    grouped: dict[Path, list[types.TextEdit]] = {}
    for edit in edits:
        grouped.setdefault(edit.path, []).append(
            types.TextEdit(range=index_for(edit.path).range(edit.span), new_text=edit.new_text)
        )
    return grouped


def workspace_edit(
    edits: Mapping[Path, list[types.TextEdit]],
    *,
    versions: Mapping[Path, int | None],
    uris: Mapping[Path, str],
    document_changes: bool,
) -> types.WorkspaceEdit:
    """A workspace edit, versioned (``documentChanges``) when the client supports it."""
    if document_changes:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uris.get(path) or path_to_uri(path), version=versions.get(path)
                    ),
                    edits=list(items),
                )
                for path, items in edits.items()
            ]
        )
    return types.WorkspaceEdit(
        changes={uris.get(path) or path_to_uri(path): list(items) for path, items in edits.items()}
    )


def to_jsonable(value: Any) -> Any:
    """Engine results (pydantic models, dataclasses, paths, enums) as plain JSON values."""
    import dataclasses
    import enum

    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return to_jsonable(dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return str(value)
