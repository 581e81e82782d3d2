"""Fixtures of the rule tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def no_rule_crashes(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A crashing rule is only logged by the engine (its findings are lost, the others kept):
    a test module that asks for this fixture fails instead."""
    yield
    # At teardown ``caplog.records`` holds the teardown's records only: read the test's own.
    records = [*caplog.get_records("setup"), *caplog.get_records("call")]
    crashes = [r.getMessage() for r in records if "failed on app" in r.getMessage()]
    assert crashes == []
