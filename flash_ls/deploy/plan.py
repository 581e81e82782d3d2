"""What a deploy changes: for each endpoint create, update (with the fields that changed), keep
or remove, by comparing what it would send with what was deployed before.

"Before" is read from the API, so a deploy from another machine sees it too: the environment's
endpoints (which exist, by name) and the payloads the previous active build's manifest gives
(the manifest a deploy writes back holds every input of the payload, source fingerprint
included). ``.flash/deployed.json`` adds what this machine saved after that manifest was
written (a deploy that stopped early). An endpoint is kept only when it exists and one of the
two vouches for exactly the payload this deploy would send.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flash_ls.deploy.models import EndpointRef, FlashEnvironment
from flash_ls.deploy.payloads import (
    Payload,
    env_keys,
    payload_digest,
)
from flash_ls.deploy.state import DeployedEnvironment
from flash_ls.platform import API_KEY_ENV, SOURCE_FINGERPRINT_ENV

SOURCE_FIELD = "source"  # how a changed source fingerprint is shown
UNKNOWN_BEFORE = "previous configuration unknown"


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    KEEP = "keep"
    REMOVE = "remove"


@dataclass
class EndpointPlan:
    """One endpoint's fate; ``payload`` is the create payload this deploy would send."""

    name: str
    action: Action
    load_balanced: bool = False
    endpoint_id: str | None = None
    changes: list[str] = field(default_factory=list)
    payload: Payload | None = None
    template_id: str | None = None
    previous_env_keys: set[str] = field(default_factory=set)
    ai_key: str | None = None
    verify_key: bool = False
    """Kept on the manifest's word, which cannot know the API key the endpoint holds: the
    deploy checks the live template (a rotated key re-saves the endpoint)."""


@dataclass
class DeployPlan:
    endpoints: list[EndpointPlan]
    removed: list[EndpointPlan]

    def count(self, action: Action) -> int:
        every = [*self.endpoints, *self.removed]
        return sum(1 for plan in every if plan.action is action)

    @property
    def changes_anything(self) -> bool:
        return any(p.action is not Action.KEEP for p in self.endpoints) or bool(self.removed)


def plan_endpoints(
    desired: Mapping[str, Payload],
    load_balanced: Mapping[str, bool],
    current: FlashEnvironment | None,
    previous_manifest: Mapping[str, Any] | None,
    previous_payloads: Mapping[str, Payload],
    recorded: DeployedEnvironment | None,
) -> DeployPlan:
    """Compare ``desired`` (name -> create payload) with the environment's endpoints, the
    previous build's payloads and manifest, and ``.flash/``'s record."""
    existing = _by_name(current.endpoints if current is not None else [])
    previous_resources = (previous_manifest or {}).get("resources") or {}
    plans = []
    for name, payload in desired.items():
        lb = load_balanced.get(name, False)
        before = previous_payloads.get(name)
        previous_entry = previous_resources.get(name) or {}
        record = recorded.endpoints.get(name) if recorded is not None else None
        endpoint = _pick(existing.get(payload["name"], []), previous_entry.get("endpoint_id"))
        if endpoint is None:
            plans.append(EndpointPlan(name, Action.CREATE, lb, payload=payload))
            continue
        # The record's digest covers the whole payload, the injected API key included; the
        # manifest's payload is rebuilt with this deploy's key, so it cannot vouch for that.
        by_record = (
            record is not None
            and record.id == endpoint.id
            and record.digest == payload_digest(payload)
        )
        by_manifest = before == payload and previous_entry.get("endpoint_id") == endpoint.id
        vouched = by_record or by_manifest
        template_id = (
            record.template_id if record is not None and record.id == endpoint.id else None
        )
        ai_key = (
            previous_entry.get("aiKey")
            if previous_entry.get("endpoint_id") == endpoint.id
            else None
        )
        plan = EndpointPlan(
            name,
            Action.KEEP if vouched else Action.UPDATE,
            lb,
            endpoint.id,
            payload=payload,
            template_id=template_id,
            previous_env_keys=env_keys(before) if before is not None else set(),
            ai_key=ai_key if isinstance(ai_key, str) else None,
            verify_key=not by_record and API_KEY_ENV in env_keys(payload),
        )
        if not vouched:
            plan.changes = (
                changed_fields(before, payload) if before is not None else [UNKNOWN_BEFORE]
            )
        plans.append(plan)
    # Endpoints the code no longer declares; a second endpoint with a deployed name is left
    # over from an interrupted deploy.
    kept = {p.endpoint_id for p in plans}
    removed = [
        EndpointPlan(name, Action.REMOVE, endpoint_id=endpoint.id)
        for name, endpoints in existing.items()
        for endpoint in endpoints
        if endpoint.id not in kept
    ]
    return DeployPlan(plans, removed)


def changed_fields(before: Payload, after: Payload) -> list[str]:
    """The fields that differ, as a person reads them: ``workersMax``, ``template.imageName``,
    ``env.HF_HOME``, ``source`` (the code changed). Values are never shown: they may be secret."""
    old, new = _flatten(before), _flatten(after)
    changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    if any(k != "template.name" for k in changed):
        changed = [k for k in changed if k != "template.name"]  # derived from the others
    shown = [SOURCE_FIELD if k == f"env.{SOURCE_FINGERPRINT_ENV}" else k for k in changed]
    return sorted(set(shown), key=lambda k: (k != SOURCE_FIELD, k))


def _flatten(payload: Payload) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in payload.items():
        if key == "template" and isinstance(value, Mapping):
            for inner, item in value.items():
                if inner == "env":
                    for entry in item or []:
                        flat[f"env.{entry['key']}"] = entry.get("value")
                else:
                    flat[f"template.{inner}"] = item
        else:
            flat[key] = value
    return flat


def _by_name(endpoints: list[EndpointRef]) -> dict[str, list[EndpointRef]]:
    found: dict[str, list[EndpointRef]] = {}
    for endpoint in endpoints:
        found.setdefault(endpoint.name or endpoint.id, []).append(endpoint)
    return found


def _pick(candidates: list[EndpointRef], previous_id: object) -> EndpointRef | None:
    """The endpoint a name stands for: the one the previous build deployed, else the first."""
    for endpoint in candidates:
        if endpoint.id == previous_id:
            return endpoint
    return candidates[0] if candidates else None
