// The console's texts on top of the technician app's (states, kinds, clocks are shared). Each panel
// registers its own texts with addTexts() when its module loads, so panels never share one file.
import * as base from "../i18n.js";

const extra = { "zh-CN": {}, en: {} };

/** addTexts({ "zh-CN": { key: "…" }, en: { key: "…" } }) */
export function addTexts(dicts) {
  for (const l in dicts) Object.assign((extra[l] ||= {}), dicts[l]);
}

export function t(key, params) {
  const s = extra[base.lang()]?.[key] ?? extra["zh-CN"][key];
  if (s === undefined) return base.t(key, params);
  return params ? Object.keys(params).reduce((acc, k) => acc.replaceAll(`{${k}}`, params[k]), s) : s;
}

export const { lang, setLang, fmtTime, fmtSpan } = base;

addTexts({
  "zh-CN": {
    console: "调度台", live_on: "实时", live_off: "实时连接中断,正在重连…", live_wait: "连接中…", session_ended: "登录已失效,请重新登录",
    no_panels: "您的角色没有可用的调度台功能", error: "出错了", close: "关闭", refresh: "刷新",
    logged_in_as: "{name}({role})", r_dispatcher: "调度", r_supervisor: "主管", r_admin: "管理员", r_agent: "坐席", r_backoffice: "后台",
  },
  en: {
    console: "Dispatch console", live_on: "Live", live_off: "Live updates lost, reconnecting…", live_wait: "Connecting…", session_ended: "Your session has ended; please log in again",
    no_panels: "Your role has no console panels", error: "Error", close: "Close", refresh: "Refresh",
    logged_in_as: "{name} ({role})", r_dispatcher: "dispatcher", r_supervisor: "supervisor", r_admin: "admin", r_agent: "agent", r_backoffice: "back office",
  },
});
