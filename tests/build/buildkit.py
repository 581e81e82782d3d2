"""Helpers of the build tests: the apps both tools build, and how to build them with flash-ls."""

from __future__ import annotations

import json
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from flash_ls.build.api import BuildOptions, BuildResult, build_app
from flash_ls.progress import SilentProgress
from flash_ls.project.workspace import Workspace

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"
PARITY_APPS = (
    "hello_world",
    "cpu_worker",
    "mixed_workers",
    "load_balancer",
    "class_worker",
    "async_concurrency",
    "network_volume",
)
OFFICIAL_ENV = {
    "FLASH_NO_UPDATE_CHECK": "1",
    "CI": "1",
    "RUNPOD_FLASH_SILENCE_DEPRECATION": "1",
}
# Variables that change what a build produces; cleared unless a run sets them.
BUILD_ENV = (
    "FLASH_IMAGE_TAG",
    "FLASH_GPU_IMAGE",
    "FLASH_CPU_IMAGE",
    "FLASH_LB_IMAGE",
    "FLASH_CPU_LB_IMAGE",
    "RUNPOD_DEFAULT_LOCATIONS",
    "RUNPOD_DEFAULT_DATACENTER",
    "FLASH_IS_LIVE_PROVISIONING",
    "RUNPOD_ENDPOINT_ID",
    "RUNPOD_POD_ID",
    "RUNPOD_API_KEY",
    "SOURCE_DATE_EPOCH",
    "VIRTUAL_ENV",
)

