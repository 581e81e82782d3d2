"""Loaded by every Python process the deploy tests start (this directory is on their PYTHONPATH).

Blocks, and writes to ``$FLASH_TEST_NETWORK_LOG``, any name lookup or connection to a host that
is not this machine, so a test proves that nothing leaves it (even where a network exists).
"""

import importlib.abc
import importlib.util
import os
import socket
import sys

_LOG = os.environ.get("FLASH_TEST_NETWORK_LOG")
_LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::"}


def _local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    return host is None or host in _LOCAL


def _refuse(what: str) -> None:
    if _LOG:
        with open(_LOG, "a") as log:
            log.write(f"{os.getpid()} {what}\n")


_getaddrinfo = socket.getaddrinfo
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if not _local(host):
        _refuse(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"network disabled by the test guard: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


def _check(sock: socket.socket, address: object) -> None:
    inet = sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple)
    if inet and not _local(address[0]):  # type: ignore[index]
        _refuse(f"connect {address!r}")
        raise OSError(101, f"network disabled by the test guard: {address!r}")


def _guarded_connect(self, address):  # type: ignore[no-untyped-def]
    _check(self, address)
    return _connect(self, address)


def _guarded_connect_ex(self, address):  # type: ignore[no-untyped-def]
    _check(self, address)
    return _connect_ex(self, address)


def _guard_aiodns(module) -> None:  # type: ignore[no-untyped-def]
    """aiohttp resolves through aiodns (c-ares, not Python sockets) when it is installed."""
    resolver = module.DNSResolver
    for name in ("getaddrinfo", "gethostbyname", "query", "query_dns"):
        original = getattr(resolver, name, None)
        if original is None:
            continue

        def guarded(self, host, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            if not _local(host):
                _refuse(f"aiodns {host!r}")
                raise OSError(101, f"network disabled by the test guard: {host!r}")
            return _original(self, host, *args, **kwargs)

        setattr(resolver, name, guarded)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Runs _guard_aiodns once aiodns is imported."""

    def find_spec(self, name, path, target=None):  # type: ignore[no-untyped-def]
        if name != "aiodns":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_guard(module):  # type: ignore[no-untyped-def]
            exec_module(module)
            _guard_aiodns(module)

        spec.loader.exec_module = exec_and_guard  # type: ignore[method-assign]
        return spec


if _LOG:
    sys.meta_path.insert(0, _AfterImport())
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
