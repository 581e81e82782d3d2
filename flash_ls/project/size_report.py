"""``.flash/size-report.json``: the models of the size report the build engine writes.

Kept apart from :mod:`flash_ls.project.sizes` because they load pydantic: a check imports this
module only when an app has a report to read, and the build when it writes one. The classes are
also reachable as ``flash_ls.project.sizes.SizeReport`` (and ``ReportFile``,
``ReportDistribution``), imported on first use.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ReportFile(BaseModel):
    """One shipped project file of the build."""

    model_config = ConfigDict(extra="ignore")

    path: str
    """POSIX path relative to the app root."""
    bytes: int = Field(ge=0)


class ReportDistribution(BaseModel):
    """One distribution pip installed into the build directory."""

    model_config = ConfigDict(extra="ignore")

    name: str
    """As installed (``huggingface_hub``); compared after PEP 503 normalisation."""
    version: str | None = None
    bytes: int = Field(ge=0)
    """Bytes of its files in the build directory (bytecode excluded)."""
    excluded: bool = False
    """Dropped from the tarball (always-excluded packages and ``--exclude``)."""
    requires: list[str] | None = None
    """Its ``Requires-Dist`` lines, when the build read them (lets the report attribute
    transitive distributions to the requirement that pulled them in)."""
    tops: dict[str, int] | None = None
    """Bytes of its files per top-level entry of the build directory (``nvidia``, ``bin``), as
    installed, before exclusions; None when unknown."""


class SizeReport(BaseModel):
    """``.flash/size-report.json``: what the last build put in the artifact, written by the build
    engine and read back to size dependencies without a network or an environment."""

    model_config = ConfigDict(extra="ignore")

    version: Literal[1] = 1
    generated_at: datetime
    """UTC time of the build (ISO 8601)."""
    python_version: str
    """The target Python of the pip install (``"3.12"``)."""
    files: list[ReportFile] = Field(default_factory=list)
    distributions: list[ReportDistribution] = Field(default_factory=list)
    total_bytes: int = Field(ge=0)
    """Files plus non-excluded distributions, before compression."""
    requirements: list[str] | None = None
    """The requirement strings handed to pip, after exclusion filtering; None when unknown."""
    exclusions: list[str] = Field(default_factory=list)
    """The packages excluded on top of the torch family (``exclude-packages``, ``--exclude``)."""
    platform: str | None = None
    """The platform pip resolved for (``linux-x86_64``: the machine of the build); None when
    unknown (reports of older builds: taken as this machine's)."""
    archive_bytes: int | None = None
    """Size of the compressed tarball, when the build got that far."""
