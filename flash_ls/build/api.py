"""``build_app``: the whole build, shared by ``flash-ls build`` and the server's ``flash.build``.

Steps (each reported through ``Progress``): ``check`` (error findings block the build), ``discover``
(resources and manifest, from source), ``install`` (pip, for the workers' platform), ``package``
(handlers, the bundled SDK, the reproducible tarball and the size report). Outputs land in the
app's ``.flash/`` directory like the official build's: ``flash_manifest.json``, the artifact and
``size-report.json``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, Field

from flash_ls import platform
from flash_ls.build import deps
from flash_ls.build.blocking import blocking_findings
from flash_ls.build.errors import BuildError, app_api_only
from flash_ls.build.files import ShippedFile, shipped_files, source_fingerprint
from flash_ls.build.handlers import handler_files, resource_config_source
from flash_ls.build.lock import AppBusy, app_lock
from flash_ls.build.manifest import BuildPlan, build_plan, manifest_json, utc_timestamp
from flash_ls.build.runtime import BundledRuntime, find_runtime
from flash_ls.build.tarball import Entry, overlay, real_size, tree_entries, write_artifact
from flash_ls.progress import Progress
from flash_ls.project.app import App
from flash_ls.project.encoding import SourceDecodeError, decode_source
from flash_ls.project.sizes import (
    SIZE_REPORT_PATH,
    ReportDistribution,
    ReportFile,
    SizeReport,
    format_size,
    native_platform,
    write_size_report,
)

__all__ = [
    "AppBusy",
    "BuildError",
    "BuildOptions",
    "BuildResult",
    "app_lock",
    "blocking_findings",
    "build_app",
]

REQUIREMENTS_FILE = "requirements.txt"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
MAX_CONTENT_BYTES = platform.MAX_TARBALL_SIZE_MB * platform.BYTES_PER_MB


class BuildOptions(BaseModel):
    """The official ``flash build`` flags."""

    no_deps: bool = False
    """Install the requirements without their own dependencies (``pip --no-deps``)."""
    output: str = platform.DEFAULT_ARCHIVE_NAME
    """Archive file name inside ``.flash/``."""
    exclude: list[str] = Field(default_factory=list)
    """Packages to leave out of the artifact, on top of torch, torchvision, torchaudio, triton
    and the app's ``exclude-packages``."""
    python_version: str | None = None
    """Target Python of the workers; default: declared by the resources, else 3.12."""


class BuildResult(BaseModel):
    """Where the build wrote its outputs, and what the user should know."""

    manifest_path: str
    artifact_path: str
    size_bytes: int
    size_report_path: str
    warnings: list[str] = Field(default_factory=list)
    duration_s: float


def build_app(
    app: App, options: BuildOptions, progress: Progress, *, locked: bool = False
) -> BuildResult:
    """Build ``app``: manifest, handlers, dependencies and artifact, written under ``.flash/``.

    The app's lock (``lock.app_lock``) is held for the build unless ``locked`` says the caller
    holds it already (a deploy). Raises ``BuildError`` with a message (and the findings, when the
    app's own errors block it; ``AppBusy`` when another build or deploy of the app is running),
    or ``flash_ls.progress.Cancelled`` when ``progress`` is cancelled.
    """
    started = time.perf_counter()
    _check(app, progress)  # an app that cannot build leaves no .flash/ behind
    if locked:
        return _build(app, options, progress, started)
    with app_lock(app.root, "build"):
        return _build(app, options, progress, started)


def _check(app: App, progress: Progress) -> None:
    progress.step("check")
    if not app.files:
        raise BuildError(f"No Python files found in {app.root}")
    other_sdk = app_api_only(app)
    if other_sdk is not None:
        raise BuildError(other_sdk)
    errors = blocking_findings(app)
    if errors:
        count = "1 error" if len(errors) == 1 else f"{len(errors)} errors"
        verb = "blocks" if len(errors) == 1 else "block"
        raise BuildError(f"{count} in {app.name} {verb} the build", errors)
    unsaved = _unsaved(app)
    if unsaved:
        raise BuildError(
            f"save {', '.join(unsaved)} first: the editor's text differs from the file on disk"
        )
    progress.check_cancelled()


