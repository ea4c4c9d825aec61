"""A PostgreSQL server of a test's own, for faults that would break everybody else's runs on the
shared server (a restart): Debian's binaries, a data directory in a temporary folder, a free
loopback port, trust authentication. As root, the server runs as the `postgres` account (initdb
and postgres refuse root)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.app_server import free_port


def _bin_dir() -> Path:
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
    )
    if not versions:
        raise RuntimeError(
            "no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)"
        )
    return versions[-1].parent


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = free_port()
        # Not under the caller's temp dir: the server's account must be able to reach it.
        self.dir = Path(tempfile.mkdtemp(prefix="private-postgres-"))
        self.data = self.dir / "data"
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120
        )

    def _ctl(self, action: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-m",
            "fast",
            "-w",
            "-t",
            "60",
            "-o",
            options,
        )

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            )
        self._ctl("start")
        return self

    def restart(self, down_seconds: float = 0) -> None:
        """A fast shutdown (every connection is cut: clients see 'terminating connection due to
        administrator command'), `down_seconds` with no server, then the same server again."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
        time.sleep(down_seconds)
        self._ctl("start")

    def postmaster(self) -> int:
        """The server's process id (its first line of postmaster.pid)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
