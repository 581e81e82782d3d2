"""The engine around the rules: suppressions, configuration, crash isolation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from apps import check, codes, load_app, only, write_app

from flash_ls.diagnostic import Severity
from flash_ls.fixes.apply import apply_edits
from flash_ls.rules import registry
from flash_ls.rules.engine import check_app

TWO = """
from runpod_flash import Endpoint

@Endpoint(name="w")
def a(): ...

@Endpoint(name="w")
def b(): ...
"""


def test_line_suppression_by_code_and_by_slug(tmp_path: Path) -> None:
    by_code = TWO.replace(
        '@Endpoint(name="w")\ndef b', '@Endpoint(name="w")  # flash-ls: ignore[FL101]\ndef b'
    )
    assert only(check(tmp_path / "a", {"w.py": by_code}), "FL101") == []
    by_slug = TWO.replace(
        '@Endpoint(name="w")\ndef b',
        '@Endpoint(name="w")  # flash-ls: ignore[queue-name-reused]\ndef b',
    )
    assert only(check(tmp_path / "b", {"w.py": by_slug}), "FL101") == []
    other = TWO.replace(
        '@Endpoint(name="w")\ndef b', '@Endpoint(name="w")  # flash-ls: ignore[FL301]\ndef b'
    )
    assert only(check(tmp_path / "c", {"w.py": other}), "FL101")


def test_bare_and_file_suppressions(tmp_path: Path) -> None:
    bare = TWO.replace(
        '@Endpoint(name="w")\ndef b', '@Endpoint(name="w")  # flash-ls: ignore\ndef b'
    )
    assert only(check(tmp_path / "a", {"w.py": bare}), "FL101") == []
    whole = "# flash-ls: ignore-file[FL101]\n" + TWO
    assert only(check(tmp_path / "b", {"w.py": whole}), "FL101") == []


def test_every_finding_offers_a_suppression_that_works(tmp_path: Path) -> None:
    (finding,) = only(check(tmp_path, {"w.py": TWO}), "FL101")
    (suppress,) = finding.alternatives
    path = tmp_path / "w.py"
    path.write_text(apply_edits(path.read_text(), suppress.edits))
    assert "# flash-ls: ignore[FL101]" in path.read_text()
    assert only(check(tmp_path), "FL101") == []


def test_config_ignore_select_and_severity(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "x"\n\n[tool.flash-ls]\n{}\n'
    ignored = check(
        tmp_path / "a", {"w.py": TWO, "pyproject.toml": pyproject.format('ignore = ["FL1"]')}
    )
    assert codes(ignored, "FL1") == []
    selected = check(
        tmp_path / "b",
        {"w.py": TWO + "\nx = (\n", "pyproject.toml": pyproject.format('select = ["FL9"]')},
    )
    assert set(codes(selected)) == {"FL901"}
    raised = check(
        tmp_path / "c",
        {
            "w.py": TWO,
            "pyproject.toml": pyproject.format('severity = { queue-name-reused = "error" }'),
        },
    )
    assert [d.severity for d in only(raised, "FL101")] == [Severity.ERROR]


def test_cli_style_select_narrows_config(tmp_path: Path) -> None:
    write_app(tmp_path, {"w.py": TWO})
    assert set(codes(check_app(load_app(tmp_path), select=["FL9"]))) == set()
    assert codes(check_app(load_app(tmp_path), ignore=["FL101"]), "FL101") == []


def test_bad_config_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "w.py": TWO,
            "pyproject.toml": '[tool.flash-ls]\nignore = "FL1"\nsize-budget-mb = "big"\n',
        },
    )
    app = load_app(tmp_path)
    assert app.config_problems
    assert only(check_app(app), "FL101")


def test_a_crashing_rule_is_logged_and_others_still_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    write_app(tmp_path, {"w.py": TWO})
    broken = registry.lookup("FL102")
    assert broken is not None

    def explode(app: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setitem(
        registry._RULES, "FL102", broken.__class__(**{**_fields(broken), "check": explode})
    )
    with caplog.at_level(logging.ERROR):
        found = check_app(load_app(tmp_path))
    assert only(found, "FL101")
    assert any("FL102" in record.getMessage() for record in caplog.records)


def _fields(rule: registry.Rule) -> dict[str, object]:
    return {name: getattr(rule, name) for name in rule.__dataclass_fields__}
