"""Migration of runpod_flash files to the app API (``flash_ls.fixes.migrate``): one case per
mapping, lossless edits, and the patterns that do not migrate (reasons, no edit).

The proof on the fixture apps (rc2's own discovery and build) is ``test_migrate_examples.py``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from apps import load_app, write_app

from flash_ls.fixes.migrate import AppMigration, FileMigration, migrate_app, migrate_file
from flash_ls.project.endpoint_model import EndpointKind


def plan(tmp_path: Path, files: dict[str, str], name: str = "my-app") -> AppMigration:
    root = write_app(tmp_path / name, files)
    return migrate_app(load_app(root))


def one(tmp_path: Path, text: str, name: str = "my-app") -> FileMigration:
    migration = plan(tmp_path, {"main.py": text}, name)
    [found] = [f for f in migration.files if f.rel == "main.py"]
    return found


def migrated(tmp_path: Path, text: str, name: str = "my-app") -> str:
    found = one(tmp_path, text, name)
    assert found.reasons == [], found.reasons
    assert found.text is not None
    return found.text


def reasons(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    """(1-based line, message) of each reason; the file must get no text."""
    found = one(tmp_path, text)
    assert found.text is None and not found.migrates
    return [(r.span.start_line + 1, r.message) for r in found.reasons]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# -- queue endpoints ------------------------------------------------------------------------


def test_inline_queue_endpoint_keywords_and_enums(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        # A worker.
        from runpod_flash import CudaVersion, DataCenter, Endpoint, GpuGroup, GpuType
        from runpod_flash import ServerlessScalerType


        @Endpoint(
            "infer",  # the endpoint's name
            gpu=[GpuGroup.ADA_24, GpuType.NVIDIA_L4],
            datacenter=[DataCenter.EU_RO_1, "us_ks_2"],
            scaler_type=ServerlessScalerType.REQUEST_COUNT,
            min_cuda_version=CudaVersion.V12_4,
            dependencies=["numpy"],
            env={"A": "1"},
        )
        async def infer(data: dict) -> dict:
            return data
        """,
    )
    assert text == dedent(
        """
        # A worker.
        import runpod

        app = runpod.App("my-app")


        @app.queue(
            name="infer",  # the endpoint's name
            gpu=["ADA_24", "NVIDIA L4"],
            datacenter=["EU-RO-1", "us_ks_2"],
            scaler_type="REQUEST_COUNT",
            min_cuda_version="12.4",
            dependencies=["numpy"],
            env={"A": "1"},
            workers=1,
        )
        async def infer(data: dict) -> dict:
            return data
        """
    )


def test_gpu_any_cpu_and_explicit_workers(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        from runpod_flash import CpuInstanceType, Endpoint, GpuGroup

        @Endpoint(name="anygpu", gpu=GpuGroup.ANY, workers=(1, 4), idle_timeout=5)
        def a(x: int) -> int:
            return x

        @Endpoint(name="cpu-one", cpu=[CpuInstanceType.CPU5C_2_4, "cpu3c-1-2"], workers=2)
        def b(x: int) -> int:
            return x
        """,
    )
    assert '@app.queue(name="anygpu", gpu="any", workers=(1, 4), idle_timeout=5)' in text
    assert '@app.queue(name="cpu-one", cpu=["cpu5c-2-4", "cpu3c-1-2"], workers=2)' in text


def test_module_alias_import(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        import runpod_flash as rf

        @rf.Endpoint(name="aliased", gpu=rf.GpuType.NVIDIA_B200)
        def a() -> None: ...
        """,
    )
    assert text.startswith('import runpod\n\napp = runpod.App("my-app")\n')
    assert '@app.queue(name="aliased", gpu="NVIDIA B200", workers=1)' in text
    assert "rf" not in text


