"""The server's VAPID key: generated once with py-vapid, kept in the database (vapid_key)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from py_vapid.utils import b64urlencode

from db.engine import is_unique_violation
from db.push_tables import VapidKey


async def server_key() -> Vapid:
    """The key, made on first use. Two processes starting together may both generate one: the
    insert of row 1 lets only the first through, and the other reads the winner's."""
    row = await VapidKey.select(VapidKey.private_pem).where(VapidKey.id == 1).first()
    if row is None:
        fresh = Vapid()
        fresh.generate_keys()
        try:
            await VapidKey.insert(VapidKey(id=1, private_pem=fresh.private_pem().decode()))
        except Exception as exc:
            if not is_unique_violation(exc):
                raise
        row = await VapidKey.select(VapidKey.private_pem).where(VapidKey.id == 1).first()
    return Vapid.from_pem(row["private_pem"].encode())


def application_server_key(key: Vapid) -> str:
    """The public key as PushManager.subscribe() takes it: the uncompressed P-256 point, base64url."""
    point = key.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(point)
