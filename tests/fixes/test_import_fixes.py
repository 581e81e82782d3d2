"""Fixes of FL108 and FL3xx: applied, re-checked, and read back as a human would have written them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from apps import check, only, write_app

from flash_ls.checking import fix_paths
from flash_ls.diagnostic import Diagnostic
from flash_ls.fixes.apply import apply_fixes


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def apply(root: Path, found: list[Diagnostic]) -> dict[str, str]:
    """Apply the findings' fixes (in order) to the files on disk; return every .py file's text."""
    texts = {p: p.read_text() for p in root.rglob("*.py")}
    fixes = [d.fix for d in found if d.fix is not None]
    for path, text in apply_fixes(texts, fixes).items():
        path.write_text(text)
    result = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text()
        compile(text, str(path), "exec")  # still Python
        result[path.relative_to(root).as_posix()] = text
    return result


def fix(root: Path, files: dict[str, str | bytes], code: str, *, count: int = 1) -> dict[str, str]:
    """Check, apply the fixes of ``code`` once, and assert the findings are gone."""
    found = only(check(root, files), code)
    assert len(found) == count, [d.message for d in found]
    assert all(d.fix is not None for d in found), [d.message for d in found]
    texts = apply(root, found)
    assert only(check(root), code) == []
    return texts


# -- FL301: move into endpoint bodies ----------------------------------------------------------


def test_fl301_moves_imports_after_docstring_sorted_among_body_imports(tmp_path: Path) -> None:
    files = {
        "gpu_worker.py": '''
        """GPU worker."""

        import logging

        import numpy as np  # arrays
        import torch
        from runpod_flash import Endpoint, GpuGroup

        logger = logging.getLogger(__name__)


        @Endpoint(name="gpu", gpu=GpuGroup.ADA_24)
        async def infer(data: dict) -> dict:
            """Run the model."""
            import io

            from transformers import pipeline

            # build the answer
            return {"x": np.zeros(3).tolist(), "cuda": torch.cuda.is_available()}
        ''',
    }
    texts = fix(tmp_path, files, "FL301", count=2)
    assert texts["gpu_worker.py"] == dedent(
        '''
        """GPU worker."""

        import logging

        from runpod_flash import Endpoint, GpuGroup

        logger = logging.getLogger(__name__)


        @Endpoint(name="gpu", gpu=GpuGroup.ADA_24)
        async def infer(data: dict) -> dict:
            """Run the model."""
            import io

            import numpy as np  # arrays
            import torch
            from transformers import pipeline

            # build the answer
            return {"x": np.zeros(3).tolist(), "cuda": torch.cuda.is_available()}
        '''
    )


def test_fl301_moves_into_every_endpoint_and_each_method_that_uses_it(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import os, torch
        from transformers import AutoModel, AutoTokenizer
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(name="quick", gpu=GpuGroup.ANY)
        def quick(n): return torch.ones(n).tolist()


        @Endpoint(name="model", gpu=GpuGroup.ANY)
        class Model:
            def __init__(self):
                # load once per worker
                self.model = AutoModel.from_pretrained(os.environ["MODEL"])
                self.tokenizer = AutoTokenizer.from_pretrained(os.environ["MODEL"])

            def predict(self, text):
                return torch.tensor(self.tokenizer(text))
        """,
    }
    texts = fix(tmp_path, files, "FL301", count=2)
    assert texts["worker.py"] == dedent(
        """
        import os
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(name="quick", gpu=GpuGroup.ANY)
        def quick(n):
            import torch
            return torch.ones(n).tolist()


        @Endpoint(name="model", gpu=GpuGroup.ANY)
        class Model:
            def __init__(self):
                from transformers import AutoModel, AutoTokenizer
                # load once per worker
                self.model = AutoModel.from_pretrained(os.environ["MODEL"])
                self.tokenizer = AutoTokenizer.from_pretrained(os.environ["MODEL"])

            def predict(self, text):
                import torch
                return torch.tensor(self.tokenizer(text))
        """
    )


