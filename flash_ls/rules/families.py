"""Imports every rule family so that its rules register. Add a family module here
(tests/rules/test_families.py fails when a module that registers rules is missing)."""

import flash_ls.rules.analysis
import flash_ls.rules.budgets
import flash_ls.rules.config
import flash_ls.rules.identity
import flash_ls.rules.imports
import flash_ls.rules.routes
import flash_ls.rules.usage  # noqa: F401
