"""FL4xx: size budgets and the build's file selection (what ships, what is left out).

Size findings come from :func:`flash_ls.project.sizes.cached_estimate`: the compressed archive
`flash build` would write, from the shipped files and the install set pip resolves for the
requirements, with the build's exclusions applied; hover and ``--verbose`` show the same estimate
with :meth:`SizeEstimate.describe`.

Findings on files that are not Python sources (``requirements.txt``, a model file, ``.flashignore``)
use that file's path; files without a meaningful position get the empty span at (0, 0).

Fixes that add patterns to the root ``.gitignore`` append to it. When the app has no ``.gitignore``,
the edit is an insertion at (0, 0) of a path that does not exist yet: front ends create the file
(the CLI treats a missing file as empty text; the server sends a ``CreateFile`` operation before the
text edit). The FL401 fix writes ``exclude-packages`` into ``[tool.flash-ls]`` the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pathspec

from flash_ls import platform
from flash_ls.diagnostic import Fix, Related, Severity, TextEdit
from flash_ls.fixes.pyproject import exclude_packages_edit, toml_array
from flash_ls.parse.facts import Import
from flash_ls.platform import BYTES_PER_MB, MAX_TARBALL_SIZE_MB
from flash_ls.project.app import App, SourceFile
from flash_ls.project.endpoint_model import EndpointKind, Route, Target
from flash_ls.project.ignore import BUILTIN_PATTERNS, GITIGNORE_LABEL, IgnoreRules
from flash_ls.project.sizes import (
    SizeEstimate,
    cached_estimate,
    format_size,
    plural,
    shipped_files,
)
from flash_ls.project.sizes.app_api_estimate import AppArtifact
from flash_ls.project.sizes.app_api_estimate import artifacts as app_api_artifacts
from flash_ls.project.sizes.app_api_files import app_api_shipped_files, exclusion_reason
from flash_ls.project.sizes.resolution import NO_WHEEL, OFFLINE, PENDING
from flash_ls.rules.registry import Finding, FixAvailability, rule
from flash_ls.span import Span

FILE_START = Span(0, 0, 0, 0)
FLASHIGNORE = ".flashignore"
GITIGNORE = ".gitignore"
_RELATED_CONTRIBUTORS = 5
_DOMINANT = 2  # lines naming what dominates the artifact
_GITIGNORE_SPECIAL = re.compile(r"([\\*?\[\]!#])")


# ---------------------------------------------------------------------------------------------
# FL401 / FL402


@dataclasses.dataclass(frozen=True, slots=True)
class _Contributor:
    path: Path
    span: Span
    label: str
    bytes: int


def _contributors(estimate: SizeEstimate) -> list[_Contributor]:
    """Declared dependencies (with what they pull in) and shipped files, largest first.

    Files are grouped by top-level directory, so a folder of many small files shows as one
    contributor (located at its largest file).
    """
    found: list[_Contributor] = []
    for contribution in estimate.contributions:
        if contribution.bytes <= 0:
            continue
        label = f"dependency '{contribution.declared.raw}'"
        if contribution.dependencies:
            label += f" with the {plural(contribution.dependencies, 'package')} it pulls in"
        found.append(
            _Contributor(
                contribution.declared.path, contribution.declared.span, label, contribution.bytes
            )
        )
    for label, path, total in _file_groups(estimate):
        found.append(_Contributor(path, FILE_START, label, total))
    found.sort(key=lambda c: (-c.bytes, c.label))
    return found


def _file_groups(estimate: SizeEstimate) -> list[tuple[str, Path, int]]:
    """Shipped files by top-level directory: (label, largest file, bytes)."""
    groups: dict[str, list[tuple[str, Path, int]]] = {}
    for shipped in estimate.files:
        top = shipped.rel.split("/", 1)[0] if "/" in shipped.rel else shipped.rel
        groups.setdefault(top, []).append((shipped.rel, shipped.path, shipped.bytes))
    found = []
    for top, members in groups.items():
        rel, path, _ = max(members, key=lambda m: m[2])
        total = sum(m[2] for m in members)
        if total > 0:
            label = rel if len(members) == 1 else f"{top}/ with {plural(len(members), 'file')}"
            found.append((label, path, total))
    return found


def _dominant(estimate: SizeEstimate) -> tuple[list[str], bool]:
    """Sentences naming the largest parts (dependency groups and file groups), and whether a
    file group is among them."""
    # (bytes, how to say it, a file group): the sentences are made for the chosen parts only
    parts: list[tuple[int, Callable[[], str], bool]] = [
        (group.bytes, group.sentence, False) for group in estimate.groups()
    ]
    for label, _, total in _file_groups(estimate):
        verb = "is" if "/ with " not in label else "are"
        parts.append((total, functools.partial(_file_sentence, total, verb, label), True))
    parts.sort(key=lambda part: -part[0])
    # The largest part, and the next ones that weigh at least a tenth of the artifact.
    chosen = [
        p for i, p in enumerate(parts[:_DOMINANT]) if i == 0 or p[0] * 10 >= estimate.total_bytes
    ]
    return [say() for _, say, _ in chosen], any(is_file for _, _, is_file in chosen)


def _file_sentence(total: int, verb: str, label: str) -> str:
    return f"{format_size(total)} {verb} {label}"


def _exclusion_advice(
    app: App, estimate: SizeEstimate, budget: int
) -> tuple[Fix | None, list[str]]:
    """The exclusions that bring the estimate under ``budget``: the fix writing them to
    ``exclude-packages``, and notes with the official CLI's flag and what to check."""
    names = estimate.exclusions_to_fit(budget)
    if names is None:
        return None, ["excluding what the dependencies pull in does not fit: drop dependencies"]
    if not names:
        return None, []
    listed = ", ".join(names)
    notes = [
        f"to fit, exclude {listed}: exclude-packages = {toml_array(names)} in [tool.flash-ls]",
        f"with the official CLI: flash build --exclude {','.join(names)} (and flash deploy)",
        *_cautions(estimate, names),
    ]
    edit = exclude_packages_edit(app.root, [*app.config.exclude_packages, *names])
    fix = None
    if edit is not None:
        fix = Fix(f"Exclude {listed} from the artifact (exclude-packages)", (edit,), safe=False)
    return fix, notes


