"""Every text a user reads, in zh-CN (first) and en. Keys are stable; parameters are filled in."""

from __future__ import annotations

import re
from typing import Any

from domain.lifecycle import CREATE_LABEL, STEPS

LANGUAGES = ("zh-CN", "en")

STATE_NAMES = {
    "new": ("新建待派", "new"),
    "dispatched": ("已派单", "dispatched"),
    "accepted": ("已接单", "accepted"),
    "contacted": ("已联系客户", "customer contacted"),
    "en_route": ("在途", "en route"),
    "on_site": ("已到场", "on site"),
    "returned": ("已回馈待处理", "returned to dispatch"),
    "cannot_proceed": ("无法施工", "cannot proceed"),
    "sent_back": ("已回退", "sent back"),
    "closed": ("已结单", "closed"),
    "cancelled": ("已撤销", "cancelled"),
}

# A step's name is declared with the step (domain/lifecycle.py STEPS).
ACTION_NAMES = {
    "create": CREATE_LABEL,
    **{action.value: step.label for action, step in STEPS.items()},
}

ROLE_NAMES = {
    "admin": ("管理员", "administrator"),
    "supervisor": ("调度主管", "supervisor"),
    "dispatcher": ("调度", "dispatcher"),
    "agent": ("坐席", "call-centre agent"),
    "technician": ("装维人员", "technician"),
    "contractor": ("代维人员", "contractor technician"),
    "backoffice": ("后台处理人员", "back-office handler"),
}

KIND_NAMES = {
    "install": ("安装", "install"),
    "repair": ("报修", "repair"),
    "after_sales": ("售后", "after-sales"),
    "transfer": ("流转", "transfer"),
    "complaint": ("投诉建议表扬", "complaint"),
    "consultation": ("咨询", "consultation"),
    "dedicated_line": ("专线", "dedicated-line"),
}

TEAM_FUNCTION_NAMES = {
    "install": ("安装", "install"),
    "repair": ("维修", "repair"),
    "dedicated_line": ("专线对接", "dedicated-line"),
    "data_entry": ("资料录入", "data-entry"),
    "branch_office": ("营业网点", "branch-office"),
    "complaint": ("投诉处理", "complaint-handling"),
}

NETWORK_NAMES = {"one_way": ("单向", "one-way"), "two_way": ("双向", "two-way")}

CLOSURE_CATEGORY_NAMES = {
    "installation": ("安装情况", "installation"),
    "repair": ("维修情况", "repair"),
    "after_sales": ("售后处理情况", "after-sales handling"),
    "complaint": ("投诉建议处理情况", "complaint handling"),
    "consultation": ("咨询处理情况", "consultation"),
}

OUTAGE_STATUS_NAMES = {
    "suspected": ("疑似", "suspected"),
    "confirmed": ("已确认", "confirmed"),
    "published": ("已发布公告", "notice published"),
    "restored": ("已恢复", "restored"),
    "dismissed": ("已排除", "dismissed"),
}

OUTAGE_STEP_NAMES = {
    "confirm": ("确认故障", "confirm"),
    "publish": ("发布故障公告", "publish the fault notice"),
    "restore": ("发布恢复公告", "publish the restoration notice"),
    "dismiss": ("排除故障", "dismiss"),
}

HANDOVER_STATUS_NAMES = {
    "draft": ("待交班", "being prepared"),
    "signed_out": ("交班人已签字,待接班", "signed by the outgoing dispatcher"),
    "completed": ("已完成交接", "handed over"),
}

SEND_BACK_REASON_NAMES = {
    "out_of_scope": ("非我司业务范围", "out of scope"),
    "wrong_dispatch": ("派单错误", "mis-dispatched"),
    "duplicate": ("重复工单", "duplicate"),
    "customer_info_wrong": ("客户信息有误", "customer details wrong"),
    "other": ("其他", "other"),
}

