"""Benchmark 3: no-change pull throughput against a hello-world endpoint of the same app, same
run. Goal: pull >= 0.5 x hello.

    .venv/bin/python bench/sync_pull_throughput.py [--database postgres|sqlite] [--concurrency 32]
                                                   [--seconds 10] [--rounds 3] [--workers 1] [--loadgen wrk|python]

The server is bench/app_with_hello.py (the production app plus GET /api/bench/hello, a trivial
route behind the same bearer-token middleware, role guard, logging and encoding) under uvicorn
with `--workers` processes (1 by default: one core for the server, the other for the load
generator and the database). tech2 has a 30-order day and a device that has pulled its snapshot
and pushed once; the measured pull is `GET /api/sync/pull?client_id=…&cursor=<current>` with
`Accept-Encoding: gzip`, which answers "nothing changed". Rounds alternate hello / pull, each a
closed loop of `--concurrency` connections for `--seconds`; the report gives the median of the
rounds. The load generator is wrk (`apt-get install -y wrk`), or with `--loadgen python` a raw
asyncio HTTP/1.1 client (bench/sync_common.RawClient) in a separate process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import shutil
import subprocess
import time

from sync_common import (
    ROOT,
    RawClient,
    bound,
    database,
    log,
    login,
    median,
    remove,
    seed_day,
    seed_world,
    server,
    temp_workdir,
)

CLIENT = "bench-throughput-tech2"
BENCH = ROOT / "bench"


def wrk(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> dict:
    command = [
        "wrk",
        "-t2" if concurrency >= 2 else "-t1",
        f"-c{concurrency}",
        f"-d{seconds:g}s",
        "--latency",
    ]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    done = subprocess.run(command + [url], capture_output=True, text=True, check=True)
    text = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(r"Socket errors:.*", text)
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", text)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", text)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    return {
        "rate": rate,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)],
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)],
    }


def _python_load(
    port: int, path: str, headers: dict[str, str], concurrency: int, seconds: float, out
) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def worker(deadline: float, latencies: list[float], statuses: dict) -> None:
        client = RawClient("127.0.0.1", port)
        await client.connect()
        while (now := time.perf_counter()) < deadline:
            status, _, _ = await client.request("GET", path, headers)
            latencies.append(time.perf_counter() - now)
            statuses[status] = statuses.get(status, 0) + 1
        await client.close()

    async def run() -> dict:
        latencies: list[float] = []
        statuses: dict = {}
        started = time.perf_counter()
        await asyncio.gather(
            *[worker(started + seconds, latencies, statuses) for _ in range(concurrency)]
        )
        elapsed = time.perf_counter() - started
        latencies.sort()
        return {
            "rate": len(latencies) / elapsed,
            "non2xx": sum(v for k, v in statuses.items() if k >= 300),
            "socket_errors": "",
            "p50_ms": latencies[len(latencies) // 2] * 1e3,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
        }

    out.send(asyncio.run(run()))


def python_load(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> dict:
    """The same closed loop as wrk, from a separate process."""
    port = int(url.split(":")[2].split("/")[0])
    path = "/" + url.split("/", 3)[3]
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=_python_load, args=(port, path, headers, concurrency, seconds, sender)
    )
    process.start()
    result = receiver.recv()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--loadgen", choices=["wrk", "python"], default="wrk" if shutil.which("wrk") else "python"
    )
    args = parser.parse_args()
    load = wrk if args.loadgen == "wrk" else python_load

    workdir = temp_workdir("bench-throughput-")
    try:
        with database(args.database, "throughput", workdir) as url:

            async def seed() -> None:
                async with bound(url):
                    world = await seed_world()
                    await seed_day(world, "tech2", 30)

            asyncio.run(seed())
            with server(
                url,
                workdir,
                app="app_with_hello:app",
                workers=args.workers,
                env={"PYTHONPATH": f"{BENCH}:{ROOT}"},
            ) as app:
                import httpx

                token = login(app.base, "tech2")
                auth = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
                with httpx.Client(base_url=app.base, headers=auth) as http:
                    cursor = http.get("/api/sync/pull", params={"client_id": CLIENT}).json()[
                        "cursor"
                    ]
                    assert (
                        http.post(
                            "/api/sync/push", json={"client_id": CLIENT, "mutations": []}
                        ).status_code
                        == 200
                    )
                    answer = http.get(
                        "/api/sync/pull", params={"client_id": CLIENT, "cursor": cursor}
                    )
                    assert answer.json()["orders"] == [] and answer.json()["cursor"] == cursor
                    hello = http.get("/api/bench/hello")
                    assert hello.status_code == 200, hello.text
                targets = {
                    "hello": f"{app.base}/api/bench/hello",
                    "pull": f"{app.base}/api/sync/pull?client_id={CLIENT}&cursor={cursor}",
                }
                results: dict[str, list[dict]] = {"hello": [], "pull": []}
                for target in targets.values():  # warm-up
                    load(target, auth, args.concurrency, 2)
                for n in range(args.rounds):
                    for name in ("hello", "pull") if n % 2 == 0 else ("pull", "hello"):
                        result = load(targets[name], auth, args.concurrency, args.seconds)
                        log(f"round {n + 1} {name}: {json.dumps(result)}")
                        results[name].append(result)
        report(args, results)
    finally:
        remove(workdir)


def report(args, results: dict[str, list[dict]]) -> None:
    hello = median([r["rate"] for r in results["hello"]])
    pull = median([r["rate"] for r in results["pull"]])
    print(
        f"# No-change pull vs hello-world, same app and run ({args.database}, uvicorn --workers {args.workers}, "
        f"{args.loadgen}, {args.concurrency} connections, {args.rounds} x {args.seconds:g} s each)"
    )
    for name in ("hello", "pull"):
        rs = results[name]
        print(
            f"{name:<6} req/s median {median([r['rate'] for r in rs]):8.0f}  (rounds: {', '.join(str(round(r['rate'])) for r in rs)}); "
            f"latency p50 {median([r['p50_ms'] for r in rs]):.1f} ms, p99 {median([r['p99_ms'] for r in rs]):.1f} ms; "
            f"non-2xx {sum(r['non2xx'] for r in rs)}"
        )
    ratio = pull / hello
    print(f"ratio pull/hello = {ratio:.2f}  (goal >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")


if __name__ == "__main__":
    main()
