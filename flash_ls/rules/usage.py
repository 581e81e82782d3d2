"""FL6xx: usage hints, what Flash users trip over in practice."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flash_ls import platform as pf
from flash_ls.diagnostic import Related, Severity
from flash_ls.parse.facts import Body, CallSite, Definition
from flash_ls.platform import (
    DEFAULT_WORKERS_MAX,
    GPU_ANY,
    GPU_ANY_VALUE,
    GPU_FALLBACK_MIN_WORKERS,
    GPU_GROUPS_BY_MEMBER,
    GPU_GROUPS_BY_VALUE,
    GPU_TYPES_BY_MEMBER,
    GPU_TYPES_BY_VALUE,
    TYPE_TO_POOL,
)
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import DeclForm, Endpoint, EndpointKind
from flash_ls.project.evaluation import EnumValue, Unknown, evaluate
from flash_ls.rules.registry import Finding, rule
from flash_ls.span import Span

# ---------------------------------------------------------------------------------------------
# FL601


def _pool(item: object) -> str | None:
    """The ``GpuGroup`` pool one ``gpu=`` entry selects; ``ANY`` for any; None when unknown."""
    if isinstance(item, EnumValue):
        if item.member == GPU_ANY:
            return GPU_ANY
        if item.enum == "GpuGroup" and item.member in GPU_GROUPS_BY_MEMBER:
            return item.member
        if item.enum == "GpuType" and item.member in GPU_TYPES_BY_MEMBER:
            return TYPE_TO_POOL.get(item.member)
        return None
    if isinstance(item, str):
        if item == GPU_ANY_VALUE:
            return GPU_ANY
        group = GPU_GROUPS_BY_VALUE.get(item)
        if group is not None:
            return group.member
        model = GPU_TYPES_BY_VALUE.get(item)
        if model is not None:
            return model.pool
    return None


def _max_workers(value: object) -> int | None:
    """Max workers as ``Endpoint`` normalises ``workers=``; None when not statically known."""
    if value is None:
        return DEFAULT_WORKERS_MAX
    if isinstance(value, (bool, int)):
        return int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        upper = value[1]
        if isinstance(upper, (bool, int, float)):
            return int(upper)
    return None


@rule(
    "FL601",
    "gpu-fallback-needs-workers",
    Severity.INFO,
    "Several GPU pools are listed but max workers < "
    f"{GPU_FALLBACK_MIN_WORKERS}, so the platform never falls back",
    app_api=True,
)
def gpu_fallback_needs_workers(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds an endpoint whose `gpu=` list selects two or more GPU pools while its maximum worker
    count is below 5. `workers` defaults to `(0, 1)`, and `workers=n` means `(0, n)`.

    Entries are counted by the pool the platform receives (`gpuIds`): a `GpuGroup` is one pool and
    a `GpuType` counts as its pool, so `[GpuType.NVIDIA_RTX_A4000, GpuType.NVIDIA_RTX_A4500]` (both
    `AMPERE_16`) is one pool and is not reported. `GpuGroup.ANY`/`GpuType.ANY` and the default
    (no `gpu=`) are not reported either: they ask for any GPU rather than list fallbacks.
    Legacy `remote(LiveServerless(gpus=...))` resources are not checked.

    ## Why is this bad
    The platform only switches to another listed GPU type when the preferred one is out of supply
    if the endpoint allows at least 5 workers. Below that, the extra entries are never used: when
    the first choice is unavailable, requests wait in the queue instead of running elsewhere.

    ## Example
    ```python
    @Endpoint(name="sdxl", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24])   # FL601: workers (0, 1)
    async def generate(prompt: str): ...
    ```

    ## Fix
    Allow at least 5 workers (`workers=(0, 5)`), or list a single GPU pool.

    ## App API resources
    Also checks `@app.queue/api(...)` resources of the app API of runpod 2.0: their pools are
    counted as rc2 selects them (a device name or a fragment admits its whole pool, so
    `gpu="A40"` alone is two pools), and `workers` defaults to `(0, 3)` there. Tasks are pods,
    without workers.
    """
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.form is DeclForm.REMOTE or endpoint.kind is EndpointKind.UNUSED:
            continue
        if decl.keyword("id") is not None:
            continue  # an existing endpoint: nothing is deployed from this code
        gpu_kw = decl.keyword("gpu")
        if gpu_kw is None:
            continue
        source = decl.file
        gpu = evaluate(app, source, gpu_kw.value)
        if not isinstance(gpu, list):
            continue  # one enum member, or not statically known
        pools: list[str] = []
        for item in gpu:
            pool = _pool(item)
            if pool == GPU_ANY:
                pools = []
                break
            if pool is not None and pool not in pools:
                pools.append(pool)
        if len(pools) < 2:
            continue
        workers_kw = decl.keyword("workers")
        workers = evaluate(app, source, workers_kw.value) if workers_kw is not None else None
        if isinstance(workers, Unknown):
            continue
        maximum = _max_workers(workers)
        if maximum is None or maximum >= GPU_FALLBACK_MIN_WORKERS:
            continue
        listed = f"GPU pools: {', '.join(pools)}"
        if workers_kw is not None:
            span = workers_kw.value.span
            related: tuple[Related, ...] = (
                Related(source.path, gpu_kw.value.span, "GPU pools listed here"),
            )
        else:
            span = gpu_kw.value.span
            related = ()
            listed += f"; workers defaults to (0, {DEFAULT_WORKERS_MAX})"
        workers = "worker" if maximum == 1 else "workers"
        yield Finding(
            source.path,
            span,
            f"{endpoint.label} lists {len(pools)} GPU pools but at most {maximum} {workers}",
            related=related,
            notes=(
                listed,
                "the platform only falls back to another GPU type with at least "
                f"{GPU_FALLBACK_MIN_WORKERS} max workers: the other pools are never used",
                f"set workers=(0, {GPU_FALLBACK_MIN_WORKERS}) or more, or list a single GPU pool",
            ),
        )
    yield from _app_api_fallbacks(app)


