"""`flash-ls check` as CI runs it: a real subprocess, the contract's exit codes and JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from apps import write_app

CONTRACT_KEYS = {
    "code",
    "rule",
    "severity",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "message",
    "fix",
}

DUPLICATE_NAME = """
from runpod_flash import Endpoint

@Endpoint(name="worker")
def a(): ...
"""


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "FLASH_LS_CACHE_DIR": str(cwd / ".cache-for-test"), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "flash_ls", "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
    )


@pytest.fixture
def broken_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    write_app(app, {"a.py": DUPLICATE_NAME, "b.py": DUPLICATE_NAME.replace("def a", "def b")})
    return app


def test_json_output_has_exactly_the_contract_keys(broken_app: Path) -> None:
    result = run(broken_app.parent, "--output-format", "json", "app")
    assert result.returncode == 1, result.stderr
    items = json.loads(result.stdout)
    assert items and all(set(item) == CONTRACT_KEYS for item in items)
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


def test_rules_command_prints_a_rule_doc() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flash_ls", "rules", "queue-name-reused"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "FL101" in result.stdout and "What it does" in result.stdout


def test_watch_rechecks_when_a_file_changes(tmp_path: Path) -> None:
    import selectors
    import time

    write_app(tmp_path, {"w.py": DUPLICATE_NAME + '\n@Endpoint(name="worker")\ndef z(): ...\n'})
    env = {**os.environ, "FLASH_LS_CACHE_DIR": str(tmp_path / ".cache-for-test")}
    process = subprocess.Popen(
        [sys.executable, "-m", "flash_ls", "check", "--watch", "--no-color", "."],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    assert process.stdout is not None
    fd = process.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    seen = ""

    def wait_for(text: str, timeout: float = 30.0) -> None:
        # Raw reads: a buffered readline() would hide already-received lines from select().
        nonlocal seen
        deadline = time.monotonic() + timeout
        while text not in seen:
            assert time.monotonic() < deadline, f"timed out waiting for {text!r}; output: {seen}"
            if selector.select(timeout=0.5):
                seen += os.read(fd, 65536).decode()

    try:
        wait_for("Watching for changes")
        assert "FL101" in seen
        (tmp_path / "w.py").write_text(DUPLICATE_NAME)
        wait_for("All checks passed")
    finally:
        process.terminate()
        process.wait(timeout=10)
