"""One spelling for JSON output: every command that can print JSON takes ``-f, --output-format``.

Real ``flash-ls`` subprocesses; a wrong format is refused before anything runs (no API call: the
API URL points at a closed port), and ``--json`` is gone.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cli_imports import flash_ls

# (the command, its arguments): every command with a JSON form besides `check`.
JSON_COMMANDS = [
    (("deploy",), ()),
    (("env", "list"), ()),
    (("env", "get"), ("dev",)),
    (("env", "current"), ()),
    (("app", "list"), ()),
    (("app", "get"), ()),
    (("auth", "status"), ()),
    (("rules",), ()),
]
HELP_LINE = re.compile(r"^  -f, --output-format FORMAT\s+One of (?P<formats>[a-z, ]+)\.", re.M)


def offline(home: Path) -> dict[str, str]:
    """A throwaway HOME, a key, and an API nobody answers on."""
    return {
        "HOME": str(home),
        "RUNPOD_API_KEY": "rpa_NOTAREALKEY0000000000000000",
        "RUNPOD_API_BASE_URL": "http://127.0.0.1:9",
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An app directory with a Flash endpoint."""
    root = tmp_path / "myapp"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "myapp"\n')
    (root / "worker.py").write_text(
        'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\nasync def w() -> None: ...\n'
    )
    return root


@pytest.mark.parametrize(
    "command, arguments", JSON_COMMANDS, ids=[" ".join(c) for c, _ in JSON_COMMANDS]
)
def test_json_output_is_spelled_output_format(
    app: Path, tmp_path: Path, command: tuple[str, ...], arguments: tuple[str, ...]
) -> None:
    env = offline(tmp_path / "home")

    shown = flash_ls(app, *command, "--help", env=env)
    wrong = flash_ls(app, *command, *arguments, "-f", "xml", env=env)
    old = flash_ls(app, *command, *arguments, "--json", env=env)

    found = HELP_LINE.search(shown.stdout)
    assert found is not None, shown.stdout
    assert found["formats"] == "text, json"
    assert "--json" not in shown.stdout
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr == "flash-ls: unknown --output-format 'xml' (choose from text, json)\n"
    assert old.returncode == 2 and "No such option: --json" in old.stderr
    assert not (tmp_path / "home" / ".runpod").exists()  # nothing was saved or asked


def test_check_help_has_the_same_shape(app: Path, tmp_path: Path) -> None:
    shown = flash_ls(app, "check", "--help", env=offline(tmp_path / "home"))

    found = HELP_LINE.search(shown.stdout)
    assert found is not None, shown.stdout
    assert found["formats"] == "text, json, github, sarif, junit"


def test_rules_as_json(app: Path, tmp_path: Path) -> None:
    env = offline(tmp_path / "home")

    listing = flash_ls(app, "rules", "-f", "json", env=env)
    one = flash_ls(app, "rules", "FL101", "--output-format", "json", env=env)

    assert (listing.returncode, one.returncode) == (0, 0), listing.stderr + one.stderr
    rules = json.loads(listing.stdout)
    assert {"code", "rule", "severity", "fix", "summary"} == set(rules[0])
    assert "FL101" in [r["code"] for r in rules]
    rule = json.loads(one.stdout)
    assert (rule["code"], rule["rule"]) == ("FL101", "queue-name-reused")
    assert rule["doc"] and rule["url"]


def test_env_current_as_json_needs_no_api(app: Path, tmp_path: Path) -> None:
    done = flash_ls(app, "env", "current", "-f", "json", env=offline(tmp_path / "home"))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"app": "myapp", "environment": None, "source": None}
