"""Deploy engine: the Runpod API client, the payloads a deploy sends, the plan (what changes),
the deploy flow, apps and environments, and the state kept under ``.flash/``.

Front ends (the CLI, the language server) call ``flow.deploy_app`` and the functions of
``environments`` with a ``flash_ls.progress.Progress``; nothing here imports typer, rich or pygls.
"""
