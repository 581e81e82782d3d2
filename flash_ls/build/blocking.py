"""The findings that stop a build: light to import (``flash-ls manifest`` needs only this part)."""

from __future__ import annotations

from flash_ls.diagnostic import Diagnostic, Severity
from flash_ls.project.app import App
from flash_ls.project.evaluation import evaluate
from flash_ls.rules.engine import check_app

__all__ = ["blocking_findings"]

# Size estimates are superseded by the real sizes the build measures.
_ESTIMATE_RULES = ("artifact-too-large", "artifact-near-limit")
# Only the official build loses the configuration of an endpoint whose routes live in another
# module; flash-ls computes it from source (docs/compatibility.md, `deployment-config`).
_OFFICIAL_ONLY = ("routes-outside-declaring-module",)
# FL508 also reports the official handler's failure on sync functions with max_concurrency > 1.
_CONCURRENCY_RULE = "FL508"


def blocking_findings(app: App) -> list[Diagnostic]:
    """The error findings that stop a build (what ``flash-ls check`` reports as errors).

    Left out: the size estimates (the build measures the real artifact), FL508 on a sync
    function with ``max_concurrency > 1``, which breaks the official handler but not flash-ls's,
    and FL109, whose lost configuration flash-ls's build computes.
    """
    found = check_app(app, ignore=[*_ESTIMATE_RULES, *_OFFICIAL_ONLY])
    return [d for d in found if d.severity is Severity.ERROR and not _handled_concurrency(app, d)]


def _handled_concurrency(app: App, diagnostic: Diagnostic) -> bool:
    if diagnostic.code != _CONCURRENCY_RULE:
        return False
    for endpoint in app.endpoints:
        keyword = endpoint.decl.keyword("max_concurrency")
        if keyword is None or endpoint.decl.file.path != diagnostic.path:
            continue
        if diagnostic.span not in (keyword.span, keyword.value.span):
            continue
        value = evaluate(app, endpoint.decl.file, keyword.value)
        return isinstance(value, int) and not isinstance(value, bool) and value > 1
    return False
