"""``python -m flash_ls.server [--stdio | --tcp [HOST:]PORT]``."""

from __future__ import annotations

import argparse

from flash_ls.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m flash_ls.server", description="The flash-ls language server."
    )
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    parser.add_argument("--tcp", metavar="[HOST:]PORT", help="listen on a TCP port instead")
    args = parser.parse_args(argv)
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        serve("tcp", host or "127.0.0.1", int(port))
    else:
        serve("stdio")


if __name__ == "__main__":
    main()
