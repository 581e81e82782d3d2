"""FL108 and FL3xx: imports and dependencies."""

from __future__ import annotations

from pathlib import Path

from apps import check, codes, full, only, where

from flash_ls.diagnostic import Diagnostic, Severity
from flash_ls.fixes.apply import apply_edits
from flash_ls.rules.registry import FixAvailability, lookup

CPU_WORKER = """
from runpod_flash import CpuInstanceType, Endpoint


@Endpoint(name="preprocess", cpu=CpuInstanceType.CPU3G_2_8)
async def preprocess_text(input_data: dict) -> dict:
    import re

    return {"text": re.sub(r"\\s+", " ", input_data.get("text", ""))}


WORD_LIMIT = 100
"""


def test_rules_are_registered_with_the_contract() -> None:
    expected = {
        "FL108": ("top-level-endpoint-import", Severity.ERROR),
        "FL301": ("top-level-import", Severity.WARNING),
        "FL302": ("module-global-in-endpoint", Severity.INFO),
        "FL303": ("undeclared-dependency", Severity.WARNING),
        "FL304": ("dependencies-not-collected", Severity.WARNING),
        "FL305": ("torch-on-cpu", Severity.WARNING),
        "FL306": ("invalid-dependency", Severity.ERROR),
    }
    for code, (slug, severity) in expected.items():
        found = lookup(code)
        assert found is not None and found.slug == slug and found.severity is severity
        for heading in ("## What it does", "## Why is this bad", "## Example"):
            assert heading in found.doc, (code, heading)
        if found.fix is not FixAvailability.NONE:
            assert "## Fix" in found.doc, code


# -- FL108 --------------------------------------------------------------------------------------


def test_fl108_top_level_from_import_of_sibling_endpoint(tmp_path: Path) -> None:
    files = {
        "cpu_worker.py": CPU_WORKER,
        "pipeline.py": """
        from cpu_worker import preprocess_text
        from runpod_flash import Endpoint

        pipeline = Endpoint(name="pipeline", cpu="cpu3c-1-2")


        @pipeline.post("/classify")
        async def classify(text: str) -> dict:
            return await preprocess_text({"text": text})
        """,
    }
    found = only(check(tmp_path, files), "FL108")
    assert [where(d) for d in found] == [("pipeline.py", 1)]
    finding = found[0]
    assert finding.severity is Severity.ERROR
    assert finding.span.start_col == len("from cpu_worker import ")  # the imported name
    assert finding.message == "top-level import of endpoint function 'preprocess_text'"
    why, advice = finding.notes
    assert "'preprocess'" in why and "cpu_worker.py" in why and "two files" in why
    assert "inside the function" in advice
    assert finding.related[0].path.name == "cpu_worker.py"
    assert finding.related[0].span.start_line == 4  # the def
    assert finding.fix is not None and finding.fix.safe


def test_fl108_alias_and_star_while_a_package_reexport_is_fl307(tmp_path: Path) -> None:
    files = {
        "workers/__init__.py": "from .cpu import preprocess_text\n",
        "workers/cpu.py": CPU_WORKER,
        "aliased.py": """
        from workers.cpu import preprocess_text as pre

        def run():
            return pre
        """,
        "through_package.py": """
        from workers import preprocess_text
        """,
        "starred.py": """
        from workers.cpu import *
        """,
    }
    found = check(tmp_path, files)
    fl108 = only(found, "FL108")
    assert sorted(where(d) for d in fl108) == [("aliased.py", 1), ("starred.py", 1)]
    starred = next(d for d in fl108 if d.path.name == "starred.py")
    assert "import *" in starred.message and starred.fix is None
    # The build never runs workers/__init__.py: importing through it fails before anything else.
    assert [where(d) for d in only(found, "FL307")] == [("through_package.py", 1)]


# What the pipelines below import: a CPU worker module and a GPU worker module inside a package.
WORKER_MODULES = {
    "cpu_worker.py": CPU_WORKER,
    "pkg/__init__.py": "",
    "pkg/gpu_worker.py": """
    from runpod_flash import Endpoint, GpuGroup

    @Endpoint(name="gpu", gpu=GpuGroup.ADA_24)
    async def infer(data: dict) -> dict:
        return data
    """,
}


def test_fl108_not_for_in_function_imports_modules_helpers_or_guarded_code(tmp_path: Path) -> None:
    files = {
        **WORKER_MODULES,
        "pipeline.py": """
        import cpu_worker
        from cpu_worker import WORD_LIMIT
        from pkg import gpu_worker
        from runpod_flash import Endpoint

        pipeline = Endpoint(name="pipeline", cpu="cpu3c-1-2")


        @pipeline.post("/classify")
        async def classify(text: str) -> dict:
            from cpu_worker import preprocess_text
            from pkg.gpu_worker import infer

            return await infer(await preprocess_text({"text": text}))


        if __name__ == "__main__":
            from cpu_worker import preprocess_text
        """,
        # Not shipped (tests/ is ignored by the build): never imported by flash build.
        "tests/test_pipeline.py": """
        from cpu_worker import preprocess_text
        """,
    }
    assert only(check(tmp_path, files), "FL108") == []


