"""Bad input gets a clear finding or message, never a traceback, a hang or a lost file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from apps import check, only, where, write_app

GOOD = 'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\ndef w(): ...\n\n@Endpoint(name="w")\ndef v(): ...\n'


def test_syntax_error_in_one_file_still_checks_the_rest(tmp_path: Path) -> None:
    # broken.py cannot involve Flash: its imports and constants are parsed, so the error is found.
    found = check(tmp_path, {"broken.py": "import os,\nX = 1\n", "good.py": GOOD})
    assert [where(d) for d in only(found, "FL901")] == [("broken.py", 1)]
    assert [where(d) for d in only(found, "FL101")] == [("good.py", 3)]


def test_syntax_error_in_one_statement_still_checks_the_same_file(tmp_path: Path) -> None:
    source = GOOD + "\nx = (1,\n\n@Endpoint(name='z')\ndef z(): ...\n"
    found = check(tmp_path, {"w.py": source})
    assert only(found, "FL901")
    assert [where(d) for d in only(found, "FL101")] == [("w.py", 3)]


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (b"x = '\xff\xfe caf\xe9'\n", "UTF-8"),
        (b"import os\x00\n", "NUL"),
    ],
)
def test_undecodable_files_are_findings(tmp_path: Path, content: bytes, phrase: str) -> None:
    found = check(tmp_path, {"bad.py": content, "good.py": GOOD})
    bad = only(found, "FL901")
    assert [d.path.name for d in bad] == ["bad.py"] and phrase in bad[0].message
    assert only(found, "FL101")


def test_control_characters_in_a_name_are_shown_escaped(tmp_path: Path) -> None:
    source = (
        'from runpod_flash import Endpoint\n\n@Endpoint(name="a\\x00b\\x1b[2J")\ndef w(): ...\n'
    )
    (finding,) = only(check(tmp_path, {"w.py": source}), "FL106")
    # A NUL or an escape sequence printed raw would garble the terminal or the CI log.
    assert finding.message == "endpoint name 'a\\x00b\\x1b[2J' contains '\\x00' '\\x1b'"
    assert not any(ch in note for note in finding.notes for ch in "\x00\x1b")


def test_empty_and_whitespace_files(tmp_path: Path) -> None:
    found = check(tmp_path, {"empty.py": "", "blank.py": "\n\n   \n", "good.py": GOOD})
    assert {d.path.name for d in found} == {"good.py"}


def test_large_file_is_handled(tmp_path: Path) -> None:
    big = "# padding\n" + "x = 1\n" * (5 * 1024 * 1024 // 6)
    found = check(tmp_path, {"big.py": big, "good.py": GOOD})
    assert only(found, "FL101")


def test_symlinks_out_of_the_app_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(GOOD)  # would be an FL101 if it were read
    app = write_app(tmp_path / "app", {"good.py": GOOD})
    (app / "disk").symlink_to("/", target_is_directory=True)  # was a walk of the whole disk
    (app / "lib").symlink_to(outside, target_is_directory=True)
    (app / "linked.py").symlink_to(outside / "secret.py")
    done = subprocess.run(
        [sys.executable, "-m", "flash_ls", "check", str(app), "--offline", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    found = json.loads(done.stdout)
    assert {(Path(d["path"]).name, d["code"]) for d in found} == {("good.py", "FL101")}


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    write_app(tmp_path, {"good.py": GOOD})
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "back").symlink_to(tmp_path / "sub", target_is_directory=True)
    found = check(tmp_path)
    assert [where(d) for d in only(found, "FL101")] == [("good.py", 3)]


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads everything"
)
def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    write_app(tmp_path, {"secret.py": "x = 1\n", "good.py": GOOD})
    (tmp_path / "secret.py").chmod(0)
    try:
        found = check(tmp_path)
    finally:
        (tmp_path / "secret.py").chmod(0o644)
    assert [d.path.name for d in only(found, "FL901")] == ["secret.py"]


def test_unreadable_file_read_error_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Root can read mode-0 files, so simulate the OS refusing the read.
    write_app(tmp_path, {"secret.py": "x = 1\n", "good.py": GOOD})
    real = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    found = check(tmp_path)
    bad = only(found, "FL901")
    assert [d.path.name for d in bad] == ["secret.py"] and "Permission denied" in bad[0].message


def test_path_that_does_not_exist_is_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flash_ls", "check", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("flash-ls: ") and "Traceback" not in result.stderr
