"""The endpoint model: one object per declaration, its traits computed once and read by all."""

from __future__ import annotations

from pathlib import Path

from apps import load_app, write_app

from flash_ls import platform
from flash_ls.project.endpoint_model import Endpoint, EndpointKind
from flash_ls.project.evaluation import EnumValue, Unknown


def by_key(root: Path) -> dict[str, Endpoint]:
    return {e.key: e for e in load_app(root).endpoints}


def test_names_given_derived_and_unknown(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "main.py": """
            from runpod_flash import Endpoint, GpuType

            @Endpoint(name="given", gpu=GpuType.NVIDIA_L4)
            def one(x): ...

            @Endpoint(gpu=GpuType.NVIDIA_L4)
            def derived(x): ...

            @Endpoint(name=None)
            def none_is_derived(x): ...

            @Endpoint(name=make_name())
            def runtime(x): ...

            api = Endpoint(name="api", cpu="cpu3c-1-2")

            @api.post("/x")
            def route(x): ...
            """
        },
    )
    endpoints = by_key(tmp_path)
    assert set(endpoints) == {"given", "derived", "none_is_derived", "make_name()", "api"}
    assert endpoints["given"].derived_name == "one"
    assert endpoints["derived"].name == "derived"
    assert endpoints["none_is_derived"].name == "none_is_derived"
    assert endpoints["make_name()"].name == Unknown("make_name()")
    # A load-balanced endpoint never takes a function's name.
    assert endpoints["api"].derived_name is None
    assert endpoints["api"].kind is EndpointKind.LOAD_BALANCED


def test_labels_name_the_endpoint_by_what_is_known(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "main.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="named")
            def one(x): ...

            @Endpoint(name=compute())
            def two(x): ...

            holder = Endpoint(name=compute_too())

            @holder.get("/y")
            def three(): ...
            """
        },
    )
    labels = {e.key: (e.label, e.short_label) for e in load_app(tmp_path).endpoints}
    assert labels == {
        "named": ("endpoint 'named'", "'named'"),
        "compute()": ("the endpoint of 'two'", "'two'"),
        "compute_too()": ("endpoint 'holder'", "'holder'"),
    }


def test_hardware_and_resource_class_come_from_the_one_table(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "main.py": """
            import runpod_flash as rf
            from runpod_flash import CpuInstanceType, Endpoint, remote

            CPU = CpuInstanceType.CPU3C_1_2

            @Endpoint(name="gpu-q")
            def gpu_queue(x): ...

            @Endpoint(name="cpu-q", cpu=CPU)
            def cpu_queue(x): ...

            lb = Endpoint(name="cpu-lb", cpu="cpu3c-1-2")

            @lb.post("/x")
            def cpu_route(x): ...

            @Endpoint(name="unknown", cpu=pick_cpu())
            def unknown(x): ...

            @remote(rf.CpuLoadBalancerSlsResource(name="legacy"), method="POST", path="/l")
            def legacy(x): ...
            """
        },
    )
    endpoints = by_key(tmp_path)
    classes = {key: e.resource_class for key, e in endpoints.items()}
    tables = platform.RESOURCE_CLASSES
    assert classes == {
        "gpu-q": tables["LiveServerless"],
        "cpu-q": tables["CpuLiveServerless"],
        "cpu-lb": tables["CpuLiveLoadBalancer"],
        "unknown": None,  # CPU or GPU is only known at run time
        "legacy": tables["CpuLoadBalancerSlsResource"],
    }
    assert [endpoints[k].is_cpu for k in ("gpu-q", "cpu-q", "unknown")] == [False, True, None]
    assert endpoints["cpu-lb"].image_type == "lb-cpu"
    assert endpoints["legacy"].is_load_balanced
    assert endpoints["unknown"].image_type == "gpu"  # the build's default when not known


def test_arguments_carry_their_value_and_span(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "settings.py": """
            from runpod_flash import GpuGroup

            POOLS = [GpuGroup.ADA_24, GpuGroup.AMPERE_48]
            """,
            "main.py": """
            from runpod_flash import Endpoint
            from settings import POOLS

            @Endpoint("worker", gpu=POOLS, workers=(0, 3))
            def run(x): ...
            """,
        },
    )
    endpoint = load_app(tmp_path).endpoints[0]
    name = endpoint.argument("name")
    assert name is not None and name.value == "worker"  # the positional name
    gpu = endpoint.argument("gpu")
    assert gpu is not None
    # Evaluated where the constant is written, reported where the endpoint uses it.
    assert gpu.value == [EnumValue("GpuGroup", "ADA_24"), EnumValue("GpuGroup", "AMPERE_48")]
    assert (gpu.expr.text, gpu.span.start_line) == ("POOLS", 3)
    assert endpoint.value("workers") == (0, 3)
    assert endpoint.argument("idle_timeout") is None


def test_the_model_is_built_once_per_app(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "main.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="one", workers=3)
            def one(x): ...
            """
        },
    )
    app = load_app(tmp_path)
    first = app.endpoints[0]
    assert app.endpoints[0] is first
    assert first.argument("workers") is first.argument("workers")
    assert first.app is app
