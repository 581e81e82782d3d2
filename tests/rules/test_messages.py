"""Messages are one short line: what is wrong, naming what is involved. The why and the
what-to-do are notes.

Editors show the message inline, so it must fit (ruff's bar): under 80 characters, no newline, no
trailing period, no capitalised first word; notes are one line each. Checked over every fixture
app and over apps that trigger every registered rule (FL1xx to FL9xx), with endpoint, function and
file names as long as real apps use.

The same apps pin every finding in full (`tests/rules/snapshots/<app>.txt`): message, severity,
span, notes, related locations, fix and suppression edits. A change to what a rule reports shows
there as a diff; when it is meant, rewrite them with
`FLASH_LS_UPDATE_SNAPSHOTS=1 pytest tests/rules/test_messages.py` and review the diff. (The rule
tests assert what matters for each case; the snapshots catch the rest, which mutation testing
showed they left unchecked: docs/reliability.md.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from apps import check, load_app, sparse, write_app

from flash_ls.diagnostic import Diagnostic, Fix
from flash_ls.platform import BYTES_PER_MB
from flash_ls.project import sizes
from flash_ls.project.sizes import native_platform
from flash_ls.rules.engine import check_app
from flash_ls.rules.registry import all_rules
from flash_ls.span import Span

FIXTURE_APPS = Path(__file__).parents[2] / "fixtures" / "apps"
SNAPSHOTS = Path(__file__).parent / "snapshots"
MAX_MESSAGE = 80

# Names as long as the flash-examples ones (`03_gpu_inference`): the fixed part of every message
# must leave room for them.
NAME = "03_gpu_inference"

# Every SDK name the FL4xx-FL9xx apps use; the FL1xx-FL3xx apps import only what they use.
HEADER = (
    "from runpod_flash import (Endpoint, GpuGroup, GpuType, CpuInstanceType, DataCenter, "
    "CudaVersion, NetworkVolume, PodTemplate, ServerlessScalerType, LiveServerless, "
    "CpuLiveServerless, remote)\n"
)
SDK = "from runpod_flash import Endpoint, GpuGroup, LiveLoadBalancer, remote\n"


def endpoints(*decorators: str) -> str:
    """A module with one async endpoint function per decorator argument list."""
    parts = [HEADER]
    for index, args in enumerate(decorators):
        parts.append(f"\n@Endpoint({args})\nasync def work_{index}(x: int):\n    return x\n")
    return "".join(parts)


TRIGGERS: dict[str, dict[str, str | bytes]] = {
    # -- FL1xx identity, FL2xx routes, FL3xx imports
    "identity": {
        "text_to_speech_worker.py": SDK
        + f'\n@Endpoint(name="{NAME}", gpu=GpuGroup.ADA_24)\n'
        + "async def generate_speech_from_text(text: str):\n    return text\n"
        + f'\n@Endpoint(name="{NAME}")\n'
        + "async def list_available_voices():\n    return []\n"
        + "\nspeak_alias = generate_speech_from_text\n"
        + f'\nunused_endpoint = Endpoint(name="{NAME}_unused")\n'
        + f'\n@Endpoint(name="{NAME}/models")\ndef bad_name(): ...\n'
        + '\n@Endpoint(name="")\ndef empty_name(): ...\n'
        + f'\n@Endpoint(name="{NAME}-fb")\ndef flashboot_name(): ...\n'
        + '\nremote_client = Endpoint(id="abc123")\n'
        + "\n@remote_client\ndef decorated_by_client(): ...\n"
        + '\n@remote_client.post("/generate")\ndef routed_by_client(): ...\n'
        + f'\nboth = Endpoint(name="{NAME}_both", id="abc", image="me/img:1")\n'
        + 'nameless = Endpoint(image="me/img:1")\n'
        + f'\nmixed_api = Endpoint(name="{NAME}_mixed")\n'
        + '\n@mixed_api.post("/generate")\ndef mixed_route(): ...\n'
        + "\n@mixed_api\ndef mixed_queue(): ...\n",
        "inference/other_speech_worker.py": SDK
        + f'\n@Endpoint(name="{NAME}")\ndef generate_speech_from_text(): ...\n',
        "kinds/queue_kind.py": SDK + f'\n@Endpoint(name="{NAME}_kinds")\ndef queue_kind(): ...\n',
        "kinds/lb_kind.py": SDK
        + f'\nkind_api = Endpoint(name="{NAME}_kinds")\n'
        + '\n@kind_api.get("/status")\ndef lb_kind(): ...\n',
        "services/common_endpoints.py": SDK + f'\nshared_api = Endpoint(name="{NAME}_lb")\n',
        "services/inference_routes.py": "from services.common_endpoints import shared_api\n"
        + '\n@shared_api.post("/classify")\nasync def classify_text(text: str):\n    return text\n',
    },
    "routes": {
        "load_balancer_routes.py": SDK
        + f'\nrouted_api = Endpoint(name="{NAME}_api")\n'
        + '\n@routed_api.get("/items/{item_identifier}")\ndef get_item_by_id(item_identifier: str): ...\n'
        + '\n@routed_api.get("/items/{item_identifier}")\ndef read_item_again(): ...\n'
        + '\n@routed_api.get("/items/current_user")\ndef zz_current_user(): ...\n'
        + '\n@routed_api.get("/ping")\ndef ping_handler(): ...\n'
        + '\n@routed_api.post("generate_embeddings_for_text")\ndef missing_slash(): ...\n'
        + '\n@routed_api.post(f"/{NAME}/generate")\ndef dynamic_path(): ...\n'
        + "\n@routed_api.post(12345)\ndef numeric_path(): ...\n"
        + "\n@routed_api.post()\ndef no_path_given(): ...\n"
        + '\n@routed_api.head("/health")\ndef head_method(): ...\n'
        + '\n@routed_api.post("/extra", {"payload": "value"}, timeout=30, retries=3)\n'
        + "def with_extra_arguments(): ...\n"
        + '\nunnamed_api = Endpoint(cpu="cpu3c-1-2")\n'
        + '\n@unnamed_api.post("/classify_long_document_text")\ndef unnamed_a(): ...\n'
        + '\n@unnamed_api.post("/summarize")\ndef unnamed_b(): ...\n'
        + '\n@remote(LiveLoadBalancer(name="legacy_load_balancer"), method="post", path="/x")\n'
        + "async def legacy_route(): ...\n",
    },
    "imports": {
        "gpu_image_worker.py": "import numpy, pandas, sentence_transformers\n"
        + "from image_tools import resize_image_helper\n"
        + "from preprocessing_workers import preprocess_document_text\n"
        + "from service_package import service_endpoint\n"
        + "import service_package\n"
        + SDK
        + "\nPIPELINE_MODEL_IDENTIFIER = 'x'\n"
        + "DEPENDENCY_LIST = ['pandas']\n"
        + "EP = Endpoint\n"
        + f'\n@EP(name="{NAME}_alias", dependencies=["pandas"])\n'
        + "def alias_declared(): ...\n"
        + f'\nannotated_api: Endpoint = Endpoint(name="{NAME}_note", dependencies=["x"])\n'
        + '\n@annotated_api.post("/x")\ndef annotated_route(): ...\n'
        + '\n@service_package.service_endpoint.get("/y")\ndef attribute_route(): ...\n'
        + f'\n@Endpoint(name="{NAME}", cpu="cpu3c-1-2",\n'
        + '    dependencies=["torch", "numpy>=", "pillow  # imaging", DEPENDENCY_LIST[0]])\n'
        + "async def generate_image_embeddings(url: str):\n"
        + "    import sklearn.linear_model\n"
        + "    import torchaudio\n"
        + "    return numpy, resize_image_helper(url), PIPELINE_MODEL_IDENTIFIER, sklearn\n"
        + f'\n@Endpoint(name="{NAME}_deps", dependencies=DEPENDENCY_LIST)\n'
        + "def variable_dependencies(): ...\n"
        + f'\n@Endpoint(name="{NAME}_thumbnails", cpu="cpu3c-1-2")\n'
        + "def make_image_thumbnails():\n"
        + "    from sklearn.preprocessing import normalize\n"
        + "    return normalize\n",
        "image_tools.py": "def resize_image_helper(url):\n    return url\n",
        "preprocessing_workers.py": SDK
        + f'\n@Endpoint(name="{NAME}_pre")\ndef preprocess_document_text(): ...\n',
        "service_package/__init__.py": "from .endpoints import service_endpoint\n",
        "service_package/endpoints.py": SDK
        + f'\nservice_endpoint = Endpoint(name="{NAME}_service")\n',
    },
    # -- FL4xx-FL6xx configuration and usage, FL9xx analysis
    "gpu": {
        "worker.py": endpoints(
            f'name="{NAME}a", gpu=GpuGroup.ADA_24, cpu="cpu3c-1-2"',
            f'name="{NAME}b", gpu=GpuType.NVIDIA_GEFORCE_RTX_4900',
            f'name="{NAME}c", gpu="ADA_24"',
            f'name="{NAME}d", gpu="RTX 9999"',
            f'name="{NAME}e", gpu=[]',
            f'name="{NAME}f", gpu=(GpuGroup.ADA_24,)',
            f'name="{NAME}g", gpu=GpuGroup',
            f'name="{NAME}h", gpu=["NVIDIA_L4", "H100", 3]',
            f'name="{NAME}i", gpu=3',
            f'name="{NAME}j", gpu=DataCenter.EU_RO_1',
            f'name="{NAME}k", gpu=GpuGroup.NVIDIA_L4',
            f'name="{NAME}l", gpu=GpuGroup.NOT_A_GPU_AT_ALL_REALLY',
        )
    },
    "cpu": {
        "worker.py": endpoints(
            f'name="{NAME}a", cpu="CPU3C_1_2"',
            f'name="{NAME}b", cpu=CpuInstanceType.CPU3C_1_3',
            f'name="{NAME}c", cpu=CpuInstanceType.cpu3c_1_2',
            f'name="{NAME}d", cpu=[]',
            f'name="{NAME}e", cpu=3',
            f'name="{NAME}f", cpu=CpuInstanceType',
            f'name="{NAME}g", cpu=("cpu3c-1-2",)',
            f'name="{NAME}h", cpu=["cpu9x-1-1", DataCenter.EU_RO_1]',
            f'name="{NAME}i", cpu="cpu3c-1-2", datacenter=DataCenter.US_CA_2',
            f'name="{NAME}j", cpu="cpu3c-1-2", template=PodTemplate(containerDiskInGb=50)',
        )
    },
    "workers_and_timeouts": {
        "worker.py": endpoints(
            f'name="{NAME}a", workers=(3, 1)',
            f'name="{NAME}b", workers=-1',
            f'name="{NAME}c", workers=(0, -2)',
            f'name="{NAME}d", workers=(1, 2, 3)',
            f'name="{NAME}e", workers=(0, "many")',
            f'name="{NAME}f", idle_timeout=0',
            f'name="{NAME}g", idle_timeout=1.5',
            f'name="{NAME}h", max_concurrency=0',
            f'name="{NAME}i", min_cuda_version="12.10"',
            f'name="{NAME}j", min_cuda_version="V12_8"',
            f'name="{NAME}k", min_cuda_version=12.8',
            f'name="{NAME}l", min_cuda_version=CudaVersion.V12_10',
            f'name="{NAME}m", min_cuda_version=CudaVersion.NOPE',
            f'name="{NAME}n", min_cuda_version=[12]',
        )
    },
    "datacenters_env_arguments": {
        "worker.py": endpoints(
            f'name="{NAME}a", datacenter=DataCenter.US_GA_2',
            f'name="{NAME}b", datacenter=DataCenter.eu_ro_1',
            f'name="{NAME}c", datacenter=DataCenter.NOWHERE_AT_ALL',
            f'name="{NAME}d", datacenter=["us_ga_1", "MOON-1", 5]',
            f'name="{NAME}e", env={{"BATCH": 8, 1: "x", "LIST": [1]}}',
            f'name="{NAME}f", env=["A=1"]',
            f'name="{NAME}g", idle_timout=120',
            f'"{NAME}h", "extra", python_version="3.11"',
            f'name="{NAME}i", gpu=GpuGroup.ADA_24, gpu_count=2, execution_timeout_ms=5000, '
            "flashboot=False, template=PodTemplate(containerDiskInGb=80), "
            'system_dependencies=["ffmpeg"], accelerate_downloads=False',
        )
        + '\n@remote(LiveServerless(name="legacy_gpu_worker"), depends=["numpy"])\n'
        "async def legacy(x: int):\n    return x\n",
    },
    "volumes": {
        "storage.py": HEADER + '\nshared = NetworkVolume(name="shared_model_cache", size=5000)\n',
        "worker.py": HEADER
        + "from storage import shared\n\n"
        + 'a = NetworkVolume(name="model_cache_a")\n'
        + 'b = NetworkVolume(name="model_cache_b", datacenter=DataCenter.EU_RO_1)\n'
        + 'c = NetworkVolume(name="model_cache_c", datacenter=DataCenter.US_CA_2)\n'
        + 'd = NetworkVolume("positional", name=" ", sise=3)\n'
        + "e = NetworkVolume(size=20, colour=1)\n"
        + endpoints(
            f'name="{NAME}a", volume=[]',
            f'name="{NAME}b", volume=(a,)',
            f'name="{NAME}c", gpu=GpuGroup.ADA_24, datacenter=DataCenter.EU_RO_1, volume=[a, b, c]',
            f'name="{NAME}d", volume=[d, "x"]',
            f'name="{NAME}e", volume="x"',
            f'name="{NAME}f", volume=[e, shared]',
        ).removeprefix(HEADER),
    },
    "concurrency": {
        "worker.py": HEADER
        + f'\n@Endpoint(name="{NAME}a", max_concurrency=4)\n'
        + "def resize_image(x: int):\n    return x\n"
        + f'\n@Endpoint(name="{NAME}b", max_concurrency=2)\n'
        + "class SentimentModel:\n"
        + "    async def predict(self, text: str):\n        return text\n"
        + "    def info(self):\n        return {}\n"
        + "    def health(self):\n        return {}\n",
        "api.py": HEADER
        + f'\napi = Endpoint(name="{NAME}c", max_concurrency=8, '
        + "scaler_type=ServerlessScalerType.QUEUE_DELAY)\n\n"
        + '@api.post("/run")\nasync def run(x: int):\n    return x\n',
    },
    "usage": {
        "worker.py": HEADER
        + f'\n@Endpoint(name="{NAME}a", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24])\n'
        + "async def generate(prompt: str):\n    return prompt\n"
        + f'\n@Endpoint(name="{NAME}b", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_80], '
        + "workers=(0, 3))\n"
        + "async def generate_speech_from_text(prompt: str):\n"
        + "    from diffusers import StableDiffusionXLPipeline\n"
        + '    pipe = StableDiffusionXLPipeline.from_pretrained("stabilityai/sdxl")\n'
        + '    other = StableDiffusionXLPipeline.from_pretrained("stabilityai/refiner")\n'
        + "    return pipe(prompt), other\n"
    },
    # -- FL7xx the app API of runpod 2.0 (runpod.App)
    "app_api": {
        "requirements.txt": "torch==2.3.1\n",
        "main.py": f'import runpod\n\napp = runpod.App("{NAME}")\n'
        + f'\n@app.queue(name="{NAME}", cpu="cpu3c-1-2")\ndef generate_speech_from_text(): ...\n'
        + f'\n@app.task(name="{NAME}")\ndef list_available_voices(): ...\n'
        + "\n@app.queue\ndef bare_decorator(): ...\n"
        + f'\n@app.queue("{NAME}_positional")\ndef positional_name(): ...\n'
        + f'\n@app.queue(name="{NAME}_small", gpu="A40")\ndef embed_text(): ...\n'
        + f'\n@app.queue(name="{NAME}_large", gpu="A100X")\ndef embed_text(): ...\n'
        + "\n@app.api(gpu=runpod.GpuGroup.ADA_24)\nclass InferenceService:\n"
        + '    @runpod.get("/items/special_offers")\n    def special_offers(self): ...\n\n'
        + '    @runpod.get("/items/{item_identifier}")\n'
        + "    def get_item(self, item_identifier: str): ...\n\n"
        + '    @runpod.get("/ping")\n    def health_check(self): ...\n'
        + "\n\ndef make_worker():\n"
        + f'    @app.queue(name="{NAME}_inner", cpu="cpu3c-1-2")\n'
        + "    def inner(): ...\n\n    return inner\n",
        "workers.py": "from main import app\n"
        + f'\n@app.queue(name="{NAME}_workers", cpu="cpu3c-1-2")\n'
        + "def transcribe_audio_file(): ...\n",
        "second_app.py": f'from runpod import App\n\nsecond = App("{NAME}")\n',
        # The FL3xx-FL6xx rules that carry over to app API resources (one App of its own).
        "zz_carried.py": "import pandas\nimport runpod\n"
        + f'\ncarried = runpod.App("{NAME}_carried")\n'
        + f'\n@carried.queue(name="{NAME}_mixed", gpu="L4", cpu="cpu3c-1-2")\n'
        + "def mixed_hardware(): ...\n"
        + f'\n@carried.queue(name="{NAME}_cpu", cpu=["CPU3C-1-2", ""], workers=(3, 1),\n'
        + '    max_concurrency=0, min_cuda_version="12.4", datacenter=["eu_ro_1", "mars-1"],\n'
        + '    dependencies="pandas", idle_timout=5)\ndef cpu_worker(): ...\n'
        + f'\n@carried.task(name="{NAME}_task", model="a/b", min_cuda_version="12.10",\n'
        + '    dependencies=["numpy>="], mounts={"/data": runpod.NetworkVolume("models"),\n'
        + '    "/data/cache": runpod.GlobalVolume("cache")})\ndef train_model(): ...\n'
        + f'\n@carried.queue(name="{NAME}_embed", gpu=["L4", "A100"], dependencies=["pandas"])\n'
        + "def embed_texts(texts: list):\n"
        + "    from sentence_transformers import SentenceTransformer\n"
        + '    return SentenceTransformer("all-MiniLM-L6-v2").encode(texts)\n',
        "tests/carried_worker.py": f'import runpod\n\ntested = runpod.App("{NAME}_tests")\n'
        + f'\n@tested.queue(name="{NAME}_in_tests", gpu="L4")\ndef in_tests(): ...\n',
    },
    "analysis": {
        "broken.py": HEADER + "\n@Endpoint(name='broken')\ndef broken(x:\n    return x\n",
        "tests/test_broken.py": "import os,\n",
        "undecodable.py": b"x = '\xe9t\xe9'\n",
        "gpu.py": HEADER + '\ngpu = LiveServerless(name="gpu_worker", python_version="3.11")\n'
        "\n@remote(gpu)\nasync def gpu_work(x: int):\n    return x\n",
        "cpu.py": HEADER + '\ncpu = CpuLiveServerless(name="cpu_worker", python_version="3.12")\n'
        "\n@remote(cpu)\nasync def cpu_work(x: int):\n    return x\n",
        "old.py": HEADER + '\nold = LiveServerless(name="old_worker", python_version="3.9")\n'
        'floaty = LiveServerless(name="float_worker", python_version=3.11)\n'
        "\n@remote(old)\nasync def old_work(x: int):\n    return x\n"
        "\n@remote(floaty)\nasync def float_work(x: int):\n    return x\n",
        "runtime.py": HEADER
        + "\nOPTIONS = load_options_from_somewhere()\nARGS = load_args()\n"
        + endpoints(
            'name=make_endpoint_name("worker", suffix=compute_suffix())',
            f'name="{NAME}b", **OPTIONS',
            f'"{NAME}c", *ARGS',
            f'name="{NAME}d", execution_timeout_ms=compute_execution_timeout(60_000)',
        ).removeprefix(HEADER),
    },
}
SIZE_APPS = {"budget_over": 1600, "budget_near": 1300}


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    sizes.clear_caches()
    yield
    sizes.clear_caches()


def build(root: Path, name: str) -> Path:
    """Write trigger app ``name`` under ``root``."""
    if name in SIZE_APPS:
        write_app(
            root,
            {
                "worker.py": endpoints(f'name="{NAME}", cpu="cpu3c-1-2"'),
                ".flashignore": "data/\n",
                ".gitignore": "lib/\n",
                "lib/preprocess.py": "def clean(x):\n    return x\n",
                "tests/worker.py": endpoints(f'name="{NAME}_in_tests"'),
                "pipeline.py": "from lib.preprocess import clean\n",
            },
        )
        sparse(root / "checkpoints" / "stable-diffusion-v1-5.ckpt", SIZE_APPS[name] * BYTES_PER_MB)
        return root
    return write_app(root, TRIGGERS[name])


def assert_short(diagnostic: Diagnostic) -> None:
    message = diagnostic.message
    where = f"{diagnostic.code}: {message!r}"
    assert len(message) < MAX_MESSAGE, where
    assert "\n" not in message and message == message.strip() and not message.endswith("."), where
    first = message.split()[0]
    assert not (first[0].isupper() and first[1:].islower()), f"{where}: starts with a capital"
    for note in diagnostic.notes:
        assert note and "\n" not in note and not note.endswith("."), f"{where}: note {note!r}"


@pytest.mark.parametrize("app", sorted(p.name for p in FIXTURE_APPS.iterdir() if p.is_dir()))
def test_fixture_app_messages_are_one_short_line(app: str) -> None:
    for diagnostic in check_app(load_app(FIXTURE_APPS / app)):
        assert_short(diagnostic)


def test_every_registered_rule_is_triggered_with_short_messages(tmp_path: Path) -> None:
    seen: set[str] = set()
    for name in [*TRIGGERS, *SIZE_APPS]:
        for diagnostic in check(build(tmp_path / name, name)):
            assert_short(diagnostic)
            seen.add(diagnostic.code)
    assert {r.code for r in all_rules()} - seen == set()


# -- every finding in full ------------------------------------------------------------------------


def _where(root: Path, path: Path, span: Span) -> str:
    rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    return f"{rel}:{span.start_line}:{span.start_col}-{span.end_line}:{span.end_col}"


def _fix_lines(root: Path, label: str, fix: Fix) -> list[str]:
    lines = [f"  {label} (safe={fix.safe!r}): {fix.message}"]
    lines += [f"    edit {_where(root, e.path, e.span)} {e.new_text!r}" for e in fix.edits]
    return lines


def render(root: Path, diagnostics: list[Diagnostic]) -> str:
    """Every finding in full, positions 0-based, paths relative to the app."""
    lines = []
    for d in sorted(diagnostics, key=lambda d: (d.sort_key(), d.message)):
        lines.append(f"{_where(root, d.path, d.span)} {d.code} {d.slug} {d.severity.label}")
        lines.append(f"  {d.message}")
        lines += [f"  note: {note}" for note in d.notes]
        lines += [f"  related {_where(root, r.path, r.span)}: {r.message}" for r in d.related]
        if d.fix is not None:
            lines += _fix_lines(root, "fix", d.fix)
        for alternative in d.alternatives:
            lines += _fix_lines(root, "alternative", alternative)
    # The size estimates name the machine they are for.
    return "\n".join(lines).replace(native_platform(), "<this platform>") + "\n"


def _snapshot_cases() -> list[str]:
    fixtures = sorted(f"fixture-{p.name}" for p in FIXTURE_APPS.iterdir() if p.is_dir())
    return [*TRIGGERS, *SIZE_APPS, *fixtures]


@pytest.mark.parametrize("case", _snapshot_cases())
def test_every_finding_in_full_matches_its_snapshot(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache of its own: resolutions other tests left in the session's cache would show.
    monkeypatch.setenv("FLASH_LS_CACHE_DIR", str(tmp_path / "cache"))
    if case.startswith("fixture-"):
        root = FIXTURE_APPS / case.removeprefix("fixture-")
    else:
        root = build(tmp_path / "app", case)
    text = render(root, check_app(load_app(root)))
    snapshot = SNAPSHOTS / f"{case}.txt"
    if os.environ.get("FLASH_LS_UPDATE_SNAPSHOTS") == "1":
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(text)
    assert snapshot.is_file(), f"no snapshot {snapshot.name}: run with FLASH_LS_UPDATE_SNAPSHOTS=1"
    assert text == snapshot.read_text(), (
        f"{case}: findings differ from {snapshot.name}; if that is meant, rewrite it with "
        "FLASH_LS_UPDATE_SNAPSHOTS=1"
    )
