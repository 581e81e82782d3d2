"""The architecture, enforced on the source (docs/architecture.md).

1. A platform fact is written once: the Flash SDK's module and distribution names, the wheel
   platform, the environment variables the CLI and the workers read, the reserved routes, the
   app's state directory and the manifest's file name are spelled only in
   ``flash_ls/platform.py``, the suppression comment syntax only in ``flash_ls/suppression.py``.
   Other modules import them (and format them into their messages).
2. Imports follow the layers: parse -> project -> fixes/rules -> build -> deploy -> front ends
   (``flash_ls/server``, ``cli/``), never backwards, and the engine (all of ``flash_ls`` but the
   server) imports no front-end library.

Both read the AST of ``flash_ls/**/*.py`` and ``cli/**/*.py``: string constants (documentation
aside) and every ``import``, at module level, in functions and under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

from flash_ls.platform import RESOURCE_CLASSES

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    path.relative_to(ROOT).as_posix()
    for folder in ("flash_ls", "cli")
    for path in (ROOT / folder).rglob("*.py")
)


@functools.cache
def parsed(path: str) -> ast.Module:
    return ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path)


# -- 1. platform facts ------------------------------------------------------------------------

PLATFORM = "flash_ls/platform.py"
SUPPRESSION = "flash_ls/suppression.py"

# Spellings of platform facts, looked for inside every string constant -> the module that holds
# the fact.
FACTS: dict[str, str] = {
    "runpod_flash": PLATFORM,
    "runpod-flash": PLATFORM,
    "manylinux": PLATFORM,
    "RUNPOD_API_KEY": PLATFORM,
    "RUNPOD_DEFAULT_LOCATIONS": PLATFORM,
    "RUNPOD_DEFAULT_DATACENTER": PLATFORM,
    "FLASH_ENV": PLATFORM,
    "FLASH_IS_TEST_DEPLOYMENT": PLATFORM,
    "FLASH_APP": PLATFORM,
    "FLASH_RESOURCE_NAME": PLATFORM,
    "FLASH_ENDPOINT_TYPE": PLATFORM,
    "FLASH_MAIN_FILE": PLATFORM,
    "FLASH_APP_VARIABLE": PLATFORM,
    "FLASH_ENVIRONMENT_ID": PLATFORM,
    "_FLASH_SOURCE_FINGERPRINT": PLATFORM,
    "FLASH_IMAGE_TAG": PLATFORM,
    "FLASH_GPU_IMAGE": PLATFORM,
    "FLASH_CPU_IMAGE": PLATFORM,
    "FLASH_LB_IMAGE": PLATFORM,
    "FLASH_CPU_LB_IMAGE": PLATFORM,
    "/ping": PLATFORM,
    "/execute": PLATFORM,
    "/_runpod/sync": PLATFORM,
    "flash_manifest.json": PLATFORM,
    "artifact.tar.gz": PLATFORM,
    "flash-ls: ignore": SUPPRESSION,
    r"flash-ls:\s*ignore": SUPPRESSION,
}
# Too short to look for inside other strings: a constant equal to one of these.
# The resource classes are one table (``platform.RESOURCE_CLASSES``): a class name in a string
# elsewhere is a trait re-derived from the name.
EXACT_FACTS: dict[str, str] = {
    ".flash": PLATFORM,
    **{name: PLATFORM for name in RESOURCE_CLASSES},
}
HOMES = {**FACTS, **EXACT_FACTS}

# (module, fact) -> why that module spells the fact itself.
ALLOWED_SPELLINGS: dict[tuple[str, str], str] = {
    ("flash_ls/project/roots.py", ".flash"): (
        "app roots are found when `flash-ls check` replays cached results, a path that does not "
        "import platform.py (about 15 ms of start-up)"
    ),
    ("cli/flash_ls_cli/deploy_cmd.py", "FLASH_ENV"): (
        "an option's help text, evaluated when the typer app is built, and the typer front end "
        "does not import platform.py (start-up)"
    ),
    ("cli/flash_ls_cli/options.py", "artifact.tar.gz"): (
        "the default of the build and deploy commands' --output, evaluated when the typer app is "
        "built (as above)"
    ),
}


def strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every string (and bytes) constant with its line, documentation aside: a statement that is
    only a string (the docstring of a module, class or function, or of an attribute) does
    nothing but document."""
    documentation = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in documentation:
            continue
        if isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node.value, bytes):
            yield node.lineno, node.value.decode("latin-1")


