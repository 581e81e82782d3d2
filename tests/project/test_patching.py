"""An edit patches the App (issue 13): the patched App must equal a freshly loaded one.

Random sequences of what an editor and the disk do to an app (buffers edited, closed and opened
for files that do not exist yet; files saved, created and deleted through the watched-files path;
``pyproject.toml``, ``.gitignore`` and ``requirements.txt`` changed) are applied to one
``Workspace``; after every step its App is compared with the App of a new ``Workspace`` given the
same buffers: the same files with the same facts, the same endpoints, the same findings.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

from flash_ls.diagnostic import Diagnostic
from flash_ls.project import workspace as workspace_module
from flash_ls.project.app import App
from flash_ls.project.workspace import Workspace
from flash_ls.rules.engine import check_app
from flash_ls.rules.registry import is_known_selector

ENDPOINT_API = 'from runpod_flash import Endpoint\n\napi = Endpoint(name="api", cpu="cpu3c-1-2")\n'
WORKER = (
    "from runpod_flash import Endpoint, GpuGroup\n\n\n"
    '@Endpoint(name="{name}", gpu=GpuGroup.ADA_24{extra})\n'
    "async def infer(data: dict) -> dict:\n"
    "    return data\n"
)

# Each file of the app and the texts it may hold (None: the file does not exist).
VARIANTS: dict[str, list[str | None]] = {
    "common/__init__.py": [
        ENDPOINT_API,
        ENDPOINT_API.replace('"api"', '"api-renamed"'),
        "from common.shared import api, VALUE\n",
        "from .shared import *\n",
        "api = None\n",
        "",
        None,
    ],
    "common/shared.py": [
        'from runpod_flash import Endpoint\n\napi = Endpoint(name="shared")\nVALUE = 3\n',
        "VALUE = 3\n",
        'VALUE = "three"\nNAME = "worker"\n',
        None,
    ],
    "routes.py": [
        'from common import api\n\n\n@api.post("/x")\nasync def x(data: dict) -> dict:\n'
        "    return data\n",
        'from common.shared import api\n\n\n@api.get("/y")\nasync def y() -> dict:\n'
        "    return {}\n",
        'import torch\nfrom common import api\n\n\n@api.post("/x")\n'
        'async def x(data: dict) -> dict:\n    return {"v": torch.__version__}\n',
        "def helper():\n    return 1\n",
        'from common import api\n\n\n@api.post("/x"\nasync def broken(:\n',
        None,
    ],
    "workers/gpu.py": [
        WORKER.format(name="worker", extra=""),
        WORKER.format(name="api", extra=""),
        WORKER.format(name="worker-2", extra=', dependencies=["numpy"]'),
        'from runpod_flash import Endpoint\n\n@Endpoint(name="broken"\nasync def f(): ...\n',
        "import numpy\n" + WORKER.format(name="worker", extra=""),
        "x = 1\n",
        None,
    ],
    "workers/__init__.py": ["", "from workers.gpu import infer\n", None],
    "helpers.py": [
        "from common.shared import VALUE\n\nDOUBLE = VALUE * 2\n",
        "import routes\n",
        "from common import api\n\n\n@api.put('/z')\ndef z():\n    return 1\n",
        "# runpod_flash is only named in this comment\n",
        "from . import nothing\n",
        None,
    ],
    "scratch/notes.py": [
        "x = 1\n",
        'from runpod_flash import Endpoint\n\nEndpoint(name="scratch")\n',
        None,
    ],
}
PYPROJECTS = [
    '[project]\nname = "app"\n',
    '[project]\nname = "app"\n\n[tool.flash-ls]\nexclude = ["scratch/*"]\n',
    '[project]\nname = "app"\n\n[tool.flash-ls]\nignore = ["FL6"]\n',
    '[project]\nname = "app"\n\n[tool.flash-ls]\nsize-budget-mb = 1\n',
    '[project]\nname = "app"\n\n[tool.flash-ls]\nno-such-key = 1\n',  # a problem
]
GITIGNORES: list[str | None] = ["helpers.py\n", "workers/\n", "scratch/\n", "", None]
REQUIREMENTS: list[str | None] = ["runpod-flash\n", "runpod-flash\ntorch\nnumpy\n", None]


def _write(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _findings(diagnostics: list[Diagnostic]) -> list[tuple[Any, ...]]:
    return [
        (d.code, d.path, d.span, d.message, d.severity, d.related, d.notes) for d in diagnostics
    ]


def _shape(app: App) -> dict[str, Any]:
    """Everything of an App the rules read, by value."""
    return {
        "files": [
            (rel, s.path, s.module, s.text, s.read_error, s.shipped, s.size, s.facts)
            for rel, s in app.files.items()
        ],
        "endpoints": [
            (
                e.decl.file.rel,
                e.decl.call.span,
                e.decl.form,
                e.decl.variable,
                [(t.file.rel, t.definition.name) for t in e.targets],
                [(r.file.rel, r.method, r.path) for r in e.routes],
            )
            for e in app.endpoints
        ],
        "uses_flash": app.uses_flash,
        "config": app.config,
        "config_problems": app.config_problems,
        "requirements": app.requirements,
        "ignore": app.ignore.patterns,
    }


class Editor:
    """An app on disk, the buffers an editor holds on it, and the workspace that sees both."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.buffers: dict[Path, str] = {}
        for rel, texts in VARIANTS.items():
            _write(root / rel, texts[0])
        _write(root / "pyproject.toml", PYPROJECTS[0])
        _write(root / "requirements.txt", REQUIREMENTS[0])
        self.workspace = Workspace([root], known_selector=is_known_selector)

    def step(self) -> str:
        rng = self.rng
        rel = rng.choice(sorted(VARIANTS))
        path = self.root / rel
        text = rng.choice(VARIANTS[rel])
        action = rng.choices(
            ["edit", "close", "save", "config", "gitignore", "requirements"],
            weights=[8, 3, 5, 1, 1, 1],
        )[0]
        if action == "edit" and text is not None:
            self.edit(path, text)  # didChange, or didOpen of a file not on disk
        elif action == "close" and self.buffers:
            self.close(rng.choice(sorted(self.buffers)))
        elif action in ("edit", "close", "save"):
            action = "save" if text is not None else "delete"
            _write(path, text)  # saved, created or deleted by another tool: a watched file
            self.workspace.invalidate(path)
        else:
            name, choices = {
                "config": ("pyproject.toml", PYPROJECTS),
                "gitignore": (".gitignore", GITIGNORES),
                "requirements": ("requirements.txt", REQUIREMENTS),
            }[action]
            _write(self.root / name, rng.choice(choices))
            self.workspace.invalidate(self.root / name)
            return f"{action}: {name}"
        return f"{action}: {rel}"

    def edit(self, path: Path, text: str) -> None:
        self.buffers[path] = text
        self.workspace.update(path, text)

    def close(self, path: Path) -> None:
        del self.buffers[path]
        self.workspace.remove(path)

    def fresh(self) -> App:
        """The App a new workspace loads, with the same buffers and last good configuration."""
        workspace = Workspace(
            [self.root],
            known_selector=is_known_selector,
            good_configs=dict(self.workspace.good_configs),
        )
        for path, text in self.buffers.items():
            workspace.update(path, text)
        return workspace.app(self.root)


