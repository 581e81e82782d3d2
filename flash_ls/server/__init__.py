"""The flash-ls language server (pygls): ``serve()`` runs it over stdio or TCP."""

from __future__ import annotations


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 2087) -> None:
    """Run the language server until the client disconnects (``stdio``) or forever (``tcp``)."""
    from flash_ls.server.server import serve as run

    run(transport, host, port)


__all__ = ["serve"]