def _app_api_pools(value: object) -> list[str] | None:
    """The pools an app API resource's endpoint selects (rc2's ``gpu_ids_value``); None for any
    GPU or when not statically known."""
    items = value if isinstance(value, list) else [value]
    pools: list[str] = []
    for item in items:
        found: tuple[str, ...] = ()
        if isinstance(item, EnumValue):
            if item.enum == "GpuGroup" and item.member in pf.APP_GPU_POOLS:
                found = (item.member,)
            elif item.enum == "GpuType":
                model = next((t for t in pf.APP_GPU_TYPES if t.member == item.member), None)
                found = (model.pool,) if model is not None and model.pool else ()
            if not found:
                return None  # ANY, or an unknown member (FL706)
        elif isinstance(item, str):
            match = pf.app_resolve_gpu_string(item)
            if match is None or match.rule == "any":
                return None
            found = match.pools
        else:
            return None
        pools.extend(p for p in found if p not in pools)
    return pools


def _app_api_max_workers(value: object) -> int | None:
    """rc2's ``normalize_workers`` maximum; None when not statically known or invalid."""
    if value is None:
        return pf.APP_DEFAULT_WORKERS[1]
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        try:
            return int(value[1])
        except (TypeError, ValueError):
            return None
    return None


def _app_api_fallbacks(app: App) -> Iterator[Finding]:
    """Queue and api resources of the app API of runpod 2.0 (tasks are pods: no workers)."""
    if not app.uses_app_api:
        return
    for endpoint in app.app_api_endpoints:
        if not endpoint.decl.called or endpoint.kind is EndpointKind.TASK:
            continue
        gpu = endpoint.argument("gpu")
        if gpu is None:
            continue
        pools = _app_api_pools(gpu.value)
        if pools is None or len(pools) < 2:
            continue
        workers = endpoint.argument("workers")
        if workers is not None and isinstance(workers.value, Unknown):
            continue
        maximum = _app_api_max_workers(None if workers is None else workers.value)
        if maximum is None or maximum < 1 or maximum >= GPU_FALLBACK_MIN_WORKERS:
            continue  # an invalid range is FL504's
        source = endpoint.decl.file
        listed = f"GPU pools: {', '.join(pools)}"
        if workers is not None:
            span = workers.span
            related: tuple[Related, ...] = (
                Related(source.path, gpu.span, "GPU pools selected here"),
            )
        else:
            span = gpu.span
            related = ()
            listed += f"; workers defaults to {pf.APP_DEFAULT_WORKERS}"
        noun = "worker" if maximum == 1 else "workers"
        yield Finding(
            source.path,
            span,
            f"resource {endpoint.short_label} selects {len(pools)} GPU pools but at most "
            f"{maximum} {noun}",
            related=related,
            notes=(
                listed,
                "the platform only falls back to another GPU type with at least "
                f"{GPU_FALLBACK_MIN_WORKERS} max workers: the other pools are never used",
                f"set workers=(0, {GPU_FALLBACK_MIN_WORKERS}) or more, or select a single pool",
            ),
        )