def test_instance_form_moves_the_call_and_its_comments(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        from runpod_flash import Endpoint, GpuType

        # Embeddings, four at a time.
        embedder = Endpoint(
            name="embedder",
            gpu=GpuType.NVIDIA_GEFORCE_RTX_4090,
            max_concurrency=4,
        )


        @embedder
        async def embed(texts: list) -> dict:
            return {"n": len(texts)}
        """,
    )
    assert text == dedent(
        """
        import runpod

        app = runpod.App("my-app")


        # Embeddings, four at a time.
        @app.queue(
            name="embedder",
            gpu="NVIDIA GeForce RTX 4090",
            max_concurrency=4,
            workers=1,
        )
        async def embed(texts: list) -> dict:
            return {"n": len(texts)}
        """
    )


def test_gpu_type_notes_the_pool_rc2_admits(tmp_path: Path) -> None:
    found = one(
        tmp_path,
        """
        from runpod_flash import Endpoint, GpuType

        @Endpoint(name="l4-only", gpu=GpuType.NVIDIA_L4)
        def a() -> None: ...
        """,
    )
    assert found.migrates
    assert [n.message for n in found.notes] == ["rc2 admits whole GPU pools here: AMPERE_24"]


def test_calls_of_queue_functions_become_remote_aio(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        from runpod_flash import Endpoint

        @Endpoint(name="first")
        async def first(x: int) -> int:
            return x

        @Endpoint(name="second")
        async def second(x: int) -> int:
            return await first(x) + 1
        """,
    )
    assert "return await first.remote.aio(x) + 1" in text


def test_main_block_becomes_a_local_entrypoint(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        from runpod_flash import Endpoint

        @Endpoint(name="hello")
        async def hello(data: dict) -> dict:
            return data


        if __name__ == "__main__":
            import asyncio

            # Runs the endpoint remotely.
            print(asyncio.run(hello({"message": "hi"})))
        """,
    )
    assert text.endswith(
        dedent(
            """
            @runpod.local_entrypoint
            def main():
                import asyncio

                # Runs the endpoint remotely.
                print(asyncio.run(hello.remote.aio({"message": "hi"})))
            """
        )
    )


def test_main_block_takes_a_free_name(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        from runpod_flash import Endpoint

        @Endpoint(name="hello")
        async def hello() -> None: ...

        async def main() -> None:
            await hello()

        if __name__ == "__main__":
            import asyncio
            asyncio.run(main())
        """,
    )
    assert "@runpod.local_entrypoint\ndef local_main():\n" in text
    assert "await hello.remote.aio()" in text


# -- load-balanced endpoints ----------------------------------------------------------------


def test_load_balanced_routes_become_an_api_class(tmp_path: Path) -> None:
    found = one(
        tmp_path,
        """
        from runpod_flash import CpuInstanceType, Endpoint

        # The public API.
        api = Endpoint(name="lb-api", cpu=CpuInstanceType.CPU3C_1_2, max_concurrency=2)


        @api.get("/health")
        async def health() -> dict:
            # always fine
            return {"status": "ok"}


        def helper() -> int:
            return 1


        @api.post("/run")
        def run() -> dict:
            \"\"\"Run once.\"\"\"
            return {"x": helper()}
        """,
    )
    assert found.migrates and found.text is not None
    assert found.text == dedent(
        """
        import runpod

        app = runpod.App("my-app")


        def helper() -> int:
            return 1


        # The public API.
        @app.api(name="lb-api", cpu="cpu3c-1-2", workers=1)
        class Api:
            @runpod.get("/health")
            async def health(self) -> dict:
                # always fine
                return {"status": "ok"}

            @runpod.post("/run")
            def run(self, body=None) -> dict:
                \"\"\"Run once.\"\"\"
                return {"x": helper()}
        """
    )
    assert [n.message for n in found.notes] == [
        "max_concurrency dropped: runpod_flash ignores it on an LB"
    ]


def test_network_volume_becomes_a_mount(tmp_path: Path) -> None:
    text = migrated(
        tmp_path,
        """
        from runpod_flash import DataCenter, Endpoint, GpuGroup, NetworkVolume

        volume = NetworkVolume(name="models", size=50, dataCenterId=DataCenter.US_KS_2)


        @Endpoint(name="with-volume", gpu=GpuGroup.AMPERE_80, volume=volume)
        def a() -> None: ...


        @Endpoint(name="inline-vol", gpu=GpuGroup.AMPERE_80, volume=[NetworkVolume(name="x")])
        def b() -> None: ...
        """,
    )
    assert 'volume = runpod.NetworkVolume(name="models", size=50, datacenter="US-KS-2")' in text
    assert 'mounts={"/runpod-volume": volume}' in text
    assert (
        'mounts={"/runpod-volume": runpod.NetworkVolume(name="x", size=100, '
        'datacenter="EU-RO-1")}' in text
    )


