"""The install set `flash build` would produce, resolved by pip itself, cached, in the background.

What the build hands to pip (section 3.5): ``requirements.txt`` lines and the literal
``dependencies=[...]`` lists, minus the requirements whose name (split as the build splits it, so
``torch~=2`` slips through) is excluded. pip resolves them as the build runs it (section 5.2)::

    <python> -m pip install --dry-run --ignore-installed --quiet --report <file> --target <tmp>
        --python-version <X.Y> --upgrade --platform manylinux_2_28_x86_64 ... --implementation cp
        --only-binary=:all: <requirements>

``<python>`` is the interpreter whose pip the build would use: ``[tool.flash-ls] python`` (or
``--python``), else the app's ``.venv``/``venv``/``env``, else the one running flash-ls. pip reads
its own configuration (index URLs, constraints), as it does in the build. pip evaluates
environment markers against the machine that runs it, the Python version included; with
``size-platform`` the marker values are replaced (a small bootstrap patches
``pip._vendor.packaging.markers.default_environment`` before pip's main runs) so the estimate
can be made for Linux x86_64 from macOS.

A resolution is cached on disk by everything that decides it (:meth:`ResolveRequest.key`) for
:data:`RESOLUTION_TTL`; a failure pip will repeat (a source-only package) for
:data:`FAILURE_TTL`; a failure of the moment (timeout, index unreachable) is not cached. Work runs
as *jobs*: one per key at a time in this process (and, through a lock file, across processes),
at most :data:`PIP_PROCESSES` pip processes at once, each job followed by the wheel sizes of
its install set (:mod:`flash_ls.project.sizes.index`). The language server never waits for a job
(:func:`set_background`): it re-checks when one lands (:func:`on_landed`); the CLI waits for it.
"""

from __future__ import annotations

import concurrent.futures
import configparser
import contextlib
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import platform as host
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from flash_ls import children, platform
from flash_ls.parse.facts import Literal, SequenceExpr
from flash_ls.project.app import App
from flash_ls.project.cache import write_cache_file
from flash_ls.project.endpoint_model import DeclForm
from flash_ls.project.requirements import (
    REQUIREMENTS_FILE,
    official_package_name,
    parse_requirement,
    requirement_of,
)
from flash_ls.project.sizes.index import WheelInfo, cached_wheel, sizes_cache_dir, wheel_infos
from flash_ls.span import Span

log = logging.getLogger(__name__)

RESOLUTION_TTL = 24 * 3600.0
"""A resolution is redone after a day: new releases change what pip picks."""
FAILURE_TTL = 3600.0
PIP_PROCESSES = 2
"""pip processes running at once (a cold resolution of an ML stack takes a minute of CPU)."""
OFFLINE_ENV = "FLASH_LS_OFFLINE"
"""``1``: every estimate uses the caches only (as ``offline = true``), e.g. in CI without network."""
_CACHE_VERSION = 1
_REPORT_FIELDS = ("name", "version", "requires_dist")

# Kinds of problems; transient ones are not cached and are retried by the next check.
PENDING = "pending"
OFFLINE = "offline"
TIMEOUT = "timeout"
UNREACHABLE = "unreachable"
NO_WHEEL = "no-wheel"
NO_PIP = "no-pip"
FAILED = "failed"
_TRANSIENT = frozenset({PENDING, OFFLINE, TIMEOUT, UNREACHABLE})


# ---------------------------------------------------------------------------------------------
# What the build hands to pip


@dataclass(frozen=True, slots=True)
class DeclaredDependency:
    """One requirement string the build collects, where it is written."""

    raw: str
    """The string as the build passes it to pip."""
    name: str | None
    """PEP 503 name; None when the string is not a valid requirement."""
    path: Path
    """``requirements.txt`` or the ``.py`` file with the ``dependencies=[...]`` list."""
    span: Span
    """The requirements.txt entry or the string literal in the list."""
    requirement: Requirement | None = field(default=None, compare=False)

    @property
    def official_name(self) -> str:
        """The name the build's pre-pip exclusion filter compares (``torch~=2`` stays unmatched)."""
        return official_package_name(self.raw)


