"""A1: checks of an app-API file cost no more than checks of the same app written for Flash.

A one-module Flash app is generated (queue endpoints on GPUs and CPUs with dependencies, and a
load-balanced API), then migrated to ``runpod.App`` by flash-ls's own migration
(``flash_ls.fixes.migrate``), so the twins hold the same endpoints, bodies and imports. The same
edit (a number in the first endpoint's body) is timed on each in the engine alone, as E1 does
(``benchmarks.profiling edit-times``: ``Workspace.update`` + ``check_app`` in a fresh
interpreter), and the app-API twin's p95 is compared with the Flash twin's.
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

from benchmarks.generate import CPU_STRINGS, DEPENDENCIES, GPU_GROUPS, NOUNS, VERBS, EditSite

MODULE = "service.py"
EDIT_MARKER = 'limit = int(input_data.get("limit", '  # the first endpoint's is edited


def _queue_endpoint(rng: random.Random, index: int) -> str:
    noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
    if index % 3 == 2:
        hardware = f'cpu="{rng.choice(CPU_STRINGS)}"'
    else:
        hardware = f"gpu=GpuGroup.{rng.choice(GPU_GROUPS)}"
    deps = ", ".join(f'"{d}"' for d in rng.sample(DEPENDENCIES, rng.randint(1, 3)))
    return f'''
        @Endpoint(name="twin-{verb}-{index}", {hardware}, workers=(0, {rng.randint(1, 5)}), dependencies=[{deps}])
        async def {verb}_{noun}_{index}(input_data: dict) -> dict:
            """{verb.capitalize()} the {noun}s of one request."""
            import json

            {noun}s = input_data.get("{noun}s", [])
            limit = int(input_data.get("limit", {rng.randint(10, 99)}))
            kept = [str(item)[:limit] for item in {noun}s]
            encoded = json.dumps(kept)
            return {{"{noun}s": kept, "count": len(kept), "bytes": len(encoded)}}
        '''


def _api(rng: random.Random, routes: int) -> str:
    parts = [
        """
        api = Endpoint(name="twin-api", cpu="cpu3c-2-4", workers=(1, 3))
        """
    ]
    for index in range(routes):
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        method = "get" if index % 4 == 0 else "post"
        parts.append(
            f'''
            @api.{method}("/{verb}/{noun}/{index}")
            async def {verb}_{noun}_route_{index}() -> dict:
                return {{"route": {index}, "noun": "{noun}"}}
            '''
        )
    return "".join(textwrap.dedent(p) for p in parts)


def flash_module(seed: int, endpoints: int = 40, routes: int = 12) -> str:
    """A one-module Flash app that migrates whole (every pattern has an app-API form)."""
    rng = random.Random(seed)
    head = '"""A generated app: queue endpoints and a load-balanced API."""\n'
    head += "from runpod_flash import Endpoint, GpuGroup\n"
    body = "".join(textwrap.dedent(_queue_endpoint(rng, i)) for i in range(endpoints))
    return head + body + _api(rng, routes)


def _edit_site(root: Path) -> EditSite:
    lines = (root / MODULE).read_text(encoding="utf-8").split("\n")
    for number, text in enumerate(lines):
        start = text.find(EDIT_MARKER)
        if start >= 0:
            start += len(EDIT_MARKER)
            end = text.index(")", start)
            return EditSite(MODULE, number, text, start, end)
    raise RuntimeError(f"no edit site in {root / MODULE}")


def twin_apps(folder: Path, seed: int) -> tuple[tuple[Path, EditSite], tuple[Path, EditSite]]:
    """Write the Flash app and its migrated twin under ``folder``: ((root, site), (root, site)).
    Raises RuntimeError when the migration does not apply (the twins would not be twins)."""
    from flash_ls.fixes.migrate import migrate_app
    from flash_ls.project.workspace import Workspace

    flash_root, app_root = folder / "flash-twin", folder / "app-twin"
    text = flash_module(seed)
    for root in (flash_root, app_root):
        root.mkdir(parents=True, exist_ok=True)
        (root / MODULE).write_text(text, encoding="utf-8")
    plan = migrate_app(Workspace([app_root]).app(app_root))
    if not plan.migrates:
        reasons = "; ".join(reason.message for _, reason in plan.reasons())
        raise RuntimeError(f"the generated app does not migrate: {reasons}")
    for migration in plan.changed_files:
        assert migration.text is not None
        migration.path.write_text(migration.text, encoding="utf-8")
    return (flash_root, _edit_site(flash_root)), (app_root, _edit_site(app_root))
