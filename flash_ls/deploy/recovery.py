"""Running a mutation: once, to completion, and from the state when its answer is lost.

A mutation is never retried blindly. When its outcome is unknown (a timeout or a dropped
connection after the request went out), ``recover`` re-reads the state: if the change is there
the flow goes on with it; if not, the deploy stops and a rerun continues from what exists.
A cancelled task lets an in-flight mutation finish before it stops, so the state it leaves is
one the next run can read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from flash_ls.deploy.client import ApiError, ApiKeyRejected, OutcomeUnknown
from flash_ls.deploy.errors import DeployError

log = logging.getLogger(__name__)

T = TypeVar("T")


async def mutate(
    what: str,
    call: Callable[[], Awaitable[T]],
    recover: Callable[[], Awaitable[T | None]] | None = None,
) -> T:
    """Run mutation ``call`` once; ``what`` names it in messages (``create environment dev``).

    Raises ``DeployError`` when it fails (``ApiKeyRejected`` passes through), and
    ``asyncio.CancelledError`` after the mutation finished when the task was cancelled.
    """
    task = asyncio.ensure_future(call())
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with contextlib.suppress(BaseException):
            await task  # the request is out: let it land before stopping
        raise
    except ApiKeyRejected:
        raise
    except OutcomeUnknown as err:
        if recover is not None:
            try:
                found = await recover()
            except ApiError as check:
                raise DeployError(
                    f"{what}: {err.message}; checking failed too ({check.message})", rerun=True
                ) from None
            if found is not None:
                log.info("%s: the answer was lost, the change was made", what)
                return found
            raise DeployError(f"{what}: {err.message}; it was not applied", rerun=True) from None
        raise DeployError(f"{what}: {err.message}; the outcome is unknown", rerun=True) from None
    except ApiError as err:
        raise DeployError(f"{what} failed: {err.message}", rerun=True) from None