# An app that exercises what the fixture apps do not: aliases, constants from other files, legacy
# remote(), client-mode endpoints, volumes, templates, unnamed endpoints, a subdirectory.
EDGE_APP: dict[str, str] = {
    "__init__.py": "",
    "common.py": """
        from runpod_flash import DataCenter, GpuGroup, NetworkVolume

        GPUS = [GpuGroup.AMPERE_48, GpuGroup.ADA_80_PRO]
        VOLUME = NetworkVolume(name="edge-shared", datacenter=DataCenter.US_KS_2)
        ENV = {"MODE": "edge", "LEVEL": "3"}
        """,
    "aliases.py": """
        import runpod_flash as rf
        from runpod_flash import CudaVersion, DataCenter, GpuGroup, GpuType
        from runpod_flash import Endpoint as EP

        from common import ENV, GPUS


        @rf.Endpoint(name="edge-alias-rf", gpu=GPUS, min_cuda_version=CudaVersion.V12_4, env=ENV)
        async def alias_rf(x: int) -> int:
            return x + 1


        worker = EP(
            name="edge-alias-ep-fb",
            gpu=[GpuType.NVIDIA_L4, GpuType.NVIDIA_RTX_A5000, GpuGroup.AMPERE_80],
            datacenter=["us-ks-2", DataCenter.EU_RO_1],
            scaler_value=0,
            min_cuda_version="12.6",
        )
        also_worker = worker


        @worker
        def alias_ep(x: int) -> int:
            return x * 2
        """,
    "cpu_variants.py": """
        from runpod_flash import CpuInstanceType, Endpoint, PodTemplate


        @Endpoint(
            name="edge-cpu-list",
            cpu=["cpu5c-2-4", CpuInstanceType.CPU3G_4_16],
            template=PodTemplate(containerDiskInGb=64, dockerArgs="--shm-size=1g"),
            datacenter="EU_RO_1",
            workers=[1, 2],
        )
        def cpu_list(n: int) -> int:
            return n


        @Endpoint(
            name="edge-cpu-small-disk",
            cpu=CpuInstanceType.CPU5C_8_16,
            template=PodTemplate(containerDiskInGb=12, startScript="echo hi", advancedStart=True),
            env={},
            idle_timeout=3600,
        )
        class CpuSmall:
            def run(self, n: int) -> int:
                return n

            def _helper(self) -> int:
                return 0

            @staticmethod
            def version() -> str:
                return "1"

            @property
            def ready(self) -> bool:
                return True

            # a comment between the decorator and the def
            @classmethod
            # and another
            def create(cls) -> "CpuSmall":
                return cls()

            async def stream(self, n: int) -> int:
                return n
        """,
    "volumes.py": """
        from runpod_flash import DataCenter, Endpoint, NetworkVolume

        from common import VOLUME


        @Endpoint(
            name="edge-volumes",
            datacenter=[DataCenter.US_KS_2, DataCenter.EU_RO_1],
            volume=[VOLUME, NetworkVolume(id="vol-123", datacenter=DataCenter.EU_RO_1, size=None)],
        )
        async def with_volumes() -> dict:
            return {}
        """,
    "clients.py": """
        from runpod_flash import Endpoint, GpuGroup

        external = Endpoint(
            name="edge-client", image="org/img:1.0", gpu=GpuGroup.ADA_24, max_concurrency=3
        )
        existing = Endpoint(id="abc123")
        """,
    "lb_paths.py": """
        from runpod_flash import Endpoint, GpuGroup, ServerlessScalerType

        api = Endpoint(
            name="edge-lb-gpu",
            gpu=GpuGroup.ANY,
            scaler_type=ServerlessScalerType.REQUEST_COUNT,
            max_concurrency=5,
            workers=4,
        )


        @api.patch("/items/{item_id}")
        async def patch_item(item_id: int, name: str) -> dict:
            return {"item_id": item_id, "name": name}


        @api.put("/items/{item_id}")
        def put_item(item_id: int, name: str = "x") -> dict:
            return {"item_id": item_id, "name": name}


        @api.delete("/ping/")
        def not_reserved() -> dict:
            return {}
        """,
    "legacy.py": """
        from runpod_flash import CpuInstanceType, CpuLiveServerless, GpuGroup, LiveServerless, remote

        gpu_config = LiveServerless(name="edge-legacy-gpu", gpus=[GpuGroup.ADA_24], workersMax=2)


        @remote(gpu_config)
        async def legacy_fn(x: int) -> int:
            return x


        @remote(CpuLiveServerless(name="edge-legacy-cpu", instanceIds=[CpuInstanceType.CPU3C_1_2]))
        def legacy_cpu(x: int) -> int:
            return x
        """,
    "unnamed.py": """
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(gpu=GpuGroup.AMPERE_16)
        async def unnamed_fn() -> str:
            return "ok"


        @Endpoint(gpu=GpuGroup.AMPERE_24, flashboot=False)
        class Unnamed_Class_fb:
            async def go(self) -> str:
                return "ok"
        """,
    "caller.py": """
        from runpod_flash import CpuInstanceType, Endpoint


        @Endpoint(name="edge-caller", cpu=CpuInstanceType.CPU3C_1_2)
        async def caller(x: int) -> int:
            import aliases
            from unnamed import unnamed_fn as other

            await other()
            return await aliases.alias_rf(x)


        @Endpoint(name="edge-caller-direct", cpu=CpuInstanceType.CPU3C_1_2)
        async def caller_direct() -> int:
            from aliases import alias_ep

            return await alias_ep(1)


        @Endpoint(name="edge-self", cpu=CpuInstanceType.CPU3C_1_2)
        async def self_recursive(n: int) -> int:
            if n:
                return await self_recursive(n - 1)
            return 0
        """,
    "api_defs.py": """
        from runpod_flash import Endpoint

        shared_api = Endpoint("edge-split-api", cpu="cpu3c-2-4", dependencies=["tinydep"])
        """,
    "api_routes.py": """
        from api_defs import shared_api as api


        @api.get("/version")
        def version() -> dict:
            return {"version": 1}


        @api.post("/echo")
        async def echo(message: str) -> dict:
            return {"message": message}
        """,
    "shared_name.py": """
        from runpod_flash import Endpoint, GpuGroup, GpuType


        @Endpoint(name="edge-two-configs", gpu=GpuGroup.AMPERE_80, workers=(0, 3))
        async def zeta_first_in_source(x: int) -> int:
            return x


        @Endpoint(name="edge-two-configs", gpu=GpuType.ANY)
        async def alpha_second_in_source(x: int) -> int:
            return x


        unnamed = Endpoint(gpu=GpuGroup.ADA_24)


        @unnamed
        def named_by_first(x: int) -> int:
            return x


        @unnamed
        def also_served_by_it(x: int) -> int:
            return x
        """,
    "pkg/__init__.py": "",
    "pkg/helpers.py": "IDLE = 20\n",
    "pkg/relative.py": """
        from runpod_flash import Endpoint

        from .helpers import IDLE


        @Endpoint(name="edge-relative", cpu="cpu3c-1-2", idle_timeout=IDLE)
        def relative(x: int) -> int:
            return x
        """,
    "subdir/worker.py": """
        from runpod_flash import Endpoint, GpuType


        @Endpoint(name="edge-subdir", gpu=GpuType.NVIDIA_H200)
        async def deep(x: int) -> int:
            return x
        """,
}


