import sys
from pathlib import Path

# tests/apps.py is imported as `apps` by the test modules.
sys.path.insert(0, str(Path(__file__).parent))
