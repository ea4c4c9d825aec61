"""Area outages as the dispatcher works them: declare, confirm, publish the fault notice (and
revisions), restore, dismiss; link and unlink orders; inform or close the linked orders together.
Every write is one transaction; every change goes through `records.changed` (audit, live event)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import servertime
from db import changes as sync_changes
from db.dispatch_tables import Outage, OutageDetectionPolicy, OutageNotice, OutageOrder
from db.engine import savepoint, write_transaction
from db.tables import Area, Community, Road, WorkOrder
from domain import notifications
from domain import outages as rules
from domain.errors import Conflict, DomainError, Invalid, Issue, NotFound
from domain.lifecycle import Action
from domain.messages import render
from domain.vocabulary import CLOSURE_CATEGORY_OF_KIND, OPEN_STATES, Kind, Method, Outcome
from push import outbox as push_outbox
from services.audit import record_change
from services.auth.schemas import Caller
from services.outages import records
from services.outages import schemas as s
from services.staff import display_names, staff_ref
from services.types import Ref
from services.work_orders import schemas as ws
from services.work_orders import service as orders

RECORD_LANGUAGE = "zh-CN"  # texts the system writes into order histories, like the staff's own


# ---- reading --------------------------------------------------------------------------------


async def _load(outage_id: int) -> dict:
    outage = await Outage.select(*records.OUTAGE_COLUMNS).where(Outage.id == outage_id).first()
    if outage is None:
        raise NotFound("outage.not_found", id=outage_id)
    return outage


def _notice_out(n: dict, names: dict[int, str]) -> s.NoticeOut:
    return s.NoticeOut(
        id=n["id"],
        kind=n["kind"],
        revision=n["revision"],
        reporter=n["reporter"],
        responsible=staff_ref(n["responsible"], names),
        published_by=staff_ref(n["published_by"], names),
        published_at=n["published_at"],
        location=n["location"],
        cause=n["cause"],
        affected_scope=n["affected_scope"],
        estimated_restoration=n["estimated_restoration"],
        explanation=n["explanation"],
        confirmed_cause=n["confirmed_cause"],
        restored_at=n["restored_at"],
    )


def _place(outage: dict) -> Ref:
    scope = rules.Scope(outage["scope"])
    return Ref(id=outage[scope.value], name=outage[f"{scope.value}_name"])


async def _summaries(outages: list[dict]) -> list[s.OutageSummary]:
    ids = [o["id"] for o in outages] or [0]
    links = await OutageOrder.select(
        OutageOrder.outage, OutageOrder.work_order.state.as_alias("state")
    ).where(OutageOrder.outage.is_in(ids) & OutageOrder.unlinked_at.is_null())
    notices = (
        await OutageNotice.select()
        .where(OutageNotice.outage.is_in(ids) & (OutageNotice.kind == "fault"))
        .order_by(OutageNotice.revision)
    )
    current = {n["outage"]: n for n in notices}  # the newest revision wins
    names = await display_names(
        {o["declared_by"] for o in outages}
        | {n["published_by"] for n in current.values()}
        | {n["responsible"] for n in current.values()}
    )
    out = []
    for o in outages:
        mine = [link for link in links if link["outage"] == o["id"]]
        notice = current.get(o["id"])
        out.append(
            s.OutageSummary(
                id=o["id"],
                status=o["status"],
                area=Ref(id=o["area"], name=o["area_name"]),
                scope=o["scope"],
                place=_place(o),
                network=o["network"],
                detected_at=o["detected_at"],
                declared_by=staff_ref(o["declared_by"], names),
                orders=len(mine),
                open_orders=sum(link["state"] in OPEN_STATES for link in mine),
                notice=_notice_out(notice, names) if notice else None,
                first_published_at=o["first_published_at"],
                restored_at=o["restored_at"],
                version=o["version"],
            )
        )
    return out


async def list_outages(
    status: list[str] | None, area_id: int | None, open_only: bool
) -> list[s.OutageSummary]:
    query = Outage.select(*records.OUTAGE_COLUMNS)
    if open_only:
        query = query.where(Outage.status.is_in(list(rules.OPEN)))
    if status:
        query = query.where(Outage.status.is_in(status))
    if area_id:
        query = query.where(Outage.area == area_id)
    return await _summaries(await query.order_by(Outage.id, ascending=False).limit(200))


async def detail(outage_id: int) -> s.OutageDetail:
    outage = await _load(outage_id)
    summary = (await _summaries([outage]))[0]
    links = (
        await OutageOrder.select(
            *OutageOrder.all_columns(),
            OutageOrder.work_order.code.as_alias("code"),
            OutageOrder.work_order.state.as_alias("state"),
            OutageOrder.work_order.address.as_alias("address"),
            OutageOrder.work_order.created_at.as_alias("created_at"),
            OutageOrder.work_order.customer.name.as_alias("customer_name"),
        )
        .where(OutageOrder.outage == outage_id)
        .order_by(OutageOrder.id)
    )
    notices = (
        await OutageNotice.select()
        .where(OutageNotice.outage == outage_id)
        .order_by(OutageNotice.id)
    )
    names = await display_names(
        {link["linked_by"] for link in links}
        | {n["published_by"] for n in notices}
        | {n["responsible"] for n in notices}
    )
    status = rules.Status(outage["status"])
    return s.OutageDetail(
        **{f: getattr(summary, f) for f in summary.__struct_fields__},
        note=outage["note"],
        linked=[
            s.LinkedOrder(
                id=link["work_order"],
                code=link["code"],
                state=link["state"],
                customer_name=link["customer_name"],
                address=link["address"],
                created_at=link["created_at"],
                linked_at=link["linked_at"],
                linked_by=staff_ref(link["linked_by"], names),
                unlinked_at=link["unlinked_at"],
            )
            for link in links
        ],
        notices=[_notice_out(n, names) for n in notices],
        allowed_steps=[step.value for step, moves in rules.MOVES.items() if status in moves],
    )


# ---- changing an outage ---------------------------------------------------------------------


async def _move(
    outage: dict,
    step: rules.Step,
    caller: Caller,
    now: datetime,
    fields: dict[str, Any],
    **audit: Any,
) -> rules.Status:
    """The one place an outage changes status (detection aside: records.on_order_created)."""
    after = rules.move(rules.Status(outage["status"]), step)
    values = {**fields, "status": after.value, "updated_at": now, "version": outage["version"] + 1}
    written = (
        await Outage.update({getattr(Outage, k): v for k, v in values.items()})
        .where((Outage.id == outage["id"]) & (Outage.version == outage["version"]))
        .returning(Outage.id)
    )
    if not written:
        raise Conflict("outage.busy")
    await records.changed(
        outage["id"], caller, f"outage.{step.value}", now, status=after.value, **audit
    )
    return after


async def _linked_order_ids(outage_id: int) -> list[int]:
    rows = (
        await OutageOrder.select(OutageOrder.work_order)
        .where((OutageOrder.outage == outage_id) & OutageOrder.unlinked_at.is_null())
        .order_by(OutageOrder.work_order)
    )
    return [r["work_order"] for r in rows]


async def _documents_changed(order_ids: Sequence[int]) -> None:
    """The linked orders' documents show the outage: devices holding them fetch them again."""
    for order_id in order_ids:
        await sync_changes.order_changed(order_id)


