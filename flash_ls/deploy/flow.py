"""``deploy_app``: build, then bring an environment to what the code declares.

Steps (each reported through ``Progress``; cancellation is checked between them and between
endpoints, and never interrupts a mutation in flight):

1. ``resolve``: the API key, the app and the target environment (``environments.Target``).
2. the build (``build_app``: check, discover, install, package).
3. ``plan``: the environment's endpoints and the previous active build's manifest (API), plus
   ``.flash/deployed.json``, against what this deploy would send (``plan.plan_endpoints``).
   ``--dry-run`` stops here; nothing has been changed.
4. ``prepare``: the app and environment when missing, and the network volumes.
5. ``upload``: prepareFlashArtifactUpload, the PUT to the presigned URL, finalizeFlashArtifactUpload.
6. ``activate``: deployBuildToEnvironment.
   Steps 5 and 6 are skipped when the environment's active build is the one this machine last
   activated there from a byte-identical artifact (builds are reproducible; the SHA-256 is in
   ``.flash/deployed.json``): the official CLI uploads and activates a new build every time.
7. ``endpoints``: saveEndpoint for each new or changed endpoint (an update also refreshes its
   template: getTemplate, saveTemplate), deleteEndpoint for removed ones with ``prune``.
8. ``manifest``: endpoint ids and URLs into ``.flash/flash_manifest.json`` (without keys) and
   updateFlashBuildManifest (with the endpoints' aiKeys, as the official CLI sends it), unless
   the build was kept and its manifest already says exactly that.

A failed mutation stops the deploy with a ``DeployError``; everything it did is on the API and
in ``.flash/``, so a rerun plans from there and converges.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from flash_ls.build.api import BuildOptions, BuildResult, app_lock, build_app
from flash_ls.deploy import environments, examples, state
from flash_ls.deploy.client import RunpodClient
from flash_ls.deploy.credentials import ApiKey, resolve_api_key
from flash_ls.deploy.environments import Target
from flash_ls.deploy.errors import ConfirmationRequired, DeployError
from flash_ls.deploy.models import EndpointRef, FlashApp, FlashEnvironment
from flash_ls.deploy.payloads import (
    DeployContext,
    Payload,
    PayloadError,
    VolumeKey,
    endpoint_payload,
    payload_digest,
    template_env,
    template_update,
    update_payload,
    volume_specs,
)
from flash_ls.deploy.plan import Action, DeployPlan, EndpointPlan, plan_endpoints
from flash_ls.deploy.recovery import mutate
from flash_ls.deploy.urls import ApiUrls
from flash_ls.platform import (
    API_KEY_ENV,
    MANIFEST_FILE,
    PROJECT_DIR,
    SOURCE_FINGERPRINT_ENV,
    TEST_DEPLOYMENT_ENV,
)
from flash_ls.progress import Progress
from flash_ls.project.app import App


class DeployOptions(BaseModel):
    """What ``flash-ls deploy`` was asked to do."""

    environment: str | None = None
    """Target environment (``--env``); default: FLASH_ENV, the active one, the only one."""
    app_name: str | None = None
    """Flash app name (``--app``); default: the app directory's name."""
    build: BuildOptions = Field(default_factory=BuildOptions)
    dry_run: bool = False
    """Build and plan; change nothing."""
    prune: bool = False
    """Delete the environment's endpoints the code no longer declares."""
    confirmed: bool = False
    """The user agreed to change a protected environment (production)."""


class Route(BaseModel):
    method: str
    url: str
    curl: str


class EndpointResult(BaseModel):
    """One endpoint after the deploy (or in the plan, for a dry run)."""

    name: str
    action: Action
    load_balanced: bool = False
    changes: list[str] = Field(default_factory=list)
    endpoint_id: str | None = None
    url: str | None = None
    calls: list[Route] = Field(default_factory=list)


