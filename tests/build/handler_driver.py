"""Invokes generated handlers the way a deployed worker does, for several extracted artifacts.

Usage: ``python handler_driver.py cases.json``; each case is ``{"root", "handler", "jobs"}`` for a
queue handler (``jobs``: job dicts passed to ``handler``) or ``{"root", "handler", "requests"}`` for
a load-balanced one (``requests``: ``{"method", "path", "json"?, "params"?}`` sent through FastAPI's
TestClient). ``RUNPOD_ENDPOINT_ID`` is set and ``FLASH_RESOURCE_NAME`` is not, so the SDK runs every
function of the app in-process (a deployed worker with an unknown resource name does the same).
Each artifact's own modules are imported from its root; the bundled ``runpod_flash`` of the first
root serves all (they are identical). Prints the results as JSON on the last line of stdout.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any


def _forget(root: Path) -> None:
    for name, module in list(sys.modules.items()):
        if name == "runpod_flash" or name.startswith("runpod_flash."):
            continue
        origin = getattr(module, "__file__", None) or ""
        if origin and Path(origin).resolve().is_relative_to(root):
            del sys.modules[name]


def _load(root: Path, handler: str) -> Any:
    spec = importlib.util.spec_from_file_location(
        f"_handler_{abs(hash((root, handler)))}", root / handler
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def _queue(module: Any, jobs: list[dict]) -> dict:
    answers = []
    for job in jobs:
        result = module.handler(json.loads(json.dumps(job)))
        if inspect.isawaitable(result):
            result = asyncio.run(result)
        answers.append(_plain(result))
    return {"async": inspect.iscoroutinefunction(module.handler), "answers": answers}


def _http(module: Any, requests: list[dict]) -> dict:
    from fastapi.testclient import TestClient

    answers = []
    with TestClient(module.app) as client:
        for request in requests:
            response = client.request(
                request["method"],
                request["path"],
                json=request.get("json"),
                params=request.get("params"),
            )
            try:
                body = response.json()
            except ValueError:
                body = response.text
            answers.append({"status": response.status_code, "body": _plain(body)})
    return {"answers": answers}


def main() -> None:
    cases = json.loads(Path(sys.argv[1]).read_text())
    os.environ["RUNPOD_ENDPOINT_ID"] = "handler-test"
    os.environ.pop("FLASH_RESOURCE_NAME", None)
    results = []
    current: Path | None = None
    for case in cases:
        root = Path(case["root"]).resolve()
        if root != current:
            if current is not None:
                _forget(current)
                sys.path.remove(str(current))
            sys.path.insert(0, str(root))
            os.chdir(root)
            current = root
        try:
            module = _load(root, case["handler"])
            if "jobs" in case:
                results.append(_queue(module, case["jobs"]))
            else:
                results.append(_http(module, case["requests"]))
        except Exception as exc:  # a handler that cannot even load is a result too
            results.append({"load_error": f"{type(exc).__name__}: {exc}"})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
