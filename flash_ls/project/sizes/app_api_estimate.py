"""How big the artifact ``rp flash deploy`` (the app API of runpod 2.0.0rc2) builds for each App
would be, without building it (runpod-app-api.md 5.2-5.7).

Each App gets its own artifact with the whole project tree (``app_api_files``) and one vendored
environment: ``requirements.txt`` (lines starting with ``-`` or ``#`` dropped), then every
resource's ``dependencies`` in registration order, deduplicated by the build's
``requirement_name`` (the first wins), minus the excluded names (``exclude-packages``, as
``--exclude``, and the torch family only when every resource has a ``gpu=`` and no ``image=``;
matched against direct requirements only: nothing is stripped from what they pull in), after
the runtime's own requirements (an App that declares no dependency is not resolved: the
runtime's packages alone are tens of MB). pip resolves them as ``flash_ls.project.sizes.resolution`` runs
it (the same platform flags; no options, as ``-`` lines are dropped), for the local Python when
the images support it, else 3.12. The client's own ``runpod`` package tree, which the build
copies in too, is not counted.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from flash_ls import platform
from flash_ls.parse.facts import SequenceExpr
from flash_ls.project.app import App
from flash_ls.project.endpoint_model import AppDecl, Endpoint, EndpointKind
from flash_ls.project.evaluation import Unknown, evaluate
from flash_ls.project.requirements import REQUIREMENTS_FILE, parse_requirement, requirement_of
from flash_ls.project.sizes import resolution as resolver
from flash_ls.project.sizes.app_api_files import app_api_shipped_files
from flash_ls.project.sizes.estimate import (
    SOURCE_PIP,
    DependencySize,
    SizeEstimate,
    _contributions,
    _from_outcome,
    _group_by_root,
)
from flash_ls.project.sizes.resolution import (
    DeclaredDependency,
    Exclusions,
    Outcome,
    ResolveRequest,
    interpreter_for,
    native_platform,
)

_RUNTIME_NOT_COUNTED = (
    "no dependencies declared: the runtime's own packages (tens of MB) are not counted"
)


# The sized install sets of settled resolutions: each edit makes a new App (and asks again), but
# the same requirements resolve the same way until a job lands (``resolution.generation``).
_SIZED: OrderedDict[tuple[object, ...], tuple[list[DependencySize], list[str]]] = OrderedDict()
_SIZED_KEPT = 64
_SIZED_LOCK = threading.Lock()


def _sized_install_set(
    outcome: Outcome, exclusions: AppApiExclusions
) -> tuple[list[DependencySize], list[str]]:
    """``_from_outcome``, memoised for an outcome that is settled (not pending, no problem)."""
    if outcome.resolution is None or outcome.pending or outcome.problem is not None:
        return _from_outcome(outcome, exclusions)
    sized = frozenset(url for url, wheel in outcome.wheels.items() if not isinstance(wheel, str))
    key = (outcome.request.key, exclusions, resolver.generation(), sized)
    with _SIZED_LOCK:
        known = _SIZED.get(key)
        if known is not None:
            _SIZED.move_to_end(key)
    if known is None:
        known = _from_outcome(outcome, exclusions)
        with _SIZED_LOCK:
            _SIZED[key] = known
            while len(_SIZED) > _SIZED_KEPT:
                _SIZED.popitem(last=False)
    return list(known[0]), list(known[1])


def requirement_key(text: str) -> str:
    """The build's ``requirement_name``: what it deduplicates and excludes by."""
    return platform.app_requirement_name(text)


@dataclass(frozen=True, slots=True)
class AppApiExclusions(Exclusions):
    """rc2's ``split_exclusions``: ``--exclude`` names, plus the torch family when ``auto``;
    matched against the direct requirements' names only (the env tree is never filtered)."""

    auto: bool = False

    @property
    def names(self) -> frozenset[str]:
        user = {requirement_key(n) for n in self.user}
        return frozenset(user | (platform.APP_SIZE_PROHIBITIVE_PACKAGES if self.auto else set()))

    def drops_requirement(self, dependency: DeclaredDependency) -> bool:
        return requirement_key(dependency.raw) in self.names

    def strips(self, top: str) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class AppArtifact:
    """One App's artifact: what it is called, its resources and its estimate."""

    decl: AppDecl
    resources: tuple[Endpoint, ...]
    estimate: SizeEstimate
    requirements: tuple[str, ...]
    """What pip is handed (runtime first)."""
    excluded: tuple[str, ...]
    auto_exclude: bool


def apps_of(app: App) -> list[tuple[AppDecl, list[Endpoint]]]:
    """The Apps discovery keeps (the first ``AppDecl`` of each name) with their resources."""
    if not app.uses_app_api:
        return []
    kept: dict[str, AppDecl] = {}
    members: dict[int, list[Endpoint]] = {}
    for decl in sorted(app.app_declarations, key=lambda d: (d.file.rel.split("/"), d.call.span)):
        name = decl.name
        if isinstance(name, str) and name and name not in kept:
            kept[name] = decl
            members[id(decl)] = []
    for endpoint in sorted(
        app.app_api_endpoints, key=lambda e: (e.decl.file.rel.split("/"), e.decl.call.span)
    ):
        owner = endpoint.app_decl
        if owner is not None and id(owner) in members and endpoint.decl.called:
            members[id(owner)].append(endpoint)
    return [(decl, members[id(decl)]) for decl in kept.values()]


