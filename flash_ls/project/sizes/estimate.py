"""The artifact estimate: what ships, what dominates it, and which exclusions make it fit.

The estimate is of the compressed archive `flash build` writes. Its dependency part comes from:

1. ``.flash/size-report.json`` (the build engine's record of a real install) when it was built
   from exactly the current requirements, exclusions, target Python and platform: its installed
   sizes, scaled by that build's own archive-to-content ratio;
2. else pip's resolution of the requirements (:mod:`.resolution`) and the sizes of the wheels
   it picked (:mod:`.index`): each wheel's bytes minus its top-level entries the build strips
   (torch, torchvision, torchaudio, triton and ``exclude-packages``; their dependencies stay),
   times :data:`flash_ls.platform.ARCHIVE_RATIO`.

Project files count with their ``stat`` sizes (uncompressed: the estimate errs high for them).
Nothing is guessed: what is not known is left out, and :attr:`SizeEstimate.problems` says why
(resolution under way, offline, timeout, a package pip cannot install, pip missing).
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from packaging.markers import Marker
from packaging.utils import canonicalize_name

from flash_ls import platform
from flash_ls.platform import BYTES_PER_MB
from flash_ls.project.app import App
from flash_ls.project.requirements import requirement_of
from flash_ls.project.sizes import resolution as resolver
from flash_ls.project.sizes.index import WheelInfo
from flash_ls.project.sizes.report import load_size_report, report_stamp
from flash_ls.project.sizes.resolution import (
    DeclaredDependency,
    Exclusions,
    Outcome,
    Problem,
    ResolvedDistribution,
    declared_dependencies,
    native_platform,
    request_for,
    requirements_for_pip,
)
from flash_ls.project.sizes.shipped import ShippedFile, remember_last, shipped_files

if TYPE_CHECKING:
    from flash_ls.project.size_report import SizeReport

log = logging.getLogger(__name__)

SOURCE_REPORT = "size-report"
SOURCE_PIP = "pip"
GB = 1024 * BYTES_PER_MB
# Top-level entries that are not packages a user would exclude (scripts, headers, data).
_NOT_PACKAGES = frozenset({"bin", "include", "share", "etc", "lib", "man"})


def plural(count: int, noun: str) -> str:
    """``plural(1, "file")`` -> ``"1 file"``, ``plural(3, "file")`` -> ``"3 files"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_size(size: int) -> str:
    """``2147483648`` -> ``"2.0 GB"``, ``1572864`` -> ``"1.5 MB"`` (1024-based, as the build)."""
    if size >= GB:
        return f"{size / GB:.1f} GB"
    if size >= BYTES_PER_MB:
        return f"{size / BYTES_PER_MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


# ---------------------------------------------------------------------------------------------
# What the estimate is made of


@dataclass(frozen=True, slots=True)
class DependencySize:
    """One distribution of the install set and what it adds to the archive."""

    name: str
    """PEP 503 name."""
    display: str
    version: str | None
    bytes: int | None
    """Archive bytes it adds once the build's exclusions are applied; None when unknown."""
    chain: tuple[str, ...] = ()
    """Who pulled it in: the requirement handed to pip first, its direct dependent last
    (``("sentence-transformers", "torch")`` for ``nvidia-cudnn-cu12``); () when requested."""
    tops: tuple[tuple[str, int], ...] | None = None
    """Archive bytes per top-level entry of the build directory, before exclusions."""
    stripped: tuple[str, ...] = ()
    """Its top-level entries the build drops (exclusions)."""
    source: str = SOURCE_PIP

    @property
    def root(self) -> str:
        """The requirement that brought it: the first of :attr:`chain`, else itself."""
        return self.chain[0] if self.chain else self.name

    @property
    def excluded(self) -> bool:
        """The build strips everything of it that counts."""
        return bool(self.stripped) and self.bytes == 0


@dataclass(frozen=True, slots=True)
class DependencyContribution:
    """A declared requirement with everything it pulls in."""

    declared: DeclaredDependency
    name: str
    bytes: int
    """Archive bytes of the distribution and of the ones it pulled in."""
    dependencies: int
    """How many other distributions it pulled in (that ship)."""
    complete: bool


