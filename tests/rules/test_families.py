"""`flash_ls/rules/families.py` imports every module that registers rules: a new rule module
left out of it would register nothing, and its rules would silently never run."""

from __future__ import annotations

import ast
from pathlib import Path

import flash_ls.rules
from flash_ls.rules import families
from flash_ls.rules.registry import all_rules

RULES_DIR = Path(flash_ls.rules.__file__).parent


def _is_rule(node: ast.expr) -> bool:
    call = node.func if isinstance(node, ast.Call) else node
    return isinstance(call, ast.Name) and call.id == "rule"


def _registers_rules(path: Path) -> bool:
    """Whether a module decorates a function with ``@rule(...)`` (or calls ``rule(...)(f)``, the
    spelling tests/mutation/run.py rewrites it to)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(_is_rule(decorator) for decorator in node.decorator_list):
                return True
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and _is_rule(node.func):
            return True
    return False


def _imported_by_families() -> set[str]:
    tree = ast.parse(Path(families.__file__).read_text(encoding="utf-8"))
    return {
        alias.name.rsplit(".", 1)[-1]
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
    }


def test_families_imports_every_module_that_registers_rules() -> None:
    registering = {p.stem for p in RULES_DIR.glob("*.py") if _registers_rules(p)}
    assert registering, "no rule module found: the test reads the wrong place"
    assert registering == _imported_by_families()


def test_every_registered_rule_comes_from_a_listed_module() -> None:
    listed = {f"flash_ls.rules.{name}" for name in _imported_by_families()}
    assert {r.check.__module__ for r in all_rules()} <= listed