def test_fl108_not_for_importing_the_sibling_module_and_calling_through_it(
    tmp_path: Path,
) -> None:
    # `import worker` then `worker.fn(...)`: the module-level name is a module, which carries no
    # endpoint configuration, so the build sees each endpoint once and succeeds.
    files = {
        **WORKER_MODULES,
        "pipeline.py": """
        import cpu_worker
        import pkg.gpu_worker as gpu
        from pkg import gpu_worker
        from runpod_flash import Endpoint

        pipeline = Endpoint(name="pipeline", cpu="cpu3c-1-2")
        STEPS = (cpu_worker.WORD_LIMIT, gpu_worker.__name__)


        @pipeline.post("/classify")
        async def classify(text: str) -> dict:
            cleaned = await cpu_worker.preprocess_text({"text": text})
            return await gpu.infer(cleaned)
        """,
    }
    found = check(tmp_path, files)
    assert only(found, "FL108") == [] and only(found, "FL307") == []


# -- FL307 --------------------------------------------------------------------------------------

SERVICE_API = """
from runpod_flash import Endpoint

api = Endpoint(name="svc", cpu="cpu3c-1-2")


@api.post("/echo")
async def echo(text: str) -> dict:
    return {"text": text}
"""
HELPERS = "def clean(text):\n    return text.strip()\n"


def fixed(finding: Diagnostic) -> str:
    """Apply a finding's fix to its file and return the new text."""
    assert finding.fix is not None
    path = finding.path
    path.write_text(apply_edits(path.read_text(), finding.fix.edits))
    return path.read_text()


def test_fl307_name_reexported_by_a_package_init(tmp_path: Path) -> None:
    files = {
        "service/__init__.py": "from .helpers import clean\n",
        "service/helpers.py": HELPERS,
        "worker.py": """
        from runpod_flash import Endpoint
        from service import clean

        @Endpoint(name="worker", cpu="cpu3c-1-2")
        def work(text: str) -> str:
            return clean(text)
        """,
    }
    found = only(check(tmp_path, files), "FL307")
    assert [(where(d), d.span.start_col) for d in found] == [(("worker.py", 2), 20)]
    finding = found[0]
    assert finding.severity is Severity.ERROR
    assert finding.message == "'clean' is imported through service/__init__.py"
    assert "registers an empty package 'service'" in finding.notes[0]
    assert finding.notes[1] == "import it from service.helpers, the module that defines it"
    assert [(r.path.name, r.span.start_line) for r in finding.related] == [("__init__.py", 0)]
    assert finding.fix is not None and finding.fix.safe
    assert "from service.helpers import clean\n" in fixed(finding)
    assert only(check(tmp_path), "FL307") == []


def test_fl307_name_shadowing_a_submodule_routes_file(tmp_path: Path) -> None:
    # flash-platform 9: `from service import api` gives the module service/api.py at build time.
    files = {
        "service/__init__.py": "from .api import api\n",
        "service/api.py": "from runpod_flash import Endpoint\n\napi = Endpoint(name='svc')\n",
        "routes.py": """
        from service import api

        @api.post("/echo")
        async def echo(text: str) -> dict:
            return {"text": text}
        """,
    }
    found = only(check(tmp_path, files), "FL307")
    assert [where(d) for d in found] == [("routes.py", 1)]
    assert "imports the module service.api instead" in found[0].notes[0]
    assert fixed(found[0]).startswith("from service.api import api\n")
    assert only(check(tmp_path), "FL307") == []


def test_fl307_fix_follows_aliases_nested_packages_and_relative_imports(
    tmp_path: Path,
) -> None:
    files = {
        "pkg/__init__.py": "from .sub import api\nfrom .text import clean as tidy\n",
        "pkg/text.py": HELPERS,
        "pkg/sub/__init__.py": "from .impl import *\n",
        "pkg/sub/impl.py": SERVICE_API,
        "pkg/routes.py": """
        from . import tidy as t, text

        def shout(x):
            return t(x)
        """,
        "main.py": "from pkg import api\n",
    }
    found = only(check(tmp_path, files), "FL307")
    assert [where(d) for d in found] == [("main.py", 1), ("routes.py", 1)]
    main, routes = found
    assert fixed(main) == "from pkg.sub.impl import api\n"
    # `text` is a plain submodule and stays; the re-export gets its own relative import.
    assert fixed(routes).startswith("from . import text\nfrom .text import clean as t\n")
    assert only(check(tmp_path), "FL307") == []


def test_fl307_name_defined_in_init_has_no_fix(tmp_path: Path) -> None:
    files = {
        "util/__init__.py": "def shout(text):\n    return text.upper()\n",
        "worker.py": """
        from runpod_flash import Endpoint
        from util import shout

        @Endpoint(name="worker", cpu="cpu3c-1-2")
        def work(text: str) -> str:
            return shout(text)
        """,
    }
    found = only(check(tmp_path, files), "FL307")
    assert [where(d) for d in found] == [("worker.py", 2)]
    assert "util/__init__.py defines 'shout'" in found[0].notes[0]
    assert "move 'shout' out of util/__init__.py" in found[0].notes[1]
    assert found[0].fix is None


