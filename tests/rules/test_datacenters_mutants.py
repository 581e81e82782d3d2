"""FL506 (rules/datacenters.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, fix; `apps.full`). See
docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


# A volume's datacenter under both of its keywords (reported on the volume), an endpoint's
# member close to one but not a spelling of it, and a string close to none.
SOURCE = (
    "from runpod_flash import Endpoint, DataCenter, NetworkVolume\n"
    "\n"
    'a = NetworkVolume(name="a", datacenter=DataCenter.NOWHERE)\n'
    'b = NetworkVolume(name="b", dataCenterId="MOON-1")\n'
    "\n"
    '@Endpoint(name="w", volume=[a, b], datacenter=[DataCenter.EU_RO_9, "zzzz"])\n'
    "async def w(): ...\n"
)


def test_fl506_volume_keywords_uncertain_member_and_string_without_a_guess(
    tmp_path: Path,
) -> None:
    found = [
        line
        for d in check(tmp_path, {"worker.py": SOURCE})
        for line in full(d)
        if d.code == "FL506"
    ]
    assert found == [
        "worker.py:3:39-3:57 FL506 error: unknown DataCenter.NOWHERE on network volume",
        "note: flash build fails with AttributeError: NOWHERE",
        "note: valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        "worker.py:4:41-4:49 FL506 error: unknown datacenter 'MOON-1' on network volume",
        "note: flash build fails: Unknown datacenter 'MOON-1'",
        "note: valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
        "note: did you mean 'US-MO-1'?",
        "worker.py:6:47-6:65 FL506 error: unknown DataCenter.EU_RO_9 on endpoint 'w'",
        "note: flash build fails with AttributeError: EU_RO_9",
        "note: did you mean DataCenter.EU_RO_1?",
        "fix (safe=False): Use DataCenter.EU_RO_1",
        "  edit worker.py:6:47-6:65 'DataCenter.EU_RO_1'",
        "worker.py:6:67-6:73 FL506 error: unknown datacenter 'zzzz' on endpoint 'w'",
        "note: flash build fails: Unknown datacenter 'zzzz'",
        "note: valid datacenters: US-CA-2, US-IL-1, US-KS-2, US-MO-1, US-MO-2, US-NC-2, US-NE-1, US-WA-1, EU-CZ-1, EU-RO-1, EUR-NO-1",
    ]
