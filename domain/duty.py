"""The duty desk (issue 19): broadcast-safety events (安播事件, 非法插播; §1.2.1 B, §1.2.3 E), the duty
roster with the supervisor's attendance check (出勤检查, §1.2.2 B), and calling in more staff during a
mass outage (增设在岗人员, §2.3.2 A).

A broadcast-safety event is *open* from the moment it is recorded until the dispatcher files its
report (报备: who was informed, what was done); like an outage without a notice, an open one holds the
shift handover back. *Reported* events stay on the handover sheet (item B) until they are *closed*.

The roster lists who is on each shift of a day. Shifts follow the branch's local clock: the day
shift from 08:00 to 20:00, the night shift from 20:00 to 08:00 the next morning (it belongs to the
day it began). A person is on duty when rostered, confirmed present by the supervisor, or called in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.errors import Conflict, Forbidden

# ---- broadcast safety ----------------------------------------------------------------------


class BroadcastKind(StrEnum):
    illegal_insertion = "illegal_insertion"  # 非法插播
    interruption = "interruption"  # 停播 / 信号中断
    other = "other"  # other threats to safe broadcasting


class BroadcastStatus(StrEnum):
    open = "open"  # recorded, no report yet: holds the handover back
    reported = "reported"  # 已报备
    closed = "closed"


BROADCAST_ON_SHEET = frozenset({BroadcastStatus.open, BroadcastStatus.reported})  # handover item B


@dataclass(frozen=True)
class BroadcastFacts:
    id: int
    status: str


def broadcast_holding_back(events: Sequence[BroadcastFacts]) -> list[int]:
    """Events that hold the handover back: recorded but not yet reported."""
    return [e.id for e in events if e.status == BroadcastStatus.open]


def check_broadcast_reported(held: Sequence[int]) -> None:
    """Refuse signing a handover while `held` (from broadcast_holding_back) names events."""
    if held:
        raise Conflict(
            "handover.held_back_broadcast",
            broadcast_events=list(held),
            ids=", ".join(f"#{i}" for i in held),
        )


def check_broadcast_step(status: str, step: str) -> BroadcastStatus:
    """report: open → reported (a report may be filed again while reported, to correct it);
    close: reported → closed. Returns the status after the step."""
    if step == "report" and status in (BroadcastStatus.open, BroadcastStatus.reported):
        return BroadcastStatus.reported
    if step == "close" and status == BroadcastStatus.reported:
        return BroadcastStatus.closed
    raise Conflict("broadcast.wrong_status", broadcast_status=status)


# ---- shifts and the roster -----------------------------------------------------------------


class Shift(StrEnum):
    day = "day"  # 白班 08:00–20:00
    night = "night"  # 夜班 20:00–08:00


SHIFT_STARTS = {Shift.day: time(8), Shift.night: time(20)}


class Attendance(StrEnum):
    rostered = "rostered"  # on the roster, not yet checked
    present = "present"  # the supervisor confirmed them at their post
    absent = "absent"  # the supervisor found them missing
    called_in = "called_in"  # called in for a mass outage (§2.3.2 A)


ON_DUTY = frozenset({Attendance.rostered, Attendance.present, Attendance.called_in})
CHECKS = frozenset({Attendance.present, Attendance.absent})  # what the supervisor's check records


@dataclass(frozen=True)
class ShiftRef:
    day: date
    shift: Shift


def shift_at(instant: datetime, tz: ZoneInfo) -> ShiftRef:
    """The shift an instant falls in (a night shift belongs to the day it began)."""
    local = instant.astimezone(tz)
    if local.time() < SHIFT_STARTS[Shift.day]:
        return ShiftRef(local.date() - timedelta(days=1), Shift.night)
    if local.time() < SHIFT_STARTS[Shift.night]:
        return ShiftRef(local.date(), Shift.day)
    return ShiftRef(local.date(), Shift.night)


def check_attendance(current: str, new: str) -> None:
    """The supervisor's check marks present or absent; a call-in is recorded as such, not checked over."""
    if new not in CHECKS:
        raise Conflict("duty.wrong_check")
    if current == Attendance.called_in:
        raise Conflict("duty.called_in", attendance=current)


def check_takes_over(on_roster: bool | None, named_substitute: bool) -> None:
    """The incoming dispatcher must be on duty for the shift the handover starts, or be the
    substitute a supervisor named (§1.2.4 B). `on_roster` is None when no roster was recorded
    for that shift: then there is nothing to check against."""
    if on_roster is False and not named_substitute:
        raise Forbidden("handover.not_on_roster")


@dataclass(frozen=True)
class StaffFacts:
    id: int
    area_ids: frozenset[int]
    attendance: str | None  # on this shift's roster; None when not on it


def call_in_candidates(staff: Sequence[StaffFacts], area_id: int) -> list[StaffFacts]:
    """Whom to propose calling in for an outage in `area_id`: everyone not on duty this shift and
    not found absent by the supervisor, the outage's own area first."""
    free = [p for p in staff if p.attendance is None]
    return sorted(free, key=lambda p: (area_id not in p.area_ids, p.id))