async def declare(caller: Caller, data: s.Declare) -> s.OutageDetail:
    now = servertime.now()
    if not await Area.exists().where(Area.id == data.area_id):
        raise Invalid("outage.unknown_place", scope="area", id=data.area_id)
    place = {"community": None, "road": None}
    if data.scope != rules.Scope.area:
        table = Community if data.scope == rules.Scope.community else Road
        if data.place_id is None or not await table.exists().where(
            (table.id == data.place_id) & (table.area == data.area_id)
        ):
            raise Invalid("outage.unknown_place", scope=data.scope.value, id=data.place_id)
        place[data.scope.value] = data.place_id
    async with write_transaction():
        rows = await Outage.insert(
            Outage(
                area=data.area_id,
                scope=data.scope.value,
                network=data.network.value,
                status=rules.Status.confirmed.value,
                detected_at=now,
                confirmed_at=now,
                declared_by=caller.id,
                note=data.note,
                updated_at=now,
                **place,
            )
        )
        await records.changed(
            rows[0]["id"],
            caller,
            "outage.declared",
            now,
            status=rules.Status.confirmed.value,
            scope=data.scope.value,
            place_id=data.place_id,
            network=data.network.value,
        )
    return await detail(rows[0]["id"])


async def confirm(caller: Caller, outage_id: int, data: s.Confirm) -> s.OutageDetail:
    now = servertime.now()
    async with write_transaction():
        outage = await _load(outage_id)
        note = "\n".join(x for x in (outage["note"], data.note) if x)
        await _move(
            outage,
            rules.Step.confirm,
            caller,
            now,
            {"confirmed_at": now, "note": note},
            note=data.note,
        )
    return await detail(outage_id)