def _build(app: App, options: BuildOptions, progress: Progress, started: float) -> BuildResult:
    output_name = _output_name(options.output)
    warnings: list[str] = []

    progress.step("discover")
    plan = build_plan(app, python_version=options.python_version)
    warnings.extend(plan.warnings)
    files, withheld = shipped_files(app)
    warnings.extend(f"not shipped, looks like a credential: {item}" for item in withheld)
    source_date = _source_date(app, files)
    manifest = plan.manifest(
        utc_timestamp(datetime.fromtimestamp(source_date, timezone.utc)), source_fingerprint(files)
    )
    manifest_text = manifest_json(manifest)
    runtime = find_runtime(app.root, app.environ)
    progress.check_cancelled()

    flash_dir = app.root / platform.PROJECT_DIR
    flash_dir.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".build-", dir=flash_dir))
    try:
        progress.step("install")
        exclusions = [*app.config.exclude_packages, *options.exclude]
        requirements = deps.collect_requirements(app, exclusions)
        warnings.extend(requirements.warnings)
        target = workdir / "deps"
        deps.install(
            app.root,
            target,
            requirements,
            plan.python_version,
            no_deps=options.no_deps,
            progress=progress,
        )
        installed = deps.installed_distributions(target, requirements.exclusions)
        pruned = deps.prune(target, installed, requirements.exclusions)
        unmatched = deps.unmatched_exclusions(requirements, installed, pruned)
        if unmatched:
            warnings.append(f"No packages matched exclusions: {', '.join(sorted(unmatched))}")
        progress.check_cancelled()

        entries = _entries(files, plan, manifest_text, target, runtime)
        progress.step("package", total=len(entries))
        report = _size_report(files, installed, runtime, requirements, plan.python_version)
        total = real_size(entries)
        output = flash_dir / output_name
        if total > MAX_CONTENT_BYTES:
            # The limit is on the compressed archive (as the upload enforces it), so this only warns.
            warnings.append(
                f"the artifact's content is {format_size(total)} uncompressed, more than the "
                f"{platform.MAX_TARBALL_SIZE_MB} MB archive limit; it builds only if it compresses below it"
            )
        try:
            size = write_artifact(output, entries, mtime=int(source_date), progress=progress)
        except BuildError as too_large:
            write_size_report(app.root, report)
            raise BuildError(f"{too_large.message}. {_largest(report)}") from None
        report.archive_bytes = size
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    manifest_path = flash_dir / platform.MANIFEST_FILE
    _write_text(manifest_path, manifest_text)
    report_path = write_size_report(app.root, report)
    return BuildResult(
        manifest_path=str(manifest_path),
        artifact_path=str(output),
        size_bytes=size,
        size_report_path=str(report_path),
        warnings=warnings,
        duration_s=round(time.perf_counter() - started, 3),
    )


def _output_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise BuildError(f"--output must be a file name inside .flash/, got {name!r}")
    if not name.endswith(ARCHIVE_SUFFIXES):
        raise BuildError(
            f"--output must end with .tar.gz or .tgz (flash deploy uploads only those), got {name!r}"
        )
    return name


def _unsaved(app: App) -> list[str]:
    """Shipped files whose editor text differs from the disk (the build ships the disk)."""
    found = []
    for source in app.sources(shipped_only=True):
        if source.text is None:
            continue
        try:
            disk: str | None = decode_source(source.path.read_bytes())
        except OSError:
            continue
        except SourceDecodeError:
            disk = None  # undecodable on disk: the editor's text differs from it
        if disk != source.text:
            found.append(source.rel)
    return found


def _source_date(app: App, files: Sequence[ShippedFile]) -> float:
    """``SOURCE_DATE_EPOCH`` when set, else the newest shipped file: the artifact's only clock."""
    given = app.environ.get("SOURCE_DATE_EPOCH") or os.environ.get("SOURCE_DATE_EPOCH")
    if given and given.strip().isdigit():
        return float(given.strip())
    newest = 0.0
    for item in files:
        try:
            newest = max(newest, item.path.stat().st_mtime)
        except OSError:
            continue
    return newest or time.time()


