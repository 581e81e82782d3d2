import os
import sys
from pathlib import Path

# tests/apps.py is imported as `apps` by the test modules.
sys.path.insert(0, str(Path(__file__).parent))

# No network in tests: the size estimate's package index lookups are off unless a test points
# FLASH_LS_PYPI_URL at its own loopback server.
os.environ["FLASH_LS_PYPI_URL"] = "off"
