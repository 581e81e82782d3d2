"""[tool.flash-ls]: kebab/snake keys, problems instead of exceptions, overlays."""

from __future__ import annotations

from pathlib import Path

import pytest

from flash_ls.project.config import Config, ConfigError, ConfigProblem, load_config


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
    base = Config.model_validate(
        {"select": ["FL1"], "severity": {"FL101": "error"}, "exclude": ["a"]}
    )
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
