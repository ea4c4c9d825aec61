"""What a closure must contain (§2.1.5 and the service rules). Returns every problem at once,
so the technician fixes the form in one go."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec

from domain.errors import Issue
from domain.priority import key_customer
from domain.types import Code, Hours, Name, Quantity, Request, ShortText, Text
from domain.vocabulary import (
    CLOSURE_CATEGORY_OF_KIND,
    FIELD_KINDS,
    ClosureCategory,
    HalfDay,
    Kind,
    Method,
    Outcome,
)

# A "detailed remark" for VIP and dedicated-line orders (§2.1.5 A d) is at least this long.
DETAILED_REMARK_MIN_CHARS = 10
# What every closure states, and what a field visit's closure (not an appointment) adds; the
# phone checks the same before queueing (sent in the sync reference data).
REQUIRED_PARTS = ("cause", "solution", "result")
FIELD_WORK_PARTS = ("work_done", "labour_hours")
WEEKDAYS_ZH = "一二三四五六日"


class MaterialUse(Request):
    code: Code
    quantity: Quantity


class DeviceSwap(Request):
    device: Name
    old_serial: ShortText
    new_serial: ShortText


class ClosureForm(Request):
    """What a closure states: the close step's request body is this form (services/work_orders/schemas.py
    Close adds only the step's device time and note), checked here as it came."""

    closure_category: ClosureCategory
    outcome: Outcome
    cause: Text = ""
    solution: Text = ""
    result: Text = ""
    method: Method = Method.on_site
    remark: Text = ""
    appointment_date: date | None = None
    appointment_half_day: HalfDay | None = None
    work_done: Text = ""
    labour_hours: Hours | None = None
    materials: Annotated[list[MaterialUse], msgspec.Meta(max_length=100)] = []
    device_swaps: Annotated[list[DeviceSwap], msgspec.Meta(max_length=20)] = []


@dataclass(frozen=True)
class OrderFacts:
    kind: str
    tier: str
    signed: bool  # the customer signed the service record since the order was last reopened
    waiver_approved: bool  # or a supervisor approved a waiver
    signature_changed: bool = False  # signed, but the service record changed since


def needs_signature(kind: str, form: ClosureForm) -> bool:
    """Field work done on site ends with the customer's acceptance signature (验收签名)."""
    return (
        kind in FIELD_KINDS
        and form.method == Method.on_site
        and form.outcome in (Outcome.resolved, Outcome.unresolved)
    )


def closure_issues(
    form: ClosureForm,
    order: OrderFacts,
    catalogue: Collection[str],
    now: datetime,
    tz: ZoneInfo,
) -> list[Issue]:
    issues: list[Issue] = []
    expected = CLOSURE_CATEGORY_OF_KIND[Kind(order.kind)]
    if form.closure_category != expected:
        issues.append(
            Issue(
                "closure.category_mismatch",
                {"kind": order.kind, "expected": expected.value},
                "closure_category",
            )
        )
    for part in REQUIRED_PARTS:
        if not getattr(form, part).strip():
            issues.append(Issue(f"closure.missing_{part}", {}, part))
    if (
        key_customer(order.tier, order.kind)
        and len(form.remark.strip()) < DETAILED_REMARK_MIN_CHARS
    ):
        issues.append(
            Issue("closure.detailed_remark_required", {"min": DETAILED_REMARK_MIN_CHARS}, "remark")
        )
    if form.outcome == Outcome.appointment:
        issues.extend(_appointment_issues(form, now, tz))
    if (
        order.kind in FIELD_KINDS
        and form.method == Method.on_site
        and form.outcome != Outcome.appointment
    ):
        issues.extend(_field_work_issues(form, catalogue))
    if needs_signature(order.kind, form) and not (order.signed or order.waiver_approved):
        key = (
            "closure.changed_after_signing"
            if order.signature_changed
            else "closure.signature_required"
        )
        issues.append(Issue(key, {}, "signature"))
    return issues


def _appointment_issues(form: ClosureForm, now: datetime, tz: ZoneInfo) -> list[Issue]:
    if form.appointment_date is None or form.appointment_half_day is None:
        return [Issue("closure.appointment_time_required", {}, "appointment_date")]
    local_now = now.astimezone(tz)
    today = local_now.date()
    passed = form.appointment_date < today or (
        form.appointment_date == today
        and form.appointment_half_day == HalfDay.am
        and local_now.hour >= 12
    )
    if passed:
        return [Issue("closure.appointment_in_past", {}, "appointment_date")]
    return []


def _field_work_issues(form: ClosureForm, catalogue: Collection[str]) -> list[Issue]:
    issues: list[Issue] = []
    if not form.work_done.strip():
        issues.append(Issue("closure.missing_work_done", {}, "work_done"))
    if form.labour_hours is None or not form.labour_hours > 0:  # NaN is not a number of hours
        issues.append(Issue("closure.missing_labour_hours", {}, "labour_hours"))
    for index, use in enumerate(form.materials):
        if use.code not in catalogue:
            issues.append(
                Issue("closure.unknown_material", {"code": use.code}, f"materials[{index}]")
            )
        elif not use.quantity > 0:
            issues.append(
                Issue("closure.material_quantity", {"code": use.code}, f"materials[{index}]")
            )
    for index, swap in enumerate(form.device_swaps):
        if not swap.old_serial.strip() or not swap.new_serial.strip():
            issues.append(
                Issue(
                    "closure.swap_serials_required",
                    {"device": swap.device},
                    f"device_swaps[{index}]",
                )
            )
    return issues


def appointment_phrase(day: date, half_day: str) -> str:
    """The manual's wording: "已和用户预约至x号周x(上午)处理" (§2.1.5 B b)."""
    half = "上午" if half_day == HalfDay.am else "下午"
    return f"已和用户预约至{day.day}号周{WEEKDAYS_ZH[day.weekday()]}({half})处理"


def expects_append(form: ClosureForm) -> bool:
    """Appointment and phone-guidance closures are completed by a later information append."""
    return form.outcome == Outcome.appointment or form.method in (
        Method.phone_guidance,
        Method.remote,
    )
