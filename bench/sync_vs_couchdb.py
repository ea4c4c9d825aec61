"""Benchmark 6: the same 30-order day through our protocol and through CouchDB's replication
protocol (pouchdb-server --in-memory, replicated into a PouchDB client), side by side in one run.
Goal: our bytes <= 0.7 x theirs; 1 round trip per direction against their 3-6.

    (cd bench/pouchdb && npm ci)      # once: pouchdb-server and the PouchDB client, bench-local
    .venv/bin/python bench/sync_vs_couchdb.py [--database sqlite|postgres] [--orders 30] [--repeats 5]

Both servers sit behind their own bench/sync_common.CountingProxy, so both are measured the same
way: every request and response as sent on the wire (HTTP heads included, bodies compressed when
the server compressed them), requests counted one by one. The same data crosses both:

- pull, initial: tech2's 30-order day. Ours: `GET /api/sync/pull` (no cursor, default limit,
  Accept-Encoding: gzip). Theirs: each order document exactly as our pull returned it, one
  CouchDB doc per order (`order:<id>`) plus one `reference` doc, loaded into pouchdb-server
  beforehand (not counted); then `PouchDB.replicate(remote, local)` into an in-memory database.
- push: the technician's queue, 4 mutations per order (120): the first batch accept, contact,
  arrive, add_note; the later ones notes, recorded work with materials, signatures. Ours: one
  `POST /api/sync/push`. Theirs: the same mutations as documents of an outbox
  (`mutation:<client>:<id>`), written locally (not timed), then `PouchDB.replicate(local, remote)`.
- pull, incremental: the dispatcher adds a note to one order. Ours: a pull with the cursor. Theirs:
  the order's new document (as our pull returned it) is written to pouchdb-server (not counted),
  then the device replicates again.

Time is each client's wall time for the exchange (ours: httpx in this process, JSON decoded;
theirs: node, documents stored in the local in-memory database), median of --repeats (the
initial pull into a fresh local database each time); bytes and round trips are the first
repeat's (later ones differ by a few bytes of cursors and checkpoints). Login is reported apart; pouchdb-server runs
in admin-party mode (no authentication), so it pays no login at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import time
from pathlib import Path

from sync_common import (
    ROOT,
    CountingProxy,
    bound,
    database,
    day_mutations,
    free_port,
    median,
    remove,
    seed_day,
    seed_world,
    server,
    temp_workdir,
    totals,
)

POUCH = ROOT / "bench" / "pouchdb"
CLIENT = "bench-couch-tech2"
DB = "day"


class Pouch:
    """pouchdb-server --in-memory on a loopback port, and the node PouchDB client driving it."""

    def __init__(self, workdir: Path):
        binary = POUCH / "node_modules" / ".bin" / "pouchdb-server"
        if not binary.exists():
            raise SystemExit(f"{binary} is missing: run (cd bench/pouchdb && npm ci) first")
        self.port = free_port()
        self.log = open(workdir / "pouchdb-server.log", "wb")
        # pouchdb-server writes config.json and log.txt into its working directory: the temp dir.
        self.server = subprocess.Popen(
            [str(binary), "--in-memory", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=workdir,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        import httpx

        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.http.get("/").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.server.poll() is not None:
                raise RuntimeError(
                    f"pouchdb-server did not start: {(workdir / 'pouchdb-server.log').read_text()[-2000:]}"
                )
            time.sleep(0.2)
        self.http.put(f"/{DB}").raise_for_status()
        self.proxy = CountingProxy(self.port)
        self.client = subprocess.Popen(
            ["node", str(POUCH / "replicate.js"), f"http://127.0.0.1:{self.proxy.port}/{DB}"],
            cwd=POUCH,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.revs: dict[str, str] = {}

    def load(self, docs: list[dict]) -> None:
        """Straight into the server, not through the proxy: the day as the office wrote it."""
        response = self.http.post(f"/{DB}/_bulk_docs", json={"docs": docs})
        response.raise_for_status()
        for doc, result in zip(docs, response.json(), strict=True):
            assert result.get("ok"), result
            self.revs[doc["_id"]] = result["rev"]

    def update(self, doc: dict) -> None:
        response = self.http.put(f"/{DB}/{doc['_id']}", json={**doc, "_rev": self.revs[doc["_id"]]})
        response.raise_for_status()
        self.revs[doc["_id"]] = response.json()["rev"]

    def command(self, line: str) -> dict:
        self.client.stdin.write(line + "\n")
        self.client.stdin.flush()
        answer = json.loads(self.client.stdout.readline())
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer

    def close(self) -> None:
        try:
            self.command("quit")
        except Exception:  # noqa: BLE001 - node exits on quit without answering
            pass
        self.client.wait(timeout=10)
        self.proxy.stop()
        self.server.terminate()
        self.server.wait(timeout=10)
        self.log.close()


def order_doc(order: dict) -> dict:
    return {"_id": f"order:{order['id']}", **order}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--orders", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import httpx

    workdir = temp_workdir("bench-couch-")
    pouch = None
    try:
        with database(args.database, "couch", workdir) as url:

            async def seed() -> list[int]:
                async with bound(url):
                    world = await seed_world()
                    return await seed_day(world, "tech2", args.orders)

            order_ids = asyncio.run(seed())
            with server(url, workdir) as app:
                pouch = Pouch(workdir)
                ours = CountingProxy(app.port)
                base = f"http://127.0.0.1:{ours.port}"
                rows: dict[str, dict] = {}
                with httpx.Client(
                    base_url=base, timeout=60, headers={"Accept-Encoding": "gzip"}
                ) as http:
                    token = http.post(
                        "/api/auth/login",
                        json={"username": "tech2", "password": "correct horse battery"},
                    ).json()["token"]
                    dispatcher = httpx.post(
                        f"{app.base}/api/auth/login",
                        json={"username": "dispatcher", "password": "correct horse battery"},
                    ).json()["token"]
                    rows["login (ours only)"] = {"ours": totals(ours.take()), "theirs": None}
                    auth = {"Authorization": f"Bearer {token}"}

                    def pull(cursor: str | None = None) -> tuple[dict, float]:
                        params = {"client_id": CLIENT, **({"cursor": cursor} if cursor else {})}
                        started = time.perf_counter()
                        response = http.get("/api/sync/pull", params=params, headers=auth)
                        response.raise_for_status()
                        page = response.json()
                        elapsed = time.perf_counter() - started
                        assert not page["more"]
                        return page, elapsed

                    # Initial pull, timed --repeats times each side; bytes of the first.
                    snapshot, _ = pull()
                    pouch.load(
                        [order_doc(o) for o in snapshot["orders"]]
                        + [{"_id": "reference", **snapshot["reference"]}]
                    )
                    ours.take()
                    ours_times, theirs_times, first = [], [], {}
                    for n in range(args.repeats):
                        page, elapsed = pull()
                        ours_times.append(elapsed)
                        answer = pouch.command(f"pull device{n}")
                        assert answer["docs"] == len(snapshot["orders"]) + 1, answer
                        theirs_times.append(answer["ms"] / 1e3)
                        exchanges = (ours.take(), pouch.proxy.take())
                        if n == 0:
                            first = {"ours": exchanges[0], "theirs": exchanges[1]}
                            cursor = page["cursor"]
                    rows["pull, initial"] = {
                        "ours": totals(first["ours"]),
                        "theirs": totals(first["theirs"]),
                        "ours_s": median(ours_times),
                        "theirs_s": median(theirs_times),
                        "theirs_requests": first["theirs"],
                    }

                    # Push: the same mutations, --repeats batches of 4 per order (the first: accept,
                    # contact, arrive, add_note; later ones: notes, work, signatures). Bytes of the first.
                    ours_times, theirs_times, first = [], [], {}
                    sent = 0
                    for n in range(args.repeats):
                        mutations = day_mutations(order_ids, 4, start_id=sent + 1, skip=4 * n)
                        sent += len(mutations)
                        started = time.perf_counter()
                        response = http.post(
                            "/api/sync/push",
                            json={"client_id": CLIENT, "mutations": mutations},
                            headers=auth,
                        )
                        ours_times.append(time.perf_counter() - started)
                        response.raise_for_status()
                        statuses = [r["status"] for r in response.json()["results"]]
                        assert statuses.count("applied") == len(mutations), statuses
                        outbox = workdir / "outbox.json"
                        outbox.write_text(
                            json.dumps(
                                [
                                    {"_id": f"mutation:{CLIENT}:{m['id']:08d}", **m}
                                    for m in mutations
                                ],
                                ensure_ascii=False,
                            )
                        )
                        answer = pouch.command(f"push device0 {outbox}")
                        assert answer["docs"] == len(mutations), answer
                        theirs_times.append(answer["ms"] / 1e3)
                        exchanges = (ours.take(), pouch.proxy.take())
                        if n == 0:
                            first = {
                                "ours": exchanges[0],
                                "theirs": exchanges[1],
                                "count": len(mutations),
                            }
                    rows[f"push, {first['count']} mutations"] = {
                        "ours": totals(first["ours"]),
                        "theirs": totals(first["theirs"]),
                        "ours_s": median(ours_times),
                        "theirs_s": median(theirs_times),
                        "theirs_requests": first["theirs"],
                    }

                    # The device's own pushes changed every order: both sides catch up first (not counted).
                    page, _ = pull(cursor)
                    cursor = page["cursor"]
                    for order in page["orders"]:
                        pouch.update(order_doc(order))
                    pouch.command("pull device0")
                    ours.take(), pouch.proxy.take()

                    # Incremental pull after one dispatcher change, --repeats times (bytes of the first).
                    ours_times, theirs_times, first = [], [], {}
                    for n in range(args.repeats):
                        changed = order_ids[(len(order_ids) // 2 + n) % len(order_ids)]
                        httpx.post(
                            f"{app.base}/api/work-orders/{changed}/note",
                            json={"text": f"客户改约到下午三点({n})"},
                            headers={"Authorization": f"Bearer {dispatcher}"},
                        ).raise_for_status()
                        page, elapsed = pull(cursor)
                        cursor = page["cursor"]
                        ours_times.append(elapsed)
                        assert [o["id"] for o in page["orders"]] == [changed]
                        pouch.update(order_doc(page["orders"][0]))
                        answer = pouch.command("pull device0")
                        assert answer["docs"] == 1, answer
                        theirs_times.append(answer["ms"] / 1e3)
                        exchanges = (ours.take(), pouch.proxy.take())
                        if n == 0:
                            first = {"ours": exchanges[0], "theirs": exchanges[1]}
                    rows["pull, incremental (1 order changed)"] = {
                        "ours": totals(first["ours"]),
                        "theirs": totals(first["theirs"]),
                        "ours_s": median(ours_times),
                        "theirs_s": median(theirs_times),
                        "theirs_requests": first["theirs"],
                    }
                ours.stop()
        report(args, rows)
    finally:
        if pouch is not None:
            pouch.close()
        remove(workdir)


def report(args, rows: dict[str, dict]) -> None:
    print(
        f"# The same {args.orders}-order day: our sync protocol vs CouchDB replication (pouchdb-server --in-memory -> PouchDB)"
    )
    print(
        f"bytes on the wire, both directions, HTTP heads included; time = client wall time, median of {args.repeats}"
    )
    print(
        f"{'exchange':<38} {'ours: RT':>8} {'bytes':>8} {'ms':>7}   {'couch: RT':>9} {'bytes':>8} {'ms':>7}   {'bytes ratio':>11}"
    )
    for name, row in rows.items():
        o, t = row["ours"], row["theirs"]
        if t is None:
            print(f"{name:<38} {o['requests']:>8} {o['bytes']:>8} {'':>7}   {'-':>9}")
            continue
        ratio = o["bytes"] / t["bytes"]
        print(
            f"{name:<38} {o['requests']:>8} {o['bytes']:>8} {row['ours_s'] * 1e3:>7.1f}   {t['requests']:>9} {t['bytes']:>8} "
            f"{row['theirs_s'] * 1e3:>7.1f}   {ratio:>10.2f}x {'(goal <= 0.7: met)' if ratio <= 0.7 else '(goal <= 0.7: MISSED)'}"
        )
    for name, row in rows.items():
        if row.get("theirs_requests"):
            print(f"\nCouchDB requests, {name}:")
            for e in row["theirs_requests"]:
                print(
                    f"  {e.method:<5} {e.target[:90]:<90} {e.status} {e.content_encoding or 'identity':<8} up {e.request_bytes:>6} down {e.response_bytes:>7}"
                )


if __name__ == "__main__":
    main()
