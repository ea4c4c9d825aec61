// The sync panel: when this phone last synced, what waits in the outbox, what the server refused,
// sync now, notifications, log out.
import { html, logOut } from "../client.js";
import { fmtTime, t } from "../i18n.js";
import { value } from "../idb.js";
import { status } from "../status.js";
import { load, put, remember, snapshot, subscribePush } from "./data.js";
import { loginView } from "./login.js";
import { $, back, drawView, rejectedCard, stateChip, ui } from "./ui.js";

export async function syncView() {
  document.body.className = "";
  const snap = await snapshot(false);
  const all = snap.outbox.sort((a, b) => b.id - a.id);
  const rejected = all.filter((m) => m.state === "rejected" && !m.dismissed);
  const others = all.filter((m) => m.state !== "rejected").slice(0, 50);
  const last = snap.lastSync;
  drawView(html`
    ${back()}
    <section class="card" id="sync-panel"><h1>${t("sync_panel")}</h1>
      <p>${t("last_sync", { t: last ? fmtTime(last, true) : t("never") })}</p>
      ${status.error ? html`<p class="error">${t("sync_error")}: ${status.error === "auth" ? t("login_again") : status.error}</p>` : ""}
      ${status.error === "auth" ? html`<button id="relogin" class="primary" @click=${() => loginView()}>${t("login")}</button>` : ""}
      <button id="sync-now" class="primary" @click=${async () => (await load()).syncNow()}>${t("sync_now")}</button>
      ${"PushManager" in window ? html`<button id="push-on" @click=${() => subscribePush(true)}>${t("notifications")}</button>` : ""}
      <button id="logout" class="link" @click=${logout}>${t("logout")}</button>
    </section>
    ${rejected.map(rejectedCard)}
    <section class="card" id="reach-settings"></section>
    <section class="card"><h2>${t("outbox")}</h2><ul class="outbox">${others.length ? others.map((m) => html`<li data-mutation=${m.id} data-state=${m.state}>#${m.id} ${t("a_" + m.name)} · ${m.orderCode || ""} ${stateChip(m)} <span class="muted small">${fmtTime(m.deviceTime, true)}</span></li>`)
      : html`<li class="muted">${t("nothing_pending")}</li>`}</ul></section>`);
  import("../reach-settings.js").then((m) => m.drawReachSettings($("#reach-settings")));
}

async function logout() {
  const { stopSync } = await load();
  const token = await value("token");
  stopSync(); await put("token", null); remember(); ui.route();
  // Revoked once this phone has let go of the token: a reload meanwhile starts at the login form.
  logOut(token);
}