def _cautions(estimate: SizeEstimate, names: list[str]) -> list[str]:
    """What excluded packages mean at run time: the image must provide them. Only what section
    5.2 establishes: GPU images ship torch, torchvision, torchaudio and numpy."""
    tops = estimate.top_levels()
    torch = {platform.normalize_distribution(n) for n in platform.TORCH_FAMILY}
    with_torch, provided, others = [], [], []
    for name in names:
        members = tops.get(name, (0, []))[1]
        if name in platform.GPU_BASE_IMAGE_PACKAGES:
            provided.append(name)
        elif members and all(torch & {*m.chain, m.name} for m in members):
            with_torch.append(name)
        else:
            others.append(name)
    notes = []
    if with_torch:
        notes.append(
            "torch in the GPU image brings its own CUDA libraries; check that "
            f"{', '.join(with_torch)} {'is' if len(with_torch) == 1 else 'are'} not needed at run time"
        )
    if provided:
        notes.append(f"GPU images provide {', '.join(provided)}; CPU images do not")
    if others:
        notes.append(f"excluded packages must come from the image at run time: {', '.join(others)}")
    return notes


def _incomplete_notes(estimate: SizeEstimate) -> list[str]:
    """Why the estimate may be low, in the finding itself (not only under ``--verbose``)."""
    notes = []
    for problem in estimate.problems:
        if problem.kind == PENDING:
            notes.append("dependencies still being resolved (pip): their sizes are not counted")
        elif problem.kind == OFFLINE:
            notes.append("offline and no cached resolution: dependency sizes are not counted")
        elif problem.kind == NO_WHEEL:
            notes.append(problem.message)
        else:
            notes.append(f"dependency sizes not counted: {problem.message}")
    unknown = estimate.unknown
    if unknown and not estimate.problems:
        notes.append(
            f"the size of {plural(len(unknown), 'wheel')} is unknown "
            "(flash-ls check --verbose lists them)"
        )
    return notes


