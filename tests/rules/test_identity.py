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
    assert found[0].message == "'get_voices' is never served as endpoint 'tts'"
    assert "shares the name with 'generate_speech'" in found[0].notes[0]
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
    assert only(found, "FL101")[0].fix is None  # one instance: no name to change


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


def test_fl101_rename_picks_a_name_no_endpoint_has(tmp_path: Path) -> None:
    shared = """
    from runpod_flash import Endpoint

    @Endpoint(name="tts")
    def a(): ...

    @Endpoint(name="tts")
    def get_voices(): ...

    @Endpoint(name="tts-get-voices")
    def b(): ...
    """
    [found] = only(check(tmp_path / "one", {"w.py": shared}), "FL101")
    assert found.fix is not None
    assert [e.new_text for e in found.fix.edits] == ['"tts-get-voices-2"']
    more = shared + '\n    @Endpoint(name="tts-get-voices-2")\n    def c(): ...\n'
    [found] = only(check(tmp_path / "two", {"w.py": more}), "FL101")
    assert found.fix is not None
    assert [e.new_text for e in found.fix.edits] == ['"tts-get-voices-3"']


def test_fl101_renames_keep_the_quotes_and_differ(tmp_path: Path) -> None:
    # Redefinitions of one function name (each decorated) get a name each.
    source = "from runpod_flash import Endpoint\n" + "\n@Endpoint(name='e')\ndef e(): ...\n" * 3
    found = only(check(tmp_path, {"w.py": source}), "FL101")
    assert [[e.new_text for e in d.fix.edits] for d in found if d.fix] == [["'e-e'"], ["'e-e-2'"]]


def test_fl101_not_for_an_instance_that_also_registers_routes(tmp_path: Path) -> None:
    # `api` is used as a decorator twice and for a route: importing the module fails (FL103, at
    # each decorator), so "only one function is served" (FL101) would be a wrong explanation.
    found = check(
        tmp_path,
        {
            "api.py": """
            from runpod_flash import Endpoint
            api = Endpoint(name="api", cpu="cpu3c-1-2")

            @api.post("/run")
            def run(): ...

            @api
            def b_task(): ...

            @api
            def a_task(): ...
            """
        },
    )
    assert [where(d) for d in only(found, "FL103")] == [("api.py", 7), ("api.py", 10)]
    assert only(found, "FL101") == []


def test_fl102_same_name_in_two_files_with_related_locations(tmp_path: Path) -> None:
    files = {
        "a.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef a(): ...\n',
        "b.py": 'from runpod_flash import Endpoint as E\n\n@E(name="worker")\ndef b(): ...\n',
    }
    found = only(check(tmp_path, files), "FL102")
    assert sorted(where(d) for d in found) == [("a.py", 3), ("b.py", 3)]
    assert [d.message for d in found] == [
        "endpoint 'worker' also defined in b.py",
        "endpoint 'worker' also defined in a.py",
    ]
    assert all("multiple files (a.py, b.py)" in d.notes[0] for d in found)
    assert [d.related[0].path.name for d in found] == ["b.py", "a.py"]


def test_fl102_name_in_three_and_four_files(tmp_path: Path) -> None:
    worker = 'from runpod_flash import Endpoint\n\n@Endpoint(name="worker")\ndef {}(): ...\n'
    files: dict[str, str | bytes] = {f"{n}.py": worker.format(n) for n in "abc"}
    found = only(check(tmp_path, files), "FL102")
    assert [d.message for d in found] == [
        "endpoint 'worker' also defined in b.py and 1 other file",
        "endpoint 'worker' also defined in a.py and 1 other file",
        "endpoint 'worker' also defined in a.py and 1 other file",
    ]
    (tmp_path / "d.py").write_text(worker.format("d"))
    found = only(check(tmp_path), "FL102")
    assert found[0].message == "endpoint 'worker' also defined in b.py and 2 other files"
    assert [r.path.name for r in found[0].related] == ["b.py", "c.py", "d.py"]


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
    found = check(tmp_path, files)
    fl102 = only(found, "FL102")
    assert sorted(where(d) for d in fl102) == [("api.py", 4), ("more.py", 3)]
    advice = "register every route of 'api' in api.py, the file that declares it"
    assert [d.notes[1] for d in fl102] == [advice, advice]
    assert all(d.fix is None for d in fl102)
    assert only(found, "FL109") == []  # one route is at home: the build fails (FL102)