def declared_dependencies(app: App) -> list[DeclaredDependency]:
    """The requirements `flash build` collects, in its order: ``requirements.txt`` lines, then the
    string literals of ``dependencies=[...]`` lists on recognised Endpoint/remote calls of shipped
    files (not through an alias, not an annotated assignment, not a bare call); a string repeated
    in one list counts once, at its first place."""
    found: list[DeclaredDependency] = []
    requirements_path = app.root / REQUIREMENTS_FILE
    for line in app.requirements:
        if line.is_option:
            continue
        found.append(
            DeclaredDependency(line.raw, line.name, requirements_path, line.span, line.requirement)
        )
    for endpoint in app.endpoints:
        decl = endpoint.decl
        if decl.via_alias or decl.annotated or decl.form is DeclForm.BARE:
            continue
        keyword = decl.call.keyword("dependencies")
        if keyword is None or not isinstance(keyword.value, SequenceExpr):
            continue
        if keyword.value.kind != "list":
            continue
        listed: set[str] = set()  # a string repeated in one list adds nothing for pip
        for item in keyword.value.items:
            if isinstance(item, Literal) and isinstance(item.value, str):
                if item.value in listed:
                    continue
                listed.add(item.value)
                name, _ = parse_requirement(item.value)  # cached, like the parse
                found.append(
                    DeclaredDependency(
                        item.value, name, decl.file.path, item.span, requirement_of(item.value)
                    )
                )
    return found


def pip_options(app: App) -> tuple[str, ...]:
    """pip options written in ``requirements.txt`` (``--extra-index-url URL``), as arguments."""
    options: list[str] = []
    for line in app.requirements:
        if line.is_option:
            with contextlib.suppress(ValueError):
                options.extend(shlex.split(line.raw, comments=True))
    return tuple(options)


def target_python_version(app: App) -> str:
    """The Python the build installs wheels for: the highest declared ``python_version``, else 3.12."""
    declared: list[str] = []
    for endpoint in app.endpoints:
        keyword = endpoint.decl.keyword("python_version")
        if keyword is None or not isinstance(keyword.value, Literal):
            continue
        value = keyword.value.value
        if isinstance(value, str) and value in platform.SUPPORTED_PYTHON_VERSIONS:
            declared.append(value)
    if not declared:
        return platform.DEFAULT_PYTHON_VERSION
    return max(declared, key=lambda v: tuple(int(p) for p in v.split(".")))


@dataclass(frozen=True, slots=True)
class Exclusions:
    """What the build leaves out: the torch family plus ``exclude-packages`` (``--exclude``)."""

    user: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        """Lower-cased names, as the pre-pip filter compares them."""
        return _excluded_names(self.user)

    def drops_requirement(self, dependency: DeclaredDependency) -> bool:
        """The build's pre-pip filter: the name split on ``< > = ! [ ;`` is excluded."""
        return dependency.official_name in self.names

    def strips(self, top: str) -> bool:
        """The build's tarball filter: a top-level entry named like an excluded package (lower
        case, ``-`` as ``_``), or the ``*.dist-info`` of one."""
        excluded = {platform.tarball_name(name) for name in self.names}
        if platform.tarball_name(top) in excluded:
            return True
        if top.endswith(".dist-info"):
            stem = top.removesuffix(".dist-info")
            found = re.search(r"-\d", stem)
            return platform.tarball_name(stem[: found.start()] if found else stem) in excluded
        return False


@functools.lru_cache(maxsize=64)  # asked once per declared requirement on every check
def _excluded_names(user: tuple[str, ...]) -> frozenset[str]:
    return frozenset({*platform.SIZE_PROHIBITIVE_PACKAGES, *(n.lower() for n in user)})


def requirements_for_pip(
    declared: Sequence[DeclaredDependency], exclusions: Exclusions
) -> tuple[str, ...]:
    """The requirement strings the build hands to pip: de-duplicated, excluded ones dropped."""
    kept: dict[str, None] = {}
    for dependency in declared:
        if not exclusions.drops_requirement(dependency):
            kept.setdefault(dependency.raw, None)
    return tuple(kept)


# ---------------------------------------------------------------------------------------------
# Whose pip, for which platform