def test_fl301_fix_is_unsafe_when_a_helper_uses_it_and_absent_at_module_level(
    tmp_path: Path,
) -> None:
    files = {
        "worker.py": """
        import pandas as pd
        import yaml
        from runpod_flash import Endpoint

        CONFIG = yaml.safe_load("limit: 3")


        def frame(rows):
            return pd.DataFrame(rows)


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["pandas", "pyyaml"])
        def work(rows: list) -> dict:
            return {"n": len(frame(rows)), "cols": list(pd.DataFrame(rows).columns)}
        """,
    }
    found = only(check(tmp_path, files), "FL301")
    assert [d.span.start_line for d in found] == [0, 1]
    helper, module_level = found
    assert helper.fix is not None and not helper.fix.safe
    assert helper.fix.message == "Move `import pandas as pd` into frame() and work()"
    assert module_level.fix is None  # CONFIG needs yaml when the module is imported
    texts = apply(tmp_path, [helper])
    assert texts["worker.py"] == dedent(
        """
        import yaml
        from runpod_flash import Endpoint

        CONFIG = yaml.safe_load("limit: 3")


        def frame(rows):
            import pandas as pd
            return pd.DataFrame(rows)


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["pandas", "pyyaml"])
        def work(rows: list) -> dict:
            import pandas as pd
            return {"n": len(frame(rows)), "cols": list(pd.DataFrame(rows).columns)}
        """
    )


def test_fl301_no_fix_for_decorator_or_annotation_uses(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import numpy as np
        import huggingface_hub
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", env={"HF": huggingface_hub.constants.HF_HOME})
        def work(x: np.ndarray):
            return np.sum(x), huggingface_hub
        """,
    }
    found = only(check(tmp_path, files), "FL301")
    assert len(found) == 2 and all(d.fix is None for d in found)


def test_fl301_import_in_if_block_leaves_pass_and_is_unsafe(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import os

        if os.environ.get("FAST"):
            import orjson as json
        else:
            import ujson as json
        if os.environ.get("YAML"): import yaml
        import requests; import httpx
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["orjson", "ujson", "pyyaml", "httpx"])
        def work(data):
            return json.dumps(data), yaml, httpx.get
        """,
    }
    found = only(check(tmp_path, files), "FL301")
    assert [d.span.start_line for d in found] == [3, 5, 6, 7, 7]
    by_line = {(d.span.start_line, d.span.start_col): d for d in found}
    assert all(d.fix is not None and not d.fix.safe for d in found if d.span.start_line < 7)
    # ``import requests`` is unused: removing it may drop a side effect, so unsafe too.
    assert by_line[(7, 0)].fix is not None and not by_line[(7, 0)].fix.safe
    texts = apply(tmp_path, [by_line[(3, 4)], by_line[(6, 27)], by_line[(7, 0)]])
    assert texts["worker.py"] == dedent(
        """
        import os

        if os.environ.get("FAST"):
            pass
        else:
            import ujson as json
        if os.environ.get("YAML"): pass
        import httpx
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["orjson", "ujson", "pyyaml", "httpx"])
        def work(data):
            import orjson as json
            import yaml
            return json.dumps(data), yaml, httpx.get
        """
    )


def test_fl301_two_imports_of_one_block_are_removed_one_after_the_other(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import os
        from runpod_flash import Endpoint

        if os.environ.get("X"):
            import numpy as np
            import pandas as pd


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy", "pandas"])
        def work():
            return np.zeros(1), pd.DataFrame()
        """,
    }
    found = only(check(tmp_path, files), "FL301")
    texts = apply(tmp_path, found)  # the second removal conflicts: applied on a later round
    assert "    import pandas as pd\n" in texts["worker.py"]
    texts = apply(tmp_path, only(check(tmp_path), "FL301"))
    assert texts["worker.py"] == dedent(
        """
        import os
        from runpod_flash import Endpoint

        if os.environ.get("X"):
            pass


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy", "pandas"])
        def work():
            import numpy as np
            import pandas as pd
            return np.zeros(1), pd.DataFrame()
        """
    )


def test_fl301_a_name_shadowing_a_builtin_is_moved_with_its_uses(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from numpy import sum
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy"])
        def total(values: list) -> float:
            return float(sum(values))
        """,
    }
    texts = fix(tmp_path, files, "FL301")
    assert texts["worker.py"] == dedent(
        """
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy"])
        def total(values: list) -> float:
            from numpy import sum
            return float(sum(values))
        """
    )


