"""The mutation runner's own parts (tests/mutation/run.py), cheap enough for every test run: the
decorator rewrite keeps behaviour, and every recorded equivalent still names code that exists."""

from __future__ import annotations

import ast
import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent


def _load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_run", HERE / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


run = _load_runner()

SOURCE = textwrap.dedent(
    '''
    from functools import cache

    REGISTERED = []
    CALLS = []


    def register(code):
        def add(function):
            REGISTERED.append((code, function.__name__, function.__doc__))
            return function
        return add


    def twice(function):
        return lambda x: function(function(x))


    @register("A1")
    def check(x):
        """Doc of A1."""
        return x + 1


    @register("A2")
    @twice
    def double(x):
        return x * 2


    @cache
    def slow(x):
        CALLS.append(x)
        return x * 3


    class Box:
        def __init__(self, x):
            self.x = x

        @property
        def size(self):
            return self.x * 10

        @staticmethod
        def make():
            return Box(4)
    '''
)


def _execute(source: str) -> dict[str, object]:
    namespace: dict[str, object] = {}
    exec(compile(source, "<module>", "exec"), namespace)
    return namespace


def test_undecorate_keeps_behaviour_and_leaves_nothing_mutmut_skips() -> None:
    rewritten = run.undecorate(SOURCE)
    before, after = _execute(SOURCE), _execute(rewritten)
    assert (
        after["REGISTERED"]
        == before["REGISTERED"]
        == [
            ("A1", "check", "Doc of A1."),
            ("A2", "<lambda>", None),
        ]
    )
    for name in ("check", "double", "slow"):
        assert after[name](5) == before[name](5)  # type: ignore[operator]
    assert after["Box"](2).size == 20  # type: ignore[operator]
    assert after["Box"].make().size == 40  # type: ignore[attr-defined]
    after["slow"](1), after["slow"](1)  # type: ignore[operator]
    assert after["CALLS"] == [5, 1, 1]  # no cache: each call runs the function (and its mutant)
    decorated = {
        node.name: [ast.unparse(d) for d in node.decorator_list]
        for node in ast.walk(ast.parse(rewritten))
        if isinstance(node, ast.FunctionDef) and node.decorator_list
    }
    assert decorated == {"make": ["staticmethod"]}


def test_every_rule_module_rewrites_to_the_same_registrations() -> None:
    for name in run.rule_modules():
        source = (run.REPO / run.RULES / f"{name}.py").read_text(encoding="utf-8")
        rules = [
            ast.unparse(d)
            for node in ast.parse(source).body
            if isinstance(node, ast.FunctionDef)
            for d in node.decorator_list
            if ast.unparse(d).startswith("rule(")
        ]
        rewritten = ast.parse(run.undecorate(source))
        calls = [
            ast.unparse(node.value.func)
            for node in rewritten.body
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Call)
        ]
        assert calls == rules, name


def test_changed_lines_and_equivalent_matching() -> None:
    diff = textwrap.dedent(
        """\
        --- flash_ls/rules/identity.py
        +++ flash_ls/rules/identity.py
        @@ -1,3 +1,3 @@
         def _files_label(rels):
        -    if len(rels) == 1:
        +    if len(rels) <= 1:
                 return rels[0]
        """
    )
    assert run.changed_lines(diff) == ("if len(rels) == 1:", "if len(rels) <= 1:")
    mutant = run.Mutant("flash_ls.rules.identity.x__files_label__mutmut_3", "survived")
    assert (mutant.module, mutant.function) == ("identity", "_files_label")
    method = run.Mutant("flash_ls.rules.routes.xǁ_Registeredǁlabel__mutmut_1", "survived")
    assert (method.module, method.function) == ("routes", "_Registered.label")
    assert run.context_before(diff) == "def _files_label(rels):"
    here = "def _files_label(rels):"
    same = run.Equivalent(
        "identity", "_files_label", here, "if len(rels) == 1:", "if len(rels) <= 1:", "never empty"
    )
    assert same.matches(mutant, diff)
    assert not run.Equivalent("identity", "_files_label", here, "x", "y", "-").matches(mutant, diff)
    assert not run.Equivalent("identity", "other", here, same.before, same.after, "-").matches(
        mutant, diff
    )
    elsewhere = run.Equivalent("identity", "_files_label", "x = 1", same.before, same.after, "-")
    assert not elsewhere.matches(mutant, diff)  # the same change at another place


def test_recorded_equivalents_name_code_that_exists() -> None:
    modules = set(run.rule_modules())
    for entry in run.load_equivalents():
        assert entry.module in modules, entry
        source = (run.REPO / run.RULES / f"{entry.module}.py").read_text(encoding="utf-8")
        flat = "\n".join(line.strip() for line in source.splitlines())
        assert entry.before.strip() in flat, f"{entry.module} {entry.function}: {entry.before!r}"
        context = "\n".join(line for line in flat.splitlines() if line)
        assert entry.context.strip() in context, f"{entry.module} {entry.function}"
        assert entry.why.strip()