def _entries(
    files: Sequence[ShippedFile],
    plan: BuildPlan,
    manifest_text: str,
    deps_dir: Path,
    runtime: BundledRuntime,
) -> dict[str, Entry]:
    """The artifact's files, layered as the official build directory ends up.

    Project files, then the generated manifest and handlers, then installed packages, then the
    bundled SDK: each layer replaces what an earlier one put under the same top-level name.
    """
    entries: dict[str, Entry] = {}
    for item in files:
        entries[item.rel] = Entry.file(item.path)
    requirements = entries.get(REQUIREMENTS_FILE)
    if requirements is not None and requirements.path is not None:
        entries[REQUIREMENTS_FILE] = Entry.text(_without_sdk(requirements.path))
    generated = {platform.MANIFEST_FILE: Entry.text(manifest_text)}
    generated.update({name: Entry.text(text) for name, text in handler_files(plan).items()})
    overlay(entries, generated)
    overlay(entries, tree_entries(deps_dir))
    bundled = {rel: Entry.file(path) for rel, path in runtime.files()}
    bundled[platform.RESOURCE_CONFIG_PATH] = Entry.text(resource_config_source(plan))
    overlay(entries, bundled)
    return entries


def _without_sdk(path: Path) -> str:
    """``requirements.txt`` as shipped: runpod-flash lines dropped (the SDK is bundled)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    sdk = (platform.SDK_MODULE, platform.SDK_DISTRIBUTION)
    kept = [line for line in lines if not line.strip().lower().startswith(sdk)]
    return "\n".join(kept) + "\n"


def _size_report(
    files: Sequence[ShippedFile],
    installed: Sequence[deps.InstalledDistribution],
    runtime: BundledRuntime | None,
    requirements: deps.Requirements,
    python_version: str,
) -> SizeReport:
    report_files = []
    for item in files:
        try:
            size = item.path.stat().st_size
        except OSError:
            continue
        report_files.append(ReportFile(path=item.rel, bytes=size))
    distributions = [
        ReportDistribution(
            name=dist.name,
            version=dist.version,
            bytes=dist.bytes,
            excluded=dist.excluded,
            requires=dist.requires,
            tops=dist.tops,
        )
        for dist in installed
        if dist.key != deps.BUNDLED
    ]
    if runtime is not None:
        bundled_bytes = sum(path.stat().st_size for _, path in runtime.files())
        distributions.append(
            ReportDistribution(
                name=platform.SDK_DISTRIBUTION, version=runtime.version, bytes=bundled_bytes
            )
        )
    distributions.sort(key=lambda d: d.name.lower())
    total = sum(f.bytes for f in report_files) + sum(
        d.bytes for d in distributions if not d.excluded
    )
    # The bundled SDK satisfies runpod-flash requirements: list them as installed.
    handed = [
        *requirements.install,
        *(r for r in requirements.excluded if deps.requirement_name(r) == deps.BUNDLED),
    ]
    return SizeReport(
        generated_at=datetime.now(timezone.utc),
        python_version=python_version,
        files=report_files,
        distributions=distributions,
        total_bytes=total,
        requirements=handed,
        exclusions=list(requirements.user_exclusions),
        platform=native_platform(),
    )


def _largest(report: SizeReport) -> str:
    biggest = sorted(
        [(d.bytes, f"{d.name} (package)") for d in report.distributions if not d.excluded]
        + [(f.bytes, f.path) for f in report.files],
        reverse=True,
    )[:3]
    listing = ", ".join(f"{label} {format_size(size)}" for size, label in biggest)
    return (
        f"Largest: {listing}. torch, torchvision, torchaudio and triton are always left out; use "
        "--exclude for other large packages and keep large files out of the app (.gitignore). "
        f"Details: {SIZE_REPORT_PATH}"
    )


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
