"""Mutation testing of the rule modules (`make mutation`): the long mode, not part of `.ci/run`.

Runs mutmut (3.x) over `flash_ls/rules/*.py`, or the modules named on the command line, with the
tests of `[tool.mutmut]` in pyproject.toml, and checks that every mutant is killed or recorded as
equivalent in `tests/mutation/equivalent.toml`. See docs/reliability.md, "Mutation testing".

    python tests/mutation/run.py                     # every rule module
    python tests/mutation/run.py identity routes     # some modules
    python tests/mutation/run.py --jobs 1 budgets    # one worker (a shared machine)
    python tests/mutation/run.py routes --mutants 'flash_ls.rules.routes.x__covers*'

What it does:
1. Copies the working tree (the files git lists: tracked and untracked-not-ignored, so new tests
   are in) to `.mutation/tree/`; mutmut works there, in its own `mutants/` folder, so an edit made
   in the working tree while it runs changes nothing, and nothing of it lands in the working tree.
2. Rewrites the decorators of functions in the modules to mutate (`@rule(...)`, `@property`,
   `@cache`) as calls after the definition (`f = rule(...)(f)`): mutmut 3 never mutates a
   decorated function, and every rule is one. `@cache` is dropped instead: mutmut forks each
   mutant's test run from a process that already ran the tests, and a warm cache would hand the
   mutant the original's answers. Both rewrites leave the behaviour as it was.
3. Runs `mutmut run` there (log: `.mutation/mutmut.log`), reads the verdicts from mutmut's
   `.meta` files, and writes `.mutation/report.md`: per module, mutants, killed, survived,
   recorded equivalents, and the diff of every survivor that is not recorded.

Exit status: 0 when every mutant was killed (or timed out) or is a recorded equivalent; 1 when a
survivor (or a mutant no test reaches) is neither; 2 when the run itself failed (a tree that does
not pass its own tests, say).
"""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import libcst as cst

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the project supports 3.10 through tomli
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
RULES = "flash_ls/rules"
EQUIVALENT = Path(__file__).with_name("equivalent.toml")
# Modules with nothing to mutate (re-exports only).
SKIPPED_MODULES = frozenset({"__init__", "families"})
# Folders the copy leaves out: nothing the rule tests import.
NOT_COPIED = ("vscode-client/", "tests/fuzz/", "tests/e2e/")
ONLY_MUTATE = re.compile(r"^only_mutate = .*$", re.MULTILINE)
TEST_SELECTION = re.compile(r"^pytest_add_cli_args_test_selection = .*$", re.MULTILINE)
# mutmut's exit codes (mutmut/stats.py), grouped as this report counts them.
KILLED = {1: "killed", 3: "killed"}
TIMEOUT = {36, 24, -24, 152, 255}
NO_TESTS = {5, 33}


# ---------------------------------------------------------------------------------------------
# The copy, and the decorators mutmut does not mutate through.


def rule_modules() -> list[str]:
    """Every rule module with code to mutate, by name (``identity``)."""
    return sorted(
        path.stem for path in (REPO / RULES).glob("*.py") if path.stem not in SKIPPED_MODULES
    )