def test_fl301_carries_comments_but_not_directives(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import numpy as np  # noqa: E402
        import pandas as pd  # dataframes
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy", "pandas"])
        def work():
            return np.zeros(1), pd.DataFrame()
        """,
    }
    texts = fix(tmp_path, files, "FL301", count=2)
    assert texts["worker.py"] == dedent(
        """
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy", "pandas"])
        def work():
            import numpy as np
            import pandas as pd  # dataframes
            return np.zeros(1), pd.DataFrame()
        """
    )


def test_fl301_keeps_crlf_and_a_file_without_final_newline(tmp_path: Path) -> None:
    text = (
        "import numpy as np\r\nfrom runpod_flash import Endpoint\r\n\r\n"
        '@Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy"])\r\n'
        'def work():\r\n    """Doc."""\r\n    return np.zeros(1)'
    )
    write_app(tmp_path, {"worker.py": text.encode()})
    found = only(check(tmp_path), "FL301")
    texts = {p: p.read_bytes().decode() for p in tmp_path.rglob("*.py")}
    new = apply_fixes(texts, [d.fix for d in found if d.fix is not None])
    assert list(new.values()) == [
        "from runpod_flash import Endpoint\r\n\r\n"
        '@Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy"])\r\n'
        'def work():\r\n    """Doc."""\r\n    import numpy as np\r\n    return np.zeros(1)'
    ]


# -- FL108 --------------------------------------------------------------------------------------

CPU_WORKER = """
from runpod_flash import Endpoint


@Endpoint(name="pre", cpu="cpu3c-1-2")
async def preprocess(text: str) -> dict:
    return {"text": text.strip()}


@Endpoint(name="post", cpu="cpu3c-1-2")
async def postprocess(result: dict) -> dict:
    return result


MAX_WORDS = 100
"""


def test_fl108_moves_endpoint_names_and_keeps_the_other_names(tmp_path: Path) -> None:
    files = {
        "cpu_worker.py": CPU_WORKER,
        "pipeline.py": '''
        """Pipeline."""
        from cpu_worker import (
            MAX_WORDS,  # shared limit
            postprocess,
            preprocess,  # cleaning
        )
        from runpod_flash import Endpoint

        api = Endpoint(name="pipeline", cpu="cpu3c-1-2")


        @api.post("/run")
        async def run(text: str) -> dict:
            """Run the pipeline."""
            return await postprocess(await preprocess(text[:MAX_WORDS]))


        @api.get("/health")
        async def health() -> dict:
            return {"ok": True}
        ''',
    }
    found = only(check(tmp_path, files), "FL108")
    assert len(found) == 2 and found[0].fix == found[1].fix  # one fix for the statement
    assert found[0].fix is not None and found[0].fix.safe
    texts = apply(tmp_path, found)
    assert only(check(tmp_path), "FL108") == []
    assert texts["pipeline.py"] == dedent(
        '''
        """Pipeline."""
        from cpu_worker import (
            MAX_WORDS,  # shared limit
        )
        from runpod_flash import Endpoint

        api = Endpoint(name="pipeline", cpu="cpu3c-1-2")


        @api.post("/run")
        async def run(text: str) -> dict:
            """Run the pipeline."""
            from cpu_worker import postprocess, preprocess
            return await postprocess(await preprocess(text[:MAX_WORDS]))


        @api.get("/health")
        async def health() -> dict:
            return {"ok": True}
        '''
    )


def test_fl108_script_using_the_function_at_module_level_gets_no_fix(tmp_path: Path) -> None:
    files = {
        "cpu_worker.py": CPU_WORKER,
        "main.py": """
        import asyncio

        from cpu_worker import preprocess

        print(asyncio.run(preprocess("  hi  ")))
        """,
    }
    found = only(check(tmp_path, files), "FL108")
    assert len(found) == 1 and found[0].fix is None


def test_fl108_unused_import_is_removed(tmp_path: Path) -> None:
    files = {
        "cpu_worker.py": CPU_WORKER,
        "main.py": """
        import asyncio
        from cpu_worker import preprocess, MAX_WORDS

        print(asyncio, MAX_WORDS)
        """,
    }
    texts = fix(tmp_path, files, "FL108")
    assert texts["main.py"] == dedent(
        """
        import asyncio
        from cpu_worker import MAX_WORDS

        print(asyncio, MAX_WORDS)
        """
    )


# -- FL302 --------------------------------------------------------------------------------------


def test_fl302_imports_a_local_helper_inside_the_body(tmp_path: Path) -> None:
    files = {
        "helpers.py": "def tokenize(text):\n    return text.split()\n\n\ndef clean(t):\n    return t\n",
        "worker.py": """
        from helpers import clean, tokenize
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2")
        async def work(text: str) -> dict:
            return {"words": tokenize(clean(text))}


        def local_use():
            return tokenize("a b")
        """,
    }
    found = only(check(tmp_path, files), "FL302")
    assert len(found) == 2 and found[0].fix == found[1].fix  # one statement, one import
    texts = fix(tmp_path, files, "FL302", count=2)
    assert texts["worker.py"] == dedent(
        """
        from helpers import clean, tokenize
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2")
        async def work(text: str) -> dict:
            from helpers import clean, tokenize
            return {"words": tokenize(clean(text))}


        def local_use():
            return tokenize("a b")
        """
    )


def test_fl302_shares_the_fl301_move(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import numpy as np
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy"])
        def work():
            return np.zeros(2).tolist()
        """,
    }
    found = check(tmp_path, files)
    (fl301,) = only(found, "FL301")
    (fl302,) = only(found, "FL302")
    assert fl302.fix == fl301.fix
    texts = apply(tmp_path, [fl301, fl302])
    assert texts["worker.py"] == dedent(
        """
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=["numpy"])
        def work():
            import numpy as np
            return np.zeros(2).tolist()
        """
    )


