"""Endpoint resolution: names, not spellings, across the files of one app."""

from __future__ import annotations

from pathlib import Path

from apps import check, codes, load_app, only, where, write_app

from flash_ls.project.evaluation import EnumValue, evaluate


def summary(root: Path) -> list[tuple[str, str, str | None, list[str]]]:
    app = load_app(root)
    rows = []
    for e in app.endpoints:
        name = e.name
        served = [t.definition.name for t in e.targets] + [
            f"{r.method.upper()} {r.path}" for r in e.routes
        ]
        rows.append(
            (e.kind.value, e.decl.form.value, name if isinstance(name, str) else None, served)
        )
    return rows


def test_every_alias_form_of_endpoint(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "a.py": """
            import runpod_flash as rf
            from runpod_flash import Endpoint as E
            import runpod_flash

            EP = E

            @rf.Endpoint(name="one")
            def one(): ...

            @E(name="two")
            def two(): ...

            @runpod_flash.Endpoint(name="three")
            def three(): ...

            @EP(name="four")
            def four(): ...
            """
        },
    )
    app = load_app(tmp_path)
    forms = {e.name: e.decl.via_alias for e in app.endpoints}
    # The official AST scan only recognises callees spelled `Endpoint` / `x.Endpoint`.
    assert forms == {"one": False, "two": True, "three": False, "four": True}


def test_instance_from_another_file_and_alias_chains(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "common.py": """
            from runpod_flash import Endpoint
            api = Endpoint(name="api", cpu="cpu3c-1-2")
            also_api = api
            """,
            "pkg/__init__.py": "",
            "pkg/routes.py": """
            from ..common import api
            import common

            @api.post("/a")
            def a(): ...

            @common.also_api.get("/b")
            def b(): ...
            """,
        },
    )
    assert summary(tmp_path) == [("load-balanced", "instance", "api", ["POST /a", "GET /b"])]


def test_unnamed_queue_endpoint_takes_the_function_name(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "w.py": """
            from runpod_flash import Endpoint, GpuGroup
            ep = Endpoint(gpu=GpuGroup.ADA_24)

            @ep
            class Model:
                def predict(self, x): ...
            """
        },
    )
    assert summary(tmp_path) == [("queue", "instance", "Model", ["Model"])]


def test_constants_from_other_files_and_enum_members(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "settings.py": 'from runpod_flash import GpuType as G\nNAME = "tts"\nGPU = G.NVIDIA_L4\n',
            "w.py": """
            from runpod_flash import Endpoint
            from settings import NAME, GPU

            @Endpoint(name=NAME, gpu=GPU)
            def speak(): ...
            """,
        },
    )
    app = load_app(tmp_path)
    (endpoint,) = app.endpoints
    assert endpoint.name == "tts"
    gpu = endpoint.decl.keyword("gpu")
    assert gpu is not None
    assert evaluate(app, endpoint.decl.file, gpu.value) == EnumValue("GpuType", "NVIDIA_L4")


def test_legacy_remote_and_client_endpoints(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "legacy.py": """
            from runpod_flash import remote, LiveServerless, Endpoint
            gpu = LiveServerless(name="legacy-gpu")

            @remote(gpu, dependencies=["numpy"])
            def legacy(): ...

            llm = Endpoint(id="abc123")
            custom = Endpoint(name="custom", image="me/img:1")
            """
        },
    )
    rows = summary(tmp_path)
    assert ("queue", "remote", "legacy-gpu", ["legacy"]) in rows
    assert ("client", "instance", None, []) in rows
    assert ("client", "instance", "custom", []) in rows


def test_ignored_files_declare_no_endpoints(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            ".gitignore": "lib/\n",
            "lib/worker.py": 'from runpod_flash import Endpoint\n@Endpoint(name="w")\ndef w(): ...\n',
            "load_test.py": 'from runpod_flash import Endpoint\n@Endpoint(name="t")\ndef t(): ...\n',
        },
    )
    app = load_app(tmp_path)
    assert app.endpoints == []
    assert {s.rel: s.shipped for s in app.sources()} == {
        "lib/worker.py": False,
        "load_test.py": False,
    }


