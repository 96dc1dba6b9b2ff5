"""Serving the web face on the researcher's own machine: 127.0.0.1 only, with a random token in the URL."""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from qualcode.errors import UsageError
from qualcode.web import security

HOST = "127.0.0.1"  # never another interface: transcripts must not leave the machine
THREADS = 4


@dataclass(frozen=True)
class Running:
    """A server that listens: its URL (with the token) and the waitress server to run or close."""

    url: str
    port: int
    server: Any
    closing: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        """Serve until :meth:`close` (from another thread) or Ctrl-C."""
        try:
            self.server.run()
        except (OSError, ValueError):  # the socket closed under the loop: expected after close()
            if not self.closing.is_set():
                raise

    def close(self) -> None:
        """Stop: let the requests being served finish (a few seconds at most), then close the socket."""
        self.closing.set()
        self.server.task_dispatcher.shutdown(timeout=5)
        self.server.close()


def start(project_path: str | Path, *, port: int = 0, coder: str | None = None, study: str | None = None,
          token: str | None = None) -> Running:
    """Bind the server (``port`` 0: a free one) without serving yet; UsageError when the port is taken."""
    from waitress.server import BaseWSGIServer, create_server

    from qualcode.web.app import create_app

    token = token or security.new_token()
    app = create_app(project_path, token=token, coder=coder, study=study)
    try:
        server = create_server(app, host=HOST, port=port, threads=THREADS, ident="qualcode")
    except OSError as exc:
        raise UsageError(f"port {port} on {HOST} cannot be used ({exc.strerror or exc}); "
                         "pass another with --port N, or --port 0 for a free one") from None
    # One host and port give one listening socket, never a MultiSocketServer.
    if not isinstance(server, BaseWSGIServer) or server.socket is None:
        raise TypeError(f"waitress gave a {type(server).__name__} without one socket for one address")
    bound = int(server.socket.getsockname()[1])
    return Running(f"http://{HOST}:{bound}/?{security.TOKEN_PARAM}={token}", bound, server)


def serve(project_path: str | Path, *, port: int = 0, coder: str | None = None, study: str | None = None,
          announce: Callable[[str], None] = print) -> None:
    """Serve until interrupted (Ctrl-C), announcing the URL first."""
    running = start(project_path, port=port, coder=coder, study=study)
    announce(running.url)
    try:
        running.run()
    finally:
        running.close()


def free_port() -> int:
    """A port that is free now (for tests that start a server in a thread)."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])
