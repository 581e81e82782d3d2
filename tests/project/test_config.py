"""[tool.flash-ls]: kebab/snake keys, located problems instead of exceptions, overlays."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from flash_ls.project.config import (
    KNOWN_KEYS,
    Config,
    ConfigError,
    ConfigProblem,
    load_config,
)
from flash_ls.rules.registry import is_known_selector
from flash_ls.span import Span


def write_pyproject(root: Path, text: str) -> Path:
    (root / "pyproject.toml").write_text(text)
    return root


def test_missing_file_or_table_gives_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path) == (Config(), [])
    write_pyproject(tmp_path, '[project]\nname = "app"\n')
    config, problems = load_config(tmp_path)
    assert problems == []
    assert config.size_budget_mb == 1500
    assert config.size_warn_ratio == 0.8
    assert config.large_file_mb == 50
    assert config.select is None
    assert config.ignore == [] and config.exclude == [] and config.severity == {}
    assert config.python is None


def test_kebab_case_keys(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        """
[tool.flash-ls]
select = ["FL1", "top-level-import"]
ignore = ["FL602"]
severity = { FL301 = "error", module-global-in-endpoint = "Warning" }
size-budget-mb = 900
size-warn-ratio = 0.5
large-file-mb = 10.5
exclude = ["scratch/*.py"]
python = ".venv/bin/python"
""",
    )
    config, problems = load_config(tmp_path)
    assert problems == []
    assert config.select == ["FL1", "top-level-import"]
    assert config.ignore == ["FL602"]
    assert config.severity == {"FL301": "error", "module-global-in-endpoint": "warning"}
    assert config.size_budget_mb == 900.0
    assert config.size_warn_ratio == 0.5
    assert config.large_file_mb == 10.5
    assert config.exclude == ["scratch/*.py"]
    assert config.python == ".venv/bin/python"


def test_snake_case_keys(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        "[tool.flash-ls]\nsize_budget_mb = 100\nsize_warn_ratio = 0.9\nlarge_file_mb = 1\n",
    )
    config, problems = load_config(tmp_path)
    assert problems == []
    assert (config.size_budget_mb, config.size_warn_ratio, config.large_file_mb) == (100, 0.9, 1)


def test_severity_subtable(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls.severity]\nFL301 = "info"\n')
    config, problems = load_config(tmp_path)
    assert problems == []
    assert config.severity == {"FL301": "info"}


def lines_and_messages(problems: list[ConfigProblem]) -> list[tuple[int, str]]:
    """Each problem as the CLI prints it: 1-based line, message."""
    return [(p.span.start_line + 1 if p.span else 0, p.message) for p in problems]


def test_any_problem_rejects_the_whole_table(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls]\nselect = ["FL1"]\nsize-budget = 10\n')
    config, problems = load_config(tmp_path)
    assert config == Config()  # not even the good `select` applies
    assert lines_and_messages(problems) == [
        (3, "unknown key `size-budget` in [tool.flash-ls]; did you mean `size-budget-mb`?")
    ]
    assert problems[0].path == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(
    ("text", "expected", "span"),
    [
        pytest.param(
            """[project]
name = "app"

