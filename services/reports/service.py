"""Reports: every order with a step in the period loaded with its history in two queries, the
clocks computed once per order; the outages detected and the handovers scheduled in the period;
the figures by domain/reports.py."""

from __future__ import annotations

import csv
import io
from datetime import date

import servertime
from db.dispatch_tables import HandoverSheet, Outage
from db.reach_tables import ReachNotice
from db.tables import Area, WorkOrder
from domain import reports
from domain.calls import Verdict as CallVerdict
from domain.calls import judge
from domain.errors import NotFound
from domain.messages import OUTAGE_STATUS_NAMES, REPORT_NAMES, SEND_BACK_REASON_NAMES, name_of
from services.calls import records as call_records
from services.calls import service as call_service
from services.reports import schemas as s
from services.types import Ref
from services.work_orders import service as orders

BREAKDOWN_NAMES = {"send_backs": SEND_BACK_REASON_NAMES, "outages": OUTAGE_STATUS_NAMES}


async def _area(area_id: int | None) -> Ref | None:
    if area_id is None:
        return None
    area = await Area.select(Area.id, Area.name).where(Area.id == area_id).first()
    if area is None:
        raise NotFound("area.not_found", id=area_id)
    return Ref(id=area["id"], name=area["name"])


async def load(period: reports.Period, area_id: int | None) -> list[reports.OrderHistory]:
    """The orders with a step in the period. Selected by their row (raised before the end, last
    written after the start: a step's effective time never follows its receipt); the figures look
    at the times of the steps themselves."""
    ids = WorkOrder.select(WorkOrder.id).where(
        (WorkOrder.created_at < period.end) & (WorkOrder.updated_at >= period.start)
    )
    if area_id is not None:
        ids = ids.where(WorkOrder.area == area_id)
    rows = await WorkOrder.select(WorkOrder.id, WorkOrder.kind, WorkOrder.created_at).where(
        WorkOrder.id.is_in(ids)
    )
    histories = await orders.histories(ids, clocks_only=True)
    rules = await orders.load_time_rules()
    now = servertime.now()
    loaded = []
    for row in rows:
        events = histories.get(row["id"], [])
        if not events:
            continue
        loaded.append(
            reports.OrderHistory(
                id=row["id"],
                kind=row["kind"],
                clock_class=orders.clock_class(events),
                created_at=row["created_at"],
                events=orders.facts(events),
                clocks=orders.clocks_of(row["kind"], events, rules, now),
            )
        )
    return loaded


async def load_outages(period: reports.Period, area_id: int | None) -> list[reports.OutageFacts]:
    """The outages detected in the period (in the area)."""
    query = Outage.select(
        Outage.id,
        Outage.status,
        Outage.detected_at,
        Outage.first_published_at,
        Outage.first_estimate,
        Outage.restored_at,
    ).where((Outage.detected_at >= period.start) & (Outage.detected_at < period.end))
    if area_id is not None:
        query = query.where(Outage.area == area_id)
    return [reports.OutageFacts(**row) for row in await query]


async def load_handovers(period: reports.Period) -> list[reports.HandoverFacts]:
    """The handovers scheduled in the period, branch-wide."""
    rows = await HandoverSheet.select(
        HandoverSheet.scheduled_at, HandoverSheet.incoming_signed_at, HandoverSheet.held_back_at
    ).where(
        (HandoverSheet.scheduled_at >= period.start) & (HandoverSheet.scheduled_at < period.end)
    )
    return [
        reports.HandoverFacts(
            r["scheduled_at"], r["incoming_signed_at"], r["held_back_at"] is not None
        )
        for r in rows
    ]


async def load_notices(period: reports.Period, area_id: int | None) -> list[reports.NoticeFacts]:
    """The tracked notices queued or alerted in the period (of orders in the area)."""
    N = ReachNotice
    in_period = ((N.created_at >= period.start) & (N.created_at < period.end)) | (
        (N.alerted_at >= period.start) & (N.alerted_at < period.end)
    )
    query = N.select(N.created_at, N.delivered_at, N.alerted_at, N.superseded_at).where(in_period)
    if area_id is not None:
        query = query.where(N.work_order.area == area_id)
    return [
        reports.NoticeFacts(
            r["created_at"], r["delivered_at"], r["alerted_at"], r["superseded_at"] is not None
        )
        for r in await query
    ]


