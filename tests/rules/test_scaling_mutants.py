"""FL504, FL505, FL508, FL511 (rules/scaling.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, fix; `apps.full`). See
docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, source: str, prefix: str = "FL5") -> list[str]:
    """Every line of every finding whose code starts with ``prefix`` in worker.py."""
    found = check(root, {"worker.py": source})
    return [line for d in found if d.code.startswith(prefix) for line in full(d)]


def endpoint(name: str, args: str, signature: str = "(x)") -> str:
    return f'\n@Endpoint(name="{name}", {args})\ndef {name}{signature}: ...\n'


HEADER = "from runpod_flash import Endpoint, ServerlessScalerType\n"


def test_fl504_bounds_and_shapes(tmp_path: Path) -> None:
    source = (
        HEADER
        + endpoint("a", "workers=0")
        + endpoint("b", "workers=(2, 2)")
        + endpoint("c", "workers=(n(), 3)")  # the minimum is not known: nothing to compare
        + endpoint("d", "workers={0, 3}")
        + endpoint("e", "workers=(n(), -1)")
    )
    assert findings(tmp_path, source, "FL504") == [
        "worker.py:12:28-12:34 FL504 error: workers={0, 3} of endpoint 'd' is malformed",
        "note: flash build fails with ValueError: workers must be an int or (min, max) tuple, "
        "got set: {0, 3}",
        "note: use workers=(min, max), e.g. (0, 3)",
        "worker.py:15:34-15:36 FL504 error: workers=(?, -1) of endpoint 'e' has a negative count",
        "note: flash build fails with ValueError: workers cannot be negative: (?, -1)",
        "note: use 0 or more",
    ]


def test_fl504_unknown_maximum_is_shown_as_a_question_mark(tmp_path: Path) -> None:
    source = HEADER + endpoint("a", "workers=(-1, n())")
    assert findings(tmp_path, source, "FL504") == [
        "worker.py:3:29-3:31 FL504 error: workers=(-1, ?) of endpoint 'a' has a negative count",
        "note: flash build fails with ValueError: workers cannot be negative: (-1, ?)",
        "note: use 0 or more",
    ]


def test_fl505_a_list_is_not_an_int(tmp_path: Path) -> None:
    source = HEADER + endpoint("e", "idle_timeout=[5]")
    assert findings(tmp_path, source, "FL505") == [
        "worker.py:3:33-3:36 FL505 error: idle_timeout=[5] of endpoint 'e' is not an int",
        "note: idle_timeout is a whole number of seconds: use an int between 1 and 3600",
    ]


def test_fl508_one_is_fine_other_types_are_skipped_and_every_endpoint_is_checked(
    tmp_path: Path,
) -> None:
    source = (
        HEADER
        + endpoint("a", "max_concurrency=1")
        + endpoint("b", 'max_concurrency="4"')
        + endpoint("c", "max_concurrency=0.5")
        + endpoint("d", "max_concurrency=0")
    )
    assert findings(tmp_path, source, "FL508") == [
        "worker.py:12:36-12:37 FL508 error: max_concurrency=0 of endpoint 'd' is below 1",
        "note: flash build fails with ValueError: max_concurrency must be >= 1, got 0",
        "note: use 1 (one job at a time) or more",
    ]


def test_fl508_make_async_fix_with_def_after_the_name(tmp_path: Path) -> None:
    # "def" in a parameter name after the function name: the fix inserts before the keyword.
    source = HEADER + endpoint("undefined", "max_concurrency=2", "(default: int)")
    assert findings(tmp_path, source, "FL508") == [
        "worker.py:3:44-3:45 FL508 error: max_concurrency=2 on sync function 'undefined' of "
        "'undefined'",
        "note: the generated handler awaits the result: every job fails with TypeError "
        "(object ... can't be used in 'await' expression)",
        "note: make it `async def undefined` or remove max_concurrency",
        "related worker.py:4:4-4:13: 'undefined' is defined here",
        "fix (safe=False): Make 'undefined' async",
        "  edit worker.py:4:0-4:0 'async '",
    ]


def test_fl511_only_queue_delay_on_load_balanced_endpoints_and_as_a_string(
    tmp_path: Path,
) -> None:
    source = (
        HEADER
        + '\nqueue = Endpoint(name="q", scaler_type=ServerlessScalerType.QUEUE_DELAY)\n'
        + "\n@queue\nasync def q(x): ...\n"
        + '\nplain = Endpoint(name="p")\n'
        + '\n@plain.post("/p")\nasync def p(x): ...\n'
        + '\ncounted = Endpoint(name="r", scaler_type=ServerlessScalerType.REQUEST_COUNT)\n'
        + '\n@counted.post("/r")\nasync def r(x): ...\n'
        + '\ndelayed = Endpoint(name="s", scaler_type="QUEUE_DELAY")\n'
        + '\n@delayed.post("/s")\nasync def s(x): ...\n'
    )
    assert findings(tmp_path, source, "FL511") == [
        "worker.py:18:41-18:54 FL511 error: QUEUE_DELAY scaler on load-balanced endpoint 's'",
        "note: flash deploy fails: load-balanced endpoints require REQUEST_COUNT scaler",
        "note: use ServerlessScalerType.REQUEST_COUNT or leave scaler_type out",
        "fix (safe=False): Use REQUEST_COUNT",
        "  edit worker.py:18:41-18:54 '\"REQUEST_COUNT\"'",
    ]
