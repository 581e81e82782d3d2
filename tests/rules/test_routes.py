"""FL2xx: routes of load-balanced endpoints."""

from __future__ import annotations

from pathlib import Path

from apps import check, codes, only, where

from flash_ls.fixes.apply import apply_edits

# ex:03_advanced_workers/05_load_balancer: two LB endpoints in two files, both named `api`,
# sharing route paths.
LOAD_BALANCER = {
    "cpu_lb.py": """
    from runpod_flash import Endpoint

    api = Endpoint(name="05_cpu_lb", cpu="cpu3c-1-2", workers=(1, 3))

    @api.get("/health")
    async def cpu_health():
        return {"status": "ok"}

    @api.post("/validate")
    async def validate(text: str):
        return {"valid": bool(text)}

    @api.post("/transform")
    async def transform(text: str, operation: str = "upper"):
        return {"result": text.upper()}
    """,
    "gpu_lb.py": """
    from runpod_flash import Endpoint, GpuGroup

    api = Endpoint(name="05_gpu_lb", gpu=GpuGroup.ADA_24, dependencies=["torch"])

    @api.post("/compute")
    async def compute(numbers: list[float]):
        import torch
        return {"sum": float(torch.tensor(numbers).sum())}

    @api.get("/health")
    async def gpu_health():
        return {"status": "ok"}

    @api.get("/info")
    async def info():
        return {"gpu": True}
    """,
}

# ex:01_getting_started/03_mixed_workers: a CPU LB pipeline calling three queue workers.
MIXED_WORKERS = {
    "cpu_worker.py": """
    from runpod_flash import Endpoint

    @Endpoint(name="01_03_preprocess", cpu="cpu3g-2-8", idle_timeout=3)
    async def preprocess_text(input_data: dict) -> dict:
        import re
        text = input_data.get("text", "")
        return {"cleaned_text": re.sub(r"\\s+", " ", text), "word_count": len(text.split())}

    @Endpoint(name="01_03_postprocess", cpu="cpu3g-2-8", idle_timeout=3)
    async def postprocess_results(input_data: dict) -> dict:
        return {"result": input_data}
    """,
    "gpu_worker.py": """
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="01_03_inference", gpu=GpuGroup.ADA_24, workers=(0, 3))
    async def gpu_inference(input_data: dict) -> dict:
        import torch
        return {"predictions": [], "cuda": torch.cuda.is_available()}
    """,
    "pipeline.py": """
    from runpod_flash import Endpoint

    pipeline = Endpoint(name="01_03_classify_pipeline", cpu="cpu3c-1-2", workers=(1, 3))

    @pipeline.post("/classify")
    async def classify(text: str) -> dict:
        from cpu_worker import postprocess_results, preprocess_text
        from gpu_worker import gpu_inference

        pre = await preprocess_text({"text": text})
        result = await gpu_inference({"cleaned_text": pre["cleaned_text"]})
        return await postprocess_results({"predictions": result["predictions"]})
    """,
}

# ex:05_data_workflows/01_network_volumes: a CPU LB endpoint with path parameters.
VOLUMES = {
    "cpu_worker.py": """
    from runpod_flash import DataCenter, Endpoint, NetworkVolume

    volume = NetworkVolume(name="flash-05-volume", size=50, datacenter=DataCenter.EU_RO_1)
    api = Endpoint(name="05_01_cpu", cpu="cpu3c-1-2", volume=volume, datacenter=DataCenter.EU_RO_1)

    @api.get("/images")
    async def list_images():
        return {"images": []}

    @api.get("/images/{file_name}")
    async def get_image(file_name: str):
        return {"file": file_name}

    @api.delete("/images/{file_name}")
    async def delete_image(file_name: str):
        return {"deleted": file_name}

    @api.post("/images/{file_name}/thumbnail")
    async def thumbnail(file_name: str, size: int = 128):
        return {"file": file_name, "size": size}
    """,
}


def test_realistic_load_balancer_apps_are_clean(tmp_path: Path) -> None:
    assert codes(check(tmp_path / "lb", LOAD_BALANCER), "FL2") == []
    assert codes(check(tmp_path / "mixed", MIXED_WORKERS), "FL2") == []
    assert codes(check(tmp_path / "volumes", VOLUMES), "FL2") == []


def test_legacy_remote_load_balancer_is_clean(tmp_path: Path) -> None:
    files = {
        "pipeline.py": """
        from runpod_flash import CpuLiveLoadBalancer, remote

        pipeline_config = CpuLiveLoadBalancer(name="01_03_classify_pipeline", workersMin=1)

        @remote(resource_config=pipeline_config, method="POST", path="/classify")
        async def classify(text: str) -> dict:
            return {"text": text}

        @remote(resource_config=pipeline_config, method="GET", path="/status")
        async def status() -> dict:
            return {"ok": True}
        """
    }
    assert codes(check(tmp_path, files), "FL2") == []


