"""Starting the app on loopback, for the tests and the benches alike: a free port, and the
uvicorn command line."""

from __future__ import annotations

import socket
import sys


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def uvicorn_command(port: int, *args: str, app: str = "app:app") -> list[str]:
    """The app under uvicorn on loopback. An open event stream (GET /api/events) would hold a
    graceful shutdown forever: 2 s, then it is cut."""
    return [
        *(sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)),
        *("--timeout-graceful-shutdown", "2", *args),
    ]