def test_fl307_module_attribute_of_an_imported_package(tmp_path: Path) -> None:
    # `import service` + `@service.api.post`: the synthetic empty package has no such attribute.
    files = {
        "service/__init__.py": "from .api import api\n",
        "service/api.py": "from runpod_flash import Endpoint\n\napi = Endpoint(name='svc')\n",
        "routes.py": """
        import service

        @service.api.post("/echo")
        async def echo(text: str) -> dict:
            return {"text": text}

        @service.api.get("/health")
        async def health() -> dict:
            return {"svc": service.api.name}
        """,
    }
    found = only(check(tmp_path, files), "FL307")
    assert [(where(d), d.span.start_col) for d in found] == [(("routes.py", 3), 1)]
    assert found[0].message == "'service.api' goes through service/__init__.py"
    assert "`from service.api import api`" in found[0].notes[1] and found[0].fix is None


def test_fl307_not_for_submodules_guarded_optional_body_or_unshipped_imports(
    tmp_path: Path,
) -> None:
    files = {
        "service/__init__.py": "from . import api\nfrom .helpers import clean\n",
        "service/api.py": SERVICE_API,
        "service/helpers.py": HELPERS,
        "plain/__init__.py": "",
        "plain/tools.py": HELPERS,
        "worker.py": """
        from typing import TYPE_CHECKING

        from plain import tools
        from service import api

        if TYPE_CHECKING:
            from service import clean

        try:
            from service import clean as optional_clean
        except ImportError:
            optional_clean = None


        @api.api.post("/run")
        async def run(text: str) -> str:
            from service import clean

            return clean(tools.clean(text))
        """,
        "tests/test_worker.py": "from service import clean\n",
    }
    assert only(check(tmp_path, files), "FL307") == []


# -- FL301 --------------------------------------------------------------------------------------


def test_fl301_third_party_import_at_top_of_endpoint_file(tmp_path: Path) -> None:
    files = {
        "gpu_worker.py": """
        import logging

        import torch
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(name="gpu-worker", gpu=GpuGroup.ADA_24)
        async def gpu_hello(input_data: dict) -> dict:
            return {"cuda": torch.cuda.is_available()}
        """
    }
    found = only(check(tmp_path, files), "FL301")
    assert [where(d) for d in found] == [("gpu_worker.py", 3)]
    assert found[0].severity is Severity.WARNING
    assert found[0].message == "third-party package 'torch' imported at module level"
    assert "inside the endpoint functions" in found[0].notes[1]
    assert found[0].span.end_col == len("import torch")
    assert found[0].fix is not None and found[0].fix.safe


def test_fl301_names_only_third_party_packages_of_a_statement(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import os, numpy
        from google.cloud import storage
        from runpod_flash import Endpoint

        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work():
            return os, numpy, storage
        """
    }
    found = only(check(tmp_path, files), "FL301")
    assert [where(d) for d in found] == [("worker.py", 1), ("worker.py", 2)]
    assert "'numpy'" in found[0].message and "'os'" not in found[0].message
    assert "'google'" in found[1].message


def test_fl301_not_for_sdk_stdlib_local_guarded_or_optional_imports(tmp_path: Path) -> None:
    files = {
        "helpers/__init__.py": "",
        "helpers/text.py": "def tokenize(text):\n    return text.split()\n",
        "common.py": "LIMIT = 3\n",
        "worker.py": """
        from __future__ import annotations

        import logging
        from typing import TYPE_CHECKING

        from common import LIMIT
        from helpers.text import tokenize
        from runpod_flash import Endpoint, GpuGroup

        from . import common as relative_common

        if TYPE_CHECKING:
            import numpy as np

        try:
            import orjson as json
        except ImportError:
            import json

        logger = logging.getLogger(__name__)


        @Endpoint(name="w", gpu=GpuGroup.ANY, workers=LIMIT)
        async def work(text: str) -> dict:
            from helpers.text import tokenize
            import torch

            return {"words": tokenize(text), "cuda": torch.cuda.is_available()}


        if __name__ == "__main__":
            import requests

            print(requests.get("http://localhost"))
        """,
        # A file without endpoints may import what it likes (FL301 is about endpoint files).
        "scripts.py": "import numpy\nprint(numpy.zeros(1))\n",
    }
    assert only(check(tmp_path, files), "FL301") == []


def test_fl301_not_for_a_third_party_fallback_in_an_except_clause(tmp_path: Path) -> None:
    # Both packages are optional: neither import is what makes the build fail where one is
    # missing. The plain module-level import after the block still is.
    files = {
        "worker.py": """
        try:
            import orjson as json
        except ImportError:
            import ujson as json
        import numpy
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work(data: dict) -> str:
            return json.dumps(data) + str(numpy.pi)
        """
    }
    found = only(check(tmp_path, files), "FL301")
    assert [where(d) for d in found] == [("worker.py", 5)]
    assert "'numpy'" in found[0].message


def test_fl301_fix_is_unsafe_when_a_helper_uses_the_import(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import numpy
        from runpod_flash import Endpoint


        def prepare(x):
            return numpy.asarray(x)


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work(x: list) -> list:
            return numpy.sort(prepare(x)).tolist()
        """
    }
    [found] = only(check(tmp_path, files), "FL301")
    assert found.fix is not None and found.fix.safe is False  # the helper gets it too
    assert found.fix.message == "Move `import numpy` into prepare() and work()"