# -- FL303 --------------------------------------------------------------------------------------


def test_fl303_appends_to_one_line_list_in_its_quote_style(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint


        @Endpoint(name='img', cpu='cpu3c-1-2', dependencies=['requests'])
        def img(url):
            import requests
            from PIL import Image
            import cv2
        """,
    }
    texts = fix(tmp_path, files, "FL303", count=2)
    assert (
        "@Endpoint(name='img', cpu='cpu3c-1-2', dependencies=['requests', 'pillow', 'opencv-python'])\n"
        in texts["worker.py"]
    )


def test_fl303_appends_to_one_item_per_line_lists(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(
            name="trailing",
            gpu=GpuGroup.ANY,
            dependencies=[
                "scipy",
                "pandas",
            ],
        )
        def trailing():
            import sklearn.linear_model
            from google.cloud import storage


        @Endpoint(
            name="commented",
            gpu=GpuGroup.ANY,
            dependencies=[
                "scipy"  # science
            ]
        )
        def commented():
            import yaml
        """,
    }
    texts = fix(tmp_path, files, "FL303", count=3)
    assert texts["worker.py"] == dedent(
        """
        from runpod_flash import Endpoint, GpuGroup


        @Endpoint(
            name="trailing",
            gpu=GpuGroup.ANY,
            dependencies=[
                "scipy",
                "pandas",
                "scikit-learn",
                "google-cloud-storage",
            ],
        )
        def trailing():
            import sklearn.linear_model
            from google.cloud import storage


        @Endpoint(
            name="commented",
            gpu=GpuGroup.ANY,
            dependencies=[
                "scipy",  # science
                "pyyaml"
            ]
        )
        def commented():
            import yaml
        """
    )


def test_fl303_adds_the_keyword_with_every_missing_distribution(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        api = Endpoint(
            name="api",
            gpu=GpuGroup.ANY,
        )


        @api.post("/parse")
        def parse(html: str):
            import bs4
            import yaml


        @Endpoint(name="one", gpu=GpuGroup.ANY)
        def one():
            import httpx


        @Endpoint()
        def bare():
            import orjson
        """,
    }
    found = only(check(tmp_path, files), "FL303")
    assert len(found) == 4
    assert found[0].fix == found[1].fix  # the keyword is added once, with both packages
    assert found[0].fix is not None
    assert found[0].fix.message == 'Add dependencies=["beautifulsoup4", "pyyaml"] to the Endpoint'
    texts = fix(tmp_path, files, "FL303", count=4)
    assert texts["worker.py"] == dedent(
        """
        from runpod_flash import Endpoint, GpuGroup

        api = Endpoint(
            name="api",
            gpu=GpuGroup.ANY,
            dependencies=["beautifulsoup4", "pyyaml"],
        )


        @api.post("/parse")
        def parse(html: str):
            import bs4
            import yaml


        @Endpoint(name="one", gpu=GpuGroup.ANY, dependencies=["httpx"])
        def one():
            import httpx


        @Endpoint(dependencies=["orjson"])
        def bare():
            import orjson
        """
    )


def test_fl303_shared_instance_gets_one_keyword_for_all_its_functions(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        ep = Endpoint(name="shared", cpu="cpu3c-1-2")


        @ep
        def first():
            import yaml


        @ep
        def second():
            import httpx
        """,
    }
    found = only(check(tmp_path, files), "FL303")
    assert len(found) == 2 and found[0].fix == found[1].fix
    texts = fix(tmp_path, files, "FL303", count=2)
    assert (
        'ep = Endpoint(name="shared", cpu="cpu3c-1-2", dependencies=["pyyaml", "httpx"])\n'
        in (texts["worker.py"])
    )