@dataclass(frozen=True)
class Run:
    """One app built by both tools: where it comes from, the build environment and flags."""

    app: str  # directory name (the manifest's project_name)
    source: Path | dict[str, str]
    env: dict[str, str] = field(default_factory=dict)
    python_version: str | None = None


RUNS: dict[str, Run] = {
    **{name: Run(name, FIXTURES / name) for name in PARITY_APPS},
    "hello_world@env": Run(
        "hello_world",
        FIXTURES / "hello_world",
        {
            "FLASH_GPU_IMAGE": "registry.example/flash-gpu:dev",
            "RUNPOD_DEFAULT_LOCATIONS": "EU-RO-1,US-KS-2",
        },
        python_version="3.11",
    ),
    "mixed_workers@env": Run(
        "mixed_workers",
        FIXTURES / "mixed_workers",
        {
            "FLASH_IMAGE_TAG": "2.0.0",
            "RUNPOD_DEFAULT_DATACENTER": "EU-RO-1",
            "FLASH_CPU_LB_IMAGE": "registry.example/lb-cpu:dev",
        },
    ),
    "edge": Run("edge", EDGE_APP, {"FLASH_IMAGE_TAG": "1.2.3", "FLASH_CPU_IMAGE": "custom/cpu:7"}),
}


def materialise(run: Run, parent: Path) -> Path:
    """A fresh copy of the run's app under ``parent/<app>``."""
    root = parent / run.app
    if isinstance(run.source, Path):
        shutil.copytree(run.source, root, ignore=shutil.ignore_patterns(".flash", "__pycache__"))
    else:
        root.mkdir(parents=True)
        (root / "pyproject.toml").write_text(f'[project]\nname = "{run.app}"\n')
        for rel, text in run.source.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


# py-cpuinfo starts a second interpreter when `runpod` imports it (1.4 s per process, to name the
# CPU in debug logs). The official build never uses it; tests put this stand-in first on the path.
CPUINFO_STANDIN = (
    "def get_cpu_info():\n    return {'brand_raw': 'test', 'arch': 'X86_64', 'count': 1}\n"
)


def speedups(parent: Path) -> str:
    """A directory to put first on PYTHONPATH of subprocesses that import runpod."""
    folder = parent / "standins"
    folder.mkdir(exist_ok=True)
    (folder / "cpuinfo.py").write_text(CPUINFO_STANDIN)
    return str(folder)


@dataclass
class OfficialBuild:
    root: Path
    returncode: int
    output: str
    manifest: dict | None

    @property
    def artifact(self) -> Path:
        return self.root / ".flash" / "artifact.tar.gz"


@dataclass
class OurBuild:
    root: Path
    result: BuildResult

    @property
    def manifest(self) -> dict:
        return json.loads(Path(self.result.manifest_path).read_text())

    @property
    def artifact(self) -> Path:
        return Path(self.result.artifact_path)


def build(
    root: Path, options: BuildOptions | None = None, environ: dict[str, str] | None = None
) -> BuildResult:
    """Build the app at ``root`` with flash-ls (a fresh workspace, so nothing is cached)."""
    workspace = Workspace([root], environ=dict(environ or {}))
    return build_app(workspace.app(root), options or BuildOptions(no_deps=True), SilentProgress())
