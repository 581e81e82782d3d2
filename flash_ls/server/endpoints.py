"""What the editor shows about an endpoint: hardware, workers, image, dependencies, routes, files.

Facts come from the App and ``platform.py``; this module only words them for hover, code lens and
symbols. Values the engine cannot know statically are shown as written in the source.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from flash_ls import platform
from flash_ls.deploy import environments as deploy_environments
from flash_ls.deploy import state as deploy_files
from flash_ls.parse.facts import Definition
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import (
    AppDecl,
    DeclForm,
    Endpoint,
    EndpointKind,
    Route,
    Target,
)
from flash_ls.project.evaluation import EnumValue, Unknown
from flash_ls.project.sizes import cached_estimate
from flash_ls.span import Span

_KIND_LABELS = {
    EndpointKind.QUEUE: "queue-based",
    EndpointKind.LOAD_BALANCED: "load-balanced",
    EndpointKind.MIXED: "queue-based and load-balanced (invalid)",
    EndpointKind.UNUSED: "unused",
    EndpointKind.CLIENT: "client",
    EndpointKind.TASK: "task",
}


def kind_label(endpoint: Endpoint) -> str:
    return _KIND_LABELS[endpoint.kind]


def _items(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


@dataclass
class Hardware:
    """``cpu`` is None when it cannot be known (e.g. ``gpu=`` computed at run time)."""

    cpu: bool | None
    short: str
    details: list[str] = field(default_factory=list)


def _gpu_details(value: object) -> Hardware:
    details: list[str] = []
    short: list[str] = []
    for item in _items(value):
        if isinstance(item, EnumValue) and item.enum == "GpuGroup":
            pool = platform.GPU_GROUPS_BY_MEMBER.get(item.member)
            details.append(
                f"GPU pool `{item.member}`: {pool.description if pool else 'unknown pool'}"
            )
            short.append(item.member)
        elif isinstance(item, EnumValue) and item.enum == "GpuType":
            model = platform.GPU_TYPES_BY_MEMBER.get(item.member)
            if model is None:
                details.append(f"GPU `{item.member}`: unknown GPU type")
            elif model.pool is None:
                details.append(f"GPU `{item.member}`: any GPU, expands to every pool")
            else:
                details.append(f"GPU `{model.value}` (pool `{model.pool}`)")
            short.append(model.value if model else item.member)
        elif isinstance(item, Unknown):
            details.append(f"GPU `{item.text}` (known at run time)")
            short.append(item.text)
        else:
            details.append(f"GPU `{item!r}` (not a GpuGroup/GpuType member)")
            short.append(repr(item))
    return Hardware(False, "GPU " + ", ".join(short) if short else "GPU (none selected)", details)


def _cpu_details(value: object) -> Hardware:
    details: list[str] = []
    short: list[str] = []
    instances: list[platform.CpuInstance] = []
    for item in _items(value):
        instance = None
        if isinstance(item, EnumValue) and item.enum == "CpuInstanceType":
            instance = platform.CPU_INSTANCES_BY_MEMBER.get(item.member)
        elif isinstance(item, str):
            instance = platform.CPU_INSTANCES_BY_VALUE.get(item)
        if instance is not None:
            instances.append(instance)
            details.append(f"CPU `{instance.value}`: {instance.description}")
            short.append(f"{instance.value} ({instance.vcpu} vCPU, {instance.ram_gb} GB)")
        elif isinstance(item, Unknown):
            details.append(f"CPU `{item.text}` (known at run time)")
            short.append(item.text)
        else:
            details.append(f"CPU `{item}`: unknown instance type")
            short.append(str(item))
    if len(instances) > 1:
        disk = min(i.max_disk_gb for i in instances)
        details.append(f"max container disk {disk} GB (the smallest of the instance types)")
    return Hardware(True, "CPU " + ", ".join(short) if short else "CPU (none selected)", details)


def hardware(endpoint: Endpoint) -> Hardware:
    if is_app_api(endpoint):
        return _app_hardware(endpoint)
    if endpoint.kind is EndpointKind.CLIENT:
        image = endpoint.value("image")
        if isinstance(image, str):
            return Hardware(None, f"image {image}", [f"custom image `{image}`"])
        return Hardware(None, "existing endpoint", ["client of an already-deployed endpoint"])
    cpu = endpoint.value("cpu")
    if cpu is not None:
        return _cpu_details(cpu)
    gpu = endpoint.value("gpu")
    if gpu is not None:
        return _gpu_details(gpu)
    return Hardware(False, "GPU any", ["GPU: any pool (`GpuGroup.ANY`, the default)"])


def workers(endpoint: Endpoint) -> str:
    value = endpoint.value("workers")
    if value is None:
        low, high = (
            platform.APP_DEFAULT_WORKERS if is_app_api(endpoint) else platform.DEFAULT_WORKERS
        )
        return f"{low}-{high} (default)"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"0-{value}"
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return f"{value[0]}-{value[1]}"
    if isinstance(value, Unknown):
        return f"`{value.text}` (known at run time)"
    return repr(value)


def idle_timeout(endpoint: Endpoint) -> str:
    value = endpoint.value("idle_timeout")
    if value is None:
        default = (
            platform.APP_DEFAULT_IDLE_TIMEOUT
            if is_app_api(endpoint)
            else platform.DEFAULT_IDLE_TIMEOUT
        )
        return f"{default} s (default)"
    if isinstance(value, Unknown):
        return f"`{value.text}` (known at run time)"
    return f"{value} s"


def image(app: App, endpoint: Endpoint) -> str:
    if endpoint.kind is EndpointKind.CLIENT:
        value = endpoint.value("image")
        return value if isinstance(value, str) else "(none: calls an existing endpoint)"
    try:
        return platform.image_name(
            endpoint.image_type, platform.DEFAULT_PYTHON_VERSION, app.environ
        )
    except ValueError as error:
        return f"(unknown: {error})"


def dependencies(endpoint: Endpoint) -> list[str]:
    """Each declared dependency, noting the ones excluded from the artifact or preinstalled."""
    value = endpoint.value("dependencies")
    if value is None:
        return []
    if isinstance(value, Unknown):
        return [f"`{value.text}` (not a list literal: `flash build` collects nothing)"]
    preinstalled = platform.BASE_IMAGE_PACKAGES[endpoint.image_type]
    lines: list[str] = []
    for item in _items(value):
        if not isinstance(item, str):
            lines.append(f"`{item}` (not a string)")
            continue
        name = platform.normalize_distribution(platform.sdk_requirement_name(item))
        if name in platform.SIZE_PROHIBITIVE_PACKAGES:
            where = (
                "preinstalled in GPU images" if name in preinstalled else "CPU images have no torch"
            )
            lines.append(f"`{item}`: excluded from the artifact ({where})")
        elif name in preinstalled:
            lines.append(f"`{item}`: preinstalled in the base image")
        else:
            lines.append(f"`{item}`")
    return lines


def routes(endpoint: Endpoint) -> list[str]:
    return [
        f"{route.method.upper()} {route.path or (route.path_expr.text if route.path_expr else '?')}"
        for route in endpoint.routes
    ]


def files(endpoint: Endpoint) -> list[str]:
    rels = {endpoint.decl.file.rel, *(f.rel for f in endpoint.usage_files())}
    return sorted(rels)


@dataclass(frozen=True)
class DeployState:
    """What the last deploy left in ``.flash/`` (never fetched over the network): the active
    environment, its endpoints' URLs (and ids) and when it was deployed (None: unknown)."""

    environment: str | None
    urls: dict[str, str]
    deployed_at: float | None = None
    ids: dict[str, str] = field(default_factory=dict)