# -- lossless --------------------------------------------------------------------------------


def test_everything_else_is_kept_byte_for_byte(tmp_path: Path) -> None:
    original = dedent(
        """
        #!/usr/bin/env python
        # -*- coding: utf-8 -*-
        \"\"\"Module docstring.\"\"\"
        import os   # odd spacing kept
        from runpod_flash import Endpoint, GpuGroup

        CONSTANT = {  'a' :1 }   # comment


        def helper( x ):
            # inner comment
            return x*2


        @Endpoint(name="kept", gpu=GpuGroup.ADA_24)   # trailing comment
        def kept(  value  ):
            return helper( value )  # call kept


        class Other:
            pass
        """
    )
    text = migrated(tmp_path, original)
    changed = {
        "from runpod_flash import Endpoint, GpuGroup\n": "import runpod\n",
        '@Endpoint(name="kept", gpu=GpuGroup.ADA_24)   # trailing comment\n': (
            '@app.queue(name="kept", gpu="ADA_24", workers=1)   # trailing comment\n'
        ),
    }
    expected = original
    for before, after in changed.items():
        expected = expected.replace(before, after)
    expected = expected.replace(
        "import runpod\n", 'import runpod\n\napp = runpod.App("my-app")\n', 1
    )
    assert text == expected


def test_crlf_line_ends_are_kept(tmp_path: Path) -> None:
    root = tmp_path / "crlf"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "x"\n')
    source = (
        "from runpod_flash import Endpoint\r\n\r\n\r\n"
        '@Endpoint(name="crlf")\r\ndef f() -> None:\r\n    pass\r\n'
    )
    (root / "main.py").write_bytes(source.encode())
    found = migrate_file(load_app(root), root / "main.py")
    assert found.text is not None and found.migrates
    assert "\r\n" in found.text and "\n" not in found.text.replace("\r\n", "")


