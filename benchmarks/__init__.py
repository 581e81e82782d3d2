"""Benchmarks for flash-ls (issue 5): a deterministic workspace generator and a runner.

``python -m benchmarks`` measures every target and writes ``benchmarks/RESULTS.md``;
``python -m benchmarks.generate --size L DIR`` only writes a workspace.
"""
