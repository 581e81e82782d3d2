"""The server's pure parts, in process: positions, settings, completion parsing, fix-all, errors."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from lsp_session import apply_text_edits
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from flash_ls.diagnostic import Diagnostic, Fix, Severity, TextEdit
from flash_ls.fixes.apply import apply_edits
from flash_ls.progress import Cancelled
from flash_ls.server import completion
from flash_ls.server.actions import ActionContext, code_actions, kind_wanted
from flash_ls.server.convert import diagnostic_key, result_id, to_lsp_diagnostic
from flash_ls.server.diagnostics_manager import FileReport
from flash_ls.server.positions import (
    UTF8,
    UTF16,
    UTF32,
    LineIndex,
    changed_span,
    column_to_units,
    negotiate_encoding,
    units_to_column,
)
from flash_ls.server.settings import parse_settings
from flash_ls.server.work_done import WorkDoneProgress
from flash_ls.span import Span

# -- positions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "units"),
    [(UTF16, [0, 1, 2, 3, 5, 6]), (UTF8, [0, 1, 3, 6, 10, 11]), (UTF32, [0, 1, 2, 3, 4, 5])],
)
def test_columns_round_trip(encoding: str, units: list[int]) -> None:
    line = "aé€😀b"
    for column, expected in enumerate(units):
        assert column_to_units(line, column, encoding) == expected
        assert units_to_column(line, expected, encoding) == column


def test_positions_clamp_and_snap() -> None:
    line = "a😀b"
    assert units_to_column(line, 2, UTF16) == 1  # inside the surrogate pair: its start
    assert units_to_column(line, 99, UTF16) == 3
    assert column_to_units(line, 99, UTF8) == 6
    index = LineIndex("x = 1\r\ny😀 = 2\n", UTF16)
    assert index.range(Span(0, 0, 0, 99)) == types.Range(types.Position(0, 0), types.Position(0, 5))
    assert index.position(1, 2) == types.Position(1, 3)
    assert index.position(9, 0) == types.Position(2, 0)
    assert index.span(types.Range(types.Position(1, 3), types.Position(1, 4))) == Span(1, 2, 1, 3)


def test_negotiation() -> None:
    assert negotiate_encoding(None) == UTF16
    assert negotiate_encoding(["utf-8", "utf-16"]) == UTF8
    assert negotiate_encoding(["latin-1", "utf-32"]) == UTF32
    assert negotiate_encoding(["latin-1"]) == UTF16


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("abc\ndef\n", "abc\nxyz\n"),
        ("a\r\nb\r\n", "a\r\nc\r\nb\r\n"),
        ("same", "same"),
        ("x = 1\r\n", "x = 1\n"),
        ("", "new\n"),
        ("😀 = 1\n", "😀 = 2\n"),
    ],
)
def test_changed_span_reproduces_the_new_text(old: str, new: str) -> None:
    change = changed_span(old, new)
    if old == new:
        assert change is None
        return
    assert change is not None
    span, text = change
    assert apply_edits(old, [TextEdit(Path("f.py"), span, text)]) == new


# -- settings ---------------------------------------------------------------------------------


def test_settings_layers_and_spellings() -> None:
    settings = parse_settings(
        {"flash-ls": {"debounceMs": 250, "ignore": ["FL3"]}},
        {"settings": {"flash-ls": {"size-budget-mb": 900, "logLevel": "INFO"}}},
    )
    assert settings.debounce_ms == 250
    assert settings.log_level == "info"
    assert settings.overrides == {"ignore": ["FL3"], "size_budget_mb": 900}
    assert settings.problems == []


def test_invalid_settings_are_reported_one_message_each() -> None:
    settings = parse_settings(
        {"debounce_ms": -1, "severity": {"FL101": "loud"}, "selekt": ["FL1"], "ignore": ["FL2"]}
    )
    assert settings.problems == [
        "flash-ls settings: `debounce_ms` must be a number >= 0, not -1",
        "flash-ls settings: unknown key `selekt`; did you mean `select`?",
        "flash-ls settings: `severity.FL101` must be error, warning, info or hint",
    ]
    assert settings.overrides == {}  # none of them is applied


def test_unknown_rules_in_settings_are_problems() -> None:
    settings = parse_settings({"ignore": ["FL999"], "severity": {"no-such-rule": "hint"}})
    assert settings.problems == [
        "flash-ls settings: unknown rule `FL999` in `ignore`; see `flash-ls rules`",
        "flash-ls settings: unknown rule `no-such-rule` in `severity`",
    ]


# -- completion parsing -----------------------------------------------------------------------


def _complete(text: str) -> list[str]:
    lines = text.split("\n")
    ctx = completion.CompletionContext(
        text, len(lines) - 1, len(lines[-1]), LineIndex(text).range, markdown=True
    )
    return [item.label for item in completion.complete(ctx, None, None)]


_SDK = "from runpod_flash import DataCenter, Endpoint, GpuGroup, NetworkVolume\n"


def test_keyword_completion_contexts() -> None:
    assert "gpu=" in _complete(_SDK + "ep = Endpoint(")
    assert "name=" not in _complete(_SDK + 'ep = Endpoint(name="x", ')
    assert "name=" not in _complete(_SDK + 'ep = Endpoint("x", name="y",\n    ')
    assert "name=" not in _complete(_SDK + "ep = Endpoint(gpu=")  # a value, not an argument name
    assert _complete(_SDK + 'ep = Endpoint(name="a, b') == []  # inside a string
    assert _complete(_SDK + "ep = Endpoint(dependencies=[") == []  # inside a list
    assert "size=" in _complete(_SDK + "vol = NetworkVolume(")
    assert _complete(_SDK + "print(") == []
    assert "gpu=" in _complete(
        _SDK + "x = f(Endpoint(\n  name='a',  # a comment, with a comma\n  g"
    )


def test_only_the_sdk_callables_get_completion() -> None:
    assert _complete("class Endpoint: ...\nep = Endpoint(") == []
    assert _complete("from other import Endpoint\nep = Endpoint(") == []
    assert _complete("from other import Endpoint\nep = Endpoint(gpu=") == []
    assert _complete("from other import GpuGroup\nx = GpuGroup.") == []
    assert _complete("ep = Endpoint(") == []  # not imported at all
    assert "gpu=" in _complete("import runpod_flash as rf\nep = rf.Endpoint(")
    assert "gpu=" in _complete("from runpod_flash import Endpoint as E\n@E(")


def test_enum_and_string_completion() -> None:
    assert "ADA_24" in _complete(_SDK + "gpu=GpuGroup.")
    assert "US_CA_2" in _complete(_SDK + "datacenter=[DataCenter.")
    assert "EU-RO-1" in _complete(_SDK + 'Endpoint(datacenter="EU')
    assert "cpu5c-8-16" in _complete(_SDK + "Endpoint(cpu=['cpu3c-1-2', '")
    assert "ADA_24" in _complete("from runpod_flash import GpuGroup as G\nx = G.")


def test_enum_argument_values() -> None:
    gpu = _complete(_SDK + "ep = Endpoint(gpu=")
    assert gpu[:2] == ["GpuGroup.ANY", "GpuGroup.ADA_24"] and "GpuType.NVIDIA_L4" in gpu
    assert '"EU-RO-1"' not in gpu  # a bare string is an error for gpu=
    assert "GpuType.NVIDIA_L4" in _complete(_SDK + "ep = Endpoint(gpu=[GpuGroup.ADA_24, ")
    datacenter = _complete(_SDK + "ep = Endpoint(datacenter=[")
    assert "DataCenter.EU_RO_1" in datacenter and '"EU-RO-1"' in datacenter
    assert "DataCenter.EU_RO_1" in _complete(_SDK + "v = NetworkVolume(datacenter=")
    assert "rf.GpuGroup.ADA_24" in _complete("import runpod_flash as rf\nep = rf.Endpoint(gpu=")
    assert _complete(_SDK + "ep = Endpoint(gpu=pools[") == []  # a subscript, not a list
    assert _complete(_SDK + "ep = Endpoint(workers=(1, ") == []
    assert _complete(_SDK + "ep = Endpoint(gpu=make(") == []  # another call's argument
    assert _complete(_SDK + "ep = Endpoint(scaler_type=[") == []  # takes no list


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        ("from runpod_flash import Endpoint\n", "from runpod_flash import Endpoint, GpuGroup\n"),
        (
            "from runpod_flash import Endpoint, GpuType\n",
            "from runpod_flash import Endpoint, GpuGroup, GpuType\n",
        ),
        (
            "from runpod_flash import (\n    Endpoint,\n    GpuType,\n)\n",
            "from runpod_flash import (\n    Endpoint,\n    GpuGroup,\n    GpuType,\n)\n",
        ),
        (
            "import os\nfrom runpod_flash import Endpoint as E\n",
            "import os\nfrom runpod_flash import Endpoint as E, GpuGroup\n",
        ),
    ],
)
def test_a_member_of_an_enum_not_imported_adds_the_import(imports: str, expected: str) -> None:
    text = imports + "ep = E(gpu=" if " as E" in imports else imports + "ep = Endpoint(gpu="
    lines = text.split("\n")
    index = LineIndex(text)
    ctx = completion.CompletionContext(text, len(lines) - 1, len(lines[-1]), index.range)
    item = next(i for i in completion.complete(ctx, None, None) if i.label == "GpuGroup.ADA_24")
    assert item.text_edit is not None and item.additional_text_edits is not None
    edits = [item.text_edit, *item.additional_text_edits]
    changed = apply_text_edits(text, edits)  # type: ignore[arg-type]
    assert changed.endswith("(gpu=GpuGroup.ADA_24")
    assert changed[: changed.rindex("\n") + 1] == expected


# -- code actions -----------------------------------------------------------------------------


def _report(path: Path, text: str, diagnostics: list[Diagnostic]) -> FileReport:
    index = LineIndex(text)
    keys = [diagnostic_key(d) for d in diagnostics]
    items = [
        to_lsp_diagnostic(d, lambda _: index, k) for d, k in zip(diagnostics, keys, strict=True)
    ]
    return FileReport(path, path.parent, 3, diagnostics, items, keys, result_id(items), text)


def test_fix_all_applies_every_safe_fix_once(tmp_path: Path) -> None:
    path = tmp_path / "main.py"
    text = 'a = "x"\nb = "y"\n'

    def finding(line: int, new: str, safe: bool) -> Diagnostic:
        fix = Fix(f"use {new}", (TextEdit(path, Span(line, 4, line, 7), new),), safe=safe)
        return Diagnostic(
            "FL999", "test", Severity.ERROR, path, Span(line, 4, line, 7), "bad", fix=fix
        )

    report = _report(path, text, [finding(0, '"X"', True), finding(1, '"Y"', False)])
    ctx = ActionContext(report, None, UTF16, True, 3, lambda p: p.as_uri(), lambda p: None)
    actions = code_actions(
        ctx, types.Range(types.Position(0, 0), types.Position(0, 0)), [], ["source.fixAll"]
    )
    assert [a.kind for a in actions] == ["source.fixAll.flash"]
    edit = actions[0].edit
    assert edit is not None and edit.document_changes is not None
    change = edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.version == 3
    edits = [e for e in change.edits if isinstance(e, types.TextEdit)]
    assert len(edits) == 1
    start, end = edits[0].range.start, edits[0].range.end
    span = Span(start.line, start.character, end.line, end.character)
    assert (
        apply_edits(text, [TextEdit(path, span, edits[0].new_text)]) == 'a = "X"\nb = "y"\n'
    )  # minimal edit
    # Quick fixes: the unsafe one is offered but not preferred; stale texts without versions: none.
    quick = code_actions(ctx, report.items[1].range, [], None)
    assert (quick[0].title, bool(quick[0].is_preferred)) == ('use "Y"', False)
    stale = ActionContext(report, None, UTF16, False, 4, lambda p: p.as_uri(), lambda p: None)
    assert code_actions(stale, report.items[1].range, [], None) == []


def test_kind_filter() -> None:
    assert kind_wanted("source.fixAll.flash", ["source.fixAll"])
    assert kind_wanted("source.fixAll.flash", ["source"])
    assert not kind_wanted("source.fixAll.flash", ["quickfix"])
    assert kind_wanted("quickfix", None)


# -- errors and progress ----------------------------------------------------------------------


class _FakeProgress:
    def __init__(self) -> None:
        self.tokens: dict[Any, Future[Any]] = {}
        self.sent: list[tuple[str, Any]] = []

    def begin(self, token: Any, value: Any) -> None:
        self.tokens.setdefault(token, Future())
        self.sent.append(("begin", value))

    def report(self, token: Any, value: Any) -> None:
        self.sent.append(("report", value))

    def end(self, token: Any, value: Any) -> None:
        self.sent.append(("end", value))


class _FakeServer:
    def __init__(self) -> None:
        self.work_done_progress = _FakeProgress()
        self.logged: list[str] = []
        self.client_capabilities = types.ClientCapabilities()

    def window_log_message(self, params: types.LogMessageParams) -> None:
        self.logged.append(params.message)

    def log_to_client(self, message: str, kind: Any = None) -> None:
        self.logged.append(message)


async def test_work_done_progress_reports_and_cancels() -> None:
    server = _FakeServer()
    progress = WorkDoneProgress(server, "build", token="t")  # type: ignore[arg-type]
    await progress.begin()
    progress.step("install", total=4)
    progress.advance(2, "numpy")
    progress.log("skipped torch")
    progress.check_cancelled()
    server.work_done_progress.tokens["t"].cancel()  # window/workDoneProgress/cancel
    with pytest.raises(Cancelled):
        progress.check_cancelled()
    progress.end("cancelled")
    await asyncio.sleep(0)
    kinds = [kind for kind, _ in server.work_done_progress.sent]
    assert kinds[0] == "begin" and kinds[-1] == "end"
    reports = [value for kind, value in server.work_done_progress.sent if kind == "report"]
    assert [(r.message, r.percentage) for r in reports[:2]] == [
        ("install", 0),
        ("install: numpy", 50),
    ]
    assert server.logged == ["build: skipped torch"]
    assert "t" not in server.work_done_progress.tokens


async def test_handler_errors_are_logged_and_answered() -> None:
    from flash_ls.server.plumbing import guard as _guard

    server = _FakeServer()

    @_guard("textDocument/hover")
    async def broken(ls: Any, params: Any) -> Any:
        raise KeyError("boom")

    with pytest.raises(JsonRpcException) as raised:
        await broken(server, None)
    assert raised.value.code == -32603 and "boom" in raised.value.message
    assert "Traceback" in server.logged[0] and "KeyError" in server.logged[0]

    @_guard("textDocument/didOpen", notification=True)
    async def broken_notification(ls: Any, params: Any) -> Any:
        raise ValueError("bad")

    assert await broken_notification(server, None) is None
    assert "ValueError" in server.logged[1]


async def test_a_crashing_command_is_logged_once_and_shown_in_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from flash_ls.server.plumbing import command as _command
    from flash_ls.server.server import FlashLanguageServer

    server = FlashLanguageServer()
    shown: list[tuple[str, types.MessageType]] = []
    logged: list[str] = []
    server.show_message = lambda message, kind: shown.append((message, kind))  # type: ignore[method-assign]
    server.log_to_client = lambda message, kind=None: logged.append(message)  # type: ignore[method-assign]

    @_command(server, "flash.crash")
    async def crash(ls: Any, args: dict[str, Any]) -> Any:
        raise RuntimeError("boom\nsecond line")

    with pytest.raises(JsonRpcException) as raised:
        await server.protocol.fm.commands["flash.crash"]()
    assert raised.value.code == -32603
    assert len(logged) == 1 and "Traceback" in logged[0] and "RuntimeError" in logged[0]
    assert shown == [("flash.crash failed: boom (see the flash-ls log)", types.MessageType.Error)]
    # The answer goes out without pygls logging the traceback a second time.
    answers: list[Any] = []
    server.protocol._send_response = lambda msg_id, result=None, error=None: answers.append(error)  # type: ignore[method-assign]
    failed: Future[Any] = Future()
    failed.set_exception(raised.value)
    with caplog.at_level(logging.DEBUG):
        server.protocol._send_handler_result(failed, msg_id=1)
    assert answers[0].code == -32603 and not [r for r in caplog.records if r.exc_info]
    assert len(logged) == 1


# -- result ids -------------------------------------------------------------------------------


def _lsp_item(**changes: Any) -> types.Diagnostic:
    fields: dict[str, Any] = {
        "range": types.Range(types.Position(1, 2), types.Position(1, 5)),
        "message": "bad",
        "severity": types.DiagnosticSeverity.Error,
        "code": "FL101",
        "source": "flash-ls",
        "data": {"id": "FL101:abc", "rule": "slug"},
    }
    fields.update(changes)
    return types.Diagnostic(**fields)


def test_result_id_follows_every_published_field() -> None:
    base = result_id([_lsp_item()])
    assert result_id([_lsp_item()]) == base
    assert result_id([]) != base
    other = types.Location("file:///b.py", types.Range(types.Position(0, 0), types.Position(0, 1)))
    variants = [
        _lsp_item(range=types.Range(types.Position(1, 2), types.Position(1, 6))),
        _lsp_item(message="worse"),
        _lsp_item(severity=types.DiagnosticSeverity.Warning),
        _lsp_item(code="FL102"),
        _lsp_item(data={"id": "FL101:abc", "rule": "slug", "fix": "do it", "safe": True}),
        _lsp_item(code_description=types.CodeDescription(href="https://x/FL101")),
        _lsp_item(related_information=[types.DiagnosticRelatedInformation(other, "here")]),
        _lsp_item(tags=[types.DiagnosticTag.Unnecessary]),
    ]
    ids = {result_id([item]) for item in variants}
    assert base not in ids and len(ids) == len(variants)
    assert result_id([_lsp_item(), _lsp_item(message="worse")]) != result_id(
        [_lsp_item(message="worse"), _lsp_item()]
    )


# -- delivery ---------------------------------------------------------------------------------


def test_the_edited_file_is_published_first(tmp_path: Path) -> None:
    from flash_ls.server.diagnostics_manager import AppReport, DiagnosticsManager
    from flash_ls.server.engine_thread import Documents

    documents = Documents()
    edited, other = tmp_path / "z_edited.py", tmp_path / "a_other.py"
    documents.open(edited, edited.as_uri(), 3, "x = 1\n")
    published: list[str] = []
    manager = DiagnosticsManager(
        None,  # type: ignore[arg-type]  # delivery never touches the engine
        documents,
        lambda uri, items, version: published.append(uri),
        lambda: None,
        lambda message: None,
    )
    report = AppReport(tmp_path, None, 0)  # type: ignore[arg-type]
    item = _lsp_item()
    for path in (other, edited):
        report.files[path] = FileReport(
            path, tmp_path, 3, [], [item], ["k"], result_id([item]), None
        )
    manager._accept(report, edited)
    assert published == [edited.as_uri(), other.as_uri()]


def test_warm_up_imports_on_the_engine_thread() -> None:
    from flash_ls.project.workspace import Workspace
    from flash_ls.server.engine_thread import Documents, Engine

    engine = Engine(Workspace([]), Documents())
    try:
        engine.warm_up(("json", "flash_ls.no_such_module"))  # a failing import is only logged
        assert asyncio.run(engine.call(lambda: 42)) == 42
    finally:
        engine.close()
        engine.join()


def test_client_settings_equal_to_the_init_options_keep_the_built_apps() -> None:
    from flash_ls.server.server import create_server

    server = create_server()
    calls: list[str] = []
    server.engine.workspace.invalidate_all = lambda: calls.append("all")  # type: ignore[method-assign]
    server.init_options = {"debounce_ms": 0}
    server.client_settings = {"debounceMs": 0}
    server.settings = parse_settings(server.init_options)
    try:
        asyncio.run(server.apply_settings(reindex=False))
        assert calls == []  # nothing the apps depend on changed
        server.client_settings = {"ignore": ["FL101"]}
        asyncio.run(server.apply_settings(reindex=False))
        assert calls == ["all"]
    finally:
        server.engine.close()
        server.engine.join()
