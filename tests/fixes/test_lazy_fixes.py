"""Lazy fix edits: a check knows each fix's message and safety, the edits come when asked for.

A plain ``flash-ls check`` must not load libcst (the fix machinery's CST library): the import fixes
(FL108, FL301, FL302) are planned with the stdlib ``ast`` and their edits are made by libcst only
for JSON output, ``--fix``, ``--diff`` and code actions. These tests keep the edits faithful to
what the message announced, and a fix whose edits cannot be made harmless.
"""

from __future__ import annotations

import ast
import os
import pickle
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from apps import check, only, write_app
from cli_imports import imported_by, loaded

from flash_ls.checking import fix_paths
from flash_ls.diagnostic import Diagnostic, Fix, TextEdit
from flash_ls.fixes import import_edits as cst_imports
from flash_ls.fixes.apply import apply_fixes, apply_fixes_detailed
from flash_ls.fixes.uses import file_uses
from flash_ls.parse import parse_file
from flash_ls.parse.facts import Import
from flash_ls.span import Span

IMPORT_FIXES = ("FL108", "FL301", "FL302")

WORKER = '''
"""A GPU worker."""

import json
import numpy as np
import pandas as pd, yaml
from PIL import Image, ImageOps as ops
from runpod_flash import Endpoint, GpuGroup

from helpers import tidy


def summary(frame):
    return pd.DataFrame(frame).describe()


@Endpoint(name="gpu", gpu=GpuGroup.ADA_24)
async def infer(data: dict) -> dict:
    """Infer."""
    import os

    arr = np.asarray(data["x"])
    return {"mean": float(arr.mean()), "cwd": os.getcwd(), "cfg": yaml.safe_dump(data)}


@Endpoint(name="img", gpu=GpuGroup.ADA_24)
class Images:
    def __init__(self) -> None:
        self.size = 3

    def load(self, path: str):
        return ops.flip(Image.open(path))

    async def stats(self, data: dict) -> dict:
        return json.loads(summary(tidy(data)).to_json())
'''

HELPERS = """
def tidy(data):
    return {k: v for k, v in data.items() if v is not None}
"""

PRE = """
from runpod_flash import Endpoint


@Endpoint(name="pre", cpu="cpu3c-1-2")
async def preprocess(text: str) -> dict:
    return {"text": text.strip()}
"""

PIPELINE = """
from pre import preprocess
from runpod_flash import Endpoint

api = Endpoint(name="pipeline", cpu="cpu3c-1-2")


@api.post("/run")
async def run(text: str) -> dict:
    return await preprocess(text)


@api.get("/again")
async def again(text: str) -> dict:
    return await preprocess(text.upper())
"""


def app_files() -> dict[str, str | bytes]:
    return {"worker.py": WORKER, "helpers.py": HELPERS, "pre.py": PRE, "pipeline.py": PIPELINE}


def import_findings(root: Path) -> list[Diagnostic]:
    return [d for d in check(root, app_files()) if d.code in IMPORT_FIXES and d.fix is not None]


# -- (a) a text check does not load libcst ---------------------------------------------------------


def test_a_text_check_with_import_fixes_does_not_load_libcst(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", app_files())
    cache = tmp_path / "cache"
    for run in ("cold", "warm"):
        if (
            run == "warm"
        ):  # a new mtime: parsed facts come from the cache, findings are not replayed
            for path in root.rglob("*.py"):
                os.utime(path)
        done, modules = imported_by(
            root, "check", ".", "--no-color", "--fail-on", "never", cache=cache
        )

        assert done.returncode == 0, done.stderr[-2000:]
        assert "help: Move `import numpy as np` into infer() (fixable with --fix)" in done.stdout
        assert "help: Move `from pre import preprocess` into run() and again()" in done.stdout
        assert "fixable with --fix." in done.stdout
        assert "flash_ls.fixes.moves" in modules  # the fixes were planned
        assert not loaded(modules, "flash_ls.fixes.import_edits")
        assert not loaded(modules, "libcst")


def test_json_output_computes_the_edits(tmp_path: Path) -> None:
    root = write_app(tmp_path / "app", app_files())
    done, modules = imported_by(
        root,
        "check",
        ".",
        "--output-format",
        "json",
        "--fail-on",
        "never",
        cache=tmp_path / "cache",
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "flash_ls.fixes.import_edits" in modules
    assert '"new_text": "    import numpy as np\\n"' in done.stdout


def test_a_check_leaves_the_edits_uncomputed(tmp_path: Path) -> None:
    found = import_findings(tmp_path)

    assert {d.code for d in found} == set(IMPORT_FIXES)
    assert all(d.fix is not None and not d.fix.computed for d in found)


# -- (b) the edits do what the message says ---------------------------------------------------------

_MOVE = re.compile(r"Move `(?P<label>[^`]+)` into (?P<where>.+)")
_ADD = re.compile(r"Add `(?P<label>[^`]+)` inside '(?P<where>\w+)'")
_REMOVE = re.compile(r"Remove the unused `(?P<label>[^`]+)`")


def _functions(tree: ast.Module) -> dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]]:
    """Module-level functions and methods of module-level classes, by name."""
    found: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
    for node in tree.body:
        inner = node.body if isinstance(node, ast.ClassDef) else [node]
        for fn in inner:
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.setdefault(fn.name, []).append(fn)
    return found