@dataclass(frozen=True, slots=True)
class Group:
    """Distributions shown as one line: a family (``nvidia-*``) or one distribution."""

    label: str
    bytes: int
    members: tuple[DependencySize, ...]
    family: bool = False
    """A family of distributions (``nvidia-*``), however many of it are installed."""

    @property
    def chain(self) -> tuple[str, ...]:
        return max(self.members, key=lambda d: d.bytes or 0).chain

    def sentence(self) -> str:
        """``1.9 GB are nvidia-* CUDA wheels pulled in by torch via sentence-transformers``."""
        verb = "is" if len(self.members) == 1 and not self.family else "are"
        text = f"{format_size(self.bytes)} {verb} {self.label}"
        chain = self.chain
        if not chain:
            return f"{text}, declared by the app"
        text += f" pulled in by {chain[-1]}"
        return text if len(chain) == 1 else f"{text} via {chain[0]}"


@dataclass(frozen=True)
class SizeEstimate:
    """The estimated archive; ``total_bytes`` counts only what is known (see ``complete``)."""

    files_bytes: int
    deps: list[DependencySize]
    """Every distribution pip would install, stripped ones included (``bytes`` 0)."""
    files: list[ShippedFile] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    """Excluded names that left something out (a requirement, or top-level entries)."""
    problems: list[Problem] = field(default_factory=list)
    """Why the dependency part is missing or incomplete."""
    notes: list[str] = field(default_factory=list)
    """Details (wheels whose size is unknown ...), for ``--verbose`` and hover."""
    contributions: list[DependencyContribution] = field(default_factory=list)
    python_version: str = platform.DEFAULT_PYTHON_VERSION
    platform: str = ""
    """``linux-x86_64, this machine``."""
    interpreter: str = ""
    """Whose pip resolved (``the app's .venv``)."""
    source: str = SOURCE_PIP
    user_exclusions: tuple[str, ...] = ()
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """What is computed from ``deps`` alone (groups, top levels, their bytes), shared by the
    estimates made from one dependency part: an edit makes a new estimate, not new groups."""

    def _deps_derived(self, name: str, compute: Callable[[], Any]) -> Any:
        found = self.derived.get(name)
        if found is None:
            found = self.derived[name] = compute()
        return found

    @property
    def deps_bytes(self) -> int:
        return int(self._deps_derived("bytes", lambda: sum(d.bytes or 0 for d in self.deps)))

    @property
    def total_bytes(self) -> int:
        return self.files_bytes + self.deps_bytes

    @property
    def unknown(self) -> list[str]:
        """Distributions whose size is unknown."""
        return [d.name for d in self.deps if d.bytes is None]

    @property
    def complete(self) -> bool:
        return not self.problems and not self.unknown

    @property
    def provisional(self) -> bool:
        """A resolution is under way: a later check will know more."""
        return any(p.kind == resolver.PENDING for p in self.problems)

    @property
    def settled(self) -> bool:
        """Nothing in it is of the moment (pending, offline, timeout, unreachable): a check may
        be replayed from it."""
        return not any(p.transient for p in self.problems) and not self.unknown

    def largest_files(self, count: int = 5) -> list[ShippedFile]:
        return sorted(self.files, key=lambda f: (-f.bytes, f.rel))[:count]

    def contribution_for(self, name: str) -> DependencyContribution | None:
        key = canonicalize_name(name)
        return next((c for c in self.contributions if c.name == key), None)

    def groups(self) -> list[Group]:
        """What ships of the dependencies, as lines: families together, largest first."""
        return list(self._deps_derived("groups", self._groups))

    def _groups(self) -> list[Group]:
        shipped = [d for d in self.deps if d.bytes]
        by_label: dict[tuple[str, bool], list[DependencySize]] = {}
        for dep in shipped:
            family = _family(dep.name)
            by_label.setdefault((family or dep.display, bool(family)), []).append(dep)
        groups = [
            Group(label, sum(d.bytes or 0 for d in members), tuple(members), family)
            for (label, family), members in by_label.items()
        ]
        return sorted(groups, key=lambda g: (-g.bytes, g.label))

    def top_levels(self) -> dict[str, tuple[int, list[DependencySize]]]:
        """Archive bytes per top-level entry that ships, and the distributions that install it."""
        return dict(self._deps_derived("tops", self._top_levels))

    def _top_levels(self) -> dict[str, tuple[int, list[DependencySize]]]:
        found: dict[str, tuple[int, list[DependencySize]]] = {}
        for dep in self.deps:
            for top, size in _shipped_tops(dep):
                total, members = found.get(top, (0, []))
                found[top] = (total + size, [*members, dep])
        return found

    def exclusions_to_fit(self, budget_bytes: int) -> list[str] | None:
        """Top-level names to exclude, largest first, until the estimate fits ``budget_bytes``:
        [] when it fits already, None when excluding what may be excluded does not suffice.

        Candidates are what the build's exclusion can strip: top-level packages of the install
        set, not scripts or ``*.dist-info``, not single modules (the build matches directory
        names), and not the packages of requirements the app declares itself."""
        excess = self.total_bytes - budget_bytes
        if excess <= 0:
            return []
        chosen: list[str] = []
        for size, top in self._deps_derived("candidates", self._exclusion_candidates):
            chosen.append(top)
            excess -= size
            if excess <= 0:
                return chosen
        return None

    def _exclusion_candidates(self) -> list[tuple[int, str]]:
        """(bytes, name) of what the build's exclusion could strip, largest first."""
        candidates = [
            (size, top)
            for top, (size, members) in self.top_levels().items()
            if _excludable(top) and not any(not m.chain for m in members)
        ]
        return sorted(candidates, key=lambda c: (-c[0], c[1]))

    def describe(self, budget_mb: float | None = None) -> list[str]:
        """The breakdown as text lines (hover, ``--verbose``)."""
        about = "about" if self.complete else "at least"
        head = f"Estimated artifact: {about} {format_size(self.total_bytes)} (compressed)"
        if budget_mb is not None:
            limit = "limit" if budget_mb == platform.MAX_TARBALL_SIZE_MB else "budget"
            head += f" of the {budget_mb:g} MB {limit}"
        shipping = [d for d in self.deps if d.bytes]
        lines = [
            head,
            f"- for {self.platform}, CPython {self.python_version} wheels"
            + (f", resolved by pip of {self.interpreter}" if self.interpreter else ""),
            f"- project files: {format_size(self.files_bytes)} in {plural(len(self.files), 'file')}",
            f"- dependencies: {format_size(self.deps_bytes)} in "
            f"{plural(len(shipping), 'distribution')}"
            + (" (from the last build's size report)" if self.source == SOURCE_REPORT else ""),
        ]
        lines.extend(f"  - {group.sentence()}" for group in self.groups()[:8])
        lines.extend(
            f"  - {shipped.rel}: {format_size(shipped.bytes)}" for shipped in self.largest_files(3)
        )
        if self.excluded:
            lines.append(f"- excluded: {', '.join(self.excluded)}")
        if budget_mb is not None:
            fit = self.exclusions_to_fit(int(budget_mb * BYTES_PER_MB))
            if fit:
                lines.append(f"- to fit, exclude {', '.join(fit)} (exclude-packages)")
        lines.extend(f"- incomplete: {problem.message}" for problem in self.problems)
        lines.extend(f"- {note}" for note in self.notes)
        return lines


