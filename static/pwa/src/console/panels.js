// The console's panels, in tab order. Each module default-exports
// { id, title: { "zh-CN", en }, roles, mount(el, ctx), unmount() }; ctx = { api, t, lang, me,
// on(eventName, fn), every(ms, fn), refresher(fn, ms), toast, fmtTime, fmtSpan, route } (see main.js).
// Panels draw with lit-html templates (draw and html from ../client.js), which escape every value.
// One line per panel, so branches adding panels touch different lines.
import board from "./board.js";
import callbacks from "./callbacks.js";
import conflicts from "./conflicts.js";
import queue from "./queue.js";
import outages from "./outages.js";
import handover from "./handover.js";
import duty from "./duty.js";
import reports from "./reports.js";
import accounts from "./accounts.js";
import reach from "./reach-panel.js";
import calendar from "./calendar.js";
import callPolicy from "./call-policy.js";

export const PANELS = [
  queue,
  board,
  conflicts,
  outages,
  handover,
  duty,
  callbacks,
  reports,
  accounts,
  reach,
  calendar,
  callPolicy,
];