# The reports (domain/reports.py): figure groups, figures, breakdown rows and the CSV's columns.
REPORT_NAMES = {
    "group.dispatch": ("派单", "Dispatch"),
    "group.contact": ("联系客户", "Customer contact"),
    "group.closure": ("结单", "Closure"),
    "group.complaint": ("投诉", "Complaints"),
    "group.callback": ("回访", "Callbacks"),
    "group.satisfaction": ("满意度", "Satisfaction"),
    "group.outage": ("片区故障", "Area outages"),
    "group.handover": ("交接班", "Shift handover"),
    "group.reach": ("通知送达", "Reaching technicians"),
    "first_dispatch_on_time": ("首次派单及时率", "First dispatch on time"),
    # Without the limits' minutes: they are the policy's, which a supervisor may change.
    "first_dispatch_on_time_normal": ("普通工单派单及时率", "Ordinary orders dispatched on time"),
    "first_dispatch_on_time_high": ("重要工单派单及时率", "Priority orders dispatched on time"),
    "transfer_on_time": ("流转及时率", "Transfers on time"),
    "contact_on_time": ("联系客户及时率", "Customer contacted on time"),
    "contact_on_time_priority": ("重要客户联系及时率", "Priority customers contacted on time"),
    "contact_on_time_urged": (
        "催单/重要备注后联系及时率",
        "Contacted on time after an urge or flag",
    ),
    "urges_per_order": ("单均催单次数", "Urges per order"),
    "unresolved_rate": ("未办结率", "Unresolved"),
    "closure_category_accuracy": ("诉求细分准确率", "Closure category correct"),
    "appointments_without_append": ("预约单未追加率", "Appointments without a later append"),
    "send_backs": ("回退工单数", "Send-backs"),
    "complaint_reply_on_time": ("投诉回复及时率", "Complaints replied to on time"),
    "callback_coverage": ("回访率", "Callback coverage"),
    "callback_on_time": ("回访及时率", "Called back on time"),
    "complaint_callback_coverage": ("有效投诉回访率", "Valid-complaint callback coverage"),
    "satisfaction_callback": ("回访满意度", "Satisfaction at callback"),
    "satisfaction_signing": ("签名满意度", "Satisfaction at signing"),
    "outages": ("片区故障数", "Outages detected"),
    "outage_minutes_to_publish": ("发现至发布故障公告", "Detection to fault notice"),
    "outage_minutes_to_restore": ("发现至恢复", "Detection to restoration"),
    # Negative: restored before the time customers were first told.
    "outage_minutes_past_estimate": ("实际恢复晚于首次预计", "Restored later than first estimated"),
    "outage_restored_by_estimate": ("按预计时间恢复率", "Restored by the first estimate"),
    "handover_on_time": ("交接班准时率", "Handovers on time"),
    "handovers_held_back": (
        "因故障未发公告推迟的交接班",
        "Handovers held back by an unpublished outage",
    ),
    "handover_minutes_late": ("交接班延迟", "Handover delay"),
    "notices": ("派单/催单/改派通知", "Notices to technicians"),
    "notices_delivered": ("通知送达率", "Notices delivered to the phone"),
    "notice_minutes_to_delivery": ("通知送达用时", "Time to delivery"),
    "notices_unseen_alerts": ("超时未查看(已提醒调度)", "Not seen in time (dispatchers alerted)"),
    "score": ("{score}分", "{score} of 5"),
    "csv.period": ("统计期间", "Period"),
    "csv.area": ("片区", "Area"),
    "csv.all_areas": ("全部片区", "All areas"),
    "csv.branch_wide": ("{group}(全部片区)", "{group} (all areas)"),
    "csv.group": ("类别", "Group"),
    "csv.figure": ("指标", "Figure"),
    "csv.value": ("数值", "Value"),
    "csv.numerator": ("达标/合计", "Count"),
    "csv.denominator": ("统计基数", "Out of"),
    "csv.pending": ("未到期", "Pending"),
    "csv.target": ("目标", "Target"),
}

