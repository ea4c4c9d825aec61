"""The production path on this machine: nginx (deploy/nginx-fieldservice.conf) terminating HTTPS
with HTTP/2 in front of two uvicorn processes on PostgreSQL, as deploy/ sets them up."""

from __future__ import annotations

import io
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tusclient.client import TusClient

from tests.browser.conftest import Server
from tests.conftest import POSTGRES_URL
from tests.photos import big_jpeg, photo
from tests.proxy import Nginx, app_keep_alive_args, require_nginx, upstream_keepalive_timeout
from tests.test_events import Console, order_event
from tests.test_metrics import value
from tests.world import PASSWORD

pytestmark = pytest.mark.db
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture
def branch(db, world, tmp_path: Path):
    """Two app processes sharing one metrics directory and one evidence directory, behind nginx."""
    require_nginx()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    servers = [
        Server(tmp_path, database_url=POSTGRES_URL, uvicorn_args=app_keep_alive_args())
        for _ in range(2)
    ]
    for server in servers:
        server.env.update(
            EVENTS_KEEPALIVE_SECONDS="1", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), DB_POOL="1"
        )
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(Server.start, servers))
        with Nginx(tmp_path, [s.port for s in servers]) as proxy:
            proxy.servers, proxy.world = servers, world
            yield proxy
    finally:
        for server in servers:
            server.stop()


def log_in(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@contextmanager
def console(proxy: Nginx, headers: dict[str, str]):
    with (
        proxy.client() as client,
        client.stream(
            "GET", "/api/events", headers={**headers, "Accept-Encoding": "gzip"}
        ) as response,
    ):
        assert response.status_code == 200
        assert (
            "content-encoding" not in response.headers
        )  # nginx holds nothing back in a compressor
        stream = Console(response)
        assert stream.next() == {"comment": "connected"}
        yield stream


@pytest.mark.parametrize("engine_name", ["postgres"])
def test_https_http2_through_nginx_to_two_processes(branch: Nginx, monkeypatch: pytest.MonkeyPatch):
    version = subprocess.run(
        [
            "curl",
            "--http2",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_version}",
            "--cacert",
            str(branch.cert),
            f"{branch.url}/readyz",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version == "2"
    world = branch.world
    with branch.client() as http:
        agent, dispatcher, tech = (
            log_in(http, "agent"),
            log_in(http, "dispatcher"),
            log_in(http, "tech2"),
        )
        order = http.post(
            "/api/work-orders",
            headers=agent,
            json={
                "kind": "repair",
                "customer_id": world.customers["ordinary"],
                "description": "宽带断网",
            },
        )
        assert order.status_code == 201, order.text
        order_id = order.json()["id"]

        with console(branch, log_in(http, "supervisor")) as live:
            # A step taken on each process directly: whichever process holds the stream, one of
            # them is the other process, and its event crosses over to the console behind nginx.
            a, b = (f"http://127.0.0.1:{s.port}" for s in branch.servers)
            step = httpx.post(
                f"{a}/api/work-orders/{order_id}/dispatch",
                headers=dispatcher,
                json={"assignee_id": world.uid("tech2")},
            )
            assert step.status_code == 200, step.text
            live.until(order_event(order_id, state="dispatched"))
            assert (
                httpx.post(
                    f"{b}/api/work-orders/{order_id}/accept", headers=tech, json={}
                ).status_code
                == 200
            )
            live.until(order_event(order_id, state="accepted"))

            # One scrape of either process reports both: the stream open on one of them, and
            # the same request totals.
            scrapes = [httpx.get(f"http://127.0.0.1:{s.port}/metrics").text for s in branch.servers]
            through_proxy = http.get("/metrics")
            assert through_proxy.status_code == 200  # the office (127.0.0.1) as nginx forwards it
            for text in (*scrapes, through_proxy.text):
                assert value(text, "fieldservice_event_streams_open") == 1
            logins = [
                value(t, "fieldservice_requests_total", path="/api/auth/login", status_code="200")
                for t in scrapes
            ]
            assert logins[0] == logins[1] >= 4

        # An order step through the proxy.
        contact = http.post(f"/api/work-orders/{order_id}/contact", headers=tech, json={})
        assert contact.status_code == 200, contact.text

        # A tus upload through the proxy, in checksummed chunks with an independent client.
        upload_id = str(uuid.uuid4())
        monkeypatch.setenv(
            "REQUESTS_CA_BUNDLE", str(branch.cert)
        )  # tuspy (requests) trusts the proxy's certificate
        tus = TusClient(f"{branch.url}/api/uploads/", headers=tech)
        uploader = tus.uploader(
            file_stream=io.BytesIO(photo("JPEG", (64, 48))),
            chunk_size=400,
            upload_checksum=True,
            metadata={"filename": "meter.jpg", "id": upload_id},
        )
        uploader.upload()
        assert uploader.url.endswith(f"/api/uploads/{upload_id}")

        # Size limits: a photo larger than an ordinary body passes to the upload route in one PATCH.
        big = big_jpeg(11)
        created = http.post(
            "/api/uploads/", headers={**tech, **TUS, "Upload-Length": str(len(big))}
        )
        assert created.status_code == 201, created.text
        whole = http.patch(
            created.headers["location"],
            content=big,
            headers={
                **tech,
                **TUS,
                "Upload-Offset": "0",
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert whole.status_code == 204, whole.text
        assert whole.headers["upload-offset"] == str(len(big))
        # … the same size anywhere else, and more than the largest photo on uploads, are refused
        # by nginx with a problem detail.
        for path, size in (
            ("/api/work-orders", len(big)),
            (created.headers["location"], 27 * 1024 * 1024),
        ):
            refused = http.post(path, headers=tech, content=b"x" * size)
            assert refused.status_code == 413
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["status"] == 413


def test_nginx_not_the_app_closes_an_idle_connection_between_them():
    """An app process that closes an idle connection just as nginx sends a POST on it resets it,
    and nginx answers the POST 502 rather than send it twice. It happened with uvicorn's default
    5-s keep-alive on a loaded machine (a phone's push subscription in the branch-day test, whose
    connection had been idle 5.03 s). So the processes keep idle connections longer than nginx."""
    assert int(app_keep_alive_args()[1]) > upstream_keepalive_timeout()
