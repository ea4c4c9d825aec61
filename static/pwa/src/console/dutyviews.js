// The duty desk's pieces inside other panels (issue 19), drawn with lit-html into a node the panel
// leaves for them: broadcast-safety events on the handover sheet (item B) and whether the incoming
// dispatcher is on the roster; this shift's attendance on the technician board; and, on a
// confirmed outage, the staff to call in (§2.3.2 A).
import { html, render, nothing } from "lit-html";
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": {
    d_bk_illegal_insertion: "非法插播", d_bk_interruption: "停播/信号中断", d_bk_other: "其他安播事件",
    d_bs_open: "待报备", d_bs_reported: "已报备", d_bs_closed: "已结束",
    d_at_rostered: "已排班", d_at_present: "在岗", d_at_absent: "缺勤", d_at_called_in: "增援到岗",
    d_broadcast_on_sheet: "安播事件", d_held_broadcast: "存在尚未报备的安播事件({ids}),交接班须推迟到报备之后。",
    d_not_on_roster: "接班人不在该班次的值班表中:请排班,或由值班主管指定代班。",
    d_callin: "增设在岗人员", d_callin_hint: "大面积故障已确认:以下人员本班次不在岗,可通知到岗增援。",
    d_callin_btn: "记录已通知到岗", d_called_in: "已增援到岗", d_in_area: "本片区", d_none: "无", d_callin_done: "已记录 {n} 人到岗", d_callin_note: "备注(如何通知、预计到岗时间)",
  },
  en: {
    d_bk_illegal_insertion: "illegal insertion", d_bk_interruption: "interruption", d_bk_other: "other broadcast-safety event",
    d_bs_open: "awaiting report", d_bs_reported: "reported", d_bs_closed: "closed",
    d_at_rostered: "rostered", d_at_present: "present", d_at_absent: "absent", d_at_called_in: "called in",
    d_broadcast_on_sheet: "Broadcast-safety events", d_held_broadcast: "Broadcast-safety events not yet reported ({ids}): the handover waits for the report.",
    d_not_on_roster: "The incoming dispatcher is not on that shift's roster: roster them, or have a supervisor name a substitute.",
    d_callin: "Call in more staff", d_callin_hint: "The mass outage is confirmed: these people are off duty this shift and can be called in.",
    d_callin_btn: "Record as called in", d_called_in: "Called in", d_in_area: "this area", d_none: "None", d_callin_done: "{n} called in", d_callin_note: "Note (how they were told, when they arrive)",
  },
});

const BADGE = { open: "red", reported: "orange", absent: "red", present: "green", called_in: "orange" };

export const statusBadge = (t, prefix, value) =>
  html`<span class="badge ${BADGE[value] || ""}" data-status=${value}>${t(prefix + value)}</span>`;

/** On the handover sheet: item B's broadcast-safety events, what holds it back, the roster check. */
export function drawSheetDuty(node, sheet, { t, fmtTime }) {
  if (!node) return;
  const events = sheet.items.broadcast || [];
  const held = sheet.held_back_by_broadcast || [];
  render(html`
    ${held.length ? html`<p class="error" id="h-held-broadcast">${t("d_held_broadcast", { ids: held.map((i) => "#" + i).join(", ") })}</p>` : nothing}
    ${sheet.incoming_on_roster === false ? html`<p class="error" id="h-not-on-roster">${t("d_not_on_roster")}</p>` : nothing}
    <h4>${t("d_broadcast_on_sheet")}</h4>
    <table class="grid" id="h-broadcast"><tbody>${events.length ? events.map((e) => html`<tr data-id=${e.id}>
      <td><a href="#duty/broadcast/${e.id}">#${e.id}</a></td><td>${t("d_bk_" + e.kind)}</td><td>${e.channel}${e.area ? ` · ${e.area}` : ""}</td>
      <td>${fmtTime(e.occurred_at, true)}</td><td>${e.description}</td><td>${statusBadge(t, "d_bs_", e.status)}</td></tr>`)
      : html`<tr><td class="muted">${t("d_none")}</td></tr>`}</tbody></table>`, node);
}

/** On the technician board: each row's attendance this shift, in its `td.duty`. */
export function drawBoardDuty(root, people, { t }) {
  for (const p of people) {
    const cell = root.querySelector(`tr[data-person="${p.id}"] td.duty`);
    if (cell) render(p.duty ? statusBadge(t, "d_at_", p.duty) : nothing, cell);
  }
}

/** On an outage: whom to call in, and who was (GET / POST /api/outages/{id}/call-in). */
export async function drawCallIn(node, outageId, ctx) {
  if (!node) return;
  const { t, api } = ctx;
  const proposal = await api(`/api/outages/${outageId}/call-in`).catch(() => null);
  if (!proposal || !node.isConnected) return;
  const submit = async (ev) => {
    ev.preventDefault();
    const ids = [...ev.target.querySelectorAll("input[name=callin]:checked")].map((i) => Number(i.value));
    const note = ev.target.note.value;
    try {
      const answer = await api(`/api/outages/${outageId}/call-in`, { method: "POST", body: { user_ids: ids, note } });
      ctx.toast(t("d_callin_done", { n: ids.length }), { ok: true, ms: 3000 });
      show(answer);
    } catch { /* shown by api() */ }
  };
  const show = (p) => render(html`
    ${p.called_in.length ? html`<h4>${t("d_called_in")}</h4><ul id="called-in">${p.called_in.map((e) => html`
      <li data-user=${e.user.id}>${e.user.name} · ${e.team || t("r_" + e.role)}${e.note ? ` · ${e.note}` : ""}</li>`)}</ul>` : nothing}
    ${p.proposable ? html`<form id="o-callin" class="card" @submit=${submit}><h3>${t("d_callin")}</h3>
      <p class="muted">${t("d_callin_hint")}</p>
      <table class="grid"><tbody>${p.candidates.map((c) => html`<tr data-user=${c.id}>
        <td><input type="checkbox" name="callin" value=${c.id} class="inline-check"></td><td>${c.name}</td>
        <td>${c.team || t("r_" + c.role)}</td><td>${c.phone}</td><td>${c.in_area ? html`<span class="badge">${t("d_in_area")}</span>` : nothing}</td></tr>`)}
      </tbody></table>
      <label>${t("d_callin_note")}<input name="note" maxlength="200"></label>
      <button class="primary">${t("d_callin_btn")}</button></form>` : nothing}`, node);
  show(proposal);
}
