"""Reference data, as forms and devices need it; staff to assign; customer files (every office
read of one goes to the audit trail: customer data is confidential)."""

from __future__ import annotations

import servertime
from db.tables import Area, Community, Customer, Material, Road, StaffUser, Team
from domain.closure import DETAILED_REMARK_MIN_CHARS, FIELD_WORK_PARTS, REQUIRED_PARTS
from domain.errors import NotFound
from domain.lifecycle import STEPS
from domain.routing import ROUTES
from domain.vocabulary import (
    CLOSURE_CATEGORY_OF_KIND,
    FIELD_KINDS,
    SEND_BACK_REASONS,
    Kind,
    Role,
    State,
)
from services.audit import record_change
from services.auth.schemas import Caller
from services.calls.service import policies as call_policies
from services.policies.service import list_policies
from services.reference import schemas as s


async def reference_data() -> s.Reference:
    communities = await Community.select().order_by(Community.id)
    roads = await Road.select().order_by(Road.id)
    areas = [
        s.AreaOut(
            id=a["id"],
            code=a["code"],
            name=a["name"],
            communities=[
                s.Place(id=c["id"], name=c["name"]) for c in communities if c["area"] == a["id"]
            ],
            roads=[s.Place(id=r["id"], name=r["name"]) for r in roads if r["area"] == a["id"]],
        )
        for a in await Area.select().order_by(Area.id)
    ]
    teams = [
        s.TeamOut(
            id=t["id"],
            code=t["code"],
            name=t["name"],
            function=t["function"],
            network=t["network"],
            employer=t["employer"],
            area_id=t["area"],
        )
        for t in await Team.select().order_by(Team.id)
    ]
    materials = [
        s.MaterialOut(code=m["code"], name=m["name"], unit=m["unit"])
        for m in await Material.select().order_by(Material.code)
    ]
    return s.Reference(
        areas=areas,
        teams=teams,
        materials=materials,
        kinds=[k.value for k in Kind],
        closure_category_of_kind={k.value: v.value for k, v in CLOSURE_CATEGORY_OF_KIND.items()},
        routes={k.value: sorted(v) for k, v in ROUTES.items()},
        send_back_reasons=list(SEND_BACK_REASONS),
        clock_policies=await list_policies(history=False),
        call_policy=(await call_policies(history=False))[0],
        technician=technician_spec(),
    )


def technician_spec() -> s.TechnicianSpec:
    """The technician's part of the step spec and the closure rules: the phone copies none of it."""
    steps = [
        s.PhoneStep(
            mutation=step.phone.mutation,
            action=action.value,
            moves={
                a.value: (step.moves[a] or None) and step.moves[a].value
                for a in State
                if a in step.moves
            },
            label={"zh-CN": step.phone.button[0], "en": step.phone.button[1]},
        )
        for action, step in STEPS.items()
        if step.phone
    ]
    return s.TechnicianSpec(
        steps=steps,
        closure=s.ClosureRules(
            required=list(REQUIRED_PARTS),
            field_work=list(FIELD_WORK_PARTS),
            field_kinds=sorted(FIELD_KINDS),
            detailed_remark_min=DETAILED_REMARK_MIN_CHARS,
        ),
    )


async def active_staff(role: Role | None, team_id: int | None) -> list[s.StaffOut]:
    """Active staff (of a role, of a team), to choose an assignee from."""
    query = StaffUser.select().where(StaffUser.active.eq(True))
    if role:
        query = query.where(StaffUser.role == role.value)
    if team_id:
        query = query.where(StaffUser.team == team_id)
    return [
        s.StaffOut(
            id=u["id"],
            username=u["username"],
            display_name=u["display_name"],
            role=u["role"],
            team_id=u["team"],
            area_id=u["area"],
            phone=u["phone"],
        )
        for u in await query.order_by(StaffUser.id)
    ]


async def find_customers(q: str | None, limit: int) -> list[s.CustomerOut]:
    """Customers whose name, phone or account number holds `q` (all of them without it)."""
    query = Customer.select().order_by(Customer.id).limit(limit)
    if q:
        pattern = f"%{q}%"
        query = query.where(
            Customer.name.like(pattern)
            | Customer.phone.like(pattern)
            | Customer.account_no.like(pattern)
        )
    return [_customer(c) for c in await query]


async def read_customer(caller: Caller, customer_id: int) -> s.CustomerOut:
    """One customer file; the read is in the audit trail."""
    row = await Customer.select().where(Customer.id == customer_id).first()
    if row is None:
        raise NotFound("customer.not_found", id=customer_id)
    await record_change(caller, "customer.read", str(customer_id), servertime.now())
    return _customer(row)


def _customer(c: dict) -> s.CustomerOut:
    return s.CustomerOut(
        id=c["id"],
        account_no=c["account_no"],
        name=c["name"],
        phone=c["phone"],
        tier=c["tier"],
        network=c["network"],
        area_id=c["area"],
        community_id=c["community"],
        road_id=c["road"],
        address=c["address"],
    )