class DeployResult(BaseModel):
    """What a deploy did (JSON-able for the language server)."""

    app: str
    environment: str
    environment_id: str | None = None
    build_id: str | None = None
    artifact_unchanged: bool = False
    """The environment's active build has this very artifact: nothing was (or would be) uploaded."""
    dry_run: bool = False
    created_app: bool = False
    created_environment: bool = False
    endpoints: list[EndpointResult] = Field(default_factory=list)
    removed: list[EndpointResult] = Field(default_factory=list)
    pruned: bool = False
    volumes_created: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    manifest_path: str | None = None

    def count(self, action: Action) -> int:
        return sum(1 for e in [*self.endpoints, *self.removed] if e.action is action)


async def resolve(
    app: App,
    options: DeployOptions,
    *,
    api_key: ApiKey | None = None,
    environ: Mapping[str, str] | None = None,
    client: RunpodClient | None = None,
) -> Target:
    """Where ``deploy_app`` would go, without changing anything (front ends ask for a
    confirmation with it before the build). Raises ``MissingApiKey``, ``DeployError``."""
    environ = os.environ if environ is None else environ
    async with _Session(app, api_key, environ, client) as session:
        return await session.target(options)


async def deploy_app(
    app: App,
    options: DeployOptions,
    progress: Progress,
    *,
    api_key: ApiKey | None = None,
    environ: Mapping[str, str] | None = None,
    client: RunpodClient | None = None,
    target: Target | None = None,
) -> DeployResult:
    """Build ``app`` and deploy it (see the module docstring); ``target`` is what ``resolve``
    answered for the same options, when the caller asked it first.

    Raises ``MissingApiKey`` (no key), ``ApiKeyRejected`` (401/403), ``BuildError``,
    ``ConfirmationRequired`` (production without ``confirmed``), ``DeployError``,
    ``flash_ls.progress.Cancelled`` or ``asyncio.CancelledError``.
    """
    environ = os.environ if environ is None else environ
    with app_lock(app.root, "deploy"):
        async with _Session(app, api_key, environ, client) as session:
            return await session.deploy(options, progress, target)