def _imports(body: list[ast.stmt]) -> list[str]:
    return [ast.unparse(s) for s in body if isinstance(s, (ast.Import, ast.ImportFrom))]


def _names(statement: str) -> tuple[str, set[str]]:
    """(module or "", imported names as written) of one import statement."""
    node = ast.parse(statement).body[0]
    assert isinstance(node, (ast.Import, ast.ImportFrom))
    module = node.module or "" if isinstance(node, ast.ImportFrom) else ""
    names = {ast.unparse(alias) for alias in node.names}
    return module, names


def _within_label(statement: str, label: str) -> bool:
    """Whether ``statement`` imports some of what one of ``label``'s statements imports."""
    module, names = _names(statement)
    for part in label.split("; "):
        other_module, other_names = _names(part)
        if module == other_module and names <= other_names:
            return True
    return False


def _added_imports(before: str, after: str) -> dict[str, list[str]]:
    """Import statements each function has after the fix and not before."""
    old, new = _functions(ast.parse(before)), _functions(ast.parse(after))
    added: dict[str, list[str]] = {}
    for name, defs in new.items():
        was = [i for fn in old.get(name, []) for i in _imports(fn.body)]
        now = [i for fn in defs for i in _imports(fn.body)]
        extra = [i for i in now if i not in was]
        if extra:
            added[name] = extra
    return added


def _module_names(text: str) -> set[str]:
    return {
        ast.unparse(alias)
        for node in ast.parse(text).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }


def _named(where: str) -> set[str]:
    """``a()``, ``a() and b()``, ``a(), b() and c()`` -> {"a", "b", "c"}."""
    return set(re.findall(r"(\w+)\(\)", where))


def test_the_lazy_edits_do_what_the_message_says(tmp_path: Path) -> None:
    found = import_findings(tmp_path)
    assert all(d.fix is not None and not d.fix.computed for d in found)
    checked: set[str] = set()
    for diagnostic in found:
        fix = diagnostic.fix
        assert fix is not None
        before = diagnostic.path.read_text()
        after = apply_fixes({diagnostic.path: before}, [fix])[diagnostic.path]
        assert fix.computed and fix.available
        compile(after, str(diagnostic.path), "exec")
        added = _added_imports(before, after)
        if (move := _MOVE.fullmatch(fix.message)) is not None:
            label = move["label"]
            assert set(added) == _named(move["where"]), fix.message
            assert all(_within_label(i, label) for stmts in added.values() for i in stmts)
            moved = set().union(*(_names(part)[1] for part in label.split("; ")))
            assert moved <= _module_names(before) and not moved & _module_names(after)
        elif (add := _ADD.fullmatch(fix.message)) is not None:
            defined = _functions(ast.parse(before))
            owner = next(
                n for n in ast.parse(before).body if getattr(n, "name", "") == add["where"]
            )
            inside = {n.name for n in ast.walk(owner) if isinstance(n, ast.FunctionDef)}
            inside |= {n.name for n in ast.walk(owner) if isinstance(n, ast.AsyncFunctionDef)}
            assert added and set(added) <= inside & set(defined), fix.message
            assert all(_within_label(i, add["label"]) for stmts in added.values() for i in stmts)
            assert _module_names(after) == _module_names(before)  # a copy: the import stays
        else:
            pytest.fail(f"unexpected fix message {fix.message!r}")
        checked.add(fix.message)
    assert checked == {
        "Move `import numpy as np` into infer()",
        "Move `import pandas as pd; import yaml` into summary() and infer()",
        "Move `from PIL import Image, ImageOps as ops` into load()",
        "Move `from pre import preprocess` into run() and again()",
        "Add `import json` inside 'Images'",
        "Add `from helpers import tidy` inside 'Images'",
    }


