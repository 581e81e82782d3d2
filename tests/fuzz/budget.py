"""How much fuzzing a run does: bounded (the default, what `.ci/run` runs) or long (releases).

``FLASH_LS_FUZZ=long`` turns on the long mode: the mutation loop runs for
``FLASH_LS_FUZZ_SECONDS`` (default 600) from ``FLASH_LS_FUZZ_SEED`` (default: the time, printed),
with huge lines up to a megabyte, and the hypothesis properties run many more examples. The
figures of a long run are written to ``FLASH_LS_FUZZ_REPORT`` (JSON) when it is set.
"""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, settings

LONG = os.environ.get("FLASH_LS_FUZZ", "").lower() == "long"
LONG_SECONDS = float(os.environ.get("FLASH_LS_FUZZ_SECONDS", "600"))
LONG_SEED = int(os.environ.get("FLASH_LS_FUZZ_SEED") or time.time_ns() % 1_000_000_007)
REPORT = os.environ.get("FLASH_LS_FUZZ_REPORT")

# Bounded: cases per mutation category, and stacked random mutations, over the fixture apps.
CASES_PER_CATEGORY = 3
STACKED_CASES = 40


def examples(bounded: int, long: int, *, slow: bool = False) -> settings:
    """Hypothesis settings with ``bounded`` examples, or ``long`` in the long mode (random
    examples then, not the CI profile's fixed ones). ``slow``: examples that each run whole
    checks (no health check about the time or size of the generated data)."""
    extra: dict[str, object] = {"deadline": None}
    if slow:
        extra["suppress_health_check"] = [HealthCheck.too_slow, HealthCheck.data_too_large]
    if LONG:
        return settings(max_examples=long, derandomize=False, database=None, **extra)  # type: ignore[arg-type]
    return settings(max_examples=bounded, **extra)  # type: ignore[arg-type]