async def dismiss(caller: Caller, outage_id: int, data: s.Dismiss) -> s.OutageDetail:
    now = servertime.now()
    async with write_transaction():
        outage = await _load(outage_id)
        note = "\n".join(x for x in (outage["note"], data.reason) if x)
        await _move(
            outage,
            rules.Step.dismiss,
            caller,
            now,
            {"dismissed_at": now, "note": note},
            reason=data.reason,
        )
    return await detail(outage_id)


async def _next_revision(outage_id: int) -> int:
    return await OutageNotice.count().where(OutageNotice.outage == outage_id) + 1


async def _push(outage: dict, fault: dict, restored_at: datetime | None = None) -> None:
    await push_outbox.enqueue_outage_notice(
        outage["area"],
        notifications.OutageNotice(
            id=outage["id"],
            area=outage["area_name"],
            location=fault["location"],
            cause=fault["cause"],
            scope=fault["affected_scope"],
            estimated_restoration=fault["estimated_restoration"],
            restored_at=restored_at,
        ),
    )


async def publish(caller: Caller, outage_id: int, data: s.FaultNoticeIn) -> s.OutageDetail:
    """The fault notice, or a newer revision of it (the newest is current; every one is kept)."""
    now = servertime.now()
    notice = rules.FaultNotice(
        data.reporter,
        data.location,
        data.cause,
        data.affected_scope,
        data.estimated_restoration,
        data.explanation,
    )
    async with write_transaction():
        outage = await _load(outage_id)
        rules.move(rules.Status(outage["status"]), rules.Step.publish)
        rules.check_fault_notice(notice, now)
        revision = await _next_revision(outage_id)
        row = dict(
            outage=outage_id,
            kind="fault",
            revision=revision,
            reporter=data.reporter.strip(),
            published_by=caller.id,
            published_at=now,
            responsible=None if rules.reporter_named(data.reporter) else caller.id,
            location=data.location.strip(),
            cause=data.cause.strip(),
            affected_scope=data.affected_scope.strip(),
            estimated_restoration=data.estimated_restoration,
            explanation=data.explanation.strip(),
        )
        await OutageNotice.insert(OutageNotice(**row))
        await _move(
            outage,
            rules.Step.publish,
            caller,
            now,
            {
                "first_published_at": outage["first_published_at"] or now,
                "first_estimate": outage["first_estimate"] or data.estimated_restoration,
            },
            revision=revision,
            reporter=row["reporter"],
            responsible=row["responsible"],
        )
        await _documents_changed(await _linked_order_ids(outage_id))
        await _push(outage, row)
    return await detail(outage_id)


# ---- the linked orders ----------------------------------------------------------------------

OrderAction = Callable[[dict], Awaitable[Any]]


async def _each(
    orders_: list[dict], act: OrderAction, lang: str
) -> tuple[list[int], list[s.Skipped]]:
    """Do `act` to each order in its own savepoint: one that cannot be done is reported with the
    reason and leaves the others done."""
    done, skipped = [], []
    for order in orders_:
        try:
            async with savepoint():
                await act(order)
            done.append(order["id"])
        except DomainError as exc:
            skipped.append(
                s.Skipped(
                    order_id=order["id"],
                    code=order["code"],
                    problem=exc.key,
                    message=render(exc.key, lang, exc.params),
                )
            )
        except Exception as exc:
            if not orders.is_race(exc):
                raise
            skipped.append(
                s.Skipped(
                    order_id=order["id"],
                    code=order["code"],
                    problem="order.busy",
                    message=render("order.busy", lang),
                )
            )
    return done, skipped


async def _open_linked(outage_id: int) -> list[dict]:
    return (
        await OutageOrder.select(
            OutageOrder.work_order.id.as_alias("id"),
            OutageOrder.work_order.code.as_alias("code"),
            OutageOrder.work_order.kind.as_alias("kind"),
        )
        .where(
            (OutageOrder.outage == outage_id)
            & OutageOrder.unlinked_at.is_null()
            & OutageOrder.work_order.state.is_in(list(OPEN_STATES))
        )
        .order_by(OutageOrder.work_order)
    )


async def _inform(
    caller: Caller, outage_id: int, text: str, lang: str
) -> tuple[list[int], list[s.Skipped]]:
    time_rules = await orders.load_time_rules()

    async def note(order: dict) -> None:
        await orders.apply_step(caller, order["id"], Action.note, ws.Note(text=text), time_rules)

    return await _each(await _open_linked(outage_id), note, lang)