def test_fl301_star_import_has_no_fix(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from numpy import *
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work() -> list:
            return zeros(1).tolist()
        """
    }
    [found] = only(check(tmp_path, files), "FL301")
    assert found.message == "third-party package 'numpy' imported at module level"
    assert found.fix is None


def test_fl301_optional_blocks_with_comments_and_blank_lines(tmp_path: Path) -> None:
    # Every import of the try/except block is optional, whatever comes between it and the
    # block's header; the import after the block is not.
    files = {
        "worker.py": """
        try:  # optional: a faster json
            import orjson

            # the next fallback
            import ujson
        except ImportError:
        # a comment at column 0
            import simplejson
        import numpy
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work() -> str:
            return str((orjson, ujson, simplejson, numpy))
        """
    }
    found = only(check(tmp_path, files), "FL301")
    assert [where(d) for d in found] == [("worker.py", 9)]


# -- FL302 --------------------------------------------------------------------------------------


def test_fl302_module_globals_used_in_endpoint_bodies(tmp_path: Path) -> None:
    files = {
        "helpers.py": "def tokenize(text):\n    return text.split()\n",
        "worker.py": """
        import logging

        from helpers import tokenize
        from runpod_flash import Endpoint, GpuGroup

        logger = logging.getLogger(__name__)
        MODEL_PATH = "/runpod-volume/models"


        def clean(text):
            return text.strip()


        @Endpoint(name="w", gpu=GpuGroup.ANY, env={"MODEL_PATH": MODEL_PATH})
        async def work(text: str) -> dict:
            logger.info("start")
            logger.info("again")
            return {"words": tokenize(clean(text)), "path": MODEL_PATH}
        """,
    }
    found = only(check(tmp_path, files), "FL302")
    line = '    return {"words": tokenize(clean(text)), "path": MODEL_PATH}'
    assert [(where(d), d.span.start_col) for d in found] == [
        (("worker.py", 16), 4),  # logger, first use only
        (("worker.py", 18), line.index("tokenize")),
        (("worker.py", 18), line.index("clean")),
        (("worker.py", 18), line.index("MODEL_PATH")),  # the env= decorator argument is exempt
    ]
    assert all(d.severity is Severity.INFO for d in found)
    logger, tokenize, clean, constant = found
    assert logger.message == "'work' uses module-level 'logger'"
    assert logger.notes[0].startswith("'logger' is a variable;") and "NameError" in logger.notes[0]
    assert tokenize.notes[0].startswith("'tokenize' is an import;")
    assert clean.notes[0].startswith("'clean' is a helper function;")
    assert "'MODEL_PATH'" in constant.message and "env=" in constant.notes[1]
    assert tokenize.fix is not None and tokenize.fix.safe
    assert logger.fix is None and clean.fix is None and constant.fix is None


def test_fl302_exempts_direct_endpoint_calls_recursion_and_locals(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(name="second", gpu=GpuGroup.ANY)
        async def second(data: dict) -> dict:
            return data


        @Endpoint(name="first", gpu=GpuGroup.ANY)
        async def first(data: dict, depth: int = 0) -> dict:
            import json

            limit = 3
            if depth < limit:
                return await first(data, depth + 1)
            return await second(json.loads(json.dumps(data)))


        @Endpoint(name="model", gpu=GpuGroup.ANY)
        class Model:
            def __init__(self):
                self.kind = Model.__name__

            def predict(self, x):
                return self.helper(x)

            def helper(self, x):
                return x
        """
    }
    assert only(check(tmp_path, files), "FL302") == []


def test_fl302_module_attribute_call_of_an_endpoint(tmp_path: Path) -> None:
    files = {
        "cpu_worker.py": CPU_WORKER,
        "pipeline.py": """
        import cpu_worker
        from runpod_flash import Endpoint

        api = Endpoint(name="pipeline", cpu="cpu3c-1-2")


        @api.post("/run")
        async def run(text: str) -> dict:
            return await cpu_worker.preprocess_text({"text": text})
        """,
    }
    found = check(tmp_path, files)
    assert only(found, "FL108") == []  # the module-level name is a module: the build is fine
    fl302 = only(found, "FL302")
    assert [where(d) for d in fl302] == [("pipeline.py", 9)]
    assert fl302[0].message == "'run' uses module-level 'cpu_worker'"
    hint, advice = fl302[0].notes[2:]
    assert "cross-endpoint call" in hint and "from cpu_worker import preprocess_text" in advice