def test_the_lazy_edits_are_the_ones_libcst_plans(tmp_path: Path) -> None:
    # What the rules used to compute eagerly, straight from the libcst machinery.
    write_app(tmp_path, app_files())
    text = (tmp_path / "worker.py").read_text()
    facts = parse_file(text, full=True)
    imp = next(i for i in facts.imports if i.module is None and i.names[0].name == "numpy")
    plan = cst_imports.move_import(
        tmp_path / "worker.py", cst_imports.analyze(text), imp, imp.names
    )
    assert plan is not None

    fl301 = [d for d in import_findings(tmp_path) if d.code == "FL301" and d.span == imp.span]

    assert len(fl301) == 1 and fl301[0].fix is not None
    assert fl301[0].fix.edits == plan.edits


def test_one_import_gives_equal_fixes_without_computing_them(tmp_path: Path) -> None:
    found = import_findings(tmp_path)
    numpy = [d for d in found if d.fix is not None and "numpy" in d.fix.message]

    assert sorted(d.code for d in numpy) == ["FL301", "FL302"]
    assert numpy[0].fix == numpy[1].fix and hash(numpy[0].fix) == hash(numpy[1].fix)
    assert all(d.fix is not None and not d.fix.computed for d in numpy)


SCOPES = {
    "use in a def": "def f():\n    return np.x\n",
    "parameter": "def f(np):\n    return np.x\n",
    "bound later": "def f():\n    a = np.x\n    import np\n",
    "bound first": "def f():\n    import np\n    return np.x\n",
    "augmented": "def f():\n    np = np + 1\n",
    "nested binding": "def f():\n    def g():\n        np = 1\n    return np.x\n",
    "class body and method": "class A:\n    z = np.x\n\n    def m(self):\n        return np.y\n",
    "class binding": "class A:\n    np = 1\n\n    def m(self):\n        return np\n",
    "comprehension": "X = [np for a in b]\n",
    "walrus in comprehension": "def f(x):\n    return [np for r in x if (np := r())]\n",
    "lambda default": "def f(a=lambda: np):\n    pass\n",
    "lambda in def": "def f():\n    return lambda: np.x\n",
    "string annotation": "def f(a: 'np.x'):\n    pass\n",
    "annotation": "def f(a: np.ndarray) -> None:\n    pass\n",
    "decorator": "@np.d\ndef f():\n    pass\n",
    "del": "def f():\n    del np\n",
    "global": "def f():\n    global np\n    np = 2\n\n\ndef g():\n    global np\n    return np\n",
    "keyword": "def f():\n    g(np=1)\n",
    "f-string": "def f():\n    return f'{np.x}'\n",
    "with and except": (
        "def f():\n    with open(np) as np:\n        pass\n\n\n"
        "def g():\n    try:\n        pass\n    except np.Error as np:\n        return np\n"
    ),
    "for target": "def f(xs):\n    for np in np.iter(xs):\n        pass\n",
    "nested class": "def f():\n    class A:\n        y = np\n    return A\n",
    "async and methods": (
        "class A:\n    @staticmethod\n    async def m():\n        return np.y\n\n"
        "    @np.deco\n    def n(self):\n        pass\n"
    ),
    "one-line body": 'def f(): return np.x\ndef g(): "doc"; return np.y\n',
    "non-ASCII columns": "X = ('\u00e9\u00e9', np.x)\n\n\ndef f():\n    return ('\u20ac', np.y)\n",
}


@pytest.mark.parametrize("body", SCOPES.values(), ids=SCOPES.keys())
def test_ast_and_libcst_see_the_same_uses(body: str) -> None:
    # The message comes from the ast reading, the edits from libcst: they must agree.
    text = "import numpy as np\n\n\n" + body
    imp = parse_file(text, full=True).imports[0]
    old = cst_imports.analyze(text).uses(imp.span, ["np"])
    new = file_uses(text).uses(["np"])

    assert old is not None and new is not None
    assert [(s.name, s.span, frozenset(n)) for s, n in old.sites] == [
        (s.name, s.span, n) for s, n in new.sites
    ]
    assert old.outside == list(new.outside)
    assert old.unused == set(new.unused)


def test_a_one_line_body_with_a_docstring_gets_no_fix(tmp_path: Path) -> None:
    files = {
        "worker.py": """
        import numpy as np
        from runpod_flash import Endpoint


        @Endpoint(name="w", cpu="cpu3c-1-2")
        def work(): "Work."; return np.zeros(1)
        """
    }
    found = only(check(tmp_path, files), "FL301")

    assert len(found) == 1 and found[0].fix is None  # no room for an import: no fix announced


# -- (c) a fix whose edits cannot be made -----------------------------------------------------------