def test_factory_functions_and_unrelated_decorators_are_not_endpoints(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "w.py": """
            import functools
            from runpod_flash import Endpoint

            def make():
                @Endpoint(name="inner")
                def inner(): ...
                return inner

            @functools.lru_cache
            def cached(): ...
            """
        },
    )
    app = load_app(tmp_path)
    assert app.endpoints == []


def test_constants_in_files_without_flash_are_followed(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "paths.py": 'HEALTH = "/health"\n',
            "api.py": """
            from runpod_flash import Endpoint
            from paths import HEALTH
            api = Endpoint(name="api", cpu="cpu3c-1-2")

            @api.get(HEALTH)
            def health(): ...
            """,
        },
    )
    app = load_app(tmp_path)
    (route,) = app.endpoints[0].routes
    assert route.path_expr is not None
    assert evaluate(app, route.file, route.path_expr) == "/health"


def test_route_decorator_without_a_call_is_still_a_route(tmp_path: Path) -> None:
    write_app(
        tmp_path,
        {
            "api.py": """
            from runpod_flash import Endpoint
            api = Endpoint(name="api", cpu="cpu3c-1-2")

            @api.post
            def run(): ...
            """
        },
    )
    (endpoint,) = load_app(tmp_path).endpoints
    assert [(r.method, r.call) for r in endpoint.routes] == [("post", None)]


def test_a_loose_file_outside_the_workspace_does_not_scan_its_tree(tmp_path: Path) -> None:
    from flash_ls.project.workspace import Workspace

    home = tmp_path / "home"
    (home / "deep" / "tree").mkdir(parents=True)
    (home / "deep" / "tree" / "other.py").write_text("x = 1\n")
    (home / "notes.py").write_text("import os\n")
    workspace = Workspace([tmp_path / "project"])
    app = workspace.app_for(home / "notes.py")
    assert sorted(app.files) == ["notes.py"]


def test_a_folder_that_never_mentions_the_sdk_is_read_but_not_parsed_or_checked(
    tmp_path: Path,
) -> None:
    # A library next to the apps (or any project that is not a Flash app): reading it is enough
    # to know; nothing in it is parsed and no rule reports on it, not even a syntax error.
    root = write_app(
        tmp_path,
        {
            "lib/helpers.py": "import numpy\nLIMIT = 3\n",
            "lib/broken.py": "def f(:\n",
        },
    )
    app = load_app(root)
    assert not app.uses_flash
    assert set(app.files) == {"lib/helpers.py", "lib/broken.py"}
    assert app.files["lib/helpers.py"].facts.imports == []
    assert app.files["lib/helpers.py"].text is not None
    assert check(root, {}) == []


def test_adding_the_sdk_to_one_file_makes_every_file_of_the_folder_checked(
    tmp_path: Path,
) -> None:
    root = write_app(tmp_path, {"helpers.py": "import numpy\nLIMIT = (\n"})
    assert codes(check(root, {})) == []
    found = check(root, {"worker.py": "from runpod_flash import Endpoint\n"})
    assert [where(d)[0] for d in only(found, "FL901")] == ["helpers.py"]
    assert load_app(root).files["helpers.py"].facts.imports  # light facts now


def test_an_unreadable_file_that_names_the_sdk_keeps_the_folder_a_flash_app(
    tmp_path: Path,
) -> None:
    root = write_app(
        tmp_path, {"worker.py": b"from runpod_flash import Endpoint\n# caf\xe9 in Latin-1\n"}
    )
    assert load_app(root).uses_flash
    assert [where(d)[0] for d in only(check(root, {}), "FL901")] == ["worker.py"]
