"""``python -m tests.runpod_api [--port N] [--api-key KEY]``: serve until interrupted.

Prints the environment variables that point a client at it (one ``NAME=value`` a line, then a
``ready`` line), so a parent process (the VS Code end-to-end tests) can read them from stdout.
Each request is logged to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import DEFAULT_API_KEY, RunpodEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.runpod_api", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the account's API key")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated ids")
    parser.add_argument(
        "--auto-approve-login",
        action="store_true",
        help="approve `flash login` requests on their first status poll",
    )
    args = parser.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    emulator = RunpodEmulator(api_key=args.api_key, seed=args.seed, port=args.port)
    emulator.auto_approve_login = args.auto_approve_login
    with emulator:
        for key, value in emulator.env().items():
            print(f"{key}={value}")
        print("ready", flush=True)
        seen = 0

        def log_new_calls() -> None:
            nonlocal seen
            calls = emulator.calls
            for call in calls[seen:]:
                detail = f" fault={call.fault}" if call.fault else ""
                print(f"{call.method} {call.operation} -> {call.status}{detail}", file=sys.stderr)
            seen = len(calls)

        try:
            while not stop.wait(0.2):
                log_new_calls()
        except KeyboardInterrupt:
            pass
        log_new_calls()
    return 0


if __name__ == "__main__":
    sys.exit(main())
