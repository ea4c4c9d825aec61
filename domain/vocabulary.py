"""The words of the dispatch manual, as the values stored and exchanged."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    supervisor = "supervisor"  # 调度主管 / 值班主管
    dispatcher = "dispatcher"  # 调度
    agent = "agent"  # 坐席
    technician = "technician"  # 装维人员
    contractor = "contractor"  # 代维公司人员: works orders, never dispatches (§2.1.4 A)
    backoffice = "backoffice"  # 资料录入 / 营业网点 / 投诉处理 / 专线对接


class ClientRole(StrEnum):
    """Machine callers (api/system_clients): admitted to their own endpoints only, never a staff role's."""

    telephony = "telephony"  # the call centre's system: reports calls (§2.1.3 B a)


FIELD_ROLES = frozenset({Role.technician, Role.contractor})
OFFICE_ROLES = frozenset(
    {Role.admin, Role.supervisor, Role.dispatcher, Role.agent, Role.backoffice}
)
DISPATCH_ROLES = frozenset({Role.dispatcher, Role.supervisor, Role.admin})
POLICY_EDITORS = frozenset({Role.supervisor, Role.admin})
# The operation's figures (/api/reports and its CSV): the manual's roles table gives reports to
# the dispatch / duty supervisor, not to dispatchers; admins run the system.
REPORT_READERS = frozenset({Role.supervisor, Role.admin})
# Staff accounts (/api/accounts: create, deactivate, reset passwords, end sessions): admins only.
ACCOUNT_ADMINS = frozenset({Role.admin})
# Who may tap "call" on an order (recorded as an attempt): office staff and field staff (their own orders).
CALLERS = OFFICE_ROLES | FIELD_ROLES


class Kind(StrEnum):
    install = "install"  # 安装
    repair = "repair"  # 报修
    after_sales = "after_sales"  # 售后
    transfer = "transfer"  # 流转
    complaint = "complaint"  # 投诉建议表扬
    consultation = "consultation"  # 咨询
    dedicated_line = "dedicated_line"  # 专线


class Source(StrEnum):
    call_centre = "call_centre"  # 呼叫中心
    mayor_hotline = "mayor_hotline"  # 市长热线
    emergency = "emergency"  # 110 / 119
    walk_in = "walk_in"  # 营业厅
    field = "field"  # 装维人员现场发现


class Tier(StrEnum):
    ordinary = "ordinary"
    vip = "vip"
    dedicated_line = "dedicated_line"


class Network(StrEnum):
    one_way = "one_way"  # 单向
    two_way = "two_way"  # 双向


class Employer(StrEnum):
    in_house = "in_house"
    contractor = "contractor"


class Priority(StrEnum):
    normal = "normal"
    high = "high"


class State(StrEnum):
    new = "new"  # 新建 / 待派单
    dispatched = "dispatched"  # 已派单
    accepted = "accepted"  # 已接单
    contacted = "contacted"  # 已联系客户
    en_route = "en_route"  # 在途
    on_site = "on_site"  # 到场
    returned = "returned"  # 已回馈: the handler returned a result or a request to dispatch
    cannot_proceed = "cannot_proceed"  # 无法施工 (不安全)
    sent_back = "sent_back"  # 已回退 to the call centre
    closed = "closed"  # 已结单
    cancelled = "cancelled"  # 已撤销


OPEN_STATES = frozenset(State) - {State.closed, State.cancelled}


class Outcome(StrEnum):
    resolved = "resolved"  # 办结
    unresolved = "unresolved"  # 未办结
    appointment = "appointment"  # 预约


class Method(StrEnum):
    """How the work was done; remote work expects a later information append (§2.1.5 B c)."""

    on_site = "on_site"
    phone_guidance = "phone_guidance"  # 电话指导
    remote = "remote"  # 远程处理
    office = "office"  # answered or handled at the desk (a consultation reply, a data change)


class HalfDay(StrEnum):
    am = "am"
    pm = "pm"


class ClosureCategory(StrEnum):
    """诉求细分 (§2.1.5 A a)."""

    installation = "installation"  # 安装情况
    repair = "repair"  # 维修情况
    after_sales = "after_sales"  # 售后处理情况
    complaint = "complaint"  # 投诉建议处理情况
    consultation = "consultation"  # 咨询处理情况


CLOSURE_CATEGORY_OF_KIND: dict[Kind, ClosureCategory] = {
    Kind.install: ClosureCategory.installation,
    Kind.repair: ClosureCategory.repair,
    Kind.after_sales: ClosureCategory.after_sales,
    Kind.transfer: ClosureCategory.after_sales,
    Kind.complaint: ClosureCategory.complaint,
    Kind.consultation: ClosureCategory.consultation,
    Kind.dedicated_line: ClosureCategory.repair,
}

# Kinds a technician works in the field (customer signature on the device, photos).
FIELD_KINDS = frozenset({Kind.install, Kind.repair, Kind.dedicated_line})

SEND_BACK_REASONS = ("out_of_scope", "wrong_dispatch", "duplicate", "customer_info_wrong", "other")


class ClockName(StrEnum):
    dispatch = "dispatch"  # first dispatch: 10 min, 5 min for VIP / dedicated line / mayor hotline
    redispatch = "redispatch"  # back in the pool (rejected, reopened, resubmitted): same limit
    contact = "contact"  # high-priority order: a technician in contact within 30 min
    urge_contact = "urge_contact"  # urged or flagged: technician contacts the customer in 10 min
    transfer = "transfer"  # 30 min from the previous department's result
    complaint_reply = "complaint_reply"  # complaint: reply to the customer within 2 h
    callback = "callback"  # 回访 within 2 working days of closure


class NoticeType(StrEnum):
    assigned = "assigned"  # dispatched or transferred to you (also a second dispatch)
    withdrawn = "withdrawn"  # transferred to someone else, sent back or cancelled: no longer yours
    urged = "urged"  # 催单
    clock_warning = "clock_warning"  # a time limit of an order you hold is about to breach
    outage = "outage"  # 片区故障 in your area
    outage_restored = "outage_restored"