def _budget_finding(app: App, estimate: SizeEstimate, *, near: bool) -> Finding | None:
    contributors = _contributors(estimate)
    if not contributors:
        return None
    budget_mb = app.config.size_budget_mb
    budget = int(budget_mb * BYTES_PER_MB)
    top = contributors[0]
    size = format_size(estimate.total_bytes)
    about = "about" if estimate.complete else "at least"
    limit = "limit" if budget_mb == MAX_TARBALL_SIZE_MB else "budget"
    notes: list[str] = []
    fix = None
    if near:
        share = estimate.total_bytes / budget
        message = f"artifact would be {about} {size}, {share:.0%} of the {budget_mb:g} MB {limit}"
    else:
        message = f"artifact would be {about} {size}, above the {budget_mb:g} MB {limit}"
        if estimate.total_bytes > MAX_TARBALL_SIZE_MB * BYTES_PER_MB:
            notes.append("flash build fails: Archive exceeds RunPod limit")
    dominant, files_dominate = _dominant(estimate)
    notes.extend(dominant)
    if not near:
        fix, advice = _exclusion_advice(app, estimate, budget)
        if not files_dominate or fix is not None:
            notes.extend(advice)
    if files_dominate:
        notes.append(
            "keep large files out of the app (.gitignore): download them at run time or use a "
            "network volume"
        )
    notes.extend(_incomplete_notes(estimate))
    notes.append(f"estimated for {estimate.platform}, CPython {estimate.python_version} wheels")
    related = tuple(
        Related(c.path, c.span, f"{c.label}: {format_size(c.bytes)}")
        for c in contributors[:_RELATED_CONTRIBUTORS]
    )
    return Finding(top.path, top.span, message, related=related, fix=fix, notes=tuple(notes))