def deploy_state(app: App) -> DeployState | None:
    """The app's deploy state in its active environment (``FLASH_ENV``, then ``.flash/
    environment.json``, then the only one deployed to): URLs from ``.flash/deployed.json``, else
    (an app flash-ls never deployed: no ``deployed.json``) the manifest's ``resources_endpoints``;
    None when there is no local state."""
    from flash_ls.server.deploying import active_environment

    root = app.root
    environ = {**os.environ, **app.environ}
    try:
        environment, _ = active_environment(root, environ)
    except (OSError, ValueError):
        environment = None
    record = deploy_files.deployed(root)
    name = deploy_environments.app_name_for(root)
    recorded = deploy_files.flash_dir(root) / deploy_files.DEPLOYED_FILE
    for env in record.environments.values():
        if env.app == name and env.environment == environment and env.endpoints:
            urls = {k: v.url for k, v in env.endpoints.items() if v.url}
            ids = {k: v.id for k, v in env.endpoints.items() if v.url}
            return DeployState(environment, urls, _mtime(recorded), ids)
    if recorded.exists():
        # flash-ls deploys this app: nothing recorded for this environment (another one is
        # active, or it was deleted) means nothing deployed there, whatever the manifest says.
        return DeployState(environment, {}) if environment else None
    path = deploy_files.manifest_path(app.root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    written = data.get("resources_endpoints")
    if not isinstance(written, dict):
        return None
    resources = data.get("resources")
    ids = {
        str(k): str(v["endpoint_id"])
        for k, v in (resources.items() if isinstance(resources, dict) else ())
        if isinstance(v, dict) and v.get("endpoint_id")
    }
    urls = {str(k): str(v) for k, v in written.items()}
    return DeployState(environment, urls, _mtime(path), ids)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def ago(seconds: float) -> str:
    """``just now``, ``2 min ago``, ``3 h ago``, ``4 days ago``."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def deployed_line(endpoint: Endpoint, found: DeployState | None, now: float) -> str | None:
    """``Deployed to staging · 2 min ago`` (code lens); None without local deploy state."""
    if found is None:
        return None
    where = f" to {found.environment}" if found.environment else ""
    if not found.urls.get(endpoint.key):
        return f"Not deployed{where}"
    when = f" · {ago(max(0.0, now - found.deployed_at))}" if found.deployed_at else ""
    return f"Deployed{where}{when}"


def state_line(endpoint: Endpoint, state: DeployState | None) -> str | None:
    if state is None:
        return None
    where = f" in `{state.environment}`" if state.environment else ""
    url = state.urls.get(endpoint.key)
    if url:
        return f"deployed{where}: {url}"
    return f"not deployed{where} (last deploy)"


def summary(endpoint: Endpoint, state: DeployState | None = None) -> str:
    """One line: kind, hardware, workers, state (code lens, symbol detail)."""
    parts = [kind_label(endpoint), hardware(endpoint).short]
    if endpoint.kind is not EndpointKind.CLIENT:
        parts.append(f"workers {workers(endpoint)}")
    if state is not None:
        url = state.urls.get(endpoint.key)
        parts.append("deployed" if url else "not deployed")
    return " · ".join(parts)


def describe(
    app: App,
    endpoint: Endpoint,
    state: DeployState | None = None,
    request: list[str] | None = None,
) -> str:
    """Markdown for hover; ``request``: the lines of its request section (after the state)."""
    lines = [f"**Endpoint `{endpoint.key}`**: {kind_label(endpoint)}", ""]
    hw = hardware(endpoint)
    lines.extend(f"- {detail}" for detail in hw.details)
    if endpoint.kind is not EndpointKind.CLIENT:
        lines.append(f"- Workers: {workers(endpoint)}")
        lines.append(f"- Idle timeout: {idle_timeout(endpoint)}")
    lines.append(f"- Image: `{image(app, endpoint)}`")
    deps = dependencies(endpoint)
    if deps:
        lines.append("- Dependencies:")
        lines.extend(f"  - {dep}" for dep in deps)
    if endpoint.routes:
        lines.append("- Routes:")
        lines.extend(
            f"  - `{text}` ({route.file.rel}:{route.decorator.span.start_line + 1})"
            for text, route in zip(routes(endpoint), endpoint.routes, strict=True)
        )
    if endpoint.targets:
        names = ", ".join(f"`{t.definition.name}`" for t in endpoint.targets)
        lines.append(f"- Serves: {names}")
    lines.append(f"- Files: {', '.join(files(endpoint))}")
    state_text = state_line(endpoint, state)
    if state_text:
        lines.append(f"- State: {state_text}")
    lines.extend(request or ())
    if endpoint.kind is not EndpointKind.CLIENT:
        lines.extend(artifact(app))
    return "\n".join(lines)


def artifact(app: App) -> list[str]:
    """The app's artifact estimate (shared by its endpoints: one archive serves them all), with
    what it could not know; never waits for a resolution (the server runs them in the background)."""
    head, *rest = cached_estimate(app).describe(app.config.size_budget_mb)
    lines = ["", f"**{head}**", ""]
    lines.extend(line.replace("*", "\\*") for line in rest)
    return lines


# -- where endpoints are in the source -------------------------------------------------------


def same_file(a: SourceFile, b: SourceFile) -> bool:
    return a.path == b.path


def declaration_span(endpoint: Endpoint) -> Span:
    """The whole declaring statement (symbol range)."""
    decl = endpoint.decl
    call = decl.call.span
    if decl.form is DeclForm.INSTANCE and decl.variable:
        binding = decl.file.facts.binding(decl.variable)
        if binding is not None:
            return Span(
                binding.span.start_line, binding.span.start_col, call.end_line, call.end_col
            )
    if decl.form in (DeclForm.INLINE, DeclForm.REMOTE, DeclForm.RESOURCE):
        definition = _definition_of(endpoint)
        if definition is not None:
            return definition.span
    return call


def anchor_span(endpoint: Endpoint) -> Span:
    """The endpoint's own name in the source: its variable, else its ``name=`` value, else the call."""
    decl = endpoint.decl
    if decl.form is DeclForm.RESOURCE and endpoint.targets:
        return endpoint.targets[0].definition.name_span  # the handle's name (maybe rebound)
    if decl.variable:
        binding = decl.file.facts.binding(decl.variable)
        if binding is not None:
            return binding.span
    expr = endpoint.name_expr
    if expr is not None:
        return expr.span
    return decl.call.func.span


def _definition_of(endpoint: Endpoint) -> Definition | None:
    for target in endpoint.targets:
        if same_file(target.file, endpoint.decl.file):
            return target.definition
    for route in endpoint.routes:
        if same_file(route.file, endpoint.decl.file):
            return route.definition
    return None


def qualified_name(endpoint: Endpoint) -> str | None:
    """``module:variable`` of an instance, as ``App.qualified`` resolves names to it."""
    decl = endpoint.decl
    if decl.variable is None:
        return None
    return f"{decl.file.module}:{decl.variable}" if decl.file.module else f":{decl.variable}"


def instance_named(app: App, source: SourceFile, dotted: str) -> Endpoint | None:
    """The Endpoint instance a (dotted) module-level name in ``source`` refers to."""
    qualified = app.qualified(source, dotted)
    for endpoint in app.endpoints:
        if qualified_name(endpoint) == qualified:
            return endpoint
    return None


def endpoint_at(
    app: App, source: SourceFile, line: int, col: int, word: str | None = None
) -> Endpoint | None:
    """The endpoint whose declaration, decorator, route or function name is at (line, col)."""
    for endpoint in app.endpoints:
        decl = endpoint.decl
        here = same_file(decl.file, source)
        if here and (
            decl.call.span.contains(line, col) or anchor_span(endpoint).contains(line, col)
        ):
            return endpoint
        uses: list[Target | Route] = [*endpoint.targets, *endpoint.routes]
        for item in uses:
            if not same_file(item.file, source):
                continue
            if item.decorator.span.contains(line, col) or item.definition.name_span.contains(
                line, col
            ):
                return endpoint
    binding = source.facts.binding(word) if word else None
    if word and binding is not None and binding.span.contains(line, col):
        return instance_named(app, source, word)
    return None


# -- the app API of ``runpod`` (``runpod.App``, ``@app.queue/api/task``) ------------------------


def has_app_api(app: App) -> bool:
    """Whether any file may use the app API (the parse's prefilter): a runpod_flash app never
    builds the app API reader for an editor request."""
    return any(source.facts.mentions_app_api for source in app.files.values())


def app_api_resources(app: App) -> list[Endpoint]:
    """The app API resources (none without a file that mentions the app API)."""
    return app.app_api_endpoints if has_app_api(app) else []


def app_declarations(app: App) -> list[AppDecl]:
    """The app API ``App(...)`` declarations (none without a file that mentions the app API)."""
    return app.app_declarations if has_app_api(app) else []


def is_app_api(endpoint: Endpoint) -> bool:
    """A resource of the app API (``@app.queue/api/task``), not a runpod_flash endpoint."""
    return endpoint.sdk == platform.APP_API_MODULE


def decorator_text(endpoint: Endpoint) -> str:
    """``@app.queue`` (the decorator as written, without its arguments)."""
    func = endpoint.decl.call.func
    return f"@{func.text}"


def _quoted(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _app_gpu_item(endpoint: Endpoint, item: object) -> tuple[str, str]:
    """(short, detail) for one ``gpu=`` value, resolved as rc2 resolves it."""
    task = endpoint.kind is EndpointKind.TASK
    if isinstance(item, Unknown):
        return item.text, f"GPU `{item.text}` (known at run time)"
    if isinstance(item, EnumValue) and item.enum == "GpuGroup":
        if item.member == platform.GPU_ANY:
            return platform.APP_GPU_ANY, "GPU `GpuGroup.ANY`: every pool"
        devices = platform.APP_GPU_POOL_DEVICES.get(item.member)
        if devices is None:
            return item.member, f"GPU `{item}`: no such pool"
        return item.member, f"GPU pool `{item.member}`: {', '.join(devices)}"
    if isinstance(item, EnumValue) and item.enum == "GpuType":
        if item.member == platform.GPU_ANY:
            return platform.APP_GPU_ANY, "GPU `GpuType.ANY`: every pool"
        model = next((t for t in platform.APP_GPU_TYPES if t.member == item.member), None)
        if model is None:
            return item.member, f"GPU `{item}`: no such GPU type"
        return model.value, f"GPU `{model.value}` (pool `{model.pool}`)"
    if not isinstance(item, str):
        return repr(item), f"GPU `{item!r}`: not a GpuGroup, GpuType or string"
    match = platform.app_resolve_gpu_string(item)
    if match is None:
        return item, (
            f'GPU `"{item}"`: matches no pool or device (`{platform.APP_API_MODULE}` '
            f"{platform.APP_API_VERSION} raises at decoration)"
        )
    if match.rule == "any":
        return item, f'GPU `"{item}"`: every pool'
    if match.rule == "pool":
        devices = platform.APP_GPU_POOL_DEVICES.get(match.values[0], ())
        return item, f'GPU pool `"{item}"`: {", ".join(devices)}'
    found = ", ".join(match.values)
    if task:  # pods take the devices themselves
        return item, f'GPU `"{item}"` resolves to {found}'
    pools = ", ".join(f"`{p}`" for p in match.pools)
    return item, f'GPU `"{item}"` resolves to {found}; the endpoint selects the pool {pools}'


def _app_cpu_item(item: object) -> tuple[str, str]:
    instance = None
    if isinstance(item, EnumValue) and item.enum == "CpuInstanceType":
        instance = platform.CPU_INSTANCES_BY_MEMBER.get(item.member)
    elif isinstance(item, str):
        instance = next((c for c in platform.APP_CPU_INSTANCES if c.value == item), None)
    if instance is not None:
        short = f"{instance.value} ({instance.vcpu} vCPU, {instance.ram_gb} GB)"
        return short, f"CPU `{instance.value}`: {instance.description}"
    if isinstance(item, Unknown):
        return item.text, f"CPU `{item.text}` (known at run time)"
    return str(item), f"CPU `{_quoted(item)}`: not a known instance type (the SDK accepts it)"


def _app_hardware(endpoint: Endpoint) -> Hardware:
    cpu = endpoint.value("cpu")
    gpu = endpoint.value("gpu")
    if cpu is not None:
        found = [_app_cpu_item(item) for item in _items(cpu)]
        details = [detail for _, detail in found]
        written = [v for v in _items(cpu) if isinstance(v, str)]
        if any(v.startswith(platform.APP_CPU5_PREFIX) for v in written) and (
            endpoint.value("datacenter") is None
        ):
            details.append(f"datacenter `{platform.APP_CPU5_DATACENTER}` only (the default for it)")
        if gpu is not None:
            details.append("`gpu` is given too: they are mutually exclusive")
        short = ", ".join(s for s, _ in found)
        return Hardware(True, f"CPU {short}" if short else "CPU (none selected)", details)
    if gpu is None:
        return Hardware(False, "GPU any", ["GPU: any pool (no `gpu` or `cpu`: the default)"])
    found = [_app_gpu_item(endpoint, item) for item in _items(gpu)]
    short = ", ".join(s for s, _ in found)
    details = [detail for _, detail in found]
    count = endpoint.value("gpu_count")
    if count is not None:
        details.append(f"GPU count: {count.text if isinstance(count, Unknown) else count}")
    return Hardware(False, f"GPU {short}" if short else "GPU (none selected)", details)


def resource_name_line(endpoint: Endpoint) -> str:
    """Where the resource's name comes from: ``name=``, else the function's or class's name."""
    given = endpoint.argument("name")
    derived = endpoint.derived_name
    if given is not None and isinstance(given.value, Unknown):
        return f"Name: `{given.expr.text}` (known at run time)"
    if given is not None and given.value:
        return f"Name: `{given.value}` (`name=`)"
    what = (
        "class"
        if endpoint.targets and endpoint.targets[0].definition.kind == "class"
        else "function"
    )
    if derived is None:
        return "Name: none"
    written = f"`name={given.expr.text}`" if given is not None else "no `name=`"
    return (
        f"Name: `{derived}`, derived from the {what}'s name ({written}): renaming the {what} "
        "renames the endpoint"
    )


def app_name_text(decl: AppDecl) -> str:
    name = decl.name
    if isinstance(name, str):
        return name
    if isinstance(name, Unknown):
        return name.text
    return "<unnamed>"


def _where(source: SourceFile, span: Span) -> str:
    return f"{source.rel}:{span.start_line + 1}"


def app_line(decl: AppDecl) -> str:
    variable = f"`{decl.variable}`, " if decl.variable else ""
    return f"App: `{app_name_text(decl)}` ({variable}{_where(decl.file, decl.call.span)})"


def app_summary(endpoint: Endpoint) -> str:
    """One line: kind, hardware, workers (code lens, symbol detail)."""
    parts = [kind_label(endpoint), hardware(endpoint).short]
    if endpoint.kind is not EndpointKind.TASK:
        parts.append(f"workers {workers(endpoint)}")
    return " · ".join(parts)


def describe_resource(endpoint: Endpoint) -> str:
    """Markdown for hover on an app API resource."""
    head = f"**Resource `{endpoint.key}`**: {kind_label(endpoint)} (`{decorator_text(endpoint)}`)"
    lines = [head, "", f"- {resource_name_line(endpoint)}"]
    if endpoint.app_decl is not None:
        lines.append(f"- {app_line(endpoint.app_decl)}")
    lines.extend(f"- {detail}" for detail in hardware(endpoint).details)
    if endpoint.kind is EndpointKind.TASK:
        lines.append("- Runs on a pod per call (no endpoint, no workers)")
    else:
        lines.append(f"- Workers: {workers(endpoint)}")
        lines.append(f"- Idle timeout: {idle_timeout(endpoint)}")
    custom = endpoint.value("image")
    if custom is not None:
        lines.append(
            f"- Image: `{custom.text if isinstance(custom, Unknown) else custom}` (custom)"
        )
    value = endpoint.value("dependencies")
    if isinstance(value, str):
        lines.append(f'- Dependencies: `"{value}"` (a string, not a list: read per character)')
    elif isinstance(value, Unknown):
        lines.append(f"- Dependencies: `{value.text}` (known at run time)")
    elif value is not None:
        lines.append("- Dependencies: " + ", ".join(f"`{_quoted(d)}`" for d in _items(value)))
    if endpoint.routes:
        lines.append("- Routes:")
        lines.extend(
            f"  - `{text}` → `{route.handler_name}` ({_where(route.file, route.decorator.span)})"
            for text, route in zip(routes(endpoint), endpoint.routes, strict=True)
        )
    for hook in endpoint.inits:
        lines.append(f"- Init: `{hook.handler.name}` ({_where(hook.file, hook.decorator.span)})")
    factory = endpoint.asgi_factory
    if factory is not None:
        lines.append(f"- Serves the ASGI app `{factory.definition.name}()` returns")
    elif endpoint.targets:
        names = ", ".join(f"`{t.definition.name}`" for t in endpoint.targets)
        lines.append(f"- Serves: {names}")
    lines.append(f"- Files: {', '.join(files(endpoint))}")
    return "\n".join(lines)


def app_resources(app: App, decl: AppDecl) -> list[Endpoint]:
    """The resources declared on one ``App(...)``, in file then source order."""
    return [e for e in app.app_api_endpoints if e.app_decl is decl]


def describe_app(app: App, decl: AppDecl) -> str:
    """Markdown for hover on an app API ``App(...)``."""
    env = decl.argument("env")
    if env is None:
        env_text = f"`{platform.APP_DEFAULT_ENV}` (default)"
    else:
        env_text = f"`{env.expr.text if isinstance(env.value, Unknown) else env.value}`"
    lines = [
        f"**App `{app_name_text(decl)}`** (`{platform.APP_API_MODULE}.{platform.APP_CLASS}`)",
        "",
        f"- Environment: {env_text}",
    ]
    resources = app_resources(app, decl)
    if resources:
        lines.append(f"- Resources: {len(resources)}")
        lines.extend(
            f"  - `{e.key}`: {app_summary(e)} ({_where(e.decl.file, e.decl.call.span)})"
            for e in resources
        )
    else:
        lines.append("- Resources: none")
    others = [
        d
        for d in app.app_declarations
        if d is not decl and isinstance(decl.name, str) and d.name == decl.name
    ]
    if others:
        first = app.app_declarations.index(decl) < app.app_declarations.index(others[0])
        where = ", ".join(_where(d.file, d.call.span) for d in others)
        keeps = "this one" if first else "the first"
        lines.append(f"- Also declared at {where}: discovery keeps {keeps}")
    lines.append(f"- Declared: {_where(decl.file, decl.call.span)}")
    return "\n".join(lines)


def app_decl_span(decl: AppDecl) -> Span:
    """The whole ``app = App(...)`` statement (else the call)."""
    call = decl.call.span
    if decl.variable:
        for binding in decl.file.facts.bindings.get(decl.variable, []):
            if binding.value is decl.call:
                return Span(
                    binding.span.start_line, binding.span.start_col, call.end_line, call.end_col
                )
    return call


def app_anchor_span(decl: AppDecl) -> Span:
    """The App's own name in the source: its variable, else its name string, else the call."""
    if decl.variable:
        for binding in decl.file.facts.bindings.get(decl.variable, []):
            if binding.value is decl.call:
                return binding.span
    return decl.name_span


def app_decl_at(app: App, source: SourceFile, line: int, col: int) -> AppDecl | None:
    """The ``App(...)`` whose statement is at (line, col) in ``source``."""
    for decl in app_declarations(app):
        if same_file(decl.file, source) and app_decl_span(decl).contains(line, col):
            return decl
    return None


def resource_at(app: App, source: SourceFile, line: int, col: int) -> Endpoint | None:
    """The app API resource whose decorator, function or class name, route or init marker (or
    route method name) is at (line, col)."""
    for endpoint in app_api_resources(app):
        for target in endpoint.targets:
            if same_file(target.file, source) and (
                target.decorator.span.contains(line, col)
                or target.definition.name_span.contains(line, col)
            ):
                return endpoint
        for route in endpoint.routes:
            handler = route.handler.span if route.handler is not None else None
            if same_file(route.file, source) and (
                route.decorator.span.contains(line, col)
                or (handler is not None and handler.contains(line, col))
            ):
                return endpoint
        for hook in endpoint.inits:
            if same_file(hook.file, source) and (
                hook.decorator.span.contains(line, col) or hook.handler.span.contains(line, col)
            ):
                return endpoint
    return None
