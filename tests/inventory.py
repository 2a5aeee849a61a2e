"""A real HTTP inventory service for the sample app's provisioner, that tests can
take down and bring back up on the same port."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class InventoryServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.lines: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict | None]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lines"

    def up(self) -> None:
        inventory = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                line = self.path.rsplit("/", 1)[-1]
                inventory.requests.append((method, line, body))
                if method == "PUT":
                    inventory.lines[line] = body
                else:
                    inventory.lines.pop(line, None)
                self.send_response(204)
                self.end_headers()

            def do_PUT(self) -> None:  # noqa: N802
                self._record("PUT")

            def do_DELETE(self) -> None:  # noqa: N802
                self._record("DELETE")

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
