import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

# tests/apps.py is imported as `apps` by the test modules.
sys.path.insert(0, str(Path(__file__).parent))

# No network in tests: the size estimate's package index lookups are off unless a test points
# FLASH_LS_PYPI_URL at its own loopback server.
os.environ["FLASH_LS_PYPI_URL"] = "off"

# CI (`.ci/run` sets HYPOTHESIS_PROFILE=ci) runs on a loaded machine with no example database:
# the same examples every run, and no health check that measures the machine's speed.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