# key: (zh-CN, en)
MESSAGES: dict[str, tuple[str, str]] = {
    "lifecycle.forbidden": (
        "{role}无权执行“{action}”。",
        "A {role} may not {action} this order.",
    ),
    "lifecycle.illegal": (
        "工单当前状态为“{state}”,不能“{action}”。可执行的操作:{allowed}。",
        "The order is {state}; it cannot {action}. Allowed next steps: {allowed}.",
    ),
    "order.not_yours": ("该工单不在您名下。", "This order is not assigned to you."),
    "order.not_found": ("工单 {id} 不存在。", "Work order {id} does not exist."),
    "order.busy": (
        "工单正被他人同时修改,请重试。",
        "Someone else changed the order at the same moment; please retry.",
    ),
    "order.reason_required": ("请填写原因。", "A reason is required."),
    "order.no_waiver_request": (
        "该工单没有待批准的免签申请。",
        "There is no signature-waiver request to approve on this order.",
    ),
    "order.remark_required": ("请填写备注内容。", "The remark text is required."),
    "order.assignee_not_found": (
        "处理人 {id} 不存在或已停用。",
        "Assignee {id} does not exist or is inactive.",
    ),
    "order.assignee_role": (
        "{name} 的角色不能处理工单。",
        "{name} has a role that cannot work orders.",
    ),
    "order.unknown_location": (
        "{field} {id} 不存在或不属于所选片区。",
        "{field} {id} does not exist or is outside the chosen area.",
    ),
    "order.unknown_customer": ("客户 {id} 不存在。", "Customer {id} does not exist."),
    "routing.no_team": (
        "该处理人不属于任何队伍,不能派发{kind}工单。",
        "The assignee belongs to no team and cannot take a {kind} order.",
    ),
    "routing.wrong_team": (
        "{kind}工单应派给{allowed}队伍,所选处理人属于{team_function}队伍。",
        "A {kind} order goes to a {allowed} team; the assignee is in the {team_function} team.",
    ),
    "routing.wrong_network": (
        "客户为{customer_network}网络,所选队伍负责{team_network}网络。",
        "The customer is on the {customer_network} network; the team serves {team_network}.",
    ),
    "closure.invalid": ("结单信息不完整。", "The closure is incomplete."),
    "closure.category_mismatch": (
        "诉求细分应为“{expected}”({kind}工单)。",
        "The closure category for a {kind} order must be {expected}.",
    ),
    "closure.missing_cause": ("请填写故障原因。", "The cause is missing."),
    "closure.missing_solution": ("请填写解决方案。", "The solution is missing."),
    "closure.missing_result": ("请填写处理情况。", "The outcome description is missing."),
    "closure.detailed_remark_required": (
        "VIP及专线工单须详细备注处理情况(至少{min}字)。",
        "VIP and dedicated-line orders need a detailed remark (at least {min} characters).",
    ),
    "closure.appointment_time_required": (
        "预约处理须写明具体预约日期及上午/下午。",
        "An appointment needs its date and half-day (morning or afternoon).",
    ),
    "closure.appointment_in_past": ("预约时间已过。", "The appointment time is in the past."),
    "closure.missing_work_done": ("请填写施工内容。", "The work done is missing."),
    "closure.missing_labour_hours": ("请填写工时。", "The labour hours are missing."),
    "closure.unknown_material": (
        "材料编码 {code} 不在材料目录中。",
        "Material {code} is not in the catalogue.",
    ),
    "closure.material_quantity": (
        "材料 {code} 的数量须大于零。",
        "The quantity of material {code} must be above zero.",
    ),
    "closure.swap_serials_required": (
        "更换{device}须填写旧设备和新设备序列号。",
        "Swapping a {device} needs both the old and the new serial number.",
    ),
    "closure.signature_required": (
        "缺少客户验收签名:请客户签名,或申请免签并经主管批准。",
        "The customer's acceptance signature is missing: have the customer sign, or get a waiver approved by a supervisor.",
    ),
    "closure.changed_after_signing": (
        "客户签名后服务记录已变更(签名后追加了信息、材料或照片),请客户重新签名。",
        "The service record changed after the customer signed (information, materials or photos were added): a new signature is needed.",
    ),
    "callback.invalid": ("回访记录不完整。", "The callback record is incomplete."),
    "callback.satisfaction_required": (
        "已联系上客户,请记录满意度(1–5分)。",
        "The customer was reached: record their satisfaction (1 to 5).",
    ),
    "callback.score_without_customer": (
        "未联系上客户,不能记录满意度。",
        "The customer was not reached, so there is no satisfaction to record.",
    ),
    "callback.remark_required": (
        "客户不满意:请记录客户反映的问题,工单将重启并重新派单。",
        "The customer is dissatisfied: write down what they said; the order is reopened for a new dispatch.",
    ),
    "report.period_reversed": (
        "统计期间有误:开始日期 {first} 晚于结束日期 {last}。",
        "The period is reversed: it starts on {first}, after its end on {last}.",
    ),
    "report.period_too_long": ("统计期间最长 {max} 天。", "A period may be at most {max} days."),
    "area.not_found": ("片区 {id} 不存在。", "Area {id} does not exist."),
    "upload.too_large": ("照片不能超过 {max_mb} MB。", "A photo may be at most {max_mb} MB."),
    "upload.past_length": (
        "上传内容超过声明的长度 {length} 字节。",
        "The upload runs past its declared length of {length} bytes.",
    ),
    "upload.bad_metadata": (
        "上传元数据 {key} 的编码有误。",
        "The upload metadata {key} is not valid base64 text.",
    ),
    "upload.checksum_algorithm": (
        "不支持校验算法 {algorithm}。",
        "The checksum algorithm {algorithm} is not supported.",
    ),
    "upload.bad_checksum": ("校验值编码有误。", "The checksum is not valid base64."),
    "upload.bad_header": (
        "请求头 {header} 缺失或有误。",
        "The {header} header is missing or not a number.",
    ),
    "upload.bad_id": ("上传编号须为 UUID。", "An upload id must be a UUID."),
    "upload.id_taken": ("该上传编号已被使用。", "That upload id is already in use."),
    "upload.not_found": ("上传不存在。", "No such upload."),
    "upload.expired": ("上传已过期,请重新上传。", "The upload expired; start it again."),
    "upload.store_unavailable": (
        "照片存储暂时不可用,请 {retry_after} 秒后重传最后一段。",
        "The photo store is unavailable for now: send the last part again in {retry_after} s.",
    ),
    "upload.finished": (
        "上传已结束(偏移 {offset})。",
        "The upload is already finished (offset {offset}).",
    ),
    "upload.offset_mismatch": (
        "上传偏移不符:服务器已收到 {expected} 字节,请求从 {given} 字节续传。",
        "Offset mismatch: the server has {expected} bytes; the request starts at {given}.",
    ),
    "upload.checksum_mismatch": (
        "数据块校验不符,已丢弃,请重传。",
        "The chunk's checksum does not match; it was discarded. Send it again.",
    ),
    "upload.content_type": (
        "续传请求的 Content-Type 须为 application/offset+octet-stream。",
        "A PATCH must have Content-Type application/offset+octet-stream.",
    ),
    "upload.version": ("仅支持 tus 1.0.0 协议。", "Only tus 1.0.0 is supported."),
    "photo.empty": ("照片文件为空。", "The photo file is empty."),
    "photo.unsupported_type": (
        "仅接受 JPEG、PNG、WebP 或 HEIC 照片。",
        "Only JPEG, PNG, WebP or HEIC photos are accepted.",
    ),
    "photo.polyglot": (
        "照片末尾附带了其他数据,已拒收。",
        "The photo carries other data after the image; it is refused.",
    ),
    "photo.corrupt": ("文件不是有效的图片。", "The file is not a valid image."),
    "photo.truncated": ("图片数据不完整。", "The image data is incomplete (truncated)."),
    "photo.type_mismatch": (
        "文件内容与其图片格式不符。",
        "The file's content does not match its image format.",
    ),
    "photo.absurd_dimensions": (
        "图片尺寸 {width}×{height} 不合理。",
        "An image of {width} x {height} pixels is not a photo.",
    ),
    "photo.too_many_pixels": (
        "图片像素过多({width}×{height}),上限 {max} 像素。",
        "The image has too many pixels ({width} x {height}); the limit is {max}.",
    ),
    "photo.order_cancelled": (
        "工单已撤销,不能添加照片。",
        "The order is cancelled; photos cannot be added.",
    ),
    "photo.unknown_kind": ("未知的照片类型 {photo_kind}。", "Unknown photo kind {photo_kind}."),
    "photo.caption_invalid": (
        "照片说明不能超过200字。",
        "A caption may be at most 200 characters.",
    ),
    "photo.not_found": ("照片 {id} 不存在。", "Photo {id} does not exist."),
    "photo.not_ready": ("照片 {id} 尚未上传完成。", "Photo {id} has not finished uploading."),
    "photo.original_office_only": (
        "原图含位置信息,仅后台人员可查看。",
        "The original keeps its location data: office staff only.",
    ),
    "signature.invalid": ("签名笔迹数据有误。", "The signature's stroke data is not valid."),
    "signature.too_many_points": (
        "签名笔迹点数超过 {max}。",
        "The signature has more than {max} points.",
    ),
    "signature.time_goes_back": (
        "第 {stroke} 笔的时间倒退。",
        "Stroke {stroke} goes back in time.",
    ),
    "signature.too_small": (
        "签名过小(至少 {min} 像素宽或高)。",
        "The signature is too small (at least {min} pixels wide or high).",
    ),
    "signature.not_found": ("工单 {id} 没有客户签名。", "Order {id} has no customer signature."),
    "record.title": ("服务记录单", "Service record"),
    "record.code": ("工单编号", "Order"),
    "record.kind": ("工单类型", "Kind"),
    "record.state": ("状态", "State"),
    "record.state_pending": ("{state} — {count} 张照片待上传", "{state} - {count} photos pending"),
    "record.customer": ("客户", "Customer"),
    "record.address": ("地址", "Address"),
    "record.reported": ("报修内容", "Reported"),
    "record.work": ("处理情况", "Work"),
    "record.cause": ("故障原因", "Cause"),
    "record.solution": ("解决方案", "Solution"),
    "record.result": ("处理结果", "Outcome"),
    "record.work_done": ("施工内容", "Work done"),
    "record.labour_hours": ("工时(小时)", "Labour (hours)"),
    "record.materials": ("材料", "Materials"),
    "record.device_swap": ("设备更换", "Device swapped"),
    "record.photos": ("现场照片", "Photos"),
    "record.signature": ("客户验收签名", "Customer's acceptance signature"),
    "record.unsigned": ("未签名。", "Not signed."),
    "record.waived": ("免签(主管已批准)。", "Signature waived (approved by a supervisor)."),
    "record.signer": ("签名人", "Signed by"),
    "record.satisfaction": ("满意度", "Satisfaction"),
    "record.signed_at": ("签名时间", "Signed at"),
    "record.signed_hash": ("签名时记录摘要 SHA-256", "SHA-256 of the record signed"),
    "record.current_hash": ("当前记录摘要 SHA-256", "SHA-256 of the record now"),
    "record.signature_valid": (
        "签名有效:签名后记录未变更。",
        "Signature valid: the record has not changed since signing.",
    ),
    "record.changed_after_signing": (
        "签名后记录已变更,需客户重新签名。",
        "Changed after signing: a new signature is needed.",
    ),
    "photo_kind.before": ("施工前", "before"),
    "photo_kind.after": ("施工后", "after"),
    "photo_kind.signal_meter": ("信号测试", "signal meter"),
    "photo_kind.device_label": ("设备标签", "device label"),
    "photo_kind.wiring": ("布线", "wiring"),
    "photo_kind.site": ("现场", "site"),
    "photo_kind.other": ("其他", "other"),
    "photo_status.pending": ("待上传", "pending"),
    "photo_status.ready": ("已上传", "uploaded"),
    "photo_status.rejected": ("已拒收", "refused"),
    "relation.account_holder": ("户主本人", "account holder"),
    "relation.family": ("家属", "family"),
    "relation.tenant": ("租户", "tenant"),
    "relation.colleague": ("同事", "colleague"),
    "relation.other": ("其他", "other"),
    "auth.required": ("请先登录。", "Please log in."),
    "auth.invalid_credentials": ("用户名或密码错误。", "Wrong username or password."),
    "auth.rate_limited": (
        "登录失败次数过多,请 {retry_after} 秒后再试。",
        "Too many failed logins; try again in {retry_after} seconds.",
    ),
    "auth.role_forbidden": ("您的角色无权访问此功能。", "Your role may not use this."),
    "policy.not_found": ("时限策略 {id} 不存在。", "Clock policy {id} does not exist."),
    "policy.exists": ("该时限策略已存在。", "That clock policy already exists."),
    "policy.unknown_kind": ("未知的工单类型 {kind}。", "Unknown order kind {kind}."),
    "customer.not_found": ("客户 {id} 不存在。", "Customer {id} does not exist."),
    "push.subscription_invalid": ("推送订阅无效。", "The push subscription is not valid."),
    "push.endpoint_not_allowed": (
        "{origin} 不是受支持的推送服务。",
        "{origin} is not a supported push service.",
    ),
    "push.key_invalid": (
        "推送订阅的 {field} 密钥无效。",
        "The subscription's {field} key is not valid.",
    ),
    "push.subscription_not_found": (
        "设备 {device_id} 没有推送订阅。",
        "Device {device_id} has no push subscription.",
    ),
    "reach.notice_not_found": (
        "通知 {notice} 不存在或不是发给您的。",
        "Notice {notice} does not exist or is not yours.",
    ),
    "reach.user_not_found": (
        "人员 {user} 不存在或已停用。",
        "Staff member {user} does not exist or is inactive.",
    ),
    "user.exists": ("用户名 {username} 已存在。", "The username {username} is taken."),
    "user.not_found": ("账号 {id} 不存在。", "Account {id} does not exist."),
    "user.deactivate_self": ("不能停用自己的账号。", "You cannot deactivate your own account."),
    "team.not_found": ("班组 {id} 不存在。", "Team {id} does not exist."),
    "sync.reassigned": (
        "此工单已于 {at} 改派给 {name},您的操作未生效;已填写的内容已保存并转给调度。",
        "This order was reassigned to {name} at {at}; your action was not applied. What you entered is saved and passed to dispatch.",
    ),
    "sync.you_rejected": (
        "您已于 {at} 拒单,此工单不再由您处理。",
        "You declined this order at {at}; it is no longer yours.",
    ),
    "sync.sent_back": (
        "此工单已于 {at} 回退至呼叫中心,您的操作未生效;已填写的内容已保存并转给调度。",
        "This order was sent back to the call centre at {at}; your action was not applied. What you entered is saved and passed to dispatch.",
    ),
    "sync.cancelled": (
        "此工单已于 {at} 撤销,您的操作未生效;已填写的内容已保存并转给调度。",
        "This order was cancelled at {at}; your action was not applied. What you entered is saved and passed to dispatch.",
    ),
    "sync.reopened": (
        "此工单已于 {at} 重启,等待重新派单。",
        "This order was reopened at {at} and awaits a new dispatch.",
    ),
    "sync.bad_cursor": (
        "同步游标无效,请重新全量同步。",
        "The sync cursor is not valid; pull again without one.",
    ),
    "sync.unknown_mutation": ("未知的离线操作 {name}。", "Unknown offline action {name}."),
    "sync.invalid_args": ("离线操作内容有误:{detail}", "The offline action is malformed: {detail}"),
    "sync.first_unsettled_after_batch": (
        "first_unsettled ({first_unsettled}) 不能大于本批离线操作中的编号。",
        "first_unsettled ({first_unsettled}) must not be above an id of the batch's mutations.",
    ),
    "sync.client_of_another_user": (
        "该设备已登记在其他用户名下。",
        "This device is registered to another user.",
    ),
    "sync.conflict_not_found": ("冲突记录 {id} 不存在。", "Conflict {id} does not exist."),
    "sync.todo.reassigned": (
        "核对技术员离线填写的内容,转给当前处理人或补录到工单。",
        "Check what the technician entered offline; pass it to the current assignee or add it to the order.",
    ),
    "sync.todo.closed_state": (
        "工单状态已变化:与技术员电话确认现场情况后,由调度补录或重新派单。",
        "The order moved on meanwhile: call the technician, then record it or dispatch again.",
    ),
    "sync.todo.invalid": (
        "技术员提交的内容不完整或有误:联系技术员补充后重新提交。",
        "What the technician submitted is incomplete or wrong: ask them to complete it and submit again.",
    ),
    "request.invalid": ("请求内容有误。", "The request is not valid."),
    "request.not_found": ("资源不存在。", "Not found."),
    "request.method_not_allowed": ("不支持该请求方法。", "Method not allowed."),
    "request.conflict": ("与现有数据冲突。", "Conflicts with existing data."),
    "request.too_large": ("请求内容过大。", "The request is too large."),
    "outage.not_found": ("片区故障 {id} 不存在。", "Outage {id} does not exist."),
    "outage.illegal": (
        "该故障当前为“{status}”,不能{step}。可执行的操作:{allowed}。",
        "The outage is {status}: cannot {step} now. Allowed: {allowed}.",
    ),
    "outage.busy": (
        "该故障正被他人同时修改,请重试。",
        "Someone else changed the outage at the same moment; please retry.",
    ),
    "outage.notice_incomplete": (
        "公告缺少必备要素,未发布:请补全后再发布。",
        "The notice lacks required elements and was not published: complete it and publish again.",
    ),
    "outage.missing_location": ("请填写故障地点。", "The location of the fault is missing."),
    "outage.missing_cause": ("请填写故障起因。", "The cause of the fault is missing."),
    "outage.missing_affected_scope": ("请填写影响范围。", "The affected scope is missing."),
    "outage.missing_estimated_restoration": (
        "请填写预计恢复时间。",
        "The estimated restoration time is missing.",
    ),
    "outage.missing_explanation": (
        "请填写统一解释口径(坐席向用户解释的统一说法)。",
        "The unified explanation (what every agent tells callers) is missing.",
    ),
    "outage.missing_confirmed_cause": ("请填写确认的故障原因。", "The confirmed cause is missing."),
    "outage.missing_restored_at": ("请填写故障恢复时间。", "The restoration time is missing."),
    "outage.missing_solution": (
        "批量结单须填写解决方案。",
        "Closing the linked orders needs the solution.",
    ),
    "outage.estimate_in_past": (
        "预计恢复时间须晚于当前时间。",
        "The estimated restoration time must be in the future.",
    ),
    "outage.restored_at_out_of_range": (
        "恢复时间须在故障发现之后,且不晚于当前时间。",
        "The restoration time must lie between the outage's detection and now.",
    ),
    "outage.unknown_place": (
        "{scope} {id} 不存在或不属于该片区。",
        "{scope} {id} does not exist or is outside the area.",
    ),
    "outage.closed": (
        "该故障已结束(“{status}”),不能再关联工单。",
        "The outage is over ({status}); no more orders can be linked.",
    ),
    "outage.not_restored": (
        "该故障尚未恢复(“{status}”):请先发布恢复公告,再批量结单。",
        "The outage is not over ({status}): publish the restoration notice before closing its orders.",
    ),
    "outage.order_other_area": (
        "该工单不在此故障所在片区。",
        "The order is outside the outage's area.",
    ),
    "outage.order_in_other": (
        "该工单已关联到片区故障 #{outage}。",
        "The order is already grouped under outage #{outage}.",
    ),
    "outage.order_already_linked": (
        "该工单已在此故障中。",
        "The order is already grouped under this outage.",
    ),
    "outage.order_not_linked": (
        "该工单未关联到此故障。",
        "The order is not grouped under this outage.",
    ),
    "outage.restored_note": (
        "片区故障 #{id} 已恢复:接{reporter}通知,故障原因:{cause},恢复时间:{at}。",
        "Area outage #{id} is over: reported by {reporter}; cause: {cause}; restored at {at}.",
    ),
    "outage.closed_result": (
        "片区故障已于{at}恢复,用户业务随之恢复。",
        "The area outage ended at {at}; the service is back.",
    ),
    "handover.not_found": ("交接班单 {id} 不存在。", "Handover sheet {id} does not exist."),
    "handover.held_back": (
        "存在尚未发布公告的片区故障({ids}):交接班须推迟到故障原因确认、公告发布之后。",
        "Outages without a published notice ({ids}): the handover waits until the notice is out.",
    ),
    "handover.not_outgoing": (
        "只有交班人可以修改或签署交班信息。",
        "Only the outgoing dispatcher may edit or sign the sheet.",
    ),
    "handover.not_incoming": (
        "只有指定的接班人可以签收。",
        "Only the named incoming dispatcher may sign it.",
    ),
    "handover.same_person": (
        "交班人不能自己接班。",
        "The outgoing dispatcher cannot also take the shift over.",
    ),
    "handover.wrong_status": (
        "交接班单当前为“{sheet_status}”,不能执行此操作。",
        "The sheet is {sheet_status}; that cannot be done now.",
    ),
    "handover.open_exists": (
        "您已有一张未完成的交接班单 #{id}。",
        "You already have an unfinished handover sheet, #{id}.",
    ),
    "handover.unknown_person": ("{id} 不是在岗的调度人员。", "{id} is not an active dispatcher."),
    "server.error": ("服务器内部错误,已记录。", "Internal error; it has been logged."),
    "server.database_unavailable": (
        "数据库暂时不可用,请 {retry_after} 秒后重试。",
        "The database is unavailable for now: try again in {retry_after} s.",
    ),
}