def spelled(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, fact) for each platform fact a string constant spells."""
    for line, text in strings(tree):
        yield from ((line, fact) for fact in FACTS if fact in text)
        if text in EXACT_FACTS:
            yield line, text


def test_platform_facts_are_spelled_only_where_they_live() -> None:
    found = [
        f"{path}:{line}: {fact!r} (import it from {HOMES[fact]})"
        for path in SOURCES
        for line, fact in spelled(parsed(path))
        if path != HOMES[fact] and (path, fact) not in ALLOWED_SPELLINGS
    ]
    assert found == []


def test_each_fact_lives_in_its_home_and_each_exception_is_needed() -> None:
    for fact, home in HOMES.items():
        assert fact in {found for _, found in spelled(parsed(home))}, fact
    for path, fact in ALLOWED_SPELLINGS:
        assert fact in {found for _, found in spelled(parsed(path))}, (path, fact)


def test_no_module_reads_a_resource_class_trait_from_its_name() -> None:
    # ``cls.startswith("Cpu")`` was how three modules told CPU classes apart.
    found = [
        f"{path}:{line}: {text!r} (read the trait from platform.RESOURCE_CLASSES)"
        for path in SOURCES
        if path != PLATFORM
        for line, text in strings(parsed(path))
        if text in {"Cpu", "Live", "LoadBalancer", "Serverless"}
    ]
    assert found == []


def test_documentation_may_name_facts_and_code_may_not() -> None:
    source = (
        '"""Builds what runpod_flash needs."""\n'
        'ROUTE = "/ping"\n'
        '"""Where FLASH_ENV is read."""\n'
        "def f():\n"
        '    """manylinux wheels only."""\n'
        '    return b"runpod_flash" in f"{ROUTE} .flash"\n'
    )
    assert sorted(fact for _, fact in spelled(ast.parse(source))) == ["/ping", "runpod_flash"]


# -- 2. layers --------------------------------------------------------------------------------

FRONT_END_LIBRARIES = ("pygls", "lsprotocol", "typer", "click", "rich")
ABOVE_PARSE = (
    "flash_ls.project",
    "flash_ls.fixes",
    "flash_ls.rules",
    "flash_ls.build",
    "flash_ls.deploy",
    "flash_ls.server",
    "flash_ls.checking",
    "flash_ls.results",
    "flash_ls_cli",
)
# Package -> what its modules must not import.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "flash_ls.parse": ABOVE_PARSE,
    "flash_ls.project": ABOVE_PARSE[1:],
    "flash_ls.fixes": (
        "flash_ls.rules",
        "flash_ls.build",
        "flash_ls.deploy",
        "flash_ls.server",
        "flash_ls.checking",
        "flash_ls_cli",
    ),
    "flash_ls.rules": (
        "flash_ls.build",
        "flash_ls.deploy",
        "flash_ls.server",
        "flash_ls.checking",
        "flash_ls_cli",
    ),
    "flash_ls.build": ("flash_ls.deploy", "flash_ls.server", "flash_ls_cli"),
    "flash_ls.deploy": ("flash_ls.server", "flash_ls_cli"),
    "flash_ls.server": ("flash_ls_cli",),
}
# Modules that import nothing of flash_ls: the facts, the suppression syntax, positions, the
# registry of child processes.
LEAVES = ("flash_ls.platform", "flash_ls.suppression", "flash_ls.span", "flash_ls.children")
# The engine is everything under flash_ls but these: it imports no front-end library.
FRONT_ENDS = ("flash_ls.server",)

# (importing module, imported name) -> why it is allowed.
ALLOWED_IMPORTS: dict[tuple[str, str], str] = {
    ("flash_ls.__main__", "flash_ls_cli.main"): (
        "`python -m flash_ls` is an entry point that runs the CLI, not engine code"
    ),
}


def module_name(path: str) -> str:
    parts = list(Path(path).with_suffix("").parts)
    if parts[0] == "cli":
        parts = parts[1:]  # cli/flash_ls_cli/... is the package flash_ls_cli
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: str, tree: ast.Module) -> Iterator[tuple[int, list[str]]]:
    """(line, names) for every import statement, wherever it is; ``from a import b`` names
    ``a`` and ``a.b`` (``b`` may be a module), relative imports resolved."""
    name = module_name(path)
    package = name.split(".") if path.endswith("__init__.py") else name.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield node.lineno, [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([module] if module else [])])
            yield node.lineno, [module, *(f"{module}.{alias.name}" for alias in node.names)]


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def forbidden_for(importer: str) -> list[str]:
    found = [
        target
        for package, targets in FORBIDDEN.items()
        if within(importer, package)
        for target in targets
    ]
    if within(importer, "flash_ls") and not any(within(importer, f) for f in FRONT_ENDS):
        found.extend(("flash_ls_cli", *FRONT_END_LIBRARIES))
    return found


def violations(path: str, tree: ast.Module) -> Iterator[str]:
    importer = module_name(path)
    forbidden = forbidden_for(importer)
    leaf = importer in LEAVES
    for line, names in imports(path, tree):
        for imported in names:
            if any(importer == a and within(imported, b) for a, b in ALLOWED_IMPORTS):
                continue
            bad = [target for target in forbidden if within(imported, target)]
            if leaf and within(imported, "flash_ls") and imported not in ("flash_ls", importer):
                bad.append("flash_ls")
            if bad:
                yield f"{path}:{line}: {importer} imports {imported} (not allowed: {bad[0]})"
                break  # one message per statement


def test_imports_follow_the_layers() -> None:
    found = [problem for path in SOURCES for problem in violations(path, parsed(path))]
    assert found == []


def test_each_import_exception_is_needed() -> None:
    for importer, imported in ALLOWED_IMPORTS:
        path = next(p for p in SOURCES if module_name(p) == importer)
        assert any(imported in names for _, names in imports(path, parsed(path)))


@pytest.mark.parametrize(
    ("path", "source", "bad"),
    [
        ("flash_ls/parse/x.py", "def f():\n    from flash_ls.project import app\n", True),
        ("flash_ls/parse/x.py", "from flash_ls import project\n", True),
        ("flash_ls/project/x.py", "from ..rules import registry\n", True),
        ("flash_ls/project/x.py", "if TYPE_CHECKING:\n    import flash_ls.build.api\n", True),
        ("flash_ls/rules/x.py", "from flash_ls.build import manifest\n", True),
        ("flash_ls/build/x.py", "import rich.console\n", True),
        ("flash_ls/deploy/x.py", "from typer import Exit\n", True),
        ("flash_ls/platform.py", "from flash_ls.span import Span\n", True),
        ("flash_ls/server/x.py", "import pygls\n", False),
        ("flash_ls/rules/x.py", "from flash_ls.project.app import App\n", False),
        ("flash_ls/rules/x.py", "from flash_ls import platform, suppression\n", False),
        ("cli/flash_ls_cli/x.py", "from flash_ls.server import server\n", False),
    ],
)
def test_the_layer_check_sees_every_kind_of_import(path: str, source: str, bad: bool) -> None:
    assert bool(list(violations(path, ast.parse(source)))) is bad
