"""[tool.flash-ls]: kebab/snake keys, problems instead of exceptions, overlays."""

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

KEYS = "known keys: select, ignore, severity, size-budget-mb, size-warn-ratio, large-file-mb, exclude, python"


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


def test_unknown_key_is_a_problem_with_its_line(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls]\nselect = ["FL1"]\nsize-budget = 10\n')
    config, problems = load_config(tmp_path)
    assert config.select == ["FL1"]
    assert config.size_budget_mb == 1500
    [problem] = problems
    assert problem.line == 2
    assert problem.key == "size-budget"
    assert "unknown key `size-budget`" in problem.message
    assert "did you mean `size-budget-mb`" in problem.message


def test_bad_values_are_problems_and_the_rest_applies(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        """[project]
name = "app"

[tool.flash-ls]
ignore = "FL301"
size-budget-mb = "big"
size-warn-ratio = 1.5
large-file-mb = 20
severity = { FL301 = "fatal", FL302 = "hint" }
exclude = ["ok/*", 3]
""",
    )
    config, problems = load_config(tmp_path)
    assert config.ignore == []
    assert config.size_budget_mb == 1500
    assert config.size_warn_ratio == 0.8
    assert config.large_file_mb == 20
    assert config.severity == {"FL302": "hint"}
    assert config.exclude == ["ok/*"]
    by_key = {problem.key: problem for problem in problems}
    assert set(by_key) == {"ignore", "size-budget-mb", "size-warn-ratio", "severity", "exclude"}
    assert by_key["ignore"].line == 4
    assert by_key["size-budget-mb"].line == 5
    assert "`size-budget-mb`" in by_key["size-budget-mb"].message
    assert "'big'" in by_key["size-budget-mb"].message
    assert "`severity['FL301']`" in by_key["severity"].message
    assert "`exclude[1]`" in by_key["exclude"].message
    assert all(isinstance(problem, ConfigProblem) for problem in problems)


def test_several_bad_entries_of_one_list_drop_exactly_those(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls]\nignore = ["FL301", 1, "FL302", 2, "FL303"]\n')
    config, problems = load_config(tmp_path)
    assert config.ignore == ["FL301", "FL302", "FL303"]
    assert [problem.message for problem in problems] == [
        "[tool.flash-ls]: invalid `ignore[1]`: Input should be a valid string (got 1)",
        "[tool.flash-ls]: invalid `ignore[3]`: Input should be a valid string (got 2)",
    ]


def test_bool_is_not_a_number(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.flash-ls]\nlarge-file-mb = true\n")
    config, problems = load_config(tmp_path)
    assert config.large_file_mb == 50
    assert [problem.key for problem in problems] == ["large-file-mb"]


def test_duplicate_spellings_are_reported(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.flash-ls]\nsize-budget-mb = 10\nsize_budget_mb = 20\n")
    config, problems = load_config(tmp_path)
    assert config.size_budget_mb == 10
    [problem] = problems
    assert problem.key == "size_budget_mb"


