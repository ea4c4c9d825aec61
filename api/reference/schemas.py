from api.auth.schemas import Caller
from api.policies.schemas import ClockPolicyOut
from api.types import Response


class Place(Response, kw_only=True):
    id: int
    name: str


class AreaOut(Response, kw_only=True):
    id: int
    code: str
    name: str
    communities: list[Place]
    roads: list[Place]


class TeamOut(Response, kw_only=True):
    id: int
    code: str
    name: str
    function: str
    network: str | None
    employer: str
    area_id: int | None


class MaterialOut(Response, kw_only=True):
    code: str
    name: str
    unit: str


class Reference(Response, kw_only=True):
    """Everything a form needs to offer choices: places, teams, materials and the manual's lists."""

    areas: list[AreaOut]
    teams: list[TeamOut]
    materials: list[MaterialOut]
    kinds: list[str]
    closure_category_of_kind: dict[str, str]
    routes: dict[str, list[str]]
    send_back_reasons: list[str]
    clock_policies: list[ClockPolicyOut]


class StaffOut(Caller, frozen=True, kw_only=True):
    phone: str


class CustomerOut(Response, kw_only=True):
    id: int
    account_no: str
    name: str
    phone: str
    tier: str
    network: str
    area_id: int
    community_id: int | None
    road_id: int | None
    address: str
