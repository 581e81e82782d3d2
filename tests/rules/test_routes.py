"""FL2xx: routes of load-balanced endpoints."""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, codes, only, where

from flash_ls.fixes.apply import apply_edits
from flash_ls.rules.routes import _covers
from flash_ls.span import Span

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


def test_fl201_instances_sharing_a_name_are_one_resource(tmp_path: Path) -> None:
    # Instances with one name make one resource; names known only at run time are not joined.
    files = {
        "lb.py": """
        from runpod_flash import Endpoint
        from naming import make_name

        a = Endpoint(name="api", cpu="cpu3c-1-2")
        b = Endpoint(name="api", cpu="cpu3c-1-2")
        c = Endpoint(name=make_name("x"), cpu="cpu3c-1-2")
        d = Endpoint(name=make_name("x"), cpu="cpu3c-1-2")

        @a.get("/x")
        def a_x(): ...

        @b.get("/x")
        def b_x(): ...

        @c.get("/y")
        def c_y(): ...

        @d.get("/y")
        def d_y(): ...
        """,
        "naming.py": "def make_name(x):\n    return x\n",
    }
    [found] = only(check(tmp_path, files), "FL201")
    assert where(found) == ("lb.py", 12)  # b_x's "/x"
    assert found.message == "GET /x is registered twice on 'api'"


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


def test_fl202_explicit_str_convertor_is_the_default_one(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.get("/items/{item_id:str}")
        async def a_by_id(item_id: str): ...

        @api.get("/items/{name}")
        async def b_by_name(name: str): ...
        """
    }
    [found] = only(check(tmp_path, files), "FL202")
    assert where(found) == ("lb.py", 8)
    assert found.notes[0] == (
        "GET /items/{item_id:str} ('a_by_id') is registered first and the paths differ only in "
        "parameter names"
    )


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


def test_fl202_path_parameter_in_the_middle_covers_only_paths_ending_the_same(
    tmp_path: Path,
) -> None:
    # /files/{rest:path}/raw matches /files/a/b/raw, but never /files/{name} (one segment, no
    # /raw after it): a path parameter mid-path is no catch-all.
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="files", cpu="cpu3c-1-2")

        @api.get("/files/{rest:path}/raw")
        async def a_raw(rest: str): ...

        @api.get("/files/{name}")
        async def b_one(name: str): ...

        @api.get("/files/{name}/{version}")
        async def c_version(name: str, version: str): ...

        @api.get("/files/a/b/raw")
        async def d_static(): ...
        """
    }
    found = only(check(tmp_path, files), "FL202")
    assert [where(d) for d in found] == [("lb.py", 14)]
    assert found[0].message == "GET /files/a/b/raw on 'files' is never reached"


# FL202's question, as Starlette matches: does every request the later path gets already match
# the earlier one? Unclear cases answer False (no finding).
COVERS = [
    ("/items", "/items", True),
    ("/items", "/other", False),
    ("/items/{id}", "/items/{name}", True),  # equal up to parameter names
    ("/items/{id:str}", "/items/{name}", True),  # {name} is {name:str}
    ("/items/{id}", "/items/me", True),
    ("/items/{id:int}", "/items/me", False),
    ("/items/{id:int}", "/items/12", True),
    ("/items/{id:int}", "/items/{name}", False),  # "me" is not an int
    ("/items/{id}", "/items/{n:int}", True),  # every int is a str segment
    ("/{a:int}/{b}", "/{c:int}/q", True),
    ("/{a:int}/{b}", "/{c:uuid}/q", False),
    ("/files/{p:path}", "/files/{name}", True),
    ("/files/{p:path}", "/files/{a}/{b}", True),
    ("/files/{p:path}/raw", "/files/{name}", False),  # mid-path: only paths ending in /raw
    ("/a/{x}/{z}", "/a/{y}/{r:path}", False),  # {r:path} also matches several segments
    ("/items/{id}", "/items/{id}/tags", False),
    ("/items/{id}/tags", "/items/{id}", False),
    ("/items/{id}/tags", "/items/{x}/tag{y}", False),  # text and a parameter in one segment
    ("/items/me/{x}", "/items/{id}/{y}", False),  # a static segment never covers a parameter
    ("/a/{x}/{z}", "/a/{y}/d", True),
    ("/a/{x}/c", "/a/{y}/d", False),
    ("/a/{x}/{n:int}", "/a/{y}/12", True),
    ("/a/{x}/{n:int}", "/a/{y}/ab", False),
    ("/x/{a:weird}", "/x/{b}", False),  # an unknown convertor: Starlette refuses the route
    ("/x/{a:weird}", "/x/y", False),
    ("/{x}/{z}/c", "/{y}/d/e", False),  # each segment counts, not only the first that matches
    ("/a/{x}/c", "/a/b/{y}", False),
]


