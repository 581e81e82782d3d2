"""Dependencies: collect them, leave out excluded packages, pip-install for the workers, prune.

Requirements are the entries of ``requirements.txt`` and the ``dependencies`` of every endpoint
(section 3.5), installed with the official platform flags (section 5.2) into a directory that goes
into the artifact. Excluded packages (torch, torchvision, torchaudio, triton, ``--exclude``) are
removed twice: from the requirements before pip runs, and from the installed tree afterwards, so a
package that another one pulls in transitively is not shipped either.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path
from typing import IO

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from flash_ls import children, platform
from flash_ls.build.errors import BuildError
from flash_ls.build.values import where
from flash_ls.progress import Progress
from flash_ls.project.app import App
from flash_ls.project.evaluation import Unknown, evaluate
from flash_ls.project.requirements import official_package_name

PIP_TIMEOUT_SECONDS = 600
BUNDLED = canonicalize_name(platform.SDK_DISTRIBUTION)
_POLL_SECONDS = 0.1
_FAILED_PACKAGE = re.compile(
    r"(?:No matching distribution found for|satisfies the requirement)\s+(\S+)"
)


@dataclass
class Requirements:
    """What goes to pip, what was left out, and what the user should hear about."""

    install: list[str] = field(default_factory=list)
    """Requirement strings handed to pip, in collection order, de-duplicated."""
    options: list[list[str]] = field(default_factory=list)
    """pip options from ``requirements.txt`` (``--extra-index-url URL``, ``-r other.txt``)."""
    excluded: list[str] = field(default_factory=list)
    """Requirement strings left out because their package is excluded or bundled."""
    exclusions: frozenset[str] = frozenset()
    """Normalised names removed from the artifact (always-excluded and ``--exclude``)."""
    user_exclusions: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)


def exclusion_names(user: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """All excluded distribution names (normalised) and the user's own, as given."""
    given = tuple(p.strip() for p in user if p.strip())
    names = {canonicalize_name(p) for p in platform.SIZE_PROHIBITIVE_PACKAGES}
    names.update(canonicalize_name(p) for p in given)
    return frozenset(names), given


def requirement_name(text: str) -> str:
    """The normalised distribution name of a requirement string (PEP 508, else the SDK's split)."""
    try:
        return canonicalize_name(Requirement(text.strip()).name)
    except InvalidRequirement:
        return canonicalize_name(official_package_name(text) or text.strip())


def collect_requirements(app: App, user_exclusions: Iterable[str] = ()) -> Requirements:
    """``requirements.txt`` entries, then each endpoint's ``dependencies``, filtered."""
    exclusions, given = exclusion_names(user_exclusions)
    result = Requirements(exclusions=exclusions, user_exclusions=given)
    raw: list[str] = []
    for line in app.requirements:
        if line.is_option:
            result.options.append(shlex.split(line.raw, comments=True))
        else:
            raw.append(line.raw)
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.file.path.name == "__init__.py":
            continue  # the official extraction skips __init__.py files
        expr = decl.keyword("dependencies")
        if expr is None:
            continue
        source, followed = app.resolve_constant(decl.file, expr.value)
        value = evaluate(app, source, followed)
        if value is None:
            continue
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            raw.extend(str(v) for v in value)
            continue
        if isinstance(value, (list, tuple)):
            raw.extend(str(v) for v in value if isinstance(v, str))
        shown = value.text if isinstance(value, Unknown) else expr.value.text
        result.warnings.append(
            f"{where(decl.file, expr.value)}: dependencies `{shown}` are not all known without "
            "running the code; only the literal strings are installed"
        )
    seen: set[str] = set()
    for text in raw:
        if text in seen:
            continue
        seen.add(text)
        name = requirement_name(text)
        if name in exclusions or name == BUNDLED:
            result.excluded.append(text)
        else:
            result.install.append(text)
    return result


# -- installing -----------------------------------------------------------------------------------