# -- FL201 ------------------------------------------------------------------------------------


def test_fl201_same_method_and_path_twice(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.get("/health")
        async def health(): ...

        @api.post("/health")
        async def post_health(): ...

        @api.get("/health")
        async def ready(): ...
        """
    }
    found = only(check(tmp_path, files), "FL201")
    assert [where(d) for d in found] == [("lb.py", 11)]
    assert found[0].message == "GET /health is registered twice on 'api'"
    why, advice = found[0].notes
    assert "'health' already serves it" in why and "'ready'" in advice
    assert found[0].span.start_col == len("@api.get(")  # the path string
    assert found[0].related[0].span.start_line == 4  # the first registration


def test_fl201_through_module_alias_and_cross_file_instance(tmp_path: Path) -> None:
    files = {
        "common.py": """
        import runpod_flash as rf

        api = rf.Endpoint(name="shared-api", cpu="cpu3c-1-2")
        """,
        "routes.py": """
        from common import api

        @api.post("/run")
        async def run(): ...

        @api.post("/run")
        async def run_again(): ...
        """,
    }
    found = only(check(tmp_path, files), "FL201")
    assert [where(d) for d in found] == [("routes.py", 6)]
    assert "POST /run" in found[0].message and "shared-api" in found[0].message


def test_fl201_same_path_on_different_endpoints_is_fine(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        public = Endpoint(name="public", cpu="cpu3c-1-2")
        admin = Endpoint(name="admin", cpu="cpu3c-1-2")

        @public.get("/health")
        async def public_health(): ...

        @admin.get("/health")
        async def admin_health(): ...
        """
    }
    assert codes(check(tmp_path, files), "FL2") == []


# -- FL202 ------------------------------------------------------------------------------------


def test_fl202_static_path_after_matching_parameter_path(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="items", cpu="cpu3c-1-2")

        @api.get("/items/{item_id}")
        async def get_item(item_id: str): ...

        @api.get("/items/me")
        async def get_me(): ...
        """
    }
    found = only(check(tmp_path, files), "FL202")
    assert [where(d) for d in found] == [("lb.py", 8)]
    assert found[0].message == "GET /items/me on 'items' is never reached"
    why, advice = found[0].notes
    assert "GET /items/{item_id} ('get_item') is registered first" in why
    assert "get_me" in advice and "get_item" in advice
    assert found[0].related[0].span.start_line == 4  # 0-based: the /items/{item_id} string


def test_fl202_uses_the_deployed_order_of_function_names(tmp_path: Path) -> None:
    # Source order puts /users/me first, but the build registers routes by function name and
    # read_user sorts before read_user_me: the static route is shadowed once deployed.
    files = {
        "users.py": """
        from runpod_flash import Endpoint

        api = Endpoint("users", cpu="cpu3c-1-2")

        @api.get("/users/me")
        async def read_user_me(): ...

        @api.get("/users/{user_id}")
        async def read_user(user_id: str): ...
        """
    }
    found = only(check(tmp_path, files), "FL202")
    assert [where(d) for d in found] == [("users.py", 5)]
    assert "GET /users/me" in found[0].message
    assert "read_user_me" in found[0].notes[1] and "alphabetical" in found[0].notes[1]


def test_fl202_paths_equal_up_to_parameter_names(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.delete("/items/{item_id}")
        async def delete_by_id(item_id: str): ...

        @api.delete("/items/{name}")
        async def delete_by_name(name: str): ...
        """
    }
    found = only(check(tmp_path, files), "FL202")
    assert [where(d) for d in found] == [("lb.py", 8)]
    assert "DELETE /items/{name}" in found[0].message and "parameter names" in found[0].notes[0]


def test_fl202_catch_all_path_parameter(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="files", cpu="cpu3c-1-2")

        @api.get("/files/{rest:path}")
        async def a_any(rest: str): ...

        @api.get("/files/{name}")
        async def b_one(name: str): ...
        """
    }
    assert [where(d) for d in only(check(tmp_path, files), "FL202")] == [("lb.py", 8)]


def test_fl202_reachable_routes_are_fine(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="items", cpu="cpu3c-1-2")

        # get_me sorts before read_item, so /items/me is registered first.
        @api.get("/items/{item_id}")
        async def read_item(item_id: str): ...

        @api.get("/items/me")
        async def get_me(): ...

        # an int parameter does not match "latest"
        @api.get("/orders/{order_id:int}")
        async def a_order(order_id: int): ...

        @api.get("/orders/latest")
        async def b_latest(): ...

        # different methods never shadow each other
        @api.post("/items/{item_id}")
        async def a_update(item_id: str): ...

        @api.put("/items/me")
        async def b_me(): ...

        # a deeper path is not matched by a one-segment parameter
        @api.get("/items/{item_id}/tags")
        async def c_tags(item_id: str): ...
        """
    }
    assert only(check(tmp_path, files), "FL202") == []