async def load_calls(period: reports.Period, area_id: int | None) -> list[CallVerdict]:
    """The calls started in the period (about orders of the area), each judged by its policy."""
    versions = await call_records.policy_versions()
    return [
        judge(c, versions, orders.TZ)
        for c in await call_service.calls_started(period.start, period.end, area_id)
    ]


def _breakdown_label(figure: str, key: str, lang: str) -> str:
    if figure in BREAKDOWN_NAMES:
        return name_of(BREAKDOWN_NAMES[figure], key, lang)
    return name_of(REPORT_NAMES, "score", lang).format(score=key)


def _figure(f: reports.Figure, lang: str) -> s.FigureOut:
    return s.FigureOut(
        key=f.key,
        title=name_of(REPORT_NAMES, f.key, lang),
        unit=f.unit.value,
        value=f.value,
        numerator=f.numerator,
        denominator=f.denominator,
        pending=f.pending,
        target=f.target,
        breakdown=[
            s.BreakdownRow(key=k, label=_breakdown_label(f.key, k, lang), count=n)
            for k, n in f.breakdown
        ],
    )


async def report(
    first_day: date, last_day: date, area_id: int | None, lang: str, groups: list[str] | None = None
) -> s.ReportOut:
    period = reports.period(first_day, last_day, orders.TZ)
    area = await _area(area_id)
    wanted = groups or list(reports.GROUPS)  # the callbacks panel asks for its group alone
    data = reports.ReportInput(
        period,
        servertime.now(),
        await load(period, area_id),
        outages=await load_outages(period, area_id) if "outage" in wanted else (),
        handovers=await load_handovers(period) if "handover" in wanted else (),
        notices=await load_notices(period, area_id) if "reach" in wanted else (),
        calls=await load_calls(period, area_id) if "calls" in wanted else (),
    )
    computed = reports.report(data, groups)
    return s.ReportOut(
        first_day=first_day,
        last_day=last_day,
        area=area,
        generated_at=data.now,
        orders=reports.orders_in_period(data),
        groups=[
            s.GroupOut(
                key=g.key,
                title=name_of(REPORT_NAMES, f"group.{g.key}", lang),
                branch_wide=g.key in reports.BRANCH_WIDE,
                figures=[_figure(f, lang) for f in g.figures],
            )
            for g in computed
        ],
    )


def _number(x: float) -> str:
    """12 → "12", 42.25 → "42.3": a count as it is, a sum of minutes to a tenth."""
    return f"{x:.1f}".removesuffix(".0")


def _value(f: s.FigureOut) -> str:
    if f.value is None:
        return ""
    if f.unit == reports.Unit.rate:
        return f"{f.value * 100:.1f}%"  # Excel reads "87.5%" as the number 0.875, shown as a percentage
    if f.unit == reports.Unit.minutes:
        return f"{f.value:.1f}"
    return f"{f.value:.2f}" if f.unit == reports.Unit.mean else _number(f.value)


def as_csv(report: s.ReportOut, lang: str) -> str:
    """The report as a table a supervisor opens in Excel: UTF-8 with a byte-order mark (or Excel
    takes it for the local code page and garbles the Chinese), one row per figure and per
    breakdown row, the headers in the caller's language."""

    def t(key: str) -> str:
        return name_of(REPORT_NAMES, key, lang)

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [t("csv.period"), f"{report.first_day.isoformat()} – {report.last_day.isoformat()}"]
    )
    writer.writerow([t("csv.area"), report.area.name if report.area else t("csv.all_areas")])
    writer.writerow([])
    writer.writerow(
        [
            t(k)
            for k in (
                "csv.group",
                "csv.figure",
                "csv.value",
                "csv.numerator",
                "csv.denominator",
                "csv.pending",
                "csv.target",
            )
        ]
    )
    for group in report.groups:
        # A branch-wide group says so when the report is of one area.
        title = (
            t("csv.branch_wide").format(group=group.title)
            if group.branch_wide and report.area
            else group.title
        )
        for f in group.figures:
            target = "" if f.target is None else f"{f.target * 100:g}%"
            denominator = "" if f.unit == reports.Unit.count else f.denominator
            pending = f.pending if f.unit in (reports.Unit.rate, reports.Unit.minutes) else ""
            writer.writerow(
                [title, f.title, _value(f), _number(f.numerator), denominator, pending, target]
            )
            for row in f.breakdown:
                writer.writerow([title, f"{f.title} · {row.label}", row.count, "", "", "", ""])
    return out.getvalue()
