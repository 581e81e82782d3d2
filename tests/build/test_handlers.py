"""Generated handlers, invoked with job payloads and HTTP requests as a deployed worker would.

The official handlers of the same apps get the same jobs: flash-ls's must answer the same, except
where docs/compatibility.md says flash-ls does better (sync functions with max_concurrency > 1,
the internal /execute route).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from buildkit import OFFICIAL_ENV, OfficialBuild, OurBuild, speedups

JOBS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("hello_world", "handler_hello-world-gpu.py"): [
        {"input": {"input_data": {"message": "hi"}}},
        {"input": {"input_data": {}, "__empty": True}},
        {"input": "not a dict"},
        {"input": None},
    ],
    ("cpu_worker", "handler_cpu-text-stats.py"): [
        {"input": {"text": "the cat and the hat", "top": 1}},
        {"input": {"text": "x", "unexpected": 1}},
    ],
    ("mixed_workers", "handler_mixed-cpu-preprocess.py"): [
        {"input": {"input_data": {"text": "  Good  day. Fine!  "}}},
    ],
    ("mixed_workers", "handler_mixed-gpu-inference.py"): [
        {"input": {"input_data": {"cleaned_text": "good good bad"}}},
    ],
    ("mixed_workers", "handler_mixed-cpu-postprocess.py"): [
        {
            "input": {
                "input_data": {
                    "predictions": [
                        {"label": "a", "confidence": 0.2},
                        {"label": "b", "confidence": 0.7},
                    ]
                }
            }
        },
    ],
    ("class_worker", "handler_class-sentiment.py"): [
        {"input": {"text": "good great movie"}},
        {"input": {"method": "predict", "text": "awful"}},
    ],
    ("class_worker", "handler_class-text-tools.py"): [
        {"input": {"method": "upper", "text": "hi"}},
        {"input": {"method": "reverse", "text": "abc"}},
        {"input": {"method": "count", "text": "a b c"}},
        {"input": {"text": "no method"}},
        {"input": {"method": "nope", "text": "x"}},
    ],
    ("async_concurrency", "handler_async-embedder.py"): [
        {"input": {"texts": ["ab", "c"], "dim": 2}},
    ],
    ("async_concurrency", "handler_sync-resizer.py"): [
        {"input": {"width": 100, "height": 50}},
        {"input": {"width": 10, "height": 10, "factor": 2}},
    ],
    ("network_volume", "handler_nv-image-gen.py"): [
        {"input": {"prompt": "a cat", "steps": 5}},
    ],
    ("edge", "handler_edge-legacy-gpu.py"): [{"input": {"x": 5}}],
    ("edge", "handler_named_by_first.py"): [{"input": {"x": 3}}],  # serves also_served_by_it
    ("edge", "handler_edge-cpu-small-disk.py"): [
        {"input": {"method": "stream", "n": 2}},
        {"input": {"method": "version"}},  # a staticmethod is not dispatched to
    ],
}
REQUESTS: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("mixed_workers", "handler_mixed-pipeline.py"): [
        {"method": "POST", "path": "/classify", "json": {"text": "good great  awful"}},
        {"method": "GET", "path": "/health"},
        {"method": "GET", "path": "/ping"},
        {"method": "POST", "path": "/execute", "json": {}},
    ],
    ("load_balancer", "handler_lb-cpu-api.py"): [
        {"method": "GET", "path": "/health"},
        {"method": "POST", "path": "/validate", "json": {"text": "hello"}},
        {"method": "POST", "path": "/validate", "json": {"text": "", "max_length": 3}},
        {
            "method": "POST",
            "path": "/transform",
            "json": {"text": "Hi There", "operation": "title"},
        },
        {"method": "POST", "path": "/transform", "json": {"text": "x", "operation": "nope"}},
        {"method": "POST", "path": "/transform", "json": {"operation": "upper"}},
        {"method": "GET", "path": "/ping"},
    ],
    ("load_balancer", "handler_lb-gpu-api.py"): [
        {"method": "POST", "path": "/compute", "json": {"numbers": [1, 2, 3]}},
        {"method": "GET", "path": "/health"},
        {"method": "GET", "path": "/info"},
        {"method": "GET", "path": "/items/7", "params": {"verbose": "true"}},
        {"method": "GET", "path": "/items/abc"},
    ],
    ("edge", "handler_edge-split-api.py"): [
        {"method": "GET", "path": "/version"},
        {"method": "POST", "path": "/echo", "json": {"message": "hi"}},
    ],
    ("network_volume", "handler_nv-files.py"): [
        {"method": "GET", "path": "/images"},
        {"method": "GET", "path": "/images/a.png"},
        {"method": "DELETE", "path": "/images/a.png", "json": {"dry_run": False}},
    ],
}
CASES = [*JOBS, *REQUESTS]
# Cases where flash-ls deliberately answers differently (docs/compatibility.md).
DIFFERENT = {
    ("async_concurrency", "handler_sync-resizer.py"),  # `concurrency-handler`
    ("mixed_workers", "handler_mixed-pipeline.py"),  # `lb-execute` (the /execute request)
}


def _extract(artifact: Path, into: Path) -> Path:
    with tarfile.open(artifact) as tar:
        tar.extractall(into, filter="data")
    return into


@pytest.fixture(scope="session")
def answers(
    tmp_path_factory: pytest.TempPathFactory,
    official: dict[str, OfficialBuild],
    ours: dict[str, OurBuild],
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """(tool, app, handler) -> what the handler answered; one driver process for everything."""
    base = tmp_path_factory.mktemp("handlers")
    cases = []
    keys = []
    for tool, builds in (("ours", ours), ("official", official)):
        for app in sorted({app for app, _ in CASES}):
            root = _extract(builds[app].artifact, base / tool / app)
            for case_app, handler in CASES:
                if case_app != app:
                    continue
                case: dict[str, Any] = {"root": str(root), "handler": handler}
                if (app, handler) in JOBS:
                    case["jobs"] = JOBS[(app, handler)]
                else:
                    case["requests"] = REQUESTS[(app, handler)]
                cases.append(case)
                keys.append((tool, app, handler))
    plan = base / "cases.json"
    plan.write_text(json.dumps(cases))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASH_", "RUNPOD_"))}
    env.update(OFFICIAL_ENV)
    env["PYTHONPATH"] = speedups(base)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).parent / "handler_driver.py"), str(plan)],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return dict(zip(keys, results, strict=True))


def _comparable(value: Any) -> Any:
    """Without what legitimately changes between two runs (timestamps, tracebacks)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in ("timestamp", "traceback")}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.parametrize("case", [c for c in CASES if c not in DIFFERENT], ids="/".join)