# -- FL203 ------------------------------------------------------------------------------------


def test_fl203_reserved_paths(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="svc", cpu="cpu3c-1-2")

        @api.get("/ping")
        async def ping(): ...

        @api.post("/execute")
        async def execute(code: str): ...

        @api.get("/ping/")
        async def ping_slash(): ...

        @api.get("/health")
        async def health(): ...

        @api.get("/execute/status")
        async def execute_status(): ...
        """
    }
    found = only(check(tmp_path, files), "FL203")
    assert [where(d) for d in found] == [("lb.py", 5), ("lb.py", 8)]
    assert "GET /ping" in found[0].message and "'svc'" in found[0].message
    assert "/execute" in found[1].message


def test_fl203_reserved_path_on_legacy_remote(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import LiveLoadBalancer, remote

        config = LiveLoadBalancer(name="legacy")

        @remote(config, method="GET", path="/ping")
        async def ping(): ...
        """
    }
    assert [where(d) for d in only(check(tmp_path, files), "FL203")] == [("lb.py", 5)]


# -- FL204 ------------------------------------------------------------------------------------

BAD_PATHS = """
from runpod_flash import Endpoint

api = Endpoint(name="paths", cpu="cpu3c-1-2")

@api.post('health')
async def health(): ...

@api.get("")
async def root(): ...

@api.get(f"/v{1}/x")
async def dynamic(): ...
"""


def test_fl204_invalid_paths(tmp_path: Path) -> None:
    found = only(check(tmp_path, {"lb.py": BAD_PATHS}), "FL204")
    assert [where(d) for d in found] == [("lb.py", 5), ("lb.py", 8), ("lb.py", 11)]
    assert found[0].message == "route path 'health' does not start with '/'"
    assert found[0].notes[1] == "use '/health'"
    assert found[1].message == "route path '' is empty" and found[1].notes[1] == "use '/'"
    assert "not a static string" in found[2].message and found[2].fix is None
    assert found[0].span.start_col == len("@api.post(")


def test_fl204_fix_prefixes_slash_keeping_the_quotes(tmp_path: Path) -> None:
    found = only(check(tmp_path, {"lb.py": BAD_PATHS}), "FL204")
    path = tmp_path / "lb.py"
    for diagnostic in found[:2]:
        assert diagnostic.fix is not None and diagnostic.fix.safe
    edits = [edit for d in found[:2] if d.fix is not None for edit in d.fix.edits]
    path.write_text(apply_edits(path.read_text(), edits))
    text = path.read_text()
    assert "@api.post('/health')" in text and '@api.get("/")' in text
    remaining = only(check(tmp_path), "FL204")
    assert [where(d) for d in remaining] == [("lb.py", 11)]  # only the f-string is left


def test_fl204_constants_and_path_keyword_are_fine(tmp_path: Path) -> None:
    files = {
        "routes.py": 'HEALTH = "/health"\n',
        "lb.py": """
        from runpod_flash import Endpoint
        from routes import HEALTH

        PREFIX = "/v1/generate"
        api = Endpoint(name="gen", cpu="cpu3c-1-2")

        @api.get(HEALTH)
        async def health(): ...

        @api.post(PREFIX)
        async def generate(prompt: str): ...

        @api.put(path="/config")
        async def config(value: str): ...
        """,
    }
    assert codes(check(tmp_path, files), "FL2") == []


def test_fl204_constant_without_slash_is_reported_without_fix(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        ROUTE = "generate"
        api = Endpoint(name="gen", cpu="cpu3c-1-2")

        @api.post(ROUTE)
        async def generate(prompt: str): ...
        """
    }
    found = only(check(tmp_path, files), "FL204")
    assert [where(d) for d in found] == [("lb.py", 6)]
    assert found[0].fix is None


def test_fl204_path_computed_at_run_time(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        import os
        from runpod_flash import Endpoint

        ROUTE = os.environ.get("ROUTE", "/run")
        api = Endpoint(name="gen", cpu="cpu3c-1-2")

        @api.post(ROUTE)
        async def run(): ...

        @api.post("/v1" + "/x")
        async def x(): ...
        """
    }
    found = only(check(tmp_path, files), "FL204")
    assert [where(d) for d in found] == [("lb.py", 7), ("lb.py", 10)]
    assert found[0].message == "route path ROUTE is not a static string"


