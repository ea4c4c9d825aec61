"""Reference data, as forms and devices need it."""

from __future__ import annotations

from db.tables import Area, Community, Material, Road, Team
from domain.closure import DETAILED_REMARK_MIN_CHARS, FIELD_WORK_PARTS, REQUIRED_PARTS
from domain.lifecycle import STEPS
from domain.routing import ROUTES
from domain.vocabulary import CLOSURE_CATEGORY_OF_KIND, FIELD_KINDS, SEND_BACK_REASONS, Kind, State
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