class _Session:
    """One deploy's API client and context."""

    def __init__(
        self,
        app: App,
        api_key: ApiKey | None,
        environ: Mapping[str, str],
        client: RunpodClient | None,
    ) -> None:
        self.app = app
        self.environ = environ
        self.key = api_key if api_key is not None else resolve_api_key(app.root, environ)
        self._owned = client is None
        self.client = client or RunpodClient(self.key.value, ApiUrls.from_environ(environ))
        self.urls = self.client.urls

    async def __aenter__(self) -> _Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._owned:
            await self.client.aclose()

    async def target(self, options: DeployOptions) -> Target:
        name = environments.app_name_for(self.app.root, options.app_name)
        return await environments.resolve_target(
            self.client, self.app.root, name, options.environment, self.environ
        )

    # -- the flow -------------------------------------------------------------------------------

    async def deploy(
        self, options: DeployOptions, progress: Progress, target: Target | None
    ) -> DeployResult:
        progress.step("resolve")
        if target is None:
            target = await self.target(options)
        if target.protected and not options.confirmed and not options.dry_run:
            raise ConfirmationRequired("deploying to", target.environment)
        result = DeployResult(
            app=target.app_name,
            environment=target.environment,
            environment_id=target.existing.id if target.existing else None,
            dry_run=options.dry_run,
            created_app=target.app is None,
            created_environment=target.existing is None,
        )
        progress.check_cancelled()

        built: BuildResult = await asyncio.to_thread(
            build_app, self.app, options.build, progress, locked=True
        )
        result.warnings.extend(built.warnings)
        manifest = state.read_manifest(self.app.root)
        if manifest is None:
            raise DeployError(f"the build wrote no readable {PROJECT_DIR}/{MANIFEST_FILE}")
        uploaded_manifest = copy.deepcopy(manifest)
        resources: dict[str, Any] = manifest.get("resources") or {}
        if not resources:
            result.warnings.append("no deployable resources; nothing was deployed")
            return result
        _inject_fingerprint(manifest)
        progress.check_cancelled()

        progress.step("plan")
        env = await self._current(target)
        previous = await self._previous_manifest(env)
        volume_ids = await self._volume_ids(resources, create=False)
        context = self._context(target, env)
        desired = self._payloads(resources, context, volume_ids)
        before = self._previous_payloads(previous, context, volume_ids)
        recorded = state.deployed_environment(self.app.root, env.id) if env else None
        plan = await self._plan(desired, resources, env, previous, before, recorded)
        artifact_sha = await asyncio.to_thread(_sha256, Path(built.artifact_path))
        reused = _reusable_build(env, recorded, artifact_sha)
        result.artifact_unchanged = reused is not None
        if options.dry_run:
            self._fill(result, plan, resources, manifest)
            return result
        progress.check_cancelled()

        progress.step("prepare")
        app_obj, env = await self._ensure(target, env, result)
        missing = [k for k, v in volume_ids.items() if v is None]
        if missing:
            volume_ids = await self._volume_ids(resources, create=True)
            result.volumes_created = [f"{name} ({dc})" for name, dc in missing]
        context = self._context(target, env)
        desired = self._payloads(resources, context, volume_ids)
        if result.created_environment or missing:
            before = self._previous_payloads(previous, context, volume_ids)
            plan = await self._plan(desired, resources, env, previous, before, recorded)
        progress.check_cancelled()

        if reused is not None:
            build_id = reused
        else:
            build_id = await self._upload(
                app_obj, Path(built.artifact_path), uploaded_manifest, progress
            )
            progress.check_cancelled()
            progress.step("activate")
            await self._activate(app_obj, env, build_id)
            state.record_build(
                self.app.root,
                env.id,
                target.app_name,
                target.environment,
                state.DeployedBuild(id=build_id, artifact_sha256=artifact_sha),
            )
        result.build_id = build_id
        progress.check_cancelled()

        progress.step(
            "endpoints", total=len(plan.endpoints) + (len(plan.removed) if options.prune else 0)
        )
        for item in plan.endpoints:
            progress.check_cancelled()
            await self._save(target, env, item)
            progress.advance(1, item.name)
        if options.prune:
            for item in plan.removed:
                progress.check_cancelled()
                if item.endpoint_id:
                    await environments.delete_endpoint(
                        self.client, EndpointRef(id=item.endpoint_id, name=item.name)
                    )
                state.record_endpoint(
                    self.app.root, env.id, target.app_name, target.environment, item.name, None
                )
                progress.advance(1, item.name)
            result.pruned = True
        progress.check_cancelled()

        progress.step("manifest")
        deployed = self._deployed_manifest(manifest, plan, resources)
        missing_lb = [
            n
            for n, r in resources.items()
            if r.get("is_load_balanced") and n not in deployed.get("resources_endpoints", {})
        ]
        if missing_lb:
            raise DeployError(f"load balancer(s) not provisioned: {', '.join(missing_lb)}")
        result.manifest_path = str(state.write_manifest(self.app.root, deployed))
        if reused is None or deployed != previous:
            await self._update_manifest(build_id, deployed)
        result.environment_id = env.id
        self._fill(result, plan, resources, deployed)
        return result

    # -- reading --------------------------------------------------------------------------------

    async def _current(self, target: Target) -> FlashEnvironment | None:
        if target.app is None or target.existing is None:
            return None
        return await self.client.environment_by_name(target.app.id, target.environment)

    async def _previous_manifest(self, env: FlashEnvironment | None) -> dict[str, Any] | None:
        """The manifest of the environment's active build (what the last deploy wrote back)."""
        if env is None or not env.active_build_id:
            return None
        build = await self.client.build(env.active_build_id)
        return build.manifest if build is not None and isinstance(build.manifest, dict) else None

    async def _plan(
        self,
        desired: Mapping[str, Payload],
        resources: Mapping[str, Any],
        env: FlashEnvironment | None,
        previous: Mapping[str, Any] | None,
        before: Mapping[str, Payload],
        recorded: state.DeployedEnvironment | None,
    ) -> DeployPlan:
        load_balanced = {n: bool(r.get("is_load_balanced")) for n, r in resources.items()}
        plan = plan_endpoints(desired, load_balanced, env, previous, before, recorded)
        for item in plan.endpoints:
            if item.verify_key and item.action is Action.KEEP:
                await self._verify_key(item)
        return plan

    async def _verify_key(self, item: EndpointPlan) -> None:
        """Update a kept endpoint whose template holds another API key than this deploy's (the
        key was rotated): the manifest that vouched for it does not record keys."""
        assert item.payload is not None and item.endpoint_id is not None
        template_id = item.template_id or await self.client.endpoint_template_id(item.endpoint_id)
        live = await self.client.template(template_id) if template_id else None
        wanted = template_env(item.payload).get(API_KEY_ENV)
        if live is not None and {e.key: e.value for e in live.env}.get(API_KEY_ENV) == wanted:
            return
        item.action = Action.UPDATE
        item.changes = [f"env.{API_KEY_ENV}"]
        item.template_id = template_id or item.template_id

    async def _volume_ids(
        self, resources: Mapping[str, Any], *, create: bool
    ) -> dict[VolumeKey, str | None]:
        """(name, data center) -> id of every named volume the resources use; None for one that
        does not exist yet (created with ``create``, reused by name like the SDK does)."""
        wanted: dict[VolumeKey, int] = {}
        for name, resource in resources.items():
            try:
                specs = volume_specs(resource)
            except PayloadError as err:
                raise DeployError(f"{name}: {err}") from None
            for spec in specs:
                if "id" not in spec and spec.get("name"):
                    wanted.setdefault((spec["name"], spec["dataCenterId"]), spec["size"])
        if not wanted:
            return {}
        found = await self._existing_volumes()
        ids: dict[VolumeKey, str | None] = {key: found.get(key) for key in wanted}
        if not create:
            return ids
        for key, size in wanted.items():
            if ids[key] is not None:
                continue
            volume_name, data_center = key

            async def create_volume(
                name: str = volume_name, dc: str = data_center, gb: int = size
            ) -> str:
                return (await self.client.create_network_volume(name, gb, dc)).id

            async def created(key: VolumeKey = key) -> str | None:
                return (await self._existing_volumes()).get(key)

            ids[key] = await mutate(f"create network volume {volume_name}", create_volume, created)
        return ids

    async def _existing_volumes(self) -> dict[VolumeKey, str]:
        volumes = await self.client.list_network_volumes()
        return {
            (v.name, v.data_center_id): v.id
            for v in volumes
            if v.name is not None and v.data_center_id is not None
        }

    def _context(self, target: Target, env: FlashEnvironment | None) -> DeployContext:
        return DeployContext(
            app_name=target.app_name,
            environment_name=target.environment,
            environment_id=env.id if env is not None else None,
            api_key=self.key.value,
            test_deployment=self.environ.get(TEST_DEPLOYMENT_ENV, "").lower() == "true",
        )

    def _payloads(
        self,
        resources: Mapping[str, Any],
        context: DeployContext,
        volume_ids: Mapping[VolumeKey, str | None],
    ) -> dict[str, Payload]:
        known = {k: v for k, v in volume_ids.items() if v is not None}
        payloads = {}
        for name, resource in resources.items():
            try:
                payloads[name] = endpoint_payload(name, resource, context, known)
            except (PayloadError, ValueError) as err:
                raise DeployError(str(err)) from None
        return payloads

    def _previous_payloads(
        self,
        previous: Mapping[str, Any] | None,
        context: DeployContext,
        volume_ids: Mapping[VolumeKey, str | None],
    ) -> dict[str, Payload]:
        """What the previous deploy sent, rebuilt from its manifest (entries that cannot be
        rebuilt count as unknown: their endpoints are updated)."""
        known = {k: v for k, v in volume_ids.items() if v is not None}
        payloads = {}
        for name, resource in ((previous or {}).get("resources") or {}).items():
            if not isinstance(resource, dict):
                continue
            try:
                payloads[name] = endpoint_payload(name, resource, context, known)
            except (PayloadError, ValueError, TypeError, KeyError):
                continue
        return payloads

    # -- changing -------------------------------------------------------------------------------

    async def _ensure(
        self, target: Target, env: FlashEnvironment | None, result: DeployResult
    ) -> tuple[FlashApp, FlashEnvironment]:
        if target.app is not None and env is not None:
            return target.app, env
        app_obj, result.created_app = await environments.ensure_app(self.client, target.app_name)
        env, result.created_environment = await environments.ensure_environment(
            self.client, app_obj, target.environment
        )
        result.environment_id = env.id
        return app_obj, env

    async def _upload(
        self, app_obj: FlashApp, artifact: Path, manifest: dict[str, Any], progress: Progress
    ) -> str:
        size = artifact.stat().st_size
        progress.step("upload", total=size)
        prepared = await mutate(
            "prepare the artifact upload", lambda: self.client.prepare_upload(app_obj.id, size)
        )
        try:
            await self.client.upload(prepared.upload_url, artifact, lambda n: progress.advance(n))
        except Exception as err:
            message = getattr(err, "message", None) or str(err)
            raise DeployError(f"artifact upload failed: {message}") from None

        async def finalized() -> str | None:
            for build in await self.client.list_builds(app_obj.id):
                if build.object_key == prepared.object_key:
                    return build.id
            return None

        async def finalize() -> str:
            build = await self.client.finalize_upload(app_obj.id, prepared.object_key, manifest)
            return build.id

        return await mutate("finalize the artifact upload", finalize, finalized)

    async def _activate(self, app_obj: FlashApp, env: FlashEnvironment, build_id: str) -> None:
        async def active() -> bool | None:
            now = await self.client.environment_by_name(app_obj.id, env.name)
            return True if now is not None and now.active_build_id == build_id else None

        async def deploy() -> bool:
            await self.client.deploy_build(env.id, build_id)
            return True

        await mutate(f"activate the build in {env.name}", deploy, active)

    async def _save(self, target: Target, env: FlashEnvironment, item: EndpointPlan) -> None:
        if item.payload is None:
            return
        payload = item.payload
        if item.action is Action.KEEP:
            self._record(target, env, item)  # vouched for: a rerun after a failure keeps it too
            return
        saved_name = payload["name"]
        if item.action is Action.CREATE:

            async def create() -> tuple[str, str | None, str | None]:
                saved = await self.client.save_endpoint(payload)
                return saved.id, saved.template_id, saved.ai_key

            async def created() -> tuple[str, str | None, str | None] | None:
                found = await self._find_endpoint(target, saved_name)
                return (found, None, None) if found else None

            endpoint_id, template_id, ai_key = await mutate(
                f"create endpoint {item.name}", create, created
            )
            item.endpoint_id, item.template_id, item.ai_key = endpoint_id, template_id, ai_key
        else:
            assert item.endpoint_id is not None
            endpoint_id = item.endpoint_id
            update = update_payload(payload, endpoint_id, item.template_id)

            async def save() -> tuple[str | None, str | None]:
                saved = await self.client.save_endpoint(update)
                return saved.template_id, saved.ai_key

            async def still_there() -> tuple[str | None, str | None] | None:
                # An update is a full write: sending it again after checking is not blind.
                if not await self.client.endpoint_exists(endpoint_id):
                    return None
                saved = await self.client.save_endpoint(update)
                return saved.template_id, saved.ai_key

            template_id, ai_key = await mutate(f"update endpoint {item.name}", save, still_there)
            item.template_id = template_id or item.template_id
            item.ai_key = ai_key or item.ai_key
            if item.template_id:
                await self._refresh_template(item, item.template_id)
        self._record(target, env, item)

    def _record(self, target: Target, env: FlashEnvironment, item: EndpointPlan) -> None:
        assert item.payload is not None and item.endpoint_id is not None
        state.record_endpoint(
            self.app.root,
            env.id,
            target.app_name,
            target.environment,
            item.name,
            state.DeployedEndpoint(
                id=item.endpoint_id,
                template_id=item.template_id,
                digest=payload_digest(item.payload),
                url=self._url(item.endpoint_id, item.load_balanced),
            ),
        )

    async def _find_endpoint(self, target: Target, name: str) -> str | None:
        app_obj = await self.client.app_by_name(target.app_name)
        if app_obj is None:
            return None
        env = await self.client.environment_by_name(app_obj.id, target.environment)
        found = [e.id for e in (env.endpoints if env else []) if e.name == name]
        return found[0] if found else None

    async def _refresh_template(self, item: EndpointPlan, template_id: str) -> None:
        """Bring the endpoint's template to the payload's (env, image, disk, name), keeping
        what the platform injected (``ServerlessResource.update``)."""
        assert item.payload is not None
        live = await self.client.template(template_id)
        live_env = [{"key": e.key, "value": e.value or ""} for e in (live.env if live else [])]
        update = template_update(item.payload, template_id, live_env, item.previous_env_keys)

        async def save() -> bool:
            await self.client.save_template(update)
            return True

        async def saved() -> bool | None:
            now = await self.client.template(template_id)
            wanted = {e["key"]: e["value"] for e in update["env"]}
            return True if now is not None and {e.key: e.value for e in now.env} == wanted else None

        await mutate(f"update the template of {item.name}", save, saved)

    async def _update_manifest(self, build_id: str, manifest: dict[str, Any]) -> None:
        async def stored() -> bool | None:
            build = await self.client.build(build_id)
            return True if build is not None and build.manifest == manifest else None

        async def update() -> bool:
            await self.client.update_build_manifest(build_id, manifest)
            return True

        await mutate("update the build's manifest", update, stored)

    # -- results --------------------------------------------------------------------------------

    def _url(self, endpoint_id: str, load_balanced: bool) -> str:
        if load_balanced:
            return self.urls.load_balancer_url(endpoint_id)
        return self.urls.queue_url(endpoint_id)

    def _deployed_manifest(
        self, manifest: dict[str, Any], plan: DeployPlan, resources: Mapping[str, Any]
    ) -> dict[str, Any]:
        deployed = copy.deepcopy(manifest)
        urls: dict[str, str] = {}
        for item in plan.endpoints:
            if not item.endpoint_id:
                continue
            entry = deployed["resources"][item.name]
            entry["endpoint_id"] = item.endpoint_id
            if item.ai_key:
                entry["aiKey"] = item.ai_key
            urls[item.name] = self._url(item.endpoint_id, item.load_balanced)
        deployed["resources_endpoints"] = urls
        return deployed

    def _fill(
        self,
        result: DeployResult,
        plan: DeployPlan,
        resources: Mapping[str, Any],
        manifest: Mapping[str, Any],
    ) -> None:
        for item in plan.endpoints:
            url = self._url(item.endpoint_id, item.load_balanced) if item.endpoint_id else None
            calls: list[Route] = []
            if url is not None:
                resource = resources[item.name]
                if item.load_balanced:
                    found = examples.route_calls(self.app, resource, url)
                else:
                    found = [examples.queue_call(self.app, resource, url)]
                calls = [Route(method=c.method, url=c.url, curl=c.curl) for c in found]
            result.endpoints.append(
                EndpointResult(
                    name=item.name,
                    action=item.action,
                    load_balanced=item.load_balanced,
                    changes=item.changes,
                    endpoint_id=item.endpoint_id,
                    url=url,
                    calls=calls,
                )
            )
        result.removed = [
            EndpointResult(name=item.name, action=Action.REMOVE, endpoint_id=item.endpoint_id)
            for item in plan.removed
        ]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _reusable_build(
    env: FlashEnvironment | None, recorded: state.DeployedEnvironment | None, artifact_sha: str
) -> str | None:
    """The id of the environment's active build when this deploy activated it from an artifact
    byte-identical to ``artifact_sha`` (builds are reproducible); else None: upload."""
    if env is None or recorded is None or recorded.build is None:
        return None
    if env.active_build_id != recorded.build.id:
        return None  # another deploy (another machine, the official CLI) came since
    return recorded.build.id if recorded.build.artifact_sha256 == artifact_sha else None


def _inject_fingerprint(manifest: dict[str, Any]) -> None:
    """The source fingerprint into every resource's env (not client-mode ones), as the official
    deploy does, so a code change rolls every endpoint."""
    fingerprint = manifest.get("source_fingerprint")
    if not fingerprint:
        return
    for resource in (manifest.get("resources") or {}).values():
        if isinstance(resource, dict) and not resource.get("client_mode"):
            resource.setdefault("env", {})
            if not isinstance(resource["env"], dict):
                resource["env"] = {}
            resource["env"][SOURCE_FINGERPRINT_ENV] = fingerprint