def test_fl102_two_declarations_are_reported_at_their_name_values(tmp_path: Path) -> None:
    files = {
        "a.py": """
        from runpod_flash import Endpoint
        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.get("/a")
        def a(): return 1
        """,
        "b_lb.py": """
        from runpod_flash import Endpoint
        other = Endpoint(cpu="cpu3c-1-2", name="api")

        @other.get("/b")
        def b(): return 2
        """,
    }
    found = only(check(tmp_path, files), "FL102")
    # The name= values, which the rename edits: not the first route of each file.
    assert [(where(d), d.span.start_col, d.span.end_col) for d in found] == [
        (("a.py", 2), 20, 25),
        (("b_lb.py", 2), 39, 44),
    ]
    assert [d.notes[1] for d in found] == ["rename one of the endpoints"] * 2
    fix = found[1].fix
    assert fix is not None and not fix.safe and fix.message == 'Rename the endpoint to "api-b-lb"'
    path = tmp_path / "b_lb.py"
    path.write_text(apply_edits(path.read_text(), fix.edits))
    assert 'name="api-b-lb"' in path.read_text()
    assert only(check(tmp_path), "FL102") == []


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


def test_fl105_fix_removes_a_parenthesised_declaration_whole(tmp_path: Path) -> None:
    source = (
        "from runpod_flash import Endpoint\n\n"
        'api = (\n    Endpoint(name="api")  # the API\n)  # done\n\nX = 1\n'
    )
    [found] = only(check(tmp_path, {"app.py": source}), "FL105")
    assert found.fix is not None
    # Not a lone ")" left behind (a syntax error the next check reports as FL901).
    assert apply_edits(source, found.fix.edits) == "from runpod_flash import Endpoint\n\n\nX = 1\n"


def test_fl105_offers_no_fix_when_code_follows_the_closing_parenthesis(tmp_path: Path) -> None:
    source = 'from runpod_flash import Endpoint\n\napi = (\n    Endpoint(name="api")\n); X = 1\n'
    [found] = only(check(tmp_path, {"app.py": source}), "FL105")
    assert found.fix is None or found.fix.edits == []


def test_fl105_fix_removes_a_declaration_continued_on_the_next_line(tmp_path: Path) -> None:
    source = 'from runpod_flash import Endpoint\n\napi = \\\n    Endpoint(name="api")\n'
    [found] = only(check(tmp_path, {"app.py": source}), "FL105")
    assert found.fix is not None
    assert apply_edits(source, found.fix.edits) == "from runpod_flash import Endpoint\n\n"


def test_fl102_rename_keeps_the_quotes_and_needs_a_literal_name(tmp_path: Path) -> None:
    files = {
        "a.py": "from runpod_flash import Endpoint\n\n@Endpoint(name='worker')\ndef a(): ...\n",
        "b.py": 'from runpod_flash import Endpoint\nNAME = "worker"\n\n@Endpoint(name=NAME)\ndef b(): ...\n',
    }
    a, b = only(check(tmp_path, files), "FL102")
    assert a.fix is not None
    assert [e.new_text for e in a.fix.edits] == ["'worker-a'"]
    assert where(b) == ("b.py", 4) and b.fix is None  # the name is a constant: no rename


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


def test_fl106_control_characters_are_shown_escaped(tmp_path: Path) -> None:
    files = {
        "w.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="bad\\x01name")\ndef a(): ...\n'
    }
    [found] = only(check(tmp_path, files), "FL106")
    assert found.message == "endpoint name 'bad\\x01name' contains '\\x01'"
    assert "handler file handler_bad\\x01name.py" in found.notes[0]


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


# -- FL109 ----------------------------------------------------------------------------------------

COMMON = """
from runpod_flash import Endpoint, GpuGroup

WORKERS = (1, 3)

api = Endpoint(name="api", gpu=GpuGroup.ADA_24, workers=WORKERS)


def shout(text):
    return text.upper()
"""

ROUTES = """
\"\"\"Routes of the api.\"\"\"

from common import api
from common import shout


@api.post("/classify")
async def classify(text: str):
    return shout(text)


@api.get("/health")
async def health():
    return {"ok": True}
"""


