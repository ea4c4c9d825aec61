// The top bar: the app's name, the sync indicator (one truthful state) and the language switch.
import { draw, html } from "../client.js";
import { fmtTime, lang, setLang, t } from "../i18n.js";
import { status } from "../status.js";
import { put, remember, sameDay, snapshot } from "./data.js";
import { $, ui } from "./ui.js";

/**
 * The sync indicator's one state, most urgent first: signed out, offline (with what waits),
 * sending, an error and what happens next, waiting N, synced at HH:MM (only once a sync succeeded
 * since this start), else "last sync HH:MM" without a claim (an offline start).
 */
export function indicator(st, pending, last) {
  if (st.error === "auth") return ["error", t("sync_auth")];
  // Offline until a sync gets through: the retries meanwhile are not "sending".
  if (st.error === "network" || !st.online) return ["offline", [t("sync_offline"), pending ? t("sync_waiting", { n: pending }) : ""].filter(Boolean).join(" · ")];
  if (st.running) return ["syncing", pending ? t("sync_sending_n", { n: pending }) : t("sync_sending")];
  if (st.error) return ["error", st.retryAt ? t("sync_error_retry", { e: st.error }) : `${t("sync_error")}: ${st.error}`];
  if (pending) return ["pending", t("sync_waiting", { n: pending })];
  const when = last ? fmtTime(last, !sameDay(last)) : t("never");
  return st.synced ? ["ok", t("sync_synced", { t: when })] : ["unknown", t("last_sync", { t: when })];
}

export async function renderBar(snap) {
  const { user, pending, rejected, lastSync } = snap || (await snapshot(false));
  const [state, text] = indicator(status, pending, lastSync);
  const label = [text, rejected ? t("rejected_n", { n: rejected }) : ""].filter(Boolean).join(" · ");
  const switchLang = async () => { const next = lang() === "en" ? "zh-CN" : "en"; await put("lang", next); setLang(next); remember(); ui.route(); };
  draw($("#bar"), html`
    <a class="brand" href="#/">${t("app")}</a>
    ${user ? html`<a id="sync-ind" href=${status.error === "auth" ? "#/login" : "#/sync"} data-state=${state} data-pending=${pending} data-rejected=${rejected}><span class="dot"></span><span class="label">${label}</span></a>` : ""}
    <button id="lang" class="link" @click=${switchLang}>${t("lang")}</button>`);
}