@pytest.fixture
def trusted_stamps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files the test has just written count as settled, so edits take the patch path (their
    changes are all reported, as a watcher would)."""
    monkeypatch.setattr(workspace_module, "_RACY_NS", 0)


@pytest.mark.parametrize("seed", range(16))
def test_a_patched_app_equals_a_fresh_one(
    tmp_path: Path, seed: int, trusted_stamps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = Editor(tmp_path / "app", random.Random(seed))
    loads: list[Path] = []
    original = Workspace._load

    def counted(self: Workspace, root: Path) -> Any:
        if self is editor.workspace:
            loads.append(root)
        return original(self, root)

    monkeypatch.setattr(Workspace, "_load", counted)
    root = editor.root
    history: list[str] = []
    reloads = 1
    for _ in range(40):
        history.append(editor.step())
        reloads += history[-1].startswith(("config", "gitignore", "requirements"))
        patched = editor.workspace.app(root)
        fresh = editor.fresh()
        assert _shape(patched) == _shape(fresh), history
        assert _findings(check_app(patched)) == _findings(check_app(fresh)), history
    # Only the configuration files reloaded the app; every other step patched it.
    assert len(loads) <= reloads, history


def test_an_edit_keeps_the_other_files_and_shares_their_parses(
    tmp_path: Path, trusted_stamps: None
) -> None:
    editor = Editor(tmp_path / "app", random.Random(0))
    workspace, root = editor.workspace, editor.root
    before = workspace.app(root)
    routes = root / "routes.py"
    workspace.update(routes, VARIANTS["routes.py"][1] or "")
    after = workspace.app(root)
    assert after is not before
    assert after.files["routes.py"] is not before.files["routes.py"]
    kept = [rel for rel in before.files if after.files[rel] is before.files[rel]]
    assert sorted(kept) == sorted(set(before.files) - {"routes.py"})
    # The same text again changes nothing: the same App, the same estimate and resolution.
    workspace.update(routes, VARIANTS["routes.py"][1] or "")
    assert workspace.app(root) is after


def test_an_edit_reads_no_other_file(
    tmp_path: Path, trusted_stamps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = Editor(tmp_path / "app", random.Random(0))
    workspace, root = editor.workspace, editor.root
    workspace.app(root)
    read: list[Path] = []
    original = workspace_module.read_source

    def spy(path: Path) -> Any:
        read.append(path)
        return original(path)

    monkeypatch.setattr(workspace_module, "read_source", spy)
    monkeypatch.setattr(workspace_module, "load_config", lambda *a: pytest.fail("config read"))
    monkeypatch.setattr(
        workspace_module, "read_requirements", lambda *a: pytest.fail("requirements read")
    )
    for index in range(3):
        workspace.update(root / "routes.py", f"{VARIANTS['routes.py'][0]}# {index}\n")
        check_app(workspace.app(root))
    assert read == []
    workspace.remove(root / "routes.py")  # closed: the disk version is read again
    workspace.app(root)
    assert read == [root / "routes.py"]


def test_a_file_importing_an_app_module_gains_and_loses_full_facts(
    tmp_path: Path, trusted_stamps: None
) -> None:
    editor = Editor(tmp_path / "app", random.Random(0))
    workspace, root = editor.workspace, editor.root
    helpers = root / "helpers.py"
    editor.edit(helpers, "import json\n")
    assert not workspace.app(root).files["helpers.py"].facts.fully_parsed
    editor.edit(helpers, "import routes\n")  # routes uses an endpoint: helpers may too
    assert workspace.app(root).files["helpers.py"].facts.fully_parsed
    editor.edit(helpers, "import json\n")
    assert not workspace.app(root).files["helpers.py"].facts.fully_parsed
    # The last file naming the SDK stops doing so: the folder is no Flash app any more.
    for rel in ("common/__init__.py", "common/shared.py", "workers/gpu.py", "helpers.py"):
        editor.edit(root / rel, "x = 1\n")
    editor.edit(root / "routes.py", "from common import api\n")
    assert not workspace.app(root).uses_flash
    assert _shape(workspace.app(root)) == _shape(editor.fresh())
    editor.edit(root / "helpers.py", "import runpod_flash\n")  # and back
    assert workspace.app(root).uses_flash
    assert _shape(workspace.app(root)) == _shape(editor.fresh())


def test_changes_nobody_reported_are_seen_by_the_next_patch(tmp_path: Path) -> None:
    """A file rewritten or created on disk without a watcher event (an editor whose watcher
    missed it) is picked up by the next edit of the app, as when every edit reloaded it."""
    editor = Editor(tmp_path / "app", random.Random(0))
    workspace, root = editor.workspace, editor.root
    settled = time.time_ns() - 10 * 1_000_000_000
    for path in [root, *root.rglob("*")]:
        os.utime(path, ns=(settled, settled))
    workspace.app(root)
    gpu = root / "workers" / "gpu.py"
    gpu.write_text(VARIANTS["workers/gpu.py"][1] or "")  # renamed to "api": FL102 with common
    (root / "extra.py").write_text("from common import api\n\n\n@api.get('/e')\ndef e(): ...\n")
    editor.edit(root / "routes.py", VARIANTS["routes.py"][0] or "")
    patched = workspace.app(root)
    assert "extra.py" in patched.files
    assert _findings(check_app(patched)) == _findings(check_app(editor.fresh()))
    assert "FL102" in {d.code for d in check_app(patched)}


def test_a_recent_file_is_read_again_until_its_stamp_settles(tmp_path: Path) -> None:
    editor = Editor(tmp_path / "app", random.Random(0))
    workspace, root = editor.workspace, editor.root
    workspace.app(root)
    helpers = root / "helpers.py"
    # Rewritten within the same timestamp tick, with the same size: only re-reading shows it.
    stamp = helpers.stat()
    helpers.write_text("from common.shared import VALUE\n\nTRIPLE = VALUE * 3\n")
    os.utime(helpers, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    editor.edit(root / "routes.py", VARIANTS["routes.py"][3] or "")
    bindings = workspace.app(root).files["helpers.py"].facts.bindings
    assert "TRIPLE" in bindings


def test_edits_that_keep_the_dependencies_resolve_nothing_again(
    tmp_path: Path, trusted_stamps: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each patched App is a new object with its own estimate, but the dependency part is
    memoised by what pip would be asked: typing resolves nothing (issue 13)."""
    from flash_ls.project.sizes import cached_estimate
    from flash_ls.project.sizes import estimate as estimate_module

    estimate_module.clear_caches()  # parts memoised by other tests in this process
    editor = Editor(tmp_path / "app", random.Random(0))
    workspace, root = editor.workspace, editor.root
    cached_estimate(workspace.app(root))
    made: list[object] = []
    original = estimate_module._make_part

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(estimate_module, "_make_part", counted)
    routes = VARIANTS["routes.py"][0] or ""
    for index in range(5):
        editor.edit(root / "routes.py", f"{routes}# {index}\n")
        app = workspace.app(root)
        first = cached_estimate(app)
        assert cached_estimate(app) is first  # once per App object
    assert made == []
    editor.edit(root / "workers/gpu.py", VARIANTS["workers/gpu.py"][2] or "")  # adds numpy
    cached_estimate(workspace.app(root))
    assert len(made) == 1