def test_fl302_module_attribute_hint_only_for_endpoint_calls(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/worker.py": """
        from runpod_flash import Endpoint


        def helper(x):
            return x


        @Endpoint(name="work", cpu="cpu3c-1-2")
        async def work(x: int) -> int:
            return x
        """,
        "pipeline.py": """
        from pkg import worker
        from runpod_flash import Endpoint


        @Endpoint(name="run", cpu="cpu3c-1-2")
        async def run(x: int) -> int:
            worker.helper(x)
            return await worker.work(x)


        @Endpoint(name="plain", cpu="cpu3c-1-2")
        async def plain(x: int) -> int:
            return worker.helper(x)
        """,
    }
    run, plain = only(check(tmp_path, files), "FL302")
    assert run.notes[2:] == (
        "'worker.work(...)' calls endpoint function 'work' through a module attribute, which "
        "Flash does not recognise as a cross-endpoint call",
        "use `from pkg.worker import work` inside the body and call work(...)",
    )
    assert len(plain.notes) == 2  # worker.helper is no endpoint: no hint


def test_fl302_helpers_classes_and_calls_of_endpoints_in_other_files(tmp_path: Path) -> None:
    files = {
        "other.py": """
        from runpod_flash import Endpoint


        @Endpoint(name="other", cpu="cpu3c-1-2")
        async def other_work(x: int) -> int:
            return x
        """,
        "worker.py": """
        from other import other_work
        from runpod_flash import Endpoint


        class Tokenizer:
            pass


        def clean(x):
            return x


        @Endpoint(name="w", cpu="cpu3c-1-2")
        async def work(x: int) -> int:
            Tokenizer()
            return await other_work(clean(x))
        """,
    }
    found = check(tmp_path, files)
    assert [where(d) for d in only(found, "FL108")] == [("worker.py", 1)]
    elsewhere = "define it inside the body, or move it to a local module imported inside the body"
    tokenizer, clean = only(found, "FL302")  # no finding for other_work: a remote call
    assert tokenizer.message == "'work' uses module-level 'Tokenizer'"
    assert tokenizer.notes[0].startswith("'Tokenizer' is a class;")
    assert tokenizer.notes[1] == elsewhere
    assert clean.notes[0].startswith("'clean' is a helper function;")
    assert clean.notes[1] == elsewhere


def test_fl302_import_fixes_per_statement(tmp_path: Path) -> None:
    files = {
        "helpers.py": "a_thing = b_thing = c_thing = 1\n",
        "more.py": "d_thing = 1\n",
        "worker.py": """
        from typing import TYPE_CHECKING

        from helpers import b_thing, a_thing
        from more import d_thing
        from runpod_flash import Endpoint

        if TYPE_CHECKING:
            from helpers import c_thing


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work(x: int) -> int:
            return c_thing + a_thing + b_thing + d_thing
        """,
    }
    found = only(check(tmp_path, files), "FL302")
    fixes = {d.message.split("'")[3]: d.fix.message if d.fix else None for d in found}
    assert fixes == {
        "c_thing": None,  # under TYPE_CHECKING: maybe only for annotations
        "a_thing": "Add `from helpers import b_thing, a_thing` inside 'work'",
        "b_thing": "Add `from helpers import b_thing, a_thing` inside 'work'",
        "d_thing": "Add `from more import d_thing` inside 'work'",
    }


def test_fl302_no_import_fix_for_a_class_level_use(tmp_path: Path) -> None:
    files = {
        "helpers.py": "DEFAULT = 1\n",
        "worker.py": """
        from helpers import DEFAULT
        from runpod_flash import Endpoint


        @Endpoint(name="m", cpu="cpu3c-1-2")
        class Model:
            default = DEFAULT

            def predict(self) -> int:
                return DEFAULT
        """,
    }
    [found] = only(check(tmp_path, files), "FL302")
    assert found.message == "'Model' uses module-level 'DEFAULT'" and found.fix is None


def test_fl302_class_endpoint_reports_class_level_and_method_uses(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        MODEL_ID = "gpt2"


        @Endpoint(name="model", gpu=GpuGroup.ANY)
        class Model:
            default = MODEL_ID

            def load(self):
                return MODEL_ID
        """
    }
    found = only(check(tmp_path, files), "FL302")
    assert [where(d) for d in found] == [("worker.py", 8)]  # once per body, at the first use
    assert found[0].message == "'Model' uses module-level 'MODEL_ID'"
    assert "endpoint class 'Model'" in found[0].notes[0]


def test_fl302_import_fix_goes_into_the_methods_of_a_class_endpoint(tmp_path: Path) -> None:
    # The header (`class Model(Base):`, a signature's annotations) is not part of the body that
    # ships as source: a use there does not stop the import fix for the uses inside methods.
    files: dict[str, str | bytes] = {
        "helpers.py": "class Base:\n    size = 1\n\n\nclass Config:\n    size = 2\n",
        "worker.py": """
        from __future__ import annotations

        from helpers import Base, Config
        from runpod_flash import Endpoint


        @Endpoint(name="model", cpu="cpu3c-1-2")
        class Model(Base):
            def predict(self, text: str) -> int:
                \"\"\"Score the text.\"\"\"
                return Base.size + len(text)


        @Endpoint(name="work", cpu="cpu3c-1-2")
        def work(config: Config) -> int:
            return Config.size
        """,
    }
    found = only(check(tmp_path, files), "FL302")
    assert [full(d)[0] for d in found] == [
        "worker.py:11:15-11:19 FL302 info: 'Model' uses module-level 'Base'",
        "worker.py:16:11-16:17 FL302 info: 'work' uses module-level 'Config'",
    ]
    assert [full(d)[-2:] for d in found] == [
        [
            "fix (safe=True): Add `from helpers import Base` inside 'Model'",
            "  edit worker.py:11:0-11:0 '        from helpers import Base\\n'",
        ],
        [
            "fix (safe=True): Add `from helpers import Config` inside 'work'",
            "  edit worker.py:16:0-16:0 '    from helpers import Config\\n'",
        ],
    ]
    path = tmp_path / "worker.py"
    fixed = apply_edits(path.read_text(), [e for d in found if d.fix for e in d.fix.edits])
    assert fixed.splitlines()[7:15] == [
        "class Model(Base):",
        "    def predict(self, text: str) -> int:",
        '        """Score the text."""',
        "        from helpers import Base",
        "        return Base.size + len(text)",
        "",
        "",
        '@Endpoint(name="work", cpu="cpu3c-1-2")',
    ]
    assert fixed.splitlines()[15:] == [
        "def work(config: Config) -> int:",
        "    from helpers import Config",
        "    return Config.size",
    ]


