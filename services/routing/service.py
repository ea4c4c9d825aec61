"""The contractor routing policy (§2.1.2 D), versioned like the other policies: every edit is a new
row in force from then on, audited; the dispatch step and the suggestions read it."""

from __future__ import annotations

import servertime
from db.duty_tables import ContractorRoutingPolicy
from db.engine import write_transaction
from db.tables import Area
from domain.errors import Invalid
from domain.routing import DEFAULT_CONTRACTOR_KINDS, contractor_kinds_in_force
from services.audit import record_change
from services.auth.schemas import Caller
from services.routing import schemas as s

_COLUMNS = (
    *ContractorRoutingPolicy.all_columns(),
    ContractorRoutingPolicy.area.name.as_alias("area_name"),
)


async def _rows() -> list[dict]:
    return (
        await ContractorRoutingPolicy.select(*_COLUMNS)
        .where(ContractorRoutingPolicy.effective_from <= servertime.now())
        .order_by(ContractorRoutingPolicy.effective_from)
        .order_by(ContractorRoutingPolicy.id)
        .output(load_json=True)
    )


async def contractor_kinds(area_id: int) -> frozenset[str]:
    """The kinds contractors' teams may take in the area, now."""
    return contractor_kinds_in_force(await _rows(), area_id)


def _out(row: dict) -> s.ContractorRoutingOut:
    return s.ContractorRoutingOut(
        id=row["id"],
        area_id=row["area"],
        area_name=row["area_name"],
        kinds=sorted(row["kinds"]),
        effective_from=row["effective_from"],
        updated_by=row["updated_by"],
    )


async def policies(history: bool) -> list[s.ContractorRoutingOut]:
    """In force: the branch-wide row (or the default) and each area's newest; or every version."""
    rows = await _rows()
    if history:
        return [_out(r) for r in rows]
    current = {r["area"]: r for r in rows}
    default = s.ContractorRoutingOut(
        id=None,
        area_id=None,
        area_name=None,
        kinds=sorted(DEFAULT_CONTRACTOR_KINDS),
        effective_from=None,
        updated_by=None,
    )
    branch = _out(current.pop(None)) if None in current else default
    return [branch, *(_out(r) for r in sorted(current.values(), key=lambda r: r["area"]))]


async def set_policy(caller: Caller, data: s.ContractorRoutingSet) -> s.ContractorRoutingOut:
    now = servertime.now()
    if data.area_id is not None and not await Area.exists().where(Area.id == data.area_id):
        raise Invalid("area.not_found", id=data.area_id)
    kinds = sorted({k.value for k in data.kinds})
    async with write_transaction():
        rows = await ContractorRoutingPolicy.insert(
            ContractorRoutingPolicy(
                area=data.area_id, kinds=kinds, effective_from=now, updated_by=caller.id
            )
        )
        target = f"area/{data.area_id}" if data.area_id else "branch"
        await record_change(caller, "policy.contractor_routing", target, now, {"kinds": kinds})
    row = (
        await ContractorRoutingPolicy.select(*_COLUMNS)
        .where(ContractorRoutingPolicy.id == rows[0]["id"])
        .output(load_json=True)
        .first()
    )
    return _out(row)
