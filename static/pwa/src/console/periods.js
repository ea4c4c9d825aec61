// Days and figures as the callbacks and reports panels show them: the branch's local calendar
// (Asia/Shanghai, as the server counts periods), rates as percentages.

/** The branch's local date `offset` days from today, as YYYY-MM-DD. */
export function localDay(offset = 0) {
  return new Date(Date.now() + offset * 86_400_000).toLocaleDateString("sv-SE", { timeZone: "Asia/Shanghai" });
}

/** 0.875 → "87.5%"; nothing to count → "—". */
export function percent(value) {
  return value == null ? "—" : `${(value * 100).toFixed(1).replace(/\.0$/, "")}%`;
}