def _family(name: str) -> str | None:
    for pattern, label in platform.PACKAGE_FAMILIES.items():
        if fnmatch.fnmatchcase(name, pattern):
            return f"{pattern} {label}"
    return None


def _excludable(top: str) -> bool:
    return (
        top not in _NOT_PACKAGES
        and not top.endswith((".dist-info", ".py", ".pth", ".libs"))
        and not top.startswith(("_", "."))
    )


def _shipped_tops(dep: DependencySize) -> list[tuple[str, int]]:
    """The top-level entries of a distribution that ship, with their archive bytes."""
    if dep.bytes is None:
        return []
    if dep.tops is None:
        return [] if dep.excluded else [(platform.tarball_name(dep.name), dep.bytes)]
    return [(top, size) for top, size in dep.tops if top not in dep.stripped]


# ---------------------------------------------------------------------------------------------
# Building it


def estimate_artifact(app: App) -> SizeEstimate:
    """Estimate the archive of ``app``: its shipped files plus the dependencies pip would install
    for it, minus what the build strips (see the module docstring). Never raises; may start a
    pip resolution (and wait for it, unless the process runs in the background)."""
    files = shipped_files(app)
    declared = declared_dependencies(app)
    exclusions = Exclusions(tuple(app.config.exclude_packages))
    part = _dependency_part(app, declared, exclusions)
    return SizeEstimate(
        files_bytes=sum(f.bytes for f in files),
        deps=list(part.deps),
        files=files,
        excluded=list(part.excluded),
        problems=list(part.problems),
        notes=list(part.notes),
        contributions=_contributions(declared, _by_root(part)),
        python_version=part.python_version,
        platform=part.platform,
        interpreter=part.interpreter,
        source=part.source,
        user_exclusions=exclusions.user,
        derived=part.derived,
    )