def declared_for(app: App, resources: list[Endpoint]) -> list[DeclaredDependency]:
    """``requirements.txt`` and the resources' dependencies, where each is written."""
    found: list[DeclaredDependency] = []
    requirements_path = app.root / REQUIREMENTS_FILE
    for line in app.requirements:
        raw = line.raw.strip()
        if not raw or raw.startswith(("#", "-")):
            continue
        found.append(
            DeclaredDependency(raw, line.name, requirements_path, line.span, line.requirement)
        )
    for endpoint in resources:
        argument = endpoint.argument("dependencies")
        if argument is None:
            continue
        file = endpoint.decl.file
        expr = argument.expr
        items = expr.items if isinstance(expr, SequenceExpr) and not expr.has_star else [expr]
        for item in items:
            value = evaluate(app, file, item, sdk=endpoint.sdk)
            values = value if isinstance(value, (list, tuple)) else [value]
            for text in values:
                if not isinstance(text, str) or isinstance(text, Unknown):
                    continue
                name, _ = parse_requirement(text)
                found.append(
                    DeclaredDependency(text, name, file.path, item.span, requirement_of(text))
                )
    return found


def _auto_exclude(resources: list[Endpoint]) -> bool:
    """``all(spec.gpu and not spec.image)`` over the App's resources (vacuously true)."""
    for endpoint in resources:
        gpu = endpoint.value("gpu")
        image = endpoint.value("image")
        if isinstance(gpu, Unknown) or isinstance(image, Unknown):
            return False  # not known: assume torch is vendored (the larger artifact)
        if not gpu or image:
            return False
    return True


def _python_version(app: App) -> str:
    """The local interpreter's version when the worker images support it, else 3.12."""
    interpreter = interpreter_for(app)
    version = None
    if interpreter.path == Path(sys.executable):
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
    else:
        try:
            text = (interpreter.prefix / "pyvenv.cfg").read_text(encoding="utf-8")
        except OSError:
            text = ""
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                version = ".".join(value.strip().split(".")[:2])
                break
    if version in platform.APP_PYTHON_VERSIONS:
        return version
    return platform.APP_DEFAULT_PYTHON_VERSION


def artifacts(app: App) -> list[AppArtifact]:
    """Every App's artifact estimate, computed once per ``App`` object."""
    return list(app.derived(_artifacts))


def _artifacts(app: App) -> tuple[AppArtifact, ...]:
    found = []
    files = app_api_shipped_files(app)
    offline = app.config.offline or resolver.offline_by_default()
    for decl, resources in apps_of(app):
        declared = declared_for(app, resources)
        auto = _auto_exclude(resources)
        exclusions = AppApiExclusions(tuple(app.config.exclude_packages), auto)
        seen: set[str] = set()
        vendored: list[str] = []
        excluded: dict[str, None] = {}
        for dependency in declared:
            key = requirement_key(dependency.raw)
            if key in seen:
                continue
            seen.add(key)
            if exclusions.drops_requirement(dependency):
                excluded[key] = None
            else:
                vendored.append(dependency.raw)
        runtime = list(platform.APP_VENDORED_RUNTIME)
        if any(e.kind is EndpointKind.LOAD_BALANCED for e in resources):
            runtime.extend(platform.APP_VENDORED_API_RUNTIME)
        requirements = tuple(dict.fromkeys([*runtime, *vendored]))
        native = native_platform()
        wanted = app.config.size_platform or native
        request = ResolveRequest(
            requirements=requirements,
            options=(),
            python_version=_python_version(app),
            platform=wanted,
            native=wanted == native,
            interpreter=interpreter_for(app),
            cwd=app.root,
            timeout=app.config.size_timeout,
        )
        if vendored:
            outcome = resolver.resolve(request, offline=offline)
            deps, notes = _sized_install_set(outcome, exclusions)
            problems = [outcome.problem] if outcome.problem is not None else []
        else:  # the runtime's packages alone (tens of MB): not worth a pip run per check
            deps, notes, problems = [], [_RUNTIME_NOT_COUNTED], []
        estimate = SizeEstimate(
            files_bytes=sum(f.bytes for f in files),
            deps=deps,
            files=files,
            excluded=list(excluded),
            problems=problems,
            notes=notes,
            contributions=_contributions(declared, _group_by_root(deps)),
            python_version=request.python_version,
            platform=request.platform_label,
            interpreter=request.interpreter.label,
            source=SOURCE_PIP,
            user_exclusions=exclusions.user,
        )
        found.append(
            AppArtifact(decl, tuple(resources), estimate, requirements, tuple(excluded), auto)
        )
    return tuple(found)


def computed_artifacts(app: App) -> list[AppArtifact] | None:
    """The estimates :func:`artifacts` made for this ``App`` object, without making them."""
    found = app._derived.get(_artifacts)
    return None if found is None else list(found)