async def _close(
    caller: Caller, outage_id: int, restoration: dict, solution: str, result: str, lang: str
) -> tuple[list[int], list[s.Skipped]]:
    """Close the open linked orders as resolved, with the restoration notice's confirmed cause.
    Fixed in the network, not at the premises: method `remote`, so each order still gets the
    customer's confirmation as a later information append (§2.1.5 B c)."""
    time_rules = await orders.load_time_rules()
    at = _local(restoration["restored_at"])
    result = result.strip() or render("outage.closed_result", RECORD_LANGUAGE, {"at": at})
    remark = _restoration_text(outage_id, restoration)

    async def close(order: dict) -> None:
        body = ws.Close(
            closure_category=CLOSURE_CATEGORY_OF_KIND[Kind(order["kind"])],
            outcome=Outcome.resolved,
            method=Method.remote,
            cause=restoration["confirmed_cause"],
            solution=solution,
            result=result,
            remark=remark,
        )
        await orders.apply_step(caller, order["id"], Action.close, body, time_rules)

    return await _each(await _open_linked(outage_id), close, lang)


def _restoration_text(outage_id: int, restoration: dict) -> str:
    return render(
        "outage.restored_note",
        RECORD_LANGUAGE,
        {
            "id": outage_id,
            "reporter": restoration["reporter"] or "—",
            "cause": restoration["confirmed_cause"],
            "at": _local(restoration["restored_at"]),
        },
    )


def _local(at: datetime) -> str:
    return at.astimezone(orders.TZ).strftime("%Y-%m-%d %H:%M")


async def restore(caller: Caller, outage_id: int, data: s.RestorationIn, lang: str) -> s.BulkResult:
    """The restoration notice ends the outage; the open linked orders are informed (a note in each
    history) or closed together."""
    now = servertime.now()
    notice = rules.RestorationNotice(data.reporter, data.confirmed_cause, data.restored_at)
    async with write_transaction():
        outage = await _load(outage_id)
        rules.move(rules.Status(outage["status"]), rules.Step.restore)
        issues = rules.restoration_issues(notice, outage["detected_at"], now)
        if data.linked_orders == "close" and not data.solution.strip():
            issues.append(Issue("outage.missing_solution", {}, "solution"))
        if issues:
            raise Invalid("outage.notice_incomplete", issues)
        row = dict(
            outage=outage_id,
            kind="restoration",
            revision=await _next_revision(outage_id),
            reporter=data.reporter.strip(),
            published_by=caller.id,
            published_at=now,
            # No reporter named: the last editor of the notice — whoever restores it — answers for it.
            responsible=None if rules.reporter_named(data.reporter) else caller.id,
            confirmed_cause=data.confirmed_cause.strip(),
            restored_at=data.restored_at,
        )
        await OutageNotice.insert(OutageNotice(**row))
        await _move(
            outage,
            rules.Step.restore,
            caller,
            now,
            {"restored_at": data.restored_at},
            revision=row["revision"],
            reporter=row["reporter"],
            responsible=row["responsible"],
            linked_orders=data.linked_orders,
        )
        if data.linked_orders == "close":
            done, skipped = await _close(caller, outage_id, row, data.solution, "", lang)
        else:
            done, skipped = await _inform(
                caller, outage_id, _restoration_text(outage_id, row), lang
            )
        await _documents_changed(await _linked_order_ids(outage_id))
        fault = await records.latest_notice(outage_id, "fault")
        await _push(outage, fault, data.restored_at)
    return s.BulkResult(outage=await detail(outage_id), done=done, skipped=skipped)


async def inform_linked(
    caller: Caller, outage_id: int, data: s.InformLinked, lang: str
) -> s.BulkResult:
    """A note in the history of every open linked order (say, a revised estimate)."""
    now = servertime.now()
    async with write_transaction():
        await _load(outage_id)
        done, skipped = await _inform(caller, outage_id, data.text, lang)
        await records.changed(
            outage_id, caller, "outage.orders_informed", now, orders=done, text=data.text
        )
    return s.BulkResult(outage=await detail(outage_id), done=done, skipped=skipped)


async def close_linked(
    caller: Caller, outage_id: int, data: s.CloseLinked, lang: str
) -> s.BulkResult:
    """After the restoration: close the open linked orders together."""
    now = servertime.now()
    async with write_transaction():
        outage = await _load(outage_id)
        if outage["status"] != rules.Status.restored:
            raise Conflict("outage.not_restored", status=outage["status"])
        restoration = await records.latest_notice(outage_id, "restoration")
        done, skipped = await _close(
            caller, outage_id, restoration, data.solution, data.result, lang
        )
        await records.changed(outage_id, caller, "outage.orders_closed", now, orders=done)
    return s.BulkResult(outage=await detail(outage_id), done=done, skipped=skipped)