_SYSTEMS = {"linux": "linux", "darwin": "macos", "win32": "windows"}


def native_platform() -> str:
    """This machine as a ``size-platform`` name (``linux-x86_64``, ``macos-arm64`` ...)."""
    return f"{_SYSTEMS.get(sys.platform, sys.platform)}-{host.machine().lower()}"


@dataclass(frozen=True, slots=True)
class Interpreter:
    """The Python whose pip resolves, and how messages name it."""

    path: Path
    label: str
    prefix: Path
    """Its installation or virtualenv directory (``<prefix>/pip.conf`` is pip's site config)."""


def _venv_python(venv: Path) -> Path:
    for candidate in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
        if candidate.exists():
            return candidate
    return venv / "bin" / "python"


def interpreter_for(app: App) -> Interpreter:
    """``[tool.flash-ls] python`` (an interpreter or a virtualenv, relative to the app root),
    else the app's ``.venv``, ``venv`` or ``env``, else the interpreter running flash-ls."""
    configured = app.config.python
    if configured:
        path = Path(os.path.expanduser(configured))
        if not path.is_absolute():
            path = app.root / path
        if path.is_dir():
            return Interpreter(_venv_python(path), f"the configured {configured}", path)
        return Interpreter(path, f"the configured {configured}", path.parent.parent)
    for name in (".venv", "venv", "env"):
        venv = app.root / name
        if (venv / "pyvenv.cfg").is_file():
            return Interpreter(_venv_python(venv), f"the app's {name}", venv)
    return Interpreter(Path(sys.executable), "flash-ls's Python", Path(sys.prefix))


# Replaces pip's marker environment, then runs pip's main: ``python -c BOOTSTRAP <json> args``.
BOOTSTRAP = """\
import json, runpy, sys
values = json.loads(sys.argv[1])
import pip._vendor.packaging.markers as markers
environment = dict(markers.default_environment(), **values)
def default_environment():
    return dict(environment)
markers.default_environment = default_environment
try:
    import pip._internal.models.installation_report as report
    report.default_environment = default_environment
except ImportError:
    pass
sys.argv = ["pip", *sys.argv[2:]]
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""


# ---------------------------------------------------------------------------------------------
# The request and its key


@dataclass(frozen=True, slots=True)
class ResolveRequest:
    """Everything a pip resolution of an app's requirements depends on."""

    requirements: tuple[str, ...]
    options: tuple[str, ...]
    python_version: str
    platform: str
    """The ``size-platform`` the markers are evaluated for."""
    native: bool
    """``platform`` is this machine's: pip runs as it is, markers unchanged."""
    interpreter: Interpreter
    cwd: Path
    timeout: float
    key: str = field(default="", compare=False)
    """Hash of the requirements, options, target Python, platform, interpreter and its pip
    (path, file stamp, pip version) and pip's configuration (files and ``PIP_*``)."""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", _key(self))

    @property
    def platform_label(self) -> str:
        """``linux-x86_64 (this machine)`` or ``linux-x86_64``."""
        return f"{self.platform} (this machine)" if self.native else self.platform

    def command(self, report: Path, target: Path) -> list[str]:
        """The pip command line (the bootstrap when the markers are replaced)."""
        python = str(self.interpreter.path)
        if self.native:
            head = [python, "-m", "pip"]
        else:
            head = [
                python,
                "-c",
                BOOTSTRAP,
                json.dumps(dict(platform.SIZE_PLATFORMS[self.platform])),
            ]
        args = ["install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report)]
        args += ["--target", str(target), "--python-version", self.python_version, "--upgrade"]
        for tag in platform.PIP_PLATFORMS:
            args += ["--platform", tag]
        args += ["--implementation", platform.PIP_IMPLEMENTATION, "--only-binary=:all:"]
        args += ["--disable-pip-version-check", "--no-input", "--progress-bar", "off"]
        return [*head, *args, *self.options, *self.requirements]


def request_for(app: App, requirements: Sequence[str]) -> ResolveRequest:
    """The resolution of ``requirements`` for ``app`` (its interpreter, platform and timeout)."""
    native = native_platform()
    wanted = app.config.size_platform or native
    return ResolveRequest(
        requirements=tuple(requirements),
        options=pip_options(app),
        python_version=target_python_version(app),
        platform=wanted,
        native=wanted == native,
        interpreter=interpreter_for(app),
        cwd=app.root,
        timeout=app.config.size_timeout,
    )


def _key(request: ResolveRequest) -> str:
    return _digest(
        request.requirements,
        request.options,
        request.python_version,
        request.platform if not request.native else f"native:{request.platform}",
        json.dumps(_environment(request.interpreter, request.cwd)),
    )


@functools.lru_cache(maxsize=64)  # a request is made on every keystroke, nearly always the same
def _digest(
    requirements: tuple[str, ...],
    options: tuple[str, ...],
    python: str,
    platform_key: str,
    environment: str,
) -> str:
    parts = {
        "version": _CACHE_VERSION,
        "requirements": requirements,
        "options": options,
        "python": python,
        "platform": platform_key,
        "environment": json.loads(environment),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


_ENVIRONMENT_SECONDS = 2.0
_ENVIRONMENTS: dict[tuple[object, ...], tuple[float, list[object]]] = {}
_ENVIRONMENTS_LOCK = threading.Lock()


def _environment(interpreter: Interpreter, cwd: Path) -> list[object]:
    """What a resolution depends on besides the request: the interpreter (path, size, stamp),
    its pip's version and pip's configuration. Reading them takes about a millisecond of file
    reads, so an answer is kept for :data:`_ENVIRONMENT_SECONDS` (a request is made on every
    keystroke); the ``PIP_*`` variables are part of the memo's key, so they count at once."""
    variables = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith("PIP_")))
    memo_key = (interpreter.path, interpreter.prefix, cwd, variables)
    now = time.monotonic()
    with _ENVIRONMENTS_LOCK:
        known = _ENVIRONMENTS.get(memo_key)
    if known is not None and now - known[0] < _ENVIRONMENT_SECONDS:
        return known[1]
    try:
        st = interpreter.path.stat()
        stamp: object = [str(interpreter.path.resolve()), st.st_size, st.st_mtime_ns]
    except OSError:
        stamp = [str(interpreter.path), None, None]
    found: list[object] = [
        stamp,
        _pip_version(interpreter),
        _pip_config_fingerprint(interpreter.prefix, cwd),
    ]
    with _ENVIRONMENTS_LOCK:
        if len(_ENVIRONMENTS) >= 64:
            _ENVIRONMENTS.clear()
        _ENVIRONMENTS[memo_key] = (now, found)
    return found