def test_a_file_without_runpod_flash_is_untouched(tmp_path: Path) -> None:
    migration = plan(
        tmp_path,
        {
            "main.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="solo")
            def solo() -> None: ...
            """,
            "helpers.py": "def helper():\n    return 1\n",
        },
    )
    assert migration.migrates
    assert [f.rel for f in migration.files] == ["main.py"]


def test_the_migrated_app_reads_back_as_the_same_resources(tmp_path: Path) -> None:
    files = {
        "main.py": """
        from runpod_flash import CpuInstanceType, Endpoint, GpuGroup

        api = Endpoint(name="the-api", cpu=CpuInstanceType.CPU3C_1_2)


        @api.get("/health")
        def health() -> dict:
            return {}


        @Endpoint(name="the-queue", gpu=GpuGroup.ADA_24)
        def work() -> None: ...
        """
    }
    root = write_app(tmp_path / "readback", files)
    before = {(str(e.name), e.kind) for e in load_app(root).endpoints}
    migration = migrate_app(load_app(root))
    for found in migration.changed_files:
        assert found.text is not None
        found.path.write_text(found.text)
    after = {(str(e.name), e.kind) for e in load_app(root).app_api_endpoints}
    assert (
        before
        == after
        == {
            ("the-api", EndpointKind.LOAD_BALANCED),
            ("the-queue", EndpointKind.QUEUE),
        }
    )
    assert load_app(root).endpoints == []
    # Migrated once, there is nothing left to migrate.
    assert migrate_app(load_app(root)).files == []


# -- what does not migrate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            """
            from runpod_flash import Endpoint

            @Endpoint(name="cls")
            class Model:
                def predict(self, x): ...
            """,
            [(3, "class as queue resource: rc2 has queue functions only")],
        ),
        (
            """
            from runpod_flash import Endpoint

            api = Endpoint(name="items")

            @api.get("/items/{item_id}")
            def get_item(item_id: int) -> dict: ...
            """,
            [(5, "path parameters: rc2 passes routes only the body")],
        ),
        (
            """
            from runpod_flash import Endpoint

            api = Endpoint(name="params")

            @api.post("/run")
            def run(text: str) -> dict: ...
            """,
            [(6, "handler parameters: rc2 passes a route only its JSON body")],
        ),
        (
            """
            from runpod_flash import Endpoint

            api = Endpoint(name="reserved")

            @api.post("/_runpod/sync")
            def sync() -> dict: ...
            """,
            [(5, "route path /_runpod/sync is reserved by the rc2 runtime")],
        ),
        (
            """
            from runpod_flash import Endpoint, PodTemplate

            @Endpoint(name="tpl", template=PodTemplate(containerDiskInGb=80))
            def f() -> None: ...
            """,
            [(3, "template= has no app API equivalent")],
        ),
        (
            """
            from runpod_flash import Endpoint

            other = Endpoint(id="abc123")

            async def call() -> None:
                await other.runsync({})
            """,
            [(3, "client endpoint (id=): use runpod.Endpoint or runpod.Queue/Api stubs")],
        ),
        (
            """
            from runpod_flash import Endpoint, EndpointJob

            @Endpoint(name="jobs")
            def f() -> None: ...

            def status(job: EndpointJob) -> str: ...
            """,
            [(6, "runpod_flash.EndpointJob has no app API mapping here")],
        ),
        (
            """
            from runpod_flash import Endpoint

            @Endpoint(name="same")
            def a() -> None: ...

            @Endpoint(name="same")
            def b() -> None: ...
            """,
            [(6, "resource name 'same' is used twice; rc2 rejects it")],
        ),
        (
            """
            from runpod_flash import Endpoint

            @Endpoint(name="ab")
            def a() -> None: ...
            """,
            [(3, "resource name 'ab' is under 3 characters (rc2 build)")],
        ),
        (
            """
            from runpod_flash import Endpoint

            @Endpoint(name="handle")
            def a() -> None: ...

            JOBS = [a]
            """,
            [(6, "'a' used as a value: rc2 queue handles are not callable")],
        ),
        (
            """
            from runpod_flash import Endpoint, GpuType

            GPU = GpuType.NVIDIA_L4

            @Endpoint(name="const-gpu", gpu=GPU)
            def a() -> None: ...
            """,
            [
                (3, "runpod_flash.GpuType has no app API mapping here"),
                (5, "gpu= is not written as enum members or strings"),
            ],
        ),
        (
            """
            from runpod_flash import Endpoint, NetworkVolume

            @Endpoint(
                name="two-volumes",
                volume=[NetworkVolume(name="a"), NetworkVolume(name="b")],
            )
            def a() -> None: ...
            """,
            [(5, "rc2 endpoints take one volume, at /runpod-volume")],
        ),
        (
            """
            from runpod_flash import Endpoint

            ep = Endpoint(name="shared")

            @ep
            def a() -> None: ...

            @ep
            def b() -> None: ...
            """,
            [(3, "'ep' decorates 2 functions; rc2 needs one each")],
        ),
    ],
)
def test_patterns_that_do_not_migrate(
    tmp_path: Path, source: str, expected: list[tuple[int, str]]
) -> None:
    assert reasons(tmp_path, source) == expected


def test_reasons_are_short(tmp_path: Path) -> None:
    found = reasons(
        tmp_path,
        """
        from runpod_flash import Endpoint

        api = Endpoint(name="a-long-enough-name")

        @api.get("/items/{item_id}")
        def get_item(item_id: int) -> dict: ...
        """,
    )
    assert found and all(len(message) < 80 for _, message in found)


def test_endpoints_in_several_modules_do_not_migrate(tmp_path: Path) -> None:
    migration = plan(
        tmp_path,
        {
            "a.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="in-a")
            def a() -> None: ...
            """,
            "b.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="in-b")
            def b() -> None: ...
            """,
        },
    )
    assert not migration.migrates
    assert [(f.rel, f.text, [r.message for r in f.reasons]) for f in migration.files] == [
        ("a.py", None, ["app has endpoints in 2 modules; rc2 keeps one App per name"]),
        ("b.py", None, ["app has endpoints in 2 modules; rc2 keeps one App per name"]),
    ]


def test_an_endpoint_imported_by_a_shipped_module_does_not_migrate(tmp_path: Path) -> None:
    migration = plan(
        tmp_path,
        {
            "worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="worker")
            async def work(x: int) -> int:
                return x
            """,
            "client.py": """
            async def go() -> int:
                from worker import work

                return await work(1)
            """,
        },
    )
    [worker] = migration.files
    assert [(r.span.start_line + 1, r.message) for r in worker.reasons] == [
        (4, "'work' is imported by client.py; handles differ")
    ]


