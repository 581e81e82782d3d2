"""FL514 (rules/argument_names.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, fix; `apps.full`). See
docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

from apps import check, full

# No rename to an argument the call already has (idle_timeout), none without a suggestion
# (colour), and remote()'s private `_internal` is never suggested.
SOURCE = (
    "from runpod_flash import Endpoint, remote, LiveServerless\n"
    "\n"
    '@Endpoint(name="a", idle_timeout=5, idle_timout=5, colour=1, **{"x": 1})\n'
    "async def a(): ...\n"
    "\n"
    '@remote(LiveServerless(name="r"), _internl=True)\n'
    "async def r(): ...\n"
)


def test_fl514_no_rename_to_a_given_argument_nor_to_a_private_one(tmp_path: Path) -> None:
    found = [
        line
        for d in check(tmp_path, {"worker.py": SOURCE})
        if d.code == "FL514"
        for line in full(d)
    ]
    assert found == [
        "worker.py:3:36-3:47 FL514 error: unknown Endpoint argument 'idle_timout' on endpoint 'a'",
        "note: flash build fails with TypeError: Endpoint got an unexpected keyword argument",
        "note: did you mean 'idle_timeout'?",
        "worker.py:3:51-3:57 FL514 error: unknown Endpoint argument 'colour' on endpoint 'a'",
        "note: flash build fails with TypeError: Endpoint got an unexpected keyword argument",
        "worker.py:6:34-6:42 FL514 error: unknown remote() argument '_internl' on endpoint 'r'",
        "note: flash build fails with TypeError: remote() got an unexpected keyword argument",
    ]
