"""The rule registry: code, slug, default severity, doc and fix availability of every rule.

A rule is a function over an ``App`` that yields ``Finding``s; registering it with ``@rule`` makes it
known to the engine, the CLI (``flash-ls rules``), the docs generator and the server (hover, links).
The function's docstring is the rule's documentation (What it does / Why is this bad / Example / Fix).
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flash_ls.diagnostic import Fix, Related, Severity
from flash_ls.span import Span

if TYPE_CHECKING:
    from flash_ls.project.app import App


class FixAvailability(enum.Enum):
    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"
    SOMETIMES = "sometimes"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports; the engine adds code, slug and severity from the rule."""

    path: Path
    span: Span
    message: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    # For rules whose severity depends on the case (FL106, FL404, FL508).
    severity: Severity | None = None
    # Why it matters and what to do, beyond the one-line message (CLI `= note:` lines, LSP
    # related information at the finding itself).
    notes: tuple[str, ...] = ()


Check = Callable[["App"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    slug: str
    severity: Severity
    summary: str
    doc: str
    fix: FixAvailability
    check: Check
    # Whether it also checks the resources of the app API of ``runpod`` (runpod 2.0), so that it
    # runs on a project that only uses the app API (``engine.py``).
    app_api: bool = False

    @property
    def family(self) -> str:
        return self.code[:3]

    @property
    def doc_url(self) -> str:
        return f"{DOCS_BASE_URL}#{self.code.lower()}-{self.slug}"


DOCS_BASE_URL = "https://github.com/flash-ls/flash-ls/blob/main/docs/rules.md"

_RULES: dict[str, Rule] = {}


def rule(
    code: str,
    slug: str,
    severity: Severity,
    summary: str,
    *,
    fix: FixAvailability = FixAvailability.NONE,
    app_api: bool = False,
) -> Callable[[Check], Check]:
    """Register ``check`` as rule ``code``. Its docstring becomes the rule's documentation.

    ``app_api``: the rule also reports on app API resources (a FL1xx-FL6xx rule whose meaning
    carries over), so it runs on projects that use only the app API too.
    """

    def register(check: Check) -> Check:
        if code in _RULES:
            raise ValueError(f"rule {code} registered twice")
        doc = inspect.cleandoc(check.__doc__ or "")
        _RULES[code] = Rule(code, slug, severity, summary, doc, fix, check, app_api)
        return check

    return register


def all_rules() -> list[Rule]:
    """Every registered rule, ordered by code."""
    _load_families()
    return [_RULES[code] for code in sorted(_RULES)]


def lookup(code_or_slug: str) -> Rule | None:
    """Find a rule by code (``FL301``, case-insensitive) or slug (``top-level-import``)."""
    _load_families()
    key = code_or_slug.strip()
    found = _RULES.get(key.upper())
    if found is not None:
        return found
    for candidate in _RULES.values():
        if candidate.slug == key.lower():
            return candidate
    return None


def matches(selector: str, candidate: Rule) -> bool:
    """Whether a select/ignore entry (code, code prefix like ``FL3``, slug, or ``ALL``) names the rule."""
    key = selector.strip()
    if key.upper() == "ALL":
        return True
    if key.lower() == candidate.slug:
        return True
    return candidate.code.startswith(key.upper()) and key.upper().startswith("FL")


def is_known_selector(selector: str) -> bool:
    """Whether a selector names at least one rule (used to reject typos in config and flags)."""
    return any(matches(selector, r) for r in all_rules())


def _load_families() -> None:
    # Importing the family modules runs their @rule decorators.
    from flash_ls.rules import families  # noqa: F401