# -- FL205 ------------------------------------------------------------------------------------


def test_fl205_unsupported_route_decorator(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        import runpod_flash as rf

        api = rf.Endpoint(name="svc", cpu="cpu3c-1-2")

        @api.head("/health")
        async def health(): ...

        @api.get("/ok")
        async def ok(): ...
        """
    }
    found = only(check(tmp_path, files), "FL205")
    assert [where(d) for d in found] == [("lb.py", 5)]
    assert "'head'" in found[0].message and "'svc'" in found[0].message
    span = found[0].span
    assert (span.start_col, span.end_col) == (len("@api."), len("@api.head"))
    assert found[0].fix is None
    # An invalid method is not also reported as a path/name/argument problem.
    assert codes(check(tmp_path), "FL2") == ["FL205"]


def test_fl205_wrong_case_is_fixed(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="svc", cpu="cpu3c-1-2")

        @api.POST("/run")
        async def run(): ...
        """
    }
    found = only(check(tmp_path, files), "FL205")
    assert [where(d) for d in found] == [("lb.py", 5)]
    fix = found[0].fix
    assert fix is not None
    path = tmp_path / "lb.py"
    path.write_text(apply_edits(path.read_text(), fix.edits))
    assert '@api.post("/run")' in path.read_text()
    assert only(check(tmp_path), "FL205") == []


def test_fl205_legacy_remote_method_is_not_upper_cased(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import LoadBalancerSlsResource, LiveServerless, remote

        lb = LoadBalancerSlsResource(name="api-service")
        qb = LiveServerless(name="worker")

        @remote(resource_config=lb, method='post', path="/api/process")
        async def process(x: int): ...

        @remote(resource_config=lb, method="GET", path="/api/status")
        async def status(): ...

        @remote(resource_config=qb, method="post", path="/ignored")
        async def queued(): ...
        """
    }
    found = only(check(tmp_path, files), "FL205")
    assert [where(d) for d in found] == [("lb.py", 6)]
    assert "'post'" in found[0].message and found[0].notes[1] == "use 'POST'"
    fix = found[0].fix
    assert fix is not None
    path = tmp_path / "lb.py"
    path.write_text(apply_edits(path.read_text(), fix.edits))
    assert "method='POST'" in path.read_text()
    assert only(check(tmp_path), "FL205") == []


# -- FL206 ------------------------------------------------------------------------------------


def test_fl206_routes_on_unnamed_endpoint(tmp_path: Path) -> None:
    files = {
        "common.py": """
        from runpod_flash import Endpoint

        api = Endpoint(cpu="cpu3c-1-2")
        """,
        "lb.py": """
        from common import api

        @api.post("/classify")
        async def classify(text: str): ...
        """,
    }
    found = only(check(tmp_path, files), "FL206")
    assert [where(d) for d in found] == [("common.py", 3)]
    assert found[0].message == "'api' registers routes but has no name"
    assert "(POST /classify)" in found[0].notes[0]
    assert found[0].related[0].path.name == "lb.py"


def test_fl206_name_none_and_named_forms(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        anon = Endpoint(name=None, cpu="cpu3c-1-2")
        positional = Endpoint("positional", cpu="cpu3c-1-2")

        @anon.get("/a")
        async def a(): ...

        @positional.get("/b")
        async def b(): ...

        @Endpoint(cpu="cpu3c-1-2")
        async def queued(): ...
        """
    }
    found = only(check(tmp_path, files), "FL206")
    assert [where(d) for d in found] == [("lb.py", 3)]
    assert "'anon'" in found[0].message


# -- FL207 ------------------------------------------------------------------------------------


def test_fl207_data_and_keyword_arguments(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="gen", cpu="cpu3c-1-2")

        @api.post("/generate", timeout=30)
        async def generate(prompt: str): ...

        @api.post("/echo", {"default": True})
        async def echo(payload: dict): ...

        @api.get(path="/ok")
        async def ok(): ...

        @api.get("/fine", data=None)
        async def fine(): ...
        """
    }
    found = only(check(tmp_path, files), "FL207")
    assert [where(d) for d in found] == [("lb.py", 5), ("lb.py", 8)]
    assert found[0].message == "route decorator of 'generate' is given more than the path"
    assert "is given timeout=30;" in found[0].notes[0]
    assert found[0].span.start_col == len('@api.post("/generate", ')
    assert "'echo'" in found[1].message


def test_client_endpoints_are_left_to_fl107(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        llm = Endpoint(id="abc123")

        @llm.post("v1/completions", {"prompt": "hi"})
        async def complete(): ...
        """
    }
    assert codes(check(tmp_path, files), "FL2") == []
