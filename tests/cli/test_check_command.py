"""`flash-ls check` as CI runs it: a real subprocess, the contract's exit codes and JSON."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from apps import write_app
from cli_imports import flash_ls
from json_contract import FINDING_KEYS

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "apps" / "demo"
APP_API_BASIC = DEMO.parents[1] / "app_api" / "basic"

DUPLICATE_NAME = """
from runpod_flash import Endpoint

@Endpoint(name="worker")
def a(): ...
"""


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None, command: str = "check"
) -> subprocess.CompletedProcess[str]:
    return flash_ls(cwd, command, *args, env=env)


@pytest.fixture
def broken_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    write_app(app, {"a.py": DUPLICATE_NAME, "b.py": DUPLICATE_NAME.replace("def a", "def b")})
    return app


def test_json_output_has_exactly_the_contract_keys(broken_app: Path) -> None:
    result = run(broken_app.parent, "--output-format", "json", "app")
    assert result.returncode == 1, result.stderr
    items = json.loads(result.stdout)
    assert items and all(set(item) == FINDING_KEYS for item in items)
    first = next(i for i in items if i["code"] == "FL102")
    assert first["path"] == "app/a.py"
    assert (first["line"], first["column"]) == (3, 16)  # 1-based: the "worker" string
    assert first["rule"] == "name-in-multiple-files" and first["severity"] == "error"


def test_exit_zero_on_a_clean_app(tmp_path: Path) -> None:
    write_app(tmp_path, {"w.py": DUPLICATE_NAME})
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All checks passed" in result.stdout


def test_fail_on_controls_the_exit_status(tmp_path: Path) -> None:
    write_app(tmp_path, {"w.py": DUPLICATE_NAME + '\n@Endpoint(name="worker")\ndef z(): ...\n'})
    assert run(tmp_path).returncode == 0  # FL101 is a warning
    assert run(tmp_path, "--fail-on", "warning").returncode == 1
    assert run(tmp_path, "--fail-on", "never", "--select", "FL1").returncode == 0


def test_select_and_ignore_by_code_prefix_and_slug(broken_app: Path) -> None:
    ignored = run(broken_app, "--ignore", "name-in-multiple-files", "--output-format", "json")
    assert "FL102" not in {i["code"] for i in json.loads(ignored.stdout)}
    selected = run(broken_app, "--select", "FL10", "--output-format", "json")
    assert {i["code"] for i in json.loads(selected.stdout)} == {"FL102"}


def test_usage_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = run(tmp_path, "does-not-exist")
    assert missing.returncode == 2
    assert missing.stderr.strip().count("\n") == 0 and "does-not-exist" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert run(tmp_path, "--output-format", "xml").returncode == 2
    assert run(tmp_path, "--select", "FL999").returncode == 2


def test_checking_a_single_file_reports_only_that_file(broken_app: Path) -> None:
    result = run(broken_app, "--output-format", "json", "b.py")
    paths = {i["path"] for i in json.loads(result.stdout)}
    assert paths == {"b.py"}


def test_fix_then_recheck_is_clean(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "api.py": 'from runpod_flash import Endpoint\napi = Endpoint(name="a")\n\n@api.post("run")\ndef run(): ...\n'
        },
    )
    before = json.loads(run(tmp_path, "--output-format", "json").stdout)
    (route,) = [i for i in before if i["code"] == "FL204"]
    assert route["fix"]["edits"][0]["new_text"] == '"/run"'
    diff = run(tmp_path, "--diff")
    assert "+++ b/api.py" in diff.stdout and '+@api.post("/run")' in diff.stdout
    assert '@api.post("run")' in (tmp_path / "api.py").read_text()  # --diff writes nothing
    fixed = run(tmp_path, "--fix", "--output-format", "json")
    assert "FL204" not in {i["code"] for i in json.loads(fixed.stdout)}
    assert '@api.post("/run")' in (tmp_path / "api.py").read_text()
    assert "Fixed 1 problem" in fixed.stderr


def test_checking_never_executes_user_code(tmp_path: Path) -> None:
    marker = tmp_path / "executed.txt"
    write_app(
        tmp_path,
        {
            "evil.py": f"""
            from pathlib import Path
            Path({str(marker)!r}).write_text("ran")
            from runpod_flash import Endpoint

            @Endpoint(name="w")
            def w():
                Path({str(marker)!r}).write_text("ran")
            """
        },
    )
    run(tmp_path)
    assert not marker.exists()


def test_rules_command_prints_a_rule_doc(tmp_path: Path) -> None:
    result = flash_ls(tmp_path, "rules", "queue-name-reused")
    assert result.returncode == 0
    assert "FL101" in result.stdout and "What it does" in result.stdout


# -- nothing to check ---------------------------------------------------------------------------


@pytest.fixture
def nothing_to_check(tmp_path: Path) -> Path:
    # What holds no Flash app: an empty folder, a file that is no Python, a plain library.
    (tmp_path / "empty").mkdir()
    (tmp_path / "README.md").write_text("# notes\n")
    write_app(tmp_path / "library", {"lib.py": "def helper() -> int:\n    return 1\n"})
    return tmp_path


@pytest.mark.parametrize("target", ["empty", "README.md", "library"])
def test_paths_without_a_flash_app_warn_instead_of_passing(
    nothing_to_check: Path, target: str
) -> None:
    result = run(nothing_to_check, target)
    assert result.returncode == 0, result.stderr
    assert f"flash-ls: warning: no Flash app found under {target}\n" in result.stderr
    assert "All checks passed" not in result.stdout


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "github"])
def test_reports_stay_valid_when_nothing_is_checked(nothing_to_check: Path, fmt: str) -> None:
    result = run(nothing_to_check, "--output-format", fmt, "library")
    assert result.returncode == 0 and "no Flash app found under library" in result.stderr
    if fmt == "json":
        assert json.loads(result.stdout) == []
    elif fmt == "sarif":
        assert json.loads(result.stdout)["runs"][0]["results"] == []
    elif fmt == "junit":
        assert ET.fromstring(result.stdout).get("failures") == "0"
    else:
        assert result.stdout == ""


@pytest.mark.parametrize("command", ["build", "manifest"])
def test_build_and_manifest_stop_where_there_is_no_flash_app(
    nothing_to_check: Path, command: str
) -> None:
    result = run(nothing_to_check, "library", command=command)
    assert result.returncode == 2
    assert result.stderr == "flash-ls: no Flash app found under library\n"
    assert result.stdout == ""
    assert not (nothing_to_check / "library" / ".flash").exists()


@pytest.mark.parametrize("command", ["build", "manifest", "deploy"])
def test_build_manifest_and_deploy_send_a_runpod_app_project_to_its_own_cli(
    tmp_path: Path, command: str
) -> None:
    # A project written for runpod.App (runpod 2.0) is not a runpod_flash app: flash-ls checks it
    # but does not pack it; an empty build or deploy would remove the endpoints of a real one.
    shutil.copytree(APP_API_BASIC, tmp_path / "service")
    extra = ["--env", "dev"] if command == "deploy" else []
    env = {"RUNPOD_API_KEY": "never-used", "RUNPOD_API_BASE_URL": "http://127.0.0.1:9"}
    result = run(tmp_path, "service", *extra, command=command, env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        "flash-ls: service uses runpod.App: build and deploy it with `rp flash deploy`\n"
    )
    assert result.stdout == ""
    assert not (tmp_path / "service" / ".flash").exists()


# -- fixes --------------------------------------------------------------------------------------

QUEUE_NAME_REUSED = DUPLICATE_NAME + '\n@Endpoint(name="worker")\ndef z(): ...\n'  # FL101 (unsafe)
ROUTE_WITHOUT_SLASH = """
from runpod_flash import Endpoint
api = Endpoint(name="api")