def test_fl109_every_route_outside_the_declaring_module(tmp_path: Path) -> None:
    found = check(tmp_path, {"common.py": COMMON, "routes.py": ROUTES})
    fl109 = only(found, "FL109")
    assert [(where(d), d.span.start_col, d.span.end_col) for d in fl109] == [
        (("routes.py", 3), 19, 22)  # the imported instance
    ]
    finding = fl109[0]
    assert finding.message == "routes of endpoint 'api' are all outside its module"
    assert finding.notes[0].startswith("common.py declares it; flash build succeeds")
    assert "no deployment config" in finding.notes[0]
    assert finding.notes[1] == "declare the Endpoint in routes.py, where its routes are registered"
    assert [(r.path.name, r.span.start_line) for r in finding.related] == [("common.py", 4)]
    assert only(found, "FL102") == []  # the build succeeds: this is not a split-routes failure


def test_fl109_at_the_route_when_the_instance_is_reached_through_an_alias(
    tmp_path: Path,
) -> None:
    routes = 'from common import api\nalias = api\n\n@alias.post("/x")\ndef x(): ...\n'
    [found] = only(check(tmp_path, {"common.py": COMMON, "routes.py": routes}), "FL109")
    assert where(found) == ("routes.py", 4)
    assert (found.span.start_col, found.span.end_col) == (1, 17)  # alias.post("/x")
    assert found.fix is None


def test_fl102_endpoints_named_after_their_functions_at_the_decorator(tmp_path: Path) -> None:
    worker = "from runpod_flash import Endpoint\n\n@Endpoint(cpu='cpu3c-1-2')\ndef work(): ...\n"
    found = only(check(tmp_path, {"a.py": worker, "b.py": worker}), "FL102")
    assert [(where(d), d.span.start_col) for d in found] == [(("a.py", 3), 1), (("b.py", 3), 1)]
    assert found[0].message == "endpoint 'work' also defined in b.py"


def test_fl109_fix_moves_the_declaration_into_the_routes_module(tmp_path: Path) -> None:
    found = only(check(tmp_path, {"common.py": COMMON, "routes.py": ROUTES}), "FL109")
    fix = found[0].fix
    assert fix is not None and not fix.safe
    assert fix.message == "Move the declaration of 'api' into routes.py"
    for name in ("common.py", "routes.py"):
        path = tmp_path / name
        path.write_text(apply_edits(path.read_text(), [e for e in fix.edits if e.path == path]))
    assert (
        (tmp_path / "routes.py")
        .read_text()
        .startswith(
            '"""Routes of the api."""\n'
            "\n"
            "from common import shout\n"
            "from runpod_flash import Endpoint, GpuGroup\n"
            "from common import WORKERS\n"
            "\n"
            'api = Endpoint(name="api", gpu=GpuGroup.ADA_24, workers=WORKERS)\n'
            "\n"
            "\n"
            '@api.post("/classify")\n'
        )
    )
    assert "api = " not in (tmp_path / "common.py").read_text()
    assert codes(check(tmp_path), "FL1") == []


def test_fl109_no_fix_when_the_declaring_module_or_another_file_uses_the_instance(
    tmp_path: Path,
) -> None:
    used_at_home = COMMON + "\nprint(api.name)\n"
    found = only(
        check(tmp_path / "home", {"common.py": used_at_home, "routes.py": ROUTES}), "FL109"
    )
    assert [where(d) for d in found] == [("routes.py", 3)] and found[0].fix is None
    client = "def call():\n    from common import api\n    return api\n"
    files = {"common.py": COMMON, "routes.py": ROUTES, "client.py": client}
    found = only(check(tmp_path / "other", files), "FL109")
    assert [where(d) for d in found] == [("routes.py", 3)] and found[0].fix is None


def test_fl109_not_when_routes_are_at_home_spread_over_files_or_queue_based(
    tmp_path: Path,
) -> None:
    files = {
        "common.py": COMMON,
        "a.py": 'from common import api\n\n@api.get("/a")\ndef a(): ...\n',
        "b.py": 'from common import api\n\n@api.get("/b")\ndef b(): ...\n',
        "queue.py": (
            'from runpod_flash import Endpoint\nep = Endpoint(name="queue", cpu="cpu3c-1-2")\n'
        ),
        "worker.py": "from queue import ep\n\n@ep\ndef work(): ...\n",
    }
    found = check(tmp_path, files)
    assert only(found, "FL109") == []
    # Spread over two modules the build fails outright: FL102 says so, on both route files.
    assert sorted(where(d) for d in only(found, "FL102")) == [("a.py", 3), ("b.py", 3)]