def copy_tree(destination: Path) -> None:
    """The working tree's files as git lists them (tracked and untracked-not-ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    if destination.exists():
        shutil.rmtree(destination)
    for rel in sorted(set(filter(None, listed.split("\0")))):
        if rel.startswith(NOT_COPIED):
            continue
        source = REPO / rel
        if not source.is_file():
            continue  # deleted in the working tree, not yet in git
        target = destination / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


_DROPPED = frozenset({"cache", "functools.cache", "lru_cache", "functools.lru_cache"})
_KEPT = frozenset({"staticmethod", "classmethod"})  # mutmut handles these itself


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Call):
        return _dotted(node.func)
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _undecorated(statements: Sequence[cst.CSTNode]) -> list[cst.CSTNode]:
    out: list[cst.CSTNode] = []
    for statement in statements:
        if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            body = statement.body.with_changes(body=_undecorated(statement.body.body))
            out.append(statement.with_changes(body=body))
            continue
        if not isinstance(statement, cst.FunctionDef) or not statement.decorators:
            out.append(statement)
            continue
        names = [_dotted(d.decorator) for d in statement.decorators]
        if any(name in _KEPT for name in names):
            out.append(statement)
            continue
        out.append(statement.with_changes(decorators=[]))
        applied: cst.BaseExpression = cst.Name(statement.name.value)
        for decorator, name in zip(reversed(statement.decorators), reversed(names), strict=True):
            if name not in _DROPPED:
                applied = cst.Call(func=decorator.decorator, args=[cst.Arg(applied)])
        if not isinstance(applied, cst.Name):
            out.append(
                cst.SimpleStatementLine(
                    [cst.Assign([cst.AssignTarget(cst.Name(statement.name.value))], applied)]
                )
            )
    return out


def undecorate(source: str) -> str:
    """``@a @b(x) def f`` -> ``def f`` + ``f = a(b(x)(f))``, in modules and class bodies.

    The decorators run after the definition instead of before it, which is the same for
    decorators that only register or wrap the function (every one the rule modules use);
    ``functools.cache`` is dropped (the rule modules cache pure functions only).
    """
    module = cst.parse_module(source)
    return module.with_changes(body=_undecorated(module.body)).code


def prepare(tree: Path, modules: Sequence[str], tests: Sequence[str] = ()) -> None:
    """Undecorate the modules to mutate and point ``only_mutate`` at them (and the test
    selection at ``tests``, when given)."""
    for name in modules:
        path = tree / RULES / f"{name}.py"
        path.write_text(undecorate(path.read_text(encoding="utf-8")), encoding="utf-8")
    pyproject = tree / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if "[tool.mutmut]" not in text or not ONLY_MUTATE.search(text):
        raise SystemExit("pyproject.toml has no [tool.mutmut] table with an only_mutate line")
    only = ", ".join(json.dumps(f"{RULES}/{name}.py") for name in modules)
    text = ONLY_MUTATE.sub(f"only_mutate = [{only}]", text, count=1)
    if tests:
        selection = ", ".join(json.dumps(test) for test in tests)
        text = TEST_SELECTION.sub(
            f"pytest_add_cli_args_test_selection = [{selection}]", text, count=1
        )
    pyproject.write_text(text)


# ---------------------------------------------------------------------------------------------
# Verdicts, and the survivors recorded as equivalent.


@dataclasses.dataclass(frozen=True, slots=True)
class Mutant:
    name: str  # flash_ls.rules.identity.x__files_label__mutmut_4
    status: str  # killed, timeout, survived, no tests, ...

    @property
    def module(self) -> str:
        return self.name.split(".")[2]

    @property
    def function(self) -> str:
        """``_files_label``, ``_Registered.label``: the function as the source names it."""
        mangled = self.name.rsplit(".", 1)[1].rsplit("__mutmut_", 1)[0]
        if mangled.startswith("xǁ"):
            return ".".join(mangled[2:].split("ǁ"))
        return mangled[2:]


def status_of(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in TIMEOUT:
        return "timeout"
    if code == 0:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code is None:
        return "not checked"
    return f"exit {code}"


def verdicts(tree: Path, modules: Iterable[str]) -> list[Mutant]:
    found: list[Mutant] = []
    for name in modules:
        meta = tree / "mutants" / RULES / f"{name}.py.meta"
        if not meta.is_file():
            continue
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        found.extend(Mutant(key, status_of(code)) for key, code in codes.items())
    return sorted(found, key=lambda m: (m.module, m.function, _number(m.name)))


def _number(name: str) -> int:
    return int(name.rsplit("_", 1)[1])


def changed_lines(diff: str) -> tuple[str, str]:
    """(removed, added) lines of a mutant's diff, each stripped and joined with newlines."""
    removed, added = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
    return "\n".join(removed), "\n".join(added)


def context_before(diff: str) -> str:
    """The unchanged lines the diff shows above the change (up to 3), stripped: where in the
    function the change is, when the same line occurs twice."""
    lines: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith(("-", "+")):
            break
        if line[1:].strip():
            lines.append(line[1:].strip())
    return "\n".join(lines[-3:])


@dataclasses.dataclass(frozen=True, slots=True)
class Equivalent:
    """A survivor that no test can kill: the program behaves the same (``why`` says how)."""

    module: str
    function: str
    context: str
    before: str
    after: str
    why: str

    def matches(self, mutant: Mutant, diff: str) -> bool:
        if (mutant.module, mutant.function) != (self.module, self.function):
            return False
        if context_before(diff) != self.context.strip():
            return False
        return changed_lines(diff) == (self.before.strip(), self.after.strip())


def load_equivalents(path: Path = EQUIVALENT) -> list[Equivalent]:
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    entries = []
    for entry in data.get("equivalent", []):
        if not entry.get("why", "").strip():
            raise SystemExit(f"{path.name}: an entry without a reason: {entry}")
        entries.append(
            Equivalent(
                entry["module"],
                entry["function"],
                entry["context"],
                entry["before"],
                entry["after"],
                entry["why"],
            )
        )
    return entries


def mutmut_command() -> list[str]:
    beside = Path(sys.executable).with_name("mutmut")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("mutmut")
    if found is None:
        raise SystemExit("mutmut is not installed: pip install -e '.[mutation]'")
    return [found]


_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
names = json.load(sys.stdin)
json.dump({n: get_diff_for_mutant(n, path=p) for n, p in names.items()}, sys.stdout)
"""


def diffs(tree: Path, mutants: Sequence[Mutant]) -> dict[str, str]:
    """Each mutant's diff (as `mutmut show` prints it), from one process for all of them."""
    if not mutants:
        return {}
    names = {m.name: f"{RULES}/{m.module}.py" for m in mutants}
    done = subprocess.run(
        [sys.executable, "-c", _DIFFS],
        cwd=tree,
        input=json.dumps(names),
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, str] = json.loads(done.stdout)
    return found


# ---------------------------------------------------------------------------------------------
# The report.


@dataclasses.dataclass
class Tally:
    mutants: int = 0
    killed: int = 0
    timeout: int = 0
    survived: int = 0
    no_tests: int = 0
    other: int = 0
    equivalent: int = 0
    unexplained: int = 0


