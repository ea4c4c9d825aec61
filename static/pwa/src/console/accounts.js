// Staff accounts, for admins: list, create, deactivate / reactivate, reset a password, end every
// session (POST /api/accounts…; the server audits each and ends the person's streams and pushes).
import { draw, html } from "../client.js";
import { addTexts } from "./i18n.js";

const ROLES = ["dispatcher", "supervisor", "agent", "technician", "contractor", "backoffice", "admin"];

addTexts({
  "zh-CN": {
    ac_username: "用户名", ac_name: "姓名", ac_role: "角色", ac_status: "状态", ac_active: "在用", ac_inactive: "已停用",
    ac_password: "密码(至少 8 位)", ac_create: "新建账号", ac_created: "账号已建立", ac_deactivate: "停用", ac_reactivate: "启用",
    ac_reset: "重置密码", ac_new_password: "新密码", ac_end_sessions: "结束所有登录", ac_done: "已完成",
    ac_sessions_ended: "已结束 {n} 个登录", r_technician: "装维人员", r_contractor: "代维人员",
  },
  en: {
    ac_username: "Username", ac_name: "Name", ac_role: "Role", ac_status: "Status", ac_active: "Active", ac_inactive: "Deactivated",
    ac_password: "Password (8 characters or more)", ac_create: "New account", ac_created: "Account created", ac_deactivate: "Deactivate",
    ac_reactivate: "Reactivate", ac_reset: "Reset password", ac_new_password: "New password", ac_end_sessions: "End all sessions",
    ac_done: "Done", ac_sessions_ended: "{n} sessions ended", r_technician: "technician", r_contractor: "contractor",
  },
});

let state = null;

export default {
  id: "accounts",
  title: { "zh-CN": "账号管理", en: "Accounts" },
  roles: ["admin"], // domain/vocabulary.py ACCOUNT_ADMINS decides; the tab follows it
  mount(el, ctx) {
    const { t, api } = ctx;
    const s = (state = { rows: [], alive: true });
    const roleOptions = ROLES.map((r) => html`<option value="${r}">${t("r_" + r)}</option>`);

    function redraw() {
      draw(el, html`<form id="ac-new" class="filters">
          <input name="username" required maxlength="64" placeholder="${t("ac_username")}">
          <input name="display_name" required maxlength="64" placeholder="${t("ac_name")}">
          <select name="role">${roleOptions}</select>
          <input name="password" type="password" required minlength="8" maxlength="256" autocomplete="new-password" placeholder="${t("ac_password")}">
          <button class="primary">${t("ac_create")}</button></form>
        <table class="grid" id="accounts"><thead><tr><th>${t("ac_username")}</th><th>${t("ac_name")}</th>
          <th>${t("ac_role")}</th><th>${t("ac_status")}</th><th></th></tr></thead>
        <tbody>${s.rows.map((a) => html`<tr data-account="${a.id}" data-username="${a.username}">
          <td>${a.username}</td><td>${a.display_name}</td><td>${t("r_" + a.role)}</td>
          <td>${a.active ? html`<span class="badge green">${t("ac_active")}</span>` : html`<span class="badge">${t("ac_inactive")}</span>`}</td>
          <td>${a.id === ctx.me.id ? "" : html`<button data-step="${a.active ? "deactivate" : "reactivate"}">${t(a.active ? "ac_deactivate" : "ac_reactivate")}</button>`}
            <button data-step="end-sessions">${t("ac_end_sessions")}</button>
            <form class="reset"><input name="password" type="password" required minlength="8" maxlength="256" autocomplete="new-password"
              placeholder="${t("ac_new_password")}"><button>${t("ac_reset")}</button></form></td>
        </tr>`)}</tbody></table>`);
      el.querySelector("#ac-new").onsubmit = async (ev) => {
        ev.preventDefault();
        const body = Object.fromEntries(new FormData(ev.target));
        try { await api("/api/accounts", { method: "POST", body }); } catch { return; } // shown
        ctx.toast(t("ac_created"), { ok: true, ms: 3000 });
        load();
      };
      el.querySelectorAll("tr[data-account]").forEach((row) => {
        const path = `/api/accounts/${row.dataset.account}`;
        row.querySelectorAll("button[data-step]").forEach((button) => {
          button.onclick = async () => {
            let answer;
            try { answer = await api(`${path}/${button.dataset.step}`, { method: "POST", body: {} }); } catch { return; }
            const said = answer.revoked_tokens === undefined ? t("ac_done") : t("ac_sessions_ended", { n: answer.revoked_tokens });
            ctx.toast(said, { ok: true, ms: 3000 });
            load();
          };
        });
        row.querySelector("form.reset").onsubmit = async (ev) => {
          ev.preventDefault();
          try { await api(`${path}/reset-password`, { method: "POST", body: { password: ev.target.password.value } }); } catch { return; }
          ctx.toast(t("ac_done"), { ok: true, ms: 3000 });
          load();
        };
      });
    }

    async function load() {
      const rows = await api("/api/accounts").catch(() => null);
      if (!rows || !s.alive) return;
      s.rows = rows;
      redraw();
    }
    load();
  },
  unmount() {
    if (state) { state.alive = false; state = null; }
  },
};
