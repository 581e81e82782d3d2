"""Benchmarks for flash-ls (issue 5): a deterministic workspace generator and a runner.

``python -m benchmarks`` measures every target and writes ``benchmarks/RESULTS.md``;
``python -m benchmarks.generate --size L DIR`` only writes a workspace.
"""

from pathlib import Path

RESULTS_BEGIN, RESULTS_END = "<!-- results:begin -->", "<!-- results:end -->"


def replace_results(path: Path, text: str) -> None:
    """Put ``text`` between the results markers of the Markdown file ``path`` (the rest stays)."""
    head, _, rest = path.read_text().partition(RESULTS_BEGIN)
    _, _, tail = rest.partition(RESULTS_END)
    path.write_text(f"{head}{RESULTS_BEGIN}\n{text}\n{RESULTS_END}{tail}")