@api.post("run")
def run(): ...
"""  # FL204 (safe)
YAML_WORKER = """
import yaml
from runpod_flash import Endpoint


@Endpoint(name="w", cpu="cpu3c-1-2")
async def work(text: str) -> dict:
    return yaml.safe_load(text)
"""


def announced_fixable(report: str) -> int:
    found = re.search(r"^(\d+) fixable with --fix\.$", report, re.MULTILINE)
    return int(found.group(1)) if found else 0


def reported_fixed(stderr: str) -> int:
    found = re.search(r"^Fixed (\d+) problems?\.$", stderr, re.MULTILINE)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("unsafe", [(), ("--unsafe-fixes",)], ids=["safe", "unsafe"])
def test_fix_fixes_as_many_findings_as_the_report_announced(
    tmp_path: Path, unsafe: tuple[str, ...]
) -> None:
    # The demo has fixes shared by two findings (FL301 and FL302 move the same import).
    app = shutil.copytree(DEMO, tmp_path / "demo", ignore=shutil.ignore_patterns(".flash"))
    announced = announced_fixable(run(app, "--no-color", *unsafe).stdout)
    fixed = run(app, "--no-color", "--fix", *unsafe)
    assert announced > 0
    assert reported_fixed(fixed.stderr) == announced
    assert announced_fixable(fixed.stdout) == 0


def test_fix_applies_the_fixes_its_own_fixes_reveal(tmp_path: Path) -> None:
    # Moving `import yaml` into the body makes pyyaml an undeclared dependency (FL303), whose
    # fix the same run applies.
    write_app(tmp_path, {"w.py": YAML_WORKER})
    assert announced_fixable(run(tmp_path, "--no-color").stdout) == 2  # FL301, FL302
    fixed = run(tmp_path, "--fix", "--output-format", "json")
    assert json.loads(fixed.stdout) == []
    text = (tmp_path / "w.py").read_text()
    assert '@Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["pyyaml"])' in text
    assert "    import yaml\n" in text
    assert reported_fixed(fixed.stderr) == 3


def test_unsafe_fixes_are_announced_and_applied_only_when_asked(tmp_path: Path) -> None:
    write_app(tmp_path, {"w.py": QUEUE_NAME_REUSED})
    before = (tmp_path / "w.py").read_text()
    plain = run(tmp_path, "--no-color")
    assert "1 more fix available with --unsafe-fixes." in plain.stdout
    assert announced_fixable(plain.stdout) == 0
    run(tmp_path, "--fix")
    assert (tmp_path / "w.py").read_text() == before
    assert '+@Endpoint(name="worker-z")' in run(tmp_path, "--diff", "--unsafe-fixes").stdout
    fixed = run(tmp_path, "--fix", "--unsafe-fixes", "--no-color")
    assert '@Endpoint(name="worker-z")' in (tmp_path / "w.py").read_text()
    assert reported_fixed(fixed.stderr) == 1
    assert "All checks passed!" in fixed.stdout


def test_a_fix_the_check_cannot_see_is_applied_once(tmp_path: Path) -> None:
    # The large-file fix (unsafe) appends to .gitignore, which the re-checks between fix rounds
    # do not read: the fix must not be applied again in every round.
    config = '[project]\nname = "app"\n\n[tool.flash-ls]\nlarge-file-mb = 0.001\n'
    write_app(tmp_path, {"pyproject.toml": config, "w.py": DUPLICATE_NAME, "data.txt": "x" * 5000})
    fixed = run(tmp_path, "--fix", "--unsafe-fixes", "--no-color")
    assert (tmp_path / ".gitignore").read_text().splitlines() == ["/data.txt"]
    assert "All checks passed!" in fixed.stdout


def test_json_and_sarif_fixes_say_whether_they_are_safe(tmp_path: Path) -> None:
    write_app(tmp_path, {"w.py": QUEUE_NAME_REUSED, "api.py": ROUTE_WITHOUT_SLASH})
    items = json.loads(run(tmp_path, "--output-format", "json").stdout)
    fixes = {item["code"]: item["fix"] for item in items}
    assert set(fixes["FL101"]) == {"message", "safe", "edits"}
    assert (fixes["FL101"]["safe"], fixes["FL204"]["safe"]) == (False, True)
    results = json.loads(run(tmp_path, "--output-format", "sarif").stdout)["runs"][0]["results"]
    safe = {r["ruleId"]: r["fixes"][0]["properties"]["safe"] for r in results}
    assert safe == {"FL101": False, "FL204": True}


# -- junit and help -----------------------------------------------------------------------------


def test_junit_fails_only_the_findings_at_fail_on(tmp_path: Path) -> None:
    write_app(tmp_path, {"w.py": QUEUE_NAME_REUSED, "api.py": ROUTE_WITHOUT_SLASH})

    def failed(*args: str) -> tuple[set[str], list[ET.Element]]:
        root = ET.fromstring(run(tmp_path, "--output-format", "junit", *args).stdout)
        cases = root.findall("testsuite/testcase")
        names = {
            str(case.get("name")).split()[0] for case in cases if case.find("failure") is not None
        }
        assert root.get("failures") == str(len(names))
        return names, cases

    names, cases = failed()  # --fail-on error: the FL101 warning passes, with its report
    assert names == {"FL204"}
    [warning] = [case for case in cases if str(case.get("name")).startswith("FL101")]
    output = warning.find("system-out")
    assert output is not None and output.text and "FL101" in output.text
    assert failed("--fail-on", "warning")[0] == {"FL101", "FL204"}
    assert failed("--fail-on", "never")[0] == set()


def test_check_help_shows_flags_without_a_type(tmp_path: Path) -> None:
    result = flash_ls(tmp_path, "check", "--help", env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    assert "<bool>" not in result.stdout
    for flag in ("--fix", "--unsafe-fixes", "--diff", "--watch", "--no-cache"):
        assert re.search(rf"^ +{flag} {{2,}}[A-Z]", result.stdout, re.MULTILINE), flag