def test_a_replaced_app_is_freed_without_the_cycle_collector(tmp_path: Path) -> None:
    """An edit's App replaces the previous one, whose endpoints refer to it: the workspace
    breaks that cycle, so the old App goes as soon as nothing holds it (no collection waits),
    and one still held computes its endpoints again when asked."""
    import gc
    import weakref

    root = tmp_path / "app"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "app"\n')
    path = root / "worker.py"
    text = (
        "from runpod_flash import Endpoint\n\n"
        '@Endpoint(name="w", cpu="cpu3c-1-2")\ndef w():\n    return 1\n'
    )
    path.write_text(text)
    workspace = Workspace([root])
    held = workspace.app(root)
    assert [e.name for e in held.endpoints] == ["w"]
    workspace.update(path, text.replace("return 1", "return 2"))
    second = workspace.app(root)
    assert second is not held
    assert [e.name for e in held.endpoints] == ["w"]  # computed again for whoever holds it
    assert [e.name for e in second.endpoints] == ["w"]
    replaced = weakref.ref(second._resolution)  # its reader: endpoints and App refer to it
    del second
    gc.disable()
    try:
        workspace.update(path, text.replace("return 1", "return 3"))
        assert workspace.app(root) is not None
        assert replaced() is None
    finally:
        gc.enable()