def test_fl302_import_fix_after_class_level_uses_that_keep_theirs(tmp_path: Path) -> None:
    # A class-level use (first or last line of the body) cannot be fixed by an import in a method:
    # no fix for its statement, and still one for the next statement, used in a method.
    files: dict[str, str | bytes] = {
        "helpers.py": "DEFAULT = 1\nLABELS = []\n",
        "text.py": "def clean(x):\n    return x\n",
        "worker.py": """
        from helpers import DEFAULT
        from helpers import LABELS
        from text import clean
        from runpod_flash import Endpoint


        @Endpoint(name="model", cpu="cpu3c-1-2")
        class Model:
            threshold = DEFAULT

            def predict(self, text: str) -> str:
                return clean(text)

            labels = LABELS
        """,
    }
    found = only(check(tmp_path, files), "FL302")
    assert [(full(d)[0], d.fix is None) for d in found] == [
        ("worker.py:9:16-9:23 FL302 info: 'Model' uses module-level 'DEFAULT'", True),
        ("worker.py:12:15-12:20 FL302 info: 'Model' uses module-level 'clean'", False),
        ("worker.py:14:13-14:19 FL302 info: 'Model' uses module-level 'LABELS'", True),
    ]
    assert full(found[1])[-2:] == [
        "fix (safe=True): Add `from text import clean` inside 'Model'",
        "  edit worker.py:12:0-12:0 '        from text import clean\\n'",
    ]


# -- FL303 --------------------------------------------------------------------------------------


def test_fl303_undeclared_package_on_cpu_endpoint(tmp_path: Path) -> None:
    files = {
        "cpu_worker.py": """
        from runpod_flash import Endpoint


        @Endpoint(name="thumbs", cpu="cpu3c-1-2", dependencies=["requests"])
        def thumbnail(url: str) -> dict:
            import io

            import numpy as np
            import requests
            from PIL import Image

            return {"size": Image.open(io.BytesIO(requests.get(url).content)).size, "n": np.e}
        """
    }
    found = only(check(tmp_path, files), "FL303")
    assert [where(d) for d in found] == [("cpu_worker.py", 8), ("cpu_worker.py", 10)]
    numpy, pillow = found
    assert numpy.message == "'numpy' is not a dependency of endpoint 'thumbs'"
    assert "CPU base image" in numpy.notes[0]
    assert pillow.message == "'PIL' is not a dependency of endpoint 'thumbs'"
    assert "'PIL' (distribution 'pillow')" in pillow.notes[0]
    assert pillow.notes[1] == 'add "pillow" to dependencies=[...]'
    assert pillow.fix is not None and pillow.fix.safe


def test_fl303_not_for_base_image_declared_requirements_stdlib_or_local(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "opencv-python-headless==4.10.0.84\nPyYAML\n",
        "helpers.py": "def f():\n    return 1\n",
        "gpu_worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        DEPS = ["pandas"]


        @Endpoint(name="hello", gpu=GpuGroup.ADA_24)
        async def gpu_hello(input_data: dict) -> dict:
            import json

            import numpy as np
            import torch
            import torchvision.transforms as T

            from helpers import f
            from runpod_flash import Endpoint

            return {"ok": torch.cuda.is_available()}


        @Endpoint(name="deps", gpu=GpuGroup.ADA_24, dependencies=["Pillow>=10.0.0", "scikit-learn"])
        async def with_deps(data: dict) -> dict:
            import cv2
            import yaml
            from PIL import Image
            from sklearn.linear_model import LinearRegression

            return {}


        @Endpoint(name="constant", gpu=GpuGroup.ADA_24, dependencies=DEPS)
        async def from_constant(data: dict) -> dict:
            import pandas as pd

            return {}


        @Endpoint(name="unknown", gpu=GpuGroup.ADA_24, dependencies=make_deps())
        async def unknown(data: dict) -> dict:
            import polars

            return {}
        """,
    }
    assert only(check(tmp_path, files), "FL303") == []


def test_fl303_shared_endpoint_instance(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        ep = Endpoint(name="shared", cpu="cpu3c-1-2", dependencies=["pandas"])


        @ep
        def first():
            import pandas


        @ep
        def second():
            import pandas
            import httpx
        """
    }
    found = only(check(tmp_path, files), "FL303")
    assert [where(d) for d in found] == [("worker.py", 14)]
    assert found[0].message == "'httpx' is not a dependency of endpoint 'shared'"
    assert "endpoint function 'second'" in found[0].notes[0]