[tool.flash-ls]
ignore = "FL302"
size-budget-mb = "big"
size-warn-ratio = 1.5
large-file-mb = 0
severity = { FL302 = "hint", FL301 = "fatal" }
exclude = ["ok/*", 3]
python = 3
""",
            [
                (5, "`ignore` must be an array, not a string"),
                (6, "`size-budget-mb` must be a number, not a string"),
                (7, "`size-warn-ratio` must be at most 1, not 1.5"),
                (8, "`large-file-mb` must be greater than 0, not 0"),
                (9, "`severity.FL301` must be error, warning, info or hint, not 'fatal'"),
                (10, "`exclude[1]` must be a string, not an integer"),
                (11, "`python` must be a string, not an integer"),
            ],
            None,
            id="every-bad-value",
        ),
        pytest.param(
            '[tool.flash-ls]\nselect = ["FL1", "ALL", "FL999"]\nignore = ["top-level-imprt"]\n'
            'severity = { FL301 = "error", FL9999 = "hint" }\n',
            [
                (2, "unknown rule `FL999` in `select`; see `flash-ls rules`"),
                (3, "unknown rule `top-level-imprt` in `ignore`; see `flash-ls rules`"),
                (4, "unknown rule `FL9999` in `severity`; see `flash-ls rules`"),
            ],
            (2, Span(3, 30, 3, 36)),  # the key inside the inline table
            id="unknown-rules",
        ),
        pytest.param(
            '[tool.flash-ls]\nignore = []\n\n[tool.flash-ls.severity]\nFL302 = "hint"\n'
            'FL301 = "fatal"\n',
            [(6, "`severity.FL301` must be error, warning, info or hint, not 'fatal'")],
            (0, Span(5, 0, 5, 5)),
            id="subtable-entry-on-its-own-line",
        ),
        pytest.param(
            '[project]\nname = "app"\ndescription = """\n[tool.flash-ls]\nignore = 1\n"""\n\n'
            '[tool]\nruff.line-length = 99\nflash-ls.ignore = "FL302"\n'
            'flash-ls.severity.FL301 = "fatal"\n',
            [
                (10, "`ignore` must be an array, not a string"),
                (11, "`severity.FL301` must be error, warning, info or hint, not 'fatal'"),
            ],
            (1, Span(10, 18, 10, 23)),
            id="dotted-keys-outside-the-table",
        ),
        pytest.param(
            '[tool."flash-ls"]\n"severity" = { "FL 301" = "hint" }\nsize_budget_mb = [1]\n',
            [
                (2, "unknown rule `FL 301` in `severity`; see `flash-ls rules`"),
                (3, "`size_budget_mb` must be a number, not an array"),
            ],
            (0, Span(1, 15, 1, 23)),
            id="quoted-keys-named-as-written",
        ),
        pytest.param(
            "[tool.flash-ls]\nlarge-file-mb = true\n",
            [(2, "`large-file-mb` must be a number, not a boolean")],
            None,
            id="bool-is-not-a-number",
        ),
        pytest.param(
            "[tool.flash-ls]\nlarge_file_mb = 3\nlarge-file-mb = 4\n",
            [(3, "`large_file_mb` and `large-file-mb` are the same key; keep one")],
            None,
            id="two-spellings-of-one-key",
        ),
        pytest.param(
            '[project]\nname = "app"\n[tool.flash-ls]\nselect = ["FL1"\nignore = []\n',
            [(5, "invalid TOML: unclosed array")],
            (0, Span(4, 0, 4, 11)),  # the whole line
            id="broken-toml",
        ),
        pytest.param(
            '[project]\nname = "app"\nversion =',
            [(3, "invalid TOML: invalid value")],
            None,
            id="broken-toml-at-the-end-of-the-file",
        ),
        pytest.param(
            '[tool]\nflash-ls = "strict"\n',
            [(2, "[tool.flash-ls] must be a table, not a string")],
            None,
            id="table-of-the-wrong-type",
        ),
    ],
)
def test_each_problem_is_reported_on_its_line(
    tmp_path: Path, text: str, expected: list[tuple[int, str]], span: tuple[int, Span] | None
) -> None:
    """No problem applies any of the table; each is one short message on the line it is about
    (``span``: the exact range of one of them)."""
    write_pyproject(tmp_path, text)
    config, problems = load_config(tmp_path, is_known_selector)
    assert config == Config()
    assert lines_and_messages(problems) == expected
    assert all(len(message) < 80 for _, message in expected)
    if span is not None:
        index, exact = span
        assert problems[index].span == exact


def test_rule_codes_prefixes_and_slugs_are_known(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        '[tool.flash-ls]\nselect = ["ALL"]\nignore = ["FL3", "fl602", "top-level-import"]\n'
        'severity = { queue-name-reused = "error" }\n',
    )
    config, problems = load_config(tmp_path, is_known_selector)
    assert problems == []
    assert config.ignore == ["FL3", "fl602", "top-level-import"]


def test_undecodable_file_is_a_problem_on_line_1(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.flash-ls]\nselect = ['\xff']\n")
    config, problems = load_config(tmp_path)
    assert config == Config()
    assert lines_and_messages(problems) == [(1, "not UTF-8 (byte 27)")]


def test_empty_table_gives_defaults(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.flash-ls]\n")
    assert load_config(tmp_path) == (Config(), [])


def test_located_is_what_the_cli_prints(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls]\nignore = "FL302"\n')
    [problem] = load_config(tmp_path)[1]
    assert problem.located(lambda path: path.name) == (
        "pyproject.toml:2: `ignore` must be an array, not a string"
    )
    assert ConfigProblem("flash-ls settings: x").located() == "flash-ls settings: x"


def test_merged_overlays_settings() -> None:
    base = Config().merged({"select": ["FL1"], "severity": {"FL101": "error"}, "exclude": ["a"]})
    merged = base.merged(
        {"size_budget_mb": 200, "severity": {"FL102": "hint"}, "exclude": ["b"], "ignore": None}
    )
    assert merged.size_budget_mb == 200
    assert merged.severity == {"FL101": "error", "FL102": "hint"}
    assert merged.exclude == ["b"]
    assert merged.select == ["FL1"]
    assert base.size_budget_mb == 1500
    assert base.merged({"size-warn-ratio": 0.7}).size_warn_ratio == 0.7


def test_merged_rejects_bad_overrides_naming_each() -> None:
    with pytest.raises(ConfigError) as caught:
        Config().merged(
            {
                "selcet": ["FL1"],
                "size_budget_mb": True,
                "severity": {"FL1": "loud"},
                "ignore": ["X"],
            },
            is_known_selector,
        )
    assert caught.value.problems == [
        ConfigProblem("flash-ls settings: unknown key `selcet`; did you mean `select`?"),
        ConfigProblem("flash-ls settings: unknown rule `X` in `ignore`; see `flash-ls rules`"),
        ConfigProblem("flash-ls settings: `severity.FL1` must be error, warning, info or hint"),
        ConfigProblem("flash-ls settings: `size_budget_mb` must be a number, not a boolean"),
    ]
    assert str(caught.value) == "; ".join(p.message for p in caught.value.problems)


def test_merged_normalises_and_copies() -> None:
    base = Config(select=["FL1"], severity={"FL101": "error"})
    merged = base.merged({"severity": {"FL102": "Warning"}, "python": "py", "select": None})
    assert merged == Config(
        select=["FL1"], severity={"FL101": "error", "FL102": "warning"}, python="py"
    )
    same = base.merged({"ignore": None})
    assert same == base
    assert same.select is not base.select and same.severity is not base.severity


def test_config_is_a_plain_frozen_dataclass() -> None:
    config = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.python = "x"  # type: ignore[misc]
    assert [f.name.replace("_", "-") for f in dataclasses.fields(Config)] == list(KNOWN_KEYS)


def test_validation_model_matches_the_dataclass() -> None:
    from flash_ls.project.config_validation import ConfigModel

    assert list(ConfigModel.model_fields) == [f.name for f in dataclasses.fields(Config)]
    assert ConfigModel().to_config() == Config()


IMPORTS = """
import sys
from pathlib import Path
from flash_ls.project.config import load_config
config, problems = load_config(Path(sys.argv[1]))
if len(sys.argv) > 2:
    config.merged({"size-budget-mb": 10})
