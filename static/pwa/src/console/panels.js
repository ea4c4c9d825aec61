// The console's panels, in tab order. Each module default-exports
// { id, title: { "zh-CN", en }, roles, mount(el, ctx), unmount() }; ctx = { api, t, lang, me,
// on(eventName, fn), every(ms, fn), toast, esc, fmtTime, fmtSpan, route } (see main.js).
// One line per panel, so branches adding panels touch different lines.
import board from "./board.js";
import callbacks from "./callbacks.js";
import conflicts from "./conflicts.js";
import queue from "./queue.js";
import reports from "./reports.js";

export const PANELS = [
  queue,
  board,
  conflicts,
  // outages, handover: branch outages
  callbacks,
  reports,
];
