"""Benchmark 4: a 500-mutation push: time to apply it, and time to replay the same batch.
Goals: apply <= 1 s; replay <= 0.2 x apply. On SQLite and PostgreSQL, in one run.

    .venv/bin/python bench/sync_push_batch.py [--database both|sqlite|postgres] [--rounds 3] [--orders 50]

Per database: tests/world.py's world; tech2 gets (rounds + 1) x 50 orders through the services
(created by the agent, dispatched). The app runs as in production (uvicorn subprocess, one
worker). Each round is a fresh device (client id) with a fresh 50 orders and a realistic offline
queue of 500 mutations, worked one order at a time (bench/sync_common.day_mutations, 10 per order):
accept, contact (with a note), arrive, add_note, record_work with materials (ONU, FIBER, STB from
the catalogue), add_note, capture_signature (two small strokes), record_work, add_note, add_note.
`apply` is the client's wall time for `POST /api/sync/push` with all 500 (every one must come back
applied); `replay` is the same batch posted again (the answer must be identical). The first round
is a warm-up with 10 orders and is not reported. Medians of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time

from sync_common import (
    bound,
    database,
    day_mutations,
    dumps,
    log,
    login,
    median,
    remove,
    seed_day,
    seed_world,
    server,
    temp_workdir,
)


def measure(kind: str, rounds: int, per_round: int, workdir) -> dict:
    import httpx

    with database(kind, f"push_{kind}", workdir) as url:

        async def seed() -> list[int]:
            async with bound(url):
                world = await seed_world()
                return await seed_day(world, "tech2", per_round * rounds + 10, variety=False)

        started = time.perf_counter()
        order_ids = asyncio.run(seed())
        log(f"{kind}: seeded {len(order_ids)} orders in {time.perf_counter() - started:.1f} s")
        with server(url, workdir, name=f"push-{kind}") as app:
            token = login(app.base, "tech2")
            headers = {
                "Authorization": f"Bearer {token}",
                "Accept-Encoding": "gzip",
                "Content-Type": "application/json",
            }
            result = {"apply": [], "replay": [], "bytes": 0, "statuses": collections.Counter()}
            with httpx.Client(base_url=app.base, timeout=300, headers=headers) as http:
                batches = [(f"bench-push-warmup-{kind}", order_ids[:10])]
                batches += [
                    (
                        f"bench-push-{kind}-{n}",
                        order_ids[10 + n * per_round : 10 + (n + 1) * per_round],
                    )
                    for n in range(rounds)
                ]
                for n, (client, orders) in enumerate(batches):
                    body = dumps({"client_id": client, "mutations": day_mutations(orders, 10)})
                    started = time.perf_counter()
                    first = http.post("/api/sync/push", content=body)
                    applied = time.perf_counter() - started
                    assert first.status_code == 200, first.text[:500]
                    statuses = collections.Counter(r["status"] for r in first.json()["results"])
                    started = time.perf_counter()
                    again = http.post("/api/sync/push", content=body)
                    replayed = time.perf_counter() - started
                    assert again.status_code == 200 and again.json() == first.json(), (
                        "a replay answers the same"
                    )
                    log(
                        f"{kind} round {n}: {len(orders) * 10} mutations apply {applied:.3f} s, replay {replayed:.3f} s, {dict(statuses)}"
                    )
                    if n == 0:
                        continue
                    assert statuses == {"applied": len(orders) * 10}, statuses
                    result["apply"].append(applied)
                    result["replay"].append(replayed)
                    result["bytes"] = len(body)
                    result["statuses"] += statuses
            return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["both", "sqlite", "postgres"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--orders", type=int, default=50, help="orders per batch (10 mutations each)"
    )
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    workdir = temp_workdir("bench-push-")
    try:
        results = {kind: measure(kind, args.rounds, args.orders, workdir) for kind in kinds}
    finally:
        remove(workdir)
    print(
        f"# A {args.orders * 10}-mutation push (one device, {args.orders} orders x 10 mutations), "
        f"median of {args.rounds} rounds; uvicorn 1 worker"
    )
    print(
        f"{'database':<10} {'apply s':>8} {'per mutation ms':>16} {'replay s':>9} {'replay/apply':>13}  goals: apply <= 1 s, replay <= 0.2x"
    )
    for kind, r in results.items():
        apply, replay = median(r["apply"]), median(r["replay"])
        print(
            f"{kind:<10} {apply:>8.3f} {apply / (args.orders * 10) * 1e3:>16.2f} {replay:>9.3f} {replay / apply:>13.3f}  "
            f"apply {'met' if apply <= 1 else 'MISSED'}, replay {'met' if replay / apply <= 0.2 else 'MISSED'}"
            f"  (rounds apply: {', '.join(f'{x:.2f}' for x in r['apply'])}; request {r['bytes']} B)"
        )


if __name__ == "__main__":
    main()