def pip_command(
    target: Path, requirements: Requirements, python_version: str, no_deps: bool
) -> list[str]:
    """The pip (or, without pip, uv) command line that installs ``requirements`` into ``target``."""
    options = [arg for option in requirements.options for arg in option]
    if importlib.util.find_spec("pip") is not None:
        cmd = [sys.executable, "-m", "pip", "install", "--target", str(target)]
        cmd += ["--python-version", python_version, "--upgrade"]
        for tag in platform.PIP_PLATFORMS:
            cmd += ["--platform", tag]
        cmd += ["--implementation", platform.PIP_IMPLEMENTATION, "--only-binary=:all:"]
        cmd += [
            "--no-compile",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
        ]
    else:
        uv = shutil.which("uv")
        if uv is None:
            raise BuildError(
                f"cannot install dependencies: neither pip ({sys.executable} -m pip) nor uv is available"
            )
        cmd = [uv, "pip", "install", "--target", str(target), "--python-version", python_version]
        cmd += ["--upgrade", "--python-platform", platform.UV_PLATFORM, "--no-build"]
    if no_deps:
        cmd.append("--no-deps")
    return [*cmd, *options, *requirements.install]


def install(
    app_root: Path,
    target: Path,
    requirements: Requirements,
    python_version: str,
    *,
    no_deps: bool,
    progress: Progress,
) -> None:
    """Run pip; ``BuildError`` naming the package when it fails, ``Cancelled`` when asked to stop."""
    if not requirements.install:
        return
    target.mkdir(parents=True, exist_ok=True)
    cmd = pip_command(target, requirements, python_version, no_deps)
    env = dict(os.environ)
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    out: list[str] = []
    err: list[str] = []
    try:
        process = subprocess.Popen(
            cmd,
            cwd=app_root,  # ``-r other.txt`` in requirements.txt is relative to the app
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        raise BuildError(f"cannot run pip: {exc}") from exc
    readers = [
        threading.Thread(target=_drain, args=(process.stdout, out), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, err), daemon=True),
    ]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + PIP_TIMEOUT_SECONDS
    reported = 0
    try:
        with children.tracked(process):
            while process.poll() is None:
                if time.monotonic() > deadline:
                    raise BuildError(f"pip install timed out after {PIP_TIMEOUT_SECONDS} seconds")
                progress.check_cancelled()
                reported = _report(out, reported, progress)
                time.sleep(_POLL_SECONDS)
    except BaseException:  # BuildError, Cancelled, KeyboardInterrupt: pip must not outlive us
        process.kill()
        process.wait()
        raise
    for reader in readers:
        reader.join(timeout=5)
    _report(out, reported, progress)
    if process.returncode != 0:
        raise BuildError(_install_failure("".join(err) or "".join(out), python_version))


def _drain(stream: IO[str] | None, sink: list[str]) -> None:
    if stream is not None:
        sink.extend(stream)


def _report(lines: list[str], done: int, progress: Progress) -> int:
    current = len(lines)
    for line in lines[done:current]:
        text = line.strip()
        if text.startswith(("Collecting ", "Processing ", "Resolved ")):
            progress.advance(0, text)
    return current


def _install_failure(output: str, python_version: str) -> str:
    tail = "\n".join(line for line in output.strip().splitlines()[-12:] if line.strip())
    failed = _FAILED_PACKAGE.search(output)
    if failed:
        package = failed.group(1).rstrip(")")
        return (
            f"dependency install failed: no installable wheel of '{package}' for CPython "
            f"{python_version} on {platform.PIP_PLATFORM_LABEL} (the build installs binary wheels "
            f"only)\n{tail}"
        )
    return f"dependency install failed (pip):\n{tail}"


# -- the installed tree ---------------------------------------------------------------------------


@dataclass
class InstalledDistribution:
    """One ``*.dist-info`` in the install directory, with the files it owns there."""

    name: str  # as its metadata spells it
    version: str | None
    files: list[str]  # POSIX paths relative to the install directory
    bytes: int
    requires: list[str]
    excluded: bool = False
    tops: dict[str, int] = field(default_factory=dict)
    """Bytes of its files per top-level entry of the install directory, as installed."""

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)


def _record_path(entry: str) -> str | None:
    """A RECORD entry relative to the ``--target`` directory (scripts land in ``bin/``)."""
    joined = os.path.normpath(os.path.join("lib", "python", entry))
    if joined.startswith("lib" + os.sep + "python" + os.sep):
        return Path(joined).relative_to(Path("lib", "python")).as_posix()
    if joined.startswith("bin" + os.sep):
        return Path(joined).as_posix()
    return None


