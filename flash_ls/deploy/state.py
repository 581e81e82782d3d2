"""The deploy's files under the app's ``.flash/``, each written atomically.

- ``flash_manifest.json``: the official manifest; a deploy writes the endpoint ids and URLs
  back into it (``endpoint_id``, ``resources_endpoints``), never an ``aiKey`` or the API key.
- ``environment.json``: the active environment of each app name (``flash-ls env use``), shared
  by the CLI and the editor: ``{"version": 1, "active": {"<app>": "<environment>"}}``.
- ``deployed.json``: what flash-ls saved, per environment id and endpoint name: the endpoint and
  template ids and a digest of the payload sent. It lets a redeploy skip an endpoint the API's
  manifest cannot vouch for (a deploy that stopped before its last step). Per environment also
  the build flash-ls activated there and the SHA-256 of its artifact: a redeploy whose
  (reproducible) artifact is byte-identical, to an environment where that build is still the
  active one, uploads nothing.

A file that cannot be read or parsed reads as empty: a broken state file costs a re-save, never
a failed deploy. A reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from flash_ls.platform import MANIFEST_FILE, PROJECT_DIR
from flash_ls.project.cache import replace_file

log = logging.getLogger(__name__)

ENVIRONMENT_FILE = "environment.json"
DEPLOYED_FILE = "deployed.json"


class ActiveEnvironments(BaseModel):
    """``.flash/environment.json``."""

    version: int = 1
    active: dict[str, str] = Field(default_factory=dict)


class DeployedEndpoint(BaseModel):
    """An endpoint flash-ls saved, and a digest of what it sent."""

    id: str
    template_id: str | None = None
    digest: str
    url: str | None = None


class DeployedBuild(BaseModel):
    """The build a deploy activated, and the SHA-256 of the artifact it uploaded for it."""

    id: str
    artifact_sha256: str


class DeployedEnvironment(BaseModel):
    app: str
    environment: str
    endpoints: dict[str, DeployedEndpoint] = Field(default_factory=dict)
    build: DeployedBuild | None = None


class DeployRecord(BaseModel):
    """``.flash/deployed.json``: environment id -> what was saved there."""

    version: int = 1
    environments: dict[str, DeployedEnvironment] = Field(default_factory=dict)


def flash_dir(app_root: Path) -> Path:
    return app_root / PROJECT_DIR


def manifest_path(app_root: Path) -> Path:
    return flash_dir(app_root) / MANIFEST_FILE


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        log.warning("ignoring %s: %s", path, err)
        return None


def write_json(path: Path, value: Any) -> None:
    """Replace ``path`` with ``value`` as indented JSON, atomically."""
    replace_file(path, (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))


def read_manifest(app_root: Path) -> dict[str, Any] | None:
    found = read_json(manifest_path(app_root))
    return found if isinstance(found, dict) else None


def write_manifest(app_root: Path, manifest: dict[str, Any]) -> Path:
    """Write the deployed manifest to ``.flash/flash_manifest.json`` without ``aiKey`` values."""
    on_disk = json.loads(json.dumps(manifest))
    for resource in (on_disk.get("resources") or {}).values():
        if isinstance(resource, dict):
            resource.pop("aiKey", None)
    path = manifest_path(app_root)
    write_json(path, on_disk)
    return path


def _read_model(path: Path, model: type[BaseModel]) -> Any:
    raw = read_json(path)
    if raw is None:
        return model()
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        log.warning("ignoring %s: %s", path, err.errors()[0].get("msg"))
        return model()


def active_environments(app_root: Path) -> ActiveEnvironments:
    found: ActiveEnvironments = _read_model(
        flash_dir(app_root) / ENVIRONMENT_FILE, ActiveEnvironments
    )
    return found


def read_active_environment(app_root: Path, app_name: str) -> str | None:
    """The environment ``flash-ls env use`` chose for ``app_name``, if any."""
    return active_environments(app_root).active.get(app_name) or None


def write_active_environment(app_root: Path, app_name: str, environment: str | None) -> Path:
    """Make ``environment`` the active one of ``app_name`` (None: forget it)."""
    state = active_environments(app_root)
    if environment:
        state.active[app_name] = environment
    else:
        state.active.pop(app_name, None)
    path = flash_dir(app_root) / ENVIRONMENT_FILE
    write_json(path, state.model_dump())
    return path


def deployed(app_root: Path) -> DeployRecord:
    found: DeployRecord = _read_model(flash_dir(app_root) / DEPLOYED_FILE, DeployRecord)
    return found


def deployed_environment(app_root: Path, environment_id: str) -> DeployedEnvironment | None:
    return deployed(app_root).environments.get(environment_id)


def record_endpoint(
    app_root: Path,
    environment_id: str,
    app_name: str,
    environment_name: str,
    name: str,
    endpoint: DeployedEndpoint | None,
) -> None:
    """Record (or with None, forget) what was saved for endpoint ``name``."""
    record = deployed(app_root)
    env = record.environments.setdefault(
        environment_id, DeployedEnvironment(app=app_name, environment=environment_name)
    )
    if endpoint is None:
        env.endpoints.pop(name, None)
    else:
        env.endpoints[name] = endpoint
    _write_record(app_root, record)


def record_build(
    app_root: Path,
    environment_id: str,
    app_name: str,
    environment_name: str,
    build: DeployedBuild,
) -> None:
    """Record the build just activated in an environment, with its artifact's digest."""
    record = deployed(app_root)
    env = record.environments.setdefault(
        environment_id, DeployedEnvironment(app=app_name, environment=environment_name)
    )
    env.build = build
    _write_record(app_root, record)


def _write_record(app_root: Path, record: DeployRecord) -> None:
    try:
        write_json(flash_dir(app_root) / DEPLOYED_FILE, record.model_dump())
    except OSError as err:  # the API is the truth; a lost record costs one re-save
        log.warning("cannot write %s: %s", DEPLOYED_FILE, err)


def forget_environment(app_root: Path, environment_id: str) -> None:
    """Drop the record of a deleted environment."""
    record = deployed(app_root)
    if record.environments.pop(environment_id, None) is None:
        return
    _write_record(app_root, record)
