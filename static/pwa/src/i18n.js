// zh-CN first, English as a switch. Keys are short; {name} placeholders.
import { stepLabel } from "./local.js";
import { span } from "./quicklist.js";

const zh = {
  app: "装维工单", login: "登录", username: "用户名", password: "密码", logout: "退出登录",
  login_online: "首次登录需要联网;之后可离线工作。", login_failed: "登录失败", offline_login: "离线:无法登录,请联网后重试",
  other_user_pending: "上一位用户还有 {n} 个未同步的操作,请先让其联网同步。",
  today: "今日工单", no_jobs: "暂无工单", closed_today: "已结单",
  sync: "同步", pending: "待发送 {n}", synced: "已同步", last_sync: "上次同步 {t}", never: "从未",
  sync_error: "同步出错", offline: "离线", retry_in: "{s} 秒后重试", sync_now: "立即同步",
  rejected_n: "{n} 个操作被拒绝", login_again: "登录已过期,请重新登录(未同步的操作会保留)",
  st_pending: "待发送", st_sending: "发送中", st_done: "已完成", st_rejected: "被拒绝",
  due_in: "剩 {m}", overdue: "超时 {m}", due_at: "时限 {t}", appointment: "预约 {t}",
  vip: "VIP", dl: "专线", urged: "催单×{n}", flagged: "重要备注", high: "优先",
  customer: "客户", phone: "电话", call: "拨打", address: "地址", map: "地图", contact: "联系人",
  description: "故障/需求", remark: "坐席备注", history: "记录", clocks: "时限", actions: "操作",
  back: "返回", save: "保存", cancel: "取消", confirm: "确认", send: "提交",
  // the labels of the technician's steps (a_<mutation>) are the server's step spec (local.js)
  a_attach_photo: "照片",
  note: "备注内容", add_note: "添加备注", work_done: "完成工作", labour_hours: "工时(小时)",
  materials: "材料", quantity: "数量", add_material: "添加材料", record: "登记",
  reason: "原因", reason_required: "请填写原因",
  sign_title: "服务记录单", sign_intro: "请客户核对以下服务内容并签字确认", signer: "签字人", relation: "与户主关系",
  rel_account_holder: "户主本人", rel_family: "家属", rel_tenant: "租户", rel_colleague: "同事", rel_other: "其他",
  satisfaction: "满意度", comment: "意见(可选)", clear: "重写", sign_here: "请在此处签字", sign_confirm: "确认签字",
  sign_empty: "请先签字", signer_required: "请填写签字人", satisfaction_required: "请选择满意度",
  signed: "客户已签字", not_signed: "客户尚未签字", sign_again: "签字后服务记录有变动,需要重新签字",
  close_title: "结单", category: "诉求细分", outcome: "处理结果", out_resolved: "办结", out_unresolved: "未办结",
  out_appointment: "预约", method: "处理方式", m_on_site: "上门", m_phone_guidance: "电话指导", m_remote: "远程", m_office: "内勤处理",
  cl_outbound: "去电", cl_inbound: "来电", cl_attempt: "拨号(未收到录音系统记录)", cl_talk: "通话 {s}", cl_ongoing: "通话中", cl_unanswered: "未接通", cl_over: "超过 {m} 分钟",
  cl_rest: "客户休息时间", cl_recording: "录音 {ref}", cl_unrecorded: "无录音", cl_urgent: "紧急(休息时间内确认拨打)",
  cl_confirm_rest: "现在是客户休息时间({from}–{to}),一般不宜致电。确属紧急情况,仍要拨打吗?(将记录为紧急拨打)", a_call_customer: "拨打客户电话",
  cause: "故障原因", solution: "解决方案", result: "处理情况", detail_remark: "详细备注(VIP/专线至少10字)",
  appt_date: "预约日期", half_day: "时段", am: "上午", pm: "下午",
  need: "请填写:{f}", need_signature: "需要客户签字(或经主管批准免签)", appt_past: "预约时间已过",
  cat_installation: "安装情况", cat_repair: "维修情况", cat_after_sales: "售后处理情况", cat_complaint: "投诉建议处理情况", cat_consultation: "咨询处理情况",
  k_install: "安装", k_repair: "维修", k_after_sales: "售后", k_transfer: "流转", k_complaint: "投诉", k_consultation: "咨询", k_dedicated_line: "专线",
  s_new: "待派单", s_dispatched: "已派单", s_accepted: "已接单", s_contacted: "已联系", s_en_route: "在途", s_on_site: "到场",
  s_returned: "已回馈", s_cannot_proceed: "无法施工", s_sent_back: "已回退", s_closed: "已结单", s_cancelled: "已撤销",
  c_dispatch: "派单", c_redispatch: "重新派单", c_urge_contact: "催单后联系", c_contact: "联系客户", c_transfer: "流转", c_complaint_reply: "投诉回复", c_callback: "回访",
  running: "进行中", met: "已达成", breached: "已超时",
  todo_reassigned: "该工单已不归您处理。您录入的内容已保留(见下方),调度也能看到;如需补充请联系调度。",
  todo_illegal: "工单状态已变化,此操作不再适用。内容已保留,请刷新后按当前状态处理或联系调度。",
  todo_invalid: "内容不符合要求。已保留您录入的内容,请修改后重新提交。",
  typed: "您录入的内容", copy: "复制", copied: "已复制", dismiss: "知道了",
  local_only: "本机", storage_persist: "已申请持久存储", lang: "English",
  sync_panel: "同步状态", outbox: "发送队列", nothing_pending: "没有待发送的操作",
  storage_full: "手机存储已满,无法保存:请清理空间(未发送的操作仍在)", notifications: "开启通知", text: "内容", signer_name: "签字人",
  caption: "说明(可选)", take_photo: "拍照/选择照片",
  pk_before: "施工前", pk_after: "施工后", pk_signal_meter: "信号测试", pk_device_label: "设备标签", pk_wiring: "布线", pk_site: "现场", pk_other: "其他",
  ph_queued: "等待上传", ph_uploading: "上传中", ph_done: "已上传", ph_error: "上传中断,将自动续传", ph_refused: "服务器拒收",
  // the office's steps, as the job's history shows them (the console shares them)
  a_create: "建单", a_dispatch: "派单", a_transfer: "转派", a_return_result: "回馈", a_send_back: "回退", a_resubmit: "重新提交",
  a_cancel: "撤销", a_reopen: "重启", a_append: "信息追加", a_urge: "催单", a_flag_remark: "重要备注", a_note: "备注",
  a_sign: "客户签字", a_request_waiver: "申请免签", a_approve_waiver: "批准免签", a_callback: "回访",
  order_no: "工单号", remove: "删除", step_work: "① 登记工料", step_sign: "② 客户签字", step_close: "③ 结单",
  need_work_first: "请先登记完成工作和工时,再请客户签字", record_incomplete: "服务记录还不完整:请先登记完成工作和工时。",
  signed_record: "以下内容来自客户签字的服务记录", changed_warning: "客户签字后服务记录又有变动(新增了工料或照片),请让客户重新签字。",
  sign_again_link: "重新签字", sync_offline: "离线", sync_waiting: "待发送 {n}", sync_sending: "发送中", sync_sending_n: "发送中 {n}",
  sync_synced: "已同步 {t}", sync_error_retry: "同步出错({e}),将自动重试",
  sync_auth: "登录已过期:点此重新登录", ph_waiting: "等待网络,联网后自动上传",
  gone_reassigned: "{code} 已于 {t} 改派给 {name}", gone_cancelled: "{code} 已于 {t} 撤销", gone_closed: "{code} 已于 {t} 结单,移出今日工单",
  gone_sent_back: "{code} 已于 {t} 回退", gone_unassigned: "{code} 已于 {t} 移出您的工单", days_hours: "{d}天{h}小时",
};
const en = {
  app: "Field jobs", login: "Log in", username: "Username", password: "Password", logout: "Log out",
  login_online: "The first login needs a network; after that the app works offline.", login_failed: "Login failed", offline_login: "Offline: connect to log in",
  other_user_pending: "The previous user still has {n} unsent actions; let them sync first.",
  today: "Today's jobs", no_jobs: "No jobs", closed_today: "Closed",
  sync: "Sync", pending: "{n} pending", synced: "Synced", last_sync: "Last sync {t}", never: "never",
  sync_error: "Sync error", offline: "Offline", retry_in: "retry in {s}s", sync_now: "Sync now",
  rejected_n: "{n} rejected", login_again: "Session expired: log in again (unsent actions are kept)",
  st_pending: "pending", st_sending: "sending", st_done: "done", st_rejected: "rejected",
  due_in: "{m} left", overdue: "{m} over", due_at: "due {t}", appointment: "appointment {t}",
  vip: "VIP", dl: "Dedicated", urged: "urged ×{n}", flagged: "Important remark", high: "Priority",
  customer: "Customer", phone: "Phone", call: "Call", address: "Address", map: "Map", contact: "Contact",
  description: "Reported", remark: "Agent remark", history: "History", clocks: "Clocks", actions: "Actions",
  back: "Back", save: "Save", cancel: "Cancel", confirm: "Confirm", send: "Submit",
  a_attach_photo: "Photo",
  note: "Note", add_note: "Add note", work_done: "Work done", labour_hours: "Labour (hours)",
  materials: "Materials", quantity: "Qty", add_material: "Add material", record: "Record",
  reason: "Reason", reason_required: "A reason is required",
  sign_title: "Service record", sign_intro: "Please check the service below and sign to accept it", signer: "Signed by", relation: "Relation to account holder",
  rel_account_holder: "Account holder", rel_family: "Family", rel_tenant: "Tenant", rel_colleague: "Colleague", rel_other: "Other",
  satisfaction: "Satisfaction", comment: "Comment (optional)", clear: "Clear", sign_here: "Sign here", sign_confirm: "Confirm signature",
  sign_empty: "Please sign first", signer_required: "Signer's name is required", satisfaction_required: "Choose a score",
  signed: "Customer signed", not_signed: "Not signed yet", sign_again: "The record changed after signing: sign again",
  close_title: "Close job", category: "Closure category", outcome: "Outcome", out_resolved: "Resolved", out_unresolved: "Unresolved",
  out_appointment: "Appointment", method: "Method", m_on_site: "On site", m_phone_guidance: "Phone guidance", m_remote: "Remote", m_office: "At the desk",
  cl_outbound: "Call out", cl_inbound: "Call in", cl_attempt: "dialled (no record from the recorded system)", cl_talk: "talked {s}", cl_ongoing: "on the line", cl_unanswered: "not answered", cl_over: "over {m} min",
  cl_rest: "customer's rest hours", cl_recording: "recording {ref}", cl_unrecorded: "not recorded", cl_urgent: "urgent (confirmed in rest hours)",
  cl_confirm_rest: "It is the customer's rest time ({from}–{to}): customers are not called now. Call anyway as an urgent case? (It is recorded as urgent.)", a_call_customer: "Called the customer",
  cause: "Cause", solution: "Solution", result: "Result", detail_remark: "Detailed remark (VIP/dedicated: 10+ chars)",
  appt_date: "Appointment date", half_day: "Half-day", am: "Morning", pm: "Afternoon",
  need: "Missing: {f}", need_signature: "Customer signature required (or an approved waiver)", appt_past: "That appointment time has passed",
  cat_installation: "Installation", cat_repair: "Repair", cat_after_sales: "After-sales", cat_complaint: "Complaint", cat_consultation: "Consultation",
  k_install: "Install", k_repair: "Repair", k_after_sales: "After-sales", k_transfer: "Transfer", k_complaint: "Complaint", k_consultation: "Consultation", k_dedicated_line: "Dedicated line",
  s_new: "New", s_dispatched: "Dispatched", s_accepted: "Accepted", s_contacted: "Contacted", s_en_route: "En route", s_on_site: "On site",
  s_returned: "Returned", s_cannot_proceed: "Cannot proceed", s_sent_back: "Sent back", s_closed: "Closed", s_cancelled: "Cancelled",
  c_dispatch: "Dispatch", c_redispatch: "Re-dispatch", c_urge_contact: "Contact after urge", c_contact: "Contact", c_transfer: "Transfer", c_complaint_reply: "Complaint reply", c_callback: "Callback",
  running: "running", met: "met", breached: "breached",
  todo_reassigned: "This job is no longer yours. What you typed is kept (below) and visible to dispatch; contact dispatch to add it.",
  todo_illegal: "The job's state changed and this step no longer applies. What you typed is kept; act on the current state or call dispatch.",
  todo_invalid: "The server refused the content. What you typed is kept: correct it and submit again.",
  typed: "What you typed", copy: "Copy", copied: "Copied", dismiss: "Dismiss",
  local_only: "this device", storage_persist: "Persistent storage granted", lang: "中文",
  sync_panel: "Sync status", outbox: "Outbox", nothing_pending: "Nothing waiting to be sent",
  storage_full: "Phone storage is full: free some space (queued actions are kept)", notifications: "Notifications", text: "Text", signer_name: "Signed by",
  caption: "Caption (optional)", take_photo: "Take / choose photo",
  pk_before: "Before", pk_after: "After", pk_signal_meter: "Signal meter", pk_device_label: "Device label", pk_wiring: "Wiring", pk_site: "Site", pk_other: "Other",
  ph_queued: "queued", ph_uploading: "uploading", ph_done: "uploaded", ph_error: "interrupted, will resume", ph_refused: "refused by server",
  a_create: "Created", a_dispatch: "Dispatch", a_transfer: "Transfer", a_return_result: "Returned", a_send_back: "Send back", a_resubmit: "Resubmit",
  a_cancel: "Cancel", a_reopen: "Reopen", a_append: "Append", a_urge: "Urge", a_flag_remark: "Important remark", a_note: "Note",
  a_sign: "Customer signature", a_request_waiver: "Waiver requested", a_approve_waiver: "Waiver approved", a_callback: "Callback",
  order_no: "Order", remove: "Remove", step_work: "1 Work & materials", step_sign: "2 Customer signature", step_close: "3 Close",
  need_work_first: "Record the work done and the hours first, then ask the customer to sign", record_incomplete: "The service record is not complete: record the work done and the hours first.",
  signed_record: "From the service record the customer signed", changed_warning: "The record changed after the customer signed (work or photos added): ask the customer to sign again.",
  sign_again_link: "Sign again", sync_offline: "Offline", sync_waiting: "{n} waiting", sync_sending: "Sending", sync_sending_n: "Sending {n}",
  sync_synced: "Synced {t}", sync_error_retry: "Sync error ({e}): retrying automatically",
  sync_auth: "Session expired: tap to log in", ph_waiting: "waiting for network, uploads when online",
  gone_reassigned: "{code} was reassigned to {name} at {t}", gone_cancelled: "{code} was cancelled at {t}", gone_closed: "{code} was closed at {t} and left today's jobs",
  gone_sent_back: "{code} was sent back at {t}", gone_unassigned: "{code} left your jobs at {t}", days_hours: "{d} d {h} h",
};
const DICTS = { "zh-CN": zh, en };
let current = "zh-CN";
export const setLang = (lang) => { current = DICTS[lang] ? lang : "zh-CN"; document.documentElement.lang = current; };
export const lang = () => current;
export function t(key, params) {
  const step = key.startsWith("a_") ? key.slice(2) : null;
  let s = DICTS[current][key] ?? (step && (stepLabel(step, current) ?? stepLabel(step, "zh-CN"))) ?? zh[key] ?? key;
  if (params) for (const k in params) s = s.replaceAll(`{${k}}`, params[k]);
  return s;
}
// Times in Beijing time (UTC+8, no daylight saving), as toLocaleString's zh-CN / en-GB 2-digit
// forms ("11/23 10:05", "23/11, 10:05"), built by hand: the first Intl formatter of a cold start
// loads ICU's data and cost ~250 ms of the job list's first paint (CPU ×4).
const two = (n) => String(n).padStart(2, "0");
export function fmtTime(iso, withDate = false) {
  if (!iso) return "";
  const d = new Date(Date.parse(iso) + 8 * 3600e3);
  const time = `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
  if (!withDate) return time;
  const month = two(d.getUTCMonth() + 1), day = two(d.getUTCDate());
  return current === "en" ? `${day}/${month}, ${time}` : `${month}/${day} ${time}`;
}
export const fmtSpan = (ms) => span(ms, current === "en");