@pytest.mark.parametrize(("earlier", "later", "covered"), COVERS)
def test_fl202_which_earlier_paths_cover_a_later_one(
    earlier: str, later: str, covered: bool
) -> None:
    assert _covers(earlier, later) is covered


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


def test_legacy_remote_with_an_invalid_method_is_fl205_only(tmp_path: Path) -> None:
    # remote() rejects method="post" first: the path is never looked at.
    files = {
        "lb.py": """
        from runpod_flash import LiveLoadBalancer, remote

        @remote(LiveLoadBalancer(name="legacy"), method="post", path="ping")
        async def ping(): ...
        """
    }
    assert codes(check(tmp_path, files), "FL2") == ["FL205"]


def test_legacy_remote_on_a_queue_class_registers_no_route(tmp_path: Path) -> None:
    # remote() on a queue-based class ignores method= and path=: nothing to reserve or repeat.
    files = {
        "worker.py": """
        from runpod_flash import LiveServerless, remote

        config = LiveServerless(name="legacy")

        @remote(config, method="GET", path="/ping")
        async def ping(): ...

        @remote(config, method="GET", path="/ping")
        async def pong(): ...
        """
    }
    assert codes(check(tmp_path, files), "FL2") == []


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


def test_fl204_routes_it_leaves_to_other_rules_do_not_stop_it(tmp_path: Path) -> None:
    # Each route before the last is one FL204 passes over (a queue-based remote(), an invalid
    # method, a path maybe in *args or **kwargs, a name from another package, a good path): the
    # last one, and the endpoint after, are still checked.
    files = {
        "lb.py": """
        from runpod_flash import Endpoint, LiveServerless, remote
        from settings_package import PATH

        ARGS = ("/x",)
        OPTIONS = {"path": "/y"}

        @remote(LiveServerless(name="queue"), method="GET", path="nope")
        async def queued(): ...

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.head("/x")
        def a(): ...

        @api.post(*ARGS)
        def b(): ...

        @api.post(**OPTIONS)
        def c(): ...

        @api.post(PATH)
        def d(): ...

        @api.post("/ok")
        def e(): ...

        @api.post("health")
        def f(): ...

        other = Endpoint(name="other", cpu="cpu3c-1-2")

        @other.get("status")
        def g(): ...
        """
    }
    found = only(check(tmp_path, files), "FL204")
    assert [where(d) for d in found] == [("lb.py", 27), ("lb.py", 32)]


def test_fl204_a_decorator_over_several_lines_is_quoted_by_its_first(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.post(
        )
        async def run(): ...
        """
    }
    [found] = only(check(tmp_path, files), "FL204")
    assert found.notes[0] == "@api.post( ... without a path fails when the module is imported"


def test_fl204_no_fix_for_a_path_starting_with_a_space(tmp_path: Path) -> None:
    source = BAD_PATHS.replace("'health'", "' health'")
    found = only(check(tmp_path, {"lb.py": source}), "FL204")
    assert where(found[0]) == ("lb.py", 5) and found[0].notes[1] == "use '/ health'"
    assert found[0].fix is None  # '/ health' is not what was meant either


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


def test_fl205_advice_per_method_and_after_a_legacy_remote(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint, LiveLoadBalancer, LiveServerless, remote

        @remote(LiveServerless(name="queue"), method="fetch", path="/q")
        async def queued(): ...

        @remote(LiveLoadBalancer(name="legacy"), method="fetch", path="/b")
        async def legacy(): ...

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.get("/fine")
        def fine(): ...

        @api.Post("/run")
        def run(): ...

        @api.options("/o")
        def options(): ...

        @api.fetch("/f")
        def fetch(): ...
        """
    }
    remote_, post, options, fetch = only(check(tmp_path, files), "FL205")
    assert remote_.message == "remote() method 'fetch' of 'legacy' is not valid"
    assert remote_.notes[1] == "use GET, POST, PUT, DELETE or PATCH" and remote_.fix is None
    assert post.fix is not None and post.fix.message == "Use .post()"
    assert [(e.path.name, e.new_text) for e in post.fix.edits] == [("lb.py", "post")]
    assert options.notes[1] == "OPTIONS routes are not supported; use .get() or .post()"
    assert fetch.notes[1] == "route decorators are .get, .post, .put, .delete and .patch"
    assert options.fix is None and fetch.fix is None


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


