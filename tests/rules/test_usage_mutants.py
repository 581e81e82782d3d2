"""FL601, FL602 (rules/usage.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def findings(root: Path, files: dict[str, str | bytes], code: str) -> list[str]:
    return [line for d in check(root, files) if d.code == code for line in full(d)]


# Every endpoint FL601 passes over comes before the two it reports (nothing ends the search
# early): one no function uses, a client (id=), a legacy remote() resource, no gpu=, one GPU,
# ANY in the list, two GpuTypes of one pool, workers only known at run time, 5 workers, a
# workers tuple that is no (min, max) pair, entries that name no pool (an unknown GpuGroup
# member, a GpuType member under GpuGroup, a pool under GpuType). Strings count too: a GpuType's
# name and a pool's; workers read through a constant.
FL601_APP = """from runpod_flash import Endpoint, GpuGroup, GpuType, LiveServerless, remote

MAXW = (0, 3)
unused = Endpoint(name="unused", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24])
client = Endpoint(id="abc", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24])

@remote(LiveServerless(name="legacy", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24]))
async def legacy(): ...

@Endpoint(name="nogpu")
async def nogpu(): ...

@Endpoint(name="one", gpu=GpuGroup.ADA_24)
async def one(): ...

@Endpoint(name="anyfirst", gpu=[GpuGroup.ANY, GpuGroup.ADA_24, GpuGroup.AMPERE_24])
async def anyfirst(): ...

@Endpoint(name="samepool", gpu=[GpuType.NVIDIA_RTX_A4000, GpuType.NVIDIA_RTX_A4500])
async def samepool(): ...

@Endpoint(name="unknownw", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24], workers=pick())
async def unknownw(): ...

@Endpoint(name="enough", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24], workers=5)
async def enough(): ...

@Endpoint(name="triple", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24], workers=(1, 2, 3))
async def triple(): ...

@Endpoint(name="odd", gpu=[GpuGroup.ADA_24, GpuGroup.NOPE, GpuGroup.NVIDIA_RTX_A4000, GpuType.ADA_24])
async def odd(): ...

@Endpoint(name="strings", gpu=["NVIDIA RTX A4000", "AMPERE_24", "bogus"], workers=MAXW)
async def strings(): ...

@Endpoint(name="default", gpu=[GpuType.NVIDIA_L4, GpuGroup.ADA_24])
async def default(): ...
"""


def test_fl601_only_distinct_known_pools_with_too_few_workers(tmp_path: Path) -> None:
    never_used = (
        "note: the platform only falls back to another GPU type with at least 5 max workers: "
        "the other pools are never used"
    )
    assert findings(tmp_path, {"worker.py": FL601_APP}, "FL601") == [
        "worker.py:34:82-34:86 FL601 info: endpoint 'strings' lists 2 GPU pools but at most 3 "
        "workers",
        "note: GPU pools: AMPERE_16, AMPERE_24",
        never_used,
        "note: set workers=(0, 5) or more, or list a single GPU pool",
        "related worker.py:34:30-34:72: GPU pools listed here",
        "worker.py:37:30-37:66 FL601 info: endpoint 'default' lists 2 GPU pools but at most 1 "
        "worker",
        "note: GPU pools: AMPERE_24, ADA_24; workers defaults to (0, 1)",
        never_used,
        "note: set workers=(0, 5) or more, or list a single GPU pool",
    ]


# FL602 passes over a client, the class and the function without a model load that an instance
# serves before the function that loads one, a relative import in the body (a module of the app),
# and functions that keep the model in a global (also when the global statement is on the last
# lines). Followed: tensorflow.saved_model.load (also imported at module level as a name of its
# own), from_pretrained on a dotted path. A module-level `global` after a function is not its own.
FL602_APP = """from runpod_flash import Endpoint
import tensorflow as tf
import tensorflow.saved_model.load as load_saved

client = Endpoint(id="abc")
worker = Endpoint(name="worker")

@worker
class Model:
    def __init__(self): self.m = tf.saved_model.load("dir")

@worker
async def plain(x): return x

@worker
async def saved(x):
    return tf.saved_model.load("dir")

@Endpoint(name="module")
async def module(x):
    return load_saved("dir")

@Endpoint(name="diffusers")
async def diffusion(x):
    import diffusers
    return diffusers.StableDiffusionPipeline.from_pretrained("x")

@Endpoint(name="relative")
async def relative(x):
    from .models import load_model
    return load_model("x")

@Endpoint(name="cached")
async def cached(x):
    global model
    model = model or tf.saved_model.load("dir")

@Endpoint(name="next")
async def before_global(x):
    return tf.saved_model.load("dir")
global model
"""


def test_fl602_loads_followed_through_imports_and_what_is_passed_over(tmp_path: Path) -> None:
    class_endpoint = (
        "note: make it a class endpoint that loads the model once in __init__ and serves "
        "requests from a method"
    )
    assert findings(tmp_path, {"worker.py": FL602_APP}, "FL602") == [
        "worker.py:17:11-17:30 FL602 info: 'saved' loads a model on every request",
        "note: the handler of endpoint 'worker' runs the whole body for each job, "
        "tf.saved_model.load(...) included",
        class_endpoint,
        "worker.py:21:11-21:21 FL602 info: 'module' loads a model on every request",
        "note: the handler of endpoint 'module' runs the whole body for each job, "
        "load_saved(...) included",
        class_endpoint,
        "worker.py:26:11-26:60 FL602 info: 'diffusion' loads a model on every request",
        "note: the handler of endpoint 'diffusers' runs the whole body for each job, "
        "diffusers.StableDiffusionPipeline.from_pretrained(...) included",
        class_endpoint,
        "worker.py:40:11-40:30 FL602 info: 'before_global' loads a model on every request",
        "note: the handler of endpoint 'next' runs the whole body for each job, "
        "tf.saved_model.load(...) included",
        class_endpoint,
    ]
