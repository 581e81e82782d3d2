"""An emulator of the Runpod API on 127.0.0.1, for deploy tests (docs/emulator.md).

It serves what the official Flash CLI (runpod-flash 1.21.0) talks to: GraphQL at ``/graphql``
(every operation of runpod_flash/core/api/runpod.py, validated against schema.graphql), the
presigned artifact upload, the REST network-volume calls and the data-plane health check, from
an in-memory account. Tests script faults per operation, read the call log and compare state
snapshots::

    with RunpodEmulator() as api:
        subprocess.run(["flash", "deploy"], env={**os.environ, **api.env()}, ...)
        api.operations("graphql")      # ["getFlashAppByName", "createFlashApp", ...]
        api.snapshot(normalize=True)   # apps, environments, endpoints' saved fields, ...
        api.fail("saveEndpoint", "http500", times=1)

Run standalone with ``python -m tests.runpod_api --port N``.
"""

from .server import (
    CREATE_VOLUME,
    DEFAULT_API_KEY,
    DOWNLOAD,
    HEALTH,
    LIST_VOLUMES,
    REDACTED,
    UPLOAD,
    Call,
    Fault,
    RunpodEmulator,
    redact,
)
from .service import LB_PLATFORM_ENV, MAX_TARBALL_BYTES

__all__ = [
    "CREATE_VOLUME",
    "DEFAULT_API_KEY",
    "DOWNLOAD",
    "HEALTH",
    "LB_PLATFORM_ENV",
    "LIST_VOLUMES",
    "MAX_TARBALL_BYTES",
    "REDACTED",
    "UPLOAD",
    "Call",
    "Fault",
    "RunpodEmulator",
    "redact",
]