# -- what mutation testing showed unchecked (docs/reliability.md) ------------------------------


def test_fl105_a_bare_endpoint_statement_after_a_used_one(tmp_path: Path) -> None:
    source = (
        "from runpod_flash import Endpoint\n\n"
        '@Endpoint(name="used")\ndef used(): ...\n\n'
        'Endpoint(name="lonely")\n'
    )
    [found] = only(check(tmp_path, {"w.py": source}), "FL105")
    assert found.message == "this Endpoint has no routes and decorates no function"
    assert (found.span.start_line, found.span.start_col, found.span.end_col) == (5, 0, 8)
    assert found.notes[1].startswith('add `@ep.post("/path")` routes, use it as a decorator')


def test_fl107_clients_after_a_legacy_remote(tmp_path: Path) -> None:
    source = """
    from runpod_flash import Endpoint, LiveServerless, remote

    @remote(LiveServerless(name="legacy"))
    async def legacy(): ...

    image_client = Endpoint(name="svc", image="me/img:1")
    positional = Endpoint("svc2", image="me/img:1")

    @image_client
    def decorated(): ...
    """
    found = only(check(tmp_path, {"w.py": source}), "FL107")
    assert [d.message for d in found] == ["client Endpoint(image=...) used as a decorator"]


def test_fl104_a_unique_function_before_a_duplicate_one(tmp_path: Path) -> None:
    a = 'from runpod_flash import Endpoint\n\n@Endpoint(name="u")\ndef unique(): ...\n\n@Endpoint(name="a")\ndef dup(): ...\n'
    b = 'from runpod_flash import Endpoint\n\n@Endpoint(name="b")\ndef dup(): ...\n'
    found = only(check(tmp_path, {"a.py": a, "b.py": b}), "FL104")
    assert [where(d) for d in found] == [("a.py", 7), ("b.py", 4)]


def test_fl106_after_unused_and_unnamed_endpoints_and_every_character(tmp_path: Path) -> None:
    source = """
    from runpod_flash import Endpoint

    unused = Endpoint(name="x/y")

    @Endpoint(cpu="cpu3c-1-2")
    def unnamed(): ...

    @Endpoint(name="a/b:c")
    def bad(): ...
    """
    [found] = only(check(tmp_path, {"w.py": source}), "FL106")
    assert found.message == "endpoint name 'a/b:c' contains '/' ':'"


def test_fl103_route_without_a_path_and_names_known_only_at_run_time(tmp_path: Path) -> None:
    source = """
    from runpod_flash import Endpoint
    from naming import make_name

    api = Endpoint(name="api", cpu="cpu3c-1-2")

    @api.post()
    def run(): ...

    @api
    def background(): ...

    lb = Endpoint(name=make_name(), cpu="cpu3c-1-2")

    @lb.get("/x")
    def x(): ...

    @Endpoint(name=make_name())
    def queued(): ...
    """
    [found] = only(
        check(tmp_path, {"w.py": source, "naming.py": "def make_name(): ...\n"}), "FL103"
    )
    assert found.related[0].message == "route POST ? registered here"


def test_fl102_clients_with_an_image_count_and_renames_avoid_taken_names(tmp_path: Path) -> None:
    files = {
        "a.py": 'from runpod_flash import Endpoint\n\nsvc = Endpoint(name="svc", image="me/img:1")\n\n@Endpoint(name="worker")\ndef a(): ...\n',
        "b.py": 'from runpod_flash import Endpoint\n\nsvc = Endpoint(name="svc", image="me/img:2")\n\n@Endpoint(name="worker")\ndef b(): ...\n',
        "c.py": 'from runpod_flash import Endpoint\n\nold = Endpoint(name="old", id="abc")\n\n@Endpoint(name="worker-a")\ndef c(): ...\n',
        "d.py": 'from runpod_flash import Endpoint\n\nold = Endpoint(name="old", id="def")\n',
    }
    found = only(check(tmp_path, files), "FL102")
    assert sorted(d.message for d in found) == [
        "endpoint 'svc' also defined in a.py",
        "endpoint 'svc' also defined in b.py",
        "endpoint 'worker' also defined in a.py",
        "endpoint 'worker' also defined in b.py",
    ]
    fixes = {(d.path.name, d.message.split("'")[1]): d.fix for d in found}
    assert fixes[("a.py", "worker")] is None  # worker-a is taken (c.py)
    b_fix = fixes[("b.py", "worker")]
    assert b_fix is not None and b_fix.message == 'Rename the endpoint to "worker-b"'


