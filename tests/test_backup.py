"""The restore drill (SQLite and PostgreSQL): `cli.py backup` taken mid-day while phones keep
pushing, the server lost, `cli.py restore` into an empty database, and every phone recovers
through the `first_unsettled` handshake (docs/sync-protocol.md, "A server behind the phone"):
what the phones still held is applied once, nothing is doubled, and the ids the restore lost
are exactly those recorded in the audit trail."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import Server
from tests.conftest import POSTGRES_URL, ROOT, _admin
from tests.photos import photo
from tests.world import PASSWORD

pytestmark = pytest.mark.db
TUS = {"Tus-Resumable": "1.0.0"}
PHONES = [("tech2", "phone-tech2-a"), ("tech2", "tablet-tech2-b"), ("tech2b", "phone-tech2b-c")]


def cli(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Phone:
    """A protocol client: an outbox of numbered mutations, pushed one batch at a time with
    `first_unsettled`, settled when the server answers."""

    def __init__(self, username: str, client_id: str, order_id: int) -> None:
        self.username, self.client_id, self.order_id = username, client_id, order_id
        self.outbox: list[dict] = []
        self.settled: set[int] = set()
        self.next_id = 1

    def queue(self, name: str, **args) -> None:
        self.outbox.append(
            {
                "id": self.next_id,
                "name": name,
                "args": {"order_id": self.order_id, **args},
                "device_time": datetime.now(UTC).isoformat(),
            }
        )
        self.next_id += 1

    def note(self) -> None:
        self.queue("add_note", text=f"{self.client_id} #{self.next_id}")

    def push(self, url: str, token: str) -> dict:
        unsettled = [m for m in self.outbox if m["id"] not in self.settled]
        response = httpx.post(
            f"{url}/api/sync/push",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
            json={
                "client_id": self.client_id,
                "first_unsettled": unsettled[0]["id"] if unsettled else self.next_id,
                "mutations": unsettled,
            },
        )
        assert response.status_code == 200, response.text
        answer = response.json()
        assert {r["status"] for r in answer["results"]} <= {"applied"}, answer
        self.settled |= {m["id"] for m in unsettled if m["id"] <= answer["last_mutation_id"]}
        return answer


def log_in(url: str, username: str) -> str:
    response = httpx.post(
        f"{url}/api/auth/login", json={"username": username, "password": PASSWORD}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def restored_database_url(engine_name: str, tmp_path: Path):
    if engine_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = POSTGRES_URL.rsplit("/", 1)[1] + "_restored"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    yield f"{POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_a_backup_taken_mid_day_restores_and_every_phone_recovers(
    db, world, engine_name, tmp_path, restored_database_url
):
    database_url = f"sqlite:///{db.path}" if engine_name == "sqlite" else POSTGRES_URL
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    live = Server(tmp_path / "before", database_url=database_url)
    live.start()
    try:
        url = live.url
        tokens = {u: log_in(url, u) for u in ("agent", "dispatcher", "tech2", "tech2b")}
        phones = []
        for username, client_id in PHONES:
            order = httpx.post(
                f"{url}/api/work-orders",
                headers={"Authorization": f"Bearer {tokens['agent']}"},
                json={
                    "kind": "repair",
                    "customer_id": world.customers["ordinary"],
                    "description": "宽带断网",
                },
            ).json()
            dispatched = httpx.post(
                f"{url}/api/work-orders/{order['id']}/dispatch",
                json={"assignee_id": world.uid(username)},
                headers={"Authorization": f"Bearer {tokens['dispatcher']}"},
            )
            assert dispatched.status_code == 200, dispatched.text
            phone = Phone(username, client_id, order["id"])
            phone.queue("accept")
            phone.push(url, tokens[username])
            phones.append(phone)

        # Evidence: one photo stored, one upload half sent.
        tech = {"Authorization": f"Bearer {tokens['tech2']}", **TUS}
        whole, half = photo("JPEG", (64, 48), seed=1), photo("JPEG", (80, 60), noise=True, seed=2)
        stored_id, partial_id = str(uuid.uuid4()), str(uuid.uuid4())
        for upload_id, data, sent in (
            (stored_id, whole, len(whole)),
            (partial_id, half, len(half) // 2),
        ):
            created = httpx.post(
                f"{url}/api/uploads/",
                headers={
                    **tech,
                    "Upload-Length": str(len(data)),
                    "Upload-Metadata": f"id {_b64(upload_id)}",
                },
            )
            assert created.status_code == 201, created.text
            patched = httpx.patch(
                f"{url}/api/uploads/{upload_id}",
                content=data[:sent],
                headers={
                    **tech,
                    "Upload-Offset": "0",
                    "Content-Type": "application/offset+octet-stream",
                },
            )
            assert patched.status_code == 204, patched.text

        # The phones keep working and syncing while the backup is taken.
        stop = threading.Event()
        failures: list[BaseException] = []

        def work(phone: Phone) -> None:
            try:
                while not stop.is_set():
                    phone.note()
                    phone.push(url, tokens[phone.username])
            except BaseException as exc:  # reported by the test, not lost in the thread
                failures.append(exc)

        workers = [threading.Thread(target=work, args=(p,)) for p in phones]
        for worker in workers:
            worker.start()
        archive = tmp_path / "branch.tar"
        cli("backup", str(archive), env={**live.env})
        settled_at_backup = {p.client_id: max(p.settled) for p in phones}
        # … and go on after it: what they settle from here on, the restore will lose.
        for phone in phones:
            _wait(lambda phone=phone: max(phone.settled) >= settled_at_backup[phone.client_id] + 2)
        stop.set()
        for worker in workers:
            worker.join(60)
        assert not failures, failures
    finally:
        live.stop()

    # The server is gone; the phones queue on, offline.
    for phone in phones:
        for _ in range(3):
            phone.note()
    held = {p.client_id: [m["id"] for m in p.outbox if m["id"] not in p.settled] for p in phones}

    restored = Server(tmp_path / "after", database_url=restored_database_url)
    out = cli("restore", str(archive), env={**restored.env})
    assert "restored from" in out
    # A restore goes into an empty database only.
    refused = subprocess.run(
        [sys.executable, "cli.py", "restore", str(archive)],
        cwd=ROOT,
        env=restored.env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2 and "not empty" in refused.stderr
    restored.start()
    try:
        url = restored.url
        tokens = {u: log_in(url, u) for u in ("dispatcher", "tech2", "tech2b")}
        for phone in phones:
            answer = phone.push(url, tokens[phone.username])
            assert answer["last_mutation_id"] == phone.next_id - 1
            assert [r["id"] for r in answer["results"]] == held[phone.client_id]
            assert (
                phone.push(url, tokens[phone.username])["results"] == []
            )  # nothing left, nothing again

        office = {"Authorization": f"Bearer {tokens['dispatcher']}"}
        skipped = {}
        for phone in phones:
            detail = httpx.get(f"{url}/api/work-orders/{phone.order_id}", headers=office).json()
            notes = [e["payload"]["text"] for e in detail["history"] if e["action"] == "note"]
            mine = [n for n in notes if n.startswith(f"{phone.client_id} #")]
            ids = [int(n.split("#")[1]) for n in mine]
            assert len(ids) == len(set(ids)), f"doubled: {sorted(ids)}"
            kept = sorted(set(ids) - set(held[phone.client_id]))
            # The backup is one snapshot: every id up to its last one, none after.
            last_in_backup = max(kept, default=0)
            assert kept == list(range(2, last_in_backup + 1))  # 1 was the accept
            assert (
                last_in_backup <= settled_at_backup[phone.client_id] + 1
            )  # a push may end as the dump begins
            assert set(held[phone.client_id]) <= set(
                ids
            )  # everything the phone still held: applied once
            skipped[phone.client_id] = (last_in_backup + 1, held[phone.client_id][0] - 1)
        assert _skipped_in_audit(restored_database_url) == skipped

        # Evidence: the stored photo is back, the half upload resumes from what the archive held.
        tech = {"Authorization": f"Bearer {tokens['tech2']}", **TUS}
        stored = httpx.head(f"{url}/api/uploads/{stored_id}", headers=tech)
        assert stored.headers["upload-offset"] == str(len(whole))
        blob = Path(restored.env["EVIDENCE_DIR"]) / "blobs"
        sha = hashlib.sha256(whole).hexdigest()
        assert (blob / sha[:2] / sha).read_bytes() == whole
        offset = int(
            httpx.head(f"{url}/api/uploads/{partial_id}", headers=tech).headers["upload-offset"]
        )
        assert offset == len(half) // 2
        rest = httpx.patch(
            f"{url}/api/uploads/{partial_id}",
            content=half[offset:],
            headers={
                **tech,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert rest.status_code == 204, rest.text
        assert rest.headers["upload-offset"] == str(len(half))
    finally:
        restored.stop()


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def _wait(condition, seconds: float = 120) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def _skipped_in_audit(database_url: str) -> dict[str, tuple[int, int]]:
    """The audit trail's `sync.lost_mutations_skipped` entries, by client: (from, to)."""
    from db.engine import bind, engine_from_url
    from db.tables import AuditEntry

    async def read() -> list[dict]:
        bind(engine_from_url(database_url))
        return (
            await AuditEntry.select(AuditEntry.target, AuditEntry.payload)
            .where(AuditEntry.action == "sync.lost_mutations_skipped")
            .output(load_json=True)
        )

    return {e["target"]: (e["payload"]["from"], e["payload"]["to"]) for e in asyncio.run(read())}
