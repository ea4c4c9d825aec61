// The customer's rest hours (§2.1.3 B d) as the phone and the console check them before dialling:
// the call policy in force (its `rest_hours`, "HH:MM" local times in its `timezone`; a window whose
// start is after its end spans midnight), as domain/calls.py RestWindow.holds reads them.

/** The rest window `now` falls in, or null (also when no policy is known yet). */
export function restWindow(policy, now = new Date()) {
  if (!policy) return null;
  const hm = new Intl.DateTimeFormat("en-GB", { timeZone: policy.timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(now);
  return policy.rest_hours.find((w) => (w.start <= w.end ? w.start <= hm && hm < w.end : hm >= w.start || hm < w.end)) || null;
}

/** In rest hours, ask before dialling: false if the caller thinks better of it. The question is
 *  asked in the tap's own handler, so "yes" lets the tel: link dial. */
export function confirmDial(policy, t) {
  const rest = restWindow(policy);
  if (!rest) return { dial: true, urgent: false };
  return { dial: confirm(t("cl_confirm_rest", { from: rest.start, to: rest.end })), urgent: true };
}
