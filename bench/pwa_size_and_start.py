"""Benchmark: the technician PWA's weight and its cold offline start (issue 5).

1. Size: every JS and CSS file the technician app ships (static/pwa/dist: the bundle, the
   stylesheet and the service worker), gzip -9 — goal ≤ 150 KB in total.
2. Cold offline start: a Chromium profile logs in once (30 jobs synced) and is closed; the server
   is stopped; then, for each run, Chromium starts again on that profile with the CPU throttled ×4
   (CDP Emulation.setCPUThrottlingRate) and opens the app: time from navigation start to the job
   list being interactive — painted on screen (Element Timing's renderTime of the list's heading,
   the frame that shows the cards) with the router already listening — goal ≤ 1 s. Then a tap on
   the first job: time from the tap to the job's screen painted (the proof that a tap opens it).

    npm run build && .venv/bin/python bench/pwa_size_and_start.py [--runs 7] [--orders 30]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, Office, Server, seed  # noqa: E402
from tests.world import PASSWORD  # noqa: E402

DIST = ROOT / "static" / "pwa" / "dist"


def sizes() -> dict[str, tuple[int, int]]:
    files = sorted(DIST.glob("assets/*.js")) + sorted(DIST.glob("assets/*.css")) + [DIST / "sw.js"]
    return {
        str(f.relative_to(DIST)): (f.stat().st_size, len(gzip.compress(f.read_bytes(), 9)))
        for f in files
    }


phases: list[dict] = []
taps: list[float] = []
# The first paint of the element with elementtiming=<name> (ms since navigation start).
PAINTED = """(name) => new Promise((resolve) => new PerformanceObserver((list, observer) => {
  const entry = list.getEntries().find((e) => e.identifier === name);
  if (entry) { observer.disconnect(); resolve(entry.renderTime); }
}).observe({type: "element", buffered: true}))"""
MARK = "(name) => performance.getEntriesByName(name)[0].startTime"


def cold_starts(runs: int, orders: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server = Server(tmp)
        world = seed(server.db_path)
        server.start()
        office = Office(server.url)
        customers = list(world.customers)
        for i in range(orders):
            customer = customers[i % len(customers)]
            if customer == "one_way" or customer == "company":
                customer = "ordinary"
            o = office.post(
                "agent",
                "/api/work-orders",
                {
                    "kind": "repair",
                    "customer_id": world.customers[customer],
                    "description": f"宽带故障 {i}",
                },
            )
            office.post(
                "dispatcher",
                f"/api/work-orders/{o['id']}/dispatch",
                {"assignee_id": world.uid("tech2")},
            )
        profile = tmp / "profile"
        timings = []
        with sync_playwright() as p:

            def launch():
                return p.chromium.launch_persistent_context(
                    str(profile),
                    executable_path=CHROMIUM,
                    args=CHROMIUM_FLAGS,
                    headless=True,
                    viewport={"width": 360, "height": 640},
                    device_scale_factor=2,
                    locale="zh-CN",
                    timezone_id="Asia/Shanghai",
                )

            context = launch()
            page = context.pages[0] if context.pages else context.new_page()
            page.goto(server.url)
            page.fill("#login-username", "tech2")
            page.fill("#login-password", PASSWORD)
            page.click("#login-submit")
            page.wait_for_selector(".job-card")
            page.wait_for_function("navigator.serviceWorker.controller !== null")
            page.wait_for_selector('#sync-ind[data-pending="0"]')
            assert page.locator(".job-card").count() == orders
            context.close()
            server.stop()  # offline from here on

            for _ in range(runs):
                context = launch()
                page = context.pages[0] if context.pages else context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                page.goto(server.url, wait_until="commit")
                shown = page.evaluate(PAINTED, "job-list")
                # The first screen's cards (drawn by the inline first paint, or all of them by the app).
                assert 1 <= page.locator(".job-card").count() <= orders
                assert page.evaluate("navigator.serviceWorker.controller !== null")
                # Interactive: painted, with live links (a tap before the app runs is opened by its router at start).
                timings.append(max(shown, page.evaluate(MARK, "list-interactive")))
                # Tap the first job as soon as the list is there; the job screen must open.
                page.evaluate(
                    "document.addEventListener('click', (e) => { window.__tapped = e.timeStamp; }, {capture: true, once: true})"
                )
                page.locator(".job-card").first.click()
                taps.append(page.evaluate(PAINTED, "job-detail") - page.evaluate("window.__tapped"))
                phases.append(
                    page.evaluate(r"""() => {
                  const nav = performance.getEntriesByType('navigation')[0];
                  const mark = (n) => Math.round(performance.getEntriesByName(n)[0]?.startTime ?? -1);
                  return {html: Math.round(nav.responseEnd), script: mark('app-start'),
                          js: Math.round(performance.getEntriesByType('resource').find((r) => /\/app\.[^/]+\.js$/.test(r.name)).responseEnd),
                          sw: Math.round(nav.workerStart), db: mark('db-open'), rendered: mark('list-interactive'),
                          app: mark('app-list'), engine: mark('engine-loaded')};
                }""")
                )
                page.evaluate("location.hash = '#/'")  # back to the list: the app shows every job
                page.locator(".job-card").nth(orders - 1).wait_for(state="attached")
                assert page.locator(".job-card").count() == orders
                context.close()
        return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()
    if not (DIST / "build.json").exists():
        sys.exit("build the app first: npm run build")
    table = sizes()
    total_raw = sum(r for r, _ in table.values())
    total_gz = sum(g for _, g in table.values())
    print("file                                  raw bytes   gzip -9")
    for name, (raw, gz) in table.items():
        print(f"{name:36} {raw:10,} {gz:9,}")
    print(f"{'total':36} {total_raw:10,} {total_gz:9,}  ({total_gz / 1024:.1f} KB; goal ≤ 150 KB)")
    timings = cold_starts(args.runs, args.orders)
    print(
        f"cold offline start to interactive job list ({args.orders} jobs, CPU ×4), {len(timings)} runs:"
    )
    print("  ms: " + ", ".join(f"{t:.0f}" for t in timings))
    print(
        f"  median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms (goal ≤ 1000 ms)"
    )
    print(
        f"  tap on the first job → its screen painted: median {statistics.median(taps):.0f} ms, max {max(taps):.0f} ms"
    )
    print(
        "  phases (ms since navigation start: service worker started, HTML from its cache, app script loaded,"
        " script running, first read done, list drawn (by the inline first paint when it had a copy), list painted ="
        " interactive, the app's own list from IndexedDB (-1: the tap came first), Dexie and sync loaded; tap → job):"
    )
    for ph, total, tap in zip(phases, timings, taps, strict=True):
        print(
            f"    sw {ph['sw']:5}  html {ph['html']:5}  js {ph['js']:5}  script {ph['script']:5}  db {ph['db']:5}"
            f"  drawn {ph['rendered']:5}  painted {total:5.0f}  app {ph['app']:5}  engine {ph['engine']:5}  tap {tap:4.0f}"
        )
    print(json.dumps({"gzip_bytes": total_gz, "start_ms": timings, "tap_ms": taps}))


if __name__ == "__main__":
    main()
