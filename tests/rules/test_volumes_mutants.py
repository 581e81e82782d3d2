"""FL513 (rules/volumes.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


# Volume fields read through constants, an id instead of a name, both size bounds and one past
# each, dataCenterId, a volume whose fields are spread (**OPTS: nothing to say) or whose
# datacenter is not known (skipped, the next ones still compared), an inline volume in a tuple
# next to a string; an endpoint without volumes first.
SOURCE = (
    "from runpod_flash import Endpoint, DataCenter, NetworkVolume, GpuGroup\n"
    "\n"
    'BLANK = "  "\n'
    "SIZE = 4097\n"
    'VOLUME_ID = "vol-123"\n'
    'OPTS = {"name": "x"}\n'
    "a = NetworkVolume(name=BLANK, size=SIZE)\n"
    "b = NetworkVolume(id=VOLUME_ID, size=10, datacenter=DataCenter.US_KS_2)\n"
    'c = NetworkVolume(name="c", size=4096, dataCenterId="US-KS-2")\n'
    "d = NetworkVolume(**OPTS)\n"
    "e = NetworkVolume(name=None, size=9)\n"
    'f = NetworkVolume(name="f", datacenter=pick())\n'
    "\n"
    '@Endpoint(name="plain")\n'
    "async def plain(): ...\n"
    "\n"
    '@Endpoint(name="t", volume=(NetworkVolume(name="t", sise=1), "x"))\n'
    "async def t(): ...\n"
    "\n"
    '@Endpoint(name="w", gpu=GpuGroup.ADA_24, datacenter=[DataCenter.EU_RO_1, DataCenter.US_CA_2], volume=[a, f, b, c, d, e])\n'
    "async def w(): ...\n"
)


def test_fl513_fields_datacenters_and_labels(tmp_path: Path) -> None:
    found = [
        line
        for d in check(tmp_path, {"worker.py": SOURCE})
        if d.code == "FL513"
        for line in full(d)
    ]
    assert found == [
        "worker.py:7:23-7:28 FL513 error: NetworkVolume name must not be blank",
        "worker.py:7:35-7:39 FL513 error: NetworkVolume size=4097 GB is outside 10..4096 GB",
        "note: the volume model rejects it and flash build fails",
        "worker.py:11:23-11:27 FL513 error: NetworkVolume needs a name or an id",
        "note: a name for a new or existing volume, an id for an existing one",
        "worker.py:11:34-11:35 FL513 error: NetworkVolume size=9 GB is outside 10..4096 GB",
        "note: the volume model rejects it and flash build fails",
        "worker.py:17:28-17:64 FL513 error: volume= of endpoint 't' is a tuple, not a list",
        "note: flash build fails: volume must be a NetworkVolume or list of NetworkVolume, got tuple",
        "note: use a list",
        "fix (safe=True): Use a list",
        '  edit worker.py:17:27-17:65 \'[NetworkVolume(name="t", sise=1), "x"]\'',
        "worker.py:17:52-17:56 FL513 error: NetworkVolume has no field 'sise'",
        "note: extra fields are forbidden",
        "note: did you mean 'size'?",
        "worker.py:20:108-20:109 FL513 error: volume 'vol-123' in US-KS-2 is outside endpoint 'w'",
        "note: flash build fails: Network volume datacenter (US-KS-2) is not in the endpoint's datacenter list (EU-RO-1, US-CA-2)",
        "note: add DataCenter.US_KS_2 to datacenter= or use a volume in one of those datacenters",
        "worker.py:20:111-20:112 FL513 error: second volume in US-KS-2 on endpoint 'w'",
        "note: flash build fails: Multiple volumes in datacenter US-KS-2 ('vol-123' and 'c')",
        "note: attach at most one volume per datacenter",
        "related worker.py:20:108-20:109: first volume in US-KS-2",
        "worker.py:20:117-20:118 FL513 error: second volume in EU-RO-1 on endpoint 'w'",
        "note: flash build fails: Multiple volumes in datacenter EU-RO-1 ('  ' and (unnamed))",
        "note: attach at most one volume per datacenter",
        "related worker.py:20:102-20:103: first volume in EU-RO-1",
    ]
