from services.auth.schemas import Caller
from services.calls.schemas import CallPolicyOut
from services.policies.schemas import ClockPolicyOut
from services.types import Response


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


class PhoneStep(Response, kw_only=True):
    """A step a technician takes on the phone, from the step spec (domain/lifecycle.py STEPS)."""

    mutation: str  # the name the phone pushes (sync/mutations.py)
    action: str  # the step, as the order's history names it
    moves: dict[str, str | None]  # from-state → to-state (null: the state does not change)
    label: dict[str, str]  # by language: zh-CN, en


class ClosureRules(Response, kw_only=True):
    """What a closure must state (domain/closure.py), for the phone's check before queueing."""

    required: list[str]
    field_work: list[str]  # also required of a field visit on site that is not an appointment
    field_kinds: list[str]
    detailed_remark_min: int  # a key customer's closure remark, in characters


class TechnicianSpec(Response, kw_only=True):
    steps: list[PhoneStep]
    closure: ClosureRules


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
    call_policy: CallPolicyOut  # in force now: the phone asks before dialling in rest hours
    technician: TechnicianSpec  # the phone plays its outbox and checks closures with these


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
