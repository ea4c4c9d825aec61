"""Benchmark: job-photo uploads over tus (issue 4).

Starts the real server (uvicorn, its own SQLite database and evidence directory in a temporary
folder) and measures, for 5 MB photos over loopback:
  1. upload throughput with the tuspy client (one PATCH per photo, server-side verification,
     thumbnail and storage included, as the phone would wait for them);
  2. bytes re-sent after the connection is cut at 50 %, resuming from the server's offset with
     tuspy — goal: at most 5 % of the photo. Cut twice: closed after half the photo (all of it
     delivered), and reset (what sat in the socket buffers is lost, as when a phone loses signal).
     The half is sent at UPLINK_BYTES_PER_SECOND, as from a phone;
  3. CPU time per photo for validation + thumbnail (in this process, Pillow as the server uses it).

    .venv/bin/python bench/evidence_upload.py [--photos 8] [--megabytes 5]
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
from tusclient.client import TusClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.evidence import imaging  # noqa: E402
from tests.app_server import free_port, uvicorn_command  # noqa: E402
from tests.photos import big_jpeg  # noqa: E402

PASSWORD = "bench-password-1"
UPLINK_BYTES_PER_SECOND = 2_000_000  # a good 4G uplink (16 Mbit/s)
PIECE = 64 * 1024


def start_server(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "EVIDENCE_DIR": str(workdir / "evidence"),
        "APP_MODE": "production",
        "PUSH_WORKER": "0",
    }
    python = sys.executable
    subprocess.run(
        [python, "cli.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    subprocess.run(
        [
            python,
            "cli.py",
            "create-user",
            "bench",
            "--role",
            "technician",
            "--name",
            "压测",
            "--password-stdin",
        ],
        cwd=ROOT,
        env=env,
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen(
        uvicorn_command(port, "--log-level", "warning", "--no-access-log"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except requests.ConnectionError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def cut_at_half(url: str, token: str, data: bytes, reset: bool) -> tuple[str, int]:
    """Create an upload, send half the photo, then end the connection: closed (what was sent
    arrives, then the connection ends: the cut falls at 50 % of the bytes delivered) or reset (bytes
    still in the socket buffers are lost too). Returns (location, bytes the client had sent)."""
    created = requests.post(
        f"{url}/api/uploads/",
        headers={
            "Authorization": f"Bearer {token}",
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
        },
    )
    location = created.headers["location"]
    half = len(data) // 2
    host, port = url.removeprefix("http://").split(":")
    raw = socket.create_connection((host, int(port)))
    raw.sendall(
        f"PATCH {location} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {len(data)}\r\n\r\n".encode()
    )
    for start in range(0, half, PIECE):  # at a phone's uplink speed, not loopback's
        raw.sendall(data[start : min(start + PIECE, half)])
        time.sleep(PIECE / UPLINK_BYTES_PER_SECOND)
    if reset:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    raw.close()
    return location, half


def server_offset(url: str, token: str, location: str) -> int:
    """The offset once the server has finished with the cut request (it stops changing)."""
    last, stable = -1, 0
    while stable < 5:
        head = requests.head(
            f"{url}{location}",
            headers={"Authorization": f"Bearer {token}", "Tus-Resumable": "1.0.0"},
        )
        offset = int(head.headers["upload-offset"])
        stable = stable + 1 if offset == last else 0
        last = offset
        time.sleep(0.02)
    return last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--megabytes", type=float, default=5.0)
    args = parser.parse_args()
    photos = [big_jpeg(args.megabytes, seed=i) for i in range(args.photos)]
    sizes = [len(p) for p in photos]
    print(
        f"{args.photos} noisy JPEG photos, median {statistics.median(sizes) / 1e6:.2f} MB, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )

    with tempfile.TemporaryDirectory() as folder:
        server, url = start_server(Path(folder))
        try:
            token = requests.post(
                f"{url}/api/auth/login", json={"username": "bench", "password": PASSWORD}
            ).json()["token"]
            client = TusClient(f"{url}/api/uploads/", headers={"Authorization": f"Bearer {token}"})

            seconds = []
            for data in photos:
                start = time.perf_counter()
                client.uploader(file_stream=io.BytesIO(data)).upload()
                seconds.append(time.perf_counter() - start)
            per_photo = statistics.median(seconds)
            print(
                f"upload (tuspy, verified and stored): median {per_photo * 1000:.0f} ms per photo, "
                f"{statistics.median(sizes) / per_photo / 1e6:.1f} MB/s"
            )

            for reset, label in (
                (False, "connection closed at 50 %"),
                (True, "connection reset at 50 %"),
            ):
                resent = []
                for index in range(args.photos):
                    fresh = big_jpeg(
                        args.megabytes, seed=1000 * (1 + reset) + index
                    )  # no duplicates
                    location, sent = cut_at_half(url, token, fresh, reset)
                    kept = server_offset(url, token, location)
                    uploader = client.uploader(
                        file_stream=io.BytesIO(fresh), url=f"{url}{location}"
                    )
                    resumed_at = uploader.offset
                    assert kept == resumed_at
                    uploader.upload()
                    assert uploader.offset == len(fresh)
                    total_sent = sent + (len(fresh) - resumed_at)
                    resent.append((total_sent - len(fresh)) / len(fresh))
                print(
                    f"{label}: bytes re-sent median {statistics.median(resent) * 100:.2f} % "
                    f"(max {max(resent) * 100:.2f} %) of the photo; goal <= 5 %"
                )
        finally:
            server.terminate()
            server.wait(timeout=20)

    cpu = []
    for data in photos:
        start = time.process_time()
        imaging.verify(data, 50_000_000)
        imaging.capture(data, ZoneInfo("Asia/Shanghai"))
        cpu.append(time.process_time() - start)
    median_cpu = statistics.median(cpu)
    print(
        f"validation + thumbnail: median {median_cpu * 1000:.0f} ms CPU per photo "
        f"({median_cpu / per_photo * 100:.0f} % of the upload's wall time)"
    )


if __name__ == "__main__":
    main()