def test_handler_answers_like_the_official_one(case: tuple[str, str], answers: dict) -> None:
    mine = answers[("ours", *case)]
    theirs = answers[("official", *case)]

    assert "load_error" not in mine, mine
    assert _comparable(mine["answers"]) == _comparable(theirs["answers"])


def _answers(answers: dict, app: str, handler: str) -> list[Any]:
    found = answers[("ours", app, handler)]
    assert "load_error" not in found, found
    return found["answers"]


def test_queue_function_gets_the_input_as_keyword_arguments(answers: dict) -> None:
    hello, empty, malformed, missing = _answers(
        answers, "hello_world", "handler_hello-world-gpu.py"
    )

    assert hello["status"] == "success" and hello["message"] == "hi"
    assert empty["message"] == "Hello from Flash!"
    assert malformed == {"success": False, "error": "Malformed input: expected dict, got str"}
    assert missing["success"] is False and "input_data" in missing["error"]
    assert "traceback" in missing


def test_sync_queue_function(answers: dict) -> None:
    stats, wrong = _answers(answers, "cpu_worker", "handler_cpu-text-stats.py")

    assert stats == {"words": 5, "unique": 4, "top": ["the"]}
    assert wrong["success"] is False and "unexpected" in wrong["error"]


def test_class_with_one_method_is_called_without_a_method_key(answers: dict) -> None:
    first, second = _answers(answers, "class_worker", "handler_class-sentiment.py")

    assert first == {"label": "positive", "score": 2, "calls": 1}
    # the "method" key is removed, and the instance lives as long as the worker
    assert second == {"label": "negative", "score": -1, "calls": 2}


def test_class_with_several_methods_dispatches_on_method(answers: dict) -> None:
    upper, reverse, count, no_method, unknown = _answers(
        answers, "class_worker", "handler_class-text-tools.py"
    )

    assert upper == ">> HI"
    assert reverse == ">> cba"  # an async method
    assert count == 2
    assert no_method == {
        "success": False,
        "error": 'class TextTools has multiple methods: count, reverse, upper. include a "method" key in the input.',
    }
    assert unknown == {
        "success": False,
        "error": "unknown method 'nope' on TextTools. available: count, reverse, upper",
    }


