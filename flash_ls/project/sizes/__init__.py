"""How big the `flash build` artifact would be, without building it.

- :mod:`.shipped`: the project files the build ships, with their ``stat`` sizes;
- :mod:`.resolution`: the requirements the build hands to pip, resolved by pip itself for the
  target Python and platform, cached and run in the background;
- :mod:`.index`: the size and layout of every wheel of that install set, over HTTP;
- :mod:`.estimate`: the estimate (what dominates it, which exclusions make it fit);
- :mod:`.report`: ``.flash/size-report.json``, the build engine's record of a real install.

The report models (``SizeReport``, ``ReportFile``, ``ReportDistribution``) are reachable here and
imported on first use: they load pydantic, which a check of an app without a report never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flash_ls.project.sizes import estimate, index, report, resolution, shipped
from flash_ls.project.sizes.estimate import (
    SOURCE_PIP,
    SOURCE_REPORT,
    DependencyContribution,
    DependencySize,
    Group,
    SizeEstimate,
    cached_estimate,
    computed_estimate,
    estimate_artifact,
    format_size,
    plural,
    start_size_lookups,
)
from flash_ls.project.sizes.report import SIZE_REPORT_PATH, load_size_report, write_size_report
from flash_ls.project.sizes.resolution import (
    DeclaredDependency,
    Exclusions,
    declared_dependencies,
    native_platform,
    on_landed,
    set_background,
    target_python_version,
)
from flash_ls.project.sizes.shipped import ShippedFile, shipped_files

if TYPE_CHECKING:
    from flash_ls.project.size_report import ReportDistribution as ReportDistribution
    from flash_ls.project.size_report import ReportFile as ReportFile
    from flash_ls.project.size_report import SizeReport as SizeReport

__all__ = [
    "SIZE_REPORT_PATH",
    "SOURCE_PIP",
    "SOURCE_REPORT",
    "DeclaredDependency",
    "DependencyContribution",
    "DependencySize",
    "Exclusions",
    "Group",
    "ReportDistribution",
    "ReportFile",
    "ShippedFile",
    "SizeEstimate",
    "SizeReport",
    "cached_estimate",
    "clear_caches",
    "computed_estimate",
    "declared_dependencies",
    "estimate_artifact",
    "format_size",
    "load_size_report",
    "native_platform",
    "on_landed",
    "plural",
    "set_background",
    "shipped_files",
    "start_size_lookups",
    "target_python_version",
    "write_size_report",
]

_REPORT_MODELS = frozenset({"ReportFile", "ReportDistribution", "SizeReport"})

if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        """``sizes.SizeReport`` and the other report models, imported on first use (PEP 562)."""
        if name in _REPORT_MODELS:
            from flash_ls.project import size_report

            return getattr(size_report, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def clear_caches() -> None:
    """Forget everything held in memory: walks, reports, resolutions, wheel sizes, estimates
    (tests; disk caches stay, and jobs under way finish)."""
    shipped.clear_caches()
    report.clear_caches()
    resolution.clear_caches()
    index.clear_caches()
    estimate.clear_caches()