# ---- calls to customers and system clients (issue 19, item 1) --------------------------------
MESSAGES.update(
    {
        "call.times_out_of_order": (
            "通话时间有误:应答不能早于开始,结束不能早于应答或开始。",
            "The call's times are out of order: answered before started, or ended before either.",
        ),
        "call.unknown_order": ("工单 {code} 不存在。", "There is no work order {code}."),
        "call.unknown_agent": (
            "坐席/调度账号 {agent} 不存在。",
            "There is no staff account {agent}.",
        ),
        "call.report_conflict": (
            "通话 {call_id} 已上报,本次上报的 {fields} 与之前不同。",
            "Call {call_id} was reported before with other {fields}.",
        ),
        "call.empty_rest_window": (
            "休息时段的开始和结束不能相同。",
            "A rest window cannot start and end at the same time.",
        ),
        "system_client.name_taken": (
            "系统客户端名称 {name} 已被使用。",
            "The system client name {name} is taken.",
        ),
        "system_client.not_found": (
            "系统客户端 {id} 不存在。",
            "System client {id} does not exist.",
        ),
    }
)
REPORT_NAMES.update(
    {
        "group.calls": ("电联客户", "Calls to customers"),
        "calls_within_limit": ("通话时长达标率", "Calls within the length limit"),
        "calls_outside_rest_hours": (
            "避开客户休息时间率",
            "Calls outside the customer's rest hours",
        ),
        "calls_recorded": ("呼叫中心系统录音率", "Calls through the recorded system"),
        "call_minutes": ("平均通话时长", "Mean call length"),
    }
)