def test_fl206_lists_three_routes_and_counts_the_rest(tmp_path: Path) -> None:
    routes = ["@api.post()\ndef r1(): ...\n"] + [
        f'@api.get("/{n}")\ndef r{n}(): ...\n' for n in range(2, 6)
    ]
    head = 'from runpod_flash import Endpoint\n\napi = Endpoint(name=None, cpu="cpu3c-1-2")\n\n'
    shown = {
        3: "POST ?, GET /2, GET /3",
        4: "POST ?, GET /2, GET /3 and 1 more",
        5: "POST ?, GET /2, GET /3 and 2 more",
    }
    for count, listed in shown.items():
        root = tmp_path / str(count)
        [found] = only(check(root, {"lb.py": head + "\n".join(routes[:count])}), "FL206")
        assert found.notes[0].startswith(f"its routes ({listed}) make it load-balanced")
        assert found.span == Span(2, 20, 2, 24)  # at name=None
        assert len(found.related) == count


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


def test_fl207_each_argument_but_the_path_and_data_none(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        ARGS = ("x",)
        OPTS = {"timeout": 3}
        api = Endpoint(name="gen", cpu="cpu3c-1-2")

        @api.head("/h", timeout=1)
        async def a(): ...

        @api.post(path="/p", timeout=2)
        async def b(): ...

        @api.post("/n", timeout=None)
        async def c(): ...

        @api.post("/d", data={"a": 1})
        async def d(): ...

        @api.post("/e", data=None, timeout=3)
        async def e(): ...

        @api.post("/f", **OPTS)
        async def f(): ...

        @api.post("/g", *ARGS)
        async def g(): ...
        """
    }
    found = only(check(tmp_path, files), "FL207")
    given = [d.notes[0].split(" is given ")[1].split(";")[0] for d in found]
    assert given == ["timeout=2", "timeout=None", 'data={"a": 1}', "timeout=3", "**OPTS", "*args"]


def test_fl207_long_arguments_are_shortened_past_40_characters(tmp_path: Path) -> None:
    fits, longer = "x" * 34, "x" * 35  # tag="..." is 40 and 41 characters
    files = {
        "lb.py": f"""
        from runpod_flash import Endpoint

        api = Endpoint(name="gen", cpu="cpu3c-1-2")

        @api.post("/a", tag="{fits}")
        async def a(): ...

        @api.post("/b", tag="{longer}")
        async def b(): ...
        """
    }
    a, b = only(check(tmp_path, files), "FL207")
    assert a.notes[0].startswith(f'@api.post(...) is given tag="{fits}";')
    assert b.notes[0].startswith(f'@api.post(...) is given tag="{"x" * 32}...;')


def test_route_decorators_are_quoted_as_written(tmp_path: Path) -> None:
    # Without a call (`@app.get`) and through a module (`@svc.app.post(...)`): the notes name
    # the decorator the code has.
    files = {
        "svc.py": """
        from runpod_flash import Endpoint

        app = Endpoint(name="gen", cpu="cpu3c-1-2")

        @app.get
        def bare(): ...

        @app.POST
        def upper(): ...
        """,
        "more.py": """
        import svc

        @svc.app.post("/extra", timeout=3)
        def extra(): ...
        """,
    }
    found = check(tmp_path, files)
    [no_path] = only(found, "FL204")
    assert no_path.notes == (
        "@app.get without a path fails when the module is imported",
        'pass the route path, e.g. @app.get("/bare")',
    )
    [method] = only(found, "FL205")
    assert method.notes == (
        "@app.POST(...) on 'upper' fails when the module is imported",
        "use @app.post(...)",
    )
    [extra] = only(found, "FL207")
    assert extra.notes[0].startswith("@svc.app.post(...) is given timeout=3;")


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


# -- what mutation testing showed unchecked (docs/reliability.md) ------------------------------


def test_registered_routes_after_the_ones_the_build_does_not_register(tmp_path: Path) -> None:
    # A queue-based remote(), an invalid method, no path, a path without '/': none registers a
    # route, and none stops the routes after it from being checked.
    files = {
        "lb.py": """
        from runpod_flash import Endpoint, LiveServerless, remote

        PING = "/ping"

        @remote(LiveServerless(name="queue"), method="GET", path="/ping")
        async def queued(): ...

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.head("/ping")
        def a(): ...

        @api.post()
        def b(): ...

        @api.post("ping")
        def c(): ...

        @api.get(PING)
        def d(): ...
        """
    }
    found = check(tmp_path, files)
    assert [where(d) for d in only(found, "FL203")] == [("lb.py", 19)]


def test_fl202_every_earlier_route_is_compared(tmp_path: Path) -> None:
    # Registration order (function names): another method first, then a path that does not
    # cover, then the one that does; two shadowed routes are both reported.
    files = {
        "lb.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="items", cpu="cpu3c-1-2")

        @api.post("/items/{item_id}")
        async def a_update(item_id: str): ...

        @api.get("/other")
        async def b_other(): ...

        @api.get("/items/{item_id}")
        async def c_read(item_id: str): ...

        @api.get("/items/me")
        async def d_me(): ...

        @api.get("/items/{name}")
        async def e_by_name(name: str): ...
        """
    }
    me, by_name = only(check(tmp_path, files), "FL202")
    assert (where(me), where(by_name)) == (("lb.py", 14), ("lb.py", 17))
    assert by_name.notes[1] == "remove or merge one of the routes of 'c_read' and 'e_by_name'"


