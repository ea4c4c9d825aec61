"""A backup is one tar archive: the database (PostgreSQL: `pg_dump --format=custom`; SQLite: a
consistent copy through SQLite's online backup API) and the evidence store (every photo and
variant the database names, read through the store, so it works for the local store and S3
alike, and the unfinished uploads' bytes).

Consistency: the database is dumped first, as one snapshot; the photos are listed from the live
database after it (a superset of what the dump names: stored photos are never removed), and the
unfinished uploads copied last (each at least as long as the offset the dump recorded for it).
Restore goes into an empty database and then trims every unfinished upload's recorded offset to
the bytes it has, so a phone resumes from what is there.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread

import servertime
import settings as config
from db.engine import current_engine, is_sqlite
from db.evidence_tables import EvidenceUpload, PhotoBlob
from db.migration_state import known_migrations
from services.audit import record_change
from services.evidence.uploads import RECEIVING, incoming_dir
from storage import blob_store

FORMAT = 1
MANIFEST, SQLITE_FILE, PG_FILE = "manifest.json", "database.sqlite", "database.dump"
BLOBS, INCOMING = "blobs/", "incoming/"


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Summary:
    engine: str
    photos: int  # stored objects: originals and their variants
    unfinished_uploads: int

    def __str__(self) -> str:
        return f"{self.engine} database, {self.photos} stored photo objects, {self.unfinished_uploads} unfinished uploads"


def _engine_name() -> str:
    return "sqlite" if is_sqlite(current_engine()) else "postgresql"


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _copy_sqlite(source: str, target: Path) -> None:
    live, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        live.backup(copy)  # all pages in one step: one read snapshot, writers never blocked
    finally:
        copy.close()
        live.close()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(servertime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


async def _stored_objects() -> list[tuple[str, str]]:
    """(key, content type) of every stored photo object."""
    objects = []
    for blob in await PhotoBlob.select(
        PhotoBlob.sha256, PhotoBlob.format, PhotoBlob.variants
    ).output(load_json=True):
        objects.append((blob["sha256"], f"image/{blob['format'].lower()}"))
        objects += [(key, "image/jpeg") for key in blob["variants"].values()]
    return objects


async def take(archive: Path) -> Summary:
    engine = _engine_name()
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / (SQLITE_FILE if engine == "sqlite" else PG_FILE)
        if engine == "sqlite":
            await anyio.to_thread.run_sync(_copy_sqlite, current_engine().path, database)
        else:
            command = [
                "pg_dump",
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={database}",
                f"--dbname={config.settings.database_url}",
            ]
            await anyio.to_thread.run_sync(_run, command)
        objects = await _stored_objects()
        partial = archive.with_name(f".{archive.name}.partial")
        store, incoming = blob_store(), sorted(incoming_dir().iterdir())
        content_types = {}
        with tarfile.open(partial, "w") as tar:
            tar.add(database, arcname=database.name)
            for key, content_type in objects:
                _add(tar, BLOBS + key, await store.read(key))
                content_types[key] = content_type
            for path in incoming:
                tar.add(path, arcname=INCOMING + path.name)
            _add(
                tar,
                MANIFEST,
                json.dumps(
                    {
                        "format": FORMAT,
                        "engine": engine,
                        "taken_at": servertime.now().isoformat(),
                        "migrations": list(known_migrations()),
                        "content_types": content_types,
                    }
                ).encode(),
            )
        os.replace(partial, archive)  # a backup that exists is whole
    return Summary(engine, len(objects), len(incoming))


async def _database_is_empty() -> bool:
    engine = current_engine()
    if is_sqlite(engine):
        path = Path(engine.path)
        if not path.exists() or path.stat().st_size == 0:
            return True
        with sqlite3.connect(path) as connection:
            return (
                connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                ).fetchone()[0]
                == 0
            )
    rows = await engine.run_ddl("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'")
    return rows[0]["n"] == 0


def _member(name: str, prefix: str) -> str | None:
    """The plain file name under `prefix`, or None (nothing in an archive names a path outside)."""
    rest = name[len(prefix) :] if name.startswith(prefix) else ""
    return rest if rest and "/" not in rest and rest not in {".", ".."} else None


async def restore(archive: Path) -> Summary:
    engine = _engine_name()
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
        if manifest.get("format") != FORMAT:
            raise BackupError(
                f"{archive} is no backup of this application (format {manifest.get('format')})"
            )
        if manifest["engine"] != engine:
            raise BackupError(
                f"a {manifest['engine']} backup restores only into {manifest['engine']} (DATABASE_URL is {engine})"
            )
        if not await _database_is_empty():
            raise BackupError("the database is not empty: restore into a new, empty database")
        if unknown := set(manifest["migrations"]) - set(known_migrations()):
            raise BackupError(
                f"the backup has migrations this code does not know ({min(unknown)}): restore with its release"
            )
        with tempfile.TemporaryDirectory() as work:
            if engine == "sqlite":
                tar.extract(SQLITE_FILE, work, filter="data")
                os.replace(Path(work) / SQLITE_FILE, current_engine().path)
            else:
                tar.extract(PG_FILE, work, filter="data")
                command = [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    f"--dbname={config.settings.database_url}",
                    str(Path(work) / PG_FILE),
                ]
                await anyio.to_thread.run_sync(_run, command)
        store, photos, uploads = blob_store(), 0, 0
        for member in tar.getmembers():
            if key := _member(member.name, BLOBS):
                await store.put(key, tar.extractfile(member).read(), manifest["content_types"][key])
                photos += 1
            elif upload_id := _member(member.name, INCOMING):
                (incoming_dir() / upload_id).write_bytes(tar.extractfile(member).read())
                uploads += 1
    await _trim_unfinished_uploads()
    taken = {"taken_at": manifest["taken_at"]}
    await record_change(None, "backup.restored", archive.name, servertime.now(), taken)
    return Summary(engine, photos, uploads)


async def _trim_unfinished_uploads() -> None:
    """An upload whose bytes the archive holds fewer of than its row says resumes from those."""
    for row in await EvidenceUpload.select(EvidenceUpload.upload_id, EvidenceUpload.offset).where(
        EvidenceUpload.status == RECEIVING
    ):
        path = incoming_dir() / row["upload_id"]
        have = path.stat().st_size if path.exists() else 0
        if have < row["offset"]:
            await EvidenceUpload.update({EvidenceUpload.offset: have}).where(
                EvidenceUpload.upload_id == row["upload_id"]
            )