def test_a_test_importing_an_endpoint_is_a_note(tmp_path: Path) -> None:
    migration = plan(
        tmp_path,
        {
            "worker.py": """
            from runpod_flash import Endpoint

            @Endpoint(name="worker")
            def work(x: int) -> int:
                return x
            """,
            "test_worker.py": "from worker import work\n",
            "requirements.txt": "runpod-flash\nnumpy\n",
        },
    )
    assert migration.migrates
    [worker] = migration.files
    assert [n.message for n in worker.notes] == [
        "test_worker.py imports 'work'; call it with .remote() or .local()"
    ]
    assert [(p.name, n.message) for p, n in migration.notes] == [
        ("requirements.txt", "requirements.txt still lists runpod-flash")
    ]


# -- the editor's code action (flash-ls migrate: tests/cli/test_migrate_cmd.py) --------------

WORKER = """
from runpod_flash import Endpoint, GpuGroup


@Endpoint(name="cli-worker", gpu=GpuGroup.ADA_24)
def work(x: int) -> int:
    return x
"""


def test_code_action_offers_the_migration_when_asked(tmp_path: Path) -> None:
    from lsprotocol import types

    from flash_ls.diagnostic import TextEdit
    from flash_ls.fixes.apply import apply_edits
    from flash_ls.server.actions import (
        MIGRATE_KIND,
        MIGRATE_TITLE,
        ActionContext,
        MigrationOffer,
        code_actions,
    )
    from flash_ls.server.diagnostics_manager import FileReport
    from flash_ls.span import Span

    root = write_app(tmp_path / "action-app", {"worker.py": WORKER})
    path = root / "worker.py"
    text = path.read_text()

    def migration() -> MigrationOffer | None:
        found = migrate_file(load_app(root), path)
        assert found.migrates and found.text is not None
        return MigrationOffer({path: (found.original, found.text)})

    report = FileReport(path, root, 1, [], [], [], "r1", text)
    ctx = ActionContext(
        report, None, "utf-16", False, 1, lambda p: p.as_uri(), lambda p: None, None, migration
    )
    anywhere = types.Range(types.Position(0, 0), types.Position(0, 0))
    # The lightbulb (no kind asked for) does not plan migrations: only Source Action... does.
    assert code_actions(ctx, anywhere, [], None) == []
    assert code_actions(ctx, anywhere, [], ["quickfix"]) == []
    [action] = code_actions(ctx, anywhere, [], ["source"])
    assert (action.title, action.kind, action.disabled) == (MIGRATE_TITLE, MIGRATE_KIND, None)
    assert action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes[path.as_uri()]
    start, end = edit.range.start, edit.range.end
    span = Span(start.line, start.character, end.line, end.character)
    migrated = apply_edits(text, [TextEdit(path, span, edit.new_text)])
    assert migrated == migration_text(root)

    # An app that does not migrate: a disabled action with the reason, for a client showing it.
    def blocked() -> MigrationOffer:
        return MigrationOffer({}, "line 3: class as queue resource")

    shown = ActionContext(
        report, None, "utf-16", False, 1, lambda p: p.as_uri(), lambda p: None, None, blocked, True
    )
    [disabled] = code_actions(shown, anywhere, [], ["source"])
    assert disabled.edit is None
    assert disabled.disabled == types.CodeActionDisabled(reason="line 3: class as queue resource")
    hidden = ActionContext(
        report, None, "utf-16", False, 1, lambda p: p.as_uri(), lambda p: None, None, blocked
    )
    assert code_actions(hidden, anywhere, [], ["source"]) == []
    # Nothing to migrate: no action.
    nothing = ActionContext(
        report, None, "utf-16", False, 1, lambda p: p.as_uri(), lambda p: None, None, lambda: None
    )
    assert code_actions(nothing, anywhere, [], ["source"]) == []


def migration_text(root: Path) -> str:
    found = migrate_file(load_app(root), root / "worker.py")
    assert found.text is not None
    return found.text
