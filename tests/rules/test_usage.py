"""FL6xx: usage hints."""

from __future__ import annotations

from pathlib import Path

from apps import check, codes, only, where

from flash_ls.diagnostic import Severity

# -- FL601 ------------------------------------------------------------------------------------


def test_fl601_several_pools_with_default_workers(tmp_path: Path) -> None:
    files = {
        "gpu_worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        @Endpoint(name="sdxl", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24])
        async def generate(prompt: str):
            return {"prompt": prompt}
        """
    }
    found = only(check(tmp_path, files), "FL601")
    assert [where(d) for d in found] == [("gpu_worker.py", 3)]
    assert found[0].severity is Severity.INFO
    assert found[0].message == "endpoint 'sdxl' lists 2 GPU pools but at most 1 worker"
    assert found[0].notes == (
        "GPU pools: ADA_24, AMPERE_24; workers defaults to (0, 1)",
        "the platform only falls back to another GPU type with at least 5 max workers: "
        "the other pools are never used",
        "set workers=(0, 5) or more, or list a single GPU pool",
    )
    assert found[0].span.start_col == len('@Endpoint(name="sdxl", gpu=')  # the gpu list


def test_fl601_points_at_workers_through_alias_and_types(tmp_path: Path) -> None:
    files = {
        "gpu_worker.py": """
        import runpod_flash as rf

        api = rf.Endpoint(
            name="llm",
            gpu=[rf.GpuType.NVIDIA_L4, rf.GpuType.NVIDIA_GEFORCE_RTX_4090, "AMPERE_80"],
            workers=(0, 4),
        )

        @api.post("/generate")
        async def generate(prompt: str): ...
        """
    }
    found = only(check(tmp_path, files), "FL601")
    assert [where(d) for d in found] == [("gpu_worker.py", 6)]
    assert found[0].message == "endpoint 'llm' lists 3 GPU pools but at most 4 workers"
    assert found[0].related[0].span.start_line == 4  # the gpu list


def test_fl601_int_workers_means_zero_to_n(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        POOLS = [GpuGroup.AMPERE_48, GpuGroup.ADA_48_PRO]

        @Endpoint(name="a", gpu=POOLS, workers=3)
        def a(): ...

        @Endpoint(name="b", gpu=POOLS, workers=5)
        def b(): ...
        """
    }
    found = only(check(tmp_path, files), "FL601")
    assert [where(d) for d in found] == [("worker.py", 5)]
    assert "'a'" in found[0].message


def test_fl601_quiet_cases(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import os
        from runpod_flash import Endpoint, GpuGroup, GpuType

        @Endpoint(name="enough", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24], workers=(0, 5))
        def enough(): ...

        @Endpoint(name="single", gpu=GpuGroup.ADA_24)
        def single(): ...

        @Endpoint(name="one-list", gpu=[GpuGroup.ADA_24])
        def one_list(): ...

        # two models of one pool (AMPERE_16) reach the API as one pool id
        @Endpoint(name="same-pool", gpu=[GpuType.NVIDIA_RTX_A4000, GpuType.NVIDIA_RTX_A4500])
        def same_pool(): ...

        @Endpoint(name="any", gpu=[GpuGroup.ANY, GpuGroup.ADA_24])
        def any_gpu(): ...

        @Endpoint(name="default")
        def default(): ...

        @Endpoint(name="runtime", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24], workers=int(os.environ["W"]))
        def runtime(): ...

        @Endpoint(name="cpu", cpu="cpu3c-1-2")
        def cpu(): ...

        existing = Endpoint(id="abc123", gpu=[GpuGroup.ADA_24, GpuGroup.AMPERE_24])
        """
    }
    assert only(check(tmp_path, files), "FL601") == []


# -- FL602 ------------------------------------------------------------------------------------


def test_fl602_from_pretrained_in_a_queue_function(tmp_path: Path) -> None:
    files = {
        "gpu_worker.py": """
        from runpod_flash import Endpoint, GpuGroup

        @Endpoint(name="llm", gpu=GpuGroup.ADA_24, dependencies=["transformers"])
        async def generate(prompt: str):
            from transformers import AutoModelForCausalLM, AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained("gpt2")
            model = AutoModelForCausalLM.from_pretrained("gpt2")
            return {"text": model.generate(**tokenizer(prompt, return_tensors="pt"))}
        """
    }
    found = only(check(tmp_path, files), "FL602")
    assert [where(d) for d in found] == [("gpu_worker.py", 7)]
    assert found[0].severity is Severity.INFO
    assert found[0].message == "'generate' loads a model on every request"
    assert found[0].notes == (
        "the handler of endpoint 'llm' runs the whole body for each job, "
        "AutoTokenizer.from_pretrained(...) (and 1 more model loads) included",
        "make it a class endpoint that loads the model once in __init__ and serves requests "
        "from a method",
    )
    span = found[0].span
    assert (span.start_col, span.end_col) == (16, 16 + len("AutoTokenizer.from_pretrained"))


def test_fl602_loaders_followed_through_imports(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import joblib
        import runpod_flash as rf

        @rf.Endpoint(name="pipe", gpu=rf.GpuGroup.ADA_24)
        def classify(text: str):
            from transformers import pipeline as hf_pipeline
            return hf_pipeline("sentiment-analysis")(text)

        @rf.Endpoint(name="tf", cpu="cpu3c-2-4")
        def tf_predict(x: list):
            import tensorflow as tf
            model = tf.keras.models.load_model("model.keras")
            return model.predict(x).tolist()

        @rf.Endpoint(name="sk", cpu="cpu3c-2-4")
        def sk_predict(x: list):
            return joblib.load("model.pkl").predict([x]).tolist()

        @rf.Endpoint(name="torch", gpu=rf.GpuGroup.ADA_24)
        def torch_predict(x: list):
            import torch
            state = torch.load("weights.pt")
            return {"keys": list(state)}

        @rf.Endpoint(name="embed", gpu=rf.GpuGroup.ADA_24)
        def embed(texts: list):
            from sentence_transformers import SentenceTransformer
            return SentenceTransformer("all-MiniLM-L6-v2").encode(texts).tolist()

        @rf.Endpoint(name="asr", gpu=rf.GpuGroup.ADA_24)
        def transcribe(url: str):
            import whisper
            return whisper.load_model("base").transcribe(url)
        """
    }
    found = only(check(tmp_path, files), "FL602")
    assert [where(d) for d in found] == [
        ("worker.py", 7),
        ("worker.py", 12),
        ("worker.py", 17),
        ("worker.py", 22),
        ("worker.py", 28),
        ("worker.py", 33),
    ]
    assert "'classify'" in found[0].message and "hf_pipeline(...)" in found[0].notes[0]