# ---- the duty desk (issue 19): broadcast safety, the roster, call-ins, contractor routing ----
BROADCAST_STATUS_NAMES = {
    "open": ("待报备", "awaiting report"),
    "reported": ("已报备", "reported"),
    "closed": ("已结束", "closed"),
}
ATTENDANCE_NAMES = {
    "rostered": ("已排班", "rostered"),
    "present": ("在岗", "present"),
    "absent": ("缺勤", "absent"),
    "called_in": ("增援到岗", "called in"),
}
MESSAGES |= {
    "routing.contractor_kind": (
        "代维队伍在该片区只能承接{contractor_kinds}工单,不能承接{kind}工单。",
        "Contractors' teams may take only {contractor_kinds} orders in this area, not a {kind} order.",
    ),
    "broadcast.not_found": (
        "安播事件 {id} 不存在。",
        "Broadcast-safety event {id} does not exist.",
    ),
    "broadcast.in_future": (
        "发生时间不能晚于当前时间。",
        "The time it happened cannot be in the future.",
    ),
    "broadcast.wrong_status": (
        "该安播事件当前为“{broadcast_status}”,不能执行此操作。",
        "The broadcast-safety event is {broadcast_status}; that cannot be done now.",
    ),
    "broadcast.busy": (
        "该安播事件正被他人修改,请刷新后重试。",
        "Someone else is changing this event; reload and try again.",
    ),
    "duty.not_found": ("值班记录 {id} 不存在。", "Roster entry {id} does not exist."),
    "duty.unknown_person": (
        "人员 {ids} 不存在、已停用或不能排班。",
        "Staff {ids} do not exist, are inactive or cannot be rostered.",
    ),
    "duty.already_on_shift": (
        "人员 {ids} 已在该班次的值班表中。",
        "Staff {ids} are on that shift's roster already.",
    ),
    "duty.wrong_check": (
        "出勤检查只能记为在岗或缺勤。",
        "The duty check records present or absent only.",
    ),
    "duty.called_in": (
        "该人员为增援到岗,不再做出勤检查。",
        "That person was called in; there is no duty check to record.",
    ),
    "duty.outage_not_confirmed": (
        "片区故障当前为“{status}”:确认后、恢复前才能增派人员。",
        "The outage is {status}: staff are called in once it is confirmed and until it is restored.",
    ),
    "handover.held_back_broadcast": (
        "存在尚未报备的安播事件({ids}):交接班须推迟到报备之后。",
        "Broadcast-safety events not yet reported ({ids}): the handover waits until they are.",
    ),
    "handover.incoming_not_on_roster": (
        "{id} 不在该班次的值班表中:请先排班,或由值班主管指定接班人。",
        "{id} is not on that shift's roster: add them to it, or have a supervisor name them as substitute.",
    ),
    "handover.not_on_roster": (
        "您不在该班次的值班表中,也不是值班主管指定的接班人。",
        "You are not on that shift's roster, nor the substitute a supervisor named.",
    ),
}