def _pip_version(interpreter: Interpreter) -> str | None:
    """The version of the interpreter's pip, read from disk (never by running it)."""
    if interpreter.path == Path(sys.executable):
        try:
            return importlib.metadata.version("pip")
        except importlib.metadata.PackageNotFoundError:
            return None
    for pattern in (
        "lib/python3*/site-packages/pip-*.dist-info",
        "Lib/site-packages/pip-*.dist-info",
    ):
        for found in sorted(interpreter.prefix.glob(pattern)):
            return found.name.removesuffix(".dist-info").partition("-")[2]
    return None


_PATH_SETTINGS = frozenset({"constraint", "constraints", "requirement", "find-links", "find_links"})


def _pip_config_fingerprint(prefix: Path, cwd: Path) -> str:
    """A hash of what pip's configuration may say: every configuration file pip can read on any
    system (global, user, site, ``PIP_CONFIG_FILE``), the ``PIP_*`` variables, and the files
    and ``--find-links`` directories they point at (a new constraint changes the resolution)."""
    home = Path.home()
    env = os.environ
    candidates = [
        Path("/etc/pip.conf"),
        *(Path(d) / "pip" / "pip.conf" for d in env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")),
        home / ".pip" / "pip.conf",
        Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf",
        home / "Library" / "Application Support" / "pip" / "pip.conf",
        Path("/Library/Application Support/pip/pip.conf"),
        prefix / "pip.conf",
        prefix / "pip.ini",
    ]
    for variable in ("APPDATA", "PROGRAMDATA"):
        if env.get(variable):
            candidates.append(Path(env[variable]) / "pip" / "pip.ini")
    if env.get("PIP_CONFIG_FILE"):
        candidates.append(Path(env["PIP_CONFIG_FILE"]))
    digest = hashlib.sha256()
    pointed: list[str] = []
    for candidate in candidates:
        try:
            data = candidate.read_bytes()
        except OSError:
            continue
        digest.update(f"{candidate}\0".encode() + data + b"\0")
        parser = configparser.RawConfigParser(strict=False)
        with contextlib.suppress(configparser.Error, UnicodeDecodeError):
            parser.read_string(data.decode("utf-8"))
            for section in parser.sections():
                for key, value in parser.items(section):
                    if key in _PATH_SETTINGS:
                        pointed.extend(value.split())
    for key, value in sorted(env.items()):
        if key.upper().startswith("PIP_"):
            digest.update(f"{key}={value}\0".encode())
            if key.upper().removeprefix("PIP_").lower().replace("_", "-") in _PATH_SETTINGS:
                pointed.extend(value.split())
    for item in pointed:
        path = Path(item.removeprefix("file://"))
        path = path if path.is_absolute() else cwd / path
        with contextlib.suppress(OSError):
            if path.is_dir():
                digest.update("\0".join(sorted(os.listdir(path))).encode())
            else:
                digest.update(path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class ResolvedDistribution:
    """One distribution of pip's install set."""

    name: str
    """PEP 503 name."""
    display: str
    """As its metadata spells it (``PyYAML``)."""
    version: str
    url: str
    """The file pip would download (``download_info.url``)."""
    requested: bool
    """Named by one of the requirements handed to pip."""
    requires: tuple[str, ...]
    """Its ``Requires-Dist`` lines."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a resolution is missing or incomplete, for a note."""

    kind: str
    message: str
    package: str | None = None

    @property
    def transient(self) -> bool:
        """A problem of the moment (pending, offline, timeout, index unreachable)."""
        return self.kind in _TRANSIENT


@dataclass(frozen=True, slots=True)
class Resolution:
    """What pip said: the install set, or the problem that stopped it."""

    distributions: tuple[ResolvedDistribution, ...]
    environment: Mapping[str, str]
    """The marker values pip evaluated (from its report)."""
    problem: Problem | None
    made: float
    """``time.time()`` when pip ran."""

    @property
    def expired(self) -> bool:
        ttl = FAILURE_TTL if self.problem is not None else RESOLUTION_TTL
        return time.time() - self.made > ttl


@dataclass(frozen=True)
class Outcome:
    """A request's resolution as far as it is known now, with the wheels' sizes."""

    request: ResolveRequest
    resolution: Resolution | None
    wheels: Mapping[str, WheelInfo | str] = field(default_factory=dict)
    """Wheel URL -> its size and layout, or why it is unknown."""
    problem: Problem | None = None
    """Why ``resolution`` is missing (pending, offline ...) or failed."""

    @property
    def pending(self) -> bool:
        """A job is under way: a later check will know more (the server re-checks)."""
        return self.problem is not None and self.problem.kind == PENDING


def parse_report(data: Mapping[str, object]) -> tuple[list[ResolvedDistribution], dict[str, str]]:
    """The install set and marker environment of a pip ``--report`` (version 1)."""
    found = []
    install = data.get("install")
    for item in install if isinstance(install, list) else []:
        metadata = item.get("metadata", {})
        download = item.get("download_info", {})
        found.append(
            ResolvedDistribution(
                name=canonicalize_name(str(metadata["name"])),
                display=str(metadata["name"]),
                version=str(metadata["version"]),
                url=str(download.get("url", "")),
                requested=bool(item.get("requested")),
                requires=tuple(str(r) for r in metadata.get("requires_dist") or ()),
            )
        )
    environment = data.get("environment")
    markers = (
        {str(k): str(v) for k, v in environment.items()} if isinstance(environment, dict) else {}
    )
    return found, markers


_NO_MATCH = re.compile(r"No matching distribution found for\s+(\S+)")
_NETWORK = re.compile(
    r"Could not fetch URL|NewConnectionError|Max retries exceeded|Connection refused|"
    r"Network is unreachable|Temporary failure in name resolution|timed out|"
    r"Failed to establish a new connection|ProxyError|SSLError",
    re.IGNORECASE,
)


def classify_failure(output: str, request: ResolveRequest) -> Problem:
    """What a failed pip run means, from its output."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    last = next(
        (line for line in reversed(lines) if line.startswith("ERROR:")), lines[-1] if lines else ""
    )
    if "No module named pip" in output:
        return Problem(NO_PIP, f"pip is not installed in {request.interpreter.label}")
    missing = _NO_MATCH.search(output)
    if _NETWORK.search(output):
        return Problem(UNREACHABLE, "pip could not reach the package index")
    if missing:
        package = missing.group(1).rstrip(")")
        return Problem(
            NO_WHEEL,
            f"no wheel of {package} for CPython {request.python_version} on "
            f"{platform.PIP_PLATFORM_LABEL}: flash build will fail to install it (it installs "
            "wheels only)",
            package,
        )
    if "ResolutionImpossible" in output or "conflict" in output.lower():
        return Problem(FAILED, "pip finds no versions that satisfy every requirement")
    return Problem(FAILED, f"pip failed: {last.removeprefix('ERROR:').strip()[:120]}")


# ---------------------------------------------------------------------------------------------
# The cache


_MEMO: dict[str, Resolution] = {}
_LOCK = threading.RLock()


def _cache_file(key: str, suffix: str = ".json") -> Path:
    return sizes_cache_dir() / f"resolutions-{_CACHE_VERSION}" / f"{key}{suffix}"


def cached_resolution(key: str) -> Resolution | None:
    """The resolution stored for ``key`` (memory, then disk), expired or not."""
    with _LOCK:
        found = _MEMO.get(key)
    if found is not None:
        return found
    try:
        data = json.loads(_cache_file(key).read_text(encoding="utf-8"))
        problem = data.get("problem")
        found = Resolution(
            tuple(
                ResolvedDistribution(**{**item, "requires": tuple(item["requires"])})
                for item in data["distributions"]
            ),
            dict(data["environment"]),
            Problem(**problem) if problem else None,
            float(data["made"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with _LOCK:
        _MEMO[key] = found
    return found


def _store(key: str, resolution: Resolution) -> None:
    """Keep a resolution, unless its problem is of the moment (a timeout is not an answer)."""
    if resolution.problem is not None and resolution.problem.transient:
        return
    data = {
        "distributions": [dataclasses.asdict(d) for d in resolution.distributions],
        "environment": dict(resolution.environment),
        "problem": None if resolution.problem is None else dataclasses.asdict(resolution.problem),
        "made": resolution.made,
    }
    write_cache_file(_cache_file(key), json.dumps(data).encode("utf-8"))
    with _LOCK:
        _MEMO[key] = resolution


# ---------------------------------------------------------------------------------------------
# Running pip


_PIP_SLOTS = threading.BoundedSemaphore(PIP_PROCESSES)


def run_pip(request: ResolveRequest) -> Resolution:
    """Resolve ``request`` with pip now (blocking, at most ``request.timeout`` seconds)."""
    made = time.time()
    with tempfile.TemporaryDirectory(prefix="flash-ls-resolve-") as scratch:
        report = Path(scratch) / "report.json"
        command = request.command(report, Path(scratch) / "target")
        env = dict(os.environ)
        env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        env.setdefault("PYTHONIOENCODING", "utf-8")
        try:
            process = subprocess.Popen(
                command,
                cwd=request.cwd if request.cwd.is_dir() else None,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        except OSError as exc:
            problem = Problem(NO_PIP, f"cannot run {request.interpreter.label}: {exc.strerror}")
            return Resolution((), {}, problem, made)
        # Daemon job threads die with the process; the pip processes they started go with them.
        with children.tracked(process):
            try:
                output, _ = process.communicate(timeout=request.timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                problem = Problem(TIMEOUT, f"pip did not finish within {request.timeout:g} s")
                return Resolution((), {}, problem, made)
        text = output.decode("utf-8", "replace")
        if process.returncode != 0 or not report.is_file():
            log.debug("pip failed (%s):\n%s", process.returncode, text)
            return Resolution((), {}, classify_failure(text, request), made)
        try:
            distributions, environment = parse_report(json.loads(report.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            return Resolution((), {}, Problem(FAILED, f"unreadable pip report: {exc}"), made)
        return Resolution(tuple(distributions), environment, None, made)


@contextlib.contextmanager
def _process_lock(key: str) -> Iterator[None]:
    """Hold ``<key>.lock`` so that another flash-ls process waits instead of running the same
    pip resolution (POSIX; elsewhere only this process's jobs are deduplicated)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    path = _cache_file(key, ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Jobs


_JOBS: dict[str, concurrent.futures.Future[Outcome]] = {}
_LISTENERS: list[Callable[[], None]] = []
_ANNOUNCED: set[str] = set()
_RECENT: dict[str, tuple[float, Outcome]] = {}  # key -> a failure of the moment, and when
_WANTED: dict[Path, str] = {}  # app root -> the key its last estimate asked for (background)
_RETRY_SECONDS = 60.0  # a failure of the moment is not retried sooner (not once per keystroke)
_SETTLE_SECONDS = 1.0  # background: requirements being typed change before pip would start
_background = False
_generation = 0
_notice: Callable[[str], None] | None = None


def set_background(enabled: bool) -> None:
    """Never wait for a job (the language server: diagnostics do not wait on pip or the network;
    :func:`on_landed` tells when a job's answer is there)."""
    global _background
    _background = enabled


def on_landed(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener()`` (from a job's thread) each time a job finishes; returns the function
    that stops it."""
    with _LOCK:
        _LISTENERS.append(listener)

    def stop() -> None:
        with _LOCK:
            if listener in _LISTENERS:
                _LISTENERS.remove(listener)

    return stop


def set_waiting_notice(notice: Callable[[str], None] | None) -> None:
    """Tell ``notice(message)`` when a check is about to wait for pip (the CLI says so on
    stderr: a cold resolution of an ML stack takes a minute)."""
    global _notice
    _notice = notice


def generation() -> int:
    """Bumped whenever a job finishes: estimates made while one was under way are stale."""
    return _generation


def offline_by_default() -> bool:
    """``FLASH_LS_OFFLINE`` is set to a true value."""
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def resolve(request: ResolveRequest, *, offline: bool) -> Outcome:
    """The outcome of ``request``: from the caches when they know it (``offline``: whatever they
    know, expired or not); else from a job (started unless one is under way, or one failed for a
    reason of the moment less than :data:`_RETRY_SECONDS` ago), waited for unless the process runs
    in the background, where the outcome is pending (or the expired resolution, while a new one
    is made)."""
    key = request.key
    resolution = cached_resolution(key)
    if resolution is not None:
        outcome = _with_cached_wheels(request, resolution)
        if offline or (_sized(outcome) and not resolution.expired):
            return outcome
    elif offline:
        return Outcome(request, None, problem=Problem(OFFLINE, "offline, and no cached resolution"))
    with _LOCK:
        recent = _RECENT.get(key)
        if _background:
            _WANTED[request.cwd] = key
    if recent is not None and _still_failing(recent, request):
        return dataclasses.replace(recent[1], request=request)
    job = _job(request, key)
    if _background and not job.done():
        if resolution is not None and resolution.expired:
            return _with_cached_wheels(request, resolution)
        pending = Problem(PENDING, "pip is resolving the dependencies")
        return Outcome(request, resolution, _cached_wheels(resolution), pending)
    notice = _notice
    if notice is not None and not job.done() and key not in _ANNOUNCED:
        _ANNOUNCED.add(key)
        notice(
            f"resolving the dependencies of {request.cwd.name} with pip, for "
            f"{request.platform_label}; once a day (--offline skips it)"
        )
    try:
        return job.result(timeout=request.timeout + 60.0)
    except concurrent.futures.TimeoutError:
        return Outcome(request, None, problem=Problem(TIMEOUT, "the resolution timed out"))


def _still_failing(recent: tuple[float, Outcome], request: ResolveRequest) -> bool:
    """A recent failure of the moment stands, unless it was a timeout and more time is given."""
    when, outcome = recent
    if time.monotonic() - when >= _RETRY_SECONDS:
        return False
    problem = outcome.problem
    return not (
        problem is not None
        and problem.kind == TIMEOUT
        and request.timeout > outcome.request.timeout
    )


def _sized(outcome: Outcome) -> bool:
    return all(isinstance(info, WheelInfo) for info in outcome.wheels.values())


def start(request: ResolveRequest) -> None:
    """Start the job ``request`` needs unless the caches answer it; never waits."""
    key = request.key
    resolution = cached_resolution(key)
    fresh = resolution is not None and not resolution.expired
    if fresh and resolution is not None and _sized(_with_cached_wheels(request, resolution)):
        return
    _job(request, key)


def _cached_wheels(resolution: Resolution | None) -> dict[str, WheelInfo | str]:
    wheels: dict[str, WheelInfo | str] = {}
    for distribution in resolution.distributions if resolution is not None else ():
        info = cached_wheel(distribution.url)
        wheels[distribution.url] = info if info is not None else "its size is not cached"
    return wheels


def _with_cached_wheels(request: ResolveRequest, resolution: Resolution) -> Outcome:
    return Outcome(request, resolution, _cached_wheels(resolution), resolution.problem)


def _job(request: ResolveRequest, key: str) -> concurrent.futures.Future[Outcome]:
    with _LOCK:
        job = _JOBS.get(key)
        if job is not None and not job.done():
            return job
        job = _JOBS[key] = concurrent.futures.Future()
    thread = threading.Thread(
        target=_run_job, args=(request, key, job), name="flash-ls-resolve", daemon=True
    )
    thread.start()
    return job


def _run_job(request: ResolveRequest, key: str, job: concurrent.futures.Future[Outcome]) -> None:
    global _generation
    try:
        outcome = _resolve_and_size(request, key)
    except Exception as exc:  # a bug must not leave the job hanging
        log.exception("resolving the dependencies of %s failed", request.cwd)
        outcome = Outcome(request, None, problem=Problem(FAILED, f"internal error: {exc}"))
    unsized = outcome.resolution is not None and not _sized(outcome)
    with _LOCK:
        _generation += 1
        if _JOBS.get(key) is job:
            del _JOBS[key]
        problem = outcome.problem
        if unsized or (problem is not None and problem.transient and problem.kind != PENDING):
            _RECENT[key] = (time.monotonic(), outcome)
        listeners = list(_LISTENERS)
    job.set_result(outcome)
    for listener in listeners:
        try:
            listener()
        except Exception:
            log.exception("a size listener failed")


def _resolve_and_size(request: ResolveRequest, key: str) -> Outcome:
    started = time.monotonic()
    resolution = cached_resolution(key)
    if resolution is None or resolution.expired:
        if _background:
            time.sleep(_SETTLE_SECONDS)
        superseded = Outcome(request, None, problem=Problem(PENDING, "superseded by an edit"))
        if _unwanted(key):
            return superseded
        with _PIP_SLOTS, _process_lock(key):
            if _unwanted(key):  # edited again while it waited for a pip slot
                return superseded
            resolution = _fresh(key)  # another process may have resolved it meanwhile
            if resolution is None:
                resolution = run_pip(request)
                _store(key, resolution)
    if resolution.problem is not None and resolution.problem.transient:
        return Outcome(request, None, problem=resolution.problem)
    remaining = max(5.0, request.timeout - (time.monotonic() - started))
    wheels = wheel_infos([d.url for d in resolution.distributions], timeout=min(30.0, remaining))
    return Outcome(request, resolution, wheels, resolution.problem)


def _unwanted(key: str) -> bool:
    """In the background, no app's last estimate asks for ``key`` any more (its requirements
    were edited meanwhile): the job is abandoned before pip runs."""
    with _LOCK:
        return _background and key not in _WANTED.values()


def _fresh(key: str) -> Resolution | None:
    with _LOCK:
        _MEMO.pop(key, None)
    found = cached_resolution(key)
    return None if found is None or found.expired else found


def clear_caches() -> None:
    """Forget what is held in memory (tests; the disk cache stays, jobs under way finish)."""
    with _LOCK:
        _MEMO.clear()
        _JOBS.clear()
        _RECENT.clear()
        _WANTED.clear()
    with _ENVIRONMENTS_LOCK:
        _ENVIRONMENTS.clear()