async def link_orders(
    caller: Caller, outage_id: int, data: s.LinkOrders, lang: str
) -> s.BulkResult:
    """Group orders under an open outage: orders of its area, not grouped under another outage."""
    now = servertime.now()
    async with write_transaction():
        outage = await _load(outage_id)
        if outage["status"] not in rules.OPEN:
            raise Conflict("outage.closed", status=outage["status"])
        found = {
            o["id"]: o
            for o in await WorkOrder.select(WorkOrder.id, WorkOrder.code, WorkOrder.area).where(
                WorkOrder.id.is_in(list(data.order_ids))
            )
        }
        elsewhere = {
            r["work_order"]: r["outage"]
            for r in await OutageOrder.select(OutageOrder.work_order, OutageOrder.outage).where(
                OutageOrder.work_order.is_in(list(data.order_ids))
                & OutageOrder.unlinked_at.is_null()
            )
        }

        async def link(order: dict) -> None:
            if order["id"] not in found:
                raise NotFound("order.not_found", id=order["id"])
            if found[order["id"]]["area"] != outage["area"]:
                raise Invalid("outage.order_other_area")
            if order["id"] in elsewhere:
                if elsewhere[order["id"]] == outage_id:
                    raise Conflict("outage.order_already_linked")
                raise Conflict("outage.order_in_other", outage=elsewhere[order["id"]])
            await records.link(outage_id, [order["id"]], caller, now)

        wanted = [
            {"id": i, "code": found.get(i, {}).get("code", "")}
            for i in dict.fromkeys(data.order_ids)
        ]
        done, skipped = await _each(wanted, link, lang)
        await records.changed(outage_id, caller, "outage.orders_linked", now, orders=done)
        await _documents_changed(done)
    return s.BulkResult(outage=await detail(outage_id), done=done, skipped=skipped)


async def unlink_orders(
    caller: Caller, outage_id: int, data: s.LinkOrders, lang: str
) -> s.BulkResult:
    now = servertime.now()
    async with write_transaction():
        await _load(outage_id)
        rows = (
            await OutageOrder.update(
                {OutageOrder.unlinked_at: now, OutageOrder.unlinked_by: caller.id}
            )
            .where(
                (OutageOrder.outage == outage_id)
                & OutageOrder.work_order.is_in(list(data.order_ids))
                & OutageOrder.unlinked_at.is_null()
            )
            .returning(OutageOrder.work_order)
        )
        done = sorted(r["work_order"] for r in rows)
        codes = {
            o["id"]: o["code"]
            for o in await WorkOrder.select(WorkOrder.id, WorkOrder.code).where(
                WorkOrder.id.is_in(list(data.order_ids))
            )
        }
        skipped = [
            s.Skipped(
                order_id=i,
                code=codes.get(i, ""),
                problem="outage.order_not_linked",
                message=render("outage.order_not_linked", lang),
            )
            for i in dict.fromkeys(data.order_ids)
            if i not in done
        ]
        await records.changed(outage_id, caller, "outage.orders_unlinked", now, orders=done)
        await _documents_changed(done)
    return s.BulkResult(outage=await detail(outage_id), done=done, skipped=skipped)


# ---- the detection policy -------------------------------------------------------------------


async def detection_policies(history: bool) -> list[s.DetectionPolicyOut]:
    rows = (
        await OutageDetectionPolicy.select()
        .order_by(OutageDetectionPolicy.effective_from)
        .order_by(OutageDetectionPolicy.id)
    )
    default = rules.DEFAULT_DETECTION  # in force until a supervisor first sets one
    out = [
        s.DetectionPolicyOut(
            orders=default.orders, minutes=default.minutes, effective_from=None, updated_by=None
        )
    ]
    out += [
        s.DetectionPolicyOut(
            orders=r["orders"],
            minutes=r["minutes"],
            effective_from=r["effective_from"],
            updated_by=r["updated_by"],
        )
        for r in rows
    ]
    return out if history else out[-1:]


async def set_detection_policy(caller: Caller, data: s.DetectionPolicySet) -> s.DetectionPolicyOut:
    now = servertime.now()
    async with write_transaction():
        await OutageDetectionPolicy.insert(
            OutageDetectionPolicy(
                orders=data.orders, minutes=data.minutes, effective_from=now, updated_by=caller.id
            )
        )
        await record_change(
            caller,
            "policy.outage_detection",
            "outage_detection",
            now,
            {"orders": data.orders, "minutes": data.minutes},
        )
    return s.DetectionPolicyOut(
        orders=data.orders, minutes=data.minutes, effective_from=now, updated_by=caller.id
    )
