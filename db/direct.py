"""Statements sent through the driver of the current transaction, for the hot path of a device's
push (hundreds of steps in one transaction): Piccolo builds and compiles the SQL of every query,
and every row of an insert, in Python, about a millisecond each, which dominated such a batch.
Same tables and columns as Piccolo's, values stored as Piccolo stores them; both engines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Any

from piccolo.columns import JSON
from piccolo.table import Table
from piccolo.utils.encoding import dump_json

from db.engine import current_engine, is_sqlite


def _stored(value: Any, json: bool) -> Any:
    """As Piccolo stores it: JSON columns as text, enums by value. (Datetimes go to the driver
    as they are: Piccolo's SQLite engine registers the adapters that write them.)"""
    if json and not isinstance(value, str):
        return None if value is None else dump_json(value)
    return value.value if isinstance(value, Enum) else value


def _connection() -> Any:
    transaction = current_engine().current_transaction.get()
    if transaction is None:
        raise RuntimeError("direct statements run inside a transaction")
    return transaction.connection


def _columns(table: type[Table], names: Sequence[str]) -> tuple[list[str], list[bool]]:
    columns = [table._meta.get_column_by_name(name) for name in names]
    return [f'"{c._meta.db_column_name}"' for c in columns], [isinstance(c, JSON) for c in columns]


def _marks(count: int, start: int = 1) -> list[str]:
    return ["?" if is_sqlite(current_engine()) else f"${n}" for n in range(start, start + count)]


async def insert_many(table: type[Table], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (dicts with the same keys: column names) in one prepared statement."""
    if not rows:
        return
    keys = list(rows[0])
    names, json = _columns(table, keys)
    values = [tuple(_stored(row[k], j) for k, j in zip(keys, json, strict=True)) for row in rows]
    sql = f'INSERT INTO "{table._meta.tablename}" ({", ".join(names)}) VALUES ({", ".join(_marks(len(keys)))})'
    await _connection().executemany(sql, values)


async def update_one(
    table: type[Table], values: Mapping[str, Any], where: Mapping[str, Any]
) -> bool:
    """UPDATE … SET values WHERE every `where` column equals its value; whether a row matched."""
    names, json = _columns(table, list(values))
    conditions, _ = _columns(table, list(where))
    sets = [f"{n} = {m}" for n, m in zip(names, _marks(len(names)), strict=True)]
    tests = [
        f"{n} = {m}"
        for n, m in zip(conditions, _marks(len(conditions), len(names) + 1), strict=True)
    ]
    args = [_stored(v, j) for v, j in zip(values.values(), json, strict=True)] + list(
        where.values()
    )
    sql = (
        f'UPDATE "{table._meta.tablename}" SET {", ".join(sets)} WHERE {" AND ".join(tests)} '
        f'RETURNING "{table._meta.primary_key._meta.db_column_name}"'
    )
    connection = _connection()
    if is_sqlite(current_engine()):
        async with connection.execute(sql, args) as cursor:
            return bool(await cursor.fetchall())
    return bool(await connection.fetch(sql, *args))
