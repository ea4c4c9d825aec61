"""Fixtures of the evidence tests: a private evidence directory, a real server for the tus client,
a real S3 emulator."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import settings as config
from tests.app_server import free_port


@pytest.fixture
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """EVIDENCE_DIR for this test alone (local blob store)."""
    path = tmp_path / "evidence"
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, evidence_dir=path))
    return path


def stored_files(root: Path) -> list[str]:
    """Every file under the evidence directory, relative: what a failure must not leave behind."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


class LiveServer:
    """The app under uvicorn on a loopback port, in a thread (the tus client speaks real HTTP)."""

    def __init__(self) -> None:
        import uvicorn

        from app import create_app

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                create_app(),
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                lifespan="on",
                proxy_headers=False,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 120  # generous: a loaded machine starts slowly
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture
def live(db, evidence_dir) -> Iterator[LiveServer]:
    with LiveServer() as server:
        yield server


@pytest.fixture
def s3(evidence_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """moto's S3 as a real server on loopback, and the app configured to store photos there."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    endpoint = f"http://127.0.0.1:{port}"
    # moto keeps its buckets per process, not per server: an earlier test's (the branch day's
    # photos) would still be there. Start empty.
    httpx.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket="evidence")
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings,
            evidence_store="s3",
            s3_bucket="evidence",
            s3_endpoint=endpoint,
        ),
    )
    try:
        yield client
    finally:
        server.stop()
