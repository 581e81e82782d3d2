import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings

# tests/apps.py is imported as `apps` by the test modules.
sys.path.insert(0, str(Path(__file__).parent))

# No pip runs and no network in tests: size estimates use their caches only, and the caches are
# this session's own (a developer's real resolutions never leak in). Tests of the resolution
# turn it on against their own loopback index (tests/resolving.py).
os.environ["FLASH_LS_OFFLINE"] = "1"
os.environ["FLASH_LS_CACHE_DIR"] = tempfile.mkdtemp(prefix="flash-ls-tests-")
atexit.register(shutil.rmtree, os.environ["FLASH_LS_CACHE_DIR"], ignore_errors=True)

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