print("pydantic" in sys.modules, len(problems))
"""


@pytest.mark.parametrize(
    ("text", "merge", "expected"),
    [
        (None, False, "False 0"),
        ('[project]\nname = "app"\n', False, "False 0"),
        ("[tool.flash-ls]\n", False, "False 0"),
        ("[tool.flash-ls\n", False, "False 1"),
        ('[tool]\nflash-ls = "x"\n', False, "False 1"),
        ("[tool.flash-ls]\nsize-budget-mb = 10\n", False, "True 0"),
        ('[project]\nname = "app"\n', True, "True 0"),
    ],
)
def test_pydantic_only_when_something_is_validated(
    tmp_path: Path, text: str | None, merge: bool, expected: str
) -> None:
    if text is not None:
        write_pyproject(tmp_path, text)
    args = [sys.executable, "-c", IMPORTS, str(tmp_path), *(["merge"] if merge else [])]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == expected.split()


def test_selectors_are_checked_by_the_callers_rule_registry(tmp_path: Path) -> None:
    """The project layer knows no rules: whoever loads a configuration passes the check."""
    write_pyproject(tmp_path, '[tool.flash-ls]\nignore = ["FL999"]\n')
    assert load_config(tmp_path) == (Config(ignore=["FL999"]), [])
    assert load_config(tmp_path, lambda selector: selector == "FL999")[1] == []
    config, problems = load_config(tmp_path, is_known_selector)
    assert config == Config()
    assert lines_and_messages(problems) == [
        (2, "unknown rule `FL999` in `ignore`; see `flash-ls rules`")
    ]
    with pytest.raises(ConfigError):
        Config().merged({"select": ["FL999"]}, is_known_selector)
    assert Config().merged({"select": ["FL999"]}).select == ["FL999"]
