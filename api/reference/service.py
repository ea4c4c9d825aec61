"""Reference data, as forms and devices need it."""

from __future__ import annotations

from api.policies.service import list_policies
from api.reference import schemas as s
from db.tables import Area, Community, Material, Road, Team
from domain.routing import ROUTES
from domain.vocabulary import CLOSURE_CATEGORY_OF_KIND, SEND_BACK_REASONS, Kind


async def reference_data() -> s.Reference:
    communities = await Community.select().order_by(Community.id)
    roads = await Road.select().order_by(Road.id)
    areas = [
        s.AreaOut(
            id=a["id"], code=a["code"], name=a["name"],
            communities=[s.Place(id=c["id"], name=c["name"]) for c in communities if c["area"] == a["id"]],
            roads=[s.Place(id=r["id"], name=r["name"]) for r in roads if r["area"] == a["id"]],
        )
        for a in await Area.select().order_by(Area.id)
    ]
    teams = [
        s.TeamOut(id=t["id"], code=t["code"], name=t["name"], function=t["function"],
                  network=t["network"], employer=t["employer"], area_id=t["area"])
        for t in await Team.select().order_by(Team.id)
    ]
    materials = [
        s.MaterialOut(code=m["code"], name=m["name"], unit=m["unit"])
        for m in await Material.select().order_by(Material.code)
    ]
    return s.Reference(
        areas=areas, teams=teams, materials=materials, kinds=[k.value for k in Kind],
        closure_category_of_kind={k.value: v.value for k, v in CLOSURE_CATEGORY_OF_KIND.items()},
        routes={k.value: sorted(v) for k, v in ROUTES.items()},
        send_back_reasons=list(SEND_BACK_REASONS),
        clock_policies=await list_policies(history=False),
    )
