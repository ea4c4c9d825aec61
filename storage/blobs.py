"""Two implementations of one small interface; `blob_store()` picks one from the settings."""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Protocol

import anyio.to_thread

import settings as config


class StoreUnavailable(Exception):
    """The store could not be reached or answered with a server error: nothing was written or
    read, and the same call may succeed later."""


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key` unless the key exists. Never leaves a partial object."""

    async def has(self, key: str) -> bool: ...

    async def read(self, key: str) -> bytes:
        """The object's bytes; FileNotFoundError when there is none."""


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root / key[:2] / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await anyio.to_thread.run_sync(self._put, key, data)

    def _put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: a reader sees the whole object or none.
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise

    async def has(self, key: str) -> bool:
        return self.path(key).exists()

    async def read(self, key: str) -> bytes:
        return await anyio.to_thread.run_sync(self.path(key).read_bytes)


def _s3_call(call):
    """Run a boto3 call in a thread; an endpoint that is down or failing is StoreUnavailable."""
    from botocore.exceptions import BotoCoreError, ClientError

    def run():
        try:
            return call()
        except (
            BotoCoreError
        ) as exc:  # connection refused or cut, timeouts: botocore's own retries spent
            raise StoreUnavailable(repr(exc)) from exc
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                raise StoreUnavailable(repr(exc)) from exc
            raise

    return anyio.to_thread.run_sync(run)


class S3Store:
    """S3 or any S3-compatible service (MinIO, Ceph, a cloud's OSS with an S3 endpoint)."""

    def __init__(self, bucket: str, endpoint: str | None, region: str) -> None:
        import boto3

        self.bucket = bucket
        self.client = boto3.client("s3", endpoint_url=endpoint, region_name=region)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if await self.has(key):
            return
        # A single PUT is atomic in S3: the object appears whole or not at all.
        await _s3_call(
            lambda: self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )
        )

    async def has(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await _s3_call(lambda: self.client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    async def read(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            response = await _s3_call(lambda: self.client.get_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(key) from exc
            raise
        return await _s3_call(response["Body"].read)


@cache
def _store(kind: str, root: Path, bucket: str, endpoint: str | None, region: str) -> BlobStore:
    if kind == "s3":
        return S3Store(bucket, endpoint, region)
    if kind == "local":
        return LocalStore(root)
    raise ValueError(f"EVIDENCE_STORE must be local or s3, not {kind!r}")


def blob_store() -> BlobStore:
    return _store(
        config.settings.evidence_store,
        config.settings.evidence_dir / "blobs",
        config.settings.s3_bucket,
        config.settings.s3_endpoint,
        config.settings.s3_region,
    )