def test_broken_toml_gives_a_problem_and_defaults(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls]\nselect = ["FL1"\nignore = []\n')
    config, problems = load_config(tmp_path)
    assert config == Config()
    [problem] = problems
    assert "not valid TOML" in problem.message
    assert problem.line is not None and problem.line >= 1


def test_undecodable_file_gives_a_problem(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.flash-ls]\nselect = ['\xff']\n")
    config, problems = load_config(tmp_path)
    assert config == Config()
    assert len(problems) == 1


def test_table_of_the_wrong_type(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool]\nflash-ls = "strict"\n')
    config, problems = load_config(tmp_path)
    assert config == Config()
    [problem] = problems
    assert problem.line == 1
    assert "must be a table" in problem.message


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


def test_merged_rejects_bad_overrides_with_a_clear_message() -> None:
    with pytest.raises(ConfigError) as caught:
        Config().merged({"selcet": ["FL1"], "large-file-mb": "x"})
    message = str(caught.value)
    assert "unknown key `selcet`" in message and "did you mean `select`" in message
    assert "`large-file-mb`" in message
    assert {problem.key for problem in caught.value.problems} == {"selcet", "large-file-mb"}


# -- exact messages (editors and CLI output show them as they are) ------------------------------


def test_unknown_key_message(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls]\nselect = ["FL1"]\nsize-budget = 10\nwhatever = 1\n')
    _, problems = load_config(tmp_path)
    assert problems == [
        ConfigProblem(
            f"[tool.flash-ls]: unknown key `size-budget`; did you mean `size-budget-mb`? {KEYS}",
            2,
            "size-budget",
        ),
        ConfigProblem(f"[tool.flash-ls]: unknown key `whatever`; {KEYS}", 3, "whatever"),
    ]


def test_invalid_value_messages(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path,
        """[tool.flash-ls]
size-budget-mb = "big"
size_warn_ratio = 1.5
severity = { FL301 = "fatal", FL302 = "Hint", FL303 = "information" }
exclude = ["ok/*", 3]
python = 3
""",
    )
    config, problems = load_config(tmp_path)
    assert config == Config(
        severity={"FL302": "hint", "FL303": "info"}, exclude=["ok/*"], python=None
    )
    expected = [
        ConfigProblem(
            "[tool.flash-ls]: invalid `severity['FL301']`: Input should be 'error', 'warning', "
            "'info' or 'hint' (got 'fatal')",
            3,
            "severity",
        ),
        ConfigProblem(
            "[tool.flash-ls]: invalid `size-budget-mb`: Input should be a valid number (got 'big')",
            1,
            "size-budget-mb",
        ),
        ConfigProblem(
            "[tool.flash-ls]: invalid `size_warn_ratio`: Input should be less than or equal to 1 "
            "(got 1.5)",
            2,
            "size_warn_ratio",
        ),
        ConfigProblem(
            "[tool.flash-ls]: invalid `exclude[1]`: Input should be a valid string (got 3)",
            4,
            "exclude",
        ),
        ConfigProblem(
            "[tool.flash-ls]: invalid `python`: Input should be a valid string (got 3)",
            5,
            "python",
        ),
    ]
    assert problems == expected  # in pydantic's order, as before


def test_wrong_container_types_drop_the_key(tmp_path: Path) -> None:
    write_pyproject(
        tmp_path, '[tool.flash-ls]\nselect = "FL1"\nseverity = "error"\nsize-budget-mb = 0\n'
    )
    config, problems = load_config(tmp_path)
    assert config == Config()
    assert {(p.key, p.line) for p in problems} == {
        ("select", 1),
        ("severity", 2),
        ("size-budget-mb", 3),
    }
    [budget] = [p for p in problems if p.key == "size-budget-mb"]
    assert budget.message == (
        "[tool.flash-ls]: invalid `size-budget-mb`: Input should be greater than 0 (got 0)"
    )


def test_repeated_spelling_message(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.flash-ls]\nlarge_file_mb = 3\nlarge-file-mb = 4\n")
    config, problems = load_config(tmp_path)
    assert config.large_file_mb == 3
    assert problems == [
        ConfigProblem(
            "[tool.flash-ls]: `large-file-mb` repeats `large_file_mb`; the first one is used",
            2,
            "large-file-mb",
        )
    ]


def test_broken_toml_message(tmp_path: Path) -> None:
    write_pyproject(tmp_path, '[tool.flash-ls]\nselect = ["FL1"\nignore = []\n')
    [problem] = load_config(tmp_path)[1]
    assert problem.message.startswith(
        "pyproject.toml is not valid TOML, [tool.flash-ls] was not read: "
    )
    assert problem.key is None


def test_empty_table_gives_defaults(tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.flash-ls]\n")
    assert load_config(tmp_path) == (Config(), [])


def test_merged_error_messages() -> None:
    with pytest.raises(ConfigError) as caught:
        Config().merged({"selcet": ["FL1"], "size_budget_mb": True, "severity": {"FL1": "loud"}})
    assert caught.value.problems == [
        ConfigProblem(
            f"flash-ls settings: unknown key `selcet`; did you mean `select`? {KEYS}",
            None,
            "selcet",
        ),
        ConfigProblem(
            "flash-ls settings: invalid `severity['FL1']`: Input should be 'error', 'warning', "
            "'info' or 'hint' (got 'loud')",
            None,
            "severity",
        ),
        ConfigProblem(
            "flash-ls settings: invalid `size_budget_mb`: Input should be a valid number "
            "(got True)",
            None,
            "size_budget_mb",
        ),
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
