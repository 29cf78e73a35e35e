"""The HTTP server under every fake service: threaded, keep-alive, closable mid-connection."""

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, as real APIs; every method goes to `serve`."""

    protocol_version = "HTTP/1.1"
    sys_version = ""
    timeout = 10  # an idle kept-alive connection is dropped after this
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on small answers
    server: "LoopbackServer"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no access log (and no personal data) in test output."""

    def do_GET(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    def do_DELETE(self) -> None:
        self.serve()

    def do_PUT(self) -> None:
        self.serve()

    def serve(self) -> None:
        raise NotImplementedError


class LoopbackServer(ThreadingHTTPServer):
    """Serves `fake` through `handler`; `server_close()` joins the handler threads.

    `fake` collects its own bugs in `fake.errors`, for the test to see.
    """

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[LoopbackHandler], fake: Any) -> None:
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads idling on kept-alive connections."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hung up (it timed out) is expected; anything else is a fake bug.
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, OSError):
            self.fake.errors.append(error)


class LoopbackFake:
    """A fake service's life cycle: start on a free loopback port, stop joining every thread.

    Subclasses say which request handler serves them (`handler_class`).
    """

    thread_name = "fake"

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        # Set while stopping: wakes handlers that were asked to delay their answer.
        self._stopping = threading.Event()
        self._httpd: LoopbackServer | None = None
        self._thread: threading.Thread | None = None

    def handler_class(self) -> type[LoopbackHandler]:
        raise NotImplementedError

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        self._httpd = LoopbackServer(("127.0.0.1", 0), self.handler_class(), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=self.thread_name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()  # joins the handler threads
        if thread is not None:
            thread.join()
        self._httpd = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """Where clients reach it (the API base URL they are configured with)."""
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    """A loopback port nothing listens on now: for a server to start, or to find closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