def pick_language(accept_language: str | None) -> str:
    """zh-CN unless the caller prefers English (by the order of Accept-Language, honouring q)."""
    if not accept_language:
        return "zh-CN"
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for negative_quality, _, tag in sorted(ranked):
        if negative_quality >= 0:
            break  # q=0 means "not acceptable"; malformed q values count as 0
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh") or tag == "*":
            return "zh-CN"
    return "zh-CN"


def name_of(table: dict[str, tuple[str, str]], value: Any, lang: str) -> str:
    """The name of an identifier (a state, a reason, a figure…) in the reader's language."""
    names = table.get(str(value))
    if names is None:
        return str(value)
    return names[0] if lang == "zh-CN" else names[1]


# Which parameter holds which kind of name. `allowed` lists next steps, or team types for routing.
NAMED_PARAMS = {
    "state": STATE_NAMES,
    "action": ACTION_NAMES,
    "role": ROLE_NAMES,
    "kind": KIND_NAMES,
    "team_function": TEAM_FUNCTION_NAMES,
    "team_network": NETWORK_NAMES,
    "customer_network": NETWORK_NAMES,
    "expected": CLOSURE_CATEGORY_NAMES,
    "status": OUTAGE_STATUS_NAMES,
    "step": OUTAGE_STEP_NAMES,
    "sheet_status": HANDOVER_STATUS_NAMES,
    "broadcast_status": BROADCAST_STATUS_NAMES,
    "attendance": ATTENDANCE_NAMES,
    "contractor_kinds": KIND_NAMES,
}


