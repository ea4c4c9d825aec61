// A supervisor's warning when the business calendar has no holidays for next year (the official
// data comes with the chinesecalendar package; a year it does not cover yet needs an upgrade or
// the supervisors' entries and their word that the year is all entered, in the calendar panel
// calendar.js, which the warning links to). GET /api/policies/calendar/coverage.
import { html, render } from "lit-html";
import { addTexts, t } from "./i18n.js";

addTexts({
  "zh-CN": {
    cal_missing: "工作日历缺少 {year} 年的法定节假日和调休安排:请升级节假日数据,或在工作日历中录入全年安排并确认,否则回访时限将按周一至周五计算。",
    cal_open: "打开 {year} 年工作日历",
  },
  en: {
    cal_missing: "The business calendar has no holidays or 调休 working days for {year}: update the holiday data, or enter the year in the calendar and confirm it, or callback limits will count Monday–Friday only.",
    cal_open: "Open the {year} calendar",
  },
});

const READERS = ["supervisor", "admin"];

/** Show the warning above the panels when it applies; `api` is the session's. */
export async function calendarNotice(me, api) {
  clearCalendarNotice();
  if (!READERS.includes(me.role)) return;
  const coverage = await api("/api/policies/calendar/coverage", { quiet: true }).catch(() => null);
  if (!coverage || coverage.next_year_covered) return;
  const box = document.createElement("div");
  box.id = "calendar-notice";
  box.className = "notice warning";
  document.getElementById("view").before(box);
  render(html`<p role="status">${t("cal_missing", { year: coverage.next_year })}
    <a id="calendar-notice-open" href="#calendar/${coverage.next_year}">${t("cal_open", { year: coverage.next_year })}</a></p>`, box);
}

export function clearCalendarNotice() {
  document.getElementById("calendar-notice")?.remove();
}
