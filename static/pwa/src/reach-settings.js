// 通知方式 on the sync screen (issue 18): the order in which the server tries to reach this
// technician (web push, WeCom, SMS; only the channels the branch has configured) and their WeCom
// user id. Online only; loaded when the screen opens.
import { html, render } from "lit-html";
import { lang } from "./i18n.js";
import { call } from "./reach.js";

const TEXT = {
  "zh-CN": {
    title: "通知方式", order: "第 {n} 选择", none: "—", wecom_user: "企业微信账号", save: "保存", saved: "已保存",
    failed: "保存失败,请联网后重试", mobile: "短信发往人事档案中的手机号", no_mobile: "人事档案中没有可用的手机号",
    webpush: "本机推送", wecom: "企业微信", sms: "短信", offline: "联网后可设置",
  },
  en: {
    title: "How you are notified", order: "Choice {n}", none: "—", wecom_user: "WeCom account", save: "Save", saved: "Saved",
    failed: "Not saved: try again online", mobile: "SMS go to the mobile in your staff file", no_mobile: "No usable mobile in your staff file",
    webpush: "Push to this phone", wecom: "WeCom", sms: "SMS", offline: "Available online",
  },
};
const tr = (key, params = {}) => Object.entries(params).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, v), (TEXT[lang()] || TEXT["zh-CN"])[key]);

export async function drawReachSettings(el) {
  const prefs = await call("/api/reach/preferences");
  if (!el.isConnected) return;
  if (!prefs) { render(html`<h2>${tr("title")}</h2><p class="muted">${tr("offline")}</p>`, el); return; }
  let note = "";
  const save = async (ev) => {
    ev.preventDefault();
    const form = new FormData(ev.target);
    const channels = [...new Set(["c1", "c2", "c3"].map((k) => form.get(k)).filter(Boolean))];
    const answer = await call("/api/reach/preferences", "PUT", { channels, wecom_user: String(form.get("wecom_user") || "").trim() });
    note = answer ? tr("saved") : tr("failed");
    if (answer) Object.assign(prefs, answer);
    draw();
  };
  const choice = (n) => html`<label>${tr("order", { n: n + 1 })}<select name="c${n + 1}">
    <option value="">${tr("none")}</option>
    ${prefs.configured.map((c) => html`<option value="${c}" ?selected=${prefs.channels[n] === c}>${tr(c)}</option>`)}</select></label>`;
  const draw = () => render(html`<h2>${tr("title")}</h2>
    <form id="reach-settings-form" @submit=${save}>
      ${[0, 1, 2].slice(0, prefs.configured.length).map(choice)}
      ${prefs.configured.includes("wecom") ? html`<label>${tr("wecom_user")}<input name="wecom_user" maxlength="64" .value=${prefs.wecom_user}></label>` : ""}
      ${prefs.configured.includes("sms") ? html`<p class="muted small">${tr(prefs.mobile ? "mobile" : "no_mobile")}</p>` : ""}
      <button class="primary">${tr("save")}</button> <span id="reach-settings-note">${note}</span>
    </form>`, el);
  draw();
}
