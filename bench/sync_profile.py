"""Where the time of a sync request goes: the whole app (middleware, auth, handler, encoding,
gzip) in-process through httpx's ASGI transport, under pyinstrument, with a count of the SQL
statements each request sends. Evidence for docs/benchmarks.md, not a benchmark with a goal.

    .venv/bin/python bench/sync_profile.py [--database sqlite|postgres] [--what nochange|changed|snapshot|push500|replay500|hello]
                                            [--requests 200] [--html out.html]

Needs pyinstrument (`pip install -e '.[bench]'`). The database is made and seeded as in the
benchmarks (tests/world.py's world, tech2 with a 30-order day; for push500, 50 more orders).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import sys
import time

from sync_common import (
    bound,
    database,
    day_mutations,
    log,
    median,
    remove,
    seed_day,
    seed_world,
    temp_workdir,
)

CLIENT = "bench-profile-phone"


async def profile(url: str, what: str, requests: int, html: str | None) -> str:
    import app_with_hello
    import httpx
    from pyinstrument import Profiler

    from db.engine import current_engine

    async with bound(url):
        world = await seed_world()
        mine = await seed_day(world, "tech2", 30)
        extra = (
            await seed_day(world, "tech2", 50, variety=False)
            if what in ("push500", "replay500")
            else []
        )
    app = app_with_hello.create_app()
    statements: collections.Counter[str] = collections.Counter()
    engine = current_engine()
    # Count the SQL each request sends: wrap the engine's run_querystring (both engines use it).
    original = type(engine).run_querystring

    async def counting(self, querystring, in_pool=True):
        statements[querystring.query_type] += 1
        return await original(self, querystring, in_pool=in_pool)

    type(engine).run_querystring = counting  # type: ignore[method-assign]
    # The app runs in this event loop (httpx's ASGI transport), so the profile sees all of it.
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client,
    ):
        token = (
            await client.post(
                "/api/auth/login", json={"username": "tech2", "password": "correct horse battery"}
            )
        ).json()["token"]
        dispatcher = (
            await client.post(
                "/api/auth/login",
                json={"username": "dispatcher", "password": "correct horse battery"},
            )
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
        snapshot = (await client.get(f"/api/sync/pull?client_id={CLIENT}", headers=auth)).json()
        cursor = snapshot["cursor"]
        await client.post(
            "/api/sync/push", json={"client_id": CLIENT, "mutations": []}, headers=auth
        )
        batches = []
        if what in ("push500", "replay500"):
            batches = [day_mutations(extra, 10)]  # 50 orders x 10 mutations
        profiler = Profiler(async_mode="enabled", interval=0.0005)
        timings = []
        counts = []
        rounds = 1 if what in ("push500", "replay500") else requests
        if what == "replay500":
            response = await client.post(
                "/api/sync/push", json={"client_id": CLIENT, "mutations": batches[0]}, headers=auth
            )
            assert response.status_code == 200, response.text
        for n in range(rounds):
            if what == "changed":
                order_id = mine[n % len(mine)]
                response = await client.post(
                    f"/api/work-orders/{order_id}/note",
                    json={"text": f"备注{n}"},
                    headers={"Authorization": f"Bearer {dispatcher}"},
                )
                assert response.status_code in (200, 201), response.text
            statements.clear()
            started = time.perf_counter()
            profiler.start() if not profiler.is_running else None
            if what in ("nochange", "changed"):
                response = await client.get(
                    f"/api/sync/pull?client_id={CLIENT}&cursor={cursor}", headers=auth
                )
            elif what == "snapshot":
                response = await client.get(f"/api/sync/pull?client_id={CLIENT}", headers=auth)
            elif what == "hello":
                response = await client.get("/api/bench/hello", headers=auth)
            else:
                response = await client.post(
                    "/api/sync/push",
                    json={"client_id": CLIENT, "mutations": batches[0]},
                    headers=auth,
                )
            profiler.stop()
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            if what == "changed":
                cursor = response.json()["cursor"]
            counts.append(sum(statements.values()))
        log(
            f"{what}: {rounds} request(s), median {median(timings) * 1e3:.2f} ms in-process; "
            f"SQL statements per request: median {median(counts)} ({dict(statements)} in the last)"
        )
        if what in ("push500", "replay500"):
            answer = response.json()
            log(f"results: {collections.Counter(r['status'] for r in answer['results'])}")
        if html:
            with open(html, "w") as out:
                out.write(profiler.output_html())
        return profiler.output_text(unicode=True, color=False, show_all=False, short_mode=False)


@contextlib.contextmanager
def quiet_stdout():
    """The app logs one JSON line per request to stdout: away with it while profiling."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument(
        "--what",
        choices=["nochange", "changed", "snapshot", "push500", "replay500", "hello"],
        default="nochange",
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--html")
    args = parser.parse_args()
    workdir = temp_workdir("bench-profile-")
    try:
        with database(args.database, "profile", workdir) as url, quiet_stdout():
            text = asyncio.run(profile(url, args.what, args.requests, args.html))
        print(text)
    finally:
        remove(workdir)


if __name__ == "__main__":
    main()
