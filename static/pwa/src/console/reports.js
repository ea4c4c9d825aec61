// Reports: the operation's figures for a period and an area (GET /api/reports), as bars a
// supervisor reads at a glance — rates against their targets, send-backs by reason, the spread of
// satisfaction scores, outages by status, mean durations in minutes — and the same figures as CSV
// for Excel (GET /api/reports.csv).
import { addTexts } from "./i18n.js";
import { localDay, percent } from "./periods.js";

addTexts({
  "zh-CN": {
    rp_from: "开始日期", rp_to: "结束日期", rp_area: "片区", rp_all_areas: "全部片区", rp_show: "查询", rp_csv: "导出 CSV",
    rp_summary: "{from} 至 {to} · {area} · 期间内有操作的工单 {n} 单", rp_generated: "统计于 {t}", rp_of: "{n}/{d}",
    rp_pending: "{n} 个未到期", rp_target: "目标 {p}", rp_none: "期间内无数据", rp_mean: "平均 {v}", rp_count: "共 {n}",
    rp_scores: "{n} 个评分", rp_loading: "正在统计…", rp_downloaded: "已导出 {name}",
    rp_minutes: "平均 {v} 分钟", rp_times: "{n} 次", rp_branch_wide: "全分公司数据,不分片区",
  },
  en: {
    rp_from: "From", rp_to: "To", rp_area: "Area", rp_all_areas: "All areas", rp_show: "Show", rp_csv: "Export CSV",
    rp_summary: "{from} to {to} · {area} · {n} orders with steps in the period", rp_generated: "as of {t}", rp_of: "{n} of {d}",
    rp_pending: "{n} still running", rp_target: "target {p}", rp_none: "nothing in the period", rp_mean: "mean {v}", rp_count: "{n} in all",
    rp_scores: "{n} scores", rp_loading: "Counting…", rp_downloaded: "Saved {name}",
    rp_minutes: "mean {v} min", rp_times: "over {n}", rp_branch_wide: "whole branch, not by area",
  },
});

let state = null;