def report(
    mutants: list[Mutant], tree: Path, equivalents: list[Equivalent], seconds: float | None
) -> tuple[str, dict[str, Tally], list[tuple[Mutant, str]]]:
    tallies: dict[str, Tally] = {}
    unexplained: list[tuple[Mutant, str]] = []
    used: set[int] = set()
    shown = diffs(tree, [m for m in mutants if m.status not in ("killed", "timeout")])
    for mutant in mutants:
        tally = tallies.setdefault(mutant.module, Tally())
        tally.mutants += 1
        if mutant.status == "killed":
            tally.killed += 1
            continue
        if mutant.status == "timeout":
            tally.timeout += 1
            continue
        if mutant.status == "survived":
            tally.survived += 1
        elif mutant.status == "no tests":
            tally.no_tests += 1
        else:
            tally.other += 1
        diff = shown[mutant.name]
        match = next((i for i, e in enumerate(equivalents) if e.matches(mutant, diff)), None)
        if match is not None:
            used.add(match)
            tally.equivalent += 1
        else:
            tally.unexplained += 1
            unexplained.append((mutant, diff))
    columns = ("module", "mutants", "killed", "timeout", "survived", "no tests", "other",
               "equivalent", "unexplained")  # fmt: skip
    lines = [
        "# Mutation testing of the rule modules",
        "",
        f"mutmut, {len(mutants)} mutants"
        + (
            f" in {seconds / 60:.1f} min." if seconds is not None else " (the last run's verdicts)."
        ),
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "---|" * len(columns),
    ]
    total = Tally()
    for module, tally in sorted(tallies.items()):
        values = dataclasses.astuple(tally)
        lines.append(f"| {module} | " + " | ".join(str(v) for v in values) + " |")
        for field, value in zip(dataclasses.fields(Tally), values, strict=True):
            setattr(total, field.name, getattr(total, field.name) + value)
    lines.append("| **total** | " + " | ".join(str(v) for v in dataclasses.astuple(total)) + " |")
    run_modules = set(tallies)
    stale = [e for i, e in enumerate(equivalents) if i not in used and e.module in run_modules]
    if stale:
        lines += ["", "## Recorded equivalents that matched no survivor (remove them?)", ""]
        lines += [f"- {e.module} `{e.function}`: `{e.after}`" for e in stale]
    if unexplained:
        lines += ["", "## Survivors: kill each with a test, or record it in equivalent.toml", ""]
        for mutant, diff in unexplained:
            lines += [f"### {mutant.name} ({mutant.status})", "", "```diff", diff, "```", ""]
    return "\n".join(lines) + "\n", tallies, unexplained


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="rule modules (identity, routes.py, ...)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="mutmut workers")
    parser.add_argument("--workdir", type=Path, default=REPO / ".mutation")
    parser.add_argument(
        "--tests",
        nargs="+",
        default=[],
        metavar="PATH",
        help="run these tests instead of [tool.mutmut]'s selection (a quicker first pass)",
    )
    parser.add_argument(
        "--mutants",
        nargs="+",
        default=[],
        metavar="GLOB",
        help="only these mutants (names as the report gives them; * matches anything)",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="no new run: report the last run's verdicts (say, after editing equivalent.toml)",
    )
    args = parser.parse_args(argv)
    known = rule_modules()
    modules = [Path(m).stem for m in args.modules] or known
    unknown = sorted(set(modules) - set(known))
    if unknown:
        parser.error(f"not rule modules: {', '.join(unknown)} (known: {', '.join(known)})")
    workdir: Path = args.workdir.resolve()
    tree = workdir / "tree"
    log = workdir / "mutmut.log"
    equivalents = load_equivalents()
    started = time.monotonic()
    returncode = 0
    if not args.report_only:
        print(f"mutation: copying the working tree to {tree}", flush=True)
        copy_tree(tree)
        prepare(tree, modules, args.tests)
        print(f"mutation: mutmut run on {', '.join(modules)} (log: {log})", flush=True)
        with log.open("w") as out:
            returncode = subprocess.run(
                [*mutmut_command(), "run", "--max-children", str(args.jobs), *args.mutants],
                cwd=tree,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                check=False,
            ).returncode
    mutants = verdicts(tree, modules)
    if args.mutants:
        mutants = [m for m in mutants if any(fnmatch.fnmatch(m.name, g) for g in args.mutants)]
    if returncode != 0 or not mutants:
        tail = log.read_text(errors="replace")[-3000:] if log.is_file() else ""
        print(f"mutation: mutmut exited {returncode}; the end of its log:\n{tail}")
        return 2
    seconds = None if args.report_only else time.monotonic() - started
    text, tallies, unexplained = report(mutants, tree, equivalents, seconds)
    (workdir / "report.md").write_text(text)
    for module, tally in sorted(tallies.items()):
        print(
            f"mutation: {module}: {tally.mutants} mutants, {tally.killed + tally.timeout} killed, "
            f"{tally.equivalent} equivalent, {tally.unexplained} not killed"
        )
    print(f"mutation: report in {workdir / 'report.md'}")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