# ---------------------------------------------------------------------------------------------
# FL602

# Calls whose last attribute loads weights whatever object they are called on.
_LOADER_METHODS = frozenset({"from_pretrained", "from_single_file"})
# (top-level package, final attribute) of functions and classes that load a model.
_LOADERS = frozenset(
    {
        ("transformers", "pipeline"),
        ("torch", "load"),  # torch.load, torch.hub.load, torch.jit.load
        ("joblib", "load"),
        ("safetensors", "load_file"),
        ("sentence_transformers", "SentenceTransformer"),
        ("sentence_transformers", "CrossEncoder"),
        ("whisper", "load_model"),
        ("faster_whisper", "WhisperModel"),
        ("tensorflow", "load_model"),  # tf.keras.models.load_model
        ("keras", "load_model"),
        ("tf_keras", "load_model"),
        ("spacy", "load"),
        ("ultralytics", "YOLO"),
        ("vllm", "LLM"),
        ("llama_cpp", "Llama"),
        ("onnxruntime", "InferenceSession"),
        ("clip", "load"),
        ("open_clip", "create_model"),
        ("open_clip", "create_model_and_transforms"),
        ("timm", "create_model"),
        ("TTS", "TTS"),
        ("easyocr", "Reader"),
        ("paddleocr", "PaddleOCR"),
    }
)
_LOADER_PATHS = frozenset({"tensorflow.saved_model.load"})
_GLOBAL_STATEMENT = re.compile(r"^\s*global\s+\w", re.MULTILINE)


def _body_imports(body: Body) -> dict[str, str | None]:
    """Names bound by imports inside the body -> the dotted thing they name (None: local module)."""
    found: dict[str, str | None] = {}
    for imp in body.imports:
        for name in imp.names:
            if name.name == "*":
                continue
            if imp.level:
                found[name.bound] = None
            elif imp.is_from:
                found[name.bound] = f"{imp.module}.{name.name}"
            elif name.alias:
                found[name.alias] = name.name
            else:
                found[name.bound] = name.bound
    return found


def _qualified(source: SourceFile, definition: Definition, callee: str) -> str | None:
    """``pipe`` -> ``transformers.pipeline`` through the body's and the module's imports."""
    head, _, rest = callee.partition(".")
    tail = f".{rest}" if rest else ""
    local = _body_imports(definition.body)
    if head in local:
        target = local[head]
        return None if target is None else target + tail
    if head not in {use.name for use in definition.body.free_names}:
        return None  # a parameter or a local variable
    module, _, attr = source.facts.qualify(callee).partition(":")
    if not module or module.startswith("."):
        return None
    return f"{module}.{attr}" if attr else module


def _is_loader(source: SourceFile, definition: Definition, call: CallSite) -> bool:
    last = call.callee.rpartition(".")[2]
    if last in _LOADER_METHODS:
        return True
    qualified = _qualified(source, definition, call.callee)
    if qualified is None:
        return False
    if qualified in _LOADER_PATHS:
        return True
    top = qualified.partition(".")[0]
    return (top, qualified.rpartition(".")[2]) in _LOADERS


def _callee_span(source: SourceFile, call: CallSite) -> Span:
    """The callee's name in the call (``AutoModel.from_pretrained``), else the whole call."""
    span = call.span
    lines = source.lines()
    if span.start_line < len(lines):
        line = lines[span.start_line]
        end = span.start_col + len(call.callee)
        if line[span.start_col : end] == call.callee:
            return Span(span.start_line, span.start_col, span.start_line, end)
    return span