_ARTICLE = re.compile(r"\b([Aa]) \{(\w+)\}")
# Words that begin with a vowel letter but not a vowel sound.
_CONSONANT_SOUND = ("one", "uni", "use", "eu")


def _article(word: str) -> str:
    """The English indefinite article for a (rendered) word: "an install", "a one-way"."""
    vowel = word[:1].lower() in "aeiou" and not word.lower().startswith(_CONSONANT_SOUND)
    return "an" if vowel else "a"


def _articles(template: str, params: dict[str, Any]) -> str:
    """ "a {kind}" in an English template takes the article the filled-in name needs."""

    def fix(m: re.Match[str]) -> str:
        value = params.get(m.group(2))
        if not isinstance(value, str):
            return m.group(0)
        article = _article(value)
        return f"{article.capitalize() if m.group(1) == 'A' else article} {{{m.group(2)}}}"

    return _ARTICLE.sub(fix, template)


def _either(names: list[str], lang: str) -> str:
    """Alternatives as a sentence joins them: "a, b or c", "甲、乙或丙". Every list of names a
    message shows is one (the steps allowed next, the teams or the kinds that may take an order)."""
    if len(names) < 2:
        return "".join(names)
    separator, last = ("、", "或") if lang == "zh-CN" else (", ", " or ")
    return separator.join(names[:-1]) + last + names[-1]


def render(key: str, lang: str, params: dict[str, Any] | None = None) -> str:
    params = dict(params or {})
    for name, table in NAMED_PARAMS.items():
        if isinstance(params.get(name), list):
            params[name] = _either([name_of(table, v, lang) for v in params[name]], lang)
        elif name in params:
            params[name] = name_of(table, params[name], lang)
    if isinstance(params.get("allowed"), list):
        table = {"routing": TEAM_FUNCTION_NAMES, "outage": OUTAGE_STEP_NAMES}.get(
            key.split(".")[0], ACTION_NAMES
        )
        names = [name_of(table, a, lang) for a in params["allowed"]]
        params["allowed"] = _either(names, lang) or ("无" if lang == "zh-CN" else "none")
    zh, en = MESSAGES.get(key, (key, key))
    template = zh if lang == "zh-CN" else _articles(en, params)
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