@rule(
    "FL401",
    "artifact-too-large",
    Severity.ERROR,
    f"The estimated artifact exceeds the size budget ({MAX_TARBALL_SIZE_MB} MB by default)",
    fix=FixAvailability.UNSAFE,
    app_api=True,
)
def artifact_too_large(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Estimates the compressed archive `flash build` would produce and reports when it exceeds
    the budget, `size-budget-mb` in `[tool.flash-ls]` (default 1500 MB, the platform limit). The
    archive holds the shipped project files (after the ignore rules) and what pip installs for
    `requirements.txt` and the `dependencies=[...]` lists, resolved by pip itself with the
    build's flags (target Python, manylinux wheels only), transitive dependencies included.
    The build strips the top-level directories of torch, torchvision, torchaudio, triton and
    `exclude-packages`, but not their dependencies: torch's `nvidia-*` CUDA wheels ship.

    The message names what dominates and the chain that pulled it in. pip evaluates markers
    for the machine it runs on, so the estimate is for this machine unless `size-platform` is
    set (`linux-x86_64` is what the workers run). The resolution runs once a day per set of
    requirements (in the editor, in the background); `flash-ls check --offline` uses only the
    cache. What is not known (offline, a timeout, a package without a wheel) is left out, never
    guessed: the finding then says "at least" and a note says why.

    ## Why is this bad
    The build refuses an archive above 1500 MB ("Archive exceeds RunPod limit") after installing
    everything, and every deploy uploads the whole archive.

    ## Example
    ```python
    @Endpoint(name="embedder", gpu=GpuGroup.AMPERE_24, dependencies=["sentence-transformers"])
    async def embed(text: str): ...   # FL401: about 2.0 GB, 1.9 GB of nvidia-* CUDA wheels
    ```
    A 1.6 GB `weights.bin` next to the code counts as well.

    ## Fix
    Adds the exclusions that bring the archive under the budget, largest first, to
    `exclude-packages` in `[tool.flash-ls]` (`flash-ls build` honours it; the note gives the
    `flash build --exclude` flag of the official CLI). Unsafe: the excluded packages are no
    longer shipped, so the image must provide them at run time (GPU images ship torch,
    torchvision, torchaudio and numpy). Otherwise drop dependencies the workers do not need, and
    keep large files out of the app: add them to `.gitignore` and download them at run time or
    read them from a network volume.

    ## App API resources
    Also estimates, for each `runpod.App` of the app API of runpod 2.0, the artifact `rp flash
    deploy` builds for it: the whole project tree as rc2 selects it (its default ignores such as
    `tests/`, every directory's `.gitignore`, `.runpodignore`, protected files) and one
    environment of `requirements.txt` and the App's `dependencies` (the first pin of a package
    wins) plus the runtime's own packages. The torch family is left out only when every resource
    of the App has `gpu=` and no `image=`, and `--exclude` matches direct requirements only, so
    nothing is stripped from what they pull in. An App without dependencies is not resolved with
    pip (the runtime's packages, tens of MB, are not counted). The message names the App; there
    is no fix (the note gives `rp flash deploy --exclude`).
    """
    if app.uses_flash:
        estimate = cached_estimate(app)
        budget = app.config.size_budget_mb * BYTES_PER_MB
        if estimate.total_bytes > budget:
            finding = _budget_finding(app, estimate, near=False)
            if finding is not None:
                yield finding
    yield from _app_api_budgets(app, near=False)


@rule(
    "FL402",
    "artifact-near-limit",
    Severity.WARNING,
    "The estimated artifact is close to the size budget",
    app_api=True,
)
def artifact_near_limit(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Reports when the estimated archive (see FL401) is above `size-warn-ratio` (default 0.8) of
    the budget but not above the budget itself, naming what dominates it.

    ## Why is this bad
    One more dependency or data file and `flash build` fails at the very end, after installing
    everything. Large artifacts also make every deploy upload slower.

    ## Example
    ```python
    @Endpoint(name="ocr", cpu="cpu3c-4-8", dependencies=["paddlepaddle", "opencv-python"])
    def read(image: bytes): ...   # FL402: about 1.3 GB, 87% of the 1500 MB limit
    ```

    ## Fix
    The same as FL401: exclude what the image provides (`exclude-packages`), drop or move out
    what is not needed on the workers.

    ## App API resources
    Also reports each `runpod.App` of the app API of runpod 2.0 whose artifact (see FL401) is
    near the budget.
    """
    if app.uses_flash:
        estimate = cached_estimate(app)
        budget = app.config.size_budget_mb * BYTES_PER_MB
        if budget * app.config.size_warn_ratio < estimate.total_bytes <= budget:
            finding = _budget_finding(app, estimate, near=True)
            if finding is not None:
                yield finding
    yield from _app_api_budgets(app, near=True)


def _app_api_budgets(app: App, *, near: bool) -> Iterator[Finding]:
    """FL401/FL402 for each App of the app API of runpod 2.0: its own artifact (the whole
    project tree and its vendored environment), with rc2's file selection and exclusions."""
    if not app.uses_app_api:
        return
    budget_mb = app.config.size_budget_mb
    budget = budget_mb * BYTES_PER_MB
    for artifact in app_api_artifacts(app):
        estimate = artifact.estimate
        total = estimate.total_bytes
        if near and not budget * app.config.size_warn_ratio < total <= budget:
            continue
        if not near and total <= budget:
            continue
        finding = _app_api_budget_finding(app, artifact, near=near)
        if finding is not None:
            yield finding


def _app_api_budget_finding(app: App, artifact: AppArtifact, *, near: bool) -> Finding | None:
    estimate = artifact.estimate
    contributors = _contributors(estimate)
    if not contributors:
        return None
    budget_mb = app.config.size_budget_mb
    top = contributors[0]
    name = artifact.decl.name
    size = format_size(estimate.total_bytes)
    about = "about" if estimate.complete else "at least"
    limit = "limit" if budget_mb == platform.APP_MAX_ARTIFACT_MB else "budget"
    notes: list[str] = []
    if near:
        share = estimate.total_bytes / (budget_mb * BYTES_PER_MB)
        message = f"App '{name}' artifact: {about} {size}, {share:.0%} of the {budget_mb:g} MB "
        message += limit
    else:
        message = f"App '{name}' artifact: {about} {size}, above the {budget_mb:g} MB {limit}"
        if estimate.total_bytes > platform.APP_MAX_ARTIFACT_MB * BYTES_PER_MB:
            notes.append(
                "rp flash deploy fails once it has vendored everything: the artifact limit is "
                f"{platform.APP_MAX_ARTIFACT_MB} MB"
            )
    dominant, files_dominate = _dominant(estimate)
    notes.extend(dominant)
    torch = {platform.normalize_distribution(n) for n in platform.APP_SIZE_PROHIBITIVE_PACKAGES}
    if not artifact.auto_exclude and any(d.name in torch and d.bytes for d in estimate.deps):
        notes.append(
            "torch is vendored: the build leaves it out only when every resource of the App "
            "has gpu= and no image= (FL708)"
        )
    if not near:
        largest = sorted(estimate.contributions, key=lambda c: -c.bytes)[:2]
        if largest and not files_dominate:
            names = ",".join(platform.app_requirement_name(c.declared.raw) for c in largest)
            notes.append(
                f"rp flash deploy --exclude {names} leaves them out (direct requirements only, "
                "not what they pull in); the workers must then provide them"
            )
    if files_dominate:
        notes.append(
            f"keep large files out of the artifact ({GITIGNORE} or {platform.APP_IGNORE_FILE}): "
            "download them at run time or use a network volume"
        )
    notes.extend(_incomplete_notes(estimate))
    notes.append(f"estimated for {estimate.platform}, CPython {estimate.python_version} wheels")
    related = tuple(
        Related(c.path, c.span, f"{c.label}: {format_size(c.bytes)}")
        for c in contributors[:_RELATED_CONTRIBUTORS]
    )
    return Finding(top.path, top.span, message, related=related, notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# FL403


def _gitignore_pattern(rel: str) -> str:
    """A root ``.gitignore`` line that matches exactly ``rel`` (anchored, specials escaped).

    The build strips each line it reads, so no line matches a name ending in a space (git's
    ``\\ `` escape loses its space): ``_ignore_file_fix`` then offers nothing."""
    return "/" + _GITIGNORE_SPECIAL.sub(r"\\\1", rel)


def _gitignore_append(app: App, lines: list[str], name: str = GITIGNORE) -> TextEdit | None:
    """An edit appending ``lines`` to the root ``.gitignore`` (or another ignore file ``name``),
    creating it when absent."""
    path = app.root / name
    try:
        # Bytes decoded, not read_text: that would turn "\r\n" into "\n" (universal newlines).
        text: str | None = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError):
        return None
    if text is None:
        return TextEdit(path, FILE_START, "".join(f"{line}\n" for line in lines))
    newline = "\r\n" if "\r\n" in text else "\n"
    line = text.count("\n")
    column = len(text) - (text.rfind("\n") + 1)
    prefix = "" if text == "" or text.endswith("\n") else newline
    return TextEdit(path, Span(line, column, line, column), prefix + newline.join(lines) + newline)


def _ignore_file_fix(app: App, rel: str) -> Fix | None:
    pattern = _gitignore_pattern(rel)
    # As the build reads the line (stripped). A built-in negation (!README.md) would re-include
    # the file, and no line matches a name ending in a space.
    if not IgnoreRules((*app.ignore.gitignore_patterns, pattern.strip())).is_ignored(rel):
        return None
    edit = _gitignore_append(app, [pattern])
    if edit is None:
        return None
    return Fix(f"Add {pattern} to .gitignore", (edit,), safe=False)


@rule(
    "FL403",
    "large-file-shipped",
    Severity.WARNING,
    "A large project file is shipped in the artifact",
    fix=FixAvailability.UNSAFE,
    app_api=True,
)
def large_file_shipped(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Reports each shipped project file (one the build's ignore rules do not exclude) larger than
    `large-file-mb` in `[tool.flash-ls]` (default 50 MB): model weights, datasets, videos, archives.

    ## Why is this bad
    Everything not ignored is copied into the artifact, counts against the 1500 MB limit (FL401
    adds it to the dependencies) and is uploaded on every deploy. Large files are usually there by
    accident (a downloaded checkpoint, a test dataset) or better served from a network volume or
    downloaded at start-up.

    ## Example
    ```
    my_app/
      worker.py
      models/sd-v1-5.ckpt   # FL403: 4.0 GB shipped
    ```

    ## Fix
    Adds the file to the root `.gitignore` (creating it when absent). Unsafe: workers that read the
    file from the artifact will no longer find it, and git stops offering it for commits.

    ## App API resources
    On a project using the app API of runpod 2.0, also reports large files `rp flash deploy`
    packs with rc2's own selection (its default ignores, every directory's `.gitignore`,
    `.runpodignore` applied last, protected files never); the fix adds the file to
    `.runpodignore` instead. A file both builds ship is reported once.
    """
    limit = app.config.large_file_mb * BYTES_PER_MB
    reported: set[str] = set()
    for shipped in shipped_files(app) if app.uses_flash else ():
        if shipped.bytes <= limit:
            continue
        reported.add(shipped.rel)
        yield Finding(
            shipped.path,
            FILE_START,
            f"{shipped.rel} is {format_size(shipped.bytes)} and is shipped",
            fix=_ignore_file_fix(app, shipped.rel),
            notes=(
                f"it counts against the {MAX_TARBALL_SIZE_MB} MB limit and is uploaded on every "
                f"deploy (threshold {app.config.large_file_mb:g} MB)",
                "add it to .gitignore and download it at run time or read it from a network volume",
            ),
        )
    if not app.uses_app_api:
        return
    for shipped in app_api_shipped_files(app):
        if shipped.bytes <= limit or shipped.rel in reported:
            continue
        yield Finding(
            shipped.path,
            FILE_START,
            f"{shipped.rel} is {format_size(shipped.bytes)} and is shipped",
            fix=_runpodignore_fix(app, shipped.rel),
            notes=(
                "rp flash deploy packs it into the artifact of every App, which counts against "
                f"the {platform.APP_MAX_ARTIFACT_MB} MB limit, and uploads it on every deploy "
                f"(threshold {app.config.large_file_mb:g} MB)",
                f"add it to {platform.APP_IGNORE_FILE} and download it at run time or read it "
                "from a network volume",
            ),
        )


def _runpodignore_fix(app: App, rel: str) -> Fix | None:
    """Ignore ``rel`` in ``.runpodignore`` (applied last, so nothing re-includes it)."""
    pattern = _gitignore_pattern(rel)
    if not pathspec.GitIgnoreSpec.from_lines([pattern.strip()]).match_file(rel):
        return None
    edit = _gitignore_append(app, [pattern], platform.APP_IGNORE_FILE)
    if edit is None:
        return None
    return Fix(f"Add {pattern} to {platform.APP_IGNORE_FILE}", (edit,), safe=False)


# ---------------------------------------------------------------------------------------------
# FL404


def _excluded_by(app: App, rel: str) -> tuple[str, bool]:
    """How a message names the pattern excluding ``rel``, and whether it is a .gitignore line."""
    pattern = app.ignore.matching_pattern(rel) or "?"
    if pattern.startswith(GITIGNORE_LABEL):
        return f"`{pattern[len(GITIGNORE_LABEL) :]}` in .gitignore", True
    return f"the built-in ignore pattern `{pattern}`", False


def _all_imports(source: SourceFile) -> Iterator[Import]:
    """Every import of a file: module level (also guarded or nested) and inside bodies."""
    yield from source.facts.imports
    for definition in source.facts.definitions:
        yield from definition.body.imports


def _with_parents(app: App, module: str) -> list[SourceFile]:
    """The app files importing ``module`` loads: ``a``, ``a.b`` and ``a.b.c`` for ``a.b.c``."""
    parts = module.split(".")
    found = []
    for end in range(1, len(parts) + 1):
        source = app.module_file(".".join(parts[:end]))
        if source is not None:
            found.append(source)
    return found


def _local_files(app: App, source: SourceFile, imp: Import) -> list[SourceFile]:
    if not imp.is_from:
        return [f for name in imp.names for f in _with_parents(app, name.name)]
    base = app.import_target(source, imp)
    found = _with_parents(app, base) if base else []
    for name in imp.names:
        if name.name == "*":
            continue
        module = app.module_file(f"{base}.{name.name}" if base else name.name)
        if module is not None:
            found.append(module)
    return found


def _is_own_package(source: SourceFile, target: SourceFile) -> bool:
    """``target`` is ``source`` or a package containing it (loaded before ``source`` anyway)."""
    return target is source or source.module.startswith(target.module + ".")


def _ignored_imports(app: App) -> Iterator[Finding]:
    """Imports of ignored app files from shipped code (and from ignored files it loads)."""
    queue = list(app.sources(shipped_only=True))
    reached = {source.rel for source in queue}
    while queue:
        source = queue.pop(0)
        for imp in _all_imports(source):
            ignored: dict[str, SourceFile] = {}
            for target in _local_files(app, source, imp):
                if not target.shipped and not _is_own_package(source, target):
                    ignored.setdefault(target.rel, target)
            if not ignored:
                continue
            for target in ignored.values():
                if target.rel not in reached:
                    reached.add(target.rel)
                    queue.append(target)
            yield _ignored_import_finding(app, source, imp, list(ignored.values()))


def _ignored_import_finding(
    app: App, source: SourceFile, imp: Import, targets: list[SourceFile]
) -> Finding:
    notes = []
    if not source.shipped:
        notes.append(f"{source.rel} is not shipped either, but shipped code imports it")
    removable = False
    for target in targets:
        pattern, from_gitignore = _excluded_by(app, target.rel)
        removable = removable or from_gitignore
        notes.append(f"{target.rel} is excluded by {pattern}")
    notes.append(
        "flash build fails: Shipped code imports local modules that the build ignore rules exclude"
    )
    notes.append(
        "remove the pattern from .gitignore or move the module out of the ignored path"
        if removable
        else "rename or move the module out of the ignored path"
    )
    importer = "shipped code" if source.shipped else source.rel
    message = f"{importer} imports {', '.join(t.rel for t in targets)}, which the build ignores"
    related = tuple(
        Related(target.path, FILE_START, f"{target.rel} is excluded from the build")
        for target in targets
    )
    return Finding(
        source.path,
        imp.span,
        message,
        related=related,
        severity=Severity.ERROR,
        notes=tuple(notes),
    )


def _ignored_endpoints(app: App) -> Iterator[Finding]:
    """Endpoint functions and routes that live in files the build ignores."""
    candidates = [
        s for s in app.sources() if not s.shipped and any(d.decorators for d in s.facts.definitions)
    ]
    if not candidates:
        return
    # Resolve as if every file shipped, to see the endpoints the build never gets to see.
    everything = App(
        root=app.root,
        files={rel: dataclasses.replace(s, shipped=True) for rel, s in app.files.items()},
        config=app.config,
        ignore=app.ignore,
        requirements=app.requirements,
        environ=app.environ,
    )
    kinds = (EndpointKind.QUEUE, EndpointKind.LOAD_BALANCED, EndpointKind.MIXED)
    for endpoint in everything.endpoints:
        if endpoint.kind not in kinds:
            continue
        name = endpoint.name
        items: list[Target | Route] = [*endpoint.targets, *endpoint.routes]
        for item in items:
            original = app.files.get(item.file.rel)
            if original is None or original.shipped:
                continue
            pattern, from_gitignore = _excluded_by(app, item.file.rel)
            label = f"endpoint '{name}'" if isinstance(name, str) else "its endpoint"
            remedy = "remove the pattern from .gitignore or move" if from_gitignore else "move"
            yield Finding(
                original.path,
                item.decorator.span,
                f"'{item.definition.name}' is in {item.file.rel}, which the build ignores",
                notes=(
                    f"{item.file.rel} is excluded by {pattern}",
                    f"flash build never sees it: {label} is not deployed with it",
                    f"{remedy} the file out of the ignored path",
                ),
            )


def _app_api_left_out(app: App) -> Iterator[Finding]:
    """App API resources whose module the artifact leaves out, and local modules their modules
    import (at module level or in a function, transitively) that it leaves out: discovery
    imports them locally, the deployed workers cannot."""
    if not app.uses_app_api:
        return
    shipped = {f.rel for f in app_api_shipped_files(app)}
    reasons: dict[str, str | None] = {}

    def reason(rel: str) -> str | None:
        if rel not in reasons:
            reasons[rel] = None if rel in shipped else exclusion_reason(app.root, rel)
        return reasons[rel]

    queue: list[SourceFile] = []
    for endpoint in app.app_api_endpoints:
        if not endpoint.decl.called or not endpoint.targets:
            continue
        resource = endpoint.targets[0]
        source = resource.file
        why = reason(source.rel)
        if why is None:
            if source not in queue:
                queue.append(source)
            continue
        yield Finding(
            source.path,
            resource.decorator.span,
            f"resource '{endpoint.key}' is in a file the artifact leaves out",
            severity=Severity.ERROR,
            notes=(
                f"{source.rel} is left out by {why}",
                "rp flash deploy imports it to discover the resource and deploys its endpoint, "
                "but the workers cannot import the module: every request fails",
                "move the file out of the ignored path, or re-include it in "
                f"{platform.APP_IGNORE_FILE} (!pattern)",
            ),
        )
    reached = {source.rel for source in queue}
    while queue:
        source = queue.pop(0)
        for imp in _all_imports(source):
            if imp.guarded:
                continue
            left_out: dict[str, tuple[SourceFile, str]] = {}
            for module in _local_files(app, source, imp):
                if _is_own_package(source, module):
                    continue
                if module.rel not in reached:
                    reached.add(module.rel)
                    queue.append(module)
                why = reason(module.rel)
                if why is not None:
                    left_out.setdefault(module.rel, (module, why))
            if not left_out:
                continue
            rels = ", ".join(left_out)
            yield Finding(
                source.path,
                imp.span,
                f"imports {rels}, which the artifact leaves out",
                severity=Severity.ERROR,
                related=tuple(
                    Related(t.path, FILE_START, f"{rel} is not in the artifact")
                    for rel, (t, _) in left_out.items()
                ),
                notes=(
                    *(f"{rel} is left out by {why}" for rel, (_, why) in left_out.items()),
                    "discovery imports it locally, but the deployed workers fail with "
                    "ModuleNotFoundError",
                    "move the module out of the ignored path, or re-include it in "
                    f"{platform.APP_IGNORE_FILE} (!pattern)",
                ),
            )


@rule(
    "FL404",
    "shipped-code-ignored",
    Severity.WARNING,
    "Endpoint code or a module shipped code imports lies under an ignored path",
    app_api=True,
)
def shipped_code_ignored(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Checks the build's file selection against the code: an endpoint function or route in a file
    the ignore rules exclude is a warning; a local module that shipped code imports (at module
    level or inside a function) but the ignore rules exclude is an error. The ignore rules are the
    root `.gitignore` plus built-in patterns such as `tests/`, `docs/`, `test_*.py`, `*_test.py`;
    the message names the pattern that excludes the file.

    ## Why is this bad
    An ignored endpoint file is never imported by the build: the endpoint silently does not
    deploy. An ignored module imported by shipped code fails the build with "Shipped code imports
    local modules that the build ignore rules (.gitignore or built-in defaults) exclude". The
    `flash init` `.gitignore` ignores `lib/`, `build/`, `dist/` and more, so code placed there is
    a common surprise, and so is a worker named `load_test.py`.

    ## Example
    ```python
    # .gitignore contains "lib/"
    # worker.py
    from lib.preprocess import clean   # FL404 (error): lib/preprocess.py is not shipped
    ```

    ## Fix
    Remove the pattern from `.gitignore` or move the file out of the ignored path (for built-in
    patterns: rename it).

    ## App API resources
    On a project using the app API of runpod 2.0, also checks rc2's own selection (its default
    ignores such as `tests/` and `test_*.py`, every directory's `.gitignore`, `.runpodignore`),
    both as errors: a resource in a file the artifact leaves out is still discovered and its
    endpoint deployed, but the workers cannot import its module; a local module that a resource
    module imports (directly or through other modules) but the artifact leaves out fails on the
    workers with `ModuleNotFoundError`. The note names the ignore file that decides.
    """
    seen: set[tuple[Path, Span]] = set()
    if app.uses_flash:
        for finding in (*_ignored_imports(app), *_ignored_endpoints(app)):
            seen.add((finding.path, finding.span))
            yield finding
    for finding in _app_api_left_out(app):
        if (finding.path, finding.span) not in seen:
            yield finding


# ---------------------------------------------------------------------------------------------
# FL405


@rule(
    "FL405",
    "flashignore-unsupported",
    Severity.WARNING,
    ".flashignore is not honoured by flash build and is shipped itself",
    fix=FixAvailability.UNSAFE,
)
def flashignore_unsupported(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Reports a `.flashignore` file at the app root.

    ## Why is this bad
    Since runpod-flash 1.4 the build ignores `.flashignore` ("no longer supported; patterns are now
    built-in"): only the root `.gitignore` and the built-in patterns decide what ships. Files it
    was meant to exclude are shipped, and so is `.flashignore` itself. Many examples still have one.

    ## Example
    ```
    # .flashignore          FL405
    data/
    *.ckpt
    ```

    ## Fix
    Appends its patterns that are neither built in nor already in `.gitignore` to `.gitignore`
    (creating it when absent); then delete `.flashignore`. Unsafe: the moved patterns take effect,
    so files that are shipped today stop being shipped.
    """
    path = app.root / FLASHIGNORE
    if not path.is_file():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    lines = text.splitlines()
    first = Span(0, 0, 0, len(lines[0])) if lines else FILE_START
    known = {*app.ignore.gitignore_patterns, *BUILTIN_PATTERNS}
    moved: list[str] = []
    for raw in lines:
        pattern = raw.strip()
        if (
            pattern
            and not pattern.startswith("#")
            and pattern not in known
            and pattern not in moved
        ):
            moved.append(pattern)
    notes = [
        f"{platform.SDK_DISTRIBUTION} 1.4 dropped .flashignore: only .gitignore and built-in "
        "patterns apply"
    ]
    if not app.ignore.is_ignored(FLASHIGNORE):
        notes.append(".flashignore is itself shipped in the artifact")
    fix = None
    if moved:
        notes.append(f"move its patterns ({', '.join(moved)}) to .gitignore and delete it")
        edit = _gitignore_append(app, ["# moved from .flashignore", *moved])
        if edit is not None:
            fix = Fix("Move the .flashignore patterns to .gitignore", (edit,), safe=False)
    else:
        notes.append("its patterns are built in or already in .gitignore: delete it")
    yield Finding(
        path, first, ".flashignore is not read by flash build", fix=fix, notes=tuple(notes)
    )