def test_fl109_not_for_a_client_used_for_routes_elsewhere(tmp_path: Path) -> None:
    files = {
        "common.py": 'from runpod_flash import Endpoint\n\nremote_api = Endpoint(id="abc")\n',
        "routes.py": 'from common import remote_api\n\n@remote_api.post("/x")\ndef x(): ...\n',
    }
    found = check(tmp_path, files)
    assert only(found, "FL109") == [] and codes(found, "FL107") == ["FL107"]


def test_fl109_not_for_a_mixed_endpoint(tmp_path: Path) -> None:
    # Routes and a queue function of one instance, all in another file: that is FL103's.
    routes = (
        'from common import api\n\n@api.post("/x")\ndef x(): ...\n\n@api\ndef background(): ...\n'
    )
    found = check(tmp_path, {"common.py": COMMON, "routes.py": routes})
    assert only(found, "FL109") == [] and codes(found, "FL103") == ["FL103"]


def test_fl10x_findings_in_later_files_after_skipped_endpoints(tmp_path: Path) -> None:
    # a.py holds what each rule passes over (a used endpoint, an unnamed one, a function with
    # two routes, a name in one file); b.py and c.py what each must still report.
    files = {
        "a.py": """
        from runpod_flash import Endpoint

        api = Endpoint(name="api", cpu="cpu3c-1-2")

        @api.get("/a")
        @api.get("/b")
        def f(): ...

        @api.get("/c")
        def g(): ...

        @Endpoint(cpu="cpu3c-1-2")
        def unnamed(): ...

        @Endpoint(name="solo")
        def solo(): ...
        """,
        "b.py": """
        from runpod_flash import Endpoint

        Endpoint(name="lonely")

        @Endpoint(name="bad/name")
        def bad(): ...

        @Endpoint(name="dup")
        def g(): ...
        """,
        "c.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="dup")\ndef h(): ...\n',
    }
    found = check(tmp_path, files)
    assert [where(d) for d in only(found, "FL104")] == [("a.py", 10), ("b.py", 9)]
    assert [where(d) for d in only(found, "FL105")] == [("b.py", 3)]
    assert [where(d) for d in only(found, "FL106")] == [("b.py", 5)]
    assert sorted(where(d) for d in only(found, "FL102")) == [("b.py", 8), ("c.py", 3)]


def test_fl102_reported_at_the_declaration_in_its_file(tmp_path: Path) -> None:
    # b.py has a route of a.py's "svc" first, then its own "svc": the finding for b.py sits on
    # its own declaration's name (the one a rename would change).
    files = {
        "a.py": 'from runpod_flash import Endpoint\napi = Endpoint(name="svc", cpu="cpu3c-1-2")\n\n@api.get("/a")\ndef a(): ...\n',
        "b.py": """
        from a import api
        from runpod_flash import Endpoint

        @api.get("/x")
        def x(): ...

        other = Endpoint(name="svc", cpu="cpu3c-1-2")

        @other.get("/y")
        def y(): ...
        """,
    }
    found = {d.path.name: d for d in only(check(tmp_path, files), "FL102")}
    assert where(found["b.py"]) == ("b.py", 7)


def test_fl109_with_a_route_decorator_without_a_call(tmp_path: Path) -> None:
    routes = "from common import api\n\n@api.post\ndef x(): ...\n"
    [found] = only(check(tmp_path, {"common.py": COMMON, "routes.py": routes}), "FL109")
    assert where(found) == ("routes.py", 1)


def test_fl106_after_a_name_known_only_at_run_time(tmp_path: Path) -> None:
    files = {
        "a.py": "from runpod_flash import Endpoint\nfrom naming import make\n\n@Endpoint(name=make())\ndef a(): ...\n",
        "b.py": 'from runpod_flash import Endpoint\n\n@Endpoint(name="bad/name")\ndef b(): ...\n',
        "naming.py": "def make(): ...\n",
    }
    assert [where(d) for d in only(check(tmp_path, files), "FL106")] == [("b.py", 3)]