@dataclass(frozen=True, slots=True)
class _Part:
    """The dependency part of an estimate (what depends on the requirements, not the files)."""

    deps: tuple[DependencySize, ...]
    excluded: tuple[str, ...]
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    python_version: str
    platform: str
    interpreter: str
    source: str
    derived: dict[str, Any] = field(default_factory=dict, init=False, compare=False, repr=False)
    """``SizeEstimate.derived`` of every estimate made from this part."""


_PARTS: OrderedDict[tuple[object, ...], tuple[int, float, _Part]] = OrderedDict()
_PARTS_KEPT = 256
_PART_SECONDS = 300.0  # then the caches are asked again (a resolution expires after a day)
_LOCK = threading.RLock()


def _dependency_part(
    app: App, declared: Sequence[DeclaredDependency], exclusions: Exclusions
) -> _Part:
    """Memoised by the resolution key, the exclusions, the size report's stamp and the offline
    setting, for :data:`_PART_SECONDS`; a part with a problem is redone once a job lands."""
    requirements = requirements_for_pip(declared, exclusions)
    request = request_for(app, requirements)
    offline = app.config.offline or resolver.offline_by_default()
    memo_key = (request.key, exclusions.user, report_stamp(app.root), offline)
    now = time.monotonic()
    with _LOCK:
        known = _PARTS.get(memo_key)
        landed = resolver.generation()
    fresh = known is not None and now - known[1] < _PART_SECONDS
    if known is not None and fresh and (known[0] == landed or not known[2].problems):
        return known[2]
    part = _make_part(app, request, declared, exclusions, offline)
    with _LOCK:
        _PARTS[memo_key] = (landed, now, part)
        _PARTS.move_to_end(memo_key)
        while len(_PARTS) > _PARTS_KEPT:
            _PARTS.popitem(last=False)
    return part


def _make_part(
    app: App,
    request: resolver.ResolveRequest,
    declared: Sequence[DeclaredDependency],
    exclusions: Exclusions,
    offline: bool,
) -> _Part:
    dropped = [d for d in declared if exclusions.drops_requirement(d)]
    excluded = dict.fromkeys(d.official_name for d in dropped)
    common = {
        "python_version": request.python_version,
        "platform": request.platform_label,
        "interpreter": request.interpreter.label,
    }
    if not request.requirements:
        return _Part((), tuple(excluded), (), (), source=SOURCE_PIP, **common)
    report, report_problem = load_size_report(app.root)
    if report is not None and _report_matches(report, request, exclusions):
        deps = _from_report(report, request.requirements, exclusions)
        excluded.update(_stripped_names(deps))
        return _Part(tuple(deps), tuple(excluded), (), (), source=SOURCE_REPORT, **common)
    outcome = resolver.resolve(request, offline=offline)
    deps, notes = _from_outcome(outcome, exclusions)
    excluded.update(_stripped_names(deps))
    problems = [outcome.problem] if outcome.problem is not None else []
    if report_problem:
        notes.append(report_problem)
    return _Part(
        tuple(deps), tuple(excluded), tuple(problems), tuple(notes), source=SOURCE_PIP, **common
    )


def _stripped_names(deps: Sequence[DependencySize]) -> dict[str, None]:
    """The top-level packages the build strips (an ordered set; dist-info directories aside)."""
    return {top: None for dep in deps for top in dep.stripped if not top.endswith(".dist-info")}


def _report_matches(
    report: SizeReport, request: resolver.ResolveRequest, exclusions: Exclusions
) -> bool:
    """The report was built from exactly these requirements, exclusions, Python and platform."""
    return (
        report.requirements is not None
        and sorted(r.strip() for r in report.requirements) == sorted(request.requirements)
        and sorted(n.lower() for n in report.exclusions)
        == sorted(n.lower() for n in exclusions.user)
        and report.python_version == request.python_version
        and (report.platform or native_platform()) == request.platform
    )


