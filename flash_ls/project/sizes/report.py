"""``.flash/size-report.json``: reading and writing the report the build engine writes.

The models (``SizeReport``, ``ReportFile``, ``ReportDistribution``) live in
:mod:`flash_ls.project.size_report`, with pydantic: imported when a report is read or built,
never by a check of an app without one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls.platform import PROJECT_DIR
from flash_ls.project.cache import replace_file

if TYPE_CHECKING:
    from flash_ls.project.size_report import SizeReport

SIZE_REPORT_PATH = f"{PROJECT_DIR}/size-report.json"
"""Where the build engine writes its report, relative to the app root."""

_REPORT_CACHE: dict[Path, tuple[tuple[int, int], SizeReport | None, str | None]] = {}
_LOCK = threading.Lock()


def report_stamp(app_root: Path) -> tuple[int, int] | None:
    """``(mtime_ns, size)`` of the app's report; None when there is none."""
    try:
        st = (app_root / SIZE_REPORT_PATH).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load_size_report(app_root: Path) -> tuple[SizeReport | None, str | None]:
    """The app's size report and, when it exists but cannot be used, why (never raises)."""
    path = app_root / SIZE_REPORT_PATH
    stamp = report_stamp(app_root)
    if stamp is None:
        return None, None
    with _LOCK:
        cached = _REPORT_CACHE.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    report: SizeReport | None = None
    problem: str | None = None
    try:
        data = path.read_bytes()
    except OSError as exc:
        problem = f"{SIZE_REPORT_PATH} cannot be read: {exc.strerror or exc}"
    else:
        from pydantic import ValidationError

        from flash_ls.project import size_report

        try:
            report = size_report.SizeReport.model_validate_json(data)
        except ValidationError as exc:
            problem = (
                f"{SIZE_REPORT_PATH} is not a valid size report ({exc.error_count()} problems);"
                " rebuild"
            )
    with _LOCK:
        _REPORT_CACHE[path] = (stamp, report, problem)
    return report, problem


def write_size_report(app_root: Path, report: SizeReport) -> Path:
    """Write ``report`` to ``app_root/.flash/size-report.json`` atomically; returns the path."""
    path = app_root / SIZE_REPORT_PATH
    replace_file(path, (report.model_dump_json(indent=2) + "\n").encode("utf-8"))
    return path


def clear_caches() -> None:
    """Forget the reports read (tests)."""
    with _LOCK:
        _REPORT_CACHE.clear()
