"""A pytest plugin for mutation runs (`[tool.mutmut] pytest_add_cli_args`): the snapshot tests of
every finding run first. They kill most mutants of the rule modules (a changed message, note or
span) in a second; mutmut stops a mutant's run at its first failing test (`-x`)."""

from __future__ import annotations

import pytest

FIRST = "test_every_finding_in_full_matches_its_snapshot"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: getattr(item, "originalname", item.name) != FIRST)