def _from_report(
    report: SizeReport, requirements: Sequence[str], exclusions: Exclusions
) -> list[DependencySize]:
    """The report's distributions, installed sizes scaled by that build's compression; what the
    exclusions strip of a distribution that is not excluded as a whole (``nvidia/`` of the
    nvidia-* wheels) is taken from its top-level entries when the report has them."""
    ratio = 1.0
    if report.archive_bytes and report.total_bytes:
        ratio = report.archive_bytes / report.total_bytes
    parsed = (requirement_of(r) for r in requirements)
    requested = {canonicalize_name(r.name) for r in parsed if r is not None}
    requires: dict[str, tuple[str, ...]] = {
        canonicalize_name(d.name): tuple(d.requires or ()) for d in report.distributions
    }
    chains = _chains([n for n in requires if n in requested], requires, {}, set(requires))
    found = []
    for dist in report.distributions:
        name = canonicalize_name(dist.name)
        tops = None
        if dist.tops:
            tops = tuple((top, round(size * ratio)) for top, size in sorted(dist.tops.items()))
        if dist.excluded:
            gone = tuple(top for top, _ in tops) if tops else (platform.tarball_name(name),)
            size = 0
        elif tops:
            gone = tuple(top for top, _ in tops if exclusions.strips(top))
            size = sum(size for top, size in tops if top not in gone)
        else:
            gone, size = (), round(dist.bytes * ratio)
        found.append(
            DependencySize(
                name, dist.name, dist.version, size, chains.get(name, ()), tops, gone, SOURCE_REPORT
            )
        )
    return found


def _from_outcome(
    outcome: Outcome, exclusions: Exclusions
) -> tuple[list[DependencySize], list[str]]:
    """The install set of a resolution, each wheel sized and stripped as the build strips it."""
    resolution = outcome.resolution
    if resolution is None:
        return [], []
    by_name = {d.name: d for d in resolution.distributions}
    roots = [d.name for d in resolution.distributions if d.requested]
    requires = {d.name: d.requires for d in resolution.distributions}
    chains = _chains(roots, requires, dict(resolution.environment), set(by_name))
    deps: list[DependencySize] = []
    unknown: list[str] = []
    for dist in resolution.distributions:
        deps.append(
            _sized(dist, outcome.wheels.get(dist.url), chains.get(dist.name, ()), exclusions)
        )
        if deps[-1].bytes is None:
            reason = outcome.wheels.get(dist.url)
            unknown.append(f"{dist.name} ({reason})" if isinstance(reason, str) else dist.name)
    notes = []
    if unknown and not outcome.pending:
        notes.append(
            f"unknown size: {', '.join(unknown[:5])}" + (" ..." if len(unknown) > 5 else "")
        )
    return deps, notes


def _sized(
    dist: ResolvedDistribution,
    wheel: WheelInfo | str | None,
    chain: tuple[str, ...],
    exclusions: Exclusions,
) -> DependencySize:
    if not isinstance(wheel, WheelInfo):
        return DependencySize(dist.name, dist.display, dist.version, None, chain)
    ratio = platform.ARCHIVE_RATIO
    if wheel.tops is None:
        # Layout unknown: the build's filter matches a directory named like the distribution.
        top = platform.tarball_name(dist.name)
        gone: tuple[str, ...] = (top,) if exclusions.strips(top) else ()
        size = 0 if gone else round(wheel.bytes * ratio)
        return DependencySize(dist.name, dist.display, dist.version, size, chain, None, gone)
    raw_total = sum(size for _, size in wheel.tops) or 1
    tops = tuple((top, round(wheel.bytes * ratio * size / raw_total)) for top, size in wheel.tops)
    gone = tuple(top for top, _ in wheel.tops if exclusions.strips(top))
    size = round(wheel.shipped_bytes(gone) * ratio)
    return DependencySize(dist.name, dist.display, dist.version, size, chain, tops, gone)


