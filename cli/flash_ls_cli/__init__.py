"""The flash-ls command line (import name ``flash_ls_cli``): check, serve, build, deploy, rules."""
