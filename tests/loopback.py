"""A real HTTP server on 127.0.0.1 for tests, answering from a thread while started.

The test package index (package_index.py) and the Runpod API emulator (runpod_api/) are each a
:class:`LoopbackServer`: started and stopped with ``with`` (or :meth:`~LoopbackServer.start` and
:meth:`~LoopbackServer.stop`), on a port the OS picks unless one is given, at ``url`` while
running. A subclass makes the server itself (:meth:`~LoopbackServer._make_server`): its handler
class, and how the handler reaches the subclass's object.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import ClassVar, TypeVar

_Running = TypeVar("_Running", bound="LoopbackServer")


class LoopbackServer(ABC):
    """An HTTP server on 127.0.0.1, ``port`` (0: one the OS picks), while started.

    ``url`` is ``http://127.0.0.1:PORT`` once started (``""`` before). The server answers from a
    daemon thread; :meth:`stop` shuts it down and closes its socket.
    """

    kind: ClassVar[str] = "server"  # what the "already running" error calls it

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.url = ""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @abstractmethod
    def _make_server(self, address: tuple[str, int]) -> ThreadingHTTPServer:
        """A server bound to ``address``, its handler answering for this object."""

    def start(self: _Running) -> _Running:
        if self._server is not None:
            raise RuntimeError(f"the {self.kind} is already running")
        server = self._make_server(("127.0.0.1", self.port))
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_port}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def __enter__(self: _Running) -> _Running:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