def test_fl204_paths_are_shown_up_to_24_characters(tmp_path: Path) -> None:
    dynamic = 'f"/{VERSION}/generate/abc"'  # 25 characters
    number = "1234567890123456789012345"
    files = {
        "lb.py": f"""
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.post({dynamic})
        def a(): ...

        @api.post({number})
        def b(): ...
        """
    }
    a, b = only(check(tmp_path, files), "FL204")
    assert a.message == f"route path {dynamic[:21]}... is not a static string"
    assert b.message == f"route path {number[:21]}... is not a string"


def test_fl20x_after_a_legacy_remote_and_routes_that_register_nothing(tmp_path: Path) -> None:
    files = {
        "lb.py": """
        from runpod_flash import Endpoint, LiveLoadBalancer, remote

        NO_NAME = None

        @remote(LiveLoadBalancer(name="legacy"), method="GET", path="/l")
        async def legacy(): ...

        odd = Endpoint(cpu="cpu3c-1-2")

        @odd.head("/h")
        def h(): ...

        api = Endpoint(name=NO_NAME, cpu="cpu3c-1-2")

        @api.post()
        def a(): ...

        @api.post("health", timeout=3)
        def b(): ...
        """
    }
    found = check(tmp_path, files)
    assert [where(d) for d in only(found, "FL204")] == [("lb.py", 15), ("lb.py", 18)]
    assert [where(d) for d in only(found, "FL206")] == [("lb.py", 13)]
    assert [where(d) for d in only(found, "FL207")] == [("lb.py", 18)]


def test_fl204_on_a_mixed_endpoint(tmp_path: Path) -> None:
    files = {
        "w.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.post("health")
        def health(): ...

        @api
        def background(): ...
        """
    }
    assert [where(d) for d in only(check(tmp_path, files), "FL204")] == [("w.py", 5)]
