"""nginx from deploy/nginx-fieldservice.conf, run unprivileged for a test: the shipped site file
with only its ports, certificate and upstream servers rewritten, a self-signed certificate for
`localhost`, every path nginx writes inside a temporary directory."""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.app_server import free_port
from tests.browser.conftest import ROOT

SITE = ROOT / "deploy" / "nginx-fieldservice.conf"
UNIT = ROOT / "deploy" / "fieldservice@.service"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REQUIRE_NGINX = os.environ.get("REQUIRE_NGINX") == "1"


def require_nginx() -> None:
    if not Path(NGINX).exists():
        if REQUIRE_NGINX:
            pytest.fail("nginx is required (REQUIRE_NGINX=1): apt-get install -y nginx")
        pytest.skip("nginx not installed (apt-get install -y nginx)")


def _rewrite(pattern: str, replacement: str, text: str) -> str:
    rewritten, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count, f"deploy/nginx-fieldservice.conf no longer has {pattern!r}"
    return rewritten


def app_keep_alive_args() -> tuple[str, str]:
    """uvicorn's keep-alive flag as deploy/fieldservice@.service runs an app process behind nginx."""
    match = re.search(r"--timeout-keep-alive (\d+)", UNIT.read_text())
    assert match, "deploy/fieldservice@.service no longer sets --timeout-keep-alive"
    return ("--timeout-keep-alive", match.group(1))


def upstream_keepalive_timeout() -> int:
    """Seconds nginx keeps an idle connection to an app process (the upstream block's setting)."""
    upstream = re.search(r"^upstream fieldservice \{(.*?)^\}", SITE.read_text(), re.M | re.S)
    match = upstream and re.search(r"^\s*keepalive_timeout (\d+)s;", upstream.group(1), re.M)
    assert match, "deploy/nginx-fieldservice.conf's upstream no longer sets keepalive_timeout"
    return int(match.group(1))


class Nginx:
    def __init__(self, tmp: Path, upstream_ports: list[int]) -> None:
        self.dir = tmp / "nginx"
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"https://localhost:{self.port}"
        self.cert = self.dir / "cert.pem"
        key = self.dir / "key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(self.cert),
            ],
            check=True,
            capture_output=True,
        )
        site = SITE.read_text()
        site = _rewrite(r"^\s*listen \[::\]:.*\n", "", site)
        site = _rewrite(r"listen 80;", f"listen 127.0.0.1:{free_port()};", site)
        site = _rewrite(r"listen 443 ", f"listen 127.0.0.1:{self.port} ", site)
        site = _rewrite(r"ssl_certificate \S+;", f"ssl_certificate {self.cert};", site)
        site = _rewrite(r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", site)
        site = _rewrite(r"^\s*server 127\.0\.0\.1:\d+ (.*)\n(?=\s*server 127)", "", site)
        site = _rewrite(
            r"server 127\.0\.0\.1:\d+ (.*);",
            lambda m: "\n".join(f"server 127.0.0.1:{p} {m.group(1)};" for p in upstream_ports),
            site,
        )
        (self.dir / "site.conf").write_text(site)
        d = self.dir
        # The main context as Debian's /etc/nginx/nginx.conf has it (a worker a core, 768
        # connections each: a proxied request holds two); deploy/ ships only the site.
        (d / "nginx.conf").write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
daemon off;
worker_processes auto;
error_log {d}/error.log info;
pid {d}/nginx.pid;
events {{ worker_connections 768; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {d}/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/site.conf;
}}
""")
        self.process: subprocess.Popen | None = None

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(
            base_url=self.url,
            verify=ssl.create_default_context(cafile=str(self.cert)),
            timeout=30,
            **kwargs,
        )

    def __enter__(self) -> Nginx:
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.dir / 'stderr.log').read_text()}")
            try:
                with self.client() as client:
                    if client.get("/healthz").status_code == 200:
                        return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not answer")

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
