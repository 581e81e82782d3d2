"""Imports every rule family so that its rules register. Add a family module here
(tests/rules/test_families.py fails when a module that registers rules is missing)."""

import flash_ls.rules.analysis
import flash_ls.rules.app_api
import flash_ls.rules.app_api_resources
import flash_ls.rules.argument_names
import flash_ls.rules.budgets
import flash_ls.rules.datacenters
import flash_ls.rules.endpoint_dependencies
import flash_ls.rules.hardware
import flash_ls.rules.identity
import flash_ls.rules.package_reexports
import flash_ls.rules.routes
import flash_ls.rules.scaling
import flash_ls.rules.top_level_imports
import flash_ls.rules.usage
import flash_ls.rules.volumes
import flash_ls.rules.worker_environment  # noqa: F401
