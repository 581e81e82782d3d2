"""FL1xx: the 1:1:1 queue rule and endpoint identity."""

from __future__ import annotations

from pathlib import Path

from apps import check, codes, only, where

from flash_ls.fixes.apply import apply_edits

TTS = """
from runpod_flash import Endpoint, GpuGroup

@Endpoint(name="tts", gpu=GpuGroup.ADA_24, workers=(0, 3), idle_timeout=300)
async def generate_speech(text: str):
    return {"text": text}

@Endpoint(name="tts")
async def get_voices():
    return {"voices": []}
"""


def test_fl101_two_functions_share_a_queue_name(tmp_path: Path) -> None:
    found = only(check(tmp_path, {"gpu_worker.py": TTS}), "FL101")
    assert [where(d) for d in found] == [("gpu_worker.py", 7)]
    assert "get_voices" in found[0].message and "generate_speech" in found[0].message
    assert found[0].related[0].span.start_line == 3  # the served function


def test_fl101_rename_fix_clears_the_finding(tmp_path: Path) -> None:
    found = only(check(tmp_path, {"gpu_worker.py": TTS}), "FL101")
    fix = found[0].fix
    assert fix is not None and not fix.safe
    path = tmp_path / "gpu_worker.py"
    path.write_text(apply_edits(path.read_text(), fix.edits))
    assert '@Endpoint(name="tts-get-voices")' in path.read_text()
    assert only(check(tmp_path), "FL101") == []


def test_fl101_one_instance_decorating_two_functions(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        {
            "worker.py": """
            import runpod_flash as rf

            ep = rf.Endpoint(name="worker", cpu="cpu3c-1-2")

            @ep
            def b_task(): ...

            @ep
            def a_task(): ...
            """
        },
    )
    # a_task sorts first, so b_task is the unreachable one.
    assert [where(d) for d in only(found, "FL101")] == [("worker.py", 5)]


def test_fl101_distinct_names_are_fine(tmp_path: Path) -> None:
    files = {
        "mixed.py": """
        from runpod_flash import Endpoint, GpuGroup

        @Endpoint(name="cpu-a", cpu="cpu3g-2-8", idle_timeout=3)
        def a(x: int): return x

        @Endpoint(name="gpu-b", gpu=GpuGroup.ADA_24, workers=(0, 3))
        async def b(x: int): return x
        """
    }
    assert codes(check(tmp_path, files), "FL1") == []


def test_fl102_same_name_in_two_files_with_related_locations(tmp_path: Path) -> None:
    files = {
        "a.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef a(): ...\n',
        "b.py": 'from runpod_flash import Endpoint as E\n\n@E(name="worker")\ndef b(): ...\n',
    }
    found = only(check(tmp_path, files), "FL102")
    assert sorted(where(d) for d in found) == [("a.py", 3), ("b.py", 3)]
    assert all("a.py, b.py" in d.message for d in found)
    assert found[0].related and found[0].related[0].path.name in ("a.py", "b.py")


def test_fl102_routes_of_one_endpoint_split_across_files(tmp_path: Path) -> None:
    files = {
        "api.py": """
        from runpod_flash import Endpoint
        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.get("/items")
        def items(): return []
        """,
        "more.py": """
        from api import api

        @api.delete("/items/{item_id}")
        def delete(item_id: str): return item_id
        """,
    }
    found = only(check(tmp_path, files), "FL102")
    assert sorted(where(d) for d in found) == [("api.py", 4), ("more.py", 3)]


def test_fl102_same_route_path_in_two_lb_endpoints_is_fine(tmp_path: Path) -> None:
    files = {
        "cpu_lb.py": """
        from runpod_flash import Endpoint
        api = Endpoint(name="cpu-lb", cpu="cpu3c-1-2")

        @api.get("/health")
        def health(): return {}
        """,
        "gpu_lb.py": """
        from runpod_flash import Endpoint, GpuGroup
        api = Endpoint(name="gpu-lb", gpu=GpuGroup.ADA_24)

        @api.get("/health")
        def gpu_health(): return {}
        """,
    }
    assert codes(check(tmp_path, files), "FL1") == []


def test_fl103_instance_used_for_routes_and_as_decorator(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        {
            "api.py": """
            from runpod_flash import Endpoint
            api = Endpoint(name="api", cpu="cpu3c-1-2")

            @api.post("/run")
            def run(): ...

            @api
            def background(): ...
            """
        },
    )
    assert [where(d) for d in only(found, "FL103")] == [("api.py", 7)]


def test_fl104_same_function_name_in_two_files(tmp_path: Path) -> None:
    files = {
        "a.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="a")\ndef predict(): ...\n',
        "b.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="b")\ndef predict(): ...\n',
    }
    found = only(check(tmp_path, files), "FL104")
    assert sorted(where(d) for d in found) == [("a.py", 4), ("b.py", 4)]


def test_fl104_module_level_alias_of_an_endpoint_function(tmp_path: Path) -> None:
    found = check(
        tmp_path,
        {
            "w.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="w")\ndef work(): ...\n\nrun = work\n'
        },
    )
    assert [where(d) for d in only(found, "FL104")] == [("w.py", 6)]


def test_fl105_endpoint_that_deploys_nothing(tmp_path: Path) -> None:
    source = """
    from runpod_flash import Endpoint
    api = Endpoint(name="api", cpu="cpu3c-1-2")

    @Endpoint(name="worker")
    def work(): ...
    """
    found = only(check(tmp_path, {"app.py": source}), "FL105")
    assert [where(d) for d in found] == [("app.py", 2)]
    assert found[0].fix is not None
    path = tmp_path / "app.py"
    path.write_text(apply_edits(path.read_text(), found[0].fix.edits))
    assert "api = " not in path.read_text()
    assert only(check(tmp_path), "FL105") == []


def test_fl105_client_endpoint_is_not_unused(tmp_path: Path) -> None:
    files = {"client.py": 'from runpod_flash import Endpoint\nllm = Endpoint(id="abc123")\n'}
    assert codes(check(tmp_path, files), "FL105") == []


def test_fl106_names_that_break_the_build(tmp_path: Path) -> None:
    files = {
        "w.py": """
        from runpod_flash import Endpoint

        @Endpoint(name="models/llama")
        def a(): ...

        @Endpoint(name="")
        def b(): ...

        @Endpoint(name="fast-fb")
        def c(): ...

        @Endpoint(name="fine_name-1")
        def d(): ...
        """
    }
    found = only(check(tmp_path, files), "FL106")
    assert [(where(d), d.severity.label) for d in found] == [
        (("w.py", 3), "error"),
        (("w.py", 6), "error"),
        (("w.py", 9), "warning"),
    ]


def test_fl107_client_used_as_decorator_and_id_with_image(tmp_path: Path) -> None:
    files = {
        "w.py": """
        from runpod_flash import Endpoint
        llm = Endpoint(id="abc123")
        both = Endpoint(name="x", id="abc", image="me/img:1")
        nameless = Endpoint(image="me/img:1")

        @llm
        def generate(): ...
        """
    }
    found = only(check(tmp_path, files), "FL107")
    assert sorted(where(d) for d in found) == [("w.py", 3), ("w.py", 4), ("w.py", 6)]