def _caches_globally(source: SourceFile, definition: Definition) -> bool:
    """``global model`` in the body: the usual load-once-per-worker cache, which is fine."""
    lines = source.lines()
    text = "\n".join(lines[definition.span.start_line : definition.span.end_line + 1])
    return _GLOBAL_STATEMENT.search(text) is not None


@rule(
    "FL602",
    "model-loaded-per-request",
    Severity.INFO,
    "A queue function loads a model in its body, on every request",
    app_api=True,
)
def model_loaded_per_request(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds a function-form queue endpoint whose body loads a model: `X.from_pretrained(...)`,
    `transformers.pipeline(...)`, `SentenceTransformer(...)`, `torch.load(...)`, `joblib.load(...)`,
    `whisper.load_model(...)`, `tf.keras.models.load_model(...)`, `spacy.load(...)`, `YOLO(...)`,
    `vllm.LLM(...)` and the like (names are followed through imports, also inside the body).
    A function that keeps the model in a `global` is not reported.

    ## Why is this bad
    The deployed handler calls the function once per job, so the whole body runs on every
    request: the weights are read from disk (or downloaded) and moved to the GPU each time, which
    dominates latency and cost. A class endpoint is instantiated once per worker, so a model loaded
    in its `__init__` is reused by every request the worker serves.

    ## Example
    ```python
    @Endpoint(name="embed", gpu=GpuGroup.ADA_24, dependencies=["sentence-transformers"])
    async def embed(texts: list[str]):
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer("all-MiniLM-L6-v2")    # FL602
        return model.encode(texts).tolist()
    ```
    Instead:
    ```python
    @Endpoint(name="embed", gpu=GpuGroup.ADA_24, dependencies=["sentence-transformers"])
    class Embedder:
        def __init__(self):
            from sentence_transformers import SentenceTransformer
            self.model = SentenceTransformer("all-MiniLM-L6-v2")

        async def embed(self, texts: list[str]):
            return self.model.encode(texts).tolist()
    ```

    ## Fix
    Turn the function into a class endpoint: load the model in `__init__`, serve requests from a
    method.

    ## App API resources
    Also checks `@app.queue(...)` functions of the app API of runpod 2.0. There the worker
    imports the whole module once, so the advice is to load the model at module level or in a
    global cache.
    """
    for endpoint in app.endpoints:
        if endpoint.decl.is_client:
            continue
        for target in endpoint.targets:
            definition = target.definition
            if definition.kind != "function":
                continue
            source = target.file
            loads = [call for call in definition.body.calls if _is_loader(source, definition, call)]
            if not loads or _caches_globally(source, definition):
                continue
            first = loads[0]
            more = f" (and {len(loads) - 1} more model loads)" if len(loads) > 1 else ""
            yield Finding(
                source.path,
                _callee_span(source, first),
                f"'{definition.name}' loads a model on every request",
                notes=(
                    f"the handler of {endpoint.label} runs the whole body for each "
                    f"job, {first.callee}(...){more} included",
                    "make it a class endpoint that loads the model once in __init__ and serves "
                    "requests from a method",
                ),
            )
    yield from _app_api_model_loads(app)


def _app_api_model_loads(app: App) -> Iterator[Finding]:
    """``@app.queue`` functions of the app API of runpod 2.0: the worker imports the module once
    and calls the function per job."""
    if not app.uses_app_api:
        return
    for endpoint in app.app_api_endpoints:
        if endpoint.kind is not EndpointKind.QUEUE or not endpoint.targets:
            continue
        finding = _model_load(endpoint)
        if finding is not None:
            yield finding


def _model_load(endpoint: Endpoint) -> Finding | None:
    target = endpoint.targets[0]
    definition = target.definition
    if definition.kind != "function":
        return None
    source = target.file
    loads = [call for call in definition.body.calls if _is_loader(source, definition, call)]
    if not loads or _caches_globally(source, definition):
        return None
    first = loads[0]
    more = f" (and {len(loads) - 1} more model loads)" if len(loads) > 1 else ""
    return Finding(
        source.path,
        _callee_span(source, first),
        f"'{definition.name}' loads a model on every request",
        notes=(
            f"the workers of resource {endpoint.short_label} call the function for each job, "
            f"{first.callee}(...){more} included",
            "load it once per worker: at module level (the worker imports the module once) or "
            "in a global cache the function fills on its first call",
        ),
    )
