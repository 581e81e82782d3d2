"""``python -m flash_ls ...`` runs the CLI (``python -m flash_ls serve`` starts the server)."""

from flash_ls_cli.main import main

main()
