"""FL514: arguments ``Endpoint(...)`` (or legacy ``remote(...)``) does not accept.

The arguments are read with ``endpoint_arguments`` (see there for how values are read and
where findings point).
"""

from __future__ import annotations

from collections.abc import Iterator

from flash_ls import platform as pf
from flash_ls.diagnostic import Fix, Severity, TextEdit
from flash_ls.project.app import App
from flash_ls.rules import app_api_values
from flash_ls.rules.endpoint_arguments import app_api_contexts, contexts, match_spelling
from flash_ls.rules.registry import Finding, FixAvailability, rule

# ---------------------------------------------------------------------------------------------
# FL514


@rule(
    "FL514",
    "unknown-endpoint-argument",
    Severity.ERROR,
    "Argument not accepted by Endpoint (or remote)",
    fix=FixAvailability.SOMETIMES,
    app_api=True,
)
def unknown_endpoint_argument(app: App) -> Iterator[Finding]:
    """
    ## What it does
    Finds keyword arguments that `Endpoint(...)` does not accept (for legacy `remote(...)`, the
    ones `remote` does not accept), and positional arguments after `name`.

    ## Why is this bad
    Python raises `TypeError: Endpoint.__init__() got an unexpected keyword argument` while the
    module is imported, so `flash build` fails. Only `name` may be positional.

    ## Example
    ```python
    @Endpoint(name="worker", idle_timout=120)   # FL514: did you mean idle_timeout?
    def work(): ...
    ```

    ## Fix
    Renames the keyword to the parameter it differs from only in case or `_` (`idleTimeout` ->
    `idle_timeout`); a closest-match guess for other typos is an unsafe fix.

    ## App API resources
    Also checks the keywords of `@app.queue/api/task(...)` (runpod 2.0) against the decorator's
    own parameters: another kind's (`max_concurrency` on `@app.api`, `model` or `workers` on
    `@app.task`) and runpod_flash's (`volume`, `template`, `python_version`, the note says what
    replaces them) raise `TypeError` when the module is imported.
    """
    for ctx in contexts(app):
        call = ctx.decl.call
        remote = ctx.is_remote
        accepted = pf.REMOTE_KEYWORDS if remote else pf.ENDPOINT_KEYWORDS
        callee = "remote()" if remote else "Endpoint"
        given = {kw.name for kw in call.keywords if kw.name is not None}
        for kw in call.keywords:
            if kw.name is None or kw.name in accepted:
                continue
            candidates = [a for a in accepted if not a.startswith("_")]
            suggestion, certain = match_spelling(kw.name, candidates)
            fix = None
            if suggestion is not None and suggestion not in given:
                fix = Fix(
                    f"Rename to {suggestion}=",
                    (TextEdit(ctx.file.path, kw.name_span, suggestion),),
                    safe=certain,
                )
            notes = [
                f"flash build fails with TypeError: {callee} got an unexpected keyword argument"
            ]
            if kw.name == "python_version" and not remote:
                notes.append(
                    "Endpoint has no python_version: use `flash build --python-version` for the "
                    "whole app"
                )
                fix = None
            elif suggestion is not None:
                notes.append(f"did you mean {suggestion!r}?")
            yield Finding(
                ctx.file.path,
                kw.name_span,
                f"unknown {callee} argument {kw.name!r} on {ctx.label}",
                fix=fix,
                notes=tuple(notes),
            )
        if not remote:
            for arg in call.args[1:]:
                yield Finding(
                    ctx.file.path,
                    arg.span,
                    f"extra positional argument to Endpoint on {ctx.label}",
                    notes=(
                        "only name can be positional: flash build fails with TypeError",
                        "pass the other settings as keywords",
                    ),
                )
    for ctx in app_api_contexts(app):
        yield from app_api_values.unknown_arguments(ctx)
