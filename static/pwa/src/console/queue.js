// The queue: orders that need dispatch first, each clock counting down every second.
import { addTexts } from "./i18n.js";

addTexts({
  "zh-CN": { q_code: "工单号", q_kind: "类型", q_customer: "客户", q_state: "状态", q_area: "片区", q_assignee: "处理人", q_due: "时限", q_empty: "没有工单" },
  en: { q_code: "Order", q_kind: "Kind", q_customer: "Customer", q_state: "State", q_area: "Area", q_assignee: "Assignee", q_due: "Due", q_empty: "No orders" },
});

export default {
  id: "queue",
  title: { "zh-CN": "工单队列", en: "Queue" },
  roles: ["dispatcher", "supervisor", "admin"],
  mount(el, ctx) {
    const { t, esc, fmtSpan } = ctx;
    let orders = [];
    const countdown = (o) => {
      if (!o.next_due) return "";
      const ms = Date.parse(o.next_due) - Date.now();
      return ms >= 0 ? t("due_in", { m: fmtSpan(ms) }) : t("overdue", { m: fmtSpan(ms) });
    };
    const draw = () => {
      el.innerHTML = `<table class="grid" id="queue"><thead><tr>
        <th>${esc(t("q_code"))}</th><th>${esc(t("q_kind"))}</th><th>${esc(t("q_customer"))}</th><th>${esc(t("q_state"))}</th>
        <th>${esc(t("q_area"))}</th><th>${esc(t("q_assignee"))}</th><th>${esc(t("q_due"))}</th></tr></thead><tbody>
        ${orders.map((o) => `<tr data-id="${o.id}"><td>${esc(o.code)}</td><td>${esc(t("k_" + o.kind))}</td><td>${esc(o.customer_name)}</td>
          <td>${esc(t("s_" + o.state))}</td><td>${esc(o.area.name)}</td><td>${esc(o.assignee?.name || "")}</td>
          <td class="countdown" data-due="${esc(o.next_due || "")}">${esc(countdown(o))}</td></tr>`).join("") || `<tr><td colspan="7" class="muted">${esc(t("q_empty"))}</td></tr>`}
        </tbody></table>`;
    };
    const load = async () => { orders = (await ctx.api("/api/work-orders", { query: { limit: 200 } })).items; draw(); };
    load();
    ctx.on("order", load);
    ctx.on("reconnect", load);
    ctx.every(1000, () => el.querySelectorAll("td.countdown").forEach((td, i) => { td.textContent = countdown(orders[i]); }));
  },
  unmount() {},
};
