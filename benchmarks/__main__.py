"""``python -m benchmarks``: run the benchmark targets (see ``benchmarks/run.py``)."""

from benchmarks.run import main

raise SystemExit(main())