def test_fl303_no_fix_when_dependencies_is_not_a_list_literal(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint

        DEPS = ["pandas"]


        @Endpoint(name="w", cpu="cpu3c-1-2", dependencies=DEPS)
        def work():
            import yaml
        """,
    }
    (found,) = only(check(tmp_path, files), "FL303")
    assert found.fix is None


# -- FL304 --------------------------------------------------------------------------------------


def test_fl304_inlines_lists_and_calls_endpoint_directly(tmp_path: Path) -> None:
    files = {
        "common.py": 'SHARED = ("httpx", "orjson>=3")\n',
        "worker.py": """
        from common import SHARED
        from runpod_flash import Endpoint

        DEPS = ["pandas", "scipy>=1.11.0"]
        EP = Endpoint


        @Endpoint(name="variable", cpu="cpu3c-1-2", dependencies=DEPS)
        def variable(): ...


        @Endpoint(name="tuple", cpu="cpu3c-1-2", dependencies=( "pillow", ))
        def tuple_(): ...


        @Endpoint(name="other-file", cpu="cpu3c-1-2", dependencies=SHARED)
        def other_file(): ...


        @EP(name="alias", cpu="cpu3c-1-2", dependencies=["httpx"])
        def alias(): ...


        api: Endpoint = Endpoint(name="annotated", cpu="cpu3c-1-2", dependencies=["httpx"])


        @api.post("/run")
        def annotated(): ...
        """,
    }
    texts = fix(tmp_path, files, "FL304", count=5)
    assert texts["worker.py"] == dedent(
        """
        from common import SHARED
        from runpod_flash import Endpoint

        DEPS = ["pandas", "scipy>=1.11.0"]
        EP = Endpoint


        @Endpoint(name="variable", cpu="cpu3c-1-2", dependencies=["pandas", "scipy>=1.11.0"])
        def variable(): ...


        @Endpoint(name="tuple", cpu="cpu3c-1-2", dependencies=["pillow"])
        def tuple_(): ...


        @Endpoint(name="other-file", cpu="cpu3c-1-2", dependencies=["httpx", "orjson>=3"])
        def other_file(): ...


        @Endpoint(name="alias", cpu="cpu3c-1-2", dependencies=["httpx"])
        def alias(): ...


        api = Endpoint(name="annotated", cpu="cpu3c-1-2", dependencies=["httpx"])


        @api.post("/run")
        def annotated(): ...
        """
    )


def test_fl304_alias_without_a_direct_spelling_gets_no_fix(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint as EP


        @EP(name="alias", cpu="cpu3c-1-2", dependencies=["httpx"])
        def alias(): ...
        """,
    }
    (found,) = only(check(tmp_path, files), "FL304")
    assert found.fix is None


# -- the whole loop ---------------------------------------------------------------------------


def test_fix_loop_cleans_a_typical_worker(tmp_path: Path) -> None:
    root = tmp_path.resolve()
    write_app(
        root,
        {
            "cpu_worker.py": CPU_WORKER,
            "gpu_worker.py": '''
            """Caption images on a GPU."""
            import logging

            import torch
            from PIL import Image
            from cpu_worker import preprocess
            from runpod_flash import Endpoint, GpuGroup

            logger = logging.getLogger(__name__)


            @Endpoint(name="caption", gpu=GpuGroup.ADA_24, dependencies=["transformers"])
            async def caption(url: str) -> dict:
                """Caption one image."""
                from transformers import pipeline

                text = await preprocess(url)
                image = Image.open(text["text"])
                return {"caption": pipeline("image-to-text")(image), "cuda": torch.cuda.is_available()}
            ''',
        },
    )
    result = fix_paths([root], write=True)
    assert result.changed
    after = check(root)
    assert [d.code for d in after if d.code == "FL108" or d.code.startswith("FL30")] == []
    assert (root / "gpu_worker.py").read_text() == dedent(
        '''
        """Caption images on a GPU."""
        import logging

        from runpod_flash import Endpoint, GpuGroup

        logger = logging.getLogger(__name__)


        @Endpoint(name="caption", gpu=GpuGroup.ADA_24, dependencies=["transformers", "pillow"])
        async def caption(url: str) -> dict:
            """Caption one image."""
            import torch
            from PIL import Image
            from cpu_worker import preprocess
            from transformers import pipeline

            text = await preprocess(url)
            image = Image.open(text["text"])
            return {"caption": pipeline("image-to-text")(image), "cuda": torch.cuda.is_available()}
        '''
    )
