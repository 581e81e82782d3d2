"""The libcst rewrite of one runpod_flash module into the app API (``flash_ls.fixes.migrate``).

``rewrite_module(text, app_name)`` first plans (``Planner``, ``migrate_plan.py``: every use of
a ``runpod_flash`` name must be one it knows how to map, or it becomes a reason), then, only when
nothing stands in the way, transforms (``Transformer``, ``migrate_transform.py``; the libcst
pieces both use are ``migrate_cst.py``). The mapping, per the rc2 facts:

- ``from runpod_flash import ...`` -> ``import runpod``; ``app = runpod.App("<app name>")`` after
  the module's imports.
- ``@Endpoint(...)`` on a module-level function, or ``ep = Endpoint(...)`` used once as ``@ep`` ->
  ``@app.queue(...)``. Keywords keep their names; enum members become the strings rc2 resolves to
  the same hardware (``GpuType.NVIDIA_L4`` -> ``"NVIDIA L4"``, ``GpuGroup.ADA_24`` -> ``"ADA_24"``,
  ``CpuInstanceType.CPU3C_1_2`` -> ``"cpu3c-1-2"``, ``DataCenter.EU_RO_1`` -> ``"EU-RO-1"``...);
  ``volume=`` becomes ``mounts={"/runpod-volume": ...}`` (the only endpoint mount path);
  ``workers`` is made explicit when absent (runpod_flash defaults to (0, 1), rc2 to (0, 3)).
- ``api = Endpoint(...)`` with ``@api.get/post/...("/path")`` functions -> an ``@app.api(...)``
  class whose methods carry ``@runpod.get/post/...("/path")`` (``self`` added; body methods also
  take the optional JSON ``body`` rc2 passes), when every handler takes no parameter: rc2 passes a
  route only its JSON body, never parameters by name, path or query (section 2.4).
- ``NetworkVolume(...)`` -> ``runpod.NetworkVolume(...)`` with runpod_flash's defaults made
  explicit (``size=100``, ``datacenter="EU-RO-1"``).
- Calls of a queue function in the module (``await fn(x)``) -> ``fn.remote.aio(x)``: rc2 handles
  are not callable, and ``.remote.aio`` returns the coroutine runpod_flash's call returned.
- ``if __name__ == "__main__":`` -> a ``@runpod.local_entrypoint`` function (what
  ``rp flash dev FILE`` runs; sync or async, run on its own thread).

Anything else that uses runpod_flash is a reason, and the module is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from flash_ls.fixes.migrate import Reason
from flash_ls.fixes.migrate_plan import Planner
from flash_ls.fixes.migrate_transform import Transformer
from flash_ls.span import Span


@dataclass(slots=True)
class Rewrite:
    text: str | None
    reasons: list[Reason] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)
    functions: dict[str, Span] = field(default_factory=dict)  # endpoint functions: def names


def rewrite_module(text: str, app_name: str) -> Rewrite:
    """The module rewritten for the app API, or no text and the reasons it does not migrate."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        span = Span.point(max(err.raw_line - 1, 0), max(err.raw_column, 0))
        return Rewrite(None, [Reason(span, "file does not parse")])
    planner = Planner(module, app_name)
    planner.plan()
    result = Rewrite(None, planner.reasons, planner.notes, planner.functions)
    if planner.reasons:
        return result
    if not planner.flash_imports:
        result.text = text
        return result
    result.text = module.visit(Transformer(planner)).code
    return result