def installed_distributions(
    target: Path, exclusions: frozenset[str]
) -> list[InstalledDistribution]:
    """The distributions pip installed into ``target``, sorted by name."""
    found: list[InstalledDistribution] = []
    if not target.is_dir():
        return found
    for info in sorted(target.glob("*.dist-info")):
        try:
            metadata = Parser().parsestr(
                (info / "METADATA").read_text(encoding="utf-8", errors="replace")
            )
        except OSError:
            continue
        name = metadata.get("Name") or info.name.split("-", 1)[0]
        files: set[str] = {f"{info.name}/{p.name}" for p in info.iterdir() if p.is_file()}
        # An unreadable RECORD leaves the files listed in the dist-info directory itself.
        with (
            contextlib.suppress(OSError),
            (info / "RECORD").open(encoding="utf-8", newline="") as handle,
        ):
            for row in csv.reader(handle):
                rel = _record_path(row[0]) if row else None
                if rel is not None:
                    files.add(rel)
        present = sorted(f for f in files if (target / f).is_file() and not _is_bytecode(f))
        tops: dict[str, int] = {}
        for rel in present:
            top = rel.split("/", 1)[0]
            tops[top] = tops.get(top, 0) + (target / rel).stat().st_size
        size = sum(tops.values())
        key = canonicalize_name(name)
        found.append(
            InstalledDistribution(
                name=name,
                version=metadata.get("Version"),
                files=present,
                bytes=size,
                requires=metadata.get_all("Requires-Dist") or [],
                excluded=key in exclusions or key == BUNDLED,
                tops=tops,
            )
        )
    return found


def _is_bytecode(rel: str) -> bool:
    return "__pycache__/" in rel or rel.endswith((".pyc", ".pyo"))


def prune(
    target: Path, distributions: Sequence[InstalledDistribution], exclusions: frozenset[str]
) -> set[str]:
    """Delete excluded (and the bundled runpod-flash) distributions from the install directory;
    returns the excluded names that matched a top-level entry.

    Files are taken from each distribution's RECORD, which also catches import names that differ
    from the distribution name; top-level entries named like an excluded package go too (the
    official tarball filter: ``exclude-packages = ["nvidia"]`` drops the ``nvidia/`` directory
    that the nvidia-* CUDA wheels share), also for distributions installed without a RECORD.
    The ``bytes`` of each distribution that is not excluded is then what is left of it.
    """
    doomed = {canonicalize_name(n) for n in exclusions} | {BUNDLED}
    for dist in distributions:
        if not dist.excluded:
            continue
        for rel in dist.files:
            path = target / rel
            if path.is_file() or path.is_symlink():
                path.unlink()
    matched: set[str] = set()
    if target.is_dir():
        for entry in sorted(target.iterdir()):
            stem = entry.name.split("-", 1)[0] if entry.name.endswith(".dist-info") else entry.name
            stem = canonicalize_name(stem.removesuffix(".py"))
            if stem in doomed:
                matched.add(stem)
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        _remove_empty_dirs(target)
    for dist in distributions:
        if not dist.excluded:
            dist.bytes = sum(size for top, size in dist.tops.items() if (target / top).exists())
    return matched


def _remove_empty_dirs(root: Path) -> None:
    for directory, _, _ in sorted(os.walk(root, topdown=False), key=lambda w: -len(w[0])):
        path = Path(directory)
        if path != root and not any(path.iterdir()):
            path.rmdir()


def unmatched_exclusions(
    requirements: Requirements,
    distributions: Sequence[InstalledDistribution],
    pruned: Iterable[str] = (),
) -> list[str]:
    """User ``--exclude`` names that matched neither a requirement, an installed package nor a
    top-level entry of the install directory (``pruned``, as :func:`prune` returns it)."""
    matched = {requirement_name(r) for r in requirements.excluded}
    matched.update(d.key for d in distributions)
    matched.update(pruned)
    return [
        name
        for name in requirements.user_exclusions
        if canonicalize_name(name) not in matched
        and canonicalize_name(name)
        not in {canonicalize_name(p) for p in platform.SIZE_PROHIBITIVE_PACKAGES}
    ]
