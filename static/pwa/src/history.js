// An order's history as the phone and the console show it: its steps and its calls, newest first.
// Calls are not steps (the document's `calls`, beside `history`): they go in by when they started,
// and the steps keep their own order. A call says who called whom, when, how long, whether the
// recorded system has it (and the recording's reference), and what the call policy made of it.
import { html } from "lit-html";

export const talk = (seconds) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

function outcome(c, t) {
  if (c.origin === "attempt") return t("cl_attempt");
  if (c.seconds !== null) return t("cl_talk", { s: talk(c.seconds) });
  return t(c.answered_at ? "cl_ongoing" : "cl_unanswered");
}

/** One call as a history entry; `t`, `fmtTime`: the screen's words and times. */
export function callItem(c, t, fmtTime) {
  const agent = c.staff?.name || c.caller;
  const [from, to] = c.direction === "inbound" ? [c.caller, agent] : [agent, c.callee];
  const words = [
    outcome(c, t),
    c.within_limit === false ? t("cl_over", { m: c.max_minutes }) : "",
    c.in_rest_hours ? t("cl_rest") : "",
    c.urgent ? t("cl_urgent") : "",
    c.origin === "attempt" ? "" : c.recording_ref ? t("cl_recording", { ref: c.recording_ref }) : t("cl_unrecorded"),
  ].filter(Boolean);
  const bad = c.in_rest_hours || c.within_limit === false || !c.recorded;
  return html`<li class="call${bad ? " call-bad" : ""}" data-origin=${c.origin} data-call=${c.id}>
    <span class="muted small">${fmtTime(c.started_at, true)}</span> <b>${t(c.direction === "inbound" ? "cl_inbound" : "cl_outbound")}</b>
    ${from} → ${to}<div class="small">${words.join(" · ")}</div></li>`;
}

/** The entries newest first: `stepItem(e)` draws a step, `when(e)` is the time it counts from. */
export function historyItems(history, calls, stepItem, when, t, fmtTime) {
  const steps = (history || []).slice().reverse(), rings = (calls || []).slice().reverse();
  const out = [];
  for (let i = 0, j = 0; i < steps.length || j < rings.length;) {
    const call = j < rings.length && (i === steps.length || Date.parse(rings[j].started_at) > Date.parse(when(steps[i])));
    out.push(call ? callItem(rings[j++], t, fmtTime) : stepItem(steps[i++]));
  }
  return out;
}