def test_async_function_with_max_concurrency(answers: dict, ours: dict[str, OurBuild]) -> None:
    found = answers[("ours", "async_concurrency", "handler_async-embedder.py")]
    source = _artifact_text(ours["async_concurrency"].artifact, "handler_async-embedder.py")

    assert found["async"] is True
    assert found["answers"] == [{"vectors": [[6.0, 3.0], [1.0, 3.0]], "dim": 2}]
    assert '"concurrency_modifier": lambda current: 8' in source


def test_sync_function_with_max_concurrency_runs_in_a_thread(
    answers: dict, ours: dict[str, OurBuild]
) -> None:
    mine = answers[("ours", "async_concurrency", "handler_sync-resizer.py")]
    theirs = answers[("official", "async_concurrency", "handler_sync-resizer.py")]
    source = _artifact_text(ours["async_concurrency"].artifact, "handler_sync-resizer.py")

    assert mine["async"] is True
    assert mine["answers"] == [{"width": 50, "height": 25}, {"width": 20, "height": 20}]
    assert '"concurrency_modifier": lambda current: 4' in source
    # the bug flash-ls avoids: the official handler awaits the function's plain return value
    assert all("can't be used in 'await' expression" in a["error"] for a in theirs["answers"])


def test_handlers_without_concurrency_are_sync(answers: dict) -> None:
    for case in JOBS:
        if case[0] != "async_concurrency":
            assert answers[("ours", *case)]["async"] is False, case


def test_load_balanced_routes(answers: dict) -> None:
    classify, health, ping, execute = _answers(
        answers, "mixed_workers", "handler_mixed-pipeline.py"
    )

    # the pipeline calls the three queue functions (in-process here, as on a worker of this app)
    assert classify["status"] == 200
    assert classify["body"]["label"] == "positive"
    assert classify["body"]["metadata"] == {"word_count": 3, "model": "keyword-scorer"}
    assert health == {"status": 200, "body": {"status": "ok"}}
    assert ping == {"status": 200, "body": {"status": "healthy"}}
    assert execute["status"] == 404  # no code-execution route on deployed endpoints


def test_official_load_balancer_exposes_execute(answers: dict) -> None:
    mine = answers[("ours", "mixed_workers", "handler_mixed-pipeline.py")]["answers"]
    theirs = answers[("official", "mixed_workers", "handler_mixed-pipeline.py")]["answers"]

    assert theirs[3]["status"] == 200  # `lb-execute` in docs/compatibility.md
    assert _comparable(mine[:3]) == _comparable(theirs[:3])


def test_path_and_query_parameters(answers: dict) -> None:
    compute, _, _, item, bad_item = _answers(answers, "load_balancer", "handler_lb-gpu-api.py")
    _, get_image, delete_image = _answers(answers, "network_volume", "handler_nv-files.py")

    assert compute == {"status": 200, "body": {"result": 14.0}}
    assert item == {"status": 200, "body": {"item_id": 7, "verbose": True}}
    assert bad_item["status"] == 422
    assert get_image["body"] == {"file_name": "a.png", "path": "/runpod-volume/outputs/a.png"}
    assert delete_image == {"status": 200, "body": {"file_name": "a.png", "deleted": True}}


def _artifact_text(artifact: Path, name: str) -> str:
    with tarfile.open(artifact) as tar:
        member = tar.extractfile(f"./{name}")
        assert member is not None
        return member.read().decode()


def test_routes_registered_on_an_imported_endpoint(answers: dict) -> None:
    version, echo = _answers(answers, "edge", "handler_edge-split-api.py")
    (legacy,) = _answers(answers, "edge", "handler_edge-legacy-gpu.py")
    (shared,) = _answers(answers, "edge", "handler_named_by_first.py")
    stream, static = _answers(answers, "edge", "handler_edge-cpu-small-disk.py")

    assert version == {"status": 200, "body": {"version": 1}}
    assert echo == {"status": 200, "body": {"message": "hi"}}
    assert legacy == 5  # legacy remote(LiveServerless(...))
    assert shared == 3  # one instance on two functions: the alphabetically first is served
    assert stream == 2
    assert static == {
        "success": False,
        "error": "unknown method 'version' on CpuSmall. available: run, stream",
    }