def _chains(
    roots: Sequence[str],
    requires: Mapping[str, tuple[str, ...]],
    environment: dict[str, str],
    installed: set[str],
) -> dict[str, tuple[str, ...]]:
    """For each installed distribution, the shortest chain of dependents from a root (breadth
    first along ``Requires-Dist``, roots in order). A requirement counts when its marker holds
    for the environment pip used, or depends on an extra (the child is installed: some
    dependent asked for the extra)."""
    chains: dict[str, tuple[str, ...]] = {root: () for root in roots}
    queue = list(roots)
    while queue:
        parent = queue.pop(0)
        path = (*chains[parent], parent)
        for line in requires.get(parent, ()):
            requirement = requirement_of(line)
            if requirement is None:
                continue
            child = canonicalize_name(requirement.name)
            if child in chains or child not in installed:
                continue
            if requirement.marker is not None and not _holds(requirement.marker, environment):
                continue
            chains[child] = path
            queue.append(child)
    return chains


def _holds(marker: Marker, environment: dict[str, str]) -> bool:
    if "extra" in str(marker):
        return True
    try:
        return marker.evaluate({**environment, "extra": ""} if environment else None)
    except Exception:  # an undefined marker variable: pip would have said so
        return True


def _by_root(part: _Part) -> dict[str, list[DependencySize]]:
    """The part's dependencies by the declared requirement they are installed for: grouped
    once per part (the whole install set), not on every keystroke's estimate."""
    by_root = part.derived.get("by_root")
    if by_root is None:
        by_root = part.derived["by_root"] = _group_by_root(part.deps)
    return cast("dict[str, list[DependencySize]]", by_root)


def _group_by_root(deps: Sequence[DependencySize]) -> dict[str, list[DependencySize]]:
    by_root: dict[str, list[DependencySize]] = {}
    for dep in deps:
        by_root.setdefault(dep.root, []).append(dep)
    return by_root


def _contributions(
    declared: Sequence[DeclaredDependency], by_root: dict[str, list[DependencySize]]
) -> list[DependencyContribution]:
    """Each declared requirement with the bytes of everything rooted at it (first declaration
    of a name only)."""
    found: list[DependencyContribution] = []
    seen: set[str] = set()
    for dependency in declared:
        name = dependency.name
        if name is None or name in seen or name not in by_root:
            continue
        seen.add(name)
        members = by_root[name]
        shipping = [m for m in members if m.bytes]
        found.append(
            DependencyContribution(
                dependency,
                name,
                sum(m.bytes or 0 for m in members),
                sum(1 for m in shipping if m.name != name),
                all(m.bytes is not None for m in members),
            )
        )
    return found


# ---------------------------------------------------------------------------------------------
# Per App object


_ESTIMATES: dict[Path, tuple[App, int, SizeEstimate]] = {}


def cached_estimate(app: App) -> SizeEstimate:
    """:func:`estimate_artifact`, computed once per ``App`` object (the rules of one check and
    ``--verbose`` share it; an edit builds a new App, whose estimate reuses the memoised
    dependency part when the dependencies did not change), and again for the same object when
    a resolution landed since an estimate that had a problem (the server's re-check)."""
    landed = resolver.generation()
    with _LOCK:
        known = _ESTIMATES.get(app.root)
    if known is not None and known[0] is app and (known[1] == landed or not known[2].problems):
        return known[2]
    estimate = estimate_artifact(app)
    with _LOCK:
        remember_last(_ESTIMATES, app.root, (app, landed, estimate))
    return estimate


def computed_estimate(app: App) -> SizeEstimate | None:
    """The estimate :func:`cached_estimate` made for this ``App`` object, without making one."""
    with _LOCK:
        known = _ESTIMATES.get(app.root)
    return known[2] if known is not None and known[0] is app else None


def start_size_lookups(app: App) -> App:
    """Start the pip resolution (and wheel sizing) the estimate of ``app`` will need, without
    waiting, and return ``app``: a multi-app check resolves while it loads and checks the rest.
    Never raises."""
    try:
        if not app.uses_flash or app.config.offline or resolver.offline_by_default():
            return app
        declared = declared_dependencies(app)
        requirements = requirements_for_pip(
            declared, Exclusions(tuple(app.config.exclude_packages))
        )
        if requirements:
            resolver.start(request_for(app, requirements))
    except Exception:  # only an optimisation: the estimate asks again and reports problems
        log.debug("cannot start the size lookups of %s", app.root, exc_info=True)
    return app


def clear_caches() -> None:
    """Forget the estimates and dependency parts held in memory (tests)."""
    with _LOCK:
        _PARTS.clear()
        _ESTIMATES.clear()