# ``case preprocess:`` binds the name (a capture pattern); libcst counts it as a use of the
# module-level import, ast does not. The message says "Remove the unused ...", libcst would move it:
# the fix has no edits rather than edits that disagree with its message.
MATCH_CAPTURE = """
from pre import preprocess
from runpod_flash import Endpoint

api = Endpoint(name="pipeline", cpu="cpu3c-1-2")


@api.post("/run")
async def run(step: object) -> object:
    match step:
        case preprocess:
            return None
"""


def test_a_fix_without_edits_is_skipped_by_fix(tmp_path: Path) -> None:
    root = write_app(tmp_path, {"pre.py": PRE, "pipeline.py": MATCH_CAPTURE})
    before = (root / "pipeline.py").read_text()
    (finding,) = only(check(root), "FL108")
    assert finding.fix is not None and finding.fix.safe
    assert finding.fix.message == "Remove the unused `from pre import preprocess`"

    result = fix_paths([root], write=True, cwd=root)

    assert result.fixed == 0 and result.changed == {}
    assert (root / "pipeline.py").read_text() == before
    (still,) = only(result.diagnostics, "FL108")
    assert still.fix is not None and not still.fix.available and still.fix.edits == ()


def test_a_failing_producer_is_skipped_and_the_others_applied(tmp_path: Path) -> None:
    path = tmp_path / "a.py"

    def broken() -> tuple[TextEdit, ...]:
        raise RuntimeError("cannot plan")

    fixes = [
        Fix("broken", broken),
        Fix("nothing", lambda: None),
        Fix("upper", lambda: (TextEdit(path, Span(0, 0, 0, 1), "X"),)),
    ]
    outcome = apply_fixes_detailed({path: "x = 1\n"}, fixes)

    assert outcome.texts == {path: "X = 1\n"}
    assert [f.message for f in outcome.applied] == ["upper"]
    assert [f.message for f in outcome.skipped] == ["broken", "nothing"]


def test_fix_all_with_a_failing_fix_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # libcst failing for one import (any reason): --fix still applies every other safe fix.
    root = write_app(tmp_path, app_files())
    real = cst_imports.move_import

    def failing(
        path: Path, analysis: Any, imp: Import, names: Any, **kwargs: Any
    ) -> cst_imports.MovePlan | None:
        if imp.module == "pre":
            raise RuntimeError("libcst could not plan this one")
        return real(path, analysis, imp, names, **kwargs)

    monkeypatch.setattr(cst_imports, "move_import", failing)
    result = fix_paths([root], write=True, cwd=root)

    assert result.fixed > 0
    assert "from pre import preprocess\n" in (root / "pipeline.py").read_text()
    assert "import numpy" not in (root / "worker.py").read_text().split("\n\n\n")[0]


# -- Fix itself ----------------------------------------------------------------------------------------


def _edit(text: str) -> TextEdit:
    return TextEdit(Path("a.py"), Span(0, 0, 0, 1), text)


def test_lazy_edits_are_computed_once_and_kept() -> None:
    calls: list[int] = []
    started = threading.Event()

    def produce() -> tuple[TextEdit, ...]:
        calls.append(1)
        started.wait(1)
        return (_edit("x"),)

    fix = Fix("m", produce)
    results: list[tuple[TextEdit, ...]] = []
    threads = [threading.Thread(target=lambda: results.append(fix.edits)) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join()

    assert calls == [1]
    assert results == [(_edit("x"),)] * 8
    assert fix.computed and fix.available


def test_fixes_compare_by_what_gives_their_edits() -> None:
    edits = (_edit("x"),)

    def produce() -> tuple[TextEdit, ...]:
        return edits

    assert Fix("m", edits) == Fix("m", list(edits))
    assert Fix("m", edits) != Fix("m", edits, safe=False)
    assert Fix("m", produce) == Fix("m", produce)
    assert Fix("m", produce) != Fix("m", lambda: edits)  # producers compare as themselves
    assert len({Fix("m", edits), Fix("m", edits), Fix("m", produce)}) == 2
    with pytest.raises(AttributeError):
        Fix("m", edits).message = "other"


def test_a_pickled_fix_carries_its_edits() -> None:
    lazy = Fix("m", lambda: (_edit("x"),), safe=False)  # a lambda cannot be pickled itself
    copy = pickle.loads(pickle.dumps(lazy))

    assert copy.computed and copy.edits == (_edit("x"),) and not copy.safe
    assert copy.message == "m"
    unavailable = pickle.loads(pickle.dumps(Fix("n", lambda: None)))
    assert not unavailable.available


def test_the_repr_does_not_compute() -> None:
    fix = Fix("m", lambda: (_edit("x"),))

    assert "not computed" in repr(fix) and not fix.computed
