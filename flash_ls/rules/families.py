"""Imports every rule family so that its rules register. Add a family module here."""

from flash_ls.rules import (  # noqa: F401
    analysis,
    budgets,
    config,
    identity,
    imports,
    routes,
    usage,
)
