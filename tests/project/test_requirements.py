"""requirements.txt as `flash build` reads it, plus PEP 508 names and the official name quirk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flash_ls.project import requirements
from flash_ls.project.requirements import (
    RequirementLine,
    official_package_name,
    parse_requirement,
    parse_requirements_text,
    read_requirements,
    requirement_of,
)
from flash_ls.span import Span


def test_entries_with_lines_names_and_spans(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# runtime deps\n"
        "\n"
        "  Pillow>=10 \n"
        "numpy[extra]==1.26; python_version < '3.13'\n"
        "Sentence_Transformers\n"
    )
    entries = read_requirements(tmp_path)
    assert [(e.raw, e.line, e.name, e.error) for e in entries] == [
        ("Pillow>=10", 2, "pillow", None),
        ("numpy[extra]==1.26; python_version < '3.13'", 3, "numpy", None),
        ("Sentence_Transformers", 4, "sentence-transformers", None),
    ]
    assert entries[0].span == Span(2, 2, 2, 12)
    assert entries[1].requirement is not None
    assert entries[1].requirement.extras == {"extra"}


def test_option_lines_are_recorded_as_options() -> None:
    entries = parse_requirements_text(
        "-r base.txt\n-e ./lib\n--index-url https://example.invalid/simple\nhttpx\n"
    )
    assert [(e.raw, e.is_option, e.name) for e in entries] == [
        ("-r base.txt", True, None),
        ("-e ./lib", True, None),
        ("--index-url https://example.invalid/simple", True, None),
        ("httpx", False, "httpx"),
    ]
    assert all(e.error is None for e in entries)


def test_invalid_entries_carry_an_error() -> None:
    entries = parse_requirements_text("requests # http client\ngit+https://github.com/a/b\nok==1\n")
    assert entries[0].name is None
    assert entries[0].error is not None and "inline comment" in entries[0].error
    assert entries[1].name is None and entries[1].error is not None
    assert entries[2].error is None


def test_line_numbers_follow_editor_line_ends() -> None:
    entries = parse_requirements_text("a\r\nb\rc\n")
    assert [(e.raw, e.line) for e in entries] == [("a", 0), ("b", 1), ("c", 2)]


def test_missing_or_unreadable_file(tmp_path: Path) -> None:
    assert read_requirements(tmp_path) == []
    (tmp_path / "requirements.txt").write_bytes(b"\xff\xfe\x00")
    assert read_requirements(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("torch>=2.0", ("torch", None)),
        ("Pillow", ("pillow", None)),
        ("ruamel.yaml", ("ruamel-yaml", None)),
        ("torch @ https://example.invalid/torch.whl", ("torch", None)),
    ],
)
def test_parse_requirement_valid(text: str, expected: tuple[str, None]) -> None:
    assert parse_requirement(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "torch>=", "./local_pkg", "pkg==1.0 --hash=sha256:ab"])
def test_parse_requirement_invalid(text: str) -> None:
    name, error = parse_requirement(text)
    assert name is None
    assert error


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        ("torch>=2.0.0", "torch"),
        ("numpy[extra]", "numpy"),
        ("my-package==1.0.0", "my-package"),
        ("Torch ; sys_platform == 'linux'", "torch"),
        ("torchvision!=0.1", "torchvision"),
        # The quirks the build really has: "~" and "@" are not split characters, "_" is kept.
        ("torch~=2.0", "torch~"),
        ("torch @ https://example.invalid/t.whl", "torch @ https://example.invalid/t.whl"),
        ("My_Pkg", "my_pkg"),
    ],
)
def test_official_package_name(req: str, expected: str) -> None:
    assert official_package_name(req) == expected


def test_official_name_on_lines() -> None:
    [entry] = parse_requirements_text("torch~=2.0\n")
    assert isinstance(entry, RequirementLine)
    assert entry.name == "torch"
    assert entry.official_name == "torch~"


@pytest.fixture
def counted_parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The strings ``packaging`` is asked to parse, with the parse caches emptied around."""
    built: list[str] = []
    real = requirements.Requirement

    class Counting(real):  # type: ignore[misc, valid-type]
        def __init__(self, text: str) -> None:
            built.append(text)
            super().__init__(text)

    requirements._parse.cache_clear()
    requirements._parse_text.cache_clear()
    monkeypatch.setattr(requirements, "Requirement", Counting)
    yield built
    requirements._parse.cache_clear()
    requirements._parse_text.cache_clear()


def test_requirement_strings_are_parsed_once(counted_parses: list[str]) -> None:
    text = "pillow>=10\nnumpy==1.26\nnot valid!!\n"
    first = parse_requirements_text(text)
    second = parse_requirements_text(text)
    assert first == second and first is not second  # callers get their own list
    assert parse_requirement(" pillow>=10 ") == ("pillow", None)
    assert parse_requirement("not valid!!") == (None, first[2].error)
    assert requirement_of("numpy==1.26") is first[1].requirement
    assert requirement_of("not valid!!") is None
    # Another file with the same lines parses nothing again.
    assert [e.name for e in parse_requirements_text("numpy==1.26\n# x\npillow>=10\n")] == [
        "numpy",
        "pillow",
    ]
    assert counted_parses == ["pillow>=10", "numpy==1.26", "not valid!!"]
