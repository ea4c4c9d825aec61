// Reports: the operation's figures for a period and an area (GET /api/reports), as bars a
// supervisor reads at a glance — rates against their targets, send-backs by reason, the spread of
// satisfaction scores, outages by status, mean durations in minutes — and the same figures as CSV
// for Excel (GET /api/reports.csv).
import { draw, html } from "../client.js";
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
    const { t, api, fmtTime } = ctx;
    const s = (state = { query: { from: localDay(0).slice(0, 8) + "01", to: localDay(0), area_id: "" }, areas: [], report: null, alive: true });

    const bar = (share, cls = "") => html`<span class="bar ${cls}"><i data-width="${Math.max(0, Math.min(1, share)) * 100}%"></i></span>`;

    const pending = (f) => (f.pending ? ` · ${t("rp_pending", { n: f.pending })}` : "");

    function rate(f) {
      const short = f.target != null && f.value != null && f.value < f.target;
      const target = f.target != null ? html`<b class="target" data-left="${f.target * 100}%" title="${t("rp_target", { p: percent(f.target) })}"></b>` : "";
      return html`<div class="figure rate ${short ? "short" : ""}" data-figure="${f.key}" data-value="${f.value ?? ""}">
        <span class="name">${f.title}</span>
        <span class="track">${bar(f.value ?? 0, f.value == null ? "empty" : "")}${target}</span>
        <span class="num"><b>${percent(f.value)}</b> <span class="small">${f.denominator ? t("rp_of", { n: f.numerator, d: f.denominator }) : t("rp_none")}${pending(f)}${f.target != null ? ` · ${t("rp_target", { p: percent(f.target) })}` : ""}</span></span>
      </div>`;
    }

    /** A total or a mean, and where it comes from: one bar per reason or score. */
    function spread(f) {
      const most = Math.max(1, ...f.breakdown.map((b) => b.count));
      const head = f.unit === "mean"
        ? html`${f.value == null ? t("rp_none") : t("rp_mean", { v: f.value.toFixed(2) })} <span class="small">${t("rp_scores", { n: f.denominator })}</span>`
        : t("rp_count", { n: f.numerator });
      return html`<div class="figure spread" data-figure="${f.key}" data-value="${f.value ?? ""}">
        <span class="name">${f.title}</span><span class="num"><b>${head}</b></span>
        ${f.breakdown.map((b) => html`<div class="row" data-key="${b.key}"><span class="label">${b.label}</span>${bar(b.count / most, "count")}<span class="n">${b.count}</span></div>`)}
      </div>`;
    }

    function plain(f) {
      return html`<div class="figure plain" data-figure="${f.key}" data-value="${f.value ?? ""}"><span class="name">${f.title}</span>
        <span class="num"><b>${f.value == null ? "—" : f.value.toFixed(2)}</b> <span class="small">${t("rp_of", { n: f.numerator, d: f.denominator })}</span></span></div>`;
    }

    /** A mean duration: 14.25 → "平均 14.3 分钟"; negative (say, restored before the estimate) stays signed. */
    function minutes(f) {
      const head = f.value == null ? t("rp_none") : t("rp_minutes", { v: String(Math.round(f.value * 10) / 10) });
      const small = [f.denominator && t("rp_times", { n: f.denominator }), f.pending && t("rp_pending", { n: f.pending })];
      return html`<div class="figure plain minutes" data-figure="${f.key}" data-value="${f.value ?? ""}"><span class="name">${f.title}</span>
        <span class="num"><b>${head}</b> <span class="small">${small.filter(Boolean).join(" · ")}</span></span></div>`;
    }

    function count(f) {
      return html`<div class="figure plain count" data-figure="${f.key}" data-value="${f.value ?? ""}"><span class="name">${f.title}</span>
        <span class="num"><b>${t("rp_count", { n: f.numerator })}</b></span></div>`;
    }

    const RENDER = { rate, minutes, count, mean: plain };
    const figureHtml = (f) => (f.breakdown.length ? spread(f) : RENDER[f.unit](f));

    function redraw() {
      const q = s.query, r = s.report;
      const areaName = r?.area ? r.area.name : t("rp_all_areas");
      draw(el, html`<form class="filters" id="rp-form">
          <label>${t("rp_from")}<input type="date" name="from" value="${q.from}" required></label>
          <label>${t("rp_to")}<input type="date" name="to" value="${q.to}" required></label>
          <label>${t("rp_area")}<select name="area_id"><option value="">${t("rp_all_areas")}</option>${s.areas.map((a) => html`<option value=${a.id} ?selected=${String(a.id) === String(q.area_id)}>${a.name}</option>`)}</select></label>
          <button class="primary" id="rp-show">${t("rp_show")}</button>
          <button type="button" id="rp-csv">${t("rp_csv")}</button>
        </form>
        ${r ? html`<p class="muted small" id="rp-summary">${t("rp_summary", { from: r.first_day, to: r.last_day, area: areaName, n: r.orders })} · ${t("rp_generated", { t: fmtTime(r.generated_at, true) })}</p>
        <div class="report-groups" id="report">${r.groups.map((g) => html`<section class="card group" data-group="${g.key}"><h3>${g.title}</h3>${g.branch_wide && r.area ? html`<p class="muted small branch-wide">${t("rp_branch_wide")}</p>` : ""}${g.figures.map(figureHtml)}</section>`)}</div>`
        : html`<p class="muted">${t("rp_loading")}</p>`}`);
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
      redraw();
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

    api("/api/reference").then((ref) => { s.areas = ref.areas; if (s.alive) redraw(); }).catch(() => {});
    redraw();
    load();
  },
  unmount() {
    if (state) { state.alive = false; state = null; }
  },
};