# -- FL304 --------------------------------------------------------------------------------------


def test_fl304_variable_tuple_alias_and_annotation(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint
        from runpod_flash import Endpoint as EP

        DEPS = ["pandas", "scipy>=1.11.0"]


        @Endpoint(name="variable", cpu="cpu3c-1-2", dependencies=DEPS)
        def variable(): ...


        @Endpoint(name="tuple", cpu="cpu3c-1-2", dependencies=("pillow",))
        def tuple_(): ...


        @EP(name="alias", cpu="cpu3c-1-2", dependencies=["httpx"])
        def alias(): ...


        api: Endpoint = Endpoint(name="annotated", cpu="cpu3c-1-2", dependencies=["httpx"])


        @api.post("/run")
        def annotated(): ...


        @Endpoint(name="computed", cpu="cpu3c-1-2", dependencies=["pandas"] + DEPS)
        def computed(): ...
        """
    }
    found = only(check(tmp_path, files), "FL304")
    assert [where(d) for d in found] == [
        ("worker.py", 7),
        ("worker.py", 11),
        ("worker.py", 15),
        ("worker.py", 19),
        ("worker.py", 26),
    ]
    variable, tuple_, alias, annotated, computed = found
    assert variable.message == "dependencies of 'variable' are the variable 'DEPS'"
    assert "'pandas', 'scipy>=1.11.0' are never installed" in variable.notes[0]
    assert "a tuple" in tuple_.message and "'pillow' is never installed" in tuple_.notes[0]
    assert "'EP(...)'" in alias.message and alias.notes[1] == "call Endpoint directly"
    assert alias.span.end_col - alias.span.start_col == 2  # the alias name
    assert "annotation" in annotated.message and "'annotated'" in annotated.message
    assert "computed value" in computed.message and computed.fix is None
    assert all(d.fix is not None and d.fix.safe for d in (variable, tuple_, alias, annotated))


def test_fl304_not_for_literal_lists_or_empty_dependencies(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import runpod_flash as rf
        from runpod_flash import Endpoint as EP

        api = rf.Endpoint(name="lb", cpu="cpu3c-1-2", dependencies=["httpx", "orjson>=3"])


        @api.post("/run")
        def run(): ...


        @EP(name="no-deps", cpu="cpu3c-1-2")
        def plain(): ...


        @EP(name="empty", cpu="cpu3c-1-2", dependencies=[])
        def empty(): ...
        """
    }
    assert only(check(tmp_path, files), "FL304") == []


# -- FL305 --------------------------------------------------------------------------------------


def test_fl305_torch_declared_or_imported_on_cpu(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import CpuInstanceType, Endpoint, GpuGroup


        @Endpoint(name="embed", cpu=CpuInstanceType.CPU3C_4_8, dependencies=["torchvision>=0.15", "numpy"])
        def embed(text: str):
            import torch
            import torchaudio.functional

            return torch.zeros(1)


        @Endpoint(name="gpu", gpu=GpuGroup.ANY, dependencies=["torch"])
        def on_gpu():
            import torch
        """
    }
    found = only(check(tmp_path, files), "FL305")
    assert [where(d) for d in found] == [("worker.py", 4), ("worker.py", 6), ("worker.py", 7)]
    declared, torch, torchaudio = found
    assert "'torchvision'" in declared.message and "CPU endpoint 'embed'" in declared.message
    assert declared.span.start_col == len(
        '@Endpoint(name="embed", cpu=CpuInstanceType.CPU3C_4_8, dependencies=['
    )
    assert "'torch'" in torch.message and "'torchaudio'" in torchaudio.message
    assert "FL303" not in codes(check(tmp_path))  # torch on CPU is FL305's business


# -- FL306 --------------------------------------------------------------------------------------


def test_fl306_invalid_requirements(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint


        @Endpoint(
            name="x",
            cpu="cpu3c-1-2",
            dependencies=[
                "numpy>=",
                "pillow  # imaging",
                "",
                "requests==2.32.3",
                "python-dateutil<3.0.0",
                "torch @ https://example.com/torch.whl",
                "pandas[performance]>=2; python_version >= '3.10'",
            ],
        )
        def x(): ...
        """
    }
    found = only(check(tmp_path, files), "FL306")
    assert [where(d) for d in found] == [("worker.py", 8), ("worker.py", 9), ("worker.py", 10)]
    assert all(d.severity is Severity.ERROR for d in found)
    assert '"numpy>="' in found[0].message and "PEP 508" in found[0].message
    assert "inline comment" in found[1].notes[0]
    assert "'x'" in found[2].message


# -- realistic apps ---------------------------------------------------------------------------


