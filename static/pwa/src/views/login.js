// Logging in (online only): a new user on this phone starts with a clean local database.
import { HttpError, html, logIn, problemText } from "../client.js";
import { lang, t } from "../i18n.js";
import { value } from "../idb.js";
import { status } from "../status.js";
import { load, subscribePush } from "./data.js";
import { $, drawView, ui } from "./ui.js";

export function loginView(message = "") {
  document.body.className = "";
  drawView(html`
    <form id="login" class="card" @submit=${submit}>
      <h1>${t("login")}</h1>
      <p class="muted">${t("login_online")}</p>
      <label>${t("username")}<input id="login-username" autocomplete="username" required></label>
      <label>${t("password")}<input id="login-password" type="password" autocomplete="current-password" required></label>
      <p id="login-error" class="error">${message}</p>
      <button id="login-submit" class="primary">${t("login")}</button>
    </form>`);
}

async function submit(ev) {
  ev.preventDefault();
  const username = $("#login-username").value.trim();
  const m = await load();
  const { db } = m;
  try {
    const answer = await logIn(username, $("#login-password").value, lang());
    const previous = await value("user");
    if (!previous || previous.id !== answer.user.id) {
      const { pending } = await m.counts();
      if (previous && pending) return loginView(t("other_user_pending", { n: pending }));
      // A new user on this device: a new client id, numbered from 1; nothing of the last one kept.
      await db.transaction("rw", db.kv, db.orders, db.outbox, async () => {
        await db.orders.clear(); await db.outbox.clear();
        await m.put("clientId", m.newId("pwa-")); await m.put("nextMutationId", 1); await m.put("cursor", null);
      });
    }
    await m.put("token", answer.token); await m.put("user", answer.user);
    status.authExpired = false; status.error = null;
    location.hash = "#/";
    await m.syncNow();
    ui.route();
    subscribePush(false);
  } catch (err) {
    loginView(err instanceof HttpError ? `${t("login_failed")}: ${problemText(err.body)}` : t("offline_login"));
  }
}