def test_fl602_legacy_remote_queue_function(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        from runpod_flash import GpuGroup, LiveServerless, remote

        config = LiveServerless(name="sd", gpus=[GpuGroup.ADA_24])

        @remote(resource_config=config, dependencies=["diffusers"])
        async def generate(prompt: str):
            from diffusers import StableDiffusionPipeline
            pipe = StableDiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5")
            return {"image": pipe(prompt).images[0]}
        """
    }
    found = only(check(tmp_path, files), "FL602")
    assert [where(d) for d in found] == [("worker.py", 8)]
    assert "'generate'" in found[0].message
    assert "StableDiffusionPipeline.from_pretrained(...)" in found[0].notes[0]


def test_fl602_class_endpoints_and_non_loaders_are_fine(tmp_path: Path) -> None:
    files = {
        # ex:05_data_workflows/01_network_volumes: class-based queue endpoint, loads in __init__
        "gpu_worker.py": """
        import logging
        from runpod_flash import Endpoint, GpuType

        logger = logging.getLogger(__name__)

        @Endpoint(
            name="05_01_gpu",
            gpu=GpuType.NVIDIA_GEFORCE_RTX_5090,
            dependencies=["torch", "diffusers", "transformers", "accelerate"],
        )
        class SimpleSD:
            def __init__(self):
                from diffusers import StableDiffusionPipeline
                self.pipe = StableDiffusionPipeline.from_pretrained("runwayml/stable-diffusion-v1-5")

            async def generate(self, prompt: str):
                return {"image": self.pipe(prompt).images[0]}
        """,
        "cached.py": """
        from runpod_flash import Endpoint, GpuGroup

        _model = None

        @Endpoint(name="cached", gpu=GpuGroup.ADA_24)
        def cached(text: str):
            global _model
            if _model is None:
                from transformers import pipeline
                _model = pipeline("sentiment-analysis")
            return _model(text)
        """,
        # ex:03_mixed_workers: the LB endpoint variable is called `pipeline`
        "pipeline.py": """
        import json
        from runpod_flash import Endpoint

        pipeline = Endpoint(name="classify_pipeline", cpu="cpu3c-1-2")

        def load_model():
            return {"weights": []}

        @Endpoint(name="queue", cpu="cpu3c-1-2")
        def queue(text: str):
            config = json.loads(text)
            weights = load_model()
            return {"config": config, "weights": weights}

        @pipeline.post("/classify")
        async def classify(text: str):
            from transformers import AutoModel
            return {"model": str(AutoModel.from_pretrained("x"))}
        """,
    }
    assert codes(check(tmp_path, files), "FL6") == []