def test_mixed_workers_example_is_clean(tmp_path: Path) -> None:
    files = {
        "cpu_worker.py": CPU_WORKER,
        "gpu_worker.py": """
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(name="gpu-inference", gpu=GpuGroup.ADA_24, workers=(0, 3))
        async def gpu_inference(input_data: dict) -> dict:
            import torch

            return {"cuda": torch.cuda.is_available()}
        """,
        "pipeline.py": """
        from runpod_flash import Endpoint

        pipeline = Endpoint(name="pipeline", cpu="cpu3c-1-2")


        @pipeline.post("/classify")
        async def classify(text: str) -> dict:
            from cpu_worker import preprocess_text
            from gpu_worker import gpu_inference

            return await gpu_inference(await preprocess_text({"text": text}))
        """,
    }
    assert [
        c for c in codes(check(tmp_path, files)) if c in ("FL108",) or c.startswith("FL3")
    ] == []


# -- what mutation testing showed unchecked (docs/reliability.md) ------------------------------


def test_fl108_relative_star_and_mixed_imports(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/cpu_worker.py": CPU_WORKER + "\ndef helper(x):\n    return x\n",
        "pkg/relative.py": "from .cpu_worker import helper, preprocess_text\n",
        "pkg/z_star.py": "from pkg.cpu_worker import *\n",
        "exported.py": CPU_WORKER + '\n__all__ = ["WORD_LIMIT"]\n',
        "star_all.py": "from exported import *\n",
        "helpers.py": "import numpy as np\n",
        "third.py": "from helpers import np\n",
    }
    found = only(check(tmp_path, files), "FL108")
    assert [(where(d), d.message) for d in found] == [
        (("relative.py", 1), "top-level import of endpoint function 'preprocess_text'"),
        (("z_star.py", 1), "`import *` imports endpoint function 'preprocess_text'"),
    ]


def test_fl108_not_for_a_module_importing_itself(tmp_path: Path) -> None:
    files = {"cpu_worker.py": "from cpu_worker import preprocess_text\n" + CPU_WORKER}
    assert only(check(tmp_path, files), "FL108") == []


def test_fl301_after_a_file_without_endpoints_and_with_two_packages(tmp_path: Path) -> None:
    files = {
        "a_scripts.py": "import numpy\n",
        "worker.py": """
        import numpy, pandas
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work() -> str:
            return str((numpy, pandas))
        """,
    }
    [found] = only(check(tmp_path, files), "FL301")
    assert found.message == "third-party packages 'numpy' and 1 more imported at module level"


def test_fl302_after_recursion_builtins_and_endpoint_calls(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        LIMIT = 3


        @Endpoint(name="second", cpu="cpu3c-1-2")
        async def second(x: int) -> int:
            return x


        @Endpoint(name="first", cpu="cpu3c-1-2")
        async def first(x: int) -> int:
            if x > 10:
                return await first(x - 1)
            y = len(str(x))
            z = await second(y)
            return z + LIMIT
        """
    }
    found = only(check(tmp_path, files), "FL302")
    assert [d.message for d in found] == ["'first' uses module-level 'LIMIT'"]


def test_fl303_names_the_distribution_of_the_imported_submodule(tmp_path: Path) -> None:
    # `from google.cloud import storage` imports google.cloud.storage: google-cloud-storage.
    files = {
        "w.py": """
        from runpod_flash import Endpoint


        @Endpoint(name="thumbs", cpu="cpu3c-1-2")
        def thumbnail(url: str) -> dict:
            from google.cloud import storage
            return {"c": storage}
        """
    }
    [found] = only(check(tmp_path, files), "FL303")
    assert "(distribution 'google-cloud-storage')" in found.notes[0]


def test_fl108_skips_private_and_foreign_names_but_not_what_follows(tmp_path: Path) -> None:
    worker = (
        CPU_WORKER
        + """
import numpy as np


@Endpoint(name="hidden", cpu=CpuInstanceType.CPU3G_2_8)
def _hidden(x: int) -> int:
    return x
"""
    )
    files = {
        "cpu_worker.py": worker,
        "star.py": "from cpu_worker import *\n",
        "mixed.py": "from cpu_worker import np, preprocess_text\n",
    }
    found = only(check(tmp_path, files), "FL108")
    assert [(where(d), d.message.rsplit(" ", 1)[1]) for d in found] == [
        (("mixed.py", 1), "'preprocess_text'"),
        (("star.py", 1), "'preprocess_text'"),
    ]


def test_fl302_a_module_global_after_unbound_names(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        zlimit = 3


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work(x: int) -> int:
            return missing_name + len(str(x)) + zlimit  # a name bound nowhere first
        """
    }
    assert [d.message for d in only(check(tmp_path, files), "FL302")] == [
        "'work' uses module-level 'zlimit'"
    ]


def test_fl302_module_attribute_hint_through_a_relative_import(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/worker.py": CPU_WORKER,
        "pkg/pipeline.py": """
        from . import worker
        from runpod_flash import Endpoint


        @Endpoint(name="run", cpu="cpu3c-1-2")
        async def run(text: str) -> dict:
            return await worker.preprocess_text({"text": text})
        """,
    }
    [found] = only(check(tmp_path, files), "FL302")
    assert (
        found.notes[3]
        == "use `from pkg.worker import preprocess_text` inside the body and call preprocess_text(...)"
    )
