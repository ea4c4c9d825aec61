from datetime import datetime
from typing import Annotated, Literal

import msgspec

from services.types import AwareDatetime, Code, Name, Ref, Request, Response

CallId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
# A number or an agent's extension, as the telephony system writes it.
Number = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[0-9+\-*# ()]+$")]
RecordingRef = Annotated[str, msgspec.Meta(max_length=256, pattern=r"^[^\x00]*$")]
HourMinute = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class CallReport(Request, kw_only=True):
    """What the telephony system reports of one call; it may report a call again as it learns more
    (answered, ended, the recording): the same `call_id` fills in what was missing."""

    call_id: CallId
    order_code: Code | None = None  # the work order the call is about, when the agent chose one
    agent: Name | None = None  # the staff member's username at the call centre's desk
    direction: Literal["outbound", "inbound"] = "outbound"
    caller: Number
    callee: Number
    started_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    recording_ref: RecordingRef = ""


class PhoneCall(Request, kw_only=True):
    """A tap on "call" for the order's contact: recorded as an attempt until the telephony system
    reports the call (the phone's sync mutation `call_customer`, queued offline too)."""

    device_time: AwareDatetime | None = None  # when it was tapped (bounded like a step's)
    # In the customer's rest hours the screen asks before dialling: dialling anyway is the
    # caller's word that the case is urgent.
    urgent: bool = False


class CallTap(PhoneCall, kw_only=True):
    tapped_on: Literal["phone", "console"]


class CallOut(Response, kw_only=True):
    id: int
    call_id: str | None
    origin: str  # attempt / telephony
    order_id: int | None
    staff: Ref | None
    direction: str
    caller: str
    callee: str
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    seconds: int | None  # talk time, once answered and ended
    recording_ref: str
    tapped_on: str
    urgent: bool  # dialled in rest hours, confirmed as urgent
    recorded: bool  # through the recorded system (§2.1.3 B a)
    in_rest_hours: bool  # started in the customer's rest hours (§2.1.3 B d)
    within_limit: (
        bool | None
    )  # talk time within the policy's minutes; None until answered and ended
    max_minutes: int


class RestWindowIO(msgspec.Struct, forbid_unknown_fields=True):
    start: HourMinute
    end: HourMinute


class CallPolicyOut(Response, kw_only=True):
    max_minutes: int
    rest_hours: list[RestWindowIO]
    timezone: str  # the rest hours are local times there (the branch's)
    effective_from: datetime | None  # None: the built-in default
    updated_by: int | None


class CallPolicySet(Request, kw_only=True):
    max_minutes: Annotated[int, msgspec.Meta(ge=1, le=60)]
    rest_hours: Annotated[list[RestWindowIO], msgspec.Meta(max_length=6)]
