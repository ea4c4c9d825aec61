"""Benchmark 2: the initial sync of a 30-order day: bytes on the wire and round trips.

    .venv/bin/python bench/sync_initial.py [--database sqlite|postgres] [--orders 30] [--repeats 20]

tech2 gets a 30-order day through the services (tests/world.py's world; each order created by the
agent and dispatched, a third urged, a third with a dispatcher's note). The app runs as in
production (uvicorn subprocess); the device talks to it through bench/sync_common.CountingProxy,
which forwards bytes unchanged and counts each request and response as sent (HTTP head and body;
the body gzip-compressed when the server compressed it). The device pulls as the PWA does: no
cursor, the default page limit, `Accept-Encoding: gzip`, until `more` is false. Login is reported
on its own line. For reference: the same snapshot without compression, and with small pages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from sync_common import (
    CountingProxy,
    bound,
    database,
    log,
    median,
    remove,
    seed_day,
    seed_world,
    server,
    temp_workdir,
    totals,
)

CLIENT = "bench-initial-tech2"


def snapshot(
    base: str, token: str, encoding: str, limit: int | None = None
) -> tuple[list[dict], float]:
    import httpx

    pages = []
    cursor = None
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=60, headers={"Accept-Encoding": encoding}) as http:
        while True:
            params = {"client_id": CLIENT}
            if cursor:
                params["cursor"] = cursor
            if limit:
                params["limit"] = str(limit)
            response = http.get(
                "/api/sync/pull", params=params, headers={"Authorization": f"Bearer {token}"}
            )
            response.raise_for_status()
            page = response.json()
            pages.append(page)
            cursor = page["cursor"]
            if not page["more"]:
                break
    return pages, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--orders", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=20, help="snapshots timed (median)")
    args = parser.parse_args()

    import httpx

    workdir = temp_workdir("bench-initial-")
    try:
        with database(args.database, "initial", workdir) as url:

            async def seed() -> None:
                async with bound(url):
                    world = await seed_world()
                    await seed_day(world, "tech2", args.orders)

            asyncio.run(seed())
            with server(url, workdir) as app:
                proxy = CountingProxy(app.port)
                base = f"http://127.0.0.1:{proxy.port}"
                with httpx.Client(base_url=base, headers={"Accept-Encoding": "gzip"}) as http:
                    token = http.post(
                        "/api/auth/login",
                        json={"username": "tech2", "password": "correct horse battery"},
                    ).json()["token"]
                login = totals(proxy.take())
                runs = {}
                for label, encoding, limit in [
                    ("gzip, default limit", "gzip", None),
                    ("identity, default limit", "identity", None),
                    ("gzip, limit=10", "gzip", 10),
                ]:
                    pages, _ = snapshot(base, token, encoding, limit)
                    exchanges = proxy.take()
                    runs[label] = (pages, exchanges)
                times = []
                for _ in range(args.repeats):
                    times.append(snapshot(base, token, "gzip")[1])
                    proxy.take()
                proxy.stop()
        report(args, login, runs, times)
    finally:
        remove(workdir)


def report(args, login: dict, runs: dict, times: list[float]) -> None:
    pages, exchanges = runs["gzip, default limit"]
    orders = sum(len(p["orders"]) for p in pages)
    body = sum(
        len(json.dumps(p, ensure_ascii=False, separators=(",", ":")).encode()) for p in pages
    )
    reference = len(
        json.dumps(pages[0]["reference"], ensure_ascii=False, separators=(",", ":")).encode()
    )
    print(
        f"# Initial sync of a {args.orders}-order day ({args.database}); bytes as on the wire, both directions, HTTP heads included"
    )
    print(
        f"login (separate)          : {login['requests']} round trip,  {login['up']} B up, {login['down']} B down"
    )
    print(f"{'snapshot':<26}  round trips   up B   down B   total B")
    for label, (_, ex) in runs.items():
        t = totals(ex)
        print(f"{label:<26}  {t['requests']:>11} {t['up']:>6} {t['down']:>8} {t['bytes']:>9}")
    t = totals(exchanges)
    print(
        f"orders received: {orders}; JSON body {body} B uncompressed (reference data {reference} B, "
        f"{(body - reference) / max(orders, 1):.0f} B per order); gzip on the wire {t['down']} B "
        f"({body / max(sum(e.response_body_bytes for e in exchanges), 1):.1f}x smaller body)"
    )
    print(
        f"snapshot time (gzip, default limit, through the proxy): median {median(times) * 1e3:.1f} ms over {len(times)}"
    )
    for e in exchanges:
        log(
            f"  {e.method} {e.target[:80]} -> {e.status} {e.content_encoding or 'identity'} up {e.request_bytes} down {e.response_bytes}"
        )


if __name__ == "__main__":
    main()