export default {
  id: "reports",
  title: { "zh-CN": "统计报表", en: "Reports" },
  roles: ["supervisor", "admin"], // domain/vocabulary.py REPORT_READERS decides; the tab follows it
  mount(el, ctx) {
    const { t, esc, api, fmtTime } = ctx;
    const s = (state = { query: { from: localDay(0).slice(0, 8) + "01", to: localDay(0), area_id: "" }, areas: [], report: null, alive: true });

    const bar = (share, cls = "") => `<span class="bar ${cls}"><i data-width="${Math.max(0, Math.min(1, share)) * 100}%"></i></span>`;

    const pending = (f) => (f.pending ? ` · ${esc(t("rp_pending", { n: f.pending }))}` : "");

    function rate(f) {
      const short = f.target != null && f.value != null && f.value < f.target;
      const target = f.target != null ? `<b class="target" data-left="${f.target * 100}%" title="${esc(t("rp_target", { p: percent(f.target) }))}"></b>` : "";
      return `<div class="figure rate ${short ? "short" : ""}" data-figure="${f.key}" data-value="${f.value ?? ""}">
        <span class="name">${esc(f.title)}</span>
        <span class="track">${bar(f.value ?? 0, f.value == null ? "empty" : "")}${target}</span>
        <span class="num"><b>${esc(percent(f.value))}</b> <span class="small">${f.denominator ? esc(t("rp_of", { n: f.numerator, d: f.denominator })) : esc(t("rp_none"))}${pending(f)}${f.target != null ? ` · ${esc(t("rp_target", { p: percent(f.target) }))}` : ""}</span></span>
      </div>`;
    }

    /** A total or a mean, and where it comes from: one bar per reason or score. */
    function spread(f) {
      const most = Math.max(1, ...f.breakdown.map((b) => b.count));
      const head = f.unit === "mean"
        ? `${f.value == null ? esc(t("rp_none")) : esc(t("rp_mean", { v: f.value.toFixed(2) }))} <span class="small">${esc(t("rp_scores", { n: f.denominator }))}</span>`
        : esc(t("rp_count", { n: f.numerator }));
      return `<div class="figure spread" data-figure="${f.key}" data-value="${f.value ?? ""}">
        <span class="name">${esc(f.title)}</span><span class="num"><b>${head}</b></span>
        ${f.breakdown.map((b) => `<div class="row" data-key="${esc(b.key)}"><span class="label">${esc(b.label)}</span>${bar(b.count / most, "count")}<span class="n">${b.count}</span></div>`).join("")}
      </div>`;
    }

    function plain(f) {
      return `<div class="figure plain" data-figure="${f.key}" data-value="${f.value ?? ""}"><span class="name">${esc(f.title)}</span>
        <span class="num"><b>${f.value == null ? "—" : esc(f.value.toFixed(2))}</b> <span class="small">${esc(t("rp_of", { n: f.numerator, d: f.denominator }))}</span></span></div>`;
    }

    /** A mean duration: 14.25 → "平均 14.3 分钟"; negative (say, restored before the estimate) stays signed. */
    function minutes(f) {
      const head = f.value == null ? t("rp_none") : t("rp_minutes", { v: String(Math.round(f.value * 10) / 10) });
      const small = [f.denominator && t("rp_times", { n: f.denominator }), f.pending && t("rp_pending", { n: f.pending })];
      return `<div class="figure plain minutes" data-figure="${f.key}" data-value="${f.value ?? ""}"><span class="name">${esc(f.title)}</span>
        <span class="num"><b>${esc(head)}</b> <span class="small">${esc(small.filter(Boolean).join(" · "))}</span></span></div>`;
    }

    function count(f) {
      return `<div class="figure plain count" data-figure="${f.key}" data-value="${f.value ?? ""}"><span class="name">${esc(f.title)}</span>
        <span class="num"><b>${esc(t("rp_count", { n: f.numerator }))}</b></span></div>`;
    }

    const RENDER = { rate, minutes, count, mean: plain };
    const figureHtml = (f) => (f.breakdown.length ? spread(f) : RENDER[f.unit](f));

    function draw() {
      const q = s.query, r = s.report;
      const areaName = r?.area ? r.area.name : t("rp_all_areas");
      el.innerHTML = `<form class="filters" id="rp-form">
          <label>${esc(t("rp_from"))}<input type="date" name="from" value="${esc(q.from)}" required></label>
          <label>${esc(t("rp_to"))}<input type="date" name="to" value="${esc(q.to)}" required></label>
          <label>${esc(t("rp_area"))}<select name="area_id"><option value="">${esc(t("rp_all_areas"))}</option>${s.areas.map((a) => `<option value="${a.id}" ${String(a.id) === String(q.area_id) ? "selected" : ""}>${esc(a.name)}</option>`).join("")}</select></label>
          <button class="primary" id="rp-show">${esc(t("rp_show"))}</button>
          <button type="button" id="rp-csv">${esc(t("rp_csv"))}</button>
        </form>
        ${r ? `<p class="muted small" id="rp-summary">${esc(t("rp_summary", { from: r.first_day, to: r.last_day, area: areaName, n: r.orders }))} · ${esc(t("rp_generated", { t: fmtTime(r.generated_at, true) }))}</p>
        <div class="report-groups" id="report">${r.groups.map((g) => `<section class="card group" data-group="${g.key}"><h3>${esc(g.title)}</h3>${g.branch_wide && r.area ? `<p class="muted small branch-wide">${esc(t("rp_branch_wide"))}</p>` : ""}${g.figures.map(figureHtml).join("")}</section>`).join("")}</div>`
        : `<p class="muted">${esc(t("rp_loading"))}</p>`}`;
      // Sizes through the CSSOM: the Content-Security-Policy refuses style attributes in markup.
      el.querySelectorAll("[data-width]").forEach((i) => { i.style.width = i.dataset.width; });
      el.querySelectorAll("[data-left]").forEach((b) => { b.style.left = b.dataset.left; });
      const form = el.querySelector("#rp-form");
      form.onsubmit = (ev) => { ev.preventDefault(); read(form); load(); };
      el.querySelector("#rp-csv").onclick = () => { read(form); download(); };
    }

    function read(form) {
      s.query = { from: form.from.value, to: form.to.value, area_id: form.area_id.value };
    }

    async function load() {
      const report = await api("/api/reports", { query: s.query }).catch(() => null); // a bad period is shown
      if (!s.alive) return;
      if (report) s.report = report;
      draw();
    }

    async function download() {
      let text;
      try { text = await api("/api/reports.csv", { query: s.query }); } catch { return; }
      // fetch() drops the byte-order mark when it decodes; Excel needs it to read UTF-8.
      const blob = new Blob(["\ufeff" + text], { type: "text/csv;charset=utf-8" });
      const name = `report-${s.query.from}-${s.query.to}.csv`;
      const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      ctx.toast(t("rp_downloaded", { name }), { ok: true, ms: 3000 });
    }

    api("/api/reference").then((ref) => { s.areas = ref.areas; if (s.alive) draw(); }).catch(() => {});
    draw();
    load();
  },
  unmount() {
    if (state) { state.alive = false; state = null; }
  },
};
