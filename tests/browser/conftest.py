"""Browser tests: the technician PWA in a real Chromium (Debian's /usr/bin/chromium driven by
Playwright's sync API) against a real uvicorn server on a fresh SQLite database.

Skipped when Chromium, Playwright or the built app is missing, unless REQUIRE_BROWSER=1 (CI),
which turns that into a failure. Sync tests only: keep asyncio out of this folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.app_server import free_port, uvicorn_command

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DIST = ROOT / "static" / "pwa" / "dist" / "build.json"
ARTIFACTS = ROOT / "test-artifacts"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed"
    if not DIST.exists():
        return "the PWA is not built (npm run build)"
    return None


@pytest.fixture(
    scope="module"
)  # not session: Playwright's loop must be gone before asyncio tests run
def browser():
    reason = _missing()
    if reason:
        if REQUIRE_BROWSER:
            pytest.fail(f"browser tests required (REQUIRE_BROWSER=1): {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


class Server:
    """uvicorn in a subprocess: stop it to cut the network, start it again on the same port and
    database (the browser's origin, and so its IndexedDB and service worker, stay the same)."""

    def __init__(
        self, tmp: Path, database_url: str | None = None, uvicorn_args: tuple[str, ...] = ()
    ) -> None:
        self.port, self.uvicorn_args = free_port(), uvicorn_args
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = tmp / "browser.db"
        self.log = tmp / f"server-{self.port}.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url or f"sqlite:///{self.db_path}",
            "APP_MODE": "production",
            "PUSH_WORKER": "0",
            "DB_POOL": "0",
            "EVIDENCE_DIR": str(tmp / "evidence"),
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            # As `make run`: the app, not uvicorn, decides whose X-Forwarded-For to believe.
            uvicorn_command(self.port, "--no-proxy-headers", *self.uvicorn_args),
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        # Generous: importing the app alone takes 10 s and more on a loaded 2-core machine.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class Office:
    """The API as office staff use it, to set up and to check what the phone did."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tokens: dict[str, str] = {}

    def headers(self, username: str) -> dict[str, str]:
        from tests.world import PASSWORD

        if username not in self.tokens:
            r = httpx.post(
                f"{self.url}/api/auth/login",
                json={"username": username, "password": PASSWORD},
                timeout=60,
            )
            r.raise_for_status()
            self.tokens[username] = r.json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, username: str, path: str):
        r = httpx.get(f"{self.url}{path}", headers=self.headers(username), timeout=60)
        r.raise_for_status()
        return r.json()

    def post(self, username: str, path: str, body: dict):
        r = httpx.post(f"{self.url}{path}", json=body, headers=self.headers(username), timeout=60)
        assert r.status_code in (200, 201), r.text
        return r.json()


def seed(db_path: Path):
    """A fresh migrated database with the test world (tests/world.py)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}"}
    result = subprocess.run(
        [sys.executable, "cli.py", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    from piccolo.engine.sqlite import SQLiteEngine

    from db.engine import bind
    from tests.world import build_world

    bind(SQLiteEngine(path=str(db_path), timeout=30))
    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, build_world()).result()


@pytest.fixture
def server_env() -> dict[str, str]:
    """More environment for the server: a test overrides it with
    `@pytest.mark.parametrize("server_env", [{...}])`."""
    return {}


@pytest.fixture
def server(tmp_path: Path, server_env: dict[str, str]):
    srv = Server(tmp_path)
    srv.env.update(server_env)
    srv.world = seed(srv.db_path)
    srv.start()
    srv.office = Office(srv.url)
    yield srv
    srv.stop()


def _page(browser, server, strict: bool = False, **size):
    """A page on a fresh profile (its own IndexedDB and service worker), page errors collected.
    Not `strict`: the server's Content-Security-Policy is bypassed, because Playwright's string
    predicates (wait_for_function) are evaluated as strings, which the policy refuses; the app
    under the policy is tested with strict pages (test_content_security_policy.py)."""
    context = browser.new_context(
        **size,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        base_url=server.url,
        bypass_csp=not strict,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return context, page


@pytest.fixture
def phone(browser, server):
    """A phone-sized page: the technician app."""
    context, page = _page(
        browser, server, viewport={"width": 360, "height": 640}, device_scale_factor=2
    )
    yield page
    context.close()


@pytest.fixture
def desk(browser, server):
    """A desktop-sized page: the dispatcher console."""
    context, page = _page(browser, server, viewport={"width": 1440, "height": 900})
    yield page
    context.close()


@pytest.fixture
def strict_phone(browser, server):
    """The phone page under the server's Content-Security-Policy."""
    context, page = _page(
        browser, server, strict=True, viewport={"width": 360, "height": 640}, device_scale_factor=2
    )
    yield page
    context.close()


@pytest.fixture
def strict_desk(browser, server):
    """The console page under the server's Content-Security-Policy."""
    context, page = _page(browser, server, strict=True, viewport={"width": 1440, "height": 900})
    yield page
    context.close()


def shot(page, name: str, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"pwa-{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def publish(name: str) -> None:
    """Copy an artifact to docs/screenshots when UPDATE_SCREENSHOTS=1."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / f"pwa-{name}.png", target / f"pwa-{name}.png")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test reports what its pages showed at that moment (URL, the sync
    indicator, the screen's text) and saves a screenshot: a failure under load that does not
    repeat alone can still be read from the CI log."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    from playwright.sync_api import Page

    for name, page in item.funcargs.items():
        if not isinstance(page, Page) or page.is_closed():
            continue
        try:
            ARTIFACTS.mkdir(exist_ok=True)
            path = ARTIFACTS / f"failed-{item.name[:80]}-{name}.png"
            page.screenshot(path=str(path), full_page=True, timeout=5_000)
            state = page.evaluate(
                """() => ({url: location.href,
                  indicator: document.querySelector("#sync-ind")?.outerHTML ?? null,
                  screen: (document.querySelector("#view") ?? document.body).innerText.slice(0, 3000)})"""
            )
            text = f"{path}\n{state['url']}\n{state['indicator']}\n{state['screen']}"
        except Exception as exc:  # the page itself may be what broke
            text = f"unavailable: {exc}"
        report.sections.append((f"page {name!r} when it failed", text))
